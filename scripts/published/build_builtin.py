"""Build src/sipas/published/data/published.csv from the collected public figures.

Inputs (one folder, default ../shared/published): national.csv, provincial.csv and
reported_2012_2024.csv. Rows that agree (every figure both give is equal) are merged into one;
rows that disagree are all kept, each labelled with its own report ("a", "b", …). Changes and
rank changes that a source states only in words (its note) are written out below, each with the
words it comes from. Regional means are not shipped (no unit code for a region yet).

    PYTHONPATH=src python scripts/published/build_builtin.py [FOLDER]
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

from sipas.errors import SipasError
from sipas.published.units import resolve_unit

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "src" / "sipas" / "published" / "data" / "published.csv"
COLUMNS = [
    "index",
    "year",
    "unit",
    "node",
    "value",
    "rank",
    "group",
    "change",
    "rank_change",
    "source",
    "note",
    "report",
]

# (index, year, unit code) → (change, rank change) that a source states in its note.
STATED = {
    ("par", 2024, "31"): (4.30, None),  # "+4.30 on 2023"
    ("par", 2024, "19"): (None, 1),  # "up 1 rank on 2023"
    ("par", 2024, "01"): (1.32, None),  # "+1.32 vs 2023"
    ("sipas", 2024, "01"): (2.93, 10),  # "+2.93 vs 2023; up 10 places"
    ("sipas", 2024, "86"): (1.64, None),  # "+1.64 vs 2023"
    ("par", 2023, "36"): (2.46, 5),  # "+2.46 vs 2022, +5 places"
    ("sipas", 2023, "31"): (4.21, None),  # "+4.21 vs 2022"
    ("sipas", 2023, "64"): (None, -3),  # "-3 places vs 2022"
    ("par", 2022, "75"): (None, 4),  # "+4 places vs 2021"
    ("par", 2022, "15"): (None, 7),  # "+7 places"
    ("par", 2021, "42"): (3.3, 8),  # "+3.3 pts, +8 places"
    ("par", 2021, "08"): (2.76, 1),  # "+2.76, +1 place"
    ("par", 2021, "77"): (1.59, -7),  # "+1.59, -7 places vs 2020"
    ("par", 2019, "72"): (None, 4),  # "+4 places"
    ("par", 2019, "22"): (1.03, None),  # 2018 "derived 90.09-1.03"
    ("par", 2024, "national"): (1.39, None),
    ("par", 2023, "national"): (2.19, None),
    ("sipas", 2024, "national"): (1.28, None),
    ("sipas", 2023, "national"): (2.58, None),
    ("par", 2013, "ministries"): (1.87, None),
}


# Reports that disagree with a kept figure, as the sources' own notes state them.
CONFLICTING = [
    {
        "index": "sipas",
        "year": "2024",
        "unit": "31",
        "node": "",
        "value": "90.59",
        "rank": "1",
        "change": "",
        "source": "https://kinhtemoitruong.vn/thai-nguyen-dung-thu-2-toan-quoc-ve-chi-so-sipas-97711.html",
        "note": "value reported as 91.10 by one source and 90.59 by another",
    },
    {
        "index": "par",
        "year": "2023",
        "unit": "31",
        "node": "",
        "value": "91.81",
        "rank": "2",
        "change": "",
        "source": "https://en.doanhnghiephoinhap.vn/hai-phong-ranks-2nd-out-of-63-provinces-and-cities-in-the-par-index-with-91-81.html",
        "note": "conflicts with 91.87 (en.baochinhphu.vn)",
    },
]


def _num(text: str) -> str:
    return text.strip()


def _rows(folder: Path) -> list[dict[str, str]]:
    found: list[dict[str, str]] = []
    with (folder / "national.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            index, _, node = row["index"].partition(".")
            found.append(
                {
                    "index": index.lower(),
                    "year": row["year"],
                    "unit": "national",
                    "node": node,
                    "value": _num(row["value"]),
                    "rank": "",
                    "change": _num(row["change"]),
                    "source": row["source"] or "derived (see note)",
                    "note": row["note"],
                }
            )
    with (folder / "provincial.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            found.append(
                {
                    "index": row["index"].lower(),
                    "year": row["year"],
                    "unit": row["province_code"],
                    "node": "",
                    "value": _num(row["value"]),
                    "rank": row["rank"],
                    "change": "",
                    "source": row["source"],
                    "note": row["note"],
                }
            )
    group_notes: dict[tuple[str, str], str] = {}
    with (folder / "reported_2012_2024.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            kind, entity = row["entity_type"], row["entity"]
            if kind == "region":
                continue
            if entity.startswith("Group A count"):
                group_notes[(row["index"].lower(), row["year"])] = (
                    f"group A: {row['value']} provinces ({row['source_url']}); {row['note']}"
                )
                continue
            if entity.startswith("National mean"):
                unit = "national"
            elif entity.startswith("Ministries mean"):
                unit = "ministries"
            else:
                unit = entity
            found.append(
                {
                    "index": row["index"].lower(),
                    "year": row["year"],
                    "unit": unit,
                    "node": "",
                    "value": _num(row["value"]),
                    "rank": row["rank"],
                    "change": "",
                    "source": row["source_url"],
                    "note": row["note"],
                }
            )
    found.extend(dict(row) for row in CONFLICTING)
    for row in found:
        year = int(row["year"])
        try:
            row["unit"] = resolve_unit(row["unit"], year)
        except SipasError as exc:
            raise SystemExit(f"cannot resolve {row['unit']!r} in {year}: {exc}") from None
        note = group_notes.pop((row["index"], row["year"]), None)
        if note and row["unit"] == "national" and not row["node"]:
            row["note"] = "; ".join(n for n in (row["note"], note) if n)
    return found


def _same(a: dict[str, str], b: dict[str, str]) -> bool:
    for name in ("value", "rank", "change"):
        x, y = a.get(name, ""), b.get(name, "")
        if x and y and float(x) != float(y):
            return False
    return True


def build(folder: Path) -> list[dict[str, str]]:
    merged: dict[tuple[str, str, str, str], list[dict[str, str]]] = {}
    for row in _rows(folder):
        reports = merged.setdefault((row["index"], row["year"], row["unit"], row["node"]), [])
        for kept in reports:
            if _same(kept, row):
                richer = sum(bool(row[n]) for n in ("value", "rank")) > sum(
                    bool(kept[n]) for n in ("value", "rank")
                )
                first, second = (row, kept) if richer else (kept, row)
                for name in ("value", "rank", "change"):
                    first[name] = first[name] or second[name]
                notes = [first["note"], second["note"]]
                if second["source"] != first["source"]:
                    notes.append(f"also reported by {second['source']}")
                first["note"] = "; ".join(dict.fromkeys(n for n in notes if n))
                reports[reports.index(kept)] = first
                break
        else:
            reports.append(row)
    out = []
    for (index, year, unit, node), reports in sorted(
        merged.items(),
        key=lambda kv: (
            kv[0][0],
            -int(kv[0][1]),
            kv[0][2] not in ("national", "ministries"),
            kv[0][2],
            kv[0][3],
        ),
    ):
        for n, row in enumerate(reports):
            change, moved = (
                STATED.get((index, int(year), unit), (None, None)) if not node else (None, None)
            )
            out.append(
                {
                    "index": index,
                    "year": year,
                    "unit": unit,
                    "node": node,
                    "value": row["value"],
                    "rank": row["rank"],
                    "group": "",
                    "change": row["change"] or ("" if change is None else f"{change:.2f}"),
                    "rank_change": "" if moved is None else str(moved),
                    "source": row["source"],
                    "note": row["note"],
                    "report": "" if len(reports) == 1 else "abcdefgh"[n],
                }
            )
    return out


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT.parent.parent / "shared" / "published"
    if not folder.exists():
        folder = Path("/work/shared/published")
    rows = build(folder)
    with OUT.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} figures written to {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
