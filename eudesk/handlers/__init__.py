"""Answering: message model, router, dispatcher (error boundary), a module per feature, i18n."""

from __future__ import annotations

from eudesk.handlers import (
    account,
    admin,
    agreements,
    broadcasts,
    calendar,
    deadlines,
    guidelines,
    help,
    meetings,
    passports,
    projects,
    subscriptions,
)
from eudesk.handlers.router import CommandTable, Router

# Every feature router, in the order /help lists them.
ROUTERS: list[Router] = [
    help.router,
    account.router,
    deadlines.router,
    projects.router,
    meetings.router,
    calendar.router,
    subscriptions.router,
    guidelines.router,
    broadcasts.router,
    agreements.router,
    passports.router,
    admin.router,
]


def command_table() -> CommandTable:
    """All commands of all features, resolved by name and alias."""
    return CommandTable(ROUTERS)
