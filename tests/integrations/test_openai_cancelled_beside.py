"""An ``AsyncOpenAI`` call cut off by the agent's timeout while a call of another task went on.

Recorded, the steady task's call started first and was still running when the hurried task's
call started (and was cut off by its ``asyncio.wait_for``): on replay the steady call completes
once the hurried one has been made, as when recorded. The replay of a call cancelled when
recorded waits to be cancelled again, and did not tell the replay's completion order that it had
been made: the steady call waited out its idle passes of the event loop and its patience for a
call already made (every replay slower, by as long as the recorded gap)."""

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

CUT_OFF = None


async def answer(request):
    if b"hurried" in request.content:  # never answered: the agent's timeout cuts it off
        try:
            await asyncio.Event().wait()
        finally:
            CUT_OFF.set()
    await CUT_OFF.wait()  # the steady call is answered once the hurried one was cut off
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
    global CUT_OFF
    CUT_OFF = asyncio.Event()
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
