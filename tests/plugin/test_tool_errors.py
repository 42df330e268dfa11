"""Tools that raise: the agent catches the exception and reports it to the LLM.

This is the usual ReAct "Observation" loop: ``f"tool error: {exc}"`` goes into the next prompt,
so a replay that raises the recorded exception with another text diverges at that prompt, and
one that raises another class escapes the agent's ``except`` clause.
"""

from __future__ import annotations

import pytest

AGENT = """
import os


def read_file(path):
    with open(path) as f:
        return f.read()


def move(source, target):
    os.rename(source, target)


class Pool:
    # urllib3's connection pool in a MaxRetryError: only a pickle could store it
    def __str__(self):
        return "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded"


class ConnectionError(OSError):
    # requests.exceptions.ConnectionError: its one argument is urllib3's error
    pass


def fetch(url):
    raise ConnectionError(Pool())


def complete(prompt):
    return "I could not do that: " + prompt.splitlines()[-1]


def handle(path):
    observations = []
    for tool, args in ((read_file, (path,)), (move, (path, path + ".bak")), (fetch, (path,))):
        try:
            tool(*args)
        except OSError as exc:
            observations.append(f"tool error: {exc}")
    return complete("\\n".join(observations))
"""

TEST = """
import pytest
from app import handle


@pytest.mark.replay(
    mock={"tool": ["app.read_file", "app.move", "app.fetch"], "llm": "app.complete"}
)
def test_missing_file():
    assert "could not" in handle("/nonexistent/data/report.csv")
"""


def test_a_tool_error_the_agent_reports_to_the_llm_replays_with_its_text(
    pytester: pytest.Pytester,
) -> None:
    # Expected (checkpoint-format.md, error: "Replay raises it again"): a fresh recording
    # replays. Before the fix: the replayed FileNotFoundError lost ": '/nonexistent/...'" (an
    # OSError's file names were not recorded), the rename error its two file names, and the
    # connection error its text (its argument came back as a placeholder); the first replay
    # diverged at the prompt, and re-recording wrote the same golden.
    pytester.syspathinsert()
    pytester.makepyfile(app=AGENT, test_agent=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


VALIDATING_AGENT = """
import pydantic


class WeatherArgs(pydantic.BaseModel):
    city: str
    days: int


def get_weather(raw_args):
    # a tool that validates the LLM's arguments, as tool-calling agents do
    args = WeatherArgs.model_validate(raw_args)
    return f"sunny in {args.city} for {args.days} days"


def handle(raw_args):
    try:
        return get_weather(raw_args)
    except pydantic.ValidationError as exc:
        return f"tool error: {exc.error_count()} invalid argument(s)"
"""

VALIDATING_TEST = """
import pytest
from app import handle


@pytest.mark.replay(mock={"tool": "app.get_weather"})
def test_bad_args():
    assert handle({"city": "Paris", "days": "three"}).startswith("tool error")
"""


def test_a_recorded_validation_error_is_caught_by_the_agent_on_replay(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the replay raises pydantic's ValidationError again, made from the title and line
    # errors the golden holds, and the agent's except clause catches it. Before: every replay
    # crashed inside the plugin with "TypeError: ValidationError.__new__() missing 2 required
    # positional arguments: 'title' and 'line_errors'"; then it stood in as RecordedError,
    # which the except clause did not catch (tests/plugin/test_tool_validation_error.py).
    pytest.importorskip("pydantic")
    pytester.syspathinsert()
    pytester.makepyfile(app=VALIDATING_AGENT, test_val=VALIDATING_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)


def test_a_caught_tool_error_whose_str_fails_records_and_replays(pytester: pytest.Pytester) -> None:
    # Expected: the agent catches the tool's exception and recovers, in both modes; recording
    # the error called str() on it, so its failing __str__ raised RuntimeError in the agent's
    # place and the recording failed.
    pytester.makepyfile(
        unprintable_agent="""
        class Unprintable(Exception):
            def __str__(self):
                raise RuntimeError("__str__ failed")

        def tool(q):
            raise Unprintable(q)

        class Agent:
            def run(self, q):
                try:
                    tool(q)
                except Unprintable:
                    return "recovered"
        """,
        test_unprintable="""
        import pytest
        from unprintable_agent import Agent

        @pytest.mark.replay("goldens/unprintable.ckpt", mock={"tool": "unprintable_agent.tool"})
        def test_run(replay):
            assert replay.run(Agent().run, "hi") == "recovered"
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


HOLDING_AGENT = """
class Response:
    # a client's response object: only a pickle could store it
    def __init__(self, status):
        self.status = status


class HTTPError(Exception):
    def __init__(self, response):
        super().__init__(f"status {response.status}")
        self.response = response


def fetch(url):
    raise HTTPError(Response(503))


def handle(url):
    try:
        return fetch(url)
    except HTTPError as exc:
        return f"retry later: {exc.response.status}"
"""

HOLDING_TEST = """
from app import handle
import pytest


@pytest.mark.replay(mock={"tool": "app.fetch"})
def test_busy():
    assert handle("https://api.example.com") == "retry later: 503"
"""


def test_an_attribute_of_a_recorded_error_stored_as_a_placeholder_says_so_when_read(
    pytester: pytest.Pytester,
) -> None:
    # The exception's response could only be stored as its repr: the replay raises the error
    # with a placeholder in its place. Before the fix the agent's except clause failed with
    # "AttributeError: 'StoredRepr' object has no attribute 'status'", naming neither the
    # value, nor why, nor the fix
    pytester.syspathinsert()
    pytester.makepyfile(app=HOLDING_AGENT, test_busy=HOLDING_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*AttributeError: 'status': this app.Response is a placeholder: the recording "
            "could store it only as its repr (<app.Response object>), so a replay has none of "
            "its attributes. Teach the codec the type (pytest_clearstone.codec.register, or "
            "the pytest_clearstone_encode/decode hooks) and re-record*",
        ]
    )
    result.stdout.no_fnmatch_line("*'StoredRepr' object*")


FACTORY_AGENT = """
class ClientError(Exception):
    # botocore.exceptions.ClientError: made from the service's answer, which it keeps
    def __init__(self, error_response, operation_name):
        error = error_response["Error"]
        super().__init__(
            f"An error occurred ({error['Code']}) when calling the {operation_name} "
            f"operation: {error['Message']}"
        )
        self.response = error_response
        self.operation_name = operation_name


class Exceptions:
    # botocore.errorfactory: a class per error code of the service, made at run time (named
    # NoSuchKey, of this module, where no attribute holds it)
    def __init__(self):
        self.NoSuchKey = type("NoSuchKey", (ClientError,), {})


EXCEPTIONS = Exceptions()


def get_object(key):
    answer = {"Error": {"Code": "NoSuchKey", "Message": "The specified key does not exist."}}
    raise EXCEPTIONS.NoSuchKey(answer, "GetObject")


def read_document(key):
    try:
        return get_object(key)
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        return f"{type(exc).__name__} {code} in {exc.operation_name}: {exc}"
"""

FACTORY_TEST = """
import pytest
from app import read_document


@pytest.mark.replay(mock={"tool": "app.get_object"})
def test_missing_document():
    assert read_document("reports/q3.pdf") == (
        "NoSuchKey NoSuchKey in GetObject: An error occurred (NoSuchKey) when calling the "
        "GetObject operation: The specified key does not exist."
    )
"""


def test_an_error_of_a_class_made_at_run_time_is_caught_by_its_base_class_on_replay(
    pytester: pytest.Pytester,
) -> None:
    # boto3's clients raise classes their error factory makes at run time (s3.exceptions.
    # NoSuchKey), which no import path reaches; agents catch botocore's ClientError. Before the
    # fix: recorded, then every replay raised RecordedError ("its class could not be imported
    # ... re-record the test"), which the agent's except clause did not catch and which
    # re-recording did not change
    pytester.syspathinsert()
    pytester.makepyfile(app=FACTORY_AGENT, test_s3=FACTORY_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


ASYNC_AGENT = """
import asyncio


async def lookup(city):
    await asyncio.sleep(0.05)
    raise LookupError(f"no weather for {city}")


async def handle(city):
    try:
        return await lookup(city)
    except LookupError as exc:
        return f"tool error: {exc}"
"""

ASYNC_TEST = """
import asyncio
import pytest
from app import handle


@pytest.mark.replay(mock={"tool": "app.lookup"})
def test_lookup(replay):
    assert asyncio.run(replay.run(handle, "Oslo")) == "tool error: no weather for Oslo"
"""


def test_an_async_tools_recorded_error_is_raised_again_at_once(pytester: pytest.Pytester) -> None:
    # an error an async call raised itself is no cancellation from outside: the replay raises it
    # again at once, and does not wait to be cancelled (as a call a timeout cut off does)
    pytester.syspathinsert()
    pytester.makepyfile(app=ASYNC_AGENT, test_agent=ASYNC_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


STREAM_AGENT = """
def words(prompt):
    yield "one"
    yield "two"
    raise ConnectionError("the stream broke")


def handle(prompt):
    got = []
    try:
        for word in words(prompt):
            got.append(word)
    except ConnectionError as exc:
        got.append(f"error: {exc}")
    return got
"""

STREAM_TEST = """
from app import handle
import pytest


@pytest.mark.replay(mock={"llm": "app.words"})
def test_words(replay):
    assert replay.run(handle, "q") == ["one", "two", "error: the stream broke"]
"""


def test_a_stream_that_raised_after_its_items_raises_again_after_them(
    pytester: pytest.Pytester,
) -> None:
    # a stream that broke (not cut off from outside): its items, then its own error again
    pytester.syspathinsert()
    pytester.makepyfile(app=STREAM_AGENT, test_agent=STREAM_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
