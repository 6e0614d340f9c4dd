"""Deliveries in the portal: every integration's deliveries, newest first, filtered by
integration, by what became of them and by reason; one delivery with its fields to fix."""

from __future__ import annotations

import uuid
from datetime import datetime

from starlette.responses import Response

from services.gateway.adapters.deliveries import DeliveryFilter
from services.gateway.portal.routing import Page, PageProblem
from services.gateway.portal.visits import PORTAL, Visit

DELIVERIES = f"{PORTAL}/deliveries"
PAGE_SIZE = 50
STATUSES = (
    "accepted", "applied", "duplicate", "stale", "rejected", "ignored", "invalid",
    "unauthorized", "rate_limited",
)  # fmt: skip
# Statuses a replay may turn into an event once the mapping is fixed.
REPLAYABLE = ("invalid", "ignored", "rejected")


async def deliveries_page(visit: Visit) -> Response:
    query = visit.request.query_params
    filters = {name: query.get(name, "") for name in ("integration", "status", "reason")}
    wanted = DeliveryFilter(
        integration_id=_uuid(filters["integration"]),
        status=filters["status"] if filters["status"] in STATUSES else None,
        reason_code=filters["reason"] or None,
        before=_instant(query.get("before")),
    )
    account_id = visit.me.account_id
    rows = await visit.gateway.deliveries.page(account_id, wanted, PAGE_SIZE + 1)
    integrations, _ = await visit.gateway.integrations.page(account_id, limit=500, offset=0)
    more = rows[PAGE_SIZE]["received_at"].isoformat() if len(rows) > PAGE_SIZE else None
    context = {
        "viewer": visit.me,
        "section": "deliveries",
        "deliveries": rows[:PAGE_SIZE],
        "integrations": integrations,
        "statuses": STATUSES,
        "reasons": await visit.gateway.deliveries.reason_codes(account_id),
        "filters": filters,
        "more": more,
    }
    return visit.pages.render("deliveries.html", context)


async def delivery_page(visit: Visit) -> Response:
    delivery_id = visit.request.path_params["deliveryId"]
    row = await visit.gateway.deliveries.get(visit.me.account_id, delivery_id)
    context = {
        "viewer": visit.me,
        "section": "deliveries",
        "delivery": row,
        "replayable": REPLAY_ENABLED and row["effective_status"] in REPLAYABLE,
    }
    return visit.pages.render("delivery.html", context)


# Replay comes with the webhook-fidelity work's replay operation.
REPLAY_ENABLED = False


def _uuid(raw: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        raise PageProblem(400, "Bad filter", "That integration id is not one.") from None


def _instant(raw: str | None) -> datetime | None:
    try:
        return datetime.fromisoformat(raw) if raw else None
    except ValueError:
        raise PageProblem(400, "Bad page", "That page marker is not a time.") from None


PAGES = (
    Page("GET", DELIVERIES, deliveries_page),
    Page("GET", f"{DELIVERIES}/{{deliveryId:uuid}}", delivery_page),
)
