"""A long loop with TimeSlice checkpoints lets other tasks run between its slices."""

from __future__ import annotations

import asyncio

from shared.core.slices import TimeSlice


async def _interleaving(budget_seconds: float, steps: int = 50) -> list[str]:
    """The order in which a long loop's steps and another ready task ran."""
    order: list[str] = []

    async def long_loop() -> None:
        work = TimeSlice(budget_seconds)
        for _ in range(steps):
            await work.checkpoint()
            order.append("step")

    async def neighbour() -> None:
        order.append("neighbour")

    loop_task = asyncio.create_task(long_loop())
    neighbour_task = asyncio.create_task(neighbour())
    await asyncio.gather(loop_task, neighbour_task)
    return order


async def test_a_spent_budget_hands_the_loop_to_a_waiting_task() -> None:
    order = await _interleaving(budget_seconds=0.0)
    # The neighbour, ready since the start, runs before the loop's second step.
    assert order.index("neighbour") <= 1
    assert order.count("step") == 50


async def test_within_its_budget_a_loop_keeps_the_event_loop() -> None:
    order = await _interleaving(budget_seconds=3600.0)
    assert order == ["step"] * 50 + ["neighbour"]
