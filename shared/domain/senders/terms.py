"""The words an integration is configured in: its sender, what a sender's action does to an
event, how a delivery proves itself, and which event fields a mapping may fill."""

from __future__ import annotations

from typing import Literal

Source = Literal["wordpress", "strapi", "sanity", "contentful", "webflow", "standard", "generic"]
SOURCES: tuple[Source, ...] = (
    "wordpress",
    "strapi",
    "sanity",
    "contentful",
    "webflow",
    "standard",
    "generic",
)
# What a sender's action does to the event. create and update are both an upsert by the
# document's id; delete cancels the event (it stays readable, marked cancelled).
EventAction = Literal["create", "update", "publish", "unpublish", "delete", "ignore"]
Verification = Literal["signature", "token"]

# Event fields a mapping may fill, as dotted paths into the event body. `approxLocation.city`
# takes a whole place (`place(name, country)`); its parts may be mapped one by one instead.
MAPPABLE_FIELDS = frozenset(
    {
        "title",
        "startAt",
        "endAt",
        "timezone",
        "description",
        "classifications",
        "approxLocation.city",
        "approxLocation.city.placeId",
        "approxLocation.city.name",
        "approxLocation.city.countryCode",
        "venue.name",
        "venue.address",
        "venue.coordinates.lat",
        "venue.coordinates.lng",
        "images",
        "ticketLinks",
        "price.min",
        "price.max",
        "price.currency",
        "capacity",
        "recurrence.rrule",
        "recurrence.exdates",
        "sourceUpdatedAt",
    }
)
