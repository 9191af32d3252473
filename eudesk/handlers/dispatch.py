"""The one error boundary: a message in, a Reply out, inside one transaction per message."""

from __future__ import annotations

import logging
import time
import unicodedata
from collections.abc import Callable
from datetime import datetime

from eudesk.handlers import i18n
from eudesk.handlers.context import Context, HandlerConfig
from eudesk.handlers.core_messages import CORE_MESSAGES
from eudesk.handlers.errors import PermissionDenied, UsageError, UserError
from eudesk.handlers.messages import Incoming, Reply
from eudesk.handlers.router import CommandTable
from eudesk.storage.db import Database
from eudesk.storage.errors import DatabaseUnavailable
from eudesk.storage.models import Locale, utcnow
from eudesk.storage.repositories import Repositories

logger = logging.getLogger(__name__)

i18n.register(CORE_MESSAGES)


def printable(text: str) -> str:
    """Control characters and lone surrogates become spaces: PostgreSQL rejects NUL in text, and
    no command needs them."""
    return "".join(" " if unicodedata.category(ch) in ("Cc", "Cs") else ch for ch in text)


# (platform, command, outcome: ok|user_error|unavailable|error, seconds): for metrics.
Observer = Callable[[str, str, str, float], None]


class Dispatcher:
    """Resolves the sender, routes, checks the role, runs the handler, translates errors."""

    def __init__(
        self,
        db: Database,
        commands: CommandTable,
        config: HandlerConfig | None = None,
        clock: Callable[[], datetime] = utcnow,
        observe: Observer | None = None,
    ) -> None:
        self.db = db
        self.commands = commands
        self.config = config or HandlerConfig()
        self.clock = clock
        self.observe = observe

    async def handle(self, incoming: Incoming) -> Reply:
        """Always returns a Reply; never raises for anything a user can send."""
        started = time.perf_counter()
        ctx: Context | None = None
        locale = self.config.default_locale
        outcome = "ok"
        try:
            async with self.db.transaction() as session:
                ctx = await self._context(incoming, Repositories(session))
                locale = ctx.locale
                reply = await self._run(ctx)
        except UserError as exc:
            outcome = "user_error"
            reply = Reply.text(i18n.translate(locale, exc.key, **exc.params))
        except DatabaseUnavailable as exc:
            outcome = "unavailable"
            logger.warning("database unavailable while answering %s: %s", incoming.platform, exc)
            reply = Reply.text(i18n.translate(locale, "error.unavailable"))
        except Exception:
            outcome = "error"
            command = ctx.command if ctx else "?"
            logger.exception("handler for /%s failed on %s", command, incoming.platform.value)
            reply = Reply.text(i18n.translate(locale, "error.internal"))
        if ctx is not None and ctx.audit_events:
            await self._write_audit(ctx)
        elapsed = time.perf_counter() - started
        if self.observe is not None:
            command = ctx.command if ctx is not None and ctx.command else "none"
            self.observe(incoming.platform.value, command, outcome, elapsed)
        logger.debug("answered in %.1f ms", elapsed * 1000)
        return reply

    async def _context(self, incoming: Incoming, repos: Repositories) -> Context:
        user = await repos.users.by_identity(incoming.platform, incoming.sender_id)
        if user is not None and not user.active:
            user = None  # a deactivated account is treated as a stranger
        locale = user.locale if user is not None else None
        if locale is None:
            locale = await repos.preferences.locale(incoming.platform, incoming.sender_id)
        if locale is None:
            locale = i18n.parse_locale(incoming.locale_hint or "") or self.config.default_locale
        return Context(
            incoming, user, Locale(locale), repos, self.config, self.clock, self.commands
        )

    async def _run(self, ctx: Context) -> Reply:
        text = printable(ctx.incoming.text).strip()
        if len(text) > self.config.max_message_chars:
            raise UsageError("error.too_long", limit=self.config.max_message_chars)
        resolved = self.commands.resolve(text, ctx.roles)
        ctx.command = resolved.command.name
        ctx.args = resolved.args
        ctx.rest = resolved.rest
        if not resolved.command.allows(ctx.roles):
            if ctx.user is None:
                raise PermissionDenied("error.unknown_sender")
            raise PermissionDenied(command=resolved.command.name)
        return await resolved.command.handler(ctx)

    async def _write_audit(self, ctx: Context) -> None:
        """Audit records survive the handler's rollback: a refused lookup is recorded too."""
        try:
            async with self.db.transaction() as session:
                audit = Repositories(session).audit
                for event in ctx.audit_events:
                    await audit.record(
                        actor=ctx.actor,
                        platform=ctx.incoming.platform.value,
                        actor_user_id=ctx.user_id,
                        action=event.action,
                        allowed=event.allowed,
                        target_type=event.target_type,
                        target_ref=event.target_ref,
                        detail=event.detail,
                        at=self.clock(),
                    )
        except Exception:
            logger.exception("could not write %d audit records", len(ctx.audit_events))
