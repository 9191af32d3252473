"""/guidelines and /ack: the latest guidelines for the caller, and a contact's acknowledgement."""

from __future__ import annotations

from eudesk.handlers.context import Context
from eudesk.handlers.errors import NotFound, UsageError
from eudesk.handlers.messages import Button, Reply
from eudesk.handlers.router import MEMBERS, STAFF, Router
from eudesk.storage.errors import RecordNotFound
from eudesk.storage.models import Role
from eudesk.storage.repositories.guidelines import GuidelineNotAddressed, GuidelineView

DEFAULT_COUNT = 5
MAX_COUNT = 20
SUMMARY_CHARS = 200
MAX_REF_CHARS = 40  # Guideline.ref is String(40)

router = Router(
    {
        "cmd.guidelines": {
            "sr-Latn": "najnovije smernice (kontakt potvrđuje prijem)",
            "hu": "a legújabb irányelvek (a kapcsolattartó nyugtázza)",
            "en": "the latest guidelines (contacts acknowledge them)",
        },
        "cmd.ack": {
            "sr-Latn": "potvrda prijema smernice",
            "hu": "irányelv átvételének nyugtázása",
            "en": "acknowledge a guideline",
        },
        "guidelines.title": {
            "sr-Latn": "Najnovije smernice",
            "hu": "A legújabb irányelvek",
            "en": "Latest guidelines",
        },
        "guidelines.none": {
            "sr-Latn": "Trenutno nema smernica upućenih vama.",
            "hu": "Jelenleg nincs Önnek szóló irányelv.",
            "en": "There are no guidelines for you at the moment.",
        },
        "guidelines.published": {
            "sr-Latn": "objavljeno {date}",
            "hu": "közzétéve: {date}",
            "en": "published {date}",
        },
        "guidelines.acknowledged": {
            "sr-Latn": "prijem potvrđen {date}",
            "hu": "átvétel nyugtázva: {date}",
            "en": "acknowledged on {date}",
        },
        "guidelines.not_acknowledged": {
            "sr-Latn": "prijem još nije potvrđen",
            "hu": "az átvétel még nincs nyugtázva",
            "en": "not acknowledged yet",
        },
        "guidelines.counts": {
            "sr-Latn": "potvrdilo {acks} od {deliveries} kontakata",
            "hu": "{deliveries} kapcsolattartóból {acks} nyugtázta",
            "en": "acknowledged by {acks} of {deliveries} contacts",
        },
        "guidelines.button": {
            "sr-Latn": "Potvrdi prijem {ref}",
            "hu": "Átvétel nyugtázása: {ref}",
            "en": "Acknowledge {ref}",
        },
        "guidelines.footer": {
            "sr-Latn": "Prijem potvrđujete dugmetom ili komandom /ack OZNAKA.",
            "hu": "Az átvételt a gombbal vagy a /ack JELÖLÉS paranccsal nyugtázhatja.",
            "en": "Acknowledge with the button or with /ack REF.",
        },
        "guidelines.usage": {
            "sr-Latn": "Upotreba: /guidelines ili /guidelines `N` (broj smernica, od 1 do {max}).",
            "hu": "Használat: /guidelines vagy /guidelines N (az irányelvek száma, 1 és {max} "
            "között).",
            "en": "Usage: /guidelines or /guidelines N (how many, 1 to {max}).",
        },
        "guidelines.ack_usage": {
            "sr-Latn": "Navedite oznaku smernice: /ack OZNAKA, npr. /ack `DEMO-GL-0001`. "
            "Oznake su u /guidelines.",
            "hu": "Adja meg az irányelv jelölését: /ack JELÖLÉS, pl. /ack DEMO-GL-0001. "
            "A jelölések: /guidelines.",
            "en": "Give the guideline's reference: /ack REF, e.g. /ack DEMO-GL-0001. "
            "References are in /guidelines.",
        },
        "guidelines.unknown": {
            "sr-Latn": "Nema smernice sa oznakom {ref}. Oznake su u /guidelines.",
            "hu": "Nincs {ref} jelölésű irányelv. A jelölések: /guidelines.",
            "en": "There is no guideline {ref}. References are in /guidelines.",
        },
        "guidelines.not_addressed": {
            "sr-Latn": "Smernica {ref} nije upućena vašem organu, pa njen prijem ne potvrđujete.",
            "hu": "A(z) {ref} irányelv nem az Ön szervének szól, így nem kell nyugtáznia.",
            "en": "Guideline {ref} is not addressed to your body, so there is nothing to "
            "acknowledge.",
        },
        "guidelines.no_contact": {
            "sr-Latn": "Prijem smernica potvrđuju kontakt osobe organa kojima su upućene; vaš "
            "nalog nije povezan sa kontaktom. Smernice vidite sa /guidelines.",
            "hu": "Az irányelvek átvételét a címzett szervek kapcsolattartói nyugtázzák; az Ön "
            "fiókja nincs kapcsolattartóhoz kötve. Az irányelvek: /guidelines.",
            "en": "Guidelines are acknowledged by the contacts of the bodies they are addressed "
            "to; your account is not linked to a contact. See them with /guidelines.",
        },
        "guidelines.ack_done": {
            "sr-Latn": "Hvala. Prijem smernice {ref} „{title}” potvrđen je {date}.",
            "hu": "Köszönjük. A(z) {ref} „{title}” irányelv átvétele nyugtázva: {date}.",
            "en": "Thank you. Guideline {ref} “{title}” acknowledged on {date}.",
        },
        "guidelines.ack_already": {
            "sr-Latn": "Prijem smernice {ref} je već potvrđen {date}.",
            "hu": "A(z) {ref} irányelv átvételét már nyugtázták: {date}.",
            "en": "Guideline {ref} was already acknowledged on {date}.",
        },
    }
)


@router.command(
    "guidelines", aliases=("smernice", "смернице", "iranyelvek", "irányelvek"), roles=MEMBERS
)
async def guidelines(ctx: Context) -> Reply:
    """/guidelines [N]: the latest guidelines"""
    assert ctx.user is not None
    count = _count(ctx)
    contact_id = _contact_id(ctx)
    views = await ctx.repos.guidelines.latest_for(
        contact_id=contact_id, body_id=ctx.user.body_id,
        see_all=ctx.has_role(*STAFF), limit=count,
    )  # fmt: skip
    if not views:
        return Reply.text(ctx.t("guidelines.none"))
    reply = Reply.listing(ctx.t("guidelines.title"), [_item(ctx, v, contact_id) for v in views])
    if contact_id is not None:
        reply.buttons = [
            Button(ctx.t("guidelines.button", ref=v.ref), f"/ack {v.ref}")
            for v in views
            if v.acknowledged_at is None
        ]
        if reply.buttons:
            reply.footer = ctx.t("guidelines.footer")
    return reply


@router.command("ack", aliases=("potvrdi", "потврди", "nyugtaz", "nyugtáz"), roles=MEMBERS)
async def ack(ctx: Context) -> Reply:
    """/ack REF: acknowledge a guideline"""
    assert ctx.user is not None
    if len(ctx.args) != 1 or len(ctx.args[0]) > MAX_REF_CHARS:
        raise UsageError("guidelines.ack_usage")
    ref = ctx.args[0]
    contact_id = _contact_id(ctx)
    if contact_id is None:
        return _refused(ctx, ref, "no contact", ctx.t("guidelines.no_contact"))
    guideline = await ctx.repos.guidelines.get_by_ref(ref)
    if guideline is None:
        return _refused(ctx, ref, "unknown", ctx.t("guidelines.unknown", ref=ref))
    try:
        delivery, already = await ctx.repos.guidelines.acknowledge(
            guideline.ref, contact_id, ctx.user.id, ctx.now()
        )
    except GuidelineNotAddressed:
        text = ctx.t("guidelines.not_addressed", ref=guideline.ref)
        return _refused(ctx, guideline.ref, "not addressed", text)
    except RecordNotFound:  # deleted between the two queries
        raise NotFound("guidelines.unknown", ref=ref) from None
    assert delivery.acknowledged_at is not None
    when = ctx.date(delivery.acknowledged_at)
    ctx.audit("guideline.ack", allowed=True, target_type="guideline", target_ref=guideline.ref,
              detail="already" if already else f"contact {contact_id}")  # fmt: skip
    if already:
        return Reply.text(ctx.t("guidelines.ack_already", ref=guideline.ref, date=when))
    return Reply.text(
        ctx.t("guidelines.ack_done", ref=guideline.ref, title=guideline.title, date=when)
    )


def _refused(ctx: Context, ref: str, why: str, text: str) -> Reply:
    """An audited refusal; the dispatcher writes the audit record after the reply."""
    ctx.audit("guideline.ack", allowed=False, target_type="guideline", target_ref=ref, detail=why)
    return Reply.text(text)


def _count(ctx: Context) -> int:
    if not ctx.args:
        return DEFAULT_COUNT
    word = ctx.args[0]
    if len(ctx.args) == 1 and word.isascii() and word.isdigit() and 1 <= int(word) <= MAX_COUNT:
        return int(word)
    raise UsageError("guidelines.usage", max=MAX_COUNT)


def _contact_id(ctx: Context) -> int | None:
    """The contact the caller speaks for, if the caller is one (only contacts acknowledge)."""
    if ctx.user is None or not ctx.has_role(Role.CONTACT):
        return None
    return ctx.user.contact_id


def _item(ctx: Context, view: GuidelineView, contact_id: int | None) -> str:
    published = ctx.t("guidelines.published", date=ctx.date(view.published_at))
    lines = [f"{view.ref} — {view.title} ({published})", _shorten(view.summary)]
    if view.link:
        lines.append(view.link)
    if contact_id is not None:
        lines.append(
            ctx.t("guidelines.acknowledged", date=ctx.date(view.acknowledged_at))
            if view.acknowledged_at is not None
            else ctx.t("guidelines.not_acknowledged")
        )
    elif view.deliveries:
        lines.append(
            ctx.t("guidelines.counts", acks=view.acknowledgements, deliveries=view.deliveries)
        )
    return "\n".join(lines)


def _shorten(text: str, limit: int = SUMMARY_CHARS) -> str:
    """At most about `limit` characters, cut at a word and marked with an ellipsis."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] or text[: limit - 1]
    return cut.rstrip(" ,;:.") + "…"
