"""Numbers, dates and labels as a Vietnamese (or English) reader expects them.

Vietnamese writes a decimal comma and groups thousands with a dot (83,94%; 36.288 người);
dates are written "ngày 6 tháng 4 năm 2025". Every label a report shows is in the text catalogue (``messages/data/text/report.yaml``),
Vietnamese first, English second.
"""

from __future__ import annotations

import math
from datetime import date
from typing import Any

from sipas.text import nfc

LANGS = ("vi", "en")

_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def number(value: Any, lang: str = "vi", digits: int = 2, sign: bool = False) -> str:
    """83.9412 → "83,94" (vi) or "83.94" (en); blank for a missing value."""
    if not is_number(value):
        return "–"
    text = f"{value:+,.{digits}f}" if sign else f"{value:,.{digits}f}"
    text = text.replace("-", "−")  # a true minus sign, which does not break from its number
    if lang == "vi":
        text = text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")
    return text


def percent(value: Any, lang: str = "vi", digits: int = 2) -> str:
    return "–" if not is_number(value) else number(value, lang, digits) + "%"


def count(value: Any, lang: str = "vi") -> str:
    return number(value, lang, 0)


def interval(low: Any, high: Any, lang: str = "vi", digits: int = 2) -> str:
    if not (is_number(low) and is_number(high)):
        return "–"
    return f"{number(low, lang, digits)}–{number(high, lang, digits)}"


def rank_interval(low: Any, high: Any) -> str:
    if low is None or high is None:
        return "–"
    return str(int(low)) if low == high else f"{int(low)}–{int(high)}"


def long_date(day: date, lang: str = "vi") -> str:
    """6 April 2025 → "ngày 6 tháng 4 năm 2025" (vi) or "6 April 2025" (en)."""
    if lang == "vi":
        return f"ngày {day.day} tháng {day.month} năm {day.year}"
    return f"{day.day} {_MONTHS_EN[day.month - 1]} {day.year}"


def short_date(day: date, lang: str = "vi") -> str:
    return f"{day.day:02d}/{day.month:02d}/{day.year}" if lang == "vi" else day.isoformat()


def text(pair: Any, lang: str = "vi") -> str:
    """A {"vi": …, "en": …} pair (or plain text) in the wanted language, NFC."""
    if isinstance(pair, dict):
        return nfc(str(pair.get(lang) or pair.get("vi") or ""))
    return nfc(str(pair)) if pair is not None else ""


def label(key: str, lang: str = "vi", **values: Any) -> str:
    """A report label (``report.<key>`` in the text catalogue of :mod:`sipas.messages`)."""
    from sipas.messages import texts

    pair = texts().get(f"report.{key}")
    if pair is None:
        raise KeyError(key)  # a developer's mistake: every label is declared
    return nfc((pair["en"] if lang == "en" else pair["vi"]).format(**values))
