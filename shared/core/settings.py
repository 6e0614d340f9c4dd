"""Typed settings shared by every service. Each service composes these with its own class.

Settings are read from the environment when a service starts (never at import time);
tests build them with keyword arguments.
"""

from __future__ import annotations

from typing import Annotated, Literal, TypeVar

from pydantic import AliasChoices, BeforeValidator, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_KAFKA_BOOTSTRAP = "127.0.0.1:9092"
DEFAULT_DATABASE_URL = "postgresql://pinned@127.0.0.1:15432/pinned"


class KafkaSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KAFKA_", frozen=True)

    bootstrap_servers: str = DEFAULT_KAFKA_BOOTSTRAP
    replication_factor: int = Field(default=1, ge=1)
    min_insync_replicas: int = Field(default=1, ge=1)
    # aiokafka's idempotent sends never time out by themselves; this bounds how long a
    # request may wait for the broker's acknowledgement before the gateway answers 503.
    send_timeout_seconds: float = Field(default=5.0, gt=0)
    compression_type: Literal["gzip", "snappy", "lz4", "zstd"] | None = None
    # aiokafka keeps one produce request in flight per broker, and what arrives meanwhile
    # rides in the next one: batching under load without a delay for a request alone.
    linger_ms: int = Field(default=0, ge=0)
    # aiokafka's default (16 KiB) holds about 15 outcome messages; a publisher batch of 500
    # then waits on ~30 sequential produce round trips. Below the broker's message.max.bytes.
    max_batch_bytes: int = Field(default=524_288, ge=16_384, le=1_000_000)


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(frozen=True)

    url: str = Field(
        default=DEFAULT_DATABASE_URL,
        validation_alias=AliasChoices("DATABASE_URL", "url"),
    )
    pool_min_size: int = Field(
        default=2, ge=1, validation_alias=AliasChoices("DATABASE_POOL_MIN_SIZE", "pool_min_size")
    )
    pool_max_size: int = Field(
        default=10, ge=1, validation_alias=AliasChoices("DATABASE_POOL_MAX_SIZE", "pool_max_size")
    )
    command_timeout_seconds: float = Field(
        default=10.0,
        gt=0,
        validation_alias=AliasChoices(
            "DATABASE_COMMAND_TIMEOUT_SECONDS", "command_timeout_seconds"
        ),
    )
    # How long a request may wait for a free connection before it is refused (503) instead
    # of queueing without bound behind a slow database.
    acquire_timeout_seconds: float = Field(
        default=5.0,
        gt=0,
        validation_alias=AliasChoices(
            "DATABASE_ACQUIRE_TIMEOUT_SECONDS", "acquire_timeout_seconds"
        ),
    )


def _upper(value: object) -> object:
    return value.upper() if isinstance(value, str) else value


class LogSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="LOG_", frozen=True)

    level: Annotated[Literal["DEBUG", "INFO", "WARNING", "ERROR"], BeforeValidator(_upper)] = "INFO"
    format: Literal["json", "console"] = "json"


class WorkerSettings(BaseSettings):
    """What every consumer service needs; subclasses set the env prefix and the port."""

    model_config = SettingsConfigDict(frozen=True)

    host: str = "127.0.0.1"
    port: int = 8081
    batch_max_records: int = Field(default=500, ge=1)
    # Consecutive undecodable messages tolerated before the consumer stops.
    poison_run_limit: int = Field(default=100, ge=1)
    # A fetch returns once this much is waiting or fetch_max_wait_ms has passed: fewer,
    # larger batches (fewer fetches, transactions and offset commits) for a bounded delay.
    fetch_min_bytes: int = Field(default=1, ge=1)
    fetch_max_wait_ms: int = Field(default=500, ge=0)
    # Applied offsets are committed at most this often (and when a fetch comes back empty,
    # and at stop); a crash replays what was applied since, and replays are deduplicated.
    # Kafka's own auto-commit waits 5 s; 200 ms took ~8% of the broker's CPU off at 250-500
    # events/s (docs/performance.md) and bounds a crash's replay to a fifth of a second.
    offset_commit_interval_ms: int = Field(default=200, ge=0, le=60_000)
    # Consumers of the group in this one process: while one waits on PostgreSQL or Kafka,
    # another applies its batch. More than the topic has partitions would sit idle.
    consumers: int = Field(default=1, ge=1, le=12)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    log: LogSettings = Field(default_factory=LogSettings)


class CredentialSettings(BaseSettings):
    """How passwords are checked and kept, for people (PEOPLE_) and portal users (PORTAL_)."""

    model_config = SettingsConfigDict(frozen=True)

    # Sign-in attempts per rate-limit window per client IP and per address, all replicas
    # together; consecutive wrong passwords that pause a user's sign-in, and for how long.
    signin_per_ip: int = Field(default=30, ge=1)
    signin_per_email: int = Field(default=10, ge=1)
    lockout_failures: int = Field(default=5, ge=1)
    lockout_minutes: int = Field(default=15, ge=1)
    # argon2id cost: OWASP's baseline by default (19 MiB, 2 passes, 1 lane).
    password_time_cost: int = Field(default=2, ge=1)
    password_memory_kib: int = Field(default=19_456, ge=8_192)
    password_parallelism: int = Field(default=1, ge=1)


class PortalSettings(CredentialSettings):
    """The developer portal (`/developers`, served by the gateway) and its invitations,
    which the `pinned accounts` CLI creates too."""

    model_config = SettingsConfigDict(env_prefix="PORTAL_", frozen=True)

    # Where people reach the portal (scheme and host, e.g. https://pinned.example), for the
    # invitation links the CLI prints; unset: the local gateway's address.
    public_url: str | None = None
    invitation_hours: int = Field(default=72, ge=1, le=720)
    # A session ends this long after sign-in, or after this long without a request.
    session_hours: int = Field(default=12, ge=1, le=168)
    session_idle_minutes: int = Field(default=60, ge=5, le=1440)
    # A session that ended (expired or revoked) is kept this long, then deleted by the
    # gateway; one ended by idleness or a disabled account counts from its expiry (at most
    # session_hours later).
    ended_session_retention_days: int = Field(default=30, ge=1)


S = TypeVar("S", bound=BaseSettings)


def from_environment(settings_class: type[S]) -> S:
    """`settings_class()`, read from the environment. A bad value stops the service with one
    line per variable, naming it, the value given and what it must be (exit status 1),
    instead of pydantic's traceback naming a field."""
    try:
        return settings_class()
    except ValidationError:
        lines = _problems(settings_class)
        raise SystemExit("invalid settings:\n  " + "\n  ".join(lines)) from None


def _problems(settings_class: type[BaseSettings]) -> list[str]:
    """Every bad variable of `settings_class` and of the settings classes its fields hold,
    one line each. A nested class is read by its field's default factory, and the first
    that fails stops the reading: so each is read on its own, and the class's own fields
    with the nested ones given unvalidated (`model_construct`)."""
    lines: list[str] = []
    nested: dict[str, BaseSettings] = {}
    for name, info in settings_class.model_fields.items():
        kind = info.annotation
        if isinstance(kind, type) and issubclass(kind, BaseSettings):
            lines += _problems(kind)
            nested[name] = kind.model_construct()
    try:
        settings_class.model_validate(nested)
    except ValidationError as exc:
        lines += [
            f"{env_name(settings_class, str(err['loc'][0]))}={err.get('input')!r}: {err['msg']}"
            for err in exc.errors(include_url=False)
        ]
    return lines


def env_name(settings_class: type[BaseSettings], field: str) -> str:
    """The environment variable a settings field is read from."""
    info = settings_class.model_fields.get(field)
    alias = info.validation_alias if info is not None else None
    if isinstance(alias, AliasChoices):
        names = [c for c in alias.choices if isinstance(c, str) and c.isupper()]
        if names:
            return names[0]
    if isinstance(alias, str):
        return alias
    return (str(settings_class.model_config.get("env_prefix", "")) + field).upper()
