"""Publisher settings: environment variables prefixed PUBLISHER_ (PUBLISHER_PORT, ...)."""

from __future__ import annotations

from typing import Self

from pydantic import Field, model_validator
from pydantic_settings import SettingsConfigDict

from shared.core.settings import WorkerSettings


class PublisherSettings(WorkerSettings):
    model_config = SettingsConfigDict(env_prefix="PUBLISHER_", frozen=True)

    port: int = 8081
    # One consumer waits on PostgreSQL most of a batch; two in one process drain a backlog
    # about 1.7 times as fast (make bench).
    consumers: int = Field(default=2, ge=1, le=12)
    # Commands per transaction (an IngestGroup's counted one by one) and messages per fetch.
    # A backlog drains in batches this large, and a batch's round trips (fetch, statements,
    # commit, offsets) are most of its time: 1,500 drained 300,000 commands 35-50% faster
    # than 500 (make bench, two runs each); under a steady load batches stay small.
    batch_max_records: int = Field(default=1500, ge=1)
    # A fetch waits up to 20 ms for 64 KiB of commands rather than answering with the first
    # one: at 250-500 events/s a batch held two commands and its fixed costs (fetch,
    # transaction, log line) took a third of a core; with the wait it holds five or more and
    # the publisher's CPU halved (docs/performance.md). A command reaches its row up to 20 ms
    # later (10 on average) while the topic is quiet; under load fetches fill before that.
    fetch_min_bytes: int = Field(default=65_536, ge=1)
    fetch_max_wait_ms: int = Field(default=20, ge=0)
    # Longer than the ingest topic's retention (7 days), so no replay can outlive its key.
    idempotency_retention_hours: int = Field(default=192, ge=24)
    # What became of each command (GET /operations, the deliveries log's verdicts, a key's
    # recorded rejection): as long as the deliveries log keeps its deliveries (30 days), and
    # never shorter than the keys, whose recorded rejection is read from here.
    outcome_retention_days: int = Field(default=30, ge=8)
    # Change records sent to Kafka per relay transaction, and how often the relay looks at the
    # outbox when no commit woke it (this process's own commits wake it).
    relay_batch_max_records: int = Field(default=500, ge=1, le=5000)
    relay_poll_seconds: float = Field(default=1.0, gt=0)
    # Woken by a commit, the relay waits this long first, so one relay transaction sends the
    # changes of every commit in between: at 500 events/s one ran after nearly every batch
    # of about four commands. Adds at most this to a change's way to its pages.
    relay_gather_seconds: float = Field(default=0.02, ge=0, le=1)
    # Fault injection for tests and `make chaos` only: "before_commit:N" or "after_commit:N"
    # makes the process die abruptly at that moment of its N-th batch, "after_relay_send:N"
    # once the relay's N-th batch of change records is in Kafka but still in the outbox.
    # Unset in any real deployment.
    crash_at: str | None = Field(
        default=None, pattern=r"^((before|after)_commit|after_relay_send):[1-9][0-9]*$"
    )

    @model_validator(mode="after")
    def _outcomes_outlive_keys(self) -> Self:
        if self.outcome_retention_days * 24 < self.idempotency_retention_hours:
            raise ValueError(
                "PUBLISHER_OUTCOME_RETENTION_DAYS must cover PUBLISHER_IDEMPOTENCY_RETENTION_HOURS:"
                " a key's recorded rejection is read from the outcomes"
            )
        return self
