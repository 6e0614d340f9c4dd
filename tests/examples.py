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


# Every optional field, as an integrator with a full CMS record would send them.
RICH = {
    "description": "Hands-on intro to the API.",
    "venue": {
        "name": "Pier 17",
        "address": "89 South St, New York, NY 10038",
        "coordinates": {"lat": 40.7057, "lng": -74.0014},
    },
    "images": [{"url": "https://cdn.example.com/launch.jpg", "alt": "Stage with a big screen"}],
    "ticketLinks": [{"url": "https://tickets.example.com/e/42", "label": "Buy tickets"}],
    "price": {"min": 0, "max": 25.5, "currency": "USD"},
}
