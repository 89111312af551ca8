"""The PAR workspace: self-assessment with evidence, appraisal, explanation, locking, history,
campaign administration. Every write goes through sipas.api.par, which checks the actor's rights
and writes the audit log; the pages only show what the api allows."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from sipas.api import par
from sipas.api.par.evidence import delete_evidence
from sipas.web.render import check_csrf, db_of, page, require_actor

router = APIRouter()
WORKSPACE_ROLES = ("admin", "analyst", "officer", "appraiser")
MAX_UPLOAD = par.MAX_EVIDENCE_BYTES + 1


@page(router, "/workspace", "workspace.html")
def workspace(request: Request) -> dict[str, Any]:
    """The campaigns this user works on."""
    actor = require_actor(request, WORKSPACE_ROLES)
    return {"actor": actor.__dict__, "campaigns": par.list_campaigns(db_of(request))}


@page(router, "/workspace/{campaign}", "campaign.html")
def campaign_page(request: Request, campaign: str) -> dict[str, Any]:
    """A campaign's stage and the units this user may open."""
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
    return {"actor": actor.__dict__, "campaign": campaign_shown, "units": units}


@page(router, "/workspace/{campaign}/{unit}", "unit.html")
def unit_page(request: Request, campaign: str, unit: str) -> dict[str, Any]:
    """A unit's score sheet: every leaf at every stage, with the forms this user may use."""
    actor = require_actor(request, WORKSPACE_ROLES)
    db = db_of(request)
    sheet = par.unit_scores(db, actor, campaign, unit)  # refuses a unit the actor may not read
    shown = par.show_campaign(db, campaign)
    evidence = par.list_evidence(db, actor, campaign, unit)
    return {
        "actor": actor.__dict__,
        "campaign": {k: shown[k] for k in ("campaign", "framework", "year", "stage", "deadline")},
        "unit": unit,
        "sheet": sheet,
        "evidence": [
            {k: e[k] for k in ("id", "node_code", "filename", "size", "sha256", "uploaded_by")}
            for e in evidence
        ],
        "writable_stage": par.writable_stage(actor, shown["stage"]),
    }


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


@page(router, "/workspace/{campaign}/{unit}/history", "history.html")
def history_page(
    request: Request, campaign: str, unit: str, node: str | None = None
) -> dict[str, Any]:
    """Who changed which score of the unit, when, from what, to what and why."""
    actor = require_actor(request, WORKSPACE_ROLES)
    rows = par.history(db_of(request), actor, campaign, unit, node)
    return {"campaign": campaign, "unit": unit, "node": node, "rows": rows}


def _back(campaign: str, unit: str, message: str) -> Response:
    return RedirectResponse(f"/workspace/{campaign}/{unit}?saved={message}", status_code=303)


def _blank(text: str | None) -> str | None:
    return text.strip() if text and text.strip() else None


# Before the leaf route: "/workspace/c/u/lock" would otherwise be taken as leaf "lock".
@router.post("/workspace/{campaign}/{unit}/lock", include_in_schema=False)
def lock_unit(request: Request, campaign: str, unit: str, csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    par.lock(db_of(request), require_actor(request, WORKSPACE_ROLES), campaign, unit)
    return _back(campaign, unit, "lock")


@router.post("/workspace/{campaign}/advance", include_in_schema=False)
def advance(
    request: Request, campaign: str, stage: str = Form(...), csrf: str = Form("")
) -> Response:
    check_csrf(request, csrf)
    par.advance(db_of(request), require_actor(request, ("admin",)), campaign, stage)
    return RedirectResponse(f"/workspace/{campaign}", status_code=303)


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
    check_csrf(request, csrf)
    actor = require_actor(request, WORKSPACE_ROLES)
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
    return par.write_score(
        db_of(request), actor, campaign, unit=unit, node=node, **score.model_dump()
    )
