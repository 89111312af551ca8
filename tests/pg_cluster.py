"""A PostgreSQL cluster of a test's own, on its own port, that the test may stop and start.

Made with the server's initdb and pg_ctl (from /usr/lib/postgresql/*/bin) in a fresh folder;
initdb refuses to run as root, so as root the tools run as the ``postgres`` account.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from servers import free_port


def _bin() -> Path | None:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if found:
        return Path(found[-1]).parent
    which = shutil.which("pg_ctl")
    return Path(which).parent if which else None


class Cluster:
    def __init__(self, folder: Path, port: int, tools: Path) -> None:
        self.folder = folder
        self.port = port
        self.tools = tools
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{port}/sipas"

    def _run(self, *args: str) -> None:
        command = [str(self.tools / args[0]), *args[1:]]
        if os.geteuid() == 0:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, check=False, timeout=120)
        if done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed: {done.stderr or done.stdout}")

    def start(self) -> None:
        self._run(
            "pg_ctl",
            "-D",
            str(self.folder / "data"),
            "-l",
            str(self.folder / "log"),
            "-o",
            f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "fast", "-w", "stop")


@contextmanager
def own_cluster() -> Iterator[Cluster]:
    """A running cluster with an empty database ``sipas``; stopped and removed afterwards."""
    tools = _bin()
    if tools is None or not (tools / "initdb").exists():
        if os.environ.get("SIPAS_REQUIRE_POSTGRES"):
            pytest.fail("PostgreSQL server tools (initdb, pg_ctl) are not installed")
        pytest.skip("PostgreSQL server tools (initdb, pg_ctl) are not installed")
    folder = Path(tempfile.mkdtemp(prefix="sipas-pg-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres", "postgres")
    cluster = Cluster(folder, free_port(), tools)
    try:
        cluster._run(
            "initdb", "-D", str(folder / "data"), "-U", "postgres", "--auth=trust", "-E", "UTF8"
        )
        cluster.start()
        import sqlalchemy as sa

        admin = sa.create_engine(
            cluster.url.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT"
        )
        with admin.connect() as connection:
            connection.execute(sa.text("CREATE DATABASE sipas"))
        admin.dispose()
        yield cluster
    finally:
        with contextlib.suppress(RuntimeError):  # already stopped
            cluster.stop()
        shutil.rmtree(folder, ignore_errors=True)
