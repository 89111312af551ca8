"""Write the synthetic survey files that R `survey` reference numbers are computed from.

Run from the repository root:

    .venv/bin/python tests/reference/generate_datasets.py

The output is fully determined by the fixed seeds below; running the script again rewrites
byte-identical files in tests/reference/data/. Each file is a stratified (or unstratified)
cluster sample of Likert answers:

    row_id    1..n, after the rows have been shuffled (files are not sorted by PSU)
    stratum   "S1", "S2", ...
    psu       "P1", "P2", ... restarting in every stratum, so PSUs only make sense
              nested within their stratum
    weight    positive, unequal; written with repr() so the value round-trips exactly
    fpc       number of PSUs in the stratum's population (larger than the sampled count)
    province  domain column (the stratum itself, or a grouping of strata / PSUs)
    sex       "male" / "female", drawn per respondent (varies within PSU)
    q1..q6    answers 1..5, blank cell = missing

Answers share a PSU effect, so they are correlated within PSU and design effects exceed 1.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"
ITEMS = ("q1", "q2", "q3", "q4", "q5", "q6")
COLUMNS = ("row_id", "stratum", "psu", "weight", "fpc", "province", "sex", *ITEMS)
MIN_ROWS, MAX_ROWS = 150, 600
MIN_CLUSTER, MAX_CLUSTER = 3, 40


@dataclass
class Spec:
    """How one file is drawn."""

    name: str
    seed: int
    psus_per_stratum: tuple[int, ...]
    blank_rate: float
    # stratum label -> province label; None means province = stratum
    province_of_stratum: dict[str, str] | None = None
    # for a single-stratum file: PSU label -> province label
    province_of_psu: dict[str, str] | None = None
    # (stratum, psu, item): the item is blank for every row of that PSU
    blank_psu_items: list[tuple[str, str, str]] = field(default_factory=list)
    # (province, sex or None, item): the item is blank for every row of that cell
    blank_cells: list[tuple[str, str | None, str]] = field(default_factory=list)


SPECS = (
    Spec(name="clusters", seed=20240611, psus_per_stratum=(2, 4, 7, 3, 5), blank_rate=0.05),
    Spec(name="lonely", seed=20240612, psus_per_stratum=(1, 2, 4, 3, 5), blank_rate=0.05),
    Spec(
        name="blanks",
        seed=20240613,
        psus_per_stratum=(2, 3, 4, 2, 3, 3),
        blank_rate=0.2,
        province_of_stratum={
            "S1": "North",
            "S2": "North",
            "S3": "Central",
            "S4": "Central",
            "S5": "South",
            "S6": "South",
        },
        blank_psu_items=[("S3", "P2", "q3")],
        blank_cells=[
            # one (province, sex) cell with no valid q6 answer
            ("South", "female", "q6"),
            # one whole province with no valid q5 answer: R cannot estimate that domain
            ("Central", None, "q5"),
        ],
    ),
    Spec(
        name="unstratified",
        seed=20240614,
        psus_per_stratum=(12,),
        blank_rate=0.05,
        province_of_psu={
            **{f"P{j}": "East" for j in range(1, 5)},
            **{f"P{j}": "Centre" for j in range(5, 9)},
            **{f"P{j}": "West" for j in range(9, 13)},
        },
    ),
)


def _cluster_sizes(rng: np.random.Generator, n_psu: int) -> np.ndarray:
    return rng.integers(MIN_CLUSTER, MAX_CLUSTER + 1, size=n_psu)


def build(spec: Spec) -> list[dict[str, str]]:
    """Draw one file's rows, shuffled, as CSV-ready strings."""
    rng = np.random.default_rng(spec.seed)
    n_strata = len(spec.psus_per_stratum)
    sizes = [_cluster_sizes(rng, n) for n in spec.psus_per_stratum]
    # Make sure the extremes of the cluster-size range are present in every file
    # (the smallest on the second PSU, so a lonely first stratum keeps a real cluster).
    flat = [(h, j) for h in range(n_strata) for j in range(spec.psus_per_stratum[h])]
    h_small, j_small = flat[1]
    h_large, j_large = flat[-1]
    sizes[h_small][j_small] = MIN_CLUSTER
    sizes[h_large][j_large] = MAX_CLUSTER

    item_shift = rng.normal(0.0, 0.35, size=len(ITEMS))
    rows: list[dict[str, object]] = []
    for h, n_psu in enumerate(spec.psus_per_stratum):
        stratum = f"S{h + 1}"
        population_psus = n_psu + int(rng.integers(1, 25))
        stratum_effect = rng.normal(0.0, 0.35)
        stratum_weight = rng.lognormal(np.log(60.0), 0.5)
        for j in range(n_psu):
            psu = f"P{j + 1}"
            psu_effect = rng.normal(0.0, 0.25)
            psu_weight = stratum_weight * rng.lognormal(0.0, 0.3)
            for _ in range(int(sizes[h][j])):
                female = bool(rng.random() < 0.52)
                person = rng.normal(0.0, 0.6)
                latent = (
                    3.1
                    + stratum_effect
                    + psu_effect
                    + (0.25 if female else -0.1)
                    + person
                    + item_shift
                    + rng.normal(0.0, 0.8, size=len(ITEMS))
                )
                answers = np.clip(np.rint(latent), 1, 5).astype(int)
                blank = rng.random(len(ITEMS)) < spec.blank_rate
                if spec.province_of_psu is not None:
                    province = spec.province_of_psu[psu]
                elif spec.province_of_stratum is not None:
                    province = spec.province_of_stratum[stratum]
                else:
                    province = stratum
                rows.append(
                    {
                        "stratum": stratum,
                        "psu": psu,
                        "weight": float(psu_weight * rng.lognormal(0.0, 0.3)),
                        "fpc": population_psus,
                        "province": province,
                        "sex": "female" if female else "male",
                        **{
                            item: (None if blank[k] else int(answers[k]))
                            for k, item in enumerate(ITEMS)
                        },
                    }
                )

    for stratum, psu, item in spec.blank_psu_items:
        hit = [r for r in rows if r["stratum"] == stratum and r["psu"] == psu]
        assert hit, (spec.name, stratum, psu)
        for r in hit:
            r[item] = None
    for province, sex, item in spec.blank_cells:
        hit = [r for r in rows if r["province"] == province and (sex is None or r["sex"] == sex)]
        assert hit, (spec.name, province, sex)
        for r in hit:
            r[item] = None

    order = rng.permutation(len(rows))
    out: list[dict[str, str]] = []
    for row_id, k in enumerate(order, start=1):
        r = rows[int(k)]
        out.append(
            {
                "row_id": str(row_id),
                "stratum": str(r["stratum"]),
                "psu": str(r["psu"]),
                "weight": repr(r["weight"]),
                "fpc": str(r["fpc"]),
                "province": str(r["province"]),
                "sex": str(r["sex"]),
                **{item: ("" if r[item] is None else str(r[item])) for item in ITEMS},
            }
        )
    assert MIN_ROWS <= len(out) <= MAX_ROWS, (spec.name, len(out))
    return out


def write(spec: Spec, rows: list[dict[str, str]]) -> Path:
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    path = DATA_DIR / f"{spec.name}.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def main() -> None:
    for spec in SPECS:
        rows = build(spec)
        path = write(spec, rows)
        print(f"{path.name}: {len(rows)} rows")


if __name__ == "__main__":
    main()
