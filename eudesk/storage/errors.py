"""Errors storage raises on purpose; each carries the data it is about.

StorageError
├── DatabaseUnavailable      cannot connect (url without password, reason)
│   └── DatabaseNotReady     no database there, or not at this eudesk's schema: says what to run
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


class DatabaseNotReady(DatabaseUnavailable):
    """There is no database at the URL, or it has no schema, or not the one this eudesk needs;
    the message is one line that says what to run. An unavailable database for the CLI (exit
    status 3): nothing will work until an operator acts."""

    def __init__(self, url: str, problem: str, remedy: str) -> None:
        self.url = url
        self.reason = problem
        self.remedy = remedy
        StorageError.__init__(self, f"{problem}: {remedy}")

    @classmethod
    def missing_file(cls, url: str, path: str) -> DatabaseNotReady:
        return cls(url, f"no database at {path}", INIT_REMEDY)

    @classmethod
    def no_schema(cls, url: str) -> DatabaseNotReady:
        return cls(url, f"the database at {url} has no schema", UPGRADE_REMEDY)

    @classmethod
    def behind(cls, url: str, revision: str, head: str) -> DatabaseNotReady:
        return cls(
            url, f"the database at {url} is at revision {revision}, this eudesk needs {head}",
            UPGRADE_REMEDY,
        )  # fmt: skip

    @classmethod
    def unknown(cls, url: str, revision: str, head: str) -> DatabaseNotReady:
        return cls(
            url,
            f"the database at {url} is at revision {revision}, which this eudesk (newest "
            f"{head}) does not know",
            "a newer eudesk migrated it; install that version",
        )


UPGRADE_REMEDY = "run `eudesk db upgrade`"
INIT_REMEDY = "run `eudesk db upgrade` (or `eudesk run --init-demo`)"


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
