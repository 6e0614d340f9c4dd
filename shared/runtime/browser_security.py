"""What every server-rendered page and its cookies carry, for the people pages (discovery)
and the developer portal (gateway) alike: the security headers, session cookies that
scripts cannot read and other sites cannot send, and redirects that stay on the site.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import HTTPConnection
from starlette.responses import Response


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
