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


def _fail(where: str, message: str, hint: str) -> SipasError:
    return SipasError("par.bad_value", f"{where}: {message}", hint)


def _rate(value: Any, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise _fail(where, f"{value!r} is not a rate", "give a percentage from 0 to 100")
    try:
        rate = float(str(value).strip().rstrip("%").replace(",", "."))
    except ValueError:
        raise _fail(where, f"{value!r} is not a rate", "give a percentage from 0 to 100") from None
    if not math.isfinite(rate) or not 0 <= rate <= 100:
        raise _fail(where, f"rate {rate:g} is outside 0–100", "give a percentage from 0 to 100")
    return rate


def _tiers(rubric: TiersRubric, rate: float) -> float:
    for tier in rubric.tiers:
        if rate > tier.min or (not tier.strict and rate >= tier.min):
            return tier.points
    return 0.0


def _binary(value: Any, where: str) -> bool:
    key = compact_key(str(value)) if not isinstance(value, bool) else ("1" if value else "0")
    if key in _MET:
        return True
    if key in _NOT_MET:
        return False
    raise _fail(
        where, f"{value!r} is neither met nor not met", "give đạt / không đạt (met / not met)"
    )


def _timeliness(rubric: TimelinessRubric, value: Any, where: str) -> float:
    status = _TIMELINESS.get(compact_key(str(value)))
    if status is None:
        raise _fail(
            where,
            f"{value!r} is not a timeliness status",
            "give đúng hạn / trễ hạn / không có (on_time / late / missing)",
        )
    share: float = getattr(rubric, status)
    return share


def _survey(rubric: SurveyRubric, value: Any, where: str) -> float:
    """Mean over the named groups of each group's mean answer weight."""
    hint = "give answer counts per respondent group, e.g. {citizens: {A: 12, B: 3, C: 1, D: 0}}"
    if not isinstance(value, dict):
        raise _fail(where, "survey answers must be counts per respondent group", hint)
    shares = []
    for group in rubric.groups:
        counts = value.get(group)
        if not isinstance(counts, dict):
            raise _fail(where, f"no answer counts for respondent group {group!r}", hint)
        unknown = sorted(set(counts) - set(rubric.answer_weights))
        if unknown:
            raise _fail(
                where,
                f"answer {unknown[0]!r} of group {group!r} has no weight",
                f"answers: {', '.join(rubric.answer_weights)}",
            )
        bad = [n for n in counts.values() if isinstance(n, bool) or not isinstance(n, int) or n < 0]
        if bad:
            raise _fail(where, f"answer counts of {group!r} must be whole numbers ≥ 0", hint)
        total = sum(counts.values())
        if total == 0:
            raise _fail(where, f"respondent group {group!r} has no answers", hint)
        earned = sum(rubric.answer_weights[a] * int(n) for a, n in counts.items())
        shares.append(float(earned) / float(total))
    return float(sum(shares)) / len(shares)


def points_from_value(node: ParNode, value: Any, where: str) -> float:
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


def check_points(node: ParNode, points: Any, where: str) -> float:
    """Points entered directly: a number from 0 to the leaf's maximum that its rubric can give."""
    top = float(node.max_points or 0.0)
    if isinstance(points, bool) or not isinstance(points, int | float | str):
        raise SipasError("par.bad_points", f"{where}: {points!r} is not a number of points", None)
    try:
        number = float(str(points).strip().replace(",", "."))
    except ValueError:
        raise SipasError(
            "par.bad_points",
            f"{where}: {points!r} is not a number of points",
            f"give a number from 0 to {top:g}",
        ) from None
    if not math.isfinite(number) or number < -TOLERANCE:
        raise SipasError(
            "par.negative_points",
            f"{where}: {number:g} points is negative",
            f"give a number from 0 to {top:g}",
        )
    if number > top + TOLERANCE:
        raise SipasError(
            "par.above_max",
            f"{where}: {number:g} points is above the leaf's maximum of {top:g}",
            f"give a number from 0 to {top:g}",
        )
    allowed = _possible(node)
    if allowed is not None and not any(abs(number - a) <= TOLERANCE for a in allowed):
        raise SipasError(
            "par.points_not_in_rubric",
            f"{where}: {number:g} points is not one the {rubric_of(node).kind} rubric gives",
            "possible points: " + ", ".join(f"{a:g}" for a in allowed),
        )
    return number
