"""What a feed entry says about its event, beyond its title and times: where it is, and its
description with its ticket links and its channel, as text (iCalendar DESCRIPTION, JSON
Feed's content_text) or as sanitized HTML (Atom content, JSON Feed's content_html)."""

from __future__ import annotations

from html import escape
from typing import Any

from services.discovery.web.views import city_name
from shared.domain.rich_text import description_html, description_text
from shared.domain.rich_text.shown import LINK_REL


def location_text(event: dict[str, Any]) -> str:
    venue = event.get("venue") or {}
    city = event["approxLocation"]["city"]
    parts = [venue.get("name"), venue.get("address"), f"{city_name(city)}, {city['countryCode']}"]
    return ", ".join(part for part in parts if part)


def entry_text(row: dict[str, Any], base_url: str) -> str:
    """The description without markup, then a line per ticket link and the channel's."""
    described = row["event"].get("description")
    lines = [description_text(described) if described else ""]
    lines += [f"{label}: {url}" for label, url in _links(row, base_url)]
    return "\n\n".join(line for line in lines if line)


def entry_html(row: dict[str, Any], base_url: str) -> str:
    """The description as sanitized HTML, then a paragraph per ticket link and the
    channel's."""
    described = row["event"].get("description")
    parts = [description_html(described) if described else ""]
    parts += [
        f'<p><a href="{escape(url)}" rel="{LINK_REL}">{escape(label)}</a></p>'
        for label, url in _links(row, base_url)
    ]
    return "\n".join(part for part in parts if part)


def _links(row: dict[str, Any], base_url: str) -> list[tuple[str, str]]:
    tickets = [
        (link.get("label") or "Tickets", link["url"])
        for link in row["event"].get("ticketLinks") or []
    ]
    return [*tickets, (row["channel_name"], f"{base_url}/channels/{row['channel_slug']}")]
