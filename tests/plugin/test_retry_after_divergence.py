"""A strict replay that diverged stays failed with its first divergence, whatever the agent did
with the error: retried the call (each retry used to take the next recorded answer and fail
with a delta against another call's recording), wrapped it in its own error, or caught it and
went on until something else failed."""

from __future__ import annotations

import pytest

APP = """
PROMPT = "You plan trips."
TURNS = 1


def ask(system, city):
    return f"Visit {city} ({system})"


def with_retries(system, city):
    # a retry layer as tenacity's (reraise=True) or LangChain's with_retry: three attempts, then
    # the last error
    last = None
    for attempt in range(3):
        try:
            return ask(system, city)
        except Exception as exc:
            last = exc
            continue
    raise last


class Planner:
    def __init__(self):
        self.answers = []

    def get_state(self):
        return {"answers": self.answers}

    def load_state(self, state):
        self.answers = list(state["answers"])

    def plan(self, cities):
        for city in cities:
            self.answers.append(with_retries(PROMPT, city))
        return self.answers

    def plan_or_wrap(self, cities):
        # the agent's own error handling turns any failure of the model into its own error
        for city in cities:
            try:
                answer = ask(PROMPT, city)
            except Exception as exc:
                raise RuntimeError(f"the model failed for {city}") from exc
            self.answers.append(answer)
        return self.answers

    def plan_with_fallback(self, cities):
        # the agent swallows the model's failure and goes on with a fallback, which then fails
        # on its own
        for _ in range(TURNS):
            for city in cities:
                try:
                    answer = ask(PROMPT, city)
                except Exception:
                    answer = None
                self.answers.append(answer.upper())
        return self.answers
"""

TEST = """
import pytest
import app

MOCK = {"llm": "app.ask"}


@pytest.mark.replay("goldens/retry.ckpt", mock=MOCK)
def test_retry(replay):
    assert len(replay.run(app.Planner().plan, ["Lisbon", "Porto", "Faro"])) == 3


@pytest.mark.replay("goldens/wrap.ckpt", mock=MOCK)
def test_wrap(replay):
    assert len(replay.run(app.Planner().plan_or_wrap, ["Lisbon", "Porto", "Faro"])) == 3


@pytest.mark.replay("goldens/fallback.ckpt", mock=MOCK)
def test_fallback(replay):
    assert len(replay.run(app.Planner().plan_with_fallback, ["Lisbon", "Porto"])) >= 2
"""


@pytest.fixture
def planner(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_planner=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=3)
    pytester.runpytest().assert_outcomes(passed=3)
    return pytester


def _edit(pytester: pytest.Pytester, old: str, new: str) -> None:
    path = pytester.path / "app.py"
    text = path.read_text()
    assert old in text
    path.write_text(text.replace(old, new))
    for cached in (pytester.path / "__pycache__").glob("app.*"):
        cached.unlink()


def _errors(result: pytest.RunResult) -> list[str]:
    return [line for line in result.outlines if line.startswith("E ")]


def test_a_retried_call_fails_with_its_first_divergence_not_a_later_recording(planner):
    # Expected: the retries of call #1 after its divergence take no recorded answer; the error
    # the retry layer finally raises, and the test's failure, is the divergence of call #1 with
    # the one change made. Before the fix: each retry took the next recorded answer, and the
    # test failed with "call #3 ... 'Faro' -> 'Lisbon'", a delta the user never made.
    _edit(planner, 'PROMPT = "You plan trips."', 'PROMPT = "You plan short trips."')
    result = planner.runpytest("test_planner.py::test_retry")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *ReplayDivergenceError: replay diverged at call #1 to app.ask *",
            "E *root[[]'system']: 'You plan trips.' -> 'You plan short trips.'",
            "*0 checkpoint(s) replayed, 0 recorded, 1 diverged*",
        ]
    )
    errors = "\n".join(_errors(result))
    assert "call #2" not in errors and "call #3" not in errors, errors
    assert "'Faro'" not in errors and "'Porto'" not in errors, errors
    assert "ReplayExhaustedError" not in errors, errors


def test_a_divergence_the_agent_wraps_in_its_own_error_is_the_failure(planner):
    # Expected: the agent caught the divergence and raised its own RuntimeError from it; the
    # test fails with the divergence (its delta), the agent's error shown as what followed.
    # Before the fix: the test failed with "RuntimeError: the model failed for Lisbon".
    _edit(planner, 'PROMPT = "You plan trips."', 'PROMPT = "You plan short trips."')
    result = planner.runpytest("test_planner.py::test_wrap")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            '*raise RuntimeError(f"the model failed for {city}") from exc',
            "app.py:*: RuntimeError",
            "During handling of the above exception, another exception occurred:",
            "E *ReplayDivergenceError: replay diverged at call #1 to app.ask *",
            "E *root[[]'system']: 'You plan trips.' -> 'You plan short trips.'",
            "*0 checkpoint(s) replayed, 0 recorded, 1 diverged*",
            "FAILED *::test_wrap - pytest_clearstone.errors.Replay*",
        ]
    )


@pytest.mark.parametrize(
    ("edit", "reported"),
    [
        (
            ('PROMPT = "You plan trips."', 'PROMPT = "You plan short trips."'),
            "E *ReplayDivergenceError: replay diverged at call #1 to app.ask *",
        ),
        (
            ("TURNS = 1", "TURNS = 2"),
            "E *ReplayExhaustedError: app.ask was called 3 time(s) but the recording has only "
            "2 response(s) for it (call #3 has none)*",
        ),
    ],
    ids=["divergence", "exhaustion"],
)
def test_an_error_swallowed_before_the_agent_fails_otherwise_is_the_failure(
    planner, edit, reported
):
    # Expected: the agent swallowed the replay error, went on with a fallback and then failed on
    # its own (AttributeError on the missing answer); the test fails with the replay error it
    # swallowed first. Before the fix: "AttributeError: 'NoneType' object has no attribute
    # 'upper'" was the failure, and the replay error was not shown.
    _edit(planner, *edit)
    result = planner.runpytest("test_planner.py::test_fallback")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *AttributeError: 'NoneType' object has no attribute 'upper'",
            reported,
            "*0 checkpoint(s) replayed, 0 recorded, 1 diverged*",
            "FAILED *::test_fallback - pytest_clearstone.errors.Replay*",
        ]
    )
