"""Errors a handler raises for the user to see; the dispatcher translates them at the boundary.

UserError                 safe to show; carries a catalog key and its parameters
├── UsageError            arguments that make no sense for the command
├── PermissionDenied      the sender's roles do not allow it
├── NotFound              nothing with that reference
├── RateLimited           too many lookups in a short time
└── UnknownCommand        no such command (carries the closest one, if any)
"""

from __future__ import annotations


class UserError(Exception):
    """An answer for the user, not a fault: shown translated, never logged as an error."""

    key = "error.generic_user"

    def __init__(self, key: str | None = None, **params: object) -> None:
        self.key = key or type(self).key
        self.params = params
        super().__init__(self.key)


class UsageError(UserError):
    key = "error.usage"


class PermissionDenied(UserError):
    key = "error.permission"


class NotFound(UserError):
    key = "error.not_found"


class RateLimited(UserError):
    key = "error.rate_limited"


class UnknownCommand(UserError):
    key = "error.unknown_command"
