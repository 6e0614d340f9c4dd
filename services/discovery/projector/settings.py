"""Projector settings: environment variables prefixed PROJECTOR_ (PROJECTOR_PORT, ...)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.core.settings import WorkerSettings


class ProjectorSettings(WorkerSettings):
    """It writes the read model, so its DATABASE_URL is the primary, never a replica."""

    model_config = SettingsConfigDict(env_prefix="PROJECTOR_", frozen=True)

    port: int = 8084
    # Changes reach pages within a fetch wait: keep it short, people are waiting to see them.
    fetch_max_wait_ms: int = 100
