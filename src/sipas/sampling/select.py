"""Drawing a multi-stage sample from a frame, with the inclusion probability of every stage.

A design is data (YAML): the stratum column (province) and the stages, each with the frame column
that names its units, how units are chosen within their parent (PPS systematic by a size column,
simple random, systematic) and how many. The last stage may be below the frame (households listed in
the field): its probability is ``take / size`` of the unit above it.

Each parent's draw has its own random stream, seeded by the design seed and the parent's id, so the
same seed gives the same sample whatever the frame's row order, and a province can be redrawn alone.
The sample carries each stage's probability, their product and the design weight, its inverse.
"""

from __future__ import annotations

import zlib
from enum import StrEnum
from typing import Annotated

import numpy as np
import pandas as pd
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sipas.errors import SipasError
from sipas.messages import Phrase
from sipas.rows import counted_phrase, file_rows

_SHOWN = 10


class Method(StrEnum):
    PPS_SYSTEMATIC = (
        "pps_systematic"  # probability proportional to size, systematic, no replacement
    )
    SRS = "srs"  # simple random sampling without replacement
    SYSTEMATIC = "systematic"  # equal probability, systematic from a random start


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    unit: str | None = None  # frame column naming the units; None: below the frame (households)
    method: Method = Method.SRS
    take: Annotated[int, Field(gt=0)]
    size: str | None = None  # frame column of sizes (PPS; the last stage's listing size)
    reserve: Annotated[int, Field(ge=0)] = 0  # extra units per parent, kept in reserve


class SampleDesign(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    strata: str | None = None  # e.g. province; None: the whole frame is one stratum
    stages: Annotated[list[Stage], Field(min_length=1)]

    @model_validator(mode="after")
    def _stages_fit_together(self) -> SampleDesign:
        listed = [s for s in self.stages if s.unit]
        if not listed:
            raise ValueError("at least one stage must name a frame column (unit)")
        for number, stage in enumerate(self.stages):
            where = f"stage {number + 1} ({stage.name})"
            if stage.method is Method.PPS_SYSTEMATIC and not stage.size:
                raise ValueError(f"{where} is PPS and needs a size column")
            if not stage.unit:
                if number != len(self.stages) - 1:
                    raise ValueError(f"{where} is below the frame, so it must be the last stage")
                if not stage.size:
                    raise ValueError(f"{where} is below the frame and needs a size column")
        return self


def read_design(text: str, source: str = "design") -> SampleDesign:
    try:
        data = yaml.safe_load(text)
        return SampleDesign.model_validate(data)
    except yaml.YAMLError as error:
        raise SipasError("sample.design_yaml", source=source, reason=str(error)) from None
    except ValidationError as error:
        first = error.errors()[0]
        where = " › ".join(str(p) for p in first["loc"])
        message = str(first["msg"]).removeprefix("Value error, ")
        raise SipasError(
            "sample.design_invalid",
            source=source,
            field=where or Phrase("sample.design_top"),
            reason=message,
        ) from None


def _rng(seed: int, *keys: str | int) -> np.random.Generator:
    numbers = [zlib.crc32(str(k).encode("utf-8")) for k in keys]
    return np.random.default_rng([seed, *numbers])


def pps_probabilities(sizes: np.ndarray, take: int) -> np.ndarray:
    """Inclusion probabilities take·size/Σsize, with units that would exceed 1 taken for certain."""
    sizes = np.asarray(sizes, dtype=float)
    prob = np.zeros(len(sizes))
    certain = np.zeros(len(sizes), dtype=bool)
    take = min(take, len(sizes))
    for _ in range(len(sizes) + 1):
        left = take - int(certain.sum())
        rest = sizes * ~certain
        if left <= 0 or rest.sum() == 0:
            break
        prob = np.where(certain, 1.0, left * rest / rest.sum())
        over = ~certain & (prob >= 1.0)
        if not over.any():
            break
        certain |= over
    return np.where(certain, 1.0, prob)


def pps_systematic(
    rng: np.random.Generator, sizes: np.ndarray, take: int
) -> tuple[np.ndarray, np.ndarray]:
    """Indices drawn by systematic PPS after a random ordering, and every unit's probability."""
    prob = pps_probabilities(sizes, take)
    order = rng.permutation(len(prob))
    cumulative = np.cumsum(prob[order])
    count = int(np.round(cumulative[-1]))
    points = rng.uniform(0.0, 1.0) + np.arange(count)
    # A point past the end can only come from rounding in the cumulative sum: it is the last unit.
    positions = np.minimum(np.searchsorted(cumulative, points, side="right"), len(order) - 1)
    chosen = order[positions]
    return np.unique(chosen), prob


def _equal(rng: np.random.Generator, n_units: int, take: int, method: Method) -> np.ndarray:
    """Unit indices in draw order: the first ``take`` are the sample, the rest reserves in order."""
    order = rng.permutation(n_units)  # frames are rarely in a meaningful order
    if method is Method.SYSTEMATIC and take < n_units:
        step = n_units / take
        start = rng.uniform(0.0, step)
        main = np.floor(start + step * np.arange(take)).astype(int)
        rest = np.setdiff1d(np.arange(n_units), main)
        return np.concatenate([order[main], order[rng.permutation(rest)]])
    return order


def _check_frame(frame: pd.DataFrame, design: SampleDesign) -> None:
    needed = [design.strata] if design.strata else []
    for stage in design.stages:
        needed += [c for c in (stage.unit, stage.size) if c]
    missing = [c for c in dict.fromkeys(needed) if c not in frame.columns]
    if missing:
        raise SipasError(
            "sample.frame_columns", columns=missing, available=[str(c) for c in frame.columns[:30]]
        )
    listed = [s.unit for s in design.stages if s.unit]
    # A unit is identified within its parents: the same person may use two departments.
    identity = ([design.strata] if design.strata else []) + listed
    duplicated = frame[listed[-1]].duplicated(keep=False)  # cheap: one column
    if duplicated.any():  # only then the full identity, which allows a person in two units
        duplicated = frame.duplicated(identity, keep=False)
    if duplicated.any():
        rows = file_rows(frame.index, duplicated)
        raise SipasError(
            "sample.duplicate_units",
            count=counted_phrase(int(duplicated.sum()), "row"),
            column=listed[-1],
            rows=rows,
        )
    for stage in design.stages:
        if stage.size:
            sizes = pd.to_numeric(frame[stage.size], errors="coerce")
            bad = sizes.isna() | (sizes <= 0)
            if bad.any():
                rows = file_rows(frame.index, bad)
                raise SipasError(
                    "sample.bad_size",
                    count=counted_phrase(int(bad.sum()), "row"),
                    column=stage.size,
                    rows=rows,
                )


def _select_stage(current: pd.DataFrame, stage: Stage, number: int, seed: int) -> pd.DataFrame:
    """Keep the rows of the units chosen in each parent, with the stage's probability."""
    assert stage.unit is not None
    parent_codes, parents = pd.factorize(current["_parent"], sort=True)
    unit_labels = current[stage.unit].astype(str)
    unit_codes, units = pd.factorize(unit_labels, sort=True)
    # (parent, unit) pairs in parent order, units sorted by name within each parent.
    pairs, row_pair = np.unique(parent_codes * len(units) + unit_codes, return_inverse=True)
    sizes = (
        pd.to_numeric(current[stage.size], errors="coerce").to_numpy(dtype=float)
        if stage.size
        else np.ones(len(current))
    )
    pair_size = np.bincount(row_pair, weights=sizes, minlength=len(pairs))
    bounds = np.searchsorted(pairs // len(units), np.arange(len(parents) + 1))
    counts = np.diff(bounds)
    short = np.flatnonzero(counts < stage.take)
    if len(short):
        shown = [
            Phrase("sample.parent_has", parent=str(parents[g]).split("/")[-1], count=int(counts[g]))
            for g in short[:_SHOWN]
        ]
        raise SipasError(
            "sample.allocation_exceeds_frame",
            stage=stage.name,
            take=stage.take,
            unit=stage.unit,
            parents=counted_phrase(len(short), "parent"),
            shown=shown,
        )
    selected = np.zeros(len(pairs), dtype=bool)
    reserve = np.zeros(len(pairs), dtype=bool)
    probability = np.zeros(len(pairs))
    for g, parent in enumerate(parents):
        first, last = bounds[g], bounds[g + 1]
        rng = _rng(seed, number, parent)
        if stage.method is Method.PPS_SYSTEMATIC:
            chosen, prob = pps_systematic(rng, pair_size[first:last], stage.take)
            selected[first + chosen] = True
            probability[first:last] = prob
        else:
            n_units = last - first
            order = _equal(rng, n_units, stage.take, stage.method)
            main = min(stage.take, n_units)
            selected[first + order[: main + stage.reserve]] = True
            reserve[first + order[main : main + stage.reserve]] = True
            probability[first:last] = main / n_units
    keep = selected[row_pair]
    kept = current[keep].copy()
    kept_pairs = row_pair[keep]
    kept[f"p_{stage.name}"] = probability[kept_pairs]
    kept["probability"] = kept["probability"] * probability[kept_pairs]
    kept["reserve"] = kept["reserve"].to_numpy() | reserve[kept_pairs]
    kept["_parent"] = kept["_parent"] + "/" + unit_labels[keep]
    return kept


def draw(frame: pd.DataFrame, design: SampleDesign, seed: int) -> pd.DataFrame:
    """The selected units of the lowest listed stage, with probabilities and design weights.

    Columns: the strata and stage unit columns, ``p_<stage>`` for each stage, ``probability``,
    ``design_weight``, ``reserve`` (True for reserve units) and, when the last stage is below the
    frame, ``take`` (how many to interview in the unit).
    """
    _check_frame(frame, design)
    stratum_column = design.strata
    current = frame.copy()
    current["_stratum"] = current[stratum_column].astype(str) if stratum_column else "all"
    current["_parent"] = current["_stratum"]
    current["probability"] = 1.0
    current["reserve"] = False
    listed = [s for s in design.stages if s.unit]
    for number, stage in enumerate(listed):
        assert stage.unit is not None
        current = _select_stage(current, stage, number, seed)
    below = [s for s in design.stages if not s.unit]
    for stage in below:
        size = pd.to_numeric(current[stage.size], errors="coerce") if stage.size else None
        if size is None:
            raise SipasError("sample.stage_needs_size", stage=stage.name)
        current["take"] = np.minimum(stage.take, size).astype(int)
        current[f"p_{stage.name}"] = current["take"] / size
        current["probability"] *= current[f"p_{stage.name}"]
    current["design_weight"] = 1.0 / current["probability"]
    return current.drop(columns=["_parent", "_stratum"]).reset_index(drop=True)
