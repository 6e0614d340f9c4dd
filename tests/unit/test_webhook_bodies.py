"""Delivery bodies as senders send them: compressed, vendor JSON types, WooCommerce's ping."""

from __future__ import annotations

import gzip
import zlib

import pytest

from shared.domain.senders.bodies import (
    BodyTooLarge,
    UnsupportedEncoding,
    decoded,
    is_json,
    is_woocommerce_ping,
)

BODY = b'{"id": "doc-1", "title": "Jazz"}'


@pytest.mark.parametrize(
    ("encoding", "raw"),
    [
        (None, BODY),
        ("identity", BODY),
        ("gzip", gzip.compress(BODY)),
        ("GZIP", gzip.compress(BODY)),
        ("deflate", zlib.compress(BODY)),
        ("deflate", zlib.compress(BODY)[2:-4]),  # raw deflate, without the zlib wrapper
        ("deflate, gzip", gzip.compress(zlib.compress(BODY))),
    ],
)
def test_compressed_bodies_are_decoded(encoding: str | None, raw: bytes) -> None:
    assert decoded(raw, encoding, limit=1024) == BODY


def test_a_compressed_body_cannot_decode_past_the_limit() -> None:
    bomb = gzip.compress(b"{" + b" " * 10_000_000 + b"}")
    assert len(bomb) < 20_000
    with pytest.raises(BodyTooLarge):
        decoded(bomb, "gzip", limit=1_048_576)


@pytest.mark.parametrize("encoding", ["br", "zstd", "compress"])
def test_other_codings_are_refused_by_name(encoding: str) -> None:
    with pytest.raises(UnsupportedEncoding, match=encoding):
        decoded(BODY, encoding, limit=1024)


def test_a_corrupt_gzip_body_is_an_error() -> None:
    with pytest.raises(zlib.error):
        decoded(gzip.compress(BODY)[:-10], "gzip", limit=1024)


@pytest.mark.parametrize(
    ("content_type", "json"),
    [
        ("application/json", True),
        ("application/json; charset=UTF-8", True),
        ("application/vnd.contentful.management.v1+json", True),
        ("application/cloudevents+json", True),
        (None, True),
        ("application/x-www-form-urlencoded", False),
        ("text/html", False),
    ],
)
def test_json_media_types(content_type: str | None, json: bool) -> None:
    assert is_json(content_type) is json


@pytest.mark.parametrize(
    ("body", "ping"),
    [
        (b"webhook_id=17", True),
        (b"webhook_id=17\n", True),
        (b"webhook_id=17&x=1", False),
        (b"webhook_id=", False),
        (b'{"webhook_id": 17}', False),
    ],
)
def test_the_woocommerce_ping_is_exactly_its_form_body(body: bytes, ping: bool) -> None:
    assert is_woocommerce_ping(body) is ping
