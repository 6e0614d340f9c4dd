"""Integrations in the portal: connect a sender (its setup steps filled in with the webhook
URL and the secret, shown once), edit the mapping, rotate the secret, pause and resume; the
same management operations and rules as the developer API's."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import Response

from services.gateway.errors import InvalidInput
from services.gateway.management import integrations as managed
from services.gateway.portal.mapping_form import (
    EXAMPLE_VALUE_MAPS,
    SETTINGS,
    sample_of,
    settings_inputs,
    typed_change,
)
from services.gateway.portal.reveal import forget, reveal, take
from services.gateway.portal.routing import Page, PageProblem, Redirect
from services.gateway.portal.sender_setup import GUIDES, Steps, steps_for
from services.gateway.portal.visits import PORTAL, Visit
from services.gateway.webhooks import trial
from shared.adapters.integrations import MAPPABLE_FIELDS, SOURCES
from shared.core.numerals import ascii_digits
from shared.domain.classifications import CLASSIFICATIONS
from shared.domain.events import FieldError
from shared.domain.places import find as find_place
from shared.domain.senders import SENDERS

INTEGRATIONS = f"{PORTAL}/integrations"
MEDIA_BASE_URL = f"{SETTINGS}.mediaBaseUrl"
NOTICES = {
    "mapping-saved": "Saved: the next delivery is mapped this way.",
    "disabled": "Paused: its webhook answers 404 and nothing is published.",
    "active": "Resumed: its deliveries are published again.",
}


async def integrations_page(visit: Visit) -> Response:
    rows, _ = await visit.gateway.integrations.page(visit.me.account_id, limit=500, offset=0)
    context = {"viewer": visit.me, "section": "integrations", "integrations": rows,
               "senders": GUIDES}  # fmt: skip
    return visit.pages.render("integrations.html", context)


async def new_integration_page(
    visit: Visit, error: InvalidInput | None = None, status: int = 200
) -> Response:
    source = visit.field("source") or visit.request.query_params.get("source", "")
    if source not in SOURCES:
        raise Redirect(INTEGRATIONS)
    guide = GUIDES[source]
    names = ("name", "channelId", "secret", "defaultTimezone", "defaultCity", "defaultStatus",
             MEDIA_BASE_URL)  # fmt: skip
    form: dict[str, Any] = {name: visit.field(name) for name in names}
    form["defaultClassification"] = visit.fields("defaultClassification")
    context = {
        "viewer": visit.me,
        "section": "integrations",
        "source": source,
        "sender": {**vars(guide), "verifications": SENDERS[source].verifications},
        "channels": await visit.gateway.channels.of_account(visit.me.account_id),
        "classifications": sorted(CLASSIFICATIONS),
        "form": form,
        "error": error,
    }
    return visit.pages.render("integration_new.html", context, status=status)


async def create_integration(visit: Visit) -> Response:
    gateway = visit.gateway
    try:
        row, secret = await managed.create_integration(
            gateway.integrations, gateway.access, visit.me.account_id, _spec_payload(visit)
        )
    except InvalidInput as exc:
        return await new_integration_page(visit, exc, 422)
    await visit.audit(
        "integration_created", integration=row["id"], name=row["name"], source=row["source"]
    )
    return reveal(visit.request, "integrations", row["id"], secret)


def _spec_payload(visit: Visit) -> dict[str, Any]:
    channel = visit.field("channelId")
    payload: dict[str, Any] = {
        "name": visit.field("name"),
        "source": visit.field("source"),
        "channelId": int(channel) if ascii_digits(channel) else channel,
        "defaults": {
            "timezone": visit.field("defaultTimezone") or None,
            "city": _city(visit.field("defaultCity")),
            "classifications": visit.fields("defaultClassification") or None,
            "status": visit.field("defaultStatus") or "published",
        },
    }
    for optional in ("verification", "secret"):
        if visit.field(optional):
            payload[optional] = visit.field(optional)
    if visit.field(MEDIA_BASE_URL):
        payload[SETTINGS] = {"mediaBaseUrl": visit.field(MEDIA_BASE_URL)}
    return payload


def _city(place_id: str) -> dict[str, str] | None:
    if not place_id:
        return None
    place = find_place(place_id)
    if place is None:
        problem = FieldError("defaults.city", "unknown_place", f"no place '{place_id}'")
        raise InvalidInput([problem])
    return {"placeId": place.id, "name": place.name, "countryCode": place.countryCode}


async def revealed_integration(visit: Visit) -> Response:
    row = await _integration(visit)
    secret = take(visit.request, "integrations", row["id"])
    context = {
        "viewer": visit.me,
        "section": "integrations",
        "heading": f"“{row['name']}” is ready: set up {GUIDES[row['source']].label}",
        "secret": secret,
        "kept": "configure it in the sender now",
        "steps": _steps(visit, row, secret),
        "lost_advice": "rotate the integration's secret and configure the new one.",
        "back": f"{INTEGRATIONS}/{row['id']}",
        "back_label": "Open the integration: mapping and sample deliveries",
    }
    return forget(visit.pages.render("secret.html", context))


async def integration_page(
    visit: Visit,
    error: InvalidInput | None = None,
    status: int = 200,
    preview: dict[str, Any] | None = None,
) -> Response:
    row = await _integration(visit)
    typed = {f: visit.field(f"map.{f}") for f in MAPPABLE_FIELDS} if visit.form else None
    shown_settings = settings_inputs(visit, row["mapping_settings"] or {})
    context = {
        "viewer": visit.me,
        "section": "integrations",
        "integration": row,
        "sender": {**vars(GUIDES[row["source"]])},
        "webhook_url": _webhook_url(visit, row),
        "steps": _steps(visit, row, None),
        "mapping_fields": sorted(MAPPABLE_FIELDS),
        "overrides": typed if typed is not None else row["mapping"],
        "defaults_mapping": managed.default_mapping(row["source"]),
        "settings": shown_settings,
        "media_base_url_hint": GUIDES[row["source"]].media_base_url,
        "example_value_maps": EXAMPLE_VALUE_MAPS,
        "classifications": sorted(CLASSIFICATIONS),
        "sample": visit.field("sample"),
        "sample_headers": visit.field("sampleHeaders"),
        "sample_query": visit.field("sampleQuery"),
        "preview": preview,
        "error": error,
        "notice": NOTICES.get(visit.request.query_params.get("done", "")),
    }
    return visit.pages.render("integration.html", context, status=status)


async def save_mapping(visit: Visit) -> Response:
    """The mapping and its settings, saved together: an expression may name a value map the
    same form defines."""
    gateway = visit.gateway
    try:
        change = typed_change(visit)
        await managed.change_integration(
            gateway.integrations, gateway.access, visit.me.account_id, _id(visit), change
        )
    except InvalidInput as exc:
        return await integration_page(visit, exc, 422)
    await visit.audit("integration_mapping_saved", integration=_id(visit))
    raise Redirect(f"{INTEGRATIONS}/{_id(visit)}?done=mapping-saved")


async def preview(visit: Visit) -> Response:
    """The event the pasted delivery would become under the mapping and its settings as
    typed (not saved): the whole page, or only the preview for the page's script
    (X-Portal-Fragment)."""
    fragment = visit.request.headers.get("x-portal-fragment") == "preview"
    try:
        shown = await _preview(visit)
    except InvalidInput as exc:
        if fragment:
            return visit.pages.render("_preview.html", {"preview": _refused(exc)}, status=422)
        return await integration_page(visit, exc, 422)
    if fragment:
        return visit.pages.render("_preview.html", {"preview": shown})
    return await integration_page(visit, preview=shown)


async def _preview(visit: Visit) -> dict[str, Any]:
    stored = await _integration(visit)
    unsaved = managed.candidate(stored, typed_change(visit))
    verdict = await trial.preview(
        visit.gateway.integrations, visit.me.account_id, stored["id"], sample_of(visit),
        unsaved=unsaved,
    )  # fmt: skip
    return preview_view(verdict)


_HEADLINES = {
    "accepted": "it would become this event",
    "ignored": "it would be ignored",
    "invalid": "it would be refused: fix these fields",
}


def preview_view(verdict: dict[str, Any]) -> dict[str, Any]:
    """The preview as the page shows it, from the preview operation's answer."""
    status = verdict["status"]
    headline = _HEADLINES.get(status, status)
    if status == "accepted" and verdict.get("change") not in (None, "upsert"):
        headline = f"it would {verdict['change']} the event"
    return {**verdict, "outcome": status, "headline": headline}


def _refused(exc: InvalidInput) -> dict[str, Any]:
    fields = [{"path": f.path, "message": f.message} for f in exc.fields]
    return {"outcome": "invalid", "headline": "the mapping cannot be used: " + exc.message,
            "fields": fields}  # fmt: skip


async def rotate_secret(visit: Visit) -> Response:
    overlap_text = visit.field("overlapSeconds")
    overlap = int(overlap_text) if ascii_digits(overlap_text) else overlap_text
    payload: dict[str, Any] = {"overlapSeconds": overlap}
    if visit.field("secret"):
        payload["secret"] = visit.field("secret")
    row, secret = await managed.rotate_secret(
        visit.gateway.integrations, visit.me.account_id, _id(visit), payload
    )
    await visit.audit("integration_secret_rotated", integration=row["id"], overlap_seconds=overlap)
    return reveal(visit.request, "integrations", row["id"], secret)


def set_status(status: str) -> Any:
    action = "integration_paused" if status == "disabled" else "integration_resumed"

    async def change(visit: Visit) -> Response:
        await visit.gateway.integrations.set_status(visit.me.account_id, _id(visit), status)
        await visit.audit(action, integration=_id(visit))
        raise Redirect(f"{INTEGRATIONS}/{_id(visit)}?done={status}")

    return change


async def _integration(visit: Visit) -> dict[str, Any]:
    return await visit.gateway.integrations.get(visit.me.account_id, _id(visit))


def _steps(visit: Visit, row: dict[str, Any], secret: str | None) -> Steps:
    media_base_url = (row["mapping_settings"] or {}).get("mediaBaseUrl")
    return steps_for(
        row["source"], _webhook_url(visit, row), secret, row["verification"], media_base_url
    )


def _webhook_url(visit: Visit, row: dict[str, Any]) -> str:
    return str(visit.request.base_url).rstrip("/") + managed.webhook_path(row)


def _id(visit: Visit) -> uuid.UUID:
    found = visit.request.path_params.get("integrationId")
    if not isinstance(found, uuid.UUID):
        raise PageProblem(404, "Not found", "No such integration.", "not_found")
    return found


_ONE = f"{INTEGRATIONS}/{{integrationId:uuid}}"
PAGES = (
    Page("GET", INTEGRATIONS, integrations_page),
    Page("POST", INTEGRATIONS, create_integration),
    Page("GET", f"{INTEGRATIONS}/new", new_integration_page),
    Page("GET", _ONE, integration_page),
    Page("POST", f"{_ONE}/mapping", save_mapping),
    Page("POST", f"{_ONE}/preview", preview, counts_as="preview"),
    Page("POST", f"{_ONE}/rotate-secret", rotate_secret),
    Page("POST", f"{_ONE}/disable", set_status("disabled")),
    Page("POST", f"{_ONE}/enable", set_status("active")),
    Page("GET", f"{PORTAL}/reveal/integrations/{{integrationId:uuid}}", revealed_integration),
)
