"""Errors storage raises on purpose; each carries the data it is about.

StorageError
├── DatabaseUnavailable      cannot connect (url without password, reason)
├── RecordNotFound           no row with that key (kind, key)
└── DuplicateRecord          the key is taken (kind, key)
"""

from __future__ import annotations


class StorageError(Exception):
    """Root of the errors storage raises on purpose."""


class DatabaseUnavailable(StorageError):
    """The database cannot be reached; carries the URL with its password hidden."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"database {url} is unreachable: {reason}")


class RecordNotFound(StorageError):
    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"no {kind} {key!r}")


class DuplicateRecord(StorageError):
    def __init__(self, kind: str, key: object) -> None:
        self.kind = kind
        self.key = key
        super().__init__(f"{kind} {key!r} already exists")
