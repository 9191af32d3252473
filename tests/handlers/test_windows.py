"""parse_window and friends: window words in four languages, local-time bounds, DST, dates."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from eudesk.handlers.errors import UsageError
from eudesk.handlers.windows import (
    DEFAULT_DAYS,
    Span,
    describe,
    parse_moment,
    parse_window,
    read_window,
    split_window,
)

ZONE = ZoneInfo("Europe/Belgrade")
NOW = datetime(2026, 11, 27, 8, 0, tzinfo=UTC)  # Friday, 09:00 in Belgrade (CET, UTC+1)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# Local midnights in November/December 2026 are 23:00 UTC the day before.
EXPECTED = {
    Span.TODAY: (NOW, utc(2026, 11, 27, 23)),
    Span.TOMORROW: (utc(2026, 11, 27, 23), utc(2026, 11, 28, 23)),
    Span.WEEK: (NOW, utc(2026, 11, 29, 23)),  # through Sunday 29 November
    Span.NEXT_WEEK: (utc(2026, 11, 29, 23), utc(2026, 12, 6, 23)),  # Mon 30 Nov - Sun 6 Dec
    Span.MONTH: (NOW, utc(2026, 12, 27, 23)),  # 30 days: through 27 December
    Span.NEXT_MONTH: (utc(2026, 11, 30, 23), utc(2026, 12, 31, 23)),  # December
}
PHRASES = {
    Span.TODAY: ["today", "danas", "данас", "ma", "Danas"],
    Span.TOMORROW: ["tomorrow", "sutra", "сутра", "holnap"],
    Span.WEEK: [
        "week", "this week", "nedelja", "ove nedelje", "ova nedelja", "ове недеље",
        "ова недеља", "hét", "e heti", "ezen a héten", "ezen a heten", "OVE NEDELJE",
    ],
    Span.NEXT_WEEK: [
        "next week", "sledeće nedelje", "sledece nedelje", "следеће недеље", "jövő hét",
        "jovo heten", "jövő héten",
    ],
    Span.MONTH: [
        "month", "this month", "mesec", "ovaj mesec", "ovog meseca", "месец", "овог месеца",
        "hónap", "ebben a hónapban", "ebben a honapban",
    ],
    Span.NEXT_MONTH: [
        "next month", "sledeći mesec", "sledećeg meseca", "следећег месеца", "jövő hónap",
        "jövő hónapban",
    ],
}  # fmt: skip


@pytest.mark.parametrize(
    ("span", "phrase"), [(span, p) for span, phrases in PHRASES.items() for p in phrases]
)
def test_every_window_word_in_every_language(span: Span, phrase: str) -> None:
    words = [*phrase.split(), "Subotica"]
    start, end, consumed = parse_window(words, NOW, ZONE)
    assert (start, end) == EXPECTED[span]
    assert consumed == len(phrase.split())
    found = read_window(words)
    assert found is not None
    assert found.span is span


@pytest.mark.parametrize(
    ("phrase", "days", "consumed"),
    [
        ("7", 7, 1), ("1", 1, 1), ("366", 366, 1), ("10d", 10, 1), ("10 dana", 10, 2),
        ("10 дана", 10, 2), ("narednih 10 dana", 10, 3), ("next 10 days", 10, 3),
        ("10 days", 10, 2), ("a következő 10 nap", 10, 4), ("10 nap", 10, 2),
    ],
)  # fmt: skip
def test_a_number_of_days_ends_with_the_local_day(phrase: str, days: int, consumed: int) -> None:
    start, end, used = parse_window(phrase.split(), NOW, ZONE)
    assert start == NOW
    assert end == utc(2026, 11, 27, 23) + timedelta(days=days)
    assert used == consumed


def test_default_is_fourteen_days_and_consumes_nothing() -> None:
    for words in ([], ["HUSRB"], ["Бачка", "Топола"]):
        start, end, consumed = parse_window(words, NOW, ZONE)
        assert (start, end, consumed) == (NOW, utc(2026, 12, 11, 23), 0)


@pytest.mark.parametrize("token", ["0", "-3", "367", "1000", "99999999999999999999", "+0"])
def test_days_out_of_range_are_refused(token: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_window([token, "Subotica"], NOW, ZONE)
    assert caught.value.key == "deadlines.bad_days"
    assert len(str(caught.value.params["days"])) <= 8


def test_week_windows_across_the_march_clock_change_are_local() -> None:
    # Sunday 28 March 2027 has 23 hours in Belgrade.
    friday = utc(2027, 3, 26, 8)  # 09:00 CET
    start, end, _ = parse_window(["week"], friday, ZONE)
    assert (start, end) == (friday, utc(2027, 3, 28, 22))  # Monday 00:00 CEST
    start, end, _ = parse_window(["next", "week"], utc(2027, 3, 19, 8), ZONE)
    assert (start, end) == (utc(2027, 3, 21, 23), utc(2027, 3, 28, 22))
    assert end - start == timedelta(hours=167)
    _, end, _ = parse_window(["danas"], utc(2027, 3, 28, 8), ZONE)
    assert end == utc(2027, 3, 28, 22)


def test_week_windows_across_the_october_clock_change_are_local() -> None:
    # Sunday 31 October 2027 has 25 hours in Belgrade.
    friday = utc(2027, 10, 29, 8)  # 10:00 CEST
    start, end, _ = parse_window(["ove", "nedelje"], friday, ZONE)
    assert (start, end) == (friday, utc(2027, 10, 31, 23))  # Monday 00:00 CET
    start, end, _ = parse_window(["следеће", "недеље"], utc(2027, 10, 22, 8), ZONE)
    assert (start, end) == (utc(2027, 10, 24, 22), utc(2027, 10, 31, 23))
    assert end - start == timedelta(hours=169)


def test_week_on_a_sunday_ends_tonight_and_next_week_starts_tomorrow() -> None:
    sunday = utc(2026, 11, 29, 10)
    assert parse_window(["week"], sunday, ZONE)[:2] == (sunday, utc(2026, 11, 29, 23))
    assert parse_window(["next", "week"], sunday, ZONE)[0] == utc(2026, 11, 29, 23)


def test_next_month_in_december_is_january() -> None:
    start, end, _ = parse_window(["next", "month"], utc(2026, 12, 20, 12), ZONE)
    assert (start, end) == (utc(2026, 12, 31, 23), utc(2027, 1, 31, 23))


def test_split_window_finds_it_at_either_end_and_keeps_the_filter() -> None:
    window, rest = split_window(["Subotica", "ove", "nedelje"])
    assert window.span is Span.WEEK
    assert rest == ["Subotica"]
    window, rest = split_window(["week", "Novi", "Sad"])
    assert window.span is Span.WEEK
    assert rest == ["Novi", "Sad"]
    window, rest = split_window(["Senta", "7", "dana"])
    assert (window.span, window.days, rest) == (Span.DAYS, 7, ["Senta"])
    # A bare number at the end belongs to the filter.
    window, rest = split_window(["Interreg", "2027"])
    assert (window.days, rest) == (14, ["Interreg", "2027"])
    with pytest.raises(UsageError) as caught:
        split_window(["week", "HUSRB", "month"])
    assert caught.value.key == "deadlines.two_windows"


def test_describe_names_the_window_and_its_dates() -> None:
    window = read_window(["week"])
    assert window is not None
    start, end, _ = parse_window(["week"], NOW, ZONE)
    assert describe(window, start, end, "sr-Latn", ZONE) == "ove nedelje (do 29.11.2026.)"
    assert describe(window, start, end, "sr-Cyrl", ZONE) == "ове недеље (до 29.11.2026.)"
    assert (
        describe(window, start, end, "hu", ZONE) == "ezen a héten (2026. 11. 27. – 2026. 11. 29.)"
    )
    month = read_window(["month"])
    assert month is not None
    start, end, _ = parse_window(["month"], NOW, ZONE)
    assert "30" in describe(month, start, end, "en", ZONE)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15.12.2026", utc(2026, 12, 15, 13)),  # keeps the old 14:00 local time
        ("15.12.2026.", utc(2026, 12, 15, 13)),
        ("2026-12-15", utc(2026, 12, 15, 13)),
        ("2026. 12. 15.", utc(2026, 12, 15, 13)),
        ("15.12.2026 09:30", utc(2026, 12, 15, 8, 30)),
        ("2026-12-15T09:30", utc(2026, 12, 15, 8, 30)),
        ("1.7.2027", utc(2027, 7, 1, 12)),  # summer: 14:00 CEST is 12:00 UTC
        ("28.03.2027 03:30", utc(2027, 3, 28, 1, 30)),
    ],
)
def test_parse_moment_reads_local_dates(text: str, expected: datetime) -> None:
    old = utc(2026, 12, 1, 13)  # 14:00 in Belgrade
    assert parse_moment(text.split(), old, ZONE) == expected


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("31.02.2027", "deadlines.move_bad_date"),
        ("15.12.2026 25:00", "deadlines.move_bad_date"),
        ("15.12.2026 14:60", "deadlines.move_bad_date"),
        ("tomorrow", "deadlines.move_bad_date"),
        ("15/12/2026", "deadlines.move_bad_date"),
        ("'; DROP TABLE deadlines;--", "deadlines.move_bad_date"),
        ("15.12.9999", "deadlines.move_too_far"),
        ("28.03.2027 02:30", "deadlines.move_no_such_time"),  # skipped by the clock change
    ],
)
def test_parse_moment_refuses_nonsense(text: str, key: str) -> None:
    with pytest.raises(UsageError) as caught:
        parse_moment(text.split(), utc(2026, 12, 1, 13), ZONE)
    assert caught.value.key == key


def test_a_year_at_the_end_is_a_filter_not_a_window() -> None:
    for words in (["Interreg", "2027."], ["Interreg", "2027"]):
        window, rest = split_window(words)
        assert rest == words
        assert window.days == DEFAULT_DAYS


@pytest.mark.parametrize("text", ["0001-01-01 00:30", "01.01.0001.", "1900-05-05"])
def test_moves_to_ancient_dates_are_refused(text: str) -> None:
    with pytest.raises(UsageError):
        parse_moment(text.split(), NOW, ZONE)
