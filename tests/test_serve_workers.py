"""`sipas serve --workers 2` comes up on a busy machine and replaces a worker that is killed.

A real server in its own process group on a free loopback port, against a SQLite database in a
temporary data folder; the machine is kept busy by two processes that spin while it starts (as on
the shared 2-core host where workers used to miss uvicorn's 5 s health check forever).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

import pytest

from servers import free_port

pytestmark = pytest.mark.slow

SRC = Path(__file__).resolve().parents[1] / "src"
STARTUP_LIMIT = 180.0  # seconds; generous for a loaded CI host, far from "never"


def _children(pid: int) -> set[int]:
    """Process ids whose parent is ``pid`` (from /proc, no extra dependency)."""
    found = set()
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        parent = int(stat.rsplit(")", 1)[1].split()[1])
        if parent == pid:
            found.add(int(entry.name))
    return found


def _workers(pid: int) -> set[int]:
    """The server's worker processes: spawned children other than multiprocessing's helpers."""
    workers = set()
    for child in _children(pid):
        try:
            command = (Path("/proc") / str(child) / "cmdline").read_bytes().replace(b"\0", b" ")
        except OSError:
            continue
        if b"spawn_main" in command and b"resource_tracker" not in command:
            workers.add(child)
    return workers


def _health(base: str) -> int | None:
    try:
        with urllib.request.urlopen(f"{base}/health", timeout=10) as response:
            return int(response.status)
    except (urllib.error.URLError, OSError):
        return None


def _wait_for(condition: object, limit: float, what: str) -> None:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.2)
    pytest.fail(f"{what} not within {limit:.0f} s")


@contextmanager
def _busy_machine(seconds: float) -> Iterator[None]:
    """Two processes that spin for at most ``seconds`` (stopped at the end of the block)."""
    spin = f"import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end: pass"
    spinners = [subprocess.Popen([sys.executable, "-c", spin]) for _ in range(2)]
    try:
        yield
    finally:
        for spinner in spinners:
            spinner.kill()
            spinner.wait()


def test_two_workers_come_up_while_busy_and_a_killed_worker_is_replaced(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        "SIPAS_DATA_DIR": str(tmp_path / "data"),
        "SIPAS_SECURE_COOKIES": "false",
    }
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "sipas", "serve", "--workers", "2", "--port", str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        with _busy_machine(seconds=60):
            _wait_for(lambda: _health(base) == 200, STARTUP_LIMIT, "an answer from /health")
            _wait_for(lambda: len(_workers(server.pid)) == 2, STARTUP_LIMIT, "two workers")
        assert server.poll() is None, (tmp_path / "serve.log").read_text()

        # Both workers stay up (none is being replaced in a loop by the health check).
        first = _workers(server.pid)
        time.sleep(3)
        assert _workers(server.pid) == first, (tmp_path / "serve.log").read_text()

        victim = min(first)
        os.kill(victim, signal.SIGKILL)
        # The other worker keeps serving at once...
        for _ in range(10):
            assert _health(base) == 200
        # ...and the supervisor starts a replacement that serves too.
        _wait_for(
            lambda: len(_workers(server.pid) - {victim}) == 2,
            STARTUP_LIMIT,
            "a replacement worker",
        )
        replaced = _workers(server.pid)
        assert victim not in replaced and len(replaced & first) == 1
        assert _health(base) == 200

        # Killing the other original worker too: the replacements carry the service alone.
        os.kill(max(first), signal.SIGKILL)
        _wait_for(
            lambda: len(_workers(server.pid) - first) == 2,
            STARTUP_LIMIT,
            "replacements for both original workers",
        )
        _wait_for(lambda: _health(base) == 200, STARTUP_LIMIT, "an answer from the replacements")
        assert server.poll() is None, (tmp_path / "serve.log").read_text()
    finally:
        workers = _workers(server.pid)
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()
        for worker in workers:  # in case the supervisor died before its workers
            with suppress(ProcessLookupError):
                os.kill(worker, signal.SIGKILL)
        log.close()
