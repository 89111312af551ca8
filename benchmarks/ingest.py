"""Ingest benchmark: validating and importing a 1,000,000-row responses CSV, beside pandas.read_csv.

Usage: python benchmarks/ingest.py [--rows 1000000] [--data benchmarks/data] [--repeats 1]

Writes (once, deterministically) ``benchmarks/data/responses_<rows>.csv``: the synthetic national
survey (``sipas-gen2``, 2024, 63 provinces) with as many respondents per province as make up
``--rows`` — the columns of a responses file (design columns, profile, 30 assessment and
expectation answers, 33 satisfaction items), about 200 bytes a row. Then times, each in its own
process (so peak memory is that step's alone, read from ``getrusage``):

- ``pandas.read_csv``: ``pd.read_csv(path)`` with default options — the peer;
- ``sipas validate``: ``sipas.api.ingest.validate_file`` (decoding, column mapping, every check,
  duplicates by key and fingerprint, quality flags; the report);
- ``sipas import``: ``sipas.api.ingest.import_file`` into a new SQLite database: the same
  validation plus writing every accepted row (and the batch) in one transaction.

- ``start-up``: ``python -m sipas --help`` in a fresh process — what every command pays before
  it reads a byte, counted apart from the steps above (which time the work inside one process).

Each step also records its CPU seconds (user + system, every thread, and the worker processes
that check parts of the file): CPU / wall above 1 means both cores worked. Peak memory is the
step's process plus its largest worker times the number of workers (an upper bound: they need
not peak together). The machine is shared, so the load average (1 minute) before and after each
run is recorded; read the figures with it. ``--steps`` runs a subset (e.g. ``--steps "sipas
import"``); ``--cores 1`` pins each measured process to one core (sipas then checks every chunk
in its own process); ``--out NAME`` writes ``benchmarks/results/NAME.{json,md}``.

Each time is the median of ``--repeats`` runs. Results go to ``benchmarks/results/ingest.json`` and
``benchmarks/results/ingest.md`` with the ratio of each step to ``pandas.read_csv``. The targets:
import (and validate) in under 30 s and under 2 GiB peak memory, start-up apart.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
STEPS = ("pandas.read_csv", "sipas validate", "sipas import", "start-up")
TARGET_SECONDS = 30
GIB = 1024**3


def make_data(path: Path, rows: int) -> None:
    from sipas.frameworks import load_builtin, require_survey
    from sipas.synthetic.survey import SyntheticDesign, survey_provinces, synthetic_province_survey

    framework = require_survey(load_builtin("sipas-gen2"))
    provinces = survey_provinces(2024)
    per_province = -(-rows // len(provinces)) + 100  # a little more; the last is cut short
    design = SyntheticDesign(respondents_per_province=per_province, communes_per_province=10,
                             villages_per_commune=5)  # fmt: skip
    written = 0
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", encoding="utf-8", newline="") as handle:
        for p in provinces:
            frame = synthetic_province_survey(framework, p, 2024, design, seed=20241)
            frame = frame.head(rows - written)
            frame.to_csv(handle, index=False, header=written == 0)
            written += len(frame)
            if written >= rows:
                break
    tmp.rename(path)


def measure(step: str, path: Path, cores: int | None = None) -> dict[str, Any]:
    """One step in this process: seconds and peak resident memory."""
    if cores:
        os.sched_setaffinity(0, set(sorted(os.sched_getaffinity(0))[:cores]))
    start = time.perf_counter()
    cpu = _cpu()
    detail: dict[str, Any] = {}
    if step == "start-up":
        subprocess.run([sys.executable, "-m", "sipas", "--help"], check=True,
                       capture_output=True, cwd=ROOT)  # fmt: skip
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        seconds = time.perf_counter() - start
        return {"seconds": seconds, "cpu_seconds": children.ru_utime + children.ru_stime,
                "peak_bytes": children.ru_maxrss * 1024}  # fmt: skip
    if step == "pandas.read_csv":
        import pandas as pd

        frame = pd.read_csv(path)
        detail = {"rows": len(frame)}
    elif step == "sipas validate":
        from sipas.api.ingest import validate_file
        from sipas.synthetic.survey import fieldwork_window

        report = validate_file(path, "sipas-gen2", fieldwork_window(2024))
        detail = {k: report.summary()[k] for k in ("rows", "accepted", "quarantined", "flagged")}
    else:
        from sipas.api.ingest import import_file
        from sipas.store import open_database
        from sipas.synthetic.survey import fieldwork_window

        with tempfile.TemporaryDirectory() as folder:
            db = open_database(f"sqlite:///{folder}/bench.db")
            start = time.perf_counter()  # the schema is created before timing
            cpu = _cpu()
            report = import_file(db, path, "sipas-gen2", "bench", fieldwork_window(2024))
            detail = {
                k: report.summary()[k] for k in ("rows", "accepted", "quarantined", "inserted")
            }
            seconds = time.perf_counter() - start
            used = _cpu() - cpu
            db.close()
            return _result(seconds, used, detail)
    return _result(time.perf_counter() - start, _cpu() - cpu, detail)


def _cpu() -> float:
    # Every thread of this process, and the worker processes it waited for (they are ended,
    # and so counted, before the step returns).
    total = 0.0
    for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN):
        usage = resource.getrusage(who)
        total += usage.ru_utime + usage.ru_stime
    return total


def _result(seconds: float, cpu: float, detail: dict[str, Any]) -> dict[str, Any]:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # Linux: kilobytes
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024
    workers = 0
    if child:
        from sipas.api.ingest import WORKERS

        workers = WORKERS
    return {"seconds": seconds, "cpu_seconds": cpu, "peak_bytes": peak + workers * child,
            "peak_process_bytes": peak, "peak_worker_bytes": child, **detail}  # fmt: skip


def run_step(step: str, path: Path, cores: int | None = None) -> dict[str, Any]:
    pinned = ["--cores", str(cores)] if cores else []
    before = os.getloadavg()[0]
    out = subprocess.run(
        [sys.executable, __file__, "--measure", step, "--file", str(path), *pinned],
        check=True, capture_output=True, text=True, cwd=ROOT,
    )  # fmt: skip
    result = dict(json.loads(out.stdout.strip().splitlines()[-1]))
    return {**result, "load_before": round(before, 2), "load_after": round(os.getloadavg()[0], 2)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--data", type=Path, default=ROOT / "benchmarks" / "data")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--measure", choices=STEPS)
    parser.add_argument("--steps", help="comma-separated subset of: " + ", ".join(STEPS))
    parser.add_argument("--file", type=Path)
    parser.add_argument("--cores", type=int, help="pin each measured process to this many cores")
    parser.add_argument("--out", default="ingest", help="results file name (without suffix)")
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(measure(args.measure, args.file, args.cores)))
        return
    args.data.mkdir(parents=True, exist_ok=True)
    path = args.data / f"responses_{args.rows}.csv"
    if not path.exists():
        print(f"writing {path} …", file=sys.stderr)
        make_data(path, args.rows)
    load_before = os.getloadavg()  # other work on the machine slows every step alike
    steps = [s.strip() for s in args.steps.split(",")] if args.steps else list(STEPS)
    runs: dict[str, list[dict[str, Any]]] = {}
    for step in steps:
        runs[step] = [run_step(step, path, args.cores) for _ in range(args.repeats)]
        print(f"{step}: {[round(r['seconds'], 2) for r in runs[step]]} s", file=sys.stderr)
    medians = {s: statistics.median(r["seconds"] for r in runs[s]) for s in steps}
    cpus = {s: statistics.median(r["cpu_seconds"] for r in runs[s]) for s in steps}
    peaks = {s: max(r["peak_bytes"] for r in runs[s]) for s in steps}
    peer = medians.get("pandas.read_csv")
    timed = [s for s in steps if s in ("sipas validate", "sipas import")]
    results = {
        "command": "python benchmarks/ingest.py " + " ".join(sys.argv[1:]),
        "commit": _commit(),
        "machine": {
            "cpus": os.cpu_count(),
            "cores_allowed": args.cores or len(os.sched_getaffinity(0)),
            "python": platform.python_version(),
            "platform": platform.platform(),
            "load_average_before": [round(x, 2) for x in load_before],
            "load_average_after": [round(x, 2) for x in os.getloadavg()],
            **_versions(),
        },
        "file": {"name": path.name, "rows": args.rows, "bytes": path.stat().st_size},
        "steps": {
            s: {
                "median_seconds": round(medians[s], 3),
                "cpu_seconds": round(cpus[s], 3),
                "cores_used": round(cpus[s] / medians[s], 2),
                "peak_gib": round(peaks[s] / GIB, 3),
                "ratio_to_read_csv": round(medians[s] / peer, 2) if peer else None,
                "runs": runs[s],
            }
            for s in steps
        },
        "targets": {"seconds": TARGET_SECONDS, "peak_gib": 2, "start_up": "apart"},
        "met": all(medians[s] < TARGET_SECONDS and peaks[s] < 2 * GIB for s in timed),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{args.out}.json").write_text(json.dumps(results, indent=2) + "\n", "utf-8")
    (RESULTS / f"{args.out}.md").write_text(_markdown(results), encoding="utf-8")
    print(_markdown(results))


def _markdown(results: dict[str, Any]) -> str:
    f = results["file"]
    lines = [
        f"# Ingest benchmark: {f['rows']:,} rows ({f['bytes'] / 1e6:.0f} MB CSV)",
        "",
        f"`{results['command']}` at {results['commit']}; {results['machine']['cpus']} CPUs"
        f" ({results['machine']['cores_allowed']} allowed),"
        f" Python {results['machine']['python']}, pandas {results['machine']['pandas']};"
        f" load average before the run {results['machine']['load_average_before'][0]},"
        f" after {results['machine']['load_average_after'][0]} (the machine is shared).",
        "",
        "| step | seconds (median) | CPU seconds | cores used | × pandas.read_csv"
        " | peak memory (GiB) | each run: seconds (load average before → after) |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    for step, data in results["steps"].items():
        ratio = "" if data["ratio_to_read_csv"] is None else f"{data['ratio_to_read_csv']:.2f}"
        each = "; ".join(f"{r['seconds']:.1f} ({r.get('load_before', '?')} → "
                         f"{r.get('load_after', '?')})" for r in data["runs"])  # fmt: skip
        lines.append(f"| {step} | {data['median_seconds']:.1f} | {data['cpu_seconds']:.1f}"
                     f" | {data['cores_used']:.2f} | {ratio} | {data['peak_gib']:.2f} | {each} |")  # fmt: skip
    met = "met" if results["met"] else "NOT met"
    lines += [
        "",
        f"Targets (validate and import under {TARGET_SECONDS} s and 2 GiB; start-up apart): {met}.",
        "",
    ]
    return "\n".join(lines)


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=ROOT
        )
        return out.stdout.strip() or "unknown"
    except OSError:
        return "unknown"


def _versions() -> dict[str, str]:
    import numpy
    import pandas
    import sqlalchemy

    return {
        "pandas": pandas.__version__,
        "numpy": numpy.__version__,
        "sqlalchemy": sqlalchemy.__version__,
    }


if __name__ == "__main__":
    main()
