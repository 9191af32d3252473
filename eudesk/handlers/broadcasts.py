"""/broadcast and /ack_status: send a guideline to the contacts of bodies, see who acknowledged."""

from __future__ import annotations

from dataclasses import dataclass

from eudesk.handlers.context import Context
from eudesk.handlers.errors import UsageError
from eudesk.handlers.messages import Button, Reply
from eudesk.handlers.router import COORDINATORS, STAFF, Router
from eudesk.storage.changes import announce_for
from eudesk.storage.models import Body, Contact, Guideline, GuidelineAudience
from eudesk.storage.repositories.broadcasts import (
    AUDIENCE_TARGETS,
    TARGET_WORDS,
    AckLine,
    UnknownTarget,
    contact_chat,
)
from eudesk.storage.text import fold

MAX_REF_CHARS = 40  # Guideline.ref is String(40)
MAX_TARGET_CHARS = 400
MAX_LINES = 40  # contacts listed by /ack_status; the counts cover everyone
CALLBACK_BYTES = 64  # Telegram's limit for a button's data
CONFIRM_WORDS = frozenset({"yes", "da", "igen", "confirm", "potvrdjujem"})

router = Router(
    {
        "cmd.broadcast": {
            "sr-Latn": "pošalji smernicu kontaktima organa (all-lsgu, provincial, organi)",
            "hu": "irányelv küldése a szervek kapcsolattartóinak (all-lsgu, provincial, szervek)",
            "en": "send a guideline to the contacts of bodies (all-lsgu, provincial, bodies)",
        },
        "cmd.ack_status": {
            "sr-Latn": "ko je potvrdio prijem smernice, a ko nije",
            "hu": "ki nyugtázta az irányelvet, és ki nem",
            "en": "who acknowledged a guideline and who did not",
        },
        "broadcast.usage": {
            "sr-Latn": "Upotreba: /broadcast OZNAKA [all-lsgu | provincial | all | organ, organ…]. "
            "Bez primalaca smernica ide onima kojima je namenjena.",
            "hu": "Használat: /broadcast JELÖLÉS [all-lsgu | provincial | all | szerv, szerv…]. "
            "Címzettek nélkül az irányelv annak megy, akinek szól.",
            "en": "Usage: /broadcast REF [all-lsgu | provincial | all | body, body…]. With no "
            "recipients the guideline goes to its own audience.",
        },
        "broadcast.unknown": {
            "sr-Latn": "Nema smernice sa oznakom {ref}. Oznake su u /guidelines.",
            "hu": "Nincs {ref} jelölésű irányelv. A jelölések: /guidelines.",
            "en": "There is no guideline {ref}. References are in /guidelines.",
        },
        "broadcast.unknown_body": {
            "sr-Latn": "Ne prepoznajem organ „{name}”. Navedite tačan naziv ili šifru; više organa "
            "odvojite zarezom.",
            "hu": "Nem ismerem fel a(z) „{name}” szervet. Adja meg a pontos nevét vagy kódját; "
            "több szervet vesszővel válasszon el.",
            "en": "I do not recognise the body “{name}”. Give its exact name or code; separate "
            "several bodies with commas.",
        },
        "broadcast.needs_bodies": {
            "sr-Latn": "Smernica {ref} je namenjena pojedinim organima: navedite ih, npr. "
            "/broadcast {ref} Subotica, Senta.",
            "hu": "A(z) {ref} irányelv egyes szerveknek szól: nevezze meg őket, pl. "
            "/broadcast {ref} Szabadka, Zenta.",
            "en": "Guideline {ref} is for particular bodies: name them, e.g. "
            "/broadcast {ref} Subotica, Senta.",
        },
        "broadcast.nobody": {
            "sr-Latn": "Izabrani organi nemaju aktivnih kontakata; ništa nije poslato.",
            "hu": "A kiválasztott szerveknek nincs aktív kapcsolattartójuk; semmi sem ment el.",
            "en": "The chosen bodies have no active contacts; nothing was sent.",
        },
        "broadcast.preview": {
            "sr-Latn": "Smernica {ref} „{title}” ide ka {contacts} kontakata u {bodies} organa "
            "({unreachable} bez četa: samo evidentirano).",
            "hu": "A(z) {ref} „{title}” irányelv {bodies} szerv {contacts} kapcsolattartójának "
            "megy ({unreachable} csevegés nélkül: csak nyilvántartva).",
            "en": "Guideline {ref} “{title}” goes to {contacts} contacts in {bodies} bodies "
            "({unreachable} without a chat: recorded only).",
        },
        "broadcast.confirm_button": {
            "sr-Latn": "Pošalji ({contacts})",
            "hu": "Küldés ({contacts})",
            "en": "Send ({contacts})",
        },
        "broadcast.confirm_footer": {
            "sr-Latn": "Potvrdite dugmetom ili ponovite komandu sa „yes” na kraju.",
            "hu": "Erősítse meg a gombbal, vagy ismételje meg a parancsot „yes” szóval a végén.",
            "en": "Confirm with the button, or repeat the command with “yes” at the end.",
        },
        "broadcast.done": {
            "sr-Latn": "Smernica {ref} je u redu za slanje: {queued} novih poruka, {already} "
            "kontakata ju je već dobilo, {unreachable} bez četa. Stanje: /ack_status {ref}",
            "hu": "A(z) {ref} irányelv sorban áll: {queued} új üzenet, {already} kapcsolattartó "
            "már megkapta, {unreachable} csevegés nélkül. Állapot: /ack_status {ref}",
            "en": "Guideline {ref} is queued: {queued} new messages, {already} contacts had it "
            "already, {unreachable} without a chat. Status: /ack_status {ref}",
        },
        "ack_status.usage": {
            "sr-Latn": "Upotreba: /ack_status OZNAKA, npr. /ack_status `DEMO-GL-0001`.",
            "hu": "Használat: /ack_status JELÖLÉS, pl. /ack_status DEMO-GL-0001.",
            "en": "Usage: /ack_status REF, e.g. /ack_status DEMO-GL-0001.",
        },
        "ack_status.title": {
            "sr-Latn": "Potvrde prijema: {ref} „{title}”",
            "hu": "Átvételi nyugták: {ref} „{title}”",
            "en": "Acknowledgements: {ref} “{title}”",
        },
        "ack_status.none": {
            "sr-Latn": "Smernica {ref} još nije dostavljena nijednom kontaktu.",
            "hu": "A(z) {ref} irányelvet még egy kapcsolattartó sem kapta meg.",
            "en": "Guideline {ref} has not been delivered to any contact yet.",
        },
        "ack_status.delivered": {
            "sr-Latn": "Dostavljeno",
            "hu": "Kézbesítve",
            "en": "Delivered to",
        },
        "ack_status.acknowledged": {
            "sr-Latn": "Potvrdilo",
            "hu": "Nyugtázta",
            "en": "Acknowledged",
        },
        "ack_status.pending": {
            "sr-Latn": "Nije potvrdilo",
            "hu": "Nem nyugtázta",
            "en": "Not acknowledged",
        },
        "ack_status.line_acked": {
            "sr-Latn": "{body} — {name}: potvrđeno {date}",
            "hu": "{body} — {name}: nyugtázva {date}",
            "en": "{body} — {name}: acknowledged {date}",
        },
        "ack_status.line_sent": {
            "sr-Latn": "{body} — {name}: nije potvrđeno (poslato {date})",
            "hu": "{body} — {name}: nincs nyugtázva (elküldve {date})",
            "en": "{body} — {name}: not acknowledged (sent {date})",
        },
        "ack_status.line_reminded": {
            "sr-Latn": "{body} — {name}: nije potvrđeno (poslato {date}, podsetnik {reminded})",
            "hu": "{body} — {name}: nincs nyugtázva (elküldve {date}, emlékeztető {reminded})",
            "en": "{body} — {name}: not acknowledged (sent {date}, reminded {reminded})",
        },
        "ack_status.line_queued": {
            "sr-Latn": "{body} — {name}: nije potvrđeno (još nije poslato)",
            "hu": "{body} — {name}: nincs nyugtázva (még nincs elküldve)",
            "en": "{body} — {name}: not acknowledged (not sent yet)",
        },
        "ack_status.line_unreachable": {
            "sr-Latn": "{body} — {name}: nema čet (nije poslato)",
            "hu": "{body} — {name}: nincs csevegése (nem ment el)",
            "en": "{body} — {name}: no chat (not sent)",
        },
        "ack_status.more": {
            "sr-Latn": "… i još {count}",
            "hu": "… és még {count}",
            "en": "… and {count} more",
        },
    }
)


@dataclass(frozen=True, slots=True)
class Targets:
    """What a broadcast names: keywords and body codes, and how to say it in a callback."""

    names: tuple[str, ...]  # all-lsgu / provincial / all / body codes

    @property
    def words(self) -> str:
        return ", ".join(self.names)


@router.command(
    "broadcast", aliases=("posalji", "пошаљи", "posalji_smernicu", "kuldes", "küldés"),
    roles=COORDINATORS,
)  # fmt: skip
async def broadcast(ctx: Context) -> Reply:
    """/broadcast REF [all-lsgu|provincial|all|BODY, ...]: send a guideline to contacts"""
    assert ctx.user is not None
    if not ctx.args or len(ctx.args[0]) > MAX_REF_CHARS or len(ctx.rest) > MAX_TARGET_CHARS:
        raise UsageError("broadcast.usage")
    words = list(ctx.args[1:])
    confirmed = bool(words) and fold(words[-1]) in CONFIRM_WORDS
    if confirmed:
        words.pop()
    guideline = await ctx.repos.guidelines.get_by_ref(ctx.args[0])
    if guideline is None:
        raise UsageError("broadcast.unknown", ref=ctx.args[0])
    targets = await _targets(ctx, guideline, " ".join(words))
    bodies = await ctx.repos.broadcasts.bodies_for(targets.names)
    contacts = await ctx.repos.broadcasts.contacts_of([body.id for body in bodies])
    if not contacts:
        return Reply.text(ctx.t("broadcast.nobody"))
    if not confirmed:
        return _preview(ctx, guideline, targets, bodies, contacts)
    report = await ctx.repos.broadcasts.broadcast(guideline, contacts, ctx.now())
    await announce_for(guideline)
    ctx.audit("guideline.broadcast", allowed=True, target_type="guideline",
              target_ref=guideline.ref, detail=f"to {targets.words}: queued {report.queued}, "
              f"already {report.already}, no chat {report.unreachable}")  # fmt: skip
    return Reply.text(
        ctx.t(
            "broadcast.done",
            ref=guideline.ref,
            queued=report.queued,
            already=report.already,
            unreachable=report.unreachable,
        )
    )


@router.command("ack_status", aliases=("potvrde", "потврде", "nyugtak", "nyugták"), roles=STAFF)
async def ack_status(ctx: Context) -> Reply:
    """/ack_status REF: who acknowledged a guideline and who did not"""
    if len(ctx.args) != 1 or len(ctx.args[0]) > MAX_REF_CHARS:
        raise UsageError("ack_status.usage")
    guideline = await ctx.repos.guidelines.get_by_ref(ctx.args[0])
    if guideline is None:
        raise UsageError("broadcast.unknown", ref=ctx.args[0])
    lines = await ctx.repos.broadcasts.ack_status(guideline.id)
    if not lines:
        return Reply.text(ctx.t("ack_status.none", ref=guideline.ref))
    acked = sum(1 for line in lines if line.acknowledged_at is not None)
    items = [_status_line(ctx, line) for line in lines[:MAX_LINES]]
    if len(lines) > MAX_LINES:
        items.append(ctx.t("ack_status.more", count=len(lines) - MAX_LINES))
    return Reply(
        title=ctx.t("ack_status.title", ref=guideline.ref, title=guideline.title),
        fields=[
            (ctx.t("ack_status.delivered"), str(len(lines))),
            (ctx.t("ack_status.acknowledged"), str(acked)),
            (ctx.t("ack_status.pending"), str(len(lines) - acked)),
        ],
        items=items,
    )


async def _targets(ctx: Context, guideline: Guideline, text: str) -> Targets:
    """Keywords and bodies from "all-lsgu", "provincial", "Subotica, Senta"; none = audience."""
    if not text.strip():
        target = AUDIENCE_TARGETS.get(guideline.audience)
        if guideline.audience is GuidelineAudience.BODIES or target is None:
            raise UsageError("broadcast.needs_bodies", ref=guideline.ref)
        return Targets((target,))
    parts = text.split(",") if "," in text else _split_words(text)
    try:
        return Targets(tuple(await ctx.repos.broadcasts.resolve_targets(parts)))
    except UnknownTarget as exc:
        raise UsageError("broadcast.unknown_body", name=exc.text) from None


def _split_words(text: str) -> list[str]:
    """Without commas: the keywords one by one, else the whole text as one body's name."""
    words = text.split()
    if all(fold(word) in TARGET_WORDS for word in words):
        return words
    return [text]


def _preview(
    ctx: Context,
    guideline: Guideline,
    targets: Targets,
    bodies: list[Body],
    contacts: list[Contact],
) -> Reply:
    unreachable = sum(1 for contact in contacts if contact_chat(contact) is None)
    reply = Reply.text(
        ctx.t(
            "broadcast.preview",
            ref=guideline.ref,
            title=guideline.title,
            contacts=len(contacts),
            bodies=len(bodies),
            unreachable=unreachable,
        )
    )
    command = f"/broadcast {guideline.ref} {targets.words} yes"
    if len(command.encode()) <= CALLBACK_BYTES:
        label = ctx.t("broadcast.confirm_button", contacts=len(contacts))
        reply.buttons = [Button(label, command)]
    reply.footer = ctx.t("broadcast.confirm_footer")
    return reply


def _status_line(ctx: Context, line: AckLine) -> str:
    body, name = line.body.name(ctx.locale), line.contact_name
    if line.acknowledged_at is not None:
        return ctx.t("ack_status.line_acked", body=body, name=name,
                     date=ctx.date(line.acknowledged_at))  # fmt: skip
    if not line.reachable and line.sent_at is None:
        return ctx.t("ack_status.line_unreachable", body=body, name=name)
    if line.sent_at is None:
        return ctx.t("ack_status.line_queued", body=body, name=name)
    if line.reminded_at is not None:
        return ctx.t("ack_status.line_reminded", body=body, name=name,
                     date=ctx.date(line.sent_at), reminded=ctx.date(line.reminded_at))  # fmt: skip
    return ctx.t("ack_status.line_sent", body=body, name=name, date=ctx.date(line.sent_at))
