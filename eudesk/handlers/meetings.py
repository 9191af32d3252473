"""/meetings and /meeting ID with its .ics."""

from __future__ import annotations

from eudesk.handlers.router import Router

router = Router()
