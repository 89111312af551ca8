"""The README's set-up commands exist, are the ones CI runs, and the CLI offers what it documents."""

from __future__ import annotations

import os
import re
from pathlib import Path

import click

from sipas.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = sorted((ROOT / "docs").rglob("*.md"))
# Every page a newcomer is sent to: the README, the docs, and the guides beside the README.
PAGES = [ROOT / "README.md", ROOT / "CONTRIBUTING.md", ROOT / "ARCHITECTURE.md", *DOCS]


def _shell_commands() -> list[str]:
    blocks = re.findall(r"```(?:sh|bash|shell)\n(.*?)```", README, flags=re.S)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


def test_readme_names_the_two_setup_commands() -> None:
    commands = _shell_commands()
    assert "./scripts/demo" in commands
    assert "./scripts/test" in commands


def test_setup_scripts_exist_and_are_executable() -> None:
    for name in ("demo", "test"):
        script = ROOT / "scripts" / name
        assert script.is_file(), f"scripts/{name} is missing"
        assert os.access(script, os.X_OK), f"scripts/{name} is not executable"


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "./scripts/test" in ci


def test_demo_script_runs_sipas_demo() -> None:
    assert '"$VENV/bin/sipas" demo' in (ROOT / "scripts" / "demo").read_text(encoding="utf-8")


def test_the_readme_fits_on_about_two_screens() -> None:
    assert len(README.splitlines()) <= 100, "move detail into docs/ and link it"


def test_every_link_between_the_pages_resolves() -> None:
    for page in PAGES:
        text = page.read_text(encoding="utf-8")
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", text):
            if "://" in target or target.startswith("mailto:"):
                continue
            assert (page.parent / target).exists(), f"{page.relative_to(ROOT)} links to {target}"


def test_every_sipas_command_in_the_docs_exists() -> None:
    text = "\n".join(page.read_text(encoding="utf-8") for page in PAGES)
    mentioned = re.findall(r"`(?:\.venv/bin/)?sipas ([a-z-]+)(?: ([a-z-]+))?", text)
    mentioned += re.findall(r"^\.venv/bin/sipas ([a-z-]+)(?: ([a-z-]+))?", text, flags=re.M)
    assert mentioned, "the docs show no sipas commands"
    context = click.Context(cli)  # commands are loaded when asked for
    for group, sub in mentioned:
        if group.startswith("-"):  # an option of sipas itself (`sipas --help`), not a command
            continue
        command = cli.get_command(context, group)
        assert command is not None, f"the docs mention `sipas {group}`, which does not exist"
        subcommands = getattr(command, "commands", None)
        if sub and subcommands is not None:
            assert sub in subcommands, (
                f"the docs mention `sipas {group} {sub}`, which does not exist"
            )
