"""The discovery JSON API (`/api/discovery/v1`): no key, read-only, rate limited per IP."""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from services.discovery.queries.search import encode_cursor
from services.discovery.web.context import base_url, context
from services.discovery.web.errors import InvalidParameter, NotFound
from services.discovery.web.event_refs import event_ref
from services.discovery.web.params import channel_listing, search_query
from services.discovery.web.slugs import moved
from services.discovery.web.views import channel_path
from shared.core.json_body import from_opaque_json, opaque_json

API_BASE = "/api/discovery/v1"


async def events(request: Request) -> Response:
    """Published and cancelled events of public channels, soonest first, filtered by place,
    radius, local dates, classification and text; `nextCursor` fetches the next page."""
    ctx = context(request)
    query = search_query(request.query_params, strict=True)
    base = base_url(request)

    async def run() -> bytes:
        page = await ctx.store.search(query, public_base=base, documents=True)
        cursor = encode_cursor(query, page.next_position) if page.next_position else None
        tail = json.dumps({"limit": query.limit, "hasNextPage": cursor is not None,
                           "nextCursor": cursor})  # fmt: skip
        # The events are already JSON (PostgreSQL wrote them): spliced in, not re-encoded.
        docs = ",".join(row["public"] for row in page.rows)
        return f'{{"docs":[{docs}],{tail[1:]}'.encode()

    body = await ctx.searches.answer(query, base, run)
    return Response(body, media_type="application/json")


async def event(request: Request) -> Response:
    ctx = context(request)
    row = await ctx.store.event(event_ref(request).key, base_url(request))
    if row is None:
        raise NotFound("No published event with that id in a public or unlisted channel.")
    return Response(row["public"], media_type="application/json")


async def channels(request: Request) -> Response:
    """Public channels by name; `q` matches any part of it; `cursor` pages on."""
    ctx = context(request)
    text, limit = channel_listing(request.query_params)
    after = _channel_cursor(request.query_params.get("cursor"))
    rows = await ctx.store.public_channels(text, after, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    cursor = _encode_channel_cursor(rows[-1]) if more and rows else None
    base = base_url(request)
    return JSONResponse(
        {
            "docs": [channel_view(row, base) for row in rows],
            "hasNextPage": more,
            "nextCursor": cursor,
        }
    )


async def channel(request: Request) -> Response:
    ctx = context(request)
    found = await ctx.store.channel(request.path_params["slug"])
    if found is None:
        raise NotFound("No public or unlisted channel has that slug.")
    if redirect := moved(request, found):
        return redirect
    return JSONResponse(channel_view(found, base_url(request)))


def channel_view(row: dict[str, Any], base: str) -> dict[str, Any]:
    feeds = f"{base}/feeds/channels/{row['slug']}"
    return {
        "slug": row["slug"],
        "name": row["name"],
        "visibility": row["visibility"],
        "url": base + channel_path(row["slug"]),
        "feeds": {"ical": f"{feeds}.ics", "json": f"{feeds}.json", "atom": f"{feeds}.atom"},
    }


def _encode_channel_cursor(row: dict[str, Any]) -> str:
    return opaque_json([row["name"].lower(), row["id"]])


def _channel_cursor(raw: str | None) -> tuple[str, int] | None:
    """Where the last page ended: (lowercased name, id), the listing's sort key."""
    if not raw:
        return None
    try:
        name, channel_id = from_opaque_json(raw)
    except (ValueError, TypeError):  # not a token (UndecodableJson), or not a pair
        name, channel_id = None, None
    if not isinstance(name, str) or not isinstance(channel_id, int):
        raise InvalidParameter("cursor", "is not a cursor this service made; start without it")
    return name, channel_id
