"""Sampling and weighting for every caller: sizes, drawing from a frame file, weights from margins."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sipas.api.estimation import read_responses
from sipas.errors import SipasError
from sipas.sampling.select import SampleDesign, draw, read_design
from sipas.sampling.size import Allocation, allocate, margin_of_error, required_size, yamane
from sipas.sampling.weights import (
    CalibrationMethod,
    calibrate,
    margin_error,
    read_margins,
    trim,
    weight_report,
)


@dataclass(frozen=True)
class SizeRequest:
    margin: float  # percentage points, e.g. 3.5
    confidence: float = 0.95
    deff: float = 2.0
    p: float = 0.5
    population: float | None = None
    rule: str = "standard"  # or "yamane": n = N / (1 + N e²)


def sample_size(request: SizeRequest) -> dict[str, Any]:
    e = request.margin / 100
    if request.rule == "yamane":
        if request.population is None:
            raise SipasError(
                "sample.no_population",
                "the n = N / (1 + N·e²) rule needs --population",
                hint="give N, e.g. the number of dossiers in the survey period",
            )
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
) -> list[dict[str, Any]]:
    """Respondents per unit, and the ± margin (percentage points) each would give for p = 50%."""
    for column in (unit, population):
        if column not in populations.columns:
            raise SipasError(
                "sample.missing_column",
                f"the populations file has no column {column!r}",
                hint=f"its columns are: {', '.join(map(str, populations.columns))}",
            )
    duplicated = populations[unit].duplicated(keep=False)
    if duplicated.any():
        rows = [int(i) + 2 for i in np.flatnonzero(duplicated.to_numpy())[:10]]
        raise SipasError(
            "sample.duplicate_units", f"units repeat in rows {rows}", hint="one row per unit"
        )
    sizes = pd.Series(
        pd.to_numeric(populations[population], errors="coerce").to_numpy(),
        index=populations[unit].astype(str),
    )
    n = allocate(total, sizes, Allocation(method), minimum)
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
) -> dict[str, Any]:
    """Draw, and write the sample, the contact lists (CSV, XLSX per stratum) and the reserves."""
    if not design_path.exists():
        raise SipasError("sample.no_file", f"file not found: {design_path}", hint="check the path")
    design = read_design(design_path.read_text(encoding="utf-8"), str(design_path))
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


@dataclass(frozen=True)
class WeightsRequest:
    weight: str
    margins: Path
    group: str | None = None
    method: str = "raking"
    trim_upper: float | None = None  # a multiple of the median weight, e.g. 3.5


def compute_weights(
    responses_path: Path, request: WeightsRequest, out: Path | None = None
) -> dict[str, Any]:
    frame = read_responses(responses_path)
    if request.weight not in frame.columns:
        raise SipasError(
            "weights.missing_column",
            f"no weight column {request.weight!r} in {responses_path}",
            hint=f"the columns are: {', '.join(map(str, frame.columns[:30]))}",
        )
    weights = pd.to_numeric(frame[request.weight], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(weights) | (weights <= 0)
    if bad.any():
        rows = [int(i) + 2 for i in np.flatnonzero(bad)[:10]]
        raise SipasError(
            "weights.bad_weight",
            f"design weights are blank, zero or negative in rows {rows}",
            hint="every respondent needs a positive design weight before calibration",
        )
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
    written = None
    if out is not None:
        result = frame.assign(calibrated_weight=calibrated)
        result.to_csv(out, index=False)
        written = str(out)
    design = weight_report(weights, "design")
    return {
        "design": design.to_dict(),
        "calibrated": report.to_dict(),
        "file": written,
    }
