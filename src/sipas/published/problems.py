"""A problem found in a published table: a declared code and its values (sheet, row, column…).

A problem is rendered from its declaration in ``messages/data/errors/published.yaml`` in the
language of the message it is part of, so a refusal lists every problem in Vietnamese or English.
"""

from __future__ import annotations

from collections.abc import Iterator
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


class Problems(Phrase):
    """Every problem of a refused file as one value of its message, one after another ("; ")."""

    items: tuple[Problem, ...]

    def __init__(self, problems: list[Problem], /) -> None:
        super().__init__("published.problems")
        object.__setattr__(self, "items", tuple(problems))

    def __iter__(self) -> Iterator[Problem]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def render(self, lang: str) -> str:
        return "; ".join(p.render(lang) for p in self)
