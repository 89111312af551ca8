"""Small survey files for the ingest tests: generated responses written as clerks and tools do."""

from __future__ import annotations

from datetime import date
from functools import cache
from pathlib import Path

import pandas as pd

from sipas.frameworks import load_builtin, require_survey
from sipas.frameworks.model import SurveyFramework
from sipas.geo.units import province
from sipas.synthetic.survey import SyntheticDesign, synthetic_province_survey

PERIOD_2024 = (date(2024, 8, 1), date(2024, 10, 15))


def gen2() -> SurveyFramework:
    return require_survey(load_builtin("sipas-gen2"))


@cache
def _responses(rows_per_province: int, codes: tuple[str, ...]) -> pd.DataFrame:
    design = SyntheticDesign(respondents_per_province=rows_per_province, communes_per_province=2,
                             villages_per_commune=2)  # fmt: skip
    parts = [
        synthetic_province_survey(gen2(), province(code, date(2024, 8, 1)), 2024, design, 7)
        for code in codes
    ]
    return pd.concat(parts, ignore_index=True)


def responses(rows_per_province: int = 20, codes: tuple[str, ...] = ("01", "79")) -> pd.DataFrame:
    """Valid generated responses for 2024 (a copy: tests may spoil it)."""
    return _responses(rows_per_province, codes).copy()


def write_csv(frame: pd.DataFrame, path: Path, **options: object) -> Path:
    frame.to_csv(path, index=False, **options)  # type: ignore[call-overload]
    return path


_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}


def cp1258(text: str) -> bytes:
    """Text as Windows-1258 stores it: letters with hats and breves whole, tone marks separate."""
    import unicodedata

    out = bytearray()
    for char in text:
        parts = unicodedata.normalize("NFD", char)
        tones = "".join(p for p in parts if p in _TONES)
        base = unicodedata.normalize("NFC", "".join(p for p in parts if p not in _TONES))
        out += (base + tones).encode("cp1258")
    return bytes(out)
