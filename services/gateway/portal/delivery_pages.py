"""Deliveries in the portal: every integration's deliveries, newest first, filtered by
integration, by what became of them and by reason; one delivery with its fields to fix and
its notes (what its mapping filled in or left out)."""

from __future__ import annotations

import uuid
from datetime import datetime

from starlette.responses import Response

from services.gateway.adapters.deliveries import DeliveryFilter
from services.gateway.portal.routing import Page, PageProblem, Redirect
from services.gateway.portal.visits import PORTAL, Visit
from services.gateway.webhooks import trial
from shared.domain.senders.conversion import can_replay

DELIVERIES = f"{PORTAL}/deliveries"
PAGE_SIZE = 50
STATUSES = (
    "accepted", "applied", "duplicate", "stale", "rejected", "ignored", "invalid",
    "unauthorized", "rate_limited", "ping",
)  # fmt: skip
SHOWN_BODY_CHARACTERS = 20_000


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
    body = (row["kept_body"] or b"").decode(errors="replace")
    context = {
        "viewer": visit.me,
        "section": "deliveries",
        "delivery": row,
        "body": body[:SHOWN_BODY_CHARACTERS],
        "body_cut": SHOWN_BODY_CHARACTERS if len(body) > SHOWN_BODY_CHARACTERS else None,
        "replayable": can_replay(row["effective_status"], row["kept_body"] is not None),
        "notice": _replayed(visit.request.query_params.get("replayed")),
    }
    return visit.pages.render("delivery.html", context)


async def replay(visit: Visit) -> Response:
    """Run the delivery through the integration's current mapping, as a new delivery under
    its idempotency key; then show that new delivery."""
    delivery_id: uuid.UUID = visit.request.path_params["deliveryId"]
    row = await visit.gateway.deliveries.get(visit.me.account_id, delivery_id)
    gateway = visit.gateway
    answer = await trial.replay(
        gateway.integrations,
        gateway.access,
        gateway.writer,
        visit.me.account_id,
        row["integration_id"],
        delivery_id,
        visit.request_id,
    )
    await visit.audit(
        "delivery_replayed", delivery=delivery_id, replay=answer["deliveryId"],
        outcome=answer["status"],
    )  # fmt: skip
    raise Redirect(f"{DELIVERIES}/{answer['deliveryId']}?replayed={answer['status']}")


def _replayed(status: str | None) -> str | None:
    if status is None:
        return None
    if status == "accepted":
        return "Replayed: accepted, on its way to the event (refresh to see it applied)."
    return f"Replayed, and still {status}: see why below."


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
    Page("POST", f"{DELIVERIES}/{{deliveryId:uuid}}/replay", replay),
)
