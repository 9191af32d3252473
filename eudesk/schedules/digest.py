"""The digest: one message per chat at 08:00 on working days listing what is coming, not many."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from eudesk.schedules.calendar import Window, WorkingCalendar
from eudesk.schedules.planner import CHUNK
from eudesk.storage.db import Database
from eudesk.storage.models import DigestFrequency, OutboxState, Subscription, SubscriptionTopic
from eudesk.storage.repositories.planning import (
    DIGEST,
    MEETING,
    DigestSubscription,
    DueItem,
    PlanningRepository,
)
from eudesk.storage.repositories.subscriptions import topic_key

logger = logging.getLogger(__name__)

DAILY_DAYS = 7  # a daily digest looks a week ahead
WEEKLY_DAYS = 14  # a weekly one two weeks, so nothing falls between two of them
MAX_ITEMS = 30  # listed in one message; the rest is counted as "and N more"

ItemsByKey = dict[SubscriptionTopic, dict[str, list[DueItem]]]


def days_ahead(sub: Subscription) -> int:
    return WEEKLY_DAYS if sub.digest is DigestFrequency.WEEKLY else DAILY_DAYS


def first_working_day_of_week(calendar: WorkingCalendar, day: date) -> date | None:
    """The first working day of `day`'s ISO week (Tuesday after a Monday holiday), or None."""
    monday = day - timedelta(days=day.weekday())
    for offset in range(7):
        if calendar.is_working_day(candidate := monday + timedelta(days=offset)):
            return candidate
    return None


def dedupe_key(sub: Subscription, day: date) -> str:
    return f"digest:{sub.id}:{day.isoformat()}"


def digest_payload(day: date, days: int, items: list[DueItem]) -> str:
    """The JSON render_digest needs: the date, the reach, the first MAX_ITEMS, how many more."""
    ordered = sorted(items, key=lambda item: (item.moment, item.item_type, item.id))
    listed = [_item(item) for item in ordered[:MAX_ITEMS]]
    data = {"date": day.isoformat(), "days": days, "items": listed,
            "more": len(ordered) - len(listed)}  # fmt: skip
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


def _item(item: DueItem) -> dict[str, Any]:
    meeting = item.item_type == MEETING
    project = None if meeting else item.project_acronym or item.project_code or item.programme_code
    return {
        "type": item.item_type,
        "id": item.id,
        "moment": item.moment.astimezone(UTC).isoformat(),
        "title": item.title,
        "ref": item.ref,
        "kind": None if meeting else item.kind,
        "project": project,
        "chapter": item.chapter_number if meeting else None,
    }


class DigestPlanner:
    """Plans today's digest of each digest subscription once; safe on several instances."""

    def __init__(
        self,
        db: Database,
        *,
        calendar: WorkingCalendar,
        zone: ZoneInfo,
        at: time = time(8, 0),
        clock: Callable[[], datetime],
        chunk: int = CHUNK,
    ) -> None:
        self._db = db
        self._calendar = calendar
        self._zone = zone
        self._at = at
        self._clock = clock
        self._chunk = chunk
        # Subscriptions done for the day (planned, planned elsewhere, or nothing to list), so the
        # tick every few seconds does not read their items again until tomorrow.
        self._settled_day: date | None = None
        self._settled: set[int] = set()

    async def plan_once(self) -> int:
        """One tick: drop earlier days' unsent digests, then plan today's; rows created."""
        now = self._clock()
        await self.cancel_past(now)
        return await self.plan_today(now)

    async def cancel_past(self, now: datetime) -> int:
        """Cancel pending digests of earlier days: after downtime only today's is news."""
        today = now.astimezone(self._zone).date()
        midnight = datetime.combine(today, time(0), self._zone).astimezone(UTC)
        async with self._db.transaction() as session:
            repo = PlanningRepository(session, self._db.dialect)
            return await repo.cancel(await repo.stale_digests(midnight))

    async def plan_today(self, now: datetime) -> int:
        """Plan the digests due at `now` (today's, within each window); rows created."""
        local = now.astimezone(self._zone)
        today = local.date()
        if today != self._settled_day:
            self._settled_day, self._settled = today, set()
        if not self._calendar.is_working_day(today) or local.time() < self._at:
            return 0
        created, after = 0, 0
        while True:
            async with self._db.transaction() as session:
                repo = PlanningRepository(session, self._db.dialect)
                chunk = await repo.digest_subscriptions(after, self._chunk)
                due = [d for d in chunk if self._due(d.subscription, now, today)]
                made, settled = await self._plan(repo, due, now, today) if due else (0, set())
            created += made
            self._settled |= settled  # only once committed: a failed tick retries them
            if len(chunk) < self._chunk:
                break
            after = chunk[-1].subscription.id
        if created:
            logger.info("planned %d digests for %s", created, today.isoformat())
        return created

    def _due(self, sub: Subscription, now: datetime, today: date) -> bool:
        """Not settled today, inside its allowed hours now, and its day (weekly: the first)."""
        if sub.id in self._settled:
            return False
        try:
            window = Window(sub.quiet_start, sub.quiet_end)
        except ValueError:  # a nonsense window in the row: the default hours rather than none
            window = Window()
        if not self._calendar.is_allowed(now, window):
            return False  # before its window opens it waits; after it closed, today is skipped
        weekly = sub.digest is DigestFrequency.WEEKLY
        return not weekly or first_working_day_of_week(self._calendar, today) == today

    async def _plan(
        self, repo: PlanningRepository, due: list[DigestSubscription], now: datetime, today: date
    ) -> tuple[int, set[int]]:
        """Rows for the due digests not yet planned; (created, subscriptions settled)."""
        existing = await repo.existing_keys([dedupe_key(d.subscription, today) for d in due])
        todo = [d for d in due if dedupe_key(d.subscription, today) not in existing]
        settled = {d.subscription.id for d in due} - {d.subscription.id for d in todo}
        if not todo:
            return 0, settled
        contents = await self._contents(repo, todo, now)
        rows = []
        for digest in todo:
            sub = digest.subscription
            settled.add(sub.id)
            if items := contents.get(sub.id):
                rows.append(_row(sub, today, now, digest_payload(today, days_ahead(sub), items)))
        return await repo.insert(rows), settled

    async def _contents(
        self, repo: PlanningRepository, todo: list[DigestSubscription], now: datetime
    ) -> dict[int, list[DueItem]]:
        """Each digest's items: its chat's item subscriptions', else its body's deadlines."""
        reach = now + timedelta(days=max(days_ahead(d.subscription) for d in todo))
        chats: dict[tuple[str, str], list[Subscription]] = defaultdict(list)
        for item_sub in await repo.item_subscriptions_of_chats({d.subscription.chat_id
                                                                for d in todo}):  # fmt: skip
            chats[(item_sub.platform, item_sub.chat_id)].append(item_sub)
        wanted: dict[SubscriptionTopic, set[str]] = defaultdict(set)
        for item_subs in chats.values():
            for item_sub in item_subs:
                if (key := topic_key(item_sub)) is not None:
                    wanted[item_sub.topic].add(key)
        fallback = {d.body_code for d in todo if _chat(d.subscription) not in chats}
        wanted[SubscriptionTopic.BODY_DEADLINES] |= {code for code in fallback if code}
        found: ItemsByKey = defaultdict(lambda: defaultdict(list))
        for topic, keys in wanted.items():
            if keys:
                for key, item in await repo.due_items(topic, keys, now, reach):
                    found[topic][key].append(item)
        contents: dict[int, list[DueItem]] = {}
        for digest in todo:
            sub = digest.subscription
            sources = [(s.topic, topic_key(s)) for s in chats.get(_chat(sub), [])]
            if _chat(sub) not in chats and digest.body_code:
                sources = [(SubscriptionTopic.BODY_DEADLINES, digest.body_code)]
            until = now + timedelta(days=days_ahead(sub))
            contents[sub.id] = _unique(
                item
                for topic, key in sources
                if key is not None
                for item in found[topic][key]
                if item.moment <= until
            )
        return contents


def _chat(sub: Subscription) -> tuple[str, str]:
    return (sub.platform, sub.chat_id)


def _unique(items: Iterable[DueItem]) -> list[DueItem]:
    """Each item once, though several of the chat's subscriptions match it."""
    return list({(item.item_type, item.id): item for item in items}.values())


def _row(sub: Subscription, day: date, now: datetime, body: str) -> dict[str, Any]:
    return {
        "dedupe_key": dedupe_key(sub, day),
        "platform": sub.platform,
        "chat_id": sub.chat_id,
        "subscription_id": sub.id,
        "contact_id": sub.contact_id,
        "kind": DIGEST,
        "item_type": None,
        "item_id": None,
        "item_version": None,
        "locale": sub.locale,
        "payload": body,
        "due_at": now,
        "state": OutboxState.PENDING,
        "attempts": 0,
    }
