"""The one error type users see.

Every failure a user can cause or fix is a :class:`SipasError` with a stable ``code``, a ``message``
that says what went wrong and where, and a ``hint`` that says what to do. The CLI prints it as one
line, the web API as one JSON body; tracebacks are for ``--debug`` only.
"""

from __future__ import annotations

from typing import Any


class SipasError(Exception):
    """A problem the user can understand and act on."""

    def __init__(self, code: str, message: str, hint: str | None = None, **details: Any) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.hint = hint
        self.details = details

    def to_dict(self) -> dict[str, Any]:
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.hint:
            body["hint"] = self.hint
        if self.details:
            body["details"] = self.details
        return body

    def __str__(self) -> str:
        return f"{self.message} ({self.code})" + (f" — {self.hint}" if self.hint else "")
