"""PAR INDEX at the scale of a province's every commune, through the real api and database.

A campaign of 3,400 units × 90 leaves goes through a whole round: self-assessment import
(306,000 scores, each checked and audited), lock, appraisal of one leaf in ten with reasons,
finalisation (306,000 final scores and their audit rows) and results recomputed from the
database. The target is the computation — finalisation plus results — in under 5 s; every step
is timed and reported, on SQLite (the default) and on PostgreSQL when a server is reachable.

    .venv/bin/python benchmarks/par.py                  # writes benchmarks/results/par.{json,md}
    .venv/bin/python benchmarks/par.py --units 340      # a quicker run
    .venv/bin/python benchmarks/par.py --postgres none  # SQLite only
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import sqlalchemy as sa

from sipas.api import par
from sipas.frameworks.loader import dump_framework_yaml
from sipas.par import compute, points_from_value
from sipas.store import open_database
from sipas.synthetic.par import synthetic_framework

RESULTS = Path(__file__).resolve().parent / "results"
ADMIN = par.Actor("benchmark", "admin")
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _timed(steps: dict[str, float], name: str, call: Callable[[], Any]) -> Any:
    start = time.perf_counter()
    result = call()
    steps[name] = time.perf_counter() - start
    print(f"  {name}: {steps[name]:.2f} s", file=sys.stderr)
    return result


def _self_entries(framework: Any, units: list[str], seed: int) -> list[dict[str, Any]]:
    rng = np.random.default_rng(seed)
    rates = {
        "tiers": lambda: float(rng.uniform(60, 100)),
        "binary": lambda: bool(rng.random() < 0.9),
    }
    entries = []
    for unit in units:
        for leaf in framework.leaves():
            kind = leaf.rubric.kind if leaf.rubric else "points"
            if kind == "timeliness":
                value: Any = str(rng.choice(["on_time", "on_time", "late", "missing"]))
            elif kind in rates:
                value = rates[kind]()
            else:
                value = None
            entry: dict[str, Any] = {"unit": unit, "node": leaf.code, "note": "báo cáo"}
            if value is None:
                entry["points"] = round(float(leaf.max_points) * float(rng.uniform(0.6, 1)), 2)
            else:
                entry["value"] = value
            entries.append(entry)
    return entries


def run_round(url: str, units_count: int, leaves: int, seed: int) -> dict[str, Any]:
    framework = synthetic_framework(leaves)
    steps: dict[str, float] = {}
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "framework.yaml"
        path.write_text(dump_framework_yaml(framework), encoding="utf-8")
        db = open_database(url)
        db.upgrade()
        units = [
            {"unit_code": f"X{i:05d}", "name": f"Xã {i}", "kind": "commune", "province_code": "01"}
            for i in range(units_count)
        ]
        codes = [u["unit_code"] for u in units]
        _timed(
            steps,
            "create campaign",
            lambda: par.create_campaign(
                db, ADMIN, code="bench", framework=str(path), year=2025, units=units, replace=True
            ),
        )
        entries = _self_entries(framework, codes, seed)
        _timed(
            steps,
            "import self-assessment",
            lambda: par.write_scores(db, ADMIN, "bench", "self", entries),
        )
        _timed(
            steps,
            "lock (advance to appraisal1)",
            lambda: par.advance(db, ADMIN, "bench", "appraisal1"),
        )
        leaves_by_code = {leaf.code: leaf for leaf in framework.leaves()}
        appraised = [
            {"unit": e["unit"], "node": e["node"], "points": 0.0, "reason": "không có minh chứng"}
            for e in entries[::10]
        ]
        _timed(
            steps,
            "appraisal1 (1 leaf in 10, with reasons)",
            lambda: par.write_scores(db, ADMIN, "bench", "appraisal1", appraised),
        )
        par.advance(db, ADMIN, "bench", "explanation")
        par.advance(db, ADMIN, "bench", "appraisal2")
        _timed(
            steps,
            "finalise (final scores + audit)",
            lambda: par.advance(db, ADMIN, "bench", "final"),
        )
        shown = _timed(steps, "results from the database", lambda: par.results(db, "bench"))
        with db.begin() as connection:
            audit_rows = connection.execute(sa.text("SELECT count(*) FROM audit_log")).scalar()
        db.close()
        # The engine alone, on the same scores held in memory.
        frame = pd.DataFrame(
            {
                "unit_code": [e["unit"] for e in entries],
                "node_code": [e["node"] for e in entries],
                "points": [
                    points_from_value(leaves_by_code[e["node"]], e["value"], "")
                    if "value" in e
                    else e["points"]
                    for e in entries
                ],
            }
        )
        _timed(steps, "engine only (in memory)", lambda: compute(framework, codes, frame))
    computation = steps["finalise (final scores + audit)"] + steps["results from the database"]
    return {
        "database": url.split(":")[0].split("+")[0],
        "units": units_count,
        "leaves": len(framework.leaves()),
        "scores": len(entries),
        "audit_rows": int(audit_rows or 0),
        "national_mean": shown["national"]["mean_index"],
        "steps_s": {k: round(v, 3) for k, v in steps.items()},
        "computation_s": round(computation, 3),
        "target_s": 5.0,
        "peak_rss_mib": round(_peak_mib(), 1),
    }


def _postgres_database(base: str) -> tuple[str, Callable[[], None]] | None:
    try:
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            name = f"sipas_bench_{uuid.uuid4().hex[:8]}"
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server, no driver: report and go on with SQLite
        print(
            f"PostgreSQL not reachable at {base} ({type(exc).__name__}); skipped", file=sys.stderr
        )
        return None
    url = sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False)

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return url, drop


def _markdown(runs: list[dict[str, Any]]) -> str:
    first = runs[0]
    lines = [
        "# PAR INDEX benchmark",
        "",
        f"A whole round of {first['units']:,} units × {first['leaves']} leaves "
        f"({first['scores']:,} scores) through the api; machine: {platform.machine()}, "
        f"Python {platform.python_version()}. Command: `.venv/bin/python benchmarks/par.py`.",
        "",
        "| step | " + " | ".join(r["database"] for r in runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    for step in first["steps_s"]:
        lines.append(
            f"| {step} | " + " | ".join(f"{r['steps_s'][step]:.2f} s" for r in runs) + " |"
        )
    lines.append(
        "| **computation (finalise + results)** | "
        + " | ".join(f"**{r['computation_s']:.2f} s** (target < 5 s)" for r in runs)
        + " |"
    )
    lines.append(
        "| audit rows written | " + " | ".join(f"{r['audit_rows']:,}" for r in runs) + " |"
    )
    lines.append(
        "| peak memory (RSS) | " + " | ".join(f"{r['peak_rss_mib']:.0f} MiB" for r in runs) + " |"
    )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=3400)
    parser.add_argument("--leaves", type=int, default=90)
    parser.add_argument("--seed", type=int, default=20241)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL, or 'none'")
    args = parser.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        print("SQLite", file=sys.stderr)
        runs.append(run_round(f"sqlite:///{folder}/bench.db", args.units, args.leaves, args.seed))
    if args.postgres != "none":
        found = _postgres_database(args.postgres)
        if found is not None:
            url, drop = found
            try:
                print("PostgreSQL", file=sys.stderr)
                runs.append(run_round(url, args.units, args.leaves, args.seed))
            finally:
                drop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "par.json").write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "par.md").write_text(_markdown(runs), encoding="utf-8")
    print(_markdown(runs))


if __name__ == "__main__":
    main()
