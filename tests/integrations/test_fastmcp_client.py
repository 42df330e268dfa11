"""An agent calling an MCP server's tools through fastmcp's ``Client`` (over the ``mcp`` SDK's
``ClientSession``), its tool called without listing the tools first.

The live ``ClientSession.call_tool`` lists the tools inside itself when the session holds no
output schema for the tool (to check the result against it): a call the recording leaves out,
as it is made inside a recorded one. A replay answers ``call_tool`` without running it, so the
session held no schema afterwards, and fastmcp's ``Client.call_tool`` listed the tools itself
to read the result: every replay failed with ``ReplayExhaustedError`` on ``list_tools``. The
recording now keeps the output schemas that inner listing left on the session with the
``call_tool`` call, and the replay gives them back to the session; a golden recorded before
(without them) fails as it did, saying why and to list the tools once before calling one."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("fastmcp", reason="fastmcp's client is not installed")

from .harness import Stack

AGENT = '''
from fastmcp import Client
from mcp.server.mcpserver import MCPServer

server = MCPServer("echo")


@server.tool()
def shout(text: str) -> str:
    """Say it louder."""
    return text.upper()


class Echo:
    def __init__(self, list_first=False):
        self.list_first = list_first
        self.said = []

    async def say(self, text):
        async with Client(server) as client:
            if self.list_first:
                await client.list_tools()
            result = await client.call_tool("shout", {"text": text})
        self.said.append(result.structured_content)
        return result.content[0].text
'''

TESTS = """
import asyncio

import pytest

import echo_agent as app

SESSION = ["mcp.ClientSession.list_tools", "mcp.ClientSession.call_tool"]


@pytest.mark.replay(mock={"tool": SESSION})
def test_unlisted(replay):
    assert asyncio.run(replay.run(app.Echo().say, "hi")) == "HI"


@pytest.mark.replay(mock={"tool": SESSION})
def test_listed_first(replay):
    assert asyncio.run(replay.run(app.Echo(list_first=True).say, "hi")) == "HI"
"""


def test_a_tool_called_unlisted_through_fastmcp_replays_with_the_schemas_it_listed(
    make_stack,
) -> None:
    stack: Stack = make_stack()
    (stack.path / "echo_agent.py").write_text(AGENT)
    stack.write_test("echo", TESTS)
    stack.try_record().assert_outcomes(passed=2)
    stack.replay().assert_outcomes(passed=2)
    (unlisted,) = [g for g in stack.goldens() if "unlisted" in g.name]
    text = unlisted.read_text()
    assert '"clearstone.listed_tools"' in text, text
    listed = [g for g in stack.goldens() if "listed_first" in g.name]
    assert "clearstone.listed_tools" not in listed[0].read_text()


def test_a_golden_of_a_tool_called_unlisted_recorded_before_names_the_listing_to_add(
    make_stack,
) -> None:
    stack: Stack = make_stack()
    (stack.path / "echo_agent.py").write_text(AGENT)
    stack.write_test("echo", TESTS)
    stack.try_record().assert_outcomes(passed=2)
    (unlisted,) = [g for g in stack.goldens() if "unlisted" in g.name]
    document = json.loads(unlisted.read_text())
    for span in document["trace"]["spans"]:
        span["attributes"].pop("clearstone.listed_tools", None)
    document.pop("file_bytes", None)
    unlisted.write_text(json.dumps(document))
    result = stack.replay()
    result.assert_outcomes(passed=1, failed=1)
    out = " ".join(result.stdout.str().split())
    assert "FAILED test_echo.py::test_unlisted" in out, out
    assert (
        "When recorded, the live call #1 to mcp.ClientSession.call_tool listed the tools inside "
        "itself (the session held no output schema for the tool to check its result against), "
        "a call the golden leaves out: a replay answers call_tool without running it, and the "
        "client now lists the tools itself (fastmcp's Client.call_tool reads the schema). A "
        "golden recorded by this release keeps the schemas that listing left, and its replay "
        "gives them back to the session: re-record with: pytest --clearstone-record "
        "test_echo.py::test_unlisted (or list the tools once before calling one: await "
        "client.list_tools())"
    ) in out, out
