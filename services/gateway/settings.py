"""Gateway settings: environment variables prefixed GATEWAY_, plus the shared pieces."""

from __future__ import annotations

from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.core.settings import DatabaseSettings, KafkaSettings, LogSettings, PortalSettings


class RateLimitSettings(BaseSettings):
    """Requests per window; the same for every gateway process, which share the counters."""

    model_config = SettingsConfigDict(env_prefix="RATE_LIMIT_", frozen=True)

    enabled: bool = True
    window_seconds: int = Field(default=60, ge=1)
    per_ip: int = Field(default=3000, ge=1)
    per_key: int = Field(default=1200, ge=1)
    events_create_per_key: int = Field(default=600, ge=1)
    # Key management is rare and sensitive: a tight quota per owner account, all keys together.
    key_management_per_owner: int = Field(default=60, ge=1)
    # The portal's live mapping preview computes and stores nothing, and runs as a person
    # types (at most about 3 a second per editor): its own quota, not the changes one.
    portal_previews_per_owner: int = Field(default=600, ge=1)
    # Verified deliveries of one integration: generous, because some senders never retry a
    # refused delivery; it stops one runaway sender from starving everyone else.
    webhook_per_integration: int = Field(default=30_000, ge=1)


class AdmissionSettings(BaseSettings):
    """Admission control of the write routes (services/gateway/access/admission.py): new
    writes get 503 `overloaded` while the event loop's sojourn time has stayed above
    `target_seconds` (`batch_target_seconds` for the batch endpoint), commands' wait for
    Kafka above `ack_target_seconds`, requests' wait for their key's claim above
    `claim_target_seconds`, or any wait for a database connection (or a delivery row's for
    its statement) above `pool_target_seconds`, for `interval_seconds` (CoDel's test), until
    it falls below again (503 `service_unavailable` instead while Kafka is not acknowledging:
    services/gateway/edge/admission.py)."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_ADMISSION_", frozen=True)

    enabled: bool = True
    target_seconds: float = Field(default=0.005, gt=0)
    # The event loop's target for the batch endpoint instead: a batch of 500 takes 100-300 ms
    # to answer and its own work makes the loop late by several ms at a time, so at 5 ms
    # batches were refused by their own lateness (each a sender idle for Retry-After).
    batch_target_seconds: float = Field(default=0.05, gt=0)
    interval_seconds: float = Field(default=0.1, gt=0)
    # For this long after refusing stops (16 intervals, as CoDel remembers its drop rate), a
    # sojourn above its target for reentry_interval_seconds refuses again, not for a whole
    # interval; 0 waits a whole interval every time.
    reentry_seconds: float = Field(default=1.6, ge=0)
    reentry_interval_seconds: float = Field(default=0.02, ge=0)
    # How often the probe measures the sojourn; a few per interval.
    probe_seconds: float = Field(default=0.005, gt=0)
    # The second queue: how long single commands wait for Kafka's acknowledgement.
    ack_target_seconds: float = Field(default=0.05, gt=0)
    # The third: how long requests wait for their Idempotency-Key's claim (PostgreSQL).
    claim_target_seconds: float = Field(default=0.05, gt=0)
    # The fourth: how long anything waits for a free connection of the database pools, or a
    # webhook delivery's row for its statement.
    pool_target_seconds: float = Field(default=0.05, gt=0)
    retry_after_seconds: int = Field(default=1, ge=0)


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8080
    # Sockets bound to the port (SO_REUSEPORT): uvloop accepts one connection per socket per
    # event-loop iteration, and a busy loop iterates a few dozen times a second, so with one
    # socket a burst of new connections waited seconds in the kernel (runtime/http_server.py).
    listen_sockets: int = Field(default=16, ge=1, le=256)
    # Proxies whose X-Forwarded-For names the client (comma-separated addresses or networks,
    # "*" for any): behind a load balancer, per-IP quotas must count the client, not the proxy.
    forwarded_allow_ips: str = "127.0.0.1"
    # Idle keep-alive connections stay open this long: longer than clients' and load
    # balancers' own idle limits (httpx 5 s, AWS ALB 60 s), so a client never sends a request
    # on a connection the server is closing at that moment (it fails with a reset, unanswered).
    keep_alive_seconds: int = Field(default=75, gt=0)
    # How long POST /events waits for the publisher before answering 202 instead of 201.
    outcome_wait_seconds: float = Field(default=3.0, ge=0)
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    max_batch_body_bytes: int = Field(default=8_388_608, gt=0)
    # A client must deliver its whole body within this (slow-body "slowloris" clients hold a
    # connection and a task otherwise); past it: 408.
    body_timeout_seconds: float = Field(default=10.0, gt=0)
    # Commands waiting for Kafka's acknowledgement at once; past it new ones get 503 at once
    # instead of piling up in memory while the broker is slow.
    max_pending_sends: int = Field(default=10_000, gt=0)
    # A batch request's commands per Kafka message (IngestGroup, one per ingest partition);
    # 1 writes each alone, as gateways before groups did, for a rollout while publishers that
    # cannot read groups still run (docs/operations.md).
    ingest_group_max_commands: int = Field(default=100, ge=1, le=100)
    # The revocation bound: a key record or a channel membership is remembered at most this
    # long (PostgreSQL's change announcements usually drop it within milliseconds); 0 reads
    # both from the database on every request.
    access_cache_seconds: float = Field(default=2.0, ge=0)
    event_loop: Literal["auto", "asyncio", "uvloop"] = "auto"
    # How often the gateway measures every consumer group's lag for /metrics.
    lag_interval_seconds: float = Field(default=10.0, gt=0)
    # The deliveries log is for troubleshooting a sender, not an archive: a month is kept.
    # The gateway owns webhook_deliveries' partitions (shared/adapters/partitions.py).
    delivery_retention_days: int = Field(default=30, ge=1)
    # Where people reach the discovery service (scheme and host): the developer API's channel
    # answers give each public or unlisted channel's page and feeds there.
    discovery_url: str = "http://127.0.0.1:8083"
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    rate_limits: RateLimitSettings = Field(default_factory=RateLimitSettings)
    portal: PortalSettings = Field(default_factory=PortalSettings)
    admission: AdmissionSettings = Field(default_factory=AdmissionSettings)
