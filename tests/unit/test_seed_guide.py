"""The examples of the "Time-Travel Debugging" guide this library implements (docs/index.md),
clearstone renamed pytest_clearstone; the guide's agent is tests/unit/agents/cs_research_agent.py.
"""

from __future__ import annotations

import importlib
import io
from pathlib import Path
from types import ModuleType

import pytest

from pytest_clearstone.debugging import (
    CheckpointManager,
    DeterministicExecutionContext,
    ReplayEngine,
)
from pytest_clearstone.observability import TracerProvider

AGENTS_DIR = Path(__file__).resolve().parent / "agents"
LLM_TARGET = "cs_research_agent.call_llm"


@pytest.fixture
def research(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    """The guide's research agent module, with a fresh live-call log, run in ``tmp_path``."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(AGENTS_DIR))
    module = importlib.import_module("cs_research_agent")
    monkeypatch.setattr(module, "LIVE_CALLS", [])
    return module


def _trace_llm(
    monkeypatch: pytest.MonkeyPatch, module: ModuleType, provider: TracerProvider
) -> None:
    tracer = provider.get_tracer("research_agent")
    monkeypatch.setattr(module, "call_llm", tracer.traced(span_type="llm")(module.call_llm))


def test_creating_saving_and_loading_a_checkpoint(research: ModuleType) -> None:
    manager = CheckpointManager(checkpoint_dir=".checkpoints")
    agent = research.SimpleAgent()
    provider = TracerProvider(db_path="traces.db")
    tracer = provider.get_tracer("my_agent", version="1.0")

    with tracer.span("agent_workflow") as root_span:
        trace_id = root_span.trace_id
        with tracer.span("step_1"):
            agent.step("one")
        with tracer.span("step_2") as span2:
            span_id = span2.span_id
            agent.step("two")

    provider.shutdown()
    trace = provider.trace_store.get_trace(trace_id)
    checkpoint = manager.create_checkpoint(agent=agent, trace=trace, span_id=span_id)
    checkpoint_path = manager.save_checkpoint(checkpoint)

    assert checkpoint_path == Path(".checkpoints") / f"{trace_id}_{checkpoint.checkpoint_id}.ckpt"
    assert checkpoint_path.is_file()

    loaded = manager.load_checkpoint(checkpoint_path.name)  # a bare name: looked up in the dir
    assert loaded.agent_class_name == "SimpleAgent"
    assert loaded.agent_module == "cs_research_agent"
    assert loaded.trace.trace_id == trace_id
    assert loaded.span_id == span_id
    assert loaded.span.name == "step_2"
    assert loaded.timestamp == checkpoint.timestamp
    assert loaded.timestamp.tzinfo is not None
    assert loaded.checkpoint_id.startswith("ckpt_")
    assert loaded.agent_state == {"memory": ["one", "two"], "count": 2}
    assert [s.name for s in loaded.trace.spans] == ["agent_workflow", "step_1", "step_2"]


def test_descriptive_filename_and_metadata_round_trip(research: ModuleType) -> None:
    manager = CheckpointManager()
    provider = TracerProvider(db_path="traces.db")
    tracer = provider.get_tracer("agent")
    with tracer.span("payment") as span:
        trace = provider.trace_store.get_trace(span.trace_id)  # open spans are readable
        checkpoint = manager.create_checkpoint(research.SimpleAgent(), trace, span.span_id)
    provider.shutdown()

    checkpoint.metadata["purpose"] = "Before prod deployment 2024-01-15"
    checkpoint.metadata["ticket"] = "JIRA-123"
    checkpoint.metadata["notes"] = "Agent was experiencing high costs"
    path = manager.save_checkpoint(checkpoint, filename="before_payment_tx42.ckpt")
    assert path == Path(".checkpoints/before_payment_tx42.ckpt")

    loaded = manager.load_checkpoint("before_payment_tx42.ckpt")
    assert loaded.metadata == {
        "purpose": "Before prod deployment 2024-01-15",
        "ticket": "JIRA-123",
        "notes": "Agent was experiencing high costs",
    }
    assert loaded.span.is_open  # taken before the critical operation finished


def test_upstream_span_tracking(research: ModuleType) -> None:
    manager = CheckpointManager()
    provider = TracerProvider(db_path="traces.db")
    tracer = provider.get_tracer("agent")
    with (
        tracer.span("workflow", attributes={"user": "u1"}) as root,
        tracer.span("plan") as plan,
        tracer.span("act", span_type="tool") as act,
    ):
        pass
    provider.shutdown()
    trace = provider.trace_store.get_trace(root.trace_id)
    path = manager.save_checkpoint(
        manager.create_checkpoint(research.SimpleAgent(), trace, act.span_id)
    )
    checkpoint = manager.load_checkpoint(path)

    history = [
        f"{span.name} ({span.duration_ms:.2f}ms) {span.attributes}"
        for span in checkpoint.trace.spans
    ]
    assert [line.split(" ")[0] for line in history] == ["workflow", "plan", "act"]
    assert "{'user': 'u1'}" in history[0]
    assert [s.span_id for s in checkpoint.upstream_spans] == [root.span_id, plan.span_id]


def test_checkpoint_comparison(research: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    manager = CheckpointManager()
    provider = TracerProvider(db_path="traces.db")
    _trace_llm(monkeypatch, research, provider)
    tracer = provider.get_tracer("research_agent")
    agent = research.ResearchAgent()
    with tracer.span("workflow"):
        with tracer.span("step1") as s1:
            agent.research("first")
            trace = provider.trace_store.get_trace(s1.trace_id)
            manager.save_checkpoint(
                manager.create_checkpoint(agent, trace, s1.span_id), filename="ckpt_step1.ckpt"
            )
        with tracer.span("step2") as s2:
            agent.research("second")
            trace = provider.trace_store.get_trace(s2.trace_id)
            manager.save_checkpoint(
                manager.create_checkpoint(agent, trace, s2.span_id), filename="ckpt_step2.ckpt"
            )
    provider.shutdown()

    checkpoint_1 = manager.load_checkpoint("ckpt_step1.ckpt")
    checkpoint_2 = manager.load_checkpoint("ckpt_step2.ckpt")
    state_1, state_2 = checkpoint_1.agent_state, checkpoint_2.agent_state
    assert (len(state_1["memory"]), len(state_2["memory"])) == (2, 4)
    assert f"{state_2['total_cost'] - state_1['total_cost']:.2f}" == "0.01"

    delta = checkpoint_1.diff(checkpoint_2)
    assert delta
    assert "root['total_cost']: 0.01 -> 0.02" in delta.lines
    assert "root['memory'][2]: added {'query': 'second'}" in delta.lines
    assert not checkpoint_1.diff(checkpoint_1)


def test_conditional_checkpointing_inside_a_failing_span(research: ModuleType) -> None:
    manager = CheckpointManager()
    provider = TracerProvider(db_path="traces.db")
    tracer = provider.get_tracer("agent")
    agent = research.SimpleAgent()
    saved: list[Path] = []

    with pytest.raises(ZeroDivisionError), tracer.span("risky_operation") as span:
        try:
            agent.step("risky")
            1 / 0  # noqa: B018
        except Exception:
            span.set_status("ERROR")
            provider.shutdown()
            trace = provider.trace_store.get_trace(span.trace_id)
            checkpoint = manager.create_checkpoint(agent, trace, span.span_id)
            saved.append(manager.save_checkpoint(checkpoint))
            raise

    loaded = manager.load_checkpoint(saved[0])
    assert loaded.span.name == "risky_operation"
    assert loaded.span.status == "ERROR"
    assert loaded.span.is_open
    assert loaded.agent_state == {"memory": ["risky"], "count": 1}


def test_performance_debugging_checkpoints_per_span(research: ModuleType) -> None:
    manager = CheckpointManager()
    provider = TracerProvider(db_path="traces.db")
    tracer = provider.get_tracer("agent")
    with tracer.span("workflow") as root:
        for name in ("a", "b"):
            with tracer.span(name):
                pass
    provider.shutdown()
    trace = provider.trace_store.get_trace(root.trace_id)
    slow = [span for span in trace.spans if span.duration_ms >= 0]
    checkpoints = [
        manager.create_checkpoint(research.SimpleAgent(), trace, s.span_id) for s in slow
    ]
    assert [c.span.name for c in checkpoints] == ["workflow", "a", "b"]
    assert len({c.checkpoint_id for c in checkpoints}) == 3


def _complete_example(monkeypatch: pytest.MonkeyPatch, research: ModuleType) -> Path:
    """Part 1 of the guide's complete example; returns the checkpoint path."""
    provider = TracerProvider(db_path="research_traces.db")
    _trace_llm(monkeypatch, research, provider)
    tracer = provider.get_tracer("research_agent")
    agent = research.ResearchAgent()

    with tracer.span("research_workflow") as root_span:
        trace_id = root_span.trace_id
        with tracer.span("query_1"):
            agent.research("What is AI safety?")
        with tracer.span("query_2") as span:
            checkpoint_span_id = span.span_id
            agent.research("What are the risks?")

    provider.shutdown()
    manager = CheckpointManager()
    trace = provider.trace_store.get_trace(trace_id)
    checkpoint = manager.create_checkpoint(agent, trace, checkpoint_span_id)
    return manager.save_checkpoint(checkpoint)


def test_complete_example_replays_the_second_querys_answer(
    research: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoint_path = _complete_example(monkeypatch, research)
    assert research.LIVE_CALLS == ["What is AI safety?", "What are the risks?"]

    manager = CheckpointManager()
    checkpoint = manager.load_checkpoint(checkpoint_path)
    assert checkpoint.agent_state["memory"] == [
        {"query": "What is AI safety?"},
        {"result": "Answer to: What is AI safety?"},
        {"query": "What are the risks?"},
        {"result": "Answer to: What are the risks?"},
    ]

    engine = ReplayEngine(checkpoint)
    mock_config = {"llm": LLM_TARGET}
    report = engine.preflight(mock_config)
    assert [(e.target, e.span_type, e.responses) for e in report.entries] == [
        (LLM_TARGET, "llm", 1)  # query_1's answer is before the checkpoint: not offered
    ]
    result = engine.replay_from_checkpoint(
        "research", "What are AI alignment solutions?", mock_config=mock_config
    )
    # the recorded answer of query_2, never query_1's, and the live function was not called
    assert result == "Answer to: What are the risks?"
    assert research.LIVE_CALLS == ["What is AI safety?", "What are the risks?"]
    assert engine.agent.memory[-2:] == [
        {"query": "What are AI alignment solutions?"},
        {"result": "Answer to: What are the risks?"},
    ]
    assert research.call_llm.__wrapped__ is not None  # the traced function is back in place


def test_complete_example_debugging_session(
    research: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkpoint = CheckpointManager().load_checkpoint(_complete_example(monkeypatch, research))
    engine = ReplayEngine(checkpoint)
    out = io.StringIO()
    result = engine.start_debugging_session(
        function_to_replay="research",
        mock_config={"llm": LLM_TARGET},
        query="What are AI alignment solutions?",
        stdin=io.StringIO("p self.memory[-1]\nc\n"),
        stdout=out,
    )
    text = out.getvalue()
    assert result == "Answer to: What are the risks?"
    assert "Welcome to the Clearstone Time-Travel Debugger" in text
    assert f"Checkpoint: {checkpoint.checkpoint_id} (at span: 'query_2')" in text
    assert "Agent State: Rehydrated for 'cs_research_agent.ResearchAgent'" in text
    assert "  - Mocking 'cs_research_agent.call_llm' (for span_type='llm')" in text
    assert "    - Found 1 recorded response(s) in the trace." in text
    assert "cs_research_agent.py" in text and "research()" in text
    assert "{'result': 'Answer to: What are the risks?'}" in text  # p self.memory[-1]
    assert "--- ✅ Replay finished. Final result: 'Answer to: What are the risks?' ---" in text
    assert research.LIVE_CALLS == ["What is AI safety?", "What are the risks?"]


def test_direct_context_usage(research: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    checkpoint = CheckpointManager().load_checkpoint(_complete_example(monkeypatch, research))
    agent = ReplayEngine(checkpoint).agent
    mock_targets = {LLM_TARGET: ["response1", "response2", "response3"]}
    with DeterministicExecutionContext(checkpoint, mock_targets):
        results = [agent.research(q) for q in ("a", "b", "c")]
    assert results == ["response1", "response2", "response3"]
    assert research.LIVE_CALLS == ["What is AI safety?", "What are the risks?"]
