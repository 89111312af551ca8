"""Modules a worker imports when a page first needs them, not when it starts.

Reports (charts, PDF), the service index (Ibis, DuckDB) and spreadsheets take seconds to import;
a worker that imported them before serving would miss its health check on a busy machine. Pages
name such a module with :func:`lazy_module` (and import it normally under ``TYPE_CHECKING`` so
that mypy still checks every use).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any


class LazyModule:
    """Stands for the module ``name``; imports it on the first attribute read (thread-safe: the
    import system locks each module while it loads)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self._module: ModuleType | None = None

    def __getattr__(self, attribute: str) -> Any:
        module = self._module
        if module is None:
            module = self._module = importlib.import_module(self._name)
        return getattr(module, attribute)

    def __repr__(self) -> str:
        state = "loaded" if self._module is not None else "not loaded yet"
        return f"<lazy module {self._name!r} ({state})>"


def lazy_module(name: str) -> Any:
    return LazyModule(name)
