"""From answers on the 1–5 scale to the value each respondent contributes to an item's share.

Under the top-2-box rule (A1) a respondent contributes 1 when satisfied (4 or 5) and 0 otherwise;
under the rescaled-mean rule, (answer − lowest) / (highest − lowest). Blanks either leave the item's
denominator (A2) or count as not satisfied. Answers that are not on the scale are an error that
names the column and the rows, never a number quietly dropped.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from sipas.errors import SipasError
from sipas.frameworks.model import BlankRule, ItemRule, SurveyFramework
from sipas.messages import Phrase
from sipas.rows import SHOWN, counted_phrase, file_row, file_rows


@dataclass(frozen=True)
class ItemValues:
    codes: tuple[str, ...]
    value: np.ndarray  # rows x items; 0 where not valid (booleans under the top-2-box rule)
    valid: np.ndarray  # rows x items, booleans: the answer counts in the denominator
    binary: bool  # values are 0/1 (so value**2 == value)


def scale_codes(framework: SurveyFramework) -> list[int]:
    scale = framework.scales[framework.satisfaction.scale]
    return sorted(int(option.code) for option in scale.options)


def item_values(frame: pd.DataFrame, framework: SurveyFramework) -> ItemValues:
    codes = framework.item_codes()
    missing = [code for code in codes if code not in frame.columns]
    if missing:
        raise SipasError(
            "survey.missing_items",
            missing=missing,
            count=len(missing),
            total=len(codes),
            shown=missing[:12] + (["…"] if len(missing) > 12 else []),
            framework=framework.id,
        )
    answers = _answer_matrix(frame, codes)
    allowed = np.asarray(scale_codes(framework), dtype=float)
    off_scale = ~np.isnan(answers) & ~_is_one_of(answers, [int(a) for a in allowed])
    if off_scale.any():
        rows_hit, items_hit = np.nonzero(off_scale)
        first = [
            Phrase(
                "survey.answer_at",
                row=file_row(frame.index, int(r)),
                item=codes[k],
                value=float(answers[r, k]),
            )
            for r, k in zip(rows_hit[:SHOWN], items_hit[:SHOWN], strict=True)
        ]
        raise SipasError(
            "survey.answer_off_scale",
            cells=int(off_scale.sum()),
            count=counted_phrase(int(off_scale.sum()), "answer"),
            low=int(allowed.min()),
            high=int(allowed.max()),
            shown=first,
        )
    return values_from_answers(answers, framework, codes)


def _answer_matrix(frame: pd.DataFrame, codes: list[str]) -> np.ndarray:
    """Answers as floats (NaN = blank); text that is not a number is an error naming its rows."""
    items = frame[codes]
    for code in codes:  # a fraction would not survive single precision exactly: refuse it here
        column = items[code]
        if pd.api.types.is_float_dtype(column.dtype):
            _refuse_fractions(frame, code, column)
    if all(pd.api.types.is_numeric_dtype(dtype) for dtype in items.dtypes):
        # The common, fast case. Row-major, because the estimator reads respondents in blocks;
        # single precision, which holds every answer code exactly and halves the memory.
        return np.ascontiguousarray(items.to_numpy(dtype=np.float32, na_value=np.nan))
    answers = np.empty((len(frame), len(codes)), dtype=np.float32)
    for k, code in enumerate(codes):
        column = frame[code]
        numeric = pd.to_numeric(column, errors="coerce")
        unreadable = numeric.isna() & column.notna()
        if unreadable.any():  # text cells: blank text is no answer, anything else is an error
            unreadable &= column.astype("string").str.strip().fillna("") != ""
        if unreadable.any():
            rows = file_rows(frame.index, unreadable)
            raise SipasError(
                "survey.bad_answer",
                column=code,
                rows=rows,
                count=counted_phrase(int(unreadable.sum()), "row"),
                example=str(column[unreadable].iloc[0]),
            )
        _refuse_fractions(frame, code, numeric)
        answers[:, k] = numeric.to_numpy(dtype=float, na_value=np.nan)
    return answers


def _refuse_fractions(frame: pd.DataFrame, code: str, numeric: pd.Series) -> None:
    values = numeric.to_numpy(dtype=float, na_value=np.nan)
    fraction = pd.Series(np.isfinite(values) & (values != np.round(values)), index=frame.index)
    if fraction.any():
        example = values[fraction.to_numpy()][0]
        raise SipasError(
            "survey.answer_not_whole",
            column=code,
            rows=file_rows(frame.index, fraction),
            count=counted_phrase(int(fraction.sum()), "row"),
            example=float(example),
        )


def _is_one_of(answers: np.ndarray, codes: list[int]) -> np.ndarray:
    """answers ∈ codes, elementwise, for whole-number answers (fractions are refused on reading);
    NaN is in nothing. Two comparisons when the codes are a run of whole numbers."""
    low, high = min(codes), max(codes)
    if sorted(set(codes)) == list(range(low, high + 1)):
        return np.asarray((answers >= low) & (answers <= high))
    return np.isin(answers, np.asarray(codes, dtype=answers.dtype))


def values_from_answers(
    answers: np.ndarray, framework: SurveyFramework, codes: list[str] | None = None
) -> ItemValues:
    rules = framework.rules
    blank = np.isnan(answers)
    if rules.item_rule is ItemRule.TOP2_BOX:
        value = _is_one_of(answers, rules.top_box_codes)  # stored as booleans: 1 byte a cell
        binary = True
    else:
        allowed = scale_codes(framework)
        low, high = allowed[0], allowed[-1]
        value = np.where(blank, 0.0, (answers.astype(np.float64) - low) / (high - low))
        binary = False
    valid = (
        np.ones(answers.shape, dtype=bool) if rules.blanks is BlankRule.AS_NOT_SATISFIED else ~blank
    )
    return ItemValues(tuple(codes or framework.item_codes()), value, valid, binary)
