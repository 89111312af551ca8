"""Survey pages: the respondent's form reached by a one-time invitation, and the clerk's entry
of paper questionnaires.

Both forms are generated from the survey's framework by :mod:`sipas.api.invitations`, checked by
the import path's validator, and written (with an audit row) by that api; the pages only show the
form, the answers as typed and every problem next to its field.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from sipas.api import invitations as api
from sipas.web.i18n import LANGS, translate
from sipas.web.render import (
    TEMPLATES,
    check_csrf,
    context,
    csrf_token,
    db_of,
    lang_of,
    page,
    require_actor,
)
from sipas.web.session import SESSION_COOKIE

router = APIRouter()
CLERK_ROLES = ("clerk", "admin")
# What the clerk keeps from one paper form to the next (forms come in bundles from one place).
STICKY = (
    "interview_date",
    "province",
    "district",
    "commune",
    "village",
    "stratum",
    "psu",
    "weight",
)
MAX_FORM_FIELDS = 400


# The async endpoints (they read the posted form) run every database call in the thread pool:
# a submission may wait for others being written (see sipas.api.invitations), never the event loop.


async def _form_values(request: Request) -> tuple[dict[str, Any], str, str]:
    """The posted fields (a field sent several times, such as checkboxes, as a list)."""
    form = await request.form(max_fields=MAX_FORM_FIELDS)
    values: dict[str, Any] = {}
    for key in set(form.keys()):
        if key in ("csrf", "action"):
            continue
        found = [v for v in form.getlist(key) if isinstance(v, str)]
        values[key] = found if len(found) > 1 else (found[0] if found else None)
    csrf = form.get("csrf")
    action = form.get("action")
    return values, csrf if isinstance(csrf, str) else "", action if isinstance(action, str) else ""


# The clerk's fields of the paper form's design, by their words on the page.
DESIGN_WORDS = {
    "respondent_key": "form_number",
    "interview_date": "interview_date",
    "stratum": "stratum",
    "psu": "psu",
    "weight": "weight",
}


def _labelled(data: dict[str, Any], lang: str) -> dict[str, Any]:
    """The form's data with every field's question text, which its problems are named by."""
    labels = {name: translate(word, lang) for name, word in DESIGN_WORDS.items()}
    data["labels"] = labels | api.field_labels(data.get("sections", []))
    return data


# -- respondents -----------------------------------------------------------------------------


@page(router, "/survey/{token}", "survey_form.html")
def survey_page(request: Request, token: str) -> dict[str, Any]:
    """The questionnaire of an invitation, with the answers saved so far (or the thanks)."""
    data: dict[str, Any] = dict(api.survey_form(db_of(request), token, lang_of(request)))
    data["saved"] = request.query_params.get("saved") == "1"
    data["csrf"] = csrf_token(request)  # for a client of the JSON twin: the token its writes need
    return _labelled(data, lang_of(request))


@router.post("/survey/{token}", include_in_schema=False)
async def survey_post(request: Request, token: str) -> Response:
    values, csrf, action = await _form_values(request)
    check_csrf(request, csrf)
    db = db_of(request)
    lang = lang_of(request)
    if action == "save":
        await run_in_threadpool(api.save_draft, db, token, values, lang)
        return RedirectResponse(f"/survey/{token}?saved=1", status_code=303)
    if action.startswith("lang:"):
        # The language switch of the form: what was typed is kept as the draft, and the form
        # comes back in the other language (the address sets the language cookie).
        wanted = action.removeprefix("lang:")
        await run_in_threadpool(api.save_draft, db, token, values, lang)
        target = wanted if wanted in LANGS else lang
        return RedirectResponse(f"/survey/{token}?lang={target}", status_code=303)
    result = await run_in_threadpool(api.submit, db, token, values, lang)
    if result["status"] != "invalid":
        return RedirectResponse(f"/survey/{token}", status_code=303)
    data: dict[str, Any] = dict(await run_in_threadpool(api.survey_form, db, token, lang))
    data.update(answers=result["answers"], problems=result["problems"], saved=False)
    _labelled(data, lang)
    return TEMPLATES.TemplateResponse(
        request, "survey_form.html", context(request, data=data), status_code=422
    )


class AnswersIn(BaseModel):
    action: str = Field("submit", pattern="^(save|submit)$")
    answers: dict[str, str | list[str] | None] = Field(default_factory=dict)


@router.post("/api/survey/{token}", summary="Save or submit a respondent's answers (JSON)")
def survey_json(request: Request, token: str, body: AnswersIn) -> Response:
    # The invitation token in the address is the credential here, not a cookie: a program that
    # holds the token and sends no session cookie needs no CSRF token. A browser session (which a
    # forged cross-site request would carry along) must still show the form's token.
    if SESSION_COOKIE in request.cookies:
        check_csrf(request, None)
    db = db_of(request)
    if body.action == "save":
        return JSONResponse(api.save_draft(db, token, body.answers, lang_of(request)))
    result = api.submit(db, token, body.answers, lang_of(request))
    return JSONResponse(result, status_code=422 if result["status"] == "invalid" else 200)


# -- clerks ----------------------------------------------------------------------------------


@page(router, "/clerk", "clerk_index.html")
def clerk_index(request: Request) -> dict[str, Any]:
    """The surveys a clerk can enter paper questionnaires into."""
    require_actor(request, CLERK_ROLES)
    return {"surveys": api.clerk_surveys(db_of(request))}


def _clerk_data(request: Request, survey: str) -> dict[str, Any]:
    data: dict[str, Any] = dict(api.clerk_form(db_of(request), survey, lang_of(request)))
    data["answers"] = dict(request.session.get("clerk_sticky", {}).get(survey, {}))
    # fields typed before a language switch come back once
    data["answers"].update(request.session.pop("clerk_typed", {}).get(survey, {}))
    data["problems"] = {}
    data["focus"] = "respondent_key"
    _labelled(data, lang_of(request))
    data["last"] = {
        "status": request.query_params.get("status"),
        "key": request.query_params.get("saved"),
    }
    return data


@page(router, "/clerk/{survey}", "clerk_form.html")
def clerk_page(request: Request, survey: str) -> dict[str, Any]:
    """The data-entry form of a survey: every field of the paper questionnaire, typed as codes."""
    require_actor(request, CLERK_ROLES)
    data = _clerk_data(request, survey)
    data["csrf"] = csrf_token(request)  # for a client of the JSON twin: the token its writes need
    return data


def _remember(request: Request, survey: str, values: dict[str, Any]) -> None:
    sticky = {survey: {k: values[k] for k in STICKY if isinstance(values.get(k), str)}}
    request.session["clerk_sticky"] = sticky


# A session cookie holds about 4 KB, signed and in base64 of JSON with non-ASCII letters
# escaped: a paper form's codes fit, long free texts may not (they are then not carried over).
_TYPED_LIMIT = 2_000


@router.post("/clerk/{survey}", include_in_schema=False)
async def clerk_post(request: Request, survey: str) -> Response:
    values, csrf, action = await _form_values(request)
    check_csrf(request, csrf)
    actor = await run_in_threadpool(require_actor, request, CLERK_ROLES)
    if action.startswith("lang:"):
        # The language switch: nothing is stored; the fields typed come back in the other language.
        typed = {k: v for k, v in values.items() if isinstance(v, str) and v}
        if len(json.dumps(typed)) <= _TYPED_LIMIT:  # the size the cookie will carry
            request.session["clerk_typed"] = {survey: typed}
        wanted = action.removeprefix("lang:")
        target = wanted if wanted in LANGS else lang_of(request)
        return RedirectResponse(f"/clerk/{quote(survey)}?lang={target}", status_code=303)
    result = await run_in_threadpool(
        api.clerk_entry, db_of(request), actor.name, survey, values, lang_of(request)
    )
    if result["status"] != "quarantined":
        _remember(request, survey, values)
        query = urlencode({"status": result["status"], "saved": result["respondent_key"] or ""})
        return RedirectResponse(f"/clerk/{quote(survey)}?{query}", status_code=303)
    data = await run_in_threadpool(_clerk_data, request, survey)
    data.update(answers=result["answers"], problems=result["problems"])
    order = [*data["design"], *api.field_names(data["sections"])]
    data["focus"] = next((n for n in order if n in result["problems"]), order[0])
    data["last"] = {"status": "quarantined", "key": result["respondent_key"]}
    return TEMPLATES.TemplateResponse(
        request, "clerk_form.html", context(request, data=data), status_code=422
    )


class PaperFormIn(BaseModel):
    fields: dict[str, str | list[str] | None] = Field(default_factory=dict)


@router.post("/api/clerk/{survey}", summary="Enter one paper questionnaire (JSON)")
def clerk_json(request: Request, survey: str, body: PaperFormIn) -> Response:
    check_csrf(request, None)
    actor = require_actor(request, CLERK_ROLES)
    result = api.clerk_entry(db_of(request), actor.name, survey, body.fields, lang_of(request))
    return JSONResponse(result, status_code=422 if result["status"] == "quarantined" else 200)
