"""A key's usage as the owner reads it: the key's counters and its requests per day, route
and status, all from one statement, so one snapshot.

The auditor bumps `api_keys.request_count` in the transaction that inserts the audit rows;
read in separate statements, a commit landing between them showed three requests today and
a total of zero.
"""

from __future__ import annotations

import uuid
from typing import Any

import asyncpg

from shared.adapters.key_store import KeyNotFound

_USAGE = """
WITH key AS (
    SELECT id, prefix, last_used_at, host(last_used_ip) AS last_used_ip, request_count
    FROM api_keys WHERE id = $1 AND account_id = $2
), recent AS (
    SELECT (occurred_at AT TIME ZONE 'UTC')::date AS day, method, route, status
    FROM audit_log
    WHERE api_key_id = $1 AND occurred_at >= now() - make_interval(days => $3)
      AND EXISTS (SELECT 1 FROM key)
)
SELECT key.*,
    (SELECT coalesce(jsonb_agg(d ORDER BY d.day), '[]') FROM (
        SELECT day, count(*) AS requests, count(*) FILTER (WHERE status >= 400) AS errors
        FROM recent GROUP BY day) d) AS by_day,
    (SELECT coalesce(jsonb_agg(r ORDER BY r.requests DESC, r.route, r.method), '[]') FROM (
        SELECT method, route, count(*) AS requests FROM recent GROUP BY method, route) r
    ) AS by_route,
    (SELECT coalesce(jsonb_agg(s ORDER BY s.status), '[]') FROM (
        SELECT status, count(*) AS requests FROM recent GROUP BY status) s) AS by_status
FROM key
"""


async def read_usage(
    conn: asyncpg.Connection | asyncpg.Pool, account_id: int, key_id: uuid.UUID, days: int
) -> dict[str, Any]:
    """The key's `prefix`, `last_used_at`, `last_used_ip`, `request_count` (all time) and,
    over the last `days` days (UTC), `by_day` [{day, requests, errors}], `by_route`
    [{method, route, requests}] and `by_status` [{status, requests}]. Days are ISO dates;
    errors are answers with status 400 or above. Raises KeyNotFound for another account's
    key. Needs the pool's jsonb codec (shared.adapters.postgres)."""
    row = await conn.fetchrow(_USAGE, key_id, account_id, days)
    if row is None:
        raise KeyNotFound(f"no key {key_id}")
    return dict(row)
