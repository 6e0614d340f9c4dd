"""Customer accounts and the people who sign in to the developer portal for them.

Shared by the `pinned accounts` / `pinned operators` CLI (operators) and the portal in the
gateway (owners): an operator creates an account with its owner's e-mail and gets a
one-time invitation link; the owner sets a password through it, signs in and completes the
account's setup. Disabling an account stops its keys (within the gateway's access-cache
bound, announced by a trigger), its webhooks and its users' portal sessions.
"""

from __future__ import annotations

import ipaddress
import json
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

import asyncpg

from shared.domain.passwords import email_key
from shared.domain.tokens import INVITATION_PREFIX, new_token, token_hash

Role = Literal["owner", "operator"]
AccountStatus = Literal["active", "disabled"]
DEFAULT_INVITATION_LIFETIME = timedelta(hours=72)

_ACCOUNT = """
SELECT a.id, a.name, a.status, a.status_reason, a.status_changed_at, a.status_changed_by,
       a.created_at, a.created_by, a.setup_completed_at,
       (SELECT count(*) FROM channels c WHERE c.owner_account_id = a.id) AS channels,
       (SELECT count(*) FROM api_keys k WHERE k.account_id = a.id AND k.status = 'active')
           AS active_keys,
       (SELECT u.email FROM portal_users u WHERE u.account_id = a.id AND u.role = 'owner'
        ORDER BY u.id LIMIT 1) AS owner_email
FROM accounts a
"""

_USER = """
SELECT u.id, u.account_id, u.role, u.email, u.display_name, u.created_at,
       u.password_hash IS NOT NULL AS has_password, u.password_changed_at,
       u.locked_until > now() AS locked
FROM portal_users u
"""

_PENDING = """
SELECT id, user_id, created_by, created_at, expires_at FROM portal_invitations
WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
ORDER BY created_at DESC LIMIT 1
"""

_USE_INVITATION = """
UPDATE portal_invitations SET used_at = now(), token_hash = NULL
WHERE token_hash = $1 AND used_at IS NULL AND revoked_at IS NULL AND expires_at > now()
RETURNING user_id
"""


class AccountNotFound(LookupError):
    """No such account (or user)."""


class AccountConflict(Exception):
    """The change conflicts with what exists: an e-mail in use, a status already set."""


class InvitationInvalid(Exception):
    """Unknown, used, replaced or expired: one answer for all."""


@dataclass(frozen=True)
class Invitation:
    """A pending invitation; `token` is what the link carries, known only when it is made
    (the database keeps its hash)."""

    id: uuid.UUID
    user_id: int
    token: str | None
    expires_at: Any

    def path(self) -> str:
        """The link's path; ValueError for an invitation read back, whose token is gone."""
        if self.token is None:
            raise ValueError("an invitation's link is shown only when it is made")
        return f"/developers/invitation?token={self.token}"


@dataclass(frozen=True)
class CreatedAccount:
    account: dict[str, Any]
    owner: dict[str, Any]
    invitation: Invitation


async def create(
    conn: asyncpg.Connection,
    name: str,
    owner_email: str,
    actor: str,
    lifetime: timedelta = DEFAULT_INVITATION_LIFETIME,
) -> CreatedAccount:
    """A new account with its owner (no password yet) and the owner's invitation."""
    async with conn.transaction():
        account_id = await conn.fetchval(
            "INSERT INTO accounts (name, created_by) VALUES ($1, $2) RETURNING id", name, actor
        )
        owner = await add_user(conn, account_id, "owner", owner_email)
        invitation = await invite(conn, owner["id"], actor, lifetime)
        await audit(conn, account_id, None, "account_created", actor, detail={"name": name})
    return CreatedAccount(await get(conn, account_id), owner, invitation)


async def create_operator(
    conn: asyncpg.Connection,
    email: str,
    actor: str,
    lifetime: timedelta = DEFAULT_INVITATION_LIFETIME,
) -> tuple[dict[str, Any], Invitation]:
    """A platform operator (no account) and their invitation."""
    async with conn.transaction():
        user = await add_user(conn, None, "operator", email)
        invitation = await invite(conn, user["id"], actor, lifetime)
    return user, invitation


async def add_user(
    conn: asyncpg.Connection, account_id: int | None, role: Role, email: str
) -> dict[str, Any]:
    """A portal user without a password yet (an invitation gives them one);
    AccountConflict when the address has a user already."""
    row = await conn.fetchrow(
        "INSERT INTO portal_users (account_id, role, email, email_key) VALUES ($1, $2, $3, $4)"
        " ON CONFLICT (email_key) DO NOTHING RETURNING id",
        account_id,
        role,
        email.strip(),
        email_key(email),
    )
    if row is None:
        raise AccountConflict(f"a portal user with the e-mail {email.strip()} exists already")
    return await user(conn, row["id"])


async def invite(
    conn: asyncpg.Connection,
    user_id: int,
    actor: str,
    lifetime: timedelta = DEFAULT_INVITATION_LIFETIME,
) -> Invitation:
    """A new one-time link for the user; any earlier pending one stops working."""
    async with conn.transaction():
        await conn.execute(
            "UPDATE portal_invitations SET revoked_at = now(), token_hash = NULL"
            " WHERE user_id = $1 AND used_at IS NULL AND revoked_at IS NULL",
            user_id,
        )
        token, stored = new_token(INVITATION_PREFIX)
        row = await conn.fetchrow(
            "INSERT INTO portal_invitations (id, user_id, token_hash, created_by, expires_at)"
            " VALUES ($1, $2, $3, $4, now() + $5::interval) RETURNING id, expires_at",
            uuid.uuid4(),
            user_id,
            stored,
            actor,
            lifetime,
        )
        account_id = await conn.fetchval(
            "SELECT account_id FROM portal_users WHERE id = $1", user_id
        )
        await audit(conn, account_id, user_id, "invitation_created", actor)
    return Invitation(row["id"], user_id, token, row["expires_at"])


async def pending_invitation(conn: asyncpg.Connection, user_id: int) -> Invitation | None:
    """The user's usable invitation (without its token: a new link takes `invite`); None
    once used, replaced or expired."""
    row = await conn.fetchrow(_PENDING, user_id)
    if row is None:
        return None
    return Invitation(row["id"], user_id, None, row["expires_at"])


async def invited_user(conn: asyncpg.Connection, token: str) -> dict[str, Any]:
    """Whom a pending invitation is for; InvitationInvalid when it cannot be used."""
    row = await conn.fetchrow(
        f"{_USER} JOIN portal_invitations i ON i.user_id = u.id"
        " WHERE i.token_hash = $1 AND i.used_at IS NULL AND i.revoked_at IS NULL"
        " AND i.expires_at > now()",
        token_hash(token),
    )
    if row is None:
        raise InvitationInvalid("This invitation link is unknown, used or expired.")
    return dict(row)


async def accept_invitation(
    conn: asyncpg.Connection, token: str, password_hash: str, display_name: str
) -> dict[str, Any]:
    """Use the invitation (once: a second use finds nothing) and set the user's password."""
    async with conn.transaction():
        user_id = await conn.fetchval(_USE_INVITATION, token_hash(token))
        if user_id is None:
            raise InvitationInvalid("This invitation link is unknown, used or expired.")
        await set_password(conn, user_id, password_hash)
        await conn.execute(
            "UPDATE portal_users SET display_name = $2 WHERE id = $1", user_id, display_name
        )
        found = await user(conn, user_id)
        await audit(conn, found["account_id"], user_id, "invitation_used", f"user:{user_id}")
    return found


async def set_password(conn: asyncpg.Connection, user_id: int, password_hash: str) -> None:
    """A new password also ends every session of the user (the caller starts a new one)."""
    await conn.execute(
        "UPDATE portal_users SET password_hash = $2, password_changed_at = now(),"
        " failed_signins = 0, locked_until = NULL WHERE id = $1",
        user_id,
        password_hash,
    )
    await conn.execute(
        "UPDATE portal_sessions SET revoked_at = now() WHERE user_id = $1 AND revoked_at IS NULL",
        user_id,
    )


async def get(conn: asyncpg.Connection, account_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(f"{_ACCOUNT} WHERE a.id = $1", account_id)
    if row is None:
        raise AccountNotFound(f"no account {account_id}")
    return dict(row)


async def listing(conn: asyncpg.Connection) -> list[dict[str, Any]]:
    return [dict(r) for r in await conn.fetch(f"{_ACCOUNT} ORDER BY a.id")]


async def users(conn: asyncpg.Connection, account_id: int | None) -> list[dict[str, Any]]:
    """An account's users, or the operators (None)."""
    rows = await conn.fetch(
        f"{_USER} WHERE u.account_id IS NOT DISTINCT FROM $1 ORDER BY u.id",
        account_id,
    )
    return [dict(r) for r in rows]


async def user(conn: asyncpg.Connection, user_id: int) -> dict[str, Any]:
    row = await conn.fetchrow(f"{_USER} WHERE u.id = $1", user_id)
    if row is None:
        raise AccountNotFound(f"no portal user {user_id}")
    return dict(row)


async def operator_by_email(conn: asyncpg.Connection, email: str) -> dict[str, Any]:
    row = await conn.fetchrow(
        f"{_USER} WHERE u.email_key = $1 AND u.role = 'operator'", email_key(email)
    )
    if row is None:
        raise AccountNotFound(f"no operator has the e-mail {email.strip()}")
    return dict(row)


async def owner_of(conn: asyncpg.Connection, account_id: int) -> dict[str, Any]:
    owners = [u for u in await users(conn, account_id) if u["role"] == "owner"]
    if not owners:
        raise AccountNotFound(f"account {account_id} has no owner to invite")
    return owners[0]


async def set_status(
    conn: asyncpg.Connection,
    account_id: int,
    status: AccountStatus,
    reason: str | None,
    actor: str,
) -> dict[str, Any]:
    """Disable (its keys stop within the access-cache bound, its webhooks and portal
    sessions at once) or enable an account again."""
    async with conn.transaction():
        current = await conn.fetchval(
            "SELECT status FROM accounts WHERE id = $1 FOR UPDATE", account_id
        )
        if current is None:
            raise AccountNotFound(f"no account {account_id}")
        if current == status:
            raise AccountConflict(f"account {account_id} is already {status}")
        await conn.execute(
            "UPDATE accounts SET status = $2, status_reason = $3, status_changed_at = now(),"
            " status_changed_by = $4 WHERE id = $1",
            account_id,
            status,
            reason,
            actor,
        )
        action = "account_disabled" if status == "disabled" else "account_enabled"
        await audit(conn, account_id, None, action, actor, detail={"reason": reason})
    return await get(conn, account_id)


async def complete_setup(
    conn: asyncpg.Connection, account_id: int, name: str, channel_name: str | None, actor: str
) -> dict[str, Any]:
    """Name the account and, when it has none, create its first channel; once."""
    async with conn.transaction():
        done = await conn.fetchval(
            "UPDATE accounts SET name = $2, setup_completed_at = now()"
            " WHERE id = $1 AND setup_completed_at IS NULL RETURNING id",
            account_id,
            name,
        )
        if done is None:
            raise AccountConflict("the account's setup is complete already")
        if channel_name and not await conn.fetchval(
            "SELECT 1 FROM channels WHERE owner_account_id = $1", account_id
        ):
            await conn.execute(
                "INSERT INTO channels (owner_account_id, name) VALUES ($1, $2)",
                account_id,
                channel_name,
            )
        await audit(conn, account_id, None, "setup_completed", actor, detail={"name": name})
    return await get(conn, account_id)


async def audit(
    conn: asyncpg.Connection | asyncpg.Pool,
    account_id: int | None,
    user_id: int | None,
    action: str,
    actor: str,
    *,
    request_id: str | None = None,
    client_ip: str | None = None,
    detail: dict[str, Any] | None = None,
) -> None:
    await conn.execute(
        "INSERT INTO portal_audit (account_id, user_id, action, actor, request_id, client_ip,"
        " detail) VALUES ($1, $2, $3, $4, $5, $6::inet, $7::text::jsonb)",
        account_id,
        user_id,
        action,
        actor,
        request_id,
        _ip(client_ip),
        json.dumps(detail or {}),
    )


def _ip(text: str | None) -> str | None:
    try:
        return str(ipaddress.ip_address(text)) if text else None
    except ValueError:
        return None


async def audit_trail(
    conn: asyncpg.Connection | asyncpg.Pool, account_id: int, limit: int = 100
) -> list[dict[str, Any]]:
    """The account's portal events, newest first."""
    rows = await conn.fetch(
        "SELECT action, actor, request_id, host(client_ip) AS client_ip, detail::text AS detail,"
        " occurred_at"
        " FROM portal_audit WHERE account_id = $1 ORDER BY occurred_at DESC, id DESC LIMIT $2",
        account_id,
        limit,
    )
    return [{**dict(r), "detail": json.loads(r["detail"])} for r in rows]
