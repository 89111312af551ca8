"""Write the synthetic samples and population margins for the calibration reference weights.

Run from the repository root:

    .venv/bin/python tests/reference/weighting/generate.py

The output is fully determined by the fixed seeds below; running the script again rewrites
byte-identical files in tests/reference/weighting/data/. For every case it writes

respondents_<case>.csv
    row_id       1..n, after the rows have been shuffled (files are not sorted by PSU)
    province     one province per file
    stratum      equal to province (a single stratum)
    psu          "P1", "P2", ...
    weight       positive design weight, written with %.17g so the value round-trips exactly
    sex          "female" / "male"
    age_band     "18-24", "25-34", "35-49", "50-60", "60+"
    urban_rural  "urban" / "rural", a property of the PSU
    sex_age      (case `twoway` only) sex + ":" + age_band, e.g. "female:18-24"

margins_<case>.csv
    variable, level, total   population totals in long format, integers. For every
                             variable the totals sum to the same population size
                             N = round(1.3 * sum of design weights), so calibration has to
                             scale the weights up, and each level's population share differs
                             from its design-weighted sample share by at most 30% (relative).

Cases:
    small    300 respondents, margins on sex, age_band, urban_rural
    unequal  800 respondents, design weights lognormal with sigma 0.8, the age band "60+"
             held by exactly 2% of the rows (and 30% more common in the population than in
             the weighted sample); margins on sex, age_band
    twoway   500 respondents, margins on sex, sex_age (the sex x age_band cross, consistent
             with the sex margin) and urban_rural; the sex margin is implied by sex_age, so
             the margins are redundant (collinear) but consistent
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent / "data"

SEXES = ("female", "male")
AGE_BANDS = ("18-24", "25-34", "35-49", "50-60", "60+")
AREAS = ("urban", "rural")
SEX_AGES = tuple(f"{s}:{a}" for s in SEXES for a in AGE_BANDS)
LEVELS = {"sex": SEXES, "age_band": AGE_BANDS, "urban_rural": AREAS, "sex_age": SEX_AGES}

BASE_COLUMNS = ("row_id", "province", "stratum", "psu", "weight", "sex", "age_band", "urban_rural")
POPULATION_FACTOR = 1.3
MAX_RELATIVE_SHIFT = 0.3
# every variable gets at least one level whose share moves by this much, so that
# calibration visibly changes the weights
MIN_LARGEST_SHIFT = 0.1

MALE_PROBABILITY = 0.47
AGE_PROBABILITIES = (0.14, 0.22, 0.28, 0.20, 0.16)
URBAN_PSU_PROBABILITY = 0.6


@dataclass(frozen=True)
class Case:
    """How one case is drawn."""

    name: str
    seed: int
    province: str
    n_rows: int
    n_psu: int
    base_weight: float
    psu_sigma: float  # lognormal sigma of the PSU factor of the weight
    person_sigma: float  # lognormal sigma of the respondent factor of the weight
    margins: tuple[str, ...]
    # age band held by exactly this share of the rows, and its fixed relative shift
    rare_band: str | None = None
    rare_share: float = 0.0
    rare_shift: float = 0.0


CASES = (
    Case(
        name="small",
        seed=20240701,
        province="Coastal",
        n_rows=300,
        n_psu=15,
        base_weight=180.0,
        psu_sigma=0.3,
        person_sigma=0.25,
        margins=("sex", "age_band", "urban_rural"),
    ),
    Case(
        name="unequal",
        seed=20240702,
        province="Highlands",
        n_rows=800,
        n_psu=32,
        base_weight=120.0,
        psu_sigma=0.0,
        person_sigma=0.8,
        margins=("sex", "age_band"),
        rare_band="60+",
        rare_share=0.02,
        rare_shift=0.3,
    ),
    Case(
        name="twoway",
        seed=20240703,
        province="Lakes",
        n_rows=500,
        n_psu=25,
        base_weight=250.0,
        psu_sigma=0.3,
        person_sigma=0.3,
        margins=("sex", "sex_age", "urban_rural"),
    ),
)


def draw_sample(case: Case, rng: np.random.Generator) -> list[dict[str, object]]:
    """Respondents in PSU order, with their design weights."""
    min_cluster = case.n_rows // case.n_psu // 2
    sizes = min_cluster + rng.multinomial(
        case.n_rows - min_cluster * case.n_psu, np.full(case.n_psu, 1.0 / case.n_psu)
    )
    age_p = np.array(AGE_PROBABILITIES)
    if case.rare_band is not None:
        age_p[AGE_BANDS.index(case.rare_band)] = 0.0
    age_p = age_p / age_p.sum()

    rows: list[dict[str, object]] = []
    for j, size in enumerate(sizes):
        urban = bool(rng.random() < URBAN_PSU_PROBABILITY)
        psu_weight = case.base_weight * rng.lognormal(0.0, case.psu_sigma)
        for _ in range(int(size)):
            rows.append(
                {
                    "psu": f"P{j + 1}",
                    "weight": float(psu_weight * rng.lognormal(0.0, case.person_sigma)),
                    "sex": "male" if rng.random() < MALE_PROBABILITY else "female",
                    "age_band": AGE_BANDS[int(rng.choice(len(AGE_BANDS), p=age_p))],
                    "urban_rural": "urban" if urban else "rural",
                }
            )
    if case.rare_band is not None:
        n_rare = round(case.rare_share * case.n_rows)
        for k in rng.choice(len(rows), size=n_rare, replace=False):
            rows[int(k)]["age_band"] = case.rare_band
    for r in rows:
        r["sex_age"] = f"{r['sex']}:{r['age_band']}"
    assert len(rows) == case.n_rows, (case.name, len(rows))
    return rows


def weighted_shares(rows: list[dict[str, object]], variable: str) -> np.ndarray:
    totals = np.zeros(len(LEVELS[variable]))
    for r in rows:
        totals[LEVELS[variable].index(str(r[variable]))] += float(r["weight"])
    assert np.all(totals > 0), (variable, totals)
    return totals / totals.sum()


def draw_shifts(
    rng: np.random.Generator, shares: np.ndarray, fixed: dict[int, float]
) -> np.ndarray:
    """Relative shifts r (population share = sample share * (1 + r)), |r| <= 30%, sum(s*r) = 0.

    The level with the largest sample share balances the others; levels in `fixed` keep
    the given shift.
    """
    balance = int(np.argmax(shares))
    assert balance not in fixed
    while True:
        r = rng.uniform(-MAX_RELATIVE_SHIFT, MAX_RELATIVE_SHIFT, size=len(shares))
        for k, value in fixed.items():
            r[k] = value
        r[balance] = 0.0
        r[balance] = -float(np.dot(shares, r)) / shares[balance]
        if np.all(np.abs(r) <= MAX_RELATIVE_SHIFT) and np.max(np.abs(r)) >= MIN_LARGEST_SHIFT:
            return r


def integer_totals(population: int, shares: np.ndarray) -> np.ndarray:
    """Round population * shares to integers that sum exactly to population."""
    totals = np.rint(population * shares).astype(np.int64)
    totals[int(np.argmax(shares))] += population - int(totals.sum())
    return totals


def draw_margins(
    case: Case, rows: list[dict[str, object]], rng: np.random.Generator
) -> list[tuple[str, str, int]]:
    population = round(POPULATION_FACTOR * sum(float(r["weight"]) for r in rows))
    totals: dict[str, np.ndarray] = {}
    for variable in case.margins:
        if variable == "sex" and "sex_age" in case.margins:
            continue  # implied by the cross, filled in below
        shares = weighted_shares(rows, variable)
        fixed = {}
        if variable == "age_band" and case.rare_band is not None:
            fixed[AGE_BANDS.index(case.rare_band)] = case.rare_shift
        r = draw_shifts(rng, shares, fixed)
        totals[variable] = integer_totals(population, shares * (1.0 + r))
    if "sex_age" in case.margins:
        cross = totals["sex_age"].reshape(len(SEXES), len(AGE_BANDS))
        totals["sex"] = cross.sum(axis=1)

    out = []
    for variable in case.margins:
        t = totals[variable]
        assert int(t.sum()) == population, (case.name, variable)
        assert np.all(t > 0), (case.name, variable)
        shift = t / population / weighted_shares(rows, variable) - 1.0
        assert np.all(np.abs(shift) <= MAX_RELATIVE_SHIFT + 1e-3), (case.name, variable, shift)
        out += [(variable, level, int(t[k])) for k, level in enumerate(LEVELS[variable])]
    return out


def write_case(case: Case) -> tuple[Path, int, Path, int]:
    rng = np.random.default_rng(case.seed)
    rows = draw_sample(case, rng)
    margins = draw_margins(case, rows, rng)

    columns = BASE_COLUMNS + (("sex_age",) if "sex_age" in case.margins else ())
    order = rng.permutation(len(rows))
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    respondents = DATA_DIR / f"respondents_{case.name}.csv"
    with respondents.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(columns)
        for row_id, k in enumerate(order, start=1):
            r = rows[int(k)]
            record = {
                **r,
                "row_id": row_id,
                "province": case.province,
                "stratum": case.province,
                "weight": format(float(r["weight"]), ".17g"),
            }
            writer.writerow([record[c] for c in columns])

    margins_path = DATA_DIR / f"margins_{case.name}.csv"
    with margins_path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(("variable", "level", "total"))
        writer.writerows(margins)
    return respondents, len(rows), margins_path, len(margins)


def main() -> None:
    for case in CASES:
        respondents, n_rows, margins, n_margins = write_case(case)
        print(f"{respondents.name}: {n_rows} rows; {margins.name}: {n_margins} rows")


if __name__ == "__main__":
    main()
