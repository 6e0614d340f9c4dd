"""What the publisher logs and counts for an applied batch.

A line per command was 14% of the publisher's CPU draining a backlog. Instead, each run of
up to `RUN_LENGTH` commands of one partition gets one INFO line naming its offsets, outcome
counts and request ids (so `grep <request id>` still finds the command, with its partition
and offset range). Commands that did not simply take effect (`duplicate`, `stale`,
`rejected`) keep a line of their own at INFO; the others have theirs at DEBUG only.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from itertools import groupby

import structlog
from aiokafka import ConsumerRecord

from services.publisher.rows import Applied
from shared.core.metrics import COMMANDS

log = structlog.get_logger("publisher.command")

# Bounds a summary line to a few KiB: log shippers split lines past 16 KiB (Docker, CRI).
RUN_LENGTH = 100
_ROUTINE = frozenset({"created", "updated"})


def log_applied(records: Sequence[ConsumerRecord], outcomes: Sequence[Applied]) -> None:
    """Count every outcome, and log the batch: summaries at INFO, exceptions one by one."""
    for status, count in Counter(o.status for o in outcomes).items():
        COMMANDS.labels(status).inc(count)
    each = log.is_enabled_for(logging.DEBUG)
    for record, outcome in zip(records, outcomes, strict=True):
        if each or outcome.status not in _ROUTINE:
            _log_command(record, outcome)
    pairs = list(zip(records, outcomes, strict=True))
    for partition, in_partition in groupby(pairs, key=lambda pair: pair[0].partition):
        run = list(in_partition)
        for start in range(0, len(run), RUN_LENGTH):
            _log_run(partition, run[start : start + RUN_LENGTH])


def _log_run(partition: int, run: list[tuple[ConsumerRecord, Applied]]) -> None:
    log.info(
        "commands applied",
        partition=partition,
        first_offset=run[0][0].offset,
        last_offset=run[-1][0].offset,
        outcomes=dict(Counter(outcome.status for _, outcome in run)),
        # once each: a batch request's commands share its id
        request_ids=list(dict.fromkeys(outcome.request_id for _, outcome in run)),
    )


def _log_command(record: ConsumerRecord, outcome: Applied) -> None:
    level = logging.DEBUG if outcome.status in _ROUTINE else logging.INFO
    log.log(
        level,
        "command applied",
        request_id=outcome.request_id,
        message_id=str(outcome.message_id),
        event_id=str(outcome.event_id),
        outcome=outcome.status,
        reason_code=outcome.reason_code,
        partition=record.partition,
        offset=record.offset,
    )
