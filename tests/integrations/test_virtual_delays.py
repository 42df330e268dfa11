"""The virtual clock the slow fake services answer on (``services.VirtualDelays``): answers come
in the order of their delays however long the agent's own work before a request takes, worker
threads included (the OpenAI client asks ``get_platform`` in one before its first request)."""

from __future__ import annotations

import asyncio
import time

import anyio.to_thread

from .services import VirtualDelays


def test_a_request_sent_after_a_call_in_a_worker_thread_is_answered_in_its_delays_order() -> None:
    answered: list[str] = []

    async def branch(name: str, delay: float, blocking: float, delays: VirtualDelays) -> None:
        if blocking:
            await anyio.to_thread.run_sync(time.sleep, blocking)
        await delays.wait(delay)
        answered.append(name)

    async def agent() -> None:
        delays = VirtualDelays()
        await asyncio.gather(branch("late", 0.1, 0, delays), branch("quick", 0, 0.05, delays))

    asyncio.run(agent())
    assert answered == ["quick", "late"]


def test_answers_come_in_the_order_of_their_delays_not_of_their_requests() -> None:
    answered: list[str] = []

    async def agent() -> None:
        delays = VirtualDelays()

        async def ask(name: str, delay: float) -> None:
            await delays.wait(delay)
            answered.append(name)

        await asyncio.gather(ask("alps", 0.75), ask("bees", 0.3), ask("cats", 0.1), ask("Egypt", 0))

    asyncio.run(agent())
    assert answered == ["Egypt", "cats", "bees", "alps"]
