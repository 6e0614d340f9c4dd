"""Request and response shapes of the developer API (key management), for validation and
the OpenAPI document alike."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, StrictInt, field_validator

from services.gateway.edge.schemas import PageFields, ResponseModel

PublicScope = Literal["channels:read", "events:create", "events:read", "events:update"]
_QUICKSTART: tuple[PublicScope, ...] = ("channels:read", "events:create")
MAX_ROTATION_OVERLAP_SECONDS = 30 * 24 * 3600


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid")


class KeyCreate(_Request):
    name: str = Field(min_length=1, max_length=100, description="What the key is for")
    scopes: list[PublicScope] = Field(
        default_factory=lambda: list(_QUICKSTART),
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


class ApiKey(ResponseModel):
    """A key as lists show it: never the secret, only the prefix that names it in logs."""

    id: uuid.UUID
    name: str
    mode: Literal["test", "live"]
    prefix: str
    scopes: list[str]
    status: Literal["active", "disabled", "revoked", "expired"]
    expiresAt: datetime | None
    createdAt: datetime
    revokedAt: datetime | None
    revokedReason: str | None
    revokedBy: str | None
    lastUsedAt: datetime | None
    lastUsedIp: str | None
    requestCount: int


class NewApiKey(ApiKey):
    secret: str = Field(description="The full key: shown this once, store it now")


class ApiKeyPage(PageFields):
    docs: list[ApiKey]


class KeyEvent(ResponseModel):
    action: Literal["created", "disabled", "enabled", "revoked", "rotated"]
    actor: str
    reason: str | None
    occurredAt: datetime


class KeyHistory(ResponseModel):
    docs: list[KeyEvent]
