"""What an owner's keys did: usage per key and the audit timeline, from the rows the auditor
writes (`audit_log`) and the keys' histories (`key_events`)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from shared.adapters import key_store

_USAGE_BY_DAY = """
SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, count(*) AS requests,
       count(*) FILTER (WHERE status >= 400) AS errors
FROM audit_log WHERE api_key_id = $1 AND occurred_at >= now() - make_interval(days => $2)
GROUP BY 1 ORDER BY 1
"""
_USAGE_BY_ROUTE = """
SELECT method, route, count(*) AS requests FROM audit_log
WHERE api_key_id = $1 AND occurred_at >= now() - make_interval(days => $2)
GROUP BY 1, 2 ORDER BY 3 DESC, 2, 1
"""
_USAGE_BY_STATUS = """
SELECT status, count(*) AS requests FROM audit_log
WHERE api_key_id = $1 AND occurred_at >= now() - make_interval(days => $2)
GROUP BY 1 ORDER BY 1
"""
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
    by_day: list[asyncpg.Record]
    by_route: list[asyncpg.Record]
    by_status: list[asyncpg.Record]


class AuditStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def key_usage(self, owner_id: int, key_id: uuid.UUID, days: int) -> KeyUsageRows:
        """The key (key_store.KeyNotFound unless the owner's) and its use over `days` days."""
        async with self._pool.acquire() as conn:
            key = await key_store.get(conn, owner_id, key_id)
            by_day = await conn.fetch(_USAGE_BY_DAY, key_id, days)
            by_route = await conn.fetch(_USAGE_BY_ROUTE, key_id, days)
            by_status = await conn.fetch(_USAGE_BY_STATUS, key_id, days)
        return KeyUsageRows(key, by_day, by_route, by_status)

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
