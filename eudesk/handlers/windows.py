"""Time windows people type ("ove nedelje", "jövő hét", "14"), as UTC bounds computed locally."""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from eudesk.handlers import i18n
from eudesk.handlers.errors import UsageError
from eudesk.storage.text import fold

DEFAULT_DAYS = 14
MIN_YEAR = 2000
MONTH_DAYS = 30
MAX_DAYS = 366


i18n.register(
    {
        "deadlines.window.today": {"sr-Latn": "danas ({end})", "hu": "ma ({end})",
                                   "en": "today ({end})"},
        "deadlines.window.tomorrow": {"sr-Latn": "sutra ({end})", "hu": "holnap ({end})",
                                      "en": "tomorrow ({end})"},
        "deadlines.window.week": {"sr-Latn": "ove nedelje (do {end})",
                                  "hu": "ezen a héten ({start} – {end})",
                                  "en": "this week (until {end})"},
        "deadlines.window.next_week": {"sr-Latn": "sledeće nedelje ({start} – {end})",
                                       "hu": "a jövő héten ({start} – {end})",
                                       "en": "next week ({start} – {end})"},
        "deadlines.window.month": {"sr-Latn": "u narednih mesec dana (30 dana, do {end})",
                                   "hu": "a következő hónapban (30 nap: {start} – {end})",
                                   "en": "in the next month (30 days, until {end})"},
        "deadlines.window.next_month": {"sr-Latn": "sledećeg meseca ({start} – {end})",
                                        "hu": "a jövő hónapban ({start} – {end})",
                                        "en": "next month ({start} – {end})"},
        "deadlines.window.days": {"sr-Latn": "u narednih {days} dana (do {end})",
                                  "hu": "a következő {days} napban ({start} – {end})",
                                  "en": "in the next {days} days (until {end})"},
        "deadlines.window.days_one": {"sr-Latn": "do kraja sutrašnjeg dana ({end})",
                                      "hu": "holnap végéig ({end})",
                                      "en": "until the end of tomorrow ({end})"},
        "deadlines.bad_days": {
            "sr-Latn": "Broj dana mora biti od 1 do {max} (ne „{days}”), npr. /deadlines `7`.",
            "hu": "A napok száma 1 és {max} között lehet (nem „{days}”), pl. /deadlines 7.",
            "en": "The number of days must be 1 to {max} (not “{days}”), e.g. /deadlines 7.",
        },
        "deadlines.two_windows": {
            "sr-Latn": "Navedite samo jedan period, npr. /deadlines `week` ili /deadlines `30`.",
            "hu": "Csak egy időszakot adjon meg, pl. /deadlines week vagy /deadlines 30.",
            "en": "Give only one period, e.g. /deadlines week or /deadlines 30.",
        },
        "deadlines.move_bad_date": {
            "sr-Latn": "Ne razumem datum „{text}”. Pišite DD.MM.GGGG ili GGGG-MM-DD, po želji "
            "i vreme ČČ:MM, npr. `15.12.2026` `14:00`.",
            "hu": "Nem értem a dátumot: „{text}”. Formátum: ÉÉÉÉ-HH-NN vagy NN.HH.ÉÉÉÉ, "
            "igény szerint ÓÓ:PP időponttal, pl. 2026-12-15 14:00.",
            "en": "I cannot read the date “{text}”. Write DD.MM.YYYY or YYYY-MM-DD, optionally "
            "with a time HH:MM, e.g. 15.12.2026 14:00.",
        },
        "deadlines.move_too_far": {
            "sr-Latn": "Datum je predaleko u budućnosti (najviše {years} godina).",
            "hu": "A dátum túl messze van a jövőben (legfeljebb {years} év).",
            "en": "That date is too far ahead (at most {years} years).",
        },
        "deadlines.move_no_such_time": {
            "sr-Latn": "Vreme {time} tog dana ne postoji (pomeranje sata). Izaberite drugo.",
            "hu": "Ez az időpont ({time}) aznap nem létezik (óraátállítás). Válasszon mást.",
            "en": "{time} does not exist on that day (clocks go forward). Choose another time.",
        },
    }
)  # fmt: skip


class Span(enum.StrEnum):
    TODAY = "today"
    TOMORROW = "tomorrow"
    WEEK = "week"
    NEXT_WEEK = "next_week"
    MONTH = "month"
    NEXT_MONTH = "next_month"
    DAYS = "days"


# Folded phrases, in sr-Latn (sr-Cyrl folds to it), hu and en; longest phrases are tried first.
_PHRASES: dict[Span, tuple[str, ...]] = {
    Span.TODAY: ("today", "danas", "ma", "mai", "a mai nap", "ma napon"),
    Span.TOMORROW: ("tomorrow", "sutra", "holnap"),
    Span.WEEK: (
        "week", "this week", "nedelja", "nedelje", "ova nedelja", "ove nedelje", "ovu nedelju",
        "ove sedmice", "ova sedmica", "sedmica", "het", "heti", "e het", "e heti", "ezen a heten",
        "a heten", "ezen a het",
    ),
    Span.NEXT_WEEK: (
        "next week", "sledece nedelje", "sledeca nedelja", "sledecu nedelju", "naredne nedelje",
        "naredna nedelja", "iduce nedelje", "sledece sedmice", "jovo het", "jovo heten",
        "jovo heti", "a jovo heten", "kovetkezo het", "kovetkezo heten",
    ),
    Span.MONTH: (
        "month", "this month", "mesec", "ovaj mesec", "ovog meseca", "meseca", "honap",
        "ebben a honapban", "e honap", "e havi", "havi",
    ),
    Span.NEXT_MONTH: (
        "next month", "sledeci mesec", "sledeceg meseca", "naredni mesec", "narednog meseca",
        "iduci mesec", "iduceg meseca", "jovo honap", "jovo honapban", "a jovo honapban",
        "kovetkezo honap", "kovetkezo honapban",
    ),
}  # fmt: skip
_BY_PHRASE = {tuple(p.split()): span for span, phrases in _PHRASES.items() for p in phrases}
_LONGEST = max(len(words) for words in _BY_PHRASE)
# "14", "next 14 days", "narednih 14 dana", "a következő 14 nap", "14d"
_NUMBER_LEADS = {"next", "the", "in", "narednih", "sledecih", "iducih", "u", "za", "kovetkezo", "a"}
_NUMBER_UNITS = {"days", "day", "d", "dana", "dan", "nap", "napban", "napon", "napra"}
_NUMBER = re.compile(r"[+-]?[0-9]+(?:d)?")


@dataclass(frozen=True, slots=True)
class WindowWords:
    """What the words asked for, before any clock: a span, its days, how many words it took."""

    span: Span
    days: int
    consumed: int


def read_window(words: Sequence[str]) -> WindowWords | None:
    """The window at the start of words, or None; raises UsageError on a number out of range."""
    folded = [fold(w).strip(".,;:!?") for w in words[: _LONGEST + 1]]
    for width in range(min(_LONGEST, len(folded)), 0, -1):
        span = _BY_PHRASE.get(tuple(folded[:width]))
        if span is not None:
            return WindowWords(span, MONTH_DAYS if span is Span.MONTH else 0, width)
    start = 0
    while start < 2 and start < len(folded) - 1 and folded[start] in _NUMBER_LEADS:
        start += 1
    if len(folded) <= start or not _NUMBER.fullmatch(folded[start]):
        return None
    days = _days(folded[start])
    consumed = start + 1
    if len(folded) > consumed and folded[consumed] in _NUMBER_UNITS:
        consumed += 1
    return WindowWords(Span.DAYS, days, consumed)


def split_window(words: Sequence[str]) -> tuple[WindowWords, list[str]]:
    """The window at the start or at the end of words (default 14 days), and the other words."""
    head = read_window(words)
    rest = list(words[head.consumed :]) if head else list(words)
    tail = _tail_window(rest)
    if head and tail:
        raise UsageError("deadlines.two_windows")
    if tail:
        return tail, rest[: len(rest) - tail.consumed]
    return head or WindowWords(Span.DAYS, DEFAULT_DAYS, 0), rest


def _tail_window(words: list[str]) -> WindowWords | None:
    """A window that ends the words exactly ("Subotica ove nedelje"); the longest one wins.

    A bare number at the end is part of the filter ("Interreg 2027"), not a window.
    """
    for width in range(min(len(words), _LONGEST + 1), 0, -1):
        if width == 1 and _NUMBER.fullmatch(fold(words[-1]).strip(".,;:!?")):
            continue
        found = read_window(words[-width:])
        if found is not None and found.consumed == width:
            return found
    return None


def _days(token: str) -> int:
    digits = token.removesuffix("d")
    # Over-long digit strings are rejected before int() so the message can quote them briefly.
    if len(digits.lstrip("+-")) > 4 or not 1 <= int(digits) <= MAX_DAYS:
        raise UsageError("deadlines.bad_days", days=digits[:8], max=MAX_DAYS)
    return int(digits)


def bounds(window: WindowWords, now: datetime, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """[start, end) in UTC; day boundaries are local midnights, so DST changes are respected."""
    today = now.astimezone(zone).date()

    def midnight(day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=zone).astimezone(UTC)

    now = now.astimezone(UTC)
    match window.span:
        case Span.TODAY:
            return now, midnight(today + timedelta(days=1))
        case Span.TOMORROW:
            return midnight(today + timedelta(days=1)), midnight(today + timedelta(days=2))
        case Span.WEEK:
            monday = today + timedelta(days=7 - today.weekday())
            return now, midnight(monday)
        case Span.NEXT_WEEK:
            monday = today + timedelta(days=7 - today.weekday())
            return midnight(monday), midnight(monday + timedelta(days=7))
        case Span.NEXT_MONTH:
            first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
            after = (first + timedelta(days=32)).replace(day=1)
            return midnight(first), midnight(after)
    # N days (and "month", 30 days): through the end of the N-th local day from today.
    return now, midnight(today + timedelta(days=window.days + 1))


def parse_window(
    words: Sequence[str], now: datetime, zone: ZoneInfo
) -> tuple[datetime, datetime, int]:
    """(start, end, words consumed) of a window at the start of words; default 14 days."""
    window = read_window(words) or WindowWords(Span.DAYS, DEFAULT_DAYS, 0)
    start, end = bounds(window, now, zone)
    return start, end, window.consumed


_DATE = (
    r"(?:(?P<d1>\d{1,2})\.(?P<m1>\d{1,2})\.(?P<y1>\d{4})\.?"
    r"|(?P<y2>\d{4})-(?P<m2>\d{1,2})-(?P<d2>\d{1,2})"
    r"|(?P<y3>\d{4})\.\s?(?P<m3>\d{1,2})\.\s?(?P<d3>\d{1,2})\.?)"
)
_MOMENT = re.compile(_DATE + r"(?:(?:\s+|T)(?P<H>\d{1,2}):(?P<M>\d{2}))?", re.ASCII)
MAX_YEARS_AHEAD = 10


def parse_moment(words: Sequence[str], keep_time_of: datetime, zone: ZoneInfo) -> datetime:
    """ "15.12.2026", "2026-12-15 14:00", "2026. 12. 15." as a UTC moment; without a time, the
    local time of keep_time_of is kept. Raises UsageError on anything else."""
    text = " ".join(words).strip()
    found = _MOMENT.fullmatch(text)
    if found is None:
        raise UsageError("deadlines.move_bad_date", text=text[:40])
    parts = found.groupdict()
    y, m, d = next(
        (int(parts[f"y{i}"]), int(parts[f"m{i}"]), int(parts[f"d{i}"]))
        for i in (1, 2, 3)
        if parts[f"y{i}"] is not None
    )
    try:
        day = date(y, m, d)
        if parts["H"] is None:
            at = keep_time_of.astimezone(zone).time().replace(tzinfo=None, fold=0)
        else:
            at = time(int(parts["H"]), int(parts["M"]))
    except ValueError:
        raise UsageError("deadlines.move_bad_date", text=text[:40]) from None
    if day.year > keep_time_of.year + MAX_YEARS_AHEAD:
        raise UsageError("deadlines.move_too_far", years=MAX_YEARS_AHEAD)
    if day.year < MIN_YEAR:  # year 1 would overflow in astimezone; no deadline is that old
        raise UsageError("deadlines.move_bad_date", text=text[:40])
    local = datetime.combine(day, at, tzinfo=zone)
    moment = local.astimezone(UTC)
    # A time skipped when clocks go forward (02:30 on the last Sunday of March) does not exist.
    if moment.astimezone(zone).replace(tzinfo=None) != local.replace(tzinfo=None):
        raise UsageError("deadlines.move_no_such_time", time=f"{at:%H:%M}")
    return moment


def describe(
    window: WindowWords, start: datetime, end: datetime, locale: str, zone: ZoneInfo
) -> str:
    """The window in words, with its dates: "ove nedelje (do 29.11.2026.)"."""
    key = f"deadlines.window.{window.span.value}"
    if window.span is Span.DAYS and window.days == 1:
        key = "deadlines.window.days_one"
    first = i18n.format_date(start, locale, zone)
    last = i18n.format_date(end - timedelta(microseconds=1), locale, zone)  # end is exclusive
    return i18n.translate(locale, key, days=window.days, start=first, end=last)
