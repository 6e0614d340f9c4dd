"""The publisher's batch log: every request id findable, exceptions on lines of their own."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
import structlog
from aiokafka import ConsumerRecord

from services.publisher.command_log import RUN_LENGTH, log_applied
from services.publisher.rows import Applied
from shared.contracts.messages import OutcomeStatus


@pytest.fixture
def lines() -> Iterator[list[dict[str, Any]]]:
    """What the publisher logs at INFO, as structlog event dicts."""
    captured: list[dict[str, Any]] = []

    def keep(_: Any, level: str, event: dict[str, Any]) -> dict[str, Any]:
        captured.append({**event, "level": level})
        raise structlog.DropEvent

    structlog.configure(
        processors=[keep],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
        cache_logger_on_first_use=False,
    )
    yield captured
    structlog.reset_defaults()


def record(partition: int, offset: int) -> ConsumerRecord:
    return ConsumerRecord("pinned.ingest.v1", partition, offset, 0, 0, b"k", b"", None, 0, 0, [])


def applied(status: OutcomeStatus) -> Applied:
    now = datetime.now(UTC)
    return Applied(uuid.uuid4(), f"req_{uuid.uuid4().hex}", 7, uuid.uuid4(), status,
                   None, None, None, now, now)  # fmt: skip


def test_routine_commands_are_named_in_one_line_per_partition_run(
    lines: list[dict[str, Any]],
) -> None:
    records = [record(3, 100 + i) for i in range(RUN_LENGTH + 5)] + [record(4, 7)]
    outcomes = [applied("created") for _ in records]
    log_applied(records, outcomes)
    assert [(line["partition"], line["first_offset"], line["last_offset"]) for line in lines] == [
        (3, 100, 100 + RUN_LENGTH - 1),
        (3, 100 + RUN_LENGTH, 104 + RUN_LENGTH),
        (4, 7, 7),
    ]
    named = [request_id for line in lines for request_id in line["request_ids"]]
    assert named == [o.request_id for o in outcomes]
    assert all(line["event"] == "commands applied" for line in lines)


def test_a_command_that_did_not_simply_apply_keeps_its_own_line(
    lines: list[dict[str, Any]],
) -> None:
    outcomes = [applied("created"), applied("rejected"), applied("duplicate")]
    log_applied([record(0, i) for i in range(3)], outcomes)
    own = [line for line in lines if line["event"] == "command applied"]
    assert [(line["request_id"], line["outcome"], line["offset"]) for line in own] == [
        (outcomes[1].request_id, "rejected", 1),
        (outcomes[2].request_id, "duplicate", 2),
    ]
    (summary,) = [line for line in lines if line["event"] == "commands applied"]
    assert summary["outcomes"] == {"created": 1, "rejected": 1, "duplicate": 1}
