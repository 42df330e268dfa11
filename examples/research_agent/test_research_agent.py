"""Replay the research agent's next step from the checkpoint its workflow saved (record.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytest_clearstone.debugging import CheckpointManager, ReplayEngine

MOCK = {"llm": "research_app.agent.ResearchAgent.call_llm"}
GOLDENS = Path(__file__).parent / "goldens"


def recorded_answers(checkpoint):
    """The LLM answers recorded at or after the checkpoint's span: what replay answers with."""
    start = checkpoint.span.start_time_ns
    return [s.output["text"] for s in checkpoint.trace.spans
            if s.span_type == "llm" and s.start_time_ns >= start]  # fmt: skip


# The question differs from the recorded one, so matching is by order only (strict=False): the
# agent gets the response recorded for query 2, whatever it asks.
@pytest.mark.replay("goldens/query_2.ckpt", mock=MOCK, strict=False)
def test_next_step_from_the_workflow_checkpoint(replay):
    assert replay.agent.memory[0] == {"query": "What is AI safety?"}
    cost_before = replay.agent.total_cost

    result = replay.run("research", "What are AI alignment solutions?")

    agent = replay.agent
    assert [list(m) for m in agent.memory] == [["query"], ["result"], ["query"], ["result"]]
    assert agent.memory[2:] == [{"query": "What are AI alignment solutions?"}, {"result": result}]
    assert agent.total_cost > cost_before
    assert [c.target for c in replay.calls] == [MOCK["llm"]]


def test_replay_engine_replays_query_2_from_the_checkpoint():
    checkpoint = CheckpointManager(GOLDENS).load_checkpoint("query_2.ckpt")
    assert checkpoint.agent_state["memory"][0] == {"query": "What is AI safety?"}
    engine = ReplayEngine(checkpoint)
    assert "Found 1 recorded response(s)" in str(engine.preflight(MOCK))

    result = engine.replay_from_checkpoint("research", "What are the risks?", mock_config=MOCK)

    assert result == recorded_answers(checkpoint)[0]
    assert engine.agent.memory[-1] == {"result": result}
    assert len(engine.agent.memory) == len(checkpoint.agent_state["memory"]) + 2


def test_record_py_checkpoints_the_workflow_before_query_2(tmp_path, capsys):
    from record import main

    path = main(str(tmp_path / "traces.db"), str(tmp_path / "goldens"))

    checkpoint = CheckpointManager(tmp_path / "goldens").load_checkpoint(path.name)
    assert checkpoint.span.name == "query_2"
    assert [s.name for s in checkpoint.upstream_spans] == ["research_workflow"]
    assert checkpoint.agent_state["memory"][0] == {"query": "What is AI safety?"}
    assert len(checkpoint.agent_state["memory"]) == 2  # the state before query 2
    assert [a.split(" In short")[0] for a in recorded_answers(checkpoint)] == [
        "Answer to: What are the risks?"
    ]
    assert "Checkpoint saved" in capsys.readouterr().out
