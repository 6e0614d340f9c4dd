"""Pure: read-model rows -> what pages and feeds show (links, local times, schema.org)."""

from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_currency, get_currency_symbol

from shared.domain.classifications import CLASSIFICATIONS
from shared.domain.places import find as find_place
from shared.domain.rich_text import description_text

_STATUS_URL = {
    "published": "https://schema.org/EventScheduled",
    "cancelled": "https://schema.org/EventCancelled",
}
_RESCHEDULED = "https://schema.org/EventRescheduled"


def event_path(event_id: object) -> str:
    return f"/events/{event_id}"


def channel_path(slug: str) -> str:
    return f"/channels/{slug}"


def local_start(event: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(event["startAt"]).astimezone(ZoneInfo(event["timezone"]))


def local_end(event: dict[str, Any]) -> datetime | None:
    end = event.get("endAt")
    return datetime.fromisoformat(end).astimezone(ZoneInfo(event["timezone"])) if end else None


def moved_from(event: dict[str, Any]) -> datetime | None:
    """An occurrence moved on its own: its original start (local), else None."""
    original = event.get("recurrenceId")
    if not original or datetime.fromisoformat(original) == datetime.fromisoformat(event["startAt"]):
        return None
    return datetime.fromisoformat(original).astimezone(ZoneInfo(event["timezone"]))


def city_name(city: dict[str, Any]) -> str:
    """The city as the place catalogue names it ("Kraków"), whatever spelling the sender
    gave beside its place id ("Krakow"); the given name for a place the catalogue lost."""
    place = find_place(city["placeId"])
    return place.name if place is not None else str(city["name"])


def classification_names(event: dict[str, Any]) -> list[str]:
    return [CLASSIFICATIONS.get(slug, slug) for slug in event.get("classifications", [])]


def price_text(price: dict[str, Any]) -> str:
    """A price range as people read it, by CLDR's rules for the currency (Babel): "$25-$40"
    (an en dash), "$12.50", "¥2,500", "Free". Whole amounts have no decimals; others the
    currency's own number of them (two for USD, none for JPY, three for KWD)."""
    low, high = Decimal(str(price["min"])), Decimal(str(price["max"]))
    if high == 0:
        return "Free"
    whole = low == low.to_integral_value() and high == high.to_integral_value()
    amounts = dict.fromkeys(_money(amount, price["currency"], whole) for amount in (low, high))
    return "\N{EN DASH}".join(amounts)  # CLDR's English range: no spaces


def _money(amount: Decimal, currency: str, whole: bool) -> str:
    # CLDR's currency spacing, which Babel leaves to the pattern: a symbol that ends in a
    # letter ("CHF", "kr") stands apart from the digits ("CHF 25", not "CHF25").
    spaced = get_currency_symbol(currency, locale="en")[-1:].isalpha()
    pattern = ("¤\u00a0" if spaced else "¤") + ("#,##0" if whole else "#,##0.00")
    # Not whole: the currency's own number of decimals (Babel adjusts the pattern's two).
    return str(format_currency(amount, currency, pattern, locale="en", currency_digits=not whole))


def json_ld(row: dict[str, Any], base_url: str) -> dict[str, Any]:
    """schema.org `Event` for the event page (what search engines and assistants read)."""
    event = row["event"]
    city = event["approxLocation"]["city"]
    venue = event.get("venue") or {}
    address: dict[str, Any] = {
        "@type": "PostalAddress",
        "addressLocality": city_name(city),
        "addressCountry": city["countryCode"],
    }
    if venue.get("address"):
        address["streetAddress"] = venue["address"]
    location: dict[str, Any] = {
        "@type": "Place",
        "name": venue.get("name") or city_name(city),
        "address": address,
    }
    if venue.get("coordinates"):
        point = venue["coordinates"]
        location["geo"] = {
            "@type": "GeoCoordinates",
            "latitude": point["lat"],
            "longitude": point["lng"],
        }
    document: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": base_url + event_path(event["id"]),
        "url": base_url + event_path(event["id"]),
        "name": event["title"],
        "startDate": local_start(event).isoformat(),
        "eventStatus": _STATUS_URL[row["status"]],
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": location,
        "organizer": {
            "@type": "Organization",
            "name": row["channel_name"],
            "url": base_url + channel_path(row["channel_slug"]),
        },
        "keywords": ", ".join(classification_names(event)),
    }
    end = local_end(event)
    if end is not None:
        document["endDate"] = end.isoformat()
    document |= _occurrence_ld(row, base_url)
    if event.get("description"):
        document["description"] = description_text(event["description"])
    if event.get("images"):
        document["image"] = [image["url"] for image in event["images"]]
    offers = offers_of(event)
    if offers:
        document["offers"] = offers
    return document


def _occurrence_ld(row: dict[str, Any], base_url: str) -> dict[str, Any]:
    """An occurrence belongs to its series (schema.org EventSeries); one moved on its own is
    EventRescheduled with its previousStartDate."""
    event = row["event"]
    if not event.get("seriesId"):
        return {}
    found: dict[str, Any] = {
        "superEvent": {
            "@type": "EventSeries",
            "@id": base_url + event_path(event["seriesId"]),
            "name": event["title"],
        }
    }
    original = moved_from(event)
    if original is not None and row["status"] == "published":
        found |= {"eventStatus": _RESCHEDULED, "previousStartDate": original.isoformat()}
    return found


def offers_of(event: dict[str, Any]) -> list[dict[str, Any]]:
    """schema.org `Offer`s of an event view: one per ticket link (its url and label), with the
    price when there is one; one for a price without links; none without either."""
    price = event.get("price")
    offers = []
    # A price without a ticket link is still an offer (schema.org's url is optional).
    links = event.get("ticketLinks") or ([{}] if price else [])
    for link in links:
        offer: dict[str, Any] = {"@type": "Offer"}
        if link.get("url"):
            offer["url"] = link["url"]
        if link.get("label"):
            offer["name"] = link["label"]
        if price:
            offer["priceCurrency"] = price["currency"]
            if price["min"] == price["max"]:
                offer["price"] = price["min"]
            else:
                offer["priceSpecification"] = {
                    "@type": "PriceSpecification",
                    "minPrice": price["min"],
                    "maxPrice": price["max"],
                    "priceCurrency": price["currency"],
                }
        offers.append(offer)
    return offers


def script_json(document: dict[str, Any]) -> str:
    """JSON safe inside <script>: no '<', '>' or '&' can end the element or open a comment,
    whatever an event's fields hold."""
    text = json.dumps(document, ensure_ascii=False)
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
