"""The ops routes' answers: readiness names the cause of a failure, and probes and scrapes
do not fill the logs."""

from __future__ import annotations

import logging

import httpx
from aiokafka.errors import KafkaConnectionError
from starlette.applications import Starlette

from shared.runtime.ops_http import ops_routes, request_log_level


async def test_readiness_names_the_failure_and_its_cause() -> None:
    async def kafka() -> None:
        raise KafkaConnectionError("Unable to bootstrap from [('127.0.0.1', 9092)]")

    async def postgres() -> None:
        raise ConnectionRefusedError()

    async def fine() -> None:
        return None

    app = Starlette(routes=ops_routes({"kafka": kafka, "postgres": postgres, "x": fine}, ()))
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://ops") as client:
        answer = await client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["checks"] == {
        "kafka": "failed: KafkaConnectionError: Unable to bootstrap from [('127.0.0.1', 9092)]",
        "postgres": "failed: ConnectionRefusedError",
        "x": "ok",
    }


def test_probes_and_scrapes_log_at_debug_while_they_succeed() -> None:
    assert request_log_level("/metrics", 200) == logging.DEBUG
    assert request_log_level("/healthz", 200) == logging.DEBUG
    assert request_log_level("/readyz", 503) == logging.INFO
    assert request_log_level("/api/public/v1/events", 201) == logging.INFO
