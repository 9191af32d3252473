"""Import and export of projects, deadlines, meetings, contacts and passports as CSV or XLSX."""

from eudesk.storage.transfer.exporter import export_file
from eudesk.storage.transfer.importer import ImportReport, import_file
from eudesk.storage.transfer.rows import (
    ROW_MODELS,
    ImportRejected,
    RowError,
    TransferError,
    UnknownKind,
    UnsupportedFormat,
)

KINDS = tuple(ROW_MODELS)

__all__ = [
    "KINDS",
    "ImportRejected",
    "ImportReport",
    "RowError",
    "TransferError",
    "UnknownKind",
    "UnsupportedFormat",
    "export_file",
    "import_file",
]
