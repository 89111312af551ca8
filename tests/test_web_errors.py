"""Every error a web user can meet has Vietnamese words, with its specifics kept.

The error codes are collected from the source itself (every ``SipasError("code", …)`` written in
src/sipas, and the problems the survey-form validator reports), so a new error raised anywhere
the web reaches fails here until the web catalogue says it in Vietnamese. The pages themselves
are tried in tests/test_web.py and tests/test_web_survey.py.
"""

from __future__ import annotations

import ast
import re
import string
from collections import defaultdict
from pathlib import Path

import pytest

from sipas.errors import SipasError
from sipas.web.error_text import ERRORS, PROBLEMS, Said, localise, problem_text
from sipas.web.i18n import CATALOGUE

SRC = Path(__file__).resolve().parents[1] / "src" / "sipas"
# The areas whose errors reach web pages: accounts and access, the PAR workspace, published
# results and their reports, the service index, survey invitations and forms, the web itself.
REACHABLE = ("auth.", "par.", "public.", "report.", "service_index.", "survey.invitation_", "http.")
REACHABLE_CODES = {"survey.unknown", "internal"}
# Helpers that raise SipasError with a fixed code: name → (code, index of the hint argument).
HELPERS = {"refused": ("auth.forbidden", 1), "_fail": ("par.bad_value", 2)}


def _callee(node: ast.Call) -> str | None:
    if isinstance(node.func, ast.Name):
        return node.func.id
    if isinstance(node.func, ast.Attribute):
        return node.func.attr
    return None


def _given(node: ast.Call, index: int, keyword: str) -> bool:
    """Whether the call passes a value (not None) as argument ``index`` or ``keyword``."""
    value = node.args[index] if len(node.args) > index else None
    for named in node.keywords:
        if named.arg == keyword:
            value = named.value
    return value is not None and not (isinstance(value, ast.Constant) and value.value is None)


def raised_codes() -> dict[str, list[tuple[str, bool]]]:
    """Every error code written in the source: code → [(module, whether a hint is given)]."""
    found: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for path in sorted(SRC.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        module = str(path.relative_to(SRC))
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = _callee(node)
            if name == "SipasError" and node.args:
                first = node.args[0]
                if isinstance(first, ast.Constant) and isinstance(first.value, str):
                    found[first.value].append((module, _given(node, 2, "hint")))
            elif name in HELPERS:
                code, hint_at = HELPERS[name]
                found[code].append((module, _given(node, hint_at, "hint")))
    return dict(found)


def form_problem_codes() -> set[str]:
    """The problems the validator reports on a row (what a respondent or a clerk can see)."""
    codes = set()
    for path in (SRC / "ingest" / "validate.py", SRC / "api" / "ingest.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name, at = _callee(node), None
            if name in ("add", "add_rows"):
                at = 2
            elif name == "Problem":
                at = 3
            if at is None or len(node.args) <= at or (name == "Problem" and _is_file_level(node)):
                continue
            value = node.args[at]
            if isinstance(value, ast.Constant) and str(value.value).startswith("ingest."):
                codes.add(str(value.value))
    return codes


def _is_file_level(node: ast.Call) -> bool:
    """A Problem of the whole file (its row is None): never shown on a form."""
    row = node.args[1] if len(node.args) > 1 else None
    return isinstance(row, ast.Constant) and row.value is None


RAISED = raised_codes()


def _reachable() -> set[str]:
    """Codes of the reachable areas, and every code the web raises; none the CLI alone raises."""
    found = set()
    for code, sites in RAISED.items():
        modules = {m.split("/")[0] for m, _ in sites}
        if modules == {"cli"}:
            continue
        if code.startswith(REACHABLE) or code in REACHABLE_CODES or "web" in modules:
            found.add(code)
    return found


def test_the_source_walk_finds_the_errors_of_the_api_and_the_web() -> None:
    # The walk itself works: it finds errors raised by the api, the web, the pure layers below.
    assert {"public.unknown_run", "survey.invitation_expired", "auth.failed"} <= set(RAISED)
    assert {"auth.csrf", "public.download_type", "http.not_found"} <= set(RAISED)
    assert {"par.above_max", "service_index.bad_period", "par.campaign_unknown"} <= set(RAISED)
    assert len(_reachable()) > 80


def test_every_error_a_web_user_can_meet_has_vietnamese() -> None:
    missing = sorted(_reachable() - set(ERRORS))
    assert not missing, f"no Vietnamese in sipas/web/error_text.py for {missing}"


def test_a_hint_given_in_english_has_a_vietnamese_hint() -> None:
    lacking = sorted(
        code
        for code in _reachable()
        if any(hinted for _, hinted in RAISED[code])
        and not (ERRORS[code].hint or ERRORS[code].hint_forms)
    )
    assert not lacking, f"these errors give a hint, but none in Vietnamese: {lacking}"


def test_the_catalogue_names_only_codes_that_are_raised() -> None:
    assert set(ERRORS) <= set(RAISED), sorted(set(ERRORS) - set(RAISED))


def test_every_problem_a_form_can_show_has_vietnamese() -> None:
    codes = form_problem_codes()
    assert {"ingest.bad_code", "ingest.required", "ingest.conflict"} <= codes
    assert not sorted(codes - set(PROBLEMS)), "full sentences missing"
    assert not sorted(c for c in codes if f"problem.{c}" not in CATALOGUE), "short labels missing"


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


@pytest.mark.parametrize("code", sorted({**ERRORS, **PROBLEMS}))
def test_each_form_fills_from_its_own_pattern(code: str) -> None:
    said: Said = {**ERRORS, **PROBLEMS}[code]
    assert said.generic and not _fields(said.generic)
    for pattern, vietnamese in (*said.forms, *said.hint_forms):
        groups = set(re.compile(pattern).groupindex)
        assert _fields(vietnamese) <= groups, (code, pattern)


# English messages exactly as the code writes them (copied from the raise sites), and what a
# Vietnamese page says for each; the pages in test_web.py raise the real ones.
SAMPLES = [
    (
        SipasError(
            "par.above_max",
            "c › unit 01 › leaf 1.5: 2.5 points is above the leaf's maximum of 2",
            "give a number from 0 to 2",
        ),
        "c › đơn vị 01 › tiêu chí 1.5: 2,5 điểm vượt quá điểm tối đa 2 của tiêu chí",
        "Hãy nhập một số từ 0 đến 2",
    ),
    (
        SipasError(
            "par.stage_order",
            "campaign c is at stage 'self'; it cannot move to 'final'",
            "the next stage is 'appraisal1'",
        ),
        "Đợt đánh giá c đang ở giai đoạn tự đánh giá; không thể chuyển sang điểm đạt được"
        " (kết thúc)",
        "Giai đoạn tiếp theo là thẩm định vòng 1",
    ),
    (
        SipasError(
            "survey.invitation_expired",
            "this invitation expired on 2025-03-09",
            "ask the survey team for a new invitation",
        ),
        "Đường dẫn mời này đã hết hạn ngày 09/03/2025",
        "Hãy xin nhóm điều tra một lời mời mới",
    ),
    (
        SipasError("auth.throttled", "too many failed logins", "try again after 14:05 UTC"),
        "Đăng nhập sai quá nhiều lần; tài khoản này phải chờ một lúc",
        "Hãy thử lại sau 14:05 (giờ UTC)",
    ),
]


@pytest.mark.parametrize(
    ("error", "message", "hint"), SAMPLES, ids=lambda x: getattr(x, "code", "")
)
def test_vietnamese_keeps_the_specifics(error: SipasError, message: str, hint: str) -> None:
    assert localise(error.code, error.message, error.hint, error.details, "vi") == (message, hint)
    english = localise(error.code, error.message, error.hint, error.details, "en")
    assert english == (error.message, error.hint)


def test_an_unknown_wording_keeps_the_english_specifics_after_the_vietnamese() -> None:
    said, _ = localise("par.above_max", "leaf 9.9 is rather too high", None, {}, "vi")
    assert said == "Điểm vượt quá điểm tối đa của tiêu chí (leaf 9.9 is rather too high)"


def test_a_problem_of_a_clerks_form_in_vietnamese() -> None:
    problem = {
        "code": "ingest.bad_code",
        "message": "Q9_01 = '7' is not one of the answer codes 1, 2, 3, 4, 5",
    }
    assert problem_text(problem, "vi") == (
        "Q9_01 = 7 không phải là một trong các mã trả lời 1, 2, 3, 4, 5"
    )
    assert problem_text(problem, "en") == problem["message"]
