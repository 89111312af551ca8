"""Every word sipas says, declared once in Vietnamese and English.

Two catalogues, both data files under ``messages/data/``:

- **errors** (``data/errors/*.yaml``): each error or problem code with its HTTP status, the named
  values it takes, its message and hint templates in both languages, and optionally a short label
  for a form field. :class:`~sipas.errors.SipasError` and the ingest problems carry a code and
  values; every surface (CLI, web page, JSON answer, report) renders the same declaration in its
  user's language with :func:`render`.
- **text** (``data/text/*.yaml``): labels, units, domain words (stages, roles) and the glossary
  that the web app, the reports and the CLI show, looked up with :func:`text`.

Templates are ``str.format`` templates. A value is localised by its type (numbers get the
language's separators, lists are joined) or by the format spec the template gives it:
``{day:date}``, ``{count:,}``, ``{share:.1f}``, ``{stage:@stage}`` (the text entry
``stage.<value>``), ``{name!r}`` (quoted). A value may be a :class:`Phrase`, itself a text entry
with values, rendered in the same language.
"""

from __future__ import annotations

from sipas.messages.catalogue import (
    LANGS,
    Declaration,
    declaration,
    declarations,
    texts,
)
from sipas.messages.render import Phrase, fill, render, render_short, text

__all__ = [
    "LANGS",
    "Declaration",
    "Phrase",
    "declaration",
    "declarations",
    "fill",
    "render",
    "render_short",
    "text",
    "texts",
]
