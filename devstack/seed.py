"""Demo data for `make run`: an account, channel 42 (the docs' example id), fresh keys (the
previous start's are revoked: owner keys must not pile up), and the account's owner in the
developer portal with a new invitation link on every start until they set a password (the
database keeps only a link's hash, so an earlier one cannot be shown again)."""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

from shared.adapters import accounts, key_store
from shared.domain.api_keys import OWNER_SCOPES, Scope

DEMO_ACCOUNT = "Demo account"
DEMO_CHANNEL_ID = 42
DEMO_SCOPES = (Scope.CHANNELS_READ, Scope.EVENTS_CREATE, Scope.EVENTS_READ)
SEED_ACTOR = "make run"
DEMO_SLUG = "demo"
DEMO_OWNER_EMAIL = "demo-owner@example.com"
DEMO_KEY_NAME, OWNER_KEY_NAME = "make run demo key", "make run owner key"

_PUBLISH_DEMO = """
UPDATE channels SET visibility = 'public',
    slug = CASE WHEN EXISTS (SELECT 1 FROM channels WHERE slug = $2 AND id <> $1) THEN slug
                ELSE $2 END
WHERE id = $1 RETURNING slug
"""


@dataclass(frozen=True)
class DemoData:
    account_id: int
    channel_id: int
    channel_slug: str
    api_key: str
    owner_key: str
    owner_email: str = DEMO_OWNER_EMAIL
    # The owner's invitation (a path on the gateway) while they have no password yet.
    invitation_path: str | None = None


async def seed_demo(database_url: str) -> DemoData:
    conn: asyncpg.Connection = await asyncpg.connect(database_url)
    try:
        async with conn.transaction():
            # The owner's account first: setup in the portal may have renamed it.
            account_id = (
                await conn.fetchval(
                    "SELECT account_id FROM portal_users WHERE email_key = $1", DEMO_OWNER_EMAIL
                )
                or await conn.fetchval("SELECT id FROM accounts WHERE name = $1", DEMO_ACCOUNT)
                or await conn.fetchval(
                    "INSERT INTO accounts (name) VALUES ($1) RETURNING id", DEMO_ACCOUNT
                )
            )
            await conn.execute(
                "INSERT INTO channels (id, owner_account_id, name) OVERRIDING SYSTEM VALUE"
                " VALUES ($1, $2, 'Demo channel') ON CONFLICT (id) DO NOTHING",
                DEMO_CHANNEL_ID,
                account_id,
            )
            # Keep generated ids clear of the one we chose.
            await conn.execute(
                "SELECT setval(pg_get_serial_sequence('channels', 'id'),"
                " GREATEST((SELECT max(id) FROM channels), $1))",
                DEMO_CHANNEL_ID,
            )
            channel_id = await _demo_channel(conn, account_id)
            # Public, so what the first curl publishes shows up on the discovery pages.
            slug = await conn.fetchval(_PUBLISH_DEMO, channel_id, DEMO_SLUG)
            await _revoke_earlier_keys(conn, account_id)
            api_key = await key_store.issue(
                conn, account_id, DEMO_KEY_NAME, DEMO_SCOPES, actor=SEED_ACTOR
            )
            owner_key = await key_store.issue(
                conn, account_id, OWNER_KEY_NAME, OWNER_SCOPES, actor=SEED_ACTOR
            )
            invitation = await _owner_invitation(conn, account_id)
        return DemoData(
            account_id,
            channel_id,
            slug,
            api_key.token,
            owner_key.token,
            invitation_path=invitation.path() if invitation else None,
        )
    finally:
        await conn.close()


async def _demo_channel(conn: asyncpg.Connection, account_id: int) -> int:
    """Channel 42 when the demo account got it; else (42 taken on a shared database) its own."""
    owned = await conn.fetchval(
        "SELECT id FROM channels WHERE owner_account_id = $1 ORDER BY id <> $2, id LIMIT 1",
        account_id,
        DEMO_CHANNEL_ID,
    )
    if owned is not None:
        return int(owned)
    return int(
        await conn.fetchval(
            "INSERT INTO channels (owner_account_id, name) VALUES ($1, 'Demo channel')"
            " RETURNING id",
            account_id,
        )
    )


async def _owner_invitation(
    conn: asyncpg.Connection, account_id: int
) -> accounts.Invitation | None:
    """A new invitation for the demo owner (the previous one stops working); None once they
    have set a password."""
    owner = await conn.fetchrow(
        "SELECT id, password_hash IS NOT NULL AS has_password FROM portal_users"
        " WHERE email_key = $1",
        DEMO_OWNER_EMAIL,
    )
    if owner is None:
        owner = await accounts.add_user(conn, account_id, "owner", DEMO_OWNER_EMAIL)
    if owner["has_password"]:
        return None
    return await accounts.invite(conn, owner["id"], SEED_ACTOR)


async def _revoke_earlier_keys(conn: asyncpg.Connection, account_id: int) -> None:
    earlier = await conn.fetch(
        "SELECT id FROM api_keys WHERE account_id = $1 AND name = ANY($2::text[])"
        " AND status <> 'revoked'",
        account_id,
        [DEMO_KEY_NAME, OWNER_KEY_NAME],
    )
    for key in earlier:
        reason = "replaced by the next make run"
        await key_store.revoke(conn, account_id, key["id"], reason, SEED_ACTOR)
