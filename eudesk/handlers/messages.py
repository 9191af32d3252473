"""The platform-neutral message model: what comes in (Incoming) and what goes out (Reply)."""

from __future__ import annotations

from dataclasses import dataclass, field

from eudesk.storage.models import Platform

# Telegram limits callback data to 64 bytes; every button of ours must fit everywhere.
MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True, slots=True)
class Incoming:
    """One message or button press, as every transport describes it."""

    platform: Platform
    chat_id: str
    sender_id: str  # Telegram user id, Slack "TEAM:USER", console user name
    text: str
    sender_name: str | None = None
    locale_hint: str | None = None  # the client's language, when the platform says
    is_callback: bool = False  # a button press: text is the button's callback data
    is_group: bool = False


@dataclass(frozen=True, slots=True)
class Button:
    """A button whose callback, when pressed, comes back as a command line."""

    label: str
    callback: str

    def __post_init__(self) -> None:
        if len(self.callback.encode()) > MAX_CALLBACK_BYTES:
            raise ValueError(f"callback {self.callback!r} is over {MAX_CALLBACK_BYTES} bytes")


@dataclass(frozen=True, slots=True)
class Attachment:
    """A file sent with a reply, such as an .ics calendar."""

    filename: str
    content: bytes
    media_type: str


@dataclass(slots=True)
class Reply:
    """A small document every transport can render: title, lines, fields, items, buttons, files."""

    title: str | None = None
    lines: list[str] = field(default_factory=list)
    fields: list[tuple[str, str]] = field(default_factory=list)
    items: list[str] = field(default_factory=list)
    buttons: list[Button] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    footer: str | None = None

    @classmethod
    def text(cls, text: str) -> Reply:
        return cls(lines=[text])

    @classmethod
    def listing(cls, title: str, items: list[str], *, footer: str | None = None) -> Reply:
        return cls(title=title, items=items, footer=footer)

    def plain(self) -> str:
        """The reply as plain text: the console's rendering and every transport's fallback."""
        parts: list[str] = []
        if self.title:
            parts.append(self.title)
        parts.extend(self.lines)
        parts.extend(f"{name}: {value}" for name, value in self.fields)
        parts.extend(f"• {item}" for item in self.items)
        if self.footer:
            parts.append(self.footer)
        if self.buttons:
            parts.append("  ".join(f"[{b.label}: {b.callback}]" for b in self.buttons))
        parts.extend(f"(attached: {a.filename})" for a in self.attachments)
        return "\n".join(parts)
