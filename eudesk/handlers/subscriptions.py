"""/subscribe, /unsubscribe, /subscriptions: which reminders this chat receives."""

from __future__ import annotations

import re
from collections.abc import Sequence

from eudesk.handlers.context import Context
from eudesk.handlers.errors import UsageError
from eudesk.handlers.leads import BadLead, format_leads, parse_leads
from eudesk.handlers.messages import Button, Reply
from eudesk.handlers.router import MEMBERS, Router
from eudesk.storage.changes import announce_for
from eudesk.storage.leads import Lead
from eudesk.storage.models import DigestFrequency, Subscription, SubscriptionTopic
from eudesk.storage.repositories.subscriptions import subscription_leads
from eudesk.storage.text import fold

T = SubscriptionTopic
router = Router(
    {
        "cmd.subscribe": {
            "sr-Latn": "primajte podsetnike za rokove, sastanke, smernice ili dnevni pregled",
            "hu": "emlékeztetők határidőkről, ülésekről, irányelvekről vagy napi összefoglaló",
            "en": "get reminders of deadlines, meetings, guidelines or a daily digest",
        },
        "cmd.unsubscribe": {"sr-Latn": "otkažite pretplatu", "hu": "leiratkozás",
                            "en": "stop a subscription"},
        "cmd.subscriptions": {"sr-Latn": "vaše pretplate", "hu": "az Ön feliratkozásai",
                              "en": "your subscriptions"},
        "sub.usage": {
            "sr-Latn": "Na šta se pretplaćujete? /subscribe `calls` (pozivi), /subscribe `body "
            "Subotica`, /subscribe `project KOD`, /subscribe `programme HUSRB`, /subscribe "
            "`chapter 23`, /subscribe `cluster 2`, /subscribe `guidelines`, /subscribe `digest "
            "daily`.",
            "hu": "Mire iratkozik fel? /subscribe calls (pályázatok), /subscribe body Szabadka, "
            "/subscribe project KÓD, /subscribe programme HUSRB, /subscribe chapter 23, "
            "/subscribe cluster 2, /subscribe guidelines, /subscribe digest daily.",
            "en": "Subscribe to what? /subscribe calls, /subscribe body Subotica, /subscribe "
            "project CODE, /subscribe programme HUSRB, /subscribe chapter 23, /subscribe "
            "cluster 2, /subscribe guidelines, /subscribe digest daily.",
        },
        "sub.done": {"sr-Latn": "Pretplaćeni ste: {what}. Podsetnici stižu {leads} ranije.",
                     "hu": "Feliratkozott: {what}. Az emlékeztető {leads} előtte érkezik.",
                     "en": "Subscribed: {what}. Reminders come {leads} ahead."},
        "sub.leads_set": {"sr-Latn": "{what}: podsetnici sada stižu {leads} ranije.",
                          "hu": "{what}: az emlékeztető mostantól {leads} előtte érkezik.",
                          "en": "{what}: reminders now come {leads} ahead."},
        "sub.again": {"sr-Latn": "Već ste pretplaćeni: {what}.", "hu": "Már feliratkozott: {what}.",
                      "en": "Already subscribed: {what}."},
        "sub.unknown_body": {"sr-Latn": "Ne znam telo ili opštinu „{text}”.",
                             "hu": "Nem ismerem ezt a szervet vagy önkormányzatot: „{text}”.",
                             "en": "I do not know a body or municipality “{text}”."},
        "sub.unknown_project": {"sr-Latn": "Nema projekta sa kodom „{text}”.",
                                "hu": "Nincs „{text}” kódú projekt.",
                                "en": "No project has the code “{text}”."},
        "sub.unknown_programme": {"sr-Latn": "Nema programa sa kodom „{text}” (npr. HUSRB).",
                                  "hu": "Nincs „{text}” kódú program (pl. HUSRB).",
                                  "en": "No programme has the code “{text}” (e.g. HUSRB)."},
        "sub.bad_number": {"sr-Latn": "Broj mora biti od {low} do {high}.",
                           "hu": "A szám {low} és {high} között legyen.",
                           "en": "The number must be from {low} to {high}."},
        "sub.list_title": {"sr-Latn": "Vaše pretplate", "hu": "Az Ön feliratkozásai",
                           "en": "Your subscriptions"},
        "sub.none": {"sr-Latn": "Nemate pretplata. Pogledajte /subscribe.",
                     "hu": "Nincs feliratkozása. Lásd: /subscribe.",
                     "en": "You have no subscriptions. See /subscribe."},
        "sub.stop": {"sr-Latn": "Otkaži #{id}", "hu": "Leiratkozás #{id}", "en": "Stop #{id}"},
        "sub.stopped": {"sr-Latn": "Pretplata #{id} je otkazana.",
                        "hu": "A(z) #{id} feliratkozás megszűnt.",
                        "en": "Subscription #{id} stopped."},
        "sub.no_such": {"sr-Latn": "Ovaj čet nema pretplatu #{id}. Spisak: /subscriptions",
                        "hu": "Ennek a csevegésnek nincs #{id} feliratkozása. Lista: "
                        "/subscriptions",
                        "en": "This chat has no subscription #{id}. List: /subscriptions"},
        "sub.unsubscribe_usage": {"sr-Latn": "Navedite broj: /unsubscribe `BROJ` (vidi "
                                  "/subscriptions).",
                                  "hu": "Adja meg a számot: /unsubscribe SZÁM (lásd "
                                  "/subscriptions).",
                                  "en": "Give the number: /unsubscribe NUMBER (see "
                                  "/subscriptions)."},
        "sub.mine": {"sr-Latn": "rokovi mog tela", "hu": "a szervem határidői",
                     "en": "my body's deadlines"},
        "sub.no_body": {"sr-Latn": "Vaš nalog nije vezan za telo; navedite ga: /subscribe "
                        "`body Subotica`.",
                        "hu": "A fiókja nem tartozik szervhez; adja meg: /subscribe body Szabadka.",
                        "en": "Your account has no body; name one: /subscribe body Subotica."},
        "sub.topic.body_deadlines": {"sr-Latn": "rokovi tela {which}", "hu": "{which} határidői",
                                     "en": "deadlines of {which}"},
        "sub.topic.project_deadlines": {"sr-Latn": "rokovi projekta {which}",
                                        "hu": "a(z) {which} projekt határidői",
                                        "en": "deadlines of project {which}"},
        "sub.topic.programme_deadlines": {"sr-Latn": "rokovi programa {which}",
                                          "hu": "a(z) {which} program határidői",
                                          "en": "deadlines of programme {which}"},
        "sub.topic.calls": {"sr-Latn": "svi pozivi za predloge projekata",
                            "hu": "minden pályázati felhívás", "en": "all calls for proposals"},
        "sub.topic.chapter_meetings": {"sr-Latn": "sastanci za poglavlje {which}",
                                       "hu": "a(z) {which}. fejezet ülései",
                                       "en": "meetings of chapter {which}"},
        "sub.topic.cluster_meetings": {"sr-Latn": "sastanci klastera {which}",
                                       "hu": "a(z) {which}. klaszter ülései",
                                       "en": "meetings of cluster {which}"},
        "sub.topic.guidelines": {"sr-Latn": "nove smernice", "hu": "új irányelvek",
                                 "en": "new guidelines"},
        "sub.topic.digest": {"sr-Latn": "pregled ({which})", "hu": "összefoglaló ({which})",
                             "en": "digest ({which})"},
    }
)  # fmt: skip

TOPIC_WORDS: dict[str, SubscriptionTopic] = {
    "body": T.BODY_DEADLINES, "telo": T.BODY_DEADLINES, "organ": T.BODY_DEADLINES,
    "opstina": T.BODY_DEADLINES, "grad": T.BODY_DEADLINES, "szerv": T.BODY_DEADLINES,
    "onkormanyzat": T.BODY_DEADLINES, "project": T.PROJECT_DEADLINES,
    "projekat": T.PROJECT_DEADLINES, "projekt": T.PROJECT_DEADLINES,
    "programme": T.PROGRAMME_DEADLINES, "program": T.PROGRAMME_DEADLINES,
    "calls": T.CALLS, "pozivi": T.CALLS, "palyazatok": T.CALLS, "palyazat": T.CALLS,
    "chapter": T.CHAPTER_MEETINGS, "poglavlje": T.CHAPTER_MEETINGS, "fejezet": T.CHAPTER_MEETINGS,
    "cluster": T.CLUSTER_MEETINGS, "klaster": T.CLUSTER_MEETINGS, "klaszter": T.CLUSTER_MEETINGS,
    "guidelines": T.GUIDELINES, "smernice": T.GUIDELINES, "iranyelvek": T.GUIDELINES,
    "digest": T.DIGEST, "pregled": T.DIGEST, "osszefoglalo": T.DIGEST,
}  # fmt: skip
MINE_WORDS = {"mine", "my", "moje", "moji", "sajat"}
WEEKLY_WORDS = {"weekly", "nedeljni", "nedeljno", "heti"}
NUMBERED = {T.CHAPTER_MEETINGS: range(1, 36), T.CLUSTER_MEETINGS: range(1, 7)}
MAX_ARGS = 12
_LOOKS_LIKE_LEAD = re.compile(r"^\d+[^\d.]+$")


@router.command("subscribe", aliases=("pretplati", "претплати", "feliratkozas"), roles=MEMBERS)
async def subscribe(ctx: Context) -> Reply:
    """/subscribe TOPIC [WHICH] [LEADS]: get reminders (calls, body X, project X, chapter N,
    ...), optionally how long before: 14d, 3 radna dana, 2h"""
    if not ctx.args:
        return Reply(lines=[ctx.t("sub.usage")], buttons=_suggestions(ctx))
    if len(ctx.args) > MAX_ARGS:
        raise UsageError("sub.usage")
    assert ctx.user is not None
    if fold(ctx.args[0]) in MINE_WORDS:
        body = await ctx.repos.bodies.by_id(ctx.user.body_id) if ctx.user.body_id else None
        if body is None:
            raise UsageError("sub.no_body")
        topic, key, digest = T.BODY_DEADLINES, body.code, DigestFrequency.NONE
        wanted = parse_leads(" ".join(ctx.args[1:])) if ctx.args[1:] else None
    else:
        found = TOPIC_WORDS.get(fold(ctx.args[0]))
        if found is None:
            raise UsageError("sub.usage")
        topic = found
        words, wanted = split_leads(topic, ctx.args[1:])
        key, digest = await _key(ctx, topic, " ".join(words))
    subscription, new = await ctx.repos.subscriptions.subscribe(
        platform=ctx.incoming.platform, chat_id=ctx.incoming.chat_id, topic=topic,
        topic_key=key, locale=ctx.locale, user_id=ctx.user_id, contact_id=ctx.user.contact_id,
        digest=digest, leads=wanted,
    )  # fmt: skip
    await announce_for(subscription)  # plan its reminders now, not at the next tick
    what = describe(ctx, subscription)
    if new or topic is T.DIGEST:
        done = "sub.again" if not new else "sub.done"
        return Reply.text(ctx.t(done, what=what, leads=leads(subscription, ctx.locale)))
    if wanted:
        return Reply.text(ctx.t("sub.leads_set", what=what, leads=leads(subscription, ctx.locale)))
    return Reply.text(ctx.t("sub.again", what=what))


@router.command("subscriptions", aliases=("pretplate", "претплате", "feliratkozasok"),
                roles=MEMBERS)  # fmt: skip
async def subscriptions(ctx: Context) -> Reply:
    """/subscriptions: this chat's subscriptions"""
    found = await ctx.repos.subscriptions.for_chat(ctx.incoming.platform, ctx.incoming.chat_id)
    if not found:
        return Reply.text(ctx.t("sub.none"))
    items = [
        f"#{s.id} · {describe(ctx, s)}"
        + ("" if s.topic is T.DIGEST else f" · {leads(s, ctx.locale)}")
        for s in found
    ]
    buttons = [Button(ctx.t("sub.stop", id=s.id), f"/unsubscribe {s.id}") for s in found[:20]]
    return Reply(title=ctx.t("sub.list_title"), items=items, buttons=buttons)


@router.command("unsubscribe", aliases=("otkazi", "откажи", "leiratkozas"), roles=MEMBERS)
async def unsubscribe(ctx: Context) -> Reply:
    """/unsubscribe NUMBER: stop one subscription"""
    if len(ctx.args) != 1 or not ctx.args[0].lstrip("#").isdigit() or len(ctx.args[0]) > 10:
        raise UsageError("sub.unsubscribe_usage")
    number = int(ctx.args[0].lstrip("#"))
    stopped = await ctx.repos.subscriptions.unsubscribe(
        ctx.incoming.platform, ctx.incoming.chat_id, number
    )
    return Reply.text(ctx.t("sub.stopped" if stopped else "sub.no_such", id=number))


async def _key(ctx: Context, topic: SubscriptionTopic, rest: str) -> tuple[str, DigestFrequency]:
    """The topic's key from the words after it: a body, a project, a number, a frequency."""
    if topic is T.DIGEST:
        weekly = fold(rest) in WEEKLY_WORDS
        frequency = DigestFrequency.WEEKLY if weekly else DigestFrequency.DAILY
        return frequency.value, frequency
    if topic in (T.CALLS, T.GUIDELINES):
        return "", DigestFrequency.NONE
    if not rest or len(rest) > 120:
        raise UsageError("sub.usage")
    if topic is T.BODY_DEADLINES:
        bodies = await ctx.repos.bodies.find(rest, limit=2)
        exact = [b for b in bodies if fold(rest) in {fold(b.name_sr_latn), fold(b.code)}]
        if len(exact) != 1 and len(bodies) != 1:
            raise UsageError("sub.unknown_body", text=rest[:60])
        return (exact or bodies)[0].code, DigestFrequency.NONE
    if topic is T.PROJECT_DEADLINES:
        project = await ctx.repos.projects.get_by_code(rest)
        if project is None:
            raise UsageError("sub.unknown_project", text=rest[:60])
        return project.code, DigestFrequency.NONE
    if topic is T.PROGRAMME_DEADLINES:
        code = await ctx.repos.subscriptions.programme_code(rest)
        if code is None:
            raise UsageError("sub.unknown_programme", text=rest[:60])
        return code, DigestFrequency.NONE
    valid = NUMBERED[topic]
    number = rest.rstrip(".")
    if not number.isdigit() or int(number) not in valid:
        raise UsageError("sub.bad_number", low=valid.start, high=valid.stop - 1)
    return str(int(number)), DigestFrequency.NONE


def _suggestions(ctx: Context) -> list[Button]:
    """One-tap subscriptions: the caller's own body first, when they have one."""
    buttons = []
    if ctx.user is not None and ctx.user.body_id is not None:
        buttons.append(Button(ctx.t("sub.mine"), "/subscribe mine"))
    buttons.append(Button(ctx.t("sub.topic.calls"), "/subscribe calls"))
    buttons.append(Button(ctx.t("sub.topic.guidelines"), "/subscribe guidelines"))
    buttons.append(Button(ctx.t("sub.topic.digest", which="daily"), "/subscribe digest daily"))
    return buttons


def describe(ctx: Context, subscription: Subscription) -> str:
    return ctx.t(f"sub.topic.{subscription.topic.value}", which=subscription.topic_key)


def leads(subscription: Subscription, locale: str) -> str:
    """The subscription's lead times in the reader's language ("14 dana, 3 radna dana")."""
    return format_leads(subscription_leads(subscription.leads, subscription.topic), locale)


def split_leads(
    topic: SubscriptionTopic, words: Sequence[str]
) -> tuple[list[str], tuple[Lead, ...] | None]:
    """The words naming what to follow, and the lead times written after them (None: none).

    A topic without a key takes every word as leads; one with a key (a body, a project, a
    chapter) the shortest tail that reads as leads after at least one word of key, so that
    "chapter 23 2h" is chapter 23 two hours ahead and "body Bačka Topola 3 radna dana" works.
    """
    if topic is T.DIGEST:
        return list(words), None
    if topic in (T.CALLS, T.GUIDELINES):
        return [], parse_leads(" ".join(words)) if words else None
    for start in range(1, len(words)):
        try:
            return list(words[:start]), parse_leads(" ".join(words[start:]))
        except BadLead:
            continue
    if len(words) > 1 and _LOOKS_LIKE_LEAD.match(words[-1]):
        parse_leads(words[-1])  # "project KOD 14x": say what a lead looks like
    return list(words), None
