"""Every province's report of a year as PDF, through the real api: the 34 provinces of 2025 and
the 63 of 2024, from the full-size synthetic demo (580 respondents per province, 500 bootstrap
replicates). The target is each year's batch in under 60 s.

The year's data are gathered once (saved runs, change, the re-estimate that tests strengths and
weaknesses), then the reports are rendered by worker processes. Beside each batch, the same
reports rendered one after another in one process give the speed-up as a ratio. The machine
may be shared: its load average is recorded with the times, and CPU seconds beside wall seconds.

    .venv/bin/python benchmarks/reports.py                       # writes results/reports.{json,md}
    .venv/bin/python benchmarks/reports.py --database sqlite:////tmp/x/sipas.db   # a built demo
    .venv/bin/python benchmarks/reports.py --serial-sample 4     # fewer serial reports timed
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sipas.api import reports
from sipas.api.demo import DemoOptions, run_demo
from sipas.store import open_database

RESULTS = Path(__file__).resolve().parent / "results"
TARGET_S = 60.0


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _batch(db: Any, year: int, folder: Path, workers: int, sample: int) -> dict[str, Any]:
    start, cpu = time.perf_counter(), _cpu()
    paths = reports.all_province_reports(db, folder / f"{year}", year=year, workers=workers)
    wall = time.perf_counter() - start
    used = _cpu() - cpu
    # The same reports one after another in this process, on a sample, for the ratio.
    start = time.perf_counter()
    codes = [p.stem.split("-")[2] for p in paths[:sample]]
    reports.all_province_reports(db, folder / f"{year}-serial", year=year, workers=1, codes=codes)
    serial = time.perf_counter() - start
    gather = _gather(db, year)
    per_report_serial = (serial - gather) / max(1, len(codes))
    serial_all = gather + per_report_serial * len(paths)
    sizes = [p.stat().st_size for p in paths]
    row = {
        "year": year,
        "reports": len(paths),
        "workers": workers,
        "wall_s": round(wall, 2),
        "cpu_s": round(used, 2),
        "gather_s": round(gather, 2),
        "serial_per_report_s": round(per_report_serial, 2),
        "serial_estimate_s": round(serial_all, 1),
        "speedup": round(serial_all / wall, 2),
        "cpu_per_report_s": round(used / len(paths), 2),
        "idle_estimate_s": round(used / workers, 1),
        "mean_pdf_kib": round(sum(sizes) / len(sizes) / 1024, 1),
        "under_target": wall < TARGET_S,
        "load_average": os.getloadavg(),
    }
    print(f"  {year}: {len(paths)} PDFs in {wall:.1f} s ({used:.1f} CPU s)", file=sys.stderr)
    return row


def _gather(db: Any, year: int) -> float:
    start = time.perf_counter()
    reports.year_context(db, year=year)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", help="a database holding the full demo (default: build it)")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--serial-sample", type=int, default=6)
    parser.add_argument("--years", default="2025,2024")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        url = args.database or f"sqlite:///{folder / 'sipas.db'}"
        db = open_database(url)
        if not args.database:
            print("building the full demo (not timed)…", file=sys.stderr)
            run_demo(db, DemoOptions(dossiers=0))
        rows = [
            _batch(db, int(y), folder, args.workers, args.serial_sample)
            for y in args.years.split(",")
        ]
    result = {
        "benchmark": "province reports (PDF), one year at a time",
        "target_s": TARGET_S,
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "rows": rows,
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "reports.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    lines = [
        "# Province reports (PDF), one year at a time",
        "",
        f"{os.cpu_count()} CPUs, Python {platform.python_version()}; target: a year's batch in"
        f" under {TARGET_S:.0f} s. Serial = the same reports one after another in one process"
        " (measured on a sample, extrapolated). The machine is shared: its load average is"
        " shown, and CPU / workers is the wall time the same work takes when the cores are free.",
        "",
        "| year | reports | workers | wall | CPU | CPU per report | CPU / workers |"
        " gather once | serial per report | serial (est.) | speed-up | load average |"
        " under 60 s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for r in rows:
        load = ", ".join(f"{x:.1f}" for x in r["load_average"])
        lines.append(
            f"| {r['year']} | {r['reports']} | {r['workers']} | {r['wall_s']:.1f} s |"
            f" {r['cpu_s']:.1f} s | {r['cpu_per_report_s']:.2f} s | {r['idle_estimate_s']:.1f} s |"
            f" {r['gather_s']:.1f} s | {r['serial_per_report_s']:.2f} s |"
            f" {r['serial_estimate_s']:.0f} s | {r['speedup']:.1f}× | {load} |"
            f" {'yes' if r['under_target'] else 'no'} |"
        )
    (RESULTS / "reports.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
