"""``pytest --keep-duplicates test_a.py test_a.py`` collects each test twice, under one node id:
a run that records records it once, as it does pytest-repeat's repetitions; a replay runs each."""

from __future__ import annotations

import pytest

LIVE = "def complete(prompt):\n    return 'answer to ' + prompt\n"

TESTS = """
import pytest
import live

pytestmark = pytest.mark.replay(mock={"llm": "live.complete"})


def test_one():
    assert live.complete("one") == "answer to one"


def test_two():
    assert live.complete("two") == "answer to two"
"""


def _goldens(pytester: pytest.Pytester) -> list[str]:
    root = pytester.path / "goldens"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.ckpt"))


@pytest.mark.parametrize("mode", ["record", "record-missing"])
def test_a_test_collected_twice_is_recorded_once(pytester: pytest.Pytester, mode: str) -> None:
    # Expected: each golden recorded once, the second collection of the test skipped saying why.
    # It was a collection error ("test_a.py::test_one and test_a.py::test_one would both record
    # the golden ...: their default paths differ only in case ...") and every test of the file
    # was left out of the run
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_a=TESTS)
    args = ("--keep-duplicates", "-rs", "-p", "no:randomly", "test_a.py", "test_a.py")
    result = pytester.runpytest(f"--clearstone-mode={mode}", *args)
    result.assert_outcomes(passed=2, skipped=2)
    result.stdout.fnmatch_lines(
        [
            "*0 checkpoint(s) replayed, 2 recorded, 0 diverged*",
            "SKIPPED *test_a.py: recorded once, by the test's first collection (it is "
            "collected more than once: pytest --keep-duplicates); a run that replays runs each",
        ]
    )
    result.stdout.no_fnmatch_line("*would both record*")
    assert _goldens(pytester) == ["test_a/test_one.ckpt", "test_a/test_two.ckpt"]
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=4)
    result.stdout.fnmatch_lines(["*4 checkpoint(s) replayed, 0 recorded, 0 diverged*"])
