"""The service index on a real Spark standalone cluster: a master and one worker on loopback,
started from the installed pyspark (Java 17 needed), and `sipas service-index compute --engine
spark --master spark://127.0.0.1:PORT` run as a user runs it, in its own process. Its stored
results must equal DuckDB's, and Spark's progress bars and start-up log stay out of the output."""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from sipas.api import service_index as api

pytestmark = [pytest.mark.spark, pytest.mark.slow]

pyspark = pytest.importorskip("pyspark")
if shutil.which("java") is None:
    pytest.skip(
        "Spark needs Java (apt-get install openjdk-17-jre-headless)", allow_module_level=True
    )

SPARK_HOME = Path(pyspark.__file__).parent
STARTUP_SECONDS = 120


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _spark_env(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "SPARK_HOME": str(SPARK_HOME),
        "SPARK_LOCAL_IP": "127.0.0.1",
        "SPARK_WORKER_DIR": str(work / "worker"),
        "SPARK_LOG_DIR": str(work / "logs"),
        "PYSPARK_PYTHON": sys.executable,
    }


def _start(command: list[str], log: Path, env: dict[str, str]) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen(
        [str(SPARK_HOME / "bin" / "spark-class"), *command],
        stdout=handle,
        stderr=subprocess.STDOUT,
        env=env,
        start_new_session=True,
    )


def _wait_for(log: Path, text: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if log.is_file() and text in log.read_text(errors="replace"):
            return
        if process.poll() is not None:
            raise AssertionError(f"Spark exited: {log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.5)
    raise AssertionError(f"no {text!r} after {STARTUP_SECONDS} s: {log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A standalone master and one worker (1 core, 1 GiB) on 127.0.0.1; yields the master URL."""
    work = tmp_path_factory.mktemp("spark")
    env = _spark_env(work)
    port = _free_port()
    master_log, worker_log = work / "master.log", work / "worker.log"
    master = _start(
        [
            "org.apache.spark.deploy.master.Master",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--webui-port",
            str(_free_port()),
        ],
        master_log,
        env,
    )
    url = f"spark://127.0.0.1:{port}"
    processes = [master]
    try:
        _wait_for(master_log, "I have been elected leader", master)
        worker = _start(
            [
                "org.apache.spark.deploy.worker.Worker",
                url,
                "--host",
                "127.0.0.1",
                "--cores",
                "1",
                "--memory",
                "1g",
                "--webui-port",
                str(_free_port()),
            ],
            worker_log,
            env,
        )
        processes.append(worker)
        _wait_for(worker_log, "Successfully registered with master", worker)
        yield url
    finally:
        for process in reversed(processes):
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def test_the_index_on_a_standalone_cluster_equals_duckdb(cluster: str, tmp_path: Path) -> None:
    data = tmp_path / "q3"
    api.generate_dossiers(
        data, dossiers=3_000, start=date(2025, 7, 1), end=date(2025, 9, 30), seed=5, communes=2
    )
    api.compute_service_index(data, "2025-Q3", each="month", out=tmp_path / "duckdb")
    src = str(Path(api.__file__).resolve().parents[2])
    env = {
        **_spark_env(tmp_path),
        "PYTHONPATH": src + os.pathsep + os.environ.get("PYTHONPATH", ""),
    }
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "sipas",
            "service-index",
            "compute",
            "--data",
            str(data),
            "--period",
            "2025-Q3",
            "--each",
            "month",
            "--engine",
            "spark",
            "--master",
            cluster,
            "--out",
            str(tmp_path / "spark"),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "service index (spark" in done.stdout
    periods = ["2025-07", "2025-08", "2025-09"]
    for period in periods:
        meta = json.loads((tmp_path / "spark" / "service-766" / period / "meta.json").read_text())
        assert meta["engine"] == "spark"
    # sipas's own progress, and none of Spark's bars or start-up log
    assert f"spark: starting on {cluster}" in done.stderr
    assert "[Stage" not in done.stderr + done.stdout
    # (Java's own "WARNING: Using incubator modules" line is not Spark's log and may stay)
    assert not re.search(r"\b(WARN|INFO)\b", done.stderr), done.stderr
    assert "Setting default log level" not in done.stderr
    for period in periods:
        files = sorted(
            p.name for p in (tmp_path / "duckdb" / "service-766" / period).glob("*.parquet")
        )
        assert "scores.parquet" in files
        for name in files:
            spark = pd.read_parquet(tmp_path / "spark" / "service-766" / period / name)
            duck = pd.read_parquet(tmp_path / "duckdb" / "service-766" / period / name)
            keys = [c for c in duck.columns if duck[c].dtype == object]
            pd.testing.assert_frame_equal(
                spark.sort_values(keys, ignore_index=True),
                duck.sort_values(keys, ignore_index=True),
                check_dtype=False,
            )
