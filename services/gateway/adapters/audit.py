"""What an owner's keys did: usage per key and the audit timeline, from the rows the auditor
writes (`audit_log`) and the keys' histories (`key_events`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from shared.adapters.key_usage import read_usage

# Requests and key changes in one timeline. Filters that only requests have (route, status,
# request id) leave key changes out; `$8` says whether they are wanted at all.
_AUDIT = """
WITH entries AS (
    SELECT 'request' AS type, occurred_at, request_id, method, route, path, status,
           duration_seconds, host(client_ip) AS client_ip, api_key_id AS key_id, key_prefix,
           error_code, NULL::text AS actor, NULL::text AS reason
    FROM audit_log
    WHERE owner_account_id = $1 AND $9
      AND ($2::uuid IS NULL OR api_key_id = $2)
      AND ($3::timestamptz IS NULL OR occurred_at >= $3)
      AND ($4::timestamptz IS NULL OR occurred_at < $4)
      AND ($5::text IS NULL OR route = $5)
      AND ($6::int IS NULL OR status = $6)
      AND ($7::text IS NULL OR request_id = $7)
    UNION ALL
    SELECT 'key.' || e.action, e.occurred_at, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
           e.key_id, k.prefix, NULL, e.actor, e.reason
    FROM key_events e JOIN api_keys k ON k.id = e.key_id
    WHERE e.account_id = $1 AND $8
      AND ($2::uuid IS NULL OR e.key_id = $2)
      AND ($3::timestamptz IS NULL OR e.occurred_at >= $3)
      AND ($4::timestamptz IS NULL OR e.occurred_at < $4)
)
SELECT *, count(*) OVER () AS total FROM entries
ORDER BY occurred_at DESC, request_id NULLS LAST LIMIT $10 OFFSET $11
"""


@dataclass(frozen=True)
class AuditQuery:
    """Filters of the audit timeline; None means no filter. Filters only requests have
    (route, status, request id) leave key changes out."""

    key_id: uuid.UUID | None
    since: datetime | None
    until: datetime | None
    route: str | None
    status: int | None
    request_id: str | None
    kind: str | None  # "request" or "key"


@dataclass(frozen=True)
class KeyUsageRows:
    key: dict[str, Any]
    by_day: list[dict[str, Any]]
    by_route: list[dict[str, Any]]
    by_status: list[dict[str, Any]]


class AuditStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def key_usage(self, owner_id: int, key_id: uuid.UUID, days: int) -> KeyUsageRows:
        """The key (key_store.KeyNotFound unless the owner's) and its use over `days` days,
        read in one statement: the counters and the counts by day, route and status agree
        even while the auditor writes."""
        usage = await read_usage(self._pool, owner_id, key_id, days)
        by_day, by_route, by_status = (usage.pop(k) for k in ("by_day", "by_route", "by_status"))
        return KeyUsageRows({**usage, "id": key_id}, by_day, by_route, by_status)

    async def entries(
        self, owner_id: int, query: AuditQuery, limit: int, offset: int
    ) -> tuple[list[asyncpg.Record], int]:
        """A page of the owner's requests and key changes, newest first, and the total."""
        request_only = any(v is not None for v in (query.route, query.status, query.request_id))
        rows = await self._pool.fetch(
            _AUDIT,
            owner_id,
            query.key_id,
            query.since,
            query.until,
            query.route,
            query.status,
            query.request_id,
            query.kind != "request" and not request_only,
            query.kind != "key",
            limit,
            offset,
        )
        return rows, (rows[0]["total"] if rows else 0)
