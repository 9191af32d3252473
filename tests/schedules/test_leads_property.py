"""Property: typed leads fire when people mean them, checked against a reference of its own.

The reference below uses only zoneinfo and `holidays` (none of the planner's helpers): a day lead
is the same Belgrade wall time N calendar days earlier, a working-day lead N working days earlier
at the same wall time, an hour or minute lead an exact duration; a wall time in the spring gap
moves forward by the gap, a repeated autumn one is its first occurrence (zoneinfo's fold=0).
Then a fire outside the allowed hours or off a working day moves back to the end of the latest
allowed slot before it. Items are drawn over 2026-2030 with extra weight around the changes of
summer time, Orthodox Easter, 1-2 May, 11 November and the New Year.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from eudesk.schedules.calendar import WorkingCalendar
from eudesk.schedules.planner import Planner, calendar_place
from eudesk.storage.db import Database
from eudesk.storage.models import (
    Deadline,
    DeadlineKind,
    OutboxEntry,
    OutboxState,
    Platform,
    Subscription,
    SubscriptionTopic,
)

ZONE = ZoneInfo("Europe/Belgrade")
OFF = holidays.country_holidays("RS", years=range(2025, 2032), observed=True)
WINDOWS = [(time(8), time(18)), (time(9), time(17)), (time(7, 30), time(20)), (time(10), time(12))]
EXAMPLES = 150  # per backend; CI has two cores


def orthodox_easter(year: int) -> date:
    """Meeus's Julian-calendar algorithm, moved to the Gregorian calendar (1900-2099)."""
    a, b, c = year % 4, year % 7, year % 19
    d = (19 * c + 15) % 30
    e = (2 * a + 4 * b - d + 34) % 7
    month, day = divmod(d + e + 114, 31)
    return date(year, month, day + 1) + timedelta(days=13)


def _last_sunday(year: int, month: int) -> date:
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


ANCHORS = sorted(
    {
        anchor
        for year in range(2026, 2031)
        for anchor in (
            _last_sunday(year, 3), _last_sunday(year, 10), orthodox_easter(year),
            date(year, 5, 1), date(year, 11, 11), date(year, 1, 1),
        )
        if date(2026, 12, 1) <= anchor <= date(2030, 11, 30)
    }
)  # fmt: skip

# --- the reference -----------------------------------------------------------------------------


def working(day: date) -> bool:
    return day.weekday() < 5 and day not in OFF


def wall(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=ZONE).astimezone(UTC)  # fold=0


def reference_fire(item: datetime, token: str) -> datetime:
    count, unit = int(token.rstrip("dwhm")), token.lstrip("0123456789")
    if unit == "h":
        return item - timedelta(hours=count)
    if unit == "m":
        return item - timedelta(minutes=count)
    local = item.astimezone(ZONE)
    day = local.date()
    if unit == "d":
        return wall(day - timedelta(days=count), local.time().replace(fold=0))
    while count:
        day -= timedelta(days=1)
        count -= working(day)
    return wall(day, local.time().replace(fold=0))


def reference_due(item: datetime, token: str, window: tuple[time, time]) -> datetime:
    """The fire, or the latest allowed instant before it (windows hold no change of offset)."""
    target = min(reference_fire(item, token), item)
    day = target.astimezone(ZONE).date()
    while True:
        if working(day):
            start, end = wall(day, window[0]), wall(day, window[1])
            if start <= target:
                return min(target, end)
        day -= timedelta(days=1)


# --- what is drawn -----------------------------------------------------------------------------

near = st.builds(
    lambda anchor, shift: anchor + timedelta(days=shift),
    st.sampled_from(ANCHORS),
    st.integers(-3, 35),
)
anywhere = st.dates(date(2026, 12, 1), date(2030, 12, 31))
clock = st.one_of(
    st.sampled_from([time(2, 30), time(2, 0), time(3, 0), time(12, 45), time(8), time(18)]),
    st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45])),
)
items = st.builds(
    lambda day, at, fold: datetime.combine(day, at.replace(fold=fold), tzinfo=ZONE).astimezone(UTC),
    st.one_of(near, near, anywhere),
    clock,
    st.integers(0, 1),
)
tokens = st.one_of(
    st.builds("{}d".format, st.sampled_from([1, 3, 7, 14, 21, 28, 30])),
    st.builds("{}d".format, st.integers(1, 40)),
    st.builds("{}wd".format, st.integers(1, 15)),
    st.builds("{}h".format, st.sampled_from([1, 2, 3, 12, 25, 49])),
    st.builds("{}m".format, st.sampled_from([30, 90, 45])),
)


def distinct(leads: list[str]) -> list[str]:
    """Leads with distinct dedupe keys (a day lead shares its key with 24 h: the same reminder)."""
    seen: dict[str, str] = {}
    for token in leads:
        count, unit = int(token.rstrip("dwhm")), token.lstrip("0123456789")
        minutes = {"d": 1440, "h": 60, "m": 1}.get(unit)
        seen.setdefault(token if minutes is None else str(count * minutes), token)
    return list(seen.values())


async def _reset(db: Database, moments: list[datetime], leads: list[str],
                 window: tuple[time, time]) -> None:  # fmt: skip
    async with db.transaction() as session:
        for model in (OutboxEntry, Subscription, Deadline):
            await session.execute(delete(model))
    async with db.transaction() as session:
        session.add_all(
            Deadline(id=i, ref=f"D{i}", title=f"Call {i}", kind=DeadlineKind.CALL, due_at=moment)
            for i, moment in enumerate(moments, 1)
        )
        session.add(
            Subscription(
                id=1,
                platform=Platform.TELEGRAM,
                chat_id="chat1",
                topic=SubscriptionTopic.CALLS,
                leads=",".join(leads),
                quiet_start=window[0],
                quiet_end=window[1],
            )
        )


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    moments=st.builds(
        lambda base, later: [base, *(base + timedelta(minutes=15 * n) for n in later)],
        items,
        st.lists(st.integers(1, 700), max_size=2, unique=True),
    ),
    leads=st.lists(tokens, min_size=1, max_size=4, unique=True).map(distinct),
    window=st.sampled_from(WINDOWS),
)
# The case: 12:45 the day after the March 2027 change, 14 days and 3 working days.
@example(moments=[datetime(2027, 3, 29, 10, 45, tzinfo=UTC)], leads=["14d", "3wd"],
         window=WINDOWS[0])  # fmt: skip
# Autumn: 12:45 the day after the October 2027 change (a minute lead would say 13:45).
@example(moments=[datetime(2027, 11, 1, 11, 45, tzinfo=UTC)], leads=["14d", "2h"],
         window=WINDOWS[0])  # fmt: skip
async def test_every_fire_is_where_the_reference_puts_it(
    db: Database, moments: list[datetime], leads: list[str], window: tuple[time, time]
) -> None:
    connection = db.bind
    assert isinstance(connection, AsyncConnection)
    savepoint = await connection.begin_nested()  # each example starts from an empty database
    try:
        await _reset(db, moments, leads, window)
        # Planned well ahead of every lead, so each one gets its own row.
        now = min(moments) - timedelta(days=70)
        planner = Planner(db, place=calendar_place(WorkingCalendar(ZONE)), clock=lambda: now,
                          horizon_minutes=120 * 1440)  # fmt: skip
        await planner.plan_once()
        async with db.transaction() as session:
            rows = list(await session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))
        expected = {(i, token) for i in range(1, len(moments) + 1) for token in leads}
        found = {(row.item_id, json.loads(row.payload)["lead"]) for row in rows}
        assert found == expected
        for row in rows:
            item = moments[(row.item_id or 0) - 1]
            token = json.loads(row.payload)["lead"]
            due = row.due_at
            assert due == reference_due(item, token, window), (item, token)
            local = due.astimezone(ZONE)
            assert working(local.date()), (item, token, local)
            assert window[0] <= local.time() <= window[1], (item, token, local)
            assert due <= item
        # One message per item and minute: the rest are kept cancelled (issue 11, point 5).
        pending = [(r.item_id, r.due_at) for r in rows if r.state is OutboxState.PENDING]
        assert len(pending) == len(set(pending))
        assert set(pending) == {(r.item_id, r.due_at) for r in rows}
    finally:
        await savepoint.rollback()
