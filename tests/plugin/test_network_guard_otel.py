"""The network guard and an OpenTelemetry exporter the agent starts in the test (its
``TracerProvider`` made in the agent's constructor, a ``BatchSpanProcessor`` sending to a
collector): the blocked connection is the exporter's, so the message says so and gives the fix
that works (an in-memory exporter, or the SDK off, under tests), not "mock the function that
makes this call", which would record the exporter's posts as the agent's calls."""

from __future__ import annotations

import pytest

pytest.importorskip("opentelemetry.sdk")

APP = """
import socket

from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter, SpanExportResult


class CollectorExporter(SpanExporter):
    def export(self, spans):
        socket.create_connection(("127.0.0.1", 4318), timeout=0.5).close()
        return SpanExportResult.SUCCESS


def complete(prompt):
    return "answer to " + prompt


class Agent:
    def __init__(self):
        self.provider = TracerProvider()
        self.provider.add_span_processor(
            BatchSpanProcessor(CollectorExporter(), schedule_delay_millis=5))
        self.tracer = self.provider.get_tracer("agent")
        self.answers = []

    def get_state(self):
        return {"answers": self.answers}

    def load_state(self, state):
        self.answers = list(state["answers"])

    def run(self, question):
        with self.tracer.start_as_current_span("run"):
            answer = complete(question)
        self.provider.force_flush()
        self.answers.append(answer)
        return answer
"""

TEST = """
import pytest
from traced import Agent

@pytest.mark.replay("g.ckpt", mock={"llm": "traced.complete"})
def test_traced(replay):
    replay.run(Agent().run, "Oslo?")
"""


def test_a_blocked_opentelemetry_exporter_is_named_with_its_fix(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(traced=APP, test_traced=TEST)
    pytester.runpytest("--clearstone-record", "--clearstone-allow-network", "-p", "no:randomly")
    assert (pytester.path / "g.ckpt").exists()
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*tried to connect to 127.0.0.1 port 4318 during the replay*",
            "*an OpenTelemetry exporter*in-memory*OTEL_SDK_DISABLED=true*",
        ]
    )
    assert "Mock the function that makes this call" not in result.stdout.str()
