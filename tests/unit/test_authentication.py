"""Which refusals name the key they presented: only a key whose secret matched (revoked,
disabled, expired) is attributed to its owner's audit; a wrong secret names nobody."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from services.gateway.access.auth import Credentials, InactiveKey, authenticate
from services.gateway.adapters.events import KeyRecord
from services.gateway.errors import NotAuthenticated
from shared.domain.api_keys import generate_key


class Keys:
    def __init__(self, record: KeyRecord) -> None:
        self.record = record

    async def key_by_prefix(self, prefix: str) -> KeyRecord | None:
        return self.record if prefix == self.record.prefix else None


def record_of(
    token_hash: bytes, prefix: str, status: str, expires_at: datetime | None
) -> KeyRecord:
    return KeyRecord(
        uuid.uuid4(), 7, prefix, token_hash, frozenset({"events:read"}), status, expires_at
    )


@pytest.mark.parametrize(
    ("status", "expires_at"),
    [("revoked", None), ("disabled", None), ("active", datetime.now(UTC) - timedelta(seconds=1))],
)
async def test_an_inactive_key_with_its_secret_names_its_owner(
    status: str, expires_at: datetime | None
) -> None:
    key = generate_key()
    record = record_of(key.secret_hash, key.prefix, status, expires_at)
    with pytest.raises(InactiveKey) as refused:
        await authenticate(Credentials(key.token), Keys(record))
    assert (refused.value.principal.owner_id, refused.value.principal.key_id) == (7, record.id)
    assert refused.value.code == "unauthorized"


async def test_a_wrong_secret_names_nobody() -> None:
    key, other = generate_key(), generate_key()
    record = record_of(
        other.secret_hash, key.prefix, "revoked", None
    )  # key's prefix, not its secret
    with pytest.raises(NotAuthenticated) as refused:
        await authenticate(Credentials(key.token), Keys(record))
    assert not isinstance(refused.value, InactiveKey)
    active = record_of(key.secret_hash, key.prefix, "active", None)
    principal = await authenticate(Credentials(key.token), Keys(active))
    assert principal.key_id == active.id
