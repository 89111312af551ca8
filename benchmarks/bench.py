"""Benchmark: sipas survey estimation against R ``survey`` and the Python package svy, in one run.

Run it with ``./benchmarks/run``, which installs what it needs first; benchmarks/README.md says
what is measured and how to read the results. This runner:

1. draws the synthetic national survey (sipas-gen2, 2024) in a child process, writes it once to a
   CSV with the top-2-box values y01..y33 (1 = answer 4 or 5, 0 = 1..3, empty = blank) for R and
   svy, and times sipas there (item Taylor SEs; the full estimation with 500 bootstrap replicates);
2. times R ``survey`` (benchmarks/r_survey.R) and svy (benchmarks/svy_bench.py) on that CSV;
3. times one million respondents in separate processes (benchmarks/big.py), so that each peak
   memory is that process's own;
4. times sampling: drawing a national sample from a frame of ≈ 70,000 villages and raking 40,000
   respondents to three margins, sipas (benchmarks/sampling.py) next to R (benchmarks/r_sampling.R:
   ``sampling`` for the draw, ``survey::rake``) and svy (benchmarks/svy_sampling.py);
5. writes benchmarks/results/latest.json and latest.md and prints the tables.

Every timing is of estimation only (files are read before the clock starts) and is the median of
the runs made. ``python benchmarks/bench.py national DIR`` is the child of step 1.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sipas.frameworks import load_builtin, require_survey
from sipas.frameworks.model import SurveyFramework
from sipas.survey import DesignColumns, EstimationOptions, ReplicateOptions, estimate
from sipas.survey.design import design_from_frame
from sipas.survey.engine import Cells, cell_totals
from sipas.survey.items import item_values
from sipas.survey.replicates import replicate_design
from sipas.synthetic import synthetic_survey

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
MIB = 2**20
GIB = 2**30
COLUMNS = DesignColumns(weight="weight", psu="village", strata="stratum")
REPLICATES = 500
TARGET_TAYLOR = 50  # item Taylor SEs: sipas at least 50x faster than R's best form
TARGET_TAYLOR_SVY = 20  # and at least 20x faster than svy
TARGET_FULL = 100  # full estimation at least 100x faster than R's best replicate form
TARGET_FLOOR = 2.0  # replicate totals within 2x of the plain numpy floor
TARGET_SERVICE_FLOOR = 1.3  # service index within 1.3x of its hand-written DuckDB floor
TARGET_APPEND = 0.10  # appending a day: under 10% of a full recompute
TARGET_PEAK = 2 * GIB  # one million respondents
TARGET_SAMPLING = 10.0  # drawing the national sample and raking "finish in seconds"
RAKE_AGREEMENT = 1e-8  # sipas's raked weights equal R's to this relative difference


def say(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- the sipas side (child process)


def item_column(k: int) -> str:
    return f"y{k:02d}"


def write_csv(frame: pd.DataFrame, framework: SurveyFramework, path: Path) -> None:
    out = frame[["stratum", "village", "weight", "province"]].copy()
    for k, code in enumerate(framework.item_codes(), start=1):
        out[item_column(k)] = (frame[code] >= 4).astype("Int64")  # blank stays <NA>
    out.to_csv(path, index=False)


def taylor_ses(frame: pd.DataFrame, values: Any) -> tuple[np.ndarray, list[str]]:
    """Item Taylor SEs by province: the design built from the frame, then the estimation (the
    timed path). The item values (each answer as valid or not, satisfied or not) are data
    preparation, made before the clock as R's best form makes its 0/1 columns."""
    design = design_from_frame(frame, COLUMNS)
    codes, labels = pd.factorize(frame["province"], sort=True)
    cells = Cells("province", np.asarray(codes), tuple(str(x) for x in labels))
    (totals,) = cell_totals(design, values, [cells])
    return np.sqrt(totals.taylor_var), list(cells.labels)


def full_estimation(frame: pd.DataFrame, framework: SurveyFramework) -> tuple[Any, float | None]:
    """Everything published, with replicate SEs; rank intervals too when the engine has them."""
    options = EstimationOptions(unit="province", replicates=ReplicateOptions(replicates=REPLICATES))
    result = estimate(frame, framework, COLUMNS, options)
    try:
        from sipas.survey.ranks import rank_table
    except ImportError:
        return result, None
    start = time.perf_counter()
    rank_table(result)
    return result, time.perf_counter() - start


def replicate_totals(frame: pd.DataFrame, framework: SurveyFramework) -> tuple[Any, Any]:
    """sipas: the item replicate totals (numerators and denominators) by province, 500 replicates."""
    design = design_from_frame(frame, COLUMNS)
    values = item_values(frame, framework)
    codes, labels = pd.factorize(frame["province"], sort=True)
    cells = Cells("province", np.asarray(codes), tuple(str(x) for x in labels))
    reps = replicate_design(design, ReplicateOptions(replicates=REPLICATES))
    (totals,) = cell_totals(design, values, [cells], reps)
    return totals.replicate_num, totals.replicate_den


def _floor_inputs(frame: pd.DataFrame, framework: SurveyFramework) -> tuple[Any, ...]:
    design = design_from_frame(frame, COLUMNS)
    values = item_values(frame, framework)
    codes, labels = pd.factorize(frame["province"], sort=True)
    reps = replicate_design(design, ReplicateOptions(replicates=REPLICATES))
    satisfied = np.where(values.valid, values.value, 0.0)
    indicators = np.concatenate([satisfied, values.valid.astype(float)], axis=1)  # n x 2·items
    first_psu = np.r_[0, np.cumsum(design.n_psu)[:-1]]
    factors = {block.stratum: block.factors for block in reps.blocks()}
    return design, np.asarray(codes), len(labels), indicators, first_psu, factors


def numpy_floor(frame: pd.DataFrame, framework: SurveyFramework) -> tuple[Any, Any]:
    """The floor: the same replicate totals in plain vectorised numpy, written by hand.

    Each province is one stratum here, so a province's replicate totals are its PSUs' bootstrap
    factors (PSUs x replicates, the same draws as sipas's) times its PSUs' weighted totals of the
    indicator matrix (satisfied and valid, PSUs x 2·items): one sort, one ``add.reduceat`` and one
    BLAS product per province."""
    design, codes, n_cells, indicators, first_psu, factors = _floor_inputs(frame, framework)
    n_items = indicators.shape[1] // 2
    order = np.argsort(design.psu, kind="stable")
    psu_sorted = design.psu[order]
    starts = np.flatnonzero(np.r_[True, psu_sorted[1:] != psu_sorted[:-1]])
    psu_totals = np.add.reduceat(indicators[order] * design.weight[order, None], starts)
    psu_cell = codes[order][starts]
    num = np.zeros((n_cells, n_items, REPLICATES))
    den = np.zeros((n_cells, n_items, REPLICATES))
    for h, f in factors.items():
        lo = first_psu[h]
        cell = int(psu_cell[lo])
        assert (psu_cell[lo : lo + len(f)] == cell).all(), "a province is one stratum here"
        sums = psu_totals[lo : lo + len(f)].T @ f  # 2·items x replicates
        num[cell], den[cell] = sums[:n_items], sums[n_items:]
    return num, den


def numpy_weights_matrix(frame: pd.DataFrame, framework: SurveyFramework) -> tuple[Any, Any]:
    """The same totals the textbook way: per province the replicate weights matrix (respondents
    x replicates: weight times its PSU's factor) times the indicator matrix (respondents x
    2·items). Reported beside the floor; it does 30 times the arithmetic."""
    design, codes, n_cells, indicators, first_psu, factors = _floor_inputs(frame, framework)
    n_items = indicators.shape[1] // 2
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_cells + 1))
    num = np.zeros((n_cells, n_items, REPLICATES))
    den = np.zeros((n_cells, n_items, REPLICATES))
    for c in range(n_cells):
        rows = order[bounds[c] : bounds[c + 1]]
        h = int(design.stratum[rows[0]])
        weights = design.weight[rows, None] * factors[h][design.psu[rows] - first_psu[h]]
        sums = indicators[rows].T @ weights
        num[c], den[c] = sums[:n_items], sums[n_items:]
    return num, den


def timed(function: Any, repeats: int) -> tuple[list[float], Any]:
    function()  # warm-up
    runs, out = [], None
    for _ in range(repeats):
        # the garbage of the run before (and of making the data) is collected outside the clock,
        # as timeit leaves the collector out of its runs
        gc.collect()
        start = time.perf_counter()
        out = function()
        runs.append(time.perf_counter() - start)
    return runs, out


def national(folder: Path, repeats: int) -> dict[str, Any]:
    framework = require_survey(load_builtin("sipas-gen2"))
    frame = synthetic_survey(framework, 2024)
    write_csv(frame, framework, folder / "national.csv")
    values = item_values(frame, framework)  # data preparation, as R's 0/1 columns
    taylor_runs, (se, domains) = timed(lambda: taylor_ses(frame, values), repeats)
    full_runs, (result, rank_seconds) = timed(lambda: full_estimation(frame, framework), repeats)
    totals_runs, (num, den) = timed(lambda: replicate_totals(frame, framework), repeats)
    floor_runs, (floor_num, floor_den) = timed(lambda: numpy_floor(frame, framework), repeats)
    matrix_runs, (matrix_num, matrix_den) = timed(lambda: numpy_weights_matrix(frame, framework), 1)
    scale = max(float(np.abs(den).max()), 1.0)
    answers = frame[framework.item_codes()]
    return {
        "respondents": len(frame),
        "provinces": int(frame["province"].nunique()),
        "villages": int(frame["village"].nunique()),
        "items": len(framework.item_codes()),
        "blank_share": float(answers.isna().to_numpy().mean()),
        "taylor_runs": taylor_runs,
        "full_runs": full_runs,
        "replicate_totals_runs": totals_runs,
        "numpy_floor_runs": floor_runs,
        "weights_matrix_runs": matrix_runs,
        "floor_max_rel_diff": float(
            max(np.abs(num - floor_num).max(), np.abs(den - floor_den).max()) / scale
        ),
        "weights_matrix_max_rel_diff": float(
            max(np.abs(num - matrix_num).max(), np.abs(den - matrix_den).max()) / scale
        ),
        "ranks_included": rank_seconds is not None,
        "rank_seconds_last_run": rank_seconds,
        "estimate_rows": len(result.table),
        "domains": domains,
        "se": {item_column(k + 1): se[:, k].tolist() for k in range(se.shape[1])},
    }


# ---------------------------------------------------------------- the runner (parent process)


def run_child(command: list[str]) -> tuple[dict[str, Any], int]:
    """Run a command that prints JSON on its last line; its report and its own peak RSS in bytes."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    assert process.stdout is not None
    output = process.stdout.read()
    process.stdout.close()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode != 0:
        raise RuntimeError(f"{' '.join(command[:3])} … exited with {process.returncode}")
    peak = usage.ru_maxrss if sys.platform == "darwin" else usage.ru_maxrss * 1024
    return json.loads(output.strip().splitlines()[-1]), peak


def max_abs_diff(ours: dict[str, Any], theirs: dict[str, Any]) -> float:
    """Largest |SE difference| over every item and province (matched by province label)."""
    where = {d: i for i, d in enumerate(theirs["domains"])}
    return max(
        abs(value - theirs["se"][item][where[domain]])
        for item, values in ours["se"].items()
        if item in theirs["se"]  # a per-item form may have run some of the items
        for domain, value in zip(ours["domains"], values, strict=True)
    )


def median(runs: list[float]) -> float:
    return float(statistics.median(runs))


def machine() -> dict[str, Any]:
    model = None
    memory = None
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        models = [x for x in cpuinfo.read_text().splitlines() if x.startswith("model name")]
        model = models[0].split(":", 1)[1].strip() if models else None
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        memory = int(meminfo.read_text().split()[1]) * 1024  # MemTotal, KiB
    from importlib.metadata import version

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)
        except OSError:
            return None
        return done.stdout.strip() if done.returncode == 0 else None

    changed = git("status", "--porcelain", "--", "src")
    return {
        "git_commit": git("rev-parse", "HEAD"),
        "git_src_changed": bool(changed) if changed is not None else None,
        "cpu_count": os.cpu_count(),
        "load_average_at_start": round(os.getloadavg()[0], 2),
        "cpu_model": model,
        "memory_bytes": memory,
        "platform": platform.platform(),
        "python_version": platform.python_version(),
        "numpy_version": np.__version__,
        "pandas_version": pd.__version__,
        "sipas_version": version("sipas"),
    }


def run_r(csv: Path, mode: str, items: str, repeats: int) -> tuple[dict[str, Any], int]:
    command = ["Rscript", str(HERE / "r_survey.R"), str(csv), mode, items, str(repeats)]
    return run_child([*command, str(REPLICATES)])


def attempt(notes: list[str], what: str, function: Any) -> Any:
    """Run one tool's timing; a failure is noted in the results instead of losing the whole run."""
    try:
        return function()
    except (RuntimeError, OSError, ValueError) as error:
        say(f"   {what} failed: {error}")
        notes.append(f"{what} failed: {error}")
        return None


def sampling(folder: Path, args: argparse.Namespace, notes: list[str]) -> dict[str, Any] | None:
    """Drawing the national sample and raking, sipas next to R and svy; None if sipas failed."""
    folder.mkdir()
    say("== sampling, sipas: drawing the national sample, raking")
    ours = attempt(
        notes,
        "sampling (sipas)",
        lambda: run_child(
            [sys.executable, str(HERE / "sampling.py"), str(folder), str(args.sipas_repeats)]
        ),
    )
    if ours is None:
        return None
    r = svy = None
    if args.skip_r:
        notes.append(f"R sampling columns skipped: {args.skip_r}")
    else:
        say(f"== sampling, R: sampling (draw) and survey::rake, {args.repeats} runs")
        r = attempt(
            notes,
            "R sampling",
            lambda: run_child(
                ["Rscript", str(HERE / "r_sampling.R"), str(folder), str(args.repeats)]
            ),
        )
        if r is not None and r[0]["draw"] is None:
            notes.append(
                "R drawing skipped: R's `sampling` package is not installed (as root on"
                " Debian/Ubuntu ./benchmarks/run installs it: apt-get install -y r-cran-sampling)"
            )
    if args.svy_python:
        say(f"== sampling, svy: multistage draw and rake, {args.repeats} runs")
        svy = attempt(
            notes,
            "svy sampling",
            lambda: run_child(
                [args.svy_python, str(HERE / "svy_sampling.py"), str(folder), str(args.repeats)]
            ),
        )
    return sampling_results(folder, ours, r, svy)


def weight_difference(folder: Path, tool: str) -> float:
    """Largest |w_tool / w_sipas − 1| over the respondents (matched by id)."""
    ours = pd.read_csv(folder / "weights_sipas.csv", index_col="id")["w"]
    theirs = pd.read_csv(folder / f"weights_{tool}.csv", index_col="id")["w"]
    if not ours.index.equals(theirs.index):
        raise RuntimeError(f"{tool} wrote weights for other respondents")
    return float(np.max(np.abs(theirs.to_numpy() / ours.to_numpy() - 1.0)))


def sampling_results(
    folder: Path, ours: tuple, r: tuple | None, svy: tuple | None
) -> dict[str, Any]:
    report, peak = ours
    draw_seconds, rake_seconds = report["draw_seconds"], report["rake_seconds"]
    out: dict[str, Any] = {
        "data": {
            **{
                k: report[k]
                for k in (
                    "frame_rows",
                    "frame_provinces",
                    "frame_communes",
                    "frame_households",
                    "respondents",
                    "margin_rows",
                    "province_margin_rows",
                    "weighted_sample_total",
                    "population_total",
                )
            },
            "frame": "synthetic (numpy seed 20240): 63 provinces × 95..125 communes × 6..14"
            " villages; households 30..800 per village",
            "respondents_data": "synthetic (numpy seed 20241): province, sex (2), age_band (5),"
            " urban_rural (2), design weight w",
            "margins": "national totals of sex, age_band, urban_rural: 1.3 × the weighted sample,"
            " each level's share moved by up to ±20%, all three adding up to the same total",
        },
        "draw": {
            "what": "national sample from the village frame: 6 communes per province by PPS"
            " systematic (size = the commune's households), 3 villages per selected commune by"
            " simple random sampling, 32 households per village below the frame",
            "sipas": {
                "call": "draw(frame, read_design(...), seed=1)",
                "seconds": draw_seconds,
                "runs": report["draw_runs"],
                "villages": report["sample_villages"],
                "reserve_villages": report["reserve_villages"],
                "communes": report["sample_communes"],
                "villages_estimated": report["villages_estimated"],
                "peak_rss_bytes": peak,
                "design": report["design"],
            },
            "r": None,
            "svy": None,
        },
        "rake": {
            "what": f"{report['respondents']:,} respondents raked to national totals of sex,"
            " age_band and urban_rural",
            "sipas": {
                "call": "rake(respondents, w, read_margins(margins)); read_margins is timed too",
                "seconds": rake_seconds,
                "runs": report["rake_runs"],
                "iterations": report["rake_iterations"],
                "converged": report["rake_converged"],
                "max_margin_error": report["rake_max_margin_error"],
            },
            "r": None,
            "svy": None,
        },
        "rake_by_province": {
            "what": f"the same respondents raked in each of the 63 provinces to its own totals"
            f" ({report['province_margin_rows']} margin rows)",
            "sipas": {
                "call": 'rake(respondents, w, read_margins(margins, group="province"),'
                ' group="province")',
                "seconds": report["province_rake_seconds"],
                "runs": report["province_rake_runs"],
                "iterations": report["province_rake_iterations"],
                "converged": report["province_rake_converged"],
                "max_margin_error": report["province_rake_max_margin_error"],
            },
        },
    }
    if r is not None:
        theirs, r_peak = r
        out["r_version"] = theirs["r_version"]
        out["survey_version"] = theirs["survey_version"]
        out["sampling_version"] = theirs["sampling_version"]
        if theirs["draw"] is not None:
            seconds = median(theirs["draw"]["seconds"])
            out["draw"]["r"] = {
                "call": "per province: aggregate() of the communes' households,"
                " sampling::inclusionprobabilities(size, 6) and sampling::UPsystematic on a random"
                " order of the communes; per selected commune: sampling::srswor(3, N); then"
                " probabilities and weights (benchmarks/r_sampling.R)",
                "seconds": seconds,
                "runs": theirs["draw"]["seconds"],
                "ratio": seconds / draw_seconds,
                "villages": theirs["draw"]["villages"],
                "communes": theirs["draw"]["communes"],
                "villages_estimated": theirs["draw"]["villages_estimated"],
                "peak_rss_bytes": r_peak,
            }
        seconds = median(theirs["rake"]["seconds"])
        difference = weight_difference(folder, "r")
        out["rake"]["r"] = {
            "call": "weights(rake(svydesign(ids=~1, weights=~w, data), list(~sex, ~age_band,"
            " ~urban_rural), <3 data frames of totals>, control=list(maxit=100, epsilon=1e-10)));"
            " svydesign is built before the clock starts",
            "seconds": seconds,
            "runs": theirs["rake"]["seconds"],
            "ratio": seconds / rake_seconds,
            "max_rel_weight_diff": difference,
            "agrees": difference <= RAKE_AGREEMENT,
        }
    if svy is not None:
        theirs, svy_peak = svy
        out["svy_version"] = theirs["svy_version"]
        out["polars_version"] = theirs["polars_version"]
        seconds = median(theirs["draw"]["seconds"])
        out["draw"]["svy"] = {
            "call": 'Sample(frame + commune households, Design(stratum="province"))'
            '.sampling.multistage([Stage("commune", n=6, mos="commune_households",'
            ' method="sys", certainty_threshold=1.0), Stage("village", n=3)], rstate=1), then'
            " the household stage's probability (benchmarks/svy_sampling.py)",
            "seconds": seconds,
            "runs": theirs["draw"]["seconds"],
            "ratio": seconds / draw_seconds,
            "villages": theirs["draw"]["villages"],
            "communes": theirs["draw"]["communes"],
            "villages_estimated": theirs["draw"]["villages_estimated"],
            "peak_rss_bytes": svy_peak,
        }
        seconds = median(theirs["rake"]["seconds"])
        out["rake"]["svy"] = {
            "call": "Sample(respondents, Design(wgt='w')).weighting.rake(controls={variable:"
            " {level: total}}, tol=1e-10, max_iter=1000); the Sample is built before the clock"
            " starts",
            "seconds": seconds,
            "runs": theirs["rake"]["seconds"],
            "ratio": seconds / rake_seconds,
            "max_rel_weight_diff": weight_difference(folder, "svy"),
        }
    out["meets_target"] = max(draw_seconds, rake_seconds) < TARGET_SAMPLING
    return out


def estimation(folder: Path, args: argparse.Namespace, notes: list[str]) -> dict[str, Any]:
    """Item Taylor SEs, the full estimation and one million respondents: the estimation sections."""
    csv = folder / "national.csv"
    say("== sipas: national survey, item Taylor SEs and full estimation")
    ours, ours_peak = run_child(
        [sys.executable, str(HERE / "bench.py"), "national", str(folder), str(args.sipas_repeats)]
    )
    r_taylor = r_replicate = r_taylor_best = r_replicate_best = svy = None
    if args.skip_r:
        notes.append(f"R columns skipped: {args.skip_r}")
    else:
        say(f"== R survey, best form (one svyby over all items): Taylor, {args.repeats} runs")
        r_taylor_best = attempt(
            notes, "R Taylor (best form)", lambda: run_r(csv, "taylor_best", "all", args.repeats)
        )
        say(f"== R survey, per item: Taylor, {args.repeats} runs, items: {args.r_taylor_items}")
        r_taylor = attempt(
            notes, "R Taylor", lambda: run_r(csv, "taylor", args.r_taylor_items, args.repeats)
        )
    if args.svy_python:
        say(f"== svy: Taylor, {args.repeats} runs")
        svy = attempt(
            notes,
            "svy",
            lambda: run_child(
                [args.svy_python, str(HERE / "svy_bench.py"), str(csv), str(args.repeats)]
            ),
        )
    else:
        notes.append("svy columns skipped: no svy environment given")
    if not args.skip_r:
        say(f"== R survey, best form: subbootstrap, {REPLICATES} replicates, all items")
        r_replicate_best = attempt(
            notes, "R replicate (best form)", lambda: run_r(csv, "replicate_best", "all", 1)
        )
        say(
            f"== R survey, per item: subbootstrap, {REPLICATES} replicates, items: {args.r_replicate_items}"
        )
        r_replicate = attempt(
            notes, "R replicate", lambda: run_r(csv, "replicate", args.r_replicate_items, 1)
        )
    big = None if args.skip_big else attempt(notes, "1M", lambda: one_million(folder))

    out: dict[str, Any] = {
        "data": {
            "framework": "sipas-gen2",
            "year": 2024,
            **{
                k: ours[k] for k in ("respondents", "provinces", "villages", "items", "blank_share")
            },
            "design": "strata = province (stratum), PSU = village, weight = weight;"
            " domain = province",
            "item_value": "1 if the answer is 4 or 5, 0 if 1..3, blank left out (top-2-box)",
        },
        "item_taylor": item_taylor(ours, ours_peak, r_taylor, svy, r_taylor_best),
        "full_estimation": full(ours, ours_peak, r_replicate, r_replicate_best),
        "numpy_floor": numpy_floor_result(ours),
        "one_million": big,
        "versions": {},
    }
    for r_run in (r_taylor_best, r_taylor):
        if r_run:
            out["versions"]["r_version"] = r_run[0]["r_version"]
            out["versions"]["survey_version"] = r_run[0]["survey_version"]
    if svy:
        out["versions"]["svy_version"] = svy[0]["svy_version"]
        out["versions"]["polars_version"] = svy[0]["polars_version"]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description="sipas vs R survey vs svy (see README.md)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of R and svy")
    parser.add_argument("--sipas-repeats", type=int, default=9, help="timed runs of sipas")
    parser.add_argument(
        "--r-replicate-items",
        default="5",
        help="items R's replicate path estimates ('all' = 33); the time is scaled to 33 items",
    )
    parser.add_argument(
        "--r-taylor-items",
        default="all",
        help="items R's per-item Taylor form estimates ('all' = 33); fewer are scaled to 33",
    )
    parser.add_argument(
        "--service-index-rows",
        type=int,
        default=10_000_000,
        help="dossiers for the service index beside its floor (generated once under"
        " benchmarks/data/)",
    )
    parser.add_argument(
        "--skip-service-index", action="store_true", help="skip the service index and its floor"
    )
    parser.add_argument(
        "--skip-startup",
        action="store_true",
        help="skip start-up (sipas --version/--help and a web worker against import pandas)",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="a quick check, not for the record: 1 run of R and svy, 2 of sipas, R's per-item"
        " forms on 3 and 1 items (extrapolated), no one million, no sampling, the service index"
        " on 1,000,000 dossiers",
    )
    parser.add_argument("--svy-python", help="python of the svy environment (omit: skip svy)")
    parser.add_argument("--skip-r", metavar="REASON", help="skip R, recording REASON")
    parser.add_argument("--skip-big", action="store_true", help="skip one million respondents")
    only = parser.add_mutually_exclusive_group()
    only.add_argument(
        "--skip-sampling", action="store_true", help="skip drawing the sample and raking"
    )
    only.add_argument(
        "--only-sampling",
        action="store_true",
        help="run only drawing the sample and raking (the results files then hold only those)",
    )
    args = parser.parse_args()
    if args.quick:
        args.repeats, args.sipas_repeats = 1, 2
        args.r_taylor_items, args.r_replicate_items = "3", "1"
        args.skip_big = args.skip_sampling = True
        args.service_index_rows = min(args.service_index_rows, 1_000_000)

    notes: list[str] = []
    flags = [
        flag
        for flag, on in (
            ("--skip-big", args.skip_big and not args.only_sampling),
            ("--skip-sampling", args.skip_sampling),
            ("--only-sampling", args.only_sampling),
            ("--quick", args.quick),
            ("--skip-startup", args.skip_startup),
        )
        if on
    ]
    results: dict[str, Any] = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join(["./benchmarks/run", *flags]),
        "machine": machine(),
    }
    started = time.perf_counter()
    if not (args.skip_startup or args.only_sampling):
        results["startup"] = attempt(notes, "start-up", startup)
    with tempfile.TemporaryDirectory(prefix="sipas-bench-") as temp:
        folder = Path(temp)
        if not args.only_sampling:
            sections = estimation(folder, args, notes)
            results["machine"].update(sections.pop("versions"))
            results.update(sections)
        if args.only_sampling or args.skip_service_index:
            results["service_index"] = None
        else:
            results["service_index"] = attempt(
                notes, "service index", lambda: service_index(args.service_index_rows, folder)
            )
        if args.skip_sampling:
            results["sampling"] = None
        else:
            results["sampling"] = sampling(folder / "sampling", args, notes)
    found = results["sampling"] or {}
    for key in ("r_version", "survey_version", "sampling_version", "svy_version", "polars_version"):
        if key in found:
            results["machine"].setdefault(key, found[key])
    results["targets"] = {
        "item_taylor_ratio": TARGET_TAYLOR,
        "full_estimation_ratio": TARGET_FULL,
        "one_million_peak_bytes": TARGET_PEAK,
        "sampling_seconds": TARGET_SAMPLING,
        "item_taylor_ratio_svy": TARGET_TAYLOR_SVY,
        "replicate_totals_over_numpy_floor": TARGET_FLOOR,
        "service_index_over_floor": TARGET_SERVICE_FLOOR,
        "append_day_over_full_recompute": TARGET_APPEND,
        "rake_max_rel_weight_diff_vs_r": RAKE_AGREEMENT,
    }
    results["notes"] = notes
    results["run_seconds"] = time.perf_counter() - started

    RESULTS.mkdir(exist_ok=True)
    markdown = render(results)
    for name, text in (
        ("latest.json", json.dumps(results, indent=2) + "\n"),
        ("latest.md", markdown),
    ):
        partial = RESULTS / f"{name}.tmp"
        partial.write_text(text, encoding="utf-8")
        partial.replace(RESULTS / name)
    print(markdown)


def item_taylor(
    ours: dict[str, Any],
    ours_peak: int,
    r: tuple | None,
    svy: tuple | None,
    r_best: tuple | None = None,
) -> dict[str, Any]:
    seconds = median(ours["taylor_runs"])
    out: dict[str, Any] = {
        "what": "SEs of 33 item shares in each of 63 provinces, Taylor linearisation",
        "sipas": {"seconds": seconds, "runs": ours["taylor_runs"], "peak_rss_bytes": ours_peak},
        "r_survey_best": None,
        "r_survey": None,
        "svy": None,
    }
    for key, tool in (("r_survey_best", r_best), ("r_survey", r), ("svy", svy)):
        if tool is None:
            continue
        report, peak = tool
        theirs = median(report["seconds"])
        measured = len(report["items"])
        extrapolated = key == "r_survey" and measured < ours["items"]
        if extrapolated:  # design building once, item time scaled linearly to every item
            design = median(report["design_seconds"])
            theirs = design + (median(report["items_seconds"])) * ours["items"] / measured
        out[key] = {
            "seconds": theirs,
            "runs": report["seconds"],
            "items_measured": measured if key != "svy" else ours["items"],
            "extrapolated": extrapolated,
            "peak_rss_bytes": peak,
            "ratio": theirs / seconds,
            "max_abs_se_diff": max_abs_diff(ours, report),
        }
    if r_best:
        out["r_survey_best"]["what"] = (
            "one svyby over all items: per province svytotal of 0/1 satisfied and valid columns"
            " (Taylor), then svycontrast of the item ratios; exact"
        )
    return out


def full(
    ours: dict[str, Any], ours_peak: int, r: tuple | None, r_best: tuple | None = None
) -> dict[str, Any]:
    seconds = median(ours["full_runs"])
    out: dict[str, Any] = {
        "what": f"items, components, sub-indices, SIPAS for provinces and the nation, {REPLICATES}"
        " bootstrap replicates (rank intervals too when sipas.survey.ranks.rank_table exists)",
        "sipas": {
            "seconds": seconds,
            "runs": ours["full_runs"],
            "ranks_included": ours["ranks_included"],
            "rank_seconds_last_run": ours["rank_seconds_last_run"],
            "estimate_rows": ours["estimate_rows"],
            "peak_rss_bytes": ours_peak,
        },
        "r_survey_best": None,
        "r_survey": None,
    }
    if r_best is not None:
        report, peak = r_best
        total = report["seconds"][0]
        out["r_survey_best"] = {
            "what": "as.svrepdesign(type='subbootstrap', replicates=500) + one svyby over all items"
            " (svytotal with replicates, the ratio of each replicate's totals, svrVar): item shares only, so a"
            " lower bound on R's time for the full estimation",
            "items_measured": len(report["items"]),
            "replicate_design_seconds": report["design_seconds"][0],
            "items_seconds": report["items_seconds"][0],
            "seconds": total,
            "peak_rss_bytes": peak,
            "ratio": total / seconds,
        }
    if r is not None:
        report, peak = r
        measured = len(report["items"])
        build = report["design_seconds"][0]
        items = report["items_seconds"][0]
        total = build + items * ours["items"] / measured
        out["r_survey"] = {
            "what": "as.svrepdesign(type='subbootstrap', replicates=500) + svyby(svymean) per item:"
            " item shares only, so a lower bound on R's time for the full estimation",
            "items_measured": measured,
            "measured_seconds": build + items,
            "replicate_design_seconds": build,
            "items_seconds": items,
            "extrapolated": measured < ours["items"],
            "seconds": total,
            "peak_rss_bytes": peak,
            "ratio": total / seconds,
        }
    return out


def numpy_floor_result(ours: dict[str, Any]) -> dict[str, Any]:
    seconds = median(ours["replicate_totals_runs"])
    floor = median(ours["numpy_floor_runs"])
    return {
        "what": f"item replicate totals (satisfied and valid) by province, {REPLICATES} bootstrap"
        " replicates, the same draws",
        "sipas_seconds": seconds,
        "sipas_runs": ours["replicate_totals_runs"],
        "floor_seconds": floor,
        "floor_runs": ours["numpy_floor_runs"],
        "weights_matrix_seconds": median(ours["weights_matrix_runs"]),
        "ratio": seconds / floor,
        "max_rel_diff": ours["floor_max_rel_diff"],
        "weights_matrix_max_rel_diff": ours["weights_matrix_max_rel_diff"],
        "equal": ours["floor_max_rel_diff"] <= 1e-12,
        "meets_target": seconds / floor <= TARGET_FLOOR,
    }


def service_index(rows: int, folder: Path) -> dict[str, Any]:
    """sipas's service index on DuckDB beside the hand-written floor queries (same sums, checked
    equal), and appending a day against a full recompute: benchmarks/service_index.py's
    measurements, each in its own process."""
    script = str(HERE / "service_index.py")
    sums = str(folder / "service-index-sums.parquet")
    say(f"== service index: {rows:,} dossiers (generated once under benchmarks/data/)")
    subprocess.run(
        [sys.executable, script, "--rows", str(rows), "--measure", "scan"],
        cwd=ROOT,
        check=True,
        stdout=subprocess.DEVNULL,
    )  # generates the data (and warms the file cache) outside the clocks below
    out: dict[str, Any] = {"rows": rows}
    for kind in ("duckdb_cold", "duckdb", "floor_full", "floor", "incremental"):
        say(f"== service index: {kind}")
        report, _ = run_child(
            [sys.executable, script, "--rows", str(rows), "--measure", kind, "--sums-file", sums]
        )
        out[kind] = report
    ratio = out["duckdb"]["seconds"] / out["floor_full"]["seconds"]
    out["ratio_to_floor"] = ratio
    out["ratio_cold_to_floor"] = out["duckdb_cold"]["seconds"] / out["floor_full"]["seconds"]
    out["ratio_to_unit_floor"] = out["duckdb"]["seconds"] / out["floor"]["seconds"]
    out["same_sums"] = bool(
        out["floor_full"].get("same_sums_as_sipas")
        and out["floor_full"].get("same_procedure_counts_as_sipas")
        and out["floor"].get("same_sums_as_sipas")
    )
    out["meets_floor_target"] = ratio <= TARGET_SERVICE_FLOOR
    out["meets_append_target"] = out["incremental"]["ratio"] < TARGET_APPEND
    return out


def startup() -> dict[str, Any]:
    """benchmarks/startup.py in its own process (fresh interpreters are what it measures)."""
    say("== start-up: sipas --version/--help and a web worker against import pandas")
    subprocess.run([sys.executable, str(HERE / "startup.py")], cwd=ROOT, check=True)
    result: dict[str, Any] = json.loads((HERE / "results" / "startup.json").read_text())
    return result


def render_startup(found: dict[str, Any]) -> list[str]:
    lines = [
        "## Start-up",
        "",
        f"Medians of {found['repeats']} fresh processes each (`benchmarks/startup.py`).",
        "",
        "| start-up | median | target |",
        "|---|---:|---|",
        f'| `python -c "import pandas"` (the yardstick) | {secs(found["median_s"]["pandas"])} | |',
    ]
    for row in found["targets"]:
        met = "met" if row["met"] else "**not met**"
        lines.append(
            f"| {row['what']} | {secs(row['seconds'])} | < {secs(row['limit_s'])}: {met} |"
        )
    return [*lines, ""]


def render_service_index(si: dict[str, Any]) -> list[str]:
    inc = si["incremental"]
    floor_target = "met" if si["meets_floor_target"] else "**not met**"
    append_target = "met" if si["meets_append_target"] else "**not met**"
    full, unit = si["floor_full"]["seconds"], si["floor"]["seconds"]
    return [
        "## Service index (QĐ 766)",
        "",
        f"{si['rows']:,} synthetic dossiers, all units × 12 months of 2025, DuckDB; each run in"
        " its own process (`benchmarks/service_index.py` has the other engines and 100M rows).",
        "The floor is `service_index_floor.sql` written by hand for DuckDB: what sipas returns"
        " from the dossiers (the sums per unit, and each procedure's dossier counts, which"
        " indicator M3 and the drill-down by procedure need), in the fastest form measured.",
        "",
        "| measurement | sipas | floor | sipas ÷ floor | target |",
        "|---|---:|---:|---:|---|",
        f"| index for every unit and month | {secs(si['duckdb']['seconds'])}"
        f" | {secs(full)} | {si['ratio_to_floor']:.2f}× | ≤ {TARGET_SERVICE_FLOOR:g}×:"
        f" {floor_target} |",
        f"| the same, the first run on a dataset (its pass compiled, then kept)"
        f" | {secs(si['duckdb_cold']['seconds'])} | {secs(full)}"
        f" | {si['ratio_cold_to_floor']:.2f}× | |",
        f"| the same, beside the per-unit sums alone (no procedure counts)"
        f" | {secs(si['duckdb']['seconds'])} | {secs(unit)}"
        f" | {si['ratio_to_unit_floor']:.2f}× | |",
        f"| append a day ({inc['appended_rows']:,} dossiers; recomputes"
        f" {', '.join(inc['recomputed'])}) | {secs(inc['append_day_seconds'])}"
        f" | {secs(inc['full_recompute_seconds'])} (full recompute of the 12 months)"
        f" | {inc['ratio']:.1%} | < {TARGET_APPEND:.0%}: {append_target} |",
        "",
        f"The floors' sums and counts equal sipas's: {'yes' if si['same_sums'] else '**no**'}."
        " The appended month equals a recompute from nothing:"
        f" {'yes' if inc['equal_to_full_recompute'] else '**no**'}.",
        "",
    ]


def one_million(folder: Path) -> dict[str, Any]:
    frame = folder / "million.pkl"
    script = str(HERE / "big.py")
    say("== 1,000,000 respondents: generating")
    generated, _ = run_child([sys.executable, script, "generate", str(frame)])
    out: dict[str, Any] = {"generate": generated}
    for key, psu in (("clustered", "village"), ("online", "none")):
        say(f"== 1,000,000 respondents: estimating, PSU = {psu}")
        report, _ = run_child(
            [sys.executable, script, "estimate", str(frame), "--psu", psu, "--phases"]
        )
        report["meets_target"] = report["peak_rss_bytes"] < TARGET_PEAK
        out[key] = report
    return out


# ---------------------------------------------------------------- the table


def secs(value: float) -> str:
    return f"{value:.3g} s" if value < 100 else f"{value:,.0f} s"


def times(value: float) -> str:
    if value < 1:
        return f"{value:.2f}×"
    return f"{value:,.1f}×" if value < 100 else f"{value:,.0f}×"


def size(value: int | None) -> str:
    if value is None:
        return "—"
    if value >= GIB:
        return f"{value / GIB:.2f} GiB"
    return f"{value / MIB:,.0f} MiB" if value >= 10 * MIB else f"{value / MIB:.2g} MiB"


def tool_secs(tool: dict[str, Any] | None) -> str:
    return secs(tool["seconds"]) if tool else "—"


def tool_ratio(tool: dict[str, Any] | None) -> str:
    return times(tool["ratio"]) if tool else "—"


def verdict(ratio: float | None, target: float) -> str:
    if ratio is None:
        return "not measured"
    return "met" if ratio >= target else f"**not met** ({ratio / target:.2f} of target)"


def render(results: dict[str, Any]) -> str:
    m = results["machine"]
    lines = [
        "# Benchmark: sipas vs R survey vs svy",
        "",
        f"`{results['command']}` on {results['generated']}, commit {str(m['git_commit'])[:10]}"
        + (" with uncommitted changes in src/" if m["git_src_changed"] else "")
        + f" — {m['cpu_count']} CPUs, load average {m.get('load_average_at_start', '—')} at the start"
        f" ({m['cpu_model']}), Python {m['python_version']}, numpy {m['numpy_version']},"
        f" pandas {m['pandas_version']}; R {m.get('r_version', '—')} with survey"
        f" {m.get('survey_version', '—')}"
        + (f" and sampling {m['sampling_version']}" if m.get("sampling_version") else "")
        + f"; svy {m.get('svy_version', '—')}.",
        "",
    ]
    if results.get("startup"):
        lines += render_startup(results["startup"])
    if "item_taylor" in results:
        lines += render_estimation(results)
    if results.get("service_index"):
        lines += render_service_index(results["service_index"])
    if results.get("sampling"):
        lines += render_sampling(results["sampling"])
    for note in results["notes"]:
        lines.append(f"Note: {note}")
    if results["notes"]:
        lines.append("")
    return "\n".join(lines)


def render_estimation(results: dict[str, Any]) -> list[str]:
    data = results["data"]
    taylor, full_ = results["item_taylor"], results["full_estimation"]
    svy = taylor["svy"]
    floor = results.get("numpy_floor")
    lines = [
        "## Estimation",
        "",
        f"Data: synthetic {data['framework']} {data['year']} survey, {data['respondents']:,}"
        f" respondents, {data['provinces']} provinces (strata), {data['villages']:,} villages"
        f" (PSUs), {data['items']} items, {data['blank_share']:.1%} blank answers. Times are"
        " medians, estimation only (files are read before the clock starts). Targets are against"
        " R's best form.",
        "",
        "| measurement | sipas | peer | peer's time | peer ÷ sipas | target |",
        "|---|---:|---|---:|---:|---|",
    ]

    def peer(label: str, tool: dict[str, Any] | None, target: str) -> str:
        if tool is None:
            return f"| | | {label} | — | — | {target or 'not measured'} |"
        mark = " (extrapolated ¹)" if tool.get("extrapolated") else ""
        return (
            f"| | | {label}{mark} | {secs(tool['seconds'])} | {times(tool['ratio'])} | {target} |"
        )

    best_t = taylor.get("r_survey_best")
    lines.append(
        f"| item Taylor SEs, {data['items']} items × {data['provinces']} provinces"
        f" | {secs(taylor['sipas']['seconds'])} | | | | |"
    )
    lines.append(
        peer(
            "R survey, best form: one `svyby` over all items ²",
            best_t,
            f"≥ {TARGET_TAYLOR}×: {verdict(best_t['ratio'] if best_t else None, TARGET_TAYLOR)}",
        )
    )
    lines.append(peer("R survey, one `svyby` per item", taylor["r_survey"], "(reported)"))
    lines.append(
        peer(
            "svy, per item",
            svy,
            f"≥ {TARGET_TAYLOR_SVY}×: {verdict(svy['ratio'] if svy else None, TARGET_TAYLOR_SVY)}",
        )
    )
    ranks = " + ranks" if full_["sipas"]["ranks_included"] else ""
    best_f = full_.get("r_survey_best")
    lines.append(
        f"| full estimation{ranks}, {REPLICATES} bootstrap replicates ³"
        f" | {secs(full_['sipas']['seconds'])} | | | | |"
    )
    lines.append(
        peer(
            "R survey, best form: one `svyby` over all items ²",
            best_f,
            f"≥ {TARGET_FULL}×: {verdict(best_f['ratio'] if best_f else None, TARGET_FULL)}",
        )
    )
    lines.append(peer("R survey, one `svyby` per item", full_["r_survey"], "(reported)"))
    if floor:
        target = "met" if floor["meets_target"] else f"**not met** ({floor['ratio']:.2f}×)"
        lines.append(
            f"| item replicate totals, {data['items']} items × {data['provinces']} provinces ×"
            f" {REPLICATES} ⁴ | {secs(floor['sipas_seconds'])} | plain numpy floor, written by hand"
            f" | {secs(floor['floor_seconds'])} | sipas ÷ floor {floor['ratio']:.2f}×"
            f" | ≤ {TARGET_FLOOR:g}× the floor: {target} |"
        )
    peak_r = max(
        (t["peak_rss_bytes"] for t in (best_t, taylor["r_survey"], best_f, full_["r_survey"]) if t),
        default=None,
    )
    lines.append("")
    lines.append(
        f"Peak RSS of the process (runtime, data and estimation): sipas"
        f" {size(taylor['sipas']['peak_rss_bytes'])} (the child that also generates the data),"
        f" R {size(peak_r)} (its largest process), svy {size(svy['peak_rss_bytes']) if svy else '—'}."
    )
    lines.append("")
    notes = []
    extrapolated = [t for t in (taylor["r_survey"], full_["r_survey"]) if t and t["extrapolated"]]
    if extrapolated:
        notes.append(
            "¹ **Extrapolated**: the per-item form ran "
            + " and ".join(f"{t['items_measured']} of {data['items']} items" for t in extrapolated)
            + "; the design (and replicate weights) built once, the item time scaled linearly to"
            f" {data['items']} items. `--r-taylor-items all --r-replicate-items all` measures them all."
        )
    notes.append(
        "² Every item has blanks of its own, so R's best form is the exact ratio form: per province"
        " one `svytotal` of a 0/1 satisfied column (0 for a blank) and a 0/1 valid column for all"
        " items at once, then the item ratios (Taylor: `svycontrast`; replicates: the ratio of"
        " each replicate's totals, spread by survey's `svrVar`); its"
        " estimates and SEs equal the per-item `svymean(na.rm = TRUE)`."
    )
    notes.append(
        "³ R's replicate forms are item shares only (no components, sub-indices, index or national"
        " mean), so they are a lower bound on R's time for the same job."
    )
    if floor:
        notes.append(
            f"⁴ The floor: plain vectorised numpy for the same replicate totals from the same"
            f" bootstrap draws (each province's PSU factors × its PSUs' weighted indicator totals),"
            f" checked equal to sipas's (largest relative difference {floor['max_rel_diff']:.2g}:"
            f" {'equal' if floor['equal'] else '**not equal**'}). The textbook form, each"
            f" province's replicate weights matrix × its indicator matrix, took"
            f" {secs(floor['weights_matrix_seconds'])}."
        )
    for note in notes:
        lines += [note, ""]
    agreement = [
        f"{name}: max |ΔSE| = {t['max_abs_se_diff']:.2g}"
        for name, t in (
            ("sipas vs R best form", best_t),
            ("sipas vs R per item", taylor["r_survey"]),
            ("sipas vs svy", svy),
        )
        if t
    ]
    if agreement:
        lines.append(
            f"Taylor standard errors over all {data['items']} × {data['provinces']} item × province"
            f" cells: {'; '.join(agreement)}."
        )
        lines.append("")
    big = results["one_million"]
    if big:
        lines += [
            f"| {big['generate']['rows']:,} respondents, {REPLICATES} bootstrap replicates"
            " | PSUs | time | frame in memory | RSS after load | peak RSS | target < 2 GiB |",
            "|---|---:|---:|---:|---:|---:|---|",
        ]
        for key, label in (
            ("clustered", "(a) clustered: PSU = village"),
            ("online", "(b) online: every respondent a PSU"),
        ):
            r = big[key]
            over = r["peak_rss_bytes"] - TARGET_PEAK
            target = f"met ({size(-over)} to spare)" if over < 0 else f"**not met** (+{size(over)})"
            lines.append(
                f"| {label} | {r['psus']:,} | {secs(r['estimate_seconds'])}"
                f" | {size(r['frame_bytes'])} | {size(r['rss_after_load_bytes'])}"
                f" | {size(r['peak_rss_bytes'])} | {target} |"
            )
        lines.append("")
        lines.append(
            "Frame in memory is pandas' deep count, which counts a text value shared by many rows"
            " once per row; the RSS after loading is what the process holds. Peak RSS is read"
            " right after the estimation and includes the frame."
        )
        lines.append("")
        lines.append("Where the time goes (phases timed again one by one after the peak was read):")
        lines.append("")
        for key, label in (("clustered", "(a)"), ("online", "(b)")):
            phases = big[key].get("phases_seconds", {})
            parts = ", ".join(f"{name} {secs(value)}" for name, value in phases.items())
            lines.append(f"- {label} {parts}")
        lines.append("")
    return lines


def render_sampling(sampling: dict[str, Any]) -> list[str]:
    data, draw_, rake_, by_province = (
        sampling["data"],
        sampling["draw"],
        sampling["rake"],
        sampling["rake_by_province"],
    )
    ours = draw_["sipas"]
    lines = [
        "## Sampling",
        "",
        f"Frame: {data['frame_rows']:,} villages (every village of the country) in"
        f" {data['frame_communes']:,} communes and {data['frame_provinces']} provinces,"
        f" {data['frame_households']:,} households. Respondents: {data['respondents']:,}, design"
        f" weights adding up to {data['weighted_sample_total']:,.0f}; population"
        f" {data['population_total']:,.0f}. Times are medians; files are read before the clock"
        " starts.",
        "",
        "| measurement | sipas | R | svy | R ÷ sipas | svy ÷ sipas | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]

    def target(seconds: float) -> str:
        return f"in seconds (< {TARGET_SAMPLING:.0f} s): " + (
            "met" if seconds < TARGET_SAMPLING else "**not met**"
        )

    lines.append(
        f"| draw the national sample ¹: {ours['communes']} communes (PPS systematic),"
        f" {ours['villages']:,} villages (+ {ours['reserve_villages']} in reserve),"
        f" 32 households each | {secs(ours['seconds'])} | {tool_secs(draw_['r'])}"
        f" | {tool_secs(draw_['svy'])} | {tool_ratio(draw_['r'])} | {tool_ratio(draw_['svy'])}"
        f" | {target(ours['seconds'])} |"
    )
    lines.append(
        f"| rake {data['respondents']:,} respondents, 3 margins ² (sex, age band, urban/rural;"
        f" {data['margin_rows']} totals) | {secs(rake_['sipas']['seconds'])}"
        f" | {tool_secs(rake_['r'])} | {tool_secs(rake_['svy'])} | {tool_ratio(rake_['r'])}"
        f" | {tool_ratio(rake_['svy'])} | {target(rake_['sipas']['seconds'])} |"
    )
    lines.append(
        f"| rake per province: 63 provinces × 3 margins ({data['province_margin_rows']} totals)"
        f" | {secs(by_province['sipas']['seconds'])} | — | — | | | |"
    )
    lines.append("")
    lines.append(
        "¹ sipas: `draw` of the three-stage design (6 communes per province by PPS systematic on"
        " the communes' households, in a random order; 3 villages per commune by simple random"
        " sampling plus 1 reserve; 32 households per village below the frame)."
        + (
            " R: `sampling::inclusionprobabilities` + `UPsystematic` (random order) per province"
            " after `aggregate()` of the communes' households, `srswor(3, N)` per selected"
            " commune, then the probabilities and weights."
            if draw_["r"]
            else ""
        )
        + (
            " svy: `Sample(...).sampling.multistage([Stage(commune, n=6, mos=commune households,"
            " method='sys'), Stage(village, n=3)])` with the commune's households added as a"
            " column inside the timed call (svy's stage size must be constant within a unit);"
            " PPS systematic in frame order."
            if draw_["svy"]
            else ""
        )
        + " Neither R nor svy lists reserve villages."
    )
    lines.append(
        "² sipas: `read_margins` + `rake`."
        + (
            " R: `rake()` of `survey` on `svydesign(ids=~1, weights=~w)`,"
            " `control = list(maxit = 100, epsilon = 1e-10)`, the design built before the clock."
            if rake_["r"]
            else ""
        )
        + (
            " svy: `Sample.weighting.rake(controls=..., tol=1e-10, max_iter=1000)`, the sample"
            " built before the clock."
            if rake_["svy"]
            else ""
        )
    )
    lines.append("")
    agreement = []
    for name, key in (("R", "r"), ("svy", "svy")):
        tool = rake_[key]
        if tool:
            agreement.append(f"sipas vs {name}: {tool['max_rel_weight_diff']:.2g}")
    if agreement:
        verdict_r = ""
        if rake_["r"]:
            verdict_r = (
                f" (target ≤ {RAKE_AGREEMENT:g} against R: "
                + ("met" if rake_["r"]["agrees"] else "**not met**")
                + ")"
            )
        lines.append(
            f"Raked weights, largest relative difference over the {data['respondents']:,}"
            f" respondents: {'; '.join(agreement)}{verdict_r}. sipas converged in"
            f" {rake_['sipas']['iterations']} iterations (national) and"
            f" {by_province['sipas']['iterations']} (per province)."
        )
        lines.append("")
    return lines


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "national":
        print(json.dumps(national(Path(sys.argv[2]), int(sys.argv[3]))))
    else:
        main()
