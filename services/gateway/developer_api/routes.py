"""The developer API v1, one row per route (keys, usage and audit, integrations, channels):
the router, the guard and the OpenAPI document are all built from `OPERATIONS`.

Authenticated with an owner key (scopes keys:manage, integrations:manage, audit:read,
channels:manage), which
integration keys never hold; every route counts in one tight quota per owner account.
"""

from __future__ import annotations

from services.gateway.developer_api import audit, channels, integrations, keys, trials
from services.gateway.developer_api.keys import DEVELOPER_BASE
from services.gateway.edge.operations import Operation
from services.gateway.edge.routing import Document

__all__ = ["DEVELOPER_BASE", "DEVELOPER_OPENAPI_PATH", "DOCUMENT", "OPERATIONS"]

DEVELOPER_OPENAPI_PATH = "/api/developer/openapi/developer-api-v1"

OPERATIONS: tuple[Operation, ...] = (
    *keys.OPERATIONS,
    *audit.OPERATIONS,
    *integrations.OPERATIONS,
    *trials.OPERATIONS,
    *channels.OPERATIONS,
)


DOCUMENT = Document(
    DEVELOPER_OPENAPI_PATH,
    "Pinned Events Developer API",
    "Manage an account's API keys, webhook integrations and channels (their visibility and "
    "slug on the discovery service, their page and feeds there), and read its audit trail. "
    "Authenticate with an owner key (scopes keys:manage, integrations:manage, audit:read, "
    "channels:manage); integration keys cannot call it.",
    base=DEVELOPER_BASE,
    authentication="Authorization: Bearer <owner key> (scopes keys:manage, "
    "integrations:manage, audit:read, channels:manage), from the portal or make run",
)
