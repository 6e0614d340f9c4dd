"""Notifier settings: environment variables prefixed NOTIFIER_ (NOTIFIER_PORT, ...)."""

from __future__ import annotations

from pydantic_settings import SettingsConfigDict

from shared.core.settings import WorkerSettings


class NotifierSettings(WorkerSettings):
    """It writes inboxes, attendance and reminders: its DATABASE_URL is the primary."""

    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", frozen=True)

    port: int = 8086
    # A reminder reaches the inbox within a fetch wait of the scheduler sending it.
    fetch_max_wait_ms: int = 200
