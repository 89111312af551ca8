"""The one error type users see.

Every failure a user can cause or fix is a :class:`SipasError` with a stable ``code`` and the
named values its message needs. What it says — the message and the hint, in Vietnamese and in
English — and its HTTP status are declared once per code in :mod:`sipas.messages`
(``messages/data/errors/``); the CLI prints it as one line, the web as a page or one JSON body,
each in its user's language. Tracebacks are for ``--debug`` only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from pathlib import PurePath
from typing import Any


class SipasError(Exception):
    """A problem the user can understand and act on: ``SipasError("geo.unknown_name", name=n)``."""

    def __init__(self, code: str, /, **values: Any) -> None:
        super().__init__(code)
        self.code = code
        self.values: dict[str, Any] = values

    def text(self, lang: str = "en") -> tuple[str, str | None]:
        """The message and hint in ``lang``."""
        from sipas.messages import render

        return render(self.code, self.values, lang)

    @property
    def message(self) -> str:
        return self.text("en")[0]

    @property
    def hint(self) -> str | None:
        return self.text("en")[1]

    @property
    def status(self) -> int:
        """The HTTP status the web answers with."""
        from sipas.messages import declaration

        found = declaration(self.code)
        return found.status if found is not None else 400

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        """The one JSON error body: code, message and hint in ``lang``, and the values."""
        message, hint = self.text(lang)
        body: dict[str, Any] = {"code": self.code, "message": message}
        if hint:
            body["hint"] = hint
        if self.values:
            body["values"] = plain(self.values)
        return body

    def __str__(self) -> str:
        message, hint = self.text("en")
        return f"{message} ({self.code})" + (f" — {hint}" if hint else "")


def plain(value: Any) -> Any:
    """Values as JSON can carry them (paths and dates as text, phrases rendered in English)."""
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [plain(v) for v in value]
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, PurePath | date):
        return str(value)
    return str(value)
