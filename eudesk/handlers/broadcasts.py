"""/broadcast, its Send button and /ack_status: send a guideline to the contacts of bodies, see
who acknowledged.

The preview stores a draft (the counted contacts, the text, the author, an expiry) and its Send
button carries only the draft's random token: "/broadcast_send TOKEN". Pressing it claims the
draft with one UPDATE, so a second press, on any platform, sends nothing and says so.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from eudesk.handlers.broadcast_texts import MESSAGES
from eudesk.handlers.collation import collated
from eudesk.handlers.context import Context
from eudesk.handlers.errors import UsageError
from eudesk.handlers.messages import Button, Reply
from eudesk.handlers.router import ANYONE, COORDINATORS, STAFF, Router
from eudesk.storage.changes import announce_for
from eudesk.storage.models import Body, BroadcastDraft, Contact, Guideline, GuidelineAudience
from eudesk.storage.repositories.broadcasts import (
    AUDIENCE_TARGETS,
    TARGET_WORDS,
    AckLine,
    Audience,
    UnknownTarget,
)
from eudesk.storage.repositories.drafts import DraftRepository, SendCounts
from eudesk.storage.text import fold

MAX_REF_CHARS = 40  # Guideline.ref is String(40)
MAX_TARGET_CHARS = 400
CONFIRM_WORDS = frozenset({"yes", "da", "igen", "confirm", "potvrdjujem"})
SEND_COMMAND = "broadcast_send"
# A Send button is good for an hour: long enough to read the preview and ask a colleague, short
# enough that its counts (contacts, chats, who blocked the bot) still describe the audience, and
# that a forwarded or forgotten button soon stops working.
DRAFT_LIFETIME = timedelta(hours=1)
ACK_PAGE_SIZE = 20  # lines per /ack_status page: well inside one Telegram message, 50 Slack blocks
_PAGE_WORDS = frozenset({"p", "page", "strana", "stranica", "str", "oldal"})

router = Router(MESSAGES)


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
    audience = await ctx.repos.broadcasts.audience(guideline, bodies, ctx.now())
    if not audience.contacts:
        return Reply.text(ctx.t("broadcast.nobody"))
    if confirmed:  # typed in full ("... yes"): nothing to replay, so no draft is needed
        counts = await _send(ctx, guideline, targets.words, audience.contacts)
        return _sent(ctx, guideline, counts)
    return await _preview(ctx, guideline, targets, bodies, audience)


@router.command(SEND_COMMAND, roles=ANYONE, shown_to=frozenset())
async def broadcast_send(ctx: Context) -> Reply:
    """/broadcast_send TOKEN: the Send button under a /broadcast preview"""
    token = ctx.args[0] if len(ctx.args) == 1 else ""
    draft = await ctx.repos.drafts.by_token(token)
    guideline = None if draft is None else await ctx.repos.drafts.guideline(draft)
    if draft is None or guideline is None:
        return _refuse(ctx, None, "unknown or malformed Send button")
    if ctx.user_id != draft.author_user_id:
        return _refuse(ctx, guideline, f"Send button of draft {draft.id}, not the presser's")
    if not ctx.has_role(*COORDINATORS):
        return _refuse(ctx, guideline, f"Send button of draft {draft.id}: no longer coordinator")
    if draft.sent_at is None and draft.expires_at > ctx.now():
        if await ctx.repos.drafts.claim(draft.id, draft.author_user_id, ctx.now()):
            contacts = await ctx.repos.broadcasts.contacts_by_ids(
                DraftRepository.contact_ids(draft)
            )
            counts = await _send(ctx, guideline, draft.targets, contacts)
            await ctx.repos.drafts.record(draft.id, counts)
            return _sent(ctx, guideline, counts)
        draft = await ctx.repos.drafts.reload(draft.id) or draft  # another press won
    if draft.sent_at is not None:
        reply = _sent(ctx, guideline, _counts(draft))
        reply.lines.insert(0, ctx.t("broadcast.already_sent", when=ctx.datetime(draft.sent_at)))
        return reply
    return Reply.text(ctx.t("broadcast.expired", when=ctx.datetime(draft.expires_at),
                            ref=guideline.ref, targets=draft.targets))  # fmt: skip


@router.command("ack_status", aliases=("potvrde", "потврде", "nyugtak", "nyugták"), roles=STAFF)
async def ack_status(ctx: Context) -> Reply:
    """/ack_status REF: who acknowledged a guideline and who did not"""
    ref, page = _ack_args(ctx.args)
    guideline = await ctx.repos.guidelines.get_by_ref(ref)
    if guideline is None:
        raise UsageError("broadcast.unknown", ref=ref)
    lines = ack_order(await ctx.repos.broadcasts.ack_status(guideline.id), ctx.locale)
    if not lines:
        return Reply.text(ctx.t("ack_status.none", ref=guideline.ref))
    pages = math.ceil(len(lines) / ACK_PAGE_SIZE)
    if page > pages:
        raise UsageError("ack_status.no_such_page", pages=pages)
    acked = sum(1 for line in lines if line.acknowledged_at is not None)
    no_chat = sum(1 for line in lines if _unreachable(line) and line.acknowledged_at is None)
    shown = lines[(page - 1) * ACK_PAGE_SIZE : page * ACK_PAGE_SIZE]
    reply = Reply(
        title=ctx.t("ack_status.title", ref=guideline.ref, title=guideline.title),
        fields=[
            (ctx.t("ack_status.delivered"), str(len(lines))),
            (ctx.t("ack_status.acknowledged"), str(acked)),
            (ctx.t("ack_status.pending"), str(len(lines) - acked)),
            (ctx.t("ack_status.no_chat"), str(no_chat)),
            (ctx.t("ack_status.page"), f"{page}/{pages}"),
        ],
        items=[_status_line(ctx, line) for line in shown],
    )
    for target, label in ((page - 1, "ack_status.previous"), (page + 1, "ack_status.next")):
        if 1 <= target <= pages:  # "/cmd pN ..." is what transports treat as turning a page
            reply.buttons.append(Button(ctx.t(label), f"/ack_status p{target} {guideline.ref}"))
    return reply


def ack_order(lines: Sequence[AckLine], locale: str) -> list[AckLine]:
    """Not acknowledged first, then acknowledged; each by the body's name as the reader sees it
    and then the contact's name, in the reader's collation (č after c, lj after l, cs after c)."""
    ordered = collated(locale, lines, lambda line: line.body.name(locale),
                       lambda line: line.contact_name)  # fmt: skip
    return [line for line in ordered if line.acknowledged_at is None] + [
        line for line in ordered if line.acknowledged_at is not None
    ]


def _ack_args(args: list[str]) -> tuple[str, int]:
    """REF and the page from "REF", "REF p 2", "REF p2", "p2 REF"."""
    rest: list[str] = []
    page = 1
    words = iter(args)
    for word in words:
        folded = fold(word)
        if folded in _PAGE_WORDS:
            page = _page(next(words, ""))
        elif folded[:1] == "p" and folded[1:].isdigit():
            page = _page(folded[1:])
        else:
            rest.append(word)
    if len(rest) != 1 or len(rest[0]) > MAX_REF_CHARS:
        raise UsageError("ack_status.usage")
    return rest[0], page


def _page(text: str) -> int:
    if not text.isdigit() or int(text) < 1 or len(text) > 6:
        raise UsageError("ack_status.usage")
    return int(text)


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
        if exc.similar:
            similar = ", ".join(f"{b.name(ctx.locale)} ({b.code})" for b in exc.similar[:5])
            raise UsageError("broadcast.unknown_similar", name=exc.text, similar=similar) from None
        raise UsageError("broadcast.unknown_body", name=exc.text) from None


def _split_words(text: str) -> list[str]:
    """Without commas: the keywords one by one, else the whole text as one body's name."""
    words = text.split()
    if all(fold(word) in TARGET_WORDS for word in words):
        return words
    return [text]


async def _preview(
    ctx: Context, guideline: Guideline, targets: Targets, bodies: list[Body], audience: Audience
) -> Reply:
    """The counts as fields, and a Send button pointing at a stored draft of exactly these."""
    assert ctx.user_id is not None
    fields = [
        (ctx.t("broadcast.f_bodies"), str(audience.bodies)),
        (ctx.t("broadcast.f_by_chat"), str(audience.by_chat)),
        (ctx.t("broadcast.f_already"), str(audience.already)),
        (ctx.t("broadcast.f_no_chat"), str(audience.no_chat)),
        (ctx.t("broadcast.f_blocked"), str(audience.blocked)),
    ]
    if audience.subscribers:
        fields.append((ctx.t("broadcast.f_subscribers"), str(audience.subscribers)))
    reply = Reply(
        title=ctx.t("broadcast.preview_title", ref=guideline.ref, title=guideline.title),
        fields=fields,
    )
    draft = await ctx.repos.drafts.create(
        guideline_id=guideline.id,
        author_user_id=ctx.user_id,
        body_ids=[body.id for body in bodies],
        contact_ids=[contact.id for contact in audience.contacts],
        targets=targets.words,
        text=reply.plain(),
        locale=ctx.locale,
        now=ctx.now(),
        lifetime=DRAFT_LIFETIME,
    )
    reply.footer = ctx.t("broadcast.send_footer", until=ctx.datetime(draft.expires_at))
    reply.buttons = [Button(ctx.t("broadcast.send_button"), f"/{SEND_COMMAND} {draft.token}")]
    return reply


async def _send(
    ctx: Context, guideline: Guideline, targets: str, contacts: Sequence[Contact]
) -> SendCounts:
    """Queue the guideline for these contacts (each once, ever) and record it in the audit."""
    report = await ctx.repos.broadcasts.broadcast(guideline, contacts, ctx.now())
    await announce_for(guideline)
    ctx.audit("guideline.broadcast", allowed=True, target_type="guideline",
              target_ref=guideline.ref, detail=f"to {targets}: queued {report.queued}, "
              f"already {report.already}, no chat {report.unreachable}")  # fmt: skip
    return SendCounts(report.queued, report.already, report.unreachable)


def _sent(ctx: Context, guideline: Guideline, counts: SendCounts) -> Reply:
    return Reply(
        title=ctx.t("broadcast.done_title", ref=guideline.ref),
        fields=[
            (ctx.t("broadcast.f_queued"), str(counts.queued)),
            (ctx.t("broadcast.f_already"), str(counts.already)),
            (ctx.t("broadcast.f_no_chat"), str(counts.unreachable)),
        ],
        footer=ctx.t("broadcast.status_hint", ref=guideline.ref),
    )


def _counts(draft: BroadcastDraft) -> SendCounts:
    return SendCounts(draft.queued or 0, draft.already or 0, draft.unreachable or 0)


def _refuse(ctx: Context, guideline: Guideline | None, detail: str) -> Reply:
    """Someone else's, a forged or an unknown Send button: nothing is sent; the audit says so."""
    ctx.audit("guideline.broadcast", allowed=False, target_type="guideline",
              target_ref=None if guideline is None else guideline.ref, detail=detail)  # fmt: skip
    return Reply.text(ctx.t("broadcast.refused"))


def _unreachable(line: AckLine) -> bool:
    return not line.reachable and line.sent_at is None


def _status_line(ctx: Context, line: AckLine) -> str:
    body, name = line.body.name(ctx.locale), line.contact_name
    if line.acknowledged_at is not None:
        return ctx.t("ack_status.line_acked", body=body, name=name,
                     date=ctx.date(line.acknowledged_at))  # fmt: skip
    if _unreachable(line):
        return ctx.t("ack_status.line_unreachable", body=body, name=name)
    if line.sent_at is None:
        return ctx.t("ack_status.line_queued", body=body, name=name)
    if line.reminded_at is not None:
        return ctx.t("ack_status.line_reminded", body=body, name=name,
                     date=ctx.date(line.sent_at), reminded=ctx.date(line.reminded_at))  # fmt: skip
    return ctx.t("ack_status.line_sent", body=body, name=name, date=ctx.date(line.sent_at))
