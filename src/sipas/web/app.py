"""The web application: built by :func:`create_app`, served by `sipas serve`.

Server-rendered pages (Jinja2), each with a JSON twin at the same path plus ``.json`` built from the
same api call. Sessions live in signed cookies (HttpOnly, SameSite=Lax, Secure unless switched off
for plain-HTTP development); every form carries a CSRF token; every write goes through the api,
which writes the audit log. Plotly's JavaScript is served from the installed ``plotly`` package:
nothing is fetched from the internet.
"""

from __future__ import annotations

import functools
import importlib.util
import logging
import secrets
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from swagger_ui_bundle import swagger_ui_path

from sipas import __version__
from sipas.api import users as users_api
from sipas.errors import SipasError
from sipas.messages import Phrase
from sipas.settings import Settings, load_settings
from sipas.store import Database, open_database
from sipas.web import (
    api_docs,
    pages_actions,
    pages_analysis,
    pages_auth,
    pages_par,
    pages_public,
    pages_published,
    pages_service_index,
    pages_survey,
)
from sipas.web.headers import PrivateHeaders
from sipas.web.outage import is_outage, unavailable_response
from sipas.web.render import lang_of, render_error, wants_json
from sipas.web.session import SESSION_COOKIE

HERE = Path(__file__).resolve().parent
LOG = logging.getLogger("sipas.web")
SESSION_SECONDS = 8 * 3600
THREADS = 200  # worker threads per process for the synchronous api


@functools.cache
def plotly_js_path() -> Path:
    """Plotly's JavaScript in the installed package, found without importing Plotly (seconds)."""
    spec = importlib.util.find_spec("plotly")
    assert spec is not None and spec.submodule_search_locations  # a dependency of sipas
    return Path(next(iter(spec.submodule_search_locations)), "package_data", "plotly.min.js")


def secret_key_of(settings: Settings) -> str:
    """The configured key, or one kept in the data folder (made on first use, readable by the
    owner only), so sessions survive a restart without anyone choosing a key."""
    if settings.secret_key:
        return settings.secret_key
    path = settings.data_dir / "secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
]
_CSP = (
    b"default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; "
    b"script-src 'self'; object-src 'none'; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Headers on every response (a plain ASGI middleware: cheap on the hot path)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                headers.extend(_HEADERS)
                headers.append((b"content-security-policy", _CSP))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    # Survey submissions that wait together are checked and written as one batch; a larger pool
    # of threads lets more of them wait together under load (anyio's default is 40).
    anyio.to_thread.current_default_thread_limiter().total_tokens = THREADS
    # Ready first; what the first login needs is made beside the first requests.
    threading.Thread(target=users_api.warm_up, name="sipas-warm-up", daemon=True).start()
    yield


def create_app(settings: Settings | None = None, db: Database | None = None) -> FastAPI:
    settings = settings or load_settings(None)
    db = db or open_database(settings.resolved_database_url())
    app = FastAPI(
        title="sipas",
        version=__version__,
        description="SIPAS satisfaction and PAR INDEX results, survey forms and the PAR workspace. "
        "Every page has a JSON twin at the same path with `.json`.",
        docs_url=None,  # served below from the installed swagger-ui-bundle-v2 (Swagger UI 5), not a CDN
        openapi_url="/api/openapi.json",
        redoc_url=None,
        lifespan=_lifespan,
    )
    app.state.db = db
    app.state.settings = settings

    app.add_middleware(
        SessionMiddleware,
        secret_key=secret_key_of(settings),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_SECONDS,
        same_site="lax",
        https_only=settings.secure_cookies,
    )

    app.add_middleware(SecurityHeaders)
    app.add_middleware(PrivateHeaders, hsts=settings.behind_https)

    @app.exception_handler(SipasError)
    async def sipas_error(request: Request, error: SipasError) -> Response:
        # The status is declared with the code (messages/data/errors/).
        status = error.status
        if status == 401 and not wants_json(request) and request.method == "GET":
            return RedirectResponse(f"/login?next={request.url.path}", status_code=303)
        if wants_json(request):
            return JSONResponse(error.to_dict(lang_of(request)), status_code=status)
        return render_error(request, status, error)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, error: StarletteHTTPException) -> Response:
        # Addresses that match no route, or a method a route does not take: the same error
        # shape (and, on a page, the same error page in the visitor's language) as any other.
        if error.status_code == 404:
            found = SipasError("http.not_found")
        elif error.status_code == 405:
            found = SipasError("http.method_not_allowed", method=request.method)
        else:
            found = SipasError("http.error", detail=str(error.detail))
        if wants_json(request):
            return JSONResponse(found.to_dict(lang_of(request)), status_code=error.status_code)
        return render_error(request, error.status_code, found)

    @app.exception_handler(RequestValidationError)
    async def bad_request(request: Request, error: RequestValidationError) -> Response:
        fields = sorted({str(e["loc"][-1]) for e in error.errors() if e.get("loc")})
        found = SipasError("http.bad_request", fields=fields or [Phrase("rest.the_request")])
        if wants_json(request):
            return JSONResponse(found.to_dict(lang_of(request)), status_code=422)
        return render_error(request, 422, found)

    @app.exception_handler(DBAPIError)
    async def database_error(request: Request, error: DBAPIError) -> Response:
        if is_outage(error):
            LOG.warning(
                "database unavailable on %s %s: %s", request.method, request.url.path, error.orig
            )
            return unavailable_response(request)
        return await unexpected(request, error)

    @app.exception_handler(Exception)
    async def unexpected(request: Request, error: Exception) -> Response:
        LOG.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
        found = SipasError("internal.unexpected")
        if wants_json(request):
            return JSONResponse(found.to_dict(lang_of(request)), status_code=500)
        return render_error(request, 500, found)

    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.mount("/vendor/swagger", StaticFiles(directory=swagger_ui_path), name="swagger")

    app.include_router(api_docs.router)

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(plotly_js_path(), media_type="text/javascript")

    @app.get("/health", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok", "version": __version__}

    app.include_router(pages_auth.router)
    app.include_router(pages_published.router)  # before /sipas/{run}/…: more specific
    app.include_router(pages_analysis.router)
    app.include_router(pages_public.router)
    app.include_router(pages_service_index.router)
    app.include_router(pages_par.router)
    app.include_router(pages_survey.router)
    app.include_router(pages_actions.router)
    return app


def app_from_environment() -> FastAPI:
    """The app as each worker process of `sipas serve --workers N` builds it (settings from the
    SIPAS_* environment, which the serve command sets)."""
    return create_app(load_settings(None))
