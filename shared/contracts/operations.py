"""Operation ids: the handle a client gets for an accepted command, to read its fate.

An id carries the command's message id, the event it touches, the owner, when it was
accepted and its kind, sealed with an HMAC-SHA-256 tag (first 16 bytes) under a key every
gateway reads from PostgreSQL (`service_secrets`). So any gateway can answer "accepted" for
an id it issued before the publisher has recorded anything, answer 404 for one it never
issued, and no row is written per accepted command. Ids are opaque to clients: `op_` and
URL-safe base64 without padding.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import struct
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal, get_args

# New kinds go last: an id stores its kind by its index here.
OperationKind = Literal["create_event", "update_event", "change_status", "update_occurrence"]
_KINDS: tuple[OperationKind, ...] = get_args(OperationKind)

PREFIX = "op_"
_VERSION = 1
_LAYOUT = struct.Struct(">B16s16sqqB")  # version, message, event, owner, accepted (s), kind
_TAG_BYTES = 16


@dataclass(frozen=True)
class OperationRef:
    """What an operation id says. `accepted_at` is kept to the second."""

    message_id: uuid.UUID
    event_id: uuid.UUID
    owner_id: int
    accepted_at: datetime
    kind: OperationKind


def operation_id(ref: OperationRef, key: bytes) -> str:
    payload = _LAYOUT.pack(
        _VERSION,
        ref.message_id.bytes,
        ref.event_id.bytes,
        ref.owner_id,
        int(ref.accepted_at.timestamp()),
        _KINDS.index(ref.kind),
    )
    sealed = payload + _tag(payload, key)
    return PREFIX + base64.urlsafe_b64encode(sealed).rstrip(b"=").decode()


def read_operation_id(text: str, key: bytes) -> OperationRef | None:
    """The reference an id carries, or None for anything this deployment did not issue
    (malformed, another version, a tag that does not match)."""
    if not text.startswith(PREFIX) or len(text) > 200:
        return None
    encoded = text.removeprefix(PREFIX)
    try:
        sealed = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
    except (binascii.Error, ValueError):
        return None
    payload, tag = sealed[:-_TAG_BYTES], sealed[-_TAG_BYTES:]
    if len(payload) != _LAYOUT.size or not hmac.compare_digest(tag, _tag(payload, key)):
        return None
    version, message, event, owner, accepted, kind = _LAYOUT.unpack(payload)
    if version != _VERSION or kind >= len(_KINDS):
        return None
    return OperationRef(
        message_id=uuid.UUID(bytes=message),
        event_id=uuid.UUID(bytes=event),
        owner_id=owner,
        accepted_at=datetime.fromtimestamp(accepted, UTC),
        kind=_KINDS[kind],
    )


def _tag(payload: bytes, key: bytes) -> bytes:
    return hmac.new(key, payload, hashlib.sha256).digest()[:_TAG_BYTES]
