"""Writes that arrive together go as one batch: one thread writes (the leader) while the others
wait, then hands the lead to the first that arrived meanwhile. With nothing concurrent a batch is
one write and nothing waits. Checking and writing a batch of rows takes about the time of one, so
this is what lets the web app acknowledge hundreds of survey submissions a second."""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar


@dataclass(kw_only=True)
class Pending:
    """One write waiting its turn; the batch writer sets ``result`` (or the combiner ``error``)."""

    result: dict[str, Any] | None = None
    error: BaseException | None = None
    lead: bool = False
    wake: threading.Event = dataclasses.field(default_factory=threading.Event)


P = TypeVar("P", bound=Pending)


class Combiner(Generic[P]):
    """Runs ``write_batch`` on the writes waiting when the previous batch is done."""

    def __init__(self, write_batch: Callable[[list[P]], None]) -> None:
        self._write_batch = write_batch
        self._lock = threading.Lock()
        self._waiting: list[P] = []
        self._busy = False

    def run(self, item: P) -> dict[str, Any]:
        with self._lock:
            self._waiting.append(item)
            item.lead = not self._busy
            self._busy = True
        if not item.lead:
            item.wake.wait()
        if item.lead:
            with self._lock:
                batch, self._waiting = self._waiting, []
            try:
                self._write_batch(batch)
            except BaseException as error:  # every waiting write hears of it
                for pending in batch:
                    pending.error = error
            finally:
                with self._lock:
                    if self._waiting:
                        self._waiting[0].lead = True
                        self._waiting[0].wake.set()
                    else:
                        self._busy = False
                for pending in batch:
                    if pending is not item:
                        pending.wake.set()
        if item.error is not None:
            raise item.error
        assert item.result is not None
        return item.result
