"""Users, their roles and chat identities."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from eudesk.storage.errors import DuplicateRecord, RecordNotFound
from eudesk.storage.models import Body, Identity, Locale, Platform, Role, User, UserRole


class UserRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(
        self,
        name: str,
        roles: Iterable[Role],
        *,
        locale: Locale = Locale.SR_LATN,
        body_code: str | None = None,
        identities: Iterable[tuple[Platform, str]] = (),
    ) -> User:
        """Create a user with roles and identities; refuses a taken name or identity."""
        if await self._session.scalar(select(User.id).where(User.name == name)) is not None:
            raise DuplicateRecord("user", name)
        body_id = None
        if body_code is not None:
            body_id = await self._session.scalar(select(Body.id).where(Body.code == body_code))
            if body_id is None:
                raise RecordNotFound("body", body_code)
        user = User(name=name, locale=locale, body_id=body_id)
        user.roles = [UserRole(role=role) for role in sorted(set(roles))]
        user.identities = []
        for platform, external_id in identities:
            if await self.by_identity(platform, external_id) is not None:
                raise DuplicateRecord(f"{platform.value} identity", external_id)
            user.identities.append(Identity(platform=platform, external_id=external_id))
        self._session.add(user)
        await self._session.flush()
        return user

    async def add_identity(self, user: User, platform: Platform, external_id: str) -> None:
        if await self.by_identity(platform, external_id) is not None:
            raise DuplicateRecord(f"{platform.value} identity", external_id)
        user.identities.append(Identity(platform=platform, external_id=external_id))
        await self._session.flush()

    async def get(self, name: str) -> User:
        user = await self._session.scalar(select(User).where(User.name == name))
        if user is None:
            raise RecordNotFound("user", name)
        return user

    async def by_identity(self, platform: Platform, external_id: str) -> User | None:
        """The user a chat account speaks for, if any (the query every message starts with)."""
        return await self._session.scalar(
            select(User)
            .join(Identity, Identity.user_id == User.id)
            .where(Identity.platform == platform, Identity.external_id == external_id)
        )

    async def list(self) -> Sequence[User]:
        return (await self._session.scalars(select(User).order_by(User.name))).all()

    async def grant(self, name: str, role: Role) -> User:
        user = await self.get(name)
        if role not in user.role_set:
            user.roles.append(UserRole(role=role))
            await self._session.flush()
        return user

    async def revoke(self, name: str, role: Role) -> User:
        user = await self.get(name)
        user.roles = [r for r in user.roles if r.role != role]
        await self._session.flush()
        return user
