"""Server-rendered HTML: Jinja templates with autoescaping, and the security headers every
page carries. No script runs on any page, so the policy allows none."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from services.discovery.web.errors import PublicError
from services.discovery.web.views import (
    city_name,
    classification_names,
    local_end,
    local_start,
    moved_from,
    price_text,
)
from shared.domain.classifications import CLASSIFICATIONS
from shared.domain.rich_text import description_html
from shared.domain.times import zone_label
from shared.runtime.browser_security import page_templates, security_headers

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

# No script at all: JSON-LD blocks are data, not scripts, so they stay readable.
SECURITY_HEADERS = security_headers(scripts=False)


def _when(event: Mapping[str, Any]) -> str:
    start = local_start(dict(event))
    end = local_end(dict(event))
    text = start.strftime("%a %d %b %Y, %H:%M")
    if end is not None:
        text += " \N{EN DASH} " + (end.strftime("%H:%M") if end.date() == start.date()
                         else end.strftime("%a %d %b %Y, %H:%M"))  # fmt: skip
    return f"{text} ({zone_label(start)})"


def _iso(value: str) -> str:
    return datetime.fromisoformat(value).isoformat()


def _described(value: str) -> Markup:
    """The description's Markdown as HTML, sanitized (shown.py), so inserted unescaped."""
    return Markup(description_html(value))  # noqa: S704  (sanitized by nh3)


class Pages:
    def __init__(self) -> None:
        self.env = page_templates(TEMPLATES)
        self.env.filters["when"] = _when
        self.env.filters["iso"] = _iso
        self.env.filters["described"] = _described
        self.env.filters["price"] = price_text
        self.env.filters["city_name"] = city_name
        self.env.globals["classifications"] = CLASSIFICATIONS
        self.env.globals["classification_names"] = classification_names
        self.env.globals["moved_from"] = moved_from

    def render(
        self,
        name: str,
        context: Mapping[str, Any],
        status: int = 200,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        html = self.env.get_template(name).render(**{"params": {}, **context})
        return HTMLResponse(
            html, status_code=status, headers={**SECURITY_HEADERS, **(headers or {})}
        )

    def error(self, request: Request, error: PublicError, headers: Mapping[str, str]) -> Response:
        context = {"error": error, "request_id": getattr(request.state, "request_id", None)}
        return self.render("error.html", context, status=error.status, headers=headers)
