"""The product docs' first example, which several tests send as written."""

from __future__ import annotations

from typing import Any


def docs_example(channel_id: int = 42, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "channelId": channel_id,
        "title": "API Launch Workshop",
        "startAt": "2026-06-12T18:00:00-04:00",
        "timezone": "America/New_York",
        "classifications": ["music"],
        "approxLocation": {
            "city": {"placeId": "place-new-york", "name": "New York", "countryCode": "US"}
        },
    }
    body.update(changes)
    return body
