"""The working-day calendar: holidays, allowed windows, placement across DST changes."""

from __future__ import annotations

import csv
from datetime import UTC, date, datetime, time, timedelta
from importlib import resources
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from eudesk.schedules.calendar import BELGRADE, Window, WorkingCalendar

JERUSALEM = ZoneInfo("Asia/Jerusalem")  # springs forward on a Friday: a gap on a working day
CAIRO = ZoneInfo("Africa/Cairo")  # falls back at midnight on a Thursday: a fold on a working day
CALENDAR = WorkingCalendar()
FRI = (2026, 11, 27)  # an ordinary Friday (CET, UTC+1)
DEFAULT = Window()
# An oracle independent of the module: the package's own lookup, expanded on demand.
RS = holidays.country_holidays("RS", years=range(2025, 2032))
START = datetime(2026, 1, 1, tzinfo=UTC)
MINUTES_2026_2030 = int((datetime(2031, 1, 1, tzinfo=UTC) - START).total_seconds() // 60)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(
    zone: ZoneInfo,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    *,
    fold: int = 0,
) -> datetime:
    """An instant given by its local wall-clock time (fold=1: the second of two), in UTC."""
    return datetime(year, month, day, hour, minute, second, tzinfo=zone, fold=fold).astimezone(UTC)


def allowed(moment: datetime, window: Window, zone: ZoneInfo = BELGRADE) -> bool:
    wall = moment.astimezone(zone)
    working = wall.weekday() < 5 and wall.date() not in RS
    return working and window.start <= wall.time() <= window.end


# --- days ---------------------------------------------------------------------------------------


def test_every_listed_holiday_is_a_day_off() -> None:
    listing = resources.files("eudesk.storage.reference") / "holidays_rs_2026_2027.csv"
    with listing.open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 24
    for row in rows:
        assert not CALENDAR.is_working_day(date.fromisoformat(row["date"])), row


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2027, 5, 3), False),  # Orthodox Easter Monday
        (date(2027, 5, 4), False),  # Labour Day fell on Easter Sunday: the substitute day off
        (date(2027, 4, 30), False),  # Orthodox Good Friday
        (date(2026, 2, 17), False),  # Statehood Day fell on a Sunday: observed on Tuesday
        (date(2027, 5, 5), True),
        (date(2026, 4, 14), True),  # the Tuesday after Orthodox Easter 2026
        (date(2026, 12, 25), True),  # Catholic Christmas is not a public day off
        (date(2026, 11, 28), False),  # a Saturday
        (date(2026, 11, 29), False),  # a Sunday
        (date(2026, 11, 27), True),
    ],
)
def test_working_days(day: date, working: bool) -> None:
    assert CALENDAR.is_working_day(day) is working


def test_holidays_are_looked_up_once_per_year_and_can_be_replaced() -> None:
    asked: list[int] = []

    def source(year: int) -> set[date]:
        asked.append(year)
        return {date(year, 6, 1)}

    calendar = WorkingCalendar(country_holidays=source)
    assert not calendar.is_working_day(date(2026, 6, 1))
    assert calendar.is_working_day(date(2026, 1, 1))  # the replacement knows no New Year
    assert calendar.is_working_day(date(2026, 6, 2))
    assert not calendar.is_working_day(date(2027, 6, 1))
    assert asked == [2026, 2027]


def test_add_working_days() -> None:
    assert CALENDAR.add_working_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Fri → Mon
    assert CALENDAR.add_working_days(date(2027, 4, 29), 1) == date(2027, 5, 5)  # over Easter
    assert CALENDAR.add_working_days(date(2027, 5, 5), -1) == date(2027, 4, 29)
    assert CALENDAR.add_working_days(date(2026, 11, 28), 0) == date(2026, 11, 28)
    assert CALENDAR.add_working_days(date(2026, 11, 28), 5) == date(2026, 12, 4)


def test_add_working_days_stops_on_a_calendar_without_working_days() -> None:
    never = WorkingCalendar(
        country_holidays=lambda year: [date(year, 1, 1) + timedelta(days=d) for d in range(366)]
    )
    with pytest.raises(ValueError, match="search horizon"):
        never.add_working_days(date(2026, 1, 1), 1)


@settings(max_examples=200, derandomize=True, deadline=None)
@given(day=st.dates(date(2026, 1, 1), date(2030, 12, 31)), n=st.integers(-30, 30))
def test_add_working_days_counts_working_days(day: date, n: int) -> None:
    result = CALENDAR.add_working_days(day, n)
    low, high = sorted((day, result))
    between = [low + timedelta(days=d + 1) for d in range((high - low).days)]  # (low, high]
    if n > 0:
        assert sum(CALENDAR.is_working_day(d) for d in between) == n
        assert CALENDAR.is_working_day(result)
    elif n < 0:
        # (result, day]: `day` itself is not counted, `result` is the working day reached.
        count = sum(CALENDAR.is_working_day(d) for d in between[:-1]) + 1
        assert count == -n
        assert CALENDAR.is_working_day(result)
    else:
        assert result == day


# --- windows ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end", "message"),
    [
        (time(18), time(8), "before its end"),
        (time(8), time(8), "before its end"),
        (time(8), time(0), "00:00"),
        (time(8, tzinfo=UTC), time(18), "tzinfo"),
    ],
)
def test_window_rejects_nonsense(start: time, end: time, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Window(start, end)


def test_window_defaults_and_inclusive_ends() -> None:
    assert Window(time(8), time(18)) == DEFAULT
    assert time(8) in DEFAULT
    assert time(18) in DEFAULT
    assert time(18, 0, 0, 1) not in DEFAULT
    assert time(7, 59, 59) not in DEFAULT
    assert CALENDAR.is_allowed(local(BELGRADE, *FRI, 18), DEFAULT)
    assert not CALENDAR.is_allowed(local(BELGRADE, *FRI, 18, 0, 1), DEFAULT)
    assert not CALENDAR.is_allowed(local(BELGRADE, 2026, 11, 28, 12), DEFAULT)  # Saturday


# --- placing reminders --------------------------------------------------------------------------


def place(fire_at: datetime, *, now: datetime, not_after: datetime) -> datetime | None:
    return CALENDAR.place(fire_at, DEFAULT, now=now, not_after=not_after)


def test_an_allowed_moment_stays() -> None:
    fire_at = local(BELGRADE, *FRI, 10, 17, 33)
    assert place(fire_at, now=fire_at, not_after=fire_at) == fire_at
    end = local(BELGRADE, *FRI, 18)
    assert place(end, now=local(BELGRADE, *FRI, 9), not_after=utc(2027, 1, 1)) == end


def test_an_evening_moment_moves_back_to_the_window_end() -> None:
    fire_at = local(BELGRADE, *FRI, 21, 30)
    result = place(fire_at, now=local(BELGRADE, *FRI, 9), not_after=utc(2027, 1, 1))
    assert result == local(BELGRADE, *FRI, 18)
    assert result is not None
    assert result.tzinfo is UTC


def test_a_weekend_moment_moves_back_to_friday() -> None:
    sunday_noon = local(BELGRADE, 2026, 11, 29, 12)
    result = place(sunday_noon, now=local(BELGRADE, 2026, 11, 20, 9), not_after=utc(2027, 1, 1))
    assert result == local(BELGRADE, *FRI, 18)


def test_easter_2027_moves_back_to_thursday() -> None:
    tuesday_morning = local(BELGRADE, 2027, 5, 4, 10)  # the substitute day off
    result = place(tuesday_morning, now=utc(2027, 4, 1), not_after=utc(2027, 6, 1))
    assert result == local(BELGRADE, 2027, 4, 29, 18)


def test_when_the_previous_slot_is_past_the_next_slot_start_is_used() -> None:
    fire_at = local(BELGRADE, *FRI, 21, 30)
    now = local(BELGRADE, *FRI, 18, 30)
    result = place(fire_at, now=now, not_after=utc(2027, 1, 1))
    assert result == local(BELGRADE, 2026, 11, 30, 8)  # Monday morning


def test_a_missed_moment_fires_now_when_now_is_allowed() -> None:
    now = local(BELGRADE, *FRI, 11, 5, 7)
    assert place(local(BELGRADE, *FRI, 6), now=now, not_after=utc(2027, 1, 1)) == now


def test_never_after_the_item() -> None:
    meeting = local(BELGRADE, *FRI, 20)
    now = local(BELGRADE, *FRI, 18, 30)
    assert place(local(BELGRADE, *FRI, 19), now=now, not_after=meeting) is None
    assert place(local(BELGRADE, *FRI, 19), now=now - timedelta(hours=1), not_after=meeting) == (
        local(BELGRADE, *FRI, 18)
    )
    assert place(meeting, now=meeting + timedelta(seconds=1), not_after=meeting) is None


def test_a_fire_moment_beyond_the_item_is_clamped_to_it() -> None:
    deadline = local(BELGRADE, *FRI, 12)
    result = place(deadline + timedelta(days=3), now=utc(2026, 11, 1), not_after=deadline)
    assert result == deadline


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        place(datetime(2026, 11, 27, 10), now=utc(2026, 11, 1), not_after=utc(2027, 1, 1))


def test_monday_before_the_window_moves_back_over_the_spring_change() -> None:
    # Friday 27 March 2026 is CET (UTC+1), Monday 30 March is CEST (UTC+2).
    result = place(
        local(BELGRADE, 2026, 3, 30, 7), now=utc(2026, 3, 20), not_after=utc(2026, 4, 30)
    )
    assert result == utc(2026, 3, 27, 17)
    after_weekend = place(
        local(BELGRADE, 2026, 3, 29, 2, 30), now=utc(2026, 3, 27, 18), not_after=utc(2026, 4, 30)
    )
    assert after_weekend == utc(2026, 3, 30, 6)  # 08:00 CEST


def test_monday_before_the_window_moves_back_over_the_autumn_change() -> None:
    # Friday 23 October 2026 is CEST (UTC+2), Monday 26 October is CET (UTC+1).
    ambiguous = local(BELGRADE, 2026, 10, 25, 2, 30, fold=1)
    result = place(ambiguous, now=utc(2026, 10, 1), not_after=utc(2026, 11, 30))
    assert result == utc(2026, 10, 23, 16)
    result = place(ambiguous, now=utc(2026, 10, 24), not_after=utc(2026, 11, 30))
    assert result == utc(2026, 10, 26, 7)  # 08:00 CET


def test_a_window_ending_in_the_spring_gap_ends_just_before_it() -> None:
    calendar = WorkingCalendar(JERUSALEM)  # Friday 27 March 2026: 02:00 → 03:00
    window = Window(time(1), time(2, 30))
    transition = utc(2026, 3, 27, 0)
    fire_at = local(JERUSALEM, 2026, 3, 27, 4)
    result = calendar.place(fire_at, window, now=utc(2026, 3, 26), not_after=utc(2026, 4, 30))
    assert result == transition - timedelta(microseconds=1)
    assert allowed(result, window, JERUSALEM)
    assert not allowed(transition, window, JERUSALEM)


def test_a_window_starting_in_the_spring_gap_starts_after_it() -> None:
    calendar = WorkingCalendar(JERUSALEM)
    window = Window(time(2, 30), time(5))
    now = local(JERUSALEM, 2026, 3, 26, 6)
    result = calendar.place(now, window, now=now, not_after=utc(2026, 4, 30))
    assert result == utc(2026, 3, 27, 0)  # 03:00 IDT, the first instant after the gap
    assert calendar.slots(date(2026, 3, 27), Window(time(2, 10), time(2, 50))) == ()


def test_a_window_in_the_autumn_fold_is_allowed_twice() -> None:
    calendar = WorkingCalendar(CAIRO)  # Thursday 29 October 2026: 24:00 EEST → 23:00 EET
    window = Window(time(22), time(23, 30))
    slots = calendar.slots(date(2026, 10, 29), window)
    assert [(s.start, s.end) for s in slots] == [
        (utc(2026, 10, 29, 19), utc(2026, 10, 29, 20, 30)),
        (utc(2026, 10, 29, 21), utc(2026, 10, 29, 21, 30)),
    ]
    between = local(CAIRO, 2026, 10, 29, 23, 45)  # first pass, outside the window
    result = calendar.place(between, window, now=utc(2026, 10, 29), not_after=utc(2026, 11, 30))
    assert result == local(CAIRO, 2026, 10, 29, 23, 30)
    second = local(CAIRO, 2026, 10, 29, 23, 15, fold=1)
    assert calendar.place(second, window, now=second, not_after=second) == second


# --- the daily digest ---------------------------------------------------------------------------


def test_next_working_moment() -> None:
    at = time(8)
    friday_eight = local(BELGRADE, *FRI, 8)
    assert CALENDAR.next_working_moment(at, local(BELGRADE, *FRI, 7)) == friday_eight
    assert CALENDAR.next_working_moment(at, friday_eight) == local(BELGRADE, 2026, 11, 30, 8)
    assert CALENDAR.next_working_moment(at, utc(2026, 3, 27, 12)) == utc(2026, 3, 30, 6)
    assert CALENDAR.next_working_moment(at, utc(2027, 4, 29, 12)) == local(BELGRADE, 2027, 5, 5, 8)
    gap = WorkingCalendar(JERUSALEM).next_working_moment(time(2, 30), utc(2026, 3, 26, 12))
    assert gap == utc(2026, 3, 27, 0)  # 02:30 does not exist that day: 03:00 IDT


@settings(max_examples=200, derandomize=True, deadline=None)
@given(
    after=st.integers(0, MINUTES_2026_2030).map(lambda m: START + timedelta(minutes=m)),
    at=st.times(),
)
@example(after=utc(2026, 3, 27, 7), at=time(8))
@example(after=utc(2026, 10, 23, 6, 30), at=time(8))
def test_next_working_moment_is_the_first_one(after: datetime, at: time) -> None:
    result = CALENDAR.next_working_moment(at, after)
    wall = result.astimezone(BELGRADE)
    assert result > after
    assert result.tzinfo is UTC
    assert wall.time() == at
    assert CALENDAR.is_working_day(wall.date())
    day = after.astimezone(BELGRADE).date()
    while day < wall.date():  # no earlier working day had that moment still ahead
        moment = datetime.combine(day, at, BELGRADE).astimezone(UTC)
        assert not (CALENDAR.is_working_day(day) and moment > after)
        day += timedelta(days=1)


# --- properties ---------------------------------------------------------------------------------


@st.composite
def windows(draw: st.DrawFn) -> Window:
    start = draw(st.integers(0, 24 * 60 - 2))
    end = draw(st.integers(start + 1, 24 * 60 - 1))
    return Window(time(start // 60, start % 60), time(end // 60, end % 60))


moments = st.integers(0, MINUTES_2026_2030 * 60).map(lambda s: START + timedelta(seconds=s))
DST = {  # (fire_at, now) around Belgrade's changes
    "spring": (utc(2026, 3, 29, 1, 30), utc(2026, 3, 27, 16, 59)),
    "spring-next": (utc(2026, 3, 29, 1, 30), utc(2026, 3, 27, 17, 1)),
    "autumn": (utc(2026, 10, 25, 0, 30), utc(2026, 10, 23, 16)),
    "autumn-late": (utc(2030, 10, 27, 1, 30), utc(2030, 10, 25, 16, 1)),
}


@settings(max_examples=400, derandomize=True, deadline=None)
@given(
    fire_at=moments,
    now=moments,
    horizon=st.integers(0, 60 * 24 * 3600),
    window=windows(),
)
@example(fire_at=DST["spring"][0], now=DST["spring"][1], horizon=3 * 24 * 3600, window=DEFAULT)
@example(
    fire_at=DST["spring-next"][0],
    now=DST["spring-next"][1],
    horizon=28 * 3600 + 1800,
    window=DEFAULT,
)
@example(fire_at=DST["autumn"][0], now=DST["autumn"][1], horizon=3 * 24 * 3600, window=DEFAULT)
@example(
    fire_at=DST["autumn-late"][0],
    now=DST["autumn-late"][1],
    horizon=3 * 24 * 3600,
    window=Window(time(2), time(3)),
)
def test_placed_reminders_fire_only_when_allowed(
    fire_at: datetime, now: datetime, horizon: int, window: Window
) -> None:
    not_after = max(fire_at, now) + timedelta(seconds=horizon)
    result = CALENDAR.place(fire_at, window, now=now, not_after=not_after)
    if result is None:
        return
    assert allowed(result, window)
    assert now <= result <= not_after
    if allowed(fire_at, window) and now <= fire_at:
        assert result == fire_at


@settings(max_examples=250, derandomize=True, deadline=None)
@given(
    zone=st.sampled_from([BELGRADE, JERUSALEM, CAIRO]),
    fire_at=st.integers(0, MINUTES_2026_2030).map(lambda m: START + timedelta(minutes=m)),
    offset=st.integers(-3 * 24 * 60, 2 * 24 * 60),
    span=st.integers(0, 3 * 24 * 60),
    window=windows(),
)
@example(zone=BELGRADE, fire_at=DST["spring"][0], offset=-2000, span=4000, window=DEFAULT)
@example(zone=BELGRADE, fire_at=DST["autumn"][0], offset=-1950, span=3000, window=DEFAULT)
@example(
    zone=JERUSALEM,
    fire_at=utc(2026, 3, 27, 1),
    offset=-180,
    span=600,
    window=Window(time(1), time(2, 30)),
)
@example(
    zone=JERUSALEM,
    fire_at=utc(2026, 3, 27, 1),
    offset=-180,
    span=600,
    window=Window(time(2, 30), time(5)),
)
@example(
    zone=CAIRO,
    fire_at=utc(2026, 10, 29, 20, 45),
    offset=-60,
    span=120,
    window=Window(time(22), time(23)),
)
@example(  # 23:20 on the second pass of Cairo's autumn fold: allowed, so it stays
    zone=CAIRO,
    fire_at=utc(2026, 10, 29, 21, 20),
    offset=-150,
    span=300,
    window=Window(time(22), time(23, 30)),
)
@example(
    zone=CAIRO,
    fire_at=utc(2026, 4, 23, 23),
    offset=-300,
    span=600,
    window=Window(time(0), time(0, 30)),
)
def test_placement_matches_a_minute_by_minute_oracle(
    zone: ZoneInfo, fire_at: datetime, offset: int, span: int, window: Window
) -> None:
    now = fire_at + timedelta(minutes=offset)
    not_after = now + timedelta(minutes=span)
    calendar = CALENDAR if zone is BELGRADE else WorkingCalendar(zone)
    result = calendar.place(fire_at, window, now=now, not_after=not_after)
    minutes = [now + timedelta(minutes=m) for m in range(span + 1)]
    ok = [
        m for m in minutes if allowed(m, window, zone)
    ]  # every allowed minute of [now, not_after]
    if result is None:
        assert ok == []
        return
    assert allowed(result, window, zone)
    assert now <= result <= not_after
    target = min(fire_at, not_after)
    if result <= target:  # moved back (or kept): nothing allowed later, up to the target
        assert not [m for m in ok if result < m <= target]
    else:  # moved forward: nothing allowed from now up to the result
        assert not [m for m in ok if m < result]
