"""Pages: Jinja templates with autoescaping, and what every portal answer carries: the
security headers (the portal's own script file and styles only; no framing) and
`Cache-Control: no-store`, because every page shows an account's data."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from starlette.responses import HTMLResponse, Response

from shared.runtime.browser_security import page_templates, security_headers

TEMPLATES = Path(__file__).resolve().parent / "templates"
STATIC = Path(__file__).resolve().parent / "static"
PORTAL_HEADERS = {**security_headers(scripts=True), "Cache-Control": "no-store"}


def _json_text(value: Any) -> str:
    """JSON as a person reads it: indented, characters as they are (`&`, not `\\u0026`).
    Unlike Jinja's `tojson`, not for a script or an attribute: autoescaping makes it safe in
    a page's text."""
    return json.dumps(value, indent=2, ensure_ascii=False)


def _when(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M %Z").strip() if value is not None else ""


class Pages:
    def __init__(self) -> None:
        self.env = page_templates(TEMPLATES)
        self.env.filters["when"] = _when
        self.env.filters["json_text"] = _json_text

    def render(self, name: str, context: Mapping[str, Any], status: int = 200) -> Response:
        html = self.env.get_template(name).render(**context)
        return HTMLResponse(html, status_code=status, headers=PORTAL_HEADERS)


def with_portal_headers(response: Response) -> Response:
    for name, value in PORTAL_HEADERS.items():
        response.headers.setdefault(name, value)
    return response
