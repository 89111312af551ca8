"""A problem found in a published table: a declared code and its values (sheet, row, column…).

A problem is rendered from its declaration in ``messages/data/errors/published.yaml`` in the
language of the message it is part of, so a refusal lists every problem in Vietnamese or English.
"""

from __future__ import annotations

from typing import Any

from sipas.messages import Phrase, render


class Problem(Phrase):
    """``Problem("published.not_a_number", sheet=…, row=…, column=…, text=…)``."""

    def __init__(self, code: str, /, **values: Any) -> None:
        super().__init__(code, **values)

    @property
    def code(self) -> str:
        return self.key

    def render(self, lang: str) -> str:
        return render(self.key, self.values, lang)[0]

    def to_dict(self, lang: str = "en") -> dict[str, Any]:
        return {"code": self.key, "message": self.render(lang), **dict(self.values)}
