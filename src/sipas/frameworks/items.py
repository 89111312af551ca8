"""Satisfaction items read from a file a framework refers to (``items_file:`` on an index node).

A year's instrument can add items the built-in framework does not know (the 9th policy group of
2023–2024): the framework names the group and a file lists its items, one per row, so the file
can be replaced by the year's own list without editing the framework. Two layouts:

- CSV (UTF-8): a header row with ``code``, ``text_vi``, ``text_en`` and optionally ``paraphrase``,
  ``required``, ``optional`` (true/false, yes/no, 1/0) and ``note`` (kept out of the framework);
  rows are numbered as a spreadsheet shows them (the header is row 1).
- YAML: a list of mappings with the same keys; the n-th entry is row n.

Nothing here raises on bad content: every problem comes back as data, naming the file, the row
and the field, with a text entry (``framework_items.*``) saying what is wrong in both languages.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as _field
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from sipas.messages import Phrase

REQUIRED_COLUMNS = ("code", "text_vi", "text_en")
FLAG_COLUMNS = ("paraphrase", "required", "optional")
COLUMNS = (*REQUIRED_COLUMNS, *FLAG_COLUMNS, "note")
_CODE = re.compile(r"^[A-Za-z0-9_.-]+$")
_TRUE = {"true", "yes", "1", "có"}
_FALSE = {"false", "no", "0", "không", ""}


@dataclass(frozen=True)
class ItemsProblem:
    """One problem of an items file: where (file, row, field) and what (a text entry)."""

    file: str
    row: int | None  # None: the file as a whole
    field: str | None
    key: str  # a text entry, ``framework_items.<what>``
    values: Mapping[str, Any] = _field(default_factory=dict)
    node: str = ""  # the index node whose items_file this is

    @property
    def phrase(self) -> Phrase:
        return Phrase(self.key, **self.values)

    @property
    def missing(self) -> bool:
        return self.key == "framework_items.file_missing"

    def where(self) -> list[str]:
        """The parts of a node path: the file, then ``row N`` and the field where known."""
        parts = [self.file]
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.field is not None:
            parts.append(self.field)
        return parts


Source = Path | Traversable


def _flag(value: Any) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value if value is not None else "").strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    return None


def _nfc(value: Any) -> str:
    return unicodedata.normalize("NFC", str(value if value is not None else "").strip())


def _records(source: Source, name: str) -> tuple[list[tuple[int, dict[str, Any]]], list[str]]:
    """Rows with their numbers and the columns the file names; raises ValueError with a text
    entry key (and its values) on a file that cannot be read as rows at all."""
    data = source.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValueError("framework_items.encoding", {"byte": exc.start}) from None
    if name.lower().endswith((".yaml", ".yml")):
        try:
            raw = yaml.safe_load(text)
        except yaml.YAMLError as exc:
            raise ValueError("framework_items.syntax", {"error": str(exc)}) from None
        if raw is None:
            raw = []
        if not isinstance(raw, list) or not all(isinstance(r, dict) for r in raw):
            raise ValueError("framework_items.not_a_list", {})
        columns: list[str] = []
        for record in raw:
            columns.extend(str(k) for k in record if str(k) not in columns)
        return [(n, {str(k): v for k, v in r.items()}) for n, r in enumerate(raw, 1)], columns
    reader = csv.reader(io.StringIO(text, newline=""))
    rows = list(reader)
    if not rows:
        return [], []
    header = [h.strip() for h in rows[0]]
    out = []
    for n, cells in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in cells):
            continue  # a blank line keeps its number but holds no item
        if len(cells) > len(header):
            raise ValueError("framework_items.long_row", {"row": n, "cells": len(cells)})
        out.append((n, dict(zip(header, cells, strict=False))))
    return out, header


def read_items(
    source: Source, name: str, taken: set[str] | None = None
) -> tuple[list[dict[str, Any]], list[ItemsProblem]]:
    """The items of ``source`` (shown to users as ``name``) as satisfaction-item mappings, and
    every problem found. ``taken`` are item codes the framework already uses."""
    problems: list[ItemsProblem] = []

    def problem(row: int | None, column: str | None, key: str, **values: Any) -> None:
        problems.append(ItemsProblem(name, row, column, f"framework_items.{key}", values))

    if not source.is_file():
        problem(None, None, "file_missing")
        return [], problems
    try:
        records, columns = _records(source, name)
    except ValueError as exc:
        key, values = exc.args
        problems.append(ItemsProblem(name, values.pop("row", None), None, key, values))
        return [], problems
    for column in REQUIRED_COLUMNS:
        if column not in columns:
            problem(1, column, "missing_column", expected=list(REQUIRED_COLUMNS))
    for column in columns:
        if column not in COLUMNS:
            problem(1, column, "unknown_column", allowed=list(COLUMNS))
    if problems:
        return [], problems
    if not records:
        problem(None, None, "no_items")
        return [], problems
    items: list[dict[str, Any]] = []
    first_row: dict[str, int] = {}
    for row, record in records:
        before = len(problems)
        for column in REQUIRED_COLUMNS:
            if not _nfc(record.get(column)):
                problem(row, column, "empty")
        code = _nfc(record.get("code"))
        if code and not _CODE.match(code):
            problem(row, "code", "bad_code", value=code)
        elif code in first_row:
            problem(row, "code", "duplicate", value=code, first=first_row[code])
        elif code and code in (taken or set()):
            problem(row, "code", "taken", value=code)
        flags: dict[str, bool] = {}
        for column in FLAG_COLUMNS:
            if column in record:
                flag = _flag(record[column])
                if flag is None:
                    problem(row, column, "bad_flag", value=_nfc(record[column]))
                else:
                    flags[column] = flag
        if code and code not in first_row:
            first_row[code] = row
        if len(problems) == before:
            text = {"vi": _nfc(record["text_vi"]), "en": _nfc(record["text_en"])}
            items.append({"code": code, "text": text, **flags})
    return (items if not problems else []), problems
