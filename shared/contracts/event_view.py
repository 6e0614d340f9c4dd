"""The public JSON shape of a stored event, shared by the publisher's outcomes and reads."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pydantic import Field

from shared.domain.events import EventInput, StoredStatus
from shared.domain.recurrence import OccurrenceOverride
from shared.domain.times import json_instant

# jsonb does not keep key order; answer in the order the API documents the fields.
_FIELD_ORDER = tuple(EventInput.model_fields)


def event_view(row: Mapping[str, Any]) -> dict[str, Any]:
    body = row["body"]
    view = {
        "id": str(row["id"]),
        **{name: body.get(name) for name in _FIELD_ORDER},
        "status": row["status"],
        "createdAt": row["created_at"].isoformat(),
        "updatedAt": row["updated_at"].isoformat(),
    }
    kept = row.get("source_updated_at")
    if view["sourceUpdatedAt"] is None and kept is not None:
        # Sent once and not since: an update must still be newer than it, so it shows.
        view["sourceUpdatedAt"] = json_instant(kept)
    if body.get("recurrence") is not None:
        view["occurrenceOverrides"] = row.get("occurrence_overrides") or []
    return view


class EventView(EventInput):
    """The stored event as the API returns it: what was sent, plus id and timestamps, and
    for a recurring event what its occurrences changed on their own."""

    status: StoredStatus  # type: ignore[assignment]
    id: uuid.UUID
    createdAt: datetime
    updatedAt: datetime
    occurrenceOverrides: list[OccurrenceOverride] = Field(
        default=[],
        description="Occurrences moved or cancelled on their own "
        "(PATCH /events/{eventId}/occurrences/{start}); recurring events only",
    )
