"""The engine's pass on DuckDB as compiled SQL, kept in the dataset folder between runs.

Building the Ibis expressions of the checks, facts and sums and compiling them to SQL takes a
few tenths of a second: as long as DuckDB needs for the pass over a day of new dossiers. The SQL
depends only on the rules (this package's source), the framework, the library versions and the
columns of the input tables; not on the rows, nor on the periods, which are rows of two small
tables the SQL joins (the calendar and the periods' keys). So it is compiled once and kept in
``<dataset>/_cache/sql/<key>.json``; a later run with the same key puts its tables under the
names the SQL uses and runs it, without building an expression. A dataset that may not be
written to compiles every time. Spark always runs the expressions (see compute.engine_sums).
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any

import duckdb
import ibis  # type: ignore[import-untyped, unused-ignore]
import ibis.expr.operations as ops  # type: ignore[import-untyped, unused-ignore]
import pandas as pd

from sipas.service_index.facts import calendar_table, period_keys
from sipas.service_index.framework import ServiceFramework
from sipas.service_index.model import Period

if TYPE_CHECKING:
    from sipas.service_index.compute import Tables

FOLDER = Path("_cache") / "sql"
_FORMAT = 1
# The modules whose code makes the SQL: a plan compiled by other code is not used.
_RULES = ("checks.py", "facts.py", "compute.py", "framework.py", "model.py", "plans.py")
_rules: str | None = None
_VIEWS = ("dossiers", "supplements", "complaints")  # Parquet files, read through views
_FRAMES = ("catalogue", "duplicates")  # the run's own small tables


@dataclass(frozen=True)
class Plan:
    """The statements of one pass, and what each table name in them stands for."""

    statements: dict[str, str]  # pass, rolled, listed, and complaints when there are any
    source: dict[str, str]  # output column -> the aggregate holding it (see dossier_sums)
    names: dict[str, str]  # table name in the SQL -> its part (a key of _VIEWS, _FRAMES, or
    # "calendar", "period_keys")
    pair_table: str  # the temporary table of the sums per catalogue row


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rules_digest() -> str:
    """A digest of the code that makes the engine's sums (this package's rules and SQL); where
    the sources cannot be read (an install without them), of the package's version."""
    global _rules
    if _rules is None:
        here = Path(__file__).parent
        try:
            _rules = digest("".join((here / n).read_text(encoding="utf-8") for n in _RULES))
        except OSError:
            _rules = digest("sipas " + version("sipas"))
    return _rules


def plan_key(tables: Tables, framework: ServiceFramework) -> str:
    """What the SQL depends on (see the module docstring), as one digest."""
    parts = {
        t: str(getattr(tables, t).schema())
        for t in (*_VIEWS, *_FRAMES)
        if getattr(tables, t) is not None
    }
    return digest(
        json.dumps(
            {
                "format": _FORMAT,
                "rules": rules_digest(),
                "versions": [ibis.__version__, duckdb.__version__, version("sqlglot")],
                "framework": digest(repr(framework)),
                "tables": parts,
            },
            sort_keys=True,
        )
    )


def _part(op: Any, tables: Tables, periods: list[Period]) -> str | None:
    for name in (*_VIEWS, *_FRAMES):
        table = getattr(tables, name)
        if table is not None and table.op().name == op.name:
            return name
    if isinstance(op, ops.InMemoryTable):
        # made again from the periods on every run: only a table holding exactly what
        # calendar_table or period_keys makes of them may be taken for one
        for part, make in (("calendar", calendar_table), ("period_keys", period_keys)):
            made = make(periods).op()
            if op.schema == made.schema and op.data.to_frame().equals(made.data.to_frame()):
                return part
    return None


def compile_plan(tables: Tables, framework: ServiceFramework, periods: list[Period]) -> Plan | None:
    """The pass's statements, compiled from the Ibis expressions; None when a table in them
    is not one this module knows how to supply again (then the expressions are run as such)."""
    from sipas.service_index.compute import complaint_sums, pair_statements

    assert tables.engine is not None
    con = tables.engine.con
    expressions, source, pair_table = pair_statements(tables, framework, periods)
    if tables.complaints is not None:
        expressions["complaints"] = complaint_sums(tables.complaints, framework, periods)
    names: dict[str, str] = {}
    for expr in expressions.values():
        for op in expr.op().find((ops.InMemoryTable, ops.DatabaseTable)):
            part = _part(op, tables, periods)
            if part is None:
                return None
            names[op.name] = part
    statements = {k: str(con.compile(e)) for k, e in expressions.items()}
    return Plan(statements, source, names, pair_table)


def run_kept(
    tables: Tables, framework: ServiceFramework, periods: list[Period]
) -> tuple[Plan, tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]] | None:
    """The plan for these tables (kept, or compiled and kept) and what it returns; None when
    the pass cannot be a plan. A kept plan that fails to run (a file edited by hand, a change
    the key does not see) is compiled again, once."""
    plan = cached_plan(tables, framework, periods, tables.plans)
    if plan is None:
        return None
    try:
        return plan, run_plan(plan, tables, periods)
    except duckdb.Error:
        plan = cached_plan(tables, framework, periods, tables.plans, fresh=True)
        if plan is None:
            return None
        return plan, run_plan(plan, tables, periods)


def cached_plan(
    tables: Tables,
    framework: ServiceFramework,
    periods: list[Period],
    folder: Path | None,
    fresh: bool = False,
) -> Plan | None:
    """The plan kept under ``folder`` for these tables and framework, or (also when ``fresh``)
    a new one, kept there when the folder may be written to."""
    key = plan_key(tables, framework)
    path = folder / f"{key}.json" if folder is not None else None
    if path is not None and not fresh:
        try:
            return Plan(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            pass
    plan = compile_plan(tables, framework, periods)
    if plan is not None and path is not None:
        try:  # written beside and renamed: a reader never sees half a plan
            path.parent.mkdir(parents=True, exist_ok=True)
            mine = path.with_suffix(f".{os.getpid()}.{threading.get_ident()}.tmp")
            mine.write_text(json.dumps(plan.__dict__), encoding="utf-8")
            mine.replace(path)
        except OSError:
            pass
    return plan


def _frame_op(part: str, tables: Tables, periods: list[Period]) -> Any:
    if part == "calendar":
        return calendar_table(periods).op()
    if part == "period_keys":
        return period_keys(periods).op()
    return getattr(tables, part).op()


def run_plan(
    plan: Plan, tables: Tables, periods: list[Period]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame | None]:
    """The sums per unit, the counts per catalogue row, and the complaint sums (when the
    plan has them), in pandas."""
    assert tables.engine is not None
    con = tables.engine.con.con  # DuckDB's own connection
    statements = dict(plan.statements)
    registered = []
    for name, part in plan.names.items():
        if part in _VIEWS:  # this run's view of its files, under the name the SQL uses
            fresh = getattr(tables, part).op().name
            statements = {k: s.replace(name, fresh) for k, s in statements.items()}
        else:  # a small table of this run, registered under the SQL's name
            op = _frame_op(part, tables, periods)
            con.register(name, op.data.to_pyarrow(op.schema))
            registered.append(name)
    try:
        con.execute(f'CREATE OR REPLACE TEMP TABLE "{plan.pair_table}" AS {statements["pass"]}')
        grouped = con.sql(statements["rolled"]).to_arrow_table().to_pandas()
        counted = con.sql(statements["listed"]).to_arrow_table().to_pandas()
        complaints = (
            con.sql(statements["complaints"]).to_arrow_table().to_pandas()
            if "complaints" in statements
            else None
        )
    finally:
        con.execute(f'DROP TABLE IF EXISTS "{plan.pair_table}"')
        for name in registered:
            con.unregister(name)
    return grouped, counted, complaints
