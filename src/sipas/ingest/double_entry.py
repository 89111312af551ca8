"""Double entry: two clerks type the same paper forms; every field on which they disagree is listed."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from sipas.frameworks.model import SurveyFramework
from sipas.ingest.columns import framework_columns

COMPARED_DESIGN = ("interview_date", "commune", "village", "weight")


def _as_text(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    out = {}
    for column in columns:
        if column in frame:
            series = frame[column].astype(object)
            missing = pd.isna(series).tolist()
            values = series.tolist()
            out[column] = [None if gap else str(v) for v, gap in zip(values, missing, strict=True)]
        else:
            out[column] = [None] * len(frame)
    return pd.DataFrame(out, index=frame.index, dtype=object)


def compare_entries(
    a: pd.DataFrame, b: pd.DataFrame, framework: SurveyFramework, name_a: str, name_b: str
) -> dict[str, Any]:
    """Disagreements field by field, forms found in one file only, and counts.

    ``a`` and ``b`` are validated frames (canonical columns, the file position as index); forms
    are matched by respondent key (the form number both clerks typed).
    """
    fields = [c for c in (*COMPARED_DESIGN, *framework_columns(framework)) if c in a or c in b]
    left = _as_text(a, ["respondent_key", *fields])
    right = _as_text(b, ["respondent_key", *fields])
    left["_row"] = np.asarray(a.index, dtype=np.int64) + 2
    right["_row"] = np.asarray(b.index, dtype=np.int64) + 2
    left = left.drop_duplicates("respondent_key")
    right = right.drop_duplicates("respondent_key")
    both = left.merge(right, on="respondent_key", suffixes=("_a", "_b"))
    disagreements: list[dict[str, Any]] = []
    for column in fields:
        x = both[f"{column}_a"]
        y = both[f"{column}_b"]
        differ = ~((x == y) | (x.isna() & y.isna()))
        for _, row in both[differ.to_numpy()].iterrows():
            disagreements.append(
                {
                    "respondent_key": row["respondent_key"],
                    "field": column,
                    name_a: row[f"{column}_a"],
                    name_b: row[f"{column}_b"],
                    "row_a": int(row["_row_a"]),
                    "row_b": int(row["_row_b"]),
                }
            )
    disagreements.sort(key=lambda d: (d["row_a"], fields.index(d["field"])))
    only_a = sorted(set(left["respondent_key"]) - set(right["respondent_key"]), key=str)
    only_b = sorted(set(right["respondent_key"]) - set(left["respondent_key"]), key=str)
    forms_differing = len({d["respondent_key"] for d in disagreements})
    return {
        "files": [name_a, name_b],
        "forms_compared": len(both),
        "fields_compared": len(both) * len(fields),
        "disagreements": len(disagreements),
        "forms_with_disagreements": forms_differing,
        "only_in_a": only_a,
        "only_in_b": only_b,
        "details": disagreements,
    }
