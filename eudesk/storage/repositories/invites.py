"""Invite codes: made by coordinators, redeemed once by a new chat with /start CODE."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.errors import RecordNotFound
from eudesk.storage.models import (
    Contact,
    Identity,
    Invite,
    Locale,
    Platform,
    Role,
    User,
    UserRole,
)

# No 0/O or 1/I/L: codes are read aloud and typed on phones.
_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"


class InviteRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def create(
        self,
        now: datetime,
        *,
        role: Role | None = None,
        contact_ref: str | None = None,
        created_by: int | None = None,
        valid_for: timedelta = timedelta(days=7),
    ) -> Invite:
        """A new code for a role, or for a known contact (who then gets the contact role)."""
        contact_id = None
        if contact_ref is not None:
            contact_id = await self._session.scalar(
                select(Contact.id).where(Contact.ref == contact_ref)
            )
            if contact_id is None:
                raise RecordNotFound("contact", contact_ref)
        code = "".join(secrets.choice(_ALPHABET) for _ in range(8))
        invite = Invite(
            code=code,
            role=role if contact_id is None else Role.CONTACT,
            contact_id=contact_id,
            created_by=created_by,
            expires_at=now + valid_for,
        )
        self._session.add(invite)
        await self._session.flush()
        return invite

    async def redeem(
        self, code: str, now: datetime, *, platform: Platform, external_id: str, name: str,
        locale: Locale,
    ) -> User | None:  # fmt: skip
        """Link the chat to a new user per the invite; None when the code is unknown or spent."""
        invite = await self._session.scalar(
            select(Invite).where(Invite.code == code.strip().upper()).with_for_update()
        )
        if invite is None or invite.used_at is not None or invite.expires_at <= now:
            return None
        contact = await self._session.get(Contact, invite.contact_id) if invite.contact_id else None
        unique_name = await self._free_name(contact.name if contact else name)
        user = User(
            name=unique_name,
            locale=contact.locale if contact else locale,
            body_id=contact.body_id if contact else None,
            contact_id=contact.id if contact else None,
        )
        user.roles = [UserRole(role=invite.role or Role.STAFF)]
        user.identities = [Identity(platform=platform, external_id=external_id)]
        self._session.add(user)
        await self._session.flush()
        invite.used_at = now
        invite.used_by = user.id
        if contact is not None and platform == Platform.TELEGRAM:
            contact.telegram_chat_id = external_id
        await self._session.flush()
        return user

    async def _free_name(self, wanted: str) -> str:
        """User names are unique; a second "Ana Petrović" becomes "Ana Petrović (2)"."""
        wanted = wanted.strip()[:180] or "user"
        taken = set(
            await self._session.scalars(select(User.name).where(User.name.like(f"{wanted}%")))
        )
        if wanted not in taken:
            return wanted
        n = 2
        while f"{wanted} ({n})" in taken:
            n += 1
        return f"{wanted} ({n})"
