"""A replay error the agent swallowed, or that pytest's own helpers caught, stays the failure when
the test then fails through pytest's ``Failed`` (a ``BaseException``, not an ``Exception``):
``pytest.fail()`` after the agent fell back, ``pytest.raises`` that saw nothing raised, and
``pytest.RaisesGroup`` whose ``ExceptionGroup`` (an agent's ``asyncio.TaskGroup``) held the
divergence in place of the expected error. It is counted as diverged and record-diverged
re-records it."""

from __future__ import annotations

import sys

import pytest

APP = """
import asyncio

PROMPT = "You plan trips."


def ask(system, city):
    return f"Visit {city} ({system})"


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


@pytest.mark.replay("goldens/group.ckpt", mock=MOCK)
def test_group():
    planner = app.Planner()
    with pytest.RaisesGroup(ValueError):
        asyncio.run(planner.plan_all(["Lisbon", "Nowhere"]))
    assert len(planner.answers) == 1
"""

TESTS = ["test_fail", "test_raises"] + (["test_group"] if sys.version_info >= (3, 11) else [])


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
    # RAISE", "Raised exception group did not match"), the divergence not counted, and the
    # summary gave no re-record hint
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
