"""Changes the reminders depend on: announced inside a transaction, heard after it commits.

A transaction that changed deadlines, meetings, subscriptions or guidelines calls
`announce(session)`. On PostgreSQL that is a NOTIFY on `eudesk_changes`, which the server
delivers only when the transaction commits, to every process that listens (`ChangeListener`):
a worker wakes when a web process or the CLI changed data. On every backend it also marks the
session, so `Database.transaction()` calls the in-process listeners (`Database.on_change`) after
a successful commit. A rolled-back change wakes nobody. An announcement is only a hint to plan
now: the planner's own tick still runs, so one that is lost delays reminders, nothing more.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from sqlalchemy import text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncSession, async_object_session

if TYPE_CHECKING:
    from eudesk.storage.db import Database  # db.py imports this module: no cycle at run time

logger = logging.getLogger(__name__)

CHANNEL = "eudesk_changes"
MISSED = ""  # the payload after a reconnect: announcements may have been missed meanwhile
_ANNOUNCED = "eudesk.changes.announced"  # the session.info key Database.transaction() reads
CONNECT_TIMEOUT = 10.0
CHECK_TIMEOUT = 10.0


async def announce(session: AsyncSession) -> None:
    """Wake the planners once this session's transaction commits; twice in one transaction is
    once (PostgreSQL folds equal notifications, and the mark is a flag)."""
    session.info[_ANNOUNCED] = True
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        # The payload names the transaction; a listener needs none, but it tells them apart.
        await session.execute(
            text("SELECT pg_notify(:channel, txid_current()::text)"), {"channel": CHANNEL}
        )


async def announce_for(record: object) -> None:
    """`announce()` in the transaction that loaded `record`: for handlers, which are given
    records through repositories, never the session."""
    session = async_object_session(record)
    if session is None:
        raise ValueError(f"{type(record).__name__} is not attached to a session")
    await announce(session)


async def announce_now(database: Database) -> None:
    """For work that committed in transactions of its own (an import): announce on its own."""
    async with database.transaction() as session:
        await announce(session)


def take_announcement(session: AsyncSession) -> bool:
    """Whether the session announced a change (and forget it: one wake per transaction)."""
    return bool(session.info.pop(_ANNOUNCED, False))


def _errors() -> tuple[type[BaseException], ...]:
    """What "the connection failed" looks like; asyncpg is imported only where it is used."""
    import asyncpg

    return (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError)


class ChangeListener:
    """LISTEN eudesk_changes on a PostgreSQL connection of its own; `callback(payload)` for each
    committed announcement, from any process. A dropped connection is reopened with backoff,
    and the callback then runs once with MISSED, since announcements in the gap were lost."""

    def __init__(
        self,
        url: URL | str,
        callback: Callable[[str], object],
        *,
        check_every: float = 30.0,
        backoff: tuple[float, float] = (0.5, 30.0),
    ) -> None:
        # SQLAlchemy's URL (postgresql+asyncpg://) as the plain DSN asyncpg itself reads.
        parsed = make_url(url)
        self._dsn = parsed.set(drivername="postgresql").render_as_string(hide_password=False)
        self._where = parsed.render_as_string(hide_password=True)
        self._callback = callback
        self._check_every = check_every
        self._backoff = backoff
        self._conn: Any = None
        self._wakeup = asyncio.Event()  # stop() or a lost connection
        self._stopping = False
        self._task: asyncio.Task[None] | None = None

    @property
    def backend_pid(self) -> int | None:
        """The server process of the listening connection (None while disconnected)."""
        return None if self._conn is None else int(self._conn.get_server_pid())

    async def start(self) -> None:
        """Returns once LISTEN is in place; when the server does not answer, after logging it
        (the listener keeps trying in the background)."""
        try:
            self._conn = await self._connect()
        except _errors() as exc:
            logger.warning("change listener: cannot listen on %s yet: %s", self._where, exc)
        self._task = asyncio.create_task(self._run(), name="eudesk change listener")

    async def stop(self) -> None:
        self._stopping = True
        self._wakeup.set()
        if self._task is not None:
            await self._task
        await self._close()

    async def _connect(self) -> Any:
        import asyncpg

        conn = await asyncpg.connect(
            self._dsn,
            timeout=CONNECT_TIMEOUT,
            server_settings={"application_name": "eudesk change listener"},
        )
        try:
            await conn.add_listener(CHANNEL, self._notified)
        except BaseException:
            await conn.close()
            raise
        conn.add_termination_listener(self._lost)
        return conn

    def _notified(self, _conn: Any, _pid: int, _channel: str, payload: str) -> None:
        self._deliver(payload)

    def _lost(self, _conn: Any) -> None:
        self._wakeup.set()

    def _deliver(self, payload: str) -> None:
        try:
            self._callback(payload)
        except Exception:
            logger.exception("change listener: the callback failed")

    async def _run(self) -> None:
        """Watch the connection; reopen it with growing pauses whenever it is lost."""
        delay = self._backoff[0]
        while not self._stopping:
            if self._conn is None:
                try:
                    self._conn = await self._connect()
                except _errors() as exc:
                    logger.warning(
                        "change listener: cannot listen on %s (%s); again in %.1f s",
                        self._where, exc, delay,
                    )  # fmt: skip
                    await self._pause(delay)
                    delay = min(delay * 2, self._backoff[1])
                    continue
                logger.info("change listener: listening on %s again", self._where)
                delay = self._backoff[0]
                self._deliver(MISSED)
            await self._watch()
            await self._close()

    async def _watch(self) -> None:
        """Return when stopping or when the connection is lost (the server closed it, or a
        periodic check found it dead: a silently dropped network closes nothing)."""
        while not self._stopping:
            await self._pause(self._check_every)
            if self._stopping or self._conn is None or self._conn.is_closed():
                return
            try:
                await asyncio.wait_for(self._conn.execute("SELECT 1"), CHECK_TIMEOUT)
            except _errors() as exc:
                logger.warning("change listener: connection lost (%s)", exc)
                return

    async def _pause(self, seconds: float) -> None:
        """Sleep, cut short by stop() or a lost connection."""
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wakeup.wait(), seconds)
        if not self._stopping:
            self._wakeup.clear()

    async def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        conn.remove_termination_listener(self._lost)  # closing on purpose is not a loss
        if conn.is_closed():
            return
        try:
            await asyncio.wait_for(conn.close(), CHECK_TIMEOUT)
        except _errors():
            conn.terminate()
