"""Admission control: the CoDel-style controller, driven by a fake clock, and the gate in
front of the public API's write routes."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from types import SimpleNamespace

import httpx
import pytest
from hypothesis import given
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.types import Message, Receive, Scope, Send

from services.gateway.access.admission import SojournController, probe_event_loop
from services.gateway.app import PUBLIC_ROWS
from services.gateway.edge.admission import Gate
from services.gateway.edge.errors import EXCEPTION_HANDLERS
from services.gateway.edge.observe import RequestObserver
from services.gateway.edge.routing import api_routes
from services.gateway.public_api import routes as public_api
from services.gateway.settings import RateLimitSettings
from shared.core.metrics import ADMISSION_REJECTED

TARGET, INTERVAL = 0.005, 0.1
# Probe samples: (seconds since the previous one, the sojourn measured), both in seconds.
SAMPLES = st.lists(
    st.tuples(
        st.floats(min_value=0, max_value=0.05, allow_nan=False),
        st.floats(min_value=0, max_value=0.02, allow_nan=False),
    ),
    max_size=200,
)


def controller() -> SojournController:
    return SojournController(TARGET, INTERVAL)


def refusing_now() -> SojournController:
    return SojournController(TARGET, INTERVAL, refusing=True)


def test_admits_while_the_sojourn_stays_below_the_target() -> None:
    c = controller()
    for tick in range(100):
        c.observe(TARGET * 0.9, tick * 0.01)
    assert not c.refusing


def test_a_burst_shorter_than_the_interval_is_absorbed() -> None:
    c = controller()
    c.observe(0.5, 0.0)
    c.observe(0.5, INTERVAL * 0.9)
    assert not c.refusing
    c.observe(0.001, INTERVAL * 1.5)  # the queue drained: the clock starts again
    c.observe(0.5, INTERVAL * 2.0)
    assert not c.refusing


def test_a_standing_queue_refuses_after_one_interval_and_admits_at_the_first_low_sample() -> None:
    c = controller()
    c.observe(0.02, 1.0)
    assert not c.refusing
    c.observe(0.02, 1.0 + INTERVAL)
    assert c.refusing
    c.observe(0.03, 5.0)  # still above: stays refusing however long it lasts
    assert c.refusing
    c.observe(TARGET / 2, 5.01)
    assert not c.refusing
    c.observe(0.02, 5.02)  # above again: a whole new interval before refusing again
    assert not c.refusing


def test_exactly_the_target_counts_as_above() -> None:
    c = controller()
    c.observe(TARGET, 0.0)
    c.observe(TARGET, INTERVAL)
    assert c.refusing


@given(SAMPLES)
def test_refuses_exactly_when_the_latest_run_above_target_spans_an_interval(
    samples: list[tuple[float, float]],
) -> None:
    c = controller()
    now, run_started = 0.0, None
    for gap, sojourn in samples:
        now += gap
        c.observe(sojourn, now)
        if sojourn < TARGET:
            run_started = None
        elif run_started is None:
            run_started = now
        expected = run_started is not None and now - run_started >= INTERVAL
        assert c.refusing == expected


def test_a_queue_back_soon_after_refusing_stopped_is_refused_at_once() -> None:
    c = SojournController(TARGET, INTERVAL, reentry=16 * INTERVAL)
    c.observe(0.02, 1.0)
    c.observe(0.02, 1.0 + INTERVAL)
    assert c.refusing
    c.observe(TARGET / 2, 1.2)  # drained for a moment: admitting
    assert not c.refusing
    c.observe(0.02, 1.21)  # back within the re-entry time: no new interval
    assert c.refusing
    c.observe(TARGET / 2, 1.22)
    c.observe(0.02, 1.22 + 16 * INTERVAL)  # long after: a whole interval again
    assert not c.refusing
    c.observe(0.02, 1.22 + 18 * INTERVAL)
    assert c.refusing


@given(SAMPLES)
def test_with_reentry_a_shorter_run_refuses_soon_after_refusing(
    samples: list[tuple[float, float]],
) -> None:
    reentry, hold = 3 * INTERVAL, INTERVAL / 5
    c = SojournController(TARGET, INTERVAL, reentry=reentry, reentry_interval=hold)
    now, run_started, stopped, was = 0.0, None, None, False
    for gap, sojourn in samples:
        now += gap
        c.observe(sojourn, now)
        if sojourn < TARGET:
            run_started, expected = None, False
            stopped = now if was else stopped
        else:
            run_started = now if run_started is None else run_started
            soon = stopped is not None and now - stopped < reentry
            expected = now - run_started >= (hold if soon else INTERVAL)
        assert c.refusing == expected
        was = expected


def test_one_late_sample_soon_after_refusing_refuses_nothing_with_a_hold() -> None:
    hold = INTERVAL / 5
    c = SojournController(TARGET, INTERVAL, reentry=16 * INTERVAL, reentry_interval=hold)
    c.observe(0.02, 1.0)
    c.observe(0.02, 1.0 + INTERVAL)
    c.observe(TARGET / 2, 1.2)
    c.observe(0.05, 1.21)  # one large request parsed in one go
    assert not c.refusing
    c.observe(TARGET / 2, 1.215)
    c.observe(0.02, 1.22)
    c.observe(0.02, 1.22 + hold * 1.01)  # the queue stays: refused after the hold
    assert c.refusing


# Settings and an audit trail that keeps nothing: reference data counts in the per-IP quota,
# off here, and every answer is audited.
_NO_CLIENTS = SimpleNamespace(
    settings=SimpleNamespace(rate_limits=RateLimitSettings(enabled=False)),
    writer=SimpleNamespace(write_audit=lambda record: None),
)


def _client(gate: Gate) -> httpx.AsyncClient:
    """The public API's routes behind `gate`, without the gateway's clients: only routes that
    need none (refusals, reference data with quotas off) can answer."""
    app = Starlette(
        routes=api_routes(PUBLIC_ROWS, public_api.DOCUMENT),
        exception_handlers=EXCEPTION_HANDLERS,  # type: ignore[arg-type]
        middleware=[Middleware(RequestObserver, gate=gate)],
    )

    async def without_clients(scope: Scope, receive: Receive, send: Send) -> None:
        scope["state"] = {"gateway": _NO_CLIENTS}  # what the lifespan would have put there
        await app(scope, receive, send)

    transport = httpx.ASGITransport(app=without_clients)
    return httpx.AsyncClient(transport=transport, base_url="http://gateway")


def _concrete(path: str) -> str:
    return re.sub(r"{[^}]+}", "00000000-0000-4000-8000-000000000001", path).replace(
        "/webhooks/00000000-0000-4000-8000-000000000001/", "/webhooks/generic/"
    )


async def test_every_write_route_answers_503_overloaded_at_once_while_refusing() -> None:
    gate = Gate([refusing_now()], PUBLIC_ROWS, 2)
    writes = [row for row in PUBLIC_ROWS if row.method != "GET"]
    assert {"/api/public/v1/events", "/api/public/v1/events/batch"} <= {r.path for r in writes}
    assert any(row.path.startswith("/webhooks/") for row in writes)
    async with _client(gate) as client:
        for row in writes:
            before = ADMISSION_REJECTED.labels(row.path)._value.get()
            # No credentials and no body: refused before either is looked at.
            answer = await client.request(row.method, _concrete(row.path))
            assert answer.status_code == 503, row.path
            assert answer.headers["Retry-After"] == "2"
            error = answer.json()["error"]
            assert error["code"] == "overloaded"
            assert error["requestId"] == answer.headers["x-request-id"]
            assert ADMISSION_REJECTED.labels(row.path)._value.get() == before + 1


async def test_reads_pass_a_refusing_gate() -> None:
    gate = Gate([refusing_now()], PUBLIC_ROWS, 1)
    async with _client(gate) as client:
        answer = await client.get("/api/public/v1/classifications")
    assert answer.status_code == 200


class _Sent(list[Message]):
    """An ASGI `send` that keeps what it is given."""

    async def __call__(self, message: Message) -> None:
        self.append(message)


def _post(path: str) -> Scope:
    return {"type": "http", "method": "POST", "path": path, "headers": []}


async def test_writes_go_on_while_admitting_and_other_writes_always() -> None:
    send = sent = _Sent()
    admitting = Gate([controller()], PUBLIC_ROWS, 1)
    assert not await admitting.refused(_post("/api/public/v1/events"), send, "req_1", 0.0)
    refusing = Gate([refusing_now()], PUBLIC_ROWS, 1)
    # Key management is not behind the gate: an owner can act on an overloaded deployment.
    assert not await refusing.refused(_post("/api/developer/v1/keys"), send, "req_2", 0.0)
    assert sent == []


@pytest.mark.parametrize(("singles_refused", "batches_refused"), [(True, False), (False, True)])
async def test_the_batch_endpoint_answers_to_its_own_controllers(
    singles_refused: bool, batches_refused: bool
) -> None:
    def one(refused: bool) -> SojournController:
        return refusing_now() if refused else controller()

    own = {public_api.BATCH_OPERATION_ID: [one(batches_refused)]}
    gate = Gate([one(singles_refused)], PUBLIC_ROWS, 1, own=own)
    for path, refused in (
        ("/api/public/v1/events", singles_refused),
        ("/api/public/v1/events/batch", batches_refused),
    ):
        sent = _Sent()
        assert await gate.refused(_post(path), sent, "req_1", 0.0) is refused
        assert [m["status"] for m in sent if "status" in m] == ([503] if refused else [])


async def test_the_probe_feeds_every_loop_controller_the_same_lateness() -> None:
    strict = SojournController(0.001, 0.0, "strict")
    lenient = SojournController(10.0, 0.0, "lenient")
    probe = asyncio.create_task(probe_event_loop((strict, lenient), 0.001))
    await asyncio.sleep(0.005)
    time.sleep(0.02)  # noqa: ASYNC251  (holds the loop on purpose: the probe wakes ~20 ms late)
    await asyncio.sleep(0.005)
    probe.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await probe
    assert strict.refusing or strict.stopped_at is not None
    assert not lenient.refusing
    assert lenient.stopped_at is None
    assert lenient.above_since is None
