"""Projects: a filtered, paged search, one project by code, and the words a filter is made of."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from eudesk.storage.models import (
    Body,
    BodyKind,
    Deadline,
    DeadlineStatus,
    Programme,
    Project,
    ProjectPartner,
    ProjectStatus,
)
from eudesk.storage.text import contains_pattern, fold

# Words of programme names that also fill project titles ("cross-border", "cooperation") or say
# nothing alone: a phrase needs another word before it names a programme.
_WEAK_WORDS = frozenset(
    {
        "a", "and", "for", "the", "of", "pre", "vi", "b", "cross", "border", "cooperation",
        "programme", "program", "region", "strategy", "instrument", "assistance", "accession",
        "digital", "union",
    }
)  # fmt: skip
# Said before a municipality's name; absorbed with it rather than searched as text.
_LSGU_PREFIXES = frozenset({"grad", "opstina", "city", "municipality", "varos", "kozseg"})
_MAX_SPAN = 4


@dataclass(frozen=True, slots=True)
class ProjectFilter:
    """What /projects asks for; empty parts match everything, and all parts must hold."""

    statuses: frozenset[ProjectStatus] = frozenset()
    programmes: tuple[Programme, ...] | None = None  # None: any; (): none can match
    municipalities: tuple[Body, ...] = ()  # a partner is one of these
    words: tuple[str, ...] = ()  # each must occur in the project's search key

    @property
    def is_empty(self) -> bool:
        return not (self.statuses or self.programmes is not None or self.municipalities
                    or self.words)  # fmt: skip


class ProjectRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def search(
        self, spec: ProjectFilter, page: int, page_size: int
    ) -> tuple[list[Project], int]:
        """One page of matching projects by code, with their programme, and how many match."""
        if spec.programmes == ():
            return [], 0
        conditions = _conditions(spec)
        total = int(
            await self._session.scalar(select(func.count(Project.id)).where(*conditions)) or 0
        )
        offset = (page - 1) * page_size
        if offset >= total:
            return [], total
        query = (
            select(Project)
            .join(Project.programme)
            .options(contains_eager(Project.programme))
            .where(*conditions)
            .order_by(Project.code)
            .offset(offset)
            .limit(page_size)
        )
        return list((await self._session.scalars(query)).all()), total

    async def get_by_code(self, code: str) -> Project | None:
        """A project by code, in any case, with its programme and partners."""
        return await self._session.scalar(
            select(Project)
            .options(joinedload(Project.programme), selectinload(Project.partners))
            .where(func.upper(Project.code) == code.upper())
        )

    async def next_deadlines(
        self, project_id: int, now: datetime, limit: int = 3
    ) -> list[Deadline]:
        """The project's open deadlines from now on, soonest first."""
        query = (
            select(Deadline)
            .where(
                Deadline.project_id == project_id,
                Deadline.status == DeadlineStatus.OPEN,
                Deadline.due_at >= now,
            )
            .order_by(Deadline.due_at, Deadline.id)
            .limit(limit)
        )
        return list((await self._session.scalars(query)).all())

    async def resolve_filter(self, words: Sequence[str]) -> ProjectFilter:
        """Folded words to programmes (code or name phrase), municipalities and leftover text.

        Longer phrases win ("novi sad" before "novi"); programme phrases narrow each other
        ("interreg hungary" is HUSRB), municipalities add up (projects of either).
        """
        if not words:
            return ProjectFilter()
        programmes = list(await self._session.scalars(select(Programme).order_by(Programme.code)))
        lsgus = list(
            await self._session.scalars(
                select(Body).where(Body.kind.in_((BodyKind.CITY, BodyKind.MUNICIPALITY)))
            )
        )
        names = {name: body for body in lsgus for name in _body_names(body)}
        chosen: tuple[Programme, ...] | None = None
        places: dict[int, Body] = {}
        text: list[str] = []
        i = 0
        while i < len(words):
            for width in range(min(_MAX_SPAN, len(words) - i), 0, -1):
                span = words[i : i + width]
                phrase = " ".join(span)
                if phrase in names:
                    places[names[phrase].id] = names[phrase]
                    if text and text[-1] in _LSGU_PREFIXES:
                        text.pop()
                    break
                matched = _programmes_named(programmes, span)
                if matched:
                    chosen = matched if chosen is None else tuple(p for p in chosen if p in matched)
                    break
            else:
                text.append(words[i])
                width = 1
            i += width
        return ProjectFilter(
            programmes=chosen, municipalities=tuple(places.values()), words=tuple(text)
        )


def _conditions(spec: ProjectFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if spec.statuses:
        conditions.append(Project.status.in_(sorted(spec.statuses)))
    if spec.programmes is not None:
        conditions.append(Project.programme_id.in_([p.id for p in spec.programmes]))
    if spec.municipalities:
        # IN, not EXISTS: the planner starts from the body's partner rows (indexed by body)
        # instead of probing the partners of every project.
        conditions.append(
            Project.id.in_(
                select(ProjectPartner.project_id).where(
                    ProjectPartner.body_id.in_([b.id for b in spec.municipalities])
                )
            )
        )
    for word in spec.words:
        pattern = contains_pattern(word)
        conditions.append(Project.search_key.like(pattern, escape="\\"))
    return conditions


def _body_names(body: Body) -> set[str]:
    names = (body.name_sr_latn, body.name_sr_cyrl, body.name_hu, body.name_en)
    return {fold(n) for n in names if n}


def _name_words(text: str) -> list[str]:
    return [w for w in re.split(r"[^a-z0-9]+", fold(text)) if w]


def _programmes_named(programmes: list[Programme], span: Sequence[str]) -> tuple[Programme, ...]:
    """The programmes a phrase names: its code ("husrb", "ipa 3") or a run of its name's words."""
    squeezed = "".join(_name_words(" ".join(span)))
    by_code = tuple(p for p in programmes if _name_words(p.code) == [squeezed])
    if by_code:
        return by_code
    words = _name_words(" ".join(span))
    if not any(len(w) >= 3 and w not in _WEAK_WORDS for w in words):
        return ()
    return tuple(p for p in programmes if _contains_run(_name_words(p.name), words))


def _contains_run(haystack: list[str], needle: list[str]) -> bool:
    n = len(needle)
    return any(haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))
