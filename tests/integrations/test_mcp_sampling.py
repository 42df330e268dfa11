"""An MCP tool that asks the client's model (sampling: the server's
``ctx.session.create_message``), the agent's ``sampling_callback`` calling openai, the model
mocked beside ``mcp.ClientSession.call_tool``.

The session runs its callbacks in its own receive loop, a task started when the session was
opened, not in the task of the call that waits for the tool: the model call the callback made
while the recorded ``call_tool`` ran was recorded as a call of its own. A replay answers
``call_tool`` without running it, so the server never asks and the callback never calls the
model: every replay failed with ``UnusedResponsesError`` ("the agent now skips calls it used to
make", re-record), which re-recording did not change. A callback of the session now runs as a
part of the recorded call it serves: live, and inside it, so what it calls is not recorded (and
not expected on replay), as for a session opened inside a mocked function of the agent's own.
"""

from __future__ import annotations

import json

import pytest

from .harness import Stack

SERVER = '''
import warnings

import mcp.types as types
from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("critic", log_level="WARNING")


@server.tool()
async def review(title: str, ctx: Context) -> str:
    """Review a painting with the client's model."""
    with warnings.catch_warnings():  # (mcp 2.3 deprecates sampling)
        warnings.simplefilter("ignore")
        answer = await ctx.request_context.session.create_message(
            messages=[types.SamplingMessage(
                role="user", content=types.TextContent(type="text", text=f"Review {title}"))],
            max_tokens=50,
            related_request_id=ctx.request_id,
        )
    return f"review: {answer.content.text}"


@server.tool()
async def capabilities(ctx: Context) -> str:
    """What the client said it can do."""
    declared = ctx.request_context.session.client_capabilities
    return " ".join(f"{name}={getattr(declared, name) is not None}"
                    for name in ("sampling", "roots", "elicitation"))


if __name__ == "__main__":
    server.run()
'''

AGENT = """
import sys

import mcp.types as types
from mcp import Client, ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client

STDIO = StdioServerParameters(command=sys.executable, args=["critic_server.py"])


class Critic:
    def __init__(self, llm):
        self.llm = llm
        self.reviews = []

    def get_state(self):
        return {"reviews": self.reviews}

    def load_state(self, state):
        self.reviews = list(state["reviews"])

    async def ask(self, text):
        completion = await self.llm.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": text}])
        return completion.choices[0].message.content

    async def sample(self, context, params):  # (mcp's sampling_callback)
        answer = await self.ask(params.messages[0].content.text)
        return types.CreateMessageResult(role="assistant", model="gpt-4o-mini",
                                         content=types.TextContent(type="text", text=answer))

    async def review_stdio(self, title):
        async with stdio_client(STDIO) as (read, write):
            async with ClientSession(read, write, sampling_callback=self.sample) as session:
                await session.initialize()
                result = await session.call_tool("review", {"title": title})
        return await self.summarise(result.content[0].text)

    async def review_client(self, title):
        async with Client(STDIO, sampling_callback=self.sample, mode="legacy") as client:
            result = await client.call_tool("review", {"title": title})
        return await self.summarise(result.content[0].text)

    async def review_live(self, title):  # (call_tool live, after a recorded list_tools)
        async with stdio_client(STDIO) as (read, write):
            async with ClientSession(read, write, sampling_callback=self.sample) as session:
                await session.initialize()
                await session.list_tools()
                result = await session.call_tool("review", {"title": title})
        return await self.summarise(result.content[0].text)

    async def capabilities(self):
        async with stdio_client(STDIO) as (read, write):
            async with ClientSession(read, write, sampling_callback=self.sample) as session:
                await session.initialize()
                result = await session.call_tool("capabilities", {})
        return await self.summarise(result.content[0].text)

    async def summarise(self, review):
        self.reviews.append(review)
        return await self.ask(f"Summarise {review}")
"""

TESTS = """
import asyncio

import pytest

import critic_agent as app

LLM = "openai.resources.chat.completions.AsyncCompletions.create"
SESSION = ["mcp.ClientSession.initialize", "mcp.ClientSession.list_tools",
           "mcp.ClientSession.call_tool"]


@pytest.mark.replay(mock={"llm": LLM, "tool": SESSION})
def test_review(replay, async_openai_client):
    critic = app.Critic(async_openai_client)
    answer = asyncio.run(replay.run(getattr(critic, "review_" + CLIENT), "Vermeer"))
    assert answer == "Answer to 'Summarise review: Answer to 'Review Vermeer''"
"""


@pytest.mark.parametrize("client", ["stdio", "client"])
def test_the_model_calls_of_a_sampling_callback_are_part_of_the_tool_call(
    make_stack, client: str
) -> None:
    stack: Stack = make_stack()
    (stack.path / "critic_server.py").write_text(SERVER)
    (stack.path / "critic_agent.py").write_text(AGENT)
    stack.write_test("critic", TESTS.replace("CLIENT", repr(client)))
    stack.record()
    (golden,) = stack.goldens()
    calls = [
        (span["name"].rpartition(".")[2], json.dumps(span["input"]))
        for span in json.loads(golden.read_text())["trace"]["spans"]
        if span.get("span_type") in ("llm", "tool")
    ]
    # the agent's own model call, not the callback's, which the replayed call_tool never makes
    llm = [arguments for name, arguments in calls if name == "create"]
    assert len(llm) == 1 and "Summarise review" in llm[0], calls
    assert [name for name, _ in calls if name == "call_tool"] == ["call_tool"], calls
    stack.replay_passes()


LIVE_TESTS = """
import asyncio

import pytest

import critic_agent as app

LLM = "openai.resources.chat.completions.AsyncCompletions.create"


@pytest.mark.replay(mock={"llm": LLM, "tool": "mcp.ClientSession.list_tools"})
def test_review(replay, async_openai_client):
    critic = app.Critic(async_openai_client)
    answer = asyncio.run(replay.run(critic.review_live, "Vermeer"))
    assert answer == "Answer to 'Summarise review: Answer to 'Review Vermeer''"
"""


def test_a_callback_called_after_the_sessions_recorded_call_ended_is_recorded_as_its_own(
    make_stack,
) -> None:
    """The session's recorded ``list_tools`` ended; its live ``call_tool`` makes the server
    sample: the callback's model call is one of the agent's own, recorded, and answered on
    replay (not run inside the ended call, not failing for want of one)."""
    stack: Stack = make_stack()
    (stack.path / "critic_server.py").write_text(SERVER)
    (stack.path / "critic_agent.py").write_text(AGENT)
    stack.write_test("critic", LIVE_TESTS)
    stack.record()
    (golden,) = stack.goldens()
    llm = [
        json.dumps(span["input"])
        for span in json.loads(golden.read_text())["trace"]["spans"]
        if span.get("span_type") == "llm"
    ]
    assert [("Review Vermeer" in i, "Summarise" in i) for i in llm] == [
        (True, False),
        (True, True),
    ], llm
    stack.replay_passes()


CAPABILITIES_TESTS = """
import asyncio

import pytest

import critic_agent as app

LLM = "openai.resources.chat.completions.AsyncCompletions.create"
SESSION = ["mcp.ClientSession.initialize", "mcp.ClientSession.call_tool"]


@pytest.mark.replay(mock={"llm": LLM, "tool": SESSION})
def test_capabilities(replay, async_openai_client):
    critic = app.Critic(async_openai_client)
    answer = asyncio.run(replay.run(critic.capabilities))
    assert answer == "Answer to 'Summarise sampling=True roots=False elicitation=False'"
"""


def test_a_recorded_session_declares_only_the_callbacks_the_agent_gave(make_stack) -> None:
    """The callbacks held while a recorded call runs are the user's only: the library's
    defaults are left alone, so the server is told of no roots nor elicitation the agent did
    not give (as in a run without the plugin)."""
    stack: Stack = make_stack()
    (stack.path / "critic_server.py").write_text(SERVER)
    (stack.path / "critic_agent.py").write_text(AGENT)
    stack.write_test("critic", CAPABILITIES_TESTS)
    stack.record()
    stack.replay_passes()
