"""Where expressions run: DuckDB in-process (default) or Apache Spark (local or a cluster).

A dataset is a folder: ``dossiers/``, ``complaints/`` and ``supplements/`` hold Parquet files in one
sub-folder per month (``2025-07/part-00000.parquet``, the month of the received date, or of the
submitted date when the dossier was never received); ``catalogue.parquet`` is the procedure
catalogue. Reading only the months a computation needs keeps an update of one day cheap.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import ibis  # type: ignore[import-untyped, unused-ignore]

from sipas.errors import SipasError
from sipas.service_index.model import Period, period_containing

ENGINES = ("duckdb", "spark")
PARTITIONED = ("dossiers", "complaints", "supplements")
CATALOGUE_FILE = "catalogue.parquet"
QUIET_LOG4J = "log4j2-quiet.properties"  # in the package's data folder


@dataclass
class Engine:
    """An Ibis connection and how it reads a dataset's Parquet files."""

    name: str
    con: Any
    _spark: Any = field(default=None, repr=False)

    def read_parquet(self, files: list[Path]) -> ibis.Table:
        if self.name == "duckdb":
            return self.con.read_parquet([str(f) for f in files])
        frame = self._spark.read.parquet(*(str(f) for f in files))
        name = ibis.util.gen_name("sipas_parquet")
        frame.createOrReplaceTempView(name)
        return self.con.table(name)

    def close(self) -> None:
        if self.name == "duckdb":
            self.con.disconnect()


def connect(
    engine: str = "duckdb",
    *,
    master: str | None = None,
    threads: int | None = None,
    memory_limit: str | None = None,
    spark_session: Any = None,
) -> Engine:
    """DuckDB in-process, or Spark (``master`` a URL such as ``spark://host:7077``, default local)."""
    if engine == "duckdb":
        config: dict[str, Any] = {}
        if threads:
            config["threads"] = threads
        if memory_limit:
            config["memory_limit"] = memory_limit
        con = ibis.duckdb.connect(**config)
        # Every join here has the dossiers on the left and a smaller table on the right, the
        # side DuckDB hashes. Its optimizer may swap the sides on a poor size estimate (seen
        # when a month of a few rows joins the months read), hashing ten million dossiers
        # instead of a catalogue: keep the sides as written.
        con.raw_sql("SET disabled_optimizers = 'build_side_probe_side'")
        return Engine("duckdb", con)
    if engine == "spark":
        session = spark_session or spark_session_for(master)
        return Engine("spark", ibis.pyspark.connect(session), session)
    raise SipasError("service_index.unknown_engine", engine=engine, engines=list(ENGINES))


def spark_session_for(master: str | None = None, shuffle_partitions: int | None = None) -> Any:
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        raise SipasError("service_index.no_spark") from None
    quiet_log = Path(__file__).parent / "data" / QUIET_LOG4J
    builder = (
        SparkSession.builder.master(master or "local[*]")
        .appName("sipas-service-index")
        .config("spark.ui.enabled", "false")
        # Spark's console progress bars and start-up log would mix with sipas's own output
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile=file:{quiet_log}")
        .config("spark.sql.session.timeZone", "UTC")
    )
    if shuffle_partitions:
        builder = builder.config("spark.sql.shuffle.partitions", str(shuffle_partitions))
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def month_keys(first: date, last: date) -> list[str]:
    keys, current = [], period_containing(first, "month")
    while current.start <= last:
        keys.append(current.key)
        current = current.next()
    return keys


@dataclass(frozen=True)
class Dataset:
    """A dataset folder (see the module docstring)."""

    root: Path

    def files(self, table: str, periods: list[Period] | None = None) -> list[Path]:
        folder = self.root / table
        if not folder.is_dir():
            return []
        if periods is None:
            return sorted(folder.glob("*/*.parquet"))
        wanted = set(month_keys(min(p.start for p in periods), max(p.end for p in periods)))
        return sorted(f for f in folder.glob("*/*.parquet") if f.parent.name in wanted)

    def files_until(self, table: str, periods: list[Period]) -> list[Path]:
        """The files of every month up to the last of ``periods`` (a complaint received in an
        earlier month still counts for a dossier judged later)."""
        last = max(p.end for p in periods).strftime("%Y-%m")
        return [f for f in self.files(table) if f.parent.name <= last]

    def months(self, table: str = "dossiers") -> list[str]:
        folder = self.root / table
        return sorted(p.name for p in folder.iterdir() if p.is_dir()) if folder.is_dir() else []

    @property
    def catalogue_path(self) -> Path:
        return self.root / CATALOGUE_FILE

    @contextmanager
    def locked(self) -> Iterator[None]:
        """The dataset to this process alone while it appends or computes and keeps results:
        a second computation or append waits (an exclusive lock on ``_cache/lock``). A dataset
        that cannot be written to, or a system without file locks, goes unlocked."""
        try:
            import fcntl
        except ImportError:  # not a POSIX system
            yield
            return
        try:
            (self.root / "_cache").mkdir(parents=True, exist_ok=True)
            handle = (self.root / "_cache" / "lock").open("a")
        except OSError:
            yield
            return
        with handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def check(self) -> None:
        if not self.catalogue_path.is_file():
            raise SipasError("service_index.no_catalogue", folder=self.root, file=CATALOGUE_FILE)
        if not self.files("dossiers"):
            raise SipasError("service_index.no_dossiers", folder=self.root / "dossiers")
