"""A province against a chosen set of peers on every node of the index, from a saved run: the
best provinces, its region, provinces of similar size, or a list — each difference with its
replicate standard error (the survey core's :func:`compare_with_peers`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import pandas as pd

from sipas.api.estimation import outcome_of_run
from sipas.errors import SipasError
from sipas.frameworks import require_survey, resolve_framework
from sipas.frameworks.model import IndexNode
from sipas.geo import LAST_DAY_OF_63, REFORM_DAY, match_province, province
from sipas.store import Database
from sipas.survey.diagnosis import compare_with_peers

PEER_SETS = ("top5", "region", "similar")
SIMILAR = 5  # provinces nearest in population


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


def compare(db: Database, run_code: str, asked: str, peers: str, lang: str = "vi") -> Comparison:
    """``asked`` (a code or a name) against ``peers``: top5, region, similar, or codes/names
    separated by commas."""
    outcome, run = outcome_of_run(db, run_code)
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
    )


def _day(geography: str | None) -> date:
    return REFORM_DAY if geography == "34" else LAST_DAY_OF_63


def _cell(asked: str, cells: list[str], day: date, run: str) -> str:
    text = asked.strip()
    if text in cells:
        return text
    try:
        found = match_province(text, day).code
    except SipasError:
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
