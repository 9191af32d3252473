"""/invite: invite codes for new users and contacts."""

from __future__ import annotations

import re

from eudesk.handlers.context import Context
from eudesk.handlers.errors import UsageError
from eudesk.handlers.messages import Reply
from eudesk.handlers.router import COORDINATORS, Router
from eudesk.storage.errors import RecordNotFound
from eudesk.storage.models import Role
from eudesk.storage.text import fold

MAX_WORD_CHARS = 40  # Contact.ref is String(40)
# Role words people type, folded (script, case and diacritics removed; spaces become "_").
ROLE_WORDS: dict[str, Role] = {
    **dict.fromkeys(("staff", "osoblje", "zaposleni", "munkatars", "munkatarsak"), Role.STAFF),
    **dict.fromkeys(("coordinator", "koordinator"), Role.COORDINATOR),
    **dict.fromkeys(
        ("passport_officer", "sluzbenik_za_pasose", "utlevelugyintezo", "utlevel_ugyintezo"),
        Role.PASSPORT_OFFICER,
    ),
    **dict.fromkeys(("admin", "administrator", "adminisztrator"), Role.ADMIN),
}
CONTACT_WORDS = frozenset({"contact", "kontakt", "kapcsolattarto"})
# Passport officers see personal data and admins grant everything: only an admin makes either.
ADMIN_ONLY = frozenset({Role.ADMIN, Role.PASSPORT_OFFICER})
# Contact refs are codes such as DEMO-C-LSGU-80284-1; a role word never has a digit or a dash.
REF = re.compile(r"[A-Za-z0-9][A-Za-z0-9._/-]*")

router = Router(
    {
        "cmd.invite": {
            "sr-Latn": "kod pozivnice za novog korisnika ili kontakt",
            "hu": "meghívókód új felhasználónak vagy kapcsolattartónak",
            "en": "an invite code for a new user or a contact",
        },
        "invite.title": {
            "sr-Latn": "Pozivnica je napravljena",
            "hu": "A meghívó elkészült",
            "en": "Invite created",
        },
        "invite.code": {"sr-Latn": "Kod", "hu": "Kód", "en": "Code"},
        "invite.role": {"sr-Latn": "Uloga", "hu": "Szerepkör", "en": "Role"},
        "invite.contact": {"sr-Latn": "Kontakt", "hu": "Kapcsolattartó", "en": "Contact"},
        "invite.expires": {"sr-Latn": "Važi do", "hu": "Érvényes", "en": "Valid until"},
        "invite.forward": {
            "sr-Latn": "Prosledite ovaj red novom korisniku (kod važi jednom):",
            "hu": "Küldje el ezt a sort az új felhasználónak (a kód egyszer használható):",
            "en": "Forward this line to the new user (the code works once):",
        },
        "invite.usage": {
            "sr-Latn": "Upotreba: /invite ULOGA ili /invite OZNAKA_KONTAKTA. Uloge: `staff` "
            "(osoblje), `coordinator` (koordinator), `passport_officer` (službenik za pasoše), "
            "`admin`; kontakt npr. /invite `DEMO-C-LSGU-80284-1`.",
            "hu": "Használat: /invite SZEREPKÖR vagy /invite KAPCSOLATTARTÓ_JELÖLÉSE. "
            "Szerepkörök: staff (munkatárs), coordinator (koordinátor), passport_officer "
            "(útlevélügyintéző), admin; kapcsolattartó pl. /invite DEMO-C-LSGU-80284-1.",
            "en": "Usage: /invite ROLE or /invite CONTACT_REF. Roles: staff, coordinator, "
            "passport_officer, admin; a contact e.g. /invite DEMO-C-LSGU-80284-1.",
        },
        "invite.contact_needs_ref": {
            "sr-Latn": "Za kontakt navedite njegovu oznaku, npr. /invite `DEMO-C-LSGU-80284-1`.",
            "hu": "Kapcsolattartóhoz adja meg a jelölését, pl. /invite DEMO-C-LSGU-80284-1.",
            "en": "For a contact, give its reference, e.g. /invite DEMO-C-LSGU-80284-1.",
        },
        "invite.unknown_role": {
            "sr-Latn": "Nepoznata uloga „{word}”. Uloge: `staff` (osoblje), `coordinator` "
            "(koordinator), `passport_officer` (službenik za pasoše), `admin`.",
            "hu": "Ismeretlen szerepkör: „{word}”. Szerepkörök: staff (munkatárs), coordinator "
            "(koordinátor), passport_officer (útlevélügyintéző), admin.",
            "en": "Unknown role “{word}”. Roles: staff, coordinator, passport_officer, admin.",
        },
        "invite.unknown_contact": {
            "sr-Latn": "Nema kontakta sa oznakom {ref}.",
            "hu": "Nincs {ref} jelölésű kapcsolattartó.",
            "en": "There is no contact {ref}.",
        },
        "invite.admin_only": {
            "sr-Latn": "Pozivnicu za ulogu {role} može da napravi samo administrator.",
            "hu": "A(z) {role} szerepkörhöz csak adminisztrátor készíthet meghívót.",
            "en": "Only an admin can invite a {role}.",
        },
        "invite.role.staff": {"sr-Latn": "osoblje", "hu": "munkatárs", "en": "staff"},
        "invite.role.coordinator": {
            "sr-Latn": "koordinator",
            "hu": "koordinátor",
            "en": "coordinator",
        },
        "invite.role.passport_officer": {
            "sr-Latn": "službenik za pasoše",
            "hu": "útlevélügyintéző",
            "en": "passport officer",
        },
        "invite.role.admin": {"sr-Latn": "administrator", "hu": "adminisztrátor", "en": "admin"},
        "invite.role.contact": {"sr-Latn": "kontakt", "hu": "kapcsolattartó", "en": "contact"},
    }
)


@router.command("invite", aliases=("pozovi", "позови", "meghivas", "meghívás"), roles=COORDINATORS)
async def invite(ctx: Context) -> Reply:
    """/invite ROLE|CONTACT: an invite code for a new user or a contact"""
    assert ctx.user is not None
    role, contact_ref = _target(ctx.args)
    label = ctx.t(f"invite.role.{role.value}")
    if role in ADMIN_ONLY and not ctx.has_role(Role.ADMIN):
        ctx.audit("invite.create", allowed=False, target_type="role", target_ref=role.value)
        return Reply.text(ctx.t("invite.admin_only", role=label))
    created = None
    if contact_ref is not None:
        # Refs are upper-case codes; accept "demo-c-..." too. Nothing is written when unknown.
        for ref in dict.fromkeys((contact_ref, contact_ref.upper())):
            try:
                created = await ctx.repos.invites.create(
                    ctx.now(), contact_ref=ref, created_by=ctx.user.id
                )
            except RecordNotFound:
                continue
            contact_ref = ref
            break
        if created is None:
            raise UsageError("invite.unknown_contact", ref=contact_ref)
    else:
        created = await ctx.repos.invites.create(ctx.now(), role=role, created_by=ctx.user.id)
    # The code itself is a credential: the audit log names the invite, not the code.
    ctx.audit("invite.create", allowed=True,
              target_type="contact" if contact_ref else "role",
              target_ref=contact_ref or role.value, detail=f"invite {created.id}")  # fmt: skip
    fields = [(ctx.t("invite.code"), created.code), (ctx.t("invite.role"), label)]
    if contact_ref:
        fields.append((ctx.t("invite.contact"), contact_ref))
    fields.append((ctx.t("invite.expires"), ctx.date(created.expires_at)))
    return Reply(
        title=ctx.t("invite.title"),
        fields=fields,
        lines=[ctx.t("invite.forward"), f"/start {created.code}"],
    )


def _target(args: list[str]) -> tuple[Role, str | None]:
    """(role, contact ref) from "staff", "službenik za pasoše", "DEMO-C-..." or "contact REF"."""
    if not args or len(args) > 3 or any(len(word) > MAX_WORD_CHARS for word in args):
        raise UsageError("invite.usage")
    words = [fold(word).replace("-", "_") for word in args]
    if words[0] in CONTACT_WORDS:
        if len(args) == 2 and REF.fullmatch(args[1]):
            return Role.CONTACT, args[1]
        raise UsageError("invite.contact_needs_ref")
    role = ROLE_WORDS.get("_".join(words))
    if role is not None:
        return role, None
    if len(args) == 1 and REF.fullmatch(args[0]):
        if any(ch.isdigit() or ch == "-" for ch in args[0]):
            return Role.CONTACT, args[0]
        raise UsageError("invite.unknown_role", word=args[0])
    raise UsageError("invite.usage")
