"""What every server-rendered page and its cookies carry, for the people pages (discovery)
and the developer portal (gateway) alike: templates that escape everything they insert, the
security headers, session cookies that scripts cannot read and other sites cannot send, and
redirects that stay on the site.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.requests import HTTPConnection
from starlette.responses import Response


def page_templates(folder: Path) -> Environment:
    """Jinja templates from `folder`, autoescaped, with `query(params, **changes)` for links
    that keep a page's filters."""
    env = Environment(
        loader=FileSystemLoader(folder),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["query"] = query_string
    return env


def query_string(params: Mapping[str, Any], **changes: Any) -> str:
    """`params` with `changes`, empty values left out, as a URL query."""
    merged = {k: v for k, v in {**params, **changes}.items() if v not in (None, "")}
    return urlencode(merged)


def content_security_policy(scripts: bool = False) -> str:
    """Nothing from elsewhere, no inline anything; `scripts` allows the site's own script
    files (never inline ones). No page may be framed (clickjacking)."""
    script = "script-src 'self'; connect-src 'self'; " if scripts else ""
    return (
        f"default-src 'none'; {script}style-src 'self'; img-src 'self' https:; "
        "form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
    )


def security_headers(scripts: bool = False) -> dict[str, str]:
    return {
        "Content-Security-Policy": content_security_policy(scripts),
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
        "X-Frame-Options": "DENY",
    }


def set_secret_cookie(
    connection: HTTPConnection[Any],
    response: Response,
    name: str,
    value: str,
    *,
    max_age: int | None = None,
    path: str = "/",
    samesite: str = "lax",
) -> None:
    """A cookie no script can read, sent only over TLS when the page came over TLS (a
    trusted proxy's X-Forwarded-Proto counts), and by the browser only to this site's
    requests (`samesite`) under `path`."""
    response.set_cookie(
        name,
        value,
        max_age=max_age,
        path=path,
        httponly=True,
        secure=connection.url.scheme == "https",
        samesite=samesite,  # type: ignore[arg-type]  # starlette's Literal
    )


def clear_secret_cookie(response: Response, name: str, path: str = "/") -> None:
    response.delete_cookie(name, path=path, httponly=True, samesite="lax")


def safe_next(raw: str | None, default: str, within: str = "/") -> str:
    """`raw` when it is a path on this site under `within`, else `default`: never an open
    redirect (`//host`, `/\\host` and absolute URLs are refused)."""
    if (
        raw
        and raw.startswith(within)
        and raw.startswith("/")
        and not raw.startswith("//")
        and "\\" not in raw
        and not any(c in raw for c in "\r\n\t")
    ):
        return raw
    return default
