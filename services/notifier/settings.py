"""Notifier settings: environment variables prefixed NOTIFIER_ (NOTIFIER_PORT, ...)."""

from __future__ import annotations

from datetime import timedelta

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from shared.contracts.topics import LONGEST_RETENTION
from shared.core.settings import WorkerSettings


class NotifierSettings(WorkerSettings):
    """It writes inboxes, attendance and reminders: its DATABASE_URL is the primary."""

    model_config = SettingsConfigDict(env_prefix="NOTIFIER_", frozen=True)

    port: int = 8086
    # A reminder reaches the inbox within a fetch wait of the scheduler sending it. Within
    # it, a fetch waits for 64 KiB of records rather than answering with the first: batches
    # of one or two changes took the notifier 0.2-0.3 ms of CPU per event at 500-750/s.
    fetch_max_wait_ms: int = 200
    fetch_min_bytes: int = 65_536
    # Notices are kept this long, read or not; the notifier owns the inbox's retention. Longer
    # than any topic keeps a record (a month), so no record delivered again can write anew a
    # notice deleted as too old.
    inbox_retention_days: int = Field(default=180, gt=LONGEST_RETENTION // timedelta(days=1))
