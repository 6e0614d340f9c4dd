"""Each sender's realistic content maps to a complete, correct event: description in the one
format, the city by name (and its zone), the site's categories through a value map, an image
and a ticket link. The mappings here are those the sender modules use by default (moved
there when the gateway's sender modules exist) plus what the owner configures."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain.mapping import MappingContext, ValueMap, map_event
from tests import rich_senders as rich
from tests import rich_text_samples as samples

TEC = {
    "title": "plain_text(title)",
    "description": "html_text(description)",
    "startAt": "start_date",
    "endAt": "end_date",
    "timezone": "timezone",
    "approxLocation.city": "place(venue.city, venue.country, venue.stateprovince)",
    "venue.name": "plain_text(venue.venue)",
    "venue.address": "venue.address",
    "venue.coordinates.lat": "venue.geo_lat",
    "venue.coordinates.lng": "venue.geo_lng",
    "classifications": "value_map(categories[*].slug, 'categories')",
    "images": "images(image)",
    "ticketLinks": "ticket_links(website, 'Tickets')",
    "price.min": "min(numbers(cost))",
    "price.max": "max(numbers(cost))",
    "price.currency": "cost_details.currency_code",
    "sourceUpdatedAt": "modified_utc",
}
WP_POST = {
    "title": "plain_text(post.post_title)",
    "description": "wordpress_text(post.post_content)",
    "startAt": "post_meta._EventStartDate[0] || post_meta.event_start[0]",
    "endAt": "post_meta._EventEndDate[0] || post_meta.event_end[0]",
    "timezone": "post_meta._EventTimezone[0] || post_meta.event_timezone[0]",
    "classifications": "value_map(keys(taxonomies.tribe_events_cat || `{}`), 'categories')",
    "images": "images(post_thumbnail)",
    "ticketLinks": "ticket_links(post_meta._EventURL[0], 'Tickets')",
    "price.min": "min(numbers(post_meta._EventCost[0]))",
    "price.max": "max(numbers(post_meta._EventCost[0]))",
    "price.currency": "post_meta._EventCurrencyCode[0]",
    "sourceUpdatedAt": "post.post_modified_gmt",
}
STRAPI = {
    "title": "entry.title",
    "description": "rich_text(entry.description)",
    "startAt": "entry.startAt",
    "endAt": "entry.endAt",
    "timezone": "entry.timezone",
    "approxLocation.city": "place(entry.city, entry.country)",
    "classifications": "value_map(entry.category || entry.categories, 'categories')",
    "images": "images(entry.cover || entry.image)",
    "ticketLinks": "ticket_links(entry.ticketUrl, 'Tickets')",
    "sourceUpdatedAt": "entry.updatedAt",
}
SANITY = {
    "title": "title",
    "description": "rich_text(description)",
    "startAt": "startAt",
    "endAt": "endAt",
    "timezone": "timezone",
    "approxLocation.city": "place(city, country)",
    "classifications": "value_map(categories, 'categories')",
    "images": "images(image)",
    "ticketLinks": "ticket_links(ticketUrl, 'Tickets')",
    "sourceUpdatedAt": "_updatedAt",
}
CONTENTFUL = {
    "title": "localized(fields.title)",
    "description": "rich_text(localized(fields.description))",
    "startAt": "localized(fields.startAt)",
    "endAt": "localized(fields.endAt)",
    "timezone": "localized(fields.timezone)",
    "approxLocation.city": "place(localized(fields.city), localized(fields.country))",
    "classifications": "value_map(localized(fields.categories), 'categories')",
    "images": "images(localized(fields.imageUrl), localized(fields.imageAlt))",
    "ticketLinks": "ticket_links(localized(fields.ticketUrl), 'Tickets')",
    "sourceUpdatedAt": "sys.updatedAt",
}
WEBFLOW = {
    "title": "payload.fieldData.name",
    "description": "html_text(payload.fieldData.description)",
    "startAt": 'payload.fieldData."start-date"',
    "endAt": 'payload.fieldData."end-date"',
    "timezone": "payload.fieldData.timezone",
    "approxLocation.city": "place(payload.fieldData.city, payload.fieldData.country)",
    "classifications": "value_map(payload.fieldData.category, 'categories')",
    "images": 'images(payload.fieldData."main-image")',
    "ticketLinks": "ticket_links(payload.fieldData.\"ticket-link\", 'Tickets')",
    "sourceUpdatedAt": "payload.lastUpdated",
}
FLAT = {  # documented for generic JSON (and under data. for Standard Webhooks)
    "title": "title",
    "description": "rich_text(description)",
    "startAt": "startAt",
    "approxLocation.city": "place(city, country)",
    "classifications": "value_map(categories, 'categories')",
    "images": "images(image)",
    "ticketLinks": "ticket_links(ticketUrl, 'Tickets')",
}
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
    return [
        ("tec", rich.tec_event("123", title, at), TEC, TEC_TEXT, wp_image),
        ("wp-post", rich.wp_post("124", title, at, "publish"),
         {**WP_POST, "approxLocation.city": acf_city}, samples.WORDPRESS_TEXT, wp_image),
        ("strapi5", strapi5, STRAPI, samples.STRAPI_BLOCKS_TEXT, cms_image),
        ("strapi4", strapi4, STRAPI, samples.STRAPI4_TEXT, cms_image),
        ("sanity", rich.sanity_projection("doc-1", title, at), SANITY, samples.PORTABLE_TEXT_TEXT,
         "https://cdn.sanity.io/images/abc123/production/heuriger-1200x800.jpg"),
        ("contentful", contentful, CONTENTFUL, samples.CONTENTFUL_TEXT,
         "https://images.ctfassets.net/space1/asset1/v1/heuriger.jpg"),
        ("webflow", webflow, WEBFLOW, samples.WEBFLOW_TEXT,
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
