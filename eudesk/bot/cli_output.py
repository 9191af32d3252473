"""Listings on stdout in the shape asked for: a table for people, CSV or JSON for scripts."""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
from collections.abc import Iterable, Sequence
from enum import StrEnum

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text

from eudesk.storage.csv_safety import neutralise


class OutputFormat(StrEnum):
    """What every listing command's --format takes."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


FORMAT_HELP = "table (for reading), csv or json (for scripts)"

# Tables wrap long cells instead of cutting them, so 80 columns stay readable.
_console = Console(highlight=False, soft_wrap=False)

Cell = str | int | float | bool | None


def emit(
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    shape: OutputFormat,
    *,
    title: str | None = None,
    console: Console | None = None,
) -> int:
    """Print rows with their headers; returns how many rows were printed. Names and other text
    from chats are printed as text, never as rich markup."""
    if shape is OutputFormat.CSV:
        writer = csv.writer(sys.stdout)
        writer.writerow(headers)
        count = 0
        for row in rows:
            writer.writerow([neutralise(_text(cell)) for cell in row])
            count += 1
        sys.stdout.flush()
        return count
    if shape is OutputFormat.JSON:
        records = [dict(zip(headers, row, strict=True)) for row in rows]
        sys.stdout.write(json.dumps(records, ensure_ascii=False, indent=2, default=str) + "\n")
        sys.stdout.flush()
        return len(records)
    table = Table(*headers, title=title, title_justify="left", expand=False)
    for column in table.columns:
        column.overflow = "fold"  # wrap, never "…"
    count = 0
    for row in rows:
        table.add_row(*(Text(_text(cell)) for cell in row))
        count += 1
    (console or _console).print(table)
    return count


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    return str(cell)


def stdout_closed() -> typer.Exit:
    """`eudesk ... | head`: the reader left. Point stdout at /dev/null so the interpreter's
    final flush cannot raise again, and end quietly."""
    with contextlib.suppress(OSError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return typer.Exit(0)
