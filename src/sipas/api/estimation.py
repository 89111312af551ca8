"""Estimation for every caller: from a file or a stored survey to saved, shareable results."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, TypedDict

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.frameworks import require_survey, resolve_framework
from sipas.frameworks.model import SurveyFramework
from sipas.geo.units import REFORM_DAY, province, provinces_on, successor_of
from sipas.messages import Phrase
from sipas.store import Database
from sipas.store import estimates as estimate_store
from sipas.store import surveys as survey_store
from sipas.store.estimates import StoredRun
from sipas.survey import (
    MEAN_OF_UNITS,
    NATIONAL,
    DesignColumns,
    EstimationOptions,
    LonelyPsu,
    ReplicateMethod,
    ReplicateOptions,
    SurveyEstimates,
    estimate,
)
from sipas.survey.change import yearly_change
from sipas.survey.diagnosis import diagnose
from sipas.survey.estimate import (
    ITEM_SE_METHODS,
    ITEM_SE_REPLICATE,
    ITEM_SE_TAYLOR,
    headline_national_cell,
)
from sipas.survey.ranks import rank_table

Progress = Callable[[str, int, int], None]
SHOW = ("estimates", "ranks", "diagnosis")
LEVELS = ("all", "index", "subindex", "component", "item")
RANKED_LEVELS = ("index", "subindex")
METHODS = tuple(m.value for m in ReplicateMethod)
LONELY_RULES = tuple(r.value for r in LonelyPsu)
ITEM_SE = ITEM_SE_METHODS
UNIT_34 = "province_34"  # the column a 63-province survey gets when re-aggregated to the 34


class EstimateMethod(TypedDict):
    items: str
    composites: str
    seed: int | None
    lonely_psu: str


class EstimateHeader(TypedDict):
    """What an estimate table was made from and how."""

    source: str
    framework: str
    framework_provisional: bool
    unit: str
    method: EstimateMethod
    national_rule: str
    national_index: float | None
    derived: bool
    synthetic: bool
    unstable_rule: str
    warnings: list[str]


class EstimateView(EstimateHeader):
    """An estimate table (estimates, ranks or the diagnosis) with its header. The rows are the
    table's own columns, which depend on the view and the framework."""

    rows: list[dict[str, Any]]


class RunRow(TypedDict):
    """A saved estimate run as listed."""

    code: str
    source: str
    framework: str
    unit: str
    method: str
    derived: bool
    synthetic: bool
    estimates: int


class LoadedRun(TypedDict):
    code: str
    source: str
    framework: str
    method: str
    derived: bool
    synthetic: bool
    rows: list[dict[str, Any]]


class ChangeView(TypedDict):
    """Year-over-year change between two saved runs, and why some rows are left out."""

    before: str
    after: str
    derived: bool
    notes: list[str]
    rows: list[dict[str, Any]]


@dataclass(frozen=True)
class EstimateRequest:
    """Everything that shapes an estimate, as a caller (CLI flag, web form) gives it."""

    framework: str
    weight: str
    psu: str | None = None
    strata: str | None = None
    fpc: str | None = None
    unit: str = "province"
    by: tuple[str, ...] = ()  # each a column, or columns joined by "," to cross them
    method: str = "bootstrap"
    replicates: int = 500
    seed: int = 20241
    lonely_psu: str = "fail"
    item_se: str = ITEM_SE_TAYLOR  # or "replicate": item SEs from the replicate design

    def design_columns(self) -> DesignColumns:
        return DesignColumns(weight=self.weight, psu=self.psu, strata=self.strata, fpc=self.fpc)

    def options(self) -> EstimationOptions:
        try:
            method = ReplicateMethod(self.method)
        except ValueError:
            raise SipasError(
                "estimate.bad_method",
                method=self.method,
                methods=[m.value for m in ReplicateMethod],
            ) from None
        try:
            lonely = LonelyPsu(self.lonely_psu)
        except ValueError:
            raise SipasError(
                "estimate.bad_lonely_psu", rule=self.lonely_psu, rules=[r.value for r in LonelyPsu]
            ) from None
        by = tuple(tuple(c.strip() for c in b.split(",") if c.strip()) for b in self.by)
        return EstimationOptions(
            unit=self.unit,
            by=tuple(b for b in by if b),
            replicates=ReplicateOptions(method, self.replicates, self.seed),
            lonely_psu=lonely,
            item_se=self.item_se,
        )


@dataclass
class Outcome:
    """An estimate with what a reader needs beside the numbers."""

    result: SurveyEstimates
    framework: SurveyFramework
    request: EstimateRequest
    source: str
    unit_names: dict[str, str] = field(default_factory=dict)
    derived: bool = False
    synthetic: bool = False
    geography: str | None = None  # "63" or "34" where known (stored surveys)

    _table: pd.DataFrame | None = field(default=None, repr=False)

    def table(self) -> pd.DataFrame:
        """All estimates, with ranks and rank intervals for the units on the ranked levels.

        Computed once: showing and saving the same outcome rank the units once.
        """
        if self._table is None:
            self._table = self._ranked_table()
        return self._table

    def _ranked_table(self) -> pd.DataFrame:
        table = self.result.table.copy()
        table["rank"] = np.nan
        table["rank_low"] = np.nan
        table["rank_high"] = np.nan
        unit = self.result.options.unit
        for node in self.result.tree.nodes:
            if node.level not in RANKED_LEVELS:
                continue
            ranks = rank_table(self.result, node.code).set_index("cell")
            mask = (table["partition"] == unit) & (table["indicator"] == node.code)
            cells = table.loc[mask, "cell"]
            for column in ("rank", "rank_low", "rank_high"):
                table.loc[mask, column] = ranks.loc[cells, column].to_numpy()
        for column in ("rank", "rank_low", "rank_high"):  # whole numbers, blank where not ranked
            table[column] = table[column].round().astype("Int64")
        return table


def read_responses(path: Path) -> pd.DataFrame:
    """A response table from CSV, Excel or Parquet, every column read as it is written."""
    if not path.exists():
        raise SipasError("estimate.no_file", path=path)
    suffix = path.suffix.lower()
    try:
        if suffix in (".csv", ".txt"):
            frame = pd.read_csv(
                path, dtype=str, keep_default_na=False, na_values=[""], skip_blank_lines=False
            )
        elif suffix in (".xlsx", ".xlsm"):
            frame = pd.read_excel(path, dtype=str)
        else:
            frame = None
    except (ValueError, OSError, UnicodeDecodeError) as error:
        raise SipasError(
            "estimate.unreadable", path=path, kind=suffix.lstrip("."), reason=str(error)
        ) from None
    if frame is None:
        raise SipasError("estimate.file_type", path=path, suffix=suffix or Phrase("file.no_suffix"))
    # Empty lines are dropped but keep their place: row numbers in messages stay those of the file.
    return frame[frame.notna().any(axis=1)]


def _unit_names(frame: pd.DataFrame, unit: str, labels: tuple[str, ...]) -> dict[str, str]:
    """Province names for unit cells that are province codes valid on the interview dates."""
    day = _first_interview(frame)
    if day is None:
        return {}
    names: dict[str, str] = {}
    for label in labels:
        if not re.fullmatch(r"\d{1,2}", label):
            return {}
        try:
            names[label] = province(label.zfill(2), day).name
        except SipasError:
            return {}
    return names


def _first_interview(frame: pd.DataFrame) -> date | None:
    if "interview_date" not in frame.columns:
        return None
    dates = pd.to_datetime(frame["interview_date"], errors="coerce").dropna()
    return None if dates.empty else dates.min().date()


def with_regions(frame: pd.DataFrame, unit: str, derived: bool = False) -> pd.DataFrame:
    """Add a ``region`` column from the unit's province codes, when the file has none.

    Regions are the six socio-economic regions of the province on the interview date (the 34-era
    provinces for a re-aggregated survey). Units that are not province codes get no region.
    """
    if "region" in frame.columns or unit not in frame.columns:
        return frame
    day = REFORM_DAY if derived else _first_interview(frame)
    if day is None:
        return frame
    regions: dict[str, str] = {}
    for code in frame[unit].dropna().astype(str).unique():
        try:
            regions[code] = province(code.zfill(2), day).region
        except SipasError:
            return frame
    return frame.assign(region=frame[unit].astype(str).map(regions))


def estimate_frame(
    frame: pd.DataFrame,
    request: EstimateRequest,
    *,
    source: str,
    progress: Progress | None = None,
    derived: bool = False,
    synthetic: bool = False,
) -> Outcome:
    framework = require_survey(resolve_framework(request.framework))
    if any("region" in by.split(",") for by in request.by):
        frame = with_regions(frame, request.unit, derived)
    result = estimate(frame, framework, request.design_columns(), request.options(), progress)
    names = _unit_names(frame, request.unit, result.cell_labels[request.unit])
    if derived and not names:
        names = {p.code: p.name for p in provinces_on(REFORM_DAY)}
    return Outcome(result, framework, request, source, names, derived, synthetic)


def estimate_file(
    path: Path, request: EstimateRequest, progress: Progress | None = None
) -> Outcome:
    return estimate_frame(read_responses(path), request, source=str(path), progress=progress)


def on_34_provinces(frame: pd.DataFrame, unit: str = "province_code") -> pd.DataFrame:
    """A 63-province survey with each respondent's 34-era province added as ``province_34``.

    Estimating with ``unit=province_34`` re-aggregates the microdata: each new province pools the
    respondents of its former provinces with their own weights (the old provinces stay strata).
    """
    dates = (
        pd.to_datetime(frame["interview_date"], errors="coerce")
        if "interview_date" in frame
        else None
    )
    on = dates.min().date() if dates is not None and dates.notna().any() else date(2024, 12, 31)
    if on >= REFORM_DAY:
        raise SipasError("estimate.already_34")
    mapping = {}
    for code in frame[unit].dropna().astype(str).unique():
        mapping[code] = successor_of(province(code.zfill(2), on)).code
    out = frame.copy()
    out[UNIT_34] = frame[unit].astype(str).map(mapping)
    return out


# --- what callers show ----------------------------------------------------------------------


def _round(value: Any, digits: int) -> Any:
    if value is pd.NA:
        return None
    if isinstance(value, float | np.floating):
        return None if not np.isfinite(value) else round(float(value), digits)
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.bool_):
        return bool(value)
    return value


def _records(frame: pd.DataFrame, digits: int = 4) -> list[dict[str, Any]]:
    return [
        {k: _round(v, digits) for k, v in row.items()} for row in frame.to_dict(orient="records")
    ]


def estimates_view(
    outcome: Outcome, level: str = "all", partition: str | None = None
) -> EstimateView:
    """The estimates as plain data: what `sipas estimate --format json` prints."""
    table = outcome.table().copy()  # the cached table stays as it is
    if level != "all":
        table = table[table["level"] == level]
    if partition is not None:
        table = table[table["partition"] == partition]
    if outcome.unit_names:
        names = table["cell"].map(outcome.unit_names)
        table.insert(2, "name", names.where(table["partition"] == outcome.result.options.unit))
    return EstimateView(**_header(outcome), rows=_records(table))


def ranks_view(outcome: Outcome, indicator: str | None = None) -> EstimateView:
    table = rank_table(outcome.result, indicator)
    for column in ("rank", "rank_low", "rank_high"):
        table[column] = table[column].astype("Int64")
    if outcome.unit_names:
        table.insert(1, "name", table["cell"].map(outcome.unit_names))
    return EstimateView(**_header(outcome), rows=_records(table))


def diagnosis_view(outcome: Outcome, cell: str | None = None) -> EstimateView:
    unit = outcome.result.options.unit
    if cell is not None and cell not in outcome.result.cell_labels[unit]:
        raise SipasError(
            "estimate.unknown_cell",
            unit=unit,
            cell=cell,
            known=list(outcome.result.cell_labels[unit][:20]),
        )
    return EstimateView(**_header(outcome), rows=_records(diagnose(outcome.result, cell)))


def _header(outcome: Outcome) -> EstimateHeader:
    result = outcome.result
    national = result.value(NATIONAL, headline_national_cell(result), result.tree.nodes[0].code)
    return {
        "source": outcome.source,
        "framework": result.framework_id,
        "framework_provisional": outcome.framework.provisional,
        "unit": result.options.unit,
        "method": {
            "items": (
                result.replicate_method
                if result.options.item_se == ITEM_SE_REPLICATE
                else "taylor linearisation"
            ),
            "composites": result.replicate_method,
            "seed": result.options.replicates.seed,
            "lonely_psu": result.options.lonely_psu.value,
        },
        "national_rule": result.national_rule.value,
        "national_index": _round(national, 4),
        "derived": outcome.derived,
        "synthetic": outcome.synthetic,
        "unstable_rule": (
            "effective n < 30, or CV > 30%, or fewer than 30 valid answers, or no standard error"
        ),
        "warnings": result.warnings,
    }


# --- saving and loading ---------------------------------------------------------------------


def keep_outcome(
    db: Database,
    outcome: Outcome,
    *,
    code: str | None,
    database_configured: bool,
    no_save: bool = False,
    survey_id: int | None = None,
    replace: bool = False,
) -> str | None:
    """The save policy of `sipas estimate`: save under ``code``; without one, save under an
    automatic code when a database was configured (the user asked for results to be kept);
    never with ``no_save``. Returns the code saved under, or None."""
    if no_save:
        return None
    if code is None and database_configured:
        code = automatic_run_code(outcome)
    if code:
        save_outcome(db, code, outcome, survey_id=survey_id, replace=replace)
    return code


def save_outcome(
    db: Database,
    code: str,
    outcome: Outcome,
    *,
    survey_id: int | None = None,
    replace: bool = False,
) -> int:
    request = outcome.request
    with db.engine.begin() as connection:
        return estimate_store.save_run(
            connection,
            code=code,
            table=outcome.table(),
            source=outcome.source,
            framework_id=outcome.framework.id,
            framework_version=outcome.framework.version,
            unit=request.unit,
            method=outcome.result.replicate_method,
            options={**asdict(request), "geography": outcome.geography},
            survey_id=survey_id,
            derived=outcome.derived,
            synthetic=outcome.synthetic,
            replace=replace,
        )


def automatic_run_code(outcome: Outcome) -> str:
    """A code for results saved without one: the source's name and the time, to the second."""
    stem = Path(outcome.source.removeprefix("survey:")).stem
    slug = re.sub(r"[^a-z0-9]+", "-", stem.lower()).strip("-") or "estimate"
    return f"{slug}-{datetime.now(UTC):%Y%m%d-%H%M%S}"


def estimate_stored_survey(
    db: Database,
    survey_code: str,
    request: EstimateRequest,
    progress: Progress | None = None,
    geography_34: bool = False,
) -> tuple[Outcome, int]:
    """Estimate a survey kept in the database; returns the outcome and the survey's id."""
    with db.engine.connect() as connection:
        survey = survey_store.get_survey(connection, survey_code)
        frame = survey_store.load_responses(connection, survey_code)
    derived = False
    if geography_34:
        frame = on_34_provinces(frame)
        request = EstimateRequest(**{**asdict(request), "unit": UNIT_34})
        derived = True
    outcome = estimate_frame(
        frame,
        request,
        source=f"survey:{survey_code}",
        progress=progress,
        derived=derived,
        synthetic=bool(survey["synthetic"]),
    )
    outcome.geography = "34" if derived else str(survey["geography"]) or None
    return outcome, int(survey["id"])


def list_runs(db: Database) -> list[RunRow]:
    with db.engine.connect() as connection:
        runs = estimate_store.list_runs(connection)
    return [
        {
            "code": r["code"],
            "source": r["source"],
            "framework": r["framework_id"],
            "unit": r["unit"],
            "method": r["method"],
            "derived": r["derived"],
            "synthetic": r["synthetic"],
            "estimates": r["estimates"] or 0,
        }
        for r in runs
    ]


def load_run(db: Database, code: str, level: str = "all") -> LoadedRun:
    with db.engine.connect() as connection:
        run = estimate_store.get_run(connection, code)
        table = estimate_store.load_estimates(connection, code)
    if level != "all":
        table = table[table["level"] == level]
    return {
        "code": run["code"],
        "source": run["source"],
        "framework": run["framework_id"],
        "method": run["method"],
        "derived": run["derived"],
        "synthetic": run["synthetic"],
        "rows": _records(table),
    }


def change_view(db: Database, before_code: str, after_code: str, level: str = "all") -> ChangeView:
    """Year-over-year change between two saved runs on the same geography."""
    with db.engine.connect() as connection:
        before = estimate_store.get_run(connection, before_code)
        after = estimate_store.get_run(connection, after_code)
        before_table = estimate_store.load_estimates(connection, before_code)
        after_table = estimate_store.load_estimates(connection, after_code)
    if before["framework_id"] != after["framework_id"]:
        raise SipasError(
            "estimate.different_frameworks",
            before=before_code,
            before_framework=before["framework_id"],
            after=after_code,
            after_framework=after["framework_id"],
        )
    geographies = (before["options"].get("geography"), after["options"].get("geography"))
    if all(geographies) and geographies[0] != geographies[1]:
        raise SipasError(
            "estimate.different_geographies",
            before=before_code,
            before_geography=geographies[0],
            after=after_code,
            after_geography=geographies[1],
        )
    for frame in (before_table, after_table):
        frame["estimate"] = frame["estimate"].astype(float)
        frame["se"] = frame["se"].astype(float)
    derived = bool(before["derived"] or after["derived"])
    table = yearly_change(
        before_table,
        after_table,
        before_unit=before["unit"],
        after_unit=after["unit"],
        derived=derived,
    )
    notes = []
    units_before = set(before_table.loc[before_table["partition"] == before["unit"], "cell"])
    units_after = set(after_table.loc[after_table["partition"] == after["unit"], "cell"])
    if units_before != units_after:
        # A mean of provinces over different sets of provinces is not a change of anything.
        table = table[~((table["partition"] == NATIONAL) & (table["cell"] == MEAN_OF_UNITS))]
        notes.append(
            f"the runs cover different units ({len(units_before)} and {len(units_after)}): the"
            " national mean of units is not compared; the pooled national value is"
        )
    if level != "all":
        table = table[table["level"] == level]
    return {
        "before": before_code,
        "after": after_code,
        "derived": derived,
        "notes": notes,
        "rows": _records(table),
    }


def outcome_of_run(db: Database, code: str) -> tuple[Outcome, StoredRun]:
    """A saved run estimated again from its stored survey with its own options (same seed, so
    the same numbers), with its replicates — which a saved run does not keep — and the run."""
    with db.engine.connect() as connection:
        run = estimate_store.get_run(connection, code)
    source = str(run["source"])
    if not source.startswith("survey:"):
        raise SipasError("estimate.run_without_survey", run=code)
    known = {f.name for f in fields(EstimateRequest)}
    options = {k: v for k, v in dict(run["options"]).items() if k in known}
    options["by"] = tuple(options.get("by") or ())
    outcome, _ = estimate_stored_survey(
        db, source.removeprefix("survey:"), EstimateRequest(**options), geography_34=run["derived"]
    )
    return outcome, run
