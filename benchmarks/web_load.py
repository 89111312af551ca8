"""The web app under load on loopback: 200 concurrent clients for 60 s, on SQLite and PostgreSQL.

The load generator is wrk (Debian package `wrk`), each connection a client that sends its next
request as soon as the last is answered (no think time: the hardest case). Measured:

- the SIPAS ranking page (HTML, 34 provinces): requests per second and latency percentiles
  (p50, p95, p99), target p95 < 200 ms;
- survey submissions through one-time invitations (when the survey pages are installed):
  acknowledged submissions per second, target ≥ 300/s, and afterwards every acknowledged submission
  counted in the database exactly once.

The server is `sipas serve --workers 2` (one worker per core), started for each database.

    .venv/bin/python benchmarks/web_load.py                   # writes benchmarks/results/web_load.{json,md}
    .venv/bin/python benchmarks/web_load.py --seconds 10      # a quick look
    .venv/bin/python benchmarks/web_load.py --postgres none   # SQLite only
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from sipas.api.demo import DemoOptions, run_demo
from sipas.store import open_database

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "benchmarks" / "results"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
SURVEY = "demo-sipas-2025"
INVITATIONS = 60_000  # more than 200 clients can use in 60 s at the target rate
SUBMIT = """
-- Each thread submits with its own share of the invitation tokens, and writes the receipt of
-- every acknowledged submission to its own file, to be counted against the database afterwards.
local tokens, next_token, out = {}, 1, nil
local body = '{"action": "submit", "answers": ANSWERS}'
function setup(thread)
  thread:set("id", #THREADS + 1)
  table.insert(THREADS, thread)
end
function init(args)
  local i, step = 0, tonumber(args[2])
  for line in io.lines(args[1]) do
    if i % step == (id - 1) then table.insert(tokens, line) end
    i = i + 1
  end
  out = io.open(args[3] .. "-" .. id, "w")
end
function request()
  local token = tokens[next_token] or tokens[#tokens]
  next_token = next_token + 1
  return wrk.format("POST", "/api/survey/" .. token, {["Content-Type"] = "application/json"}, body)
end
function response(status, headers, text)
  local receipt = text:match('"receipt":%s*"([^"]+)"')
  if status == 200 and receipt then out:write(receipt, "\\n"); out:flush() end
end
"""
SUBMIT = "THREADS = {}\n" + SUBMIT

PERCENTILES = """
done = function(summary, latency, requests)
  io.write(string.format("RESULT requests=%d errors=%d p50=%.3f p95=%.3f p99=%.3f\\n",
    summary.requests, summary.errors.status + summary.errors.connect + summary.errors.read
    + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000))
end
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _serve(url: str, data_dir: Path, port: int, workers: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SIPAS_DATABASE_URL": url,
        "SIPAS_DATA_DIR": str(data_dir),
        "SIPAS_SECURE_COOKIES": "false",
    }
    sipas = Path(sys.executable).with_name("sipas")
    server = subprocess.Popen(
        [str(sipas), "serve", "--port", str(port), "--workers", str(workers)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    for _ in range(200):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1)
            return server
        except OSError:
            time.sleep(0.1)
    server.kill()
    raise RuntimeError(
        f"the server did not start: {server.stderr.read().decode() if server.stderr else ''}"
    )


def _wrk(
    url: str, seconds: int, clients: int, script: Path, args: tuple[str, ...] = ()
) -> dict[str, float]:
    finished = subprocess.run(
        [
            "wrk",
            "-t2",
            f"-c{clients}",
            f"-d{seconds}s",
            "--timeout",
            "10s",
            "-s",
            str(script),
            url,
            "--",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    output = finished.stdout + finished.stderr
    found = re.search(
        r"RESULT requests=(\d+) errors=(\d+) p50=([\d.]+) p95=([\d.]+) p99=([\d.]+)", output
    )
    if found is None:
        raise RuntimeError(f"wrk printed no result:\n{output}")
    requests, errors = int(found.group(1)), int(found.group(2))
    return {
        "requests": requests,
        "errors": errors,
        "per_second": round(requests / seconds, 1),
        "p50_ms": float(found.group(3)),
        "p95_ms": float(found.group(4)),
        "p99_ms": float(found.group(5)),
    }


def _answers(db: Any) -> dict[str, str]:
    """A valid set of answers to the 2025 survey: every satisfaction item and the respondent's
    sex (the same for every client; the server checks each submission in full)."""
    from sipas.api import invitations

    framework = invitations.framework_of(_survey(db))
    return {**dict.fromkeys(framework.item_codes(), "4"), "sex": "2"}


def _survey(db: Any) -> dict[str, Any]:
    from sipas.store import surveys as survey_store

    with db.begin() as connection:
        return dict(survey_store.get_survey(connection, SURVEY))


def _invite(db: Any, count: int, folder: Path) -> Path:
    from sipas.api import invitations
    from sipas.geo import provinces_on

    codes = [p.code for p in provinces_on(date(2025, 12, 31))]
    people = [
        invitations.Sampled(codes[i % len(codes)], stratum=f"load-{i % 50}", psu=f"load-{i}")
        for i in range(count)
    ]
    issued = invitations.create_invitations(db, SURVEY, people, expires_days=1)
    path = folder / "tokens.txt"
    path.write_text("\n".join(i["token"] for i in issued) + "\n", encoding="utf-8")
    return path


def _stored(db: Any, receipts: set[str]) -> dict[str, int]:
    """How many times each acknowledged receipt is stored (exactly once each, or a failure)."""
    from sipas.store.schema import responses, surveys

    with db.begin() as connection:
        rows = connection.execute(
            sa.select(responses.c.respondent_key, sa.func.count())
            .join(surveys, surveys.c.id == responses.c.survey_id)
            .where(surveys.c.code == SURVEY, responses.c.psu.like("load-%"))
            .group_by(responses.c.respondent_key)
        ).all()
    counts = {str(key): int(n) for key, n in rows}
    return {
        "acknowledged": len(receipts),
        "stored": len(counts),
        "acknowledged_missing": len(receipts - set(counts)),
        "stored_twice": sum(1 for n in counts.values() if n > 1),
    }


def run(
    name: str, url: str, seconds: int, clients: int, folder: Path, workers: int = 2
) -> dict[str, Any]:
    print(f"{name}: building the demo data", file=sys.stderr)
    db = open_database(url)
    db.upgrade()
    run_demo(db, DemoOptions(seed=11, years=(2024, 2025), respondents_per_province=30, dossiers=0))
    tokens = _invite(db, INVITATIONS, folder)
    answers = json.dumps(_answers(db))
    script = folder / "percentiles.lua"
    script.write_text(PERCENTILES, encoding="utf-8")
    submit = folder / "submit.lua"
    submit.write_text(SUBMIT.replace("ANSWERS", answers) + PERCENTILES, encoding="utf-8")
    receipts = folder / f"receipts-{name}"
    port = _free_port()
    server = _serve(url, folder / f"data-{name}", port, workers)
    try:
        page = f"http://127.0.0.1:{port}/sipas/demo-sipas-2025"
        urllib.request.urlopen(page, timeout=30).read()  # warm the cache of both workers
        urllib.request.urlopen(page, timeout=30).read()
        print(f"{name}: ranking page, {clients} clients, {seconds} s", file=sys.stderr)
        ranking = _wrk(page, seconds, clients, script)
        print(f"{name}: survey submissions, {clients} clients, {seconds} s", file=sys.stderr)
        submissions = _wrk(
            f"http://127.0.0.1:{port}/", seconds, clients, submit, (str(tokens), "2", str(receipts))
        )
    finally:
        server.terminate()
        server.wait(timeout=20)
    acked: set[str] = set()
    for part in folder.glob(f"receipts-{name}-*"):
        acked |= {line for line in part.read_text(encoding="utf-8").split() if line}
    check = _stored(db, acked)
    db.close()
    submissions["acknowledged_per_second"] = round(len(acked) / seconds, 1)
    return {
        "database": name,
        "clients": clients,
        "seconds": seconds,
        "ranking_page": ranking,
        "submissions": {**submissions, **check},
    }


def _postgres(base: str) -> tuple[str, Callable[[], None]] | None:
    try:
        admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
        name = f"sipas_load_{uuid.uuid4().hex[:8]}"
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # no server or driver: SQLite only
        print(f"PostgreSQL not reachable ({type(exc).__name__}); skipped", file=sys.stderr)
        return None

    def drop() -> None:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return sa.engine.make_url(base).set(database=name).render_as_string(hide_password=False), drop


def _markdown(runs: list[dict[str, Any]]) -> str:
    lines = [
        "# Web load benchmark",
        "",
        f"{runs[0]['clients']} concurrent clients for {runs[0]['seconds']} s on loopback, no think "
        "time; load generator wrk; server `sipas serve --workers 2`; machine: "
        f"{os.cpu_count()} cores, {platform.machine()}. "
        "Command: `.venv/bin/python benchmarks/web_load.py`.",
        "",
        "| | " + " | ".join(r["database"] for r in runs) + " |",
        "|---|" + "---|" * len(runs),
    ]
    rows = [
        ("ranking page: requests/s", lambda r: f"{r['ranking_page']['per_second']:,.0f}"),
        ("ranking page: p50", lambda r: f"{r['ranking_page']['p50_ms']:.0f} ms"),
        (
            "ranking page: **p95** (target < 200 ms)",
            lambda r: f"**{r['ranking_page']['p95_ms']:.0f} ms**",
        ),
        ("ranking page: p99", lambda r: f"{r['ranking_page']['p99_ms']:.0f} ms"),
        ("ranking page: errors", lambda r: f"{r['ranking_page']['errors']}"),
        (
            "submissions acknowledged per second (target ≥ 300)",
            lambda r: f"**{r['submissions']['acknowledged_per_second']:,.0f}**",
        ),
        ("submission p95", lambda r: f"{r['submissions']['p95_ms']:.0f} ms"),
        (
            "acknowledged submissions stored exactly once",
            lambda r: (
                f"{r['submissions']['acknowledged'] - r['submissions']['acknowledged_missing'] - r['submissions']['stored_twice']:,} of {r['submissions']['acknowledged']:,}"
            ),
        ),
        (
            "stored twice / acknowledged but missing",
            lambda r: (
                f"{r['submissions']['stored_twice']} / {r['submissions']['acknowledged_missing']}"
            ),
        ),
    ]
    for label, cell in rows:
        lines.append(f"| {label} | " + " | ".join(cell(r) for r in runs) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES, help="server URL, or 'none'")
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        sys.exit("wrk is missing: sudo apt-get install -y wrk")
    runs = []
    with tempfile.TemporaryDirectory() as folder:
        base = Path(folder)
        runs.append(
            run(
                "sqlite",
                f"sqlite:///{base / 'load.db'}",
                args.seconds,
                args.clients,
                base,
                args.workers,
            )
        )
        if args.postgres != "none":
            found = _postgres(args.postgres)
            if found is not None:
                url, drop = found
                try:
                    runs.append(
                        run("postgresql", url, args.seconds, args.clients, base, args.workers)
                    )
                finally:
                    drop()
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "web_load.json").write_text(json.dumps(runs, indent=2) + "\n", encoding="utf-8")
    (RESULTS / "web_load.md").write_text(_markdown(runs), encoding="utf-8")
    print(_markdown(runs))


if __name__ == "__main__":
    main()
