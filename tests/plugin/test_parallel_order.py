"""Calls made in parallel (thread-pool jobs, tasks) are stored in one order whatever order they
started in: a re-record of unchanged parallel work changes nothing but measured times
(contract §6.1), and replay answers each branch of execution from its own recordings."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone.cli import main

APP = """
import os
import threading
from concurrent.futures import ThreadPoolExecutor
from functools import partial


def complete(prompt):
    return f"answer to {prompt}"


def search(query):
    return {"hits": len(query), "query": query}


def work(first_done, topic):
    # FIRST names the job whose calls start first; the other waits until it is done, so the
    # order the calls start in is set by the test, not by the scheduler
    first = os.environ["FIRST"]
    if topic != first:
        first_done.wait(10)
    hits = search(topic)
    answer = complete(f"{topic} ({hits['hits']} hits)")
    if topic == first:
        first_done.set()
    return answer


class Agent:
    def __init__(self):
        self.log = []

    def run(self, topics):
        plan = complete("plan " + ", ".join(topics))
        with ThreadPoolExecutor(2) as pool:
            answers = list(pool.map(partial(work, threading.Event()), topics))
        summary = complete("sum " + " | ".join(answers))
        self.log.append([plan, *answers, summary])
        return summary
"""

TEST = """
import pytest
from app import Agent

@pytest.mark.replay("g.ckpt", mock={"llm": "app.complete", "tool": "app.search"})
def test_it(replay):
    replay.run(Agent().run, ["alpha", "beta"])
"""

#: what a re-record may change: what was measured
MEASURED = {"start_time_ns", "end_time_ns"}


def _without_measured(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _without_measured(v) for k, v in doc.items() if k not in MEASURED}
    if isinstance(doc, list):
        return [_without_measured(v) for v in doc]
    return doc


def _cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(list(args))
    return code, capsys.readouterr().out


def _calls(golden: Path) -> list[tuple[str, str, Any]]:
    """(target, branch, input) of each recorded call, in the order the file lists them."""
    spans = json.loads(golden.read_text())["trace"]["spans"]
    return [
        (s["attributes"]["clearstone.target"], s["attributes"]["clearstone.branch"], s["input"])
        for s in spans
        if "clearstone.target" in s["attributes"]
    ]


@pytest.fixture
def project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TEST))
    monkeypatch.setenv("FIRST", "beta")  # the second job's calls start first
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    return pytester


def test_calls_of_parallel_jobs_are_stored_in_the_order_of_their_branches(
    project: pytest.Pytester,
) -> None:
    # the main flow's calls before and after the jobs keep their places; the jobs' calls, which
    # started beta's first, are in the order the jobs were handed out
    calls = _calls(project.path / "g.ckpt")
    assert [(target, branch) for target, branch, _ in calls] == [
        ("app.complete", "0"),
        ("app.search", "0/work#0"),
        ("app.complete", "0/work#0"),
        ("app.search", "0/work#1"),
        ("app.complete", "0/work#1"),
        ("app.complete", "0"),
    ]
    assert calls[1][2] == {"v": {"query": "alpha"}}


def test_a_rerecord_of_parallel_jobs_that_started_in_another_order_is_unchanged(
    project: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before the fix: the calls were numbered in the order they started, so the same two jobs
    # starting the other way round swapped "llm call #2" and "#3": the summary listed their
    # arguments and answers as changed, `diff` exited 1 and the canonical form changed.
    golden = project.path / "g.ckpt"
    before_text = golden.read_text()
    saved = project.path / "before.ckpt"
    saved.write_text(before_text)
    _, before_canonical = _cli(capsys, "show", str(golden), "--canonical")
    monkeypatch.setenv("FIRST", "alpha")
    recorded = project.runpytest("--clearstone-record", "test_it.py")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(["  g.ckpt: unchanged"])
    after_text = golden.read_text()
    assert _without_measured(json.loads(after_text)) == _without_measured(json.loads(before_text))
    assert _cli(capsys, "show", str(golden), "--canonical")[1] == before_canonical
    code, out = _cli(capsys, "diff", str(saved), str(golden))
    assert code == 0, out
    project.runpytest("test_it.py").assert_outcomes(passed=1)
    monkeypatch.setenv("FIRST", "beta")
    project.runpytest("test_it.py").assert_outcomes(passed=1)


def test_show_numbers_the_calls_of_parallel_jobs_in_the_stored_order(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out = _cli(capsys, "show", str(project.path / "g.ckpt"), "--calls")
    assert code == 0
    lines = [line.strip() for line in out.splitlines()]
    # alpha's job was handed out first: its calls come first, whichever started first
    assert lines[lines.index("app.search #1  [tool]") + 1] == "args:   query='alpha'", out
    assert lines[lines.index("app.complete #2  [llm]") + 1] == "args:   prompt='alpha (5 hits)'"
    assert lines[lines.index("app.complete #3  [llm]") + 1] == "args:   prompt='beta (4 hits)'"


@pytest.mark.parametrize("first", ["alpha", "beta"])
def test_a_golden_listing_parallel_calls_in_start_order_still_replays(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, first: str
) -> None:
    # goldens written before this release list the calls in the order they started (beta's job
    # first here): replay answers each job from its own recordings, whichever order they run in
    golden = project.path / "g.ckpt"
    doc = json.loads(golden.read_text())
    doc["trace"]["spans"].sort(key=lambda span: span["start_time_ns"])
    del doc["file_bytes"]
    golden.write_text(json.dumps(doc, indent=2))
    assert [b for _, b, _ in _calls(golden)][1:5] == ["0/work#1"] * 2 + ["0/work#0"] * 2
    monkeypatch.setenv("FIRST", first)
    project.runpytest().assert_outcomes(passed=1)


#: two jobs whose calls interleave (each job's search, then each job's complete: a LangGraph
#: batch or Send fan-out over a thread pool) or not, as TOGETHER says
INTERLEAVED_APP = """
import os
import threading
from concurrent.futures import ThreadPoolExecutor


def complete(prompt):
    return f"answer to {prompt}"


def search(query):
    return {"hits": len(query), "query": query}


def run(topics):
    together = os.environ["TOGETHER"] == "1"
    searched = threading.Barrier(len(topics))
    turn = {topic: threading.Event() for topic in topics}
    turn[topics[0]].set()

    def work(topic):
        if not together:  # one job after the other
            turn[topic].wait(10)
        hits = search(topic)
        if together:  # every job searches before any completes
            searched.wait(10)
        answer = complete(f"{topic} ({hits['hits']} hits)")
        following = topics[topics.index(topic) + 1:]
        if following:
            turn[following[0]].set()
        return answer

    with ThreadPoolExecutor(len(topics)) as pool:
        return list(pool.map(work, topics))
"""


def test_a_rerecord_of_parallel_jobs_whose_calls_interleaved_otherwise_shows_no_change(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before the fix: the calls were unchanged (the summary said so), but `show --canonical` and
    # `diff` drew the span tree in start order, so a re-record whose parallel jobs' calls
    # interleaved otherwise showed the spans moved: a textconv `git diff` of an unchanged golden
    # listed span lines, and `diff` printed a "spans" section
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(INTERLEAVED_APP),
        test_it=textwrap.dedent(
            """
            import pytest
            from app import run

            @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete", "tool": "app.search"})
            def test_it(replay):
                replay.run(run, ["alpha", "beta"])
            """
        ),
    )
    monkeypatch.setenv("TOGETHER", "0")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "g.ckpt"
    saved = pytester.path / "before.ckpt"
    saved.write_text(golden.read_text())
    _, before_canonical = _cli(capsys, "show", str(golden), "--canonical")
    monkeypatch.setenv("TOGETHER", "1")
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(["  g.ckpt: unchanged"])
    assert _cli(capsys, "show", str(golden), "--canonical")[1] == before_canonical
    code, out = _cli(capsys, "diff", str(saved), str(golden))
    assert "spans" not in out, out
    assert code == 0, out
    pytester.runpytest().assert_outcomes(passed=1)


#: two jobs that each open a span of the agent's own around their call (a LangGraph node
#: traced with the clearstone_tracer fixture); FIRST says whose span and call start first
TRACED_APP = """
import os
import threading
from concurrent.futures import ThreadPoolExecutor


def complete(prompt):
    return f"answer to {prompt}"


def run(tracer, topics):
    first_done = threading.Event()

    def work(topic):
        if topic != os.environ["FIRST"]:
            first_done.wait(10)
        with tracer.span(f"node {topic}", span_type="node"):
            answer = complete(topic)
        if topic == os.environ["FIRST"]:
            first_done.set()
        return answer

    with ThreadPoolExecutor(len(topics)) as pool:
        return list(pool.map(work, topics))
"""


def test_a_rerecord_of_parallel_jobs_with_spans_of_their_own_shows_no_change(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Before the fix: the agent's own spans were placed in start order, so re-recording the
    # same two jobs started the other way round listed "spans" as changed in the summary, and
    # `show --canonical` and `diff` showed the node spans (with their calls) moved
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(TRACED_APP),
        test_it=textwrap.dedent(
            """
            import pytest
            from app import run

            @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
            def test_it(replay, clearstone_tracer):
                replay.run(run, clearstone_tracer, ["alpha", "beta"])
            """
        ),
    )
    monkeypatch.setenv("FIRST", "alpha")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "g.ckpt"
    saved = pytester.path / "before.ckpt"
    saved.write_text(golden.read_text())
    _, before_canonical = _cli(capsys, "show", str(golden), "--canonical")
    monkeypatch.setenv("FIRST", "beta")
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(["  g.ckpt: unchanged"])
    # the file too: the node spans keep their places and derived ids
    before_doc, after_doc = json.loads(saved.read_text()), json.loads(golden.read_text())
    assert _without_measured(after_doc) == _without_measured(before_doc)
    assert _cli(capsys, "show", str(golden), "--canonical")[1] == before_canonical
    code, out = _cli(capsys, "diff", str(saved), str(golden))
    assert "spans" not in out, out
    assert code == 0, out
    pytester.runpytest().assert_outcomes(passed=1)
