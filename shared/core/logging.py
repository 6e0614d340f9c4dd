"""structlog set-up: JSON lines on stdout, context bound per request or message."""

from __future__ import annotations

import json
import logging
import sys
import time
from collections.abc import Callable
from typing import Any, TextIO

import structlog
from pydantic_core import PydanticSerializationError, to_json

from shared.core.settings import LogSettings


class LineWriter:
    """A structlog logger writing one line per event. With `flush_each` off, lines are held
    until `flush_logs()` and written in one call: consumers flush once per batch, not once
    per message (a system call per line was 7% of the publisher draining a backlog). A crash
    then loses only the lines of the batch in progress, which is uncommitted and will be
    applied, and logged, again. Warnings and errors are always written at once, so a consumer
    retrying through an outage does not hold them back."""

    def __init__(self, stream: TextIO, flush_each: bool) -> None:
        self._stream = stream
        self._flush_each = flush_each

    def msg(self, message: str) -> None:
        if self._flush_each:
            self._stream.write(message + "\n")
            self._stream.flush()
        else:
            _held.append(message)

    def urgent(self, message: str) -> None:
        _held.append(message)
        flush_logs(self._stream)

    log = debug = info = msg
    warn = warning = error = err = critical = exception = fatal = urgent


_held: list[str] = []


def flush_logs(stream: TextIO | None = None) -> None:
    if _held:
        target = stream or sys.stdout
        target.write("\n".join(_held) + "\n")
        target.flush()
        _held.clear()


def _dumps(event: dict[str, Any], **options: Any) -> str:
    """pydantic-core's JSON, four times as fast as the standard library's (a log line per
    request and per command); text it cannot encode (a lone surrogate from a caller's header)
    goes through the standard library, which escapes it."""
    try:
        return to_json(event, fallback=options.get("default", repr)).decode()
    except PydanticSerializationError:
        return json.dumps(event, **options)


class RepeatThrottle(logging.Filter):
    """Lets one record of each (logger, message template, level) of the libraries `noisy`
    names through per `window_seconds`, and says in the next one let through how many it held
    back. While a broker is down aiokafka logs an ERROR per connection attempt, about 180
    lines a second from one publisher, which buried the services' own lines ("relay failed;
    retrying", with their backoff). Other loggers' records always pass."""

    def __init__(
        self,
        noisy: tuple[str, ...] = ("aiokafka", "kafka", "asyncpg"),
        window_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        max_templates: int = 1000,
    ) -> None:
        super().__init__()
        self._noisy = noisy
        self._window = window_seconds
        self._clock = clock
        self._max_templates = max_templates
        # template -> (when one was last let through, how many were held back since)
        self._seen: dict[tuple[str, str, int], tuple[float, int]] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(self._noisy):
            return True
        key, now = (record.name, str(record.msg), record.levelno), self._clock()
        last = self._seen.get(key)
        if last is not None and now - last[0] < self._window:
            self._seen[key] = (last[0], last[1] + 1)
            return False
        if len(self._seen) >= self._max_templates:
            self._seen.clear()
        self._seen[key] = (now, 0)
        if last is not None and last[1]:
            # Text without %: the record's args still format the template.
            record.msg = f"{record.msg} [{last[1]} more like it held back]"
        return True


def configure_logging(service: str, settings: LogSettings, flush_each_line: bool = True) -> None:
    """Route structlog and the standard library (aiokafka, uvicorn) through one JSON renderer."""
    renderer: structlog.types.Processor = (
        structlog.processors.JSONRenderer(serializer=_dumps)
        if settings.format == "json"
        else structlog.dev.ConsoleRenderer()
    )
    shared_processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        structlog.processors.EventRenamer("message"),
    ]
    structlog.configure(
        processors=[
            *shared_processors,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(settings.level)),
        logger_factory=lambda *_: LineWriter(sys.stdout, flush_each_line),
        cache_logger_on_first_use=True,
    )
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(service=service)
    _route_stdlib_logging(shared_processors, renderer, settings.level)


def _route_stdlib_logging(
    shared_processors: list[structlog.types.Processor],
    renderer: structlog.types.Processor,
    level: str,
) -> None:
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            # A library's exc_info as a traceback, not as the tuple's reprs.
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(formatter)
    handler.addFilter(RepeatThrottle())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # uvicorn's access log duplicates our one summary line per request.
    logging.getLogger("uvicorn.access").disabled = True
    for noisy in ("aiokafka", "kafka"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
