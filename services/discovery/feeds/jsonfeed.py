"""JSON Feed 1.1 (https://jsonfeed.org/version/1.1). Event details that the format has no
field for travel in the `_pinned` extension object, as the spec's extension rule says. A
recurring event's next occurrences are items of their own (id: the occurrence's)."""

from __future__ import annotations

import json
from typing import Any

from services.discovery.feeds.content import entry_html, entry_text, location_text
from services.discovery.feeds.model import Feed, next_occurrences
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
        "items": [_item(row, feed.base_url) for row in next_occurrences(feed.rows, feed.built_at)],
    }
    return json.dumps(document, ensure_ascii=False).encode()


def _item(row: dict[str, Any], base_url: str) -> dict[str, Any]:
    event = row["event"]
    cancelled = row["status"] == "cancelled"
    item: dict[str, Any] = {
        "id": event["id"],
        "url": base_url + event_path(event["id"]),
        "title": ("Cancelled: " if cancelled else "") + event["title"],
        "content_html": entry_html(row, base_url),
        "content_text": entry_text(row, base_url),
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
            "icsUrl": base_url + event_path(event["id"]) + ".ics",
        },
    }
    if event.get("seriesId"):
        item["_pinned"] |= {"seriesId": event["seriesId"], "recurrenceId": event["recurrenceId"]}
    if event.get("images"):
        item["image"] = event["images"][0]["url"]
    return item
