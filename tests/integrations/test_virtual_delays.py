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


def test_requests_sent_together_are_all_due_on_one_clock_however_long_sending_took() -> None:
    # A branch whose request comes after work the clock cannot see (a thread of asyncio's own
    # executor, where pydantic-graph's fan-out or a loaded machine can hold a branch back) is
    # still answered in its delay's order when the transport waits for the requests sent together
    answered: list[str] = []

    async def branch(name: str, delay: float, blocking: float, delays: VirtualDelays) -> None:
        if blocking:
            await asyncio.get_running_loop().run_in_executor(None, time.sleep, blocking)
        await delays.wait(delay)
        answered.append(name)

    async def agent() -> None:
        delays = VirtualDelays(together=2)
        await asyncio.gather(branch("late", 0.1, 0, delays), branch("quick", 0, 0.2, delays))

    asyncio.run(agent())
    assert answered == ["quick", "late"]
