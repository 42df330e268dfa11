"""End to end: an agent whose state holds an integer longer than Python converts to text
(4300 digits by default) — its recording fails naming the value and the fix, not with the json
module's ValueError; lifting the limit in conftest.py records and replays it; a golden recorded
so, replayed without the limit lifted, is named with that fix, not as "truncated or not JSON"."""

from __future__ import annotations

import sys
from collections.abc import Iterator

import pytest

APP = """
def llm(prompt):
    return {"text": "hi " + prompt}


class Agent:
    def __init__(self):
        self.history = [7 ** 6000]

    def handle(self, q):
        self.history.append(llm(q)["text"])
        return self.history[-1]
"""

TEST = """
import pytest
from big_app import Agent


@pytest.mark.replay("goldens/big.ckpt", mock={"llm": "big_app.llm"})
def test_big(replay):
    assert replay.run(Agent().handle, "x") == "hi x"
"""

LIFTED = "import sys\n\nsys.set_int_max_str_digits(0)\n"


@pytest.fixture
def project(pytester: pytest.Pytester) -> Iterator[pytest.Pytester]:
    pytester.syspathinsert()
    pytester.makepyfile(big_app=APP, test_big=TEST)
    limit = sys.get_int_max_str_digits()  # (a conftest.py below lifts it in this process)
    yield pytester
    sys.set_int_max_str_digits(limit)


def _run(project: pytest.Pytester, *args: str, lifted: bool = False) -> pytest.RunResult:
    sys.set_int_max_str_digits(0 if lifted else 4300)
    project.makeconftest(LIFTED if lifted else "")
    return project.runpytest("-p", "no:randomly", *args)


def test_the_recording_names_the_integer_and_the_fix(project: pytest.Pytester) -> None:
    result = _run(project, "--clearstone-record")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "the agent state at state['history'][0] (an int)" in out
    assert "sys.set_int_max_str_digits(0) in conftest.py" in out
    assert "Traceback" not in out and "json/encoder.py" not in out
    assert not list(project.path.rglob("*.ckpt*"))


def test_the_fix_records_and_replays_and_is_named_when_missing(project: pytest.Pytester) -> None:
    _run(project, "--clearstone-record", lifted=True).assert_outcomes(passed=1)
    _run(project, lifted=True).assert_outcomes(passed=1)
    result = _run(project)
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "big.ckpt is not a readable checkpoint: it holds an integer longer" in out
    assert "truncated or not JSON" not in out
