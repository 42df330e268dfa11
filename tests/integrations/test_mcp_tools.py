"""An openai agent whose tools come from an MCP server (the ``mcp`` SDK's ``MCPServer``, reached
through the ``ClientSession`` of an in-process ``mcp.Client``): the tools are listed with
``list_tools``, handed to the model as function tools, and called with ``call_tool``; all three
targets are mocked.

Two tools of a real server failed this agent before the fixes:

- ``thumbnail`` returns a small PNG (an ``ImageContent`` of 60 base64 characters): the recording
  failed, the image's data taken for a high-entropy secret;
- ``search_collection`` takes a ``token`` parameter: its JSON schema in ``list_tools``'s answer
  (and in the tools sent to the model) was stored as ``"token": "[REDACTED]"``, so the replay
  handed the agent a broken schema, and the agent, which checks the model's arguments against
  the tool's schema (``jsonschema.validate``), failed its replay with ``SchemaError`` though
  nothing had changed.
"""

from __future__ import annotations

import json

import pytest

from .harness import Stack

CREATE = "openai.resources.chat.completions.AsyncCompletions.create"
MOCK = {
    "llm": CREATE,
    "tool": ["mcp.ClientSession.list_tools", "mcp.ClientSession.call_tool"],
}

AGENT = '''
import random

from mcp import Client
from mcp.server.mcpserver import Image, MCPServer

server = MCPServer("museum")
#: 45 bytes: a tiny PNG as a tool would return it, 60 characters of base64
PNG = random.Random(3).randbytes(45)


@server.tool()
def search_collection(query: str, token: str = "") -> str:
    """Search the collection."""
    return f"collection: {len(query)} exhibits about {query}"


@server.tool()
def thumbnail(query: str) -> Image:
    """A thumbnail of the first exhibit."""
    return Image(data=PNG, format="png")


class Guide:
    def __init__(self, client):
        self.client = client
        self.seen = []

    def get_state(self):
        return {"seen": self.seen}

    def load_state(self, state):
        self.seen = list(state["seen"])

    async def ask(self, question):
        async with Client(server) as client:
            session = client.session
            listed = await session.list_tools()
            tools = [{"type": "function", "function": {
                "name": t.name, "description": t.description, "parameters": t.input_schema}}
                for t in listed.tools]
            messages = [{"role": "user", "content": question}]
            first = await self.client.chat.completions.create(
                model="gpt-4o-mini", messages=messages, tools=tools)
            message = first.choices[0].message
            messages.append(message.model_dump(exclude_none=True))
            schemas = {t.name: t.input_schema for t in listed.tools}
            for call in message.tool_calls:
                arguments = json.loads(call.function.arguments)
                jsonschema.validate(arguments, schemas[call.function.name])
                result = await session.call_tool(call.function.name, arguments)
                content = result.content[0]
                text = content.text if content.type == "text" else (
                    f"{content.mime_type} of {len(content.data)} characters")
                self.seen.append([call.function.name, text])
                messages.append({"role": "tool", "tool_call_id": call.id, "content": text})
            final = await self.client.chat.completions.create(
                model="gpt-4o-mini", messages=messages, tools=tools)
            return final.choices[0].message.content
'''.replace("import random\n", "import json\nimport random\n\nimport jsonschema\n", 1)

TESTS = f"""
import asyncio

import pytest

import mcp_agent as app


@pytest.mark.replay("goldens/guide.ckpt", mock={MOCK!r})
def test_guide(replay, async_openai_client):
    answer = asyncio.run(replay.run(app.Guide(async_openai_client).ask, "Vermeer"))
    assert "image/png of 60 characters" in answer
"""


@pytest.fixture
def stack(make_stack) -> Stack:
    made: Stack = make_stack()
    (made.path / "mcp_agent.py").write_text(AGENT)
    made.write_test("mcp", TESTS)
    return made


def test_tools_from_an_mcp_server_record_and_replay(stack: Stack) -> None:
    stack.roundtrip()
    (golden,) = stack.goldens()
    document = json.loads(golden.read_text())
    listed = next(s for s in document["trace"]["spans"] if s["name"].endswith("list_tools"))
    tools = listed["output"]["v"]["v"]["tools"]
    schema = tools[0]["v"]["input_schema"]["properties"]["token"]
    assert schema == {"default": "", "title": "Token", "type": "string"}
    # named by the package exporting the class (mcp 2 writes it in mcp_types._types)
    assert '"cls": "mcp_types:ImageContent"' in golden.read_text()
    assert "mcp_types._types" not in golden.read_text()


def test_a_golden_naming_the_mcp_types_by_their_private_module_replays_unchanged(
    stack: Stack,
) -> None:
    """Goldens recorded before classes were named by the package exporting them name mcp 2's
    results by ``mcp_types._types``, which a later release may move: they still replay green,
    and a re-record names ``mcp_types`` (and leaves that file as it was)."""
    stack.record()
    (golden,) = stack.goldens()
    text = golden.read_text()
    assert '"cls": "mcp_types:CallToolResult"' in text
    before = text.replace('"mcp_types:', '"mcp_types._types:')
    golden.write_text(before)
    stack.replay_passes()
    assert golden.read_text() == before  # (rewritten only by a re-record)
    stack.record()
    rewritten = golden.read_text()
    assert "mcp_types._types" not in rewritten and '"mcp_types:CallToolResult"' in rewritten
    stack.record()
    assert golden.read_text() == rewritten


def test_a_golden_naming_a_package_of_mcp_not_installed_here_names_it_not_the_code(
    stack: Stack,
) -> None:
    """A golden recorded with mcp 2 names its types by ``mcp_types``, a package mcp 1 does not
    have: replayed with mcp 1 (a teammate's older lock file) it said the code changed and to
    put the class back. The installed mcp has ``mcp_types``, so the golden here names a package
    installed nowhere, as a release to come may bring one."""
    stack.record()
    (golden,) = stack.goldens()
    golden.write_text(golden.read_text().replace('"mcp_types:', '"cs_mcp_types_to_come:'))
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*guide.ckpt was recorded with a class the code has changed since: cannot import "
            "'cs_mcp_types_to_come:*' to decode a value: No module named 'cs_mcp_types_to_come' "
            "(in *). The file is sound: no module 'cs_mcp_types_to_come' is installed here, nor "
            "is one in the project: the golden was likely recorded where a library (or another "
            "release of one) provided it*re-record it with: "
            "pytest --clearstone-record test_mcp.py::test_guide",
            "0 checkpoint(s) replayed, 0 recorded, 1 diverged",
        ]
    )
    result.stdout.no_fnmatch_line("*Put the class back*")


def test_a_changed_parameter_schema_diverges_naming_it(stack: Stack) -> None:
    stack.record()
    stack.edit(
        "mcp_agent",
        '"parameters": t.input_schema}}',
        '"parameters": {**t.input_schema, "properties": {**t.input_schema["properties"], '
        '"token": {"type": "integer"}}}}}',
    )
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*AsyncCompletions.create*"])
    assert "['properties']['token']" in result.stdout.str()


# The session's tools listed from the golden, its tool calls made live on the server in the
# test's process: ``ClientSession.list_tools`` keeps each tool's output schema on the session,
# and ``call_tool`` checks a result against it (listing the tools again when it has none)
LISTED_ONLY = '''
from mcp import Client
from mcp.server.mcpserver import MCPServer

server = MCPServer("museum")


@server.tool()
def search_collection(query: str) -> str:
    """Search the collection."""
    return f"collection: {len(query)} exhibits about {query}"


class Guide:
    def __init__(self):
        self.seen = []

    async def ask(self, topic):
        async with Client(server) as client:
            listed = await client.session.list_tools()
            result = await client.session.call_tool(listed.tools[0].name, {"query": topic})
        self.seen.append(result.structured_content)
        return result.content[0].text
'''

LISTED_ONLY_TESTS = """
import asyncio

import pytest

import listing_agent as app


@pytest.mark.replay(mock={"tool": "mcp.ClientSession.list_tools"})
def test_listed(replay):
    answer = asyncio.run(replay.run(app.Guide().ask, "Vermeer"))
    assert answer == "collection: 7 exhibits about Vermeer"
"""


def test_a_replayed_tool_listing_keeps_the_output_schemas_on_the_session(make_stack) -> None:
    """The replayed ``list_tools`` left the session without the tools' output schemas: the
    live ``call_tool`` listed the tools again to check its result, a call the recording did not
    have, and every replay failed with ``ReplayExhaustedError`` (pydantic-ai's ``MCPToolset``
    hit it with ``call_tool`` mocked too: fastmcp's client reads the same schemas)."""
    stack: Stack = make_stack()
    (stack.path / "listing_agent.py").write_text(LISTED_ONLY)
    stack.write_test("listed", LISTED_ONLY_TESTS)
    stack.try_record().assert_outcomes(passed=1)
    result = stack.replay()
    result.assert_outcomes(passed=1)
    assert "ReplayExhaustedError" not in result.stdout.str()


# A tool reporting its progress to the agent's progress_callback, which the session calls
# while the live call_tool waits for the result
PROGRESS = '''
from mcp import Client
from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("museum")


@server.tool()
async def search_collection(query: str, ctx: Context) -> str:
    """Search the collection."""
    await ctx.report_progress(50, 100, "halfway")
    return f"collection: {len(query)} exhibits about {query}"


class Guide:
    def __init__(self):
        self.progress = []

    async def ask(self, topic):
        async def on_progress(progress, total, message):
            self.progress.append([progress, total, message])

        async with Client(server) as client:
            result = await client.session.call_tool(
                "search_collection", {"query": topic}, progress_callback=on_progress)
        return result.content[0].text
'''

PROGRESS_TESTS = """
import asyncio

import pytest

import progress_agent as app


@pytest.mark.replay(mock={"tool": "mcp.ClientSession.call_tool"})
def test_progress(replay):
    answer = asyncio.run(replay.run(app.Guide().ask, "Vermeer"))
    assert answer == "collection: 7 exhibits about Vermeer"
"""


def test_a_function_given_to_a_replayed_call_is_named_when_the_state_it_fills_differs(
    make_stack,
) -> None:
    """A replay answers ``call_tool`` without running it, so the ``progress_callback`` the
    server's progress reaches is not called: the final state differed on every replay, and the
    message said only to re-record, which changes nothing."""
    stack: Stack = make_stack()
    (stack.path / "progress_agent.py").write_text(PROGRESS)
    stack.write_test("progress", PROGRESS_TESTS)
    stack.try_record().assert_outcomes(passed=1)
    result = stack.replay()
    result.assert_outcomes(failed=1)
    out = " ".join(result.stdout.str().split())
    assert "root['progress'][0]: removed [50, 100, 'halfway']" in out, out
    assert (
        "Call #1 to mcp.ClientSession.call_tool was given a function, progress_callback "
        "(progress_agent.Guide.ask.<locals>.on_progress): a replay answers the call without "
        "running it, so the function is not called, and re-recording does not change that."
        " If the difference is what the function does, mock a function of your own that makes "
        "the call and returns what the function collects beside the answer, for the agent to "
        "keep; or leave that part of the state out with the marker's ignore_state."
    ) in out, out
    stack.edit("test_progress", 'call_tool"}', 'call_tool"}, ignore_state=["final_state.progress"]')
    stack.replay_passes()


# A tool asking the client's model through sampling: the session calls the agent's
# sampling_callback while the live call_tool waits for the result
SAMPLING = '''
import warnings

import mcp.types as types
from mcp import Client
from mcp.server.mcpserver import Context, MCPServer

server = MCPServer("critic")


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


class Critic:
    def __init__(self):
        self.asked = []

    async def sample(self, context, params):
        self.asked.append(params.messages[0].content.text)
        return types.CreateMessageResult(
            role="assistant", model="m", content=types.TextContent(type="text", text="calm"))

    async def review(self, title):
        async with Client(server, sampling_callback=self.sample, mode="legacy") as client:
            result = await client.call_tool("review", {"title": title})
        return result.content[0].text
'''

SAMPLING_TESTS = """
import asyncio

import pytest

import sampling_agent as app


@pytest.mark.replay(mock={"tool": "mcp.ClientSession.call_tool"})
def test_sampling(replay):
    assert asyncio.run(replay.run(app.Critic().review, "Vermeer")) == "review: calm"
"""


def test_a_sampling_callback_of_the_session_is_named_when_the_state_it_fills_differs(
    make_stack,
) -> None:
    """A replay answers ``call_tool`` without running it, so the server's sampling request
    never reaches the ``sampling_callback`` the session was given: the final state differed on
    every replay, and the message said only to re-record, which changes nothing."""
    stack: Stack = make_stack()
    (stack.path / "sampling_agent.py").write_text(SAMPLING)
    stack.write_test("sampling", SAMPLING_TESTS)
    stack.try_record().assert_outcomes(passed=1)
    result = stack.replay()
    result.assert_outcomes(failed=1)
    out = " ".join(result.stdout.str().split())
    assert "root['asked'][0]: removed 'Review Vermeer'" in out, out
    assert (
        "Call #1 to mcp.ClientSession.call_tool was made on a session given a "
        "sampling_callback (sampling_agent.Critic.sample), which the server may call while a "
        "live call runs: a replay answers the call without running it, so the function is "
        "not called, and re-recording does not change that."
    ) in out, out
    stack.edit("test_sampling", 'call_tool"}', 'call_tool"}, ignore_state=["final_state.asked"]')
    stack.replay_passes()
