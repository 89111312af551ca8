"""Survey data in: `sipas validate`, `sipas import`, `sipas xlsform`."""

from __future__ import annotations

import click

# Top-level commands this module contributes; main.py registers each.
COMMANDS: list[click.Command] = []
