"""/calendar: an .ics of what the caller follows."""

from __future__ import annotations

from eudesk.handlers.router import Router

router = Router()
