"""/meetings [chapter N|cluster N] and /meeting ID with its .ics."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from eudesk.handlers.context import Context
from eudesk.handlers.errors import NotFound, UsageError
from eudesk.handlers.i18n import to_cyrillic
from eudesk.handlers.ics import MEDIA_TYPE, CalendarEvent, build_calendar, uid
from eudesk.handlers.messages import Attachment, Reply
from eudesk.handlers.router import MEMBERS, STAFF, Router
from eudesk.storage.models import Chapter, Cluster, Locale, Meeting, MeetingStatus
from eudesk.storage.text import fold

router = Router(
    {
        "cmd.meetings": {
            "sr-Latn": "predstojeći sastanci pregovaračkih grupa",
            "hu": "a tárgyalócsoportok közelgő ülései",
            "en": "upcoming negotiating-group meetings",
        },
        "cmd.meeting": {
            "sr-Latn": "jedan sastanak sa mestom i dnevnim redom, i `.ics`",
            "hu": "egy ülés helyszínnel és napirenddel, .ics fájllal",
            "en": "one meeting with place and agenda, and its .ics",
        },
        "meetings.usage": {
            "sr-Latn": "Upotreba: /meetings, /meetings poglavlje 23 ili /meetings klaster 2.",
            "hu": "Használat: /meetings, /meetings 23. fejezet vagy /meetings 2. klaszter.",
            "en": "Usage: /meetings, /meetings chapter 23 or /meetings cluster 2.",
        },
        "meetings.bad_chapter": {
            "sr-Latn": "Poglavlje mora biti broj od {low} do {high}.",
            "hu": "A fejezet száma {low} és {high} között lehet.",
            "en": "A chapter is a number from {low} to {high}.",
        },
        "meetings.bad_cluster": {
            "sr-Latn": "Klaster mora biti broj od {low} do {high}.",
            "hu": "A klaszter száma {low} és {high} között lehet.",
            "en": "A cluster is a number from {low} to {high}.",
        },
        "meetings.title": {
            "sr-Latn": "Zakazani sastanci u narednih {days} dana",
            "hu": "Ütemezett ülések a következő {days} napban",
            "en": "Meetings scheduled in the next {days} days",
        },
        "meetings.title_for": {
            "sr-Latn": "Zakazani sastanci u narednih {days} dana: {subject}",
            "hu": "Ütemezett ülések a következő {days} napban: {subject}",
            "en": "Meetings scheduled in the next {days} days: {subject}",
        },
        "meetings.none": {
            "sr-Latn": "Nema zakazanih sastanaka u narednih {days} dana.",
            "hu": "A következő {days} napban nincs ütemezett ülés.",
            "en": "No meetings are scheduled in the next {days} days.",
        },
        "meetings.none_for": {
            "sr-Latn": "Nema zakazanih sastanaka u narednih {days} dana: {subject}.",
            "hu": "A következő {days} napban nincs ütemezett ülés: {subject}.",
            "en": "No meetings are scheduled in the next {days} days: {subject}.",
        },
        "meetings.nearest": {
            "sr-Latn": "Najbliži sastanci van tog perioda:",
            "hu": "A legközelebbi ülések ezen az időszakon kívül:",
            "en": "The nearest meetings outside that period:",
        },
        "meetings.chapter": {
            "sr-Latn": "poglavlje {number} – {title}",
            "hu": "{number}. fejezet – {title}",
            "en": "chapter {number} – {title}",
        },
        "meetings.cluster": {
            "sr-Latn": "klaster {number} – {name}",
            "hu": "{number}. klaszter – {name}",
            "en": "cluster {number} – {name}",
        },
        "meetings.footer": {
            "sr-Latn": "Detalji i `.ics` za kalendar: /meeting BROJ",
            "hu": "Részletek és .ics naptárfájl: /meeting SZÁM",
            "en": "Details and an .ics for your calendar: /meeting NUMBER",
        },
        "meeting.usage": {
            "sr-Latn": "Navedite broj ili oznaku sastanka, npr. /meeting 12.",
            "hu": "Adja meg az ülés számát vagy azonosítóját, pl. /meeting 12.",
            "en": "Give the meeting's number or reference, e.g. /meeting 12.",
        },
        "meeting.not_found": {
            "sr-Latn": "Nema sastanka sa brojem ili oznakom {ref}. Spisak: /meetings",
            "hu": "Nincs {ref} számú vagy azonosítójú ülés. Lista: /meetings",
            "en": "There is no meeting numbered or referenced {ref}. The list: /meetings",
        },
        "meeting.title": {"sr-Latn": "Sastanak {id}", "hu": "{id}. ülés", "en": "Meeting {id}"},
        "meeting.field.title": {"sr-Latn": "Naziv", "hu": "Cím", "en": "Title"},
        "meeting.field.subject": {
            "sr-Latn": "Poglavlje / klaster",
            "hu": "Fejezet / klaszter",
            "en": "Chapter / cluster",
        },
        "meeting.field.when": {"sr-Latn": "Vreme", "hu": "Időpont", "en": "When"},
        "meeting.field.place": {"sr-Latn": "Mesto", "hu": "Helyszín", "en": "Place"},
        "meeting.field.agenda": {"sr-Latn": "Dnevni red", "hu": "Napirend", "en": "Agenda"},
        "meeting.field.status": {"sr-Latn": "Status", "hu": "Állapot", "en": "Status"},
        "meeting.field.ref": {"sr-Latn": "Oznaka", "hu": "Azonosító", "en": "Reference"},
        "meeting.status.scheduled": {"sr-Latn": "zakazan", "hu": "ütemezett", "en": "scheduled"},
        "meeting.status.held": {"sr-Latn": "održan", "hu": "megtartva", "en": "held"},
        "meeting.status.cancelled": {"sr-Latn": "otkazan", "hu": "elmarad", "en": "cancelled"},
        "meeting.attached": {
            "sr-Latn": "U prilogu je `.ics` fajl za vaš kalendar.",
            "hu": "Mellékelve: .ics fájl a naptárához.",
            "en": "Attached: an .ics file for your calendar.",
        },
    }
)

HORIZON = timedelta(days=90)
FAR = timedelta(days=730)  # how far the nearest meetings outside HORIZON are looked for
NEAREST = 3
LIMIT = 20
CHAPTERS = range(1, 36)
CLUSTERS = range(1, 7)
# The word before or after the number ("poglavlje 23", "23. fejezet"), folded across scripts.
FILTER_WORDS = {
    "chapter": "chapter", "ch": "chapter", "poglavlje": "chapter", "pogl": "chapter",
    "fejezet": "chapter", "cluster": "cluster", "klaster": "cluster", "klaszter": "cluster",
}  # fmt: skip
_NUMBER = re.compile(r"-?\d{1,6}\.?")
_MEETING_KEY = re.compile(r"[A-Za-z0-9-]{1,40}")


@router.command("meetings", aliases=("sastanci", "састанци", "ulesek", "ülések"), roles=MEMBERS)
async def meetings(ctx: Context) -> Reply:
    """/meetings [chapter N|cluster N]: upcoming negotiating-group meetings"""
    kind, number = parse_filter(ctx.args)
    chapter = number if kind == "chapter" else None
    cluster = number if kind == "cluster" else None
    now = ctx.now()

    async def find(
        start: datetime, end: datetime, statuses: tuple[MeetingStatus, ...], limit: int
    ) -> list[Meeting]:
        if ctx.has_role(*STAFF):
            return await ctx.repos.meetings.upcoming(
                start, end, chapter=chapter, cluster=cluster, statuses=statuses, limit=limit
            )
        # a contact sees the meetings of the groups they sit in, as in /calendar
        contact = ctx.user.contact_id if ctx.user else None
        if contact is None:
            return []
        return await ctx.repos.meetings.for_contact(
            contact, start, end, chapter=chapter, cluster=cluster, statuses=statuses, limit=limit
        )

    rows = await find(now, now + HORIZON, (MeetingStatus.SCHEDULED,), LIMIT)
    days = HORIZON.days
    clusters = await ctx.repos.meetings.clusters()
    scope = await scope_label(ctx, chapter, cluster, clusters)
    if not rows:
        if scope is None:
            return Reply.text(ctx.t("meetings.none", days=days))
        # Nothing soon for this chapter or cluster: the nearest ones before and after, so that
        # "sastanci poglavlje 23" still says when the group meets.
        later = await find(now + HORIZON, now + FAR, (MeetingStatus.SCHEDULED,), NEAREST)
        earlier = await find(now - FAR, now, (MeetingStatus.HELD,), 200)
        nearest = [*later, *earlier[-NEAREST:][::-1]]
        none = ctx.t("meetings.none_for", subject=scope, days=days)
        if not nearest:
            return Reply.text(none)
        items = [_line(ctx, m, clusters, status=True) for m in nearest]
        return Reply(title=none, lines=[ctx.t("meetings.nearest")], items=items,
                     footer=ctx.t("meetings.footer"))  # fmt: skip
    title = ctx.t("meetings.title", days=days)
    if scope is not None:
        title = ctx.t("meetings.title_for", subject=scope, days=days)
    items = [_line(ctx, m, clusters) for m in rows]
    return Reply.listing(title, items, footer=ctx.t("meetings.footer"))


def _line(ctx: Context, m: Meeting, clusters: dict[int, Cluster], *, status: bool = False) -> str:
    line = f"{m.id} · {when(ctx, m)} · {subject(ctx, m, clusters)} · {m.place}"
    return f"{line} · {ctx.t(f'meeting.status.{m.status.value}')}" if status else line


@router.command("meeting", aliases=("sastanak", "састанак", "ules", "ülés"), roles=MEMBERS)
async def meeting(ctx: Context) -> Reply:
    """/meeting ID: one meeting with place and agenda, and its .ics"""
    if len(ctx.args) != 1 or not _MEETING_KEY.fullmatch(ctx.args[0]):
        raise UsageError("meeting.usage")
    found = await ctx.repos.meetings.get(ctx.args[0])
    if found is not None and not ctx.has_role(*STAFF):
        contact = ctx.user.contact_id if ctx.user else None
        if contact is None or not await ctx.repos.meetings.concerns_contact(found, contact):
            found = None  # the same answer as for a meeting that does not exist
    if found is None:
        raise NotFound("meeting.not_found", ref=ctx.args[0])
    clusters = await ctx.repos.meetings.clusters()
    fields = [
        (ctx.t("meeting.field.title"), found.title),
        (ctx.t("meeting.field.subject"), subject(ctx, found, clusters)),
        (ctx.t("meeting.field.when"), when(ctx, found)),
        (ctx.t("meeting.field.place"), found.place),
        (ctx.t("meeting.field.agenda"), found.agenda or "—"),
        (ctx.t("meeting.field.status"), ctx.t(f"meeting.status.{found.status.value}")),
        (ctx.t("meeting.field.ref"), found.ref),
    ]
    content = build_calendar([meeting_event(found)], stamp=ctx.now(), zone=ctx.config.zone)
    attachment = Attachment(f"meeting-{found.id}.ics", content, MEDIA_TYPE)
    return Reply(
        title=ctx.t("meeting.title", id=found.id),
        fields=fields,
        attachments=[attachment],
        footer=ctx.t("meeting.attached"),
    )


def parse_filter(args: list[str]) -> tuple[str | None, int | None]:
    """("chapter", 23) from "chapter 23", "поглавље 23", "23. fejezet" or "23"; (None, None)."""
    if not args:
        return None, None
    words = [fold(a) for a in args]
    if len(words) > 2 or any(len(w) > 20 for w in words):
        raise UsageError("meetings.usage")
    if len(words) == 1:
        kind, number = "chapter", words[0]
    elif words[0] in FILTER_WORDS:
        kind, number = FILTER_WORDS[words[0]], words[1]
    elif words[1] in FILTER_WORDS:
        kind, number = FILTER_WORDS[words[1]], words[0]
    else:
        raise UsageError("meetings.usage")
    if not _NUMBER.fullmatch(number):
        raise UsageError("meetings.usage")
    value = int(number.rstrip("."))
    valid = CHAPTERS if kind == "chapter" else CLUSTERS
    if value not in valid:
        raise UsageError(f"meetings.bad_{kind}", low=valid.start, high=valid.stop - 1)
    return kind, value


def when(ctx: Context, m: Meeting) -> str:
    """ "27.11.2026. 10:00–12:00" in the local zone; the end's date too if it is another day."""
    start, end = (t.astimezone(ctx.config.zone) for t in (m.starts_at, m.ends_at))
    tail = f"{end:%H:%M}" if end.date() == start.date() else ctx.datetime(m.ends_at)
    return f"{ctx.datetime(m.starts_at)}–{tail}"


def localized(ctx: Context, english: str, serbian: str) -> str:
    """Reference names exist in English and Serbian Latin; Hungarian readers get English."""
    if ctx.locale in (Locale.EN, Locale.HU):
        return english
    return to_cyrillic(serbian) if ctx.locale == Locale.SR_CYRL else serbian


def chapter_label(ctx: Context, chapter: Chapter) -> str:
    title = localized(ctx, chapter.title_en, chapter.title_sr_latn)
    return ctx.t("meetings.chapter", number=chapter.number, title=title)


def cluster_label(ctx: Context, cluster: Cluster) -> str:
    name = localized(ctx, cluster.name_en, cluster.name_sr_latn)
    return ctx.t("meetings.cluster", number=cluster.number, name=name)


async def scope_label(
    ctx: Context, chapter: int | None, cluster: int | None, clusters: dict[int, Cluster]
) -> str | None:
    """What the listing is filtered to, named in the caller's language; None for everything."""
    if chapter is not None:
        found = (await ctx.repos.meetings.chapters()).get(chapter)
        return chapter_label(ctx, found) if found else str(chapter)
    if cluster is not None:
        return cluster_label(ctx, clusters[cluster]) if cluster in clusters else str(cluster)
    return None


def subject(ctx: Context, m: Meeting, clusters: dict[int, Cluster]) -> str:
    """The chapter (with its title) a meeting is about, or its cluster when it has no chapter."""
    if m.chapter is not None:
        return chapter_label(ctx, m.chapter)
    if m.cluster_number is not None and m.cluster_number in clusters:
        return cluster_label(ctx, clusters[m.cluster_number])
    return "—"


def meeting_event(m: Meeting) -> CalendarEvent:
    """A meeting as a calendar entry; its version numbers the revisions (SEQUENCE)."""
    return CalendarEvent(
        uid=uid("meeting", m.id),
        summary=m.title,
        start=m.starts_at,
        end=m.ends_at,
        sequence=m.version - 1,
        location=m.place,
        description=m.agenda,
        cancelled=m.status == MeetingStatus.CANCELLED,
    )
