"""The two catalogues read from their data files, once per process and only when first needed.

A data file that breaks the catalogue's shape (a code declared twice, a language missing, a
template naming a value it does not declare) stops the program at once with the file and the
entry: such a file is a developer's mistake, and ``tests/test_messages.py`` catches it first.
"""

from __future__ import annotations

import functools
import string
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

LANGS = ("vi", "en")
DEFAULT_STATUS = 400
_KEYS = {"status", "values", "vi", "en", "hint", "short"}


@dataclass(frozen=True)
class Declaration:
    """One error or problem code: what it says in each language and the values it needs."""

    code: str
    status: int
    values: tuple[str, ...]
    message: Mapping[str, str]  # lang → template
    hint: Mapping[str, str] | None = None  # lang → template
    short: Mapping[str, str] | None = None  # lang → a label without values (form fields)
    source: str = ""  # the data file that declares it

    def placeholders(self) -> dict[str, set[str]]:
        """Every template of this declaration → the value names it uses."""
        found: dict[str, set[str]] = {}
        for part, pairs in (("message", self.message), ("hint", self.hint or {})):
            for lang, template in pairs.items():
                found[f"{part}.{lang}"] = names_in(template)
        return found


def names_in(template: str) -> set[str]:
    """The value names a ``str.format`` template uses (``{unit}``, ``{leaf.code}`` → unit, leaf)."""
    names: set[str] = set()
    for _, field, _, _ in string.Formatter().parse(template):
        if field:
            names.add(field.split(".")[0].split("[")[0])
    return names


class CatalogueError(RuntimeError):
    """A data file of the catalogue breaks its shape (a developer's mistake, not a user's)."""


def _files(folder: str) -> list[tuple[str, str]]:
    root = resources.files("sipas.messages").joinpath("data", folder)
    return sorted(
        (entry.name, entry.read_text(encoding="utf-8"))
        for entry in root.iterdir()
        if entry.name.endswith(".yaml")
    )


def _load(text: str, where: str) -> dict[str, Any]:
    import yaml  # only when a message is first rendered: `sipas --version` never needs it

    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    data = yaml.load(text, Loader=loader) or {}
    if not isinstance(data, dict):
        raise CatalogueError(f"{where}: the file must be a mapping of codes")
    return data


def _pair(value: Any, where: str) -> dict[str, str]:
    if not isinstance(value, dict) or set(value) != set(LANGS):
        raise CatalogueError(f"{where}: give exactly 'vi' and 'en'")
    for lang in LANGS:
        if not isinstance(value[lang], str) or not value[lang].strip():
            raise CatalogueError(f"{where}.{lang}: must be non-empty text")
    return {lang: str(value[lang]) for lang in LANGS}


def _declaration(code: str, entry: Any, source: str) -> Declaration:
    where = f"{source}: {code}"
    if not isinstance(entry, dict) or not set(entry) <= _KEYS:
        raise CatalogueError(f"{where}: keys must be among {sorted(_KEYS)}")
    values = entry.get("values") or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise CatalogueError(f"{where}.values: must be a list of names")
    status = entry.get("status", DEFAULT_STATUS)
    if not isinstance(status, int) or not 400 <= status <= 599:
        raise CatalogueError(f"{where}.status: must be an HTTP error status")
    found = Declaration(
        code=code,
        status=status,
        values=tuple(values),
        message=_pair({k: entry.get(k) for k in LANGS}, where),
        hint=_pair(entry["hint"], f"{where}.hint") if "hint" in entry else None,
        short=_pair(entry["short"], f"{where}.short") if "short" in entry else None,
        source=source,
    )
    for template, names in found.placeholders().items():
        unknown = names - set(found.values)
        if unknown:
            raise CatalogueError(f"{where}.{template}: names undeclared values {sorted(unknown)}")
    if names_in(found.message["vi"]) != names_in(found.message["en"]):
        raise CatalogueError(f"{where}: the Vietnamese and English messages use different values")
    return found


@functools.cache
def declarations() -> dict[str, Declaration]:
    """Every declared error and problem code."""
    found: dict[str, Declaration] = {}
    for name, content in _files("errors"):
        for code, entry in _load(content, name).items():
            if code in found:
                raise CatalogueError(f"{name}: {code} is declared again (first in "
                                     f"{found[code].source})")  # fmt: skip
            found[code] = _declaration(str(code), entry, name)
    return found


def declaration(code: str) -> Declaration | None:
    return declarations().get(code)


@functools.cache
def texts() -> dict[str, dict[str, str]]:
    """Every label, word and glossary entry: key → {vi, en}."""
    found: dict[str, dict[str, str]] = {}
    origin: dict[str, str] = {}
    for name, content in _files("text"):
        for key, entry in _load(content, name).items():
            if key in found:
                raise CatalogueError(f"{name}: {key} is declared again (first in {origin[key]})")
            found[str(key)] = _pair(entry, f"{name}: {key}")
            origin[str(key)] = name
    return found
