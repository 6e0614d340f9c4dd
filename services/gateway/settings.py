"""Gateway settings: environment variables prefixed GATEWAY_, plus the shared pieces."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import DatabaseSettings, KafkaSettings, LogSettings


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GATEWAY_", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8080
    # How long POST /events waits for the publisher before answering 202 instead of 201.
    outcome_wait_seconds: float = Field(default=3.0, ge=0)
    max_body_bytes: int = Field(default=1_048_576, gt=0)
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    log: LogSettings = Field(default_factory=LogSettings)
