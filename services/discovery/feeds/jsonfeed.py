"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1). Event details that the format has no
field for travel in the `_pinned` extension object, as the spec's extension rule says."""

from __future__ import annotations

import json
from typing import Any

from services.discovery.feeds.ical import description_text, location_text
from services.discovery.feeds.model import Feed
from services.discovery.web.views import event_path

VERSION = "https://jsonfeed.org/version/1.1"


def json_feed(feed: Feed) -> bytes:
    document = {
        "version": VERSION,
        "title": feed.title,
        "description": feed.description,
        "home_page_url": feed.page_url,
        "feed_url": feed.feed_url,
        "language": "en",
        "items": [_item(row, feed.base_url) for row in feed.rows],
    }
    return json.dumps(document, ensure_ascii=False).encode()


def _item(row: dict[str, Any], base_url: str) -> dict[str, Any]:
    event = row["event"]
    cancelled = row["status"] == "cancelled"
    item: dict[str, Any] = {
        "id": str(row["event_id"]),
        "url": base_url + event_path(row["event_id"]),
        "title": ("Cancelled: " if cancelled else "") + event["title"],
        "content_text": description_text(row, base_url),
        "date_published": event["createdAt"],
        "date_modified": event["updatedAt"],
        "tags": list(event["classifications"]),
        "_pinned": {
            "status": row["status"],
            "version": row["version"],
            "startAt": event["startAt"],
            "endAt": event.get("endAt"),
            "timezone": event["timezone"],
            "location": location_text(event),
            "placeId": event["approxLocation"]["city"]["placeId"],
            "channel": row["channel_slug"],
            "icsUrl": base_url + event_path(row["event_id"]) + ".ics",
        },
    }
    if event.get("images"):
        item["image"] = event["images"][0]["url"]
    return item
