"""Administrative geography: provinces on a date, the 2025 crosswalk, name matching."""

from __future__ import annotations

from datetime import date
from typing import TypedDict

from sipas import geo


class ProvinceRow(TypedDict):
    """A province as listed: its code and name, and what it was on the date asked about."""

    code: str
    name: str
    kind: str
    region: str
    valid_from: str
    valid_to: str | None
    key: str


class SuccessorRow(TypedDict):
    """One new (2025) province and the former provinces it was formed from."""

    new_code: str
    new_name: str
    formed_from: str
    former_names: str
    centre_in_former: str | None


class PredecessorRow(TypedDict):
    """One former province and the new (2025) province it became part of."""

    old_code: str
    old_name: str
    new_code: str
    new_name: str
    code_changed: bool


def _row(p: geo.Province, on: date) -> ProvinceRow:
    return {
        "code": p.code,
        "name": p.name,
        "kind": p.kind_on(on),
        "region": p.region,
        "valid_from": p.valid_from.isoformat(),
        "valid_to": p.valid_to.isoformat() if p.valid_to else None,
        "key": p.key,
    }


def list_provinces(on: date) -> list[ProvinceRow]:
    return [_row(p, on) for p in geo.provinces_on(on)]


def crosswalk(direction: str = "old-to-new") -> list[SuccessorRow] | list[PredecessorRow]:
    """63 → 34 (one row per former province) or 34 → 63 (one row per new province)."""
    if direction == "new-to-old":
        return [
            SuccessorRow(
                new_code=p.code,
                new_name=p.name,
                formed_from="+".join(p.formed_from),
                former_names=", ".join(m.name for m in geo.members_of(p)),
                centre_in_former=p.centre_in_former,
            )
            for p in geo.provinces_on(geo.REFORM_DAY)
        ]
    return [
        PredecessorRow(
            old_code=old.code,
            old_name=old.name,
            new_code=new.code,
            new_name=new.name,
            code_changed=old.code != new.code,
        )
        for old, new in geo.crosswalk()
    ]


def match_name(name: str, on: date) -> ProvinceRow:
    return _row(geo.match_province(name, on), on)
