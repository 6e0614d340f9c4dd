"""Atom (RFC 4287) by `feedgen`: one entry per event, its id the event's URN; a recurring
event's next occurrences as entries of their own (the occurrence key's URN)."""

from __future__ import annotations

from typing import Any

from feedgen.feed import FeedGenerator

from services.discovery.feeds.content import entry_html, location_text
from services.discovery.feeds.model import Feed, next_occurrences
from services.discovery.web.views import event_path, local_start

GENERATOR = "Pinned Events discovery"


def atom_feed(feed: Feed) -> bytes:
    generator = FeedGenerator()
    generator.id(feed.feed_url)
    generator.title(feed.title)
    generator.subtitle(feed.description)
    generator.author({"name": "Pinned Events"})
    generator.link(href=feed.page_url, rel="alternate", type="text/html")
    generator.link(href=feed.feed_url, rel="self", type="application/atom+xml")
    generator.updated(feed.updated)
    generator.generator(GENERATOR)
    for row in next_occurrences(feed.rows, feed.built_at):
        _entry(generator, row, feed.base_url)
    return bytes(generator.atom_str(pretty=False))


def _entry(generator: FeedGenerator, row: dict[str, Any], base_url: str) -> None:
    event = row["event"]
    cancelled = row["status"] == "cancelled"
    entry = generator.add_entry(order="append")
    entry.id(f"urn:uuid:{row['event_id']}")
    entry.title(("Cancelled: " if cancelled else "") + event["title"])
    entry.link(href=base_url + event_path(event["id"]), rel="alternate", type="text/html")
    entry.updated(row["changed_at"])
    entry.published(event["createdAt"])
    when = local_start(event).strftime("%a %d %b %Y, %H:%M %Z")
    entry.summary(f"{'CANCELLED. ' if cancelled else ''}{when}, {location_text(event)}")
    entry.content(entry_html(row, base_url), type="html")
    for slug in event["classifications"]:
        entry.category(term=slug)
