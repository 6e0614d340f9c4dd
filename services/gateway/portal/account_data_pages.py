"""What the account has and did: its channels (owned and shared, with members and
visibility) and its audit log (requests, key changes, portal activity)."""

from __future__ import annotations

import uuid

from starlette.responses import Response

from services.gateway.adapters.audit import AuditQuery
from services.gateway.management.channels import publish_channel
from services.gateway.portal.routing import Page, Redirect
from services.gateway.portal.visits import PORTAL, Visit
from shared.core.numerals import ascii_digits
from shared.domain.channels import VISIBILITIES

CHANNELS = f"{PORTAL}/channels"
AUDIT_PAGE_SIZE = 50


async def channels_page(visit: Visit) -> Response:
    context = {
        "viewer": visit.me,
        "section": "channels",
        "channels": await visit.gateway.channels.of_account(visit.me.account_id),
        "visibilities": VISIBILITIES,
    }
    return visit.pages.render("channels.html", context)


async def publish(visit: Visit) -> Response:
    payload = {"visibility": visit.field("visibility") or None, "slug": visit.field("slug") or None}
    channel_id: int = visit.request.path_params["channelId"]
    row = await publish_channel(visit.gateway.channels, visit.me.account_id, channel_id, payload)
    await visit.audit(
        "channel_visibility_changed", channel=channel_id, visibility=row["visibility"],
        slug=row["slug"],
    )  # fmt: skip
    raise Redirect(CHANNELS)


async def audit_page(visit: Visit) -> Response:
    query = visit.request.query_params
    filters = {name: query.get(name, "") for name in ("type", "keyId", "status")}
    page = int(query["page"]) if ascii_digits(query.get("page", "")) else 1
    status = filters["status"]
    audit = AuditQuery(
        key_id=_uuid(filters["keyId"]),
        since=None,
        until=None,
        route=None,
        status=int(status) if ascii_digits(status) and 100 <= int(status) <= 599 else None,
        request_id=None,
        kind=filters["type"] if filters["type"] in ("request", "key") else None,
    )
    account_id = visit.me.account_id
    rows, total = await visit.gateway.audit.entries(
        account_id, audit, AUDIT_PAGE_SIZE, (page - 1) * AUDIT_PAGE_SIZE
    )
    keys, _ = await visit.gateway.keys.page(account_id, limit=500, offset=0)
    context = {
        "viewer": visit.me,
        "section": "audit",
        "entries": rows,
        "keys": keys,
        "filters": filters,
        "next_page": page + 1 if page * AUDIT_PAGE_SIZE < total else None,
        "portal_events": await visit.gateway.portal.audit_trail(account_id),
    }
    return visit.pages.render("audit.html", context)


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


PAGES = (
    Page("GET", CHANNELS, channels_page),
    Page("POST", f"{CHANNELS}/{{channelId:int}}/visibility", publish),
    Page("GET", f"{PORTAL}/audit", audit_page),
)
