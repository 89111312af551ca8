"""Logging in and out."""

from __future__ import annotations

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from sipas.api import users as users_api
from sipas.errors import SipasError
from sipas.web.render import TEMPLATES, check_csrf, context, db_of, error_message

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
        user = users_api.authenticate(db_of(request), name, password)
    except SipasError as error:
        if error.code not in ("auth.failed", "auth.throttled"):
            raise
        status = 429 if error.code == "auth.throttled" else 401
        return TEMPLATES.TemplateResponse(
            request,
            "login.html",
            context(request, next=_safe_next(next), error=error_message(request, error)[0]),
            status_code=status,
        )
    request.session.clear()  # a new session on login: no fixation
    request.session["uid"] = user["id"]
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", include_in_schema=False)
def logout(request: Request, csrf: str = Form("")) -> Response:
    check_csrf(request, csrf)
    request.session.clear()
    return RedirectResponse("/", status_code=303)
