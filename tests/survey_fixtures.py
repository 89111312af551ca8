"""Small survey frameworks and designs shared by the estimation tests."""

from __future__ import annotations

from sipas.frameworks.model import SurveyFramework

ITEMS = [f"q{k}" for k in range(1, 7)]


def small_framework(rule: str = "top2", items: list[str] | None = None) -> SurveyFramework:
    """Items in two components under one index, scored top-2-box or as a rescaled mean."""
    codes = items or ITEMS
    half = max(1, len(codes) // 2)
    text = {"vi": "x", "en": "x"}
    return SurveyFramework.model_validate(
        {
            "kind": "survey",
            "id": "reference",
            "version": "1",
            "title": text,
            "scales": {"s5": {"options": [{"code": c, "label": text} for c in range(1, 6)]}},
            "satisfaction": {
                "scale": "s5",
                "items": [{"code": q, "text": text} for q in codes],
                "index": {
                    "code": "ALL",
                    "name": text,
                    "children": [
                        {"code": "a", "name": text, "items": codes[:half]},
                        {"code": "b", "name": text, "items": codes[half:]},
                    ],
                },
            },
            "rules": {"item_rule": "top2_box" if rule == "top2" else "rescaled_mean"},
        }
    )
