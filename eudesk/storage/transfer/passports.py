"""Passport rules shared by the import and /passport: how a reference is written, status moves."""

from __future__ import annotations

import re

from eudesk.storage.models.enums import DocumentStatus as S
from eudesk.storage.text import fold

_REFERENCE = re.compile(r"[A-Z0-9][A-Z0-9./_-]{0,39}")

# Where a status may go next: forward along requested → submitted → issued → delivered (steps
# may be skipped when entered late); returned/expired only once a document exists; expired can
# still be revoked; nothing follows revoked, and nothing ever goes back to an earlier step.
TRANSITIONS: dict[S, frozenset[S]] = {
    S.REQUESTED: frozenset({S.SUBMITTED, S.ISSUED, S.DELIVERED, S.REVOKED}),
    S.SUBMITTED: frozenset({S.ISSUED, S.DELIVERED, S.REVOKED}),
    S.ISSUED: frozenset({S.DELIVERED, S.RETURNED, S.EXPIRED, S.REVOKED}),
    S.DELIVERED: frozenset({S.RETURNED, S.EXPIRED, S.REVOKED}),
    S.RETURNED: frozenset({S.EXPIRED, S.REVOKED}),
    S.EXPIRED: frozenset({S.REVOKED}),
    S.REVOKED: frozenset(),
}


def normalise_reference(text: str) -> str | None:
    """'pas-2026-1' or 'ПАС-2026-1' as stored and looked up ('PAS-2026-1'); None if it cannot be."""
    reference = fold(text).upper()
    return reference if _REFERENCE.fullmatch(reference) else None


def check_reference(value: str) -> str:
    """A validator: the stored form of a passport reference, or a readable error."""
    reference = normalise_reference(value)
    if reference is None:
        raise ValueError(
            f"{value!r} is not a passport reference; use at most 40 letters, digits and . / _ -, "
            "starting with a letter or digit"
        )
    return reference


def may_move(old: S, new: S) -> bool:
    """Whether an import may set a record's status from old to new (staying put always may)."""
    return new == old or new in TRANSITIONS[old]
