"""What a recording keeps of the listing a ``ClientSession.call_tool`` made inside itself
(span attribute ``clearstone.listed_tools``): the output schemas, redacted as any span
attribute is, and nothing for a call that listed no schema for its tool."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("fastmcp", reason="fastmcp's client is not installed")

from .harness import Stack

AGENT = '''
from fastmcp import Client
from mcp.server.mcpserver import MCPServer
from pydantic import BaseModel

server = MCPServer("keys")


class Issued(BaseModel):
    user: str
    password: str = "dflt-pw-CLEARSTONE-9Q7"


@server.tool()
def issue(user: str) -> Issued:
    """Issue a login."""
    return Issued(user=user, password="issued-pw")


class Agent:
    async def ask(self, user):
        async with Client(server) as client:
            result = await client.call_tool("issue", {"user": user})
        return result.structured_content["user"]

    async def ask_missing(self):
        async with Client(server) as client:
            result = await client.call_tool("missing", {}, raise_on_error=False)
        return result.is_error
'''

TESTS = """
import asyncio

import pytest

import keys_agent as app

SESSION = ["mcp.ClientSession.list_tools", "mcp.ClientSession.call_tool"]


@pytest.mark.replay(mock={"tool": SESSION})
def test_issue(replay):
    assert asyncio.run(replay.run(app.Agent().ask, "ada")) == "ada"


@pytest.mark.replay(mock={"tool": SESSION})
def test_missing(replay):
    assert asyncio.run(replay.run(app.Agent().ask_missing)) is True
"""


def _call_tool_spans(golden_text: str) -> list[dict[str, object]]:
    spans = json.loads(golden_text)["trace"]["spans"]
    return [s for s in spans if str(s.get("name", "")).endswith("call_tool")]


def test_the_schemas_a_tool_call_listed_are_kept_redacted_and_none_for_an_unlisted_tool(
    make_stack,
) -> None:
    # Expected: the output schema the inner listing left is kept with its secret default
    # redacted (as the rest of the golden is), and a call of a tool the server does not list
    # (an error result: no listing inside) keeps no attribute at all, not a null one.
    stack: Stack = make_stack()
    (stack.path / "keys_agent.py").write_text(AGENT)
    stack.write_test("keys", TESTS)
    stack.try_record().assert_outcomes(passed=2)
    stack.replay().assert_outcomes(passed=2)
    (issued,) = [g.read_text() for g in stack.goldens() if "issue" in g.name]
    assert "dflt-pw-CLEARSTONE-9Q7" not in issued
    (span,) = _call_tool_spans(issued)
    listed = span["attributes"]["clearstone.listed_tools"]  # type: ignore[index]
    assert listed["issue"]["properties"]["password"]["default"] == "[REDACTED]", listed
    (missing,) = [g.read_text() for g in stack.goldens() if "missing" in g.name]
    (span,) = _call_tool_spans(missing)
    assert "clearstone.listed_tools" not in span["attributes"], span  # type: ignore[operator]
