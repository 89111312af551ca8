"""The methodology annex and the glossary: every rule and assumption behind the numbers, stated
from the rules the estimation actually used (the framework's rules and the run's options), and the
statistical terms in plain words — every sentence from the text catalogue
(``messages/data/text/report.yaml``), in the report's language.
"""

from __future__ import annotations

from typing import Any

from sipas.reports.format import label

ITEM_RULES = ("top2_box", "rescaled_mean")
BLANK_RULES = ("exclude", "as_not_satisfied")
NATIONAL_RULES = ("mean_of_provinces", "pooled")
# The rules after the framework's own A1–A5, numbered on: (id, catalogue key)
_FIXED = (
    ("A6", "method.weights"),
    ("A7", "method.se"),
    ("A8", "method.rank"),
    ("A9", "method.group"),
    ("A10", "method.region"),
    ("A11", "method.change"),
    ("A12", "unstable_note"),
    ("A13", "method.round"),
)
# The terms a leader meets in the reports, explained in plain words
GLOSSARY = ("ci", "significant", "rank_interval", "deff", "top2", "replicates", "se")


def _pick(value: Any, known: tuple[str, ...]) -> str:
    return str(value) if str(value) in known else known[0]


def statements(
    lang: str, rules: dict[str, Any], options: dict[str, Any], assumptions: dict[str, str]
) -> list[dict[str, str]]:
    """(id, text) of every rule: ``rules`` as the framework declares them, ``options`` as the
    run was estimated, ``assumptions`` the framework's own notes. The notes are written in
    English: quoted in an English report, named (not quoted) in a Vietnamese one."""
    codes = f" {label('method.or', lang)} ".join(str(c) for c in rules.get("top_box_codes", [4, 5]))
    values = {
        "codes": codes,
        "weight": options.get("weight", "weight"),
        "strata": options.get("strata") or "–",
        "psu": options.get("psu") or "–",
        "method": options.get("method", "bootstrap"),
        "replicates": options.get("replicates", ""),
        "seed": options.get("seed", ""),
    }
    chosen = [
        ("A1", f"method.A1.{_pick(rules.get('item_rule'), ITEM_RULES)}"),
        ("A2", f"method.A2.{_pick(rules.get('blanks'), BLANK_RULES)}"),
        ("A3", "method.A3"),
        ("A4", "method.A4"),
        ("A5", f"method.A5.{_pick(rules.get('national'), NATIONAL_RULES)}"),
        *_FIXED,
    ]
    found = [{"id": key, "text": label(name, lang, **values)} for key, name in chosen]
    if not assumptions:
        return found
    ids = ", ".join(sorted(assumptions))
    if lang != "en":
        found.append({"id": "*", "text": label("method.framework_notes_elsewhere", lang, ids=ids)})
        return found
    note = label("method.framework_note", lang)
    found += [
        {"id": f"{key}*", "text": f"{note}: {text}"} for key, text in sorted(assumptions.items())
    ]
    return found


def glossary(lang: str) -> list[dict[str, str]]:
    """(term, text) of every term the glossary explains, in the report's language."""
    return [
        {
            "key": key,
            "term": label(f"glossary.{key}.term", lang),
            "text": label(f"glossary.{key}.text", lang),
        }
        for key in GLOSSARY
    ]
