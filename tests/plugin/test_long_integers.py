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


ARGUMENT_APP = """
def llm(prompt, n):
    return {"ok": 1}


class Agent:
    def __init__(self):
        self.by_id = {KEY: "big"}

    def handle(self, q):
        return llm(q, ARGUMENT)["ok"]
"""

ARGUMENT_TEST = """
import pytest
from big_app import Agent


@pytest.mark.replay("goldens/big.ckpt", mock={"llm": "big_app.llm"})
def test_big(replay):
    assert replay.run(Agent().handle, "x") == 1
"""


@pytest.mark.parametrize(
    ("key", "argument", "where"),
    [
        ("1", "10 ** 5000", "the input of span 'big_app.llm' (*) at root[[]'n'] (trace.spans*"),
        (
            "1",
            "{frozenset({10 ** 5000}): 1}",
            "the input of span 'big_app.llm' (*) at root[[]'n']*",
        ),
        ("10 ** 5000", "1", "the agent state at state[[]'by_id'][[]'v'][[]0][[]0] (an int)*"),
    ],
)
def test_a_huge_integer_in_a_call_or_a_key_is_named_and_the_run_ends_cleanly(
    project: pytest.Pytester, key: str, argument: str, where: str
) -> None:
    # Expected: an argument 10**5000 to a mocked call ended the whole pytest session in a
    # json ValueError traceback from the trace store (no summary, the failure unreported, the
    # other spans lost); as a dict key, the test failed with a bare ValueError from the
    # redaction's path of the key, without the fix
    project.makepyfile(
        big_app=ARGUMENT_APP.replace("KEY", key).replace("ARGUMENT", argument),
        test_big=ARGUMENT_TEST,
    )
    result = _run(project, "--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*= clearstone =*", "*test_big.py::test_big: it could not be saved"]
    )
    out = result.stdout.str() + result.stderr.str()  # (the reason is told on stderr)
    pytest.LineMatcher(out.splitlines()).fnmatch_lines(
        [f"*the golden checkpoint was not written: cannot serialise {where}"]
    )
    assert "sys.set_int_max_str_digits(0)" in out
    assert "Traceback" not in out and "ValueError" not in out
    assert not list(project.path.rglob("*.ckpt*"))
    _run(project, "--clearstone-record", lifted=True).assert_outcomes(passed=1)
    _run(project, lifted=True).assert_outcomes(passed=1)


ANSWER_APP = """
from fractions import Fraction


def llm(prompt):
    return {"ok": ANSWER}


class Agent:
    def __init__(self):
        self.odds = STATE

    def handle(self, q):
        return llm(q)["ok"] > 0
"""


@pytest.mark.parametrize(
    ("answer", "state", "where"),
    [
        ("10 ** 5000", "1", "the answer of call #1 to big_app.llm, at answer[[]'ok'] (an int)*"),
        ("1", "Fraction(10 ** 5000, 3)", "the agent state at state[[]'odds']* (an int)*"),
    ],
)
def test_a_huge_integer_in_an_answer_or_a_fraction_is_named_with_the_fix_that_works(
    project: pytest.Pytester, answer: str, state: str, where: str
) -> None:
    # Expected: an answer 10**5000 of a mocked call was refused as a value only its repr could
    # store, with fixes that do not work for an int (teach the codec the type, mock the function
    # under this one); a Fraction of such integers failed the recording with the bare ValueError
    # its str() raised inside the codec
    project.makepyfile(
        big_app=ANSWER_APP.replace("ANSWER", answer).replace("STATE", state),
        test_big=ARGUMENT_TEST.replace("== 1", "is not None"),
    )
    result = _run(project, "--clearstone-record")
    result.assert_outcomes(failed=1)
    out = result.stdout.str() + result.stderr.str()  # (the reason is told on stderr)
    pytest.LineMatcher(out.splitlines()).fnmatch_lines(
        [f"*the golden checkpoint was not written: cannot serialise {where}"]
    )
    assert "sys.set_int_max_str_digits(0)" in out
    assert "Teach the codec" not in out and "teach the codec" not in out
    assert "Traceback" not in out and "ValueError" not in out
    assert not list(project.path.rglob("*.ckpt*"))
    _run(project, "--clearstone-record", lifted=True).assert_outcomes(passed=1)
    _run(project, lifted=True).assert_outcomes(passed=1)
