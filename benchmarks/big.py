"""One million respondents: time and peak memory of the full estimation, each in its own process.

Usage:
    python benchmarks/big.py generate FRAME.pkl [--respondents 1000000]
    python benchmarks/big.py estimate FRAME.pkl --psu village|none [--replicates 500] [--phases]

``generate`` draws the synthetic national survey (63 provinces) with as many respondents per
province as make the total about a million, and pickles it. ``estimate`` loads the pickle, runs
``sipas.survey.estimate`` with bootstrap replicates for provinces, and reports the process's peak
resident memory (which includes the loaded frame). With ``--psu none`` every respondent is their
own PSU, as in an online survey. ``--phases`` then times the main phases again one by one (after
the peak has been read), to show where the time goes.

Each command prints one JSON object on its last line of stdout.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

from sipas.frameworks import load_builtin, require_survey
from sipas.survey import DesignColumns, EstimationOptions, ReplicateOptions, estimate
from sipas.survey.composites import index_tree
from sipas.survey.design import design_from_frame
from sipas.survey.engine import Cells, cell_totals
from sipas.survey.items import item_values
from sipas.survey.replicates import replicate_design
from sipas.synthetic import SyntheticDesign, synthetic_survey

PROVINCES = 63  # of the 2024 geography


def peak_rss_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


def current_rss_bytes() -> int | None:
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    return None


def generate(path: Path, respondents: int) -> dict[str, object]:
    framework = require_survey(load_builtin("sipas-gen2"))
    per_province = respondents // PROVINCES
    start = time.perf_counter()
    frame = synthetic_survey(
        framework, 2024, design=SyntheticDesign(respondents_per_province=per_province)
    )
    seconds = time.perf_counter() - start
    if abs(len(frame) - respondents) > 0.02 * respondents:
        raise SystemExit(f"{len(frame):,} respondents generated, wanted {respondents:,} ± 2%")
    frame.to_pickle(path)
    return {
        "rows": len(frame),
        "respondents_per_province": per_province,
        "villages": int(frame["village"].nunique()),
        "generate_seconds": seconds,
        "peak_rss_bytes": peak_rss_bytes(),
    }


def phases(frame: pd.DataFrame, columns: DesignColumns, replicates: int) -> dict[str, float]:
    """The main steps of ``estimate`` timed one by one (their sum is close to the whole)."""
    framework = require_survey(load_builtin("sipas-gen2"))
    out: dict[str, float] = {}
    start = time.perf_counter()
    design = design_from_frame(frame, columns)
    out["design_from_frame"] = time.perf_counter() - start
    start = time.perf_counter()
    values = item_values(frame, framework)
    out["item_values"] = time.perf_counter() - start
    reps = replicate_design(design, ReplicateOptions(replicates=replicates))
    start = time.perf_counter()
    for _ in reps.blocks():
        pass
    out["bootstrap_draws"] = time.perf_counter() - start
    codes, labels = pd.factorize(frame["province"], sort=True)
    partitions = [
        Cells("province", codes, tuple(str(x) for x in labels)),
        Cells("national", np.zeros(len(frame), dtype=np.int64), ("pooled",)),
    ]
    start = time.perf_counter()
    cell_totals(design, values, partitions, reps, index_tree(framework).item_weights())
    out["cell_totals_including_draws"] = time.perf_counter() - start
    return out


def run_estimate(
    path: Path, psu: str | None, replicates: int, with_phases: bool
) -> dict[str, object]:
    framework = require_survey(load_builtin("sipas-gen2"))
    start = time.perf_counter()
    frame = pd.read_pickle(path)
    load_seconds = time.perf_counter() - start
    rss_after_load = current_rss_bytes()
    columns = DesignColumns(weight="weight", psu=psu, strata="stratum")
    options = EstimationOptions(unit="province", replicates=ReplicateOptions(replicates=replicates))
    start = time.perf_counter()
    result = estimate(frame, framework, columns, options)
    seconds = time.perf_counter() - start
    peak = peak_rss_bytes()  # read first: nothing below may count
    report: dict[str, object] = {
        "rows": len(frame),
        "psu": psu,
        "psus": int(frame[psu].nunique()) if psu else len(frame),
        "replicates": replicates,
        "estimate_rows": len(result.table),
        "load_seconds": load_seconds,
        "estimate_seconds": seconds,
        "frame_bytes": int(frame.memory_usage(deep=True).sum()),
        "rss_after_load_bytes": rss_after_load,
        "peak_rss_bytes": peak,
    }
    if with_phases:
        report["phases_seconds"] = phases(frame, columns, replicates)
    return report


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("command", choices=["generate", "estimate"])
    parser.add_argument("frame", type=Path)
    parser.add_argument("--respondents", type=int, default=1_000_000)
    parser.add_argument("--psu", choices=["village", "none"], default="village")
    parser.add_argument("--replicates", type=int, default=500)
    parser.add_argument("--phases", action="store_true")
    args = parser.parse_args()
    if args.command == "generate":
        report = generate(args.frame, args.respondents)
    else:
        psu = None if args.psu == "none" else args.psu
        report = run_estimate(args.frame, psu, args.replicates, args.phases)
    print(json.dumps(report))


if __name__ == "__main__":
    main()
