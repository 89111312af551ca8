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
