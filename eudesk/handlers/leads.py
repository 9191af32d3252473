"""Lead times as people write and read them, in four languages: one parser, one formatter.

Accepted (any case, either Serbian script, with or without diacritics, several separated by
commas, "i", "és" or "and"): the canonical tokens 14d, 3wd, 2h, 30m; "14 dana", "3 radna dana",
"3 радна дана", "2 sata", "30 minuta"; "14 nap", "3 munkanap", "2 óra", "30 perc"; "14 days",
"3 working days", "2 hours", "30 minutes"; weeks ("2w", "2 nedelje", "2 hét", "2 weeks") are
taken as 7 calendar days each. A bare number is refused (minutes or days? nobody can tell).

Shown in the reader's language with CLDR plural forms ("1 dan", "2 dana", "5 dana", "21 dan";
"3 radna dana", "5 radnih dana"; "2 óra"; "1 hour", "2 hours"). Issue 13 moves the words to
gettext catalogs; `plural_category` is the one place that knows the plural rules until then.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Literal

from eudesk.handlers import i18n
from eudesk.handlers.errors import UsageError
from eudesk.storage.leads import MAX_LEAD_DAYS, Lead, LeadUnit, ordered
from eudesk.storage.models import Locale
from eudesk.storage.text import fold

PluralCategory = Literal["one", "few", "other"]

i18n.register(
    {
        "lead.d.one": {"sr-Latn": "{n} dan", "hu": "{n} nap", "en": "{n} day"},
        "lead.d.few": {"sr-Latn": "{n} dana", "hu": "{n} nap", "en": "{n} days"},
        "lead.d.other": {"sr-Latn": "{n} dana", "hu": "{n} nap", "en": "{n} days"},
        "lead.wd.one": {"sr-Latn": "{n} radni dan", "hu": "{n} munkanap",
                        "en": "{n} working day"},
        "lead.wd.few": {"sr-Latn": "{n} radna dana", "hu": "{n} munkanap",
                        "en": "{n} working days"},
        "lead.wd.other": {"sr-Latn": "{n} radnih dana", "hu": "{n} munkanap",
                          "en": "{n} working days"},
        "lead.h.one": {"sr-Latn": "{n} sat", "hu": "{n} óra", "en": "{n} hour"},
        "lead.h.few": {"sr-Latn": "{n} sata", "hu": "{n} óra", "en": "{n} hours"},
        "lead.h.other": {"sr-Latn": "{n} sati", "hu": "{n} óra", "en": "{n} hours"},
        "lead.m.one": {"sr-Latn": "{n} minut", "hu": "{n} perc", "en": "{n} minute"},
        "lead.m.few": {"sr-Latn": "{n} minuta", "hu": "{n} perc", "en": "{n} minutes"},
        "lead.m.other": {"sr-Latn": "{n} minuta", "hu": "{n} perc", "en": "{n} minutes"},
        "lead.bad": {
            "sr-Latn": "„{text}” nije vreme podsetnika. Napišite koliko ranije, na primer "
            "`14d` ili „14 dana”, `3wd` ili „3 radna dana”, `2h` ili „2 sata”, `30m` ili "
            "„30 minuta”; više njih razdvojite zarezom (najviše {max} dana).",
            "hu": "„{text}” nem emlékeztetési idő. Írja meg, mennyivel előbb, például 14d vagy "
            "„14 nap”, 3wd vagy „3 munkanap”, 2h vagy „2 óra”, 30m vagy „30 perc”; többet "
            "vesszővel válasszon el (legfeljebb {max} nap).",
            "en": "“{text}” is not a reminder lead. Say how long before, for example 14d or "
            "“14 days”, 3wd or “3 working days”, 2h or “2 hours”, 30m or “30 minutes”; "
            "separate several with commas (at most {max} days).",
        },
    }
)  # fmt: skip

_WEEK = "week"
# Unit words after folding (lower-case ASCII, Cyrillic as Latin).
_UNITS: dict[str, LeadUnit | str] = {
    **dict.fromkeys(["d", "dan", "dana", "dani", "day", "days", "nap", "napot", "nappal"],
                    LeadUnit.DAYS),
    **dict.fromkeys(["wd", "radni dan", "radna dana", "radnih dana", "radnim danom",
                     "radna dan", "working day", "working days", "workday", "workdays",
                     "work day", "work days", "business day", "business days", "munkanap",
                     "munkanapot", "munkanappal"], LeadUnit.WORKING_DAYS),
    **dict.fromkeys(["h", "sat", "sata", "sati", "hour", "hours", "hr", "hrs", "ora", "orat",
                     "oraval"], LeadUnit.HOURS),
    **dict.fromkeys(["m", "min", "minut", "minuta", "minute", "minutes", "mins", "perc",
                     "percet", "perccel"], LeadUnit.MINUTES),
    **dict.fromkeys(["w", "nedelja", "nedelje", "nedelju", "sedmica", "sedmice", "week",
                     "weeks", "het", "hetet", "hettel"], _WEEK),
}  # fmt: skip
_SEPARATORS = re.compile(r"\s*(?:[,;]|\bi\b|\bes\b|\band\b)\s*")
_PIECE = re.compile(r"(\d{1,4}) ?([a-z]+(?: [a-z]+)?)")
_COMPACT = re.compile(r"(\d{1,4})([a-z]+)")


class BadLead(UsageError):
    """A lead nobody could read; the message names the accepted forms."""

    key = "lead.bad"

    def __init__(self, text: str) -> None:
        super().__init__("lead.bad", text=text[:60], max=MAX_LEAD_DAYS)
        self.text = text


def plural_category(n: int, locale: str) -> PluralCategory:
    """CLDR's cardinal plural category of the integer `n`: Serbian one (n%10 = 1 and n%100 ≠ 11),
    few (n%10 in 2..4 and n%100 not in 12..14), other; Hungarian and English one (n = 1), other."""
    if locale in (Locale.SR_LATN, Locale.SR_CYRL):
        if n % 10 == 1 and n % 100 != 11:
            return "one"
        if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
            return "few"
        return "other"
    return "one" if n == 1 else "other"


def parse_leads(text: str) -> tuple[Lead, ...]:
    """Leads from what someone wrote, largest first; BadLead when any part is not a lead."""
    folded = fold(text)
    if not folded:
        raise BadLead(text)
    found: list[Lead] = []
    for part in (p for p in _SEPARATORS.split(folded) if p):
        whole = _PIECE.fullmatch(part)
        # Several leads in one part only as compact tokens ("14d 3wd"); words need commas.
        matches = [whole] if whole else [_COMPACT.fullmatch(word) for word in part.split()]
        for match in matches:
            if match is None:
                raise BadLead(part)
            found.append(_lead(int(match[1]), match[2], part))
    return ordered(found)


def _lead(count: int, word: str, part: str) -> Lead:
    unit = _UNITS.get(word)
    if unit is None:
        raise BadLead(part)
    try:
        return Lead(count * 7, LeadUnit.DAYS) if unit == _WEEK else Lead(count, LeadUnit(unit))
    except ValueError:
        raise BadLead(part) from None


def format_lead(lead: Lead, locale: str) -> str:
    """One lead in the reader's language: "14 dana", "3 radna dana", "2 óra", "1 hour"."""
    category = plural_category(lead.count, locale)
    return i18n.translate(locale, f"lead.{lead.unit.value}.{category}", n=lead.count)


def format_leads(leads: Iterable[Lead], locale: str) -> str:
    """Several leads, largest first, comma-separated, in the reader's language."""
    return ", ".join(format_lead(lead, locale) for lead in ordered(leads))
