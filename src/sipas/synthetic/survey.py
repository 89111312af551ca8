"""A synthetic national satisfaction survey, for demos, tests and benchmarks. Never official data.

Each province is sampled as the national design does, with the selection code a survey team uses
(``sipas.sampling``): communes drawn with probability proportional to size (systematic PPS) from a
synthetic village frame, villages at random within each commune, households at random within each
village and one adult per household. The design weight is the inverse of the product of those
probabilities, times the number of adults in the household.

Answers come from a latent satisfaction score: a province effect that persists across years (a
2025 province inherits the mean of the provinces it was formed from), an effect per element and per
province × element, a village effect (so answers cluster), a respondent effect, and logistic noise,
cut into the five answer categories. Every random draw is seeded from (seed, year, province), so the
same seed gives the same data whatever the order or subset of provinces.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import numpy as np
import pandas as pd

from sipas.frameworks.model import Question, QuestionType, SurveyFramework
from sipas.geo.units import Province, province, provinces_on
from sipas.sampling.select import Method, SampleDesign, Stage, draw

# Cut points on the latent scale between answers 1|2, 2|3, 3|4 and 4|5; with the default base
# level they give roughly the 80–85% "satisfied" shares the published index shows.
_CUTS = np.array([-2.2, -1.4, -0.2, 2.6])
_BASE_LEVEL = 1.6
_YEAR_TREND = 0.06  # the published index rose by 1–3 points a year in 2022–2024


@dataclass(frozen=True)
class SyntheticDesign:
    respondents_per_province: int = 580
    communes_per_province: int = 6
    villages_per_commune: int = 3
    blank_rate: float = 0.015

    @property
    def villages_per_province(self) -> int:
        return self.communes_per_province * self.villages_per_commune


def _rng(seed: int, *keys: int) -> np.random.Generator:
    return np.random.default_rng([seed, *keys])


def _province_effect(seed: int, p: Province) -> float:
    """A lasting level of satisfaction per province (the 34-era inherits its members' mean)."""
    if p.formed_from:
        return float(np.mean([_old_effect(seed, code) for code in p.formed_from]))
    return _old_effect(seed, p.code)


def _old_effect(seed: int, code: str) -> float:
    return float(_rng(seed, 1, int(code)).normal(0.0, 0.35))


def fieldwork_window(year: int) -> tuple[date, date]:
    """Synthetic fieldwork period: after 1 July in 2025, when the new provinces began."""
    start = date(year, 9, 1) if year == 2025 else date(year, 8, 1)
    return start, start + timedelta(days=75)


def _province_frame(p: Province, year: int, seed: int, smallest: int = 20) -> pd.DataFrame:
    """A synthetic village frame for one province: communes of varied size split into villages.

    No village has fewer households than ``smallest`` (the households taken in each), so a large
    synthetic sample (an online-survey benchmark) is not cut short by small villages.
    """
    rng = _rng(seed, 2, year, int(p.code))
    n_communes = int(rng.integers(60, 220))
    commune_households = rng.lognormal(np.log(2500), 0.45, n_communes)
    rows = []
    for c, households in enumerate(commune_households):
        villages = int(rng.integers(6, 20))
        shares = rng.lognormal(0.0, 0.3, villages)
        sizes = np.maximum(smallest, np.round(households * shares / shares.sum())).astype(int)
        commune = f"{p.code}-X{c:03d}"
        rows += [
            {"province": p.code, "commune": commune, "village": f"{commune}-T{v + 1:02d}",
             "households": int(size)}
            for v, size in enumerate(sizes)
        ]  # fmt: skip
    return pd.DataFrame(rows)


def sample_design(design: SyntheticDesign) -> SampleDesign:
    """The national design as data: communes PPS, villages at random, households in each village."""
    per_village = max(1, round(design.respondents_per_province / design.villages_per_province))
    return SampleDesign(
        id="synthetic-national",
        strata="province",
        stages=[
            Stage(name="commune", unit="commune", method=Method.PPS_SYSTEMATIC,
                  size="households", take=design.communes_per_province),
            Stage(name="village", unit="village", method=Method.SRS,
                  take=design.villages_per_commune),
            Stage(name="household", size="households", take=per_village),
        ],
    )  # fmt: skip


def _sample_province(
    p: Province, year: int, design: SyntheticDesign, seed: int
) -> tuple[pd.DataFrame, np.ndarray]:
    """The design columns of one province's sample, and each respondent's village index.

    The sample is drawn from a synthetic frame with the same selection code a survey team uses
    (``sipas.sampling``); one adult is interviewed per household, so a respondent's weight is the
    household's design weight times the number of adults in it.
    """
    plan = sample_design(design)
    frame = _province_frame(p, year, seed, smallest=max(20, plan.stages[-1].take))
    villages = draw(frame, plan, seed=(seed * 100_003 + year) % 2**32)
    villages = villages.sort_values("village").reset_index(drop=True)
    rng = _rng(seed, 8, year, int(p.code))
    start, end = fieldwork_window(year)
    days = (end - start).days
    rows = []
    village_index = []
    for j, village in enumerate(villages.itertuples(index=False)):
        taken = int(village.take)
        adults = 1 + rng.binomial(3, 0.45, taken)
        for r in range(taken):
            rows.append(
                {
                    "respondent_key": f"{year}-{village.village}-{r + 1:03d}",
                    "province_code": p.code,
                    "province_key": p.key,
                    "commune": village.commune,
                    "village": village.village,
                    "stratum": p.code,
                    "psu": village.commune,
                    "weight": float(adults[r] * village.design_weight),
                    "interview_date": start + timedelta(days=int(rng.integers(0, days))),
                }
            )
        village_index.extend([j] * taken)
    return pd.DataFrame(rows), np.asarray(village_index)


def _answers(
    framework: SurveyFramework,
    p: Province,
    year: int,
    villages: np.ndarray,
    design: SyntheticDesign,
    seed: int,
) -> pd.DataFrame:
    """Satisfaction answers 1–5 (blank as NaN), one column per item."""
    items = framework.item_codes()
    component_of = {}
    for index, component in enumerate(framework.leaf_components()):
        for code in component.items or []:
            component_of[code] = index
    comp = np.array([component_of[c] for c in items])
    n_comp = int(comp.max()) + 1
    lasting = _rng(seed, 3)  # element and item effects: the same every year and province
    comp_effect = lasting.normal(0, 0.25, n_comp)
    item_effect = lasting.normal(0, 0.12, len(items))
    rng = _rng(seed, 4, year, int(p.code))
    prov_comp = _rng(seed, 5, int(p.code)).normal(0, 0.2, n_comp) + rng.normal(0, 0.08, n_comp)
    village_effect = rng.normal(0, 0.3, int(villages.max()) + 1)
    n = len(villages)
    latent = (
        _BASE_LEVEL
        + _YEAR_TREND * (year - 2023)
        + _province_effect(seed, p)
        + (comp_effect + prov_comp)[comp][None, :]
        + item_effect[None, :]
        + village_effect[villages][:, None]
        + rng.normal(0, 0.5, n)[:, None]
        + rng.logistic(0, 1, (n, len(items)))
    )
    answers = (1 + (latent[..., None] > _CUTS).sum(axis=-1)).astype(float)
    answers[rng.random(answers.shape) < design.blank_rate] = np.nan
    return pd.DataFrame(answers, columns=items).astype("Int64")


def _draw(
    rng: np.random.Generator, framework: SurveyFramework, q: Question, n: int
) -> list[object]:
    codes = [o.code for o in framework.options_of(q)]
    if q.type is QuestionType.MULTIPLE and codes:
        picks = rng.random((n, len(codes))) < 0.3
        picks[np.arange(n), rng.integers(0, len(codes), n)] = True
        return [";".join(str(c) for c, on in zip(codes, row, strict=True) if on) for row in picks]
    if q.type is QuestionType.INTEGER:
        return [int(v) for v in rng.integers(q.min or 0, (q.max or 10) + 1, n)]
    if q.type in (QuestionType.TEXT, QuestionType.DATE, QuestionType.GEOGRAPHY) or not codes:
        return [None] * n
    probs = rng.dirichlet(np.full(len(codes), 4.0))
    return [codes[i] for i in rng.choice(len(codes), n, p=probs)]


def _other_columns(
    framework: SurveyFramework, p: Province, year: int, design_frame: pd.DataFrame, seed: int
) -> pd.DataFrame:
    """Profile and assessment/expectation answers, drawn with province-specific shares."""
    rng = _rng(seed, 6, year, int(p.code))
    n = len(design_frame)
    out: dict[str, list[object]] = {}
    for q in framework.profile + framework.questions:
        if q.items:
            for sub in q.items:
                out[sub.code] = _draw(rng, framework, q, n)
        else:
            out[q.code] = _draw(rng, framework, q, n)
    if "province" in out:
        out["province"] = design_frame["province_code"].tolist()
    # A place, not a person, is urban or rural, mountainous or not: one value per village/province.
    village_codes = pd.factorize(design_frame["village"])[0]
    if "urban_rural" in out:
        per_village = np.asarray(out["urban_rural"], dtype=object)[: village_codes.max() + 1]
        out["urban_rural"] = per_village[village_codes].tolist()
    if "terrain" in out:
        out["terrain"] = [out["terrain"][0]] * n
    # Commune and village are design columns already; keep one copy of each.
    return pd.DataFrame(out).drop(columns=list(design_frame.columns), errors="ignore")


def synthetic_province_survey(
    framework: SurveyFramework,
    p: Province,
    year: int,
    design: SyntheticDesign | None = None,
    seed: int = 20241,
) -> pd.DataFrame:
    design = design or SyntheticDesign()
    frame, villages = _sample_province(p, year, design, seed)
    others = _other_columns(framework, p, year, frame, seed)
    answers = _answers(framework, p, year, villages, design, seed)
    return pd.concat([frame, others, answers], axis=1)


def survey_provinces(year: int) -> list[Province]:
    return provinces_on(fieldwork_window(year)[0])


def synthetic_survey(
    framework: SurveyFramework,
    year: int,
    design: SyntheticDesign | None = None,
    seed: int = 20241,
    provinces: list[str] | None = None,
) -> pd.DataFrame:
    """A whole national survey for one year on the geography in force during its fieldwork."""
    day = fieldwork_window(year)[0]
    chosen = [province(code, day) for code in provinces] if provinces else survey_provinces(year)
    parts = [synthetic_province_survey(framework, p, year, design, seed) for p in chosen]
    return pd.concat(parts, ignore_index=True)
