"""/calendar: an .ics of the deadlines and meetings the caller follows."""

from __future__ import annotations

from datetime import timedelta

from eudesk.handlers.context import Context
from eudesk.handlers.errors import UsageError
from eudesk.handlers.ics import MEDIA_TYPE, CalendarEvent, build_calendar, uid
from eudesk.handlers.meetings import meeting_event
from eudesk.handlers.messages import Attachment, Reply
from eudesk.handlers.router import MEMBERS, STAFF, Router
from eudesk.storage.models import DeadlineKind, MeetingStatus
from eudesk.storage.repositories.meetings import CalendarDeadline

router = Router(
    {
        "cmd.calendar": {
            "sr-Latn": "kalendar (`.ics`) sa rokovima i sastancima koje pratite",
            "hu": "naptár (.ics) a követett határidőkkel és ülésekkel",
            "en": "a calendar (.ics) of the deadlines and meetings you follow",
        },
        "calendar.usage": {
            "sr-Latn": "Komanda /calendar nema argumente.",
            "hu": "A /calendar parancsnak nincsenek argumentumai.",
            "en": "/calendar takes no arguments.",
        },
        "calendar.name": {
            "sr-Latn": "eudesk: rokovi i sastanci",
            "hu": "eudesk: határidők és ülések",
            "en": "eudesk: deadlines and meetings",
        },
        "calendar.ready": {
            "sr-Latn": "Događaja u fajlu: {count} (rokova: {deadlines}, sastanaka: {meetings}), "
            "za narednih {days} dana.",
            "hu": "Események a fájlban: {count} (határidő: {deadlines}, ülés: {meetings}), "
            "a következő {days} napra.",
            "en": "Events in the file: {count} (deadlines: {deadlines}, meetings: {meetings}), "
            "for the next {days} days.",
        },
        "calendar.truncated": {
            "sr-Latn": "Fajl sadrži samo prvih {limit} rokova; ostali slede posle njih.",
            "hu": "A fájl csak az első {limit} határidőt tartalmazza; a többi ezek után jön.",
            "en": "The file holds only the first {limit} deadlines; the rest come after them.",
        },
        "calendar.empty": {
            "sr-Latn": "U narednih {days} dana nema rokova ni sastanaka koje pratite.",
            "hu": "A következő {days} napban nincs követett határidő vagy ülés.",
            "en": "Nothing you follow is due or scheduled in the next {days} days.",
        },
        "calendar.scope_staff": {
            "sr-Latn": "Sadrži sve otvorene rokove i sve sastanke.",
            "hu": "Minden nyitott határidőt és minden ülést tartalmaz.",
            "en": "It holds every open deadline and every meeting.",
        },
        "calendar.scope_contact": {
            "sr-Latn": "Sadrži rokove koji se tiču vašeg organa i sastanke pregovaračkih grupa u "
            "kojima ste član.",
            "hu": "A szervét érintő határidőket és azon tárgyalócsoportok üléseit tartalmazza, "
            "amelyeknek Ön tagja.",
            "en": "It holds the deadlines that concern your body and the meetings of the "
            "negotiating groups you are a member of.",
        },
        "calendar.deadline": {
            "sr-Latn": "Rok: {title}",
            "hu": "Határidő: {title}",
            "en": "Deadline: {title}",
        },
        "calendar.kind.call_for_proposals": {
            "sr-Latn": "poziv za predloge projekata",
            "hu": "pályázati felhívás",
            "en": "call for proposals",
        },
        "calendar.kind.report": {"sr-Latn": "izveštaj", "hu": "jelentés", "en": "report"},
        "calendar.kind.cofinancing_request": {
            "sr-Latn": "zahtev za sufinansiranje",
            "hu": "társfinanszírozási kérelem",
            "en": "co-financing request",
        },
        "calendar.kind.payment_claim": {
            "sr-Latn": "zahtev za plaćanje",
            "hu": "kifizetési kérelem",
            "en": "payment claim",
        },
        "calendar.kind.other": {"sr-Latn": "ostalo", "hu": "egyéb", "en": "other"},
        "calendar.feed": {
            "sr-Latn": "Vaš kalendar za pretplatu (Google, Outlook, telefon): {link}\nSadrži "
            "rokove i sastanke koje pratite (/subscriptions) i sam se osvežava. Link je lični: ne "
            "delite ga.",
            "hu": "Feliratkozható naptára (Google, Outlook, telefon): {link}\nA követett "
            "határidőket és üléseket tartalmazza (/subscriptions), és magától frissül. A link "
            "személyes: ne ossza meg.",
            "en": "Your calendar to subscribe to (Google, Outlook, phone): {link}\nIt holds the "
            "deadlines and meetings you follow (/subscriptions) and keeps itself up to date. The "
            "link is personal: do not share it.",
        },
    }
)

HORIZON = timedelta(days=90)
# A deadline is a moment; calendars show it best as a short event starting then.
DEADLINE_LENGTH = timedelta(minutes=30)
# Listed as CANCELLED, so a calendar that imported a meeting earlier learns it is off.
MEETING_STATUSES = (MeetingStatus.SCHEDULED, MeetingStatus.CANCELLED)
MAX_EVENTS = 500


@router.command("calendar", aliases=("kalendar", "календар", "naptar", "naptár"), roles=MEMBERS)
async def calendar(ctx: Context) -> Reply:
    """/calendar: an .ics of the deadlines and meetings you follow"""
    assert ctx.user is not None
    if ctx.args:
        raise UsageError("calendar.usage")
    # Until subscriptions exist, "follows" means: staff follow every open deadline and meeting;
    # a contact follows the open deadlines that concern their body and the meetings of the
    # negotiating groups they sit in (and of those chapters' clusters).
    feed = await ctx.repos.feeds.for_chat(
        ctx.incoming.platform, ctx.incoming.chat_id, user_id=ctx.user_id, locale=ctx.locale
    )
    link = ctx.t("calendar.feed", link=ctx.config.public_url + feed_path(feed.token))
    now = ctx.now()
    until = now + HORIZON
    repo = ctx.repos.meetings
    if ctx.has_role(*STAFF):
        deadlines = await repo.calendar_deadlines(now, until, limit=MAX_EVENTS)
        meetings = await repo.upcoming(now, until, statuses=MEETING_STATUSES, limit=MAX_EVENTS)
        scope = "calendar.scope_staff"
    else:
        body, contact = ctx.user.body_id, ctx.user.contact_id
        deadlines = []
        if body is not None:
            deadlines = await repo.calendar_deadlines(now, until, body_id=body, limit=MAX_EVENTS)
        meetings = []
        if contact is not None:
            meetings = await repo.for_contact(
                contact, now, until, statuses=MEETING_STATUSES, limit=MAX_EVENTS
            )
        scope = "calendar.scope_contact"
    events = [*(deadline_event(ctx, d) for d in deadlines), *map(meeting_event, meetings)]
    if not events:
        # An iCalendar object must hold at least one component, so there is no file to send.
        return Reply(lines=[ctx.t("calendar.empty", days=HORIZON.days), link])
    events.sort(key=lambda e: (e.start, e.uid))
    content = build_calendar(events, stamp=now, zone=ctx.config.zone, name=ctx.t("calendar.name"))
    summary = ctx.t("calendar.ready", count=len(events), deadlines=len(deadlines),
                    meetings=len(meetings), days=HORIZON.days)  # fmt: skip
    lines = [summary, ctx.t(scope)]
    if len(deadlines) >= MAX_EVENTS:
        lines.append(ctx.t("calendar.truncated", limit=MAX_EVENTS))
    lines.append(link)
    return Reply(
        lines=lines,
        attachments=[Attachment("eudesk-calendar.ics", content, MEDIA_TYPE)],
    )


def feed_path(token: str) -> str:
    """Where the HTTP server serves a feed."""
    return f"/ical/{token}.ics"


def deadline_event(ctx: Context, d: CalendarDeadline) -> CalendarEvent:
    """A deadline as a short event at its due moment, described in the caller's language."""
    kind = ctx.t(f"calendar.kind.{DeadlineKind(d.kind).value}")
    details = [kind, d.ref, *([d.project_code] if d.project_code else [])]
    return CalendarEvent(
        uid=uid("deadline", d.id),
        summary=ctx.t("calendar.deadline", title=d.title),
        start=d.due_at,
        end=d.due_at + DEADLINE_LENGTH,
        sequence=d.version - 1,
        description=" · ".join(details),
    )
