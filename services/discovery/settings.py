"""Discovery settings: environment variables prefixed DISCOVERY_ and PEOPLE_, plus the
shared pieces.

Public pages, feeds and search only read, so `DISCOVERY_DATABASE_URL` may name a PostgreSQL
replica (without it, DATABASE_URL is used); people's sessions and plans are written to
DATABASE_URL, the primary, and read from it too (a person sees their own change at once).
"""

from __future__ import annotations

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.core.settings import (
    CredentialSettings,
    DatabaseSettings,
    KafkaSettings,
    LogSettings,
)


class ReplicaDatabaseSettings(DatabaseSettings):
    url: str = Field(
        default=DatabaseSettings.model_fields["url"].default,
        validation_alias=AliasChoices("DISCOVERY_DATABASE_URL", "DATABASE_URL", "url"),
    )


class DiscoveryRateLimits(BaseSettings):
    """Requests per window per client IP, counted for all discovery replicas together."""

    model_config = SettingsConfigDict(env_prefix="DISCOVERY_RATE_LIMIT_", frozen=True)

    enabled: bool = True
    window_seconds: int = Field(default=60, ge=1)
    per_ip: int = Field(default=1200, ge=1)


class PeopleSettings(CredentialSettings):
    """People's accounts: sessions, and how their passwords are checked and kept."""

    model_config = SettingsConfigDict(env_prefix="PEOPLE_", frozen=True)

    session_days: int = Field(default=30, ge=1, le=365)
    # A session that ended (expired or revoked) is kept this long, then deleted by discovery;
    # nothing shows it meanwhile: it is there for whoever looks into an account.
    ended_session_retention_days: int = Field(default=30, ge=1)


class DiscoverySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DISCOVERY_", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8083
    # Sockets bound to the port (SO_REUSEPORT): as the gateway's (runtime/http_server.py).
    listen_sockets: int = Field(default=16, ge=1, le=256)
    # Proxies whose X-Forwarded-For / -Proto name the client: per-IP quotas must count the
    # client, and absolute links in feeds must use the public scheme and host.
    forwarded_allow_ips: str = "127.0.0.1"
    # Idle keep-alive connections stay open this long: longer than clients' and load
    # balancers' own idle limits (httpx 5 s, AWS ALB 60 s), so a client never sends a request
    # on a connection the server is closing at that moment (it fails with a reset, unanswered).
    keep_alive_seconds: int = Field(default=75, gt=0)
    # How often feed readers are asked to refresh (iCalendar REFRESH-INTERVAL, JSON Feed and
    # HTTP max-age); changes reach a feed's next build within seconds regardless.
    feed_refresh_minutes: int = Field(default=60, ge=5, le=1440)
    # Built feeds kept in memory (LRU); each is reused until its scope changes.
    feed_cache_entries: int = Field(default=256, ge=1)
    # The JSON search's answers kept in memory (LRU), each until its scope changes; 0 runs
    # every search.
    search_cache_mib: int = Field(default=32, ge=0, le=4096)
    # Most read-model rows in one feed (an event, or one occurrence of a recurring event),
    # soonest first, from feed_past_days ago on.
    feed_max_events: int = Field(default=1000, ge=1, le=5000)
    feed_past_days: int = Field(default=30, ge=0, le=365)
    # How often the change stream's lag (the projector group's) is measured for /metrics.
    lag_interval_seconds: float = Field(default=10.0, gt=0)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    database: ReplicaDatabaseSettings = Field(default_factory=ReplicaDatabaseSettings)
    primary_database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    people: PeopleSettings = Field(default_factory=PeopleSettings)
    log: LogSettings = Field(default_factory=LogSettings)
    rate_limits: DiscoveryRateLimits = Field(default_factory=DiscoveryRateLimits)
