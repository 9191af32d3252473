"""Planner and calendar together, 2026–2030: reminders fire only when allowed, and once each."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, select

from eudesk.schedules.calendar import Window, WorkingCalendar
from eudesk.schedules.planner import MARGIN, Planner, calendar_place
from eudesk.storage.db import Database
from eudesk.storage.leads import MAX_LEAD_DAYS
from eudesk.storage.migrate import upgrade
from eudesk.storage.models import (
    Deadline,
    DeadlineKind,
    OutboxEntry,
    OutboxState,
    Platform,
    Subscription,
    SubscriptionTopic,
)
from tests.databases import discard_database, new_database_url

BELGRADE = ZoneInfo("Europe/Belgrade")
PLACE = calendar_place(WorkingCalendar(ZoneInfo("Europe/Belgrade")))
# The oracle's own holiday lookup (holidays.Serbia): the package the calendar relies on.
RS = holidays.country_holidays("RS", years=range(2025, 2032))
HOLIDAYS_2026_2030 = sorted(day for day in RS if 2026 <= day.year <= 2030)
START = datetime(2026, 1, 1, tzinfo=UTC)
MINUTES_2026_2030 = int((datetime(2031, 1, 1, tzinfo=UTC) - START).total_seconds() // 60)
DAY = 24 * 60  # minutes
TICK = timedelta(microseconds=1)
MAX_LEAD_MINUTES = MAX_LEAD_DAYS * 24 * 60
COMMON_LEADS = [20160, 4320, 1440, 120, 60, MAX_LEAD_MINUTES]  # 14d, 3d, 1d, 2h, 1h, 90d


def last_sunday(year: int, month: int) -> date:
    """The last Sunday of a 31-day month: the EU's clock-change day (March and October)."""
    day = date(year, month, 31)
    return day - timedelta(days=(day.weekday() + 1) % 7)


# EU rule, independent of zoneinfo: clocks change at 01:00 UTC on those Sundays.
TRANSITIONS = [
    datetime.combine(last_sunday(year, month), time(1), UTC)
    for year in range(2025, 2032)
    for month in (3, 10)
]


def local(day: date, minute: int, fold: int = 0) -> datetime:
    """The instant at `minute` past local midnight of `day` in Belgrade (fold=1: the second)."""
    return wall_clock(day, time(minute // 60, minute % 60), fold)


def wall_clock(day: date, at: time, fold: int = 0) -> datetime:
    """The instant (UTC) when Belgrade's clocks show `at` on `day`; a time in the spring gap
    gives some other instant, which the callers check anyway."""
    return datetime.combine(day, at, BELGRADE).replace(fold=fold).astimezone(UTC)


# --- the oracle ---------------------------------------------------------------------------------


def allowed(moment: datetime, window: Window) -> bool:
    """A working day (Mon–Fri, not a Serbian holiday) and inside the window, in Belgrade."""
    wall = moment.astimezone(BELGRADE)
    working = wall.weekday() < 5 and wall.date() not in RS
    return working and window.start <= wall.time() <= window.end


def earliest_allowed(low: datetime, high: datetime, window: Window) -> datetime | None:
    """The first allowed instant of [low, high], or None.

    The allowed set is closed on the left: each stretch of it begins where the local time
    reaches the window's start (once, or twice in an autumn fold) or where the clock jumps into
    the window at a change. So the first allowed instant is `low` itself or one of those.
    """
    days = (low.astimezone(BELGRADE).date(), high.astimezone(BELGRADE).date())
    starts = [
        wall_clock(days[0] + timedelta(days=n), window.start, fold)
        for n in range((days[1] - days[0]).days + 1)
        for fold in (0, 1)
    ]
    candidates = [low, *starts, *TRANSITIONS]
    return min((c for c in candidates if low <= c <= high and allowed(c, window)), default=None)


@dataclass(frozen=True)
class Wish:
    """A subscription's lead times (minutes) and its allowed local hours."""

    leads: tuple[int, ...]
    window: Window


@dataclass(frozen=True)
class Scenario:
    moments: tuple[datetime, ...]  # deadline i + 1 is due at moments[i]
    wishes: tuple[Wish, ...]  # subscription i + 1 wants wishes[i]
    ticks: tuple[tuple[datetime, int], ...]  # (planner clock, instances running at once)


def planned_leads(moment: datetime, wish: Wish, clocks: Iterable[datetime]) -> set[int]:
    """The leads that get a row: at each run that sees the item, those still ahead and the
    latest one past (leads_to_plan), unless nothing in [now, item] is allowed (place → None)."""
    horizon = timedelta(minutes=max(wish.leads)) + MARGIN
    planned: set[int] = set()
    for now in clocks:
        if not now < moment <= now + horizon:
            continue
        if earliest_allowed(now, moment, wish.window) is None:
            continue
        fires = {lead: moment - timedelta(minutes=lead) for lead in wish.leads}
        planned |= {lead for lead, fire in fires.items() if fire > now}
        planned |= {min((lead for lead, fire in fires.items() if fire <= now), default=0)}
    return planned - {0}


def check_placement(row: OutboxEntry, moment: datetime, window: Window, now: datetime) -> None:
    """The documented rule of WorkingCalendar.place, for the run (`now`) that made the row."""
    lead = int(row.dedupe_key.split(":")[3])
    fire, due = max(moment - timedelta(minutes=lead), now), row.due_at
    assert allowed(due, window), f"{row.dedupe_key} fires at {due.astimezone(BELGRADE)}"
    assert now <= due <= moment
    if allowed(fire, window):  # an allowed moment stays
        assert due == fire
    elif due < fire:  # moved back: the latest allowed instant before the fire moment
        assert earliest_allowed(due + TICK, fire, window) is None
    else:  # nothing allowed from now to the fire moment: the earliest allowed one after it
        assert earliest_allowed(now, fire, window) is None
        assert earliest_allowed(now, moment, window) == due


# --- the scenarios ------------------------------------------------------------------------------

any_moment = st.integers(0, MINUTES_2026_2030).map(lambda m: START + timedelta(minutes=m))
around_clock_changes = st.builds(
    lambda year, month, shift, minute, fold: local(
        last_sunday(year, month) + timedelta(days=shift), minute, fold
    ),
    st.integers(2026, 2030),
    st.sampled_from([3, 10]),
    st.integers(-2, 1),  # Friday to Monday around the change
    st.integers(60, 240),  # 01:00–04:00 local
    st.integers(0, 1),
)
around_holidays = st.builds(
    lambda day, shift, minute: local(day + timedelta(days=shift), minute),
    st.sampled_from(HOLIDAYS_2026_2030),
    st.integers(-2, 2),
    st.integers(0, DAY - 1),
)
anchors = st.one_of(any_moment, around_clock_changes, around_holidays)
# Items near the anchor, or a common lead after it so that the fire lands there.
offsets = st.one_of(
    st.sampled_from([0, 60, 120, 1440, 4320, 20160]).flatmap(
        lambda s: st.integers(s - 180, s + 180)
    ),
    st.integers(-30 * DAY, 30 * DAY),
)


@st.composite
def windows(draw: st.DrawFn) -> Window:
    fixed = [Window(), Window(time(9), time(9, 30)), Window(time(2), time(3)),
             Window(time(1, 30), time(2, 30)), Window(time(0), time(23, 59))]  # fmt: skip
    if draw(st.booleans()):
        return draw(st.sampled_from(fixed))
    start = draw(st.integers(0, DAY - 2))
    length = draw(st.one_of(st.integers(1, 60), st.integers(1, DAY - 1 - start)))
    end = min(start + length, DAY - 1)
    return Window(time(start // 60, start % 60), time(end // 60, end % 60))


wishes = st.builds(
    lambda leads, window: Wish(tuple(sorted(set(leads), reverse=True)), window),
    st.lists(
        st.one_of(st.sampled_from(COMMON_LEADS), st.integers(1, MAX_LEAD_MINUTES)),
        min_size=1,
        max_size=4,
    ),
    windows(),
)
steps = st.one_of(
    st.integers(0, 15),  # ticks (0: the same moment again)
    st.integers(0, 3 * DAY),
    st.integers(0, 45 * DAY),  # downtime
)


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    anchor = draw(anchors)
    moments = tuple(
        anchor + timedelta(minutes=m) for m in draw(st.lists(offsets, min_size=1, max_size=4))
    )
    wanted = tuple(draw(st.lists(wishes, min_size=1, max_size=3)))
    # The first run about one of the leads before the first item, or up to 100 days before.
    leads = sorted({lead for wish in wanted for lead in wish.leads})
    ahead = draw(
        st.one_of(
            st.sampled_from(leads).flatmap(lambda m: st.integers(max(1, m - DAY), m + DAY)),
            st.integers(1, 100 * DAY),
        )
    )
    now = min(moments) - timedelta(minutes=ahead)
    ticks = [(now, draw(st.integers(1, 3)))]
    for step, instances in draw(st.lists(st.tuples(steps, st.integers(1, 3)), max_size=5)):
        now += timedelta(minutes=step)
        ticks.append((now, instances))
    return Scenario(moments, wanted, tuple(ticks))


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return local(day, hour * 60 + minute)


SPRING_2026 = Scenario(  # Monday 08:30 after the spring change; 2 days and 2 hours before
    moments=(at(date(2026, 3, 30), 8, 30),),
    wishes=(Wish((2880, 120), Window()), Wish((60,), Window(time(1, 30), time(2, 30)))),
    ticks=((at(date(2026, 3, 27), 12), 2), (at(date(2026, 3, 30), 7), 1)),
)
AUTUMN_2030 = Scenario(  # Monday 09:10 after the autumn change; a window inside the fold
    moments=(at(date(2030, 10, 28), 9, 10), at(date(2030, 10, 27), 2, 30)),
    wishes=(Wish((4320, 1440), Window(time(2), time(3))), Wish((20160,), Window())),
    ticks=((at(date(2030, 10, 10), 10), 3), (at(date(2030, 10, 25), 18), 2)),
)
EASTER_2027 = Scenario(  # Good Friday to the Labour Day substitute (Tue 4 May) are off
    moments=(at(date(2027, 5, 5), 9), at(date(2027, 5, 3), 10)),
    wishes=(Wish((4320, 1440, 60), Window(time(9), time(9, 30))),),
    ticks=((at(date(2027, 4, 26), 10), 1), (at(date(2027, 4, 30), 8), 3)),
)
DOWNTIME = Scenario(  # 14d, 3d, 1d before a Friday; the planner is down from day -20 to -0.5
    moments=(at(date(2028, 6, 16), 12),),
    wishes=(Wish((20160, 4320, 1440), Window()),),
    ticks=((at(date(2028, 5, 27), 12), 1), (at(date(2028, 6, 16), 0), 2)),
)


# --- the test -----------------------------------------------------------------------------------


@pytest.fixture
async def databases(backend: str, tmp_path: Path) -> AsyncIterator[list[Database]]:
    """Three engines on one new database: one planner instance each (SQLite serialises them)."""
    url = await new_database_url(backend, tmp_path)
    engines = [Database.from_url(url) for _ in range(3)]
    try:
        await upgrade(engines[0])
        yield engines
    finally:
        for engine in engines:
            await engine.dispose()
        await discard_database(backend, url)


async def start_afresh(db: Database, scenario: Scenario) -> None:
    """Empty the tables an example uses (the database outlives examples), then fill them."""
    async with db.transaction() as session:
        for model in (OutboxEntry, Subscription, Deadline):
            await session.execute(delete(model))
    async with db.transaction() as session:
        session.add_all(
            Deadline(id=i, ref=f"D{i}", title=f"Call {i}", kind=DeadlineKind.CALL, due_at=moment)
            for i, moment in enumerate(scenario.moments, 1)
        )
        session.add_all(subscription(s, wish) for s, wish in enumerate(scenario.wishes, 1))


def subscription(ident: int, wish: Wish) -> Subscription:
    return Subscription(id=ident, platform=Platform.TELEGRAM, chat_id=f"chat{ident}",
                        topic=SubscriptionTopic.CALLS,
                        # Exact durations (minute leads): day leads are test_leads_property's.
                        leads=",".join(f"{m}m" for m in wish.leads),
                        quiet_start=wish.window.start, quiet_end=wish.window.end)  # fmt: skip


def planner(db: Database, now: datetime) -> Planner:
    return Planner(db, place=PLACE, clock=lambda: now)


async def outbox(db: Database) -> list[OutboxEntry]:
    async with db.transaction() as session:
        return list(await session.scalars(select(OutboxEntry).order_by(OutboxEntry.id)))


@settings(
    max_examples=100,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(scenario=scenarios())
@example(scenario=SPRING_2026)
@example(scenario=AUTUMN_2030)
@example(scenario=EASTER_2027)
@example(scenario=DOWNTIME)
async def test_reminders_fire_only_when_allowed_and_once(
    databases: list[Database], scenario: Scenario
) -> None:
    db = databases[0]
    await start_afresh(db, scenario)
    made_at: dict[str, datetime] = {}  # dedupe key -> the clock of the run that made the row
    created = 0
    for now, instances in scenario.ticks:
        runs = (planner(engine, now).plan_once() for engine in databases[:instances])
        reports = await asyncio.wait_for(asyncio.gather(*runs), timeout=60)
        created += sum(report.created + report.merged for report in reports)
        for row in await outbox(db):
            made_at.setdefault(row.dedupe_key, now)
    last = scenario.ticks[-1][0]
    assert (await planner(db, last).plan_once()).created == 0  # and it tidies up the overdue
    rows = await outbox(db)

    keys = [row.dedupe_key for row in rows]
    assert created == len(rows) == len(set(keys))
    clocks = [now for now, _ in scenario.ticks]
    expected = {
        f"{s}:deadline:{i}:{lead}:1"
        for s, wish in enumerate(scenario.wishes, 1)
        for i, moment in enumerate(scenario.moments, 1)
        for lead in planned_leads(moment, wish, clocks)
    }
    assert set(keys) == expected
    for row in rows:
        assert row.subscription_id is not None
        assert row.item_id is not None
        moment = scenario.moments[row.item_id - 1]
        assert row.due_at <= moment  # never after the item
        check_placement(row, moment, scenario.wishes[row.subscription_id - 1].window,
                        made_at[row.dedupe_key])  # fmt: skip
    overdue = Counter(
        (row.subscription_id, row.item_id)
        for row in rows
        if row.state == OutboxState.PENDING and row.due_at <= last
    )
    assert all(count == 1 for count in overdue.values())  # one overdue reminder is enough
