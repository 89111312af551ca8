"""Survey answers on the web: one-time invitations for respondents, and clerks' entry of paper forms.

An invitation is a random token (160 bits from :mod:`secrets`) of which only the SHA-256 is stored,
with the sample design values of the sampled person (province, stratum, PSU, weight), an expiry,
the respondent's draft and, once used, the time of submission. Answers are checked by the same
:class:`sipas.ingest.Validator` as an imported file; the respondent's response is stored with the
same writer as an import, and a clerk's form goes through :func:`sipas.api.ingest.import_frame`, so
a refused paper form is quarantined with its reasons exactly as a refused row of a file is.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any, NotRequired, TypedDict, cast

import pandas as pd
from sqlalchemy.exc import IntegrityError

from sipas.api import ingest as ingest_api
from sipas.errors import SipasError
from sipas.frameworks import require_survey, resolve_framework
from sipas.frameworks.model import SurveyFramework
from sipas.geo import provinces_on
from sipas.ingest import Options, Validator
from sipas.ingest.columns import framework_columns
from sipas.ingest.forms import (
    clean_answers,
    problems_by_field,
)
from sipas.ingest.forms import field_labels as field_labels  # what the web's forms name
from sipas.ingest.forms import field_names as field_names  # what the web's forms post
from sipas.ingest.forms import form_sections as form_sections
from sipas.ingest.forms import unanswered as unanswered
from sipas.store import Database, audit, batching
from sipas.store import ingest as ingest_store
from sipas.store import invitations as store
from sipas.store import surveys as survey_store
from sipas.store.invitations import InvitationCounts, ProvinceInvitations

TOKEN_BYTES = 20  # 160 random bits
MAX_INVITATIONS = 100_000
# Fields the invitation fixes for a respondent (the sampled person's place in the design).
# The clerk types these for each paper form, besides the framework's answers.
CLERK_DESIGN = ("respondent_key", "interview_date", "stratum", "psu", "weight")


# Problems of a form by field: each field's problems as the page shows them (code and message).
FieldProblems = dict[str, list[dict[str, Any]]]


class Invitation(TypedDict):
    """An invitation just issued: its token and link (shown once, never stored) and the sampled
    person's design values."""

    token: str
    link: str
    respondent_key: str
    province_code: str
    stratum: str
    psu: str
    weight: float
    expires_at: str  # ISO 8601, to the second


class SurveyForm(TypedDict):
    """A respondent's page: the survey, the form's sections, the draft, or "submitted"."""

    survey: str
    title: str
    synthetic: bool
    status: str  # "open" | "submitted"
    province_code: str
    expires_at: str  # ISO 8601, to the minute
    draft_saved_at: datetime | None
    sections: list[dict[str, Any]]  # empty once submitted
    answers: dict[str, Any]
    problems: FieldProblems


class DraftSaved(TypedDict):
    """A respondent's draft kept, with the number of answers in it."""

    status: str  # "saved"
    answered: int


class Submission(TypedDict):
    """What became of a respondent's submit: "submitted" (with the stored response's key as a
    receipt), "already_submitted", or "invalid" with the problems by field and the answers."""

    status: str
    problems: FieldProblems
    answers: NotRequired[dict[str, str]]  # given back when "invalid"
    receipt: NotRequired[str | None]  # when checked and written


class ClerkForm(TypedDict):
    """A clerk's entry page: the survey, the design fields and the form's sections."""

    survey: str
    title: str
    synthetic: bool
    design: list[str]
    sections: list[dict[str, Any]]
    invitations: InvitationCounts


class ClerkSurvey(TypedDict):
    """A survey open for a clerk's entry of paper forms, with its respondents so far."""

    code: str
    framework_id: str
    year: int
    geography: str
    synthetic: bool
    respondents: int


class ClerkEntry(TypedDict):
    """A paper form typed by a clerk: "stored", "unchanged" or "quarantined" with its problems."""

    status: str
    respondent_key: str | None
    problems: FieldProblems
    answers: dict[str, str]


def _hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode("utf-8")).hexdigest()


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@functools.lru_cache(maxsize=16)
def _framework(framework_id: str) -> SurveyFramework:
    return require_survey(resolve_framework(framework_id))


def framework_of(survey: dict[str, Any]) -> SurveyFramework:
    framework = _framework(str(survey["framework_id"]))
    return framework


# -- issuing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sampled:
    """The sample design values of one sampled person."""

    province_code: str
    stratum: str | None = None
    psu: str | None = None
    weight: float = 1.0
    respondent_key: str | None = None
    commune: str = ""
    village: str = ""


def create_invitations(
    db: Database,
    survey_code: str,
    people: list[Sampled],
    expires_days: float,
    actor: str = "sipas invitations",
) -> list[Invitation]:
    """One invitation per sampled person; returns each with its token (shown once, never stored)."""
    if not people:
        raise SipasError("invitations.none")
    if len(people) > MAX_INVITATIONS:
        raise SipasError("invitations.too_many", count=len(people), limit=MAX_INVITATIONS)
    if not 0 < expires_days <= 366:
        raise SipasError("invitations.bad_expiry", days=expires_days)
    valid = {p.code for p in provinces_on(date.today())}
    now = datetime.now(UTC)
    expires = now + timedelta(days=expires_days)
    rows: list[dict[str, Any]] = []
    issued: list[Invitation] = []
    for number, person in enumerate(people, start=1):
        province = person.province_code.strip().zfill(2)
        if province not in valid:
            raise SipasError(
                "invitations.bad_province", number=number, province=person.province_code
            )
        if not person.weight > 0:
            raise SipasError("invitations.bad_weight", number=number, weight=person.weight)
        token = secrets.token_hex(TOKEN_BYTES)
        key = person.respondent_key or f"web-{secrets.token_hex(6)}"
        if len(key) > 80:
            raise SipasError("invitations.bad_key", key=key[:90])
        row: dict[str, Any] = {
            "token_hash": _hash(token),
            "respondent_key": key,
            "province_code": province,
            "commune": person.commune[:40],
            "village": person.village[:40],
            "stratum": (person.stratum or province)[:40],
            "psu": (person.psu or person.commune or province)[:40],
            "weight": float(person.weight),
            "expires_at": expires,
            "created_by": actor,
            "created_at": now,
        }
        rows.append(row)
        issued.append(
            {
                "token": token,
                "link": f"/survey/{token}",
                "respondent_key": row["respondent_key"],
                "province_code": row["province_code"],
                "stratum": row["stratum"],
                "psu": row["psu"],
                "weight": row["weight"],
                "expires_at": expires.isoformat(timespec="seconds"),
            }
        )
    with db.begin() as connection:
        survey = survey_store.get_survey(connection, survey_code)
        framework_of(survey)  # refuse a survey whose framework cannot be found
        keys = [r["respondent_key"] for r in rows]
        twice = [k for k, n in Counter(keys).items() if n > 1]
        if twice:
            raise SipasError("invitations.duplicate_key", key=twice[0])
        taken = store.existing_keys(connection, int(survey["id"]), keys)
        if taken:
            raise SipasError("invitations.key_taken", survey=survey_code, keys=sorted(taken)[:5])
        store.add_invitations(connection, [{"survey_id": survey["id"], **r} for r in rows])
        audit.record_many(
            connection,
            [
                {
                    "actor": actor,
                    "action": "survey.invite",
                    "entity": "invitation",
                    "entity_id": f"{survey_code}/{r['respondent_key']}",
                    "after": {
                        "province": r["province_code"],
                        "stratum": r["stratum"],
                        "psu": r["psu"],
                        "weight": r["weight"],
                        "expires_at": expires.isoformat(timespec="seconds"),
                    },
                }
                for r in rows
            ],
        )
    return issued


def invitation_status(db: Database, survey_code: str) -> list[ProvinceInvitations]:
    """Per province: invitations issued, submitted, open, expired unused, with a draft saved."""
    with db.begin() as connection:
        survey = survey_store.get_survey(connection, survey_code)
        return store.status_by_province(connection, int(survey["id"]), datetime.now(UTC))


# -- the form --------------------------------------------------------------------------------


def _open(connection: Any, token: str, *, allow_used: bool = False) -> dict[str, Any]:
    invitation = store.find(connection, _hash(token)) if 16 <= len(token) <= 128 else None
    if invitation is None:
        raise SipasError("survey.invitation_unknown")
    if invitation["submitted_at"] is None and _aware(invitation["expires_at"]) <= datetime.now(UTC):
        raise SipasError("survey.invitation_expired", day=_aware(invitation["expires_at"]).date())
    if invitation["submitted_at"] is not None and not allow_used:
        raise SipasError("survey.invitation_used")
    return invitation


def survey_form(db: Database, token: str, lang: str) -> SurveyForm:
    """What the respondent's page shows: the form, the draft, or the thanks once submitted."""
    with db.begin() as connection:
        invitation = _open(connection, token, allow_used=True)
        survey = survey_store.get_survey(connection, invitation["survey_code"])
    framework = framework_of(survey)
    submitted = invitation["submitted_at"] is not None
    return {
        "survey": survey["code"],
        "title": framework.title.get(lang),
        "synthetic": bool(survey["synthetic"]),
        "status": "submitted" if submitted else "open",
        "province_code": invitation["province_code"],
        "expires_at": _aware(invitation["expires_at"]).isoformat(timespec="minutes"),
        "draft_saved_at": invitation["draft_saved_at"],
        "sections": [] if submitted else form_sections(framework, lang),
        "answers": {} if submitted else (invitation["draft"] or {}),
        "problems": {},
    }


def save_draft(db: Database, token: str, given: dict[str, Any], lang: str = "vi") -> DraftSaved:
    """Keep the answers typed so far under the invitation, to be finished later."""
    with db.begin() as connection:
        invitation = _open(connection, token)
        survey = survey_store.get_survey(connection, invitation["survey_code"])
        names = field_names(form_sections(framework_of(survey), lang))
        answers = clean_answers(given, names)
        store.save_draft(connection, invitation["id"], answers, datetime.now(UTC))
        audit.record(
            connection,
            actor=f"respondent:{invitation['respondent_key']}",
            action="survey.draft",
            entity="invitation",
            entity_id=f"{survey['code']}/{invitation['respondent_key']}",
            after={"answered": len(answers)},
        )
    return {"status": "saved", "answered": len(answers)}


def submit(db: Database, token: str, given: dict[str, Any], lang: str = "vi") -> Submission:
    """Check and store the respondent's answers, once.

    Returns ``status`` "submitted" (stored now), "already_submitted" (a repeated submit: nothing
    stored again) or "invalid" with the problems by field (the answers are kept as the draft).
    Submissions arriving together are validated and written together (:class:`_Combiner`).
    """
    with db.read() as connection:
        invitation = _open(connection, token, allow_used=True)
    if invitation["submitted_at"] is not None:
        return {"status": "already_submitted", "problems": {}}
    # The invitation row carries what a submission needs of its survey: one query, not two.
    survey = {
        "id": invitation["survey_id"],
        "code": invitation["survey_code"],
        "framework_id": invitation["survey_framework_id"],
        "synthetic": invitation["synthetic"],
    }
    framework = framework_of(survey)
    answers = clean_answers(given, _respondent_fields(str(survey["framework_id"])))
    row = {
        **answers,
        "respondent_key": invitation["respondent_key"],
        "province": invitation["province_code"],
        "commune": invitation["commune"] or None,
        "village": invitation["village"] or None,
        "stratum": invitation["stratum"],
        "psu": invitation["psu"],
        "weight": repr(float(invitation["weight"])),
        "interview_date": date.today().isoformat(),
        "submitted_at": datetime.now(UTC).isoformat(timespec="seconds"),
    }
    pending = _Pending(db, framework, survey, invitation, answers, row)
    sections = _respondent_sections(str(survey["framework_id"]), lang)
    missing = unanswered(framework, sections, answers)
    if missing:
        # Refused on the form: the invitation stays usable and what was typed is the draft.
        with db.begin() as connection:
            if store.save_draft(connection, invitation["id"], answers, datetime.now(UTC)):
                audit.record(connection, **_audit_row(pending, "survey.draft"))
        return {"status": "invalid", "problems": missing, "answers": answers}
    return cast(Submission, _COMBINER.run(pending))  # the batch writer sets a Submission


@functools.lru_cache(maxsize=16)
def _respondent_sections(framework_id: str, lang: str) -> list[dict[str, Any]]:
    return form_sections(_framework(framework_id), lang)


def _respondent_fields(framework_id: str) -> list[str]:
    return field_names(_respondent_sections(framework_id, "vi"))


@dataclass
class _Pending(batching.Pending):
    """One respondent's submission waiting to be checked and written."""

    db: Database
    framework: SurveyFramework
    survey: dict[str, Any]
    invitation: dict[str, Any]
    answers: dict[str, str]
    row: dict[str, str]


# Submissions arriving together are checked by the validator and written in one transaction.
_COMBINER: batching.Combiner[_Pending] = batching.Combiner(lambda batch: _write_batch(batch))


def _write_batch(batch: list[_Pending]) -> None:
    first: dict[tuple[int, int], _Pending] = {}
    repeats: list[tuple[_Pending, _Pending]] = []
    for pending in batch:
        key = (id(pending.db), int(pending.invitation["id"]))
        if key in first:
            repeats.append((pending, first[key]))
        else:
            first[key] = pending
    groups: dict[tuple[int, int], list[_Pending]] = {}
    for pending in first.values():
        groups.setdefault((id(pending.db), int(pending.survey["id"])), []).append(pending)
    for group in groups.values():
        _write_group(group)
    for pending, original in repeats:
        assert original.result is not None
        done = original.result["status"] == "submitted"
        pending.result = (
            {"status": "already_submitted", "problems": {}} if done else original.result
        )


def _write_group(group: list[_Pending]) -> None:
    """Submissions to one survey: validated as one chunk, the valid ones written in one go."""
    head = group[0]
    framework, db = head.framework, head.db
    frame = pd.DataFrame([p.row for p in group], dtype=object, index=pd.RangeIndex(len(group)))
    # A web respondent is identified by the invitation, not by the answers: two people may give
    # the same answers on the same day, which in a file would mean one form entered twice. So
    # the validator looks for no such repeats (answer fingerprints) here.
    columns = [str(c) for c in frame.columns]
    # A form posts only what was answered: a question left out is a blank answer, not a
    # missing column (which a file import refuses). Required answers are checked by the form.
    every_answer = frozenset(framework_columns(framework))
    validator = Validator(
        framework, "web form", columns, Options(fingerprints=False, allow_missing=every_answer)
    )
    checked = validator.check(frame)
    shared = [p for p in validator.problems if p.severity == "error"]
    valid: list[int] = []
    now = datetime.now(UTC)
    with db.begin() as connection:
        for i, pending in enumerate(group):
            problems = shared + checked.errors.get(i, [])
            if not problems:
                valid.append(i)
                continue
            pending.result = {
                "status": "invalid",
                "problems": problems_by_field(problems),
                "answers": pending.answers,
            }
            if store.save_draft(connection, pending.invitation["id"], pending.answers, now):
                audit.record(connection, **_audit_row(pending, "survey.draft"))
    if valid:
        try:
            _store_valid(db, group, valid, checked.frame)
        except IntegrityError:  # a response of the batch is stored already: one at a time
            for i in valid:
                try:
                    _store_valid(db, group, [i], checked.frame)
                except IntegrityError:
                    group[i].result = {"status": "already_submitted", "problems": {}}


def _store_valid(db: Database, group: list[_Pending], valid: list[int], frame: Any) -> None:
    framework, survey = group[0].framework, group[0].survey
    profile = [q.code for q in framework.profile if q.code not in survey_store.DESIGN_COLUMNS]
    columns = framework.question_columns() + framework.item_codes()
    now = datetime.now(UTC)
    with db.begin() as connection:
        used = store.mark_submitted(
            connection, [int(group[i].invitation["id"]) for i in valid], now
        )
        won = [i for i in valid if int(group[i].invitation["id"]) in used]
        if won:
            ingest_store.insert_responses(
                connection, int(survey["id"]), frame.iloc[won], profile, columns
            )
            audit.record_many(connection, [_audit_row(group[i], "survey.respond") for i in won])
    for i in valid:
        status = "submitted" if i in won else "already_submitted"
        # The receipt names the stored response, so a respondent (or a program) can quote it.
        receipt = group[i].invitation["respondent_key"] if i in won else None
        group[i].result = {"status": status, "problems": {}, "receipt": receipt}


def _audit_row(pending: _Pending, action: str) -> dict[str, Any]:
    key = pending.invitation["respondent_key"]
    return {
        "actor": f"respondent:{key}",
        "action": action,
        "entity": "response" if action == "survey.respond" else "invitation",
        "entity_id": f"{pending.survey['code']}/{key}",
        "after": {
            "answered": len(pending.answers),
            "province": pending.invitation["province_code"],
        },
    }


# -- clerks ----------------------------------------------------------------------------------


def _open_for_entry(connection: Any, survey_code: str) -> dict[str, Any]:
    """The survey, if paper forms may still be entered into it: not once its results are
    published (a saved estimation run of it), since they would change figures already out."""
    survey = survey_store.get_survey(connection, survey_code)
    runs = survey_store.published_runs(connection).get(survey_code)
    if runs:
        raise SipasError("survey.closed_for_entry", survey=survey_code, runs=runs)
    return survey


def clerk_form(db: Database, survey_code: str, lang: str) -> ClerkForm:
    with db.begin() as connection:
        survey = _open_for_entry(connection, survey_code)
        invited = store.counts(connection, int(survey["id"]))
    framework = framework_of(survey)
    return {
        "survey": survey["code"],
        "title": framework.title.get(lang),
        "synthetic": bool(survey["synthetic"]),
        "design": list(CLERK_DESIGN),
        "sections": form_sections(framework, lang, audience="clerk"),
        "invitations": invited,
    }


def clerk_surveys(db: Database) -> list[ClerkSurvey]:
    """The surveys open for entry (see :func:`_open_for_entry`)."""
    with db.begin() as connection:
        rows = survey_store.list_surveys(connection)
        published = survey_store.published_runs(connection)
    return [
        {
            "code": r["code"],
            "framework_id": r["framework_id"],
            "year": r["year"],
            "geography": r["geography"],
            "synthetic": r["synthetic"],
            "respondents": int(r["respondents"] or 0),
        }
        for r in rows
        if r["code"] not in published
    ]


def clerk_entry(
    db: Database, actor: str, survey_code: str, given: dict[str, Any], lang: str = "vi"
) -> ClerkEntry:
    """One paper form typed by a clerk, imported as one row of a file would be.

    Accepted: stored in the survey ("stored"), or recognised as already stored with the same
    answers ("unchanged"). Refused: kept in quarantine with its reasons ("quarantined"), and
    every problem returned by field so the page can show it next to the input.
    """
    with db.begin() as connection:
        survey = _open_for_entry(connection, survey_code)
    framework = framework_of(survey)
    names = list(CLERK_DESIGN) + field_names(form_sections(framework, lang, audience="clerk"))
    row = clean_answers(given, names)
    frame = pd.DataFrame([{n: row.get(n) for n in names}], dtype=object)
    with db.begin() as connection:
        report = ingest_api.import_frame(
            db, frame, framework, survey_code, source="clerk entry", actor=actor,
            connection=connection,
        )  # fmt: skip
        errors = [p for p in report.problems if p.severity == "error"]
        status = (
            "quarantined" if report.quarantined else "stored" if report.inserted else "unchanged"
        )
        key = row.get("respondent_key") or "(no form number)"
        audit.record(
            connection,
            actor=actor,
            action="survey.clerk_entry",
            entity="response",
            entity_id=f"{survey_code}/{key}"[:120],
            after={"status": status, "problems": [p.code for p in errors]},
        )
    return {
        "status": status,
        "respondent_key": row.get("respondent_key"),
        "problems": problems_by_field(errors),
        "answers": row,
    }
