"""What to mock so that the replay of an agent with MCP tools needs no MCP server (the claims of
``docs/how-to/mcp.md``): the agent's own function that opens the session and calls the tool
(nothing of the server is needed), or each ``ClientSession`` method the agent calls (over
streamable HTTP nothing is sent; over stdio the server's command is still started). Mocking
``call_tool`` alone leaves the connection live: over HTTP the network guard blocks it.
"""

from __future__ import annotations

import pytest

from .harness import Stack

SERVER = '''
import sys

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

from mcp import Client, ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client

STDIO = StdioServerParameters(command=os.environ.get("MUSEUM_COMMAND", sys.executable),
                              args=["museum_server.py"])


async def call_tool(name, arguments):
    async with stdio_client(STDIO) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            result = await session.call_tool(name, arguments)
            return result.content[0].text


async def browse(read, write, topic):
    async with ClientSession(read, write) as session:
        await session.initialize()
        listed = await session.list_tools()
        result = await session.call_tool(listed.tools[0].name, {"query": topic})
        return result.content[0].text


class Guide:
    def __init__(self):
        self.notes = []

    async def research(self, topic):
        text = await call_tool("search_collection", {"query": topic})
        self.notes.append(text)
        return text

    async def browse_stdio(self, topic):
        async with stdio_client(STDIO) as (read, write):
            text = await browse(read, write, topic)
        self.notes.append(text)
        return text

    async def browse_http(self, topic):
        url = os.environ["MUSEUM_URL"]
        async with streamable_http_client(url) as (read, write):
            text = await browse(read, write, topic)
        self.notes.append(text)
        return text

    async def browse_client_stdio(self, topic):
        async with Client(STDIO) as client:
            listed = await client.list_tools()
            result = await client.call_tool(listed.tools[0].name, {"query": topic})
        self.notes.append(result.content[0].text)
        return result.content[0].text

    async def browse_client(self, topic):
        async with Client(os.environ["MUSEUM_URL"]) as client:
            listed = await client.list_tools()
            result = await client.call_tool(listed.tools[0].name, {"query": topic})
        self.notes.append(result.content[0].text)
        return result.content[0].text
"""

TESTS = """
import asyncio

import pytest

import museum_agent as app

SESSION = ["mcp.ClientSession.initialize", "mcp.ClientSession.list_tools",
           "mcp.ClientSession.call_tool"]
ANSWER = "collection: 7 exhibits about Vermeer"


@pytest.mark.replay(mock={"tool": "museum_agent.call_tool"})
def test_own_function(replay):
    assert asyncio.run(replay.run(app.Guide().research, "Vermeer")) == ANSWER


@pytest.mark.replay(mock={"tool": SESSION})
def test_session_stdio(replay):
    assert asyncio.run(replay.run(app.Guide().browse_stdio, "Vermeer")) == ANSWER


@pytest.mark.replay(mock={"tool": SESSION})
def test_session_http(replay):
    assert asyncio.run(replay.run(app.Guide().browse_http, "Vermeer")) == ANSWER


@pytest.mark.replay(mock={"tool": "mcp.ClientSession.call_tool"})
def test_call_tool_only_http(replay):
    assert asyncio.run(replay.run(app.Guide().browse_http, "Vermeer")) == ANSWER


@pytest.mark.replay(mock={"tool": SESSION + ["mcp.ClientSession.send_discover"]})
def test_client_http(replay):
    assert asyncio.run(replay.run(app.Guide().browse_client, "Vermeer")) == ANSWER


@pytest.mark.replay(mock={"tool": SESSION})
def test_client_http_handshake_unmocked(replay):
    assert asyncio.run(replay.run(app.Guide().browse_client, "Vermeer")) == ANSWER
"""


@pytest.fixture
def stack(make_stack) -> Stack:
    made: Stack = make_stack()
    (made.path / "museum_server.py").write_text(SERVER)
    (made.path / "museum_agent.py").write_text(AGENT)
    made.write_test("museum", TESTS)
    return made


def _run(stack: Stack, *args: str) -> pytest.RunResult:
    """An in-process run with the warning filters a run of its own would have (``-W default``:
    an in-process run keeps this suite's ``filterwarnings = error``, which would fail a recording
    on the plugin's own warnings)."""
    return stack.pytester.runpytest_inprocess("-p", "no:cacheprovider", "-W", "default", *args)


def test_replays_need_no_server_but_the_stdio_command(
    stack: Stack, http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MUSEUM_URL", http_server)
    selected = ("-k", "not handshake_unmocked")
    _run(stack, "--clearstone-record", *selected).assert_outcomes(passed=5)
    (stack.path / "museum_server.py").unlink()
    # with the three methods mocked nothing connects (with mcp.Client, its handshake too); with
    # call_tool alone the guard blocks
    result = _run(stack, *selected)
    result.assert_outcomes(passed=4, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E * test_museum.py::test_call_tool_only_http tried to connect to 127.0.0.1 port * "
            "during the replay; the network guard blocked it",
            "FAILED test_museum.py::test_call_tool_only_http - *",
        ]
    )
    # over stdio the process is started even so: a command that does not exist fails
    monkeypatch.setenv("MUSEUM_COMMAND", "museum-server-not-installed")
    result = _run(stack, "-k", "own_function or session_stdio")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E * FileNotFoundError: * 'museum-server-not-installed'",
            "FAILED test_museum.py::test_session_stdio - *",
        ]
    )


def test_a_blocked_mcp_connection_names_the_session_methods_to_mock(
    stack: Stack, http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The guard's usual fix, "mock the function that makes this call", points at the MCP
    client's transport, whose answer cannot be stored: the message names what to mock."""
    monkeypatch.setenv("MUSEUM_URL", http_server)
    _run(stack, "--clearstone-record", "-k", "call_tool_only").assert_outcomes(passed=1)
    result = _run(stack, "-k", "call_tool_only")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E * It is the MCP client (mcp.client.streamable_http) sending a message to its "
            "server for a ClientSession method that is not mocked. Mock each ClientSession "
            "method the agent calls (mcp.ClientSession.initialize, "
            "mcp.ClientSession.list_tools, mcp.ClientSession.call_tool, ...; mcp 2's "
            "mcp.Client connects with mcp.ClientSession.send_discover, and with initialize "
            "where the server is older), or a function of your own that opens the session and "
            "returns what the agent uses*",
        ]
    )
    assert "Mock the function that makes this call" not in result.stdout.str()


def test_a_blocked_handshake_of_an_mcp_client_names_send_discover(
    stack: Stack, http_server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """mcp 2's ``mcp.Client`` connects with ``server/discover`` (``ClientSession.send_discover``),
    not ``initialize``: an agent on it, mocked as the guard's message said (``initialize``,
    ``list_tools``, ``call_tool``), was blocked again at each replay by the same message."""
    monkeypatch.setenv("MUSEUM_URL", http_server)
    _run(stack, "--clearstone-record", "-k", "handshake_unmocked").assert_outcomes(passed=1)
    result = _run(stack, "-k", "handshake_unmocked")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*It is the MCP client (mcp.client.streamable_http) *; mcp 2's mcp.Client connects "
            "with mcp.ClientSession.send_discover, and with initialize where the server is older)*"
        ]
    )


def test_a_recording_whose_handshake_ran_live_beside_a_mocked_initialize_warns(
    stack: Stack,
) -> None:
    """mcp 2's ``mcp.Client`` (and fastmcp's, under pydantic-ai's ``MCPToolset``) connects with
    ``send_discover``: an agent mocked with ``initialize``, ``list_tools`` and ``call_tool`` over
    stdio recorded green without a word, its handshake live, and every replay started the server
    and asked it again (where the server was not there, the replay failed at ``initialize``,
    which the recording never called)."""
    stack.write_test(
        "stdio_client",
        """
import asyncio

import pytest

import museum_agent as app

SESSION = ["mcp.ClientSession.initialize", "mcp.ClientSession.list_tools",
           "mcp.ClientSession.call_tool"]


@pytest.mark.replay(mock={"tool": SESSION})
def test_client_stdio(replay):
    answer = asyncio.run(replay.run(app.Guide().browse_client_stdio, "Vermeer"))
    assert answer == "collection: 7 exhibits about Vermeer"
""",
    )
    result = _run(stack, "--clearstone-record", "test_stdio_client.py", "-W", "always")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*UnmockedCallWarning: test_stdio_client.py::test_client_stdio: "
            "'mcp.ClientSession.send_discover' was called while recording and ran live: *"
            "Mock it too (mock={'tool': [[]'mcp.ClientSession.initialize', "
            "'mcp.ClientSession.send_discover']})*",
        ]
    )
