"""A delivery's bytes as its sender sent them: decompressed, typed, or recognised as a ping.

`Content-Encoding: gzip` and `deflate` (zlib-wrapped, as HTTP defines it, or raw, as some
servers send it) are decoded, stopping at a limit on the decoded size (the same limit as a
plain body's, so compression cannot smuggle in a larger one); `identity` is none; anything
else (br, zstd, compress) is refused. JSON is `application/json` or any vendor `+json` type
(Contentful's `application/vnd.contentful.management.v1+json`); a body sent without a type
is read as JSON too, as senders often omit it.
"""

from __future__ import annotations

import re
import zlib


class BodyTooLarge(ValueError):
    """The decoded body is larger than the limit."""


class UnsupportedEncoding(ValueError):
    """A content coding we do not decode; the message names it."""


_CHUNK = 64 * 1024


def decoded(raw: bytes, content_encoding: str | None, limit: int) -> bytes:
    """`raw` with its content codings undone, in the reverse of the order they were applied.
    Raises BodyTooLarge past `limit` decoded bytes, UnsupportedEncoding for other codings."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    body = raw
    for coding in reversed(codings):
        if coding in ("identity", ""):
            continue
        if coding in ("gzip", "x-gzip"):
            body = _inflate(body, zlib.MAX_WBITS | 16, limit)
        elif coding == "deflate":
            try:
                body = _inflate(body, zlib.MAX_WBITS, limit)
            except zlib.error:  # raw deflate, as some servers send it
                body = _inflate(body, -zlib.MAX_WBITS, limit)
        else:
            raise UnsupportedEncoding(
                f"Content-Encoding '{coding}' is not supported; send the body plain, gzip "
                "or deflate"
            )
    return body


def _inflate(data: bytes, wbits: int, limit: int) -> bytes:
    inflater = zlib.decompressobj(wbits)
    out = bytearray()
    pending = data
    while pending:
        out += inflater.decompress(pending, limit + 1 - len(out))
        if len(out) > limit:
            raise BodyTooLarge(f"the decoded body is larger than the limit of {limit} bytes")
        pending = inflater.unconsumed_tail
    if not inflater.eof:
        raise zlib.error("incomplete compressed body")
    return bytes(out)


def is_json(content_type: str | None) -> bool:
    """application/json, a vendor `+json` type, or no type at all."""
    media_type = (content_type or "").split(";")[0].strip().lower()
    return media_type in ("", "application/json", "text/json") or (
        media_type.startswith("application/") and media_type.endswith("+json")
    )


# WooCommerce's `WC_Webhook::deliver_ping()` posts exactly this, unsigned, when a webhook is
# saved, and marks the webhook failing unless the answer is 200.
_WOOCOMMERCE_PING = re.compile(rb"webhook_id=\d{1,20}")


def is_woocommerce_ping(body: bytes) -> bool:
    return _WOOCOMMERCE_PING.fullmatch(body.strip()) is not None
