"""The PAR round as a table a person can read: its stages, how a campaign moves between them, and
who may do what at each one.

Pure: no database. ``sipas.api.par`` reads the actor's assignments and the unit's province from
the store, asks :func:`decide`, and raises the refusal it names; the web asks the same table which
stages a role may write, so a page never offers what the api would refuse.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

# The campaign's stages in order: self-assessment, first appraisal, the province's explanation,
# second appraisal, final scores. A campaign moves one stage forward at a time.
STAGES = ("self", "appraisal1", "explanation", "appraisal2", "final")
# Stages a score is written at; "survey" leaves are filled from survey results at any stage
# before the campaign is final.
SCORE_STAGES = (*STAGES, "survey")
WRITE_STAGES = ("self", "appraisal1", "explanation", "appraisal2", "survey")

ROLES = ("admin", "analyst", "officer", "appraiser", "clerk")
ASSIGNMENT_ROLES = ("self_assessor", "appraiser")


class Action(StrEnum):
    CREATE_CAMPAIGN = "create_campaign"
    ASSIGN = "assign"
    ADVANCE = "advance"
    READ = "read"
    LOCK = "lock"
    WRITE_SELF = "write_self"  # the self-assessment and the explanation
    APPRAISE = "appraise"  # both appraisal rounds
    FILL_SURVEY = "fill_survey"  # leaves fed by the sociological survey or SIPAS


@dataclass(frozen=True)
class Rule:
    """Who may take an action: one of ``roles``, and, when set, an officer of the unit's province
    (``own_province``) holding an assignment of ``assignment`` that covers the unit and leaf."""

    roles: frozenset[str]
    own_province: bool = False
    assignment: str | None = None
    any_assignment: bool = False  # any assignment on the unit (reading)


def _rule(
    *roles: str,
    own_province: bool = False,
    assignment: str | None = None,
    any_assignment: bool = False,
) -> Rule:
    return Rule(frozenset(roles), own_province, assignment, any_assignment)


# The access table. An admin may do everything and is not listed.
ACCESS: dict[Action, tuple[Rule, ...]] = {
    Action.CREATE_CAMPAIGN: (),
    Action.ASSIGN: (),
    Action.ADVANCE: (),
    Action.READ: (
        _rule("analyst"),
        _rule("officer", own_province=True),
        _rule("appraiser", "clerk", any_assignment=True),
    ),
    Action.LOCK: (_rule("officer", own_province=True),),
    Action.WRITE_SELF: (_rule("officer", own_province=True, assignment="self_assessor"),),
    Action.APPRAISE: (_rule("appraiser", assignment="appraiser"),),
    Action.FILL_SURVEY: (_rule("analyst"),),
}

# Which write action each score stage is.
WRITE_ACTION = {
    "self": Action.WRITE_SELF,
    "explanation": Action.WRITE_SELF,
    "appraisal1": Action.APPRAISE,
    "appraisal2": Action.APPRAISE,
    "survey": Action.FILL_SURVEY,
}


class Refusal(StrEnum):
    """Why :func:`decide` says no; the api turns each into its declared error."""

    ROLE = "role"  # the actor's role may not take this action at all
    PROVINCE = "province"  # the unit is not in the officer's province
    NOT_ASSIGNED = "not_assigned"  # the role fits but no assignment covers the unit and leaf


def decide(
    action: Action,
    role: str,
    *,
    in_province: bool = False,
    assignments: Collection[str] = (),
) -> Refusal | None:
    """None if ``role`` may take ``action``; otherwise why not.

    ``in_province``: the unit belongs to the actor's province. ``assignments``: the assignment
    roles the actor holds that cover this unit (and leaf, for writes).
    """
    if role == "admin":
        return None
    rules = [rule for rule in ACCESS[action] if role in rule.roles]
    if not rules:
        return Refusal.ROLE
    refusal = Refusal.ROLE
    for rule in rules:
        if rule.own_province and not in_province:
            refusal = Refusal.PROVINCE
            continue
        if rule.assignment is not None and rule.assignment not in assignments:
            refusal = Refusal.NOT_ASSIGNED
            continue
        if rule.any_assignment and not assignments:
            refusal = Refusal.NOT_ASSIGNED
            continue
        return None
    return refusal


def writable_stages(role: str) -> tuple[str, ...]:
    """The score stages a role may ever write (assignments aside): what a page offers."""
    return tuple(stage for stage in WRITE_STAGES if decide_role(WRITE_ACTION[stage], role))


def decide_role(action: Action, role: str) -> bool:
    """Whether ``role`` is among those who may take ``action`` at all."""
    return role == "admin" or any(role in rule.roles for rule in ACCESS[action])


# --- stages ---------------------------------------------------------------------------------


class StageProblem(StrEnum):
    UNKNOWN = "unknown"  # not a stage
    ORDER = "order"  # not the next stage
    FINAL = "final"  # the campaign is already final
    WRONG_STAGE = "wrong_stage"  # a write at a stage the campaign is not at


def next_stage(stage: str) -> str | None:
    """The stage after ``stage``; None once final."""
    position = STAGES.index(stage)
    return STAGES[position + 1] if position + 1 < len(STAGES) else None


def check_advance(current: str, to: str | None) -> tuple[str, StageProblem | None]:
    """The stage a campaign at ``current`` moves to (``to``, or the next one) and what is wrong."""
    expected = next_stage(current)
    if to is None:
        return (current, StageProblem.FINAL) if expected is None else (expected, None)
    if to not in STAGES:
        return to, StageProblem.UNKNOWN
    if expected is None:
        return to, StageProblem.FINAL
    if to != expected:
        return to, StageProblem.ORDER
    return to, None


def check_write_stage(campaign_stage: str, stage: str) -> StageProblem | None:
    """May a score be written at ``stage`` while the campaign is at ``campaign_stage``?

    Survey leaves are filled at any stage before the campaign is final; every other stage only
    while the campaign is at that stage.
    """
    if stage not in WRITE_STAGES:
        return StageProblem.UNKNOWN
    if stage == "survey":
        return StageProblem.FINAL if campaign_stage == "final" else None
    return None if campaign_stage == stage else StageProblem.WRONG_STAGE


def earlier_stages(stage: str) -> tuple[str, ...]:
    """The stages whose score an appraisal is compared with to require a reason for a change."""
    return ("appraisal1", "self") if stage == "appraisal2" else ("self",)
