"""/passport, /visa and /passport_set (personal data: restricted, masked, audited, rate-limited)."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from datetime import date, timedelta

from eudesk.handlers.context import Context
from eudesk.handlers.errors import RateLimited, UsageError
from eudesk.handlers.i18n import texts
from eudesk.handlers.messages import Reply
from eudesk.handlers.router import MEMBERS, PASSPORT_OFFICERS, Router
from eudesk.storage.models import AuditEntry, PassportStatusEvent, Role, VisaStatusEvent
from eudesk.storage.models import DocumentStatus as S
from eudesk.storage.text import fold
from eudesk.storage.transfer.passports import TRANSITIONS, normalise_reference

# One answer for "no such reference" and "not yours to see", so the bot cannot be used to probe.
UNAVAILABLE = "passport.unavailable"
LOOKUPS = ("passport.lookup", "visa.lookup", "passport.set_status")  # one shared budget
MAX_NOTE = 300  # PassportStatusEvent.note
MASK = "•••••"

_STATUS_TEXT = {
    S.REQUESTED: ("zatražen", "igényelve", "requested"),
    S.SUBMITTED: ("podnet", "benyújtva", "submitted"),
    S.ISSUED: ("izdat", "kiállítva", "issued"),
    S.DELIVERED: ("uručen", "átadva", "delivered"),
    S.RETURNED: ("vraćen", "visszaadva", "returned"),
    S.EXPIRED: ("istekao", "lejárt", "expired"),
    S.REVOKED: ("poništen", "visszavonva", "revoked"),
}
# Other forms people type: neuter and feminine endings, Hungarian participles.
_STATUS_EXTRA = {
    S.REQUESTED: ("zatrazeno", "zatrazena", "zahtev", "igenyelt"),
    S.SUBMITTED: ("podneto", "podneta", "predat", "predato", "benyujtott"),
    S.ISSUED: ("izdato", "izdata", "kiallitott"),
    S.DELIVERED: ("uruceno", "urucena", "preuzet", "atadott", "kezbesitve"),
    S.RETURNED: ("vraceno", "vracena", "visszaadott"),
    S.EXPIRED: ("isteklo", "istekla", "lejart"),
    S.REVOKED: ("ponisteno", "ponistena", "opozvan", "visszavont"),
}
STATUS_WORDS: dict[str, S] = {
    fold(word): status
    for status in S
    for word in (status.value, *_STATUS_TEXT[status], *_STATUS_EXTRA[status])
}


router = Router(
    {
        "cmd.passport": texts(
            "pasoš: status i istorija",
            "útlevél: állapot és előzmények",
            "a passport: status and history",
        ),
        "cmd.visa": texts(
            "viza: status i istorija", "vízum: állapot és előzmények", "a visa: status and history"
        ),
        "cmd.passport_set": texts(
            "promena statusa pasoša", "útlevél állapotának módosítása", "change a passport's status"
        ),
        UNAVAILABLE: texts(
            "Nijedan zapis sa tom oznakom vam nije dostupan.",
            "Ezzel a jelöléssel nem érhető el Önnek nyilvántartás.",
            "No record with that reference is available to you.",
        ),
        "passport.usage": texts(
            "Navedite oznaku: /passport OZNAKA, npr. /passport `DEMO-PAS-00001`.",
            "Adja meg a jelölést: /passport JELÖLÉS, pl. /passport DEMO-PAS-00001.",
            "Give a reference: /passport REF, e.g. /passport DEMO-PAS-00001.",
        ),
        "visa.usage": texts(
            "Navedite oznaku: /visa OZNAKA, npr. /visa `DEMO-VIS-00001`.",
            "Adja meg a jelölést: /visa JELÖLÉS, pl. /visa DEMO-VIS-00001.",
            "Give a reference: /visa REF, e.g. /visa DEMO-VIS-00001.",
        ),
        "passport.title": texts("Pasoš {ref}", "Útlevél: {ref}", "Passport {ref}"),
        "visa.title": texts("Viza {ref}", "Vízum: {ref}", "Visa {ref}"),
        "passport.kind.diplomatic": texts("diplomatski", "diplomata", "diplomatic"),
        "passport.kind.official": texts("službeni", "szolgálati", "official"),
        "passport.f.kind": texts("Vrsta", "Típus", "Kind"),
        "passport.f.holder": texts("Imalac", "Birtokos", "Holder"),
        "passport.f.body": texts("Organ", "Szerv", "Body"),
        "passport.f.number": texts("Broj", "Szám", "Number"),
        "passport.f.status": texts("Status", "Állapot", "Status"),
        "passport.f.issued": texts("Datum izdavanja", "Kiállítás dátuma", "Issued on"),
        "passport.f.valid_from": texts("Važi od", "Érvényes ettől", "Valid from"),
        "passport.f.valid_until": texts("Važi do", "Érvényes eddig", "Valid until"),
        "passport.f.country": texts("Zemlja", "Ország", "Country"),
        "passport.f.type": texts("Vrsta vize", "Vízum típusa", "Visa type"),
        "passport.anonymised": texts(
            "Lični podaci ovog zapisa su anonimizovani {date}.",
            "A nyilvántartás személyes adatait {date} anonimizálták.",
            "The personal data of this record were anonymised on {date}.",
        ),
        **{f"passport.status.{status.value}": texts(*_STATUS_TEXT[status]) for status in S},
        "passport_set.usage": texts(
            "Upotreba: /passport_set OZNAKA STATUS [napomena], npr. /passport_set "
            "`DEMO-PAS-00001` izdat.",
            "Használat: /passport_set JELÖLÉS ÁLLAPOT [megjegyzés], pl. /passport_set "
            "DEMO-PAS-00001 kiállítva.",
            "Usage: /passport_set REF STATUS [note], e.g. /passport_set DEMO-PAS-00001 issued.",
        ),
        "passport_set.bad_status": texts(
            "Nepoznat status „{word}”. Mogući: {allowed}.",
            "Ismeretlen állapot: „{word}”. Lehetséges: {allowed}.",
            "Unknown status “{word}”. Possible: {allowed}.",
        ),
        "passport_set.note_too_long": texts(
            "Napomena je predugačka (najviše {limit} znakova).",
            "A megjegyzés túl hosszú (legfeljebb {limit} karakter).",
            "The note is too long (at most {limit} characters).",
        ),
        "passport_set.anonymised": texts(
            "Zapis je anonimizovan i više se ne menja.",
            "A nyilvántartás anonimizált, már nem módosítható.",
            "The record is anonymised and can no longer change.",
        ),
        "passport_set.bad_transition": texts(
            "Status ne može da pređe iz „{old}” u „{new}”.",
            "Az állapot nem változhat erről: „{old}”, erre: „{new}”.",
            "The status cannot go from “{old}” to “{new}”.",
        ),
        "passport_set.done": texts(
            "Pasoš {ref}: status „{old}” → „{new}”.",
            "{ref} útlevél állapota: „{old}” → „{new}”.",
            "Passport {ref}: status “{old}” → “{new}”.",
        ),
    }
)


# Everyone may ask and gets the same refusal, so /help lists these only for officers.
@router.command(
    "passport",
    aliases=("pasos", "pasoš", "пасош", "utlevel", "útlevél"),
    roles=MEMBERS,
    shown_to=PASSPORT_OFFICERS,
)
async def passport(ctx: Context) -> Reply:
    """/passport REF: a passport's status and history (passport officers)"""
    ref = normalise_ref(ctx.args)
    gate = await _lookup(ctx, "passport", ref)
    if isinstance(gate, Reply):
        return gate
    found = await ctx.repos.documents.passport(ref) if ref else None
    gate.detail = gate.detail or ("found" if found else "not_found")
    if found is None:
        return Reply.text(ctx.t(UNAVAILABLE))
    record = found.record
    title = ctx.t("passport.title", ref=record.reference)
    kind = (ctx.t("passport.f.kind"), ctx.t(f"passport.kind.{record.kind.value}"))
    status = (ctx.t("passport.f.status"), _status(ctx, record.status))
    if record.anonymised_at is not None:
        anonymised = ctx.t("passport.anonymised", date=ctx.date(record.anonymised_at))
        return Reply(title=title, lines=[anonymised], fields=[kind, status])
    body = found.body.name(ctx.locale) if found.body else "—"
    return Reply(
        title=title,
        fields=[
            kind,
            (ctx.t("passport.f.holder"), record.holder_name),
            (ctx.t("passport.f.body"), body),
            (ctx.t("passport.f.number"), mask(record.passport_number)),
            status,
            (ctx.t("passport.f.issued"), _day(ctx, record.issued_on)),
            (ctx.t("passport.f.valid_until"), _day(ctx, record.valid_until)),
        ],
        items=_history(ctx, record.history),
    )


@router.command(
    "visa", aliases=("viza", "виза", "vizum", "vízum"), roles=MEMBERS, shown_to=PASSPORT_OFFICERS
)
async def visa(ctx: Context) -> Reply:
    """/visa REF: a visa's status and history (passport officers)"""
    ref = normalise_ref(ctx.args)
    gate = await _lookup(ctx, "visa", ref)
    if isinstance(gate, Reply):
        return gate
    record = await ctx.repos.documents.visa(ref) if ref else None
    gate.detail = gate.detail or ("found" if record else "not_found")
    if record is None:
        return Reply.text(ctx.t(UNAVAILABLE))
    title = ctx.t("visa.title", ref=record.reference)
    status = (ctx.t("passport.f.status"), _status(ctx, record.status))
    if record.anonymised_at is not None:
        anonymised = ctx.t("passport.anonymised", date=ctx.date(record.anonymised_at))
        return Reply(title=title, lines=[anonymised], fields=[status])
    return Reply(
        title=title,
        fields=[
            (ctx.t("passport.f.holder"), record.holder_name),
            (ctx.t("passport.f.country"), record.country),
            (ctx.t("passport.f.type"), record.visa_type),
            (ctx.t("passport.f.number"), mask(record.visa_number)),
            status,
            (ctx.t("passport.f.valid_from"), _day(ctx, record.valid_from)),
            (ctx.t("passport.f.valid_until"), _day(ctx, record.valid_until)),
        ],
        items=_history(ctx, record.history),
    )


# Open to members like the lookups, so a non-officer gets the same refusal and is audited.
@router.command("passport_set", aliases=("pasos_status", "пасош_статус", "utlevel_allapot"),
                roles=MEMBERS, shown_to=PASSPORT_OFFICERS)  # fmt: skip
async def passport_set(ctx: Context) -> Reply:
    """/passport_set REF STATUS [note]: change a passport's status"""
    ref = normalise_ref(ctx.args[:1])
    target = audit_ref(ctx.args[0] if ctx.args else "", ref)
    refusal = await _gate(ctx, "passport.set_status", "passport", target)
    if refusal is not None:
        return refusal
    if len(ctx.args) < 2:
        raise UsageError("passport_set.usage")
    new = STATUS_WORDS.get(fold(ctx.args[1]))
    if new is None:
        allowed = ", ".join(_status(ctx, s) for s in S)
        raise UsageError("passport_set.bad_status", word=ctx.args[1][:30], allowed=allowed)
    note = " ".join(ctx.args[2:]) or None
    if note is not None and len(note) > MAX_NOTE:
        raise UsageError("passport_set.note_too_long", limit=MAX_NOTE)
    # Written before the record is read; its detail then says what came of it, in the same
    # transaction, so the outcome and the change commit together.
    entry = await ctx.audit_now("passport.set_status", allowed=True, target_type="passport",
                                target_ref=target, detail=f"to:{new.value}")  # fmt: skip
    found = await ctx.repos.documents.passport(ref) if ref else None
    if found is None:
        entry.detail = f"not_found:to:{new.value}"
        return Reply.text(ctx.t(UNAVAILABLE))
    record, old = found.record, found.record.status
    entry.detail = f"{old.value}->{new.value}"
    if record.anonymised_at is not None:
        entry.detail = f"refused:anonymised:{entry.detail}"
        return Reply.text(ctx.t("passport_set.anonymised"))
    if new not in TRANSITIONS[old]:
        entry.detail = f"refused:{entry.detail}"
        return Reply.text(
            ctx.t("passport_set.bad_transition", old=_status(ctx, old), new=_status(ctx, new))
        )
    await ctx.repos.documents.set_passport_status(record, new, at=ctx.now(),
                                                  by_user_id=ctx.user_id, note=note)  # fmt: skip
    return Reply.text(ctx.t("passport_set.done", ref=record.reference, old=_status(ctx, old),
                            new=_status(ctx, new)))  # fmt: skip


async def _lookup(ctx: Context, kind: str, ref: str | None) -> Reply | AuditEntry:
    """Gate a /passport or /visa lookup and audit it before the record is read: a refusal, or
    the audit entry whose detail the caller completes with the outcome."""
    action, target = f"{kind}.lookup", audit_ref(ctx.rest, ref)
    refusal = await _gate(ctx, action, kind, target)
    if refusal is not None:
        return refusal
    if not ctx.args:
        raise UsageError(f"{kind}.usage")  # nothing to look up, so nothing is audited
    # A reference that cannot be one is never queried; say so in the record.
    detail = None if ref else "bad_ref"
    return await ctx.audit_now(
        action, allowed=True, target_type=kind, target_ref=target, detail=detail
    )


async def _gate(ctx: Context, action: str, kind: str, target: str | None) -> Reply | None:
    """The checks every lookup passes first, in an order that reveals nothing about references.

    The caller's users row is locked, so one person's concurrent lookups queue here and each
    counts those committed before it. A refusal's audit row is written in this transaction and
    the refusal is returned, not raised: a raise would roll the row back with everything else.
    If the audit write itself fails, the exception rolls the transaction back and nothing is
    shown. The role is checked before the arguments, so a non-officer cannot tell a usage
    mistake from a missing record.
    """
    if ctx.user_id is not None:
        await ctx.repos.documents.lock_lookups(ctx.user_id)
    since = ctx.now() - timedelta(minutes=1)
    done = await ctx.repos.documents.lookups_since(
        LOOKUPS, since, actor_user_id=ctx.user_id, actor=ctx.actor
    )
    if done >= ctx.config.passport_lookups_per_minute:
        await ctx.audit_now(action, allowed=False, target_type=kind, target_ref=target,
                            detail="rate_limited")  # fmt: skip
        return Reply.text(ctx.t(RateLimited.key))
    if not ctx.has_role(Role.PASSPORT_OFFICER, Role.ADMIN):
        # Refused before any query for the reference, so not even timing depends on it.
        await ctx.audit_now(action, allowed=False, target_type=kind, target_ref=target,
                            detail="no_role")  # fmt: skip
        return Reply.text(ctx.t(UNAVAILABLE))
    return None


def audit_ref(typed: str, ref: str | None) -> str | None:
    """What the audit row names: the reference as stored when the text normalises to one, else
    the text as typed, cut to the column's 80 characters, with control and format characters
    (which could fake lines or reorder text in a log viewer) replaced by '?'."""
    if ref is not None:
        return ref
    cut = typed[:80]
    return "".join("?" if unicodedata.category(c).startswith("C") else c for c in cut) or None


def normalise_ref(args: list[str]) -> str | None:
    """'demo-pas-00001' or 'ДЕМО-ПАС-00001' as stored ('DEMO-PAS-00001'); None if it cannot be."""
    return normalise_reference(args[0]) if len(args) == 1 else None


def mask(number: str | None) -> str:
    """Only the last three characters, behind a mask of fixed width that hides the length."""
    if not number:
        return "—"
    return MASK + (number[-3:] if len(number) >= 6 else "")


def _status(ctx: Context, status: S) -> str:
    return ctx.t(f"passport.status.{status.value}")


def _day(ctx: Context, value: date | None) -> str:
    return ctx.date(value) if value is not None else "—"


def _history(ctx: Context, events: Sequence[PassportStatusEvent | VisaStatusEvent]) -> list[str]:
    """Oldest first; the id breaks ties between events recorded in the same instant."""
    lines = []
    for event in sorted(events, key=lambda e: (e.at, e.id)):
        line = f"{ctx.date(event.at)} — {_status(ctx, event.status)}"
        lines.append(f"{line} ({event.note})" if event.note else line)
    return lines
