"""Deliveries as each sender really sends them: headers, body shape, action names, signature.

Built from the senders' documentation and source (The Events Calendar REST event, WP Webhooks /
WooCommerce signatures, Strapi v4/v5 `entry.*`, Sanity's webhook toolkit, Contentful request
verification, Webflow's signature docs, the Standard Webhooks reference library). Signing here
is written from those documents, not imported from the gateway.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from standardwebhooks.webhooks import Webhook

Built = tuple[dict[str, str], bytes]


class Step(NamedTuple):
    """One delivery to build: which lifecycle step of which document, and how to sign it."""

    step: str
    doc: str
    title: str | None
    updated: str
    secret: str
    path: str
    sent_at: float


def _hmac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def _json(body: dict[str, Any]) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


@dataclass
class SenderCase:
    """One sender kind: how to build a delivery for a lifecycle step."""

    source: str
    spec: dict[str, Any] = field(default_factory=dict)  # extra integration settings
    timestamped: bool = True  # signs a timestamp, so an old one is refused
    signed: bool = True  # False: a static token instead of a signature
    create_status: str = "published"
    unpublish: bool = True
    publish: bool = True

    def build(
        self,
        step: str,
        doc: str,
        title: str | None,
        updated: str,
        secret: str,
        path: str,
        sent_at: float | None = None,
    ) -> Built:
        """Headers and body of the delivery for lifecycle `step` of document `doc`, signed with
        `secret` for the webhook `path`, sent at `sent_at` (now by default)."""
        return self.deliver(Step(step, doc, title, updated, secret, path, sent_at or time.time()))

    def deliver(self, a: Step) -> Built:
        raise NotImplementedError

    def query(self, step: str) -> str:
        """What the sender's configured URL adds to the webhook path, if anything."""
        return ""


def fields(title: str | None) -> dict[str, Any]:
    base = {"startAt": "2026-07-01T19:00:00-04:00", "timezone": "America/New_York"}
    return base if title is None else {"title": title, **base}


class WordPressTec(SenderCase):
    """The Events Calendar's REST event, signed WooCommerce-style (X-WC-Webhook-*)."""

    def __init__(self) -> None:
        super().__init__("wordpress", timestamped=False)

    def deliver(self, a: Step) -> Built:
        topic = {"create": "event.created", "delete": "event.deleted"}.get(a.step, "event.updated")
        body: dict[str, Any] = {
            "id": int(a.doc),
            "global_id": f"example.com?id={a.doc}",
            "status": "draft" if a.step == "unpublish" else "publish",
            "description": "<p>Hands-on intro.</p>",
            "start_date": "2026-07-01 19:00:00",
            "end_date": "2026-07-01 21:30:00",
            "utc_start_date": "2026-07-01 23:00:00",
            "utc_end_date": "2026-07-02 01:30:00",
            "timezone": "America/New_York",
            "timezone_abbr": "EDT",
            "modified": a.updated.replace("T", " ")[:19],
            "modified_utc": a.updated.replace("T", " ")[:19],
            "venue": {
                "venue": "Pier 17",
                "address": "89 South St",
                "city": "New York",
                "country": "United States",
                "stateprovince": "NY",
                "geo_lat": "40.7057",
                "geo_lng": "-74.0014",
            },
        }
        if a.title is not None:
            body["title"] = a.title
        raw = _json(body)
        return {
            "Content-Type": "application/json",
            "X-WC-Webhook-Topic": topic,
            "X-WC-Webhook-Delivery-ID": hashlib.sha1(raw + topic.encode()).hexdigest()[:8],  # noqa: S324
            "X-WC-Webhook-Signature": base64.b64encode(_hmac(a.secret, raw)).decode(),
        }, raw


class WordPressPost(SenderCase):
    """WP Webhooks' post triggers: the post, its meta (values are lists), signed with
    X-WP-Webhook-Signature; each trigger's URL carries `?action=<trigger>`."""

    def __init__(self) -> None:
        super().__init__("wordpress", timestamped=False)

    def query(self, step: str) -> str:
        trigger = {"create": "post_create", "delete": "post_trash"}.get(step, "post_update")
        return f"?action={trigger}"

    def deliver(self, a: Step) -> Built:
        gmt = a.updated.replace("T", " ")[:19]
        post: dict[str, Any] = {
            "ID": int(a.doc),
            "post_author": "1",
            "post_date": gmt,
            "post_date_gmt": gmt,
            "post_content": "<p>Hands-on intro.</p>",
            "post_excerpt": "Hands-on intro.",
            "post_status": {"unpublish": "draft", "delete": "trash"}.get(a.step, "publish"),
            "post_name": f"event-{a.doc}",
            "post_modified": gmt,
            "post_modified_gmt": gmt,
            "post_type": "post",
        }
        if a.title is not None:
            post["post_title"] = a.title
        body = {
            "post_id": int(a.doc),
            "post": post,
            "post_meta": {
                "event_start": ["2026-07-01 19:00:00"],
                "event_end": ["2026-07-01 21:30:00"],
                "event_timezone": ["America/New_York"],
            },
            "post_permalink": f"https://example.com/event-{a.doc}/",
        }
        raw = _json(body)
        return {
            "Content-Type": "application/json; charset=UTF-8",
            "X-WP-Webhook-Source": "https://example.com/",
            "X-WP-Webhook-Signature": base64.b64encode(_hmac(a.secret, raw)).decode(),
        }, raw


class Strapi(SenderCase):
    """Strapi v5 (`documentId`, locales) or v4 (numeric id): a static token header."""

    def __init__(self, version: int) -> None:
        super().__init__("strapi", timestamped=False, signed=False)
        self.version = version

    def deliver(self, a: Step) -> Built:
        # Draft & Publish: the live version is what create/update/publish report here.
        entry: dict[str, Any] = {
            "id": int(a.doc) if a.doc.isdigit() else 7,
            "startAt": "2026-07-01T23:00:00.000Z",
            "timezone": "America/New_York",
            "createdAt": "2026-05-01T10:00:00.000Z",
            "updatedAt": a.updated,
            "publishedAt": None if a.step == "unpublish" else a.updated,
        }
        if a.title is not None:
            entry["title"] = a.title
        if self.version == 5:
            entry.update(documentId=f"doc{a.doc}", locale="en")
        event = {"create": "entry.publish"}.get(a.step, f"entry.{a.step}")
        body = {
            "event": event,
            "createdAt": a.updated,
            "model": "event",
            "uid": "api::event.event",
            "entry": entry,
        }
        return {"Content-Type": "application/json", "Authorization": f"Bearer {a.secret}"}, _json(
            body
        )


class Sanity(SenderCase):
    """A GROQ projection body with `sanity-*` headers and `sanity-webhook-signature`."""

    def __init__(self) -> None:
        super().__init__("sanity", unpublish=False, publish=False)

    def deliver(self, a: Step) -> Built:
        operation = {"delete": "delete", "create": "create"}.get(a.step, "update")
        body = {
            "_id": a.doc,
            "_type": "event",
            "_updatedAt": a.updated,
            "startAt": "2026-07-01T23:00:00Z",
            "timezone": "America/New_York",
        }
        if a.title is not None:
            body["title"] = a.title
        raw = _json(body)
        millis = int(a.sent_at * 1000)
        signature = base64.urlsafe_b64encode(_hmac(a.secret, f"{millis}.".encode() + raw))
        return {
            "Content-Type": "application/json",
            "sanity-webhook-signature": f"t={millis},v1={signature.rstrip(b'=').decode()}",
            "idempotency-key": f"idem-{hashlib.sha256(raw).hexdigest()[:16]}-{operation}",
            "sanity-document-id": a.doc,
            "sanity-operation": operation,
            "sanity-project-id": "abc123",
            "sanity-dataset": "production",
        }, raw


class Contentful(SenderCase):
    """Entry topics with localized fields, signed by request verification."""

    def __init__(self) -> None:
        super().__init__("contentful", spec={"secret": "contentful-signing-secret-" + "x" * 38})

    def deliver(self, a: Step) -> Built:
        action = {"create": "publish", "update": "publish"}.get(a.step, a.step)
        sys = {
            "id": a.doc,
            "type": "Entry",
            "version": 3,
            "updatedAt": a.updated,
            "contentType": {"sys": {"type": "Link", "linkType": "ContentType", "id": "event"}},
        }
        if action in ("unpublish", "delete"):
            body: dict[str, Any] = {"sys": {**sys, "type": "DeletedEntry"}}
        else:
            localized = {k: {"en-US": v} for k, v in fields(a.title).items()}
            body = {"sys": sys, "fields": localized}
        raw = _json(body)
        headers = {
            "content-type": "application/vnd.contentful.management.v1+json",
            "x-contentful-topic": f"ContentManagement.Entry.{action}",
            "x-contentful-idempotency-key": hashlib.sha256(raw + action.encode()).hexdigest(),
            "x-contentful-timestamp": str(int(a.sent_at * 1000)),
            "x-contentful-signed-headers": "x-contentful-timestamp,x-contentful-topic",
        }
        signed = ";".join(
            f"{h}:{headers[h]}" for h in ("x-contentful-timestamp", "x-contentful-topic")
        )
        canonical = f"POST\n{a.path}\n{signed}\n".encode() + raw
        headers["x-contentful-signature"] = _hmac(a.secret, canonical).hex()
        return headers, raw


class Webflow(SenderCase):
    """Collection item triggers, `x-webflow-signature` over "timestamp:body"."""

    def __init__(self) -> None:
        super().__init__("webflow", spec={"secret": "webflow-oauth-client-secret-0123456789"})

    def deliver(self, a: Step) -> Built:
        trigger = {
            "create": "collection_item_created",
            "update": "collection_item_changed",
            "publish": "collection_item_published",
            "unpublish": "collection_item_unpublished",
            "delete": "collection_item_deleted",
        }[a.step]
        field_data: dict[str, Any] = {
            "slug": f"event-{a.doc}",
            "start-date": "2026-07-01T23:00:00.000Z",
            "timezone": "America/New_York",
        }
        if a.title is not None:
            field_data["name"] = a.title
        body = {
            "triggerType": trigger,
            "payload": {
                "id": a.doc,
                "siteId": "65427cf400e02b306eaa049c",
                "collectionId": "6542806e6b3b2c0d8d3e6a7f",
                "cmsLocaleId": "653ad57de882f528b32e810e",
                "lastPublished": a.updated,
                "lastUpdated": a.updated,
                "createdOn": a.updated,
                "isArchived": False,
                "isDraft": a.step == "unpublish",
                "fieldData": field_data,
            },
        }
        raw = _json(body)
        millis = str(int(a.sent_at * 1000))
        return {
            "Content-Type": "application/json",
            "x-webflow-timestamp": millis,
            "x-webflow-signature": _hmac(a.secret, millis.encode() + b":" + raw).hex(),
        }, raw


class StandardWebhooks(SenderCase):
    """`type` + `data`, signed with the Standard Webhooks reference library."""

    def __init__(self) -> None:
        super().__init__("standard")

    def deliver(self, a: Step) -> Built:
        kind = {
            "create": "created",
            "update": "updated",
            "publish": "published",
            "unpublish": "unpublished",
            "delete": "deleted",
        }[a.step]
        data: dict[str, Any] = {
            "id": a.doc,
            "updatedAt": a.updated,
            **fields(a.title),
            "classifications": ["music"],
        }
        raw = _json({"type": f"crm.event.{kind}", "timestamp": a.updated, "data": data})
        message_id = f"msg_{hashlib.sha256(raw).hexdigest()[:24]}"
        moment = datetime.fromtimestamp(a.sent_at, tz=UTC)
        signature = Webhook(a.secret).sign(message_id, moment, raw.decode())
        return {
            "Content-Type": "application/json",
            "webhook-id": message_id,
            "webhook-timestamp": str(int(moment.timestamp())),
            "webhook-signature": signature,
        }, raw


class Generic(SenderCase):
    """A CRM, form or spreadsheet automation posting a flat JSON record with a token."""

    def __init__(self) -> None:
        super().__init__("generic", timestamped=False, signed=False)

    def deliver(self, a: Step) -> Built:
        body = {
            "action": a.step,
            "id": a.doc,
            "updatedAt": a.updated,
            **fields(a.title),
            "venue": {"name": "Pier 17", "address": "89 South St"},
        }
        return {"Content-Type": "application/json", "X-Webhook-Token": a.secret}, _json(body)


SENDER_CASES = [
    WordPressTec(),
    WordPressPost(),
    Strapi(5),
    Strapi(4),
    Sanity(),
    Contentful(),
    Webflow(),
    StandardWebhooks(),
    Generic(),
]


def new_document_id(case: SenderCase) -> str:
    if case.source in ("wordpress", "strapi"):
        return str(uuid.uuid4().int % 10**9)
    return f"doc-{uuid.uuid4().hex[:12]}"


def sign(
    source: str, raw: bytes, secret: str, path: str, headers: dict[str, str]
) -> dict[str, str]:
    """`headers` with what `source` adds to prove a delivery of `raw` to `path` is its own,
    now (for bodies built elsewhere, e.g. tests/rich_senders.py)."""
    now = time.time()
    millis = str(int(now * 1000))
    signed = dict(headers)
    if source == "wordpress":
        name = (
            "X-WP-Webhook-Signature"
            if "X-WP-Webhook-Source" in headers
            else "X-WC-Webhook-Signature"
        )
        signed[name] = base64.b64encode(_hmac(secret, raw)).decode()
    elif source in ("strapi", "generic"):
        signed["Authorization"] = f"Bearer {secret}"
    elif source == "sanity":
        digest = base64.urlsafe_b64encode(_hmac(secret, millis.encode() + b"." + raw))
        signed["sanity-webhook-signature"] = f"t={millis},v1={digest.rstrip(b'=').decode()}"
    elif source == "contentful":
        names = ("x-contentful-timestamp", "x-contentful-topic")
        signed["x-contentful-timestamp"] = millis
        signed["x-contentful-signed-headers"] = ",".join(names)
        canonical = f"POST\n{path}\n" + ";".join(f"{h}:{signed[h]}" for h in names) + "\n"
        signed["x-contentful-signature"] = _hmac(secret, canonical.encode() + raw).hex()
    elif source == "webflow":
        signed["x-webflow-timestamp"] = millis
        signed["x-webflow-signature"] = _hmac(secret, millis.encode() + b":" + raw).hex()
    elif source == "standard":
        message_id = f"msg_{hashlib.sha256(raw).hexdigest()[:24]}"
        moment = datetime.fromtimestamp(now, tz=UTC)
        signature = Webhook(secret).sign(message_id, moment, raw.decode())
        signed.update({"webhook-id": message_id, "webhook-timestamp": str(int(now))})
        signed["webhook-signature"] = signature
    return signed
