"""Each sender's realistic content maps to a complete, correct event: description in the one
format, the city by name (and its zone), the site's categories through a value map, an image
and a ticket link, with the sender's default mapping (shared/domain/senders/<sender>.py)
and, where a content model has no fixed place for a field, the mapping docs/webhooks.md
documents."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.mapping import MappingContext, ValueMap, map_event
from shared.domain.senders import SENDERS, Delivery, contentful
from tests import rich_senders as rich
from tests import rich_text_samples as samples

FLAT = {  # documented for generic JSON (and under data. for Standard Webhooks)
    "title": "title",
    "description": "rich_text(description)",
    "startAt": "startAt",
    "approxLocation.city": "place(city, country)",
    "classifications": "value_map(categories, 'categories')",
    "images": "images(image)",
    "ticketLinks": "ticket_links(ticketUrl, 'Tickets')",
}


def default(source: str, document: dict[str, Any]) -> dict[str, str]:
    return SENDERS[source].default_mapping(Delivery("update", "doc", document))


TEC_TEXT = "Young wine, **live Schrammelmusik** and a view.\n\n- Doors 18:30"


def cases() -> list[tuple[str, Any, dict[str, str], str, str]]:
    """(name, document, mapping, description, image URL)."""
    title, at = "Heuriger Night & Wine", "2026-05-01T10:00:00.000Z"
    wp_image = "https://example.com/wp-content/uploads/2026/05/heuriger.jpg"
    cms_image = "https://cms.example.org/uploads/heuriger_4f1.jpg"
    strapi5 = {"event": "entry.publish", "entry": rich.strapi_entry(5, "1", title, at, True)}
    strapi4 = {"event": "entry.publish", "entry": rich.strapi_entry(4, "2", title, at, True)}
    contentful = {"sys": {"id": "e1", "updatedAt": at}, "fields": rich.contentful_fields(title)}
    item = {"id": "w1", "lastUpdated": at, "fieldData": rich.webflow_field_data("w1", title)}
    webflow = {"triggerType": "collection_item_changed", "payload": item}
    acf_city = "place(acf_data.venue_city, acf_data.venue_country)"
    tec, post = rich.tec_event("123", title, at), rich.wp_post("124", title, at, "publish")
    sanity = rich.sanity_projection("doc-1", title, at)
    return [
        ("tec", tec, default("wordpress", tec), TEC_TEXT, wp_image),
        ("wp-post", post, {**default("wordpress", post), "approxLocation.city": acf_city},
         samples.WORDPRESS_TEXT, wp_image),
        ("strapi5", strapi5, default("strapi", strapi5), samples.STRAPI_BLOCKS_TEXT, cms_image),
        ("strapi4", strapi4, default("strapi", strapi4), samples.STRAPI4_TEXT, cms_image),
        ("sanity", sanity, default("sanity", sanity), samples.PORTABLE_TEXT_TEXT,
         "https://cdn.sanity.io/images/abc123/production/heuriger-1200x800.jpg"),
        ("contentful", contentful, default("contentful", contentful), samples.CONTENTFUL_TEXT,
         "https://images.ctfassets.net/space1/asset1/v1/heuriger.jpg"),
        ("webflow", webflow, default("webflow", webflow), samples.WEBFLOW_TEXT,
         "https://cdn.prod.website-files.com/6542/heuriger.jpg"),
        ("generic", rich.flat_record(title), FLAT, "Young wine and **live music**.",
         "https://crm.example.org/files/heuriger.jpg"),
    ]  # fmt: skip


@pytest.mark.parametrize(("name", "document", "mapping", "description", "image"), cases())
def test_realistic_content_makes_a_complete_event(
    name: str, document: Any, mapping: dict[str, str], description: str, image: str
) -> None:
    context = MappingContext(
        media_base_url="https://cms.example.org",
        value_maps={"categories": ValueMap.model_validate(rich.CATEGORY_MAP)},
    )
    defaults = {"timezone": "America/New_York", "classifications": ["community"]}
    event = map_event(
        document, mapping, defaults, context, channel_id=42, source_id=name, status="published"
    ).event
    stored = event.model_dump(mode="json")
    assert stored["title"] == "Heuriger Night & Wine"
    assert stored["description"] == description
    assert stored["approxLocation"] == rich.EXPECTED["approxLocation"]
    assert stored["timezone"] == rich.EXPECTED["timezone"]
    assert event.startAt.isoformat() == rich.EXPECTED["startAt"]
    assert stored["classifications"] == rich.EXPECTED["classifications"]
    assert stored["images"][0]["url"] == image
    assert stored["images"][0]["alt"]
    assert stored["ticketLinks"] == [{"url": rich.TICKETS, "label": "Tickets"}]
    if name in ("tec", "wp-post"):
        assert stored["price"] == {"min": 25, "max": 25, "currency": "EUR"}


def test_a_contentful_tombstone_is_versioned_by_when_it_happened() -> None:
    """An unpublish or delete sends a `DeletedEntry`: its `deletedAt` orders it against the
    publishes around it; a tombstone without one falls back to `updatedAt`."""
    sys = {"type": "DeletedEntry", "id": "e1", "revision": 3,
           "createdAt": "2026-05-01T09:00:00.000Z",
           "updatedAt": "2026-05-03T10:00:00.000Z"}  # fmt: skip
    topic = {"x-contentful-topic": "ContentManagement.Entry.unpublish"}
    stamped = {**sys, "deletedAt": "2026-05-03T10:00:05.000Z"}
    read = contentful.read(topic, {}, {"sys": stamped})
    assert (read.action, read.updated_at, read.published) == (
        "unpublish", "2026-05-03T10:00:05.000Z", False,
    )  # fmt: skip
    assert contentful.read(topic, {}, {"sys": sys}).updated_at == "2026-05-03T10:00:00.000Z"
