"""Found by the pydantic-ai probe: a connection blocked on replay names the function the
agent's code called that made it (``made by: ..., called at app.py:N (in Agent.handle)``),
found by walking the stack outwards from the connection. An async HTTP client (``httpx``'s
``AsyncClient``, which a pydantic-ai tool awaits) connects in a task of an anyio task group
(its happy eyeballs), whose stack ends in anyio: the line was missing, and the message said
"mock the function that makes this call" with no word of which. The walk goes on through the
stacks the tasks that started that task await."""

from __future__ import annotations

import pytest

pytest.importorskip("httpx")

AGENT = """
import asyncio

import httpx


def complete(prompt):
    return "answer to " + prompt


async def fetch_price(client, item):
    return (await client.get("http://127.0.0.1:9/price", params={"q": item})).text


class Agent:
    async def handle(self, message):
        answer = complete(message)
        try:  # an unmocked call the agent makes itself, its error swallowed
            async with httpx.AsyncClient() as client:
                await fetch_price(client, message)
        except Exception:
            pass
        return answer
"""

TEST = """
import asyncio

import pytest

from netapp import Agent


@pytest.mark.replay("goldens/net.ckpt", mock={"llm": "netapp.complete"})
def test_net(replay):
    assert asyncio.run(replay.run(Agent().handle, "hi")) == "answer to hi"
"""


def test_a_connection_an_async_client_makes_in_an_anyio_task_names_the_agents_call(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(netapp=AGENT, test_net=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    line = (
        AGENT.strip("\n")
        .splitlines()
        .index('    return (await client.get("http://127.0.0.1:9/price", params={"q": item})).text')
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*  made by: httpx._client.AsyncClient.get, called at "
            f"netapp.py:{line + 1} (in fetch_price)"
        ]
    )
