"""Administrative geography: provinces on a date, the 2025 crosswalk, name matching."""

from __future__ import annotations

from datetime import date
from typing import Any

from sipas import geo


def _row(p: geo.Province, on: date) -> dict[str, Any]:
    return {
        "code": p.code,
        "name": p.name,
        "kind": p.kind_on(on),
        "region": p.region,
        "valid_from": p.valid_from.isoformat(),
        "valid_to": p.valid_to.isoformat() if p.valid_to else None,
        "key": p.key,
    }


def list_provinces(on: date) -> list[dict[str, Any]]:
    return [_row(p, on) for p in geo.provinces_on(on)]


def crosswalk(direction: str = "old-to-new") -> list[dict[str, Any]]:
    """63 → 34 (one row per former province) or 34 → 63 (one row per new province)."""
    if direction == "new-to-old":
        return [
            {
                "new_code": p.code,
                "new_name": p.name,
                "formed_from": "+".join(p.formed_from),
                "former_names": ", ".join(m.name for m in geo.members_of(p)),
                "centre_in_former": p.centre_in_former,
            }
            for p in geo.provinces_on(geo.REFORM_DAY)
        ]
    return [
        {
            "old_code": old.code,
            "old_name": old.name,
            "new_code": new.code,
            "new_name": new.name,
            "code_changed": old.code != new.code,
        }
        for old, new in geo.crosswalk()
    ]


def match_name(name: str, on: date) -> dict[str, Any]:
    return _row(geo.match_province(name, on), on)
