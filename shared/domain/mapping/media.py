"""URLs and media objects as senders send them, to `images` and `ticketLinks` items.

A media object is whatever a sender sends for an image: Strapi's (`url`, `alternativeText`,
`caption`; Strapi 4's REST shape `{data: {attributes: ...}}` too), WooCommerce's (`src`,
`alt`), Webflow's (`url`, `alt`), The Events Calendar's (`url`) or Sanity's projected
`asset->url` (`asset.url`, `alt`); or just a URL. Relative URLs (Strapi's local uploads are
`/uploads/...`) are joined to the integration's media base URL.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urljoin, urlsplit


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
    media: Any, fallback_alt: Any, base: str | None, notes: list[str]
) -> list[dict[str, str]]:
    """`images` items for one medium or an array of them; an image without alt text (its
    own, else `fallback_alt`) is left out with a note, as alt text is required."""
    items = []
    for medium in media if isinstance(media, list) else [media]:
        url: Any
        alt: Any
        if isinstance(medium, str) and medium.strip():
            url, alt = medium, None
        elif isinstance(medium, dict):
            fields = _media_fields(medium)
            url = fields.get("url") or fields.get("src")
            alt = fields.get("alternativeText") or fields.get("alt") or fields.get("caption")
        else:
            continue  # null, false (The Events Calendar without an image), numbers
        if not isinstance(url, str) or not url.strip():
            notes.append("an image without a URL (e.g. an unresolved asset link) left out")
            continue
        alt = alt if isinstance(alt, str) and alt.strip() else fallback_alt
        if not isinstance(alt, str) or not alt.strip():
            notes.append(f"image {url} has no alt text: left out (map one as the fallback)")
            continue
        items.append({"url": absolute_url(url, base), "alt": alt.strip()[:300]})
    return items


def ticket_items(links: Any, label: Any, base: str | None) -> list[dict[str, str]]:
    """`ticketLinks` items for one URL (or `{url, label}` object) or an array of them."""
    items = []
    for link in links if isinstance(links, list) else [links]:
        url, own_label = (
            (link.get("url"), link.get("label"))
            if isinstance(link, dict)
            else (
                link,
                None,
            )
        )
        if not isinstance(url, str) or not url.strip():
            continue
        item = {"url": absolute_url(url, base)}
        chosen = own_label if isinstance(own_label, str) and own_label.strip() else label
        if isinstance(chosen, str) and chosen.strip():
            item["label"] = chosen.strip()[:100]
        items.append(item)
    return items
