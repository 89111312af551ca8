"""A survey framework as an XLSForm (survey, choices, settings), for ODK and KoboToolbox teams.

Labels in Vietnamese (the default language) and English; ``required`` from the framework;
constraints for integer ranges, province codes and interview dates; relevance for the district,
which is asked only for interviews before 2025-07-01. Field names are the framework's codes
(:func:`sipas.ingest.columns.xlsform_name`), so an export from ODK or Kobo maps straight back.
"""

from __future__ import annotations

from typing import Any

from sipas.frameworks.model import Option, Question, QuestionType, SurveyFramework, Text
from sipas.ingest.columns import xlsform_name

VI = "label::Tiếng Việt (vi)"
EN = "label::English (en)"
HINT_VI = "constraint_message::Tiếng Việt (vi)"
HINT_EN = "constraint_message::English (en)"
DISTRICT_RELEVANCE = "${interview_date} < date('2025-07-01')"


def _row(kind: str, name: str, text: Text | None = None, **extra: Any) -> dict[str, Any]:
    row: dict[str, Any] = {"type": kind, "name": name, VI: "", EN: ""}
    if text is not None:
        row[VI] = text.vi
        row[EN] = text.en
    row.update(extra)
    return row


def xlsform_sheets(framework: SurveyFramework) -> dict[str, list[dict[str, Any]]]:
    """The three sheets as lists of rows (column → cell)."""
    survey: list[dict[str, Any]] = [
        _row("start", "start"),
        _row("end", "end"),
        _row("text", "respondent_key", Text(vi="Số phiếu", en="Form number"), required="yes"),
        _row(
            "date",
            "interview_date",
            Text(vi="Ngày phỏng vấn", en="Interview date"),
            required="yes",
            constraint=". <= today()",
            **{HINT_VI: "Ngày không được ở tương lai", HINT_EN: "The date cannot be in the future"},
        ),
    ]
    choices: dict[str, list[Option]] = {}
    survey.append(
        _row("begin_group", "profile", Text(vi="Thông tin người trả lời", en="Respondent"))
    )
    for question in framework.profile:
        survey.extend(_question_rows(framework, question, choices))
    survey.append(_row("end_group", "profile"))
    survey.append(_row("begin_group", "questions", Text(vi="Câu hỏi", en="Questions")))
    for question in framework.questions:
        survey.extend(_question_rows(framework, question, choices))
    survey.append(_row("end_group", "questions"))
    scale = framework.satisfaction.scale
    choices[scale] = framework.scales[scale].options
    survey.append(
        _row("begin_group", "satisfaction", Text(vi="Mức độ hài lòng", en="Satisfaction"),
             appearance="field-list")
    )  # fmt: skip
    for item in framework.satisfaction.items:
        survey.append(_row(f"select_one {scale}", xlsform_name(item.code), item.text))
    survey.append(_row("end_group", "satisfaction"))
    choice_rows = [
        {"list_name": name, "name": str(option.code), VI: option.label.vi, EN: option.label.en}
        for name, options in choices.items()
        for option in options
    ]
    settings = [
        {
            "form_title": framework.title.vi,
            "form_id": xlsform_name(framework.id.replace(".", "_").replace("-", "_")),
            "version": framework.version,
            "default_language": "Tiếng Việt (vi)",
        }
    ]
    return {"survey": survey, "choices": choice_rows, "settings": settings}


def _question_rows(
    framework: SurveyFramework, question: Question, choices: dict[str, list[Option]]
) -> list[dict[str, Any]]:
    extra: dict[str, Any] = {"required": "yes" if question.required else ""}
    kind = _kind(framework, question, choices)
    if question.type is QuestionType.INTEGER and (
        question.min is not None or question.max is not None
    ):
        parts = []
        if question.min is not None:
            parts.append(f". >= {question.min}")
        if question.max is not None:
            parts.append(f". <= {question.max}")
        extra["constraint"] = " and ".join(parts)
        extra[HINT_VI] = f"Từ {question.min} đến {question.max}"
        extra[HINT_EN] = f"From {question.min} to {question.max}"
    if question.code == "province":
        extra["constraint"] = "regex(., '^[0-9]{2}$')"
        extra[HINT_VI] = "Mã tỉnh gồm 2 chữ số"
        extra[HINT_EN] = "Two-digit province code"
    if question.code == "district":
        extra["relevance"] = DISTRICT_RELEVANCE
    if not question.items:
        return [_row(kind, xlsform_name(question.code), question.text, **extra)]
    rows = [
        _row("begin_group", xlsform_name(question.code), question.text, appearance="field-list")
    ]
    for sub in question.items:
        label = Text(vi=sub.text.vi, en=sub.text.en)
        rows.append(_row(kind, xlsform_name(sub.code), label, **extra))
    rows.append(_row("end_group", xlsform_name(question.code)))
    return rows


def _kind(framework: SurveyFramework, question: Question, choices: dict[str, list[Option]]) -> str:
    options = framework.options_of(question)
    if (
        question.type in (QuestionType.SINGLE, QuestionType.YES_NO, QuestionType.MULTIPLE)
        and options
    ):
        name = question.scale or f"{xlsform_name(question.code)}_options"
        choices[name] = options
        prefix = "select_multiple" if question.type is QuestionType.MULTIPLE else "select_one"
        return f"{prefix} {name}"
    return {
        QuestionType.INTEGER: "integer",
        QuestionType.DATE: "date",
    }.get(question.type, "text")
