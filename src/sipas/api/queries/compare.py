"""A province against a chosen set of peers on every node of the index, from a saved run: the
best provinces, its region, provinces of similar size, the provinces it was merged with in 2025
(on the 63 provinces), or a list — each difference with its
replicate standard error (the survey core's :func:`compare_with_peers`). Several provinces side
by side, each node against the national mean (the survey core's one :func:`diagnose`). And a
province against its peers on the ministry's published figures of a year, which carry no
standard errors: those differences are not tested."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from sipas.api.estimation import outcome_of_run
from sipas.api.queries import published as published_api
from sipas.errors import SipasError
from sipas.frameworks import require_survey, resolve_framework
from sipas.frameworks.model import IndexNode
from sipas.geo import (
    LAST_DAY_OF_63,
    REFORM_DAY,
    match_province,
    members_of,
    partners_of,
    province,
    successor_of,
)
from sipas.published import year_day
from sipas.store import Database
from sipas.survey.diagnosis import compare_with_peers, diagnose

NODE_LEVELS = ("index", "subindex", "component")  # what the side-by-side view shows

PEER_SETS = ("top5", "region", "similar", "merged")
SIMILAR = 5  # provinces nearest in population
# Refusals of a typed name that name the candidates (the closest names, the provinces it may mean).
TYPED_NAME_ERRORS = ("geo.unknown_name", "geo.ambiguous_name", "geo.partial_name")


@dataclass(frozen=True)
class PeerRow:
    indicator: str
    name: str
    level: str
    estimate: float
    peers_mean: float
    difference: float
    se: float
    low: float
    high: float
    verdict: str  # above | below | not different


@dataclass(frozen=True)
class Comparison:
    run: str
    cell: str
    name: str
    peers: str  # the set asked for
    peer_cells: list[str]
    peer_names: list[str]
    synthetic: bool
    rows: list[PeerRow]
    # With --with merged: the 2025 merger, e.g. "Thái Nguyên + Bắc Kạn → Thái Nguyên (2025)".
    merger: str | None = None


def compare(
    db: Database,
    run_code: str,
    asked: str,
    peers: str,
    lang: str = "vi",
    estimated: tuple[Any, Mapping[str, Any]] | None = None,
) -> Comparison:
    """``asked`` (a code or a name) against ``peers``: top5, region, similar, merged, or
    codes/names separated by commas. ``estimated``: the run estimated again (:func:`outcome_of_run`), when
    the caller has it already."""
    outcome, run = estimated or outcome_of_run(db, run_code)
    result = outcome.result
    unit = result.options.unit
    cells = list(result.cell_labels[unit])
    day = _day(outcome.geography)
    cell = _cell(asked, cells, day, run_code)
    framework = require_survey(resolve_framework(str(run["framework_id"])))
    index_code = framework.satisfaction.index.code
    index = pd.Series(result.estimates(unit)[:, result.indicators.index(index_code)], index=cells)
    chosen = _peers(peers, cell, index, day, run_code)
    names = {node.code: node.name.get(lang) for node in _nodes(framework.satisfaction.index)}
    names[index_code] = index_code  # the index by its acronym (SIPAS), as the ministry writes it
    names.update({item.code: item.text.get(lang) for item in framework.satisfaction.items})
    table = compare_with_peers(result, cell, chosen)
    rows = [
        PeerRow(
            indicator=str(r["indicator"]),
            name=names.get(str(r["indicator"]), str(r["indicator"])),
            level=str(r["level"]),
            estimate=float(r["estimate"]),
            peers_mean=float(r["peers_mean"]),
            difference=float(r["diff_peers"]),
            se=float(r["se_diff_peers"]),
            low=float(r["diff_peers"] - 1.959963984540054 * r["se_diff_peers"]),
            high=float(r["diff_peers"] + 1.959963984540054 * r["se_diff_peers"]),
            verdict=str(r["vs_peers"]),
        )
        for r in table.to_dict(orient="records")
    ]
    return Comparison(
        run=run_code,
        cell=cell,
        name=outcome.unit_names.get(cell, cell),
        peers=peers,
        peer_cells=chosen,
        peer_names=[outcome.unit_names.get(c, c) for c in chosen],
        synthetic=bool(run["synthetic"]),
        rows=rows,
        merger=merger(cell, day) if peers == "merged" else None,
    )


def peer_kind(peers: str) -> str:
    """top5, region, similar, merged, or list (codes or names separated by commas)."""
    return peers if peers in PEER_SETS else "list"


@dataclass(frozen=True)
class ProvinceNode:
    """One province on one node: its estimate and 95% interval, and its difference from the
    national mean with the replicate SE and the verdict of the one diagnosis."""

    cell: str
    estimate: float | None
    low: float | None
    high: float | None
    difference: float | None
    se: float | None
    verdict: str  # above | below | not different


@dataclass(frozen=True)
class NodeRow:
    indicator: str
    name: str
    level: str
    national: float | None
    provinces: list[ProvinceNode]


@dataclass(frozen=True)
class SideBySide:
    run: str
    cells: list[str]
    names: list[str]
    synthetic: bool
    rows: list[NodeRow]
    rule: str = (
        "each province against the national mean (the mean of the provinces, the province "
        "inside it), the difference tested at 5% with its replicate standard error"
    )


def _number(value: object) -> float | None:
    found = float(value)  # type: ignore[arg-type]
    return None if found != found else found  # NaN → None


def side_by_side(
    db: Database,
    run_code: str,
    asked: list[str],
    lang: str = "vi",
    estimated: tuple[Any, Mapping[str, Any]] | None = None,
) -> SideBySide:
    """Several provinces (codes or names) of a saved run on the index, its sub-indices and its
    components, each against the national mean with the significance of the difference."""
    outcome, run = estimated or outcome_of_run(db, run_code)
    result = outcome.result
    unit = result.options.unit
    cells = list(result.cell_labels[unit])
    day = _day(outcome.geography)
    chosen: list[str] = []
    for text in asked:
        if text.strip():
            cell = _cell(text, cells, day, run_code)
            if cell not in chosen:
                chosen.append(cell)
    if not chosen:
        raise SipasError("compare.no_provinces", run=run_code)
    framework = require_survey(resolve_framework(str(run["framework_id"])))
    index_code = framework.satisfaction.index.code
    names = {node.code: node.name.get(lang) for node in _nodes(framework.satisfaction.index)}
    names[index_code] = index_code
    table = diagnose(result, levels=NODE_LEVELS)
    table = table[table["cell"].isin(chosen)].set_index(["cell", "indicator"])
    estimates = result.table[result.table["partition"] == unit].set_index(["cell", "indicator"])
    order = [n.code for n in _nodes(framework.satisfaction.index) if n.code in result.indicators]
    rows = []
    for code in order:
        first = table.loc[(chosen[0], code)]
        provinces = []
        for cell in chosen:
            found = table.loc[(cell, code)]
            interval = estimates.loc[(cell, code)]
            provinces.append(
                ProvinceNode(
                    cell=cell,
                    estimate=_number(found["estimate"]),
                    low=_number(interval["ci_low"]),
                    high=_number(interval["ci_high"]),
                    difference=_number(found["diff_national"]),
                    se=_number(found["se_diff_national"]),
                    verdict=str(found["vs_national"]),
                )
            )
        rows.append(
            NodeRow(
                indicator=code,
                name=names.get(code, code),
                level=str(first["level"]),
                national=_number(first["national"]),
                provinces=provinces,
            )
        )
    return SideBySide(
        run=run_code,
        cells=chosen,
        names=[outcome.unit_names.get(c, c) for c in chosen],
        synthetic=bool(run["synthetic"]),
        rows=rows,
    )


@dataclass(frozen=True)
class CompareView:
    """What the compare page shows: the provinces side by side and, with a peer set or two
    provinces, the first against the others (the first against the second)."""

    side_by_side: SideBySide
    against: Comparison | None


def compare_view(
    db: Database, run_code: str, asked: list[str], peers: str, lang: str = "vi"
) -> CompareView:
    """Both views from one estimation of the run: with ``peers`` (as `sipas compare --with`),
    the first province against them and all of them side by side; with two provinces, the
    first against the second; else the provinces side by side."""
    estimated = outcome_of_run(db, run_code)
    against = None
    if peers:
        against = compare(db, run_code, asked[0], peers, lang, estimated)
        asked = [against.cell, *against.peer_cells]
    elif len(asked) == 2:
        against = compare(db, run_code, asked[0], asked[1], lang, estimated)
    return CompareView(side_by_side(db, run_code, asked, lang, estimated), against)


@dataclass(frozen=True)
class PublishedValue:
    unit: str
    name: str
    value: float | None
    rank: int | None


@dataclass(frozen=True)
class PublishedRow:
    """One node (the index, or a sub-value the ministry published) of the province against the
    mean of its peers' published values; no standard error exists, so nothing is tested."""

    node: str
    value: float | None
    peers_mean: float | None
    peers_with_value: int
    difference: float | None


@dataclass(frozen=True)
class PublishedComparison:
    index: str
    year: int
    cell: str
    name: str
    value: float | None
    rank: int | None
    peers: str  # the set asked for
    peer_values: list[PublishedValue]
    rows: list[PublishedRow]
    sources: list[str]
    merger: str | None = None  # with merged: the 2025 merger the peers come from
    tested: bool = False
    note: str = (
        "published values carry no standard errors: differences are shown, not tested for "
        "significance; the peers' mean is over the peers with a published value"
    )


def compare_published(
    db: Database, asked: str, peers: str, year: int, index: str = "sipas"
) -> PublishedComparison:
    """``asked`` (a code or a name) against ``peers`` on the ministry's published figures of a
    year (built-in and imported): top5 and region and similar among the provinces with a
    published value that year, the provinces merged with it in 2025 (a year before 2025), or a
    list of codes or names."""
    day = year_day(year)
    cell = match_province(asked, day).code if asked.strip() else ""
    kind = peer_kind(peers)
    if kind == "merged" and cell and day >= REFORM_DAY:
        merger_partners(cell, day, f"{index.upper()} {year}")  # refused: not units of the 34
    table = published_api.show(db, index, year)
    figures = {u.unit: u for u in table.units if u.unit_kind == "province" and not u.report}
    if cell not in figures or figures[cell].value is None:
        raise SipasError("compare.not_published", cell=asked, index=index.upper(), year=year)
    valued = {code: f for code, f in figures.items() if f.value is not None and code != cell}
    if kind == "top5":
        chosen = sorted(valued, key=lambda c: (-(valued[c].value or 0.0), c))[:5]
    elif kind == "region":
        region = province(cell, day).region
        chosen = sorted(c for c in valued if province(c, day).region == region)
    elif kind == "similar":
        size = province(cell, day).population
        if size is None:
            raise SipasError("compare.no_population_year", year=year)
        known = sorted(valued, key=lambda c: abs((province(c, day).population or 0) - size))
        chosen = known[:SIMILAR]
    elif kind == "merged":
        chosen = merger_partners(cell, day, f"{index.upper()} {year}")
    else:
        chosen = []
        for part in peers.split(","):
            if part.strip():
                code = match_province(part, day).code
                if code != cell and code not in chosen:
                    chosen.append(code)
    if not chosen:
        raise SipasError("compare.no_peers", peers=peers, cell=cell)
    own = figures[cell]
    peer_values = [
        PublishedValue(
            unit=c,
            name=province(c, day).name,
            value=figures[c].value if c in figures else None,
            rank=figures[c].rank if c in figures else None,
        )
        for c in chosen
    ]
    nodes = {"": own.value, **own.sub_values}
    rows = []
    for node, value in nodes.items():
        theirs = [
            figures[c].value if node == "" else figures[c].sub_values.get(node)
            for c in chosen
            if c in figures
        ]
        values = [v for v in theirs if v is not None]
        mean = sum(values) / len(values) if values else None
        rows.append(
            PublishedRow(
                node=node or index.upper(),
                value=value,
                peers_mean=mean,
                peers_with_value=len(values),
                difference=None if value is None or mean is None else value - mean,
            )
        )
    sources = sorted({figures[c].source for c in [cell, *chosen] if c in figures})
    return PublishedComparison(
        index=table.index,
        year=year,
        cell=cell,
        name=own.name,
        value=own.value,
        rank=own.rank,
        peers=peers,
        peer_values=peer_values,
        rows=rows,
        sources=sources,
        merger=merger(cell, day) if kind == "merged" else None,
    )


def _day(geography: str | None) -> date:
    return REFORM_DAY if geography == "34" else LAST_DAY_OF_63


def _cell(asked: str, cells: list[str], day: date, run: str) -> str:
    text = asked.strip()
    if text in cells:
        return text
    try:
        found = match_province(text, day).code
    except SipasError as error:
        if error.code in TYPED_NAME_ERRORS:
            raise  # a name that means no province, or several: its candidates help more
        found = None
    if found not in cells:
        raise SipasError("compare.unknown_cell", cell=asked, run=run)
    return str(found)


def _nodes(node: IndexNode) -> list[IndexNode]:
    return [node, *(n for child in node.children or [] for n in _nodes(child))]


def _peers(asked: str, cell: str, index: pd.Series, day: date, run: str) -> list[str]:
    """The peer set's cells, never ``cell`` itself."""
    cells = [str(c) for c in index.index]
    others = [c for c in cells if c != cell]
    if asked == "top5":
        return [str(c) for c in index.drop(cell).sort_values(ascending=False).index[:5]]
    if asked == "merged":
        partners = merger_partners(cell, day, run)
        chosen = [c for c in partners if c in cells]
        if not chosen:
            names = ", ".join(province(c, day).label() for c in partners)
            raise SipasError("compare.partners_not_in_run", cell=cell, partners=names, run=run)
        return chosen
    if asked == "region":
        mine = province(cell, day).region
        chosen = [c for c in others if province(c, day).region == mine]
    elif asked == "similar":
        size = province(cell, day).population
        if size is None:
            raise SipasError("compare.no_population", run=run)
        known = [(c, province(c, day).population) for c in others]
        chosen = [c for c, p in sorted(known, key=lambda k: abs((k[1] or 0) - size))[:SIMILAR]]
    else:
        chosen = [_cell(part, cells, day, run) for part in asked.split(",") if part.strip()]
        chosen = [c for c in chosen if c != cell]
    if not chosen:
        raise SipasError("compare.no_peers", peers=asked, cell=cell)
    return chosen


def merger_partners(cell: str, day: date, source: str) -> list[str]:
    """The codes of the provinces ``cell`` was merged with in 2025, on a source of the 63
    provinces (``day`` before the reform). Refused on a source of the 34, whose units are not
    those former provinces, and for a province that became a 2025 province alone."""
    if day >= REFORM_DAY:
        new = province(cell, day)
        formed = ", ".join(p.label() for p in members_of(new))
        raise SipasError("compare.merged_on_34", cell=new.label(), source=source, formed=formed)
    old = province(cell, day)
    partners = partners_of(old)
    if not partners:
        raise SipasError(
            "compare.not_merged", cell=old.label(), successor=successor_of(old).label()
        )
    return [p.code for p in partners]


def merger(cell: str, day: date) -> str:
    """The 2025 merger a province of the 63 took part in, in one line:
    "Thái Nguyên + Bắc Kạn → Thái Nguyên (2025)"."""
    new = successor_of(province(cell, day))
    members = " + ".join(p.name for p in members_of(new))
    return f"{members} → {new.name} ({new.valid_from.year})"


def difference_chart(found: Comparison, lang: str) -> bytes:
    """The province minus its peers on the index, sub-indices and components: dots with 95%
    whiskers against the zero line (PNG); significant ones in the accent colour."""
    from sipas.messages import text
    from sipas.reports.charts import Point, ranking
    from sipas.reports.format import number

    points = [
        Point(
            label=r.name,
            value=r.difference,
            low=r.low,
            high=r.high,
            highlight=r.verdict != "not different",
        )
        for r in found.rows
        if r.level != "item"
    ]
    return ranking(
        points,
        0.0,
        lambda x: number(x, lang, 1, sign=True),
        text("compare.zero", lang),
        left=0.5,
    )
