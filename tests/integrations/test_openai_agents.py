"""The OpenAI Agents SDK (``openai-agents``): an ``agents.Agent`` run by ``Runner`` on the
Responses API, its HTTP answered by the fake service, recorded at
``openai.resources.responses.AsyncResponses.create``.

The SDK traces every run by default (ids drawn for the trace and each span) and uploads the
traces from a background processor. The runs that trace are made in subprocesses: the SDK's
trace provider is global and reads ``OPENAI_AGENTS_DISABLE_TRACING`` once, and its processor's
worker thread would outlive an in-process run. The streamed runs, with tracing off from the test's
start, run in-process (the harness's ``record``/``replay_passes``, which also check that the
recording reached the fake service and the replays did not)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

from tests.local_servers import serving

from .harness import OPENAI_KEY, SEALED_ENV, Stack

ARESPONSES = "openai.resources.responses.AsyncResponses.create"

#: no processor: the runs are traced (their ids drawn) and nothing is uploaded
CONFTEST_NO_UPLOAD = """
import agents

agents.set_trace_processors([])
"""

TEST = f"""
import pytest

import openai_agents_agent as app

@pytest.mark.replay("goldens/agent.ckpt", mock={{"llm": "{ARESPONSES}"}})
def test_agent(replay):
    assert replay.run(app.ask, "Ferries to Madeira?").startswith("Answer to 'Ferries to Madeira?'")
"""


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack("openai_agents_agent")


def run(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, *args: str, sealed: bool
) -> pytest.RunResult:
    if sealed:
        monkeypatch.setenv(SEALED_ENV, "1")
    else:
        monkeypatch.delenv(SEALED_ENV, raising=False)
    return stack.pytester.runpytest_subprocess(*args)


def test_a_golden_recorded_with_tracing_on_replays_with_tracing_off_and_rerecords_the_same(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The SDK's trace and span ids drew from the test's seeded ``uuid4`` stream, so turning its
    tracing off (``OPENAI_AGENTS_DISABLE_TRACING=1``, the fix for its uploads) moved every later
    id: the run's ``prompt_cache_key`` sent to the model changed, and the replay failed saying
    only random-looking ids differ (and that a re-record would differ again)."""
    (stack.path / "conftest.py").write_text(
        (stack.path / "conftest.py").read_text() + CONFTEST_NO_UPLOAD
    )
    stack.write_test("agent", TEST)
    monkeypatch.delenv("OPENAI_AGENTS_DISABLE_TRACING", raising=False)
    run(stack, monkeypatch, "--clearstone-record", sealed=False).assert_outcomes(passed=1)
    golden = stack.path / "goldens" / "agent.ckpt"
    recorded = golden.read_bytes()
    assert b"prompt_cache_key" in recorded
    run(stack, monkeypatch, sealed=True).assert_outcomes(passed=1)
    monkeypatch.setenv("OPENAI_AGENTS_DISABLE_TRACING", "1")
    result = run(stack, monkeypatch, sealed=True)
    result.assert_outcomes(passed=1)
    run(stack, monkeypatch, "--clearstone-record", sealed=False).assert_outcomes(passed=1)
    assert golden.read_bytes() == recorded


#: the SDK's own batch processor and exporter, its endpoint a local port nothing listens on (as
#: api.openai.com, which the machines running these tests may not resolve)
CONFTEST_UPLOAD = """
import agents
from agents.tracing.processors import BackendSpanExporter, BatchTraceProcessor

agents.set_trace_processors([BatchTraceProcessor(BackendSpanExporter(
    endpoint="http://127.0.0.1:9/v1/traces/ingest", max_retries=1, base_delay=0.01))])
"""

#: the agent flushes its traces after each run, as the SDK advises for workers and handlers
FLUSHING_TEST = TEST.replace(
    "def test_agent(replay):\n",
    "def test_agent(replay):\n    import agents\n",
).replace(
    ".startswith(\"Answer to 'Ferries to Madeira?'\")",
    ".startswith(\"Answer to 'Ferries to Madeira?'\")\n    agents.flush_traces()",
)


def test_the_sdks_trace_upload_is_named_with_a_fix_that_works(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Agents SDK uploads its traces to api.openai.com by default. The replay's blocked
    upload was told as the test's own connection, with "Mock the function that makes this call"
    (which would record the uploads as the agent's calls) or allowing the host (which would send
    the replayed runs to the OpenAI account). It now names the SDK's tracing and gives the
    switches that turn it off, and the replay passes with one."""
    (stack.path / "conftest.py").write_text(
        (stack.path / "conftest.py").read_text() + CONFTEST_UPLOAD
    )
    stack.write_test("agent", FLUSHING_TEST)
    monkeypatch.delenv("OPENAI_AGENTS_DISABLE_TRACING", raising=False)
    run(stack, monkeypatch, "--clearstone-record", sealed=False).assert_outcomes(passed=1)
    result = run(stack, monkeypatch, sealed=True)
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*tried to connect to 127.0.0.1 port 9 during the replay*",
            "*OpenAI Agents SDK's tracing*OPENAI_AGENTS_DISABLE_TRACING=1*"
            "set_tracing_disabled(True)*",
        ]
    )
    assert "Mock the function that makes this call" not in text
    monkeypatch.setenv("OPENAI_AGENTS_DISABLE_TRACING", "1")  # the fix the message gives
    run(stack, monkeypatch, sealed=True).assert_outcomes(passed=1)


class _Ingest(BaseHTTPRequestHandler):
    """The traces ingest endpoint: keeps each upload's authorization and trace ids."""

    uploads: ClassVar[list[dict[str, object]]] = []

    def log_message(self, *args: object) -> None:
        pass

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        ids = sorted({item.get("trace_id") or item["id"] for item in body["data"]})
        self.uploads.append({"authorization": self.headers["Authorization"], "traces": ids})
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")


@pytest.fixture
def ingest() -> Iterator[tuple[int, list[dict[str, object]]]]:
    uploads: list[dict[str, object]] = []
    handler = type("Ingest", (_Ingest,), {"uploads": uploads})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    with serving(server):
        yield server.server_address[1], uploads


#: the SDK's own batch processor and exporter (its defaults: a 5 s schedule, so the replay's
#: trace waits in its queue until the run ends), uploading to a local ingest endpoint
CONFTEST_INGEST = """
import agents
from agents.tracing.processors import BackendSpanExporter, BatchTraceProcessor

agents.set_trace_processors([BatchTraceProcessor(BackendSpanExporter(
    endpoint="http://127.0.0.1:{port}/v1/traces/ingest"))])
"""


def test_a_replayed_runs_trace_left_to_upload_when_the_run_ends_is_not_uploaded_and_is_named(
    stack: Stack, monkeypatch: pytest.MonkeyPatch, ingest: tuple[int, list[dict[str, object]]]
) -> None:
    """The SDK's batch processor uploads every few seconds, and what is left when the process
    exits. A replay shorter than that left its trace queued, uploaded at exit, after the
    network guard had stopped: the replayed run reached the account with the developer's key,
    the test passed and nothing said so (the docs said the upload was blocked and named). The
    SDK's traces of a replay are now flushed while the guard is on: the upload is blocked, the
    test fails naming the SDK's tracing and the fix, and nothing is uploaded."""
    port, uploads = ingest
    (stack.path / "conftest.py").write_text(
        (stack.path / "conftest.py").read_text() + CONFTEST_INGEST.format(port=port)
    )
    stack.write_test("agent", TEST)
    monkeypatch.delenv("OPENAI_AGENTS_DISABLE_TRACING", raising=False)
    run(stack, monkeypatch, "--clearstone-record", sealed=False).assert_outcomes(passed=1)
    assert uploads, "the recording's trace was not uploaded (the live run's, as configured)"
    uploads.clear()
    result = run(stack, monkeypatch, sealed=True)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*tried to connect to 127.0.0.1 port {port} during the replay*",
            "*OpenAI Agents SDK's tracing*OPENAI_AGENTS_DISABLE_TRACING=1*",
        ]
    )
    assert OPENAI_KEY not in result.stdout.str()
    assert uploads == []
    monkeypatch.setenv("OPENAI_AGENTS_DISABLE_TRACING", "1")  # the fix the message gives
    run(stack, monkeypatch, sealed=True).assert_outcomes(passed=1)
    assert uploads == []


def test_the_sdks_upload_from_its_worker_thread_started_earlier_warns_with_the_same_fix() -> None:
    """The SDK's export thread, started by an earlier test, uploads during a later one: its
    blocked connection is a warning, which said to allow the host."""
    from pytest_clearstone.errors import NetworkBlockedWarning

    text = str(
        NetworkBlockedWarning("127.0.0.1", 9, "t.py::t", thread="T", telemetry="openai-agents")
    )
    assert "OPENAI_AGENTS_DISABLE_TRACING=1" in text
    assert "allow the host with the ini option" not in text


STREAM_RESPONSE = "agents.models.openai_responses.OpenAIResponsesModel.stream_response"

STREAMED_TEST = f"""
import asyncio

import pytest

import openai_agents_agent as app

@pytest.mark.replay("goldens/streamed.ckpt", mock={{"llm": "{ARESPONSES}"}})
def test_streamed(replay):
    answer, deltas = asyncio.run(replay.run(app.ask_streamed, "Ferries to Madeira?"))
    assert answer.startswith("Answer to 'Ferries to Madeira?'") and deltas > 2
"""


def test_run_streamed_under_the_sdk_method_names_the_sdks_streaming_method_which_replays(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Runner.run_streamed`` on the Responses model calls the SDK through
    ``with_streaming_response``: its raw response cannot be stored, and the refusal named only
    LangChain's methods and one's own function. It now names the Agents SDK's streaming method,
    which records, replays and re-records the same."""
    monkeypatch.setenv("OPENAI_AGENTS_DISABLE_TRACING", "1")
    stack.write_test("streamed", STREAMED_TEST)
    refused = stack.try_record()
    refused.assert_outcomes(failed=1)
    refused.stdout.fnmatch_lines([f"*OpenAI Agents SDK*Runner.run_streamed*{STREAM_RESPONSE}*"])
    stack.write_test("streamed", STREAMED_TEST.replace(ARESPONSES, STREAM_RESPONSE))
    stack.record().assert_outcomes(passed=1)
    golden = stack.path / "goldens" / "streamed.ckpt"
    recorded = golden.read_bytes()
    stack.replay_passes().assert_outcomes(passed=1)
    stack.record().assert_outcomes(passed=1)
    assert golden.read_bytes() == recorded


TOOLS_TEST = f"""
import asyncio

import pytest

import openai_agents_agent as app

@pytest.mark.replay("goldens/tools.ckpt", mock={{"llm": "{STREAM_RESPONSE}"}})
def test_tools(replay):
    answer = asyncio.run(replay.run(app.ask_streamed_with_tools, "Ferries to Madeira?"))
    assert answer.startswith("Answer to 'Ferries to Madeira?'")
"""


def test_run_streamed_of_an_agent_with_a_tool_and_a_handoff_records_without_a_warning(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The streaming method's ``tools`` and ``handoffs`` hold the SDK's ``FunctionTool`` and
    ``Handoff``: the function each runs (``on_invoke_tool``, ``on_invoke_handoff``) and the
    agent handed to (``_agent_ref``, a weak reference) cannot be stored readably, and each warned
    "a replay compares it by its type only ... teach the codec its type", which
    ``filterwarnings = error`` made a failed recording. They are what the tool runs, not what
    the model is sent (its name, description and schema are stored and compared): they are
    recorded as placeholders with no warning, and the golden replays."""
    monkeypatch.setenv("OPENAI_AGENTS_DISABLE_TRACING", "1")
    stack.write_test("tools", TOOLS_TEST)
    stack.record().assert_outcomes(passed=1)
    golden = (stack.path / "goldens" / "tools.ckpt").read_text()
    assert '"name": "fare"' in golden and '"tool_name": "transfer_to_bookings"' in golden
    stack.replay_passes().assert_outcomes(passed=1)


RUN_RESULT_TEST = f"""
import pytest
from agents import Runner

import openai_agents_agent as app

@pytest.mark.replay("goldens/result.ckpt", mock={{"llm": "{ARESPONSES}"}})
def test_result(replay):
    result = replay.run(Runner.run_sync, app.make_agent(), "Ferries to Madeira?")
    assert result.final_output.startswith("Answer to 'Ferries to Madeira?'")
"""


def test_a_run_result_returned_by_the_run_names_its_final_output_as_what_to_return(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``replay.run(Runner.run_sync, agent, question)`` returns the SDK's ``RunResult``, which
    holds the agent (by weak reference in each item) and cannot be stored. The refusal named
    only the weak reference deep inside it, with "allow pickles" (no pickle stores one) or "register
    an encoder"; it now names the ``RunResult`` and the fix the docs give: a function of one's
    own returning what the test checks (its ``final_output``)."""
    monkeypatch.setenv("OPENAI_AGENTS_DISABLE_TRACING", "1")
    stack.write_test("result", RUN_RESULT_TEST)
    refused = stack.try_record()
    refused.assert_outcomes(failed=1)
    text = refused.stdout.str()
    assert "agents.result.RunResult" in text and "final_output" in text, text
    assert "allow pickles" not in text
    assert not (stack.path / "goldens" / "result.ckpt").exists()
