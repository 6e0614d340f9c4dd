"""What the publisher's property tests share (their connection is conftest's `conn`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from shared.contracts.messages import Command, IngestEnvelope, decode_ingest, encode
from tests.integration.conftest import Tenant


def through_kafka(tenant: Tenant, command: Command) -> IngestEnvelope:
    """The envelope as the publisher decodes it from the gateway's record."""
    message_id = uuid.uuid4()
    envelope = IngestEnvelope(
        message_id=message_id, request_id=f"req_{message_id.hex}",
        received_at=datetime.now(UTC), owner_id=tenant.account_id,
        idempotency_key=f"message:{message_id}", request_hash="h", command=command,
    )  # fmt: skip
    return decode_ingest(encode(envelope))
