"""Listings on stdout in the shape asked for: a table for people, CSV or JSON for scripts.

`emit(headers, rows, shape)` prints a listing (`aemit` for rows that arrive from an async stream,
written as they come in CSV and JSON). Every command's output survives its reader leaving early
(`eudesk audit --format csv | head`): a write to a closed pipe raises StdoutClosed, which is not
an OSError (so a transaction around the writing does not take it for a lost database), and
`eudesk.bot.cli.main` ends the command quietly with status 0 when `reader_left(exc)`.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import sys
from collections.abc import AsyncIterable, Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any, TextIO

import typer
from rich.console import Console
from rich.table import Table
from rich.text import Text
from sqlalchemy.exc import DBAPIError

from eudesk.storage.csv_safety import neutralise


class OutputFormat(StrEnum):
    """What every listing command's --format takes."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


FORMAT_HELP = "table (for reading), csv or json (for scripts)"

Cell = str | int | float | Decimal | date | datetime | bool | None


class StdoutClosed(Exception):
    """The reader of stdout went away (`eudesk ... | head`): nothing more can be shown."""


class OutputConsole(Console):
    """A rich Console whose broken pipe is StdoutClosed (rich's own default exits with 1)."""

    def on_broken_pipe(self) -> None:
        self.quiet = True
        silence_stdout()
        raise StdoutClosed


# Tables wrap long cells instead of cutting them, so 80 columns stay readable.
_console = OutputConsole(highlight=False, soft_wrap=False)


def emit(
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    shape: OutputFormat,
    *,
    title: str | None = None,
    console: Console | None = None,
) -> int:
    """Print rows with their headers; returns how many rows were printed. Names and other text
    from chats are printed as text, never as rich markup; CSV text cells that a spreadsheet
    would run as a formula are neutralised (numbers stay numbers)."""
    if shape is OutputFormat.TABLE:
        return _table(headers, rows, title=title, console=console)
    writer = _writer(headers, shape)
    for row in rows:
        writer.row(row)
    return writer.end()


async def aemit(
    headers: Sequence[str],
    rows: AsyncIterable[Sequence[Cell]],
    shape: OutputFormat,
    *,
    title: str | None = None,
    console: Console | None = None,
) -> int:
    """`emit` for rows from an async stream: CSV and JSON are written as the rows arrive."""
    if shape is OutputFormat.TABLE:
        collected = [row async for row in rows]
        return _table(headers, collected, title=title, console=console)
    writer = _writer(headers, shape)
    async for row in rows:
        writer.row(row)
    return writer.end()


def _table(
    headers: Sequence[str],
    rows: Iterable[Sequence[Cell]],
    *,
    title: str | None,
    console: Console | None,
) -> int:
    table = Table(title=title, title_justify="left", expand=False)
    for header in headers:
        table.add_column(Text(header), overflow="fold")  # wrap, never "…"
    count = 0
    for row in rows:
        table.add_row(*(Text(_text(cell)) for cell in row))
        count += 1
    (console or _console).print(table)
    return count


class _Writer:
    """CSV or JSON rows onto stdout, one at a time."""

    def __init__(self, headers: Sequence[str], shape: OutputFormat, out: TextIO) -> None:
        self.headers = list(headers)
        self.shape = shape
        self.out = out
        self.count = 0
        self.csv = csv.writer(out)
        if shape is OutputFormat.CSV:
            self._write(lambda: self.csv.writerow(self.headers))
        else:
            self._write(lambda: out.write("["))

    def row(self, row: Sequence[Cell]) -> None:
        if self.shape is OutputFormat.CSV:
            cells = [_csv_cell(cell) for cell in row]
            self._write(lambda: self.csv.writerow(cells))
        else:
            record = dict(zip(self.headers, (_json_cell(cell) for cell in row), strict=True))
            text = ("," if self.count else "") + "\n  " + json.dumps(record, ensure_ascii=False)
            self._write(lambda: self.out.write(text))
        self.count += 1

    def end(self) -> int:
        if self.shape is OutputFormat.JSON:
            self._write(lambda: self.out.write("\n]\n" if self.count else "]\n"))
        self._write(self.out.flush)
        return self.count

    @staticmethod
    def _write(action: Any) -> None:
        try:
            action()
        except BrokenPipeError as exc:
            silence_stdout()
            raise StdoutClosed from exc


def _writer(headers: Sequence[str], shape: OutputFormat) -> _Writer:
    return _Writer(headers, shape, sys.stdout)


def _text(cell: Cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, datetime):
        return cell.isoformat(sep=" ", timespec="minutes")
    return str(cell)


def _csv_cell(cell: Cell) -> str:
    """Text is neutralised; a number (a negative amount too) is written as the number it is."""
    if cell is None:
        return ""
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, int | float | Decimal):
        return str(cell)
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    return neutralise(cell)


def _json_cell(cell: Cell) -> Any:
    if isinstance(cell, Decimal):
        return str(cell)  # exact, as a JSON number would not be
    if isinstance(cell, datetime | date):
        return cell.isoformat()
    return cell


def silence_stdout() -> None:
    """Point stdout at /dev/null, so the interpreter's final flush cannot raise again."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def stdout_closed() -> typer.Exit:
    """`eudesk ... | head`: the reader left. Silence stdout and end quietly (raise the result)."""
    silence_stdout()
    return typer.Exit(0)


def reader_left(exc: BaseException) -> bool:
    """Whether exc, or what it was raised from or during, is stdout's reader having left.

    A broken pipe under a database driver's error is the database's connection, not stdout.
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, StdoutClosed | BrokenPipeError):
            return True
        if isinstance(current, DBAPIError):
            return False
        current = current.__cause__ or current.__context__
    return False
