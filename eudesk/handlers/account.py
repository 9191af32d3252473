"""/start [code], /lang, /whoami: joining eudesk and choosing a language."""

from __future__ import annotations

from eudesk.handlers.context import Context
from eudesk.handlers.errors import UsageError
from eudesk.handlers.i18n import parse_locale
from eudesk.handlers.messages import Reply
from eudesk.handlers.router import ANYONE, MEMBERS, Router

router = Router(
    {
        "start.welcome": {
            "sr-Latn": "Dobro došli u eudesk, {name}. Pošaljite /help za spisak komandi.",
            "hu": "Üdvözli az eudesk, {name}. A parancsok listája: /help",
            "en": "Welcome to eudesk, {name}. Send /help for the list of commands.",
        },
        "start.linked": {
            "sr-Latn": "Ovaj čet je povezan sa nalogom {name} ({roles}). Pošaljite /help.",
            "hu": "Ez a csevegés a(z) {name} fiókhoz kapcsolódik ({roles}). Lásd: /help",
            "en": "This chat is now linked to {name} ({roles}). Send /help.",
        },
        "start.bad_code": {
            "sr-Latn": "Kod nije važeći ili je već iskorišćen. Zatražite novi od koordinatora.",
            "hu": "A kód érvénytelen vagy már felhasználták. Kérjen újat a koordinátortól.",
            "en": "That code is not valid or has been used. Ask a coordinator for a new one.",
        },
        "start.anonymous": {
            "sr-Latn": "Dobro došli u eudesk, servis Sektora za međuregionalnu saradnju i evropske "
            "integracije. Za pristup pošaljite /start KOD sa kodom koji ste dobili od "
            "koordinatora.",
            "hu": "Üdvözli az eudesk, a Régióközi Együttműködési és Európai Integrációs Szektor "
            "szolgáltatása. A hozzáféréshez küldje el: /start KÓD, a koordinátortól kapott kóddal.",
            "en": "Welcome to eudesk, the service of the Sector for Interregional Cooperation and "
            "European Integration. To get access, send /start CODE with the code a coordinator "
            "gave you.",
        },
        "lang.set": {
            "sr-Latn": "Jezik je podešen: srpski (latinica).",
            "sr-Cyrl": "Језик је подешен: српски (ћирилица).",
            "hu": "A nyelv beállítva: magyar.",
            "en": "Language set: English.",
        },
        "lang.usage": {
            "sr-Latn": "Izaberite jezik: /lang `sr-Latn`, /lang `sr-Cyrl`, /lang `hu` ili "
            "/lang `en`.",
            "hu": "Válasszon nyelvet: /lang sr-Latn, /lang sr-Cyrl, /lang hu vagy /lang en.",
            "en": "Choose a language: /lang sr-Latn, /lang sr-Cyrl, /lang hu or /lang en.",
        },
        "cmd.start": {
            "sr-Latn": "pristup pomoću koda pozivnice",
            "hu": "csatlakozás meghívókóddal",
            "en": "join with an invite code",
        },
        "cmd.lang": {
            "sr-Latn": "jezik odgovora",
            "hu": "a válaszok nyelve",
            "en": "reply language",
        },
        "cmd.whoami": {
            "sr-Latn": "vaše ime, uloge i jezik",
            "hu": "az Ön neve, szerepkörei és nyelve",
            "en": "your name, roles and language",
        },
        "whoami.title": {"sr-Latn": "Vaš nalog", "hu": "Az Ön fiókja", "en": "Your account"},
        "whoami.name": {"sr-Latn": "Ime", "hu": "Név", "en": "Name"},
        "whoami.roles": {"sr-Latn": "Uloge", "hu": "Szerepkörök", "en": "Roles"},
        "whoami.language": {"sr-Latn": "Jezik", "hu": "Nyelv", "en": "Language"},
        "whoami.chat": {"sr-Latn": "Čet", "hu": "Csevegés", "en": "Chat"},
    }
)


@router.command("start", aliases=("pocetak", "почетак", "start_hu", "kezdes"), roles=ANYONE)
async def start(ctx: Context) -> Reply:
    """/start [code]: join eudesk with an invite code"""
    if ctx.user is not None:
        return Reply.text(ctx.t("start.welcome", name=ctx.user.name))
    if not ctx.args:
        return Reply.text(ctx.t("start.anonymous"))
    if len(ctx.args) != 1 or len(ctx.args[0]) > 40:
        raise UsageError("start.bad_code")
    user = await ctx.repos.invites.redeem(
        ctx.args[0],
        ctx.now(),
        platform=ctx.incoming.platform,
        external_id=ctx.incoming.sender_id,
        name=ctx.incoming.sender_name or ctx.incoming.sender_id,
        locale=ctx.locale,
    )
    ctx.audit("invite.redeem", allowed=user is not None, target_type="invite")
    if user is None:
        raise UsageError("start.bad_code")
    roles = ", ".join(r.role.value for r in user.roles)
    return Reply.text(ctx.t("start.linked", name=user.name, roles=roles))


@router.command("lang", aliases=("jezik", "језик", "nyelv", "language"), roles=ANYONE)
async def lang(ctx: Context) -> Reply:
    """/lang sr-Latn|sr-Cyrl|hu|en: choose the reply language"""
    locale = parse_locale(ctx.rest) if ctx.rest else None
    if locale is None:
        return Reply.text(ctx.t("lang.usage"))
    if ctx.user is not None:
        ctx.user.locale = locale
    await ctx.repos.preferences.set_locale(ctx.incoming.platform, ctx.incoming.sender_id, locale)
    ctx.locale = locale
    return Reply.text(ctx.t("lang.set"))


@router.command("whoami", aliases=("ko_sam", "ко_сам", "ki_vagyok", "kosam"), roles=MEMBERS)
async def whoami(ctx: Context) -> Reply:
    """/whoami: your name, roles and language"""
    assert ctx.user is not None
    return Reply(
        title=ctx.t("whoami.title"),
        fields=[
            (ctx.t("whoami.name"), ctx.user.name),
            (ctx.t("whoami.roles"), ", ".join(r.role.value for r in ctx.user.roles)),
            (ctx.t("whoami.language"), ctx.locale.value),
            (ctx.t("whoami.chat"), ctx.actor),
        ],
    )
