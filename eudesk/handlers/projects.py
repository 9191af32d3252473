"""/projects [programme|status|municipality|text] [page N] and /project CODE."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field, replace

from eudesk.handlers.agreements import country_name
from eudesk.handlers.context import Context
from eudesk.handlers.errors import NotFound, UsageError
from eudesk.handlers.i18n import texts
from eudesk.handlers.messages import MAX_CALLBACK_BYTES, Button, Reply
from eudesk.handlers.router import STAFF, Router
from eudesk.storage.models import Project, ProjectPartner, ProjectStatus
from eudesk.storage.repositories.projects import ProjectFilter
from eudesk.storage.text import fold

_STATUS_NAMES = {
    ProjectStatus.PLANNED: ("planiran", "tervezett", "planned"),
    ProjectStatus.SUBMITTED: ("podnet", "benyújtott", "submitted"),
    ProjectStatus.APPROVED: ("odobren", "jóváhagyott", "approved"),
    ProjectStatus.ONGOING: ("u toku", "folyamatban", "ongoing"),
    ProjectStatus.COMPLETED: ("završen", "befejezett", "completed"),
    ProjectStatus.REJECTED: ("odbijen", "elutasított", "rejected"),
    ProjectStatus.WITHDRAWN: ("povučen", "visszavont", "withdrawn"),
}
# What people type for a status, in every language; Cyrillic folds onto the Latin forms.
_STATUS_WORDS = {
    ProjectStatus.PLANNED: "planirani planirana planirano",
    ProjectStatus.SUBMITTED: "podneti podneta podnesen podneseni",
    ProjectStatus.APPROVED: "odobreni odobrena",
    ProjectStatus.ONGOING: "tekuci aktivni running in_progress",
    ProjectStatus.COMPLETED: "zavrseni zavrsena finished lezart",
    ProjectStatus.REJECTED: "odbijeni odbijena",
    ProjectStatus.WITHDRAWN: "povuceni povucena",
}
STATUS_WORDS: dict[str, ProjectStatus] = {
    fold(word.replace("_", " ")): status
    for status, names in _STATUS_NAMES.items()
    for word in (*names, *_STATUS_WORDS[status].split())
}
_PAGE_WORDS = frozenset({"page", "strana", "stranica", "str", "oldal"})
_QUOTES = str.maketrans(dict.fromkeys("„“”«»", '"'))
_TOKEN = re.compile(r'"([^"]*)"?|(\S+)')
MAX_FILTER_CHARS = 200
MAX_FILTER_WORDS = 12
MAX_CODE_CHARS = 40


router = Router(
    {
        "cmd.projects": texts("projekti po programu, statusu, opštini ili tekstu",
                             "projektek program, állapot, település vagy szöveg szerint",
                             "projects by programme, status, municipality or text"),
        "cmd.project": texts("jedan projekat: partneri, budžet, rokovi",
                            "egy projekt: partnerek, költségvetés, határidők",
                            "one project: partners, budget, deadlines"),
        "projects.title": texts("Projekti: {total} (strana {page} od {pages})",
                               "Projektek: {total} ({page}/{pages}. oldal)",
                               "Projects: {total} (page {page} of {pages})"),
        "projects.filter": texts("Upit: {what}", "Szűrés: {what}", "Filter: {what}"),
        "projects.f_programme": texts("program {names}", "program: {names}", "programme {names}"),
        "projects.f_status": texts("status {names}", "állapot: {names}", "status {names}"),
        "projects.f_place": texts("partner {names}", "partner: {names}", "partner {names}"),
        "projects.f_text": texts("tekst „{words}”", "szöveg: „{words}”", "text “{words}”"),
        "projects.none": texts(
            "Nijedan projekat ne odgovara upitu ({what}). Pokušajte šire: /projects `HUSRB`, "
            "/projects u toku, /projects Bačka Topola.",
            "Egy projekt sem felel meg a szűrésnek ({what}). Próbálja tágabban: /projects "
            "HUSRB, /projects folyamatban, /projects Topolya.",
            "No projects match ({what}). Try something broader: /projects HUSRB, "
            "/projects ongoing, /projects Backa Topola.",
        ),
        "projects.none_at_all": texts("Još nema unetih projekata.", "Még nincs projekt.",
                                     "There are no projects yet."),
        "projects.next": texts("Sledeća ›", "Következő ›", "Next ›"),
        "projects.previous": texts("‹ Prethodna", "‹ Előző", "‹ Previous"),
        "projects.next_hint": texts(
            "Za sledeću stranu pošaljite isti upit sa `p{page}` na kraju.",
            "A következő oldalhoz küldje el ugyanezt a kérést, a végén ezzel: p{page}.",
            "For the next page, send the same request with p{page} at the end.",
        ),
        "projects.too_long": texts(
            "Upit je predugačak (najviše {words} reči i {chars} znakova).",
            "A szűrés túl hosszú (legfeljebb {words} szó és {chars} karakter).",
            "That filter is too long (at most {words} words and {chars} characters).",
        ),
        "projects.bad_page": texts(
            "Broj strane mora biti ceo broj od 1 naviše, npr. /projects `HUSRB p2`.",
            "Az oldalszám 1-től induló egész szám, pl. /projects HUSRB p2.",
            "A page number is a whole number from 1, e.g. /projects HUSRB p2.",
        ),
        "projects.no_such_page": texts(
            "Ima samo {pages} strana ovih projekata.",
            "Ezekből a projektekből csak {pages} oldal van.",
            "There are only {pages} pages of these projects.",
        ),
        "projects.project_usage": texts(
            "Navedite šifru projekta, npr. /project `DEMO-HUSRB-0001`; za pretragu: /projects.",
            "Adja meg a projekt kódját, pl. /project DEMO-HUSRB-0001; kereséshez: /projects.",
            "Give a project code, e.g. /project DEMO-HUSRB-0001; to search: /projects.",
        ),
        "projects.not_found": texts(
            "Nema projekta sa šifrom „{code}”. Pretraga: /projects `{code}`",
            "Nincs „{code}” kódú projekt. Keresés: /projects {code}",
            "No project has the code “{code}”. To search: /projects {code}",
        ),
        "projects.programme": texts("Program", "Program", "Programme"),
        "projects.status": texts("Status", "Állapot", "Status"),
        "projects.lead": texts("Nosilac", "Vezető partner", "Lead partner"),
        "projects.partners": texts("Partneri", "Partnerek", "Partners"),
        "projects.dates": texts("Trajanje", "Időtartam", "Duration"),
        "projects.total": texts("Ukupan budžet", "Teljes költségvetés", "Total budget"),
        "projects.eu": texts("Doprinos EU", "EU-hozzájárulás", "EU contribution"),
        "projects.provincial": texts("Pokrajinsko sufinansiranje", "Tartományi társfinanszírozás",
                                    "Provincial co-financing"),
        "projects.other": texts("Ostali izvori (partneri)", "Egyéb források (partnerek)",
                               "Other sources (partners)"),
        "projects.prefinancing": texts("Predfinansiranje (avans na doprinos EU)",
                                      "Előfinanszírozás (az EU-hozzájárulás előlege)",
                                      "Pre-financing (advance on the EU contribution)"),
        "projects.officer": texts("Odgovorno lice", "Felelős ügyintéző", "Responsible officer"),
        "projects.deadline": texts("Naredni rok", "Következő határidő", "Next deadline"),
        "projects.no_deadlines": texts("nema otvorenih rokova", "nincs nyitott határidő",
                                      "no open deadlines"),
        "projects.none_given": texts("nije navedeno", "nincs megadva", "not given"),
        **{
            f"projects.status.{status.value}": texts(*names)
            for status, names in _STATUS_NAMES.items()
        },
    }
)  # fmt: skip


@dataclass(slots=True)
class _Query:
    """The filter as typed: the page, plain words, quoted phrases, and a canonical form."""

    page: int = 1
    words: list[str] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)
    canonical: list[str] = field(default_factory=list)


@router.command("projects", aliases=("projekti", "пројекти", "projektek"), roles=STAFF)
async def projects(ctx: Context) -> Reply:
    """/projects [programme|status|municipality|text] [page N]: find projects"""
    query = _parse(ctx.rest)
    statuses, words = _take_statuses(query.words)
    spec = await ctx.repos.projects.resolve_filter(words)
    spec = replace(spec, statuses=statuses, words=(*spec.words, *query.phrases))
    size = ctx.config.page_size
    items, total = await ctx.repos.projects.search(spec, query.page, size)
    described = _describe(ctx, spec)
    if total == 0:
        if spec.is_empty:
            return Reply.text(ctx.t("projects.none_at_all"))
        return Reply.text(ctx.t("projects.none", what=described))
    pages = math.ceil(total / size)
    if not items:
        raise UsageError("projects.no_such_page", pages=pages)
    reply = Reply.listing(
        ctx.t("projects.title", total=total, page=query.page, pages=pages),
        [_item(ctx, p) for p in items],
    )
    if not spec.is_empty:
        reply.lines.append(ctx.t("projects.filter", what=described))
    _add_paging(ctx, reply, query, pages)
    return reply


@router.command("project", aliases=("projekat", "пројекат", "projekt"), roles=STAFF)
async def project(ctx: Context) -> Reply:
    """/project CODE: one project with its partners, budget and next deadlines"""
    if len(ctx.args) != 1 or len(ctx.args[0]) > MAX_CODE_CHARS:
        raise UsageError("projects.project_usage")
    found = await ctx.repos.projects.get_by_code(ctx.args[0])
    if found is None:
        raise NotFound("projects.not_found", code=ctx.args[0])
    deadlines = await ctx.repos.projects.next_deadlines(found.id, ctx.now())
    lead = next((p for p in found.partners if p.is_lead), None)
    others = [p for p in found.partners if p is not lead]
    dates = " – ".join(ctx.date(d) if d else "…" for d in (found.starts_on, found.ends_on))
    # The parts are shown as stored; "other sources" is what makes them add up to the total.
    other = found.total_budget - found.eu_contribution - found.provincial_cofinancing
    fields = [
        (ctx.t("projects.programme"), f"{found.programme.name} ({found.programme.code})"),
        (ctx.t("projects.status"), ctx.t(f"projects.status.{found.status.value}")),
        (ctx.t("projects.lead"), _partner(ctx, lead) if lead else ctx.t("projects.none_given")),
        (ctx.t("projects.partners"), "; ".join(_partner(ctx, p) for p in others) or "—"),
        (ctx.t("projects.dates"), dates),
        (ctx.t("projects.total"), ctx.money(found.total_budget)),
        (ctx.t("projects.eu"), ctx.money(found.eu_contribution)),
        (ctx.t("projects.provincial"), ctx.money(found.provincial_cofinancing)),
        (ctx.t("projects.other"), ctx.money(other)),
        (ctx.t("projects.prefinancing"), ctx.money(found.prefinancing)),
        (ctx.t("projects.officer"), found.responsible_officer or ctx.t("projects.none_given")),
    ]
    fields += [
        (ctx.t("projects.deadline"), f"{ctx.datetime(d.due_at)} {d.title}") for d in deadlines
    ]
    if not deadlines:
        fields.append((ctx.t("projects.deadline"), ctx.t("projects.no_deadlines")))
    return Reply(title=f"{found.code} {found.acronym}", lines=[found.title], fields=fields)


def _parse(rest: str) -> _Query:
    """The filter as words and "quoted phrases", less the page (p2, p 2, page 2, strana 2)."""
    if len(rest) > MAX_FILTER_CHARS:
        raise UsageError("projects.too_long", words=MAX_FILTER_WORDS, chars=MAX_FILTER_CHARS)
    query = _Query()
    tokens: list[tuple[bool, str]] = []
    # Control characters (NUL above all, which PostgreSQL refuses in text) never mean anything.
    text = "".join(ch if ch.isprintable() else " " for ch in rest.translate(_QUOTES))
    for match in _TOKEN.finditer(text):
        quoted = match.group(1) is not None
        tokens.append((quoted, fold(match.group(1) if quoted else match.group(2))))
    if len(tokens) > MAX_FILTER_WORDS:
        raise UsageError("projects.too_long", words=MAX_FILTER_WORDS, chars=MAX_FILTER_CHARS)
    i = 0
    while i < len(tokens):
        quoted, word = tokens[i]
        if quoted:
            if word:
                query.phrases.append(word)
                query.canonical.append(f'"{word}"')
        elif re.fullmatch(r"p\d+", word):
            query.page = _page_number(word[1:])
        elif word in _PAGE_WORDS or (word == "p" and _next_is_number(tokens, i)):
            i += 1
            query.page = _page_number(tokens[i][1] if i < len(tokens) else "")
        else:
            query.words.append(word)
            query.canonical.append(word)
        i += 1
    return query


def _next_is_number(tokens: list[tuple[bool, str]], i: int) -> bool:
    """Whether the token after i is a bare number ("p 2" is page 2, "p" alone a search word)."""
    return i + 1 < len(tokens) and not tokens[i + 1][0] and tokens[i + 1][1].isdigit()


def _page_number(text: str) -> int:
    if not re.fullmatch(r"\d{1,6}", text) or int(text) < 1:
        raise UsageError("projects.bad_page")
    return int(text)


def _take_statuses(words: list[str]) -> tuple[frozenset[ProjectStatus], list[str]]:
    """Status words ("u toku", "odobreni", "folyamatban") out of the words; the rest stays."""
    found: set[ProjectStatus] = set()
    rest: list[str] = []
    i = 0
    while i < len(words):
        for width in (2, 1):
            status = STATUS_WORDS.get(" ".join(words[i : i + width]))
            if status is not None:
                found.add(status)
                i += width
                break
        else:
            rest.append(words[i])
            i += 1
    return frozenset(found), rest


def _describe(ctx: Context, spec: ProjectFilter) -> str:
    parts = []
    if spec.programmes is not None:
        codes = ", ".join(p.code for p in spec.programmes) or "—"
        parts.append(ctx.t("projects.f_programme", names=codes))
    if spec.statuses:
        names = ", ".join(ctx.t(f"projects.status.{s.value}") for s in sorted(spec.statuses))
        parts.append(ctx.t("projects.f_status", names=names))
    if spec.municipalities:
        names = ", ".join(b.name(ctx.locale) for b in spec.municipalities)
        parts.append(ctx.t("projects.f_place", names=names))
    if spec.words:
        parts.append(ctx.t("projects.f_text", words=" ".join(spec.words)[:60]))
    return "; ".join(parts)


def _item(ctx: Context, p: Project) -> str:
    status = ctx.t(f"projects.status.{p.status.value}")
    return f"{p.code} {p.acronym} · {status} · {p.programme.code} · {ctx.money(p.total_budget)}"


def _partner(ctx: Context, partner: ProjectPartner) -> str:
    if not partner.country:
        return partner.name
    return f"{partner.name} ({country_name(partner.country, ctx.locale)})"


def _add_paging(ctx: Context, reply: Reply, query: _Query, pages: int) -> None:
    """Previous/Next buttons whose callbacks repeat the filter; text when it does not fit."""
    targets = [(query.page - 1, "projects.previous"), (query.page + 1, "projects.next")]
    for page, label in targets:
        if not 1 <= page <= pages:
            continue
        callback = " ".join(["/projects", f"p{page}", *query.canonical])
        if len(callback.encode()) <= MAX_CALLBACK_BYTES:
            reply.buttons.append(Button(ctx.t(label), callback))
        elif page > query.page:
            reply.footer = ctx.t("projects.next_hint", page=page)
