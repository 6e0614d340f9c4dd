"""The public JSON shape of a stored event, shared by the publisher's outcomes and reads."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from shared.domain.events import EventInput, StoredStatus

# jsonb does not keep key order; answer in the order the API documents the fields.
_FIELD_ORDER = tuple(EventInput.model_fields)


def event_view(row: Mapping[str, Any]) -> dict[str, Any]:
    body = row["body"]
    return {
        "id": str(row["id"]),
        **{name: body.get(name) for name in _FIELD_ORDER},
        "status": row["status"],
        "createdAt": row["created_at"].isoformat(),
        "updatedAt": row["updated_at"].isoformat(),
    }


class EventView(EventInput):
    """The stored event as the API returns it: what was sent, plus id and timestamps."""

    status: StoredStatus  # type: ignore[assignment]
    id: uuid.UUID
    createdAt: datetime
    updatedAt: datetime
