"""``replay.run()`` calls the test makes at once (in threads, or tasks) compare with the golden
outcomes in the order they were made.

A test that runs two agents at once (``ThreadPoolExecutor``, ``asyncio.gather``) records an
outcome per run. Before the fix the golden listed them in the order the runs returned, which
the live latency of their calls set, and a replay numbered them in the order they returned on
replay, where every answer is at hand: in threads the run that returned first when recorded was
compared with the other's outcome, and the replay of the unchanged test failed every time
(``result of replay.run() #1 (go): 'answer to b' -> 'answer to a'``); the recorded state was
also loaded into every agent started before a run had returned.
"""

from __future__ import annotations

import json
import textwrap

import pytest

APP = """
import time


def complete(prompt):
    time.sleep(0.2 if prompt == "slow" else 0)  # the live latency
    return "answer to " + prompt


class Agent:
    def __init__(self, name):
        self.name = name
        self.log = []

    def get_state(self):
        return {"name": self.name, "log": self.log}

    def load_state(self, state):
        self.name, self.log = state["name"], list(state["log"])

    def go(self, prompt):
        answer = complete(prompt)
        self.log.append(answer)
        return answer
"""

TEST = """
from concurrent.futures import ThreadPoolExecutor

import pytest

from app import Agent


@pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
def test_it(replay):
    with ThreadPoolExecutor(2) as pool:
        slow = pool.submit(replay.run, Agent("one").go, "slow")
        fast = pool.submit(replay.run, Agent("two").go, "fast")
        assert (slow.result(), fast.result()) == ("answer to slow", "answer to fast")
"""


def test_runs_made_at_once_compare_in_the_order_they_were_made(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TEST))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    outcome = json.loads((pytester.path / "g.ckpt").read_text())["outcome"]
    # the first run made is the first outcome, though it returned last
    assert outcome["result"] == "answer to slow"
    assert outcome["then"][0]["result"] == "answer to fast"
    assert outcome["then"][0]["final_state"]["name"] == "two"
    for _ in range(3):
        pytester.runpytest().assert_outcomes(passed=1)


RAISING_TEST = """
import pytest

from app import Agent


@pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
def test_it(replay):
    agent = Agent("one")
    with pytest.raises(TypeError):
        replay.run(agent.go)  # (no prompt: raises, no outcome)
    assert replay.run(agent.go, "fast") == "answer to fast"
    assert replay.run(Agent("two").go, "again") == "answer to again"
"""


def test_a_run_that_raised_takes_no_place(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(RAISING_TEST))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    outcome = json.loads((pytester.path / "g.ckpt").read_text())["outcome"]
    assert [outcome["result"], outcome["then"][0]["result"]] == [
        "answer to fast",
        "answer to again",
    ]
    pytester.runpytest().assert_outcomes(passed=1)


HISTORY_APP = """
def complete(messages):
    if messages[-1] == "bad":
        raise ValueError("the service refused it")
    return "answer to " + messages[-1]


class Agent:
    def __init__(self, name="agent"):
        self.name = name
        self.history = []

    def get_state(self):
        return {"name": self.name, "history": self.history}

    def load_state(self, state):
        self.name, self.history = state["name"], list(state["history"])

    def chat(self, text):
        self.history.append(text)  # (kept when the call raises)
        answer = complete(list(self.history))
        self.history.append(answer)
        return answer
"""

SAME_AGENT_AFTER_AN_ERROR_TEST = """
import pytest

from app import Agent


@pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
def test_it(replay):
    agent = Agent()
    with pytest.raises(ValueError):
        replay.run(agent.chat, "bad")
    assert replay.run(agent.chat, "good") == "answer to good"
    assert agent.history == ["bad", "good", "answer to good"]
"""

NEW_AGENT_AFTER_AN_ERROR_TEST = """
import pytest

from app import Agent


@pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
def test_it(replay):
    with pytest.raises(ValueError):
        replay.run(Agent("first").chat, "bad")
    agent = Agent("second")
    assert replay.run(agent.chat, "good") == "answer to good"
    assert agent.name == "second"
"""


@pytest.mark.parametrize(
    "test",
    [SAME_AGENT_AFTER_AN_ERROR_TEST, NEW_AGENT_AFTER_AN_ERROR_TEST],
    ids=["the same agent", "a new agent"],
)
def test_the_recorded_state_is_given_once_also_when_the_first_run_raised(
    pytester: pytest.Pytester, test: str
) -> None:
    # the recording took the agent's state before the first run, which raised; the replay gave
    # it again before the next run, undoing what the run that raised had done (the prompt it
    # added: the next call's messages differed) or putting the first agent's state into a new
    # one (the final state differed): an unchanged test failed its replay
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(HISTORY_APP), test_it=textwrap.dedent(test))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


FUNCTION_RUN_STILL_RUNNING_TEST = """
import os
import threading

import pytest

from app import Agent

release = threading.Event()


def wait_for_release():
    assert release.wait(10)
    return "released"


@pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
def test_it(replay):
    waiting = threading.Thread(target=replay.run, args=(wait_for_release,))
    waiting.start()  # (a run of no agent, still running when the agent's starts)
    agent = Agent(os.environ["AGENT_NAME"])
    replay.run(agent.chat, "good")
    release.set()
    waiting.join()
    assert agent.name == "recorded"
"""


def test_the_agent_of_a_run_made_while_a_run_of_no_agent_runs_is_given_the_recorded_state(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the recording took the agent's state before its run, the first to run an agent before any
    # run had returned: the replay gives it back there (the agent is built from the environment,
    # which differs on replay)
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(HISTORY_APP), test_it=textwrap.dedent(FUNCTION_RUN_STILL_RUNNING_TEST)
    )
    monkeypatch.setenv("AGENT_NAME", "recorded")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("AGENT_NAME", "elsewhere")
    pytester.runpytest().assert_outcomes(passed=1)
