"""LangGraph's node cache (a node's ``CachePolicy``, the graph compiled with ``cache=``) kept
between runs: the node the cache answers makes none of its calls, so the replay leaves them
unused whatever the agent does, and re-recording does not help. The failure says so.

The runs are subprocesses: a cache alive in this process (an in-process run's graph, kept by
its records) would be named in the failures of unrelated tests run after these on the worker.
"""

from __future__ import annotations

import pytest

APP = """
from typing import TypedDict

from langgraph.cache.sqlite import SqliteCache
from langgraph.graph import END, START, StateGraph
from langgraph.types import CachePolicy


def weather(city):
    return f"sunny in {city}"


class S(TypedDict):
    city: str
    forecast: str


def forecast(state: S):
    return {"forecast": weather(state["city"])}


builder = StateGraph(S)
builder.add_node("forecast", forecast, cache_policy=CachePolicy())
builder.add_edge(START, "forecast")
builder.add_edge("forecast", END)
# (a cache on a file, as in production: it outlives the run)
graph = builder.compile(cache=SqliteCache(path="node-cache.sqlite"))


class Planner:
    def __init__(self):
        self.notes = []

    def get_state(self):
        return {"notes": self.notes}

    def load_state(self, state):
        self.notes = list(state["notes"])

    def plan(self, city):
        self.notes.append(graph.invoke({"city": city})["forecast"])
        return self.notes
"""

TEST = """
import pytest
import app


@pytest.mark.replay(mock={"tool": "app.weather"})
def test_plan(replay):
    assert replay.run(app.Planner().plan, "Lisbon") == ["sunny in Lisbon"]
"""


def test_a_node_answered_by_a_cache_kept_between_runs_is_named_as_the_cause(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the replay names LangGraph's node cache and its fix. Before the fix it said
    # only "The agent now skips calls it used to make. If the change is intended, re-record",
    # and a re-record, answered by the same cache, recorded nothing.
    pytest.importorskip("langgraph.cache.sqlite")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_planner=TEST)
    pytester.runpytest_subprocess("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *UnusedResponsesError: the replay made fewer calls than the recording:",
            "*app.weather: 0 of 1 recorded response(s) used",
            "*LangGraph's node cache is in use (langgraph.cache.sqlite.SqliteCache): a node "
            "with a CachePolicy whose input the cache holds is not run*re-recording does not "
            "help*cache.clear()*",
            # (the ending leaves the cache first, and re-records only for a change of the agent)
            "*If that is not what left them out, the agent now skips calls it used to make. If "
            "the change is intended, re-record with: pytest --clearstone-record "
            "test_planner.py::test_plan",
        ]
    )


def test_a_re_record_the_cache_answers_names_it_with_nothing_recorded(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the re-record that records nothing (the cache on file answered the node) names
    # the cache. Before the fix it offered only other import paths and strict=False.
    pytest.importorskip("langgraph.cache.sqlite")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_planner=TEST)
    pytester.runpytest_subprocess("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*nothing was recorded*app.weather*",
            "*LangGraph's node cache is in use (langgraph.cache.sqlite.SqliteCache)*",
        ]
    )


SHARED_APP = """
from typing import TypedDict

from langgraph.cache.memory import InMemoryCache
from langgraph.graph import END, START, StateGraph
from langgraph.types import CachePolicy


def weather(city):
    return f"sunny in {city}"


def advice(forecast):
    return f"bring a hat: {forecast}"


class S(TypedDict):
    city: str
    forecast: str
    advice: str


def forecast(state: S):
    return {"forecast": weather(state["city"])}


def advise(state: S):
    return {"advice": advice(state["forecast"])}


builder = StateGraph(S)
builder.add_node("forecast", forecast, cache_policy=CachePolicy())
builder.add_node("advise", advise)
builder.add_edge(START, "forecast")
builder.add_edge("forecast", "advise")
builder.add_edge("advise", END)
# (compiled at import: every test of the process shares its cache)
graph = builder.compile(cache=InMemoryCache())


def plan(city):
    return graph.invoke({"city": city})["advice"]
"""

SHARED_TESTS = """
import pytest
import app

MOCK = {"tool": ["app.weather", "app.advice"]}


@pytest.mark.replay(mock=MOCK)
def test_lisbon(replay):
    assert replay.run(app.plan, "Lisbon") == "bring a hat: sunny in Lisbon"


@pytest.mark.replay(mock=MOCK)
def test_lisbon_again(replay):
    assert replay.run(app.plan, "Lisbon") == "bring a hat: sunny in Lisbon"
"""


def test_a_node_an_earlier_test_cached_names_the_cache_where_the_next_call_comes_early(
    pytester: pytest.Pytester,
) -> None:
    # Expected: a graph compiled at import with an InMemoryCache, whose cache an earlier test
    # of the replay filled, skips the node's call, so the next node's call comes out of its
    # recorded place: the divergence names the node cache and its fix, and offers re-recording
    # only if that is not the cause. Before the fix it said only "The agent's calls changed
    # order ... If the change is intended, re-record", and a re-record in the same run,
    # answered by the same cache, recorded the call out of the golden.
    pytest.importorskip("langgraph.cache.memory")
    pytester.syspathinsert()
    pytester.makepyfile(app=SHARED_APP, test_planner=SHARED_TESTS)
    for name in ("test_lisbon", "test_lisbon_again"):  # (each alone: each its own cache)
        recorded = pytester.runpytest_subprocess("--clearstone-record", f"test_planner.py::{name}")
        recorded.assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *ReplayDivergenceError: replay diverged at call #1 to app.advice: it was made "
            "out of its recorded place, where the recording has call #1 to app.weather*",
            "E *LangGraph's node cache is in use (langgraph.cache.memory.InMemoryCache*): a "
            "node with a CachePolicy whose input the cache holds is not run*re-recording does "
            "not help*cache.clear()*If that is not what left it out, the agent's calls changed "
            "order, or it left out the call recorded here (or added this one). If the change "
            "is intended, re-record with: pytest --clearstone-record "
            "test_planner.py::test_lisbon_again",
        ]
    )


CACHED_AT_IMPORT = """
from typing import TypedDict

from langgraph.cache.memory import InMemoryCache
from langgraph.graph import END, START, StateGraph
from langgraph.types import CachePolicy


class S(TypedDict):
    city: str


def echo(state: S):
    return {"city": state["city"]}


builder = StateGraph(S)
builder.add_node("echo", echo, cache_policy=CachePolicy())
builder.add_edge(START, "echo")
builder.add_edge("echo", END)
graph = builder.compile(cache=InMemoryCache())
graph.invoke({"city": "Lisbon"})  # (filled at import)
"""

PLAIN_AGENT = """
import os


def search(query):
    return f"found {query}"


def summarize(text):
    return f"summary of {text}"


def answer(question):
    if os.environ.get("NO_CALL"):
        return "nothing to look up"
    if os.environ.get("STOP_EARLY"):
        return search(question)
    if os.environ.get("SUMMARIZE_FIRST"):
        summary = summarize(question)
        return summary + search(question)
    return summarize(search(question))
"""

PLAIN_TEST = """
import pytest

import graphs  # (a module of the suite that compiles a cached graph at import)
import plain


@pytest.mark.replay(mock={"tool": ["plain.search", "plain.summarize"]})
def test_answer(replay):
    replay.run(plain.answer, "weather")
"""


@pytest.mark.parametrize("change", ["STOP_EARLY", "SUMMARIZE_FIRST", "NO_CALL"])
def test_an_agent_that_runs_no_graph_is_not_told_of_a_node_cache_alive_in_the_process(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    # Expected: a plain agent's replay failure (a call left out, a call out of its place) in a
    # suite where a module compiled (and filled) a cached graph at import says nothing of
    # LangGraph's node cache: no call of the replay ran in a graph. Before the fix every such
    # failure named the cache as the cause; and one whose replay made no call at all (nothing
    # to tell by) still did, though no node with a CachePolicy reaches the calls left out.
    pytest.importorskip("langgraph.cache.memory")
    pytester.syspathinsert()
    pytester.makepyfile(graphs=CACHED_AT_IMPORT, plain=PLAIN_AGENT, test_plain=PLAIN_TEST)
    pytester.runpytest_subprocess("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv(change, "1")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E *Error: *"])
    assert "node cache" not in result.stdout.str()


TWO_NODES_ON_FILE = SHARED_APP.replace(
    "from langgraph.cache.memory import InMemoryCache",
    "from langgraph.cache.sqlite import SqliteCache",
).replace("cache=InMemoryCache()", 'cache=SqliteCache(path="node-cache.sqlite")')

RE_RECORDED_TEST = """
import pytest
import app


@pytest.mark.replay(mock={"tool": ["app.weather", "app.advice"]})
def test_lisbon(replay):
    assert replay.run(app.plan, "Lisbon") == "bring a hat: sunny in Lisbon"
"""


def test_a_call_a_re_record_left_out_because_the_cache_answered_its_node_names_the_cache(
    pytester: pytest.Pytester,
) -> None:
    # Expected: re-recorded while the cache on file held the cached node's input, the golden
    # has no call of that node; replayed on an empty cache, the node runs and its call finds
    # no recorded answer: the ReplayExhaustedError names the node, its CachePolicy and the
    # cache as what left the call out of the recording, and the fix (an empty cache, then a
    # re-record). Before the fix it said only "The agent now makes more calls than when it was
    # recorded, or the mock config maps the wrong span type to this target".
    pytest.importorskip("langgraph.cache.sqlite")
    pytester.syspathinsert()
    pytester.makepyfile(app=TWO_NODES_ON_FILE, test_planner=RE_RECORDED_TEST)
    pytester.runpytest_subprocess("--clearstone-record").assert_outcomes(passed=1)
    # (re-recorded with the cache filled by the first recording: app.weather is not called)
    pytester.runpytest_subprocess("--clearstone-record").assert_outcomes(passed=1)
    pytester.path.joinpath("node-cache.sqlite").unlink()  # (a fresh checkout, CI)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *ReplayExhaustedError: app.weather was called 1 time(s) but the recording has "
            "only 0 response(s) for it*",
            "E *This call is made in LangGraph node 'forecast', which has a CachePolicy, while "
            "LangGraph's node cache is in use (langgraph.cache.sqlite.SqliteCache): *cache.clear()"
            "*re-record with: pytest --clearstone-record test_planner.py::test_lisbon*",
        ]
    )
    assert "The agent now makes more calls" not in result.stdout.str()


def test_a_recording_of_an_agent_that_runs_no_graph_is_not_told_of_a_node_cache_alive(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: a plain agent that made no call to its mock targets while recorded ("nothing
    # was recorded"), in a suite where a module compiled (and filled) a cached graph at import,
    # is not told of LangGraph's node cache: no node with a CachePolicy reaches its targets.
    # Before the fix the hint named the cache whenever one was alive in the process.
    pytest.importorskip("langgraph.cache.memory")
    pytester.syspathinsert()
    pytester.makepyfile(graphs=CACHED_AT_IMPORT, plain=PLAIN_AGENT, test_plain=PLAIN_TEST)
    monkeypatch.setenv("NO_CALL", "1")
    result = pytester.runpytest_subprocess("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*nothing was recorded*plain.search*"])
    assert "node cache" not in result.stdout.str()
