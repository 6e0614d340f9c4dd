"""Log lines are JSON whatever a caller sent: pydantic-core writes them, and text it cannot
encode (a lone surrogate from a header) is escaped by the standard library instead."""

from __future__ import annotations

import json
import logging
import sys
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from structlog.stdlib import ProcessorFormatter

from shared.core.logging import RepeatThrottle, configure_logging
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


@pytest.mark.usefixtures("configured")
def test_a_librarys_exception_is_a_traceback_and_its_repeats_are_held_back(
    capsys: pytest.CaptureFixture[str],
) -> None:
    (handler,) = [
        h for h in logging.getLogger().handlers if isinstance(h.formatter, ProcessorFormatter)
    ]
    assert isinstance(handler, logging.StreamHandler)
    handler.setStream(sys.stdout)  # capsys's, which replaced the one it was made with
    library = logging.getLogger("aiokafka.conn")
    try:
        raise ConnectionRefusedError(111, "Connection refused")
    except OSError:
        library.error("Unable connect to node with id %s", 1, exc_info=True)
    for _ in range(50):
        library.error("Unable connect to node with id %s", 1)
    logging.getLogger("services.publisher").error("relay failed; retrying")
    lines = [json.loads(text) for text in capsys.readouterr().out.splitlines()]
    assert [entry["message"] for entry in lines] == [
        "Unable connect to node with id 1",
        "relay failed; retrying",
    ]
    assert "Traceback (most recent call last)" in lines[0]["exception"]
    assert "ConnectionRefusedError" in lines[0]["exception"]


def test_the_throttle_lets_one_through_per_window_and_counts_the_rest() -> None:
    now = [0.0]
    throttle = RepeatThrottle(window_seconds=10, clock=lambda: now[0])

    def record(name: str = "aiokafka.cluster", msg: str = "Unable to update metadata") -> bool:
        made = logging.LogRecord(name, logging.ERROR, "f", 1, msg, None, None)
        passed = throttle.filter(made)
        return (passed and made.getMessage()) or passed

    assert record() == "Unable to update metadata"
    assert [record() for _ in range(3)] == [False, False, False]
    assert record(msg="another template") == "another template"
    assert record("services.gateway") == "Unable to update metadata", "ours always pass"
    now[0] = 10.0
    assert record() == "Unable to update metadata [3 more like it held back]"
    assert record() is False
