"""An owner's webhook deliveries across all its integrations, for the portal's deliveries
page: newest first, filtered by integration, by what became of them and by reason.

A delivery's status is what it is now: an `accepted` one that the publisher has decided on
reads as that verdict (`applied`, `duplicate`, `stale`, `rejected`), with its reason.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from shared.adapters.integrations import (
    DELIVERY_REASON,
    DELIVERY_REASON_CODE,
    DELIVERY_STATUS,
    DeliveryNotFound,
)

_ROWS = f"""
SELECT * FROM (
    SELECT d.id, d.integration_id, i.name AS integration_name, i.source, d.request_id,
           d.received_at, d.sender_action, d.document_id, d.fields::text AS fields,
           d.notes::text AS notes, d.message_id, d.event_id,
           d.replay_of, d.status AS recorded_status, {DELIVERY_STATUS} AS effective_status,
           {DELIVERY_REASON_CODE} AS effective_reason_code, {DELIVERY_REASON} AS effective_reason
    FROM webhook_deliveries d
    JOIN integrations i ON i.id = d.integration_id
    LEFT JOIN command_outcomes o ON o.message_id = d.message_id
    WHERE i.account_id = $1
) AS found
"""  # noqa: S608  (constant SQL fragments; every value is bound)

_PAGE = f"""{_ROWS}
WHERE ($2::uuid IS NULL OR integration_id = $2)
  AND ($3::text IS NULL OR effective_status = $3)
  AND ($4::text IS NULL OR effective_reason_code = $4)
  AND ($5::timestamptz IS NULL OR received_at < $5)
ORDER BY received_at DESC, id LIMIT $6
"""

_ONE = f"""
SELECT one.*, d.headers::text AS kept_headers, d.body AS kept_body, d.query AS kept_query
FROM ({_ROWS} WHERE id = $2) AS one JOIN webhook_deliveries d ON d.id = one.id
"""  # noqa: S608

_REASONS = f"""
SELECT DISTINCT effective_reason_code AS code FROM ({_ROWS}) AS reasons
WHERE effective_reason_code IS NOT NULL ORDER BY 1 LIMIT 100
"""  # noqa: S608


@dataclass(frozen=True)
class DeliveryFilter:
    """None means any."""

    integration_id: uuid.UUID | None = None
    status: str | None = None
    reason_code: str | None = None
    before: datetime | None = None


class DeliveryLog:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def page(self, owner_id: int, wanted: DeliveryFilter, limit: int) -> list[dict[str, Any]]:
        rows = await self._pool.fetch(
            _PAGE,
            owner_id,
            wanted.integration_id,
            wanted.status,
            wanted.reason_code,
            wanted.before,
            limit,
        )
        return [_decoded(r) for r in rows]

    async def get(self, owner_id: int, delivery_id: uuid.UUID) -> dict[str, Any]:
        """One delivery, with what was kept of it for preview and replay: its headers (the
        secret ones redacted), its raw body (None when too large to keep) and query."""
        row = await self._pool.fetchrow(_ONE, owner_id, delivery_id)
        if row is None:
            raise DeliveryNotFound(f"no delivery {delivery_id}")
        headers = row["kept_headers"]
        return {**_decoded(row), "kept_headers": json.loads(headers) if headers else None}

    async def reason_codes(self, owner_id: int) -> list[str]:
        """The reasons the owner's deliveries have now, for a filter's choices."""
        return [r["code"] for r in await self._pool.fetch(_REASONS, owner_id)]


def _decoded(row: asyncpg.Record) -> dict[str, Any]:
    fields, notes = row["fields"], row["notes"]
    return {
        **dict(row),
        "fields": json.loads(fields) if fields is not None else None,
        "notes": json.loads(notes) if notes is not None else None,
    }
