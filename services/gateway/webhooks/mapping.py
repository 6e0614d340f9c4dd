"""From a sender's document to an event body: the integration's mapping over the sender's
default mapping, then its defaults, then the same validation as the public API.

Times: a sender's local wall time without an offset ("2026-06-12 18:00:00", as The Events
Calendar sends it) is read in the event's zone, refusing one that does not exist there; an
instant with an offset (often UTC) is shown in the event's zone. A naive `sourceUpdatedAt` is
UTC, as WordPress's `*_gmt` fields are.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from services.gateway.webhooks.senders import Delivery, at
from shared.domain.events import EventInput, FieldError, InvalidEvent, parse_event

_TIMES = ("startAt", "endAt")
_NUMBERS = ("venue.coordinates.lat", "venue.coordinates.lng", "price.min", "price.max")
_WHOLE_NUMBERS = ("capacity",)


def map_event(
    delivery: Delivery,
    mapping: dict[str, str],
    defaults: dict[str, Any],
    channel_id: int,
    status: str,
) -> EventInput:
    """The event the delivery describes, or InvalidEvent naming each field and its source."""
    body: dict[str, Any] = {}
    for target, path in mapping.items():
        value = at(delivery.document, path)
        if value is not None and value != "" and value != []:
            _put(body, target, _coerced(target, value))
    body.setdefault("timezone", defaults.get("timezone"))
    if defaults.get("city") and "approxLocation" not in body:
        body["approxLocation"] = {"city": defaults["city"]}
    if defaults.get("classifications") and "classifications" not in body:
        body["classifications"] = defaults["classifications"]
    body = {k: v for k, v in body.items() if v is not None}
    body.update(channelId=channel_id, sourceId=delivery.document_id, status=status)
    errors = _localize_times(body)
    if errors:
        raise InvalidEvent(_with_sources(errors, mapping))
    try:
        return parse_event(body)
    except InvalidEvent as exc:
        raise InvalidEvent(_with_sources(exc.errors, mapping)) from None


def _put(body: dict[str, Any], dotted: str, value: Any) -> None:
    *parents, leaf = dotted.split(".")
    node = body
    for part in parents:
        node = node.setdefault(part, {})
    node[leaf] = value


def _coerced(target: str, value: Any) -> Any:
    if target == "classifications" and isinstance(value, str):
        return [slug.strip() for slug in value.split(",") if slug.strip()]
    if target in _WHOLE_NUMBERS and isinstance(value, str) and value.strip().isdigit():
        return int(value)
    if target in _NUMBERS and isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return value  # left for validation to name
    if target == "sourceUpdatedAt" and isinstance(value, str):
        moment = _parse_time(value)
        if moment is not None:
            return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
    return value


def _localize_times(body: dict[str, Any]) -> list[FieldError]:
    try:
        zone = ZoneInfo(body["timezone"]) if isinstance(body.get("timezone"), str) else None
    except (ZoneInfoNotFoundError, ValueError):
        zone = None  # validation names the bad zone
    errors = []
    for name in _TIMES:
        raw = body.get(name)
        moment = _parse_time(raw) if isinstance(raw, str) else None
        if moment is None or zone is None:
            continue
        if moment.tzinfo is not None:
            body[name] = moment.astimezone(zone).isoformat()
            continue
        local = moment.replace(tzinfo=zone)
        there_and_back = local.astimezone(UTC).astimezone(zone).replace(tzinfo=None)
        if there_and_back != moment:
            errors.append(
                FieldError(
                    name,
                    "nonexistent_local_time",
                    f"{raw} does not exist in {zone.key} (a DST gap)",
                )
            )
            continue
        body[name] = local.isoformat()
    return errors


def _parse_time(raw: str) -> datetime | None:
    try:
        return datetime.fromisoformat(raw.strip().replace(" ", "T", 1).replace("Z", "+00:00"))
    except ValueError:
        return None


def _with_sources(errors: list[FieldError], mapping: dict[str, str]) -> list[FieldError]:
    """Name where in the sender's document each field was looked for."""
    sourced = []
    for error in errors:
        source = next(
            (
                path
                for target, path in mapping.items()
                if error.path == target or error.path.startswith(f"{target}.")
            ),
            None,
        )
        message = f"{error.message} (mapped from '{source}')" if source else error.message
        sourced.append(FieldError(error.path, error.code, message))
    return sourced
