"""Two tests that record one golden path, with their mock targets from the ``clearstone_config``
fixture (collection cannot see them, so it cannot refuse them as it refuses two markers with
``mock=``): the second recording in a run must not silently overwrite the first's golden."""

from __future__ import annotations

import json
import textwrap

import pytest

APP = """
def complete(prompt):
    return "answer to " + prompt


class Agent:
    def __init__(self):
        self.log = []

    def run(self, question):
        answer = complete(question)
        self.log.append(answer)
        return answer
"""

CONFTEST = """
import pytest


@pytest.fixture
def clearstone_config():
    return {"mock": {"llm": "app.complete"}}
"""

TESTS = """
import pytest

from app import Agent


@pytest.mark.replay("goldens/shared.ckpt")
def test_one(replay):
    assert replay.run(Agent().run, "one") == "answer to one"


@pytest.mark.replay("goldens/shared.ckpt")
def test_two(replay):
    assert replay.run(Agent().run, "two") == "answer to two"
"""


def test_a_second_recording_of_the_same_golden_fails_and_keeps_the_first(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_shared=TESTS)
    pytester.makeconftest(textwrap.dedent(CONFTEST))
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(passed=1, failed=1)
    recorded.stdout.fnmatch_lines(
        [
            "*test_shared.py::test_two: the golden checkpoint was not written: test_shared.py::"
            "test_one recorded *goldens/shared.ckpt earlier in this run, and this test would "
            "overwrite it (collection could not tell: their mock targets come from the "
            "clearstone_config fixture, or a marker added later): give each test its own path "
            "(or leave the path out: one golden per test)",
            "goldens written:",
            "  goldens/shared.ckpt: new",
            "goldens not written (the old file, if any, stays):",
            "  test_shared.py::test_two: test_shared.py::test_one recorded the same golden",
        ]
    )
    golden = json.loads((pytester.path / "goldens" / "shared.ckpt").read_text())
    assert golden["metadata"]["test"] == "test_shared.py::test_one"
    # the first test's golden replays; the second has none of its own to replay
    replayed = pytester.runpytest("-k", "test_one")
    replayed.assert_outcomes(passed=1)


def test_the_same_test_recorded_again_in_one_run_is_not_refused(
    pytester: pytest.Pytester,
) -> None:
    """record-diverged runs a diverged test again, live: the same test writes its golden."""
    pytester.syspathinsert()
    two_goldens = TESTS.replace('shared.ckpt")\ndef test_two', 'two.ckpt")\ndef test_two')
    pytester.makepyfile(app=APP, test_shared=two_goldens)
    pytester.makeconftest(textwrap.dedent(CONFTEST))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    app = pytester.path / "app.py"
    app.write_text(app.read_text().replace("self.log.append(answer)", "self.log.append([answer])"))
    rerun = pytester.runpytest("--clearstone-mode=record-diverged")
    rerun.assert_outcomes(passed=2)
    rerun.stdout.fnmatch_lines(["re-recorded (diverged on replay): test_shared.py::test_one"])
    rerun.stdout.no_fnmatch_line("*earlier in this run*")


def test_the_repetitions_of_one_test_are_one_test(pytester: pytest.Pytester) -> None:
    """pytest-repeat (``--count``, emulated as in test_other_plugins.py) runs a test as
    ``test_one[1-2]``, ``test_one[2-2]``: with the fixture's mock, collection does not skip the
    second repetition, which records the same test's golden again, and is not refused."""
    from tests.plugin.test_other_plugins import REPEAT

    pytester.syspathinsert()
    one_test = TESTS[: TESTS.index("@pytest.mark.replay", TESTS.index("def test_one"))]
    pytester.makepyfile(app=APP, test_shared=one_test)
    pytester.makeconftest(textwrap.dedent(CONFTEST) + REPEAT)
    pytester.makeini("[pytest]\naddopts = -p no:repeat\n")  # the real one, where installed
    result = pytester.runpytest("--clearstone-record", "--count", "2")
    result.assert_outcomes(passed=2)
    pytester.runpytest().assert_outcomes(passed=1)


def test_record_missing_does_not_replay_a_golden_another_test_just_recorded(
    pytester: pytest.Pytester,
) -> None:
    """record-missing: the first test records the missing golden; the second found it there
    and replayed the first test's recording (a divergence at its own prompt), where it is the
    same refusal as in a record run."""
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_shared=TESTS)
    pytester.makeconftest(textwrap.dedent(CONFTEST))
    result = pytester.runpytest("--clearstone-mode=record-missing")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_shared.py::test_one recorded *earlier in this run*"])
    result.stdout.no_fnmatch_line("*ReplayDivergenceError*")
    golden = json.loads((pytester.path / "goldens" / "shared.ckpt").read_text())
    assert golden["metadata"]["test"] == "test_shared.py::test_one"
