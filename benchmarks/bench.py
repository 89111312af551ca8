"""Benchmark: sipas survey estimation against R ``survey`` and the Python package svy, in one run.

Run it with ``./benchmarks/run``, which installs what it needs first; benchmarks/README.md says
what is measured and how to read the results. This runner:

1. draws the synthetic national survey (sipas-gen2, 2024) in a child process, writes it once to a
   CSV with the top-2-box values y01..y33 (1 = answer 4 or 5, 0 = 1..3, empty = blank) for R and
   svy, and times sipas there (item Taylor SEs; the full estimation with 500 bootstrap replicates);
2. times R ``survey`` (benchmarks/r_survey.R) and svy (benchmarks/svy_bench.py) on that CSV;
3. times one million respondents in separate processes (benchmarks/big.py), so that each peak
   memory is that process's own;
4. writes benchmarks/results/latest.json and latest.md and prints the table.

Every timing is of estimation only (files are read before the clock starts) and is the median of
the runs made. ``python benchmarks/bench.py national DIR`` is the child of step 1.
"""

from __future__ import annotations

import argparse
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
from sipas.synthetic import synthetic_survey

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
MIB = 2**20
GIB = 2**30
COLUMNS = DesignColumns(weight="weight", psu="village", strata="stratum")
REPLICATES = 500
TARGET_TAYLOR = 20  # sipas at least 20x faster than R and than svy (item Taylor SEs)
TARGET_FULL = 100  # full estimation at least 100x faster than R's replicate path
TARGET_PEAK = 2 * GIB  # one million respondents


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


def taylor_ses(frame: pd.DataFrame, framework: SurveyFramework) -> tuple[np.ndarray, list[str]]:
    """Item Taylor SEs by province, design and item values built from the frame (the timed path)."""
    design = design_from_frame(frame, COLUMNS)
    values = item_values(frame, framework)
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


def timed(function: Any, repeats: int) -> tuple[list[float], Any]:
    function()  # warm-up
    runs, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = function()
        runs.append(time.perf_counter() - start)
    return runs, out


def national(folder: Path, repeats: int) -> dict[str, Any]:
    framework = require_survey(load_builtin("sipas-gen2"))
    frame = synthetic_survey(framework, 2024)
    write_csv(frame, framework, folder / "national.csv")
    taylor_runs, (se, domains) = timed(lambda: taylor_ses(frame, framework), repeats)
    full_runs, (result, rank_seconds) = timed(lambda: full_estimation(frame, framework), repeats)
    answers = frame[framework.item_codes()]
    return {
        "respondents": len(frame),
        "provinces": int(frame["province"].nunique()),
        "villages": int(frame["village"].nunique()),
        "items": len(framework.item_codes()),
        "blank_share": float(answers.isna().to_numpy().mean()),
        "taylor_runs": taylor_runs,
        "full_runs": full_runs,
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


def main() -> None:
    parser = argparse.ArgumentParser(description="sipas vs R survey vs svy (see README.md)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of R and svy")
    parser.add_argument("--sipas-repeats", type=int, default=5, help="timed runs of sipas")
    parser.add_argument(
        "--r-replicate-items",
        default="5",
        help="items R's replicate path estimates ('all' = 33); the time is scaled to 33 items",
    )
    parser.add_argument("--svy-python", help="python of the svy environment (omit: skip svy)")
    parser.add_argument("--skip-r", metavar="REASON", help="skip R, recording REASON")
    parser.add_argument("--skip-big", action="store_true", help="skip one million respondents")
    args = parser.parse_args()

    notes: list[str] = []
    results: dict[str, Any] = {
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": "./benchmarks/run",
        "machine": machine(),
    }
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="sipas-bench-") as temp:
        folder = Path(temp)
        csv = folder / "national.csv"
        say("== sipas: national survey, item Taylor SEs and full estimation")
        ours, ours_peak = run_child(
            [sys.executable, str(HERE / "bench.py"), "national", temp, str(args.sipas_repeats)]
        )
        r_taylor = r_replicate = svy = None
        if args.skip_r:
            notes.append(f"R columns skipped: {args.skip_r}")
        else:
            say(f"== R survey: Taylor, {args.repeats} runs")
            r_taylor = attempt(notes, "R Taylor", lambda: run_r(csv, "taylor", "all", args.repeats))
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
            say(
                f"== R survey: subbootstrap, {REPLICATES} replicates, items: {args.r_replicate_items}"
            )
            r_replicate = attempt(
                notes, "R replicate", lambda: run_r(csv, "replicate", args.r_replicate_items, 1)
            )
        big = None if args.skip_big else attempt(notes, "1M", lambda: one_million(folder))

    results["data"] = {
        "framework": "sipas-gen2",
        "year": 2024,
        **{k: ours[k] for k in ("respondents", "provinces", "villages", "items", "blank_share")},
        "design": "strata = province (stratum), PSU = village, weight = weight; domain = province",
        "item_value": "1 if the answer is 4 or 5, 0 if 1..3, blank left out (top-2-box)",
    }
    results["item_taylor"] = item_taylor(ours, ours_peak, r_taylor, svy)
    results["full_estimation"] = full(ours, ours_peak, r_replicate)
    if r_taylor:
        results["machine"]["r_version"] = r_taylor[0]["r_version"]
        results["machine"]["survey_version"] = r_taylor[0]["survey_version"]
    if svy:
        results["machine"]["svy_version"] = svy[0]["svy_version"]
        results["machine"]["polars_version"] = svy[0]["polars_version"]
    results["one_million"] = big
    results["targets"] = {
        "item_taylor_ratio": TARGET_TAYLOR,
        "full_estimation_ratio": TARGET_FULL,
        "one_million_peak_bytes": TARGET_PEAK,
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
    ours: dict[str, Any], ours_peak: int, r: tuple | None, svy: tuple | None
) -> dict[str, Any]:
    seconds = median(ours["taylor_runs"])
    out: dict[str, Any] = {
        "what": "SEs of 33 item shares in each of 63 provinces, Taylor linearisation",
        "sipas": {"seconds": seconds, "runs": ours["taylor_runs"], "peak_rss_bytes": ours_peak},
        "r_survey": None,
        "svy": None,
    }
    for key, tool in (("r_survey", r), ("svy", svy)):
        if tool is None:
            continue
        report, peak = tool
        theirs = median(report["seconds"])
        out[key] = {
            "seconds": theirs,
            "runs": report["seconds"],
            "peak_rss_bytes": peak,
            "ratio": theirs / seconds,
            "max_abs_se_diff": max_abs_diff(ours, report),
        }
    return out


def full(ours: dict[str, Any], ours_peak: int, r: tuple | None) -> dict[str, Any]:
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
        "r_survey": None,
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
    m, data = results["machine"], results["data"]
    taylor, full_ = results["item_taylor"], results["full_estimation"]
    r_t, svy, r_f = taylor["r_survey"], taylor["svy"], full_["r_survey"]
    lines = [
        "# Benchmark: sipas vs R survey vs svy",
        "",
        f"`{results['command']}` on {results['generated']}, commit {str(m['git_commit'])[:10]}"
        + (" with uncommitted changes in src/" if m["git_src_changed"] else "")
        + f" — {m['cpu_count']} CPUs"
        f" ({m['cpu_model']}), Python {m['python_version']}, numpy {m['numpy_version']},"
        f" pandas {m['pandas_version']}; R {m.get('r_version', '—')} with survey"
        f" {m.get('survey_version', '—')}; svy {m.get('svy_version', '—')}.",
        "",
        f"Data: synthetic {data['framework']} {data['year']} survey, {data['respondents']:,}"
        f" respondents, {data['provinces']} provinces (strata), {data['villages']:,} villages"
        f" (PSUs), {data['items']} items, {data['blank_share']:.1%} blank answers. Times are"
        " medians, estimation only (files are read before the clock starts).",
        "",
        "| measurement | sipas | R survey | svy | R ÷ sipas | svy ÷ sipas | target |",
        "|---|---:|---:|---:|---:|---:|---|",
    ]
    r_ratio = r_t["ratio"] if r_t else None
    svy_ratio = svy["ratio"] if svy else None
    taylor_target = (
        f"≥ {TARGET_TAYLOR}×: R {verdict(r_ratio, TARGET_TAYLOR)},"
        f" svy {verdict(svy_ratio, TARGET_TAYLOR)}"
    )
    lines.append(
        f"| item Taylor SEs, {data['items']} items × {data['provinces']} provinces"
        f" | {secs(taylor['sipas']['seconds'])} | {tool_secs(r_t)} | {tool_secs(svy)}"
        f" | {tool_ratio(r_t)} | {tool_ratio(svy)} | {taylor_target} |"
    )
    mark = " extrapolated ¹" if r_f and r_f["extrapolated"] else (" ¹" if r_f else "")
    ranks = " + ranks" if full_["sipas"]["ranks_included"] else ""
    lines.append(
        f"| full estimation{ranks}, {REPLICATES} bootstrap replicates"
        f" | {secs(full_['sipas']['seconds'])} | {tool_secs(r_f)}{mark} | —"
        f" | {tool_ratio(r_f)} | — | ≥ {TARGET_FULL}× R: {verdict(r_f['ratio'] if r_f else None, TARGET_FULL)} |"
    )
    peak_r = max((t["peak_rss_bytes"] for t in (r_t, r_f) if t), default=None)
    lines.append(
        f"| peak RSS of the process ² | {size(taylor['sipas']['peak_rss_bytes'])} | {size(peak_r)}"
        f" | {size(svy['peak_rss_bytes']) if svy else '—'} | | | |"
    )
    lines.append("")
    if r_f:
        lines.append(
            "¹ R's replicate path is item shares only (no components, sub-indices, index or"
            " national mean), so it is a lower bound on R's time for the same job."
            + (
                f" **Extrapolated**: R estimated {r_f['items_measured']} of {data['items']} items"
                f" in {secs(r_f['measured_seconds'])} measured ({secs(r_f['replicate_design_seconds'])}"
                f" to build the replicate weights + {secs(r_f['items_seconds'])} for the items),"
                f" scaled linearly to {data['items']} items."
                if r_f["extrapolated"]
                else ""
            )
        )
    lines.append(
        "² Whole process: runtime, data and estimation. sipas: the child that also generates the"
        " data; R: the larger of its Taylor and replicate processes."
    )
    lines.append("")
    agreement = [
        f"{name}: max |ΔSE| = {t['max_abs_se_diff']:.2g}"
        for name, t in (("sipas vs R", r_t), ("sipas vs svy", svy))
        if t
    ]
    if agreement:
        lines.append(
            f"Standard errors over all {data['items']} × {data['provinces']} item × province"
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
    for note in results["notes"]:
        lines.append(f"Note: {note}")
    if results["notes"]:
        lines.append("")
    return "\n".join(lines)


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "national":
        print(json.dumps(national(Path(sys.argv[2]), int(sys.argv[3]))))
    else:
        main()
