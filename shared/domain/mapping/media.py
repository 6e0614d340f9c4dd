"""URLs and media objects as senders send them, to `images` and `ticketLinks` items.

A media object is whatever a sender sends for an image: Strapi's (`url`, `alternativeText`,
`caption`; Strapi 4's REST shape `{data: {attributes: ...}}` too), WooCommerce's (`src`,
`alt`), Webflow's (`url`, `alt`), The Events Calendar's (`url`) or Sanity's projected
`asset->url` (`asset.url`, `alt`); or just a URL. Relative URLs (Strapi's local uploads are
`/uploads/...`) are joined to the integration's media base URL.
"""

from __future__ import annotations

from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

ALT_MAX_LENGTH = 300
LABEL_MAX_LENGTH = 100


class MediaProblem(ValueError):
    """A URL that cannot be made absolute (no media base URL for a relative one)."""


def absolute_url(url: str, base: str | None) -> str:
    url = url.strip()
    if url.startswith("//"):
        return "https:" + url
    if urlsplit(url).scheme:
        return url
    if not base:
        raise MediaProblem(
            f"'{url}' is a relative URL; set the integration's mediaBaseUrl (for Strapi, its "
            "public URL, e.g. https://cms.example.com) to make it absolute"
        )
    return urljoin(base if base.endswith("/") else base + "/", url.lstrip("/"))


def _media_fields(media: dict[str, Any]) -> dict[str, Any]:
    data = media.get("data")
    if isinstance(data, dict) and isinstance(data.get("attributes"), dict):
        return dict(data["attributes"])  # Strapi 4 REST: {data: {id, attributes: {...}}}
    asset = media.get("asset")
    if isinstance(asset, dict) and "url" not in media:
        return {**asset, **{k: v for k, v in media.items() if k != "asset"}}  # Sanity
    return media


def image_items(
    media: Any, alt: Any, context: MediaContext, field: str = "images"
) -> list[dict[str, str]]:
    """`images` items for one medium or an array of them. Alt text is the medium's own, else
    `alt` (the mapping's), else the event's title, noted; without any, the image is left out
    with a note, as alt text is required."""
    items: list[dict[str, str]] = []
    for medium in media if isinstance(media, list) else [media]:
        found = _url_and_alt(medium)
        if found is None:
            continue  # null, false (The Events Calendar without an image), numbers
        url, own = found
        if not isinstance(url, str) or not url.strip():
            context.note(
                field,
                "image_without_url",
                "an image without a URL (e.g. an unresolved asset link) left out",
            )
            continue
        described = _alt_text(url, _text(own) or _text(alt), context, f"{field}.{len(items)}.alt")
        if described is None:
            context.note(
                field,
                "image_without_alt",
                f"image {url} has no alt text: left out (map one as the fallback)",
            )
            continue
        items.append({"url": absolute_url(url, context.media_base_url), "alt": described})
    return items


class MediaContext(Protocol):
    """What media items need of the mapping: the media base URL, the event's title (alt text
    of last resort) and where notes go."""

    media_base_url: str | None
    title: str | None

    def note(self, path: str, code: str, message: str) -> None: ...


def _url_and_alt(medium: Any) -> tuple[Any, Any] | None:
    if isinstance(medium, str) and medium.strip():
        return medium, None
    if isinstance(medium, dict):
        fields = _media_fields(medium)
        alt = fields.get("alternativeText") or fields.get("alt") or fields.get("caption")
        return fields.get("url") or fields.get("src"), alt
    return None


def _alt_text(url: str, alt: str | None, context: MediaContext, path: str) -> str | None:
    """The image's alt text at `path`; the title (noted) when it has none; else None."""
    if alt is None and _text(context.title):
        alt = str(context.title).strip()
        context.note(
            path,
            "alt_from_title",
            f"image {url} has no alt text: the event's title describes it (map "
            "images(<media>, <alt text>) to describe the image itself)",
        )
    return _shortened(alt, ALT_MAX_LENGTH, context, path) if alt is not None else None


def ticket_items(links: Any, label: Any, context: MediaContext) -> list[dict[str, str]]:
    """`ticketLinks` items for one URL (or `{url, label}` object) or an array of them."""
    items: list[dict[str, str]] = []
    for link in links if isinstance(links, list) else [links]:
        url, own = (link.get("url"), link.get("label")) if isinstance(link, dict) else (link, None)
        if not isinstance(url, str) or not url.strip():
            continue
        item = {"url": absolute_url(url, context.media_base_url)}
        chosen = _text(own) or _text(label)
        if chosen is not None:
            path = f"ticketLinks.{len(items)}.label"
            item["label"] = _shortened(chosen, LABEL_MAX_LENGTH, context, path)
        items.append(item)
    return items


def _shortened(text: str, most: int, context: MediaContext, path: str) -> str:
    if len(text) > most:
        context.note(path, "text_shortened", f"shortened from {len(text)} to {most} characters")
    return text[:most]


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None
