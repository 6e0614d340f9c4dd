"""Bearer API key authentication.

Key records come through the access cache (`access/cache.py`): a revoked, disabled or expired
key stops working as soon as PostgreSQL announces the change, and never later than
GATEWAY_ACCESS_CACHE_SECONDS.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from services.gateway.adapters.events import KeyRecord
from services.gateway.errors import KeyInQuery, NotAuthenticated
from shared.core.metrics import AUTH_FAILURES
from shared.domain.api_keys import parse_key, secret_matches


class KeyLookup(Protocol):
    async def key_by_prefix(self, prefix: str) -> KeyRecord | None: ...


@dataclass(frozen=True)
class Credentials:
    """What a request presents: its bearer token, and whether it also put a key in the URL."""

    token: str | None
    key_in_query: bool = False


@dataclass(frozen=True)
class Principal:
    key_id: uuid.UUID
    owner_id: int
    key_prefix: str
    scopes: frozenset[str]

    @property
    def actor(self) -> str:
        """How the key's own changes name it in a key's history."""
        return f"key:{self.key_prefix}"


async def authenticate(credentials: Credentials, keys: KeyLookup) -> Principal:
    """The key's principal, or NotAuthenticated whatever the reason (counted by reason)."""
    # Keys in URLs end up in proxy logs and browser history; refuse them outright.
    if credentials.key_in_query:
        AUTH_FAILURES.labels("key_in_query").inc()
        raise KeyInQuery()
    parsed = parse_key(credentials.token) if credentials.token else None
    if parsed is None:
        raise _refused("malformed")  # or a bad checksum: no database lookup
    record = await keys.key_by_prefix(parsed.prefix)
    if record is None:
        raise _refused("unknown_key")
    if not secret_matches(parsed, record.secret_hash):
        raise _refused("bad_secret")
    principal = Principal(record.id, record.account_id, record.prefix, record.scopes)
    if not _usable(record):
        AUTH_FAILURES.labels("inactive").inc()
        raise InactiveKey(principal)
    return principal


class InactiveKey(NotAuthenticated):
    """A revoked, disabled, expired or rotated-out key with its right secret: the same answer
    as any other failure, but the attempt is its owner's to see (the request's audit record
    names the key), e.g. a system still sending the key a rotation replaced."""

    def __init__(self, principal: Principal) -> None:
        super().__init__()
        self.principal = principal


AUTH_FAILURE_REASONS = ("malformed", "unknown_key", "bad_secret", "inactive", "key_in_query")
for _reason in AUTH_FAILURE_REASONS:  # every reason's series from 0, for rate() and alerts
    AUTH_FAILURES.labels(_reason)


def _refused(reason: str) -> NotAuthenticated:
    AUTH_FAILURES.labels(reason).inc()
    return NotAuthenticated()


def _usable(record: KeyRecord) -> bool:
    if record.status != "active":
        return False
    return record.expires_at is None or record.expires_at > datetime.now(UTC)
