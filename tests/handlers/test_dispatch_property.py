"""Property: whatever text arrives, the dispatcher answers, and nothing is logged as an error."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from eudesk.handlers import command_table
from eudesk.handlers.context import HandlerConfig
from eudesk.handlers.dispatch import Dispatcher
from eudesk.handlers.messages import Incoming
from eudesk.storage.db import Database
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import Platform
from eudesk.storage.seed import seed_demo, seed_reference
from tests.databases import discard_database, new_database_url

NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)
words = st.sampled_from(
    [
        "/deadlines",
        "rokovi",
        "рокови",
        "/projects",
        "/project",
        "/meetings",
        "/meeting",
        "/passport",
        "/visa",
        "/guidelines",
        "/ack",
        "/agreements",
        "/calendar",
        "/invite",
        "/passport_set",
        "/deadline_move",
        "/lang",
        "/start",
        "/help",
        "week",
        "месец",
        "23",
        "poglavlje",
        "-1",
        "0",
        "99999999999999999999",
        "DEMO-",
        "%",
        "_",
        "'",
        "\\",
    ]
)
messages = st.one_of(
    st.text(max_size=300),
    st.lists(st.one_of(words, st.text(max_size=12)), max_size=6).map(" ".join),
)


def test_any_text_gets_a_reply(
    backend: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    loop = asyncio.new_event_loop()

    async def setup() -> tuple[Database, str]:
        url = await new_database_url(backend, tmp_path)
        database = Database.from_url(url)
        await upgrade(database)
        async with database.transaction() as session:
            await seed_reference(session)
        await seed_demo(database, scale=1, today=date(2026, 11, 27))
        return database, url

    database, url = loop.run_until_complete(setup())
    dispatcher = Dispatcher(database, command_table(), HandlerConfig(), clock=lambda: NOW)
    try:

        @settings(
            max_examples=150,
            deadline=None,
            suppress_health_check=[HealthCheck.function_scoped_fixture],
        )
        @given(text=messages, sender=st.sampled_from(["demo", "demo-staff", "demo-contact", "x"]))
        def answers(text: str, sender: str) -> None:
            caplog.clear()
            incoming = Incoming(platform=Platform.CONSOLE, chat_id="p", sender_id=sender, text=text)
            with caplog.at_level(logging.ERROR):
                reply = loop.run_until_complete(dispatcher.handle(incoming))
            assert reply.plain().strip()
            assert not caplog.records, [r.getMessage() for r in caplog.records]

        answers()
    finally:
        loop.run_until_complete(database.dispose())
        loop.run_until_complete(discard_database(backend, url))
        loop.close()
