"""The SDKs' helper methods whose answer holds the live request (openai's ``chat.completions.
stream`` and ``responses.stream`` and its Responses tool runner's ``iterate``, anthropic's
``messages.stream`` and ``beta.messages.tool_runner``): mocked, the recording is refused with the
fix for that SDK, and following the fix records and replays.

Each hint names the method of the mocked helper's own SDK, sync or async and beta or not as the
helper is; openai's helpers send their request through ``create`` (mocking it keeps the helper),
anthropic's stream helper does not (``create(..., stream=True)``, as docs/how-to/anthropic.md
says), its tool runner does. The refusal comes first under ``-W error`` too.
"""

from __future__ import annotations

from collections.abc import Callable

import anthropic  # noqa: F401  (imported once here, so the in-process inner runs reuse them)
import openai  # noqa: F401
import pytest

from .harness import Stack

AGENT = '''
import contextlib

from anthropic import beta_async_tool, beta_tool
from openai.lib.responses_tool_runner import (
    AsyncRegisteredFunction, AsyncResponsesToolRunner, RegisteredFunction, ResponsesToolRunner)

MODEL = "claude-sonnet-4-5"


@beta_tool
def get_weather(query: str) -> str:
    """Get the weather for a city.

    Args:
        query: The city name.
    """
    return "sunny"


@beta_async_tool
async def aget_weather(query: str) -> str:
    """Get the weather for a city.

    Args:
        query: The city name.
    """
    return "sunny"


def open_runner(client, q):
    return client.beta.messages.tool_runner(
        model=MODEL, max_tokens=256, tools=[get_weather],
        messages=[{"role": "user", "content": q}])


def run_opened(client, q):
    return open_runner(client, q).until_done().content[-1].text


def runner(client, q, **options):
    runner = client.beta.messages.tool_runner(
        model=MODEL, max_tokens=256, tools=[get_weather],
        messages=[{"role": "user", "content": q}], **options)
    return runner.until_done().content[-1].text


async def arunner(client, q, **options):
    runner = client.beta.messages.tool_runner(
        model=MODEL, max_tokens=256, tools=[aget_weather],
        messages=[{"role": "user", "content": q}], **options)
    return (await runner.until_done()).content[-1].text


WEATHER = {"type": "function", "name": "get_weather", "description": "The weather of a city.",
           "parameters": {"type": "object", "properties": {"query": {"type": "string"}},
                          "required": ["query"], "additionalProperties": False}, "strict": True}


def responses_turns(client, q):
    runner = ResponsesToolRunner(
        functions=[RegisteredFunction(tool=WEATHER, execute=lambda args: "sunny")])
    with contextlib.closing(runner.iterate(client, {"model": "gpt-4o-mini", "input": q})) as turns:
        return next(turn.response.output_text for turn in turns if turn.final)


async def aresponses_turns(client, q):
    async def weather(args):
        return "sunny"

    runner = AsyncResponsesToolRunner(
        functions=[AsyncRegisteredFunction(tool=WEATHER, execute=weather)])
    turns = runner.iterate(client, {"model": "gpt-4o-mini", "input": q})
    async with contextlib.aclosing(turns):
        async for turn in turns:
            if turn.final:
                return turn.response.output_text


def chat_stream(client, q):
    with client.chat.completions.stream(
            model="gpt-4o-mini", messages=[{"role": "user", "content": q}]) as stream:
        return stream.get_final_completion().choices[0].message.content


async def achat_stream(client, q):
    async with client.chat.completions.stream(
            model="gpt-4o-mini", messages=[{"role": "user", "content": q}]) as stream:
        return (await stream.get_final_completion()).choices[0].message.content


def responses_stream(client, q):
    with client.responses.stream(model="gpt-4o-mini", input=q) as stream:
        return stream.get_final_response().output_text


async def aresponses_stream(client, q):
    async with client.responses.stream(model="gpt-4o-mini", input=q) as stream:
        return (await stream.get_final_response()).output_text


def message_stream(client, q, beta=False):
    messages = client.beta.messages if beta else client.messages
    with messages.stream(model=MODEL, max_tokens=256,
                         messages=[{"role": "user", "content": q}]) as stream:
        return stream.get_final_message().content[0].text


async def amessage_stream(client, q, beta=False):
    messages = client.beta.messages if beta else client.messages
    async with messages.stream(model=MODEL, max_tokens=256,
                               messages=[{"role": "user", "content": q}]) as stream:
        return (await stream.get_final_message()).content[0].text


def message_create_stream(client, q, beta=False):
    # the fix of the stream helper's refusal: stream with create(..., stream=True)
    messages = client.beta.messages if beta else client.messages
    stream = messages.create(model=MODEL, max_tokens=256, stream=True,
                             messages=[{"role": "user", "content": q}])
    return "".join(event.delta.text for event in stream if event.type == "content_block_delta")


async def amessage_create_stream(client, q, beta=False):
    messages = client.beta.messages if beta else client.messages
    stream = await messages.create(model=MODEL, max_tokens=256, stream=True,
                                   messages=[{"role": "user", "content": q}])
    return "".join([event.delta.text async for event in stream
                    if event.type == "content_block_delta"])
'''

TEST = """
import asyncio

import pytest

import helpers_agent as app


@pytest.mark.replay(mock={"llm": "TARGET"})
def test_it(replay, CLIENT):
    result = replay.run(app.FUNCTION, CLIENT, "Oslo"ARGS)
    if asyncio.iscoroutine(result):
        result = asyncio.run(result)
    assert EXPECTED in result
"""

OPENAI_CHAT = "openai.resources.chat.completions."
OPENAI_RESPONSES = "openai.resources.responses.responses."
OPENAI_RUNNER = "openai.lib.responses_tool_runner."
ANTHROPIC = "anthropic.resources.messages."
BETA = "anthropic.resources.beta.messages."

OWN_STREAM = (
    "or mock a function of your own that enters it, reads the stream and returns what the "
    "agent uses (the text, {final})."
)


def _write(stack: Stack, target: str, function: str, *, args: str = "") -> None:
    client = "async_" if function.startswith("a") else ""
    client += "anthropic_client" if "anthropic" in target else "openai_client"
    expected = "'sunny'" if "runner" in function else "\"'Oslo'\""
    source = (
        TEST.replace("TARGET", target)
        .replace("CLIENT", client)
        .replace("FUNCTION", function)
        .replace("ARGS", args)
        .replace("EXPECTED", expected)
    )
    stack.write_test("helper", source)


def _refused(stack: Stack, *args: str) -> pytest.RunResult:
    result = stack.try_record("-W", "error", *args)
    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("*Warning*")  # the refusal, not an encoding warning
    assert not stack.goldens()
    assert not stack.last_log[0]["anthropic"] + stack.last_log[0]["openai"], "a live call"
    return result


@pytest.fixture
def stack(make_stack: Callable[..., Stack]) -> Stack:
    built: Stack = make_stack()
    built.pytester.makepyfile(helpers_agent=AGENT)
    return built


# helper target, agent function, its options, the hint's method to mock, the call's kind
DELEGATING = [
    pytest.param(
        f"{OPENAI_CHAT}Completions.stream",
        "chat_stream",
        "",
        f"{OPENAI_CHAT}Completions.create",
        "the manager that openai's stream helper chat.completions.stream(...) returns",
        OWN_STREAM.format(final="stream.get_final_completion()"),
        id="openai-chat-stream",
    ),
    pytest.param(
        f"{OPENAI_CHAT}AsyncCompletions.stream",
        "achat_stream",
        "",
        f"{OPENAI_CHAT}AsyncCompletions.create",
        "the manager that openai's stream helper chat.completions.stream(...) returns",
        OWN_STREAM.format(final="await stream.get_final_completion()"),
        id="openai-async-chat-stream",
    ),
    pytest.param(
        f"{OPENAI_RESPONSES}Responses.stream",
        "responses_stream",
        "",
        f"{OPENAI_RESPONSES}Responses.create",
        "the manager that openai's stream helper responses.stream(...) returns",
        OWN_STREAM.format(final="stream.get_final_response()"),
        id="openai-responses-stream",
    ),
    pytest.param(
        f"{OPENAI_RESPONSES}AsyncResponses.stream",
        "aresponses_stream",
        "",
        f"{OPENAI_RESPONSES}AsyncResponses.create",
        "the manager that openai's stream helper responses.stream(...) returns",
        OWN_STREAM.format(final="await stream.get_final_response()"),
        id="openai-async-responses-stream",
    ),
    pytest.param(
        f"{OPENAI_RUNNER}ResponsesToolRunner.iterate",
        "responses_turns",
        "",
        f"{OPENAI_RESPONSES}Responses.create",
        "the tool runner that openai's helper ResponsesToolRunner(...).iterate(...) returns",
        "or mock a function of your own that runs it and returns what the agent uses "
        "(runner.run(client, params)).",
        id="openai-responses-tool-runner-turns",
    ),
    pytest.param(
        f"{OPENAI_RUNNER}AsyncResponsesToolRunner.iterate",
        "aresponses_turns",
        "",
        f"{OPENAI_RESPONSES}AsyncResponses.create",
        "the tool runner that openai's helper ResponsesToolRunner(...).iterate(...) returns",
        "or mock a function of your own that runs it and returns what the agent uses "
        "(await runner.run(client, params)).",
        id="openai-async-responses-tool-runner-turns",
    ),
    pytest.param(
        f"{BETA}Messages.tool_runner",
        "runner",
        "",
        f"{BETA}Messages.create",
        "the tool runner that anthropic's helper beta.messages.tool_runner(...) returns",
        "or mock a function of your own that runs it and returns what the agent uses "
        "(runner.until_done()).",
        id="anthropic-beta-tool-runner",
    ),
    pytest.param(
        f"{BETA}Messages.tool_runner",
        "runner",
        ", stream=True",
        f"{BETA}Messages.create",
        "the tool runner that anthropic's helper beta.messages.tool_runner(...) returns",
        "or mock a function of your own that runs it and returns what the agent uses "
        "(runner.until_done()).",
        id="anthropic-beta-streaming-tool-runner",
    ),
    pytest.param(
        f"{BETA}AsyncMessages.tool_runner",
        "arunner",
        "",
        f"{BETA}AsyncMessages.create",
        "the tool runner that anthropic's helper beta.messages.tool_runner(...) returns",
        "or mock a function of your own that runs it and returns what the agent uses "
        "(await runner.until_done()).",
        id="anthropic-beta-async-tool-runner",
    ),
]


@pytest.mark.parametrize(("helper", "function", "args", "create", "what", "own"), DELEGATING)
def test_a_helper_sending_through_create_is_refused_naming_its_create_which_records(
    stack: Stack, helper: str, function: str, args: str, create: str, what: str, own: str
) -> None:
    # Before the fix: the sync beta tool_runner was pointed to anthropic.resources.messages.
    # AsyncMessages.create (async, not beta: it records nothing there), under -W error only an
    # UnencodableValueWarning showed; openai's stream helpers were pointed to anthropic's
    # get_final_message() and to create(..., stream=True), never to their own create.
    _write(stack, helper, function, args=args)
    result = _refused(stack)
    result.stdout.fnmatch_lines(
        [
            f"*test_helper.py::test_it: cannot serialise the answers of {helper} (an *): it is "
            f"{what}, which sends *cannot be replayed. Keep the helper "
            f"and mock the SDK method it sends *through instead, {create}*, which records and "
            f"replays; {own}"
        ]
    )
    wrong = "Async" if "Async" not in helper else create.replace("Async", "")
    result.stdout.no_fnmatch_line(f"*{wrong}*")
    result.stdout.no_fnmatch_line("*get_final_message*" if "openai" in helper else "*openai*")
    # following the hint: the same agent, its SDK method mocked
    _write(stack, create, function, args=args)
    stack.roundtrip()


ANTHROPIC_STREAMS = [
    pytest.param(f"{ANTHROPIC}Messages.stream", "message_stream", "", id="sync"),
    pytest.param(f"{ANTHROPIC}AsyncMessages.stream", "amessage_stream", "", id="async"),
    pytest.param(f"{BETA}Messages.stream", "message_stream", ", beta=True", id="beta"),
    pytest.param(f"{BETA}AsyncMessages.stream", "amessage_stream", ", beta=True", id="beta-async"),
]


@pytest.mark.parametrize(("helper", "function", "args"), ANTHROPIC_STREAMS)
def test_anthropics_stream_helper_is_refused_naming_create_with_stream_true(
    stack: Stack, helper: str, function: str, args: str
) -> None:
    # anthropic's stream helper sends its request itself: mocking create leaves it unrecorded
    # ("nothing was recorded"); the fix is to stream with create(..., stream=True)
    _write(stack, helper, function, args=args)
    result = _refused(stack)
    create = helper.replace(".stream", ".create")
    calls = "beta.messages" if "beta" in helper else "messages"
    final = "stream.get_final_message()"
    final = f"await {final}" if "Async" in helper else final
    # the class anthropic names it: BetaAsyncMessageStreamManager, not AsyncBeta...
    manager = ("Beta" if "beta" in helper else "") + ("Async" if "Async" in helper else "")
    manager += "MessageStreamManager"
    result.stdout.fnmatch_lines(
        [
            f"*test_helper.py::test_it: cannot serialise the answers of {helper} (an anthropic "
            f"{manager}): it is the manager "
            f"that anthropic's stream helper {calls}.stream(...) returns, which sends the request "
            f"itself when entered (not through {create}) and cannot be replayed. Stream with "
            f"client.{calls}.create(..., stream=True) instead and mock {create}, which records "
            f"and replays; {OWN_STREAM.format(final=final)}"
        ]
    )
    result.stdout.no_fnmatch_line("*openai*")
    # following the hint: the agent streams with create(..., stream=True)
    _write(stack, create, function.replace("message_stream", "message_create_stream"), args=args)
    stack.roundtrip()


def test_the_sync_beta_tool_runner_refusal_comes_first_with_filterwarnings_error(
    stack: Stack,
) -> None:
    # the runner holds a generator: encoding it warned (UnencodableValueWarning) before the
    # refusal, and filterwarnings = error, which the docs recommend, turned the warning into
    # the test's failure, hiding the fix
    stack.pytester.makeini("[pytest]\nfilterwarnings = error\n")
    _write(stack, f"{BETA}Messages.tool_runner", "runner")
    result = stack.try_record()
    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("*UnencodableValueWarning*")
    result.stdout.fnmatch_lines([f"*Keep the helper and mock *{BETA}Messages.create, which*"])


def test_a_function_of_ones_own_answering_a_tool_runner_is_refused_with_the_fix(
    stack: Stack,
) -> None:
    # the answer of a function of one's own: known only once it returned, refused when the
    # golden is written, with the same fix, not behind the codec's warning about its repr
    stack.write_test(
        "helper",
        """
import pytest

import helpers_agent as app


@pytest.mark.replay(mock={"llm": "helpers_agent.open_runner"})
def test_it(anthropic_client):
    assert "sunny" in app.run_opened(anthropic_client, "Oslo")
""",
    )
    result = stack.try_record("-W", "error")
    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("*Warning*")
    result.stdout.fnmatch_lines(
        [
            "*the golden checkpoint was not written: cannot serialise the answer of call #1 to "
            "helpers_agent.open_runner (an anthropic.lib.tools.*.BetaToolRunner): it is the tool "
            "runner that anthropic's helper beta.messages.tool_runner(...) returns, which sends "
            "its requests as it runs and cannot be replayed. Keep the helper and mock the SDK "
            f"method it sends them through instead, {BETA}Messages.create, which records and "
            "replays; or mock a function of your own that runs it and returns what the agent "
            "uses (runner.until_done())."
        ]
    )
    assert not stack.goldens()


NOTHING_RECORDED = """
import pytest

import openai_agent as app


@pytest.mark.replay("goldens/parse.ckpt", mock={{"llm": "{target}"}})
def test_it(replay, openai_client):
    replay.run(app.ChatAgent(openai_client).{call}, "Flights to Lisbon?")
"""


@pytest.mark.parametrize(
    ("target", "helper", "call"),
    [
        ("openai.resources.responses.responses.Responses.create",
         "openai.resources.responses.responses.Responses.stream", "parse_response"),
        ("openai.resources.chat.completions.Completions.create",
         "openai.resources.chat.completions.Completions.stream", "parse_chat"),
    ],
    ids=["responses", "chat"],
)  # fmt: skip
def test_nothing_recorded_under_create_does_not_ask_about_openai_s_stream_helper(
    make_stack: Callable[..., Stack], target: str, helper: str, call: str
) -> None:
    """openai's stream helpers send by ``create`` when entered, so with ``create`` mocked and
    nothing recorded the agent did not stream through them; the hint said it might have and to
    mock a function of one's own, against docs/how-to/openai.md ("keep the helper and mock
    create"). Only ``responses.stream(response_id=...)``, which resumes a response through
    ``retrieve``, was asked about, naming ``retrieve``. The method the agent called, ``parse``,
    is named as called (the recording watched it), and then nothing else is asked about."""
    stack = make_stack("openai_agent")
    parse = helper.replace(".stream", ".parse")
    (stack.path / "parsing.py").write_text(
        "import openai_agent as app\n\n\n"
        "def parse_response(self, q):\n"
        "    return self.client.responses.parse(model=app.MODEL, input=q).output_text\n\n\n"
        "def parse_chat(self, q):\n"
        "    return self.client.chat.completions.parse(\n"
        "        model=app.MODEL, messages=app.messages_for(q)).choices[0].message.content\n\n\n"
        "app.ChatAgent.parse_response = parse_response\n"
        "app.ChatAgent.parse_chat = parse_chat\n"
    )
    stack.write_test("nothing", "import parsing  # noqa: F401\n"
                     + NOTHING_RECORDED.format(target=target, call=call))  # fmt: skip
    result = stack.try_record()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*nothing was recorded*",
            f"*the agent called `{parse}` (another method of *), which is not mocked: its calls "
            "ran live. Mock it instead, or too",
        ]
    )
    result.stdout.no_fnmatch_line("*the stream helper: its answer cannot be replayed*")
    result.stdout.no_fnmatch_line(f"*`{helper}`*")
    result.stdout.no_fnmatch_line("*does the agent call*")
