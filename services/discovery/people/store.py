"""People, their sessions and the account audit trail in PostgreSQL (the primary)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

from shared.domain.tokens import token_hash

PERSON_COLUMNS = """p.id, p.email, p.display_name, p.share_plans, p.reminder_minutes,
    p.created_at, p.calendar_token_hash IS NOT NULL AS has_calendar_url"""


@dataclass(frozen=True)
class Person:
    id: int
    email: str
    display_name: str
    share_plans: bool
    reminder_minutes: list[int]
    created_at: datetime
    has_calendar_url: bool

    def view(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "email": self.email,
            "displayName": self.display_name,
            "sharePlans": self.share_plans,
            "reminderMinutes": self.reminder_minutes,
            "hasCalendarUrl": self.has_calendar_url,
            "createdAt": self.created_at.isoformat(),
        }


@dataclass(frozen=True)
class Session:
    id: uuid.UUID
    person: Person
    expires_at: datetime


def person_of(row: asyncpg.Record) -> Person:
    return Person(
        id=row["id"],
        email=row["email"],
        display_name=row["display_name"],
        share_plans=row["share_plans"],
        reminder_minutes=list(row["reminder_minutes"]),
        created_at=row["created_at"],
        has_calendar_url=row["has_calendar_url"],
    )


_CREATE = f"""
INSERT INTO people AS p (email, email_key, display_name, password_hash)
VALUES ($1, $2, $3, $4) ON CONFLICT (email_key) DO NOTHING
RETURNING {PERSON_COLUMNS}
"""  # noqa: S608  (a constant column list)

_NEW_SESSION = """
INSERT INTO person_sessions (id, person_id, token_hash, expires_at, user_agent)
VALUES ($1, $2, $3, now() + make_interval(days => $4), $5) RETURNING expires_at
"""

# Checked on every request: a revoked or expired session stops at once. last_seen_at is
# written at most once a minute per session, not on every request.
_SESSION = f"""
WITH found AS (
    SELECT s.id AS session_id, s.expires_at, s.last_seen_at, {PERSON_COLUMNS}
    FROM person_sessions s JOIN people p ON p.id = s.person_id
    WHERE s.token_hash = $1 AND s.revoked_at IS NULL AND s.expires_at > now()
), seen AS (
    UPDATE person_sessions SET last_seen_at = now()
    WHERE id = (SELECT session_id FROM found WHERE last_seen_at < now() - interval '1 minute')
)
SELECT * FROM found
"""  # noqa: S608  (a constant column list)

_SESSIONS = """
SELECT id, created_at, expires_at, last_seen_at, user_agent FROM person_sessions
WHERE person_id = $1 AND revoked_at IS NULL AND expires_at > now()
ORDER BY created_at DESC
"""

_REVOKE = """
UPDATE person_sessions SET revoked_at = now()
WHERE person_id = $1 AND revoked_at IS NULL AND ($2::uuid IS NULL OR id = $2)
RETURNING id
"""

_UPDATE = f"""
UPDATE people p SET display_name = coalesce($2, display_name),
    share_plans = coalesce($3, share_plans)
WHERE p.id = $1 RETURNING {PERSON_COLUMNS}
"""  # noqa: S608  (a constant column list)

_PERSON = f"SELECT {PERSON_COLUMNS} FROM people p WHERE p.id = $1"  # noqa: S608

_AUDIT = """
INSERT INTO people_audit (person_id, action, request_id, detail) VALUES ($1, $2, $3, $4::jsonb)
"""


class PeopleStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool

    @property
    def pool(self) -> asyncpg.Pool:
        """The primary: sign-in's password rows (shared.adapters.sign_in) are read there."""
        return self._pool

    async def create(
        self, email: str, email_key: str, display_name: str, password_hash: str
    ) -> Person | None:
        """The new person, or None when the address already has an account."""
        row = await self._pool.fetchrow(_CREATE, email, email_key, display_name, password_hash)
        return person_of(row) if row is not None else None

    async def new_session(
        self, person_id: int, token: str, days: int, user_agent: str | None
    ) -> tuple[uuid.UUID, datetime]:
        session_id = uuid.uuid4()
        agent = (user_agent or "")[:300] or None
        expires = await self._pool.fetchval(
            _NEW_SESSION, session_id, person_id, token_hash(token), days, agent
        )
        return session_id, expires

    async def session(self, token: str) -> Session | None:
        row = await self._pool.fetchrow(_SESSION, token_hash(token))
        if row is None:
            return None
        return Session(row["session_id"], person_of(row), row["expires_at"])

    async def sessions(self, person_id: int) -> list[dict[str, Any]]:
        return [dict(row) for row in await self._pool.fetch(_SESSIONS, person_id)]

    async def revoke(self, person_id: int, session_id: uuid.UUID | None) -> int:
        """Revoke one of the person's sessions, or all of them (None); how many stopped."""
        return len(await self._pool.fetch(_REVOKE, person_id, session_id))

    async def audit(
        self,
        person_id: int,
        action: str,
        request_id: str | None,
        detail: dict[str, Any] | None = None,
        conn: asyncpg.Connection | None = None,
    ) -> None:
        await (conn or self._pool).execute(_AUDIT, person_id, action, request_id, detail or {})

    async def person(self, person_id: int) -> Person | None:
        row = await self._pool.fetchrow(_PERSON, person_id)
        return person_of(row) if row is not None else None

    async def update(
        self, person_id: int, display_name: str | None, share_plans: bool | None
    ) -> Person:
        row = await self._pool.fetchrow(_UPDATE, person_id, display_name, share_plans)
        return person_of(row)
