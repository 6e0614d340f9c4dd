"""Each sender's delivery format: where its action, document id, version and own idempotency
key are, how it signs, and the default mapping of its content to event fields.

Formats follow the senders' own documentation and source: WordPress (The Events Calendar's
REST event, WP Webhooks' post triggers, WooCommerce-style signatures), Strapi v4 / v5
(`entry.*` events), Sanity (GROQ projections with `sanity-*` headers), Contentful
(`X-Contentful-Topic`, `sys` + localized `fields`), Webflow (`triggerType` + `payload`),
Standard Webhooks (`type` + `data`) and a generic JSON record.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from services.gateway.webhooks import verify
from shared.adapters.integrations import MAPPABLE_FIELDS, EventAction, Source


class UnreadableDelivery(ValueError):
    """The body is not in the sender's format (no document id, not an object, ...)."""


@dataclass(frozen=True)
class Delivery:
    """What one delivery says, in the sender's own terms."""

    action: str
    document_id: str
    document: dict[str, Any]  # the root the mapping's dotted paths start from
    updated_at: str | None = None
    sender_key: str | None = None  # the sender's own idempotency key, when it sends one
    published: bool | None = None  # the sender's own published flag, when it has one
    skip_reason: str | None = None  # a delivery never applied, e.g. a Sanity draft


Reader = Callable[[Mapping[str, str], Mapping[str, str], dict[str, Any]], Delivery]


@dataclass(frozen=True)
class Sender:
    source: Source
    read: Reader
    default_mapping: Callable[[Delivery], dict[str, str]]
    default_actions: dict[str, EventAction]
    signature: verify.Verifier | None  # None: the sender cannot sign (see VERIFICATIONS)


def at(document: Any, path: str) -> Any:
    """The value at a dotted path (`entry.venue.name`, `images.0.url`), or None."""
    value = document
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


def _required_id(value: Any, where: str) -> str:
    text = _text(value)
    if text is None:
        raise UnreadableDelivery(f"no document id at {where}")
    return text


def _action(query: Mapping[str, str], *candidates: Any) -> str | None:
    for candidate in (query.get("action"), *candidates):
        if isinstance(candidate, str) and candidate:
            return candidate
    return None


# --- WordPress ---------------------------------------------------------------------------

_TEC_MAPPING = {
    "title": "title",
    "description": "description",
    "startAt": "start_date",
    "endAt": "end_date",
    "timezone": "timezone",
    "venue.name": "venue.venue",
    "venue.address": "venue.address",
    "venue.coordinates.lat": "venue.geo_lat",
    "venue.coordinates.lng": "venue.geo_lng",
    "sourceUpdatedAt": "modified_utc",
}
_WP_POST_MAPPING = {
    "title": "post.post_title",
    "description": "post.post_excerpt",
    "startAt": "post_meta.event_start.0",
    "endAt": "post_meta.event_end.0",
    "timezone": "post_meta.event_timezone.0",
    "sourceUpdatedAt": "post.post_modified_gmt",
}


def _wordpress(
    headers: Mapping[str, str], query: Mapping[str, str], body: dict[str, Any]
) -> Delivery:
    post = body.get("post")
    if isinstance(post, dict):  # WP Webhooks' post_create / post_update / post_delete
        status = post.get("post_status")
        document_id = _required_id(body.get("post_id") or post.get("ID"), "post_id")
        updated = _text(post.get("post_modified_gmt"))
    else:  # The Events Calendar's REST event
        status = body.get("status")
        document_id = _required_id(body.get("id"), "id")
        updated = _text(body.get("modified_utc") or body.get("modified"))
    fallback = "trash" if status == "trash" else "update"
    action = _action(query, headers.get("x-wc-webhook-topic"), body.get("action")) or fallback
    return Delivery(
        action=action,
        document_id=document_id,
        document=body,
        updated_at=updated,
        sender_key=headers.get("x-wc-webhook-delivery-id"),
        published=None if status is None else status == "publish",
    )


# --- Strapi ------------------------------------------------------------------------------


def _strapi(headers: Mapping[str, str], query: Mapping[str, str], body: dict[str, Any]) -> Delivery:
    entry = body.get("entry")
    if not isinstance(entry, dict):
        raise UnreadableDelivery("no 'entry' object: not a Strapi entry.* webhook")
    action = _action(query, body.get("event")) or "entry.update"
    # v5 documents keep one documentId across locales and draft/published versions; v4 has
    # only the numeric id, unique within the content type.
    document_id = _text(entry.get("documentId")) or (
        f"{body.get('uid') or body.get('model')}:{_required_id(entry.get('id'), 'entry.id')}"
    )
    if entry.get("locale"):
        document_id = f"{document_id}:{entry['locale']}"
    published = None if "publishedAt" not in entry else entry.get("publishedAt") is not None
    # With Draft & Publish, an edit to the draft version must not touch the live event.
    draft_edit = published is False and action in ("entry.create", "entry.update")
    return Delivery(
        action=action,
        document_id=document_id,
        document=body,
        updated_at=_text(entry.get("updatedAt")),
        published=published,
        skip_reason="draft version: only published entries become events" if draft_edit else None,
    )


_STRAPI_MAPPING = {
    "title": "entry.title",
    "description": "entry.description",
    "startAt": "entry.startAt",
    "endAt": "entry.endAt",
    "timezone": "entry.timezone",
    "sourceUpdatedAt": "entry.updatedAt",
}


# --- Sanity ------------------------------------------------------------------------------


def _sanity(headers: Mapping[str, str], query: Mapping[str, str], body: dict[str, Any]) -> Delivery:
    document_id = _required_id(headers.get("sanity-document-id") or body.get("_id"), "_id")
    skip = None
    if document_id.startswith(("drafts.", "versions.")):
        skip = "draft document: only published Sanity documents become events"
    return Delivery(
        action=_action(query, headers.get("sanity-operation"), body.get("operation")) or "update",
        document_id=document_id,
        document=body,
        updated_at=_text(body.get("_updatedAt")),
        sender_key=headers.get("idempotency-key"),
        published=True,
        skip_reason=skip,
    )


_SANITY_MAPPING = {
    "title": "title",
    "description": "description",
    "startAt": "startAt",
    "endAt": "endAt",
    "timezone": "timezone",
    "sourceUpdatedAt": "_updatedAt",
}


# --- Contentful --------------------------------------------------------------------------


def _contentful(
    headers: Mapping[str, str], query: Mapping[str, str], body: dict[str, Any]
) -> Delivery:
    topic = headers.get("x-contentful-topic", "")
    _, kind, action = ["", "", "", *topic.split(".")][-3:]
    sys = body.get("sys")
    if not isinstance(sys, dict):
        raise UnreadableDelivery("no 'sys' object: not a Contentful entity payload")
    skip = None if kind == "Entry" else f"topic {topic or '(none)'} is not about an entry"
    return Delivery(
        action=action or "save",
        document_id=_required_id(sys.get("id"), "sys.id"),
        document=body,
        updated_at=_text(sys.get("updatedAt")),
        sender_key=headers.get("x-contentful-idempotency-key"),
        published=action == "publish" if action in ("publish", "unpublish") else None,
        skip_reason=skip,
    )


def _contentful_mapping(_: Delivery) -> dict[str, str]:
    return {
        "title": "fields.title.en-US",
        "description": "fields.description.en-US",
        "startAt": "fields.startAt.en-US",
        "endAt": "fields.endAt.en-US",
        "timezone": "fields.timezone.en-US",
        "sourceUpdatedAt": "sys.updatedAt",
    }


# --- Webflow -----------------------------------------------------------------------------


def _webflow(
    headers: Mapping[str, str], query: Mapping[str, str], body: dict[str, Any]
) -> Delivery:
    item = body.get("payload")
    if not isinstance(item, dict):
        raise UnreadableDelivery("no 'payload' object: not a Webflow collection item webhook")
    live = not item.get("isDraft") and not item.get("isArchived")
    return Delivery(
        action=_action(query, body.get("triggerType")) or "collection_item_changed",
        document_id=_required_id(item.get("id"), "payload.id"),
        document=body,
        updated_at=_text(item.get("lastUpdated")),
        published=live,
    )


_WEBFLOW_MAPPING = {
    "title": "payload.fieldData.name",
    "description": "payload.fieldData.description",
    "startAt": "payload.fieldData.start-date",
    "endAt": "payload.fieldData.end-date",
    "timezone": "payload.fieldData.timezone",
    "sourceUpdatedAt": "payload.lastUpdated",
}


# --- Standard Webhooks and generic JSON --------------------------------------------------


def _standard(
    headers: Mapping[str, str], query: Mapping[str, str], body: dict[str, Any]
) -> Delivery:
    data = body.get("data")
    if not isinstance(data, dict):
        raise UnreadableDelivery("no 'data' object: not a Standard Webhooks event payload")
    event_type = _action(query, body.get("type")) or "updated"
    return Delivery(
        action=event_type.rsplit(".", 1)[-1],
        document_id=_required_id(data.get("id"), "data.id"),
        document=body,
        updated_at=_text(data.get("updatedAt")),
        sender_key=headers.get("webhook-id"),
    )


# Every mappable event field at the same path (under `data.` for Standard Webhooks).
_EVENT_PATHS = sorted(MAPPABLE_FIELDS - {"sourceUpdatedAt"})
_STANDARD_MAPPING = {
    **{path: f"data.{path}" for path in _EVENT_PATHS},
    "sourceUpdatedAt": "data.updatedAt",
}
_GENERIC_MAPPING = {**{path: path for path in _EVENT_PATHS}, "sourceUpdatedAt": "updatedAt"}


def _generic(
    headers: Mapping[str, str], query: Mapping[str, str], body: dict[str, Any]
) -> Delivery:
    return Delivery(
        action=_action(query, body.get("action")) or "update",
        document_id=_required_id(body.get("id") or body.get("sourceId"), "id"),
        document=body,
        updated_at=_text(body.get("updatedAt")),
        sender_key=headers.get("idempotency-key"),
    )


_LIFECYCLE: dict[str, EventAction] = {
    "create": "create",
    "update": "update",
    "publish": "publish",
    "unpublish": "unpublish",
    "delete": "delete",
}

SENDERS: dict[str, Sender] = {
    sender.source: sender
    for sender in (
        Sender(
            "wordpress",
            _wordpress,
            lambda d: (
                _WP_POST_MAPPING if isinstance(d.document.get("post"), dict) else _TEC_MAPPING
            ),
            {
                **_LIFECYCLE,
                "post_create": "create",
                "post_update": "update",
                "post_delete": "delete",
                "post_trash": "delete",
                "trash": "delete",
                "event.created": "create",
                "event.updated": "update",
                "event.deleted": "delete",
            },
            verify.wordpress_hmac,
        ),
        Sender(
            "strapi",
            _strapi,
            lambda _: _STRAPI_MAPPING,
            {
                "entry.create": "create",
                "entry.update": "update",
                "entry.publish": "publish",
                "entry.unpublish": "unpublish",
                "entry.delete": "delete",
            },
            None,
        ),
        Sender(
            "sanity",
            _sanity,
            lambda _: _SANITY_MAPPING,
            {"create": "create", "update": "update", "delete": "delete"},
            verify.sanity,
        ),
        Sender(
            "contentful",
            _contentful,
            _contentful_mapping,
            # Saves are drafts in Contentful; only publishing makes an entry live.
            {
                "publish": "publish",
                "unpublish": "unpublish",
                "archive": "unpublish",
                "delete": "delete",
            },
            verify.contentful,
        ),
        Sender(
            "webflow",
            _webflow,
            lambda _: _WEBFLOW_MAPPING,
            {
                "collection_item_created": "create",
                "collection_item_changed": "update",
                "collection_item_published": "publish",
                "collection_item_unpublished": "unpublish",
                "collection_item_deleted": "delete",
            },
            verify.webflow,
        ),
        Sender(
            "standard",
            _standard,
            lambda _: _STANDARD_MAPPING,
            {
                **_LIFECYCLE,
                "created": "create",
                "updated": "update",
                "published": "publish",
                "unpublished": "unpublish",
                "deleted": "delete",
            },
            verify.standard_webhooks,
        ),
        Sender(
            "generic",
            _generic,
            lambda _: _GENERIC_MAPPING,
            {**_LIFECYCLE, "upsert": "update"},
            None,
        ),
    )
}
