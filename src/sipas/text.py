"""Vietnamese text helpers shared by every layer: NFC, and folding for tolerant matching."""

from __future__ import annotations

import re
import unicodedata

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
