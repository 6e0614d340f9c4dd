"""The change-stream relay: sends the outbox (`event_changes`) to Kafka in order, then
deletes what the broker acknowledged.

Exactly one relay works at a time across all publisher replicas (a transaction-scoped
advisory lock), so records leave in `seq` order, which for one event is the order the
publisher applied its changes. Only the publisher writes `events`, so each process wakes its
own relay after each commit (`wake`); a relay that finds another replica relaying waits for
it and then sends what is left, its own process's rows among them. The outbox triggers used
to NOTIFY at every commit instead, and PostgreSQL serialises the commits of notifying
transactions on one lock held through the WAL flush (migration 0028).

A crash after the send and before the delete sends those records again: at least once, and
harmless, because every record carries the event's whole state and version. Nothing is
lost: a row leaves the outbox only after the broker has it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import asyncpg
import structlog
from aiokafka.errors import KafkaError

from shared.adapters.failures import STORE_MAINTENANCE_ERRORS
from shared.adapters.kafka import Producer
from shared.contracts.changes import change_record
from shared.contracts.topics import Topic
from shared.core.metrics import CHANGES_RELAYED, OUTBOX_OLDEST_AGE

log = structlog.get_logger("publisher.relay")

RELAY_LOCK_ID = 7_311_906_222

_NEXT = "SELECT * FROM event_changes ORDER BY seq LIMIT $1"
# Two statements in one simple-protocol string (no parameters): one round trip.
_BEGIN_LOCKED = f"BEGIN; SELECT pg_advisory_xact_lock({RELAY_LOCK_ID})"


def _done_and_commit(rows: Sequence[asyncpg.Record]) -> str:
    """The sent rows deleted and the transaction committed, in one string: the sequence
    numbers are the table's own bigints, written as integer literals."""
    if not rows:
        return "COMMIT"
    seqs = ",".join(str(int(row["seq"])) for row in rows)
    return f"DELETE FROM event_changes WHERE seq IN ({seqs}); COMMIT"  # noqa: S608  (integers)


class ChangeRelay:
    def __init__(
        self,
        pool: asyncpg.Pool,
        producer: Producer,
        batch_size: int = 500,
        send_timeout_seconds: float = 5.0,
        poll_seconds: float = 1.0,
        gather_seconds: float = 0.0,
        crash_at: str | None = None,
    ) -> None:
        self._pool = pool
        self._producer = producer
        self._batch_size = batch_size
        self._send_timeout = send_timeout_seconds
        self._poll = poll_seconds
        self._gather = gather_seconds
        self._crash_at = crash_at
        self._wake = asyncio.Event()
        self._relayed_batches = 0
        self._stopping = asyncio.Event()

    def stop(self) -> None:
        """Return from `run` after the batch in hand: its rows are deleted or sent again."""
        self._stopping.set()
        self._wake.set()

    def wake(self) -> None:
        """Relay soon: the caller committed changes to the outbox."""
        self._wake.set()

    async def run(self) -> None:
        """Relay until stopped. An error other than a dependency being down ends it, and
        with it the process (run_worker), so a supervisor restarts it."""
        backoff = 0.2
        while not self._stopping.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), self._poll)
            if self._gather and not self._stopping.is_set():
                await asyncio.sleep(self._gather)  # the commits of the next moment come along
            self._wake.clear()
            try:
                while await self.relay_once() == self._batch_size:
                    pass
                backoff = 0.2
            except STORE_MAINTENANCE_ERRORS as exc:
                log.warning("change relay failed; retrying", error=repr(exc), retry_in=backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 10.0)
                self._wake.set()

    async def relay_once(self) -> int:
        """Send the oldest outbox rows and delete them, after any other replica's relay
        transaction has ended; returns how many (0: nothing waits)."""
        async with self._pool.acquire() as conn:
            # The transaction opened with its lock, and the delete sent with the commit: one
            # round trip each instead of two (BEGIN, lock, select, delete, commit were five
            # per cycle, about fifty cycles a second at 500 events/s). The lock is taken
            # before the select's snapshot, so no row another relay sent is seen again.
            try:
                await conn.execute(_BEGIN_LOCKED)  # a wait for the lock may time out, or stop
                rows = await conn.fetch(_NEXT, self._batch_size)
                # The oldest waiting change's age as the relay found it (0: none waits), from
                # the row in hand: a query of its own after each batch was 8% of PostgreSQL's
                # time.
                waited = datetime.now(UTC) - rows[0]["updated_at"] if rows else timedelta(0)
                OUTBOX_OLDEST_AGE.set(max(waited.total_seconds(), 0.0))
                if rows:
                    await self._send(rows)
                    self._failpoint()
                await conn.execute(_done_and_commit(rows))
            except BaseException:
                # The server ends the transaction, and the lock, with the connection, whatever
                # state a cancelled or timed-out statement left it in; the pool opens another.
                conn.terminate()
                raise
        if rows:
            CHANGES_RELAYED.inc(len(rows))
            log.info("changes relayed", count=len(rows), last_change_id=rows[-1]["seq"])
        return len(rows)

    async def _send(self, rows: Sequence[asyncpg.Record]) -> None:
        records = [(change_record(row), str(row["event_id"]).encode(), None) for row in rows]
        started = time.perf_counter()
        errors = await asyncio.wait_for(
            self._producer.send_many(Topic.EVENT_CHANGES, records), self._send_timeout
        )
        failed = next((e for e in errors if e is not None), None)
        if failed is not None:
            # The whole batch goes again, in order, so the last record of every key is still
            # its newest version; the ones that did land are duplicates consumers drop.
            raise KafkaError(f"change record not acknowledged: {failed!r}") from failed
        log.debug("change batch sent", seconds=time.perf_counter() - started)

    def _failpoint(self) -> None:
        self._relayed_batches += 1
        if self._crash_at == f"after_relay_send:{self._relayed_batches}":
            log.warning("failpoint reached: exiting abruptly", failpoint=self._crash_at)
            os._exit(137)
