"""Reliability under load: nothing acknowledged is lost, nothing is stored twice.

For SQLite and for PostgreSQL (a cluster of its own, on its own port), 200 clients submit survey
answers through one-time invitation tokens to `sipas serve` on loopback. While they do:

1. the server is killed with SIGKILL and started again (twice);
2. a backup is taken with `sipas backup` (under load);
3. PostgreSQL only: the database cluster is stopped in immediate mode (as a crash) and started.

A client that gets no answer (connection refused or cut) or a 503 tries the same token again;
a token's submission is *acknowledged* when the server answered 200 with a receipt. Afterwards
the database is counted: every acknowledged receipt must be stored (lost = 0) and no token's
response stored twice (duplicated = 0). A submission stored but cut off before its answer reached
the client is answered "already submitted" on the retry: stored, not lost. The backup is then
restored into an empty database with `sipas restore` (which checks every table's rows) and its
responses must all be among the stored ones.

    .venv/bin/python benchmarks/reliability.py                 # ~2 minutes per database
    .venv/bin/python benchmarks/reliability.py --seconds 20 --postgres none

Writes benchmarks/results/reliability.{json,md}. Everything runs on 127.0.0.1 and stops by
itself (bounded in time).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))  # the PostgreSQL cluster helper the tests use
sys.path.insert(0, str(ROOT / "benchmarks"))

from web_load import SURVEY, _answers, _free_port, _invite  # noqa: E402

from sipas.api.demo import DemoOptions, run_demo  # noqa: E402
from sipas.store import open_database  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"


class Server:
    """`sipas serve` in its own process, killed and started again at will."""

    def __init__(self, url: str, data_dir: Path, port: int) -> None:
        self.url, self.data_dir, self.port = url, data_dir, port
        self.process: subprocess.Popen[bytes] | None = None

    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SIPAS_DATABASE_URL": self.url,
            "SIPAS_DATA_DIR": str(self.data_dir),
            "SIPAS_SECURE_COOKIES": "false",
        }

    def start(self) -> float:
        began = time.monotonic()
        self.process = subprocess.Popen(
            [sys.executable, "-m", "sipas", "serve", "--port", str(self.port)],
            env=self.env(),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = began + 120
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/health", timeout=1)
                return time.monotonic() - began
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start within 120 s")

    def kill(self) -> None:
        assert self.process is not None
        os.kill(self.process.pid, signal.SIGKILL)
        self.process.wait()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=30)


class Clients:
    """``count`` threads, each submitting its own tokens one after the other until told to stop."""

    def __init__(self, port: int, tokens: list[str], count: int, answers: dict[str, str]) -> None:
        self.port = port
        self.body = json.dumps({"action": "submit", "answers": answers}).encode()
        self.shares = [tokens[i::count] for i in range(count)]
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.acknowledged: set[str] = set()
        self.already = 0  # stored earlier, its answer lost in a crash
        self.retries = 0
        self.refused: dict[int, int] = {}
        self.threads = [threading.Thread(target=self._run, args=(s,)) for s in self.shares]

    def _post(self, token: str) -> tuple[int, dict[str, Any]]:
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.port}/api/survey/{token}",
            data=self.body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=60) as answer:
                return answer.status, json.loads(answer.read())
        except urllib.error.HTTPError as error:
            return error.code, {}

    def _run(self, tokens: list[str]) -> None:
        for token in tokens:
            while not self.stop.is_set():
                try:
                    status, body = self._post(token)
                except (OSError, ValueError):  # refused, reset, cut off mid-answer
                    status, body = 0, {}
                if status == 200 and body.get("receipt"):
                    with self.lock:
                        self.acknowledged.add(str(body["receipt"]))
                    break
                if status == 200 and body.get("status") == "already_submitted":
                    with self.lock:
                        self.already += 1
                    break
                if status in (0, 502, 503, 504):
                    with self.lock:
                        self.retries += 1
                    self.stop.wait(0.2)
                    continue
                with self.lock:
                    self.refused[status] = self.refused.get(status, 0) + 1
                break
            if self.stop.is_set():
                return

    def start(self) -> None:
        for thread in self.threads:
            thread.start()

    def join(self) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=90)


def _stored(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(
                sa.text(
                    "SELECT r.respondent_key, count(*) FROM responses r "
                    "JOIN surveys s ON s.id = r.survey_id "
                    "WHERE s.code = :code AND r.psu LIKE 'load-%' GROUP BY r.respondent_key"
                ),
                {"code": SURVEY},
            ).all()
    finally:
        engine.dispose()
    return {str(key): int(n) for key, n in rows}


def _sipas(url: str, data_dir: Path, *args: str) -> dict[str, Any]:
    env = {**os.environ, "SIPAS_DATABASE_URL": url, "SIPAS_DATA_DIR": str(data_dir)}
    done = subprocess.run(
        [sys.executable, "-m", "sipas", *args, "--format", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"sipas {' '.join(args)} failed: {done.stderr}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def run(
    name: str,
    url: str,
    restore_url: str,
    folder: Path,
    seconds: float,
    clients: int,
    cluster: Any = None,
) -> dict[str, Any]:
    print(f"{name}: building the survey and its invitations", file=sys.stderr)
    db = open_database(url)
    run_demo(db, DemoOptions(seed=11, years=(2025,), respondents_per_province=5, dossiers=0))
    tokens_file = _invite(db, clients * 60, folder)
    answers = _answers(db)
    db.close()
    tokens = tokens_file.read_text(encoding="utf-8").split()

    port = _free_port()
    server = Server(url, folder / f"data-{name}", port)
    events: list[dict[str, Any]] = []
    started = server.start()
    events.append({"at": 0.0, "event": "server started", "seconds": round(started, 1)})
    load = Clients(port, tokens, clients, answers)
    began = time.monotonic()
    load.start()

    def at(fraction: float) -> None:
        time.sleep(max(0.0, began + seconds * fraction - time.monotonic()))

    def note(event: str, **values: Any) -> None:
        events.append({"at": round(time.monotonic() - began, 1), "event": event, **values})
        print(f"{name}: {events[-1]}", file=sys.stderr)

    backup_file = folder / f"backup-{name}.{'db' if name == 'sqlite' else 'dump'}"
    try:
        at(0.2)
        server.kill()
        note("server killed (SIGKILL)", acknowledged=len(load.acknowledged))
        note("server started again", seconds=round(server.start(), 1))
        at(0.4)
        made = _sipas(url, folder / f"data-{name}", "backup", str(backup_file))
        note("backup taken under load", responses=made["tables"].get("responses"))
        if cluster is not None:
            at(0.55)
            cluster._run(
                "pg_ctl", "-D", str(cluster.folder / "data"), "-m", "immediate", "-w", "stop"
            )
            note("PostgreSQL cluster stopped (immediate: as a crash)")
            time.sleep(2)
            cluster.start()
            note("PostgreSQL cluster started again")
        at(0.7)
        server.kill()
        note("server killed (SIGKILL)", acknowledged=len(load.acknowledged))
        note("server started again", seconds=round(server.start(), 1))
        at(1.0)
    finally:
        load.join()
        note("clients stopped")
        server.stop()

    stored = _stored(url)
    restored = _sipas(restore_url, folder / f"restore-{name}", "restore", str(backup_file))
    in_backup = _stored(restore_url)
    acknowledged = load.acknowledged
    result = {
        "database": name,
        "clients": clients,
        "seconds": seconds,
        "acknowledged": len(acknowledged),
        "stored": len(stored),
        "lost": len(acknowledged - set(stored)),
        "duplicated": sum(1 for n in stored.values() if n > 1),
        "stored_unacknowledged": len(set(stored) - acknowledged),
        "answered_already_submitted_on_retry": load.already,
        "retries": load.retries,
        "refused": load.refused,
        "backup": {
            "file_bytes": backup_file.stat().st_size,
            "responses_in_backup": made["tables"].get("responses"),
            "restored_rows_checked": restored["tables"] == made["tables"],
            "restored_load_responses": len(in_backup),
            "restored_not_stored": len(set(in_backup) - set(stored)),
        },
        "events": events,
    }
    return result


@contextmanager
def _postgres(choice: str) -> Iterator[Any]:
    if choice == "none":
        yield None
        return
    from pg_cluster import own_cluster

    with own_cluster() as cluster:
        admin = sa.create_engine(
            cluster.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.execute(sa.text("CREATE DATABASE sipas_restored"))
        admin.dispose()
        yield cluster


def _markdown(results: list[dict[str, Any]]) -> str:
    lines = [
        "| database | clients | seconds | acknowledged | stored | lost | duplicated | "
        "stored, answer lost in a crash | backup: responses | restored rows checked |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r['database']} | {r['clients']} | {r['seconds']:g} | {r['acknowledged']} | "
            f"{r['stored']} | {r['lost']} | {r['duplicated']} | {r['stored_unacknowledged']} | "
            f"{r['backup']['responses_in_backup']} | {r['backup']['restored_rows_checked']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="load time per database")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument(
        "--postgres", choices=["own", "none"], default="own", help="own: a cluster of its own"
    )
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="sipas-reliability-") as tmp:
        folder = Path(tmp)
        (folder / "sqlite").mkdir()
        results.append(
            run(
                "sqlite",
                f"sqlite:///{folder / 'sqlite' / 'live.db'}",
                f"sqlite:///{folder / 'sqlite' / 'restored.db'}",
                folder / "sqlite",
                args.seconds,
                args.clients,
            )
        )
        with _postgres(args.postgres) as cluster:
            if cluster is not None:
                (folder / "postgres").mkdir()
                results.append(
                    run(
                        "postgres",
                        cluster.url,
                        cluster.url.rsplit("/", 1)[0] + "/sipas_restored",
                        folder / "postgres",
                        args.seconds,
                        args.clients,
                        cluster,
                    )
                )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "reliability.json").write_text(json.dumps(results, indent=2), encoding="utf-8")
    table = _markdown(results)
    (RESULTS / "reliability.md").write_text(table, encoding="utf-8")
    print(table)
    failed = [r["database"] for r in results if r["lost"] or r["duplicated"]]
    if failed:
        sys.exit(f"lost or duplicated submissions on {', '.join(failed)}")


if __name__ == "__main__":
    main()
