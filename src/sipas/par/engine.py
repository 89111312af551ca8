"""Scoring a PAR campaign: leaf points → node totals → index → groups → ranks → national mean.

Everything is computed at full precision on a units × leaves matrix; a node's points are one matrix
product with the leaves-to-nodes membership matrix, so a campaign of every commune of the country
(thousands of units × about 90 leaves) takes milliseconds. Rounding happens only in
:func:`sipas.par.publish.round_half_up` when results are published.

Rules (each stated in the framework or here):
- index = (score points + bonus − penalty) / maximum of the applicable scored leaves × 100;
  a node's index = its points / its applicable maximum × 100;
- bonus and penalty nodes add or subtract their leaves' points, each sum capped at the node's maximum;
- a leaf declared not applicable follows the framework's ``not_applicable`` rule: ``exclude`` removes
  it from both points and maximum, ``full_points`` awards its maximum;
- a leaf with no final score counts 0 and the unit is marked incomplete;
- groups: the first group (highest threshold first) whose threshold the *published* index reaches, so
  that a unit printed as 90.00 is never shown outside group A;
- ranks: descending on the unrounded index; indices equal to 1e-9 share the best rank (1, 2, 2, 4);
- an area's best units: the highest unrounded area index (equal to 1e-9 share it), so that units
  with fewer applicable points are compared fairly; its national mean: the mean of the units' area
  points and area indices (unweighted, as the national index).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.frameworks.model import NodeRole, NotApplicableRule, ParFramework, ParNode
from sipas.frameworks.validate import scoring_gaps
from sipas.par.publish import round_half_up

TIE_TOLERANCE = 1e-9


@dataclass(frozen=True)
class ParResults:
    framework_id: str
    units: pd.DataFrame  # one row per unit: points, bonus, penalty, total, max, index, group, rank
    nodes: pd.DataFrame  # one row per unit and node: points, max, index
    national: dict[str, Any]  # mean index of units, group counts


@dataclass(frozen=True)
class _Layout:
    leaves: list[ParNode]
    nodes: list[tuple[ParNode, int]]  # every node with its depth (0 = top level)
    membership: np.ndarray  # leaves × nodes: 1 where the leaf lies under (or is) the node
    role: np.ndarray  # per leaf: the role of its top-level node


def _layout(framework: ParFramework) -> _Layout:
    leaves = framework.leaves()
    leaf_index = {leaf.code: i for i, leaf in enumerate(leaves)}
    nodes = [(node, len(trail)) for trail, node in framework.walk()]
    membership = np.zeros((len(leaves), len(nodes)))
    role = np.empty(len(leaves), dtype=object)
    for j, (node, _depth) in enumerate(nodes):
        stack = [node]
        while stack:
            current = stack.pop()
            if current.is_leaf:
                membership[leaf_index[current.code], j] = 1.0
            stack.extend(current.children)
    for top in framework.nodes:
        for j, (node, _depth) in enumerate(nodes):
            if node is top:
                role[membership[:, j] == 1.0] = top.role.value
    return _Layout(leaves, nodes, membership, role)


def _matrices(
    framework: ParFramework, layout: _Layout, units: list[str], scores: pd.DataFrame
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Points, applicable maximum and missing flags, each units × leaves."""
    unit_pos = pd.Index(units)
    leaf_pos = pd.Index([leaf.code for leaf in layout.leaves])
    rows = unit_pos.get_indexer(scores["unit_code"].astype(str))
    cols = leaf_pos.get_indexer(scores["node_code"].astype(str))
    unknown = cols < 0
    if unknown.any():
        bad = scores["node_code"].astype(str)[unknown].iloc[0]
        raise SipasError("par.score_not_a_leaf", node=bad, framework=framework.id)
    keep = rows >= 0  # scores of units outside the campaign are ignored by the caller's choice
    rows, cols = rows[keep], cols[keep]
    maxima = np.array([float(leaf.max_points or 0.0) for leaf in layout.leaves])
    shape = (len(units), len(layout.leaves))
    points = np.zeros(shape)
    present = np.zeros(shape, dtype=bool)
    applicable = np.ones(shape, dtype=bool)
    given = scores["points"].to_numpy(dtype=float, na_value=np.nan)[keep]
    flags = (
        scores["applicable"].to_numpy(dtype=bool)[keep]
        if "applicable" in scores
        else np.ones(len(rows), dtype=bool)
    )
    points[rows, cols] = np.nan_to_num(given, nan=0.0)
    present[rows, cols] = True
    applicable[rows, cols] = flags
    not_applicable = ~applicable
    allowed = np.array([leaf.may_be_not_applicable for leaf in layout.leaves])
    refused = not_applicable & ~allowed[None, :]
    if refused.any():
        u, leaf = np.argwhere(refused)[0]
        raise SipasError(
            "par.not_applicable_in_scores", unit=units[u], leaf=layout.leaves[leaf].code
        )
    top = np.broadcast_to(maxima, shape).copy()
    if framework.not_applicable is NotApplicableRule.EXCLUDE:
        points[not_applicable] = 0.0
        top[not_applicable] = 0.0
    else:
        points[not_applicable] = top[not_applicable]
    missing = ~present
    return points, top, missing


def _rank(values: np.ndarray) -> np.ndarray:
    """Competition ranks (1, 2, 2, 4) on descending values; missing values get no rank."""
    order = np.argsort(-np.nan_to_num(values, nan=-np.inf), kind="stable")
    ranks = np.full(len(values), np.nan)
    previous, previous_rank = None, 0
    for position, i in enumerate(order):
        if np.isnan(values[i]):
            continue
        if previous is None or abs(values[i] - previous) > TIE_TOLERANCE:
            previous_rank = position + 1
            previous = values[i]
        ranks[i] = previous_rank
    return ranks


def group_of(framework: ParFramework, index: float | None) -> str | None:
    published = round_half_up(index)
    if published is None:
        return None
    for group in sorted(framework.groups, key=lambda g: -g.min_index):
        if published >= group.min_index:
            return group.code
    return None


def compute(framework: ParFramework, units: list[str], scores: pd.DataFrame) -> ParResults:
    """Results of ``units`` from final leaf scores (columns unit_code, node_code, points[, applicable])."""
    if scoring_gaps(framework):
        raise SipasError(
            "par.not_scorable",
            framework=framework.id,
            nodes=[n.code for _, n in framework.walk() if n.max_points is None],
        )
    layout = _layout(framework)
    points, top, missing = _matrices(framework, layout, units, scores)
    node_points = points @ layout.membership
    node_max = top @ layout.membership
    with np.errstate(invalid="ignore", divide="ignore"):
        node_index = np.where(node_max > 0, node_points / node_max * 100.0, np.nan)
    nodes = pd.DataFrame(
        {
            "unit_code": np.repeat(units, len(layout.nodes)),
            "node_code": np.tile([n.code for n, _ in layout.nodes], len(units)),
            "depth": np.tile([d for _, d in layout.nodes], len(units)),
            "points": node_points.ravel(),
            "max": node_max.ravel(),
            "index": node_index.ravel(),
        }
    )
    scored = layout.role == NodeRole.SCORE.value
    score_points = points[:, scored].sum(axis=1)
    score_max = top[:, scored].sum(axis=1)
    bonus = _capped(framework, layout, points, NodeRole.BONUS)
    penalty = _capped(framework, layout, points, NodeRole.PENALTY)
    total = score_points + bonus - penalty
    with np.errstate(invalid="ignore", divide="ignore"):
        index = np.where(score_max > 0, total / score_max * 100.0, np.nan)
    table = pd.DataFrame(
        {
            "unit_code": units,
            "points": score_points,
            "bonus": bonus,
            "penalty": penalty,
            "total": total,
            "max": score_max,
            "index": index,
            "rank": _rank(index),
            "missing_leaves": missing[:, scored].sum(axis=1),  # bonus/penalty are optional
        }
    )
    table["group"] = [group_of(framework, v) for v in table["index"]]
    table["complete"] = table["missing_leaves"] == 0
    return ParResults(framework.id, table, nodes, _national(framework, table))


def _capped(
    framework: ParFramework, layout: _Layout, points: np.ndarray, role: NodeRole
) -> np.ndarray:
    total = np.zeros(points.shape[0])
    for top in framework.nodes:
        if top.role is not role:
            continue
        column = next(j for j, (node, _) in enumerate(layout.nodes) if node is top)
        inside = layout.membership[:, column] == 1.0
        total += np.minimum(points[:, inside].sum(axis=1), float(top.max_points or 0.0))
    return total


def _national(framework: ParFramework, table: pd.DataFrame) -> dict[str, Any]:
    valid = table["index"].dropna()
    counts = {g.code: int((table["group"] == g.code).sum()) for g in framework.groups}
    counts["none"] = int(table["group"].isna().sum())
    return {
        "units": len(table),
        "mean_index": float(valid.mean()) if len(valid) else None,
        "group_counts": counts,
        "rule": "mean of the units' indices (unweighted)",
    }


def area_summaries(framework: ParFramework, results: ParResults) -> list[dict[str, Any]]:
    """Per scored area (top-level node): the units' mean points and index, and the best units."""
    tops = results.nodes[results.nodes["depth"] == 0].set_index("node_code")
    found = []
    for area in framework.scored_nodes():
        rows = tops.loc[[area.code]]
        valid = rows[rows["index"].notna()]
        best: list[str] = []
        if len(valid):
            top = float(valid["index"].max())
            best = [str(u) for u in valid[valid["index"] >= top - TIE_TOLERANCE]["unit_code"]]
        leader = valid[valid["unit_code"].isin(best)]
        found.append(
            {
                "area": area.code,
                "max": float(area.max_points or 0.0),
                "mean_points": float(rows["points"].mean()) if len(rows) else None,
                "mean_index": float(valid["index"].mean()) if len(valid) else None,
                "best": best,
                "best_points": float(leader["points"].max()) if len(leader) else None,
                "best_index": float(leader["index"].max()) if len(leader) else None,
            }
        )
    return found


def change(current: ParResults, previous: ParResults) -> pd.DataFrame:
    """Index and rank change of each unit on the previous campaign (units in both)."""
    joined = current.units[["unit_code", "index", "rank"]].merge(
        previous.units[["unit_code", "index", "rank"]],
        on="unit_code",
        how="left",
        suffixes=("", "_previous"),
    )
    joined["index_change"] = joined["index"] - joined["index_previous"]
    joined["rank_change"] = joined["rank_previous"] - joined["rank"]  # positive = moved up
    return joined
