"""What a request's handlers are given: the gateway's collaborators, built once by the
composition root (`app.py`), and the request's own `Exchange`.

Both travel in Starlette's typed lifespan state: the lifespan yields `{"gateway": ...}`, the
middleware adds `{"exchange": ...}` per request, and `GatewayRequest` types them, so every call
from a route inward is checked by mypy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypedDict

from starlette.requests import HTTPConnection, Request

from services.gateway.access.auth import Principal
from services.gateway.access.cache import AccessReader
from services.gateway.adapters.audit import AuditStore
from services.gateway.adapters.channels import ChannelStore
from services.gateway.adapters.deliveries import DeliveryLog
from services.gateway.adapters.events import EventStore
from services.gateway.adapters.integrations import IntegrationStore
from services.gateway.adapters.kafka_writer import KafkaWriter
from services.gateway.adapters.keys import KeyStore
from services.gateway.adapters.operations import OperationStore
from services.gateway.adapters.portal import PortalStore
from services.gateway.settings import GatewaySettings
from services.gateway.submission.batch import BatchSubmitter
from services.gateway.submission.submitter import Submitter
from shared.adapters.rate_limits import RateLimiter
from shared.adapters.sign_in import SignInGuard
from shared.domain.passwords import Passwords


@dataclass(frozen=True)
class Gateway:
    """The gateway's collaborators. Endpoints read through the stores and write through the
    submitters; none of them sees a pool or a Kafka client."""

    settings: GatewaySettings
    events: EventStore
    access: AccessReader
    limiter: RateLimiter
    writer: KafkaWriter  # also the middleware's, for audit records
    submitter: Submitter
    batch: BatchSubmitter
    keys: KeyStore
    integrations: IntegrationStore
    audit: AuditStore
    channels: ChannelStore
    operations: OperationStore
    deliveries: DeliveryLog
    # The developer portal's users and sessions, and how their passwords are checked.
    portal: PortalStore
    passwords: Passwords
    sign_in: SignInGuard
    # Seconds the oldest acquisition still waiting for a database connection (of any of the
    # gateway's pools), or delivery row waiting for its statement, has waited at a monotonic
    # instant: admission control's fourth queue.
    pool_waits: Callable[[float], float]


@dataclass
class Exchange:
    """What the edge learns about one request while answering it; the middleware reads it
    back for the request's log line, metrics and audit record."""

    request_id: str
    principal: Principal | None = None
    # A key refused as inactive although its secret matched: its owner's audit shows the try.
    inactive_key: Principal | None = None
    # The RateLimit headers of the quotas the request was counted in: on every answer.
    quota_headers: dict[str, str] = field(default_factory=dict)
    error_code: str | None = None


class LifespanState(TypedDict):
    gateway: Gateway


class RequestState(LifespanState):
    exchange: Exchange


GatewayRequest = Request[RequestState]


def exchange_of(connection: HTTPConnection) -> Exchange:
    """The request's exchange, for code Starlette calls with an untyped request (exception
    handlers); the middleware puts one in every HTTP request's state."""
    exchange: Exchange = connection.scope["state"]["exchange"]
    return exchange
