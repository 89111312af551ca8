"""Text helpers shared by every layer: NFC, folding for tolerant matching, formula escaping."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

_SEPARATORS = re.compile(r"[\s\-‐‑‒–—―−_.,;:/\\()'\"’`]+")


def nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Lower case without diacritics ("Đắk Lắk" → "dak lak"), for matching what people type."""
    text = nfc(text).casefold().replace("đ", "d")
    decomposed = unicodedata.normalize("NFD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def fold_words(text: str) -> list[str]:
    """Folded words, split on spaces, dashes of every kind and punctuation."""
    return [w for w in _SEPARATORS.split(fold(text)) if w]


def compact_key(text: str) -> str:
    """Folded words run together: "Tự đánh giá" and "tu-danh giá" both give "tudanhgia"."""
    return "".join(fold_words(text))


# A cell starting with one of these is run as a formula by spreadsheet programs.
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """Neutralise spreadsheet formulas in text written to CSV or XLSX (numbers are left alone)."""
    if isinstance(value, str) and value.startswith(_FORMULA_PREFIXES):
        return "'" + value
    return value


def two_lines(name: str, newline: str = "\n") -> str:
    """A long name on two lines, split at the space nearest its middle (for a map's tile)."""
    if len(name) <= 9 or " " not in name:
        return name
    spaces = [i for i, ch in enumerate(name) if ch == " "]
    cut = min(spaces, key=lambda i: abs(i - len(name) / 2))
    return name[:cut] + newline + name[cut + 1 :]


def safe_name(name: str) -> str:
    """A file name (or any user-given name) as it may be shown: control characters, bidirectional
    overrides and other invisible format characters written as ``\\u202e`` escapes, so that
    "invoice\\u202excsl.exe" cannot pose as something else in a terminal, a page or a report."""
    import unicodedata

    if name.isascii() and name.isprintable():
        return name
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
        for c in name
    )
