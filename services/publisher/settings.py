"""Publisher settings: environment variables prefixed PUBLISHER_ (PUBLISHER_PORT, ...)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import WorkerSettings


class PublisherSettings(WorkerSettings):
    model_config = SettingsConfigDict(env_prefix="PUBLISHER_", frozen=True)

    port: int = 8081
