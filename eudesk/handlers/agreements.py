"""/agreements [region or country]: the province's interregional agreements."""

from __future__ import annotations

from eudesk.handlers.context import Context
from eudesk.handlers.errors import UsageError
from eudesk.handlers.i18n import texts, to_cyrillic
from eudesk.handlers.messages import Reply
from eudesk.handlers.router import STAFF, Router
from eudesk.storage.models import Agreement, AgreementStatus, Locale
from eudesk.storage.text import fold

MAX_FILTER_CHARS = 100
# Countries are stored in English; people ask in their own language ("Mađarska", "Magyarország").
COUNTRIES = {
    "Serbia": ("Srbija", "Szerbia"),
    "Hungary": ("Mađarska", "Magyarország"),
    "Romania": ("Rumunija", "Románia"),
    "Croatia": ("Hrvatska", "Horvátország"),
    "Czech Republic": ("Češka", "Csehország"),
    "Slovakia": ("Slovačka", "Szlovákia"),
    "Slovenia": ("Slovenija", "Szlovénia"),
    "Austria": ("Austrija", "Ausztria"),
    "Germany": ("Nemačka", "Németország"),
    "Italy": ("Italija", "Olaszország"),
    "Bulgaria": ("Bugarska", "Bulgária"),
    "Greece": ("Grčka", "Görögország"),
    "Poland": ("Poljska", "Lengyelország"),
    "France": ("Francuska", "Franciaország"),
    "Bosnia and Herzegovina": ("Bosna i Hercegovina", "Bosznia-Hercegovina"),
    "Montenegro": ("Crna Gora", "Montenegró"),
    "North Macedonia": ("Severna Makedonija", "Észak-Macedónia"),
    "China": ("Kina", "Kína"),
}


router = Router(
    {
        "cmd.agreements": texts("sporazumi o međuregionalnoj saradnji",
                               "régióközi együttműködési megállapodások",
                               "interregional cooperation agreements"),
        "agreements.title": texts("Sporazumi o međuregionalnoj saradnji: {count}",
                                 "Régióközi együttműködési megállapodások: {count}",
                                 "Interregional cooperation agreements: {count}"),
        "agreements.none": texts(
            "Nijedan sporazum ne odgovara upitu „{query}”. Pošaljite /agreements za sve.",
            "Egy megállapodás sem felel meg ennek: „{query}”. Az összes: /agreements",
            "No agreements match “{query}”. Send /agreements for all of them.",
        ),
        "agreements.none_at_all": texts("Još nema unetih sporazuma.", "Még nincs megállapodás.",
                                       "There are no agreements yet."),
        "agreements.too_long": texts(
            "Upit je predugačak (najviše {chars} znakova); navedite region ili državu.",
            "A kérés túl hosszú (legfeljebb {chars} karakter); adjon meg régiót vagy országot.",
            "That is too long (at most {chars} characters); give a region or a country.",
        ),
        "agreements.signed_on": texts("datum potpisivanja {date}", "aláírás: {date}",
                                     "signed on {date}"),
        "agreements.areas": texts("oblasti: {areas}", "területek: {areas}", "areas: {areas}"),
        "agreements.status.in_preparation": texts("u pripremi", "előkészítés alatt",
                                                 "in preparation"),
        "agreements.status.signed": texts("potpisan", "aláírt", "signed"),
        "agreements.status.active": texts("na snazi", "hatályos", "in force"),
        "agreements.status.expired": texts("istekao", "lejárt", "expired"),
    }
)  # fmt: skip


@router.command(
    "agreements",
    aliases=("sporazumi", "споразуми", "megallapodasok", "megállapodások"),
    roles=STAFF,
)
async def agreements(ctx: Context) -> Reply:
    """/agreements [region or country]: interregional agreements"""
    # Control characters (NUL above all, which PostgreSQL refuses in text) never mean anything.
    query = " ".join("".join(ch if ch.isprintable() else " " for ch in ctx.rest).split())
    if len(query) > MAX_FILTER_CHARS:
        raise UsageError("agreements.too_long", chars=MAX_FILTER_CHARS)
    terms = (query, *_countries_named(query)) if fold(query) else ()
    found = await ctx.repos.agreements.search(*terms)
    if not found:
        if terms:
            return Reply.text(ctx.t("agreements.none", query=query[:60]))
        return Reply.text(ctx.t("agreements.none_at_all"))
    return Reply.listing(
        ctx.t("agreements.title", count=len(found)), [_item(ctx, a) for a in found]
    )


def _countries_named(query: str) -> list[str]:
    """The stored (English) names of countries the query names in Serbian or Hungarian."""
    key = fold(query)
    if len(key) < 3:
        return []
    return [
        english for english, local in COUNTRIES.items() if any(key in fold(name) for name in local)
    ]


def country_name(name: str, locale: Locale) -> str:
    """A country stored in English, named in the reply's language when we know the name."""
    local = COUNTRIES.get(name)
    if local is None or locale == Locale.EN:
        return name
    if locale == Locale.HU:
        return local[1]
    return to_cyrillic(local[0]) if locale == Locale.SR_CYRL else local[0]


def _item(ctx: Context, agreement: Agreement) -> str:
    parts = [
        f"{agreement.partner_region} ({country_name(agreement.country, ctx.locale)})",
        ctx.t(f"agreements.status.{AgreementStatus(agreement.status).value}"),
    ]
    if agreement.signed_on:
        parts.append(ctx.t("agreements.signed_on", date=ctx.date(agreement.signed_on)))
    if agreement.areas:
        parts.append(ctx.t("agreements.areas", areas=agreement.areas))
    return " · ".join(parts)
