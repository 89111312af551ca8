"""Pages and their JSON twins, the language of a request, the signed-in user and CSRF tokens."""

from __future__ import annotations

import functools
import math
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import HTMLResponse, JSONResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from sipas.api import users as users_api
from sipas.api.ingest import problem_text
from sipas.api.par import Actor
from sipas.errors import SipasError
from sipas.messages import text
from sipas.store import Database
from sipas.store.users import Account
from sipas.web.i18n import LANGS, translate

TEMPLATES = Jinja2Templates(directory=Path(__file__).resolve().parent / "templates")
LANG_COOKIE = "sipas_lang"


def wants_json(request: Request) -> bool:
    return request.url.path.endswith(".json") or request.url.path.startswith("/api/")


def db_of(request: Request) -> Database:
    database: Database = request.app.state.db
    return database


def lang_of(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get(LANG_COOKIE)
    if asked in LANGS:
        return str(asked)
    return str(request.app.state.settings.lang)


def csrf_token(request: Request) -> str:
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return str(token)


def check_csrf(request: Request, submitted: str | None) -> None:
    """A write must carry the session's token (form field ``csrf`` or header X-CSRF-Token)."""
    expected = request.session.get("csrf")
    given = submitted or request.headers.get("x-csrf-token")
    if not expected or not given or not secrets.compare_digest(str(expected), str(given)):
        raise SipasError("auth.csrf")


def current_user(request: Request) -> Account | None:
    if "user" in request.scope.get("state", {}):
        found: Account | None = request.state.user
        return found
    user_id = request.session.get("uid")
    user = users_api.get_user(db_of(request), int(user_id)) if user_id else None
    # A session is valid while the user is active and its epoch is the user's: logout, a new
    # password and deactivation raise the epoch, which ends every session issued before.
    if user is not None and (
        not user["active"] or request.session.get("epoch") != user["session_epoch"]
    ):
        user = None
        request.session.pop("uid", None)
        request.session.pop("epoch", None)
    request.state.user = user
    return user


def require_actor(request: Request, roles: tuple[str, ...] | None = None) -> Actor:
    user = current_user(request)
    if user is None:
        raise SipasError("auth.login_required")
    if roles is not None and user["role"] not in roles:
        raise SipasError("auth.forbidden.page", user=user["name"], role=user["role"])
    return users_api.actor_for(user)


def number(value: Any, digits: int = 2, lang: str = "vi") -> str:
    """83.94 → "83,94" in Vietnamese, "83.94" in English; blanks for missing values."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    text = f"{float(value):,.{digits}f}"
    if lang == "vi":
        text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return text


class _LazyToken:
    """The CSRF token, made only when a template prints it: a visitor who sees no form gets no
    session cookie (and the page can be cached)."""

    def __init__(self, request: Request) -> None:
        self._request = request

    def __str__(self) -> str:
        return csrf_token(self._request)

    def __html__(self) -> str:
        return str(self)


def context(request: Request, **extra: Any) -> dict[str, Any]:
    lang = lang_of(request)
    return {
        "request": request,
        "lang": lang,
        "t": lambda key: translate(key, lang),
        "say": lambda key, **values: text(key, lang, **values),
        "num": lambda value, digits=2: number(value, digits, lang),
        "problem_detail": lambda problem, short=False: problem_text(problem, lang, short),
        "user": current_user(request),
        "csrf": _LazyToken(request),
        "other_lang": "en" if lang == "vi" else "vi",
        **extra,
    }


# Rendered public pages for visitors who are not logged in, by address, language and data state.
_PAGE_CACHE: dict[tuple[Any, ...], bytes] = {}
_PAGE_CACHE_SIZE = 256


def error_message(request: Request, error: SipasError) -> tuple[str, str | None]:
    """The error's message and hint in the page's language, from the code's declaration."""
    return error.text(lang_of(request))


def render_error(request: Request, status: int, error: SipasError) -> Response:
    message, hint = error_message(request, error)
    return TEMPLATES.TemplateResponse(
        request,
        "error.html",
        context(request, status=status, message=message, hint=hint, code=error.code),
        status_code=status,
    )


def _respond(request: Request, template: str, data: Any, cache_key: Any = None) -> Response:
    if isinstance(data, Response):
        return data
    if wants_json(request):
        return JSONResponse(jsonable_encoder(data))
    if cache_key is not None:
        key = (str(request.url.path), str(request.url.query), lang_of(request), cache_key)
        body = _PAGE_CACHE.get(key)
        if body is None:
            rendered = TEMPLATES.TemplateResponse(request, template, context(request, data=data))
            body = bytes(rendered.body)
            if len(_PAGE_CACHE) >= _PAGE_CACHE_SIZE:
                _PAGE_CACHE.pop(next(iter(_PAGE_CACHE)))
            _PAGE_CACHE[key] = body
        response: Response = HTMLResponse(body)
    else:
        response = TEMPLATES.TemplateResponse(request, template, context(request, data=data))
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, request.query_params["lang"], samesite="lax")
    return response


STATE_SECONDS = 1.0  # how long a public page may show data one change old
_states: dict[Any, tuple[float, Any]] = {}
_refreshing: set[Any] = set()


async def _state_of(request: Request, cache: Callable[[Request], Any]) -> Any:
    """The state of the published data, looked up at most once a second per process."""
    key = (id(request.app), cache)
    now = time.monotonic()
    known = _states.get(key)
    # While one request looks the state up, the others go on with the last one known (no herd
    # of identical queries each second).
    if known is not None and (now - known[0] < STATE_SECONDS or key in _refreshing):
        return known[1]
    _refreshing.add(key)
    try:
        state = await run_in_threadpool(cache, request)
    finally:
        _refreshing.discard(key)
    _states[key] = (now, state)
    return state


def _cached_page(request: Request, body: bytes) -> Response:
    response = HTMLResponse(body)
    if request.query_params.get("lang") in LANGS:
        response.set_cookie(LANG_COOKIE, request.query_params["lang"], samesite="lax")
    return response


def page(
    router: APIRouter,
    path: str,
    template: str,
    cache: Callable[[Request], Any] | None = None,
) -> Callable[[Callable[..., Any]], Any]:
    """Register a GET page at ``path`` and its JSON twin at ``path`` + ``.json``.

    The decorated function takes ``request`` and returns the page's data (a dict); the HTML page
    renders that data, the twin returns it as JSON. A public page gives ``cache``: a function of
    the request returning the state of the data it shows; for visitors who are not logged in,
    the page is then rendered once per state, address and language.
    """

    def decorate(function: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(function)
        async def endpoint(*args: Any, **kwargs: Any) -> Response:
            # A cached page for a visitor is answered on the event loop, with no thread and no
            # database; anything else runs in the thread pool (the api is synchronous).
            request = kwargs["request"]
            state = None
            if cache is not None and "uid" not in request.session and not wants_json(request):
                state = await _state_of(request, cache)
                key = (str(request.url.path), str(request.url.query), lang_of(request), state)
                if key in _PAGE_CACHE:
                    return _cached_page(request, _PAGE_CACHE[key])
            data = await run_in_threadpool(function, *args, **kwargs)
            return await run_in_threadpool(_respond, request, template, data, state)

        # The twin first: "/sipas/{run}" would otherwise take "/sipas/2025.json" as a run.
        router.add_api_route(
            f"{path}.json", endpoint, methods=["GET"], summary=function.__doc__ or path
        )
        router.add_api_route(
            path, endpoint, methods=["GET"], response_class=HTMLResponse, include_in_schema=False
        )
        return function

    return decorate
