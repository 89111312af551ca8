"""The survey form as data: its sections and fields from the framework, the answers a form
posted cleaned to the framework's fields, what a respondent left unanswered, and the problems of a
form by field. Pure: no database; :mod:`sipas.api.invitations` stores what these return."""

from __future__ import annotations

from datetime import date
from typing import Any

import pandas as pd

from sipas.errors import plain
from sipas.frameworks.model import Question, QuestionType, SurveyFramework
from sipas.geo.units import REFORM_DAY
from sipas.ingest.problems import Problem
from sipas.ingest.validate import Validator

DESIGN_FIELDS = ("province", "district", "commune", "village")
MAX_FIELD = 2_000  # characters kept of one typed answer


def _options(framework: SurveyFramework, question: Question, lang: str) -> list[dict[str, str]]:
    return [
        {"code": str(o.code), "label": o.label.get(lang)} for o in framework.options_of(question)
    ]


def _field(framework: SurveyFramework, question: Question, lang: str) -> dict[str, Any]:
    kind = "text" if question.type is QuestionType.GEOGRAPHY else str(question.type)
    if kind == "yes_no":
        kind = "single"
    field: dict[str, Any] = {
        "name": question.code,
        "label": question.text.get(lang),
        "kind": kind,
        "required": question.required,
        "options": _options(framework, question, lang),
        "min": question.min,
        "max": question.max,
        "rows": [],
    }
    if question.items:
        field["rows"] = [{"name": s.code, "label": s.text.get(lang)} for s in question.items]
    return field


def form_sections(
    framework: SurveyFramework, lang: str, audience: str = "respondent"
) -> list[dict[str, Any]]:
    """The questionnaire as sections of fields, in the framework's order and the asked language.

    A respondent is not asked where they live (the invitation says so); a clerk types it from
    the paper form. Districts are asked only while they existed (before 2025-07-01).
    """
    skipped = set(DESIGN_FIELDS) if audience == "respondent" else set()
    if date.today() >= REFORM_DAY and audience == "respondent":
        skipped.add("district")
    titles = {
        "profile": ("Thông tin người trả lời", "About you"),
        "assessment": ("Đánh giá", "Assessment"),
        "expectation": ("Mong đợi", "Expectations"),
        "other": ("Ý kiến khác", "Other comments"),
        "satisfaction": ("Mức độ hài lòng", "Satisfaction"),
    }

    def title(key: str) -> str:
        return titles[key][1 if lang == "en" else 0]

    sections = [
        {
            "key": "profile",
            "title": title("profile"),
            "fields": [
                _field(framework, q, lang) for q in framework.profile if q.code not in skipped
            ],
        }
    ]
    for part in ("assessment", "expectation", "other"):
        fields = [_field(framework, q, lang) for q in framework.questions if q.part == part]
        if fields:
            sections.append({"key": part, "title": title(part), "fields": fields})
    scale = framework.scales[framework.satisfaction.scale].options
    options = [{"code": str(o.code), "label": o.label.get(lang)} for o in scale]
    sections.append(
        {
            "key": "satisfaction",
            "title": title("satisfaction"),
            "fields": [
                {
                    "name": item.code,
                    "label": item.text.get(lang),
                    "kind": "single",
                    "required": item.required and audience == "respondent",
                    "options": options,
                    "min": None,
                    "max": None,
                    "rows": [],
                }
                for item in framework.satisfaction.items
            ],
        }
    )
    return sections


def field_names(sections: list[dict[str, Any]]) -> list[str]:
    """Every input of the form: a matrix question gives one per row."""
    names: list[str] = []
    for section in sections:
        for field in section["fields"]:
            names.extend(r["name"] for r in field["rows"]) if field["rows"] else names.append(
                field["name"]
            )
    return names


def field_labels(sections: list[dict[str, Any]]) -> dict[str, str]:
    """Every input of the form named by its question's text, as people read it (a matrix row by
    its question's text and its own): what a problem on the form names instead of a code."""
    labels: dict[str, str] = {}
    for section in sections:
        for field in section["fields"]:
            labels[field["name"]] = field["label"]
            for row in field["rows"]:
                labels[row["name"]] = f"{field['label']} – {row['label']}"
    return labels


def clean_answers(given: dict[str, Any], names: list[str]) -> dict[str, str]:
    """The form's values for known fields, as text (several choices joined with ';')."""
    out: dict[str, str] = {}
    for name in names:
        value = given.get(name)
        if isinstance(value, (list, tuple)):
            value = ";".join(str(v).strip() for v in value if str(v).strip())
        if value is None:
            continue
        text = str(value).strip()[:MAX_FIELD]
        if text:
            out[name] = text
    return out


def unanswered(
    framework: SurveyFramework, sections: list[dict[str, Any]], answers: dict[str, str]
) -> dict[str, list[dict[str, Any]]]:
    """What a respondent's form lacks, by field: each required question left blank, named by its
    text (a matrix row by its question's text and its own), and the form as a whole (field "")
    when it answers fewer satisfaction items than ``satisfaction.min_answered``."""
    from sipas.messages import render

    def problem(code: str, **values: Any) -> dict[str, Any]:
        message, hint = render(code, values, "en")
        return {"code": code, "values": values, "message": message, "hint": hint}

    found: dict[str, list[dict[str, Any]]] = {}
    labels = field_labels(sections)
    for section in sections:
        for field in section["fields"]:
            if not field["required"]:
                continue
            for name in [r["name"] for r in field["rows"]] or [field["name"]]:
                if not answers.get(name):
                    found[name] = [problem("survey.unanswered", question=labels[name])]
    if not answers:
        found[""] = [problem("survey.blank_form")]
        return found
    items = framework.item_codes()
    needed = min(framework.satisfaction.min_answered, len(items))
    answered = sum(1 for code in items if answers.get(code))
    if answered < needed:
        found[""] = [problem("survey.too_few_answers", answered=answered, needed=needed)]
    return found


def problems_by_field(problems: list[Problem]) -> dict[str, list[dict[str, Any]]]:
    found: dict[str, list[dict[str, Any]]] = {}
    for p in problems:
        found.setdefault(p.field or "", []).append(
            {"code": p.code, "values": plain(dict(p.values)), "message": p.message, "hint": p.hint}
        )
    return found


def validate_form(
    framework: SurveyFramework, row: dict[str, str], source: str
) -> tuple[Any, list[Problem]]:
    """One form checked by the import path's validator: (the checked chunk, its errors)."""
    frame = pd.DataFrame([row], dtype=object, index=pd.RangeIndex(1))
    validator = Validator(framework, source, list(frame.columns))
    checked = validator.check(frame)
    errors = [p for p in validator.problems if p.severity == "error"]
    errors += checked.errors.get(0, [])
    return checked, errors


# -- respondents -----------------------------------------------------------------------------
