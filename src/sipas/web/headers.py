"""Headers for private pages: nothing a signed-in user sees is kept by a browser or a proxy.

Every response of a private address (the PAR workspace and its evidence files, data entry,
survey forms, sign-in, administration) and every response to a request that carries a session
cookie gets ``Cache-Control: no-store``; static files and the served JavaScript keep their
caching. With the ``behind_https`` setting on (the app is reached through an HTTPS proxy), every
response also carries ``Strict-Transport-Security``.
"""

from __future__ import annotations

from typing import Any

from sipas.web.session import SESSION_COOKIE

PRIVATE_PREFIXES = (
    "/workspace",
    "/clerk",
    "/survey",
    "/login",
    "/logout",
    "/admin",
    "/account",
    "/api/par",
    "/api/survey",
    "/api/clerk",
    "/api/admin",
)
ASSET_PREFIXES = ("/static/", "/vendor/")
HSTS = b"max-age=31536000; includeSubDomains"
_COOKIE = SESSION_COOKIE.encode() + b"="


def is_private(path: str) -> bool:
    return any(path == p or path.startswith((p + "/", p + ".")) for p in PRIVATE_PREFIXES)


def _has_session(scope: Any) -> bool:
    return any(name == b"cookie" and _COOKIE in value for name, value in scope.get("headers", ()))


class PrivateHeaders:
    """A plain ASGI middleware (cheap on the hot path) adding the headers above."""

    def __init__(self, app: Any, hsts: bool = False) -> None:
        self.app = app
        self.hsts = hsts

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        private = not path.startswith(ASSET_PREFIXES) and (is_private(path) or _has_session(scope))

        async def with_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                # A response that starts a session is private too (e.g. a form's CSRF token).
                if private or any(k == b"set-cookie" and v.startswith(_COOKIE) for k, v in headers):
                    headers = [(k, v) for k, v in headers if k.lower() != b"cache-control"]
                    headers.append((b"cache-control", b"no-store"))
                if self.hsts:
                    headers.append((b"strict-transport-security", HSTS))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
