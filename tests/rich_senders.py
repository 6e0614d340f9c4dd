"""Realistic content from each sender, as its users' sites send it: rich text, a city by
name, the site's own categories, an image and a ticket link, in each sender's own shapes
(The Events Calendar's REST event and post meta keys, WP Webhooks' post triggers with
`post_thumbnail` and `taxonomies`, WooCommerce products, Strapi 5 Blocks and media objects
with relative `/uploads/` URLs, Strapi 4 Markdown, a Sanity GROQ projection with Portable
Text, Contentful's localized fields and Rich Text, Webflow's collection items with HTML and
image fields and option ids).

Each document describes the same evening in Vienna; `RICH_SETTINGS` holds what an owner
configures for it (value maps, media base URL, and, where a sender's content model has no
fixed place for a field, the documented mapping), and `EXPECTED` what the stored event must
then carry.
"""

from __future__ import annotations

from typing import Any

from tests import rich_text_samples as samples

TICKETS = "https://tickets.example.org/heuriger"
CATEGORY_MAP = {
    "values": {
        "food-and-drink": "food-drink",
        "food_and_drink": "food-drink",
        "live-music": "music",
        "live_music": "music",
        "6542806e6b3b2c0d8d3e6a80": "food-drink",  # Webflow option ids
        "6542806e6b3b2c0d8d3e6a81": "music",
    },
    "unmapped": "drop",
}
EXPECTED = {
    "approxLocation": {"city": {"placeId": "place-vienna", "name": "Vienna", "countryCode": "AT"}},
    "timezone": "Europe/Vienna",
    "startAt": "2026-07-01T19:00:00+02:00",
    "classifications": ["food-drink", "music"],
    "ticketUrl": TICKETS,
}


def tec_event(doc: str, title: str, updated: str) -> dict[str, Any]:
    """The Events Calendar's REST event (`/wp-json/tribe/events/v1/events/<id>`)."""
    return {
        "id": int(doc),
        "global_id": f"example.com?id={doc}",
        "status": "publish",
        "title": title.replace("&", "&#038;"),
        "description": "<p>Young wine, <strong>live Schrammelmusik</strong> and a view.</p>\n"
        "<ul>\n<li>Doors 18:30</li>\n</ul>",
        "url": f"https://example.com/event/heuriger-{doc}/",
        "image": {
            "url": "https://example.com/wp-content/uploads/2026/05/heuriger.jpg",
            "id": 44,
            "extension": "jpg",
            "width": 1200,
            "height": 800,
            "filesize": 183302,
        },
        "start_date": "2026-07-01 19:00:00",
        "end_date": "2026-07-01 23:00:00",
        "utc_start_date": "2026-07-01 17:00:00",
        "utc_end_date": "2026-07-01 21:00:00",
        "timezone": "Europe/Vienna",
        "timezone_abbr": "CEST",
        "cost": "€25",
        "cost_details": {
            "currency_symbol": "€",
            "currency_code": "EUR",
            "currency_position": "prefix",
            "values": ["25"],
        },
        "website": TICKETS,
        "venue": {
            "id": 55,
            "venue": "Weingut Wieninger",
            "address": "Stammersdorfer Str. 78",
            "city": "Vienna",
            "country": "Austria",
            "province": "",
            "stateprovince": "",
            "zip": "1210",
            "geo_lat": 48.2966,
            "geo_lng": 16.4080,
        },
        "categories": [
            {"name": "Food &amp; Drink", "slug": "food-and-drink", "taxonomy": "tribe_events_cat"},
            {"name": "Live Music", "slug": "live-music", "taxonomy": "tribe_events_cat"},
            {"name": "Outdoors", "slug": "garden", "taxonomy": "tribe_events_cat"},
        ],
        "modified": updated.replace("T", " ")[:19],
        "modified_utc": updated.replace("T", " ")[:19],
    }


def wp_post(doc: str, title: str, updated: str, status: str) -> dict[str, Any]:
    """WP Webhooks' post_create / post_update of a The Events Calendar event (`tribe_events`):
    the post, its meta (each value a list), its featured image URL and its terms."""
    gmt = updated.replace("T", " ")[:19]
    return {
        "post_id": int(doc),
        "post": {
            "ID": int(doc),
            "post_author": "1",
            "post_date": gmt,
            "post_date_gmt": gmt if status == "publish" else "0000-00-00 00:00:00",
            "post_content": samples.WORDPRESS_BLOCKS,
            "post_title": title,
            "post_excerpt": "",
            "post_status": status,
            "post_name": f"heuriger-{doc}",
            "post_modified": gmt,
            "post_modified_gmt": gmt,
            "post_type": "tribe_events",
        },
        "post_meta": {
            "_EventStartDate": ["2026-07-01 19:00:00"],
            "_EventEndDate": ["2026-07-01 23:00:00"],
            "_EventStartDateUTC": ["2026-07-01 17:00:00"],
            "_EventTimezone": ["Europe/Vienna"],
            "_EventTimezoneAbbr": ["CEST"],
            "_EventCost": ["25"],
            "_EventCurrencySymbol": ["€"],
            "_EventCurrencyCode": ["EUR"],
            "_EventURL": [TICKETS],
            "_EventVenueID": ["55"],
            "_thumbnail_id": ["44"],
        },
        "post_thumbnail": "https://example.com/wp-content/uploads/2026/05/heuriger.jpg",
        "post_permalink": f"https://example.com/event/heuriger-{doc}/",
        "taxonomies": {
            "tribe_events_cat": {
                "food-and-drink": {"term_id": 7, "name": "Food & Drink", "slug": "food-and-drink"},
                "live-music": {"term_id": 8, "name": "Live Music", "slug": "live-music"},
            }
        },
        # The venue is a post of its own; sites expose its city with ACF fields.
        "acf_data": {"venue_city": "Wien", "venue_country": "AT"},
    }


def strapi_entry(
    version: int, doc: str, title: str, updated: str, published: bool
) -> dict[str, Any]:
    """A Strapi entry as its webhooks send it: rich text as Blocks (5) or Markdown (4), an
    enumeration for the category, a media object with the local provider's relative URL."""
    entry: dict[str, Any] = {
        "id": int(doc) if doc.isdigit() else 7,
        "title": title,
        "description": samples.STRAPI_BLOCKS if version == 5 else samples.STRAPI4_MARKDOWN,
        "startAt": "2026-07-01T17:00:00.000Z",
        "city": "Wien",
        "country": "AT",
        "category": ["food_and_drink", "live_music"],
        "cover": {
            "id": 3,
            "name": "heuriger.jpg",
            "alternativeText": "Wine taverns on a summer evening",
            "caption": None,
            "width": 1200,
            "height": 800,
            "formats": {"thumbnail": {"url": "/uploads/thumbnail_heuriger_4f1.jpg"}},
            "hash": "heuriger_4f1",
            "ext": ".jpg",
            "mime": "image/jpeg",
            "size": 183.3,
            "url": "/uploads/heuriger_4f1.jpg",
            "provider": "local",
        },
        "ticketUrl": TICKETS,
        "createdAt": "2026-05-01T10:00:00.000Z",
        "updatedAt": updated,
        "publishedAt": updated if published else None,
    }
    if version == 5:
        entry.update(documentId=f"doc{doc}", locale="en")
    return entry


def sanity_projection(doc: str, title: str, updated: str) -> dict[str, Any]:
    """The body of a webhook whose projection is the one the docs suggest:
    `{_id, _type, _updatedAt, title, startAt, description, "city": venue->city,
    "country": venue->country, "image": mainImage{alt, "url": asset->url},
    "categories": categories[]->slug.current, ticketUrl}`."""
    return {
        "_id": doc,
        "_type": "event",
        "_updatedAt": updated,
        "title": title,
        "startAt": "2026-07-01T17:00:00Z",
        "description": samples.PORTABLE_TEXT,
        "city": "Vienna",
        "country": "AT",
        "image": {
            "alt": "Wine taverns on a summer evening",
            "url": "https://cdn.sanity.io/images/abc123/production/heuriger-1200x800.jpg",
        },
        "categories": ["food-and-drink", "live-music"],
        "ticketUrl": TICKETS,
    }


def contentful_fields(title: str) -> dict[str, Any]:
    """An entry's localized fields (Contentful sends links to assets, not their URLs, so the
    content model keeps the image's URL in a Symbol field)."""
    fields = {
        "title": title,
        "description": samples.CONTENTFUL_RICH_TEXT,
        "startAt": "2026-07-01T19:00+02:00",
        "city": "Vienna",
        "country": "AT",
        "categories": ["food-and-drink", "live-music"],
        "imageUrl": "https://images.ctfassets.net/space1/asset1/v1/heuriger.jpg",
        "imageAlt": "Wine taverns on a summer evening",
        "ticketUrl": TICKETS,
    }
    return {name: {"en-US": value} for name, value in fields.items()}


def webflow_field_data(doc: str, title: str) -> dict[str, Any]:
    """A collection item's fieldData: a RichText field (HTML), an Image field, a Link field
    and an Option field (whose value is the option's id)."""
    return {
        "name": title,
        "slug": f"heuriger-{doc}",
        "description": samples.WEBFLOW_HTML,
        "start-date": "2026-07-01T17:00:00.000Z",
        "city": "Vienna",
        "country": "AT",
        "main-image": {
            "fileId": "6542a1f0c8b1d2e3f4a5b6c7",
            "url": "https://cdn.prod.website-files.com/6542/heuriger.jpg",
            "alt": "Wine taverns on a summer evening",
        },
        "ticket-link": TICKETS,
        "category": ["6542806e6b3b2c0d8d3e6a80", "6542806e6b3b2c0d8d3e6a81"],
    }


def flat_record(title: str) -> dict[str, Any]:
    """What a CRM, form or spreadsheet automation sends (generic and Standard Webhooks)."""
    return {
        "title": title,
        "startAt": "2026-07-01T19:00:00+02:00",
        "description": "<p>Young wine and <b>live music</b>.</p>",
        "city": "Vienna",
        "country": "Austria",
        "categories": "food-and-drink, live-music",
        "image": {"url": "https://crm.example.org/files/heuriger.jpg", "alt": "Wine taverns"},
        "ticketUrl": TICKETS,
    }
