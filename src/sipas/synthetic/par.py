"""A synthetic PAR round: self-assessed and final points per province and leaf. Never official."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.frameworks.model import ParFramework
from sipas.frameworks.validate import scoring_gaps
from sipas.geo.units import Province


def synthetic_par_round(
    framework: ParFramework, provinces: list[Province], year: int, seed: int = 20241
) -> pd.DataFrame:
    """Rows of unit_code, node_code, stage ('self' or 'final'), points; points ≤ each leaf's max."""
    if scoring_gaps(framework):
        raise SipasError(
            "par.not_scorable",
            framework=framework.id,
            nodes=[n.code for _, n in framework.walk() if n.max_points is None],
        )
    rows = []
    for p in provinces:
        rng = np.random.default_rng([seed, 7, year, int(p.code)])
        level = rng.normal(0.87, 0.04)  # a province's general standing
        for leaf in framework.leaves():
            top = float(leaf.max_points or 0.0)
            share = float(np.clip(level + rng.normal(0, 0.05), 0.35, 1.0))
            final = round(top * share, 2)
            claimed = round(min(top, final + abs(rng.normal(0, 0.04)) * top), 2)
            rows.append(
                {"unit_code": p.code, "node_code": leaf.code, "stage": "self", "points": claimed}
            )
            rows.append(
                {"unit_code": p.code, "node_code": leaf.code, "stage": "final", "points": final}
            )
    return pd.DataFrame(rows)


def synthetic_framework(leaves: int = 90, areas: int = 8) -> ParFramework:
    """A made-up 100-point framework of ``areas`` areas and ``leaves`` leaves (criteria with
    sub-criteria), with a tiers, binary, timeliness or points rubric on each leaf in turn.
    For benchmarks and tests of scale; its content means nothing."""
    per_area = [leaves // areas + (1 if a < leaves % areas else 0) for a in range(areas)]
    area_points = [round(100 / areas, 2) for _ in range(areas)]
    area_points[-1] = round(100 - sum(area_points[:-1]), 2)
    nodes: list[dict[str, Any]] = []
    count = 0
    for a, (n_leaves, top) in enumerate(zip(per_area, area_points, strict=True), start=1):
        shares = [round(top / n_leaves, 2) for _ in range(n_leaves)]
        shares[-1] = round(top - sum(shares[:-1]), 2)
        kinds = ("points", "binary", "timeliness", "tiers")
        criteria: dict[int, list[tuple[float, str]]] = {}
        for i, points in enumerate(shares):
            criteria.setdefault(i // 3 + 1, []).append((points, kinds[count % len(kinds)]))
            count += 1
        children = []
        for c, subs in criteria.items():
            kids = []
            for s, (points, kind) in enumerate(subs, start=1):
                rubric: dict[str, Any] = {"kind": kind}
                if kind == "tiers":
                    rubric["tiers"] = [
                        {"min": 90, "points": points, "strict": True},
                        {"min": 70, "points": round(points / 2, 4)},
                    ]
                code = f"{a}.{c}.{s}"
                kids.append(
                    {
                        "code": code,
                        "name": {
                            "vi": f"Tiêu chí thành phần {code}",
                            "en": f"Sub-criterion {code}",
                        },
                        "max_points": points,
                        "method": "self_assessed",
                        "rubric": rubric,
                    }
                )
            children.append(
                {
                    "code": f"{a}.{c}",
                    "name": {"vi": f"Tiêu chí {a}.{c}", "en": f"Criterion {a}.{c}"},
                    "max_points": round(sum(points for points, _ in subs), 2),
                    "children": kids,
                }
            )
        nodes.append(
            {
                "code": str(a),
                "name": {"vi": f"Lĩnh vực {a}", "en": f"Area {a}"},
                "max_points": top,
                "children": children,
            }
        )
    return ParFramework.model_validate(
        {
            "id": "synthetic-par",
            "kind": "par",
            "version": "synthetic",
            "title": {"vi": "Bộ chỉ số giả lập", "en": "Synthetic framework"},
            "provisional": True,
            "groups": [
                {"code": "A", "min_index": 90},
                {"code": "B", "min_index": 80},
                {"code": "C", "min_index": 70},
            ],
            "nodes": nodes,
        }
    )


QUARTER = 4  # leaf maxima are whole quarter points, so sums are exact


def _shares(total: int, weights: list[float], least: int = 1) -> list[int]:
    """``total`` whole units over ``weights`` by largest remainder, each at least ``least``."""
    count = len(weights)
    spare = total - least * count
    if spare < 0:
        raise ValueError(f"{total} units cannot give {count} parts {least} each")
    scale = sum(weights)
    exact = [spare * w / scale for w in weights]
    parts = [int(x) for x in exact]
    order = sorted(range(count), key=lambda i: (-(exact[i] - parts[i]), i))
    for i in order[: spare - sum(parts)]:
        parts[i] += 1
    return [least + p for p in parts]


def _text(vi: str, en: str) -> dict[str, str]:
    return {"vi": vi, "en": en}


def synthetic_criteria_framework(
    base: ParFramework,
    *,
    framework_id: str,
    area_points: dict[str, float],
    criteria: int,
    subcriteria: int,
    survey_points: float,
    sipas_points: float,
    sipas_area: str,
    notes: str,
    sources: list[str],
) -> ParFramework:
    """A scorable SYNTHETIC framework on ``base``'s areas: the areas keep their codes and names,
    take the maxima given (known or stand-ins, as the caller says in ``notes``), and get made-up
    criteria and sub-criteria in the known counts. In each area one criterion is scored by the
    sociological survey; together they hold ``survey_points``, of which one leaf of
    ``sipas_points`` in ``sipas_area`` is fed by SIPAS. Every other leaf is self-assessed, its
    points entered directly. For the demo: its content below the areas means nothing."""
    areas = base.scored_nodes()
    if sorted(area_points) != sorted(a.code for a in areas):
        raise ValueError("give a maximum for every area of the base framework")
    units = {code: round(points * QUARTER) for code, points in area_points.items()}
    if sum(units.values()) != round(base.total_points * QUARTER):
        raise ValueError("the areas' maxima must add up to the framework's total")
    sipas_units = round(sipas_points * QUARTER)
    # Survey points other than the SIPAS leaf, over the areas in proportion to what is left.
    room = {a.code: units[a.code] - (sipas_units if a.code == sipas_area else 0) for a in areas}
    survey = dict(
        zip(
            room,
            _shares(round(survey_points * QUARTER) - sipas_units, list(room.values())),
            strict=True,
        )
    )
    # Criteria: one survey criterion per area, the rest self-assessed in proportion to points.
    self_criteria = _shares(criteria - len(areas), [units[a.code] for a in areas])
    # Sub-criteria: one per survey criterion (two where the SIPAS leaf is), the rest spread
    # over the self-assessed criteria in proportion to their areas' points.
    survey_leaves = len(areas) + 1
    count = {a.code: n for a, n in zip(areas, self_criteria, strict=True)}
    flat = [(code, k) for code, n in count.items() for k in range(n)]
    leaves_of = _shares(
        subcriteria - survey_leaves, [units[code] / count[code] for code, _ in flat]
    )
    per_criterion = dict(zip(flat, leaves_of, strict=True))
    nodes: list[dict[str, Any]] = []
    for area, n_self in zip(areas, self_criteria, strict=True):
        own = units[area.code] - survey[area.code]
        own -= sipas_units if area.code == sipas_area else 0
        criterion_units = _shares(own, [per_criterion[area.code, k] for k in range(n_self)])
        children: list[dict[str, Any]] = []
        for k, c_units in enumerate(criterion_units):
            code = f"{area.code}.{k + 1}"
            leaf_units = _shares(c_units, [1.0] * per_criterion[area.code, k])
            kids = [
                {
                    "code": f"{code}.{s}",
                    "name": _text(
                        f"Tiêu chí thành phần {code}.{s} (giả lập)",
                        f"Sub-criterion {code}.{s} (synthetic)",
                    ),
                    "max_points": u / QUARTER,
                    "method": "self_assessed",
                }
                for s, u in enumerate(leaf_units, start=1)
            ]
            children.append(
                {
                    "code": code,
                    "name": _text(f"Tiêu chí {code} (giả lập)", f"Criterion {code} (synthetic)"),
                    "max_points": c_units / QUARTER,
                    "children": kids,
                }
            )
        code = f"{area.code}.{n_self + 1}"
        kids = [
            {
                "code": f"{code}.1",
                "name": _text(
                    f"Đánh giá qua điều tra xã hội học {code}.1 (giả lập)",
                    f"Assessed by the sociological survey {code}.1 (synthetic)",
                ),
                "max_points": survey[area.code] / QUARTER,
                "method": "survey",
            }
        ]
        if area.code == sipas_area:
            kids.append(
                {
                    "code": f"{code}.2",
                    "name": _text(
                        "Chỉ số hài lòng SIPAS của tỉnh (vị trí giả lập)",
                        "The province's SIPAS (synthetic placement)",
                    ),
                    "max_points": sipas_units / QUARTER,
                    "method": "survey",
                    "rubric": {"kind": "sipas", "indicator": "SIPAS"},
                }
            )
        children.append(
            {
                "code": code,
                "name": _text(
                    f"Tiêu chí {code}: điều tra xã hội học (giả lập)",
                    f"Criterion {code}: sociological survey (synthetic)",
                ),
                "max_points": sum(k["max_points"] for k in kids),
                "children": kids,
            }
        )
        nodes.append(
            {
                "code": area.code,
                "name": area.name.model_dump(),
                "max_points": units[area.code] / QUARTER,
                "children": children,
            }
        )
    return ParFramework.model_validate(
        {
            "id": framework_id,
            "kind": "par",
            "version": f"{base.version} (synthetic criteria)",
            "title": _text(
                f"{base.title.vi} – tiêu chí GIẢ LẬP cho bản trình diễn",
                f"{base.title.en} – SYNTHETIC criteria for the demo",
            ),
            "provisional": True,
            "years": base.years,
            "sources": sources,
            "notes": notes,
            "total_points": base.total_points,
            "levels": [t.model_dump() for t in base.levels],
            "groups": [g.model_dump(exclude_none=True) for g in base.groups],
            "nodes": nodes,
        }
    )


# The demo's scorable frameworks: SYNTHETIC criteria under what is known of the areas of the
# provisional frameworks of QĐ 876 (2022–2023) and QĐ 892 (from 2024). Shipped as built-in files
# (``frameworks/data/<id>.yaml``, written by ``scripts/frameworks/build_demo_par.py``) so that a
# stored campaign finds its framework by id; a test checks the files against these specifications.
_STAND_IN_2017 = "stand-ins: the area maxima of QĐ 2948/QĐ-BNV (2017)"
DEMO_PAR_FRAMEWORKS: dict[str, dict[str, Any]] = {
    "par-province-2022-demo": {
        "base": "par-province-2022",
        # Unknown for QĐ 876: the 2017 maxima stand in for all eight.
        "area_points": {
            "1": 10.0,
            "2": 10.0,
            "3": 14.5,
            "4": 11.0,
            "5": 16.0,
            "6": 7.0,
            "7": 16.0,
            "8": 15.5,
        },
        "criteria": 37,
        "subcriteria": 88,
        "survey_points": 32.0,
        "known": "8 areas (names inferred, as in par-province-2022); 37 criteria; 88 sub-criteria; "
        "100 points; 32 points through the sociological survey",
        "made_up": f"every area maximum ({_STAND_IN_2017})",
        "sources": [
            "QĐ 876/QĐ-BNV ngày 10/11/2022",
            "vietnambiz.vn (công bố PAR INDEX 2022): 8 lĩnh vực, 37 tiêu chí, "
            "88 tiêu chí thành phần, 32 điểm điều tra xã hội học",
        ],
    },
    "par-province-2024-demo": {
        "base": "par-province-2024",
        # Known for QĐ 892: areas 3, 4, 5 and 8; areas 1, 2, 6 and 7 hold 45 points together,
        # split here like the 2017 maxima (10, 10, 7, 16) scaled to 45, to half points.
        "area_points": {
            "1": 10.5,
            "2": 10.5,
            "3": 13.0,
            "4": 10.5,
            "5": 15.0,
            "6": 7.5,
            "7": 16.5,
            "8": 16.5,
        },
        "criteria": 37,
        "subcriteria": 88,
        "survey_points": 32.0,
        "known": "maxima of areas 3, 4, 5 and 8 (13, 10.5, 15, 16.5); areas 1, 2, 6 and 7 hold 45 "
        "points together; 37–38 criteria (37 used); 88 sub-criteria; 32 points through "
        "sociological surveys",
        "made_up": "the maxima of areas 1, 2, 6 and 7 (the 2017 maxima 10, 10, 7 and 16 scaled to "
        "45, to half points)",
        "sources": [
            "QĐ 892/QĐ-BNV ngày 05/12/2024",
            "QĐ 268/QĐ-BNV ngày 28/03/2025 (kết quả năm 2024)",
            "Sơn La 2024: điểm từng lĩnh vực công bố (12,75/13; 10,18/10,5; 14,23/15; 13,14/16,5)",
        ],
    },
}
DEMO_SIPAS_POINTS = 10.0  # SIPAS counts for 10 % of the index
DEMO_SIPAS_AREA = "8"  # impact on people: where this synthetic tree puts the SIPAS leaf


def demo_par_framework(framework_id: str, base: ParFramework) -> ParFramework:
    """The demo framework ``framework_id`` built on ``base`` (its provisional framework)."""
    spec = DEMO_PAR_FRAMEWORKS[framework_id]
    notes = (
        "SYNTHETIC below the known facts, for the demo only: results scored with it are not "
        "official and reproduce no published figure. "
        f"Kept from the sources: {spec['known']}. "
        f"Made up: {spec['made_up']}; every criterion and sub-criterion, their names and points; "
        f"the place of a {DEMO_SIPAS_POINTS:g}-point SIPAS leaf (SIPAS counts for 10% of the "
        f"index) in area {DEMO_SIPAS_AREA}."
    )
    return synthetic_criteria_framework(
        base,
        framework_id=framework_id,
        area_points=spec["area_points"],
        criteria=spec["criteria"],
        subcriteria=spec["subcriteria"],
        survey_points=spec["survey_points"],
        sipas_points=DEMO_SIPAS_POINTS,
        sipas_area=DEMO_SIPAS_AREA,
        notes=notes,
        sources=spec["sources"],
    )
