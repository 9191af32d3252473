"""Spreadsheet-safe CSV cells: a cell a spreadsheet would run as a formula is written as text."""

from __future__ import annotations

# OWASP "CSV injection": Excel and LibreOffice treat a cell starting with one of these as a
# formula (or, for tab and CR, strip them and look at what follows).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: str) -> str:
    """A cell that would start a formula gets a leading apostrophe, which spreadsheets show as
    text and hide; so does a cell that already looks neutralised ("'=x"), so that `restore`
    gives every value back exactly. Every other cell is written as it is."""
    if value.startswith(FORMULA_STARTS) or _looks_neutralised(value):
        return "'" + value
    return value


def restore(value: str) -> str:
    """The inverse on import: "'=SUM(A1)" written by `neutralise` reads back as "=SUM(A1)".
    An apostrophe before anything else is the cell's own text and stays."""
    if _looks_neutralised(value):
        return value[1:]
    return value


def _looks_neutralised(value: str) -> bool:
    stripped = value.lstrip("'")
    return stripped != value and stripped.startswith(FORMULA_STARTS)
