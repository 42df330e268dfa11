"""LangChain (``langchain-openai``'s ``ChatOpenAI`` over ``httpx2``) end to end."""

from __future__ import annotations

from collections.abc import Iterator

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack, params

INVOKE = "langchain_openai.ChatOpenAI.invoke"

HEADER = """
import asyncio

import pytest
from langchain_core.messages import AIMessage

import langchain_agent as app
"""

SCENARIOS = {
    "invoke": f"""
@pytest.mark.replay("goldens/invoke.ckpt", mock={{"llm": "{INVOKE}"}})
def test_it(replay):
    agent = app.ChefAgent(app.make_llm(temperature=0.2))
    message = replay.run(agent.ask, "Risotto tips?")
    assert isinstance(message, AIMessage)
    assert message.content == "Answer to 'Risotto tips?'"
""",
    "ainvoke": """
@pytest.mark.replay("goldens/ainvoke.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.ainvoke"})
def test_it(replay):
    agent = app.ChefAgent(app.make_llm())
    assert asyncio.run(replay.run(agent.aask, "Pho broth?")) == "Answer to 'Pho broth?'"
""",
    "stream": """
@pytest.mark.replay("goldens/stream.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.stream"})
def test_it(replay):
    agent = app.ChefAgent(app.make_llm())
    assert replay.run(agent.stream, "Sourdough?") == "Answer to 'Sourdough?'"
""",
    "chain_lcel": f"""
@pytest.mark.replay("goldens/chain.ckpt", mock={{"llm": "{INVOKE}"}},
                    ignore=["config.callbacks", "**.run_id"])
def test_it(replay):
    agent = app.ChefAgent(app.make_llm())
    assert replay.run(agent.chain, "Pesto?") == "Answer to 'Pesto?'"
""",
    "tool_calls": f"""
@pytest.mark.replay(
    "goldens/tools.ckpt", mock={{"llm": "{INVOKE}", "tool": "langchain_agent.lookup"}}
)
def test_it(replay):
    agent = app.ChefAgent(app.make_llm())
    answer = replay.run(agent.with_tools, "Tacos")
    assert answer.startswith("Answer to 'Tacos' using recipes:")
""",
    "rate_limit_fallback": f"""
@pytest.mark.replay("goldens/fallback.ckpt", mock={{"llm": "{INVOKE}"}})
def test_it(replay):
    agent = app.ChefAgent(app.make_llm())
    assert replay.run(agent.with_fallback, "Ramen?") == "Answer to 'Ramen?'"
""",
    "llm_in_attribute_no_get_state": f"""
from langchain_openai import ChatOpenAI

@pytest.mark.replay("goldens/plain.ckpt", mock={{"llm": "{INVOKE}"}})
def test_it(replay):
    agent = app.PlainChef(app.make_llm())
    assert replay.run(agent.answer, "Gnocchi?") == "Answer to 'Gnocchi?'"
    assert agent.answers == ["Answer to 'Gnocchi?'"]
    assert isinstance(agent.llm, ChatOpenAI)
""",
    # a user wrapper function around the model as the target (it takes the model as argument)
    "wrapper_sync": """
@pytest.mark.replay("goldens/wrapper.ckpt", mock={"llm": "langchain_agent.ask_model"})
def test_it(replay):
    agent = app.ChefAgent(app.make_llm())
    assert replay.run(agent.via_wrapper, "Paella?") == "Answer to 'Paella?'"
    assert agent.history == [{"q": "Paella?", "a": "Answer to 'Paella?'"}]
""",
}

XFAIL: dict[str, str] = {}


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack("langchain_agent")


@pytest.mark.parametrize("name", params(SCENARIOS, XFAIL))
def test_records_and_replays(stack: Stack, name: str) -> None:
    stack.write_test(name, HEADER + SCENARIOS[name])
    stack.roundtrip()


# (a model an agent without get_state() keeps in self.llm: before the fix the replay gave the
# agent the golden's copy of the model, restoring its __dict__, and a changed temperature passed)
@pytest.mark.parametrize(
    ("scenario", "built", "changed"),
    [
        ("invoke", "temperature=0.2", "temperature=0.7"),
        ("llm_in_attribute_no_get_state", "app.make_llm()", "app.make_llm(temperature=0.7)"),
    ],
    ids=["given-to-the-agent", "kept-in-an-attribute"],
)
def test_changed_temperature_fails(stack: Stack, scenario: str, built: str, changed: str) -> None:
    stack.write_test(scenario, HEADER + SCENARIOS[scenario])
    stack.record()
    stack.replay_passes()
    stack.edit(f"test_{scenario}", built, changed)
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ChatOpenAI.invoke*", "*temperature*0.2*0.7*"], consecutive=False)


def test_a_gateway_a_ci_runner_sets_in_openai_api_base_is_named_as_the_cause(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``ChatOpenAI`` reads ``OPENAI_API_BASE``: set on the CI runner, the replay diverged on
    the model's ``openai_api_base`` (``None`` when recorded) and its clients' base URLs, and
    said "The prompt or arguments changed. If the change is intended, re-record"."""
    stack.write_test("invoke", HEADER + SCENARIOS["invoke"])
    stack.record()
    monkeypatch.setenv("OPENAI_API_BASE", "https://llm-gateway.ci.example/v1")
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*openai_api_base*None*'https://llm-gateway.ci.example/v1'*",
            "*Only a value of an environment variable differs: where the recording has None, this "
            "run has $OPENAI_API_BASE*",
        ]
    )
    result.stdout.no_fnmatch_line("*The prompt or arguments changed*")


def test_edited_system_prompt_fails_naming_the_call_and_the_text(stack: Stack) -> None:
    stack.write_test("invoke", HEADER + SCENARIOS["invoke"])
    stack.record()
    stack.replay_passes()
    stack.edit(
        "langchain_agent",
        "You are a helpful cooking assistant.",
        "You are a grumpy cooking assistant!",
    )
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*ChatOpenAI.invoke*"])
    result.stdout.fnmatch_lines(
        ["*You are a helpful cooking assistant.*You are a grumpy cooking assistant!*"]
    )


def test_the_sdk_method_under_the_chat_model_is_refused_naming_the_chat_model_method(
    stack: Stack,
) -> None:
    """ChatOpenAI calls ``Completions.create`` through ``with_raw_response``: mocked there, the
    answer recorded is the SDK's raw response, which cannot be stored. The message names it
    and the target that works (the chat model's method), not a function under the SDK's."""
    stack.write_test(
        "sdk_target",
        HEADER
        + """
@pytest.mark.replay("goldens/sdk.ckpt",
                    mock={"llm": "openai.resources.chat.completions.Completions.create"})
def test_it(replay):
    agent = app.ChefAgent(app.make_llm())
    assert replay.run(agent.ask, "Risotto tips?").content == "Answer to 'Risotto tips?'"
""",
    )
    result = stack.try_record()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cannot serialise the answer of call #1 to "
            "openai.resources.chat.completions.Completions.create*LegacyAPIResponse*"
            "raw response*with_raw_response*"
            "under LangChain*mock the chat model's invoke*langchain_openai.ChatOpenAI.invoke*",
        ]
    )
    assert not stack.goldens()


def test_astream_events_over_a_recorded_astream_records_without_hanging(stack: Stack) -> None:
    """``astream_events(version="v2")`` passes its event handler (a LangChain tracer, whose
    ``__copy__`` returns itself) to ``astream`` in ``config["callbacks"]``. Before the fix the
    redaction of the recorded call's arguments set copies of the handler's attributes on the
    handler itself: its send stream was bound to a copy of the event loop, its events never
    reached the agent, and the recording waited forever (here: for the guard's timeout)."""
    stack.write_test(
        "astream_events",
        HEADER
        + """
async def events(llm, question):
    seen = []
    async for event in llm.astream_events([("user", question)], version="v2"):
        seen.append(event["event"])
    return seen


@pytest.mark.replay("goldens/events.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.astream"},
                    ignore=["config.callbacks"])
def test_it(replay):
    guarded = asyncio.wait_for(replay.run(events, app.make_llm(), "Pasta?"), timeout=20)
    seen = asyncio.run(guarded)
    assert seen[0] == "on_chat_model_start" and seen[-1] == "on_chat_model_end"
    assert "on_chat_model_stream" in seen
""",
    )
    stack.record()
    assert stack.goldens()


def test_a_callback_handler_in_a_recorded_calls_arguments_is_named_with_the_method_to_mock(
    stack: Stack,
) -> None:
    """A replayed ``ChatOpenAI.astream`` does not run LangChain's run machinery, so the handler
    ``astream_events`` passes in ``config["callbacks"]`` gets no events. Before the fix the
    warning about storing the handler advised only ``ignore=['config.callbacks.0']``: followed,
    the recording passed and every replay failed, its events all missing. It now names the
    method that keeps callbacks called (``_astream``, the docs' fix), which records and replays."""
    test = (
        HEADER
        + """
async def events(llm, question):
    seen = []
    async for event in llm.astream_events([("user", question)], version="v2"):
        seen.append(event["event"])
    return seen


@pytest.mark.replay("goldens/events.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.astream"})
def test_it(replay):
    seen = asyncio.run(replay.run(events, app.make_llm(), "Pasta?"))
    assert seen[0] == "on_chat_model_start" and seen[-1] == "on_chat_model_end"
"""
    )
    stack.write_test("astream_events", test)
    result = stack.try_record()  # (filterwarnings = error: the warning fails the recording)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*UnencodableValueWarning*_AstreamEventsCallbackHandler*config.callbacks.0*"
            "a LangChain callback handler*replay does not call*"
            "mock the chat model's _generate, _agenerate, _stream or _astream*",
        ]
    )
    stack.write_test(
        "astream_events",
        test.replace(
            'mock={"llm": "langchain_openai.ChatOpenAI.astream"}',
            'mock={"llm": "langchain_openai.ChatOpenAI._astream"}, ignore=["**.run_manager"]',
        ),
    )
    stack.roundtrip()


def test_a_test_failing_on_events_a_replayed_astream_did_not_give_names_the_method_to_mock(
    stack: Stack,
) -> None:
    """The test reads the model's ``astream_events`` itself (no ``replay.run``, so no golden
    outcome is compared) with ``astream`` mocked and the event handler ignored: the replayed
    ``astream`` answers without LangChain's run machinery, so the stream gives no event and the
    test's own assertion fails. Before the fix nothing more was said (``assert
    'on_chat_model_stream' in []``, no hint at record time either); the failure now names the
    handler the replayed call was given and the method to mock (``_astream``)."""
    stack.write_test(
        "astream_events",
        HEADER
        + """
async def events(llm, question):
    seen = []
    async for event in llm.astream_events([("user", question)], version="v2"):
        seen.append(event["event"])
    return seen


@pytest.mark.replay("goldens/events.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.astream"},
                    ignore=["config.callbacks"])
def test_it():
    seen = asyncio.run(events(app.make_llm(), "Pasta?"))
    assert "on_chat_model_stream" in seen
""",
    )
    stack.record()
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E       AssertionError: assert 'on_chat_model_stream' in []",
            "*Captured clearstone call*",
            "test_astream_events.py::test_it failed in a replay. Call #1 to "
            "langchain_openai.ChatOpenAI.astream was "
            "given LangChain callback handlers "
            "(langchain_core.tracers.event_stream._AstreamEventsCallbackHandler) in "
            "config?'callbacks'?: a replay answers it without LangChain's run machinery, so "
            "they get no events for it*mock the chat model's _generate (_agenerate for ainvoke; "
            "_stream, _astream for stream, astream, astream_events) instead, with "
            "ignore=?'**.run_manager'?*",
        ]
    )


@pytest.mark.parametrize(
    ("ignore", "placeholder"),
    [
        (', ignore=["config.callbacks"]', "<ignored langchain_core.callbacks.manager.Callback"),
        ("", "<langchain_core.callbacks.manager.CallbackManager: not stored (no readable form)"),
    ],
    ids=["ignored", "not-ignored"],
)
def test_a_tracer_in_the_callbacks_is_not_refused_as_a_secret(
    stack: Stack, ignore: str, placeholder: str
) -> None:
    """A chain ``with_listeners`` (or ``RunnableWithMessageHistory``, or LangSmith tracing) puts
    a LangChain tracer in ``config["callbacks"]``; its runs' ``dotted_order`` strings look like
    secrets. The golden records the callback manager as a placeholder naming its type (ignored
    or not: it has no readable form), so none of them reaches the file. Before the fix the
    recording was refused all the same ("refusing to record 6 value(s) that look like
    secrets", at paths through the placeholder). (Not ``roundtrip()``: unignored, the
    placeholder is a ``repr`` tag, which its readability check refuses.)"""
    stack.write_test(
        "listeners",
        HEADER
        + """
from langchain_core.prompts import ChatPromptTemplate


def chat(llm, question):
    ends = []
    prompt = ChatPromptTemplate.from_messages([("human", "{question}")])
    chain = (prompt | llm).with_listeners(on_end=lambda run: ends.append(run.name))
    return [chain.invoke({"question": question}).content, ends]


@pytest.mark.replay("goldens/listeners.ckpt",
                    mock={"llm": "langchain_openai.ChatOpenAI.invoke"}IGNORE)
def test_it(replay):
    answer, ended = replay.run(chat, app.make_llm(), "Pesto?")
    assert (answer, ended) == ("Answer to 'Pesto?'", ["RunnableSequence"])
""".replace("IGNORE", ignore),
    )
    stack.record()
    stack.replay_passes()
    stack.check_no_secret_on_disk()
    text = (stack.path / "goldens" / "listeners.ckpt").read_text()
    assert placeholder in text
    assert "dotted_order" not in text


def test_a_callback_handler_a_replay_does_not_call_is_named_in_the_mismatch(stack: Stack) -> None:
    """A handler of the user's own in ``config["callbacks"]`` of a mocked ``ChatOpenAI.invoke``
    gets no events on replay (the recorded answer is returned without LangChain's run
    machinery), so what it collected into the state differs on every replay. Before the fix the
    golden mismatch said only to re-record, which changes nothing; it now names the call, the
    handler and the methods to mock instead, and that fix records and replays."""
    test = (
        HEADER
        + """
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import HumanMessage


class Tokens(BaseCallbackHandler):
    def __init__(self):
        self.total = 0

    def on_llm_end(self, response, **kwargs):
        self.total += response.llm_output["token_usage"]["total_tokens"]


class Counter:
    def __init__(self, llm):
        self.llm, self.tokens = llm, 0

    def get_state(self):
        return {"tokens": self.tokens}

    def load_state(self, state):
        self.tokens = state["tokens"]

    def ask(self, question):
        handler = Tokens()
        message = self.llm.invoke([HumanMessage(question)], config={"callbacks": [handler]})
        self.tokens += handler.total
        return message.content


@pytest.mark.replay("goldens/tokens.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"})
def test_it(replay):
    assert replay.run(Counter(app.make_llm()).ask, "Hi") == "Answer to 'Hi'"
"""
    )
    stack.write_test("tokens", test)
    stack.record()
    result = stack.replay()
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "GoldenMismatchError" in text and "root['tokens']: 11 -> 0" in text
    assert (
        "Call #1 to langchain_openai.ChatOpenAI.invoke was given LangChain callback handlers "
        "(test_tokens.Tokens) in config['callbacks']: a replay answers it without LangChain's "
        "run machinery, so they get no events for it, and re-recording does not change that. "
        "If the difference is what they collect, mock the chat model's _generate (_agenerate "
        "for ainvoke; _stream, _astream for stream, astream, astream_events) instead, with "
        "ignore=['**.run_manager']" in " ".join(text.replace("\nE   ", " ").split())
    )
    # (after "re-recording does not change that", a re-record only for a change of the agent)
    assert (
        "the handlers are called on replay too. If that is not what makes it differ, the agent "
        "changed. If the change is intended, re-record with: pytest --clearstone-record "
        "test_tokens.py::test_it" in " ".join(text.replace("\nE   ", " ").split())
    )
    stack.write_test(
        "tokens",
        test.replace(
            'mock={"llm": "langchain_openai.ChatOpenAI.invoke"}',
            'mock={"llm": "langchain_openai.ChatOpenAI._generate"}, ignore=["**.run_manager"]',
        ),
    )
    stack.roundtrip()


def test_a_usage_callback_set_by_a_context_manager_is_named_when_the_replay_differs(
    stack: Stack,
) -> None:
    """``get_usage_metadata_callback()`` (LangChain's documented way to count tokens) does not
    pass its handler in ``config["callbacks"]``: it sets it in a context variable, which
    LangChain's run machinery reads. A replayed ``invoke`` runs no such machinery, so the
    handler counts nothing. Before the fix the golden mismatch (``usage ... removed``) gave no
    cause, only the advice to re-record, which changes nothing. It now names the handler and the
    method to mock instead, which records and replays."""
    test = (
        HEADER
        + """
from langchain_core.callbacks import get_usage_metadata_callback
from langchain_core.messages import HumanMessage


def cost_ask(llm, question):
    with get_usage_metadata_callback() as usage:
        message = llm.invoke([HumanMessage(question)])
    return {"content": message.content, "usage": usage.usage_metadata}


@pytest.mark.replay("goldens/usage.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"})
def test_it(replay):
    assert replay.run(cost_ask, app.make_llm(), "Hi")["usage"]
"""
    )
    stack.write_test("usage", test)
    stack.record()
    result = stack.replay()
    result.assert_outcomes(failed=1)
    text = " ".join(result.stdout.str().replace("\nE   ", " ").split())
    assert "GoldenMismatchError" in text and "root['usage']['gpt-4o-mini']: removed" in text
    assert (
        "Call #1 to langchain_openai.ChatOpenAI.invoke ran with LangChain callback handlers "
        "(langchain_core.callbacks.usage.UsageMetadataCallbackHandler) set by a context "
        "manager (get_usage_metadata_callback(), ...): a replay answers it without LangChain's "
        "run machinery, so they get no events for it, and re-recording does not change that. "
        "If the difference is what they collect, mock the chat model's _generate" in text
    )
    stack.write_test(
        "usage",
        test.replace(
            'mock={"llm": "langchain_openai.ChatOpenAI.invoke"}',
            'mock={"llm": "langchain_openai.ChatOpenAI._generate"}, ignore=["**.run_manager"]',
        ),
    )
    stack.roundtrip()


def test_a_handler_given_to_the_model_itself_is_named_when_the_replay_differs(
    stack: Stack,
) -> None:
    """A handler given to the chat model when it is built (``ChatOpenAI(callbacks=[...])``, its
    ``callbacks`` field) gets no events from a replayed ``invoke`` either. Before the fix the
    golden mismatch (``root['calls']: 1 -> 0``) named no cause, only the advice to re-record,
    which changes nothing: the hint looked in ``config["callbacks"]`` only."""
    test = (
        HEADER
        + """
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import HumanMessage


class Ends(BaseCallbackHandler):
    def __init__(self):
        self.calls = 0

    def on_llm_end(self, response, **kwargs):
        self.calls += 1


def counted_ask(question):
    ends = Ends()
    llm = app.make_llm().model_copy(update={"callbacks": [ends]})
    message = llm.invoke([HumanMessage(question)])
    return {"content": message.content, "calls": ends.calls}


@pytest.mark.replay("goldens/ends.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"})
def test_it(replay):
    assert replay.run(counted_ask, "Hi")["calls"] == 1
"""
    )
    stack.write_test("ends", test)
    stack.record()
    result = stack.replay()
    result.assert_outcomes(failed=1)
    text = " ".join(result.stdout.str().replace("\nE   ", " ").split())
    assert "GoldenMismatchError" in text and "root['calls']: 1 -> 0" in text
    assert (
        "Call #1 to langchain_openai.ChatOpenAI.invoke was given LangChain callback handlers "
        "(test_ends.Ends) in its model's callbacks: a replay answers it without LangChain's "
        "run machinery, so they get no events for it, and re-recording does not change that. "
        "If the difference is what they collect, mock the chat model's _generate" in text
    )
    stack.write_test(
        "ends",
        test.replace(
            'mock={"llm": "langchain_openai.ChatOpenAI.invoke"}',
            'mock={"llm": "langchain_openai.ChatOpenAI._generate"}, ignore=["**.run_manager"]',
        ),
    )
    stack.record()  # (not roundtrip(): the model's handler is a placeholder, a `repr` tag)
    stack.replay_passes()


def test_handlers_of_the_run_a_call_is_made_in_are_named_when_the_replay_differs(
    stack: Stack,
) -> None:
    """A model called with no config inside a runnable (a ``RunnableLambda``, a LangGraph node)
    takes the callbacks of the run it is called in from LangChain's context variable: under
    ``astream_events``, its event handler. A replayed ``ainvoke`` gives that handler no events.
    Before the fix the golden mismatch (``root[0]: removed ...``) named no cause, only the
    advice to re-record, which changes nothing."""
    test = (
        HEADER
        + """
from langchain_core.messages import HumanMessage
from langchain_core.runnables import RunnableLambda


async def answers(question):
    llm = app.make_llm()

    async def node(text):
        return (await llm.ainvoke([HumanMessage(text)])).content

    ends = []
    async for event in RunnableLambda(node).astream_events(question, version="v2"):
        if event["event"] == "on_chat_model_end":
            ends.append(event["data"]["output"].content)
    return ends


@pytest.mark.replay("goldens/ends.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.ainvoke"})
def test_it(replay):
    assert asyncio.run(replay.run(answers, "Hi")) == ["Answer to 'Hi'"]
"""
    )
    stack.write_test("ends", test)
    stack.record()
    result = stack.replay()
    result.assert_outcomes(failed=1)
    text = " ".join(result.stdout.str().replace("\nE   ", " ").split())
    assert "GoldenMismatchError" in text and "root[0]: removed \"Answer to 'Hi'\"" in text
    assert (
        "Call #1 to langchain_openai.ChatOpenAI.ainvoke ran with LangChain callback handlers "
        "(langchain_core.tracers.event_stream._AstreamEventsCallbackHandler) of the run it was "
        "called in (astream_events, a graph's stream_mode='messages', ...): a replay answers "
        "it without LangChain's run machinery, so they get no events for it" in text
    )
    stack.write_test(
        "ends",
        test.replace(
            'mock={"llm": "langchain_openai.ChatOpenAI.ainvoke"}',
            # (astream_events' handler makes the model stream: its ainvoke goes through _astream)
            'mock={"llm": "langchain_openai.ChatOpenAI._astream"}, ignore=["**.run_manager"]',
        ),
    )
    stack.roundtrip()


@pytest.fixture
def _llm_cache_kept() -> Iterator[None]:
    """The inner runs (in this process) set LangChain's global LLM cache: put the one before
    back, or the later tests of this worker are answered from it."""
    from langchain_core.globals import get_llm_cache, set_llm_cache

    before = get_llm_cache()
    yield
    set_llm_cache(before)


@pytest.mark.usefixtures("_llm_cache_kept")
def test_calls_langchains_llm_cache_answered_are_explained(stack: Stack) -> None:
    """``set_llm_cache(InMemoryCache())``: the chat model looks each prompt up before calling
    ``_generate`` (the target that keeps callbacks called), so a prompt an earlier test asked
    (or a cache kept between runs, SQLiteCache) makes no call. Before the fix the replay said
    "The agent now skips calls it used to make ... re-record", and the re-recording recorded
    nothing, with hints about ``_agenerate`` and ``_stream``; both now name the cache and the
    fix, which replays green."""
    test = (
        HEADER
        + """
from langchain_core.caches import InMemoryCache
from langchain_core.globals import set_llm_cache
from langchain_core.messages import HumanMessage

set_llm_cache(InMemoryCache())
FIXTURE


def ask(llm):
    return llm.invoke([HumanMessage("Cached?")]).content


@pytest.mark.replay("goldens/one.ckpt", mock={"llm": "langchain_openai.ChatOpenAI._generate"},
                    ignore=["run_manager"])
def test_one(replay):
    assert replay.run(ask, app.make_llm()) == "Answer to 'Cached?'"


@pytest.mark.replay("goldens/two.ckpt", mock={"llm": "langchain_openai.ChatOpenAI._generate"},
                    ignore=["run_manager"])
def test_two(replay):
    assert replay.run(ask, app.make_llm()) == "Answer to 'Cached?'"
"""
    )
    hint = (
        "LangChain's LLM cache is set (langchain_core.caches.InMemoryCache, set_llm_cache): a "
        "model answers a prompt the cache holds without calling "
        "langchain_openai.ChatOpenAI._generate"
    )
    stack.write_test("cache", test.replace("FIXTURE", ""))
    result = stack.try_record()
    result.assert_outcomes(passed=1, failed=1)
    assert hint in result.stdout.str() and "nothing was recorded" in result.stdout.str()
    stack.try_record("-k", "two").assert_outcomes(passed=1, deselected=1)  # (a run of its own)
    result = stack.replay()
    result.assert_outcomes(passed=1, failed=1)
    assert hint in result.stdout.str() and "UnusedResponsesError" in result.stdout.str()
    stack.write_test(
        "cache",
        test.replace(
            "FIXTURE",
            """

@pytest.fixture(autouse=True)
def _empty_llm_cache():
    set_llm_cache(InMemoryCache())
""",
        ),
    )
    stack.replay_passes()


@pytest.mark.usefixtures("_llm_cache_kept")
def test_a_streaming_models_calls_the_llm_cache_answered_are_explained(stack: Stack) -> None:
    """A model that streams under ``invoke`` (``streaming=True``; also any model under
    ``astream_events`` or LangGraph's ``stream_mode="messages"``, where the docs say to mock
    ``_stream``/``_astream``) calls ``_stream`` from the same cached path as ``_generate``: the
    cache answers a prompt it holds without calling it. Before the fix neither failure named the
    cache: the recording blamed a ``functools.cache`` whose ``cache_clear()`` it told the user to
    call, and the replay said the agent now skips calls it used to make."""
    test = (
        HEADER
        + """
from langchain_core.caches import InMemoryCache
from langchain_core.globals import set_llm_cache
from langchain_core.messages import HumanMessage
from langchain_openai import ChatOpenAI

import services

set_llm_cache(InMemoryCache())


def ask():
    llm = ChatOpenAI(model="gpt-4o-mini", max_retries=0, streaming=True,
                     http_client=services.OPENAI.client())
    return llm.invoke([HumanMessage("Cached?")]).content


@pytest.mark.replay("goldens/one.ckpt", mock={"llm": "langchain_openai.ChatOpenAI._stream"},
                    ignore=["**.run_manager"])
def test_one(replay):
    assert replay.run(ask) == "Answer to 'Cached?'"


@pytest.mark.replay("goldens/two.ckpt", mock={"llm": "langchain_openai.ChatOpenAI._stream"},
                    ignore=["**.run_manager"])
def test_two(replay):
    assert replay.run(ask) == "Answer to 'Cached?'"
"""
    )
    hint = (
        "LangChain's LLM cache is set (langchain_core.caches.InMemoryCache, set_llm_cache): a "
        "model answers a prompt the cache holds without calling "
        "langchain_openai.ChatOpenAI._stream"
    )
    stack.write_test("cache", test)
    result = stack.try_record()
    result.assert_outcomes(passed=1, failed=1)
    assert hint in result.stdout.str() and "nothing was recorded" in result.stdout.str()
    assert "cache_clear()" not in result.stdout.str()
    stack.try_record("-k", "two").assert_outcomes(passed=1, deselected=1)  # (a run of its own)
    result = stack.replay()
    result.assert_outcomes(passed=1, failed=1)
    assert hint in result.stdout.str() and "UnusedResponsesError" in result.stdout.str()


CHAT = "langchain_openai.ChatOpenAI"


@pytest.mark.usefixtures("_llm_cache_kept")
def test_the_llm_cache_hint_names_only_the_methods_the_cache_skips_while_one_is_set() -> None:
    """Which mock targets LangChain's LLM cache leaves uncalled: the methods under it
    (``_generate``, ``_agenerate``, ``_stream``, ``_astream``) of a chat model or an LLM, each
    once; not ``invoke``, which it does not skip, nor another class's ``_generate``; none while
    no cache is set."""
    from langchain_core.caches import InMemoryCache
    from langchain_core.globals import set_llm_cache
    from langchain_core.language_models.fake import FakeListLLM

    from pytest_clearstone.golden.llm_cache import cache_skipped, llm_cache_hint

    llm = f"{FakeListLLM.__module__}.FakeListLLM._generate"
    targets = [f"{CHAT}._generate", f"{CHAT}._agenerate", f"{CHAT}.invoke", f"{CHAT}._generate",
               f"{CHAT}._astream", "json.JSONDecoder._generate", llm]  # fmt: skip
    set_llm_cache(None)
    assert cache_skipped(targets) == []
    assert llm_cache_hint(targets) == ""
    set_llm_cache(InMemoryCache())
    skipped = [f"{CHAT}._generate", f"{CHAT}._agenerate", f"{CHAT}._astream", llm]
    assert cache_skipped(targets) == skipped
    assert f"without calling {', '.join(skipped)}, so a cache" in llm_cache_hint(targets)
    assert llm_cache_hint([f"{CHAT}.invoke", "json.JSONDecoder._generate"]) == ""
    # a function of a module (no class to look up), a class that is not there: not skipped
    assert cache_skipped(["json._generate", "json.NoSuchModel._stream"]) == []


def test_an_error_batch_returns_as_a_value_is_refused_with_the_fix_that_works(
    stack: Stack,
) -> None:
    """``llm.batch(..., return_exceptions=True)`` gives back an input's error (here the 429's
    ``openai.RateLimitError``) in its list. Kept in the result, it was refused with "only a
    pickle could store it" and two fixes: allowing pickles, which then fails on the API key the
    error's request holds, and registering an encoder. The refusal now says it is an exception
    kept as a value and to keep what the test checks of it, which records and replays."""
    test = (
        HEADER
        + """
from langchain_core.messages import HumanMessage


def ask_all(questions):
    answers = app.make_llm().batch([[HumanMessage(q)] for q in questions],
                                   return_exceptions=True)
    return KEEP


@pytest.mark.replay("goldens/batch.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"},
                    ignore=["config.callbacks"])
def test_it(replay):
    assert len(replay.run(ask_all, ["Pho?", "[429] Ramen?"])) == 2
"""
    )
    stack.write_test("batch", test.replace("KEEP", "answers"))
    result = stack.try_record()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "outcome['result'][1]" in out and "an exception kept as a value" in out, out
    assert "return_exceptions=True" in out and "type(exc).__name__" in out, out
    result = stack.try_record("--clearstone-allow-pickle")  # (the fix it no longer leads with)
    # openai 3.63 leaves the credentials out of an error's request: its pickle no longer holds
    # the key, and is written; the releases before it are refused for the key
    if result.parseoutcomes().get("failed"):
        assert "the value of $OPENAI_API_KEY is in the outcome" in result.stdout.str()
    else:
        result.assert_outcomes(passed=1)
        stack.check_no_secret_on_disk()
    kept = (
        '[a.content if isinstance(a, AIMessage) else f"{type(a).__name__}: {a}" for a in answers]'
    )
    stack.write_test("batch", test.replace("KEEP", kept))
    stack.roundtrip()


def test_the_chat_model_as_the_agent_replays(stack: Stack) -> None:
    """``replay.run(llm.invoke, ...)``: the ``ChatOpenAI`` is the agent, its state its
    ``__dict__``. That holds langchain-core's ``functools.cached_property`` ``_serialized`` once
    a live ``invoke`` filled it in, when recording, and a replayed one never does: every replay
    of an unchanged test failed with ``root['_serialized']: removed {...}``. A cached value only
    one side holds is left out of the comparison; a changed prompt still fails."""
    test = (
        HEADER
        + """
@pytest.mark.replay("goldens/model.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"})
def test_it(replay):
    llm = app.make_llm(temperature=0.2)
    assert replay.run(llm.invoke, "Tacos?").content == "Answer to 'Tacos?'"
"""
    )
    stack.write_test("model_as_agent", test)
    stack.roundtrip()
    stack.write_test("model_as_agent", test.replace("Tacos?", "Nachos?"))
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*ReplayDivergenceError*ChatOpenAI.invoke*", "*'Tacos?'*'Nachos?'*"], consecutive=False
    )


def _calls_self(node: object) -> list[dict[str, object]]:
    """The recorded ``self`` settings of the chat model in a golden's JSON."""
    if isinstance(node, dict):
        found = [node] if str(node.get("__class__", "")).startswith("langchain_openai.") else []
        return found + [s for value in node.values() for s in _calls_self(value)]
    if isinstance(node, list):
        return [s for value in node for s in _calls_self(value)]
    return []


def test_a_langchain_upgrade_does_not_fail_the_replay(stack: Stack) -> None:
    """langchain-core puts the installed versions of langchain-core, langchain and the partner
    package in every chat model's ``metadata["lc_versions"]`` (for tracing: never sent to the
    model). Before the fix the recorded ``self`` of ``ChatOpenAI.invoke`` held them, so any patch
    release of one of them failed every LangChain replay with ``root['self']['metadata']
    ['lc_versions']['langchain-core']: '1.8.2' -> '1.8.3'``, nothing in the agent changed, and a
    re-record after the upgrade rewrote every golden."""
    import json

    stack.write_test("invoke", HEADER + SCENARIOS["invoke"])
    stack.record()
    (golden,) = stack.goldens()
    tree = json.loads(golden.read_text())
    settings = _calls_self(tree)
    assert settings and all("lc_versions" not in (s.get("metadata") or {}) for s in settings), (
        "the recorded settings hold the installed LangChain versions"
    )
    # a golden recorded before the fix, under other releases, still replays
    for s in settings:
        s["metadata"] = {"lc_versions": {"langchain-core": "0.0.1", "langchain-openai": "0.0.2"}}
    golden.write_text(json.dumps(tree, indent=2))
    stack.replay_passes()


def _set_lc_versions(node: object, versions: dict[str, str]) -> int:
    """Set the ``lc_versions`` of every stored chat model's ``metadata`` in a golden's JSON, as
    other releases of LangChain wrote it; how many were set."""
    count = 0
    if isinstance(node, dict):
        fields = node.get("v") if node.get("__cs__") == "pydantic" else None
        metadata = fields.get("metadata") if isinstance(fields, dict) else None
        if isinstance(metadata, dict) and "lc_versions" in metadata:
            metadata["lc_versions"] = dict(versions)
            count += 1
        count += sum(_set_lc_versions(value, versions) for value in node.values())
    elif isinstance(node, list):
        count += sum(_set_lc_versions(value, versions) for value in node)
    return count


@pytest.mark.parametrize("name", ["llm_in_attribute_no_get_state", "wrapper_sync"])
def test_a_langchain_upgrade_does_not_fail_a_chat_model_in_the_state_or_the_arguments(
    stack: Stack, name: str
) -> None:
    """The ``lc_versions`` that langchain-core puts in a chat model's ``metadata`` were left
    out of a mocked method's ``self`` only: a ``ChatOpenAI`` kept in the agent's state (an agent
    without ``get_state()``) failed the replay after any LangChain release with a
    ``GoldenMismatchError`` (``root['llm'].metadata['lc_versions']['langchain-core']: '1.6.13'
    -> '1.8.3'``, ``['langchain']: added``: also where ``langchain`` is installed and was not),
    one passed to a function of one's own with a ``ReplayDivergenceError``; the docs said an
    upgrade of LangChain replays the goldens recorded before it."""
    import json

    stack.write_test(name, HEADER + SCENARIOS[name])
    stack.record()
    (golden,) = stack.goldens()
    tree = json.loads(golden.read_text())
    older = {"langchain-core": "1.6.13", "langchain-openai": "1.6.0"}
    assert _set_lc_versions(tree, older) >= 1
    golden.write_text(json.dumps(tree, indent=2))
    stack.replay_passes()
    # another metadata value still diverges
    tree = json.loads(golden.read_text())
    assert _set_lc_versions(tree, older) >= 1
    text = json.dumps(tree, indent=2).replace('"lc_versions"', '"team": "search", "lc_versions"')
    golden.write_text(text)
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*root[[]'llm'[]]*metadata*team*"])


STRUCTURED = f"""
import pydantic


class Verdict(pydantic.BaseModel):
    answer: str
    confident: bool


def ask(question):
    return app.make_llm().with_structured_output(Verdict).invoke(question)


@pytest.mark.replay("goldens/structured.ckpt", mock={{"llm": "{INVOKE}"}})
def test_it(replay):
    verdict = replay.run(ask, "Risotto tips?")
    assert verdict.answer == "Answer to 'Risotto tips?'"
"""


def test_a_structured_output_model_changed_since_recording_diverges_and_is_re_recorded(
    stack: Stack,
) -> None:
    """``with_structured_output(Verdict)``: the recorded answer holds the parsed ``Verdict``. A
    field removed from it since was a damaged golden ("not a readable checkpoint"), and
    record-diverged left the test failed."""
    stack.write_test("structured", HEADER + STRUCTURED)
    stack.record()
    stack.replay_passes()
    stack.edit("test_structured", "    confident: bool\n", "")
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*structured.ckpt was recorded with a class the code has changed since: the stored "
            "'test_structured:Verdict' has fields [[]'confident'[]] the class no longer has*",
            "0 checkpoint(s) replayed, 0 recorded, 1 diverged",
        ]
    )
    result = stack.live("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=1)
    stack.replay_passes()
