"""The engine, sessions and one transaction per unit of work; database errors mapped to our own."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from eudesk.storage.changes import take_announcement
from eudesk.storage.errors import DatabaseUnavailable, StorageError

__all__ = ["Database", "DatabaseUnavailable", "StorageError", "create_engine", "safe_url"]

logger = logging.getLogger(__name__)


def async_url(url: str | URL) -> URL:
    """Accept the URLs people write (postgresql://, sqlite:///) and pick the async driver."""
    parsed = make_url(url)
    driver = {
        "postgresql": "postgresql+asyncpg",
        "postgres": "postgresql+asyncpg",
        "postgresql+psycopg2": "postgresql+asyncpg",
        "sqlite": "sqlite+aiosqlite",
        "sqlite+pysqlite": "sqlite+aiosqlite",
    }.get(parsed.drivername, parsed.drivername)
    return parsed.set(drivername=driver)


def safe_url(url: str | URL) -> str:
    """The URL as it may appear in a log line or a message: no password."""
    return make_url(url).render_as_string(hide_password=True)


def _sqlite_listeners(engine: AsyncEngine) -> None:
    """Let SQLAlchemy, not the sqlite3 module, run transactions (SAVEPOINT and rollback work)."""

    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        # IMMEDIATE takes the write lock up front: concurrent transactions queue (busy_timeout)
        # instead of deadlocking when two readers both try to write. PostgreSQL is the backend
        # for concurrency; embedded SQLite trades it for simple, correct serialisation.
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_engine(url: str | URL, **kwargs: Any) -> AsyncEngine:
    """An async engine for a URL, with SQLite made transactional and foreign keys on."""
    url = async_url(url)
    # A failed statement's exception text would otherwise carry its parameters (a passport
    # number, a holder's name) into whatever logs it.
    kwargs.setdefault("hide_parameters", True)
    if url.get_backend_name() == "sqlite":
        engine = create_async_engine(url, **kwargs)
        _sqlite_listeners(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    kwargs.setdefault("connect_args", {"timeout": 10})
    return create_async_engine(url, **kwargs)


def is_unreachable(exc: BaseException) -> bool:
    """Whether an exception means "cannot connect" rather than "bad statement"."""
    if isinstance(exc, OSError | TimeoutError):
        return True
    if isinstance(exc, OperationalError | InterfaceError):
        return True
    return isinstance(exc, DBAPIError) and exc.connection_invalidated


class Database:
    """An engine (or a test connection) and the sessions made on it."""

    def __init__(self, bind: AsyncEngine | AsyncConnection) -> None:
        self.bind = bind
        self._sessions = async_sessionmaker(
            bind=bind,
            expire_on_commit=False,
            # In tests the bind is a connection inside an outer transaction: commits become
            # SAVEPOINT releases, and the test's rollback removes everything.
            join_transaction_mode="create_savepoint",
        )
        self._change_listeners: list[Callable[[], object]] = []

    @classmethod
    def from_url(cls, url: str | URL, **kwargs: Any) -> Database:
        return cls(create_engine(url, **kwargs))

    @property
    def url(self) -> URL:
        return self.bind.engine.url if isinstance(self.bind, AsyncConnection) else self.bind.url

    @property
    def dialect(self) -> str:
        return self.url.get_backend_name()

    def session(self) -> AsyncSession:
        """A session the caller closes; prefer `transaction()`."""
        return self._sessions()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: commits when the block ends, rolls back on any exception. After a
        commit of a transaction that announced a change (storage.changes), the change listeners
        of this Database are called."""
        try:
            async with self._sessions() as session:
                async with session.begin():
                    yield session
                changed = take_announcement(session)
        except (OSError, OperationalError, InterfaceError) as exc:
            if is_unreachable(exc):
                raise DatabaseUnavailable(safe_url(self.url), _reason(exc)) from exc
            raise
        if changed:
            self._changed()

    def on_change(self, callback: Callable[[], object]) -> Callable[[], None]:
        """Call `callback` after each committed transaction (of this process, on this Database)
        that announced a change; returns the function that removes it again."""
        self._change_listeners.append(callback)

        def remove() -> None:
            if callback in self._change_listeners:
                self._change_listeners.remove(callback)

        return remove

    def _changed(self) -> None:
        # The data is committed whatever a listener does: a failing one is logged, not raised.
        for callback in list(self._change_listeners):
            try:
                callback()
            except Exception:
                logger.exception("a change listener failed")

    async def ping(self) -> None:
        """Raise DatabaseUnavailable unless a trivial query answers."""
        async with self.transaction() as session:
            await session.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        if isinstance(self.bind, AsyncEngine):
            await self.bind.dispose()


def _reason(exc: BaseException) -> str:
    """The first line of the innermost error, which names the real cause."""
    inner: BaseException = exc
    while getattr(inner, "orig", None) is not None:
        inner = inner.orig  # type: ignore[attr-defined]
    message = str(inner).strip().splitlines()
    return message[0] if message else type(inner).__name__
