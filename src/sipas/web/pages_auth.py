"""Logging in and out; the admin's page of accounts."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse, Response

from sipas.api import users as users_api
from sipas.errors import SipasError
from sipas.messages import text
from sipas.web.render import (
    TEMPLATES,
    check_csrf,
    context,
    current_user,
    db_of,
    error_message,
    lang_of,
    page,
    require_actor,
)

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


# -- one's own password ------------------------------------------------------------------------


@page(router, "/account/password", "password.html")
def password_page(request: Request) -> dict[str, Any]:
    """The form to change one's own password."""
    actor = require_actor(request)
    return {"name": actor.name, "changed": request.session.pop("password_changed", False)}


@router.post("/account/password", include_in_schema=False)
def change_password(
    request: Request,
    current: str = Form(""),
    new: str = Form(""),
    csrf: str = Form(""),
) -> Response:
    check_csrf(request, csrf)
    actor = require_actor(request)
    address = request.client.host if request.client else None
    try:
        users_api.change_password(db_of(request), actor.name, current, new, address)
    except SipasError as error:
        if error.status >= 500:
            raise
        message, hint = error_message(request, error)
        return TEMPLATES.TemplateResponse(
            request,
            "password.html",
            context(request, data={"name": actor.name}, error=message, hint=hint),
            status_code=error.status,
        )
    # Every other session of the user has ended; this one goes on with the new epoch.
    me = users_api.get_user(db_of(request), int(request.session["uid"]))
    request.session["epoch"] = me["session_epoch"] if me else None
    request.session["password_changed"] = True
    return RedirectResponse("/account/password", status_code=303)


# -- accounts (admins) -------------------------------------------------------------------------

ADMIN_ROLES = ("admin",)
ACTIONS = ("deactivate", "activate", "unlock", "reset_password", "set_role")


@page(router, "/admin/users", "accounts.html")
def accounts_page(request: Request) -> dict[str, Any]:
    """Every account, with what an admin can do to each: deactivate or activate, unlock, set a
    new password, change the role."""
    actor = require_actor(request, ADMIN_ROLES)
    return {
        "users": users_api.list_users(db_of(request)),
        "roles": list(users_api.ROLES),
        "me": actor.name,
        "notice": request.session.pop("accounts_notice", None),
        "problem": request.session.pop("accounts_problem", None),
    }


@router.post("/admin/users/{name}", include_in_schema=False)
def account_action(
    request: Request,
    name: str,
    action: str = Form(...),
    csrf: str = Form(""),
    password: str = Form(""),
    role: str = Form(""),
    province: str = Form(""),
) -> Response:
    check_csrf(request, csrf)
    actor = require_actor(request, ADMIN_ROLES)
    if action not in ACTIONS:
        raise SipasError("users.bad_action", action=action, actions=list(ACTIONS))
    db, lang, by = db_of(request), lang_of(request), actor.name
    try:
        if action in ("deactivate", "activate"):
            users_api.set_active(db, name, action == "activate", by=by)
            notice = text(f"accounts.{action}d", lang, name=name)
        elif action == "unlock":
            done = users_api.unlock(db, name, by=by)
            notice = text(
                "accounts.unlocked" if done["unlocked"] else "accounts.not_waiting", lang, name=name
            )
        elif action == "reset_password":
            users_api.reset_password(db, name, password, by=by)
            notice = text("accounts.password_reset", lang, name=name)
            if name == by:  # the admin's own new password: this session goes on
                me = users_api.get_user(db, int(request.session["uid"]))
                request.session["epoch"] = me["session_epoch"] if me else None
        else:
            changed = users_api.set_role(db, name, role, province.strip() or None, by=by)
            notice = text(
                "accounts.role_set_province" if changed["province"] else "accounts.role_set",
                lang,
                name=name,
                role=role,
                province=changed["province"],
            )
        request.session["accounts_notice"] = notice
    except SipasError as error:
        if error.status >= 500:
            raise
        message, hint = error_message(request, error)
        request.session["accounts_problem"] = f"{message}. {hint}" if hint else message
    return RedirectResponse(f"/admin/users?lang={lang}#user-{quote(name)}", status_code=303)
