"""Write sipas's Rao–Wu bootstrap replicate factors for R to use (bootstrap_<dataset>.csv).

A bootstrap cannot be drawn the same way in R, so R is handed sipas's own factors (one row per
PSU: stratum, psu, then one factor per replicate) and checks that, with the same replicate
weights, sipas's standard errors equal R's (replicate_reference.R, design "bootstrap"). The
factors are those of `sipas estimate --method bootstrap --replicates 50 --seed 20241`.

Run from the repository root, before replicate_reference.R:
    PYTHONPATH=src .venv/bin/python tests/reference/replicates/bootstrap_factors.py
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sipas.survey import DesignColumns, LonelyPsu, ReplicateMethod, ReplicateOptions
from sipas.survey.design import design_from_frame
from sipas.survey.replicates import replicate_design

HERE = Path(__file__).parent
DATA = HERE.parent / "data"
DATASETS = ("clusters", "lonely")
REPLICATES = 50
SEED = 20241


def factors(dataset: str) -> pd.DataFrame:
    frame = pd.read_csv(DATA / f"{dataset}.csv", dtype={"psu": str, "stratum": str})
    design = design_from_frame(
        frame,
        DesignColumns(weight="weight", psu="psu", strata="stratum"),
        LonelyPsu.REMOVE,  # the bootstrap's factors do not depend on the rule
    )
    reps = replicate_design(design, ReplicateOptions(ReplicateMethod.BOOTSTRAP, REPLICATES, SEED))
    out = np.ones((design.n_psus, REPLICATES))
    first = np.r_[0, np.cumsum(design.n_psu)[:-1]]
    for block in reps.blocks():
        start = first[block.stratum]
        rows = np.arange(start, start + design.n_psu[block.stratum])
        out[np.ix_(rows, block.columns)] = block.factors
    first_row = pd.Series(range(len(frame))).groupby(design.psu).first().to_numpy()
    table = pd.DataFrame(
        {
            "stratum": frame["stratum"].str.strip().to_numpy()[first_row],
            "psu": frame["psu"].str.strip().to_numpy()[first_row],
        }
    )
    for r in range(REPLICATES):
        table[f"r{r + 1}"] = out[:, r]
    return table


def main() -> None:
    for dataset in DATASETS:
        path = HERE / f"bootstrap_{dataset}.csv"
        factors(dataset).to_csv(path, index=False, float_format="%.17g")
        print(path)


if __name__ == "__main__":
    main()
