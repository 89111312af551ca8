"""The number of cells of every record of a CSV, counted on the bytes, whatever parser reads it.

pandas' parser fills a short row with blanks without a word, so the shape of each record is
counted here, block by block with numpy: delimiters and line ends inside quotes do not count (a
quote toggles "inside"; an escaped quote ``""`` toggles twice), a record ends at a line end
outside quotes, blank lines keep their place. What is found: records whose cell count is not the
header's, a last record cut short (the file does not end with a line end), and a quote still
open at the end of the file (everything after it was read as one cell).

Given ``every``, it also notes where every ``every``-th record begins (byte offsets), so that
parts of a well-formed file can be parsed apart (in parallel) with the same row positions, and
whether a carriage return stands alone anywhere (a line end to pandas' parser, not to this count).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

QUOTE = 34
NEWLINE = 10
CR = 13

UNCLOSED = "ingest.unclosed_quote"
TRUNCATED = "ingest.truncated_row"


@dataclass
class ShapeCounter:
    """Feed the bytes of a UTF-8 CSV (header first) block by block, then :meth:`finish`."""

    delimiter: str
    width: int
    bad: dict[int, int] = field(default_factory=dict)  # data record position → cells
    cut: dict[int, str] = field(default_factory=dict)  # position → UNCLOSED | TRUNCATED
    _inside: bool = False
    _record: int = -1  # the header is record -1
    _delims: int = 0  # delimiters of the current record so far
    _length: int = 0  # bytes of the current record so far (without the line end)
    _last: int = -1  # the current record's last byte (to see a lone "\r")
    _quote_at: int = -1  # the record where the last open quote began
    every: int = 0  # records per part (0: parts are not noted)
    starts: list[int] = field(default_factory=list)  # byte offset of records 0, every, 2·every…
    lone_cr: bool = False  # a "\r" not followed by "\n" somewhere in the file
    _offset: int = 0  # bytes fed so far

    def feed(self, block: bytes) -> None:
        if not block:
            return
        data = np.frombuffer(block, dtype=np.uint8)
        delim = ord(self.delimiter)
        if not self.lone_cr:
            crs = block.count(b"\r")
            if crs:
                pairs = block.count(b"\r\n")
                self.lone_cr = crs > pairs + (1 if block.endswith(b"\r") else 0)
            if self._last == CR and data[0] != NEWLINE:
                self.lone_cr = True
        ends = np.flatnonzero(data == NEWLINE)
        delims = np.flatnonzero(data == delim)
        quotes = np.flatnonzero(data == QUOTE)
        if len(quotes) or self._inside:
            start = 1 if self._inside else 0
            if len(quotes):
                # inside at a position: quotes before it (plus the carried state) is odd
                ends = ends[((np.searchsorted(quotes, ends) + start) % 2) == 0]
                delims = delims[((np.searchsorted(quotes, delims) + start) % 2) == 0]
                opened = (len(quotes) + start) % 2 == 1
            else:
                ends = ends[:0]
                delims = delims[:0]
                opened = True
            if opened and not self._inside:
                # the open quote is the last one of this block: in the record after the last end
                before = int(np.searchsorted(ends, quotes[-1]))
                self._quote_at = self._record + before
            self._inside = opened
        per_record = np.diff(np.searchsorted(delims, ends), prepend=0)
        if len(ends):
            per_record[0] += self._delims
            lengths = np.diff(ends, prepend=-1) - 1
            lengths[0] += self._length
            lone_cr = data[np.maximum(ends - 1, 0)] == CR
            if self._length and ends[0] == 0:
                lone_cr[0] = self._last == CR
            blank = (lengths == 0) | ((lengths == 1) & lone_cr)
            cells = per_record + 1
            wrong = np.flatnonzero(~blank & (cells != self.width))
            if self.every:
                ended = self._record + np.arange(len(ends))  # the record each line end ends
                after = ends[(ended + 1) % self.every == 0] + 1 + self._offset
                self.starts.extend(after.tolist())
            for k in wrong.tolist():
                position = self._record + k
                if position >= 0:
                    self.bad[position] = int(cells[k])
            self._record += len(ends)
            tail_start = int(ends[-1]) + 1
            self._delims = int(len(delims) - np.searchsorted(delims, ends[-1]))
            self._length = len(data) - tail_start
        else:
            self._delims += len(delims)
            self._length += len(data)
        self._last = int(data[-1])
        self._offset += len(data)

    @property
    def records(self) -> int:
        """Data records counted (blank lines included), once :meth:`finish` ran."""
        return self._record + (1 if self._length else 0)

    def finish(self) -> None:
        """The last record, when the file does not end with a line end, or a quote is open."""
        if self._last == CR:
            self.lone_cr = True
        if self._inside and self._quote_at >= 0:
            self.cut[self._quote_at] = UNCLOSED
            self.bad.setdefault(self._quote_at, self._delims + 1)
            return
        blank = self._length == 0 or (self._length == 1 and self._last == CR)
        if blank or self._record < 0:
            return
        cells = self._delims + 1
        if cells != self.width:
            self.bad[self._record] = cells
            if cells < self.width:
                self.cut[self._record] = TRUNCATED


def count_shapes(
    data: bytes, delimiter: str, width: int, block: int = 16 * 1024**2
) -> ShapeCounter:
    counter = ShapeCounter(delimiter, width)
    for start in range(0, len(data), block):
        counter.feed(data[start : start + block])
    counter.finish()
    return counter
