"""slow_spans.py on a small trace store with known durations, and a golden of the slow agent."""

from __future__ import annotations

import pytest
from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.observability import Span, TraceStore

from perf_app.agent import ReportAgent
from perf_app.services import LLMClient
from slow_spans import checkpoint_slow_spans, find_slow_spans, main

MS = 1_000_000  # nanoseconds
# (span id, parent, name, type, start ms, duration ms) of one report run
RUN = [
    ("a000000000000001", None, "report_workflow", None, 0, 300),
    ("a000000000000002", "a000000000000001", "fetch_documents", "tool", 1, 12),
    ("a000000000000003", "a000000000000001", "rerank", "tool", 14, 240),
    ("a000000000000004", "a000000000000001", "summarize", "llm", 255, 40),
]


@pytest.fixture
def store(tmp_path):
    """A trace store holding one report run whose span durations are set, not measured."""
    store = TraceStore(tmp_path / "traces.db")
    t0 = 1_700_000_000_000 * MS
    store.write_spans(
        Span(trace_id="f" * 32, span_id=sid, parent_span_id=parent, name=name,
             span_type=span_type, start_time_ns=t0 + start * MS,
             end_time_ns=t0 + (start + duration) * MS, status="OK")
        for sid, parent, name, span_type, start, duration in RUN
    )  # fmt: skip
    yield store
    store.close()


def test_lists_spans_slower_than_the_threshold(store, capsys):
    assert main([store.db_path, "--threshold-ms", "100"]) == 0

    out = capsys.readouterr().out.splitlines()
    assert out[0] == "2 span(s) slower than 100ms"
    assert [line.split()[1:] for line in out[1:]] == [
        ["300.00ms", "-", "report_workflow"],
        ["240.00ms", "tool", "rerank"],
    ]


def test_a_store_path_that_does_not_exist_is_refused_not_listed_as_empty(tmp_path, capsys):
    # a typo in the path listed "0 span(s) slower than 50ms", as if the store had no slow span
    missing = tmp_path / "traces-typo.db"
    assert main([str(missing), "--threshold-ms", "50"]) == 2
    err = capsys.readouterr().err
    assert f"no trace store at {missing}" in err and "--run TOPIC" in err
    assert not missing.exists()


def test_a_file_that_is_not_a_store_is_one_line_not_a_traceback(tmp_path, capsys):
    other = tmp_path / "notes.db"
    other.write_text("not a database\n")
    assert main([str(other)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("slow_spans.py: cannot open the trace store") and "Traceback" not in err


def test_checkpoints_before_each_slow_span(store, tmp_path, capsys):
    trace = store.get_trace("f" * 32)
    manager = CheckpointManager(tmp_path / "checkpoints")

    paths = checkpoint_slow_spans(ReportAgent(), trace, 30, manager)

    assert [p.name for p in paths] == [
        f"slow_{s.name}_{s.span_id}.ckpt" for s in find_slow_spans(trace, 30)
    ]
    spans = [manager.load_checkpoint(p).span.name for p in paths]
    assert spans == ["report_workflow", "rerank", "summarize"]
    assert "Created checkpoint before slow operation: rerank" in capsys.readouterr().out


MOCK = {
    "tool": ["perf_app.services.fetch_documents", "perf_app.services.rerank"],
    "llm": "perf_app.services.LLMClient.complete",
}


@pytest.mark.replay("goldens/churn_report.ckpt", mock=MOCK)
def test_churn_report_replays_without_the_slow_services(replay):
    live_before = LLMClient.live_calls
    agent = ReportAgent()

    text = replay.run(agent.build_report, "Q3 churn")

    assert text.startswith("Summary: Q3 churn rose 2.1 points")
    assert agent.reports[0]["sources"][0] == "churn-0"
    assert LLMClient.live_calls - live_before == (1 if replay.recording else 0)
