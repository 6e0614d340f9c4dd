"""Mapping a sender's document to an event: dotted paths as before, JMESPath expressions with
the project's functions, value maps with their policies, media URLs, and never a silently
wrong default for the city or the zone."""

from __future__ import annotations

from typing import Any

import pytest

from shared.domain import senders
from shared.domain.events import InvalidEvent
from shared.domain.field_errors import FieldError
from shared.domain.mapping import (
    InvalidExpression,
    MappingContext,
    Note,
    ValueMap,
    compile_expression,
    evaluate,
    map_event,
)
from shared.domain.mapping.engine import Mapped, _with_sources
from shared.domain.mapping.values import apply as apply_value_map
from tests import rich_text_samples as samples

NEW_YORK = {"placeId": "place-new-york", "name": "New York", "countryCode": "US"}
DEFAULTS = {"timezone": "America/New_York", "city": NEW_YORK, "classifications": ["music"]}
CATEGORIES = ValueMap(
    values={"food-and-drink": "food-drink", "arts-and-crafts": ["arts", "workshop"]}
)


def strapi_entry(**changes: Any) -> dict[str, Any]:
    entry = {
        "documentId": "a1b2c3",
        "title": "Heuriger night",
        "startAt": "2026-07-01T17:00:00.000Z",
        "description": samples.STRAPI_BLOCKS,
        "city": "Wien",
        "country": "AT",
        "categories": [{"slug": "food-and-drink"}, {"slug": "knitting"}],
        "cover": {"url": "/uploads/heuriger_4f1.jpg", "alternativeText": "Wine taverns"},
        "ticketUrl": "https://tickets.example.org/heuriger",
        "price": "25",
    }
    return {"event": "entry.publish", "entry": {**entry, **changes}}


STRAPI_MAPPING = {
    "title": "entry.title",
    "startAt": "entry.startAt",
    "description": "rich_text(entry.description)",
    "approxLocation.city": "place(entry.city, entry.country)",
    "classifications": "value_map(entry.categories[*].slug, 'categories')",
    "images": "images(entry.cover)",
    "ticketLinks": "ticket_links(entry.ticketUrl, 'Tickets')",
    "price.min": "min(numbers(entry.price))",
    "price.max": "max(numbers(entry.price))",
    "price.currency": "'EUR'",
}


def mapped(
    document: Any,
    mapping: dict[str, str],
    defaults: dict[str, Any] | None = None,
    **context: Any,
) -> Mapped:
    context.setdefault("value_maps", {"categories": CATEGORIES})
    return map_event(
        document,
        mapping,
        DEFAULTS if defaults is None else defaults,
        MappingContext(**context),
        channel_id=42,
        source_id="doc-1",
        status="published",
    )


def refused(document: Any, mapping: dict[str, str], **context: Any) -> dict[str, str]:
    with pytest.raises(InvalidEvent) as caught:
        mapped(document, mapping, **context)
    return {e.path: e.message for e in caught.value.errors}


def test_a_strapi_entry_comes_through_whole() -> None:
    result = mapped(
        strapi_entry(),
        STRAPI_MAPPING,
        media_base_url="https://cms.example.org",
        value_maps={"categories": CATEGORIES},
    )
    event = result.event
    assert event.description == samples.STRAPI_BLOCKS_TEXT
    assert (event.approxLocation.city.placeId, event.timezone) == ("place-vienna", "Europe/Vienna")
    assert event.startAt.isoformat() == "2026-07-01T19:00:00+02:00"  # shown in the city's zone
    assert event.classifications == ["food-drink"]
    assert [(i.url, i.alt) for i in event.images or []] == [
        ("https://cms.example.org/uploads/heuriger_4f1.jpg", "Wine taverns")
    ]
    assert [(t.url, t.label) for t in event.ticketLinks or []] == [
        ("https://tickets.example.org/heuriger", "Tickets")
    ]
    assert event.price is not None
    assert (event.price.min, event.price.max, event.price.currency) == (25, 25, "EUR")
    assert result.notes == [
        Note(
            "classifications",
            "value_not_mapped",
            "value 'knitting' is not in value map 'categories': left out",
        ),
        Note("timezone", "timezone_from_city", "timezone Europe/Vienna taken from the city Vienna"),
    ]


def test_dotted_paths_still_map_as_before() -> None:
    document = {
        "fields": {"title": {"en-US": "Workshop"}, "startAt": {"en-US": "2026-07-01 19:00:00"}},
        "post_meta": {"venue": ["Pier 17"], "lat": ["40.7057"], "lng": ["-74.0014"]},
    }
    event = mapped(
        document,
        {
            "title": "fields.title.en-US",
            "startAt": "fields.startAt.en-US",
            "venue.name": "post_meta.venue.0",
            "venue.coordinates.lat": "post_meta.lat.0",
            "venue.coordinates.lng": "post_meta.lng.0",
        },
    ).event
    assert event.title == "Workshop"
    assert event.startAt.isoformat() == "2026-07-01T19:00:00-04:00"  # local time, default zone
    assert event.venue is not None
    assert event.venue.coordinates is not None
    assert event.venue.coordinates.lat == 40.7057


def test_a_city_the_document_names_but_we_cannot_find_is_an_error_not_the_default() -> None:
    problems = refused(strapi_entry(city="Atlantis"), STRAPI_MAPPING, media_base_url="https://x.y")
    assert "no city named 'Atlantis' in AT" in problems["approxLocation.city"]
    assert "(mapped from 'place(entry.city, entry.country)')" in problems["approxLocation.city"]
    ambiguous = refused(
        strapi_entry(city="Portland", country="US"), STRAPI_MAPPING, media_base_url="https://x.y"
    )
    assert "names 3 cities" in ambiguous["approxLocation.city"]


def test_the_default_city_and_zone_apply_only_when_the_document_names_none() -> None:
    event = mapped(strapi_entry(city=None), STRAPI_MAPPING, media_base_url="https://x.y").event
    assert (event.approxLocation.city.placeId, event.timezone) == (
        "place-new-york",
        "America/New_York",
    )
    zoned = mapped(
        strapi_entry(city=None, zone="Europe/Lisbon"),
        {**STRAPI_MAPPING, "timezone": "entry.zone"},
        media_base_url="https://x.y",
    ).event
    assert zoned.timezone == "Europe/Lisbon"


def test_a_city_mapped_by_name_and_country_paths_is_looked_up() -> None:
    event = mapped(
        {
            "title": "T",
            "start": "2026-07-01T19:00:00Z",
            "venue": {"city": "Zürich", "country": "CH"},
        },
        {
            "title": "title",
            "startAt": "start",
            "approxLocation.city.name": "venue.city",
            "approxLocation.city.countryCode": "venue.country",
        },
    ).event
    assert event.approxLocation.city.placeId == "place-zurich"
    assert event.timezone == "Europe/Zurich"


@pytest.mark.parametrize(
    ("policy", "outcome"),
    [
        ("drop", ["food-drink"]),
        ("keep", "unknown classification"),
        ("refuse", "'knitting' is not in value map 'categories' (its policy: refuse)"),
    ],
)
def test_value_maps_follow_their_policy_for_unknown_values(policy: str, outcome: Any) -> None:
    maps = {"categories": CATEGORIES.model_copy(update={"unmapped": policy})}
    if isinstance(outcome, list):
        event = mapped(
            strapi_entry(), STRAPI_MAPPING, media_base_url="https://x", value_maps=maps
        ).event
        assert event.classifications == outcome
        return
    problems = refused(strapi_entry(), STRAPI_MAPPING, media_base_url="https://x", value_maps=maps)
    assert outcome in problems["classifications"]


def test_when_no_category_maps_the_default_applies_with_a_note() -> None:
    result = mapped(
        strapi_entry(categories=[{"slug": "knitting"}]),
        STRAPI_MAPPING,
        media_base_url="https://x.y",
        value_maps={"categories": CATEGORIES},
    )
    assert result.event.classifications == ["music"]
    assert ("classifications", "no_classification") in [(n.path, n.code) for n in result.notes]


@pytest.mark.parametrize(
    ("city_mapping", "path"),
    [
        ({"approxLocation.city": "place(entry.city, entry.country)"}, "approxLocation.city"),
        (
            {"approxLocation.city.name": "entry.city", "approxLocation.city.countryCode": "'AT'"},
            "approxLocation.city.name",
        ),
    ],
)
def test_an_unknown_city_is_one_error_the_most_specific(
    city_mapping: dict[str, str], path: str
) -> None:
    mapping = {k: v for k, v in STRAPI_MAPPING.items() if k != "approxLocation.city"}
    # No city among the defaults; without a zone either, the zone would have come from the
    # city, and its missing is no second error.
    for defaults in ({"timezone": "Europe/Vienna", "classifications": ["music"]},
                     {"classifications": ["music"]}):  # fmt: skip
        with pytest.raises(InvalidEvent) as caught:
            mapped(strapi_entry(city="Atlantis"), {**mapping, **city_mapping}, defaults,
                   media_base_url="https://cms.example.org")  # fmt: skip
        assert [(e.path, e.code) for e in caught.value.errors] == [(path, "unknown_place")]
        assert f"(mapped from '{city_mapping[path]}')" in caught.value.errors[0].message


def test_a_relative_media_url_without_a_base_is_an_error_naming_the_expression() -> None:
    problems = refused(strapi_entry(), STRAPI_MAPPING)
    assert "'/uploads/heuriger_4f1.jpg' is a relative URL" in problems["images"]
    assert "(mapped from 'images(entry.cover)')" in problems["images"]


def test_single_urls_and_media_objects_become_items_by_path_too() -> None:
    document = strapi_entry(cover={"src": "https://shop.example/p.jpg", "alt": ""})
    event = mapped(
        document,
        {**STRAPI_MAPPING, "images": "entry.cover", "ticketLinks": "entry.ticketUrl"},
        value_maps={"categories": CATEGORIES},
    ).event
    assert [(i.url, i.alt) for i in event.images or []] == [
        ("https://shop.example/p.jpg", "Heuriger night")
    ]
    assert [t.url for t in event.ticketLinks or []] == ["https://tickets.example.org/heuriger"]


def test_an_image_described_by_the_title_says_so_in_a_note_naming_its_alt() -> None:
    covers = [
        {"url": "https://cms.example.org/a.jpg", "alternativeText": "Wine taverns"},
        {"url": "https://cms.example.org/b.jpg", "alternativeText": ""},
    ]
    for mapping in ("images(entry.cover)", "entry.cover", "images(entry.cover, entry.none)"):
        result = mapped(strapi_entry(cover=covers), {**STRAPI_MAPPING, "images": mapping})
        images = result.event.images or []
        assert [i.alt for i in images] == ["Wine taverns", "Heuriger night"]
        assert [(n.path, n.code) for n in result.notes if n.path.startswith("images")] == [
            ("images.1.alt", "alt_from_title")
        ]


def test_alt_text_the_mapping_names_is_not_noted_and_a_long_one_is_shortened_with_a_note() -> None:
    cover = {"url": "https://cms.example.org/a.jpg"}
    result = mapped(
        strapi_entry(cover=cover, caption="x" * 301),
        {**STRAPI_MAPPING, "images": "images(entry.cover, entry.caption)"},
    )
    assert [len(i.alt) for i in result.event.images or []] == [300]
    assert [(n.path, n.code) for n in result.notes if n.path.startswith("images")] == [
        ("images.0.alt", "text_shortened")
    ]


def test_wordpress_zero_dates_read_as_unknown() -> None:
    document = {"post": {"post_title": "Draft", "post_modified_gmt": "0000-00-00 00:00:00"}}
    problems = refused(
        document,
        {
            "title": "post.post_title",
            "startAt": "post.post_date_gmt",
            "sourceUpdatedAt": "post.post_modified_gmt",
        },
    )
    assert list(problems) == [
        "startAt"
    ]  # missing, not an unreadable date; no sourceUpdatedAt error


@pytest.mark.parametrize(
    ("written", "numbers"),
    [
        ("25", [25.0]),
        ("€10 \u2013 20", [10.0, 20.0]),
        ("1,234.50 USD", [1234.5]),
        ("25,50 €", [25.5]),
        ("Free", []),
    ],
)
def test_numbers_reads_prices_as_written(written: str, numbers: list[float]) -> None:
    assert evaluate({"cost": written}, "numbers(cost)", MappingContext()) == numbers


# A HubSpot CRM object as its API and webhooks send dates: Unix milliseconds, as text.
HUBSPOT_OBJECT = {
    "id": "512",
    "properties": {
        "name": "Winter market",
        "event_start": "1797260400000",
        "hs_lastmodifieddate": "2026-11-30T08:15:00.120Z",
    },
}


def test_unix_time_reads_crm_dates_in_seconds_or_milliseconds() -> None:
    result = mapped(
        HUBSPOT_OBJECT,
        {"title": "properties.name", "startAt": "unix_time(properties.event_start, 'ms')"},
    )
    # 1797260400000 ms is 2026-12-14T15:00:00Z, shown in the default city's zone.
    assert result.event.startAt.isoformat() == "2026-12-14T10:00:00-05:00"
    context = MappingContext()
    assert evaluate({"t": 1797260400}, "unix_time(t)", context) == "2026-12-14T15:00:00+00:00"
    assert evaluate({"t": "1797260400.5"}, "unix_time(t, 's')", context).endswith(
        ":00.500000+00:00"
    )
    assert evaluate({"t": ""}, "unix_time(t)", context) is None
    assert evaluate({}, "unix_time(t)", context) is None


@pytest.mark.parametrize(
    ("value", "unit", "why"),
    [
        ("1797260400000", "s", "is the unit right?"),  # milliseconds read as seconds
        ("1797260400", "ms", "is the unit right?"),  # seconds read as milliseconds: 1970
        ("next week", "s", "no Unix time"),
        (True, "s", "no Unix time"),
        ("1e400", "s", "no Unix time"),
        ("NaN", "s", "no Unix time"),
        ("1797260400", "h", "neither 's' nor 'ms'"),
    ],
)
def test_unix_time_refuses_what_is_no_unix_time(value: Any, unit: str, why: str) -> None:
    problems = refused(
        {"t": value, "name": "x"}, {"title": "name", "startAt": f"unix_time(t, '{unit}')"}
    )
    assert why in problems["startAt"], problems


def test_localized_takes_the_integration_locale_else_the_first() -> None:
    field = {"title": {"en-US": "Workshop", "de-DE": "Werkstatt"}}
    assert evaluate(field, "localized(title)", MappingContext(locale="de-DE")) == "Werkstatt"
    assert evaluate(field, "localized(title)", MappingContext(locale="fr-FR")) == "Workshop"


@pytest.mark.parametrize("text", ["entry.", "place(entry.city", "a" * 1001, "  "])
def test_unusable_expressions_are_refused_when_written(text: str) -> None:
    with pytest.raises(InvalidExpression):
        compile_expression(text)


def test_an_identity_expression_reads_a_document_id_anywhere() -> None:
    document = {"type": "crm.event.updated", "data": {"event": {"uuid": "e-77"}}}
    assert evaluate(document, "data.event.uuid", MappingContext()) == "e-77"
    assert evaluate(document, "join(':', [type, data.event.uuid])", MappingContext()) == (
        "crm.event.updated:e-77"
    )


def test_titles_from_html_senders_are_plain_text() -> None:
    event = mapped(
        {"title": "Jazz &#038; Wine <em>Night</em>", "start": "2026-07-01T19:00:00Z"},
        {"title": "plain_text(title)", "startAt": "start"},
    ).event
    assert event.title == "Jazz & Wine Night"


@pytest.mark.parametrize(
    ("mapping", "price", "note"),
    [
        ({"price.min": "to_number(cost)", "price.currency": "'EUR'"}, (25, 25, "EUR"), None),
        ({"price.min": "to_number(cost)"}, None, "price left out: no currency"),
        ({"price.currency": "'EUR'", "price.min": "min(numbers(free))"}, None, None),
    ],
)
def test_a_price_needs_a_currency_and_one_amount_is_both_ends(
    mapping: dict[str, str], price: tuple[float, float, str] | None, note: str | None
) -> None:
    document = {"title": "T", "start": "2026-07-01T19:00:00Z", "cost": "25", "free": "Free"}
    result = mapped(document, {"title": "title", "startAt": "start", **mapping})
    stored = result.event.price
    assert (stored and (stored.min, stored.max, stored.currency)) == price
    assert (note is None) == all("price" not in n.message for n in result.notes)


def test_a_value_map_the_integration_lacks_leaves_the_default_with_a_note() -> None:
    result = mapped(strapi_entry(), STRAPI_MAPPING, media_base_url="https://x.y", value_maps={})
    assert result.event.classifications == ["music"]
    assert (
        Note(
            "classifications",
            "no_value_map",
            "no value map 'categories': the document's values not used",
        )
        in result.notes
    )


def test_an_address_without_a_venue_name_names_the_venue_with_a_note() -> None:
    entry = strapi_entry(address="Rathausplatz 1, 1010 Wien")
    result = mapped(
        entry,
        {**STRAPI_MAPPING, "venue.name": "entry.venue.name", "venue.address": "entry.address"},
        media_base_url="https://cms.example.org",
        value_maps={"categories": CATEGORIES},
    )
    venue = result.event.venue
    assert venue is not None
    assert (venue.name, venue.address) == ("Rathausplatz 1", "Rathausplatz 1, 1010 Wien")
    assert (
        Note(
            "venue.name",
            "venue_named_by_address",
            "venue named by its address ('Rathausplatz 1'): map venue.name to name it",
        )
        in result.notes
    )


def test_no_venue_at_all_stays_no_venue() -> None:
    result = mapped(
        strapi_entry(),
        {**STRAPI_MAPPING, "venue.name": "entry.venue.name", "venue.address": "entry.address"},
        media_base_url="https://cms.example.org",
        value_maps={"categories": CATEGORIES},
    )
    assert result.event.venue is None


def test_strapis_default_mapping_takes_an_entry_with_only_an_address() -> None:
    probe = senders.Delivery(action="", document_id="", document={})
    default = senders.SENDERS["strapi"].default_mapping(probe)
    entry = strapi_entry(address="Rathausplatz 1, 1010 Wien", categories=None)
    result = mapped(entry, default, media_base_url="https://cms.example.org")
    assert result.event.venue is not None
    assert result.event.venue.name == "Rathausplatz 1"


def test_a_comma_separated_cell_is_read_item_by_item_without_its_spaces() -> None:
    """A CRM sends 'food-and-drink, live-music, vip': each item is looked up, noted and kept
    as written, not with the space after its comma."""
    notes: list[str] = []

    class Noted:
        target = "classifications"

        def note(self, path: str, code: str, message: str) -> None:
            notes.append(message)

    categories = ValueMap(values={"live-music": "music"})
    cell = "food-and-drink, live-music, vip,"
    assert apply_value_map(categories, "categories", cell, Noted()) == ["music"]
    assert notes == [
        "value 'food-and-drink' is not in value map 'categories': left out",
        "value 'vip' is not in value map 'categories': left out",
    ]
    kept = categories.model_copy(update={"unmapped": "keep"})
    assert apply_value_map(kept, "categories", cell, Noted()) == ["food-and-drink", "music", "vip"]


@pytest.mark.parametrize("start", ["2027-03-06", " 2027-03-06 "])
def test_a_date_without_a_time_of_day_is_refused_not_read_as_midnight(start: str) -> None:
    """A CMS date field ('2027-03-06') would otherwise publish the event at midnight."""
    mapping = {"title": "title", "startAt": "start", "endAt": "end", "timezone": "'Europe/Lisbon'"}
    problems = refused({"title": "Feira", "start": start, "end": "2027-03-06T22:00:00"}, mapping)
    assert list(problems) == ["startAt"]
    assert problems["startAt"].startswith("'2027-03-06' is a date without a time of day")
    assert "(mapped from 'start')" in problems["startAt"]
    joined = {**mapping, "startAt": "join('T', [start, time])"}
    document = {"title": "Feira", "start": start.strip(), "time": "19:00", "end": None}
    assert mapped(document, joined).event.startAt.isoformat() == "2027-03-06T19:00:00+00:00"


def test_a_missing_field_names_the_expression_closest_to_it() -> None:
    mapping = {
        "approxLocation.city": "place(city, country)",
        "approxLocation.city.countryCode": "country",
        "title": "name",
    }
    missing = FieldError("approxLocation", "missing", "Field required")
    inside = FieldError("approxLocation.city.countryCode.x", "invalid", "bad")
    named = _with_sources([missing, inside], mapping)
    assert named[0].message == "Field required (mapped from 'place(city, country)')"
    assert named[1].message == "bad (mapped from 'country')"
