"""The gateway's side of operation resources: the deployment's key that seals operation ids
(read once at start-up) and a command's recorded fate."""

from __future__ import annotations

from typing import Any

import asyncpg

from shared.adapters.operations import operation_key, recorded_fate
from shared.contracts.messages import IngestEnvelope
from shared.contracts.operations import OperationRef, operation_id, read_operation_id

OPERATIONS_PATH = "/api/public/v1/operations"


def operation_location(operation_id: str) -> str:
    """Where an operation's fate is read: `GET /api/public/v1/operations/{operationId}` with
    an API key of the owner's."""
    return f"{OPERATIONS_PATH}/{operation_id}"


class OperationStore:
    def __init__(self, pool: asyncpg.Pool) -> None:
        self._pool = pool
        self._key: bytes | None = None

    async def load_key(self) -> None:
        """Read the key (migration 0017 generates it); before any id is issued or read."""
        self._key = await operation_key(self._pool)

    def issue(self, envelope: IngestEnvelope) -> str:
        """The operation id of an accepted command: opaque, `op_` then URL-safe base64."""
        ref = OperationRef(
            message_id=envelope.message_id,
            event_id=envelope.command.event_id,
            owner_id=envelope.owner_id,
            accepted_at=envelope.received_at,
            kind=envelope.command.type,
        )
        return operation_id(ref, self._loaded())

    def read(self, text: str) -> OperationRef | None:
        """What an id says, or None for one this deployment never issued."""
        return read_operation_id(text, self._loaded())

    async def fate(self, ref: OperationRef) -> dict[str, Any] | None:
        """The publisher's recorded outcome (shared.adapters.operations.recorded_fate), or
        None while the command is not applied yet (or its record is past retention)."""
        return await recorded_fate(self._pool, ref.owner_id, ref.message_id, ref.accepted_at)

    def _loaded(self) -> bytes:
        if self._key is None:
            raise RuntimeError("OperationStore.load_key() was not awaited at start-up")
        return self._key
