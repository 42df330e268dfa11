"""An agent keeping an OpenTelemetry tracer (``self.tracer = trace.get_tracer(__name__)``)."""

from __future__ import annotations

import pytest

pytest.importorskip("opentelemetry.sdk")

TRACED_APP = """
from opentelemetry import trace


def llm(prompt):
    raise RuntimeError("no live LLM here")


class Agent:
    def __init__(self):
        self.tracer = trace.get_tracer(__name__, "1.2")
        self.answers = []

    def ask(self, q):
        with self.tracer.start_as_current_span("ask") as span:
            span.set_attribute("q", q)
            self.answers.append(llm(q))
        return self.answers[-1]
"""

TRACED_TEST = """
import pytest
import traced_app


@pytest.fixture
def live(replay, monkeypatch):
    if replay.mode == "record":
        monkeypatch.setattr(traced_app, "llm", lambda prompt: prompt.upper())


@pytest.mark.replay("g.ckpt", mock={"llm": "traced_app.llm"})
def test_it(replay, live):
    assert replay.run(traced_app.Agent().ask, "hi") == "HI"


@pytest.mark.replay("g.ckpt")
def test_rehydrated(replay):
    tracer = replay.agent.tracer  # (the agent rebuilt from the golden: a working tracer)
    with tracer.start_as_current_span("again") as span:
        span.set_attribute("n", 1)
    assert replay.agent.answers == []
"""

GLOBAL_PROVIDER = """
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

EXPORTER = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(EXPORTER))
trace.set_tracer_provider(_provider)
"""


@pytest.mark.parametrize("provider", ["sdk", "none"])
def test_an_agent_keeping_an_opentelemetry_tracer_records_and_replays(pytester, provider):
    # Expected: `self.tracer = trace.get_tracer(__name__)` is how an instrumented agent holds
    # its tracer. Recording failed: "cannot serialise state['tracer'] (an
    # opentelemetry.sdk.trace.Tracer): dill cannot pickle it" (a ProxyTracer, with no provider
    # set: "only a pickle could store it"). A tracer is stored by its name and version and read
    # back as trace.get_tracer(name, version), a tracer of the provider set then.
    pytester.syspathinsert()
    pytester.makepyfile(traced_app=TRACED_APP, test_it=TRACED_TEST)
    if provider == "sdk":
        pytester.makeconftest(GLOBAL_PROVIDER)
    pytester.runpytest("--clearstone-record", "-k", "not rehydrated").assert_outcomes(passed=1)
    golden = (pytester.path / "g.ckpt").read_text()
    assert '"__cs__": "otel_tracer"' in golden and '"contains_pickle": false' in golden
    pytester.runpytest().assert_outcomes(passed=2)


METERED_APP = """
from opentelemetry import metrics


def llm(prompt):
    raise RuntimeError("no live LLM here")


class Agent:
    def __init__(self):
        self.meter = metrics.get_meter(__name__, "1.2")
        self.answers = []

    def ask(self, q):
        self.meter.create_counter("asked").add(1)
        self.answers.append(llm(q))
        return self.answers[-1]
"""


@pytest.mark.parametrize("provider", ["sdk", "none"])
def test_an_agent_keeping_an_opentelemetry_meter_records_and_replays(pytester, provider):
    # Before the fix: `self.meter = metrics.get_meter(__name__)` could be stored only as a
    # pickle (the API's proxy meter; the SDK's could not be pickled at all), so recording
    # failed unless pickles were allowed. It is stored by its name and version, and read back
    # as metrics.get_meter(name, version), a meter of the provider set then.
    pytester.syspathinsert()
    pytester.makepyfile(
        traced_app=METERED_APP,
        test_it=TRACED_TEST.replace("tracer = replay.agent.tracer", "meter = replay.agent.meter")
        .replace('with tracer.start_as_current_span("again") as span:', "if True:")
        .replace('span.set_attribute("n", 1)', 'meter.create_counter("again").add(1)'),
    )
    if provider == "sdk":
        pytester.makeconftest(
            "from opentelemetry import metrics\n"
            "from opentelemetry.sdk.metrics import MeterProvider\n"
            "metrics.set_meter_provider(MeterProvider())\n"
        )
    pytester.runpytest("--clearstone-record", "-k", "not rehydrated").assert_outcomes(passed=1)
    golden = (pytester.path / "g.ckpt").read_text()
    assert '"__cs__": "otel_meter"' in golden and '"contains_pickle": false' in golden
    pytester.runpytest().assert_outcomes(passed=2)
