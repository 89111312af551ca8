"""The PAR workspace: self-assessment with evidence, appraisal, explanation, locking, history,
campaign administration. Every write goes through sipas.api.par, which checks the actor's rights
and writes the audit log; the pages only show what the api allows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from sipas.api import par
from sipas.api.par.evidence import delete_evidence
from sipas.errors import SipasError
from sipas.messages import text
from sipas.web.i18n import translate
from sipas.web.render import (
    TEMPLATES,
    check_csrf,
    context,
    db_of,
    lang_of,
    page,
    require_actor,
)

router = APIRouter()
WORKSPACE_ROLES = ("admin", "analyst", "officer", "appraiser")
MAX_UPLOAD = par.MAX_EVIDENCE_BYTES + 1


@page(router, "/workspace", "workspace.html")
def workspace(request: Request) -> dict[str, Any]:
    """The campaigns this user works on."""
    actor = require_actor(request, WORKSPACE_ROLES)
    db, lang = db_of(request), lang_of(request)
    campaigns = [
        {**found, "title": framework_title(par.show_campaign(db, found["code"]), lang)}
        for found in par.list_campaigns(db)
    ]
    return {"actor": actor.__dict__, "campaigns": campaigns}


def _campaign_data(request: Request, campaign: str) -> dict[str, Any]:
    actor = require_actor(request, WORKSPACE_ROLES)
    db = db_of(request)
    shown = par.show_campaign(db, campaign)
    units = [
        u
        for u in par.campaign_units(db, campaign)
        if par.can_read(db, actor, campaign, u["unit_code"])
    ]
    campaign_shown: dict[str, Any] = dict(shown)
    if actor.role != "admin":
        campaign_shown.pop("assignments", None)
    campaign_shown["title"] = framework_title(campaign_shown, lang_of(request))
    return {"actor": actor.__dict__, "campaign": campaign_shown, "units": units, "errors": {}}


def framework_title(shown: Mapping[str, Any], lang: str) -> str:
    """A campaign's name on its pages: its framework's title and its year."""
    return f"{shown['title']['en' if lang == 'en' else 'vi']} {shown['year']}"


@page(router, "/workspace/{campaign}", "campaign.html")
def campaign_page(request: Request, campaign: str) -> dict[str, Any]:
    """A campaign's stage and the units this user may open."""
    return _campaign_data(request, campaign)


def _unit_data(
    request: Request,
    campaign: str,
    unit: str,
    errors: dict[str, SipasError] | None = None,
    typed: dict[str, str] | None = None,
) -> dict[str, Any]:
    actor = require_actor(request, WORKSPACE_ROLES)
    lang = lang_of(request)
    data: dict[str, Any] = dict(par.unit_workspace(db_of(request), actor, campaign, unit, lang))
    data["actor"] = {"name": actor.name, "role": actor.role}
    data["errors"] = {key: _said(error, lang) for key, error in (errors or {}).items()}
    data["typed"] = typed or {}
    data["refused"] = [k.removeprefix("leaf:") for k in data["errors"] if k.startswith("leaf:")]
    saved = request.query_params.get("saved")
    names = {a["code"]: a["name"] for a in data["areas"]}
    names |= {leaf["node"]: leaf["name"] for a in data["areas"] for leaf in a["leaves"]}
    data["saved"] = names.get(saved or "", "lock" if saved == "lock" else None)
    return data


def _said(error: SipasError, lang: str) -> dict[str, Any]:
    message, hint = error.text(lang)
    return {"code": error.code, "message": message, "hint": hint, "status": error.status}


def _unit_refused(
    request: Request,
    campaign: str,
    unit: str,
    errors: dict[str, SipasError],
    typed: dict[str, str] | None = None,
) -> Response:
    """The unit's page again with each refusal beside its field and what was typed kept."""
    data = _unit_data(request, campaign, unit, errors, typed)
    status = next(iter(errors.values())).status
    return TEMPLATES.TemplateResponse(
        request, "unit.html", context(request, data=data), status_code=status
    )


@page(router, "/workspace/{campaign}/{unit}", "unit.html")
def unit_page(request: Request, campaign: str, unit: str) -> dict[str, Any]:
    """A unit's score sheet by area: every leaf at every stage with its notes and evidence, and
    one form per area this user may write (pre-filled with what is saved)."""
    return _unit_data(request, campaign, unit)


@page(router, "/workspace/{campaign}/{unit}/whatif", "whatif.html")
def whatif_page(
    request: Request, campaign: str, unit: str, target: str = "", set: str = ""
) -> dict[str, Any]:
    """What the unit needs for a target and its results with supposed leaf scores; nothing is
    stored (a GET form)."""
    from dataclasses import asdict

    from sipas.messages import text
    from sipas.web.charts import whatif_strip
    from sipas.web.render import lang_of

    actor = require_actor(request, WORKSPACE_ROLES)
    lang = lang_of(request)
    lines = [line for line in set.replace(";", "\n").splitlines() if line.strip()]
    answer = par.whatif(
        db_of(request),
        campaign,
        unit,
        par.parse_target(target) if target.strip() else None,
        par.parse_changes(lines),
        lang=lang,
        actor=actor,
    )
    none = text("whatif.none", lang)

    def standing(key: str, shown: Any, **extra: Any) -> str:
        values = {**asdict(shown), "group": shown.group or none, "rank": shown.rank or none}
        return text(key, lang, **values, **extra)

    said: dict[str, str] = {"now": standing("whatif.now", answer.now)}
    if answer.after is not None:
        changed = ", ".join(f"{leaf}={points:g}" for leaf, points in answer.changes.items())
        said["after"] = standing("whatif.after", answer.after, changes=changed)
    if answer.need is not None:
        wanted = target.strip()
        if answer.need.points <= 0:
            said["need"] = text("whatif.reached", lang, target=wanted)
        elif not answer.need.reachable:
            left = answer.need.path[-1].cumulative if answer.need.path else 0.0
            said["need"] = text("whatif.unreachable", lang, target=wanted, open=left)
        else:
            said["need"] = text(
                "whatif.needed", lang, points=answer.need.points, index=answer.need.index,
                target=wanted,
            )  # fmt: skip
    labels = {k: text(f"whatif.chart.{k}", lang) for k in ("others", "now", "after", "axis")}
    chart = whatif_strip(
        answer.others,
        answer.now.index,
        answer.after.index if answer.after else None,
        answer.target_index,
        labels,
    )
    return {
        "answer": asdict(answer),
        "target": target,
        "set_text": "\n".join(lines),
        "lines": said,
        "chart": chart,
    }


@router.get("/workspace/{campaign}/{unit}/evidence/{evidence_id}", include_in_schema=False)
def evidence_download(request: Request, campaign: str, unit: str, evidence_id: int) -> Response:
    actor = require_actor(request, WORKSPACE_ROLES)
    found = par.evidence_file(db_of(request), actor, campaign, unit, evidence_id)
    quoted = quote(found["filename"])
    return Response(
        found["content"],
        media_type=found["media_type"],
        headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quoted}"},
    )


# What each audited action of a score is called on the history page (a stage, the lock, a file).
_ACTIONS = {
    "par.evidence_delete": "evidence_deleted",
    "par.lock": "lock",
    "par.evidence": "evidence",
}


@page(router, "/workspace/{campaign}/{unit}/history", "history.html")
def history_page(
    request: Request, campaign: str, unit: str, node: str | None = None
) -> dict[str, Any]:
    """Who changed which score of the unit, when, from what, to what and why."""
    actor = require_actor(request, WORKSPACE_ROLES)
    lang = lang_of(request)
    db = db_of(request)
    rows: list[dict[str, Any]] = [dict(row) for row in par.history(db, actor, campaign, unit, node)]
    shown = par.unit_workspace(db, actor, campaign, unit, lang)
    names = {leaf["node"]: leaf["name"] for a in shown["areas"] for leaf in a["leaves"]}
    for row in rows:
        action = str(row["action"])
        word = _ACTIONS.get(action, action.removeprefix("par."))
        row["action_name"] = translate(word, lang)
        row["leaf_name"] = names.get(row["leaf"], "")
    return {
        "campaign": campaign,
        "unit": unit,
        "unit_name": shown["unit"]["name"],
        "title": f"{shown['campaign']['title']} {shown['campaign']['year']}",
        "node": node,
        "node_name": names.get(node or ""),
        "rows": rows,
    }


def _back(campaign: str, unit: str, message: str) -> Response:
    query = urlencode({"saved": message})
    return RedirectResponse(f"/workspace/{campaign}/{unit}?{query}", status_code=303)


def _blank(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


def _confirmed(answer: str) -> bool:
    return answer == "yes"


def _confirm_page(request: Request, data: dict[str, Any]) -> Response:
    """The question asked before a step that cannot be undone, as a page: it works without
    script (the script's dialog, when it runs, answers it on the first form)."""
    return TEMPLATES.TemplateResponse(request, "confirm.html", context(request, data=data))


# Before the leaf route: "/workspace/c/u/lock" would otherwise be taken as leaf "lock".
@router.post("/workspace/{campaign}/{unit}/lock", include_in_schema=False)
def lock_unit(
    request: Request, campaign: str, unit: str, csrf: str = Form(""), confirm: str = Form("")
) -> Response:
    check_csrf(request, csrf)
    actor = require_actor(request, WORKSPACE_ROLES)
    if not _confirmed(confirm):
        data = _unit_data(request, campaign, unit)
        return _confirm_page(
            request,
            {
                "action": f"/workspace/{campaign}/{unit}/lock",
                "back": f"/workspace/{campaign}/{unit}",
                "title": translate("lock", lang_of(request)),
                "question": text("web.lock_question", lang_of(request), unit=data["unit"]["name"]),
                "fields": {},
            },
        )
    try:
        par.lock(db_of(request), actor, campaign, unit)
    except SipasError as refusal:
        return _unit_refused(request, campaign, unit, {"lock": refusal})
    return _back(campaign, unit, "lock")


@router.post("/workspace/{campaign}/advance", include_in_schema=False)
def advance(
    request: Request,
    campaign: str,
    stage: str = Form(...),
    csrf: str = Form(""),
    confirm: str = Form(""),
) -> Response:
    check_csrf(request, csrf)
    actor = require_actor(request, ("admin",))
    lang = lang_of(request)
    if not _confirmed(confirm):
        shown = _campaign_data(request, campaign)["campaign"]
        return _confirm_page(
            request,
            {
                "action": f"/workspace/{campaign}/advance",
                "back": f"/workspace/{campaign}",
                "title": shown["title"],
                "question": text(
                    "web.advance_question",
                    lang,
                    campaign=shown["title"],
                    stage=translate(shown["stage"], lang),
                    to=translate(stage, lang),
                ),
                "fields": {"stage": stage},
            },
        )
    try:
        par.advance(db_of(request), actor, campaign, stage)
    except SipasError as refusal:
        data = _campaign_data(request, campaign)
        data["errors"] = {"advance": _said(refusal, lang)}
        return TEMPLATES.TemplateResponse(
            request, "campaign.html", context(request, data=data), status_code=refusal.status
        )
    return RedirectResponse(f"/workspace/{campaign}", status_code=303)


_FIELDS = ("points", "note", "reason", "na")
MAX_AREA_FIELDS = 2_000


@router.post("/workspace/{campaign}/{unit}", include_in_schema=False)
async def write_area(request: Request, campaign: str, unit: str) -> Response:
    """One area's form: every leaf in it saved together through the api, or none of them (each
    refusal shown beside its leaf, with what was typed kept)."""
    form = await request.form(max_fields=MAX_AREA_FIELDS)
    fields = {k: v for k, v in form.multi_items() if isinstance(v, str)}
    check_csrf(request, fields.get("csrf"))
    actor = await run_in_threadpool(require_actor, request, WORKSPACE_ROLES)
    stage = fields.get("stage", "")
    leaves: dict[str, dict[str, str]] = {}
    for name, value in fields.items():
        kind, _, node = name.partition(".")
        if kind in _FIELDS and node:
            leaves.setdefault(node, {})[kind] = value
    entries = []
    for node, typed in leaves.items():
        points, note, reason = (_blank(typed.get(k)) for k in ("points", "note", "reason"))
        not_applicable = bool(typed.get("na"))
        if points is None and note is None and reason is None and not not_applicable:
            continue  # nothing typed for this leaf
        entries.append(
            {"node": node, "points": None if not_applicable else points,
             "applicable": not not_applicable, "note": note, "reason": reason}
        )  # fmt: skip
    done = await run_in_threadpool(
        par.write_leaves, db_of(request), actor, campaign, unit=unit, stage=stage, entries=entries
    )
    if done.refused:
        errors = {f"leaf:{node}": error for node, error in done.refused.items()}
        return await run_in_threadpool(_unit_refused, request, campaign, unit, errors, fields)
    return _back(campaign, unit, fields.get("area", ""))


@router.post("/workspace/{campaign}/{unit}/{node}", include_in_schema=False)
def write_leaf(
    request: Request,
    campaign: str,
    unit: str,
    node: str,
    stage: str = Form(...),
    value: str = Form(""),
    points: str = Form(""),
    note: str = Form(""),
    reason: str = Form(""),
    not_applicable: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    """One leaf's score (the area form's fields for one leaf, or a value for a rubric)."""
    check_csrf(request, csrf)
    actor = require_actor(request, WORKSPACE_ROLES)
    try:
        par.write_score(
            db_of(request),
            actor,
            campaign,
            unit=unit,
            node=node,
            stage=stage,
            value=_blank(value),
            points=_blank(points),
            applicable=not not_applicable,
            note=_blank(note),
            reason=_blank(reason),
        )
    except SipasError as refusal:
        typed = {f"points.{node}": points, f"note.{node}": note, f"reason.{node}": reason}
        if not_applicable:
            typed[f"na.{node}"] = "1"
        return _unit_refused(request, campaign, unit, {f"leaf:{node}": refusal}, typed)
    return _back(campaign, unit, node)


@router.post("/workspace/{campaign}/{unit}/{node}/evidence", include_in_schema=False)
async def upload(
    request: Request,
    campaign: str,
    unit: str,
    node: str,
    file: Annotated[UploadFile, File()],
    csrf: str = Form(""),
) -> Response:
    check_csrf(request, csrf)
    actor = require_actor(request, WORKSPACE_ROLES)
    content = await file.read(MAX_UPLOAD)
    try:
        await run_in_threadpool(  # the file's structure is checked: not on the event loop
            par.upload_evidence,
            db_of(request),
            actor,
            campaign,
            unit=unit,
            node=node,
            filename=file.filename or "evidence",
            content=content,
        )
    except SipasError as refusal:
        errors = {f"file:{node}": refusal}
        return await run_in_threadpool(_unit_refused, request, campaign, unit, errors)
    return _back(campaign, unit, node)


@router.post("/workspace/{campaign}/{unit}/evidence/{evidence_id}/delete", include_in_schema=False)
def evidence_delete(
    request: Request, campaign: str, unit: str, evidence_id: int, csrf: str = Form("")
) -> Response:
    """Delete an evidence file before the unit is locked (its uploader or an admin; audited)."""
    check_csrf(request, csrf)
    actor = require_actor(request, WORKSPACE_ROLES)
    removed = delete_evidence(db_of(request), actor, campaign, unit, evidence_id)
    return _back(campaign, unit, removed["node"])


class ScoreIn(BaseModel):
    stage: str
    value: Any = None
    points: float | None = None
    applicable: bool = True
    note: str | None = None
    reason: str | None = None


@router.post(
    "/api/par/{campaign}/{unit}/{node}", summary="Write one leaf score (JSON twin of the form)"
)
def write_leaf_json(
    request: Request, campaign: str, unit: str, node: str, score: ScoreIn
) -> dict[str, Any]:
    check_csrf(request, None)
    actor = require_actor(request, WORKSPACE_ROLES)
    return dict(
        par.write_score(db_of(request), actor, campaign, unit=unit, node=node, **score.model_dump())
    )
