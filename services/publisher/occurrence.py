"""One occurrence of a recurring event moved or cancelled on its own, and the overrides a
series change carries over: the publisher's side of `shared/domain/occurrences.py`.

The overrides live in `events.occurrence_overrides`, beside the body the integrator sent;
changing them bumps the event's version like any other change, so the outbox triggers put
the whole event, overrides included, on the change stream.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import asyncpg

from services.publisher.rows import Applied, invalid_fields, make_outcome, no_such_event
from shared.contracts.messages import IngestEnvelope, UpdateOccurrence
from shared.domain.events import EventInput, InvalidEvent, parse_event
from shared.domain.occurrences import (
    NoSuchOccurrence,
    carried_overrides,
    stored_overrides,
    with_change,
)
from shared.domain.recurrence import OccurrenceOverride

# The overrides it has already (a move sent twice): nothing moves, as for any resend.
_SET_OVERRIDES = """
UPDATE events SET occurrence_overrides = $2,
    version = CASE WHEN occurrence_overrides = $2::jsonb THEN version ELSE version + 1 END,
    updated_at = CASE WHEN occurrence_overrides = $2::jsonb THEN updated_at ELSE now() END
WHERE id = $1 RETURNING *
"""


def as_json(overrides: list[OccurrenceOverride]) -> list[dict[str, Any]]:
    return [o.model_dump(mode="json", exclude_none=True) for o in overrides]


def carried(held: Mapping[str, Any] | None, event: EventInput) -> list[dict[str, Any]]:
    """The overrides a replaced event keeps (none when it no longer recurs)."""
    if held is None or event.recurrence is None:
        return []
    kept = carried_overrides(
        stored_overrides(held["occurrence_overrides"]), held["timezone"], event
    )
    return as_json(kept)


async def update_occurrence(conn: asyncpg.Connection, envelope: IngestEnvelope) -> Applied:
    command = envelope.command
    assert isinstance(command, UpdateOccurrence)
    row = await conn.fetchrow("SELECT * FROM events WHERE id = $1 FOR UPDATE", command.event_id)
    if row is None:
        return no_such_event(envelope)
    event = parse_event({**row["body"], "channelId": row["channel_id"]})
    if event.recurrence is None:
        return make_outcome(envelope, "rejected", reason_code="not_recurring",
                            reason="the event does not recur; PATCH the event itself")  # fmt: skip
    held = stored_overrides(row["occurrence_overrides"])
    try:
        after = with_change(event, held, command.occurrence, command.changes)
    except NoSuchOccurrence:
        reason = f"the series has no occurrence on {command.occurrence}"
        return make_outcome(envelope, "rejected", reason_code="occurrence_not_found", reason=reason)
    except InvalidEvent as exc:
        return invalid_fields(envelope, exc.errors)
    if after == held:  # nothing changes: no new version, no change record
        return make_outcome(envelope, "updated", row=row)
    stored = await conn.fetchrow(_SET_OVERRIDES, command.event_id, as_json(after))
    return make_outcome(envelope, "updated", row=stored)
