"""Declarations and text entries rendered in a language, values localised."""

from __future__ import annotations

import math
import string
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sipas.messages.catalogue import LANGS, declaration, texts

MISSING = "‹{}›"  # a value the raise site did not pass: shown, never a crash


@dataclass(frozen=True)
class Phrase:
    """A text entry with values, used as a value of a message (a place, a reason)."""

    key: str
    values: Mapping[str, Any] = field(default_factory=dict)

    def __init__(self, key: str, /, **values: Any) -> None:
        object.__setattr__(self, "key", key)
        object.__setattr__(self, "values", values)

    def render(self, lang: str) -> str:
        return fill(text(self.key, lang), self.values, lang)

    def __str__(self) -> str:
        return self.render("en")


def _vi_number(text: str) -> str:
    """ "1,234.5" → "1.234,5"."""
    return text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")


def _date(value: Any, lang: str) -> str:
    if isinstance(value, str):
        try:
            value = date.fromisoformat(value[:10])
        except ValueError:
            return str(value)
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return (
            f"{value.day:02d}/{value.month:02d}/{value.year}" if lang == "vi" else value.isoformat()
        )
    return str(value)


class _Localised(string.Formatter):
    def __init__(self, lang: str) -> None:
        self.lang = lang

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        if isinstance(key, str) and key not in kwargs:
            return _Missing(key)
        return super().get_value(key, args, kwargs)

    def convert_field(self, value: Any, conversion: str | None) -> Any:
        if isinstance(value, Phrase):
            value = value.render(self.lang)
        return super().convert_field(value, conversion)

    def format_field(self, value: Any, format_spec: str) -> str:
        lang = self.lang
        if isinstance(value, _Missing):
            return MISSING.format(value.name)
        if isinstance(value, Phrase):
            return value.render(lang)
        if format_spec == "date":
            return _date(value, lang)
        if format_spec.startswith("@"):
            return text(f"{format_spec[1:]}.{value}", lang, default=str(value))
        if isinstance(value, list | tuple | set | frozenset):
            items = [self.format_field(v, format_spec) for v in value]
            # Vietnamese decimals carry a comma ("1,5"): such items are set apart by "; ".
            return ("; " if any("," in item for item in items) else ", ").join(items)
        if isinstance(value, bool):
            return text("yes" if value else "no", lang)
        if isinstance(value, float) and not format_spec:
            if math.isnan(value):
                return text("not_available", lang)
            format_spec = ".10g"  # no float noise such as 6.650700000000001
        formatted = format(value, format_spec)
        if lang == "vi" and isinstance(value, int | float):
            formatted = _vi_number(formatted)
        return formatted


@dataclass(frozen=True)
class _Missing:
    name: str


def fill(template: str, values: Mapping[str, Any], lang: str) -> str:
    """A template with its values, localised for ``lang``."""
    return _Localised(lang if lang in LANGS else "en").vformat(template, (), values)


def text(key: str, lang: str, default: str | None = None, **values: Any) -> str:
    """The text entry ``key`` in ``lang`` (with ``values`` filled in); ``default`` or the key
    itself where there is no such entry."""
    pair = texts().get(key)
    if pair is None:
        return key if default is None else default
    chosen = pair["en"] if lang == "en" else pair["vi"]
    return fill(chosen, values, lang) if values else chosen


def render(code: str, values: Mapping[str, Any], lang: str) -> tuple[str, str | None]:
    """The message and hint of ``code`` in ``lang``. An undeclared code (never on main: a test
    walks every raise site) is shown as the code and its values, so nothing is lost."""
    found = declaration(code)
    lang = lang if lang in LANGS else "en"
    if found is None:
        shown = ", ".join(f"{k}={v}" for k, v in values.items())
        return (f"{code}: {shown}" if shown else code), None
    message = fill(found.message[lang], values, lang)
    hint = fill(found.hint[lang], values, lang) if found.hint else None
    return message, hint


def render_short(code: str, lang: str) -> str:
    """The short label of a problem code (a form field shows it beside the field)."""
    found = declaration(code)
    if found is None:
        return code
    if found.short is None:
        return fill(found.message["en" if lang == "en" else "vi"], {}, lang)
    return found.short["en"] if lang == "en" else found.short["vi"]
