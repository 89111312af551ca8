"""Validating survey rows against a framework, chunk by chunk, vectorised.

Each check names the rows it fails. A row with an ``error`` is quarantined with all its reasons;
``flag`` problems (straight-lining, implausibly fast completion) never reject a row. State that
spans chunks (respondent keys and fingerprints already seen) lives in the :class:`Validator`, so
a duplicate is found wherever it is in the file.
"""

from __future__ import annotations

import functools
import hashlib
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.frameworks.model import Option, Question, QuestionType, SurveyFramework
from sipas.geo.names import former_province, match_province
from sipas.geo.units import REFORM_DAY, Province, all_provinces, successor_of
from sipas.ingest.columns import DESIGN, META, ColumnMap, framework_columns, map_columns
from sipas.ingest.problems import Problem, shown
from sipas.ingest.readers import SHAPE
from sipas.text import fold

_TRUE = ["1", "1.0", "True", "true", "TRUE"]
MAX_TEXT = 2_000  # characters of a free-text answer
MAX_CODE = {"respondent_key": 80, "commune": 40, "village": 40, "stratum": 40, "psu": 40}
SECONDS_PER_ANSWER = 3.0  # completion faster than this per answered field is flagged
STRAIGHT_LINE_MIN = 10  # answered satisfaction items needed to call a row straight-lined


@dataclass(frozen=True)
class Options:
    period: tuple[date, date] | None = None  # fieldwork period; None = not checked
    today: date | None = None  # interviews after this day are refused (default: today)
    seconds_per_answer: float = SECONDS_PER_ANSWER
    # Rows identified by something other than their answers (a web respondent by the invitation)
    # skip the search for a form entered twice under another number: the answers' fingerprint.
    fingerprints: bool = True
    # Answer columns the user allows a file to leave out (recorded with the import batch).
    allow_missing: frozenset[str] = frozenset()


@dataclass
class Checked:
    """A validated chunk: canonical rows, and each row's problems."""

    frame: pd.DataFrame  # canonical columns, typed for storage, every input row
    errors: dict[int, list[Problem]] = field(default_factory=dict)  # position → reasons
    flags: list[Problem] = field(default_factory=list)
    fingerprints: np.ndarray | None = None

    @property
    def accepted(self) -> np.ndarray:
        mask = np.ones(len(self.frame), dtype=bool)
        mask[list(self.errors)] = False
        return mask


@dataclass
class Rows:
    """A chunk checked on its own (:meth:`Validator.check_rows`): what :meth:`Validator.seen`
    needs to finish it."""

    checked: Checked
    keys: list[str | None]  # each row's respondent key (None: missing)
    rows: list[int]  # each row's number in the file
    labelled: set[str]  # columns where answers were written as labels


def _codes(options: list[object]) -> dict[str, object]:
    return {str(o): o for o in options}


class Validator:
    """Checks chunks of one file against one framework."""

    def __init__(
        self,
        framework: SurveyFramework,
        file: str,
        columns: list[str],
        options: Options | None = None,
        bad_shape: dict[int, int] | None = None,
        cut: dict[int, str] | None = None,
        row_problems: dict[int, list[tuple[str, str, dict[str, Any]]]] | None = None,
    ) -> None:
        self.framework = framework
        self.file = file
        self.options = options or Options()
        self.columns: ColumnMap = map_columns(columns, framework)
        self.problems: list[Problem] = []  # file-level
        self.bad_shape = bad_shape if bad_shape is not None else {}
        self.cut = cut if cut is not None else {}  # rows cut short or with a quote left open
        self.row_problems = row_problems or {}  # cells found bad while reading (a formula)
        self.width = len(columns)
        self.source_columns = list(columns)
        self.seen_keys: dict[str, int] = {}
        self.seen_prints: dict[int, int] = {}
        self.questions = {q.code: q for q in framework.profile + framework.questions}
        scale = framework.scales[framework.satisfaction.scale].options
        self.item_scale = _codes([o.code for o in scale])
        self.item_labels = _labels(scale)
        self.labelled: set[str] = set()  # columns where answers were written as labels
        self.new_problems: list[Problem] = []  # file-level problems found while checking rows
        present = set(self.columns.renames.values()) | set(self.columns.options)
        self.missing_required = [
            c
            for c in self._required_columns()
            if c not in present and not self._derivable(c, present)
        ]
        self.missing_answers = [
            c
            for c in framework_columns(framework)
            if c not in present
            and c not in self.missing_required
            and not self._optional(c)
            and c not in self.options.allow_missing
        ]
        self._file_problems(present)

    # -- file level -------------------------------------------------------------------------
    def _optional(self, column: str) -> bool:
        question = self.questions.get(column) or self._matrix_question(column)
        if question is not None:
            return question.optional and not question.required
        item = next((i for i in self.framework.satisfaction.items if i.code == column), None)
        return item is not None and item.optional

    def _required_columns(self) -> list[str]:
        required = ["province", "interview_date"]
        required += [q.code for q in self.questions.values() if q.required and not q.items]
        return list(dict.fromkeys(required))

    def _derivable(self, column: str, present: set[str]) -> bool:
        if column == "province":
            return "province_code" in present
        if column == "interview_date":
            return "started_at" in present or "submitted_at" in present
        return False

    def _file_problems(self, present: set[str]) -> None:
        add = self.problems.append
        for column in self.missing_required:
            if self.width <= 1:
                add(Problem(self.file, None, column, "ingest.one_column", {"column": column}))
            else:
                add(Problem(self.file, None, column, "ingest.missing_column", {"column": column}))
        if self.columns.labelled_headers:
            names = ", ".join(f"{h!r} → {c}" for h, c in self.columns.labelled_headers[:5])
            add(Problem(self.file, None, None, "ingest.label_headers",
                        {"count": len(self.columns.labelled_headers),
                         "names": names + (" …" if len(self.columns.labelled_headers) > 5 else "")},
                        "warning"))  # fmt: skip
        if self.columns.unknown:
            add(Problem(self.file, None, ", ".join(self.columns.unknown[:20]), "ingest.unknown_column",
                        {"count": len(self.columns.unknown), "framework": self.framework.id},
                        "warning"))  # fmt: skip
        for name, target in self.columns.duplicates:
            add(Problem(self.file, None, name, "ingest.duplicate_column",
                        {"column": name, "target": target}, "warning"))  # fmt: skip
        for column in self.missing_answers:
            like = _closest(column, self.columns.unknown)
            if like is None:
                add(Problem(self.file, None, column, "ingest.missing_answer_column",
                            {"column": column, "framework": self.framework.id}))  # fmt: skip
            else:
                add(Problem(self.file, None, column, "ingest.misspelt_column",
                            {"column": column, "like": like}))  # fmt: skip
        rebuilt = set(self.columns.options)
        absent = [
            c for c in framework_columns(self.framework) if c not in present and c not in rebuilt
        ]
        if absent and not self.missing_required and not self.missing_answers:
            add(Problem(self.file, None, ", ".join(absent[:20]) + (" …" if len(absent) > 20 else ""),
                        "ingest.absent_column", {"count": len(absent)}, "warning"))  # fmt: skip
        if "weight" not in present:
            add(Problem(self.file, None, "weight", "ingest.no_weight", {}, "warning"))

    # -- rows ---------------------------------------------------------------------------------
    def check(self, chunk: pd.DataFrame) -> Checked:
        """Every check of a chunk, duplicates of earlier chunks included."""
        return self.seen(self.check_rows(chunk))

    def check_rows(self, chunk: pd.DataFrame) -> Rows:
        """The checks of a chunk that need no other chunk (any process can run them); then
        :meth:`seen`, in file order, finds the rows seen before and returns the checked chunk."""
        raw = chunk.rename(columns=self.columns.renames)
        raw = raw.loc[:, [c for c in raw.columns if c in set(self.columns.renames.values())]]
        raw = raw.loc[:, ~raw.columns.duplicated()]
        raw = self._from_option_columns(chunk, raw)
        n = len(chunk)
        index = chunk.index
        found = _Found(self.file, index, n)
        out: dict[str, pd.Series] = {}

        def get(column: str) -> pd.Series:
            return _text(raw, column, n, index)

        if self.missing_required or self.missing_answers:
            column = (self.missing_required or self.missing_answers)[0]
            found.add(np.ones(n, bool), column, "ingest.missing_column",
                      lambda i: {"column": column})  # fmt: skip
        if self.bad_shape:
            positions = list(self.bad_shape)
            where = index.get_indexer(positions)
            for position, at in zip(positions, where.tolist(), strict=True):
                if at < 0:
                    continue
                mask = np.zeros(n, bool)
                mask[at] = True
                shape = {"cells": self.bad_shape[position], "width": self.width}
                code = self.cut.get(position, SHAPE)
                found.add(mask, None, code, lambda i, v=shape: v)  # type: ignore[misc]
        if self.row_problems:
            positions = list(self.row_problems)
            for position, at in zip(positions, index.get_indexer(positions).tolist(), strict=True):
                if at < 0:
                    continue
                mask = np.zeros(n, bool)
                mask[at] = True
                for column, problem, values in self.row_problems[position]:
                    target = self.columns.renames.get(column, column)
                    shown_values = {**values, "field": target}
                    found.add(mask, target, problem, lambda i, v=shown_values: v)  # type: ignore[misc]
        day = self._dates(get, found, out)
        self._province(get, day, found, out)
        for code in framework_columns(self.framework):
            if code == "province":
                continue
            self._answer(code, get(code), found, out)
        self._skips(day, found, out)
        self._design(get, found, out, n, index)
        keys, prints = self._keys(raw, out, found)
        self._flags(raw, out, day, found)
        frame = pd.DataFrame(out, index=index)
        checked = Checked(frame, found.errors, found.flags, prints)
        return Rows(checked, keys, found.file_rows(), found.labelled)

    def seen(self, rows: Rows) -> Checked:
        """A chunk's rows whose form number, or whose answers, came before (in this chunk or an
        earlier one) are duplicates of the first; columns written as labels are noted once."""
        checked = rows.checked
        keys = rows.keys
        prints = checked.fingerprints
        assert prints is not None
        found = _Found(self.file, pd.RangeIndex(0), len(keys))
        found.errors = checked.errors
        found._rows = rows.rows
        first_key: dict[int, int] = {}
        first_print: dict[int, int] = {}
        for i, (k, p) in enumerate(zip(keys, prints.tolist(), strict=True)):
            if k is None:
                continue
            if k in self.seen_keys:
                first_key[i] = self.seen_keys[k]
            else:
                self.seen_keys[k] = rows.rows[i]
                if not self.options.fingerprints:
                    continue
                if p in self.seen_prints:
                    first_print[i] = self.seen_prints[p]
                else:
                    self.seen_prints[p] = rows.rows[i]
        found.add_rows(first_key, "respondent_key", "ingest.duplicate_id",
                       lambda i, r: {"key": shown(keys[i]), "first": r})  # fmt: skip
        found.add_rows(first_print, None, "ingest.duplicate_respondent",
                       lambda i, r: {"first": r})  # fmt: skip
        self._labelled(rows.labelled)
        return checked

    def _labelled(self, columns: set[str]) -> None:
        for column in sorted(columns - self.labelled):
            self.labelled.add(column)
            self.new_problems.append(
                Problem(self.file, None, column, "ingest.labels_as_codes", {"column": column},
                        "warning")
            )  # fmt: skip

    def _from_option_columns(self, chunk: pd.DataFrame, raw: pd.DataFrame) -> pd.DataFrame:
        """A select_multiple exported only as 0/1 columns per option, joined back: "1;3"."""
        missing = {q: cols for q, cols in self.columns.options.items() if q not in raw.columns}
        if not missing:
            return raw
        raw = raw.copy()
        for question, columns in missing.items():
            picked = np.column_stack(
                [chunk[c].astype(object).isin(_TRUE).to_numpy() for c, _ in columns]
            )
            options = [option for _, option in columns]
            raw[question] = [
                ";".join(o for o, on in zip(options, row, strict=True) if on) or None
                for row in picked.tolist()
            ]
        return raw

    def _dates(
        self, get: Callable[[str], pd.Series], found: _Found, out: dict[str, pd.Series]
    ) -> pd.Series:
        text = get("interview_date")
        for fallback in ("started_at", "submitted_at"):
            text = text.fillna(get(fallback).str.slice(0, 10))
        day = parse_dates(text)
        found.add(text.isna().to_numpy(), "interview_date", "ingest.required",
                  lambda i: {"field": "interview_date"})  # fmt: skip
        bad = (text.notna() & day.isna()).to_numpy()
        found.add(bad, "interview_date", "ingest.bad_date",
                  lambda i: {"field": "interview_date", "value": shown(text.iloc[i])})  # fmt: skip
        today = pd.Timestamp(self.options.today or date.today())
        found.add((day > today).to_numpy(), "interview_date", "ingest.future_date",
                  lambda i: {"day": day.iloc[i].date().isoformat()})  # fmt: skip
        if self.options.period:
            start, end = (pd.Timestamp(d) for d in self.options.period)
            outside = ((day < start) | (day > end)).to_numpy() & ~bad & ~text.isna().to_numpy()
            found.add(outside, "interview_date", "ingest.outside_period",
                      lambda i: {"day": day.iloc[i].date().isoformat(),
                                 "start": start.date().isoformat(), "end": end.date().isoformat()})  # fmt: skip
        out["interview_date"] = day.dt.date.astype(object).where(day.notna(), None)
        return day

    def _province(self, get: Callable[[str], pd.Series], day: pd.Series, found: _Found,
                  out: dict[str, pd.Series]) -> None:  # fmt: skip
        text = get("province").fillna(get("province_code"))
        code = pd.Series(None, index=text.index, dtype=object)
        key = pd.Series(None, index=text.index, dtype=object)
        unknown = np.zeros(len(text), bool)
        invalid = np.zeros(len(text), bool)
        reasons: dict[int, tuple[str, str | None]] = {}
        has_day = day.notna().to_numpy()
        for value in text.dropna().unique():
            rows = (text == value).fillna(False).to_numpy()
            matched = self._province_matches(str(value), day[rows & has_day])
            if matched is None:
                unknown |= rows
                continue
            for p in matched:
                ok = rows & has_day & (day >= pd.Timestamp(p.valid_from)).to_numpy()
                if p.valid_to is not None:
                    ok &= (day <= pd.Timestamp(p.valid_to)).to_numpy()
                code[ok] = p.code
                key[ok] = p.key
            bad = rows & has_day & code.isna().to_numpy()
            if bad.any():
                invalid |= bad
                periods = "; ".join(f"{p.label()} {p.period()}" for p in matched)
                for i in np.flatnonzero(bad):
                    reasons[int(i)] = (periods, _successor(matched, day.iloc[int(i)]))
        found.add(text.isna().to_numpy(), "province", "ingest.required",
                  lambda i: {"field": "province"})  # fmt: skip
        former = np.zeros(len(text), bool)
        if unknown.any():
            for value in text[unknown].dropna().unique():
                was = former_province(str(value))
                if was is None:
                    continue
                rows = (text == value).fillna(False).to_numpy()
                former |= rows
                values = {"value": shown(value), "ended": was.ended.isoformat(),
                          "successors": was.successor_labels()}  # fmt: skip
                found.add(
                    rows,
                    "province",
                    "ingest.geo_former_merged"
                    if was.how == "merged"
                    else "ingest.geo_former_split",
                    lambda i, v=values: v,  # type: ignore[misc]
                )
        found.add(unknown & ~former, "province", "ingest.geo_unknown",
                  lambda i: {"value": shown(text.iloc[i])})  # fmt: skip
        merged = np.asarray(
            [reasons.get(i, ("", None))[1] is not None for i in range(len(text))], dtype=bool
        )
        for problem, chosen in (("ingest.geo_not_valid_on_date", invalid & ~merged),
                                ("ingest.geo_merged", invalid & merged)):  # fmt: skip
            found.add(chosen, "province", problem,
                      lambda i: {"value": shown(text.iloc[i]), "day": day.iloc[i].date().isoformat(),
                                 "periods": reasons[i][0]}
                      | ({"successor": reasons[i][1]} if reasons[i][1] is not None else {}))  # fmt: skip
        out["province"] = code
        out["province_code"] = code
        out["province_key"] = key

    def _province_matches(self, value: str, days: pd.Series) -> list[Province] | None:
        value = value.strip()
        digits = value[:-2] if value.endswith(".0") else value
        if digits.isdigit():
            return _provinces_with_code(digits.zfill(2))
        found = []
        for day in sorted(set(days.dt.date.dropna())) or [REFORM_DAY]:
            try:
                found.append(match_province(value, day))
            except SipasError:
                continue
        if not found:  # a name of the other geography: matched where it was valid
            for day in (REFORM_DAY - timedelta(days=1), REFORM_DAY):
                try:
                    found.append(match_province(value, day))
                except SipasError:
                    continue
        unique = {p.key: p for p in found}
        return list(unique.values()) or None

    def _answer(self, code: str, text: pd.Series, found: _Found, out: dict[str, pd.Series]) -> None:
        question = self.questions.get(code) or self._matrix_question(code)
        if question is None:  # a satisfaction item
            out[code] = _coded(code, text, self.item_scale, found, self.item_labels)
            return
        if question.required:
            found.add(text.isna().to_numpy(), code, "ingest.required", lambda i: {"field": code})
        kind = question.type
        allowed = _codes([o.code for o in self.framework.options_of(question)])
        if kind in (QuestionType.SINGLE, QuestionType.YES_NO) and allowed:
            labels = _labels(self.framework.options_of(question))
            out[code] = _coded(code, text, allowed, found, labels)
        elif kind is QuestionType.MULTIPLE and allowed:
            labels = _labels(self.framework.options_of(question))
            out[code] = _multiple(code, text, allowed, found, labels)
        elif kind is QuestionType.INTEGER:
            out[code] = _integer(code, text, question, found)
        elif kind is QuestionType.DATE:
            parsed = parse_dates(text)
            found.add((text.notna() & parsed.isna()).to_numpy(), code, "ingest.bad_date",
                      lambda i: {"field": code, "value": shown(text.iloc[i])})  # fmt: skip
            out[code] = parsed.dt.strftime("%Y-%m-%d").astype(object).where(parsed.notna(), None)
        else:
            limit = MAX_CODE.get(code, MAX_TEXT)
            long = (text.str.len() > limit).fillna(False).to_numpy()
            found.add(long, code, "ingest.too_long",
                      lambda i: {"field": code, "value": shown(text.iloc[i]),
                                 "length": len(text.iloc[i]), "limit": limit})  # fmt: skip
            out[code] = text

    def _matrix_question(self, code: str) -> Question | None:
        for question in self.questions.values():
            if question.items and any(sub.code == code for sub in question.items):
                return question
        return None

    def _skips(self, day: pd.Series, found: _Found, out: dict[str, pd.Series]) -> None:
        """Answers to items that do not apply: the district level ended on 2025-07-01."""
        if "district" in out:
            late = (day >= pd.Timestamp(REFORM_DAY)).fillna(False).to_numpy()
            given = out["district"].notna().to_numpy()
            found.add(late & given, "district", "ingest.not_applicable", lambda i: {})

    def _design(self, get: Callable[[str], pd.Series], found: _Found, out: dict[str, pd.Series],
                n: int, index: pd.Index) -> None:  # fmt: skip
        commune = get("commune") if "commune" not in out else out["commune"].astype(object)
        village = get("village") if "village" not in out else out["village"].astype(object)
        values = {
            "commune": commune.fillna(""),
            "village": village.fillna(""),
            "stratum": get("stratum").fillna(out["province_code"]),
            "psu": get("psu").fillna(commune).fillna(village),
        }
        values["psu"] = values["psu"].fillna(out["province_code"])
        for column, series in values.items():
            self._length(column, series, found)
            out[column] = series
        weight_text = get("weight")
        weight = pd.to_numeric(weight_text, errors="coerce")
        bad = (weight_text.notna() & ~(weight > 0)).to_numpy()
        found.add(bad, "weight", "ingest.bad_weight",
                  lambda i: {"value": shown(weight_text.iloc[i])})  # fmt: skip
        out["weight"] = weight.where(weight_text.notna(), 1.0).astype(float)
        submission = get("submission_id").str.removeprefix("uuid:")
        out["submission_id"] = submission
        for column in ("submitted_at", "started_at", "ended_at"):
            out[column] = get(column)

    def _length(self, column: str, series: pd.Series, found: _Found) -> None:
        limit = MAX_CODE[column]
        long = (series.str.len() > limit).fillna(False).to_numpy()

        def values(i: int) -> dict[str, object]:
            value = str(series.iloc[i])
            return {"field": column, "value": shown(value), "length": len(value), "limit": limit}

        found.add(long, column, "ingest.too_long", values)

    def _keys(
        self, raw: pd.DataFrame, out: dict[str, pd.Series], found: _Found
    ) -> tuple[list[str | None], np.ndarray]:
        """Each row's respondent key (checked) and the fingerprint of its answers."""
        given = normal_keys(_text(raw, "respondent_key", len(raw), raw.index))
        if self.options.fingerprints:
            content = pd.DataFrame(
                {c: out[c] for c in framework_columns(self.framework) if c in out}
            )
            content["interview_date"] = out["interview_date"]
            content["village"] = out["village"]
            prints = pd.util.hash_pandas_object(content, index=False).to_numpy()
        else:
            prints = np.zeros(len(raw), dtype=np.uint64)
        key = given.fillna(normal_keys(out["submission_id"])).astype(object)
        # No form number and no submission id: the row cannot be told apart from its corrected
        # version imported later, so it is a problem of that row (never a made-up key).
        missing = key.isna().to_numpy()
        found.add(missing, "respondent_key", "ingest.no_key", lambda i: {})
        out["respondent_key"] = key
        limit = MAX_CODE["respondent_key"]
        long = (key.str.len() > limit).to_numpy()
        found.add(long, "respondent_key", "ingest.too_long",
                  lambda i: {"field": "respondent_key", "value": shown(key.iloc[i]),
                             "length": len(str(key.iloc[i])), "limit": limit})  # fmt: skip
        keys: list[str | None] = key.tolist()
        return keys, np.asarray(prints)

    def _flags(
        self, raw: pd.DataFrame, out: dict[str, pd.Series], day: pd.Series, found: _Found
    ) -> None:
        items = [c for c in self.framework.item_codes() if c in out]
        if items:
            values = np.column_stack(
                [out[c].astype("Float64").to_numpy(dtype=float, na_value=np.nan) for c in items]
            )
            answered = (~np.isnan(values)).sum(axis=1)
            low = np.nanmin(np.where(np.isnan(values), np.inf, values), axis=1)
            high = np.nanmax(np.where(np.isnan(values), -np.inf, values), axis=1)
            same = (answered >= min(STRAIGHT_LINE_MIN, len(items))) & (low == high)
            found.flag(same, None, "quality.straight_lining",
                       lambda i: {"count": int(answered[i]), "value": int(low[i])})  # fmt: skip
        start = pd.to_datetime(out["started_at"], errors="coerce", utc=True, format="ISO8601")
        end = pd.to_datetime(out["ended_at"], errors="coerce", utc=True, format="ISO8601")
        seconds = (end - start).dt.total_seconds()
        fields = len(framework_columns(self.framework))
        limit = fields * self.options.seconds_per_answer
        fast = (seconds < limit).fillna(False).to_numpy()
        found.flag(fast, "ended_at", "quality.too_fast",
                   lambda i: {"seconds": round(float(seconds.iloc[i])), "limit": round(limit),
                              "fields": fields})  # fmt: skip


def _closest(column: str, names: list[str]) -> str | None:
    """The file column most like a missing framework column (a misspelling), if one is close."""
    import difflib

    folded = {n.casefold().replace(" ", ""): n for n in names}
    for name, original in list(folded.items()):  # "grp_b/Q9_1" → compare the last part too
        last = re.split(r"[/-]", name)[-1]
        folded.setdefault(last, original)
    found = difflib.get_close_matches(column.casefold(), list(folded), n=1, cutoff=0.75)
    return folded[found[0]] if found else None


@functools.lru_cache(maxsize=256)
def _provinces_with_code(code: str) -> list[Province] | None:
    """Every province (of any period) numbered ``code``: the same answer for every row."""
    return [p for p in all_provinces() if p.code == code] or None


def _successor(matched: list[Province], day: pd.Timestamp) -> str | None:
    """Where a former province's territory belongs on a day after the 2025 merger."""
    for p in matched:
        if p.successor and p.valid_to is not None and day.date() > p.valid_to:
            try:
                return successor_of(p).label()
            except SipasError:
                return None
    return None


class _Found:
    """Problems of one chunk, collected per row."""

    def __init__(self, file: str, index: pd.Index, n: int) -> None:
        self.file = file
        self.index = index
        self.n = n
        self.errors: dict[int, list[Problem]] = {}
        self.flags: list[Problem] = []
        self._rows: list[int] | None = None
        self.labelled: set[str] = set()

    def file_rows(self) -> list[int]:
        if self._rows is None:
            if pd.api.types.is_integer_dtype(self.index.dtype):
                self._rows = (np.asarray(self.index, dtype=np.int64) + 2).tolist()
            else:
                self._rows = list(range(2, self.n + 2))
        return self._rows

    def add(self, mask: np.ndarray, column: str | None, code: str,
            values: Callable[[int], dict[str, Any]]) -> None:  # fmt: skip
        """Row problems ``code`` where ``mask`` holds, with each row's values."""
        rows = self.file_rows()
        for i in np.flatnonzero(mask).tolist():
            problem = Problem(self.file, rows[i], column, code, values(i), "error")
            self.errors.setdefault(i, []).append(problem)

    def add_rows(self, where: dict[int, int], column: str | None, code: str,
                 values: Callable[[int, int], dict[str, Any]]) -> None:  # fmt: skip
        rows = self.file_rows()
        for i, first in where.items():
            problem = Problem(self.file, rows[i], column, code, values(i, first), "error")
            self.errors.setdefault(i, []).append(problem)

    def flag(self, mask: np.ndarray, column: str | None, code: str,
             values: Callable[[int], dict[str, Any]]) -> None:  # fmt: skip
        rows = self.file_rows()
        for i in np.flatnonzero(mask).tolist():
            self.flags.append(Problem(self.file, rows[i], column, code, values(i), "flag"))


def _text(raw: pd.DataFrame, column: str, n: int, index: pd.Index) -> pd.Series:
    if column in raw.columns:
        series = raw[column]
        return series if series.dtype == object else series.astype(object)
    return pd.Series([None] * n, index=index, dtype=object)


def normal_keys(text: pd.Series) -> pd.Series:
    """Form numbers as every other value: NFC, outer blanks dropped, inner runs of blanks one
    space, a number Excel wrote as "12.0" as "12"; a blank number is missing."""
    if text.notna().sum() == 0:
        return text.astype(object)
    values = [_normal_key(v) for v in text.tolist()]
    return pd.Series(values, index=text.index, dtype=object)


_KEY_SPACES = re.compile(r"\s+")
_KEY_FLOAT = re.compile(r"^(\d+)\.0+$")


def _normal_key(value: object) -> str | None:
    if value is None or value != value:  # missing (None or NaN)
        return None
    key = str(value)
    if key.isascii() and key.isprintable() and not key.endswith(".0") and "  " not in key:
        key = key.strip()  # the common case, without regular expressions
        return key or None
    key = _KEY_SPACES.sub(" ", unicodedata.normalize("NFC", key)).strip()
    key = _KEY_FLOAT.sub(r"\1", key)
    return key or None


def _normal_codes(text: pd.Series) -> pd.Series:
    """Codes as typed ("4", " 4", "4.0") → "4"."""
    return text.str.strip().str.replace(r"\.0+$", "", regex=True)


def _labels(options: list[Option]) -> dict[str, object]:
    """Option labels (Vietnamese and English, folded) → code: exports "with labels" map back."""
    out: dict[str, object] = {}
    for option in options:
        out[fold(option.label.vi)] = option.code
        out[fold(option.label.en)] = option.code
    return out


def _factor(
    text: pd.Series, allowed: dict[str, object], labels: dict[str, object] | None = None
) -> tuple[np.ndarray, list[object], np.ndarray, bool]:
    """Cell positions into the distinct values, each distinct value's code (None where not
    allowed), whether each is blank (the last entry of both stands for missing cells), and
    whether any cell held an option's label rather than its code."""
    positions, uniques = pd.factorize(text)
    labelled = False
    table: list[object] = []
    empty: list[bool] = []
    for value in uniques.tolist():
        key = str(value).strip()
        if key not in allowed:
            key = re.sub(r"\.0+$", "", key)
        found = allowed.get(key)
        if found is None and labels and key:
            found = labels.get(fold(key))
            labelled = labelled or found is not None
        table.append(found)
        empty.append(not key)
    table.append(None)  # missing cells have position -1: the last entry
    empty.append(True)
    return positions, table, np.asarray(empty, dtype=bool), labelled


def _coded(
    code: str,
    text: pd.Series,
    allowed: dict[str, object],
    found: _Found,
    labels: dict[str, object] | None = None,
) -> pd.Series:
    positions, table, empty, labelled = _factor(text, allowed, labels)
    if labelled:
        found.labelled.add(code)
    known = np.asarray([v is not None for v in table], dtype=bool)
    bad = ~(known | empty)[positions]
    if bad.any():
        choices = list(allowed)
        found.add(bad, code, "ingest.bad_code",
                  lambda i: {"field": code, "value": shown(text.iloc[i]), "choices": choices})  # fmt: skip
    if all(isinstance(v, int) for v in allowed.values()):
        numbers = np.asarray([np.nan if v is None else float(v) for v in table])  # type: ignore[arg-type]
        return pd.Series(pd.array(numbers[positions], dtype="Int64"), index=text.index)
    return pd.Series(np.asarray(table, dtype=object)[positions], index=text.index, dtype=object)


def _multiple(
    code: str,
    text: pd.Series,
    allowed: dict[str, object],
    found: _Found,
    labels: dict[str, object] | None = None,
) -> pd.Series:
    """Several codes in one cell (";", "," or spaces as Kobo writes them) → "1;3"; or the
    options' labels as a Kobo export "with labels" writes them (labels may hold commas)."""
    normal: dict[str, object] = {}
    for value in text.dropna().unique().tolist():
        codes = [re.sub(r"\.0+$", "", c) for c in re.split(r"[;,\s]+", str(value)) if c]
        if all(c in allowed for c in codes):
            normal[str(value)] = ";".join(codes) if codes else None
        elif labels:
            named = _label_codes(str(value), labels)
            if named:
                normal[str(value)] = ";".join(named)
                found.labelled.add(code)
    positions, table, empty, _ = _factor(text, normal)
    known = np.asarray([v is not None for v in table], dtype=bool)
    bad = ~(known | empty)[positions]
    looked = np.asarray(table, dtype=object)[positions]
    if bad.any():
        choices = list(allowed)
        found.add(bad, code, "ingest.bad_code",
                  lambda i: {"field": code, "value": shown(text.iloc[i]), "choices": choices})  # fmt: skip
    return pd.Series(looked, index=text.index, dtype=object)


def _label_codes(value: str, labels: dict[str, object]) -> list[str] | None:
    """Option labels one after another ("Mạng xã hội; Truyền hình, đài phát thanh") → codes,
    the longest label first at each place; None unless the whole cell is labels."""
    rest = fold(value)
    ordered = sorted(labels, key=len, reverse=True)
    codes: list[str] = []
    while rest:
        rest = rest.lstrip(" ;,")
        if not rest:
            break
        label = next((x for x in ordered if x and rest.startswith(x)), None)
        if label is None:
            return None
        codes.append(str(labels[label]))
        rest = rest[len(label) :]
        if rest and rest[0] not in " ;,":
            return None
    return sorted(set(codes), key=codes.index) or None


def _integer(code: str, text: pd.Series, question: Question, found: _Found) -> pd.Series:
    number = pd.to_numeric(_normal_codes(text), errors="coerce")
    whole = number.notna() & (number % 1 == 0)
    bad = (text.notna() & ~whole).to_numpy()
    found.add(bad, code, "ingest.bad_number",
              lambda i: {"field": code, "value": shown(text.iloc[i])})  # fmt: skip
    low = question.min if question.min is not None else -np.inf
    high = question.max if question.max is not None else np.inf
    outside = (whole & ((number < low) | (number > high))).to_numpy()
    found.add(outside, code, "ingest.out_of_range",
              lambda i: {"field": code, "value": shown(text.iloc[i]).strip(),
                         "low": question.min, "high": question.max})  # fmt: skip
    return number.where(whole).astype("Int64")


def parse_dates(text: pd.Series) -> pd.Series:
    """Dates written yyyy-mm-dd (with or without a time), or dd/mm/yyyy as Vietnamese forms do."""
    head = text.str.slice(0, 10)
    iso = pd.to_datetime(head, format="%Y-%m-%d", errors="coerce")
    rest = iso.isna() & text.notna()
    if rest.any():
        other = text[rest].str.strip().str.replace(r"[.\-]", "/", regex=True).str.split(" ").str[0]
        iso[rest] = pd.to_datetime(other, format="%d/%m/%Y", errors="coerce")
    return iso


def fingerprint_text(values: list[str]) -> str:
    return hashlib.sha256("\x1f".join(values).encode("utf-8")).hexdigest()[:16]


__all__ = ["DESIGN", "META", "Checked", "Options", "Rows", "Validator", "parse_dates"]
