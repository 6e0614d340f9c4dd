"""The developer portal's users, their sessions and their accounts in PostgreSQL.

Sessions are opaque tokens stored as their sha256 and checked on every portal request: a
session ends at sign-out, at a password change, `hours` after sign-in, after `idle` minutes
without a request, or when its account is disabled, each at once. Accounts, invitations and
the portal's audit trail go through `shared.adapters.accounts`, as the `pinned accounts` CLI's
do.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import asyncpg

from shared.adapters import accounts, dead_letters
from shared.adapters.dead_letters import DeadLetter
from shared.domain.tokens import PORTAL_SESSION_PREFIX, new_token, token_hash

Row = dict[str, Any]

_NEW = """
INSERT INTO portal_sessions (id, user_id, token_hash, expires_at, user_agent)
VALUES ($1, $2, $3, now() + make_interval(hours => $4), $5)
"""

# The account must be active (operators have none). last_seen_at is written at most once a
# minute per session, not on every request.
_FIND = """
WITH found AS (
    SELECT s.id AS session_id, s.last_seen_at, u.id AS user_id, u.role, u.email,
           u.display_name, u.account_id, a.name AS account_name,
           a.setup_completed_at IS NOT NULL AS account_set_up
    FROM portal_sessions s
    JOIN portal_users u ON u.id = s.user_id
    LEFT JOIN accounts a ON a.id = u.account_id
    WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
      AND s.last_seen_at > now() - make_interval(mins => $2)
      AND (u.account_id IS NULL OR a.status = 'active')
), seen AS (
    UPDATE portal_sessions SET last_seen_at = now()
    WHERE id = (SELECT session_id FROM found WHERE last_seen_at < now() - interval '1 minute')
)
SELECT * FROM found
"""


@dataclass(frozen=True)
class PortalSession:
    """Who a portal request is from."""

    id: uuid.UUID
    user_id: int
    role: str
    email: str
    display_name: str
    account_id: int | None
    account_name: str | None
    account_set_up: bool

    @property
    def actor(self) -> str:
        """How this user's changes name them in a key's history and the audit trail."""
        return f"portal:{self.email}"


class PortalStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    async def new_session(self, user_id: int, hours: int, user_agent: str | None) -> str:
        """A new session's token (set in the cookie; only its hash is kept)."""
        token, hashed = new_token(PORTAL_SESSION_PREFIX)
        agent = (user_agent or "")[:300] or None
        await self._pool.execute(_NEW, uuid.uuid4(), user_id, hashed, hours, agent)
        return token

    async def session(self, token: str, idle_minutes: int) -> PortalSession | None:
        row = await self._pool.fetchrow(_FIND, token_hash(token), idle_minutes)
        if row is None:
            return None
        return PortalSession(
            row["session_id"],
            row["user_id"],
            row["role"],
            row["email"],
            row["display_name"],
            row["account_id"],
            row["account_name"],
            row["account_set_up"],
        )

    async def end_session(self, token: str) -> None:
        await self._pool.execute(
            "UPDATE portal_sessions SET revoked_at = now()"
            " WHERE token_hash = $1 AND revoked_at IS NULL",
            token_hash(token),
        )

    async def user(self, user_id: int) -> Row:
        async with self._pool.acquire() as conn:
            return await accounts.user(conn, user_id)

    async def account(self, account_id: int) -> Row:
        async with self._pool.acquire() as conn:
            return await accounts.get(conn, account_id)

    async def account_active(self, user_id: int) -> bool:
        """Whether the user may use the portal: an operator, or an active account's user."""
        active = await self._pool.fetchval(
            "SELECT u.account_id IS NULL OR a.status = 'active' FROM portal_users u"
            " LEFT JOIN accounts a ON a.id = u.account_id WHERE u.id = $1",
            user_id,
        )
        return bool(active)

    async def invited_user(self, token: str) -> Row:
        async with self._pool.acquire() as conn:
            return await accounts.invited_user(conn, token)

    async def accept_invitation(self, token: str, password_hash: str, display_name: str) -> Row:
        async with self._pool.acquire() as conn:
            return await accounts.accept_invitation(conn, token, password_hash, display_name)

    async def change_password(self, user_id: int, password_hash: str) -> None:
        """The new password; every session of the user ends (the caller starts a new one)."""
        async with self._pool.acquire() as conn, conn.transaction():
            await accounts.set_password(conn, user_id, password_hash)

    async def complete_setup(
        self, account_id: int, name: str, channel_name: str | None, actor: str
    ) -> Row:
        async with self._pool.acquire() as conn:
            return await accounts.complete_setup(conn, account_id, name, channel_name, actor)

    async def needs_channel(self, account_id: int) -> bool:
        owned = await self._pool.fetchval(
            "SELECT 1 FROM channels WHERE owner_account_id = $1 LIMIT 1", account_id
        )
        return owned is None

    async def audit(
        self,
        account_id: int | None,
        user_id: int | None,
        action: str,
        actor: str,
        request_id: str | None,
        client_ip: str | None,
        detail: dict[str, Any] | None = None,
    ) -> None:
        await accounts.audit(
            self._pool,
            account_id,
            user_id,
            action,
            actor,
            request_id=request_id,
            client_ip=client_ip,
            detail=detail,
        )

    async def audit_trail(self, account_id: int) -> list[Row]:
        return await accounts.audit_trail(self._pool, account_id)

    async def with_replays(self, letters: list[DeadLetter]) -> list[DeadLetter]:
        return await dead_letters.with_replays(self._pool, letters)

    async def mark_replayed(self, letters: list[DeadLetter], actor: str) -> None:
        await dead_letters.mark_replayed(self._pool, letters, actor)
