"""The layering of ARCHITECTURE.md: imports point downward only.

``messages`` (every word sipas says, declared once) is the bottom layer: every package may read it,
and it imports nothing of sipas. The pure layers (frameworks, geo, published, synthetic, text, errors) must not import the database, the web,
the CLI or the orchestration layer, so that a data scientist can use them in a notebook.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "sipas"

# Which sipas packages each package may import (besides itself).
ALLOWED = {
    "messages": set(),
    "errors": set(),
    "rows": set(),
    "text": set(),
    "settings": {"errors"},
    "geo": {"errors", "text"},
    "frameworks": {"errors", "text"},
    "published": {"errors", "text", "geo"},
    "synthetic": {"errors", "text", "geo", "frameworks", "sampling", "par", "service_index"},
    "survey": {"rows", "errors", "text", "geo", "frameworks"},
    "sampling": {"rows", "errors", "text", "geo"},
    "par": {"rows", "errors", "text", "geo", "frameworks"},
    "ingest": {"rows", "errors", "text", "geo", "frameworks"},
    "service_index": {"rows", "errors", "text", "geo"},
    "store": {"errors", "text", "par"},  # par: the workflow's stages, which the store checks
    "reports": {"rows", "errors", "text", "geo", "frameworks", "par"},
    "web": {"errors", "text", "settings", "api", "store", "__init__"},
    "api": {
        "rows",
        "errors",
        "text",
        "geo",
        "frameworks",
        "synthetic",
        "survey",
        "sampling",
        "par",
        "ingest",
        "service_index",
        "reports",
        "published",
        "store",
        "settings",
    },
    "cli": {"errors", "text", "settings", "api", "store", "web", "__init__"},
}
# Every package may read the message catalogue, the bottom layer.
for _package, _allowed in ALLOWED.items():
    if _package != "messages":
        _allowed.add("messages")
PURE = {
    "messages",
    "rows",
    "errors",
    "text",
    "geo",
    "frameworks",
    "synthetic",
    "survey",
    "sampling",
    "par",
    "ingest",
    "service_index",
    "reports",
    "published",
}
FORBIDDEN_IN_PURE = {"sqlalchemy", "alembic", "click", "rich", "fastapi", "starlette", "psycopg"}


def _package_of(path: Path) -> str:
    rel = path.relative_to(SRC)
    return rel.parts[0].removesuffix(".py")


def _imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append(node.module)
            if node.module == "sipas":
                found.extend(f"sipas.{alias.name}" for alias in node.names)
    return found


MODULES = sorted(p for p in SRC.rglob("*.py") if "migrations" not in p.parts)


def test_every_package_has_a_rule() -> None:
    packages = {_package_of(p) for p in MODULES} - {"__init__", "__main__"}
    assert packages <= set(ALLOWED), f"add a layering rule for {packages - set(ALLOWED)}"


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_downward(path: Path) -> None:
    package = _package_of(path)
    if package in {"__init__", "__main__"}:
        return
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] == "sipas" and len(parts) > 1:
            target = parts[1]
            if target == "__version__":
                target = "__init__"
            assert target == package or target in ALLOWED[package], (
                f"{path.relative_to(SRC)} imports sipas.{target}; "
                f"{package} may import only {sorted(ALLOWED[package])}"
            )
        if package in PURE:
            assert parts[0] not in FORBIDDEN_IN_PURE, (
                f"pure module {path.relative_to(SRC)} imports {parts[0]}"
            )


def test_the_rule_catches_a_violation(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("from sipas.store import open_database\nimport sqlalchemy\n")
    assert "sipas.store" in _imports(bad) and "sqlalchemy" in _imports(bad)


# --- queries read, commands write ---------------------------------------------------------------

QUERIES = sorted((SRC / "api" / "queries").glob("*.py"))
# A store or api function whose name starts with one of these changes stored data.
WRITING = (
    "create", "add", "insert", "put", "save", "set_", "update", "delete", "lock", "record",
    "replace", "import", "write", "finalise", "advance", "assign", "upload", "fill", "run_",
)  # fmt: skip
# What queries may use of the command modules: functions that only read.
READS_FROM_COMMANDS = {
    "sipas.api.estimation": {
        "EstimateRequest", "Outcome", "change_view", "diagnosis_view", "estimate_stored_survey",
        "load_run", "list_runs", "on_34_provinces", "outcome_of_run", "estimates_view",
        "ranks_view", "UNIT_34", "ChangeView", "EstimateView", "LoadedRun", "RunRow",
    },
    "sipas.api.par": {
        "results", "unit_scores", "history", "campaign_units", "can_read", "list_campaigns",
        "show_campaign",
    },
    "sipas.api.par.campaigns": {"open_campaign", "SYSTEM", "Actor", "Campaign"},
    "sipas.api.par.views": {"CampaignResults", "NodeScore", "ResultsBase"},
    "sipas.api.service_index": {
        "procedure_drill_down", "read_meta", "ProcedureRow", "results_root", "stored_folder", "stored_periods",
    },
}  # fmt: skip


def _writes(path: Path) -> list[str]:
    """Every place in a module that opens a write transaction, calls a writing function of the
    store, or imports from a command module something that is not known to only read."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    store_aliases: set[str] = set()
    command_aliases: dict[str, str] = {}  # `from sipas.api import par as par_api`
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "sipas.api" and node.level == 0:
            command_aliases |= {a.asname or a.name: f"sipas.api.{a.name}" for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [a.name for a in node.names]
            if node.module == "sipas.store":
                store_aliases |= {a.asname or a.name for a in node.names}
            if node.module.startswith("sipas.store"):
                found += [f"imports {n}" for n in names if n.startswith(WRITING)]
            elif node.module.startswith("sipas.api") and ".queries" not in node.module:
                allowed = READS_FROM_COMMANDS.get(node.module, set())
                found += [f"imports {node.module}.{n}" for n in names if n not in allowed]
        elif isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
            module = command_aliases.get(node.value.id)
            if module and node.attr not in READS_FROM_COMMANDS.get(module, set()):
                found.append(f"line {node.lineno}: {module}.{node.attr}")
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name = node.func.attr
            owner = node.func.value
            if name == "begin":
                found.append(f"line {node.lineno}: a write transaction (.begin())")
            elif (
                isinstance(owner, ast.Name)
                and owner.id in store_aliases
                and name.startswith(WRITING)
            ):
                found.append(f"line {node.lineno}: {owner.id}.{name}()")
    return found


@pytest.mark.parametrize("path", QUERIES, ids=lambda p: p.name)
def test_queries_do_not_write(path: Path) -> None:
    assert _writes(path) == [], f"api/queries/{path.name} writes or uses a command"


def test_the_write_check_catches_a_write(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text(
        "from sipas.store import par as store\nfrom sipas.api.ingest import import_file\n"
        "from sipas.api import users\n"
        "def f(db):\n    with db.begin() as c:\n        store.put_score(c)\n"
        "    users.create_user(db)\n"
    )
    found = _writes(bad)
    assert any("sipas.api.users.create_user" in f for f in found)
    assert any("begin" in f for f in found) and any("put_score" in f for f in found)
    assert any("import_file" in f for f in found)
