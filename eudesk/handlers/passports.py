"""/passport, /visa and /passport_set (personal data: restricted, masked, audited, rate-limited)."""

from __future__ import annotations

from eudesk.handlers.router import Router

router = Router()
