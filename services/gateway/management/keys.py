"""API keys as an owner manages them: what may be asked for (the request models), how a
key's status reads, and issuing and rotating through the key store, which records who did
what in the key's history."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, field_validator

from services.gateway.adapters.keys import KeyStore
from shared.adapters.key_store import IssuedKey
from shared.domain.api_keys import Scope

PublicScope = Literal["channels:read", "events:create", "events:read", "events:update"]
QUICKSTART: tuple[PublicScope, ...] = ("channels:read", "events:create")
MAX_ROTATION_OVERLAP_SECONDS = 30 * 24 * 3600
# What each scope an owner may give a key allows, for the portal's form and the docs.
SCOPE_MEANINGS: dict[PublicScope, str] = {
    "channels:read": "list the channels the account may publish into",
    "events:create": "create events (one or a batch)",
    "events:read": "read events back, one or a page",
    "events:update": "change, publish, unpublish and cancel events",
}


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyCreate(_Request):
    name: str = Field(min_length=1, max_length=100, description="What the key is for")
    scopes: list[PublicScope] = Field(
        default_factory=lambda: list(QUICKSTART),
        min_length=1,
        description="Only what the integration needs; quickstart keys get the default",
    )
    mode: Literal["test", "live"] = "test"
    expiresAt: AwareDatetime | None = Field(default=None, description="Stops working then")

    @field_validator("expiresAt")
    @classmethod
    def _in_the_future(cls, value: datetime | None) -> datetime | None:
        if value is not None and value <= datetime.now(UTC):
            raise ValueError("must be in the future")
        return value


class KeyRevoke(_Request):
    reason: str = Field(min_length=1, max_length=500, description="Why, for the audit trail")


class KeyRotate(_Request):
    overlapSeconds: StrictInt = Field(
        default=24 * 3600,
        ge=0,
        le=MAX_ROTATION_OVERLAP_SECONDS,
        description="How long the old key keeps working, to redeploy with the new one",
    )


def key_status(row: dict[str, Any]) -> str:
    """active, disabled, revoked, or expired (an active key past its expiry)."""
    expired = row["expires_at"] is not None and row["expires_at"] <= datetime.now(UTC)
    return "expired" if row["status"] == "active" and expired else str(row["status"])


async def create_key(keys: KeyStore, owner_id: int, body: KeyCreate, actor: str) -> IssuedKey:
    return await keys.issue(
        owner_id,
        body.name,
        [Scope(s) for s in body.scopes],
        actor=actor,
        mode=body.mode,
        expires_at=body.expiresAt,
    )


async def rotate_key(
    keys: KeyStore, owner_id: int, key_id: uuid.UUID, body: KeyRotate, actor: str
) -> IssuedKey:
    return await keys.rotate(owner_id, key_id, timedelta(seconds=body.overlapSeconds), actor)
