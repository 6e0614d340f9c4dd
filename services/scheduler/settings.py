"""Scheduler settings: environment variables prefixed SCHEDULER_, plus the shared pieces."""

from __future__ import annotations

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.core.settings import DatabaseSettings, KafkaSettings, LogSettings


class SchedulerSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SCHEDULER_", frozen=True)

    host: str = "127.0.0.1"
    port: int = 8085
    # How often it looks for due reminders when none are waiting: a reminder goes out at most
    # this late (plus the broker's acknowledgement).
    poll_seconds: float = Field(default=1.0, gt=0, le=60)
    # Reminders sent per transaction; schedulers running side by side take disjoint batches.
    batch_size: int = Field(default=200, ge=1, le=5000)
    # For tests and rehearsals only: read "now" (an ISO 8601 instant) from this file instead
    # of the system clock, so a test moves time forward without waiting for it. A missing or
    # empty file means the system clock.
    clock_file: str | None = None
    # Failpoint for the crash tests: "after_send:N" exits abruptly after the N-th batch was
    # acknowledged by the broker and before it was marked sent.
    crash_at: str | None = None
    kafka: KafkaSettings = Field(default_factory=KafkaSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    log: LogSettings = Field(default_factory=LogSettings)
