"""Commands in the envelope the publisher reads: who sent them, under which idempotency key,
and until when a gateway waits for the outcome."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.gateway.access.auth import Principal
from shared.contracts.messages import Command, IngestEnvelope, request_hash


@dataclass(frozen=True)
class Call:
    """Who submits a command through the API, and how they want the answer."""

    principal: Principal
    idempotency_key: str | None
    request_id: str
    respond_async: bool  # Prefer: respond-async: answer 202 at once, wait for nothing

    @property
    def owner_id(self) -> int:
        return self.principal.owner_id


def build_envelope(
    call: Call,
    command: Command,
    digest: str,
    idempotency_key: str | None,
    *,
    wait_seconds: float | None,
) -> IngestEnvelope:
    """`wait_seconds`: how long the caller will wait for the outcome (None: it will not)."""
    message_id = uuid.uuid4()
    received_at = datetime.now(UTC)
    return IngestEnvelope(
        message_id=message_id,
        request_id=call.request_id,
        received_at=received_at,
        owner_id=call.owner_id,
        api_key_id=call.principal.key_id,
        idempotency_key=idempotency_key or f"message:{message_id}",
        request_hash=digest,
        command=command,
        awaited_until=None
        if wait_seconds is None
        else received_at + timedelta(seconds=wait_seconds),
    )


__all__ = ["Call", "build_envelope", "request_hash"]
