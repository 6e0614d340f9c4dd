"""The gateway's reads of events, channels, keys and idempotency keys. Writes to events go
through Kafka, never here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from services.gateway.errors import STALE_UPDATE, STALE_UPDATE_MESSAGE
from shared.domain.field_errors import FieldError

_ACCESSIBLE_CHANNEL = """
    (c.owner_account_id = $1 OR EXISTS (
        SELECT 1 FROM channel_members m WHERE m.channel_id = c.id AND m.account_id = $1))
"""


@dataclass(frozen=True)
class KeyRecord:
    id: uuid.UUID
    account_id: int
    prefix: str
    secret_hash: bytes
    scopes: frozenset[str]
    status: str
    expires_at: datetime | None


@dataclass(frozen=True)
class EventFilters:
    """Filters of `GET /events`; None means no filter."""

    channel_id: int | None
    status: str | None
    starts_after: datetime | None
    starts_before: datetime | None
    updated_since: datetime | None


@dataclass(frozen=True)
class RecordedRejection:
    """The publisher's rejection of the command that first used a key: its stable code,
    message and fields, answered again to every retry with that key."""

    code: str
    message: str
    fields: list[FieldError]


@dataclass(frozen=True)
class IdempotencyRecord:
    """What a used key stands for: its first request's body fingerprint, its event, and
    the publisher's rejection of it, if that was its fate."""

    request_hash: str
    event_id: uuid.UUID
    rejection: RecordedRejection | None = None


def key_record_join(owner: str, key: str) -> str:
    """A LATERAL join (`AS found`) of the stored record of the key `key` of the account
    `owner` (SQL expressions of the outer query): its columns are those idempotency_record
    reads; an inner join, so a key never used yields no row.

    Each key is one lookup by primary key, and its rejection one more by message id, whatever
    the statistics say (LIMIT 1: a key is claimed once). As a plain join of 500 batch keys by
    `= ANY`, a generic plan made while the table was small compared every row with every key
    (35-99 ms per batch in `make bench`). The key's claim and its outcome are written in one
    transaction, so a key row always has its outcome; the rejection columns are NULL unless
    that outcome was a rejection, or `stale` (an update older than the stored event), which
    the API answers as the refusal `stale_update` and so answers again."""
    return f"""JOIN LATERAL (
    SELECT k.request_hash, k.event_id, o.reason_code AS rejected_code,
        o.reason AS rejected_reason, o.fields AS rejected_fields
    FROM idempotency_keys k
    LEFT JOIN LATERAL (
        SELECT CASE WHEN r.status = 'stale' THEN '{STALE_UPDATE}' ELSE r.reason_code END
            AS reason_code, r.reason, r.fields FROM command_outcomes r
        WHERE r.message_id = k.message_id AND r.status IN ('rejected', 'stale')
        LIMIT 1) AS o ON true
    WHERE k.owner_account_id = {owner} AND k.idempotency_key = {key}
    LIMIT 1) AS found ON true"""


# The stored records of keys $2 (text[]) of the account $1, with each key as idempotency_key.
BATCH_KEYS_SQL = "SELECT w.key AS idempotency_key, found.* FROM unnest($2::text[]) AS w(key) " + (
    key_record_join("$1", "w.key")
)


def idempotency_record(row: Any) -> IdempotencyRecord:
    """The record in a row read through key_record_join."""
    rejection = None
    if row["rejected_code"] is not None:
        fields = [FieldError(**f) for f in row["rejected_fields"] or ()]
        stale = row["rejected_code"] == STALE_UPDATE
        reason = row["rejected_reason"] or (STALE_UPDATE_MESSAGE if stale else "")
        rejection = RecordedRejection(row["rejected_code"], reason, fields)
    return IdempotencyRecord(row["request_hash"], row["event_id"], rejection)


class EventStore:
    def __init__(self, pool: asyncpg.Pool, key_pool: asyncpg.Pool | None = None) -> None:
        """`key_pool`: where idempotency keys are looked up (generic plans; see
        gateway.app.KEY_LOOKUPS), `pool` by default."""
        self._pool = pool
        self._key_pool = key_pool or pool

    async def key_by_prefix(self, prefix: str) -> KeyRecord | None:
        # A disabled account's keys read as inactive (migration 0019 announces the change).
        row = await self._pool.fetchrow(
            "SELECT k.id, k.account_id, k.prefix, k.secret_hash, k.scopes, k.expires_at,"
            " CASE WHEN a.status = 'active' THEN k.status ELSE 'account_' || a.status END"
            " AS status FROM api_keys k JOIN accounts a ON a.id = k.account_id"
            " WHERE k.prefix = $1",
            prefix,
        )
        if row is None:
            return None
        return KeyRecord(**{**dict(row), "scopes": frozenset(row["scopes"])})

    async def can_access_channel(self, owner_id: int, channel_id: int) -> bool:
        found = await self._pool.fetchval(
            f"SELECT 1 FROM channels c WHERE c.id = $2 AND {_ACCESSIBLE_CHANNEL}",
            owner_id,
            channel_id,
        )
        return found is not None

    async def channels_page(
        self, owner_id: int, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            total = await conn.fetchval(
                f"SELECT count(*) FROM channels c WHERE {_ACCESSIBLE_CHANNEL}",
                owner_id,
            )
            rows = await conn.fetch(
                "SELECT c.id, c.name, c.owner_account_id = $1 AS owned, c.created_at"
                f" FROM channels c WHERE {_ACCESSIBLE_CHANNEL}"
                " ORDER BY c.id LIMIT $2 OFFSET $3",
                owner_id,
                limit,
                offset,
            )
        return [dict(r) for r in rows], int(total)

    async def event(self, owner_id: int, event_id: uuid.UUID) -> dict[str, Any] | None:
        """The event, only if its channel is accessible to the owner now."""
        row = await self._pool.fetchrow(
            "SELECT e.* FROM events e JOIN channels c ON c.id = e.channel_id"
            f" WHERE e.id = $2 AND {_ACCESSIBLE_CHANNEL}",
            owner_id,
            event_id,
        )
        return dict(row) if row is not None else None

    async def events_page(
        self, owner_id: int, filters: EventFilters, limit: int, offset: int
    ) -> tuple[list[dict[str, Any]], int]:
        """Events in channels the owner can access now, soonest first."""
        where = (
            f"{_ACCESSIBLE_CHANNEL}"
            " AND ($2::bigint IS NULL OR e.channel_id = $2)"
            " AND ($3::text IS NULL OR e.status = $3)"
            " AND ($4::timestamptz IS NULL OR e.start_at >= $4)"
            " AND ($5::timestamptz IS NULL OR e.start_at < $5)"
            " AND ($6::timestamptz IS NULL OR e.updated_at >= $6)"
        )
        args = (
            owner_id,
            filters.channel_id,
            filters.status,
            filters.starts_after,
            filters.starts_before,
            filters.updated_since,
        )
        base = f"FROM events e JOIN channels c ON c.id = e.channel_id WHERE {where}"
        async with self._pool.acquire() as conn, conn.transaction(isolation="repeatable_read"):
            total = await conn.fetchval(f"SELECT count(*) {base}", *args)
            rows = await conn.fetch(
                f"SELECT e.* {base} ORDER BY e.start_at, e.id LIMIT $7 OFFSET $8",
                *args,
                limit,
                offset,
            )
        return [dict(r) for r in rows], int(total)

    async def accessible_channels(self, owner_id: int, channel_ids: list[int]) -> set[int]:
        rows = await self._pool.fetch(
            f"SELECT c.id FROM channels c WHERE c.id = ANY($2::bigint[]) AND {_ACCESSIBLE_CHANNEL}",
            owner_id,
            channel_ids,
        )
        return {row["id"] for row in rows}

    async def idempotency_records(
        self, owner_id: int, keys: list[str]
    ) -> dict[str, IdempotencyRecord]:
        rows = await self._key_pool.fetch(BATCH_KEYS_SQL, owner_id, keys)
        return {r["idempotency_key"]: idempotency_record(r) for r in rows}
