"""Routers collect a feature's commands; the CommandTable resolves text to a command."""

from __future__ import annotations

import difflib
import inspect
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from eudesk.handlers import i18n
from eudesk.handlers.errors import UnknownCommand
from eudesk.storage.models import Role
from eudesk.storage.text import fold

if TYPE_CHECKING:
    from eudesk.handlers.context import Context
    from eudesk.handlers.messages import Reply

Handler = Callable[["Context"], Awaitable["Reply"]]

# Who may run a command. None: anyone, even a sender eudesk does not know yet.
ANYONE: frozenset[Role] | None = None
MEMBERS = frozenset(Role)
STAFF = frozenset({Role.STAFF, Role.COORDINATOR, Role.PASSPORT_OFFICER, Role.ADMIN})
COORDINATORS = frozenset({Role.COORDINATOR, Role.ADMIN})
PASSPORT_OFFICERS = frozenset({Role.PASSPORT_OFFICER, Role.ADMIN})


@dataclass(frozen=True, slots=True)
class Command:
    """A command with its aliases, who may run it, and its usage line (the docstring)."""

    name: str
    handler: Handler
    aliases: tuple[str, ...]
    roles: frozenset[Role] | None
    usage: str
    shown_to: frozenset[Role] | None  # who sees it in /help; usually the same as roles

    def listed_for(self, roles: frozenset[Role] | None) -> bool:
        if self.shown_to is None:
            return True
        return roles is not None and bool(self.shown_to & roles)

    def allows(self, roles: frozenset[Role] | None) -> bool:
        """roles is None for an unknown sender."""
        if self.roles is None:
            return True
        return roles is not None and bool(self.roles & roles)


class Router:
    """One per feature module: its commands and its messages."""

    def __init__(self, messages: i18n.Messages | None = None) -> None:
        self.commands: list[Command] = []
        if messages:
            i18n.register(messages)

    def command(
        self,
        name: str,
        *,
        aliases: Iterable[str] = (),
        roles: frozenset[Role] | None,
        shown_to: frozenset[Role] | Literal["same"] | None = "same",
    ) -> Callable[[Handler], Handler]:
        """Register a handler. `shown_to` narrows /help when a handler checks roles itself."""
        listed = roles if shown_to == "same" else shown_to

        def register(handler: Handler) -> Handler:
            usage = (inspect.getdoc(handler) or f"/{name}").splitlines()[0]
            self.commands.append(Command(name, handler, tuple(aliases), roles, usage, listed))
            return handler

        return register


@dataclass(frozen=True, slots=True)
class Resolved:
    command: Command
    args: list[str]
    rest: str


class CommandTable:
    """Every command by name and alias, matched across scripts and diacritics."""

    def __init__(self, routers: Iterable[Router]) -> None:
        self.commands: list[Command] = [c for r in routers for c in r.commands]
        self._by_word: dict[str, Command] = {}
        for command in self.commands:
            for word in (command.name, *command.aliases):
                key = fold(word).replace(" ", "_")
                if key in self._by_word and self._by_word[key] is not command:
                    raise ValueError(f"{word!r} names both {command.name} and another command")
                self._by_word[key] = command

    def resolve(self, text: str, roles: frozenset[Role] | None = None) -> Resolved:
        """A "/command args" line or free text ("rokovi ove nedelje") to a command."""
        words = text.split()
        if not words:
            raise UnknownCommand("error.empty")
        head = words[0]
        slash = head.startswith("/")
        head = head.lstrip("/").split("@", 1)[0]  # "/deadlines@eudesk_bot" in a group
        # Two-word aliases first ("ack status"), then one word.
        for width in (2, 1):
            if len(words) < width:
                continue
            key = fold(" ".join([head, *words[1:width]])).replace(" ", "_")
            command = self._by_word.get(key)
            if command is not None:
                args = words[width:]
                return Resolved(command, args, " ".join(args))
        suggestion = self.closest(head, roles)
        if slash:
            raise UnknownCommand(command=head[:40], suggestion=suggestion or "help")
        raise UnknownCommand("error.not_understood", suggestion=suggestion or "help")

    def closest(self, word: str, roles: frozenset[Role] | None = None) -> str | None:
        """The nearest command the caller would see in /help (never one hidden from them)."""
        words = [w for w, command in self._by_word.items() if command.listed_for(roles)]
        matches = difflib.get_close_matches(fold(word), words, n=1, cutoff=0.6)
        return self._by_word[matches[0]].name if matches else None
