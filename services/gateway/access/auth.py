"""Bearer API key authentication and per-route scopes.

Key records come through the access cache (services/gateway/access/cache.py): a revoked, disabled
or expired key stops working as soon as PostgreSQL announces the change, and never later than
GATEWAY_ACCESS_CACHE_SECONDS.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Protocol

from starlette.requests import Request

from services.gateway.adapters.events import KeyRecord
from services.gateway.edge.errors import Unauthorized
from shared.core.metrics import AUTH_FAILURES
from shared.domain.api_keys import parse_key, secret_matches


class KeyLookup(Protocol):
    async def key_by_prefix(self, prefix: str) -> KeyRecord | None: ...


@dataclass(frozen=True)
class Principal:
    key_id: uuid.UUID
    owner_id: int
    key_prefix: str
    scopes: frozenset[str]


async def authenticate(request: Request, keys: KeyLookup) -> Principal:
    # Keys in URLs end up in proxy logs and browser history; refuse them outright.
    if "api_key" in request.query_params or "apiKey" in request.query_params:
        raise _refused("key_in_query")
    token = _bearer_token(request.headers.get("authorization"))
    parsed = parse_key(token) if token else None
    if parsed is None:
        raise _refused("malformed")  # or a bad checksum: no database lookup
    record = await keys.key_by_prefix(parsed.prefix)
    if record is None:
        raise _refused("unknown_key")
    if not secret_matches(parsed, record.secret_hash):
        raise _refused("bad_secret")
    if not _usable(record):
        raise _refused("inactive")
    return Principal(record.id, record.account_id, record.prefix, record.scopes)


def _refused(reason: str) -> Unauthorized:
    AUTH_FAILURES.labels(reason).inc()
    return Unauthorized()


def _bearer_token(header: str | None) -> str | None:
    if not header:
        return None
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else None


def _usable(record: KeyRecord) -> bool:
    if record.status != "active":
        return False
    return record.expires_at is None or record.expires_at > datetime.now(UTC)
