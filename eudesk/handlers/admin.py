"""/invite: invite codes for new users and contacts."""

from __future__ import annotations

from eudesk.handlers.router import Router

router = Router()
