"""Rows of CSV (UTF-8 with or without BOM; ',' ';' or tab) and XLSX (first sheet), streamed."""

from __future__ import annotations

import csv
import itertools
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import openpyxl
from openpyxl.styles.numbers import is_datetime
from openpyxl.utils.exceptions import InvalidFileException

from eudesk.storage.csv_safety import restore
from eudesk.storage.transfer.rows import (
    ImportRejected,
    RowError,
    UnsupportedFormat,
    columns,
    day_columns,
    required_columns,
    row_model,
)

Cells = dict[str, str | None]
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0"


def file_format(path: Path) -> str:
    """ "xlsx" or "csv", from the first bytes rather than the name (exports may be named freely)."""
    with path.open("rb") as handle:
        magic = handle.read(4)
    if magic == ZIP_MAGIC:
        return "xlsx"
    if magic == OLE_MAGIC:
        raise UnsupportedFormat(path, "an old .xls workbook; save it as .xlsx or as CSV UTF-8")
    return "csv"


def read_rows(path: Path, kind: str) -> Iterator[tuple[int, Cells]]:
    """(line, cells) for every non-blank data row; the header is line 1, as a spreadsheet counts.

    Cells are stripped and empty ones are None. A cell under no header is kept under "#N" (its
    column number) so that validation reports it. A bad header raises ImportRejected at once.
    """
    fmt = file_format(path)
    raw = _csv_rows(path, kind) if fmt == "csv" else _xlsx_rows(path, kind)
    numbered = enumerate(raw, start=1)
    first = next(numbered, None)
    if first is None:
        raise ImportRejected(kind, path, [RowError(1, None, "the file is empty (no header row)")])
    names = _header(first[1], kind, path)
    days = day_columns(row_model(kind))
    for line, values in numbered:
        cells: Cells = dict.fromkeys(name for name in names if name is not None)
        for position, value in enumerate(values):
            name = names[position] if position < len(names) else None
            text = cell_text(value, day=name in days)
            if fmt == "csv" and text is not None:
                text = restore(text)  # "'=x", written so by a CSV export, is "=x" again
            if name is not None:
                cells[name] = text
            elif text is not None:
                cells[f"#{position + 1}"] = text
        if any(value is not None for value in cells.values()):
            yield line, cells


def cell_text(value: Any, *, day: bool = False) -> str | None:
    """What a person reads in the cell, as import parses it: stripped, None when empty.

    A date-time keeps its time, midnight included ("2026-12-15 00:00" is not "2026-12-15",
    which a due column reads as 23:59); only in a date column (`day`) is midnight just the day.
    """
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        if day and value.time() == time(0, 0):
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        # Excel keeps every number as a double: 12500 comes back as 12500.0.
        return str(int(value))
    text = str(value).strip()
    return text or None


def _header(values: Sequence[Any], kind: str, path: Path) -> list[str | None]:
    """Column names by position (None for an empty header cell); every header problem at once."""
    model = row_model(kind)
    known = columns(model)
    names: list[str | None] = []
    errors: list[RowError] = []
    for value in values:
        text = cell_text(value)
        name = text.lstrip("\ufeff").lower() if text else None
        if name is not None and name not in known:
            errors.append(RowError(1, name, f"unknown column; the columns are {', '.join(known)}"))
        elif name is not None and name in names:
            errors.append(RowError(1, name, "the column appears twice"))
        names.append(name)
    for missing in sorted(required_columns(model) - set(names), key=known.index):
        errors.append(RowError(1, missing, "required column is missing"))
    if errors:
        raise ImportRejected(kind, path, errors)
    return names


def _csv_rows(path: Path, kind: str) -> Iterator[Sequence[Any]]:
    with path.open("rb") as handle:
        lines = _decoded(handle, kind, path)
        first = next(lines, "")
        counts = {delimiter: first.count(delimiter) for delimiter in (",", ";", "\t")}
        # Serbian-locale Excel separates with ';'; a tie (one column) falls back to ','.
        delimiter = max(counts, key=lambda d: (counts[d], d == ","))
        reader = csv.reader(itertools.chain([first], lines), delimiter=delimiter)
        try:
            yield from reader
        except csv.Error as exc:
            raise ImportRejected(kind, path, [RowError(reader.line_num, None, str(exc))]) from None


def _decoded(handle: Iterable[bytes], kind: str, path: Path) -> Iterator[str]:
    """Text lines; decoded one by one so that a non-UTF-8 byte is reported on its own line."""
    for number, raw in enumerate(handle, start=1):
        try:
            # utf-8-sig drops the BOM Excel writes with "CSV UTF-8"; plain UTF-8 reads the same.
            yield raw.decode("utf-8-sig" if number == 1 else "utf-8")
        except UnicodeDecodeError:
            message = 'the file is not UTF-8 text; save it as "CSV UTF-8" or as .xlsx'
            raise ImportRejected(kind, path, [RowError(number, None, message)]) from None


def _xlsx_rows(path: Path, kind: str) -> Iterator[Sequence[Any]]:
    # A file object, not the name: openpyxl refuses names that do not end in .xlsx.
    with path.open("rb") as handle:
        try:
            workbook = openpyxl.load_workbook(handle, read_only=True, data_only=True)
        except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError) as exc:
            error = RowError(1, None, f"not an XLSX workbook: {exc}")
            raise ImportRejected(kind, path, [error]) from exc
        try:
            for row in workbook.worksheets[0].iter_rows():
                yield [_shown(cell) for cell in row]
        finally:
            workbook.close()


def _shown(cell: Any) -> Any:
    """A cell's value; a date-time shown as a date only (no hours in its format) is that date."""
    value = cell.value
    if isinstance(value, datetime) and is_datetime(getattr(cell, "number_format", None)) == "date":
        return value.date()
    return value
