"""Provinces of Viet Nam with their validity dates, and the 2025 crosswalk.

Codes are not identities: on 2025-07-01 the 63 provinces became 34, and a new province took the
code of the former province hosting its centre, so codes 15, 24, 44, 52, 80, 82 and 91 name a
different territory before and after that day. A province here is therefore identified by its
code *and* its validity period, and every look-up takes a date.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from importlib import resources

from sipas.errors import SipasError
from sipas.messages import Phrase

REFORM_DAY = date(2025, 7, 1)  # NQ 202/2025/QH15 takes effect
LAST_DAY_OF_63 = date(2025, 6, 30)
FIRST_DAY_OF_63 = date(2008, 8, 1)  # Hà Tây joined Hà Nội; the 63-province set begins


@dataclass(frozen=True)
class Province:
    code: str
    name: str
    kind: str  # "tỉnh" or "thành phố" (centrally-run city), as on valid_from
    region: str
    valid_from: date
    valid_to: date | None  # inclusive; None = still valid
    successor: str | None = None  # 63-era: code of the 34-era province it became part of
    formed_from: tuple[str, ...] = ()  # 34-era: codes of the 63-era provinces it was formed from
    centre_in_former: str | None = None
    population: int | None = None
    area_km2: float | None = None
    kind_changes: tuple[tuple[date, str], ...] = field(default=(), compare=False)

    @property
    def key(self) -> str:
        """A unique identity: the code with the first day of validity."""
        return f"{self.code}@{self.valid_from.isoformat()}"

    @property
    def geography(self) -> str:
        return "63" if self.valid_from < REFORM_DAY else "34"

    def valid_on(self, day: date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)

    def kind_on(self, day: date) -> str:
        kind = self.kind
        for changed_on, new_kind in sorted(self.kind_changes):
            if changed_on <= day:
                kind = new_kind
        return kind

    def label(self) -> str:
        return f"{self.code} {self.name}"

    def period(self) -> str:
        end = self.valid_to.isoformat() if self.valid_to else "…"
        return f"{self.valid_from.isoformat()}–{end}"


def _rows(filename: str) -> list[dict[str, str]]:
    text = resources.files("sipas.geo").joinpath("data", filename).read_text(encoding="utf-8")
    return list(csv.DictReader(text.splitlines()))


@cache
def all_provinces() -> tuple[Province, ...]:
    """Every province of both geographies, the 63 first, in code order."""
    old = [
        Province(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            region=row["region"],
            valid_from=FIRST_DAY_OF_63,
            valid_to=LAST_DAY_OF_63,
            successor=row["merged_into_2025"],
        )
        for row in _rows("provinces_63.csv")
    ]
    region_of_old = {p.code: p.region for p in old}
    changes: dict[tuple[str, str], list[tuple[date, str]]] = {}
    for row in _rows("kind_changes.csv"):
        key = (row["code"], row["unit_valid_from"])
        changes.setdefault(key, []).append((date.fromisoformat(row["changed_on"]), row["kind"]))
    new = [
        Province(
            code=row["code"],
            name=row["name"],
            kind=row["kind"],
            # Derived: the region of the former province hosting the centre (see data/SOURCES.md).
            region=region_of_old[row["centre_in_former"]],
            valid_from=date.fromisoformat(row["valid_from"]),
            valid_to=None,
            formed_from=tuple(row["formed_from"].split("+")),
            centre_in_former=row["centre_in_former"],
            population=int(row["population"]),
            area_km2=float(row["area_km2"]),
            kind_changes=tuple(changes.get((row["code"], row["valid_from"]), [])),
        )
        for row in _rows("provinces_34.csv")
    ]
    return tuple(sorted(old, key=lambda p: p.code) + sorted(new, key=lambda p: p.code))


def provinces_on(day: date) -> list[Province]:
    """The provinces valid on a day, in code order."""
    found = [p for p in all_provinces() if p.valid_on(day)]
    if not found:
        raise SipasError("geo.no_geography", date=day, first=FIRST_DAY_OF_63)
    return found


def geography_on(day: date) -> str:
    """'63' or '34': which provincial geography is in force on a day."""
    return provinces_on(day)[0].geography


def province(code: str, on: date) -> Province:
    """The province a code names on a day; a clear error where the code is not valid then."""
    code = code.strip().zfill(2)
    provinces_on(on)  # a date outside every recorded geography is its own error
    for candidate in all_provinces():
        if candidate.code == code and candidate.valid_on(on):
            return candidate
    other = [p for p in all_provinces() if p.code == code]
    if not other:
        raise SipasError("geo.unknown_code", code=code)
    described = "; ".join(f"{p.label()} ({p.period()})" for p in other)
    advice = Phrase("geo.advice.date_inside")
    if other[0].successor and on > LAST_DAY_OF_63:
        successor = province(other[0].successor, on)
        advice = Phrase("geo.advice.merged_on", date=on, successor=successor.label())
    raise SipasError(
        "geo.code_not_valid_on_date", code=code, date=on, described=described, advice=advice
    )


def by_key(key: str) -> Province:
    for candidate in all_provinces():
        if candidate.key == key:
            return candidate
    raise SipasError("geo.unknown_key", key=key)


def successor_of(old: Province) -> Province:
    """The 34-era province a 63-era province became part of."""
    if old.successor is None:
        raise SipasError("geo.no_successor", province=old.label(), period=old.period())
    return province(old.successor, REFORM_DAY)


def members_of(new: Province) -> list[Province]:
    """The 63-era provinces a 34-era province was formed from (the crosswalk, read backwards)."""
    return [province(code, LAST_DAY_OF_63) for code in new.formed_from]


def partners_of(old: Province) -> list[Province]:
    """The other 63-era provinces that formed the same 34-era province as ``old`` (its merger
    partners); none for a province that became a 2025 province alone."""
    return [p for p in members_of(successor_of(old)) if p.code != old.code]


def crosswalk() -> list[tuple[Province, Province]]:
    """Each of the 63 provinces paired with the 34-era province it became part of."""
    return [(old, successor_of(old)) for old in provinces_on(LAST_DAY_OF_63)]
