"""The units a published result may name: a province valid on the year's date, a ministry or
ministerial agency that the PAR INDEX ranks (``data/ministries.csv``), or an aggregate."""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from datetime import date
from importlib import resources

from sipas.errors import SipasError
from sipas.geo import match_province, province
from sipas.published.model import AGGREGATES, NATIONAL, year_day
from sipas.text import compact_key

# What people write for the aggregates in a table or a long CSV.
_AGGREGATE_NAMES = {
    compact_key(n): NATIONAL
    for n in (
        "national",
        "toàn quốc",
        "cả nước",
        "trung bình",
        "trung bình cả nước",
        "giá trị trung bình",
        "bình quân",
        "bình quân chung",
        "VN",
    )
}
_AGGREGATE_NAMES[compact_key("ministries")] = "ministries"
_AGGREGATE_NAMES[compact_key("các bộ")] = "ministries"


@dataclass(frozen=True)
class Ministry:
    code: str
    name: str
    kind: str  # ministry | ministerial_agency
    valid_from: date
    valid_to: date | None
    aliases: tuple[str, ...]
    source: str

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


@functools.cache
def ministries() -> tuple[Ministry, ...]:
    text = resources.files("sipas.published").joinpath("data/ministries.csv").read_text("utf-8")
    found = []
    for row in csv.DictReader(text.splitlines()):
        found.append(
            Ministry(
                code=row["code"],
                name=row["name"],
                kind=row["kind"],
                valid_from=date.fromisoformat(row["valid_from"]),
                valid_to=date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
                aliases=tuple(a for a in row["aliases"].split(";") if a),
                source=row["source"],
            )
        )
    return tuple(found)


def ministries_on(day: date) -> list[Ministry]:
    return [m for m in ministries() if m.valid_on(day)]


def _ministry(text: str, day: date) -> Ministry | None:
    key = compact_key(text)
    for m in ministries_on(day):
        names = {m.code, m.name, *m.aliases}
        if key in {compact_key(n) for n in names}:
            return m
    return None


def resolve_unit(text: str, year: int) -> str:
    """The unit code a cell names on the year's date: a province code or name, a ministry code
    or name, or an aggregate. Raises SipasError("published.no_such_unit") otherwise."""
    cleaned = text.strip()
    day = year_day(year)
    if cleaned in AGGREGATES:
        return cleaned
    if compact_key(cleaned) in _AGGREGATE_NAMES:
        return _AGGREGATE_NAMES[compact_key(cleaned)]
    found = _ministry(cleaned, day)
    if found is not None:
        return found.code
    try:
        if cleaned.isdigit():
            return province(cleaned.zfill(2), day).code
        return match_province(cleaned, day).code
    except SipasError:
        raise SipasError("published.no_such_unit", unit=cleaned, year=year) from None


def unit_name(code: str, year: int) -> str:
    """The name of a unit on the year's date (the code itself when unknown)."""
    day = year_day(year)
    if code in AGGREGATES:
        return code
    if code.isdigit():
        try:
            return province(code, day).name
        except SipasError:
            return code
    for m in ministries():
        if m.code == code:
            return m.name
    return code
