"""/guidelines and /ack."""

from __future__ import annotations

from eudesk.handlers.router import Router

router = Router()
