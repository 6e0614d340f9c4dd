"""Auditor settings: environment variables prefixed AUDITOR_ (AUDITOR_PORT, ...)."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.core.settings import WorkerSettings


class AuditorSettings(WorkerSettings):
    model_config = SettingsConfigDict(env_prefix="AUDITOR_", frozen=True)

    port: int = 8082
    # Audit rows are not on any caller's path: wait up to 200 ms to write them in bigger
    # batches, which halved the auditor's CPU per request in the benchmark.
    fetch_min_bytes: int = 262_144
    fetch_max_wait_ms: int = 200
    # Audit rows are kept this long (the portal's usage charts reach 90 days back); the
    # auditor owns audit_log's partitions (shared/adapters/partitions.py).
    retention_days: int = Field(default=90, ge=8)
