"""The HTML pages: home, search, a city, a channel, an event."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from services.discovery.queries.search import SearchQuery, encode_cursor
from services.discovery.queries.store import EventPage
from services.discovery.web.context import base_url, context
from services.discovery.web.errors import NotFound
from services.discovery.web.event_refs import event_ref
from services.discovery.web.params import first_values, known_place, search_query
from services.discovery.web.people_pages import viewer
from services.discovery.web.plan_views import my_plan, public_attendance
from services.discovery.web.slugs import moved
from services.discovery.web.views import json_ld, script_json

HOME_CHANNELS = 50
MORE_DATES = 10


async def home(request: Request) -> Response:
    ctx = context(request)
    channels = await ctx.store.public_channels(None, None, HOME_CHANNELS)
    return ctx.pages.render(
        "home.html", {"channels": channels, "params": {}, "viewer": await viewer(request)}
    )


async def search(request: Request) -> Response:
    ctx = context(request)
    query = search_query(request.query_params)
    page = await ctx.store.search(query, base_url(request))
    place = known_place(query.place_id) if query.place_id else None
    return ctx.pages.render(
        "search.html",
        await _listing(request, query, page) | {"place": place, "title": "Search"},
    )


async def city(request: Request) -> Response:
    ctx = context(request)
    place = known_place(request.path_params["placeId"])
    if place is None:
        raise NotFound("No such city: place ids look like place-new-york.")
    query = search_query(request.query_params, place_id=place.id)
    page = await ctx.store.search(query, base_url(request))
    feeds = f"/feeds/cities/{place.id}"
    extra = {"place": place, "feeds": feeds, "follow": ("city", place.id)}
    return ctx.pages.render("city.html", await _listing(request, query, page) | extra)


async def channel(request: Request) -> Response:
    ctx = context(request)
    found = await ctx.store.channel(request.path_params["slug"])
    if found is None:
        raise NotFound("No public channel has that address.")
    if redirect := moved(request, found):
        return redirect
    query = search_query(request.query_params, channel_id=found["id"]).linked()
    page = await ctx.store.search(query, base_url(request))
    feeds = f"/feeds/channels/{found['slug']}"
    extra = {"channel": found, "feeds": feeds, "follow": ("channel", found["slug"])}
    return ctx.pages.render("channel.html", await _listing(request, query, page) | extra)


async def event(request: Request) -> Response:
    ctx = context(request)
    event_id = event_ref(request).key
    base = base_url(request)
    row = await ctx.store.event(event_id, base)
    if row is None:
        raise NotFound("This event is not published (or no longer public).")
    me = await viewer(request)
    shown = row["event_id"]  # a recurring event's own id shows its next occurrence: its plans
    return ctx.pages.render(
        "event.html",
        {
            "row": row,
            "event": json.loads(row["public"]),
            "more_dates": await _more_dates(request, row),
            "json_ld": script_json(json_ld(row, base)),
            "params": {},
            "viewer": me,
            "attendance": await public_attendance(ctx.pool, shown),
            "plan": await my_plan(ctx.primary, me["person"], shown) if me else None,
        },
    )


async def _more_dates(request: Request, row: dict[str, Any]) -> list[dict[str, Any]]:
    """Of a recurring event, its other occurrences from now (or from the one shown, if past)."""
    if row["recurrence_id"] is None:
        return []
    since = min(row["start_at"], datetime.now(UTC))
    rows = await context(request).store.occurrences(
        row["series_id"], since, MORE_DATES + 1, base_url(request)
    )
    return [json.loads(r["public"]) for r in rows if r["event_id"] != row["event_id"]][:MORE_DATES]


async def _listing(request: Request, query: SearchQuery, page: EventPage) -> dict[str, object]:
    params = first_values(request.query_params)
    params.pop("cursor", None)
    cursor = encode_cursor(query, page.next_position) if page.next_position else None
    return {
        "events": [json.loads(row["public"]) for row in page.rows],
        "query": query,
        "params": params,
        "next_cursor": cursor,
        "viewer": await viewer(request),
    }
