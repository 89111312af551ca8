"""Every message is declared once, in both languages, and every raise site passes what its
declaration names (and nothing else).

The raise sites are read from the source itself (``SipasError("code", name=value, …)`` and
``Problem(…, "code", {…})``), so a new site with a code nobody declared, or a template naming a
value the site does not pass, fails here before any user sees ‹value› on a page.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from sipas.errors import SipasError
from sipas.messages import Phrase, declarations, fill, render, text, texts
from sipas.messages.catalogue import names_in

SRC = Path(__file__).resolve().parents[1] / "src" / "sipas"


@dataclass(frozen=True)
class Site:
    where: str
    code: str | None  # None: not a literal
    values: frozenset[str]
    open_ended: bool  # passes **mapping: its names cannot be read from the source
    prose: bool  # passes a positional message (the old form)


def _keywords(call: ast.Call) -> tuple[frozenset[str], bool]:
    names = frozenset(k.arg for k in call.keywords if k.arg is not None)
    return names, any(k.arg is None for k in call.keywords)


def _sites() -> list[Site]:
    found: list[Site] = []
    for path in sorted(SRC.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call) or getattr(node.func, "id", None) != "SipasError":
                continue
            first = node.args[0] if node.args else None
            code = first.value if isinstance(first, ast.Constant) else None
            names, open_ended = _keywords(node)
            where = f"{path.relative_to(SRC)}:{node.lineno}"
            found.append(Site(where, code, names, open_ended, len(node.args) > 1))
    return found


SITES = _sites()


def test_the_catalogues_load_and_every_entry_has_both_languages() -> None:
    for code, found in declarations().items():
        assert found.message["vi"].strip() and found.message["en"].strip(), code
        if found.hint is not None:
            assert found.hint["vi"].strip() and found.hint["en"].strip(), code
    for key, pair in texts().items():
        assert set(pair) == {"vi", "en"}, key


def test_no_raise_site_passes_prose() -> None:
    prose = [s.where for s in SITES if s.prose]
    assert prose == [], "raise sites that pass an English sentence instead of values"


def test_every_raise_site_names_a_declared_code() -> None:
    dynamic = [s.where for s in SITES if s.code is None]
    assert dynamic == [], "a code must be a literal so that it can be checked here"
    undeclared = [f"{s.where} {s.code}" for s in SITES if s.code not in declarations()]
    assert undeclared == []


def test_every_raise_site_passes_the_values_its_declaration_names() -> None:
    wrong = []
    for site in SITES:
        found = declarations().get(site.code or "")
        if found is None or site.prose:
            continue
        declared = set(found.values)
        missing = declared - site.values
        extra = site.values - declared
        if (missing and not site.open_ended) or extra:
            wrong.append(
                f"{site.where} {site.code}: missing {sorted(missing)}, extra {sorted(extra)}"
            )
    assert wrong == []


def test_every_declared_code_is_raised_somewhere() -> None:
    raised = {s.code for s in SITES}
    raised |= _problem_codes()
    raised |= {"http.not_found", "http.method_not_allowed", "http.error", "http.bad_request"}
    unused = sorted(set(declarations()) - raised)
    assert unused == [], "declared codes no code raises: remove them"


def _problem_codes() -> set[str]:
    """Codes of data problems: string literals that are declared codes used as arguments."""
    codes = set(declarations())
    used: set[str] = set()
    for path in sorted(SRC.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and node.value in codes
            ):
                used.add(node.value)
    return used


def test_values_are_localised_by_type_and_spec() -> None:
    assert fill("{n:,}", {"n": 1234567}, "vi") == "1.234.567"
    assert fill("{n:,}", {"n": 1234567}, "en") == "1,234,567"
    assert fill("{x:.2f}", {"x": 83.945}, "vi") == "83,94"  # binary 83.945 is just below
    assert fill("{x}", {"x": 6.650700000000001}, "en") == "6.6507"
    assert fill("{d:date}", {"d": date(2025, 7, 1)}, "vi") == "01/07/2025"
    assert fill("{d:date}", {"d": "2025-07-01"}, "en") == "2025-07-01"
    assert fill("{s:@stage}", {"s": "appraisal1"}, "vi") == "thẩm định vòng 1"
    assert fill("{s:@stage}", {"s": "nonsense"}, "vi") == "nonsense"
    assert fill("{xs}", {"xs": ["a", "b"]}, "en") == "a, b"
    assert fill("{xs}", {"xs": [0.0, 1.5, 3.0]}, "vi") == "0; 1,5; 3"  # decimal commas
    assert fill("{xs}", {"xs": [0.0, 1.5, 3.0]}, "en") == "0, 1.5, 3"
    assert fill("{v!r}", {"v": "x"}, "vi") == "'x'"
    assert fill("{b}", {"b": True}, "vi") == "Có"
    assert fill("{gone}", {}, "en") == "‹gone›"  # never a crash


def test_a_phrase_is_rendered_in_the_language_of_its_message() -> None:
    where = Phrase("stage.self")
    assert fill("{w}", {"w": where}, "vi") == "tự đánh giá"
    assert fill("{w}", {"w": where}, "en") == "self-assessment"
    assert text("yes", "en") == "Yes"


def test_an_error_renders_its_declaration_in_each_language() -> None:
    error = SipasError("auth.forbidden.page", user="lan", role="clerk")
    assert error.text("vi") == (
        "lan (nhập phiếu) không được dùng trang này",
        "Hãy đề nghị quản trị viên",
    )
    assert error.message == "lan (clerk) may not use this page"
    assert error.status == 403
    assert error.to_dict("en") == {
        "code": "auth.forbidden.page",
        "message": "lan (clerk) may not use this page",
        "hint": "ask an admin",
        "values": {"user": "lan", "role": "clerk"},
    }


def test_an_undeclared_code_still_shows_its_values() -> None:
    assert render("no.such_code", {"x": 1}, "vi") == ("no.such_code: x=1", None)


@pytest.mark.parametrize("code", sorted(declarations()))
def test_both_languages_use_the_same_values(code: str) -> None:
    found = declarations()[code]
    assert names_in(found.message["vi"]) == names_in(found.message["en"])
