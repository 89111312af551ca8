"""Column names as files spell them → the framework's codes.

Paper-entry files use the codes (``Q9_01``) or the design columns of a responses file
(``respondent_key``, ``interview_date``, …). KoboToolbox exports prefix a question with its groups
(``grp_b/Q9_01``; "/" is Kobo's default group separator) and add metadata (``_uuid``,
``_submission_time``, ``_index``, …); with "select_multiple in separate columns" each option also gets
a column (``Q2/3``). ODK Central's CSV joins groups with "-" (``grp_b-Q9_01``) and adds
``SubmissionDate``, ``KEY``, ``meta-instanceID``, ``ReviewState`` and other metadata. Fields of an
XLSForm exported by sipas carry the framework codes, or a safe name that maps back to them
(:func:`xlsform_name`).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

from sipas.frameworks.model import SurveyFramework, Text
from sipas.text import fold

DESIGN = (
    "respondent_key",
    "province_code",
    "province_key",
    "commune",
    "village",
    "stratum",
    "psu",
    "weight",
    "interview_date",
)
META = ("submission_id", "submitted_at", "started_at", "ended_at")
# Names tools and clerks use for the canonical columns (compared case-insensitively).
ALIASES = {
    "respondent_key": ("respondent_key", "form_id", "ma_phieu", "so_phieu"),
    "interview_date": ("interview_date", "ngay_phong_van", "today"),
    "submission_id": ("_uuid", "key", "instanceid", "meta/instanceid", "meta-instanceid"),
    "submitted_at": ("_submission_time", "submissiondate"),
    "started_at": ("start", "starttime"),
    "ended_at": ("end", "endtime"),
}
# Metadata of Kobo and ODK exports that carry nothing to validate or store.
IGNORED = {
    "_id", "_index", "_validation_status", "_notes", "_status", "_submitted_by", "__version__",
    "_version_", "_tags", "_attachments", "_geolocation", "_parent_index", "_parent_table_name",
    "_submission__id", "_submission__uuid", "formhub/uuid", "meta/rootuuid", "meta/deprecatedid",
    "meta-instancename", "meta/instancename", "deviceid", "username", "simserial", "subscriberid",
    "phonenumber", "submitterid", "submittername", "attachmentspresent", "attachmentsexpected",
    "status", "reviewstate", "edits", "formversion", "audit", "meta-audit",
}  # fmt: skip
_XML_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")


def xlsform_name(code: str) -> str:
    """The XLSForm field name of a framework code (codes that are not XML names get a prefix)."""
    if _XML_NAME.match(code):
        return code
    return "f_" + re.sub(r"[^A-Za-z0-9_]", "_", code)


def framework_columns(framework: SurveyFramework) -> list[str]:
    """Every answer column of a framework: profile, questions (matrix rows), satisfaction items."""
    profile = [q.code for q in framework.profile]
    return profile + framework.question_columns() + framework.item_codes()


@dataclass
class ColumnMap:
    renames: dict[str, str] = field(default_factory=dict)  # file column → canonical
    ignored: list[str] = field(default_factory=list)  # metadata and split select_multiple
    unknown: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (file column, canonical)
    # select_multiple as one 0/1 column per option: question code → [(file column, option)]
    options: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # Headers that are the question's label, not its code (Kobo "Labels" export): (header, code)
    labelled_headers: list[tuple[str, str]] = field(default_factory=list)


def _label_names(framework: SurveyFramework) -> dict[str, str]:
    """Folded question and item texts (vi and en) → code, where a text names one field only."""
    found: dict[str, set[str]] = {}

    def add(text: Text, code: str) -> None:
        for words in (text.vi, text.en):
            if words:
                found.setdefault(fold(words), set()).add(code)

    for question in framework.profile + framework.questions:
        if question.items:
            for sub in question.items:
                add(sub.text, sub.code)
        else:
            add(question.text, question.code)
    for item in framework.satisfaction.items:
        add(item.text, item.code)
    return {text: next(iter(codes)) for text, codes in found.items() if len(codes) == 1 and text}


def map_columns(columns: list[str], framework: SurveyFramework) -> ColumnMap:
    """Which file column is which framework field; what is ignored and what is not known."""
    known = {c.casefold(): c for c in (*DESIGN, *framework_columns(framework))}
    known.update({xlsform_name(c).casefold(): c for c in framework_columns(framework)})
    for canonical, names in ALIASES.items():
        for alias in names:
            known.setdefault(alias, canonical)
    multiple = {
        q.code.casefold(): q.code
        for q in framework.profile + framework.questions
        if q.type == "multiple"
    }
    result = ColumnMap()
    taken: set[str] = set()
    labels = _label_names(framework)
    for column in columns:
        name = str(column).strip()
        folded = name.casefold()
        target = known.get(folded)
        if target is None:
            parts = [p for p in re.split(r"[/-]", folded) if p]
            if len(parts) >= 2 and parts[-2] in multiple:  # Kobo/ODK: a column per option
                result.options.setdefault(multiple[parts[-2]], []).append((column, parts[-1]))
                continue
            target = known.get(parts[-1]) if parts else None
        if target is None:  # a Kobo export "with labels": the question's text as the header
            target = labels.get(fold(name))
            if target is None and "/" in name:  # groups' labels joined with "/"
                target = labels.get(fold(name.rsplit("/", 1)[-1]))
            if target is not None:
                result.labelled_headers.append((name, target))
        if target is None:
            if folded in IGNORED or folded.startswith("_") or folded.startswith("meta"):
                result.ignored.append(name)
            else:
                result.unknown.append(name)
            continue
        if target in taken:
            result.duplicates.append((name, target))
            continue
        taken.add(target)
        result.renames[column] = target
    return result


def header_names(framework: SurveyFramework) -> Callable[[str], bool]:
    """Whether a header cell names a column of the framework (as :func:`map_columns` reads it):
    what finds the sheet and row of a workbook that hold the header."""
    known = {c.casefold() for c in (*DESIGN, *framework_columns(framework))}
    known |= {xlsform_name(c).casefold() for c in framework_columns(framework)}
    known |= {a for names in ALIASES.values() for a in names}

    def knows(name: str) -> bool:
        folded = name.casefold()
        if folded in known:
            return True
        parts = [p for p in re.split(r"[/-]", folded) if p]
        return len(parts) >= 2 and parts[-1] in known

    return knows
