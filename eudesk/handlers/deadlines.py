"""/deadlines [window] [filter] and /deadline_move ID DATE: upcoming deadlines and moving one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from eudesk.handlers.context import Context
from eudesk.handlers.errors import NotFound, UsageError
from eudesk.handlers.messages import Reply
from eudesk.handlers.router import COORDINATORS, MEMBERS, STAFF, Router
from eudesk.handlers.windows import bounds, describe, parse_moment, split_window
from eudesk.storage.changes import announce_for
from eudesk.storage.models import DeadlineKind, DeadlineStatus, Role
from eudesk.storage.repositories import UpcomingDeadline
from eudesk.storage.text import fold

LISTED = 30
COUNT_CAP = 1000  # beyond this the listing says "more than": counting is then bounded
MAX_ARG_WORDS = 12
MAX_FILTER_CHARS = 80

router = Router(
    {
        "cmd.deadlines": {"sr-Latn": "predstojeći rokovi", "hu": "közelgő határidők",
                          "en": "upcoming deadlines"},
        "cmd.deadline_move": {"sr-Latn": "pomeranje roka (koordinatori)",
                              "hu": "határidő módosítása (koordinátorok)",
                              "en": "move a deadline (coordinators)"},
        "deadlines.title": {"sr-Latn": "Rokovi {window}", "hu": "Határidők {window}",
                            "en": "Deadlines {window}"},
        "deadlines.title_filtered": {"sr-Latn": "Rokovi {window} — {filter}",
                                     "hu": "Határidők {window} — {filter}",
                                     "en": "Deadlines {window} — {filter}"},
        "deadlines.none": {"sr-Latn": "Nema rokova {window}.", "hu": "Nincs határidő {window}.",
                           "en": "No deadlines {window}."},
        "deadlines.none_filtered": {"sr-Latn": "Nema rokova {window} za: {filter}.",
                                    "hu": "Nincs határidő {window} ehhez: {filter}.",
                                    "en": "No deadlines {window} for: {filter}."},
        "deadlines.more_than": {
            "sr-Latn": "…i još više od {more}. Suzite izbor, npr. /deadlines `week HUSRB` ili "
            "/deadlines `7 Subotica`.",
            "hu": "…és még több mint {more}. Szűkítse a keresést, pl. /deadlines week HUSRB vagy "
            "/deadlines 7 Szabadka.",
            "en": "…and more than {more} others. Narrow it down, e.g. /deadlines week HUSRB or "
            "/deadlines 7 Subotica.",
        },
        "deadlines.more": {
            "sr-Latn": "…i još {more}. Suzite izbor, npr. /deadlines `week HUSRB` ili "
            "/deadlines `7 Subotica`.",
            "hu": "…és még {more}. Szűkítse a keresést, pl. /deadlines week HUSRB vagy "
            "/deadlines 7 Szabadka.",
            "en": "…and {more} more. Narrow it down, e.g. /deadlines week HUSRB or "
            "/deadlines 7 Subotica.",
        },
        "deadlines.move_hint": {"sr-Latn": "Pomeranje roka: /deadline_move ID DATUM [ČČ:MM]",
                                "hu": "Módosítás: /deadline_move AZONOSÍTÓ DÁTUM [ÓÓ:PP]",
                                "en": "To move one: /deadline_move ID DATE [HH:MM]"},
        "deadlines.contact_scope": {"sr-Latn": "Prikazani su rokovi koji se tiču: {body}.",
                                    "hu": "Az alábbi szervet érintő határidők: {body}.",
                                    "en": "Showing the deadlines that concern {body}."},
        "deadlines.no_body": {"sr-Latn": "vaša institucija nije upisana",
                              "hu": "az Ön szerve nincs megadva",
                              "en": "no organisation is recorded for you"},
        "deadlines.too_long": {
            "sr-Latn": "Predugačak upit (najviše {words} reči i {chars} znakova u filteru). "
            "Primer: /deadlines `week Subotica`.",
            "hu": "Túl hosszú kérés (legfeljebb {words} szó, a szűrő {chars} karakter). "
            "Példa: /deadlines week Szabadka.",
            "en": "That is too long (at most {words} words, {chars} characters of filter). "
            "Example: /deadlines week Subotica.",
        },
        "deadlines.two_kinds": {
            "sr-Latn": "Navedite samo jednu vrstu roka (poziv, izveštaj, sufinansiranje, "
            "zahtev za plaćanje, ostalo).",
            "hu": "Csak egy határidőfajtát adjon meg (pályázat, jelentés, társfinanszírozás, "
            "kifizetés, egyéb).",
            "en": "Give only one kind (calls, report, cofinancing, payment, other).",
        },
        "deadlines.ambiguous": {
            "sr-Latn": "„{text}” odgovara za više institucija: {names}. Navedite pun naziv.",
            "hu": "„{text}” több szervre is illik: {names}. Adja meg a teljes nevet.",
            "en": "“{text}” matches several bodies: {names}. Give the full name.",
        },
        "deadlines.kind.call_for_proposals": {"sr-Latn": "Poziv", "hu": "Pályázati felhívás",
                                              "en": "Call for proposals"},
        "deadlines.kind.report": {"sr-Latn": "Izveštaj", "hu": "Jelentés", "en": "Report"},
        "deadlines.kind.cofinancing_request": {"sr-Latn": "Zahtev za sufinansiranje",
                                               "hu": "Társfinanszírozási kérelem",
                                               "en": "Co-financing request"},
        "deadlines.kind.payment_claim": {"sr-Latn": "Zahtev za plaćanje",
                                         "hu": "Kifizetési kérelem", "en": "Payment claim"},
        "deadlines.kind.other": {"sr-Latn": "Ostalo", "hu": "Egyéb", "en": "Other"},
        "deadlines.move_usage": {
            "sr-Latn": "Upotreba: /deadline_move ID DATUM [ČČ:MM], npr. /deadline_move "
            "`123 15.12.2026 14:00`. ID je broj posle # u /deadlines.",
            "hu": "Használat: /deadline_move AZONOSÍTÓ DÁTUM [ÓÓ:PP], pl. /deadline_move "
            "123 2026-12-15 14:00. Az azonosító a # utáni szám a /deadlines listában.",
            "en": "Usage: /deadline_move ID DATE [HH:MM], e.g. /deadline_move 123 15.12.2026 "
            "14:00. The ID is the number after # in /deadlines.",
        },
        "deadlines.move_not_found": {"sr-Latn": "Nema roka #{id}.",
                                     "hu": "Nincs #{id} azonosítójú határidő.",
                                     "en": "There is no deadline #{id}."},
        "deadlines.move_past": {"sr-Latn": "Novi rok ({when}) je već prošao.",
                                "hu": "Az új határidő ({when}) már elmúlt.",
                                "en": "The new due time ({when}) has already passed."},
        "deadlines.move_unchanged": {"sr-Latn": "Rok #{id} je već {when}.",
                                     "hu": "A(z) #{id} határidő már most is {when}.",
                                     "en": "Deadline #{id} is already due {when}."},
        "deadlines.move_closed": {
            "sr-Latn": "Rok #{id} je zatvoren ({status}) i ne pomera se.",
            "hu": "A(z) #{id} határidő lezárult ({status}), nem módosítható.",
            "en": "Deadline #{id} is closed ({status}) and cannot be moved.",
        },
        "deadlines.status.done": {"sr-Latn": "ispunjen", "hu": "teljesítve", "en": "done"},
        "deadlines.status.cancelled": {"sr-Latn": "otkazan", "hu": "törölve", "en": "cancelled"},
        "deadlines.moved": {"sr-Latn": "Rok #{id} je pomeren", "hu": "A(z) #{id} határidő "
                            "módosítva", "en": "Deadline #{id} moved"},
        "deadlines.field.title": {"sr-Latn": "Rok", "hu": "Határidő", "en": "Deadline"},
        "deadlines.field.was": {"sr-Latn": "Bio", "hu": "Korábban", "en": "Was"},
        "deadlines.field.now": {"sr-Latn": "Sada", "hu": "Most", "en": "Now"},
        "deadlines.field.version": {"sr-Latn": "Verzija", "hu": "Verzió", "en": "Version"},
    }
)  # fmt: skip

# Folded words for kinds in sr (both scripts fold alike), hu and en; longest phrases first.
_KIND_WORDS: dict[DeadlineKind, tuple[str, ...]] = {
    DeadlineKind.CALL: (
        "poziv", "pozivi", "poziva", "pozive", "call", "calls", "call for proposals",
        "calls for proposals", "palyazat", "palyazatok", "palyazati felhivas", "felhivas",
    ),
    DeadlineKind.REPORT: ("izvestaj", "izvestaji", "izvestaja", "report", "reports",
                          "jelentes", "jelentesek"),
    DeadlineKind.COFINANCING: (
        "sufinansiranje", "sufinansiranja", "zahtev za sufinansiranje", "predfinansiranje",
        "cofinancing", "co-financing", "tarsfinanszirozas", "tarsfinanszirozasi kerelem",
    ),
    DeadlineKind.PAYMENT_CLAIM: (
        "zahtev za placanje", "zahtevi za placanje", "placanje", "placanja", "isplata",
        "payment", "payments", "payment claim", "payment claims", "kifizetes", "kifizetesek",
        "kifizetesi kerelem",
    ),
    DeadlineKind.OTHER: ("ostalo", "ostali", "other", "egyeb"),
}  # fmt: skip
_KINDS = {tuple(p.split()): kind for kind, words in _KIND_WORDS.items() for p in words}
_KIND_WIDTH = max(len(words) for words in _KINDS)


@dataclass(frozen=True, slots=True)
class Search:
    """One listing's query: the window, the filters, and what the caller may see."""

    start: datetime
    end: datetime
    kind: DeadlineKind | None = None
    match: str | None = None
    body_id: int | None = None
    only_body_ids: tuple[int, ...] | None = None

    async def count(self, ctx: Context) -> int:
        return await ctx.repos.deadlines.count_upcoming(
            self.start, self.end - self.start, match=self.match, body_id=self.body_id,
            kind=self.kind, only_body_ids=self.only_body_ids, cap=COUNT_CAP,
        )  # fmt: skip

    async def rows(self, ctx: Context) -> list[UpcomingDeadline]:
        return await ctx.repos.deadlines.upcoming(
            self.start, self.end - self.start, match=self.match, body_id=self.body_id,
            kind=self.kind, only_body_ids=self.only_body_ids, limit=LISTED,
        )  # fmt: skip


@router.command(
    "deadlines",
    aliases=("rokovi", "рокови", "rok", "hataridok", "hatarido", "deadline"),
    roles=MEMBERS,
)
async def deadlines(ctx: Context) -> Reply:
    """/deadlines [today|week|month|N] [project|programme|body|kind]: upcoming deadlines"""
    if len(ctx.args) > MAX_ARG_WORDS:
        raise UsageError("deadlines.too_long", words=MAX_ARG_WORDS, chars=MAX_FILTER_CHARS)
    window, words = split_window(ctx.args)
    start, end = bounds(window, ctx.now(), ctx.config.zone)
    kind, words = take_kind(words)
    text = " ".join(words)
    if len(text) > MAX_FILTER_CHARS:
        raise UsageError("deadlines.too_long", words=MAX_ARG_WORDS, chars=MAX_FILTER_CHARS)
    search = Search(start, end, kind=kind, only_body_ids=_visible_bodies(ctx))
    search, label = await _resolve(ctx, search, text)
    if kind is not None:
        label = ", ".join(filter(None, (ctx.t(f"deadlines.kind.{kind.value}"), label)))
    span = describe(window, start, end, ctx.locale, ctx.config.zone)
    rows = await search.rows(ctx)
    footer = [await _scope_note(ctx)] if search.only_body_ids is not None else []
    if not rows:
        key = "deadlines.none_filtered" if label else "deadlines.none"
        return Reply(lines=[ctx.t(key, window=span, filter=label), *footer])
    total = await search.count(ctx) if len(rows) == LISTED else len(rows)
    if total > COUNT_CAP:
        footer.insert(0, ctx.t("deadlines.more_than", more=COUNT_CAP - len(rows)))
    elif total > len(rows):
        footer.insert(0, ctx.t("deadlines.more", more=total - len(rows)))
    if ctx.has_role(*COORDINATORS):
        footer.append(ctx.t("deadlines.move_hint"))
    title_key = "deadlines.title_filtered" if label else "deadlines.title"
    return Reply.listing(
        ctx.t(title_key, window=span, filter=label),
        [_item(ctx, row) for row in rows],
        footer="\n".join(footer) or None,
    )


def take_kind(words: list[str]) -> tuple[DeadlineKind | None, list[str]]:
    """A kind named anywhere in the words ("izveštaji", "zahtev za plaćanje"), and the rest."""
    folded = [fold(w).strip(".,;:!?") for w in words]
    kinds: set[DeadlineKind] = set()
    rest: list[str] = []
    i = 0
    while i < len(words):
        for width in range(min(_KIND_WIDTH, len(words) - i), 0, -1):
            kind = _KINDS.get(tuple(folded[i : i + width]))
            if kind is not None:
                kinds.add(kind)
                i += width
                break
        else:
            rest.append(words[i])
            i += 1
    if len(kinds) > 1:
        raise UsageError("deadlines.two_kinds")
    return (kinds.pop() if kinds else None), rest


def _visible_bodies(ctx: Context) -> tuple[int, ...] | None:
    """A contact (without a staff role) sees only the deadlines that concern their body."""
    if ctx.user is None or ctx.has_role(*STAFF) or not ctx.has_role(Role.CONTACT):
        return None
    return () if ctx.user.body_id is None else (ctx.user.body_id,)


async def _scope_note(ctx: Context) -> str:
    body = None
    if ctx.user is not None and ctx.user.body_id is not None:
        body = await ctx.repos.bodies.by_id(ctx.user.body_id)
    name = body.name(ctx.locale) if body else ctx.t("deadlines.no_body")
    return ctx.t("deadlines.contact_scope", body=name)


async def _resolve(ctx: Context, search: Search, text: str) -> tuple[Search, str]:
    """The filter text as a body (named exactly, or the only one that matches) or as a
    project/programme match; the first reading that finds deadlines wins."""
    if not fold(text):
        return search, ""
    bodies = await ctx.repos.bodies.find(text)
    exact = [b for b in bodies if ctx.repos.bodies.is_exact(b, text)]
    if exact:
        return replace(search, body_id=exact[0].id), exact[0].name(ctx.locale)
    readings: list[tuple[Search, str]] = []
    if len(bodies) == 1:
        readings.append((replace(search, body_id=bodies[0].id), bodies[0].name(ctx.locale)))
    readings.append((replace(search, match=text), text))
    for reading in readings:
        if await reading[0].count(ctx):
            return reading
    if len(bodies) > 1:
        names = ", ".join(b.name(ctx.locale) for b in bodies[:5])
        raise UsageError("deadlines.ambiguous", text=text, names=names)
    return readings[0]


def _item(ctx: Context, row: UpcomingDeadline) -> str:
    # Demo and real titles often start with the acronym or programme; do not say it twice.
    named = (row.project_acronym, row.programme_name)
    where = ", ".join(n for n in named if n and not row.title.startswith(n))
    parts = [ctx.datetime(row.due_at), ctx.t(f"deadlines.kind.{row.kind.value}"), row.title]
    return " · ".join(parts) + (f" ({where})" if where else "") + f" · #{row.id}"


@router.command(
    "deadline_move",
    aliases=("pomeri_rok", "помери_рок", "hatarido_modositas", "move_deadline"),
    roles=COORDINATORS,
)
async def deadline_move(ctx: Context) -> Reply:
    """/deadline_move ID DATE [HH:MM]: move a deadline (DD.MM.YYYY or YYYY-MM-DD, local time)"""
    if len(ctx.args) < 2 or len(ctx.args) > 5 or len(ctx.rest) > 60:
        raise UsageError("deadlines.move_usage")
    ref = ctx.args[0].removeprefix("#")
    if not (ref.isascii() and ref.isdigit()) or len(ref) > 9:
        raise UsageError("deadlines.move_usage")
    deadline = await ctx.repos.deadlines.get(int(ref))
    if deadline is None:
        raise NotFound("deadlines.move_not_found", id=ref)
    if deadline.status is not DeadlineStatus.OPEN:
        status = ctx.t(f"deadlines.status.{deadline.status.value}")
        raise UsageError("deadlines.move_closed", id=deadline.id, status=status)
    new_due = parse_moment(ctx.args[1:], deadline.due_at, ctx.config.zone)
    if new_due <= ctx.now():
        raise UsageError("deadlines.move_past", when=ctx.datetime(new_due))
    if new_due == deadline.due_at:
        raise UsageError("deadlines.move_unchanged", id=deadline.id, when=ctx.datetime(new_due))
    old_due = deadline.due_at
    moved = await ctx.repos.deadlines.move(deadline.id, new_due)
    await announce_for(moved)  # re-plan its reminders now, not at the next tick
    ctx.audit(
        "deadline.move", allowed=True, target_type="deadline", target_ref=moved.ref,
        detail=f"{old_due.isoformat()} -> {new_due.isoformat()} (version {moved.version})",
    )  # fmt: skip
    return Reply(
        title=ctx.t("deadlines.moved", id=moved.id),
        fields=[
            (ctx.t("deadlines.field.title"), moved.title),
            (ctx.t("deadlines.field.was"), ctx.datetime(old_due)),
            (ctx.t("deadlines.field.now"), ctx.datetime(new_due)),
            (ctx.t("deadlines.field.version"), str(moved.version)),
        ],
    )
