"""svy side of the sampling benchmark: drawing the national sample and raking to margins.

Runs in its own virtual environment (benchmarks/.venv-svy, pins in requirements/bench.txt).

Usage: python benchmarks/svy_sampling.py DIR [REPEATS]

DIR holds the files benchmarks/sampling.py writes; they are read before timing, and each timing is
REPEATS runs after a warm-up.

- Drawing: ``Sample(frame, Design(stratum="province")).sampling.multistage([...])`` with
  ``Stage("commune", n=6, mos=<commune households>, method="sys", certainty_threshold=1.0)``
  (PPS systematic, 6 communes per province) and ``Stage("village", n=3)`` (simple random, 3 per
  selected commune), then the household stage's probability min(32, households) / households.
  svy's stages need a size that is constant within a unit, so the commune's households (the sum
  over its villages) are added as a column inside the timed call.
- Raking: ``sample.weighting.rake(controls={variable: {level: total}}, tol=1e-10,
  max_iter=1000)`` on ``Sample(respondents, Design(wgt="w"))``, built before the clock starts.
  The raked weights are written to DIR/weights_svy.csv.

Prints one JSON object.
"""

from __future__ import annotations

import json
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any

import polars as pl
import svy
from svy.selection import Stage

TAKE_COMMUNES = 6
TAKE_VILLAGES = 3
TAKE_HOUSEHOLDS = 32


def timed(function: Any, repeats: int) -> tuple[list[float], Any]:
    function()  # warm-up
    runs, out = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        out = function()
        runs.append(time.perf_counter() - start)
    return runs, out


def draw(frame: pl.DataFrame, seed: int) -> pl.DataFrame:
    with_size = frame.with_columns(
        pl.col("households").sum().over("commune").alias("commune_households")
    )
    sample = svy.Sample(with_size, svy.Design(stratum="province"))
    sample.sampling.multistage(
        [
            Stage(
                "commune",
                n=TAKE_COMMUNES,
                mos="commune_households",
                method="sys",
                certainty_threshold=1.0,
            ),
            Stage("village", n=TAKE_VILLAGES),
        ],
        rstate=seed,
    )
    out = sample.data
    take = pl.min_horizontal(pl.lit(TAKE_HOUSEHOLDS), pl.col("households"))
    return out.with_columns(
        (pl.col("svy_prob_selection") * take / pl.col("households")).alias("probability")
    ).with_columns((1.0 / pl.col("probability")).alias("design_weight"))


def main() -> None:
    folder = Path(sys.argv[1])
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    text = {"province": pl.Utf8, "commune": pl.Utf8, "village": pl.Utf8}
    frame = pl.read_csv(folder / "frame.csv", schema_overrides=text)
    draw_runs, sample = timed(lambda: draw(frame, 1), repeats)

    people = pl.read_csv(
        folder / "respondents.csv",
        schema_overrides={"sex": pl.Utf8, "age_band": pl.Utf8, "urban_rural": pl.Utf8},
    )
    margins = pl.read_csv(folder / "margins.csv", schema_overrides={"level": pl.Utf8})
    controls: dict[str, dict[str, float]] = {}
    for variable, level, total in margins.iter_rows():
        controls.setdefault(variable, {})[level] = total
    design = svy.Sample(people, svy.Design(wgt="w"))

    def raking() -> pl.Series:
        raked = design.weighting.rake(controls=controls, tol=1e-10, max_iter=1000)
        return raked.data["rk_wgt"]

    rake_runs, raked = timed(raking, repeats)
    pl.DataFrame({"id": people["id"], "w": raked}).write_csv(
        folder / "weights_svy.csv", float_precision=17
    )
    p1, p2 = "svy_prob_selection_stage1", "svy_prob_selection_stage2"
    print(
        json.dumps(
            {
                "svy_version": version("svy"),
                "polars_version": version("polars"),
                "draw": {
                    "seconds": draw_runs,
                    "villages": sample.height,
                    "communes": sample["commune"].n_unique(),
                    "villages_estimated": float((1.0 / (sample[p1] * sample[p2])).sum())
                    if p1 in sample.columns and p2 in sample.columns
                    else None,
                },
                "rake": {"seconds": rake_runs, "respondents": people.height},
            }
        )
    )


if __name__ == "__main__":
    main()
