"""/help: the usage line of every command the caller may run, from the handlers' docstrings."""

from __future__ import annotations

from eudesk.handlers.context import Context
from eudesk.handlers.i18n import has_message
from eudesk.handlers.messages import Reply
from eudesk.handlers.router import ANYONE, Command, Router

router = Router(
    {
        "help.title": {
            "sr-Latn": "Komande koje možete da koristite",
            "hu": "Az Ön által használható parancsok",
            "en": "Commands you can use",
        },
        "help.footer": {
            "sr-Latn": "Može i običnim tekstom, npr. „rokovi ove nedelje” ili „sastanci "
            "poglavlje 23”.",
            "hu": "Egyszerű szöveggel is lehet, pl. „határidők” vagy „deadlines next week”.",
            "en": "Plain text works too, e.g. “deadlines next week” or “meetings chapter 23”.",
        },
        "cmd.help": {"sr-Latn": "ovaj spisak", "hu": "ez a lista", "en": "this list"},
        "help.access": {
            "sr-Latn": "Za ostale komande potreban je pristup: /start KOD.",
            "hu": "A többi parancshoz hozzáférés kell: /start KÓD.",
            "en": "Other commands need access: /start CODE.",
        },
    }
)


@router.command("help", aliases=("pomoc", "помоћ", "segitseg", "sugo"), roles=ANYONE)
async def help_(ctx: Context) -> Reply:
    """/help: this list"""
    usable = [c for c in ctx.table.commands if c.listed_for(ctx.roles)]
    footer = ctx.t("help.footer") if ctx.user is not None else ctx.t("help.access")
    return Reply.listing(ctx.t("help.title"), [usage_line(ctx, c) for c in usable], footer=footer)


def usage_line(ctx: Context, command: Command) -> str:
    """The syntax from the docstring, the description from the catalog when it has one."""
    syntax, _, description = command.usage.partition(": ")
    key = f"cmd.{command.name}"
    if has_message(key):
        description = ctx.t(key)
    return f"{syntax} — {description}" if description else syntax
