"""The migrations build the schema the models describe, on every backend."""

from __future__ import annotations

from datetime import UTC, datetime

from alembic import command
from sqlalchemy import Connection, select, text, update

from eudesk.storage.db import Database
from eudesk.storage.migrate import alembic_config, current_revision, drift, head_revision, upgrade
from eudesk.storage.models import Subscription


async def downgrade(db: Database, revision: str) -> None:
    """Alembic's downgrade on the database's own connection (eudesk itself never goes back)."""

    def run(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, revision)

    async with db.transaction() as session:
        connection = await session.connection()
        await connection.run_sync(run)


async def test_upgrade_on_an_empty_database_reaches_head(empty_database_url: str) -> None:
    database = Database.from_url(empty_database_url)
    try:
        assert await current_revision(database) is None
        await upgrade(database)
        assert await current_revision(database) == head_revision()
        await upgrade(database)  # a second upgrade is a no-op
        assert await current_revision(database) == head_revision()
    finally:
        await database.dispose()


async def test_models_and_migrations_do_not_drift(db: Database) -> None:
    assert await drift(db) == []


async def test_0008_turns_minute_leads_into_typed_leads_and_back(empty_database_url: str) -> None:
    """Rows written with the old lead_minutes column read back as the same leads after 0008."""
    database = Database.from_url(empty_database_url)
    old = {
        1: ("calls", "20160,4320,1440"),  # the old default: 14d, 3d, 1d
        2: ("chapter_meetings", "120"),  # 2 hours
        3: ("calls", "90,2880,45"),  # minutes that are not whole hours stay minutes
        4: ("calls", "x,-5,0"),  # nothing usable: the topic's default, as the planner read it
        5: ("cluster_meetings", ""),
    }
    try:
        await upgrade(database, "0007")
        async with database.transaction() as session:
            for ident, (topic, minutes) in old.items():
                await session.execute(
                    text(
                        "INSERT INTO subscriptions (id, platform, chat_id, topic, topic_key,"
                        " lead_minutes, quiet_start, quiet_end, locale, digest, active, created_at)"
                        " VALUES (:id, 'telegram', :chat, :topic, '1', :minutes, '08:00:00',"
                        " '18:00:00', 'sr-Latn', 'none', :active, :at)"
                    ),
                    {"id": ident, "chat": f"chat{ident}", "topic": topic, "minutes": minutes,
                     "active": True, "at": datetime(2026, 12, 1, tzinfo=UTC)},
                )  # fmt: skip
        await upgrade(database)
        assert await current_revision(database) == head_revision()
        async with database.transaction() as session:
            rows = {
                i: v for i, v in await session.execute(select(Subscription.id, Subscription.leads))
            }
        assert rows == {1: "14d,3d,1d", 2: "2h", 3: "2d,90m,45m", 4: "14d,3d,1d", 5: "2h"}
        async with database.transaction() as session:
            await session.execute(
                update(Subscription).where(Subscription.id == 1).values(leads="14d,3wd,2h")
            )
        await downgrade(database, "0007")
        async with database.transaction() as session:
            back: dict[int, str] = dict(
                (await session.execute(text("SELECT id, lead_minutes FROM subscriptions"))).all()
            )
        assert back[1] == "20160,4320,120"  # a working day goes back as a calendar day
        assert (back[2], back[3]) == ("120", "2880,90,45")
    finally:
        await database.dispose()
