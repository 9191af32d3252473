"""The planner: subscriptions × upcoming items × lead times become deduplicated outbox rows."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from eudesk.schedules.calendar import Window, WorkingCalendar
from eudesk.storage.db import Database
from eudesk.storage.models import OutboxState, Subscription, SubscriptionTopic
from eudesk.storage.repositories.planning import (
    CANCELLATION,
    MEETING,
    REMINDER,
    DueItem,
    OverdueReminder,
    PlanningRepository,
)
from eudesk.storage.repositories.subscriptions import (
    MAX_LEAD_MINUTES,
    lead_minutes,
    topic_key,
)

logger = logging.getLogger(__name__)

# (fire moment, subscription, now, item moment) -> the moment to send, or None to skip it.
Place = Callable[[datetime, Subscription, datetime, datetime], "datetime | None"]

# Items are read this much beyond the largest lead: placement may move a fire earlier (to the
# last working slot before a long holiday weekend), so its row must exist before then.
MARGIN = timedelta(days=7)
CHUNK = 500
ANALYZE_AFTER = 5000  # new rows in one tick after which the outbox's statistics are refreshed


def calendar_place(
    calendar: WorkingCalendar,
) -> Place:
    """The planner's placement through working days and each subscription's allowed hours."""

    def place(fire: datetime, sub: Subscription, now: datetime, item: datetime) -> datetime | None:
        try:
            window = Window(sub.quiet_start, sub.quiet_end)
        except ValueError:  # a nonsense window in the row: the default hours rather than none
            window = Window()
        return calendar.place(fire, window, now=now, not_after=item)

    return place


def no_calendar(fire: datetime, sub: Subscription, now: datetime, item: datetime) -> datetime:
    """The placement without a working-day calendar: the fire moment, or now if it has passed."""
    return fire if fire >= now else now


def leads_to_plan(moment: datetime, leads: list[int], now: datetime) -> list[int]:
    """The leads whose fire is ahead, plus only the latest of those already past (sent now).

    Stable across runs: a lead passes only after its row was planned while it was ahead, so
    the latest past lead is always one that already has its row (or gets it once).
    """
    ahead = [lead for lead in leads if moment - timedelta(minutes=lead) > now]
    past = [lead for lead in leads if moment - timedelta(minutes=lead) <= now]
    return ahead + ([min(past)] if past else [])


def payload(item: DueItem, lead: int | None) -> str:
    """The JSON a renderer needs: the item, its moment in UTC, its project or meeting place."""
    data: dict[str, Any] = {"item_type": item.item_type, "item_id": item.id, "ref": item.ref,
                            "title": item.title}  # fmt: skip
    if item.item_type == MEETING:
        data |= {
            "starts_at": _iso(item.moment),
            "ends_at": _iso(item.ends_at) if item.ends_at else None,
            "place": item.place,
            "agenda": item.agenda,
            "chapter_number": item.chapter_number,
            "cluster_number": item.cluster_number,
        }
    else:
        data |= {
            "kind": item.kind,
            "due_at": _iso(item.moment),
            "project_code": item.project_code,
            "project_acronym": item.project_acronym,
            "programme_code": item.programme_code,
            "programme_name": item.programme_name,
        }
    if lead is not None:
        data["lead_minutes"] = lead
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True, slots=True)
class PlanReport:
    created: int  # new reminder rows
    cancelled: int  # pending rows cancelled (item moved, cancelled, done, passed; superseded)
    notices: int  # new cancellation notices


class Planner:
    """Writes what is due into the outbox; safe to run often and on several instances."""

    def __init__(
        self,
        db: Database,
        *,
        place: Place = no_calendar,
        clock: Callable[[], datetime],
        horizon_minutes: int | None = None,
        chunk: int = CHUNK,
    ) -> None:
        """horizon_minutes: how far ahead items are read; None = each subscription's largest
        lead plus MARGIN. A smaller horizon plans long leads late (sent at once, as missed)."""
        self._db = db
        self._place = place
        self._clock = clock
        self._horizon = None if horizon_minutes is None else timedelta(minutes=horizon_minutes)
        self._chunk = chunk

    async def plan_once(self) -> PlanReport:
        """One tick: cancel what went stale, plan what is due, notice the reminded of cancels."""
        now = self._clock()
        cancelled = await self._cancel_stale(now)
        created = 0
        after = 0
        while True:
            async with self._db.transaction() as session:
                repo = PlanningRepository(session, self._db.dialect)
                subs = await repo.subscriptions(after, self._chunk)
                if subs:
                    created += await repo.insert(await self._rows(repo, subs, now))
            if len(subs) < self._chunk:
                break
            after = subs[-1].id
        notices = await self._notify_cancelled(now)
        if created >= ANALYZE_AFTER:
            async with self._db.transaction() as session:
                await PlanningRepository(session, self._db.dialect).analyze_outbox()
        report = PlanReport(created, cancelled, notices)
        if report.created or report.cancelled:
            logger.info("planned %d reminders and %d notices, cancelled %d", report.created,
                        report.notices, report.cancelled)  # fmt: skip
        return report

    async def _cancel_stale(self, now: datetime) -> int:
        async with self._db.transaction() as session:
            repo = PlanningRepository(session, self._db.dialect)
            cancelled = await repo.cancel(await repo.stale_reminders(now))
            cancelled += await repo.cancel(superseded(await repo.overdue_reminders(now)))
        return cancelled

    async def _rows(
        self, repo: PlanningRepository, subs: list[Subscription], now: datetime
    ) -> list[dict[str, Any]]:
        by_topic: dict[SubscriptionTopic, dict[str, list[Subscription]]] = defaultdict(
            lambda: defaultdict(list)
        )
        reach: dict[SubscriptionTopic, int] = defaultdict(int)
        leads: dict[int, list[int]] = {}
        for sub in subs:
            key = topic_key(sub)
            leads[sub.id] = lead_minutes(sub.lead_minutes, sub.topic)
            if key is None or not leads[sub.id]:
                continue
            by_topic[sub.topic][key].append(sub)
            reach[sub.topic] = max(reach[sub.topic], leads[sub.id][0])
        candidates: list[tuple[str, Subscription, DueItem, int]] = []
        for topic, keyed in by_topic.items():
            horizon = self._horizon or timedelta(minutes=reach[topic]) + MARGIN
            for key, item in await repo.due_items(topic, keyed.keys(), now, now + horizon):
                for sub in keyed[key]:
                    # Each subscription's own reach, so chunking never changes what is planned.
                    own = self._horizon or timedelta(minutes=leads[sub.id][0]) + MARGIN
                    if item.moment <= now + own:
                        for lead in leads_to_plan(item.moment, leads[sub.id], now):
                            candidates.append((reminder_key(sub, item, lead), sub, item, lead))
        # Most candidates were planned by an earlier tick: skip them before the costly part
        # (placement, payload, insert), so a steady tick costs what is new, not what is due.
        planned = await repo.existing_keys([key for key, *_ in candidates])
        rows: list[dict[str, Any]] = []
        for key, sub, item, lead in candidates:
            if key not in planned and (row := self._reminder(key, sub, item, lead, now)):
                rows.append(row)
        return rows

    def _reminder(
        self, key: str, sub: Subscription, item: DueItem, lead: int, now: datetime
    ) -> dict[str, Any] | None:
        fire = max(item.moment - timedelta(minutes=lead), now)
        due = self._place(fire, sub, now, item.moment)
        if due is None or due > item.moment:  # never after the item, whatever placed it
            return None
        return _row(key, sub, item, REMINDER, due, payload(item, lead))

    async def _notify_cancelled(self, now: datetime) -> int:
        """A short notice to every subscription already reminded of an item now cancelled."""
        reach = self._horizon or timedelta(minutes=MAX_LEAD_MINUTES)
        async with self._db.transaction() as session:
            repo = PlanningRepository(session, self._db.dialect)
            items = await repo.cancelled_items(now, now + reach + MARGIN)
            pairs: list[tuple[int, DueItem]] = []
            for item_type in {item.item_type for item in items}:
                of_type = {item.id: item for item in items if item.item_type == item_type}
                # A reminder for an item still ahead was due at most reach + MARGIN ago.
                reminded = await repo.reminded(item_type, of_type.keys(), now - reach - MARGIN)
                pairs += [(sub_id, of_type[item_id]) for sub_id, item_id in reminded]
            subs = await repo.subscriptions_by_id({sub_id for sub_id, _ in pairs})
            rows = []
            for sub_id, item in pairs:
                if (sub := subs.get(sub_id)) is None:
                    continue  # unsubscribed since: no news wanted
                due = self._place(now, sub, now, item.moment) or now
                key = f"{sub.id}:{item.item_type}:{item.id}:cancel"
                rows.append(_row(key, sub, item, CANCELLATION, due, payload(item, None)))
            return await repo.insert(rows)


def reminder_key(sub: Subscription, item: DueItem, lead: int) -> str:
    """The dedupe key: one row per subscription, item, lead time and item version."""
    return f"{sub.id}:{item.item_type}:{item.id}:{lead}:{item.version}"


def superseded(overdue: list[OverdueReminder]) -> list[int]:
    """Of the overdue reminders for one item and recipient, all but the latest (downtime
    leaves several; one is enough)."""
    latest: dict[tuple[Any, ...], OverdueReminder] = {}
    drop: list[int] = []
    for row in overdue:
        group = (row.subscription_id, row.item_type, row.item_id, row.item_version)
        kept = latest.get(group)
        if kept is None:
            latest[group] = row
            continue
        newer = max(kept, row, key=lambda r: (r.due_at, -_lead(r.dedupe_key), r.id))
        drop.append(kept.id if newer is row else row.id)
        latest[group] = newer
    return drop


def _lead(dedupe_key: str) -> int:
    parts = dedupe_key.split(":")
    return int(parts[3]) if len(parts) == 5 and parts[3].isdigit() else 0


def _row(key: str, sub: Subscription, item: DueItem, kind: str, due: datetime, body: str
         ) -> dict[str, Any]:  # fmt: skip
    return {
        "dedupe_key": key,
        "platform": sub.platform,
        "chat_id": sub.chat_id,
        "subscription_id": sub.id,
        "contact_id": sub.contact_id,
        "kind": kind,
        "item_type": item.item_type,
        "item_id": item.id,
        "item_version": item.version,
        "locale": sub.locale,
        "payload": body,
        "due_at": due,
        "state": OutboxState.PENDING,
        "attempts": 0,
    }


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()
