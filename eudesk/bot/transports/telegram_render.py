"""Telegram without the SDK: a Reply as HTML chunks and keyboard rows, menus, command addressing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html import escape

from eudesk.handlers import i18n
from eudesk.handlers.messages import Button, Reply
from eudesk.handlers.router import CommandTable
from eudesk.storage.models import Locale, Role

# Telegram's limit for one message, counted in UTF-16 code units.
MAX_MESSAGE = 4096
BUTTONS_PER_ROW = 3


@dataclass(frozen=True, slots=True)
class Line:
    """One line of a message: its HTML and the plain text it falls back to when too long."""

    html: str
    plain: str


@dataclass(slots=True)
class Rendered:
    """The message texts in order; the keyboard belongs under the last one."""

    texts: list[str] = field(default_factory=list)
    keyboard: list[list[Button]] = field(default_factory=list)


def units(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def reply_lines(reply: Reply) -> list[Line]:
    """The reply's content line by line, each line well-formed HTML on its own."""
    out: list[Line] = []

    def add(text: str, wrap: tuple[str, str] = ("", "")) -> None:
        # A handler's text may hold newlines; tags must not span them, or a split breaks them.
        for part in text.split("\n"):
            html = f"{wrap[0]}{escape(part, quote=False)}{wrap[1]}" if part else ""
            out.append(Line(html, part))

    if reply.title:
        add(reply.title, ("<b>", "</b>"))
    for text in reply.lines:
        add(text)
    for name, value in reply.fields:
        name_line = name.replace("\n", " ")
        first, *rest = value.split("\n")
        out.append(
            Line(
                f"<b>{escape(name_line, quote=False)}</b>: {escape(first, quote=False)}",
                f"{name_line}: {first}",
            )
        )
        for part in rest:
            add(part)
    for item in reply.items:
        first, *rest = item.split("\n")
        out.append(Line(f"• {escape(first, quote=False)}", f"• {first}"))
        for part in rest:
            add(part)
    if reply.footer:
        add(reply.footer, ("<i>", "</i>"))
    return out


def split_plain(text: str, limit: int) -> list[str]:
    """Escaped pieces of an over-long line, each within limit, cut at a space when one is near."""
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    for ch in text:
        escaped = escape(ch, quote=False)
        if size + units(escaped) > limit:
            pieces.append(_cut_at_space(current, pieces))
            size = sum(units(escape(c, quote=False)) for c in current)
        current.append(ch)
        size += units(escaped)
    if current:
        pieces.append(escape("".join(current), quote=False))
    return pieces


def _cut_at_space(current: list[str], pieces: list[str]) -> str:
    """Emit the text before the last space in current (or all of it); keep the rest in current."""
    text = "".join(current)
    cut = text.rfind(" ", len(text) // 2)
    head, tail = (text[: cut + 1], text[cut + 1 :]) if cut > 0 else (text, "")
    current[:] = list(tail)
    return escape(head, quote=False)


def pack(lines: list[Line], limit: int = MAX_MESSAGE) -> list[str]:
    """Join lines into messages under limit; a message is never cut inside a line's tags."""
    chunks: list[str] = []
    current: list[str] = []
    size = 0
    for line in lines:
        pieces = [line.html] if units(line.html) <= limit else split_plain(line.plain, limit)
        for piece in pieces:
            extra = units(piece) + (1 if current else 0)  # the newline joining it
            if current and size + extra > limit:
                chunks.append("\n".join(current))
                current, extra = [], units(piece)
                size = 0
            current.append(piece)
            size += extra
    if current:
        chunks.append("\n".join(current))
    # Telegram refuses a message that is empty or only whitespace.
    return [chunk.strip("\n") for chunk in chunks if chunk.strip()]


def keyboard(buttons: list[Button]) -> list[list[Button]]:
    return [buttons[i : i + BUTTONS_PER_ROW] for i in range(0, len(buttons), BUTTONS_PER_ROW)]


def render(reply: Reply, limit: int = MAX_MESSAGE) -> Rendered:
    """Texts to send in order (none when the reply is only attachments) and the keyboard rows."""
    texts = pack(reply_lines(reply), limit)
    if reply.buttons and not texts:
        texts = ["…"]  # a keyboard needs a message to hang under
    return Rendered(texts, keyboard(reply.buttons))


# Telegram's menu languages (ISO 639-1) and ours; None is the menu for every other language.
MENU_LANGUAGES: dict[str, Locale] = {"sr": Locale.SR_LATN, "hu": Locale.HU, "en": Locale.EN}
# The menu shows the everyday commands; coordinator and passport commands stay in /help.
MENU_ROLES = frozenset({Role.STAFF, Role.CONTACT})
_MENU_NAME = re.compile(r"^[a-z0-9_]{1,32}$")
_COMMAND_HEAD = re.compile(r"^(/[^\s@]+)(?:@(\S*))?")


def menus(commands: CommandTable, default: Locale) -> dict[str | None, list[tuple[str, str]]]:
    """setMyCommands entries (name, localized description) per Telegram language code."""
    listed = [
        c.name
        for c in commands.commands
        if _MENU_NAME.match(c.name)
        and i18n.has_message(f"cmd.{c.name}")
        and c.listed_for(MENU_ROLES)
    ]
    languages: dict[str | None, Locale] = {None: default}
    languages.update(MENU_LANGUAGES)
    return {
        code: [(name, i18n.translate(locale, f"cmd.{name}")[:256]) for name in listed]
        for code, locale in languages.items()
    }


def addressed(text: str, bot_username: str) -> str | None:
    """ "/cmd@thisbot args" as "/cmd args"; None for a command addressed to another bot."""
    match = _COMMAND_HEAD.match(text)
    if match is None:
        return text
    target = match.group(2)
    if target is not None and target.casefold() != bot_username.casefold():
        return None
    return match.group(1) + text[match.end() :]


def file_url(base_url: str) -> str:
    """PTB's base_file_url for a base_url: ".../bot" serves files at ".../file/bot"."""
    head, sep, tail = base_url.rstrip("/").rpartition("/")
    return f"{head}/file/{tail}" if sep and tail == "bot" else base_url
