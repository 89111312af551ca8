"""Logging in and out."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from sipas.api import users as users_api
from sipas.errors import SipasError
from sipas.web.render import TEMPLATES, check_csrf, context, current_user, db_of, error_message

router = APIRouter()


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an address elsewhere (no open redirect)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", include_in_schema=False)
def login_page(request: Request, next: str | None = None) -> Response:
    return TEMPLATES.TemplateResponse(
        request, "login.html", context(request, next=_safe_next(next), error=None)
    )


@router.post("/login", include_in_schema=False)
def login(
    request: Request,
    name: str = Form(...),
    password: str = Form(...),
    csrf: str = Form(""),
    next: str = Form("/"),
) -> Response:
    check_csrf(request, csrf)
    try:
        address = request.client.host if request.client else None
        user = users_api.authenticate(db_of(request), name, password, address)
    except SipasError as error:
        if error.code not in ("auth.failed", "auth.throttled"):
            raise
        status = 429 if error.code == "auth.throttled" else 401
        message, hint = error_message(request, error)
        response = TEMPLATES.TemplateResponse(
            request,
            "login.html",
            context(request, next=_safe_next(next), error=message, hint=hint),
            status_code=status,
        )
        if status == 429:
            wait = (error.values["until"] - datetime.now(UTC)).total_seconds()
            response.headers["Retry-After"] = str(max(1, math.ceil(wait)))
        return response
    request.session.clear()  # a new session on login: no fixation
    request.session["uid"] = user["id"]
    request.session["epoch"] = user["session_epoch"]
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False)
def logout(request: Request, csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    user = current_user(request)
    if user is not None:
        # Every session of the user ends on the server: a copy of the cookie is refused too.
        users_api.end_sessions(db_of(request), user["id"])
    request.session.clear()
    return RedirectResponse("/", status_code=303)
