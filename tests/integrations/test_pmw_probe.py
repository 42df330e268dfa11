"""A LangChain 1.x ``create_agent`` with middleware, as its users write it: a custom state
schema, a ``@before_model`` / ``@wrap_model_call`` middleware of their own, PII redaction of the
question, a human approval of a tool call (interrupt, then ``Command(resume=...)`` on a
checkpointer), call limits and a fallback model after a 429; streamed with
``stream_mode=["updates", "messages"]``."""

from __future__ import annotations

import pytest

# (imported once here, so the in-process inner runs reuse them; langchain 1.x needs Python 3.11)
pytest.importorskip("langchain.agents.middleware")
import langchain_openai  # noqa: F401
import langgraph.graph  # noqa: F401

from .harness import Stack

AGENT = """
import dataclasses

import pytest
from langchain.agents import AgentState, create_agent
from langchain.agents.middleware import (HumanInTheLoopMiddleware, ModelCallLimitMiddleware,
                                         ModelFallbackMiddleware, PIIMiddleware,
                                         ToolCallLimitMiddleware, before_model, wrap_model_call)
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

import langchain_agent as app

SYSTEM = "You are a travel helper."
LIMIT = 5
MOCK = {"llm": "langchain_openai.ChatOpenAI.invoke", "tool": "langchain_agent.lookup"}
IGNORE = ["config.callbacks", "config.configurable",
          "**.run_id"]


class TripState(AgentState):
    turns: int


@dataclasses.dataclass
class Ctx:
    user: str


@before_model
def count_turns(state, runtime):
    return {"turns": state.get("turns", 0) + 1}


@wrap_model_call
def add_system(request, handler):
    return handler(request.override(system_prompt=f"{SYSTEM} ({request.runtime.context.user})"))


@tool
def search_flights(query: str) -> str:
    \"\"\"Search flights.\"\"\"
    return app.lookup("flights", query)


@tool
def search_hotels(query: str) -> str:
    \"\"\"Search hotels.\"\"\"
    return app.lookup("hotels", query)


def build(busy=False):
    middleware = [count_turns, add_system, PIIMiddleware("email", strategy="redact"),
                  ModelCallLimitMiddleware(run_limit=LIMIT),
                  ToolCallLimitMiddleware(run_limit=LIMIT)]
    if busy:
        middleware.append(ModelFallbackMiddleware(app.make_llm()))
    middleware.append(HumanInTheLoopMiddleware({"search_hotels": True}))
    model = app.make_llm(model="gpt-4o-busy") if busy else app.make_llm()
    return create_agent(model, tools=[search_flights, search_hotels], middleware=middleware,
                        state_schema=TripState, context_schema=Ctx,
                        checkpointer=InMemorySaver())


def ask(question, busy=False, decision="approve"):
    agent = build(busy)
    config = {"configurable": {"thread_id": "t1"}}
    out = agent.invoke({"messages": [HumanMessage(question)]}, config, context=Ctx("ann"))
    interrupts = out.get("__interrupt__", [])
    assert interrupts, out
    out = agent.invoke(Command(resume={"decisions": [{"type": decision}]}), config,
                       context=Ctx("ann"))
    return out["messages"][-1].content, out["turns"], out["messages"][0].content


def stream_ask(question):
    agent = build()
    config = {"configurable": {"thread_id": "t2"}}
    seen = []
    for inp in ({"messages": [HumanMessage(question)]},
                Command(resume={"decisions": [{"type": "approve"}]})):
        for mode, chunk in agent.stream(inp, config, context=Ctx("ann"),
                                        stream_mode=["updates", "messages"]):
            seen.append(mode)
    return sorted(set(seen)), agent.get_state(config).values["messages"][-1].content


@pytest.mark.replay("goldens/ask.ckpt", mock=MOCK, ignore=IGNORE)
def test_ask(replay):
    answer, turns, first = replay.run(ask, "Lisbon, write to ann@example.com")
    assert "flights" in answer and "hotels" in answer
    assert turns == 2
    assert "ann@example.com" not in first


@pytest.mark.replay("goldens/busy.ckpt", mock=MOCK, ignore=IGNORE)
def test_busy(replay):
    answer, turns, first = replay.run(ask, "Porto", busy=True)
    assert "flights" in answer


@pytest.mark.replay("goldens/stream.ckpt", mock=MOCK, ignore=IGNORE)
def test_stream(replay):
    modes, answer = replay.run(stream_ask, "Faro")
    assert modes == ["messages", "updates"]
    assert "hotels" in answer
"""


@pytest.fixture
def stack(make_stack) -> Stack:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack("langchain_agent")
    stack.write_test("mw", AGENT)
    return stack


def test_an_agent_with_middleware_replays_and_re_records_the_same(stack: Stack) -> None:
    # an interrupt resumed on a checkpointer, PII redacted, a custom state, a fallback after a
    # 429, streamed updates and messages: green replays, no key on disk, readable goldens, and
    # a re-recording that differs only in the lc_run-- ids and the spans' times
    stack.roundtrip()
    before = stack.unmeasured_goldens()
    stack.record()
    assert stack.unmeasured_goldens() == before
    # the question's email was redacted by PIIMiddleware before the model saw it: no golden
    # holds it
    assert all("ann@example.com" not in text for text in before.values())


@pytest.mark.parametrize(
    ("old", "new", "lines"),
    [
        pytest.param(
            'SYSTEM = "You are a travel helper."',
            'SYSTEM = "You help."',
            [
                "*return handler(request.override(system_prompt=*",
                "E *ReplayDivergenceError: replay diverged at call #1 to "
                "langchain_openai.ChatOpenAI.invoke*",
                "E *root[[]'input'[]][[]0[]].content: 'You are a travel helper. (ann)' -> "
                "'You help. (ann)'",
            ],
            id="system-prompt-in-middleware",
        ),
        pytest.param(
            'app.lookup("hotels", query)',
            'app.lookup("hotel", query)',
            [
                "E *ReplayDivergenceError: replay diverged at call #2 to langchain_agent.lookup*",
                "E *root[[]'kind'[]]: 'hotels' -> 'hotel'",
            ],
            id="tool-argument",
        ),
        pytest.param(
            "LIMIT = 5",
            "LIMIT = 1",
            [
                "E *UnusedResponsesError: the replay made fewer calls than the recording:",
                "E *+ Model call limits exceeded: run limit (1/1)",
            ],
            id="call-limit",
        ),
    ],
)
def test_a_change_under_middleware_fails_naming_it(
    stack: Stack, old: str, new: str, lines: list[str]
) -> None:
    stack.record()
    stack.edit("test_mw", old, new)
    result = stack.replay("-k", "test_ask")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(lines)


def test_pdb_opens_in_the_middleware_that_changed_the_prompt(stack: Stack) -> None:
    pexpect = pytest.importorskip("pexpect")
    stack.record()
    stack.edit("test_mw", 'SYSTEM = "You are a travel helper."', 'SYSTEM = "You help."')
    child = stack.pytester.spawn_pytest("--pdb -k test_ask", expect_timeout=60)
    child.expect(r"test_mw\.py\(\d+\)add_system\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("p request.runtime.context.user")
    child.expect("'ann'")
    child.sendline("c")
    child.expect("1 diverged")
    child.expect(pexpect.EOF)


AGENT2 = """
import asyncio

import pydantic
import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import (ModelFallbackMiddleware, ModelRetryMiddleware,
                                         TodoListMiddleware, wrap_model_call)
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool

import langchain_agent as app

MOCK = {"llm": "langchain_openai.ChatOpenAI.ainvoke", "tool": "langchain_agent.lookup"}
ATTEMPTS = []


class Answer(pydantic.BaseModel):
    answer: str
    confident: bool


@tool
def search_flights(query: str) -> str:
    \"\"\"Search flights.\"\"\"
    return app.lookup("flights", query)


@wrap_model_call
async def count_attempts(request, handler):
    ATTEMPTS.append(request.model.model_name)
    return await handler(request)


async def ask(question):
    # the busy model (429) is retried twice, then the fallback model answers
    agent = create_agent(
        app.make_llm(model="gpt-4o-busy"), tools=[search_flights],
        middleware=[ModelFallbackMiddleware(app.make_llm()),
                    ModelRetryMiddleware(max_retries=2, initial_delay=0.01, jitter=False,
                                         on_failure="error"),
                    TodoListMiddleware(), count_attempts],
        response_format=Answer)
    out = await agent.ainvoke({"messages": [HumanMessage(question)]})
    return out["structured_response"]


@pytest.mark.replay("goldens/aask.ckpt", mock=MOCK,
                    ignore=["config.callbacks", "config.configurable", "**.run_id"])
def test_aask(replay):
    answer = asyncio.run(replay.run(ask, "Lisbon"))
    assert answer.confident and "flights: 9 matches for Lisbon" in answer.answer
    # two model steps, each: the busy model three times, then the fallback
    assert ATTEMPTS == (["gpt-4o-busy"] * 3 + ["gpt-4o-mini"]) * 2
"""


def test_retry_and_fallback_middleware_replay_the_recorded_429s(make_stack) -> None:  # type: ignore[no-untyped-def]
    # ModelRetryMiddleware retries each recorded 429 on replay as it did when recording (and
    # sleeps its back-off), ModelFallbackMiddleware then gets the fallback's recorded answer;
    # the structured response (response_format=) comes back
    stack: Stack = make_stack("langchain_agent")
    stack.write_test("retry", AGENT2)
    stack.roundtrip()


AGENT3 = """
import asyncio

import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import ToolRetryMiddleware, HumanInTheLoopMiddleware
from langchain_core.messages import HumanMessage
from langchain_core.tools import tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.types import Command

import langchain_agent as app

MOCK = {"llm": "langchain_openai.ChatOpenAI.ainvoke", "tool": "test_edit.flaky"}
CALLS = []


def flaky(kind, query):
    CALLS.append(kind)
    if len(CALLS) == 1:
        raise ConnectionError("backend down")
    return app.lookup(kind, query)


@tool
def search_flights(query: str) -> str:
    \"\"\"Search flights.\"\"\"
    return flaky("flights", query)


@tool
def search_hotels(query: str) -> str:
    \"\"\"Search hotels.\"\"\"
    return app.lookup("hotels", query)


async def ask(question):
    agent = create_agent(app.make_llm(), tools=[search_flights, search_hotels],
                         middleware=[ToolRetryMiddleware(initial_delay=0.01, jitter=False),
                                     HumanInTheLoopMiddleware({"search_hotels": True})],
                         checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "t"}}
    modes = []
    async for mode, chunk in agent.astream({"messages": [HumanMessage(question)]}, config,
                                           stream_mode=["updates", "messages"]):
        modes.append(mode)
    state = await agent.aget_state(config)
    call = state.interrupts[0].value["action_requests"][0]
    async for mode, chunk in agent.astream(
            Command(resume={"decisions": [{"type": "edit", "edited_action": {
                "name": call["name"], "args": {"query": call["args"]["query"] + "!"}}}]}),
            config, stream_mode=["updates", "messages"]):
        modes.append(mode)
    state = await agent.aget_state(config)
    return sorted(set(modes)), state.values["messages"][-1].content


@pytest.mark.replay("goldens/edit.ckpt", mock=MOCK,
                    ignore=["config.callbacks", "config.configurable", "**.run_id"])
def test_edit(replay):
    modes, answer = asyncio.run(replay.run(ask, "Lisbon"))
    assert modes == ["messages", "updates"]
    assert "hotels: 10 matches for Lisbon #1!" in answer
    print(f"backend calls: {CALLS}")
"""


def test_an_edited_tool_call_and_a_retried_tool_error_replay_under_astream(  # type: ignore[no-untyped-def]
    make_stack,
) -> None:
    # the agent streamed by astream (updates and messages), a human's "edit" decision resumed,
    # and a mocked tool backend whose first call raised: ToolRetryMiddleware retries the
    # recorded error on replay and gets the recorded answer, the backend never runs
    stack: Stack = make_stack("langchain_agent")
    stack.write_test("edit", AGENT3)
    stack.record()
    stack.replay_passes("-s").stdout.fnmatch_lines(["*backend calls: []*"])
