"""The service-quality index (QĐ 766): `sipas dossiers …` and `sipas service-index …`."""

from __future__ import annotations

import click

# Top-level commands and groups this module contributes; main.py registers each.
COMMANDS: list[click.Command] = []
