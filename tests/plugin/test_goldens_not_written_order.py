"""The tests whose golden was not written are listed in the terminal summary in the order of
their node ids, as the goldens written and the tests re-recorded are: they came in the order
the tests ran (a file's tests in the order they are written; under xdist, the order the workers
finished them, which changes from run to run)."""

from __future__ import annotations

import pytest

from tests.inner_runs import LEAN_ARGS

TESTS = """
import pytest


def greet(name):
    return f"Hello {name}"


@pytest.mark.replay(mock={"tool": "test_it.greet"})
def test_x(replay):
    replay.run(greet, "X")
    assert False, "x fails"


@pytest.mark.replay(mock={"tool": "test_it.greet"})
def test_b(replay):
    replay.run(greet, "B")
    assert False, "b fails"


@pytest.mark.replay(mock={"tool": "test_it.greet"})
def test_a(replay):
    replay.run(greet, "A")
    assert False, "a fails"
"""


@pytest.mark.parametrize("workers", [[], ["-p", "xdist", "-n", "2"]], ids=["in-process", "xdist"])
def test_the_goldens_not_written_are_listed_by_node_id(
    pytester: pytest.Pytester, workers: list[str]
) -> None:
    pytester.makepyfile(test_it=TESTS)
    if workers:
        result = pytester.runpytest_subprocess(*LEAN_ARGS, *workers, "--clearstone-record")
    else:
        result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "goldens not written (the old file, if any, stays):",
            "  test_it.py::test_a: the test failed while recording*",
            "  test_it.py::test_b: the test failed while recording*",
            "  test_it.py::test_x: the test failed while recording*",
        ]
    )
