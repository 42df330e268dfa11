"""A replay error the agent swallowed, or that pytest's own helpers caught, stays the failure when
the test then fails or skips through pytest's ``Failed`` or ``Skipped`` (``BaseException``s, not
``Exception``s): ``pytest.fail()`` after the agent fell back, ``pytest.raises`` that saw nothing
raised, ``pytest.RaisesGroup`` whose ``ExceptionGroup`` (an agent's ``asyncio.TaskGroup``) held
the divergence in place of the expected error, and ``pytest.skip()`` in an ``except`` meant for
a service that is down. It is counted as diverged and record-diverged re-records it."""

from __future__ import annotations

import sys

import pytest

APP = """
import asyncio
import os
import socket

PROMPT = "You plan trips."


def ask(system, city):
    return f"Visit {city} ({system})"


def warm_up():
    if os.environ.get("WARM_UP"):  # (set on replay only: the guard blocks it)
        socket.create_connection(("192.0.2.1", 80), timeout=0.01).close()


class Planner:
    def __init__(self):
        self.answers = []

    def get_state(self):
        return {"answers": self.answers}

    def load_state(self, state):
        self.answers = list(state["answers"])

    def plan_or_none(self, city):
        # the agent falls back to no answer when the model fails
        try:
            answer = ask(PROMPT, city)
        except Exception:
            return None
        self.answers.append(answer)
        return answer

    def check(self, city):
        answer = self.plan_or_none(city)
        if answer is not None and "Nowhere" in answer:
            raise ValueError(f"no such city: {city}")

    async def one(self, city):
        await asyncio.sleep(0)
        answer = ask(PROMPT, city)
        if "Nowhere" in answer:
            raise ValueError(f"no such city: {city}")
        self.answers.append(answer)

    async def plan_all(self, cities):
        async with asyncio.TaskGroup() as group:
            for city in cities:
                group.create_task(self.one(city))
        return self.answers
"""

TEST = """
import asyncio
import pytest
import app

MOCK = {"llm": "app.ask"}


@pytest.mark.replay("goldens/fail.ckpt", mock=MOCK)
def test_fail():
    if app.Planner().plan_or_none("Lisbon") is None:
        pytest.fail("the planner gave no answer")


@pytest.mark.replay("goldens/raises.ckpt", mock=MOCK)
def test_raises():
    with pytest.raises(ValueError):
        app.Planner().check("Nowhere")


@pytest.mark.replay("goldens/skip.ckpt", mock=MOCK)
def test_skip():
    try:
        app.warm_up()
        answer = app.ask(app.PROMPT, "Lisbon")
    except Exception:
        pytest.skip("the model is not reachable")
    assert answer


@pytest.mark.replay("goldens/group.ckpt", mock=MOCK)
def test_group():
    planner = app.Planner()
    with pytest.RaisesGroup(ValueError):
        asyncio.run(planner.plan_all(["Lisbon", "Nowhere"]))
    assert len(planner.answers) == 1
"""

TESTS = ["test_fail", "test_raises", "test_skip"]
if sys.version_info >= (3, 11):  # (asyncio.TaskGroup)
    TESTS.append("test_group")


@pytest.fixture
def planner(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_planner=TEST)
    args = [f"test_planner.py::{name}" for name in TESTS]
    pytester.runpytest("--clearstone-record", *args).assert_outcomes(passed=len(TESTS))
    pytester.runpytest(*args).assert_outcomes(passed=len(TESTS))
    path = pytester.path / "app.py"
    path.write_text(path.read_text().replace("You plan trips.", "You plan short trips."))
    for cached in (pytester.path / "__pycache__").glob("app.*"):
        cached.unlink()
    return pytester


@pytest.mark.parametrize("test", TESTS)
def test_a_replay_error_before_a_pytest_failure_is_the_failure(
    planner: pytest.Pytester, test: str
) -> None:
    # before the fix: the test failed with "Failed: the planner gave no answer" ("DID NOT
    # RAISE", "Raised exception group did not match"), or was skipped (a green run), the
    # divergence not counted, and the summary gave no re-record hint
    result = planner.runpytest(f"test_planner.py::{test}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *ReplayDivergenceError: replay diverged at call #1 to app.ask*",
            "E *root[[]'system']: 'You plan trips.' -> 'You plan short trips.'",
            "*0 checkpoint(s) replayed, 0 recorded, 1 diverged*",
            f"FAILED *::{test} - pytest_clearstone.errors.ReplayDiverg*",
        ]
    )


@pytest.mark.parametrize("test", TESTS)
def test_record_diverged_rerecords_a_divergence_before_a_pytest_failure(
    planner: pytest.Pytester, test: str
) -> None:
    # before the fix: record-diverged left the test failed and its golden as it was
    golden = planner.path / "goldens" / f"{test[5:]}.ckpt"
    before = golden.read_bytes()
    result = planner.runpytest("--clearstone-mode=record-diverged", f"test_planner.py::{test}")
    result.assert_outcomes(passed=1)
    assert golden.read_bytes() != before
    planner.runpytest(f"test_planner.py::{test}").assert_outcomes(passed=1)


def test_a_blocked_connection_before_a_skip_fails_the_test(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # before the fix: the connection the network guard blocked (an SDK raises it as its own
    # connection error) was swallowed and the test skipped "the model is not reachable": a
    # replay that made a call it never recorded passed the run
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_planner=TEST)
    pytester.runpytest("--clearstone-record", "-k", "test_skip").assert_outcomes(passed=1)
    monkeypatch.setenv("WARM_UP", "1")
    result = pytester.runpytest("-k", "test_skip")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["E *NetworkBlockedError*192.0.2.1*80*"])
