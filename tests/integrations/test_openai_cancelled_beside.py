"""An ``AsyncOpenAI`` call cut off by the agent's timeout while a call of another task went on.

Recorded, the steady task's call started first and was still running when the hurried task's
call started (to be cut off by its ``asyncio.wait_for``): on replay the steady call completes
once the hurried one has been made, as when recorded. The replay of a call cancelled when
recorded waits to be cancelled again, and did not tell the replay's completion order that it had
been made: the steady call waited out its idle passes of the event loop and its patience for a
call already made (every replay slower, by as long as the recorded gap).

A call of another task that ended after the cut-off call's cancellation when recorded waited
only for it to be made: on replay it completed before the timeout cut the call off again, and
what the agent did in the order its tasks finished came out in another order."""

from __future__ import annotations

from collections.abc import Callable

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)

from .harness import Stack

ACREATE = "openai.resources.chat.completions.AsyncCompletions.create"

TEST = f"""
import asyncio

import httpx2
import openai
import pytest

import services
from pytest_clearstone.golden.completion import IDLE_PASSES

MADE = None


async def answer(request):
    if b"hurried" in request.content:  # never answered: the agent's timeout cuts it off
        MADE.set()
        await asyncio.Event().wait()
    await MADE.wait()  # the steady call is answered once the hurried one was made
    return services.OPENAI.handler(request)


class Agent:
    def __init__(self, client):
        self.client = client
        self.answers = {{}}

    async def ask(self, prompt):
        reply = await self.client.chat.completions.create(
            model="gpt-4o-mini", messages=[{{"role": "user", "content": prompt}}])
        self.answers[prompt] = reply.choices[0].message.content

    async def hurried(self, prompt):
        try:
            await asyncio.wait_for(self.ask(prompt), 0.05)
        except asyncio.TimeoutError:
            self.answers[prompt] = "timed out"

    async def run(self):
        await asyncio.gather(self.ask("steady question"), self.hurried("hurried question"))
        return dict(sorted(self.answers.items()))


@pytest.mark.replay(mock={{"llm": "{ACREATE}"}})
def test_agent(replay):
    global MADE
    MADE = asyncio.Event()
    client = openai.AsyncOpenAI(
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(answer)), max_retries=0)
    agent = Agent(client)

    async def main():
        passes = 0

        async def count_passes():  # the event loop's passes until the steady call completed
            nonlocal passes
            while "steady question" not in agent.answers:
                passes += 1
                await asyncio.sleep(0)

        counting = asyncio.ensure_future(count_passes())
        answers = await replay.run(agent.run)
        await counting
        return answers, passes

    answers, passes = asyncio.run(main())
    assert answers["hurried question"] == "timed out"
    assert "steady question" in answers["steady question"]
    if replay.mode == "replay":
        # (answered once the hurried call was made: no idle passes waited for it)
        assert passes < IDLE_PASSES, passes
"""


def test_a_call_waiting_for_a_call_cut_off_by_a_timeout_to_start_goes_on_once_it_is_made(
    make_stack: Callable[..., Stack],
) -> None:
    stack = make_stack()
    stack.write_test("cut_off", TEST)
    stack.roundtrip()


FINISHED_AFTER = f"""
import asyncio

import httpx2
import openai
import pytest

import services

AGENT = None


async def answer(request):
    if b"hurried" in request.content:  # never answered: the agent's timeout cuts it off
        await asyncio.Event().wait()
    while "hurried question" not in AGENT.finished:  # answered once the agent timed out
        await asyncio.sleep(0)
    return services.OPENAI.handler(request)


class Agent:
    def __init__(self, client):
        self.client = client
        self.finished = []

    async def ask(self, prompt):
        reply = await self.client.chat.completions.create(
            model="gpt-4o-mini", messages=[{{"role": "user", "content": prompt}}])
        self.finished.append(prompt)
        return reply.choices[0].message.content

    async def hurried(self, prompt):
        try:
            await asyncio.wait_for(self.ask(prompt), 0.05)
        except asyncio.TimeoutError:
            self.finished.append(prompt)

    async def run(self):
        await asyncio.gather(self.ask("steady question"), self.hurried("hurried question"))
        return self.finished


@pytest.mark.replay(mock={{"llm": "{ACREATE}"}})
def test_agent(replay):
    global AGENT
    client = openai.AsyncOpenAI(
        http_client=httpx2.AsyncClient(transport=httpx2.MockTransport(answer)), max_retries=0)
    AGENT = Agent(client)
    assert asyncio.run(replay.run(AGENT.run)) == ["hurried question", "steady question"]
"""


def test_a_call_that_ended_after_a_call_cut_off_by_a_timeout_waits_for_its_cancellation(
    make_stack: Callable[..., Stack],
) -> None:
    stack = make_stack()
    stack.write_test("finished_after", FINISHED_AFTER)
    stack.roundtrip()
