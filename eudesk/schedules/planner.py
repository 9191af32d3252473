"""The planner: subscriptions × upcoming items × lead times become deduplicated outbox rows."""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from eudesk.schedules.calendar import Window, WorkingCalendar
from eudesk.storage.db import Database
from eudesk.storage.leads import Lead, parse_token
from eudesk.storage.models import OutboxState, Subscription, SubscriptionTopic
from eudesk.storage.repositories.planning import (
    CANCELLATION,
    MEETING,
    REMINDER,
    DueItem,
    OverdueReminder,
    PlanningRepository,
    ReminderSlot,
)
from eudesk.storage.repositories.subscriptions import (
    MAX_LEAD_REACH,
    subscription_leads,
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


def leads_to_plan(fires: Mapping[Lead, datetime], now: datetime) -> list[Lead]:
    """The leads whose fire is ahead, plus only the latest of those already past (sent now).

    Stable across runs: a lead passes only after its row was planned while it was ahead, so
    the latest past lead is always one that already has its row (or gets it once).
    """
    ahead = [lead for lead, fire in fires.items() if fire > now]
    past = [lead for lead, fire in fires.items() if fire <= now]
    return ahead + ([max(past, key=lambda lead: fires[lead])] if past else [])


def payload(item: DueItem, lead: Lead | None) -> str:
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
        data["lead"] = lead.token
    return json.dumps(data, ensure_ascii=False, sort_keys=True)


@dataclass(frozen=True, slots=True)
class PlanReport:
    created: int  # new reminder rows
    cancelled: int  # pending rows cancelled (item moved, cancelled, done, passed; superseded)
    notices: int  # new cancellation notices
    merged: int = 0  # new reminder rows written cancelled: another says it in the same minute


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
        calendar: WorkingCalendar | None = None,
    ) -> None:
        """horizon_minutes: how far ahead items are read; None = each subscription's largest
        lead's reach plus MARGIN. A smaller horizon plans long leads late (sent at once, as
        missed). calendar: whose days and working days a lead counts (default Belgrade's)."""
        self._db = db
        self._place = place
        self._calendar = calendar or WorkingCalendar()
        self._clock = clock
        self._horizon = None if horizon_minutes is None else timedelta(minutes=horizon_minutes)
        self._chunk = chunk

    async def plan_once(self) -> PlanReport:
        """One tick: cancel what went stale, plan what is due, notice the reminded of cancels."""
        now = self._clock()
        cancelled = await self._cancel_stale(now)
        created = folded = 0
        after = 0
        while True:
            async with self._db.transaction() as session:
                repo = PlanningRepository(session, self._db.dialect)
                subs = await repo.subscriptions(after, self._chunk)
                if subs:
                    rows, merged = await self._rows(repo, subs, now)
                    created += await repo.insert(rows)
                    folded += await repo.insert(merged)
            if len(subs) < self._chunk:
                break
            after = subs[-1].id
        notices = await self._notify_cancelled(now)
        if created >= ANALYZE_AFTER:
            async with self._db.transaction() as session:
                await PlanningRepository(session, self._db.dialect).analyze_outbox()
        report = PlanReport(created, cancelled, notices, folded)
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
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """(new rows to send, new rows merged into another one of the same minute)."""
        by_topic: dict[SubscriptionTopic, dict[str, list[Subscription]]] = defaultdict(
            lambda: defaultdict(list)
        )
        reach: dict[SubscriptionTopic, timedelta] = defaultdict(timedelta)
        leads: dict[int, tuple[Lead, ...]] = {}
        for sub in subs:
            key = topic_key(sub)
            leads[sub.id] = subscription_leads(sub.leads, sub.topic)
            if key is None or not leads[sub.id]:
                continue
            by_topic[sub.topic][key].append(sub)
            reach[sub.topic] = max(reach[sub.topic], _reach(leads[sub.id]))
        candidates: list[tuple[str, Subscription, DueItem, Lead, datetime]] = []
        for topic, keyed in by_topic.items():
            horizon = self._horizon or reach[topic] + MARGIN
            for key, item in await repo.due_items(topic, keyed.keys(), now, now + horizon):
                fires: dict[Lead, datetime] = {}
                for sub in keyed[key]:
                    # Each subscription's own reach, so chunking never changes what is planned.
                    own = self._horizon or _reach(leads[sub.id]) + MARGIN
                    if item.moment <= now + own:
                        for lead in leads[sub.id]:
                            if lead not in fires:
                                fires[lead] = self._calendar.before(item.moment, lead)
                        mine = {lead: fires[lead] for lead in leads[sub.id]}
                        for lead in leads_to_plan(mine, now):
                            candidates.append(
                                (reminder_key(sub, item, lead), sub, item, lead, fires[lead])
                            )
        # Most candidates were planned by an earlier tick: skip them before the costly part
        # (placement, payload, insert), so a steady tick costs what is new, not what is due.
        planned = await repo.existing_keys([key for key, *_ in candidates])
        rows: list[dict[str, Any]] = []
        for key, sub, item, lead, fire in candidates:
            if key not in planned and (row := self._reminder(key, sub, item, lead, fire, now)):
                rows.append(row)
        return await _merge_same_minute(repo, rows)

    def _reminder(
        self, key: str, sub: Subscription, item: DueItem, lead: Lead, fire: datetime,
        now: datetime,
    ) -> dict[str, Any] | None:  # fmt: skip
        due = self._place(max(fire, now), sub, now, item.moment)
        if due is None or due > item.moment:  # never after the item, whatever placed it
            return None
        return _row(key, sub, item, REMINDER, due, payload(item, lead))

    async def _notify_cancelled(self, now: datetime) -> int:
        """A short notice to every subscription already reminded of an item now cancelled."""
        reach = self._horizon or MAX_LEAD_REACH
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


def reminder_key(sub: Subscription, item: DueItem, lead: Lead) -> str:
    """The dedupe key: one row per subscription, item, lead time and item version. A day, hour
    or minute lead's part is in minutes (Lead.key), as in the keys written before leads were
    typed, so an old "1440" row and a new "1d" lead are the same reminder."""
    return f"{sub.id}:{item.item_type}:{item.id}:{lead.key}:{item.version}"


def _reach(leads: tuple[Lead, ...]) -> timedelta:
    return max(lead.reach for lead in leads)


def _slot(row: Mapping[str, Any]) -> ReminderSlot:
    due: datetime = row["due_at"]
    return ReminderSlot(row["platform"], row["chat_id"], row["item_type"], row["item_id"],
                        row["item_version"], due.replace(second=0, microsecond=0))  # fmt: skip


async def _merge_same_minute(
    repo: PlanningRepository, rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Reminders of one item to one chat that fall in the same minute are sent once: of new
    rows meeting another (new, or already in the outbox and not cancelled) at the same minute,
    all but the first are written cancelled, so that their keys stay planned (issue 11: a
    caught-up lead at 08:00 with the next lead's 08:00, or two subscriptions of one chat)."""
    if not rows:
        return [], []
    taken = await repo.reminder_slots(
        {(row["item_type"], row["item_id"]) for row in rows},
        min(row["due_at"] for row in rows),
        max(row["due_at"] for row in rows),
    )
    kept: list[dict[str, Any]] = []
    merged: list[dict[str, Any]] = []
    for row in rows:
        slot = _slot(row)
        if slot in taken:
            merged.append(row | {"state": OutboxState.CANCELLED})
        else:
            taken.add(slot)
            kept.append(row)
    return kept, merged


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


def _lead(dedupe_key: str) -> float:
    """A reminder key's lead, in minutes (a working day as a day), for ordering."""
    parts = dedupe_key.split(":")
    if len(parts) != 5:
        return 0
    if parts[3].isdigit():
        return int(parts[3])
    try:
        return parse_token(parts[3]).nominal.total_seconds() / 60
    except ValueError:
        return 0


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
