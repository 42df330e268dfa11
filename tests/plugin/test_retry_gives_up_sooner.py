"""An agent that now retries fewer times than when it was recorded (tenacity's or backoff's
``stop``/``max_tries`` lowered, an SDK's ``max_retries``) gives up on the recorded failure of
an earlier attempt: the test fails naming the recorded calls it no longer makes, not only with
the recorded error, which reads as if the service had failed on replay."""

from __future__ import annotations

import pytest

APP = """
import backoff
from tenacity import retry, retry_if_exception_type, stop_after_attempt, wait_exponential

ATTEMPTS = 3
FAILURES = {"left": 2}


class Busy(Exception):
    def __init__(self, message, status):
        super().__init__(message)
        self.status = status


def weather(city):
    # the live service: busy twice, then it answers
    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise Busy(f"busy for {city}", 503)
    return f"sunny in {city}"


@retry(
    wait=wait_exponential(multiplier=0.01, max=0.02),
    stop=stop_after_attempt(ATTEMPTS),
    retry=retry_if_exception_type(Busy),
    reraise=True,
)
def weather_reraised(city):
    return weather(city)


@retry(
    wait=wait_exponential(multiplier=0.01, max=0.02),
    stop=stop_after_attempt(ATTEMPTS),
    retry=retry_if_exception_type(Busy),
)
def weather_retry_error(city):
    return weather(city)


@backoff.on_exception(backoff.expo, Busy, max_tries=ATTEMPTS, factor=0.01, max_value=0.02)
def weather_backoff(city):
    return weather(city)


class Planner:
    def __init__(self):
        self.notes = []

    def get_state(self):
        return {"notes": self.notes}

    def load_state(self, state):
        self.notes = list(state["notes"])

    def plan(self, fetch, city):
        self.notes.append(fetch(city))
        return self.notes
"""

TEST = """
import pytest
import app


@pytest.fixture(autouse=True)
def service():
    app.FAILURES["left"] = 2


@pytest.mark.parametrize("fetch", ["weather_reraised", "weather_retry_error", "weather_backoff"])
@pytest.mark.replay(mock={"tool": "app.weather"})
def test_plan(replay, fetch):
    assert replay.run(app.Planner().plan, getattr(app, fetch), "Lisbon") == ["sunny in Lisbon"]
"""


@pytest.fixture
def planner(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_planner=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=3)
    pytester.runpytest().assert_outcomes(passed=3)
    return pytester


def _retry_less(pytester: pytest.Pytester) -> None:
    path = pytester.path / "app.py"
    path.write_text(path.read_text().replace("ATTEMPTS = 3", "ATTEMPTS = 2"))
    for cached in (pytester.path / "__pycache__").glob("app.*"):
        cached.unlink()


@pytest.mark.parametrize("fetch", ["weather_reraised", "weather_retry_error", "weather_backoff"])
def test_a_retry_layer_that_gives_up_sooner_fails_naming_the_calls_not_made(planner, fetch):
    # Expected: the replay raised the recorded Busy of call #2, the retry layer (now stopping
    # after two attempts) gave up with it, and the test fails naming the recorded call #3 the
    # agent no longer makes and the recorded error it gave up on. Before the fix: the test
    # failed with "app.Busy: busy for Lisbon" (or tenacity's "RetryError[<Future at 0x...
    # state=finished raised Busy>]") alone, as if the service had failed on replay, and
    # --clearstone-mode=record-diverged did not re-record it.
    _retry_less(planner)
    result = planner.runpytest(f"test_planner.py::test_plan[{fetch}]")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *UnusedResponsesError: the replay made fewer calls than the recording:",
            "*app.weather: 2 of 3 recorded response(s) used",
            "*call #3 (call 3 of 3 in the recorded sequence) was not made; recorded "
            "arguments: {'city': 'Lisbon'}",
            "*the run raised app.Busy: busy for Lisbon, the error recorded for call #2 to "
            "app.weather, replayed: a retry layer that now gives up sooner*",
            "*0 checkpoint(s) replayed, 0 recorded, 1 diverged*",
        ]
    )
    # what the agent raised is shown too, as what the replay error followed
    result.stdout.fnmatch_lines(["*Busy*", "During handling of the above exception*"])


def test_a_retry_layer_that_gives_up_sooner_is_re_recorded_by_record_diverged(planner):
    # Expected: the calls not made are a divergence, which record-diverged re-records (live,
    # with the service now busy once). Before the fix: the test failed with the recorded error,
    # no divergence, and was not recorded again.
    _retry_less(planner)
    path = planner.path / "test_planner.py"
    path.write_text(
        path.read_text().replace('app.FAILURES["left"] = 2', 'app.FAILURES["left"] = 1')
    )
    result = planner.runpytest("--clearstone-mode=record-diverged", "test_planner.py")
    result.assert_outcomes(passed=3)
    planner.runpytest().assert_outcomes(passed=3)


def test_an_error_the_agent_raises_itself_stays_the_failure(planner):
    # Expected: a failure that is not an answer of the golden (the agent's own bug before its
    # calls) is shown as it is, whatever calls the golden has left.
    path = planner.path / "app.py"
    path.write_text(
        path.read_text().replace(
            "        self.notes.append(fetch(city))",
            "        raise KeyError(city)",
        )
    )
    for cached in (planner.path / "__pycache__").glob("app.*"):
        cached.unlink()
    result = planner.runpytest("test_planner.py::test_plan[weather_reraised]")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E *KeyError: 'Lisbon'"])
    assert "UnusedResponsesError" not in result.stdout.str()


def test_an_error_whose_class_is_gone_is_named_as_such_not_as_a_retry_layer(planner):
    # Expected: the recorded error's class was renamed, so the replay raised a RecordedError in
    # its place, which the retry layer does not retry: the calls not made are told with that
    # reason and its fix. Before the fix: "a retry layer that now gives up sooner (tenacity's
    # stop=, ...), or the agent now handles that error otherwise", which sent the user to
    # their retry settings, with the reason cut short ("an except claus...").
    path = planner.path / "app.py"
    path.write_text(path.read_text().replace("Busy", "Unavailable"))
    for cached in (planner.path / "__pycache__").glob("app.*"):
        cached.unlink()
    result = planner.runpytest("test_planner.py::test_plan[weather_reraised]")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *UnusedResponsesError: the replay made fewer calls than the recording:",
            "*call #2 (call 2 of 3 in the recorded sequence) was not made*",
            "*the run raised app.Busy: busy for Lisbon, the error recorded for call #1 to "
            "app.weather, replayed as RecordedError: its class could not be imported: module "
            "'app' has no attribute 'Busy'; an except clause for app.Busy does not catch it. "
            "If the class was renamed or moved, re-record the test (pytest "
            "--clearstone-record), or keep the recorded name importable",
        ]
    )
    assert "gives up sooner" not in result.stdout.str()


GRAPH = """
from typing import TypedDict

from langgraph.graph import END, START, StateGraph
from langgraph.types import RetryPolicy

ATTEMPTS = 3
FAILURES = {"left": 2}


class Busy(Exception):
    pass


def weather(city):
    if FAILURES["left"] > 0:
        FAILURES["left"] -= 1
        raise Busy(f"busy for {city}")
    return f"sunny in {city}"


class S(TypedDict):
    city: str
    forecast: str


def forecast(state: S):
    return {"forecast": weather(state["city"])}


class Planner:
    def __init__(self):
        self.notes = []

    def get_state(self):
        return {"notes": self.notes}

    def load_state(self, state):
        self.notes = list(state["notes"])

    def plan(self, city):
        graph = StateGraph(S)
        graph.add_node("forecast", forecast, retry_policy=RetryPolicy(
            max_attempts=ATTEMPTS, initial_interval=0.01, jitter=False, retry_on=Busy))
        graph.add_edge(START, "forecast")
        graph.add_edge("forecast", END)
        self.notes.append(graph.compile().invoke({"city": city})["forecast"])
        return self.notes
"""

GRAPH_TEST = """
import pytest
import app


@pytest.mark.replay(mock={"tool": "app.weather"})
def test_plan(replay):
    app.FAILURES["left"] = 2
    assert replay.run(app.Planner().plan, "Lisbon") == ["sunny in Lisbon"]
"""


def test_a_langgraph_retry_policy_with_fewer_attempts_is_named_with_the_retry_layers(
    pytester: pytest.Pytester,
) -> None:
    # Expected: a LangGraph node whose RetryPolicy now makes fewer attempts gives up on the
    # recorded error; the message names its setting beside tenacity's and backoff's. Before the
    # fix it named only those of other libraries, none of which the graph's author uses.
    pytest.importorskip("langgraph")
    pytester.syspathinsert()
    pytester.makepyfile(app=GRAPH, test_planner=GRAPH_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    _retry_less(pytester)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*call #3 (call 3 of 3 in the recorded sequence) was not made*",
            "*the run raised app.Busy: busy for Lisbon, the error recorded for call #2 to "
            "app.weather, replayed: a retry layer that now gives up sooner (*a LangGraph "
            "node's RetryPolicy(max_attempts=)*",
        ]
    )
