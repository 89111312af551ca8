"""The PAR access table and stage rules, tested without a database."""

from __future__ import annotations

import pytest

from sipas.par.workflow import (
    ACCESS,
    ROLES,
    STAGES,
    Action,
    Refusal,
    StageProblem,
    check_advance,
    check_write_stage,
    decide,
    next_stage,
    writable_stages,
)


@pytest.mark.parametrize("action", list(Action))
def test_an_admin_may_do_everything(action: Action) -> None:
    assert decide(action, "admin") is None


@pytest.mark.parametrize("action", [Action.CREATE_CAMPAIGN, Action.ASSIGN, Action.ADVANCE])
@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
def test_only_an_admin_runs_campaigns(action: Action, role: str) -> None:
    assert decide(action, role, in_province=True, assignments={"appraiser"}) is Refusal.ROLE


def test_an_officer_writes_the_self_assessment_of_an_assigned_unit_of_their_province() -> None:
    write = Action.WRITE_SELF
    assert decide(write, "officer", in_province=True, assignments={"self_assessor"}) is None
    assert decide(write, "officer", in_province=False, assignments={"self_assessor"}) is (
        Refusal.PROVINCE
    )
    assert decide(write, "officer", in_province=True) is Refusal.NOT_ASSIGNED
    assert decide(write, "appraiser", in_province=True, assignments={"appraiser"}) is Refusal.ROLE


def test_an_appraiser_appraises_only_assigned_areas() -> None:
    assert decide(Action.APPRAISE, "appraiser", assignments={"appraiser"}) is None
    assert decide(Action.APPRAISE, "appraiser", assignments={"self_assessor"}) is (
        Refusal.NOT_ASSIGNED
    )
    assert decide(Action.APPRAISE, "officer", in_province=True) is Refusal.ROLE


def test_reading_follows_the_role() -> None:
    assert decide(Action.READ, "analyst") is None
    assert decide(Action.READ, "officer", in_province=True) is None
    assert decide(Action.READ, "officer", in_province=False) is Refusal.PROVINCE
    assert decide(Action.READ, "appraiser", assignments={"appraiser"}) is None
    assert decide(Action.READ, "appraiser") is Refusal.NOT_ASSIGNED


def test_survey_leaves_are_for_analysts_and_locking_for_the_province() -> None:
    assert decide(Action.FILL_SURVEY, "analyst") is None
    assert decide(Action.FILL_SURVEY, "officer", in_province=True) is Refusal.ROLE
    assert decide(Action.LOCK, "officer", in_province=True) is None
    assert decide(Action.LOCK, "officer", in_province=False) is Refusal.PROVINCE
    assert decide(Action.LOCK, "appraiser", assignments={"appraiser"}) is Refusal.ROLE


def test_a_page_offers_exactly_the_stages_a_role_may_write() -> None:
    assert writable_stages("officer") == ("self", "explanation")
    assert writable_stages("appraiser") == ("appraisal1", "appraisal2")
    assert writable_stages("analyst") == ("survey",)
    assert writable_stages("clerk") == ()
    assert set(writable_stages("admin")) == {
        "self",
        "appraisal1",
        "explanation",
        "appraisal2",
        "survey",
    }


def test_every_action_has_a_row_in_the_table() -> None:
    assert set(ACCESS) == set(Action)


def test_a_campaign_moves_one_stage_at_a_time_to_final() -> None:
    walked = ["self"]
    while (after := next_stage(walked[-1])) is not None:
        walked.append(after)
    assert tuple(walked) == STAGES
    assert check_advance("self", None) == ("appraisal1", None)
    assert check_advance("self", "appraisal1") == ("appraisal1", None)
    assert check_advance("self", "appraisal2") == ("appraisal2", StageProblem.ORDER)
    assert check_advance("self", "nonsense") == ("nonsense", StageProblem.UNKNOWN)
    assert check_advance("final", None) == ("final", StageProblem.FINAL)
    assert check_advance("final", "self") == ("self", StageProblem.FINAL)


def test_scores_are_written_only_at_the_campaigns_stage_and_survey_leaves_until_final() -> None:
    assert check_write_stage("self", "self") is None
    assert check_write_stage("appraisal1", "self") is StageProblem.WRONG_STAGE
    assert check_write_stage("explanation", "survey") is None
    assert check_write_stage("final", "survey") is StageProblem.FINAL
    assert check_write_stage("self", "final") is StageProblem.UNKNOWN
