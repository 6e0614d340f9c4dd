"""Log lines are JSON whatever a caller sent: pydantic-core writes them, and text it cannot
encode (a lone surrogate from a header) is escaped by the standard library instead."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import structlog

from shared.core.logging import configure_logging
from shared.core.settings import LogSettings


@pytest.fixture
def configured() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    configure_logging("test", LogSettings())
    yield
    structlog.reset_defaults()
    structlog.contextvars.clear_contextvars()
    root.handlers[:], root.level = handlers, level


def line(capsys: pytest.CaptureFixture[str]) -> dict[str, Any]:
    written: dict[str, Any] = json.loads(capsys.readouterr().out)
    return written


@pytest.mark.usefixtures("configured")
def test_a_line_is_one_json_object_with_context_and_level(
    capsys: pytest.CaptureFixture[str],
) -> None:
    key_id = uuid.uuid4()
    structlog.contextvars.bind_contextvars(request_id="req_12345678")
    structlog.get_logger("t").info("request", status=202, key_id=key_id, agent="café")
    written = line(capsys)
    assert written["message"] == "request"
    assert (written["status"], written["key_id"], written["agent"]) == (202, str(key_id), "café")
    assert (written["service"], written["request_id"]) == ("test", "req_12345678")


@pytest.mark.usefixtures("configured")
def test_a_lone_surrogate_is_escaped_not_lost(capsys: pytest.CaptureFixture[str]) -> None:
    structlog.get_logger("t").info("request", agent="bad\udcff")
    assert line(capsys)["agent"] == "bad\udcff"
