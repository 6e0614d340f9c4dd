"""Writes audit rows and key usage, idempotent on the record id (with the time it carries,
which partitions audit_log: migration 0022).

Key counters move only for rows this transaction really inserted, so a redelivered batch
neither duplicates an audit row nor counts a request twice. Text from the request itself (a
path with %00 in it, a user agent) is stored with what PostgreSQL refuses spelled as escapes:
one such request once failed every batch it was in, and the auditor with it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

import asyncpg

from shared.contracts.messages import AuditRecord
from shared.domain.storable import storable_text

_INSERT_AUDIT = """
INSERT INTO audit_log (record_id, request_id, occurred_at, method, route, path, status,
    duration_seconds, client_ip, user_agent, owner_account_id, api_key_id, key_prefix,
    error_code)
SELECT * FROM unnest($1::uuid[], $2::text[], $3::timestamptz[], $4::text[], $5::text[],
    $6::text[], $7::int[], $8::float8[], $9::inet[], $10::text[], $11::bigint[], $12::uuid[],
    $13::text[], $14::text[])
ON CONFLICT (record_id, occurred_at) DO NOTHING
RETURNING api_key_id, occurred_at, client_ip
"""

_BUMP_KEY = """
UPDATE api_keys SET
    request_count = request_count + $2,
    last_used_ip = CASE WHEN last_used_at IS NULL OR $3 >= last_used_at THEN $4::inet
                        ELSE last_used_ip END,
    last_used_at = GREATEST(last_used_at, $3)
WHERE id = $1
"""


@dataclass
class _KeyUse:
    count: int
    last_at: datetime
    last_ip: str | None


async def write_audit(conn: asyncpg.Connection, records: Sequence[AuditRecord]) -> int:
    """Insert new audit rows and bump their keys' usage; returns the rows inserted."""
    columns = list(zip(*(_audit_row(r) for r in records), strict=True))
    inserted = await conn.fetch(_INSERT_AUDIT, *columns)
    for key_id, use in _usage_by_key(inserted).items():
        await conn.execute(_BUMP_KEY, key_id, use.count, use.last_at, use.last_ip)
    return len(inserted)


def _audit_row(r: AuditRecord) -> tuple[object, ...]:
    return (
        r.record_id,
        storable_text(r.request_id),
        r.occurred_at,
        storable_text(r.method),
        storable_text(r.route),
        storable_text(r.path),
        r.status,
        r.duration_seconds,
        r.client_ip,
        storable_text(r.user_agent) if r.user_agent is not None else None,
        r.owner_id,
        r.api_key_id,
        r.key_prefix,
        r.error_code,
    )


def _usage_by_key(rows: Sequence[asyncpg.Record]) -> dict[UUID, _KeyUse]:
    usage: dict[UUID, _KeyUse] = {}
    for row in rows:
        key_id = row["api_key_id"]
        if key_id is None:
            continue
        ip = str(row["client_ip"]) if row["client_ip"] is not None else None
        use = usage.get(key_id)
        if use is None:
            usage[key_id] = _KeyUse(1, row["occurred_at"], ip)
            continue
        use.count += 1
        if row["occurred_at"] >= use.last_at:
            use.last_at, use.last_ip = row["occurred_at"], ip
    return usage
