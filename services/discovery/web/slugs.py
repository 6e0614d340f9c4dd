"""A channel reached by a slug it had before: 301 to the same page, feed or document under
its current slug, query string kept, so links and feed subscriptions survive a new slug."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from services.discovery.web.context import base_url

# A former slug may later become another channel's: clients keep the redirect a day, not
# forever as they would an unqualified 301.
REDIRECT_CACHE = "public, max-age=86400"


def moved(request: Request, channel: dict[str, Any]) -> Response | None:
    """The redirect when `channel` was found by a former slug, else None."""
    if channel["slug"] == request.path_params["slug"]:
        return None
    template: str = request.scope["route"].path_format
    path = template.format(**{**request.path_params, "slug": channel["slug"]})
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(
        base_url(request) + path + query,
        status_code=301,
        headers={"Cache-Control": REDIRECT_CACHE},
    )
