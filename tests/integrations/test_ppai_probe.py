"""A pydantic-ai engineer's agent in depth, on the real package and the fake service: toolsets
(``FunctionToolset``, combined, prefixed, filtered, an ``@agent.toolset`` function), ``deps``
a dataclass holding an ``httpx.AsyncClient`` (its backend the mocked ``price_of``, called by two
tools the model calls in parallel) and a database-like object, instructions as a function, the
conversation kept as ``ModelMessagesTypeAdapter`` JSON and loaded into the next run, a
``ProcessHistory`` capability, ``UsageLimits`` hit, ``capture_run_messages``, ``ModelRetry``
from a tool with ``end_strategy="exhaustive"``, ``Agent.override(...)`` in the test, and
``run_stream`` read with ``stream_text(delta=True)``: recorded, replayed twice sealed,
re-recorded byte-identical; a changed instruction, tool argument and history are named."""

from __future__ import annotations

import pytest

pytest.importorskip("pydantic_ai", minversion="2.68", reason="the pydantic-ai stack needs 2.68+")
import pydantic_ai.models.openai  # noqa: F401  (imported once here, reused by the inner runs)

from .harness import Stack

AGENT = '''
from __future__ import annotations

import dataclasses
import json

import httpx
from pydantic_ai import (Agent, CombinedToolset, FunctionToolset, ModelRetry, RunContext,
                         capture_run_messages)
from pydantic_ai.capabilities import ProcessHistory
from pydantic_ai.messages import ModelMessagesTypeAdapter
from pydantic_ai.usage import UsageLimits

from pydantic_ai_agent import make_model


def prices(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, json={"item": request.url.params["q"], "eur": 12})


class Db:
    def __init__(self) -> None:
        self.rows = {"egypt": 3, "rome": 5}

    def count(self, key: str) -> int:
        return self.rows.get(key.split()[0].lower(), 0)


@dataclasses.dataclass
class Deps:
    http: httpx.AsyncClient
    db: Db
    user: str


def make_deps(user: str = "ann") -> Deps:
    return Deps(httpx.AsyncClient(transport=httpx.MockTransport(prices),
                                  base_url="https://prices.example"), Db(), user)


async def price_of(http: httpx.AsyncClient, query: str) -> int:
    return (await http.get("/price", params={"q": query})).json()["eur"]


catalog = FunctionToolset()


@catalog.tool
async def search_catalog(ctx: RunContext[Deps], query: str) -> str:
    """Search the catalog."""
    return f"{ctx.deps.db.count(query)} items, {await price_of(ctx.deps.http, query)} EUR"


@catalog.tool
async def search_archive(ctx: RunContext[Deps], query: str) -> str:
    """Search the archive."""
    return f"archive: {query} at {await price_of(ctx.deps.http, query[::-1])}"


def who(ctx: RunContext[Deps]) -> str:
    return f"The user is {ctx.deps.user}."


def keep_last(messages):
    return messages[-5:]


class Shop:
    def __init__(self, toolsets=None, **options) -> None:
        self.agent = Agent(make_model(), deps_type=Deps, instructions=who,
                           toolsets=toolsets if toolsets is not None else [catalog], **options)
        self.history = b"[]"
        self.answers = []

    def get_state(self):
        return {"history": json.loads(self.history), "answers": self.answers}

    def load_state(self, state):
        self.history = json.dumps(state["history"]).encode()
        self.answers = list(state["answers"])

    async def ask(self, question: str, deps: Deps, limits: UsageLimits | None = None) -> str:
        history = ModelMessagesTypeAdapter.validate_json(self.history)
        result = await self.agent.run(question, deps=deps, message_history=history,
                                      usage_limits=limits)
        self.history = ModelMessagesTypeAdapter.dump_json(result.all_messages())
        self.answers.append(result.output)
        return result.output

    async def stream(self, question: str, deps: Deps) -> str:
        async with self.agent.run_stream(question, deps=deps) as result:
            parts = [p async for p in result.stream_text(delta=True)]
        self.answers.append(parts)
        return "".join(parts)

    async def ask_captured(self, question: str, deps: Deps) -> list[str]:
        with capture_run_messages() as messages:
            try:
                await self.agent.run(question, deps=deps)
            except Exception as exc:
                self.answers.append(type(exc).__name__)
        kinds = [m.kind for m in messages]
        self.answers.append(kinds)
        return kinds


extra = FunctionToolset()


@extra.tool_plain
def search_loans(query: str) -> str:
    """Search loans."""
    return f"loans: {query}"


@extra.tool_plain
def secret_tool(query: str) -> str:
    """Hidden."""
    return "never"


def combined() -> CombinedToolset:
    return CombinedToolset([catalog.prefixed("shop"),
                            extra.filtered(lambda ctx, tool: tool.name != "secret_tool")])


flaky = FunctionToolset()


@flaky.tool
def checkout(ctx: RunContext[Deps], query: str) -> str:
    """Check out."""
    if ctx.retry == 0:
        raise ModelRetry(f"Say 'please', {ctx.deps.user}.")
    return f"done: {query}"


def with_dynamic_toolset() -> Shop:
    shop = Shop(toolsets=[])

    @shop.agent.toolset
    def by_user(ctx: RunContext[Deps]) -> FunctionToolset:
        return catalog if ctx.deps.user == "ann" else extra

    return shop
'''

HEADER = """
import asyncio

import pytest

import ppai_agent as app

REQUEST = "pydantic_ai.models.openai.OpenAIChatModel.request"
MOCK = {"llm": REQUEST, "backend": "ppai_agent.price_of"}
"""


@pytest.fixture
def stack(make_stack) -> Stack:  # type: ignore[no-untyped-def]
    made: Stack = make_stack("pydantic_ai_agent")
    (made.path / "ppai_agent.py").write_text(AGENT)
    return made


SCENARIOS = """
@pytest.mark.replay("goldens/turns.ckpt", mock=MOCK)
def test_turns(replay):
    shop = app.Shop()
    deps = app.make_deps()
    first = asyncio.run(replay.run(shop.ask, "Egypt", deps))
    second = asyncio.run(replay.run(shop.ask, "Rome", deps))
    assert "3 items, 12 EUR" in first, first
    assert second.startswith("Answer to 'Rome'"), second


@pytest.mark.replay("goldens/combined.ckpt", mock=MOCK)
def test_combined(replay):
    shop = app.Shop(toolsets=[app.combined()])
    out = asyncio.run(replay.run(shop.ask, "Rome", app.make_deps()))
    assert out == "Answer to 'Rome' using 5 items, 12 EUR; archive: Rome #1 at 12", out


@pytest.mark.replay("goldens/dynamic.ckpt", mock=MOCK)
def test_dynamic(replay):
    shop = app.with_dynamic_toolset()
    out = asyncio.run(replay.run(shop.ask, "Rome", app.make_deps("bob")))
    assert out == "Answer to 'Rome' using loans: Rome #0; never", out


@pytest.mark.replay("goldens/limits.ckpt", mock=MOCK)
def test_limits(replay):
    from pydantic_ai.exceptions import UsageLimitExceeded
    from pydantic_ai.usage import UsageLimits
    shop = app.Shop()
    with pytest.raises(UsageLimitExceeded, match="request_limit of 1"):
        asyncio.run(replay.run(shop.ask, "Egypt", app.make_deps(), UsageLimits(request_limit=1)))


@pytest.mark.replay("goldens/retry.ckpt", mock={"llm": REQUEST})
def test_retry_captured(replay):
    shop = app.Shop(toolsets=[app.flaky], end_strategy="exhaustive")
    kinds = asyncio.run(replay.run(shop.ask_captured, "Rome", app.make_deps()))
    assert kinds == ["request", "response", "request", "response"], kinds


@pytest.mark.replay("goldens/override.ckpt", mock=MOCK)
def test_override(replay):
    shop = app.Shop(capabilities=[app.ProcessHistory(app.keep_last)])
    with shop.agent.override(deps=app.make_deps("carl"), instructions="Be brief."):
        out = asyncio.run(replay.run(shop.ask, "Egypt", app.make_deps()))
    assert out.startswith("Answer to 'Egypt'"), out


@pytest.mark.replay("goldens/stream.ckpt",
                    mock={"llm": "openai.resources.chat.completions.AsyncCompletions.create"})
def test_stream(replay):
    shop = app.Shop(toolsets=[])
    out = asyncio.run(replay.run(shop.stream, "Best room?", app.make_deps()))
    assert out == "Answer to 'Best room?'", out
    assert len(shop.answers[0]) > 2, shop.answers
"""


def test_roundtrip_and_rerecord(stack: Stack) -> None:
    stack.write_test("shop", HEADER + SCENARIOS)
    stack.roundtrip()
    before = {g.name: g.read_bytes() for g in stack.goldens()}
    stack.record()
    changed = [g.name for g in stack.goldens() if g.read_bytes() != before[g.name]]
    assert not changed, changed


def test_a_changed_instruction_tool_argument_or_history_is_named(stack: Stack) -> None:
    stack.write_test("shop", HEADER + SCENARIOS)
    stack.record()
    for old, new, line in (
        (
            'f"The user is {ctx.deps.user}."',
            'f"The buyer is {ctx.deps.user}."',
            "root['messages'][0].instructions: 'The user is ann.' -> 'The buyer is ann.'",
        ),
        (
            "price_of(ctx.deps.http, query)}",
            "price_of(ctx.deps.http, query.upper())}",
            "root['query']: 'Egypt #0' -> 'EGYPT #0'",
        ),
        (  # (pydantic-ai drops the tool returns left without their calls: an empty request)
            "message_history=history,",
            "message_history=history[2:],",
            "root['messages'][0]: removed ModelRequest(parts=[UserPromptPart(content='Egypt'",
        ),
    ):
        stack.edit("ppai_agent", old, new)
        result = stack.replay("-k", "turns")
        result.assert_outcomes(failed=1)
        assert line in result.stdout.str(), (line, result.stdout.str())
        stack.edit("ppai_agent", new, old)


MCP = """
from mcp.server.mcpserver import MCPServer
from pydantic_ai.mcp import MCPToolset

SESSION = ["mcp.ClientSession.send_discover", "mcp.ClientSession.initialize",
           "mcp.ClientSession.list_tools", "mcp.ClientSession.call_tool"]

server = MCPServer("shop", log_level="WARNING")


@server.tool()
def stock(query: str) -> str:
    \"\"\"Count the stock.\"\"\"
    return f"stock: {len(query)} of {query}"


@pytest.mark.replay("goldens/mcp.ckpt", mock={"llm": REQUEST, "tool": SESSION})
def test_mcp(replay):
    shop = app.Shop(toolsets=[MCPToolset(server)])
    out = asyncio.run(replay.run(shop.ask, "Rome", app.make_deps()))
    assert out == "Answer to 'Rome' using stock: 7 of Rome #0", out
"""


def test_an_in_memory_mcp_server_as_a_toolset_replays_and_re_records_unchanged(
    stack: Stack,
) -> None:
    """``MCPToolset(server)`` on an ``mcp`` ``MCPServer`` in the same process, its session's
    methods mocked (the ``progress_callback`` pydantic-ai hands ``call_tool`` is a placeholder
    compared by its type, as documented for a callback)."""
    stack.write_test("mcp", HEADER + MCP)
    stack.record()
    (golden,) = stack.goldens()
    recorded = golden.read_bytes()
    stack.replay_passes()
    stack.check_no_secret_on_disk()
    stack.record()
    assert golden.read_bytes() == recorded
