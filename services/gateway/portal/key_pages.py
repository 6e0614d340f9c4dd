"""API keys in the portal: the list with status and last use, creating one with chosen
scopes (its secret shown once), one key's usage per day and per route, its history, and
disabling, enabling, rotating with an overlap and revoking with a reason. Every change goes
through the same management operations as the developer API's, recorded in the key's
history as `portal:<e-mail>`."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from starlette.responses import Response

from services.gateway.errors import InvalidInput
from services.gateway.management import keys as managed
from services.gateway.management.keys import QUICKSTART, SCOPE_MEANINGS, KeyCreate, KeyRevoke
from services.gateway.management.validation import validated
from services.gateway.portal import charts
from services.gateway.portal.reveal import forget, reveal, take
from services.gateway.portal.routing import Page, Redirect
from services.gateway.portal.visits import PORTAL, Visit
from shared.core.numerals import ascii_digits

KEYS = f"{PORTAL}/keys"
USAGE_DAYS = (7, 30, 90)
NOTICES = {
    "disabled": "The key is disabled: it stops working on every gateway within 2 seconds.",
    "enabled": "The key works again, with the same secret.",
    "revoked": "The key is revoked for good.",
    "password-changed": "Your password is changed; your other sessions are signed out.",
}


async def keys_page(visit: Visit, error: InvalidInput | None = None, status: int = 200) -> Response:
    rows, _ = await visit.gateway.keys.page(visit.me.account_id, limit=500, offset=0)
    form = {
        "name": visit.field("name"),
        "scopes": visit.fields("scopes") if visit.form is not None else list(QUICKSTART),
        "mode": visit.field("mode"),
        "expiresInDays": visit.field("expiresInDays"),
    }
    context = {
        "viewer": visit.me,
        "section": "keys",
        "keys": [{**row, "status": managed.key_status(row)} for row in rows],
        "scopes": list(SCOPE_MEANINGS.items()),
        "form": form,
        "error": error,
        "notice": NOTICES.get(visit.request.query_params.get("done", "")),
    }
    return visit.pages.render("keys.html", context, status=status)


async def create_key(visit: Visit) -> Response:
    try:
        body = validated(KeyCreate, _key_payload(visit))
    except InvalidInput as exc:
        return await keys_page(visit, exc, 422)
    issued = await managed.create_key(
        visit.gateway.keys, visit.me.account_id, body, visit.me.session.actor
    )
    return reveal(visit.request, "keys", issued.id, issued.token)


def _key_payload(visit: Visit) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "name": visit.field("name"),
        "scopes": visit.fields("scopes"),
        "mode": visit.field("mode") or "test",
    }
    days = visit.field("expiresInDays")
    if days:
        payload["expiresAt"] = _days_ahead(days)
    return payload


def _days_ahead(days: str) -> str:
    if not ascii_digits(days) or not 1 <= int(days) <= 3650:
        return days  # the model refuses it, naming the field
    return (datetime.now(UTC) + timedelta(days=int(days))).isoformat()


async def revealed_key(visit: Visit) -> Response:
    key_id = _key_id(visit)
    key = await visit.gateway.keys.get(visit.me.account_id, key_id)
    context = {
        "viewer": visit.me,
        "section": "keys",
        "heading": f"Key “{key['name']}” is ready",
        "secret": take(visit.request, "keys", key_id),
        "kept": "only its hash is kept",
        "lost_advice": "create a new key (or rotate this one) and revoke this one.",
        "back": f"{KEYS}/{key_id}",
        "back_label": "See the key",
    }
    return forget(visit.pages.render("secret.html", context))


async def key_page(visit: Visit) -> Response:
    gateway, account_id, key_id = visit.gateway, visit.me.account_id, _key_id(visit)
    days = _usage_days(visit.request.query_params.get("days"))
    key = await gateway.keys.get(account_id, key_id)
    usage = await gateway.audit.key_usage(account_id, key_id, days)
    day_counts = [
        charts.DayCount(date.fromisoformat(r["day"]), r["requests"], r["errors"])
        for r in usage.by_day
    ]
    route_counts = [
        charts.RouteCount(r["method"], r["route"], r["requests"]) for r in usage.by_route
    ]
    context = {
        "viewer": visit.me,
        "section": "keys",
        # Last use and the request count from the usage snapshot, so they agree with the charts.
        "key": {**key, **usage.key, "status": managed.key_status(key)},
        "days": days,
        "per_day": charts.per_day(day_counts, datetime.now(UTC).date(), days),
        "per_route": charts.per_route(route_counts),
        "by_status": usage.by_status,
        "history": await gateway.keys.history(account_id, key_id),
        "notice": NOTICES.get(visit.request.query_params.get("done", "")),
    }
    return visit.pages.render("key.html", context)


def _usage_days(raw: str | None) -> int:
    return int(raw) if raw is not None and ascii_digits(raw) and int(raw) in USAGE_DAYS else 30


async def disable_key(visit: Visit) -> Response:
    await visit.gateway.keys.disable(visit.me.account_id, _key_id(visit), visit.me.session.actor)
    raise Redirect(f"{KEYS}/{_key_id(visit)}?done=disabled")


async def enable_key(visit: Visit) -> Response:
    await visit.gateway.keys.enable(visit.me.account_id, _key_id(visit), visit.me.session.actor)
    raise Redirect(f"{KEYS}/{_key_id(visit)}?done=enabled")


async def revoke_key(visit: Visit) -> Response:
    body = validated(KeyRevoke, {"reason": visit.field("reason")})
    key_id = _key_id(visit)
    await visit.gateway.keys.revoke(
        visit.me.account_id, key_id, body.reason, visit.me.session.actor
    )
    raise Redirect(f"{KEYS}/{key_id}?done=revoked")


async def rotate_key(visit: Visit) -> Response:
    hours = visit.field("overlapHours")
    seconds = int(float(hours) * 3600) if ascii_digits(hours.replace(".", "", 1)) else hours
    body = validated(managed.KeyRotate, {"overlapSeconds": seconds})
    issued = await managed.rotate_key(
        visit.gateway.keys, visit.me.account_id, _key_id(visit), body, visit.me.session.actor
    )
    return reveal(visit.request, "keys", issued.id, issued.token)


def _key_id(visit: Visit) -> uuid.UUID:
    key_id: uuid.UUID = visit.request.path_params["keyId"]
    return key_id


_ONE = f"{KEYS}/{{keyId:uuid}}"
PAGES = (
    Page("GET", KEYS, keys_page),
    Page("POST", KEYS, create_key),
    Page("GET", _ONE, key_page),
    Page("POST", f"{_ONE}/disable", disable_key),
    Page("POST", f"{_ONE}/enable", enable_key),
    Page("POST", f"{_ONE}/revoke", revoke_key),
    Page("POST", f"{_ONE}/rotate", rotate_key),
    Page("GET", f"{PORTAL}/reveal/keys/{{keyId:uuid}}", revealed_key),
)
