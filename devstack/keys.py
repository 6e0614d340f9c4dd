"""API key lifecycle for account owners and operators: create, list, revoke, rotate.

The full secret exists only in the output of `create` and `rotate`; the database keeps its
hash. Revocation takes effect on the next request (the gateway reads key status every time).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg

from devstack.seed import create_key
from shared.api_keys import QUICKSTART_SCOPES, Scope


@dataclass(frozen=True)
class IssuedKey:
    id: uuid.UUID
    token: str


async def issue(
    conn: asyncpg.Connection,
    account_id: int,
    name: str,
    scopes: tuple[Scope, ...] = QUICKSTART_SCOPES,
    expires_at: datetime | None = None,
) -> IssuedKey:
    if await conn.fetchval("SELECT 1 FROM accounts WHERE id = $1", account_id) is None:
        raise LookupError(f"no account {account_id}")
    token = await create_key(conn, account_id, name, scopes)
    key_id = await conn.fetchval(
        "UPDATE api_keys SET expires_at = $2 WHERE prefix = $1 RETURNING id",
        token.split("_")[2],
        expires_at,
    )
    return IssuedKey(key_id, token)


async def listing(conn: asyncpg.Connection, account_id: int) -> list[dict[str, Any]]:
    """Every key of the account with its usage and revocation metadata, never a secret."""
    rows = await conn.fetch(
        "SELECT id, name, mode, prefix, scopes, status, expires_at, created_at, revoked_at,"
        " revoked_reason, revoked_by, last_used_at, host(last_used_ip) AS last_used_ip,"
        " request_count FROM api_keys WHERE account_id = $1 ORDER BY created_at",
        account_id,
    )
    return [dict(r) for r in rows]


async def revoke(conn: asyncpg.Connection, prefix: str, reason: str, by: str) -> None:
    done = await conn.execute(
        "UPDATE api_keys SET status = 'revoked', revoked_at = now(), revoked_reason = $2,"
        " revoked_by = $3 WHERE prefix = $1 AND status <> 'revoked'",
        prefix,
        reason,
        by,
    )
    if done == "UPDATE 0":
        raise LookupError(f"no active key with prefix {prefix}")


async def rotate(conn: asyncpg.Connection, prefix: str, overlap: timedelta, by: str) -> IssuedKey:
    """A new key with the same account, name and scopes; the old one expires after `overlap`
    so the integration can be redeployed with the new secret before the old one stops."""
    old = await conn.fetchrow(
        "SELECT id, account_id, name, scopes FROM api_keys WHERE prefix = $1 AND status = 'active'",
        prefix,
    )
    if old is None:
        raise LookupError(f"no active key with prefix {prefix}")
    async with conn.transaction():
        new = await issue(conn, old["account_id"], old["name"],
                          tuple(Scope(s) for s in old["scopes"]))  # fmt: skip
        await conn.execute(
            "UPDATE api_keys SET expires_at = LEAST(COALESCE(expires_at, 'infinity'),"
            " now() + $2::interval), revoked_reason = $3, revoked_by = $4 WHERE id = $1",
            old["id"],
            overlap,
            f"rotated; replaced by {new.token.split('_')[2]}",
            by,
        )
    return new
