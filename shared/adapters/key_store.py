"""API key lifecycle: create, list, get, disable, enable, revoke, rotate.

Shared by the developer API (an owner managing their own keys) and the `pinned keys` CLI
(an operator). Each change writes a `key_events` row in the same transaction, so the owner's
trail of who created, disabled, rotated or revoked a key cannot disagree with the key.
The full secret exists only in what `issue` and `rotate` return; the database keeps a hash.
The gateway reads key state on every request, so each change takes effect on the next one.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

import asyncpg

from shared.domain.api_keys import QUICKSTART_SCOPES, KeyMode, Scope, check_scopes, generate_key

KeyAction = Literal["created", "disabled", "enabled", "revoked", "rotated"]

_COLUMNS = (
    "id, account_id, name, mode, prefix, scopes, status, expires_at, created_at, revoked_at,"
    " revoked_reason, revoked_by, last_used_at, host(last_used_ip) AS last_used_ip, request_count"
)


class KeyNotFound(LookupError):
    """No such key, or not one of this account's."""


class KeyStateConflict(Exception):
    """The change does not apply to the key's current state (e.g. enabling a revoked key)."""


@dataclass(frozen=True)
class IssuedKey:
    """A new key: `token` is the only copy of the secret; `record` is what lists show."""

    record: dict[str, Any]
    token: str

    @property
    def id(self) -> uuid.UUID:
        key_id: uuid.UUID = self.record["id"]
        return key_id


async def issue(
    conn: asyncpg.Connection,
    account_id: int,
    name: str,
    scopes: Sequence[Scope] = QUICKSTART_SCOPES,
    *,
    actor: str,
    mode: KeyMode = "test",
    expires_at: datetime | None = None,
) -> IssuedKey:
    """A new key; InvalidScopes when `scopes` mix owner and public ones (whoever asks)."""
    check_scopes(scopes)
    if await conn.fetchval("SELECT 1 FROM accounts WHERE id = $1", account_id) is None:
        raise KeyNotFound(f"no account {account_id}")
    key = generate_key(mode)
    async with conn.transaction():
        row = await conn.fetchrow(
            "INSERT INTO api_keys (id, account_id, name, mode, prefix, secret_hash, scopes,"
            f" expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {_COLUMNS}",
            uuid.uuid4(),
            account_id,
            name,
            mode,
            key.prefix,
            key.secret_hash,
            sorted(str(s) for s in dict.fromkeys(scopes)),
            expires_at,
        )
        await _record(conn, row, "created", actor, None)
    return IssuedKey(dict(row), key.token)


async def page(
    conn: asyncpg.Connection, account_id: int, limit: int, offset: int
) -> tuple[list[dict[str, Any]], int]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS}, count(*) OVER () AS total FROM api_keys WHERE account_id = $1"
        " ORDER BY created_at, id LIMIT $2 OFFSET $3",
        account_id,
        limit,
        offset,
    )
    total = rows[0]["total"] if rows else await _count(conn, account_id)
    return [_without_total(r) for r in rows], total


async def get(
    conn: asyncpg.Connection, account_id: int | None, key_id: uuid.UUID
) -> dict[str, Any]:
    """One key; `account_id` None means any account (the operator's CLI)."""
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM api_keys"
        " WHERE id = $1 AND ($2::bigint IS NULL OR account_id = $2)",
        key_id,
        account_id,
    )
    if row is None:
        raise KeyNotFound(f"no key {key_id}")
    return dict(row)


async def id_by_prefix(conn: asyncpg.Connection, prefix: str) -> uuid.UUID:
    key_id: uuid.UUID | None = await conn.fetchval(
        "SELECT id FROM api_keys WHERE prefix = $1", prefix
    )
    if key_id is None:
        raise KeyNotFound(f"no key with prefix {prefix}")
    return key_id


async def disable(
    conn: asyncpg.Connection, account_id: int | None, key_id: uuid.UUID, actor: str
) -> dict[str, Any]:
    """Stop a key at once but keep it: `enable` brings it back with the same secret."""
    return await _transition(conn, account_id, key_id, "active", "disabled", "disabled", actor)


async def enable(
    conn: asyncpg.Connection, account_id: int | None, key_id: uuid.UUID, actor: str
) -> dict[str, Any]:
    return await _transition(conn, account_id, key_id, "disabled", "active", "enabled", actor)


async def revoke(
    conn: asyncpg.Connection, account_id: int | None, key_id: uuid.UUID, reason: str, actor: str
) -> dict[str, Any]:
    """Stop a key for good, recording why and by whom."""
    async with conn.transaction():
        current = await _locked(conn, account_id, key_id)
        if current["status"] == "revoked":
            raise KeyStateConflict(f"key {current['prefix']} is already revoked")
        row = await conn.fetchrow(
            "UPDATE api_keys SET status = 'revoked', revoked_at = now(), revoked_reason = $2,"
            f" revoked_by = $3 WHERE id = $1 RETURNING {_COLUMNS}",
            key_id,
            reason,
            actor,
        )
        await _record(conn, row, "revoked", actor, reason)
    return dict(row)


async def rotate(
    conn: asyncpg.Connection,
    account_id: int | None,
    key_id: uuid.UUID,
    overlap: timedelta,
    actor: str,
) -> IssuedKey:
    """A new key with the same account, name, mode and scopes; the old one keeps working for
    `overlap`, so the integration can be redeployed with the new secret before it stops."""
    async with conn.transaction():
        old = await _locked(conn, account_id, key_id)
        if old["status"] != "active":
            raise KeyStateConflict(
                f"key {old['prefix']} is {old['status']}; only an active key can be rotated"
            )
        # Once is enough: a double-clicked or retried rotation must not mint two successors.
        earlier = await conn.fetchval(
            "SELECT reason FROM key_events WHERE key_id = $1 AND action = 'rotated'", key_id
        )
        if earlier is not None:
            raise KeyStateConflict(
                f"key {old['prefix']} was already rotated ({earlier}); rotate the new key instead"
            )
        new = await issue(
            conn,
            old["account_id"],
            old["name"],
            [Scope(s) for s in old["scopes"]],
            actor=actor,
            mode=old["mode"],
            expires_at=old["expires_at"],
        )
        await conn.execute(
            "UPDATE api_keys SET expires_at = LEAST(COALESCE(expires_at, 'infinity'),"
            " now() + $2::interval) WHERE id = $1",
            key_id,
            overlap,
        )
        reason = f"replaced by {new.record['prefix']}; old key expires after {overlap}"
        await _record(conn, old, "rotated", actor, reason)
    return new


async def lifecycle(conn: asyncpg.Connection, key_id: uuid.UUID) -> list[dict[str, Any]]:
    rows = await conn.fetch(
        "SELECT action, actor, reason, occurred_at FROM key_events WHERE key_id = $1"
        " ORDER BY occurred_at, id",
        key_id,
    )
    return [dict(r) for r in rows]


async def _transition(
    conn: asyncpg.Connection,
    account_id: int | None,
    key_id: uuid.UUID,
    from_status: str,
    to_status: str,
    action: KeyAction,
    actor: str,
) -> dict[str, Any]:
    async with conn.transaction():
        current = await _locked(conn, account_id, key_id)
        if current["status"] == to_status:
            raise KeyStateConflict(f"key {current['prefix']} is already {to_status}")
        if current["status"] != from_status:
            raise KeyStateConflict(
                f"key {current['prefix']} is {current['status']}; it cannot be {action}"
            )
        row = await conn.fetchrow(
            f"UPDATE api_keys SET status = $2 WHERE id = $1 RETURNING {_COLUMNS}",
            key_id,
            to_status,
        )
        await _record(conn, row, action, actor, None)
    return dict(row)


async def _locked(
    conn: asyncpg.Connection, account_id: int | None, key_id: uuid.UUID
) -> asyncpg.Record:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM api_keys WHERE id = $1"
        " AND ($2::bigint IS NULL OR account_id = $2) FOR UPDATE",
        key_id,
        account_id,
    )
    if row is None:
        raise KeyNotFound(f"no key {key_id}")
    return row


async def _record(
    conn: asyncpg.Connection, key: asyncpg.Record, action: KeyAction, actor: str, reason: str | None
) -> None:
    await conn.execute(
        "INSERT INTO key_events (key_id, account_id, action, actor, reason)"
        " VALUES ($1, $2, $3, $4, $5)",
        key["id"],
        key["account_id"],
        action,
        actor,
        reason,
    )


async def _count(conn: asyncpg.Connection, account_id: int) -> int:
    total: int = await conn.fetchval(
        "SELECT count(*) FROM api_keys WHERE account_id = $1", account_id
    )
    return total


def _without_total(row: asyncpg.Record) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k != "total"}
