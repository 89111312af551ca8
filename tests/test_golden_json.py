"""What `--format json` prints, pinned by golden files in `tests/golden/`, so that a change to the
JSON people and scripts read shows in review.

A deliberate change: `SIPAS_UPDATE_GOLDEN=1 ./scripts/test tests/test_golden_json.py`, then read the
diff of `tests/golden/` before committing it. Numbers are compared to 1e-9 (relative), everything
else exactly.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from sipas.frameworks import load_builtin, require_survey
from sipas.synthetic import synthetic_survey

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("SIPAS_UPDATE_GOLDEN") == "1"


def _responses(folder: Path) -> str:
    """A small synthetic survey, the same on every machine (fixed seed)."""
    framework = require_survey(load_builtin("sipas-gen2"))
    path = folder / "responses.csv"
    synthetic_survey(framework, 2024, provinces=["01", "19", "79"], seed=11).to_csv(
        path, index=False
    )
    return (
        path.name
    )  # the tests run in their folder: the path the JSON names is the same everywhere


def _populations(folder: Path) -> str:
    path = folder / "populations.csv"
    path.write_text("province,population\n01,8400000\n19,1300000\n79,9400000\n", encoding="utf-8")
    return path.name


DESIGN = ("--weight", "weight", "--psu", "village", "--strata", "stratum")
REPLICATES = ("--replicates", "40", "--seed", "3", "--quiet")

# name → the command's arguments (given a scratch folder).
CASES: dict[str, Callable[[Path], list[str]]] = {
    "frameworks_list": lambda _: ["frameworks", "list"],
    "frameworks_show_par_2017": lambda _: ["frameworks", "show", "par-province-2017"],
    "geo_list_2025": lambda _: ["geo", "list", "--on", "2025-07-01"],
    "geo_crosswalk": lambda _: ["geo", "crosswalk"],
    "geo_match": lambda _: ["geo", "match", "TP.HCM", "--on", "2024-01-01"],
    "sample_size": lambda _: ["sample", "size", "--margin", "3", "--deff", "1.8"],
    "sample_allocation": lambda folder: [
        "sample", "size", "--margin", "3", "--total", "3000",
        "--populations", _populations(folder), "--allocation", "sqrt", "--minimum", "500",
    ],
    "estimate": lambda folder: ["estimate", _responses(folder), *DESIGN, *REPLICATES],
    "estimate_ranks": lambda folder: [
        "estimate", _responses(folder), *DESIGN, *REPLICATES, "--show", "ranks",
    ],
    "estimate_diagnosis": lambda folder: [
        "estimate", _responses(folder), *DESIGN, *REPLICATES, "--show", "diagnosis",
        "--cell", "19",
    ],
}  # fmt: skip


def _same(expected: Any, found: Any, where: str = "$") -> list[str]:
    """Every difference between two JSON values, by path; numbers to 1e-9 relative."""
    if isinstance(expected, dict) and isinstance(found, dict):
        problems = [f"{where}.{k}: missing" for k in expected if k not in found]
        problems += [f"{where}.{k}: new" for k in found if k not in expected]
        for key in expected.keys() & found.keys():
            problems += _same(expected[key], found[key], f"{where}.{key}")
        return problems
    if isinstance(expected, list) and isinstance(found, list):
        if len(expected) != len(found):
            return [f"{where}: {len(expected)} items, now {len(found)}"]
        return [
            p
            for i, pair in enumerate(zip(expected, found, strict=True))
            for p in _same(*pair, f"{where}[{i}]")
        ]
    numbers = (int, float)
    if (
        isinstance(expected, numbers)
        and isinstance(found, numbers)
        and not isinstance(expected, bool)
        and not isinstance(found, bool)
    ):
        if math.isclose(expected, found, rel_tol=1e-9, abs_tol=1e-12):
            return []
        return [f"{where}: {expected!r} → {found!r}"]
    return [] if expected == found else [f"{where}: {expected!r} → {found!r}"]


@pytest.mark.parametrize("name", sorted(CASES))
def test_json_output_matches_its_golden_file(name: str, run_cli: Any, tmp_path: Path) -> None:
    args = CASES[name](tmp_path)
    result = run_cli("--lang", "en", *args, "--format", "json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.stdout)
    golden = GOLDEN / f"{name}.json"
    if UPDATE or not golden.exists():
        golden.write_text(json.dumps(found, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        if not UPDATE:
            pytest.fail(f"{golden.name} did not exist: written now, check it and commit it")
        return
    expected = json.loads(golden.read_text(encoding="utf-8"))
    differences = _same(expected, found)
    assert differences == [], (
        f"`sipas {' '.join(args)} --format json` no longer matches tests/golden/{name}.json "
        f"(if the change is meant, SIPAS_UPDATE_GOLDEN=1): " + "; ".join(differences[:20])
    )


def test_the_comparison_catches_a_change() -> None:
    assert _same({"a": [1.0, "x"]}, {"a": [1.0, "x"]}) == []
    assert _same({"a": 1.0}, {"a": 1.0 + 1e-12}) == []
    assert _same({"a": 1.0}, {"a": 1.001}) == ["$.a: 1.0 → 1.001"]
    assert _same({"a": 1}, {"b": 1}) == ["$.a: missing", "$.b: new"]
    assert _same([1, 2], [1]) == ["$: 2 items, now 1"]
