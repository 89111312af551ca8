"""Sampling and weighting for every caller: sizes, drawing from a frame file, weights from margins."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib import resources
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from sipas.api.estimation import read_responses
from sipas.errors import SipasError
from sipas.rows import file_rows
from sipas.sampling.frames import procedure_user_frame
from sipas.sampling.select import SampleDesign, draw, read_design
from sipas.sampling.size import Allocation, allocate, margin_of_error, required_size, yamane
from sipas.sampling.weights import (
    CalibrationMethod,
    calibrate,
    margin_error,
    nonresponse_adjust,
    read_margins,
    trim,
    weight_report,
)


class SampleSize(TypedDict):
    """The respondents a margin needs, and the margin that size achieves (percentage points)."""

    rule: str
    n: int
    margin_pp: float
    confidence: float
    deff: float
    p: float
    population: float | None


class AllocationRow(TypedDict):
    """Respondents for one unit and the ± margin (percentage points) they give for p = 50 %."""

    unit: str
    population: float
    n: int
    margin_pp: float


class DrawnSample(TypedDict):
    """A drawn sample: units and reserves, per stratum, and the files written."""

    design: str
    seed: int
    units: int
    reserves: int
    by_stratum: list[dict[str, Any]]  # keyed by the design's stratum column, whatever it is named
    files: list[str]


class UnitPersons(TypedDict):
    unit: str
    persons: int


class BuiltFrame(TypedDict):
    """A procedure-user frame: the problems found, persons per unit, the files written."""

    report: dict[str, Any]
    by_unit: list[UnitPersons]
    files: list[str]


# "from" is a Python keyword, so this one is declared in the functional form.
HistogramBin = TypedDict("HistogramBin", {"from": float, "to": float, "count": int})


class ComputedWeights(TypedDict):
    """Design and calibrated weights summarised, their histogram, and the file written."""

    design: dict[str, Any]
    calibrated: dict[str, Any]
    histogram: list[HistogramBin]
    file: str | None


@dataclass(frozen=True)
class SizeRequest:
    margin: float  # percentage points, e.g. 3.5
    confidence: float = 0.95
    deff: float = 2.0
    p: float = 0.5
    population: float | None = None
    rule: str = "standard"  # or "yamane": n = N / (1 + N e²)


def sample_size(request: SizeRequest) -> SampleSize:
    e = request.margin / 100
    if request.rule == "yamane":
        if request.population is None:
            raise SipasError("sample.no_population")
        n = yamane(request.population, e)
    else:
        n = required_size(e, request.confidence, request.p, request.deff, request.population)
    achieved = margin_of_error(n, request.confidence, request.p, request.deff, request.population)
    return {
        "rule": request.rule,
        "n": n,
        "margin_pp": round(achieved * 100, 3),
        "confidence": request.confidence,
        "deff": request.deff,
        "p": request.p,
        "population": request.population,
    }


def allocation_table(
    total: int,
    populations: pd.DataFrame,
    unit: str,
    population: str,
    method: str = "proportional",
    minimum: int = 0,
    deff: float = 2.0,
    confidence: float = 0.95,
    fixed: dict[str, int] | None = None,
) -> list[AllocationRow]:
    """Respondents per unit, and the ± margin (percentage points) each would give for p = 50%."""
    for column in (unit, population):
        if column not in populations.columns:
            raise SipasError(
                "sample.missing_column",
                column=column,
                available=[str(c) for c in populations.columns],
            )
    duplicated = populations[unit].duplicated(keep=False)
    if duplicated.any():
        rows = file_rows(populations.index, duplicated)
        raise SipasError("sample.duplicate_population_units", rows=rows)
    sizes = pd.Series(
        pd.to_numeric(populations[population], errors="coerce").to_numpy(),
        index=populations[unit].astype(str),
    )
    n = allocate(total, sizes, Allocation(method), minimum, fixed=fixed)
    return [
        {
            "unit": str(u),
            "population": float(sizes[u]),
            "n": int(n[u]),
            "margin_pp": round(margin_of_error(int(n[u]), confidence, 0.5, deff) * 100, 2),
        }
        for u in n.index
    ]


def draw_sample(
    design_path: Path, frame_path: Path, seed: int, out: Path | None = None
) -> DrawnSample:
    """Draw, and write the sample, the contact lists (CSV, XLSX per stratum) and the reserves."""
    design = read_design(_design_text(design_path), str(design_path))
    frame = read_responses(frame_path)
    sample = draw(frame, design, seed)
    written: list[str] = []
    if out is not None:
        written = _write_sample(sample, design, out)
    return {
        "design": design.id,
        "seed": seed,
        "units": int((~sample["reserve"]).sum()),
        "reserves": int(sample["reserve"].sum()),
        "by_stratum": _summary(sample, design),
        "files": written,
    }


BUILTIN_DESIGNS = resources.files("sipas.sampling") / "designs"


def builtin_designs() -> list[str]:
    return sorted(p.name.removesuffix(".yaml") for p in BUILTIN_DESIGNS.iterdir()
                  if p.name.endswith(".yaml"))  # fmt: skip


def _design_text(path: Path) -> str:
    """A design file, or a built-in design by name (household-2025, household-2024, …)."""
    if path.exists():
        return path.read_text(encoding="utf-8")
    builtin = BUILTIN_DESIGNS / f"{path.name}.yaml"
    if builtin.is_file():
        return builtin.read_text(encoding="utf-8")
    raise SipasError("sample.no_file", path=str(path), builtins=list(builtin_designs()))


def _summary(sample: pd.DataFrame, design: SampleDesign) -> list[dict[str, Any]]:
    key = design.strata or "stratum"
    if key not in sample.columns:
        sample = sample.assign(**{key: "all"})
    main = sample[~sample["reserve"]]
    out = []
    for stratum, rows in main.groupby(key, sort=True):
        interviews = int(rows["take"].sum()) if "take" in rows else len(rows)
        out.append(
            {
                key: str(stratum),
                "units": len(rows),
                "interviews": interviews,
                "min_weight": round(float(rows["design_weight"].min()), 3),
                "max_weight": round(float(rows["design_weight"].max()), 3),
            }
        )
    return out


def _write_sample(sample: pd.DataFrame, design: SampleDesign, out: Path) -> list[str]:
    out.mkdir(parents=True, exist_ok=True)
    files = []
    main, reserves = sample[~sample["reserve"]], sample[sample["reserve"]]
    for name, table in (("sample.csv", main), ("reserves.csv", reserves)):
        table.to_csv(out / name, index=False)
        files.append(str(out / name))
    contact = out / "contact_lists.xlsx"
    key = design.strata
    with pd.ExcelWriter(contact, engine="xlsxwriter") as writer:
        groups = main.groupby(key, sort=True) if key else [("all", main)]
        for stratum, rows in groups:
            sheet = str(stratum)[:31] or "all"
            rows.to_excel(writer, sheet_name=sheet, index=False)
        if len(reserves):
            reserves.to_excel(writer, sheet_name="reserves", index=False)
    files.append(str(contact))
    return files


def build_frame(
    dossiers_path: Path,
    *,
    unit: str,
    person: str,
    received: str,
    start: date,
    end: date,
    out: Path | None = None,
) -> BuiltFrame:
    """A procedure-user frame from dossier records; quarantined rows are written beside it."""
    frame, report, quarantined = procedure_user_frame(
        read_responses(dossiers_path), unit=unit, person=person, received=received,
        start=start, end=end,
    )  # fmt: skip
    files = []
    if out is not None:
        frame.to_csv(out, index=False)
        files.append(str(out))
        if len(quarantined):
            aside = out.with_name(out.stem + "-quarantined.csv")
            quarantined.to_csv(aside, index=False)
            files.append(str(aside))
    per_unit = frame.groupby(unit).size()
    return {
        "report": report.to_dict(),
        "by_unit": [UnitPersons(unit=str(u), persons=int(n)) for u, n in per_unit.items()],
        "files": files,
    }


@dataclass(frozen=True)
class WeightsRequest:
    weight: str
    margins: Path
    group: str | None = None
    method: str = "raking"
    trim_upper: float | None = None  # a multiple of the median weight, e.g. 3.5
    responded: str | None = None  # column: 1/yes/true for respondents, 0/no/false otherwise
    nonresponse_cells: tuple[str, ...] = ()


_YES = {"1", "yes", "y", "true", "t", "có", "co", "x"}
_NO = {"0", "no", "n", "false", "f", "không", "khong", ""}


def _responded(frame: pd.DataFrame, column: str) -> np.ndarray:
    if column not in frame.columns:
        raise SipasError("weights.missing_responded_column", column=column)
    text = frame[column].astype("string").str.strip().str.lower().fillna("")
    unknown = ~text.isin(_YES | _NO)
    if unknown.any():
        rows = file_rows(frame.index, unknown)
        raise SipasError("weights.bad_responded", column=column, rows=rows)
    return np.asarray(text.isin(_YES).to_numpy(), dtype=bool)


def compute_weights(
    responses_path: Path, request: WeightsRequest, out: Path | None = None
) -> ComputedWeights:
    frame = read_responses(responses_path)
    if request.weight not in frame.columns:
        raise SipasError(
            "weights.missing_weight_column",
            column=request.weight,
            path=responses_path,
            available=[str(c) for c in frame.columns[:30]],
        )
    weights = pd.to_numeric(frame[request.weight], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(weights) | (weights <= 0)
    if bad.any():
        rows = file_rows(frame.index, bad)
        raise SipasError("weights.bad_weight", rows=rows)
    notes_before: list[str] = []
    if request.responded:
        answered = _responded(frame, request.responded)
        adjusted = nonresponse_adjust(frame, weights, answered, list(request.nonresponse_cells))
        notes_before.append(
            f"non-response: {int((~answered).sum())} of {len(frame)} sampled did not answer;"
            f" weights adjusted within {' × '.join(request.nonresponse_cells) or 'the whole sample'}"
        )
        frame = frame[answered].reset_index(drop=True)
        weights = adjusted[answered]
    margins = read_margins(read_responses(request.margins), request.group)
    calibrated, report = calibrate(
        frame, weights, margins, CalibrationMethod(request.method), request.group
    )
    if request.trim_upper is not None:
        cap = float(np.median(calibrated)) * request.trim_upper
        groups = (
            pd.factorize(frame[request.group])[0] if request.group else None
        )  # totals kept per group
        calibrated, capped = trim(calibrated, upper=cap, groups=groups)
        notes = report.notes
        report = weight_report(
            calibrated, f"{report.method} + trimmed at {request.trim_upper} × median",
            iterations=report.iterations, converged=report.converged, trimmed=capped,
            max_margin_error=margin_error(frame, calibrated, margins, request.group),
        )  # fmt: skip
        capped_note = f"{capped} weights capped at {cap:.4g}; margins now hold only approximately"
        report.notes = [*notes, capped_note]
    report.notes = [*notes_before, *report.notes]
    written = None
    if out is not None:
        result = frame.assign(adjusted_weight=weights, calibrated_weight=calibrated)
        result.to_csv(out, index=False)
        written = str(out)
    design = weight_report(weights, "design")
    return {
        "design": design.to_dict(),
        "calibrated": report.to_dict(),
        "histogram": weight_histogram(calibrated),
        "file": written,
    }


def weight_histogram(weights: np.ndarray, bins: int = 12) -> list[HistogramBin]:
    """Counts of weights in equal-width bins: the shape of the distribution at a glance."""
    counts, edges = np.histogram(np.asarray(weights, dtype=float), bins=bins)
    return [
        HistogramBin({"from": float(a), "to": float(b), "count": int(c)})
        for a, b, c in zip(edges[:-1], edges[1:], counts, strict=True)
    ]
