"""Writes arriving together go as one batch; each writer hears its own result or the error."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pytest

from sipas.store.batching import Combiner, Pending


@dataclass
class Item(Pending):
    number: int = 0


def test_waiting_writes_go_as_one_batch_and_each_gets_its_result() -> None:
    batches: list[list[int]] = []

    def write(batch: list[Item]) -> None:
        batches.append([i.number for i in batch])
        time.sleep(0.05)  # while the leader writes, the others queue
        for item in batch:
            item.result = {"number": item.number}

    combiner: Combiner[Item] = Combiner(write)
    results: dict[int, dict[str, int]] = {}

    def send(n: int) -> None:
        results[n] = combiner.run(Item(number=n))  # type: ignore[assignment]

    threads = [threading.Thread(target=send, args=(n,)) for n in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == {n: {"number": n} for n in range(20)}
    assert sorted(n for batch in batches for n in batch) == list(range(20))  # each written once
    assert len(batches) < 20 and max(len(b) for b in batches) > 1


def test_an_error_reaches_every_write_of_its_batch_and_the_next_batch_still_runs() -> None:
    def write(batch: list[Item]) -> None:
        if any(i.number < 0 for i in batch):
            raise ValueError("refused")
        for item in batch:
            item.result = {"ok": True}

    combiner: Combiner[Item] = Combiner(write)
    with pytest.raises(ValueError):
        combiner.run(Item(number=-1))
    assert combiner.run(Item(number=1)) == {"ok": True}
