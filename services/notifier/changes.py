"""Event changes -> planning: each planned event's or occurrence's state (newer versions
only), notices to the people who planned it when it moves or is cancelled, their reminders
moved with it, and waitlisted people promoted when its capacity grows.

A change of a recurring event reaches every planned occurrence of it: each planning row
names its occurrence by the local date of its original start and takes that occurrence's
state (moved or cancelled on its own, or no longer in the series: cancelled). When an event
turns recurring, or single again, plans follow it to the occurrence on the same date.

Records are handled in (event, change) order inside the batch's transaction, and each takes
its planning rows' locks, the lock every RSVP takes, so people answering at that moment are
counted either before or after the change, never half.
"""

from __future__ import annotations

import json
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import asyncpg

from services.notifier.transitions import transition
from shared.adapters.inbox import Notice
from shared.adapters.plans import (
    PlanState,
    event_state,
    held_of,
    move_plans,
    occurrence_state,
    store_state,
)
from shared.contracts.changes import EventChange
from shared.contracts.event_view import EventView
from shared.domain.recurrence import occurrence_key

_HELD = """
SELECT p.*, c.visibility FROM plan_events p JOIN channels c ON c.id = p.channel_id
WHERE p.event_id = $1 OR p.series_id = $1 ORDER BY p.event_id FOR UPDATE OF p
"""

# A single event planning has not seen: its row, with its capacity, before anyone plans it
# (or, should a plan have seeded it from an older read model meanwhile, newer than that).
_FIRST = """
INSERT INTO plan_events (event_id, version, status, channel_id, title, start_at, end_at,
                         timezone, capacity)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (event_id) DO UPDATE SET version = EXCLUDED.version, status = EXCLUDED.status,
    channel_id = EXCLUDED.channel_id, title = EXCLUDED.title, start_at = EXCLUDED.start_at,
    end_at = EXCLUDED.end_at, timezone = EXCLUDED.timezone, updated_at = now()
WHERE plan_events.version < EXCLUDED.version
"""

_SERIES = """
INSERT INTO plan_series (event_id, version, event) VALUES ($1, $2, $3::jsonb)
ON CONFLICT (event_id) DO UPDATE SET version = EXCLUDED.version, event = EXCLUDED.event,
    updated_at = now()
WHERE plan_series.version < EXCLUDED.version
RETURNING event_id
"""


# Rows for single events planning has never seen, all in one statement: the common case of
# a feed of new events, which cost two round trips per event one by one (239,360 single-row
# inserts and 30% of a core while the publisher drained a backlog of 300,000; 17% now, and
# 1,075 statements). An event planning already holds, as its own row (seeded by a
# plan, or seen before) or as a series with planned occurrences, is not inserted here: the
# caller applies its change one by one. `LIMIT 1` keeps the series check a lookup in
# plan_events_series per event whatever the table's statistics say.
FIRST_SEEN_SQL = """
INSERT INTO plan_events (event_id, version, status, channel_id, title, start_at, end_at,
                         timezone, capacity)
SELECT u.* FROM unnest($1::uuid[], $2::integer[], $3::text[], $4::bigint[], $5::text[],
                       $6::timestamptz[], $7::timestamptz[], $8::text[], $9::integer[])
    AS u(event_id, version, status, channel_id, title, start_at, end_at, timezone, capacity)
LEFT JOIN LATERAL (SELECT true AS found FROM plan_events s WHERE s.series_id = u.event_id
                   LIMIT 1) AS series ON true
WHERE series.found IS NULL
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id
"""


@dataclass(frozen=True)
class Applied:
    applied: int
    older: int
    notices: list[Notice]


async def apply_changes(conn: asyncpg.Connection, changes: Sequence[EventChange]) -> Applied:
    """Apply a batch's changes in (event, change) order. Single events planning has not seen
    and the batch changes once are stored together first; nobody can have planned them
    yet, so they need no notices."""
    ordered = sorted(changes, key=lambda c: (str(c.event_id), c.change_id))
    first_seen = await _store_first_seen(conn, _lone_single_events(ordered))
    applied, older, notices = len(first_seen), 0, []
    for change in ordered:
        if change.event_id in first_seen:
            continue
        fresh, written = await _apply(conn, change)
        applied, older = applied + fresh, older + (not fresh)
        notices += written
    return Applied(applied, older, notices)


def _lone_single_events(changes: Sequence[EventChange]) -> list[EventChange]:
    """The changes of single (not recurring) events that no other change in the batch
    touches: one statement can store those without ordering them."""
    per_event = Counter(change.event_id for change in changes)
    return [c for c in changes if per_event[c.event_id] == 1 and c.event.recurrence is None]


async def _store_first_seen(
    conn: asyncpg.Connection, changes: Sequence[EventChange]
) -> set[uuid.UUID]:
    """The events of `changes` whose planning rows this inserted: those planning had not
    seen, neither as an event nor as a series."""
    if not changes:
        return set()
    states = [event_state(c.event, c.version) for c in changes]
    rows = await conn.fetch(
        FIRST_SEEN_SQL,
        [c.event_id for c in changes],
        *([getattr(s, name) for s in states] for name in _STATE_COLUMNS),
        [c.event.capacity for c in changes],
    )
    return {row["event_id"] for row in rows}


async def _apply(conn: asyncpg.Connection, change: EventChange) -> tuple[bool, list[Notice]]:
    event = change.event
    fresh = False
    if event.recurrence is not None:
        series = json.dumps(event.model_dump(mode="json"))
        fresh = await conn.fetchval(_SERIES, change.event_id, change.version, series) is not None
    held = await conn.fetch(_HELD, change.event_id)
    if not held and event.recurrence is None:
        state = event_state(event, change.version)
        await conn.execute(_FIRST, change.event_id, *_columns(state), event.capacity)
        return True, []
    notices: list[Notice] = []
    now = datetime.now(UTC)
    for row in held:
        if row["version"] >= change.version:
            continue
        fresh = True
        key, state = await _target(conn, event, change.version, row)
        await store_state(conn, key, state)
        notices += await transition(conn, row, key, state, change.version, now)
    return fresh, notices


_STATE_COLUMNS = ("version", "status", "channel_id", "title", "start_at", "end_at", "timezone")


def _columns(state: PlanState) -> tuple[object, ...]:
    return tuple(getattr(state, name) for name in _STATE_COLUMNS)


async def _target(
    conn: asyncpg.Connection, event: EventView, version: int, row: asyncpg.Record
) -> tuple[uuid.UUID, PlanState]:
    """The planning row's key and state after the change: the event itself, an occurrence
    (by the row's date), or where a change of shape carried its plans."""
    key: uuid.UUID = row["event_id"]
    held = held_of(row)
    if event.recurrence is not None:
        state = occurrence_state(event, version, held)
        target = occurrence_key(event.id, held.day())
    else:
        state = event_state(event, version)
        target = event.id
        same_day = event.startAt.astimezone(ZoneInfo(event.timezone)).date() == held.day()
        if key != target and not same_day:
            return key, _gone(state, row)
    if key == target or await move_plans(conn, key, target):
        return target, state
    return key, _gone(state, row)


def _gone(state: PlanState, row: asyncpg.Record) -> PlanState:
    """What no longer takes place: cancelled, at the times people planned."""
    return replace(
        state,
        status="cancelled",
        start_at=row["start_at"],
        end_at=row["end_at"],
        series_id=row["series_id"],
        recurrence_id=row["recurrence_id"],
    )
