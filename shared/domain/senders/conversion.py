"""From a delivery's bytes to what it means for an event, with no I/O: the webhook intake, its
preview (`POST .../integrations/{id}/preview`), replay and the `pinned integrations preview`
command all convert with this, so a preview shows exactly what a delivery would do.

An integration here is its stored row as a dict (`source`, `channel_id`, `mapping`,
`mapping_settings`, `defaults`, `actions`).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl

from jmespath.exceptions import JMESPathError

from shared.core.json_body import UndecodableJson, decode_json
from shared.domain.events import EventInput, FieldError, InvalidEvent
from shared.domain.mapping import (
    Mapped,
    MappingProblem,
    Note,
    UnmappedEvent,
    evaluate,
    map_event,
)
from shared.domain.mapping.expressions import InvalidExpression
from shared.domain.mapping.notes import as_json
from shared.domain.mapping.settings import MappingSettings
from shared.domain.senders import SENDERS
from shared.domain.senders.base import Delivery, Sender, UnreadableDelivery, first_action, text
from shared.domain.senders.terms import EventAction


@dataclass(frozen=True)
class Verdict:
    """What a delivery means. `change` is `upsert` (with `event`), `unpublish` or `cancel`
    when it changes an event; None when it is `ignored` or `invalid` (see `reason_code`,
    `reason`, `fields`)."""

    status: Literal["accepted", "ignored", "invalid"]
    delivery: Delivery | None
    change: Literal["upsert", "unpublish", "cancel"] | None = None
    event: EventInput | None = None
    notes: tuple[Note, ...] = ()
    reason_code: str | None = None
    reason: str | None = None
    fields: list[FieldError] | None = None


REPLAYABLE = ("invalid", "ignored", "rejected")
_NOT_REPLAYABLE = {
    "accepted": "on its way to its event; wait for the publisher's verdict",
    "applied": "already in its event",
    "duplicate": "its change was already applied",
    "stale": "a newer revision of its document is applied",
}


def can_replay(status: str, body_kept: bool) -> bool:
    """Whether a recorded delivery (its status as the deliveries log shows it) is one that
    replay takes (`kept_sample` refuses the rest): refused or ignored, with its body kept. What
    the deliveries log's `replayable` and the portal's Replay button show."""
    return status in REPLAYABLE and body_kept


class NotReplayable(ValueError):
    """An applied delivery (already in its event), or one whose body was not kept."""


@dataclass(frozen=True)
class Sample:
    """A delivery to convert: the sender's headers (any case), its raw (decoded) body and
    the query of the webhook URL it was sent to (WP Webhooks names its trigger there)."""

    headers: Mapping[str, str]
    body: bytes
    query: str = ""

    def lowered(self) -> dict[str, str]:
        return {name.lower(): value for name, value in self.headers.items()}

    def query_params(self) -> dict[str, str]:
        return dict(parse_qsl(self.query or "", keep_blank_values=True))


def kept_sample(kept: Mapping[str, Any], replaying: bool) -> Sample:
    """A recorded delivery (`shared.adapters.integrations.kept_delivery`, its status as the
    deliveries log shows it) as a Sample; NotReplayable when its body was not kept or,
    `replaying`, it was not refused."""
    status = kept["status"]
    if replaying and status not in REPLAYABLE:
        why = _NOT_REPLAYABLE.get(status, "not refused")
        raise NotReplayable(
            f"Delivery {kept['id']} is {status} ({why}); only {', '.join(REPLAYABLE)} "
            "deliveries are replayed."
        )
    if kept["body"] is None:
        raise NotReplayable(
            f"Delivery {kept['id']}'s body was larger than the kept bound; only its sender "
            "can send it again."
        )
    return Sample(kept["headers"] or {}, bytes(kept["body"]), kept["query"] or "")


def settings_of(integration: Mapping[str, Any]) -> MappingSettings:
    return MappingSettings.model_validate(integration.get("mapping_settings") or {})


def json_object(raw: bytes) -> dict[str, Any]:
    """The body as a JSON object; UnreadableDelivery otherwise."""
    try:
        body = decode_json(raw)
    except UndecodableJson as exc:
        raise UnreadableDelivery(f"the body is not JSON this service accepts: {exc}") from None
    if not isinstance(body, dict):
        raise UnreadableDelivery("the body is not a JSON object")
    return body


def read_delivery(
    sender: Sender,
    settings: MappingSettings,
    headers: Mapping[str, str],
    query: Mapping[str, str],
    body: dict[str, Any],
) -> Delivery:
    """What the delivery says in the sender's terms, with the integration's `identity`
    expressions over the sender's defaults. When the sender's own reading finds no document
    id but the integration says where it is, the delivery is read from the expressions alone
    (action: `?action=`, else `update`; the sender's own key from `webhook-id` or
    `idempotency-key`). Raises UnreadableDelivery."""
    identity = settings.identity
    try:
        delivery = sender.read(headers, query, body)
    except UnreadableDelivery:
        if identity.documentId is None:
            raise
        delivery = Delivery(
            action=first_action(query) or "update",
            document_id="",
            document=body,
            sender_key=headers.get("webhook-id") or headers.get("idempotency-key"),
        )
    overrides: dict[str, Any] = {}
    for name, expression in (
        ("document_id", identity.documentId),
        ("updated_at", identity.version),
        ("action", identity.action),
    ):
        if expression is None:
            continue
        try:
            value = text(evaluate(body, expression, settings.context()))
        except (MappingProblem, JMESPathError, InvalidExpression) as exc:
            raise UnreadableDelivery(f"identity {name}: {exc}") from None
        if value is None and name == "document_id":
            raise UnreadableDelivery(f"no document id at '{expression}' (identity.documentId)")
        if value is not None:
            overrides[name] = value
    if query.get("action"):  # the webhook URL's ?action= wins
        overrides["action"] = query["action"]
    return dataclasses.replace(delivery, **overrides)


def action_of(sender: Sender, integration: Mapping[str, Any], delivery: Delivery) -> EventAction:
    return sender.actions(integration["actions"]).get(delivery.action, "ignore")


def verdict(sender: Sender, integration: Mapping[str, Any], delivery: Delivery) -> Verdict:
    """What the read delivery does to its event under the integration's current mapping."""
    action = action_of(sender, integration, delivery)
    if delivery.skip_reason or action == "ignore":
        reason = delivery.skip_reason or f"action '{delivery.action}' is mapped to ignore"
        return Verdict("ignored", delivery, reason_code="ignored", reason=reason)
    if action in ("unpublish", "delete"):
        change: Literal["unpublish", "cancel"] = "unpublish" if action == "unpublish" else "cancel"
        return Verdict("accepted", delivery, change=change)
    try:
        mapped = mapped_event(sender, integration, delivery, action)
    except InvalidEvent as exc:
        return Verdict(
            "invalid", delivery, reason_code="validation_failed", reason=summary(exc.errors),
            fields=exc.errors, notes=tuple(exc.notes if isinstance(exc, UnmappedEvent) else ()),
        )  # fmt: skip
    return Verdict("accepted", delivery, "upsert", mapped.event, tuple(mapped.notes))


def mapped_event(
    sender: Sender, integration: Mapping[str, Any], delivery: Delivery, action: str
) -> Mapped:
    """The event: the integration's mapping over the sender's default mapping (which may
    depend on the delivery's shape). Raises InvalidEvent naming each field's source."""
    settings = settings_of(integration)
    mapping = {**sender.default_mapping(delivery), **integration["mapping"]}
    return map_event(
        delivery.document,
        mapping,
        integration["defaults"],
        settings.context(),
        channel_id=integration["channel_id"],
        source_id=delivery.document_id,
        status=_status(action, delivery, integration),
    )


def read_sample(integration: Mapping[str, Any], sample: Sample) -> Delivery:
    """The sample read as its sender's delivery; UnreadableDelivery otherwise."""
    return read_delivery(
        SENDERS[integration["source"]],
        settings_of(integration),
        sample.lowered(),
        sample.query_params(),
        json_object(sample.body),
    )


def convert(integration: Mapping[str, Any], sample: Sample) -> Verdict:
    """A verified, decoded delivery's verdict (preview and replay; the intake reads the
    delivery first, to count it against the quota before mapping)."""
    try:
        delivery = read_sample(integration, sample)
    except UnreadableDelivery as exc:
        return Verdict("invalid", None, reason_code="unreadable", reason=str(exc))
    return verdict(SENDERS[integration["source"]], integration, delivery)


def verdict_view(result: Verdict) -> dict[str, Any]:
    """The verdict as JSON: the developer API's preview answer and the CLI's output."""
    view: dict[str, Any] = {"status": result.status}
    if result.delivery is not None:
        view.update(action=result.delivery.action, documentId=result.delivery.document_id)
    if result.change is not None:
        view["change"] = result.change
    if result.event is not None:
        view["event"] = result.event.model_dump(mode="json", exclude_none=True)
    if result.notes:
        view["notes"] = as_json(result.notes)
    if result.reason is not None:
        view.update(reasonCode=result.reason_code, reason=result.reason)
    if result.fields:
        view["fields"] = [vars(f) for f in result.fields]
    return view


def _status(action: str, delivery: Delivery, integration: Mapping[str, Any]) -> str:
    if action == "publish" or delivery.published is True:
        return "published"
    if delivery.published is False:
        return "draft"
    return str(integration["defaults"].get("status", "published"))


def summary(errors: list[FieldError]) -> str:
    return "; ".join(f"{e.path}: {e.message}" for e in errors)
