"""Every `eudesk` command and group answers --help with a description, and the README's
configuration table lists every EUDESK_ variable with its default."""

from __future__ import annotations

import re
from datetime import time
from enum import Enum
from pathlib import Path

import pytest
import typer
from typer.core import TyperGroup
from typer.testing import CliRunner

from eudesk.bot.cli import app
from eudesk.bot.settings import Settings

README = Path(__file__).resolve().parents[2] / "README.md"


def command_paths() -> list[tuple[str, ...]]:
    """Every command and group of the app, sub-apps included, as the words that reach it."""
    paths: list[tuple[str, ...]] = []

    def walk(command: object, path: tuple[str, ...]) -> None:
        paths.append(path)
        if isinstance(command, TyperGroup):
            for name, sub in sorted(command.commands.items()):
                walk(sub, (*path, name))

    walk(typer.main.get_command(app), ())
    return paths


def description(path: tuple[str, ...]) -> str:
    """The first paragraph of a command's help text (its docstring or help=)."""
    command = typer.main.get_command(app)
    for name in path:
        assert isinstance(command, TyperGroup)
        command = command.commands[name]
    return (command.help or "").strip().split("\n\n")[0]


def words(text: str) -> str:
    return " ".join(text.split())


def test_the_walk_reaches_sub_commands() -> None:
    paths = command_paths()
    assert ("db", "upgrade") in paths
    assert ("run",) in paths
    assert ("outbox",) in paths


@pytest.mark.parametrize("path", command_paths(), ids=lambda p: " ".join(p) or "eudesk")
def test_help_describes_the_command(path: tuple[str, ...]) -> None:
    text = description(path)
    assert text, f"`eudesk {' '.join(path)}` has no description"
    result = CliRunner().invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "Usage: eudesk" in result.output
    assert words(text) in words(result.output)


def readme_configuration() -> dict[str, str]:
    """`EUDESK_X` → its default cell, from the README's configuration table."""
    rows = re.findall(r"^\| `(EUDESK_[A-Z0-9_]+)` \| ([^|]*) \|", README.read_text(), re.M)
    return {name: cell.strip() for name, cell in rows}


def shown(default: object) -> str:
    """A default as the README writes it: in backticks, or "unset" for None."""
    if default is None:
        return "unset"
    if isinstance(default, Enum):
        default = default.value
    if isinstance(default, time):
        default = default.strftime("%H:%M")
    return f"`{default}`"


def test_the_readme_lists_every_setting_with_its_default() -> None:
    table = readme_configuration()
    missing, wrong = [], []
    for name, field in Settings.model_fields.items():
        variable = f"EUDESK_{name.upper()}"
        expected = shown(field.default)
        if variable not in table:
            missing.append(f"{variable} (default {expected})")
        elif not table[variable].startswith(expected):
            wrong.append(f"{variable}: README says {table[variable]!r}, the code {expected}")
    assert not missing, "README.md's configuration table lacks: " + "; ".join(missing)
    assert not wrong, "; ".join(wrong)
