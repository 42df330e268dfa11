"""A pydantic-ai agent whose tools are on an MCP server, given to it as an ``MCPToolset``
(pydantic-ai's MCP support, built on fastmcp's client over the ``mcp`` SDK's ``ClientSession``),
the server an ``MCPServer`` started over stdio or served over streamable HTTP. The model's
request and the session's methods are mocked: a replay needs nothing of the server.

Before the fix every replay failed: fastmcp's client checks a tool's structured result against
the output schema ``ClientSession.list_tools`` keeps on the session, and lists the tools again
when the session has none; the replayed listing kept nothing, so that second ``list_tools`` call
had no recorded answer (``ReplayExhaustedError``).
"""

from __future__ import annotations

import pytest

pytest.importorskip("pydantic_ai", minversion="2.68", reason="the pydantic-ai stack needs 2.68+")
# (pydantic-ai's MCP support needs fastmcp's client: pydantic-ai-slim[mcp])
pytest.importorskip("fastmcp", reason="pydantic-ai's MCPToolset needs fastmcp")

from .harness import Stack

SERVER = '''
from mcp.server.mcpserver import MCPServer

server = MCPServer("museum", log_level="WARNING")


@server.tool()
def search_collection(query: str) -> str:
    """Search the collection."""
    return f"collection: {len(query)} exhibits about {query}"


if __name__ == "__main__":
    server.run()
'''

AGENT = """
import os
import sys

from fastmcp.client.transports import StdioTransport
from pydantic_ai import Agent
from pydantic_ai.mcp import MCPToolset

from pydantic_ai_agent import make_model



class Guide:
    def __init__(self):
        # the server's key, given to its process only (never to the golden)
        env = {"MUSEUM_TOKEN": os.environ["MUSEUM_TOKEN"]}
        # (a loaded machine may take more than the default 5 s to start the server's Python)
        transport = StdioTransport(sys.executable, ["museum_server.py"], env=env)
        toolset = MCPToolset(transport, init_timeout=120)
        self.agent = Agent(make_model(), toolsets=[toolset])
        self.answers = []

    def get_state(self):
        return {"answers": self.answers}

    def load_state(self, state):
        self.answers = list(state["answers"])

    @classmethod
    def over_http(cls, url):
        guide = cls.__new__(cls)
        # the server's key, sent in the MCP transport's headers only (never to the golden)
        headers = {"Authorization": f"Bearer {os.environ['MUSEUM_TOKEN']}"}
        toolset = MCPToolset(url, headers=headers, init_timeout=120)
        guide.agent = Agent(make_model(), toolsets=[toolset])
        guide.answers = []
        return guide

    async def ask(self, question):
        result = await self.agent.run(question)
        self.answers.append(result.output)
        return result.output
"""

TESTS = """
import asyncio
import os

import pytest

import mcp_toolset_agent as app

SESSION = ["mcp.ClientSession.send_discover", "mcp.ClientSession.initialize",
           "mcp.ClientSession.list_tools", "mcp.ClientSession.call_tool"]


@pytest.mark.replay(mock={"llm": "pydantic_ai.models.openai.OpenAIChatModel.request",
                          "tool": SESSION})
def test_toolset(replay):
    answer = asyncio.run(replay.run(app.Guide().ask, "Vermeer"))
    assert answer == "Answer to 'Vermeer' using collection: 10 exhibits about Vermeer #0"
"""

HTTP_TESTS = (
    TESTS.split("@pytest.mark.replay")[0]
    + """
@pytest.mark.replay(mock={"llm": "pydantic_ai.models.openai.OpenAIChatModel.request",
                          "tool": SESSION})
def test_toolset_http(replay):
    guide = app.Guide.over_http(os.environ["MUSEUM_URL"])
    answer = asyncio.run(replay.run(guide.ask, "Vermeer"))
    assert answer == "Answer to 'Vermeer' using collection: 10 exhibits about Vermeer #0"
"""
)


@pytest.fixture
def stack(make_stack) -> Stack:
    made: Stack = make_stack("pydantic_ai_agent")
    (made.path / "museum_server.py").write_text(SERVER)
    (made.path / "mcp_toolset_agent.py").write_text(AGENT)
    made.write_test("toolset", TESTS)
    made.write_test("toolset_http", HTTP_TESTS)
    return made


def test_an_mcp_toolset_replays_without_its_server_and_re_records_unchanged(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSEUM_TOKEN", "tok-CLEARSTONE-SECRET-789")
    stack.record("test_toolset.py")
    (golden,) = stack.goldens()
    recorded = golden.read_bytes()
    server = stack.path / "museum_server.py"
    source = server.read_text()
    server.unlink()  # (stdio: the process is started, with nothing to run, and sent nothing)
    stack.replay_passes("test_toolset.py")
    stack.check_no_secret_on_disk()
    server.write_text(source)
    stack.record("test_toolset.py")
    assert golden.read_bytes() == recorded


def test_an_mcp_toolset_over_http_replays_sending_nothing(
    stack: Stack, http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over streamable HTTP the replay sends nothing (the network guard would block it), and
    the ``Authorization`` header the toolset is given is in no file."""
    monkeypatch.setenv("MUSEUM_TOKEN", "tok-CLEARSTONE-SECRET-789")
    monkeypatch.setenv("MUSEUM_URL", http_server)
    stack.record("test_toolset_http.py")
    (golden,) = stack.goldens()
    recorded = golden.read_bytes()
    stack.replay_passes("test_toolset_http.py")
    stack.check_no_secret_on_disk()
    stack.record("test_toolset_http.py")
    assert golden.read_bytes() == recorded
