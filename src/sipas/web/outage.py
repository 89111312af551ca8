"""The database is unavailable: 503 with Retry-After, a page in the visitor's language (a JSON
body for API clients), and nothing else to do: the app recovers by itself.

SQLAlchemy drops every pooled connection when one of them turns out to be broken, so once the
server is back the next request opens a fresh connection; no restart of sipas is needed.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from sipas.errors import SipasError
from sipas.web.render import lang_of, render_error, wants_json

RETRY_AFTER_SECONDS = 10
# SQLite reports a busy or missing file as an OperationalError; only these are an outage (an
# OperationalError such as "no such table" is a fault of the program, answered with 500).
_SQLITE_OUTAGE = ("database is locked", "unable to open", "disk i/o error", "readonly database")


def is_outage(error: DBAPIError) -> bool:
    """Whether ``error`` says the database cannot be reached now (rather than a bad statement)."""
    if error.connection_invalidated or isinstance(error, InterfaceError):
        return True
    if not isinstance(error, OperationalError):
        return False
    if type(error.orig).__module__.startswith("sqlite3"):
        said = str(error.orig).lower()
        return any(part in said for part in _SQLITE_OUTAGE)
    return True  # the driver's OperationalError: connection refused, reset, server shut down


def unavailable_response(request: Request) -> Response:
    found = SipasError("outage.db_unavailable", seconds=RETRY_AFTER_SECONDS)
    headers = {"Retry-After": str(RETRY_AFTER_SECONDS)}
    if wants_json(request):
        return JSONResponse(found.to_dict(lang_of(request)), status_code=503, headers=headers)
    request.state.user = None  # the page names no user: looking one up needs the database
    response = render_error(request, 503, found)
    response.headers.update(headers)
    return response
