"""Naming rows in messages as a spreadsheet shows them: the header is row 1, data start at row 2.

A table read from a file keeps each row's position in the file as its index (empty lines dropped
keep their place), so the numbers in a message are the ones the user sees in the file.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sipas.messages import Phrase

SHOWN = 10  # rows named in a message; the count says how many there are in all


def file_row(index: pd.Index, position: int) -> int:
    """The spreadsheet row of the row at ``position``."""
    if pd.api.types.is_integer_dtype(index.dtype):
        return int(index[position]) + 2
    return int(position) + 2


def file_rows(index: pd.Index, mask: np.ndarray | pd.Series) -> list[int]:
    return [file_row(index, int(i)) for i in np.flatnonzero(np.asarray(mask))[:SHOWN]]


def counted(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def counted_phrase(n: int, noun: str) -> Phrase:
    """``n`` things as a message value: the text entry ``count.<noun>.one`` or ``.other``
    ("1 stratum", "3 strata"; Vietnamese has one form for both)."""
    return Phrase(f"count.{noun}.{'one' if n == 1 else 'other'}", n=n)
