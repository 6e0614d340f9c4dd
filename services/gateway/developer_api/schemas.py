"""Response shapes of the developer API (key management), for the OpenAPI document; what
may be asked for is the management layer's (`services/gateway/management/keys.py`)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field

from services.gateway.edge.schemas import PageFields, ResponseModel


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
