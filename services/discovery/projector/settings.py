"""Projector settings: environment variables prefixed PROJECTOR_ (PROJECTOR_PORT, ...)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.core.settings import WorkerSettings


class ProjectorSettings(WorkerSettings):
    """It writes the read model, so its DATABASE_URL is the primary, never a replica."""

    model_config = SettingsConfigDict(env_prefix="PROJECTOR_", frozen=True)

    port: int = 8084
    # Changes reach pages within a fetch wait: keep it short, people are waiting to see them.
    # Within it, a fetch waits for 64 KiB of records (about 40 changes) rather than answering
    # with the first: each batch is a transaction, a version gate and an offset commit, and
    # batches of one or two took the projector 0.2-0.3 ms of CPU per event at 500-750/s.
    fetch_max_wait_ms: int = 100
    fetch_min_bytes: int = 65_536
