"""While PostgreSQL is down the app answers 503 with Retry-After (a Vietnamese page, a JSON body
for API clients), and it serves again by itself once the server is back.

The test starts a PostgreSQL cluster of its own on its own port, stops it in the middle and
starts it again.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from pg_cluster import own_cluster
from sipas.settings import load_settings
from sipas.store import open_database
from sipas.web import create_app
from sipas.web.render import STATE_SECONDS

pytestmark = pytest.mark.postgres


def test_database_outage_is_503_and_the_app_recovers(tmp_path: Path) -> None:
    with own_cluster() as cluster:
        db = open_database(cluster.url)
        app = create_app(load_settings(None, data_dir=tmp_path / "data"), db)
        client = TestClient(app, base_url="https://testserver", raise_server_exceptions=False)
        try:
            assert client.get("/.json").status_code == 200
            assert client.get("/").status_code == 200

            cluster.stop()
            time.sleep(STATE_SECONDS + 0.1)  # the public pages look the data's state up again

            api = client.get("/.json")
            assert api.status_code == 503
            assert api.headers["retry-after"] == "10"
            body = api.json()
            assert body["code"] == "outage.db_unavailable"
            assert body["message"] == "Hệ thống tạm thời không kết nối được cơ sở dữ liệu"

            page = client.get("/")
            assert page.status_code == 503
            assert page.headers["retry-after"] == "10"
            assert page.headers["content-type"].startswith("text/html")
            assert "Hệ thống tạm thời không kết nối được cơ sở dữ liệu" in page.text
            assert "Vui lòng thử lại sau 10 giây" in page.text
            assert "Traceback" not in page.text
            english = client.get("/?lang=en")
            assert english.status_code == 503
            assert "the database cannot be reached at the moment" in english.text

            cluster.start()
            # No restart of sipas: the very next requests are served.
            assert client.get("/.json").status_code == 200
            time.sleep(STATE_SECONDS + 0.1)
            back = client.get("/?lang=vi")
            assert back.status_code == 200
            assert "Hệ thống tạm thời" not in back.text
        finally:
            client.close()
            db.close()
