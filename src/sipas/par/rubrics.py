"""Leaf rubrics: what a unit enters for a leaf (a rate, a status, answer counts) → points.

Each leaf of a PAR framework names its rubric (see :mod:`sipas.frameworks.model`). A score can be
entered either as the rubric's input (``value``), which is turned into points here, or directly as
points, which are checked against what the rubric can give (a binary leaf gives 0 or its maximum).
"""

from __future__ import annotations

import math
from typing import Any

from sipas.errors import SipasError
from sipas.frameworks.model import (
    BinaryRubric,
    ParNode,
    PointsRubric,
    ProportionalRubric,
    Rubric,
    SipasRubric,
    SurveyRubric,
    TiersRubric,
    TimelinessRubric,
)
from sipas.text import compact_key

# Points are written with up to two decimals in the ministry's sheets; equality is judged to 1e-9.
TOLERANCE = 1e-9

_MET = {"met", "dat", "yes", "co", "true", "1", "x"}
_NOT_MET = {"notmet", "khongdat", "no", "khong", "false", "0"}
_TIMELINESS = {
    "ontime": "on_time",
    "dunghan": "on_time",
    "late": "late",
    "trehan": "late",
    "cham": "late",
    "missing": "missing",
    "khong": "missing",
    "khongco": "missing",
    "chuaco": "missing",
}


def rubric_of(node: ParNode) -> Rubric:
    return node.rubric if node.rubric is not None else PointsRubric(kind="points")


# ``where`` names the score's place: a text, or a phrase (``par.place.*``) rendered in the
# language of the message.
Where = Any

# An example of survey answers, shown in the hint of every refused survey value.
_SURVEY_EXAMPLE = "{citizens: {A: 12, B: 3, C: 1, D: 0}}"


def _rate(value: Any, where: Where) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SipasError("par.value.rate", where=where, value=value)
    try:
        rate = float(str(value).strip().rstrip("%").replace(",", "."))
    except ValueError:
        raise SipasError("par.value.rate", where=where, value=value) from None
    if not math.isfinite(rate) or not 0 <= rate <= 100:
        raise SipasError("par.value.rate_range", where=where, rate=rate)
    return rate


def _tiers(rubric: TiersRubric, rate: float) -> float:
    for tier in rubric.tiers:
        if rate > tier.min or (not tier.strict and rate >= tier.min):
            return tier.points
    return 0.0


def _binary(value: Any, where: Where) -> bool:
    key = compact_key(str(value)) if not isinstance(value, bool) else ("1" if value else "0")
    if key in _MET:
        return True
    if key in _NOT_MET:
        return False
    raise SipasError("par.value.binary", where=where, value=value)


def _timeliness(rubric: TimelinessRubric, value: Any, where: Where) -> float:
    status = _TIMELINESS.get(compact_key(str(value)))
    if status is None:
        raise SipasError("par.value.timeliness", where=where, value=value)
    share: float = getattr(rubric, status)
    return share


def _survey(rubric: SurveyRubric, value: Any, where: Where) -> float:
    """Mean over the named groups of each group's mean answer weight."""
    example = _SURVEY_EXAMPLE
    if not isinstance(value, dict):
        raise SipasError("par.value.survey", where=where, example=example)
    shares = []
    for group in rubric.groups:
        counts = value.get(group)
        if not isinstance(counts, dict):
            raise SipasError("par.value.survey_group", where=where, group=group, example=example)
        unknown = sorted(set(counts) - set(rubric.answer_weights))
        if unknown:
            raise SipasError(
                "par.value.survey_answer",
                where=where,
                answer=unknown[0],
                group=group,
                answers=list(rubric.answer_weights),
            )
        bad = [n for n in counts.values() if isinstance(n, bool) or not isinstance(n, int) or n < 0]
        if bad:
            raise SipasError("par.value.survey_counts", where=where, group=group, example=example)
        total = sum(counts.values())
        if total == 0:
            raise SipasError("par.value.survey_empty", where=where, group=group, example=example)
        earned = sum(rubric.answer_weights[a] * int(n) for a, n in counts.items())
        shares.append(float(earned) / float(total))
    return float(sum(shares)) / len(shares)


def points_from_value(node: ParNode, value: Any, where: Where) -> float:
    """The points a leaf earns for the rubric input ``value``."""
    top = float(node.max_points or 0.0)
    rubric = rubric_of(node)
    if isinstance(rubric, PointsRubric):
        return check_points(node, value, where)
    if isinstance(rubric, TiersRubric):
        return _tiers(rubric, _rate(value, where))
    if isinstance(rubric, BinaryRubric):
        return top if _binary(value, where) else 0.0
    if isinstance(rubric, ProportionalRubric):
        return top * min(_rate(value, where) / rubric.full_at, 1.0)
    if isinstance(rubric, TimelinessRubric):
        return top * _timeliness(rubric, value, where)
    if isinstance(rubric, SurveyRubric):
        return top * _survey(rubric, value, where)
    if isinstance(rubric, SipasRubric):
        return top * _rate(value, where) / 100.0
    raise AssertionError(f"unhandled rubric {rubric!r}")


def _possible(node: ParNode) -> list[float] | None:
    """The only point values a discrete rubric can give (None: any value in 0–max)."""
    top = float(node.max_points or 0.0)
    rubric = rubric_of(node)
    if isinstance(rubric, BinaryRubric):
        return [0.0, top]
    if isinstance(rubric, TiersRubric):
        return sorted({0.0, *(tier.points for tier in rubric.tiers)})
    if isinstance(rubric, TimelinessRubric):
        return sorted({top * rubric.on_time, top * rubric.late, top * rubric.missing})
    return None


def check_points(node: ParNode, points: Any, where: Where) -> float:
    """Points entered directly: a number from 0 to the leaf's maximum that its rubric can give."""
    top = float(node.max_points or 0.0)
    if isinstance(points, bool) or not isinstance(points, int | float | str):
        raise SipasError("par.bad_points", where=where, points=points, top=top)
    try:
        number = float(str(points).strip().replace(",", "."))
    except ValueError:
        raise SipasError("par.bad_points", where=where, points=points, top=top) from None
    if not math.isfinite(number) or number < -TOLERANCE:
        raise SipasError("par.negative_points", where=where, points=number, top=top)
    if number > top + TOLERANCE:
        raise SipasError("par.above_max", where=where, points=number, top=top)
    allowed = _possible(node)
    if allowed is not None and not any(abs(number - a) <= TOLERANCE for a in allowed):
        raise SipasError(
            "par.points_not_in_rubric",
            where=where,
            points=number,
            rubric=rubric_of(node).kind,
            allowed=allowed,
        )
    return number
