"""Remediation plans ("kế hoạch khắc phục") as people read them: the actions of a province
across years, with next year's result placed beside each, and the Excel layout a province files.

An action names a weakness — a SIPAS item or index node, a PAR INDEX node, a service-index (QĐ 766)
indicator — in a province's results of a year (written by :mod:`sipas.api.actions`). Next year's
result is read, never computed anew:

- SIPAS: the saved estimation runs of the surveys of the action's year and the next, on the same
  geography; the change, its standard error and its test are :func:`sipas.survey.change.yearly_change`
  (two independent samples, a two-sided z-test at 5%).
- PAR INDEX: the node's points in the final campaign of the year and in a final campaign of the next
  year on the same framework (scores of every unit, not a sample: no sampling test applies).
- Service index: the indicator's ratio in the stored yearly results of the two years (every dossier,
  not a sample: no sampling test applies).

A province that did not exist in the same form the next year (the 2025 merger of 63 provinces into
34) is "not comparable": no figure is made up for it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from sipas.api.par import results as par_results
from sipas.api.par.campaigns import Actor, open_campaign
from sipas.api.par.views import CampaignResults
from sipas.errors import SipasError
from sipas.frameworks import require_survey, resolve_framework
from sipas.frameworks.model import IndexNode
from sipas.geo import Province, by_key, match_province
from sipas.messages import fill, text
from sipas.store import Database, audit
from sipas.store import actions as store
from sipas.store import par as par_store
from sipas.store.audit import AuditRow
from sipas.store.par import CampaignRow
from sipas.survey.change import yearly_change

if TYPE_CHECKING:
    from sipas.api.queries.service_index_public import UnitDetail

INDEXES = ("sipas", "par", "service")
STATUSES = store.STATUSES
ENTITY = "action"
READ_ROLES = ("admin", "analyst", "officer")
FIRST_YEAR = 2000

# What next year's result says: compared (a figure and its change), not_comparable (the province
# or the framework changed), no_results (nothing stored yet for one of the two years).
OUTCOMES = ("compared", "not_comparable", "no_results")


@dataclass(frozen=True)
class NextYear:
    """The indicator in the action's year and the next, and whether it moved."""

    year: int  # the year after the action's
    outcome: str  # one of OUTCOMES
    reason: str | None = None  # why not compared: merger | framework | no_before | no_after
    before: float | None = None
    before_low: float | None = None
    before_high: float | None = None
    after: float | None = None
    after_low: float | None = None
    after_high: float | None = None
    change: float | None = None
    se: float | None = None
    p_value: float | None = None
    significant: bool | None = None  # None: no sampling test applies (PAR, service index)
    test: str = "none"  # "z": two independent samples at 5%; "none": not a sample
    before_source: str | None = None  # the run, campaign or period read
    after_source: str | None = None


@dataclass(frozen=True)
class Action:
    id: int
    province_code: str
    province_key: str
    province_name: str
    year: int
    index: str
    framework: str
    source: str | None
    indicator: str
    indicator_name: str
    indicator_name_en: str
    target: str | None
    task: str
    owner: str
    deadline: date
    status: str
    evidence: str | None
    evidence_url: str | None
    created_by: str
    created_at: datetime
    updated_by: str | None
    updated_at: datetime | None
    result: NextYear | None = None
    synthetic: bool = False  # next year's figures come from synthetic data


@dataclass(frozen=True)
class ActionList:
    actions: list[Action]
    synthetic: bool = False
    filters: dict[str, Any] = field(default_factory=dict)


# --- checks -------------------------------------------------------------------------------------


def check_reader(actor: Actor, province_code: str | None = None) -> None:
    if actor.role not in READ_ROLES:
        raise SipasError("actions.role_refused", user=actor.name, role=actor.role)
    if actor.role == "officer" and province_code not in (None, actor.province_code):
        raise SipasError("actions.forbidden", user=actor.name, province=province_code)


def parse_id(value: int | str) -> int:
    try:
        return int(str(value).strip())
    except ValueError:
        raise SipasError("actions.bad_id", id=str(value)) from None


def check_year(year: Any) -> int:
    try:
        found = int(year)
    except (TypeError, ValueError):
        raise SipasError("actions.bad_year", year=str(year)) from None
    if not FIRST_YEAR <= found <= date.today().year:
        raise SipasError("actions.bad_year", year=str(year))
    return found


def check_index(index: str) -> str:
    if index not in INDEXES:
        raise SipasError("actions.bad_index", index=index, indexes=list(INDEXES))
    return index


def check_status(status: str) -> str:
    if status not in STATUSES:
        raise SipasError("actions.bad_status", status=status, statuses=list(STATUSES))
    return status


def year_end(year: int) -> date:
    """The day a year's provinces are read on (the units of a PAR campaign are the same)."""
    return date(year, 12, 31)


def province_of(name: str, year: int) -> Province:
    """A province by code or name as it was at the end of ``year``."""
    return match_province(name, year_end(year))


# --- indicators ---------------------------------------------------------------------------------


def _survey_names(framework_id: str) -> dict[str, tuple[str, str]]:
    framework = require_survey(resolve_framework(framework_id))
    names = {item.code: (item.text.vi, item.text.en) for item in framework.satisfaction.items}

    def visit(node: IndexNode) -> None:
        names[node.code] = (node.name.vi, node.name.en)
        for child in node.children or []:
            visit(child)

    visit(framework.satisfaction.index)
    return names


def _service_names(framework_id: str) -> dict[str, tuple[str, str]]:
    from sipas.service_index import load_framework

    return {i.code: (i.name_vi, i.name_en) for i in load_framework(framework_id).indicators}


def _par_names(db: Database, campaign: str) -> dict[str, tuple[str, str]]:
    with db.read() as connection:
        found = open_campaign(connection, campaign)
    return {node.code: (node.name.vi, node.name.en) for _, node in found.framework.walk()}


class Names:
    """Indicator names per framework (or PAR campaign), read once per call."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self._cache: dict[tuple[str, str], dict[str, tuple[str, str]]] = {}

    def of(self, index: str, framework: str, source: str | None) -> dict[str, tuple[str, str]]:
        key = (index, source if index == "par" and source else framework)
        if key not in self._cache:
            if index == "sipas":
                self._cache[key] = _survey_names(framework)
            elif index == "service":
                self._cache[key] = _service_names(framework)
            else:
                self._cache[key] = _par_names(self.db, str(source))
        return self._cache[key]


def _number(value: Any) -> float | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    return float(value)


class Results:
    """Next year's result of each action; runs, campaigns and result files read once per call."""

    def __init__(self, db: Database, service_data: Path | None) -> None:
        self.db = db
        self.service_data = service_data
        self.synthetic = False
        self._runs: dict[tuple[str, int], list[dict[str, Any]]] = {}
        self._par: dict[str, CampaignResults | None] = {}
        self._campaigns: list[CampaignRow] | None = None
        self._service: dict[tuple[int, str], UnitDetail | None] = {}

    def of(self, row: dict[str, Any]) -> NextYear:
        province = by_key(str(row["province_key"]))
        following = int(row["year"]) + 1
        kind = str(row["index_kind"])
        if kind == "sipas":
            found = self._sipas(row, province, following)
        elif kind == "par":
            found = self._par_result(row, province, following)
        else:
            found = self._service_result(row, province, following)
        return found

    # SIPAS ------------------------------------------------------------------------------------

    def _year_runs(self, framework: str, year: int) -> list[dict[str, Any]]:
        key = (framework, year)
        if key not in self._runs:
            with self.db.read() as connection:
                self._runs[key] = store.runs_of_year(connection, framework, year)
        return self._runs[key]

    @staticmethod
    def _geography(run: dict[str, Any]) -> str:
        options = run["options"] or {}
        return str(
            options.get("geography") or ("34" if run["derived"] else run["survey_geography"])
        )

    def _estimate(
        self, framework: str, year: int, geography: str, cell: str, indicator: str
    ) -> tuple[dict[str, Any], dict[str, Any]] | None:
        """The newest run of ``year`` on ``geography`` with this cell's indicator (a run made
        from the year's own geography before one re-aggregated), and the estimate."""
        runs = [r for r in self._year_runs(framework, year) if self._geography(r) == geography]
        runs.sort(key=lambda r: bool(r["derived"]))  # stable: newest first within each kind
        with self.db.read() as connection:
            for run in runs:
                rows = store.estimate_rows(connection, int(run["id"]), run["unit"], cell, indicator)
                if rows and rows[0]["estimate"] is not None:
                    return run, rows[0]
        return None

    def _sipas(self, row: dict[str, Any], province: Province, following: int) -> NextYear:
        framework, indicator = str(row["framework_id"]), str(row["indicator"])
        year = int(row["year"])
        before = self._estimate(framework, year, province.geography, province.code, indicator)
        base: dict[str, Any] = {"year": following, "test": "z"}
        if before is not None:
            run, value = before
            self.synthetic |= bool(run["synthetic"])
            base |= {
                "before": _number(value["estimate"]),
                "before_low": _number(value["ci_low"]),
                "before_high": _number(value["ci_high"]),
                "before_source": str(run["code"]),
            }
        if not province.valid_on(year_end(following)):
            return NextYear(outcome="not_comparable", reason="merger", **base)
        after = self._estimate(framework, following, province.geography, province.code, indicator)
        if after is None or before is None:
            reason = "no_after" if after is None else "no_before"
            return NextYear(outcome="no_results", reason=reason, **base)
        run_after, value_after = after
        self.synthetic |= bool(run_after["synthetic"])
        frames = [
            pd.DataFrame([{**v, "partition": r["unit"]}]).astype({"estimate": float, "se": float})
            for r, v in (before, after)
        ]
        changed = yearly_change(
            frames[0],
            frames[1],
            before_unit=str(before[0]["unit"]),
            after_unit=str(run_after["unit"]),
        ).iloc[0]
        return NextYear(
            **base,
            outcome="compared",
            after=_number(value_after["estimate"]),
            after_low=_number(value_after["ci_low"]),
            after_high=_number(value_after["ci_high"]),
            after_source=str(run_after["code"]),
            change=_number(changed["change"]),
            se=_number(changed["se_change"]),
            p_value=_number(changed["p_value"]),
            significant=bool(changed["significant"]),
        )

    # PAR INDEX --------------------------------------------------------------------------------

    def _par_view(self, campaign: str, unit: str) -> CampaignResults | None:
        key = f"{campaign}/{unit}"
        if key not in self._par:
            try:
                self._par[key] = par_results(self.db, campaign, unit=unit, with_nodes=True)
            except SipasError:  # not final yet: no published result
                self._par[key] = None
        return self._par[key]

    def _par_value(self, campaign: str, unit: str, node: str) -> tuple[float, float] | None:
        view = self._par_view(campaign, unit)
        if view is None:
            return None
        self.synthetic |= bool(view["synthetic"])
        for entry in view["nodes"]:
            if entry["unit"] == unit and entry["node"] == node and entry["points"] is not None:
                return float(entry["points"]), float(entry["max"] or 0.0)
        return None

    def _par_result(self, row: dict[str, Any], province: Province, following: int) -> NextYear:
        source, node = str(row["source"]), str(row["indicator"])
        base: dict[str, Any] = {"year": following, "test": "none"}
        found = self._par_value(source, province.code, node)
        if found is not None:
            base |= {"before": found[0], "before_source": source}
        if not province.valid_on(year_end(following)):
            return NextYear(outcome="not_comparable", reason="merger", **base)
        if self._campaigns is None:
            with self.db.read() as connection:
                self._campaigns = par_store.list_campaigns(connection)
        later = [
            c for c in self._campaigns if int(c["year"]) == following and c["stage"] == "final"
        ]
        same = [c for c in later if c["framework_id"] == row["framework_id"]]
        if not same:
            reason = "framework" if later else "no_after"
            outcome = "not_comparable" if later else "no_results"
            return NextYear(outcome=outcome, reason=reason, **base)
        # The campaign that names this one as its previous first, then the others.
        with self.db.read() as connection:
            ordered = sorted(
                same,
                key=lambda c: (
                    par_store.get_campaign(connection, str(c["code"]))["previous_code"] != source
                ),
            )
        after = next(
            (
                (str(c["code"]), v)
                for c in ordered
                if (v := self._par_value(str(c["code"]), province.code, node)) is not None
            ),
            None,
        )
        if after is None or found is None:
            reason = "no_after" if after is None else "no_before"
            return NextYear(outcome="no_results", reason=reason, **base)
        return NextYear(
            **base,
            outcome="compared",
            after=after[1][0],
            after_source=after[0],
            change=after[1][0] - found[0],
        )

    # Service index ----------------------------------------------------------------------------

    def _service_view(self, year: int, unit: str) -> UnitDetail | None:
        key = (year, unit)
        if key not in self._service:
            from sipas.api.queries.service_index_public import unit_detail

            data = self.service_data
            view: UnitDetail | None = None
            if data is not None and data.exists():
                try:
                    view = unit_detail(data, str(year), unit)
                except (SipasError, OSError):
                    view = None
            self._service[key] = view
        return self._service[key]

    def _service_value(self, year: int, unit: str, indicator: str) -> float | None:
        view = self._service_view(year, unit)
        if view is None:
            return None
        self.synthetic |= bool(view.get("synthetic"))
        for entry in view["indicators"]:
            if entry["indicator"] == indicator and entry["ratio"] is not None:
                ratio = float(entry["ratio"])
                return ratio * 100.0 if entry["kind"] == "share" else ratio
        return None

    def _service_result(self, row: dict[str, Any], province: Province, following: int) -> NextYear:
        indicator, year = str(row["indicator"]), int(row["year"])
        base: dict[str, Any] = {"year": following, "test": "none"}
        before = self._service_value(year, province.code, indicator)
        if before is not None:
            base |= {"before": before, "before_source": str(year)}
        if not province.valid_on(year_end(following)):
            return NextYear(outcome="not_comparable", reason="merger", **base)
        after = self._service_value(following, province.code, indicator)
        if after is None or before is None:
            reason = "no_after" if after is None else "no_before"
            return NextYear(outcome="no_results", reason=reason, **base)
        return NextYear(
            **base,
            outcome="compared",
            after=after,
            after_source=str(following),
            change=after - before,
        )


# --- reading ------------------------------------------------------------------------------------


def action_of(row: dict[str, Any], names: Names, results: Results | None) -> Action:
    province = by_key(str(row["province_key"]))
    table = names.of(str(row["index_kind"]), str(row["framework_id"]), row["source"])
    name = table.get(str(row["indicator"]), (str(row["indicator"]),) * 2)
    return Action(
        id=int(row["id"]),
        province_code=str(row["province_code"]),
        province_key=str(row["province_key"]),
        province_name=province.name,
        year=int(row["year"]),
        index=str(row["index_kind"]),
        framework=str(row["framework_id"]),
        source=row["source"],
        indicator=str(row["indicator"]),
        indicator_name=name[0],
        indicator_name_en=name[1],
        target=row["target"],
        task=str(row["task"]),
        owner=str(row["owner"]),
        deadline=row["deadline"],
        status=str(row["status"]),
        evidence=row["evidence"],
        evidence_url=row["evidence_url"],
        created_by=str(row["created_by"]),
        created_at=row["created_at"],
        updated_by=row["updated_by"],
        updated_at=row["updated_at"],
        result=results.of(row) if results is not None else None,
    )


def list_actions(
    db: Database,
    actor: Actor,
    *,
    province: str | None = None,
    year: int | str | None = None,
    index: str | None = None,
    status: str | None = None,
    service_data: Path | None = None,
    with_results: bool = True,
) -> ActionList:
    """The actions matching the filters (an officer's: their own province only), each with next
    year's result."""
    check_reader(actor)
    chosen_year = check_year(year) if year not in (None, "") else None
    code = None
    if province not in (None, ""):
        code = province_of(str(province), chosen_year or date.today().year).code
    elif actor.role == "officer":
        code = actor.province_code
    check_reader(actor, code)
    if actor.role == "officer" and code is None:
        raise SipasError("actions.forbidden", user=actor.name, province="")
    with db.read() as connection:
        rows = store.list_actions(
            connection,
            province_code=code,
            year=chosen_year,
            index_kind=check_index(index) if index else None,
            status=check_status(status) if status else None,
        )
    names = Names(db)
    results = Results(db, service_data) if with_results else None
    found = [action_of(row, names, results) for row in rows]
    return ActionList(
        actions=found,
        synthetic=bool(results and results.synthetic),
        filters={"province": code, "year": chosen_year, "index": index, "status": status},
    )


def get_action(
    db: Database, actor: Actor, action_id: int | str, service_data: Path | None = None
) -> Action:
    number = parse_id(action_id)
    with db.read() as connection:
        row = store.get_action(connection, number)
    check_reader(actor, str(row["province_code"]))
    return action_of(row, Names(db), Results(db, service_data))


def history(db: Database, actor: Actor, action_id: int | str) -> list[AuditRow]:
    """Every change of one action, oldest first: who, when, what before, what after, why."""
    number = parse_id(action_id)
    with db.read() as connection:
        row = store.get_action(connection, number)
        check_reader(actor, str(row["province_code"]))
        return audit.history(connection, ENTITY, str(number))


# --- writing ------------------------------------------------------------------------------------


def value_text(value: float | None, lang: str, sign: bool = False) -> str:
    if value is None:
        return ""
    return fill("{x:" + ("+" if sign else "") + ".2f}", {"x": value}, lang)


def result_words(result: NextYear | None, lang: str) -> str:
    """Next year's result in one phrase: the change and its test, or why there is none."""
    if result is None:
        return ""
    if result.outcome == "not_comparable":
        return text(f"actions.outcome.not_comparable.{result.reason}", lang, year=result.year)
    if result.outcome == "no_results":
        return text("actions.outcome.no_results", lang, year=result.year)
    if result.test == "z":
        key = (
            "actions.outcome.significant"
            if result.significant
            else "actions.outcome.not_significant"
        )
        return text(key, lang, p=result.p_value if result.p_value is not None else float("nan"))
    return text("actions.outcome.no_test", lang)


def export_rows(actions: Iterable[Action], lang: str) -> tuple[list[str], list[list[Any]]]:
    """The layout a province files: STT, weakness, aim, task, owner, deadline, status, evidence,
    next year's value, change and whether it was significant."""
    headers = [
        text(f"actions.export.{key}", lang)
        for key in (
            "number", "weakness", "target", "task", "owner", "deadline", "status", "evidence",
            "next_value", "next_change", "next_significant",
        )
    ]  # fmt: skip
    rows: list[list[Any]] = []
    for number, action in enumerate(actions, start=1):
        name = action.indicator_name if lang == "vi" else action.indicator_name_en
        weakness = text(
            "actions.export.weakness_cell",
            lang,
            index=text(f"actions.index.{action.index}", lang),
            name=name,
            code=action.indicator,
            year=action.year,
        )
        evidence = "\n".join(v for v in (action.evidence, action.evidence_url) if v)
        result = action.result
        rows.append(
            [
                number,
                weakness,
                action.target or "",
                action.task,
                action.owner,
                fill("{d:date}", {"d": action.deadline}, lang),
                text(f"actions.status.{action.status}", lang),
                evidence,
                result.after if result is not None else None,
                result.change if result is not None else None,
                result_words(result, lang),
            ]
        )
    return headers, rows


def export_actions(
    db: Database,
    actor: Actor,
    *,
    province: str | None = None,
    year: int | str | None = None,
    index: str | None = None,
    status: str | None = None,
    service_data: Path | None = None,
    lang: str = "vi",
) -> bytes:
    """The actions as an Excel workbook in the layout a province files."""
    from sipas.reports.excel import Sheet, write_workbook

    found = list_actions(
        db,
        actor,
        province=province,
        year=year,
        index=index,
        status=status,
        service_data=service_data,
    )
    headers, rows = export_rows(found.actions, lang)
    provinces = sorted({a.province_name for a in found.actions})
    caption = text(
        "actions.export.caption",
        lang,
        provinces=provinces or [text("actions.export.all", lang)],
        period=text("actions.export.year", lang, year=found.filters["year"])
        if found.filters["year"]
        else text("actions.export.all_years", lang),
    )
    banners = [text("actions.synthetic", lang)] if found.synthetic else []
    sheet = Sheet(
        name=text("actions.export.sheet", lang),
        caption=caption,
        headers=headers,
        rows=rows,
        widths=(6, 40, 24, 40, 24, 12, 14, 30, 14, 14, 30),
    )
    with tempfile.TemporaryDirectory() as folder:
        path = write_workbook(Path(folder) / "actions.xlsx", [sheet], banners)
        return path.read_bytes()
