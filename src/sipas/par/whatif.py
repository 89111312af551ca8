"""What a unit needs to reach a target, and what its results would be if some leaves scored
otherwise — computed by the same engine as the published results, without touching stored scores.

- :func:`points_needed`: the total points a unit still lacks for a group, a rank or a total,
  given the other units' results. Groups follow the published (half-up rounded) index, so a unit
  needs an index of 89.995 for a group that starts at 90; a rank needs the index of the unit now
  holding it (equal indices share a rank).
- :func:`open_leaves`: the leaves with the most points still open, largest first, with their
  rubric: the cheapest path to the target is to raise them in that order.
- :func:`what_if`: the unit's total, index, group and rank when the given leaves score the given
  points, every other unit unchanged.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.frameworks.model import NodeRole, ParFramework, ParNode
from sipas.par.engine import TIE_TOLERANCE, ParResults, compute

TargetKind = Literal["group", "rank", "total"]
# Half of the last published digit: an index of 89.995 is published as 90.00.
HALF_PUBLISHED_DIGIT = 0.005


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    value: str | float  # a group code, a rank or a total in points

    @classmethod
    def parse(cls, text: str) -> Target:
        """``group:A``, ``rank:5`` or ``total:90``."""
        kind, _, value = text.partition(":")
        kind = kind.strip().lower()
        value = value.strip()
        if kind == "group" and value:
            return cls("group", value.upper())
        try:
            number = float(value.replace(",", "."))
        except ValueError:
            number = math.nan
        if kind == "rank" and number.is_integer() and number >= 1:
            return cls("rank", int(number))
        if kind == "total" and math.isfinite(number) and number >= 0:
            return cls("total", number)
        raise SipasError("par.whatif.bad_target", target=text)


@dataclass(frozen=True)
class Standing:
    """Where a unit stands: total points (with bonus and penalty), maximum, index, group, rank."""

    total: float
    max: float
    index: float
    group: str | None
    rank: int | None


@dataclass(frozen=True)
class OpenLeaf:
    code: str
    name: str
    method: str
    rubric: str | None  # the rubric's kind (tiers, binary, …); None: points entered directly
    points: float  # now
    max: float
    open: float  # points still to gain (within a bonus node's cap)
    cumulative: float  # open points of this leaf and every larger one before it


@dataclass(frozen=True)
class Need:
    target: Target
    index: float  # the lowest index that reaches the target
    points: float  # total points still lacking (0 when already reached)
    reachable: bool  # the open points suffice
    path: list[OpenLeaf]  # the fewest leaves, largest open points first, that cover ``points``


def standing(results: ParResults, unit: str) -> Standing:
    row = results.units.set_index("unit_code").loc[unit]
    return Standing(
        total=float(row["total"]),
        max=float(row["max"]),
        index=float(row["index"]),
        group=None if pd.isna(row["group"]) else str(row["group"]),
        rank=None if pd.isna(row["rank"]) else int(row["rank"]),
    )


def target_index(framework: ParFramework, results: ParResults, unit: str, target: Target) -> float:
    """The lowest index at which ``unit`` reaches ``target``."""
    mine = standing(results, unit)
    if target.kind == "group":
        group = next((g for g in framework.groups if g.code == target.value), None)
        if group is None:
            raise SipasError(
                "par.whatif.unknown_group",
                group=target.value,
                groups=[g.code for g in framework.groups],
            )
        return group.min_index - HALF_PUBLISHED_DIGIT
    if target.kind == "rank":
        wanted = int(target.value)
        others = results.units.loc[results.units["unit_code"] != unit, "index"].dropna()
        ahead = np.sort(others.to_numpy())[::-1]
        if wanted > len(ahead):
            return -math.inf  # every rank down to the last is reached already
        # Equal to the unit now at that place: both share the rank.
        return float(ahead[wanted - 1]) - TIE_TOLERANCE / 2
    return float(target.value) / mine.max * 100.0 if mine.max > 0 else math.inf


def open_leaves(
    framework: ParFramework, scores: pd.DataFrame, unit: str, lang: str = "vi"
) -> list[OpenLeaf]:
    """Leaves of ``unit`` with points still to gain, largest first (ties by code)."""
    mine = scores[scores["unit_code"].astype(str) == unit]
    points = dict(zip(mine["node_code"].astype(str), mine["points"].fillna(0.0), strict=True))
    applicable = (
        dict(zip(mine["node_code"].astype(str), mine["applicable"].astype(bool), strict=True))
        if "applicable" in mine
        else {}
    )
    found: list[tuple[ParNode, float, float]] = []
    for top in framework.nodes:
        if top.role is NodeRole.PENALTY:
            continue
        leaves = _leaves_of(top)
        room = math.inf
        if top.role is NodeRole.BONUS:
            room = float(top.max_points or 0.0) - sum(points.get(leaf.code, 0.0) for leaf in leaves)
        for leaf in leaves:
            if not applicable.get(leaf.code, True):
                continue
            now = float(points.get(leaf.code, 0.0))
            gain = min(float(leaf.max_points or 0.0) - now, room)
            if gain > TIE_TOLERANCE:
                found.append((leaf, now, gain))
    found.sort(key=lambda item: (-item[2], item[0].code))
    out, running = [], 0.0
    for leaf, now, gain in found:
        running += gain
        out.append(
            OpenLeaf(
                code=leaf.code,
                name=leaf.name.get(lang),
                method=leaf.method.value if leaf.method is not None else "",
                rubric=getattr(leaf.rubric, "kind", None),
                points=now,
                max=float(leaf.max_points or 0.0),
                open=gain,
                cumulative=running,
            )
        )
    return out


def points_needed(
    framework: ParFramework,
    results: ParResults,
    scores: pd.DataFrame,
    unit: str,
    target: Target,
    lang: str = "vi",
) -> Need:
    """How many points ``unit`` lacks for ``target`` and the leaves that give them soonest."""
    mine = standing(results, unit)
    index = target_index(framework, results, unit, target)
    lacking = max(0.0, index / 100.0 * mine.max - mine.total) if math.isfinite(index) else 0.0
    if index == math.inf:
        lacking = math.inf
    leaves = open_leaves(framework, scores, unit, lang)
    path = []
    for leaf in leaves:
        if lacking <= 0:
            break
        path.append(leaf)
        if leaf.cumulative >= lacking - 1e-12:
            break
    available = leaves[-1].cumulative if leaves else 0.0
    return Need(target, index, lacking, available >= lacking - 1e-12, path)


def apply_changes(
    framework: ParFramework, scores: pd.DataFrame, unit: str, changes: Mapping[str, float]
) -> pd.DataFrame:
    """``scores`` with ``unit``'s leaves in ``changes`` set to the given points (checked)."""
    leaves = {leaf.code: leaf for leaf in framework.leaves()}
    for code, value in changes.items():
        leaf = leaves.get(code)
        if leaf is None:
            raise SipasError("par.whatif.unknown_leaf", leaf=code, framework=framework.id)
        top = float(leaf.max_points or 0.0)
        if not (0.0 <= value <= top):
            raise SipasError("par.whatif.points_out_of_range", leaf=code, points=value, max=top)
    if "applicable" not in scores:
        scores = scores.assign(applicable=True)
    mine = (scores["unit_code"].astype(str) == unit) & scores["node_code"].astype(str).isin(changes)
    added = pd.DataFrame(
        {
            "unit_code": [unit] * len(changes),
            "node_code": list(changes),
            "points": [float(v) for v in changes.values()],
            "applicable": [True] * len(changes),
        }
    )
    return pd.concat([scores[~mine], added], ignore_index=True) if len(added) else scores


def what_if(
    framework: ParFramework,
    units: list[str],
    scores: pd.DataFrame,
    unit: str,
    changes: Mapping[str, float],
) -> tuple[ParResults, Standing, pd.DataFrame]:
    """Every unit's results with ``unit``'s leaves in ``changes`` set to the given points; the
    unit's standing; the scores used."""
    changed = apply_changes(framework, scores, unit, changes)
    results = compute(framework, units, changed)
    return results, standing(results, unit), changed


def _leaves_of(node: ParNode) -> list[ParNode]:
    if node.is_leaf:
        return [node]
    return [leaf for child in node.children for leaf in _leaves_of(child)]
