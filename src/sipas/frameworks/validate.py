"""Rules a framework must keep beyond its shape: codes unique, points adding up, items used once.

Each rule has a stable id (``par.children_exceed``…) and a message that names the node and the
numbers, so the person who wrote the file can fix it without reading code.
"""

from __future__ import annotations

import unicodedata
from collections import Counter
from collections.abc import Iterator

from sipas.frameworks.model import (
    IndexNode,
    ItemRule,
    Method,
    NodeRole,
    ParFramework,
    ParNode,
    QuestionType,
    Rubric,
    SipasRubric,
    SurveyFramework,
    SurveyRubric,
    Text,
    TiersRubric,
)
from sipas.frameworks.report import ValidationReport, join_path

# Points are written with up to two decimals; sums are compared with this tolerance.
POINTS_TOLERANCE = 1e-6


def check_framework(framework: SurveyFramework | ParFramework, report: ValidationReport) -> None:
    if isinstance(framework, ParFramework):
        check_par(framework, report)
    else:
        check_survey(framework, report)


# --- PAR -----------------------------------------------------------------------------------------


def _level_name(framework: ParFramework, depth: int) -> str:
    """English name of the tree level at ``depth`` (0 = top), for messages."""
    if depth < len(framework.levels):
        return framework.levels[depth].en
    return "parent"


def _fmt(points: float) -> str:
    return f"{points:g}" if points == int(points) else f"{points:.10g}"


def check_par(framework: ParFramework, report: ValidationReport) -> None:
    root = framework.id
    codes = Counter(node.code for _, node in framework.walk())
    for code, count in codes.items():
        if count > 1:
            report.add(join_path(root, code), "par.duplicate_code", f"code used by {count} nodes")
    for trail, node in framework.walk():
        path = join_path(root, *trail, node.code)
        _check_par_node(framework, node, trail, path, report)
    _check_points(framework, framework.scored_nodes(), framework.total_points, root, 0, report)
    for node in framework.nodes:
        if node.role is not NodeRole.SCORE:
            # Bonus and penalty leaves may add up to more than the node's cap: the cap limits the sum.
            _check_points(framework, node.children, None, join_path(root, node.code), 1, report)
    _check_groups(framework, report)


def _check_par_node(
    framework: ParFramework,
    node: ParNode,
    trail: tuple[str, ...],
    path: str,
    report: ValidationReport,
) -> None:
    depth = len(trail)
    if trail and not node.code.startswith(trail[-1] + "."):
        report.add(
            path,
            "par.code_prefix",
            f"code {node.code!r} does not start with its parent's code {trail[-1]!r} and a dot",
        )
    if framework.levels and depth >= len(framework.levels):
        report.add(
            path,
            "par.too_deep",
            f"node is at level {depth + 1} but the framework names {len(framework.levels)} levels",
        )
    if node.max_points is None and not (node.provisional or framework.provisional):
        report.add(
            path,
            "par.points_unknown",
            "max points missing: give max_points, or mark the node provisional: true",
        )
    if node.max_points is not None and node.max_points <= 0:
        report.add(path, "par.points_positive", f"max points {_fmt(node.max_points)} must be > 0")
    if node.is_leaf and node.method is None:
        report.add(
            path,
            "par.leaf_method",
            "a leaf needs a scoring method: self_assessed, survey or mixed",
        )
    if trail and node.role is not NodeRole.SCORE:
        report.add(path, "par.role_depth", f"only top-level nodes can be {node.role.value} nodes")
    if not node.is_leaf and (node.rubric is not None or node.may_be_not_applicable):
        report.add(
            path,
            "par.rubric_on_parent",
            "a rubric and may_be_not_applicable belong on leaves; this node has children",
        )
    if node.rubric is not None:
        _check_rubric(node, node.rubric, path, report)
    _check_text(node.name, path, report)


def _check_rubric(node: ParNode, rubric: Rubric, path: str, report: ValidationReport) -> None:
    from_survey = isinstance(rubric, SurveyRubric | SipasRubric)
    if from_survey and node.method is not Method.SURVEY:
        report.add(
            path,
            "par.rubric_method",
            f"a {rubric.kind} rubric is filled from survey results: set method: survey",
        )
    if node.method is Method.SURVEY and not from_survey and rubric.kind != "points":
        report.add(
            path,
            "par.rubric_method",
            f"a survey leaf cannot use a {rubric.kind} rubric: use survey, sipas or points",
        )
    if isinstance(rubric, TiersRubric):
        bounds = [tier.min for tier in rubric.tiers]
        if bounds != sorted(bounds, reverse=True) or len(set(bounds)) != len(bounds):
            report.add(
                path, "par.tier_order", "list tiers from the highest rate down, each distinct"
            )
        top = node.max_points
        for tier in rubric.tiers:
            if tier.points < 0 or (top is not None and tier.points > top + POINTS_TOLERANCE):
                report.add(
                    path,
                    "par.tier_points",
                    f"tier from {_fmt(tier.min)}% gives {_fmt(tier.points)} points, "
                    f"outside 0–{_fmt(top or 0.0)}",
                )


def _check_points(
    framework: ParFramework,
    children: list[ParNode],
    budget: float | None,
    parent_path: str,
    depth: int,
    report: ValidationReport,
) -> None:
    """Children's maxima must add up to their parent's (the framework total at the top).

    ``depth`` is the children's level (0 = areas); the parent is named by the level above.
    """
    owner = "framework" if depth == 0 else _level_name(framework, depth - 1)
    if budget is not None and children:
        remaining = budget
        known = True
        for child in children:
            if child.max_points is None:
                known = False
                continue
            if known and child.max_points > remaining + POINTS_TOLERANCE:
                report.add(
                    join_path(parent_path, child.code),
                    "par.children_exceed",
                    f"max points {_fmt(child.max_points)} exceed the {owner}'s remaining "
                    f"{_fmt(max(remaining, 0.0))}",
                )
                known = False  # one message per sibling list is enough
            remaining -= child.max_points
        if known and remaining > POINTS_TOLERANCE:
            total = budget - remaining
            report.add(
                parent_path,
                "par.children_short",
                f"children's max points add up to {_fmt(round(total, 6))}, "
                f"less than the {owner}'s {_fmt(budget)}",
            )
    for child in children:
        _check_points(
            framework,
            child.children,
            child.max_points,
            join_path(parent_path, child.code),
            depth + 1,
            report,
        )


def _check_groups(framework: ParFramework, report: ValidationReport) -> None:
    thresholds = [g.min_index for g in framework.groups]
    for group in framework.groups:
        if not 0 <= group.min_index <= 100:
            report.add(
                join_path(framework.id, "groups", group.code),
                "par.group_threshold",
                f"threshold {_fmt(group.min_index)} is outside 0–100",
            )
    if thresholds != sorted(thresholds, reverse=True) or len(set(thresholds)) != len(thresholds):
        report.add(
            join_path(framework.id, "groups"),
            "par.group_order",
            "groups must be listed from the highest threshold down, each threshold distinct",
        )


def scoring_gaps(framework: ParFramework) -> list[str]:
    """What must be filled in before a provisional framework can be scored (empty = scorable)."""
    unknown = [(trail, node) for trail, node in framework.walk() if node.max_points is None]
    if not unknown:
        return []
    gaps = []
    top_unknown = [node for trail, node in unknown if not trail]
    if top_unknown:
        known_top = sum(n.max_points or 0.0 for n in framework.nodes)
        missing = framework.total_points - known_top
        names = ", ".join(n.code for n in top_unknown)
        gaps.append(
            f"{len(top_unknown)} top-level nodes ({names}) have no known maximum; "
            f"together they must hold {_fmt(round(missing, 6))} of {_fmt(framework.total_points)} "
            "points"
        )
    deeper = [join_path(*trail, node.code) for trail, node in unknown if trail]
    if deeper:
        gaps.append(f"{len(deeper)} lower nodes have no known maximum: {', '.join(deeper)}")
    return gaps


# --- survey --------------------------------------------------------------------------------------


def _index_nodes(node: IndexNode, trail: tuple[str, ...] = ()) -> Iterator[tuple[str, IndexNode]]:
    path = (*trail, node.code)
    yield join_path(*path), node
    for child in node.children or []:
        yield from _index_nodes(child, path)


def check_survey(framework: SurveyFramework, report: ValidationReport) -> None:
    root = framework.id
    _check_scales(framework, report)
    _check_questions(framework, report)
    items = [item.code for item in framework.satisfaction.items]
    for code, count in Counter(items).items():
        if count > 1:
            report.add(
                join_path(root, "satisfaction", "items", code),
                "survey.duplicate_item",
                f"item code used {count} times",
            )
    for item in framework.satisfaction.items:
        _check_text(item.text, join_path(root, "satisfaction", "items", item.code), report)
    _check_index_tree(framework, set(items), report)
    _check_rules(framework, report)


def _check_scales(framework: SurveyFramework, report: ValidationReport) -> None:
    for name, scale in framework.scales.items():
        codes = Counter(str(o.code) for o in scale.options)
        for code, count in codes.items():
            if count > 1:
                report.add(
                    join_path(framework.id, "scales", name),
                    "survey.duplicate_option",
                    f"option code {code} appears {count} times",
                )
    if framework.satisfaction.scale not in framework.scales:
        report.add(
            join_path(framework.id, "satisfaction", "scale"),
            "survey.unknown_scale",
            f"scale {framework.satisfaction.scale!r} is not defined under scales "
            f"(defined: {', '.join(framework.scales) or 'none'})",
        )
        return
    sat_scale = framework.scales[framework.satisfaction.scale]
    if not all(isinstance(o.code, int) for o in sat_scale.options):
        report.add(
            join_path(framework.id, "scales", framework.satisfaction.scale),
            "survey.scale_not_numeric",
            "the satisfaction scale needs whole-number codes (1, 2, …) to compute shares and means",
        )


def _check_questions(framework: SurveyFramework, report: ValidationReport) -> None:
    questions = framework.profile + framework.questions
    for code, count in Counter(q.code for q in questions).items():
        if count > 1:
            report.add(
                join_path(framework.id, code), "survey.duplicate_question", f"used {count} times"
            )
    choice_types = {QuestionType.SINGLE, QuestionType.MULTIPLE}
    for q in questions:
        path = join_path(framework.id, "profile" if q.part == "profile" else "questions", q.code)
        if q.scale is not None and q.scale not in framework.scales:
            report.add(
                path, "survey.unknown_scale", f"scale {q.scale!r} is not defined under scales"
            )
        if q.type in choice_types and q.scale is None and not q.options:
            report.add(
                path,
                "survey.question_needs_options",
                f"a {q.type.value} question needs a scale or options",
            )
        if q.min is not None and q.max is not None and q.min > q.max:
            report.add(path, "survey.min_max", f"min {q.min} is greater than max {q.max}")
        _check_text(q.text, path, report)


def _check_index_tree(
    framework: SurveyFramework, items: set[str], report: ValidationReport
) -> None:
    root = framework.id
    used: Counter[str] = Counter()
    node_codes: Counter[str] = Counter()
    for path, node in _index_nodes(framework.satisfaction.index):
        full = join_path(root, "index", path)
        node_codes[node.code] += 1
        has_children, has_items = bool(node.children), bool(node.items)
        if has_children == has_items:
            report.add(
                full,
                "survey.node_shape",
                "an index node needs either children or items (not both, not neither)",
            )
        for code in node.items or []:
            used[code] += 1
            if code not in items:
                report.add(
                    full,
                    "survey.unknown_item",
                    f"item {code!r} is not among the satisfaction items",
                )
    for code, count in node_codes.items():
        if count > 1:
            report.add(
                join_path(root, "index", code),
                "survey.duplicate_node",
                f"index node code used {count} times",
            )
    for code in sorted(items):
        if used[code] == 0:
            report.add(
                join_path(root, "satisfaction", "items", code),
                "survey.item_unused",
                "item is not placed in the index tree: add it to one component's items",
            )
        elif used[code] > 1:
            report.add(
                join_path(root, "satisfaction", "items", code),
                "survey.item_twice",
                f"item is placed {used[code]} times in the index tree; place it once",
            )


def _check_rules(framework: SurveyFramework, report: ValidationReport) -> None:
    scale = framework.scales.get(framework.satisfaction.scale)
    if scale is None:
        return
    codes = {o.code for o in scale.options}
    outside = [c for c in framework.rules.top_box_codes if c not in codes]
    if framework.rules.item_rule is ItemRule.TOP2_BOX and outside:
        report.add(
            join_path(framework.id, "rules", "top_box_codes"),
            "survey.top_box_outside_scale",
            f"top-box codes {outside} are not options of scale {framework.satisfaction.scale!r}",
        )
    if not framework.rules.top_box_codes:
        report.add(
            join_path(framework.id, "rules", "top_box_codes"),
            "survey.top_box_empty",
            "top-box rule needs at least one answer code counted as satisfied",
        )


def _check_text(text: Text, path: str, report: ValidationReport) -> None:
    for lang, value in (("vi", text.vi), ("en", text.en)):
        if not unicodedata.is_normalized("NFC", value):
            report.add(
                path,
                "text.not_nfc",
                f"{lang} wording is not in Unicode NFC form; it will be normalised on import",
                severity="warning",
            )
