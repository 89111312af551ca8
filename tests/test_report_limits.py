"""Report files: rendered once per state of the data, a few at a time, within a rate per client."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from sipas.api.demo import DemoOptions, run_demo
from sipas.settings import load_settings
from sipas.store import audit, open_database
from sipas.web import create_app
from sipas.web.limits import Rendered, ReportGate


def test_at_most_the_allowed_renders_run_at_once_and_one_per_file() -> None:
    gate = ReportGate(renders=2, per_minute=100)

    def slow(name: str) -> Rendered:
        time.sleep(0.2)
        return Rendered(name.encode(), name)

    results: dict[int, bytes] = {}

    def ask(i: int, key: str) -> None:
        results[i] = gate.get(key, lambda: slow(key)).body

    threads = [threading.Thread(target=ask, args=(i, f"report-{i}")) for i in range(6)]
    # ... and five requests for one same file at once
    threads += [threading.Thread(target=ask, args=(10 + i, "national")) for i in range(5)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert gate.most_active == 2  # never more than two renders at once
    assert gate.rendered == 7  # six distinct files and the shared one once
    assert {results[10 + i] for i in range(5)} == {b"national"}
    assert gate.get("national", lambda: slow("again")).body == b"national"  # kept


def test_a_client_over_its_rate_waits() -> None:
    gate = ReportGate(renders=1, per_minute=3)
    assert [gate.wait_needed("10.0.0.1", now=100.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert gate.wait_needed("10.0.0.1", now=100.0) == pytest.approx(20.0)  # one per 20 s
    assert gate.wait_needed("10.0.0.2", now=100.0) == 0.0  # another client is not held up
    assert gate.wait_needed("10.0.0.1", now=121.0) == 0.0


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    folder = tmp_path_factory.mktemp("report_limits")
    db = open_database(f"sqlite:///{folder / 'sipas.db'}")
    run_demo(
        db,
        DemoOptions(
            seed=5,
            years=(2025,),
            respondents_per_province=8,
            provinces=("01", "79"),
            dossiers=0,
        ),
    )
    settings = load_settings(None, data_dir=folder / "data", report_rate=3)
    yield {"db": db, "app": create_app(settings, db)}
    db.close()


def test_report_files_are_cached_per_data_state_and_rate_limited(
    site: dict[str, Any], tmp_path: Path
) -> None:
    client = TestClient(site["app"], base_url="https://testserver")
    url = "/sipas/demo-sipas-2025/report.xlsx"
    first = client.get(url)
    assert first.status_code == 200, first.text
    gate = site["app"].state.report_gate
    assert gate.rendered == 1
    second = client.get(url)
    assert second.status_code == 200 and second.content == first.content
    assert (gate.rendered, gate.served_from_cache) == (1, 1)

    # A write that can change what is published (any audited write) → rendered afresh.
    with site["db"].begin() as connection:
        audit.record(connection, actor="admin", action="test", entity="x", entity_id="1")
    assert client.get(url).status_code == 200
    assert gate.rendered == 2

    # The fourth file within a minute (the rate is 3) is refused, with when to come back.
    refused = client.get(url)
    assert refused.status_code == 429
    seconds = int(refused.headers["retry-after"])
    assert 1 <= seconds <= 20  # one file every 20 s at 3 a minute
    assert "Bạn đã yêu cầu quá nhiều tệp báo cáo trong thời gian ngắn" in refused.text
    assert gate.rendered == 2
    with site["db"].begin() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM estimation_runs")).scalar()
