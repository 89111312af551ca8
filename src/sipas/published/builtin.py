"""The public figures shipped with sipas (``data/published.csv``; sources in ``data/SOURCES.md``)."""

from __future__ import annotations

import functools
from dataclasses import replace
from importlib import resources
from pathlib import Path

from sipas.published.model import Published
from sipas.published.readers import read_file

BUILTIN = "builtin"


@functools.cache
def builtin() -> tuple[Published, ...]:
    """Every built-in figure, read and checked by the same reader as an imported long CSV."""
    path = Path(str(resources.files("sipas.published").joinpath("data/published.csv")))
    result = read_file(path)
    if result.problems:  # a test reads the file: this is never reached on a release
        raise RuntimeError("; ".join(str(p) for p in result.problems))
    return tuple(replace(f, origin=BUILTIN) for f in result.figures)
