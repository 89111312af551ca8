"""Sampling benchmark, sipas side: drawing a national sample and raking respondents to margins.

Usage: python benchmarks/sampling.py DIR [REPEATS]

Builds the synthetic data deterministically (numpy seeds) and writes them to DIR for R and svy:

- ``frame.csv``: every village of the country, 63 provinces × ~110 communes × ~10 villages
  (≈ 70,000 rows): ``province, commune, village, households`` (30..800 households);
- ``respondents.csv``: 40,000 respondents, ``id, province, sex, age_band, urban_rural, w``
  (``w`` the design weight);
- ``margins.csv``: national population totals of sex, age band and urban/rural
  (``variable, level, total``), consistent with each other, about 1.3 × the weighted sample;
- ``margins_province.csv``: the same per province (``province, variable, level, total``).

Then times, each the median of REPEATS runs after a warm-up: ``draw`` of the three-stage national
design (PPS systematic communes within province, simple random villages within commune with a
reserve, households below the frame); ``read_margins`` + ``rake`` on the national margins; and the
same per province (``group="province"``). Writes the national raked weights to
``weights_sipas.csv`` (one per respondent, in file order) and prints one JSON object.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from sipas.sampling.select import draw, read_design
from sipas.sampling.weights import rake, read_margins

PROVINCES = 63
RESPONDENTS = 40_000
SEED = 20240
TAKE_COMMUNES = 6  # per province, PPS systematic
TAKE_VILLAGES = 3  # per selected commune, simple random (sipas also lists 1 reserve)
TAKE_HOUSEHOLDS = 32  # per selected village, below the frame
DESIGN = f"""id: national
strata: province
stages:
  - {{name: commune, unit: commune, method: pps_systematic, size: households, take: {TAKE_COMMUNES}}}
  - {{name: village, unit: village, method: srs, take: {TAKE_VILLAGES}, reserve: 1}}
  - {{name: household, size: households, take: {TAKE_HOUSEHOLDS}}}
"""
MARGINS = {
    "sex": ["female", "male"],
    "age_band": ["15-24", "25-34", "35-44", "45-59", "60+"],
    "urban_rural": ["rural", "urban"],
}


def village_frame(seed: int = SEED) -> pd.DataFrame:
    """Every village: 63 provinces, 95..125 communes each, 6..14 villages per commune."""
    rng = np.random.default_rng(seed)
    communes = rng.integers(95, 126, size=PROVINCES)
    province, commune, village = [], [], []
    for p, n_communes in enumerate(communes, start=1):
        villages = rng.integers(6, 15, size=n_communes)
        for c, n_villages in enumerate(villages, start=1):
            code = f"P{p:02d}-C{c:03d}"
            province += [f"P{p:02d}"] * n_villages
            commune += [code] * n_villages
            village += [f"{code}-V{v:02d}" for v in range(1, n_villages + 1)]
    households = np.clip(np.round(rng.lognormal(np.log(250), 0.6, size=len(village))), 30, 800)
    return pd.DataFrame(
        {
            "province": province,
            "commune": commune,
            "village": village,
            "households": households.astype(np.int64),
        }
    )


def respondents(seed: int = SEED + 1) -> pd.DataFrame:
    """40,000 respondents with their province, sex, age band, urban/rural and design weight."""
    rng = np.random.default_rng(seed)
    n = RESPONDENTS
    province = rng.integers(1, PROVINCES + 1, size=n)
    urban_share = rng.uniform(0.15, 0.7, size=PROVINCES + 1)[province]
    age_p = np.array([0.22, 0.24, 0.21, 0.20, 0.13])
    return pd.DataFrame(
        {
            "id": np.arange(1, n + 1),
            "province": [f"P{p:02d}" for p in province],
            "sex": np.where(rng.uniform(size=n) < 0.53, "female", "male"),
            "age_band": np.array(MARGINS["age_band"])[rng.choice(5, size=n, p=age_p)],
            "urban_rural": np.where(rng.uniform(size=n) < urban_share, "urban", "rural"),
            "w": np.round(rng.lognormal(np.log(500), 0.5, size=n), 4),
        }
    )


def margins_for(data: pd.DataFrame, rng: np.random.Generator) -> list[dict[str, Any]]:
    """Totals 1.3 × the weighted sample, each level's share moved by up to ±20%."""
    total = 1.3 * float(data["w"].sum())
    rows = []
    for variable, levels in MARGINS.items():
        shares = data.groupby(variable)["w"].sum().reindex(levels).to_numpy() / data["w"].sum()
        moved = shares * rng.uniform(0.8, 1.2, size=len(levels))
        totals = total * moved / moved.sum()
        rows += [
            {"variable": variable, "level": level, "total": float(t)}
            for level, t in zip(levels, totals, strict=True)
        ]
    return rows


def national_margins(data: pd.DataFrame, seed: int = SEED + 2) -> pd.DataFrame:
    return pd.DataFrame(margins_for(data, np.random.default_rng(seed)))


def province_margins(data: pd.DataFrame, seed: int = SEED + 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for province, part in data.groupby("province", sort=True):
        rows += [{"province": province, **row} for row in margins_for(part, rng)]
    return pd.DataFrame(rows)


def timed(function: Any, repeats: int) -> tuple[list[float], Any]:
    function()  # warm-up
    runs, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = function()
        runs.append(time.perf_counter() - start)
    return runs, out


def main() -> None:
    folder = Path(sys.argv[1])
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    frame = village_frame()
    people = respondents()
    margins_df = national_margins(people)
    by_province_df = province_margins(people)
    frame.to_csv(folder / "frame.csv", index=False)
    people.to_csv(folder / "respondents.csv", index=False)
    margins_df.to_csv(folder / "margins.csv", index=False)
    by_province_df.to_csv(folder / "margins_province.csv", index=False)
    # Every tool reads the files back, so that all of them rake exactly the same numbers.
    frame = pd.read_csv(folder / "frame.csv", dtype={"province": str, "commune": str})
    people = pd.read_csv(folder / "respondents.csv")
    margins_df = pd.read_csv(folder / "margins.csv")
    by_province_df = pd.read_csv(folder / "margins_province.csv")
    weights = people["w"].to_numpy()

    design = read_design(DESIGN)
    draw_runs, sample = timed(lambda: draw(frame, design, seed=1), repeats)

    def national() -> tuple[np.ndarray, Any]:
        return rake(people, weights, read_margins(margins_df))

    def by_province() -> tuple[np.ndarray, Any]:
        return rake(
            people, weights, read_margins(by_province_df, group="province"), group="province"
        )

    rake_runs, (raked, report) = timed(national, repeats)
    province_runs, (_, province_report) = timed(by_province, repeats)
    pd.DataFrame({"id": people["id"], "w": raked}).to_csv(
        folder / "weights_sipas.csv", index=False, float_format="%.17g"
    )
    main_sample = sample[~sample["reserve"]]
    print(
        json.dumps(
            {
                "frame_rows": len(frame),
                "frame_provinces": int(frame["province"].nunique()),
                "frame_communes": int(frame["commune"].nunique()),
                "frame_households": int(frame["households"].sum()),
                "design": DESIGN,
                "draw_runs": draw_runs,
                "draw_seconds": statistics.median(draw_runs),
                "sample_villages": len(main_sample),
                "reserve_villages": int(sample["reserve"].sum()),
                "sample_communes": int(main_sample["commune"].nunique()),
                "villages_estimated": float(
                    (1 / (main_sample["p_commune"] * main_sample["p_village"])).sum()
                ),
                "respondents": len(people),
                "margin_rows": len(margins_df),
                "province_margin_rows": len(by_province_df),
                "weighted_sample_total": float(weights.sum()),
                "population_total": float(
                    margins_df.loc[margins_df["variable"] == "sex", "total"].sum()
                ),
                "rake_runs": rake_runs,
                "rake_seconds": statistics.median(rake_runs),
                "rake_iterations": report.iterations,
                "rake_converged": report.converged,
                "rake_max_margin_error": report.max_margin_error,
                "province_rake_runs": province_runs,
                "province_rake_seconds": statistics.median(province_runs),
                "province_rake_iterations": province_report.iterations,
                "province_rake_converged": province_report.converged,
                "province_rake_max_margin_error": province_report.max_margin_error,
            }
        )
    )


if __name__ == "__main__":
    main()
