"""Remediation plans on the web: an officer's list of actions (their own province; an admin's or
analyst's, every province) with next year's result beside each, a chart of the indicator in the
action's year and the next, a form to add an action and one to update each, and the Excel export.
Every write goes through sipas.api.actions, which checks the user's rights and writes the audit log.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from sipas.api import actions as commands
from sipas.api.queries import actions as api
from sipas.web.render import check_csrf, db_of, lang_of, page, require_actor

router = APIRouter()
ACTION_ROLES = api.READ_ROLES
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _blank(value: str | None) -> str | None:
    return value.strip() if value and value.strip() else None


def _service_data(request: Request) -> Any:
    return request.app.state.settings.resolved_service_index_data()


def change_chart(actions: list[api.Action], labels: dict[str, str]) -> dict[str, Any]:
    """Each action's indicator in its year and the next, with 95% intervals where the figure
    is an estimate: did it move, and by more than the uncertainty."""
    shown = [a for a in actions if a.result is not None and a.result.before is not None]
    names = [f"#{a.id} {a.province_code} {a.indicator} ({a.year})" for a in shown]

    def trace(kind: str, colour: str, symbol: str) -> dict[str, Any]:
        values = [getattr(a.result, kind) for a in shown]
        low = [getattr(a.result, f"{kind}_low") for a in shown]
        high = [getattr(a.result, f"{kind}_high") for a in shown]
        found: dict[str, Any] = {
            "type": "scatter",
            "mode": "markers",
            "name": labels[kind],
            "x": values,
            "y": names,
            "marker": {"color": colour, "size": 10, "symbol": symbol},
            "hovertemplate": f"{labels[kind]}: %{{x:.2f}}<extra>%{{y}}</extra>",
        }
        if any(v is not None for v in low):
            found["error_x"] = {
                "type": "data",
                "symmetric": False,
                "array": [h - v if h is not None and v is not None else 0 for v, h in zip(values, high, strict=True)],
                "arrayminus": [v - lo if lo is not None and v is not None else 0 for v, lo in zip(values, low, strict=True)],
                "color": colour,
                "thickness": 1.5,
                "width": 4,
            }  # fmt: skip
        return found

    return {
        "data": [trace("before", "#7a8794", "circle"), trace("after", "#1f5f99", "diamond")],
        "layout": {
            "title": {"text": labels["title"]},
            "font": {"family": "system-ui, 'Segoe UI', 'Noto Sans', sans-serif", "size": 12},
            "height": max(240, 40 * len(shown) + 120),
            "margin": {"l": 200, "r": 20, "t": 40, "b": 60},
            "xaxis": {"title": {"text": labels["axis"]}},
            "yaxis": {"autorange": "reversed"},
            "legend": {"orientation": "h", "y": -0.25},
        },
        "config": {"displaylogo": False, "responsive": True},
    }


@page(router, "/actions", "actions.html")
def actions_page(
    request: Request,
    province: str = "",
    year: str = "",
    index: str = "",
    status: str = "",
    saved: str = "",
) -> dict[str, Any]:
    """Remediation plans with next year's result beside each action."""
    from sipas.messages import fill, text

    actor = require_actor(request, ACTION_ROLES)
    lang = lang_of(request)
    found = api.list_actions(
        db_of(request),
        actor,
        province=_blank(province),
        year=_blank(year),
        index=_blank(index),
        status=_blank(status),
        service_data=_service_data(request),
    )
    rows = []
    for a in found.actions:
        result = a.result
        rows.append(
            {
                **asdict(a),
                "indicator_label": a.indicator_name if lang == "vi" else a.indicator_name_en,
                "index_label": text(f"actions.index.{a.index}", lang),
                "status_label": text(f"actions.status.{a.status}", lang),
                "deadline_label": fill("{d:date}", {"d": a.deadline}, lang),
                "before_label": api.value_text(result.before if result else None, lang),
                "after_label": api.value_text(result.after if result else None, lang),
                "change_label": api.value_text(result.change if result else None, lang, True),
                "result_label": api.result_words(result, lang),
            }
        )
    labels = {k: text(f"actions.chart.{k}", lang) for k in ("title", "before", "after", "axis")}
    return {
        "actor": actor.__dict__,
        "filters": found.filters,
        "synthetic": found.synthetic,
        "actions": rows,
        "statuses": [{"code": s, "label": text(f"actions.status.{s}", lang)} for s in api.STATUSES],
        "indexes": [{"code": i, "label": text(f"actions.index.{i}", lang)} for i in api.INDEXES],
        "chart": change_chart(found.actions, labels),
        "saved": text("actions.saved", lang, id=saved) if saved.strip() else "",
        "may_write": actor.role in ("admin", "officer"),
    }


@router.get("/actions.xlsx", include_in_schema=False)
def actions_xlsx(
    request: Request, province: str = "", year: str = "", index: str = "", status: str = ""
) -> Response:
    actor = require_actor(request, ACTION_ROLES)
    content = api.export_actions(
        db_of(request),
        actor,
        province=_blank(province),
        year=_blank(year),
        index=_blank(index),
        status=_blank(status),
        service_data=_service_data(request),
        lang=lang_of(request),
    )
    return Response(
        content,
        media_type=XLSX,
        headers={"Content-Disposition": 'attachment; filename="ke-hoach-khac-phuc.xlsx"'},
    )


@router.post("/actions", include_in_schema=False)
def add_action(
    request: Request,
    province: str = Form(""),
    year: str = Form(""),
    index: str = Form(""),
    indicator: str = Form(""),
    task: str = Form(""),
    owner: str = Form(""),
    deadline: str = Form(""),
    target: str = Form(""),
    evidence: str = Form(""),
    evidence_url: str = Form(""),
    source: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    check_csrf(request, csrf)
    actor = require_actor(request, ACTION_ROLES)
    found = commands.add_action(
        db_of(request),
        actor,
        province=province or (actor.province_code or ""),
        year=year,
        index=index,
        indicator=indicator,
        task=task,
        owner=owner,
        deadline=deadline,
        target=_blank(target),
        evidence=_blank(evidence),
        evidence_url=_blank(evidence_url),
        source=_blank(source),
    )
    return RedirectResponse(f"/actions?saved={found.id}", status_code=303)


@router.post("/actions/{action_id}", include_in_schema=False)
def update_action(
    request: Request,
    action_id: str,
    status: str = Form(""),
    evidence: str = Form(""),
    evidence_url: str = Form(""),
    deadline: str = Form(""),
    owner: str = Form(""),
    reason: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    check_csrf(request, csrf)
    actor = require_actor(request, ACTION_ROLES)
    found = commands.update_action(
        db_of(request),
        actor,
        action_id,
        status=_blank(status),
        evidence=_blank(evidence),
        evidence_url=_blank(evidence_url),
        deadline=_blank(deadline),
        owner=_blank(owner),
        reason=_blank(reason),
    )
    return RedirectResponse(f"/actions?saved={found.id}", status_code=303)
