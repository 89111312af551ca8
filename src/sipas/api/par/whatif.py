"""PAR what-if for callers: a unit's distance to a target and the effect of hypothetical leaf
scores, on a campaign's stored scores, never writing them."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

from sipas.api.par.access import ensure_may_read
from sipas.api.par.campaigns import Actor, open_campaign
from sipas.api.par.views import stage_results
from sipas.errors import SipasError
from sipas.par.whatif import Need, Standing, Target, points_needed, standing, what_if
from sipas.store import Database


@dataclass(frozen=True)
class WhatIf:
    campaign: str
    unit: str
    name: str
    stage: str  # the scores the answer starts from
    now: Standing
    changes: dict[str, float]
    after: Standing | None  # with ``changes`` applied; None without changes
    need: Need | None  # to reach the target, from ``after`` when changes are given
    target_index: float | None = None  # the lowest index that reaches the target
    others: list[tuple[str, str, float]] = field(default_factory=list)  # every other unit's index


def parse_target(text: str) -> Target:
    """``group:A``, ``rank:5`` or ``total:90``."""
    return Target.parse(text)


def parse_changes(texts: list[str]) -> dict[str, float]:
    """``LEAF=POINTS`` pairs (a decimal comma is accepted)."""
    changes: dict[str, float] = {}
    for text in texts:
        leaf, sep, value = text.partition("=")
        try:
            points = float(value.strip().replace(",", "."))
        except ValueError:
            points = float("nan")
        if not sep or not leaf.strip() or points != points:
            raise SipasError("par.whatif.bad_change", change=text)
        changes[leaf.strip()] = points
    return changes


def whatif(
    db: Database,
    campaign_code: str,
    unit: str,
    target: Target | None = None,
    changes: Mapping[str, float] | None = None,
    stage: str | None = None,
    lang: str = "vi",
    actor: Actor | None = None,
) -> WhatIf:
    """Where ``unit`` stands, where it would stand with ``changes``, and what ``target`` takes.

    With ``actor`` (the web workspace), a unit the actor may not read is refused."""
    if actor is not None:
        with db.begin() as connection:
            ensure_may_read(connection, actor, open_campaign(connection, campaign_code), unit)
    return _whatif(db, campaign_code, unit, target, changes, stage, lang)


def _whatif(
    db: Database,
    campaign_code: str,
    unit: str,
    target: Target | None = None,
    changes: Mapping[str, float] | None = None,
    stage: str | None = None,
    lang: str = "vi",
) -> WhatIf:
    """Where ``unit`` stands, where it would stand with ``changes``, and what ``target`` takes."""
    with db.begin() as connection:
        campaign = open_campaign(connection, campaign_code)
        if unit not in campaign.units:
            raise SipasError("par.whatif.unknown_unit", unit=unit, campaign=campaign.code)
        chosen = stage or ("final" if campaign.stage == "final" else "self")
        results, scores = stage_results(connection, campaign, chosen)
    framework = campaign.framework
    now = standing(results, unit)
    after = None
    if changes:
        results, after, scores = what_if(
            framework, list(campaign.units), scores, unit, dict(changes)
        )
    need = points_needed(framework, results, scores, unit, target, lang) if target else None
    others = [
        (str(code), str(campaign.units[code]["name"]), float(index))
        for code, index in zip(results.units["unit_code"], results.units["index"], strict=True)
        if code != unit
    ]
    return WhatIf(
        campaign=campaign.code,
        unit=unit,
        name=str(campaign.units[unit]["name"]),
        stage=chosen,
        now=now,
        changes=dict(changes or {}),
        after=after,
        need=need,
        target_index=need.index if need is not None and math.isfinite(need.index) else None,
        others=others,
    )
