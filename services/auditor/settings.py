"""Auditor settings: environment variables prefixed AUDITOR_ (AUDITOR_PORT, ...)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.settings import WorkerSettings


class AuditorSettings(WorkerSettings):
    model_config = SettingsConfigDict(env_prefix="AUDITOR_", frozen=True)

    port: int = 8082
