"""Feed routes: `/feeds/{channels|cities|classifications}/{key}.{ics|json|atom}` and the
"add to calendar" file of one event, `/events/{id}.ics`."""

from __future__ import annotations

from typing import cast

from starlette.requests import Request
from starlette.responses import Response

from services.discovery.feeds.ical import ical_event
from services.discovery.feeds.service import (
    FORMATS,
    BuiltFeed,
    FeedFormat,
    FeedScope,
    none_match,
    strong_etag,
)
from services.discovery.queries.search import SearchQuery
from services.discovery.web.context import base_url, context
from services.discovery.web.errors import NotFound
from services.discovery.web.event_refs import event_ref
from services.discovery.web.params import known_place
from services.discovery.web.slugs import moved
from services.discovery.web.views import channel_path
from shared.domain.channels import LINKABLE
from shared.domain.classifications import CLASSIFICATIONS


async def channel_feed(request: Request) -> Response:
    found = await context(request).store.channel(request.path_params["slug"])
    if found is None:
        raise NotFound("No public or unlisted channel has that slug.")
    if redirect := moved(request, found):
        return redirect
    scope = FeedScope(
        kind="channel",
        scope=f"channel:{found['id']}",
        title=found["name"],
        description=f"Events of {found['name']} on Pinned Events",
        page_path=channel_path(found["slug"]),
        feed_path=f"/feeds/channels/{found['slug']}",
        query=SearchQuery(channel_id=found["id"], visibilities=LINKABLE),
    )
    return await _serve(request, scope)


async def city_feed(request: Request) -> Response:
    place = known_place(request.path_params["placeId"])
    if place is None:
        raise NotFound("No such city: place ids look like place-new-york.")
    scope = FeedScope(
        kind="city",
        scope=f"place:{place.id}",
        title=f"Events in {place.name}",
        description=f"Public events in {place.name}, {place.countryCode}, on Pinned Events",
        page_path=f"/cities/{place.id}",
        feed_path=f"/feeds/cities/{place.id}",
        query=SearchQuery(place_id=place.id),
    )
    return await _serve(request, scope)


async def classification_feed(request: Request) -> Response:
    slug = request.path_params["slug"]
    if slug not in CLASSIFICATIONS:
        known = ", ".join(CLASSIFICATIONS)
        raise NotFound(f"No classification '{slug}'; the classifications are: {known}.")
    name = CLASSIFICATIONS[slug]
    scope = FeedScope(
        kind="classification",
        scope=f"classification:{slug}",
        title=f"{name} events",
        description=f"Public {name.lower()} events on Pinned Events",
        page_path=f"/search?classification={slug}",
        feed_path=f"/feeds/classifications/{slug}",
        query=SearchQuery(classification=slug),
    )
    return await _serve(request, scope)


async def event_calendar(request: Request) -> Response:
    """One event or occurrence; a recurring event's own id: all its occurrences."""
    ref = event_ref(request)
    store = context(request).store
    row = await store.event(ref.key, base_url(request))
    if row is None:
        raise NotFound("This event is not published (or no longer public).")
    series = None
    if row["event_id"] != ref.key:  # found by its series: the id of a recurring event
        series = (await store.series([ref.key])).get(ref.key)
    body = ical_event(row, base_url(request), series)
    etag = strong_etag(body)  # as a feed's: calendar apps poll it
    headers = {
        "Content-Disposition": f'attachment; filename="event-{ref.public}.ics"',
        "Cache-Control": "public, max-age=60",
        "ETag": etag,
    }
    if none_match(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=FORMATS["ics"][1], headers=headers)


async def _serve(request: Request, scope: FeedScope) -> Response:
    fmt = request.path_params["format"]
    if fmt not in FORMATS:
        raise NotFound(f"Feeds come as .ics, .json or .atom, not .{fmt}.")
    ctx = context(request)
    built = await ctx.feeds.feed(scope, cast(FeedFormat, fmt), base_url(request))
    return _conditional(request, built)


def _conditional(request: Request, built: BuiltFeed) -> Response:
    # A minute in shared caches at most: changes reach the feed within seconds, and a
    # reader's next poll should see them (REFRESH-INTERVAL says how often to poll).
    headers = {
        "ETag": built.etag,
        "Cache-Control": "public, max-age=60",
        "Vary": "Accept-Encoding",
    }
    if none_match(request.headers.get("if-none-match"), built.etag):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["Content-Encoding"] = "gzip"
        return Response(built.gzipped, media_type=built.media_type, headers=headers)
    return Response(built.body, media_type=built.media_type, headers=headers)
