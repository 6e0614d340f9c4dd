"""A delivery's identity where the sender's defaults do not fit, what preview and replay may
use of a recorded delivery, and the key a replay goes under."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from shared.contracts.messages import ChangeStatus
from shared.contracts.webhook_commands import idempotency_key, replay_envelope
from shared.domain.mapping.settings import MappingSettings
from shared.domain.senders import SENDERS, Delivery, UnreadableDelivery
from shared.domain.senders.conversion import NotReplayable, can_replay, kept_sample, read_delivery

INTEGRATION = {"id": uuid.uuid4(), "account_id": 7, "channel_id": 42}


def test_a_standard_webhooks_id_elsewhere_is_read_where_the_integration_says() -> None:
    body = {"type": "crm.event.updated", "data": {"event": {"uuid": "u-1", "rev": "9"}}}
    sender = SENDERS["standard"]
    with pytest.raises(UnreadableDelivery):
        read_delivery(sender, MappingSettings(), {}, {}, body)
    settings = MappingSettings.model_validate(
        {"identity": {"documentId": "data.event.uuid", "version": "data.event.rev"}}
    )
    delivery = read_delivery(sender, settings, {"webhook-id": "msg_1"}, {}, body)
    assert (delivery.document_id, delivery.updated_at) == ("u-1", "9")
    assert delivery.sender_key == "msg_1"
    with pytest.raises(UnreadableDelivery, match=r"data\.event\.uuid"):
        read_delivery(sender, settings, {}, {}, {"data": {}})


def kept(status: str, body: bytes | None = b"{}") -> dict[str, Any]:
    """A kept delivery, its status as the deliveries log shows it."""
    return {"id": uuid.uuid4(), "status": status, "headers": {}, "body": body, "query": None}


@pytest.mark.parametrize(
    ("status", "replayable"),
    [("invalid", True), ("ignored", True), ("rejected", True), ("accepted", False),
     ("applied", False), ("duplicate", False), ("stale", False), ("ping", False)],
)  # fmt: skip
def test_only_refused_deliveries_are_replayed_and_a_refusal_names_the_status(
    status: str, replayable: bool
) -> None:
    kept_sample(kept(status), replaying=False)  # any kept body can be previewed
    assert can_replay(status, body_kept=True) is replayable  # what the log and portal show
    assert not can_replay(status, body_kept=False)
    if replayable:
        assert kept_sample(kept(status), replaying=True).body == b"{}"
    else:
        with pytest.raises(NotReplayable, match=f" is {status} "):
            kept_sample(kept(status), replaying=True)
    with pytest.raises(NotReplayable, match="larger"):
        kept_sample(kept("invalid", body=None), replaying=False)


def test_a_rejected_delivery_replays_under_its_key_extended_by_the_new_command() -> None:
    cancel = ChangeStatus(event_id=uuid.uuid4(), action="cancel")
    unpublish = ChangeStatus(event_id=cancel.event_id, action="unpublish")
    assert replay_envelope(INTEGRATION, cancel, "r", "k", False).idempotency_key == "k"
    first = replay_envelope(INTEGRATION, cancel, "r", "k", True).idempotency_key
    again = replay_envelope(INTEGRATION, cancel, "r2", "k", True).idempotency_key
    other = replay_envelope(INTEGRATION, unpublish, "r", "k", True).idempotency_key
    assert first == again != other
    assert first.startswith("k:replay:")
    assert len(replay_envelope(INTEGRATION, cancel, "r", "k" * 255, True).idempotency_key) <= 255


def test_a_delivery_key_follows_the_body_beside_the_version_and_stays_whole() -> None:
    def key(document_id: str, body: bytes, updated: str | None = "2026-12-03") -> str:
        delivery = Delivery("update", document_id, {}, updated_at=updated)
        return idempotency_key(INTEGRATION, delivery, body)

    assert key("deal-1", b"{}") == key("deal-1", b"{}"), "the same delivery again: one key"
    assert key("deal-1", b"{}") != key("deal-1", b'{"t": 2}'), "another edit, same version"
    assert key("deal-1", b"{}") != key("deal-1", b"{}", "2026-12-04")
    assert key("deal-1", b"{}", None) != key("deal-1", b"{}")
    long_ids = [key("d" * 300 + suffix, b"{}") for suffix in ("a", "b")]
    assert long_ids[0] != long_ids[1], "a long id is hashed whole, never cut to one key"
    assert all(len(k) <= 255 for k in long_ids)
    sent = Delivery("update", "deal-1", {}, updated_at="x", sender_key="msg_2Lx")
    assert idempotency_key(INTEGRATION, sent, b"{}").endswith(":msg_2Lx")
