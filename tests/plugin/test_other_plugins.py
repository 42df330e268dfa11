"""The plugin alongside pytest-randomly, pytest-repeat and pytest-rerunfailures.

pytest-randomly and pytest-repeat are emulated by a conftest doing what they do (the hooks
below are theirs, cut down); pytest-rerunfailures is used itself where it is installed.
"""

from __future__ import annotations

import re

import pytest

APP = """
import random

LIVE = []


def llm(prompt):
    LIVE.append(prompt)
    return "ok " + prompt


class Agent:
    def __init__(self):
        self.picks = []

    def ask(self, message):
        answer = llm(message)
        self.picks.append(random.random())
        return answer
"""

#: pytest-randomly reseeds ``random`` in a plain ``pytest_runtest_call`` hook (and at set-up and
#: teardown), with a seed that changes from run to run unless ``-p randomly_seed=...`` is given
RANDOMLY = """
import os
import random


def pytest_runtest_call(item):
    random.seed(int(os.environ["FAKE_RANDOMLY_SEED"]))
"""

RANDOM_TESTS = """
import os
import random
import unittest

import pytest

import app
from app import Agent


@pytest.mark.replay(mock={"llm": "app.llm"})
def test_ask(replay):
    replay.run(Agent().ask, "hi")


@pytest.mark.replay(mock={"llm": "app.llm"})
class TestUnit(unittest.TestCase):
    def test_unit(self):
        # a random number in the arguments of a mocked call: a strict replay compares them
        assert app.llm(f"pick {random.random()}")


def test_unmarked():
    # what pytest-randomly seeded, outside replay
    assert random.random() == random.Random(int(os.environ["FAKE_RANDOMLY_SEED"])).random()
"""


def test_a_plugin_reseeding_random_in_runtest_call_does_not_change_the_seeded_random(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: the test's body sees the random numbers seeded from its golden, whatever other
    # plugins' pytest_runtest_call hooks did to `random` (pytest-randomly reseeds it there, with
    # a new seed each run): recorded under one seed and replayed under another, the golden
    # state compared equal; the plugin had seeded `random` before those hooks ran
    # (GoldenMismatchError root['picks'][0]: 0.0772... -> 0.5506...).
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=RANDOM_TESTS)
    pytester.makeconftest(RANDOMLY)
    monkeypatch.setenv("FAKE_RANDOMLY_SEED", "1")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=3)
    monkeypatch.setenv("FAKE_RANDOMLY_SEED", "2")
    result = pytester.runpytest()
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*2 checkpoint(s) replayed, 0 recorded, 0 diverged*"])
    monkeypatch.setenv("FAKE_RANDOMLY_SEED", "3")
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "goldens written:",
            "  goldens/test_app/TestUnit.test_unit.ckpt: unchanged",
            "  goldens/test_app/test_ask.ckpt: unchanged",
        ]
    )


#: pytest-repeat's ``--count N`` (and ``@pytest.mark.repeat(N)``): each test parametrized by a
#: fixture of its own, with ids ``1-N`` ... ``N-N``
REPEAT = """
import pytest


def pytest_addoption(parser):
    parser.addoption("--count", action="store", default=1, type=int)


@pytest.fixture()
def __pytest_repeat_step_number(request):
    return request.param


@pytest.hookimpl(trylast=True)
def pytest_generate_tests(metafunc):
    count = metafunc.config.option.count
    if count > 1:
        metafunc.fixturenames.append("__pytest_repeat_step_number")
        metafunc.parametrize(
            "__pytest_repeat_step_number",
            range(count),
            indirect=True,
            ids=lambda i: f"{i + 1}-{count}",
        )
"""

REPEAT_TESTS = """
import pytest

import app


@pytest.mark.replay(mock={"llm": "app.llm"})
def test_ask():
    assert app.llm("hi") == "ok hi"


@pytest.mark.replay(mock={"llm": "app.llm"})
@pytest.mark.parametrize("lang", ["en", "fr"])
def test_lang(lang):
    assert app.llm(lang) == "ok " + lang


@pytest.mark.replay("goldens/given.ckpt", mock={"llm": "app.llm"})
def test_given():
    assert app.llm("given") == "ok given"
"""

REPEAT_GOLDENS = [
    "given.ckpt",
    "test_app/test_ask.ckpt",
    "test_app/test_lang[en].ckpt",
    "test_app/test_lang[fr].ckpt",
]


def _goldens(pytester: pytest.Pytester) -> list[str]:
    root = pytester.path / "goldens"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.ckpt"))


@pytest.fixture
def repeat_suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=REPEAT_TESTS)
    pytester.makeconftest(REPEAT)
    pytester.makeini("[pytest]\naddopts = -p no:repeat\n")  # the real one, where installed
    return pytester


def test_each_pytest_repeat_repetition_replays_the_test_s_own_golden(
    repeat_suite: pytest.Pytester,
) -> None:
    # Expected: `pytest --count N` (hunting flakiness) replays each test's golden N times; the
    # repetition's parameter was part of the default golden path (checkpoint not found;
    # tried: .../goldens/test_app/test_ask[1-2].ckpt)
    repeat_suite.runpytest("--clearstone-record").assert_outcomes(passed=4)
    assert _goldens(repeat_suite) == REPEAT_GOLDENS
    result = repeat_suite.runpytest("--count", "2")
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*8 checkpoint(s) replayed, 0 recorded, 0 diverged*"])
    result.stdout.no_fnmatch_line("*goldens that no collected test uses*")
    assert _goldens(repeat_suite) == REPEAT_GOLDENS


@pytest.mark.parametrize("mode", ["record", "record-missing"])
def test_recording_with_pytest_repeat_records_each_golden_once(
    repeat_suite: pytest.Pytester, mode: str
) -> None:
    # Expected: with --count N a recording run records each golden once, by the first
    # repetition, and skips the others, saying why; they would all record the same golden
    # (a collection error: "would both record the golden")
    result = repeat_suite.runpytest(f"--clearstone-mode={mode}", "--count", "3", "-rs")
    result.assert_outcomes(passed=4, skipped=8)
    result.stdout.fnmatch_lines(
        [
            "*0 checkpoint(s) replayed, 4 recorded, 0 diverged*",
            "SKIPPED *: recorded once, by the first repetition (pytest-repeat --count); a run "
            "that replays repeats it",
        ]
    )
    assert _goldens(repeat_suite) == REPEAT_GOLDENS
    repeat_suite.runpytest("--count", "3").assert_outcomes(passed=12)
    # the goldens name the test, not its repetition: recorded again without --count, they
    # are unchanged (the node id of the repetition was a change of metadata and spans)
    result = repeat_suite.runpytest("--clearstone-record")
    result.stdout.fnmatch_lines(
        [
            "goldens written:",
            "  goldens/given.ckpt: unchanged",
            "  goldens/test_app/test_ask.ckpt: unchanged",
            "  goldens/test_app/test_lang[[]en].ckpt: unchanged",
            "  goldens/test_app/test_lang[[]fr].ckpt: unchanged",
        ]
    )


RERUN_TESTS = """
import pytest

import app

attempts = []


@pytest.mark.replay(mock={"llm": "app.llm"})
def test_flaky():
    attempts.append(1)
    assert app.llm("hi") == "ok hi"
    assert len(attempts) > 1, "flaky first attempt"
"""


def _outcomes(result: pytest.RunResult) -> dict[str, int]:
    """The outcome counts of the run's last line (reruns too), warnings left out."""
    return {k: v for k, v in result.parseoutcomes().items() if not k.startswith("warning")}


def _with_reruns(suite: pytest.Pytester, *args: str) -> pytest.RunResult:
    """A run of ``suite`` with pytest-rerunfailures (left out of the suite's other runs)."""
    return suite.runpytest("-p", "rerunfailures", *args)


@pytest.fixture
def rerun_suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytest.importorskip("pytest_rerunfailures")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=RERUN_TESTS)
    return pytester


def test_a_recording_rerun_by_pytest_rerunfailures_is_summarised_by_its_last_attempt(
    rerun_suite: pytest.Pytester,
) -> None:
    # Expected: the attempt that passed wrote the golden, and the summary says only that; the
    # notes of the failed first attempt stayed on the test (listed as both written and twice
    # not written)
    result = _with_reruns(rerun_suite, "--clearstone-record", "--reruns", "1")
    assert _outcomes(result) == {"passed": 1, "rerun": 1}
    result.stdout.fnmatch_lines(
        [
            "*0 checkpoint(s) replayed, 1 recorded, 0 diverged*",
            "goldens written:",
            "  goldens/test_app/test_flaky.ckpt: new",
        ]
    )
    result.stdout.no_fnmatch_line("*not written*")


def test_a_replay_rerun_by_pytest_rerunfailures_counts_once(
    rerun_suite: pytest.Pytester,
) -> None:
    # Expected: a test diverging on each of its 3 attempts is 1 diverged test (it was 3)
    assert _outcomes(_with_reruns(rerun_suite, "--clearstone-record", "--reruns", "1")) == {
        "passed": 1,
        "rerun": 1,
    }
    tests = rerun_suite.path / "test_app.py"
    tests.write_text(RERUN_TESTS.replace('"hi") == "ok hi"', '"hey") == "ok hey"'))
    result = _with_reruns(rerun_suite, "--reruns", "2")
    assert _outcomes(result) == {"failed": 1, "rerun": 2}
    result.stdout.fnmatch_lines(["*0 checkpoint(s) replayed, 0 recorded, 1 diverged*"])
    # and a test that passes on its rerun counts as replayed, once
    tests.write_text(RERUN_TESTS)
    result = _with_reruns(rerun_suite, "--reruns", "1")
    assert _outcomes(result) == {"passed": 1, "rerun": 1}
    result.stdout.fnmatch_lines(["*1 checkpoint(s) replayed, 0 recorded, 0 diverged*"])


def test_record_diverged_says_that_reruns_do_not_apply_to_marked_tests(
    rerun_suite: pytest.Pytester,
) -> None:
    # Expected: record-diverged runs a marked test its own way (a replay attempt, then one live
    # re-recording if it diverged), which --reruns does not repeat: the run says so instead of
    # ignoring --reruns silently
    assert _outcomes(_with_reruns(rerun_suite, "--clearstone-record", "--reruns", "1")) == {
        "passed": 1,
        "rerun": 1,
    }
    result = _with_reruns(rerun_suite, "--clearstone-mode=record-diverged", "--reruns", "1", "-q")
    result.assert_outcomes(failed=1)  # the replay attempt's failure is not a divergence
    result.stdout.fnmatch_lines(
        [
            "*0 checkpoint(s) replayed, 0 recorded, 0 diverged*",
            "--reruns does not rerun @pytest.mark.replay tests in record-diverged mode: each "
            "replays once, and runs live once more if it diverged",
        ]
    )
    # (a run not asking for reruns is not told)
    result = _with_reruns(rerun_suite, "--clearstone-mode=record-diverged", "-q")
    result.stdout.no_fnmatch_line("*--reruns does not rerun*")


def test_record_diverged_with_reruns_says_nothing_in_a_suite_without_marked_tests(
    rerun_suite: pytest.Pytester,
) -> None:
    rerun_suite.makepyfile(test_app="def test_plain():\n    pass\n")
    result = _with_reruns(rerun_suite, "--clearstone-mode=record-diverged", "--reruns", "1")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*--reruns does not rerun*")
    result.stdout.no_fnmatch_line("*= clearstone =*")


HYPOTHESIS_TESTS = """
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from app import Agent


@pytest.mark.replay(mock={"llm": "app.llm"})
@settings(
    suppress_health_check=[HealthCheck.function_scoped_fixture],
    derandomize=True,
    database=None,
    deadline=None,
    max_examples=5,
)
@given(st.text(max_size=3))
def test_any(replay, text):
    replay.run(Agent().ask, text)
"""


def test_hypothesis_given_with_the_settings_the_docs_give_records_and_replays(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the recipe of docs/how-to/determinism.md (Hypothesis's health check suppressed,
    # examples derandomized) records every example into one golden, replays it, re-records it
    # unchanged, and a changed agent diverges
    pytest.importorskip("hypothesis")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=HYPOTHESIS_TESTS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*1 checkpoint(s) replayed, 0 recorded, 0 diverged*"])
    result = pytester.runpytest("--clearstone-record")
    result.stdout.fnmatch_lines(["  goldens/test_app/test_any.ckpt: unchanged"])
    pytester.makepyfile(app=APP.replace("llm(message)", "llm(message + '!')"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*replay diverged at call #1 to app.llm*"])


READER_FIRST_TESTS = """
import pytest

from app import Agent

GOLDEN = "goldens/shared.ckpt"


@pytest.mark.replay(GOLDEN)
def test_a_reads(checkpoint):
    assert checkpoint.outcome["result"] == "ok " + MESSAGE


@pytest.mark.replay(GOLDEN, mock={"llm": "app.llm"})
def test_b_records(replay):
    replay.run(Agent().ask, MESSAGE)
"""


@pytest.mark.parametrize("mode", ["record", "record-missing", "record-diverged"])
def test_a_test_reading_a_golden_recorded_in_the_run_reads_it_whatever_the_order(
    pytester: pytest.Pytester, mode: str
) -> None:
    # Expected: in a run that records, a test that only reads a golden runs after the test that
    # records it, whatever order the tests were collected or shuffled in (pytest-randomly): it
    # reads what this run recorded. It ran first, so a first recording failed it at set-up
    # ("checkpoint not found ... record it with the test that mocks its calls", which the run
    # had just done) and a re-recording compared it with the old golden: a result that
    # depended on the order
    pytester.syspathinsert()
    pytester.makepyfile(app=APP)
    pytester.makepyfile(test_app='MESSAGE = "hi"\n' + READER_FIRST_TESTS)
    result = pytester.runpytest(f"--clearstone-mode={mode}", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_b_records PASSED*", "*test_a_reads PASSED*"])
    pytester.makepyfile(test_app='MESSAGE = "yo"\n' + READER_FIRST_TESTS)
    if mode != "record-missing":  # (it replays a golden that is there)
        pytester.runpytest(f"--clearstone-mode={mode}").assert_outcomes(passed=2)
    # replaying, the order is left as it was collected
    pytester.makepyfile(test_app='MESSAGE = "hi"\n' + READER_FIRST_TESTS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    result = pytester.runpytest("-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_a_reads PASSED*", "*test_b_records PASSED*"])


def test_tests_reading_a_golden_recorded_in_the_run_keep_their_order_after_it(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP)
    pytester.makepyfile(
        test_app='MESSAGE = "hi"\n'
        + READER_FIRST_TESTS.replace(
            "def test_a_reads(checkpoint):",
            "def test_a_reads_too(checkpoint):\n    assert checkpoint.outcome\n\n\n"
            "@pytest.mark.replay(GOLDEN)\ndef test_a_reads(checkpoint):",
        )
    )
    result = pytester.runpytest("--clearstone-record", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        ["*test_b_records PASSED*", "*test_a_reads_too PASSED*", "*test_a_reads PASSED*"]
    )


#: pytest-rerunfailures' protocol, cut down: a test that failed in any phase (its teardown too)
#: is run once more; the reports of the failed attempt are logged as ``rerun``, its passed
#: ones as they were (its call's report passed when only the teardown failed)
RERUN_PROTOCOL = """
import pytest
from _pytest.runner import runtestprotocol


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item, nextitem):
    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for attempt in (1, 2):
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
        rerun = attempt == 1 and any(report.failed for report in reports)
        for report in reports:
            if rerun and report.failed:
                report.outcome = "rerun"
            item.ihook.pytest_runtest_logreport(report=report)
        if not rerun:
            break
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True
"""

TEARDOWN_RERUN_TESTS = """
import os

import pytest

from app import Agent

torn_down = []


@pytest.fixture
def flaky_teardown():
    yield
    torn_down.append(1)
    if len(torn_down) == 1 and os.environ.get("FLAKY_TEARDOWN"):
        raise RuntimeError("flaky teardown")


@pytest.fixture
def flaky_call():
    return len(torn_down) == 1 and bool(os.environ.get("FLAKY_CALL"))


@pytest.mark.replay(mock={"llm": "app.llm"})
def test_ask(replay, flaky_teardown, flaky_call):
    replay.run(Agent().ask, os.environ.get("MESSAGE", "hi"))
    assert not flaky_call, "flaky call"
"""


def test_an_attempt_rerun_for_its_teardown_is_not_counted_with_the_last_one(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: a marked test whose call passed and whose teardown failed is run again (as
    # pytest-rerunfailures does, reporting the call of the first attempt as passed and its
    # teardown as a rerun); the summary tells what the test did in the run, once: it counted
    # both attempts ("2 recorded", "2 checkpoint(s) replayed") and listed the golden twice, the
    # second time "unchanged" against the file the first attempt had written
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=TEARDOWN_RERUN_TESTS)
    pytester.makeconftest(RERUN_PROTOCOL)
    monkeypatch.setenv("FLAKY_TEARDOWN", "1")
    result = pytester.runpytest("--clearstone-record")
    result.stdout.fnmatch_lines(
        [
            "*0 checkpoint(s) replayed, 1 recorded, 0 diverged*",
            "goldens written:",
            "  goldens/test_app/test_ask.ckpt: new",
        ]
    )
    result.stdout.no_fnmatch_line("*: unchanged")
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(["*1 checkpoint(s) replayed, 0 recorded, 0 diverged*"])
    # a change: what the file holds against the one before the run, not against the first
    # attempt's
    monkeypatch.setenv("MESSAGE", "hey")
    result = pytester.runpytest("--clearstone-record")
    result.stdout.fnmatch_lines(
        [
            "*0 checkpoint(s) replayed, 1 recorded, 0 diverged*",
            "goldens written:",
            "  goldens/test_app/test_ask.ckpt: llm call #1 to app.llm arguments and answer, *",
        ]
    )
    result.stdout.no_fnmatch_line("*: unchanged")
    # the last attempt failed: the file the first attempt wrote is still listed as written
    monkeypatch.setenv("MESSAGE", "hi")
    monkeypatch.setenv("FLAKY_CALL", "1")
    result = pytester.runpytest("--clearstone-record")
    result.stdout.fnmatch_lines(
        [
            "*0 checkpoint(s) replayed, 0 recorded, 0 diverged*",
            "goldens written:",
            "  goldens/test_app/test_ask.ckpt: llm call #1 to app.llm arguments and answer, *",
            "goldens not written (the old file, if any, stays):",
            "  test_app.py::test_ask: the test failed while recording (AssertionError)",
        ]
    )


def test_the_re_record_hint_names_each_repeated_test_once_without_its_repetition(
    repeat_suite: pytest.Pytester,
) -> None:
    # Expected: a test diverging on each of its pytest-repeat repetitions is named once in the
    # summary's list of what to re-record, as it is recorded (`test_lang[en]`), as its failure
    # message names it; the list named each repetition (`test_lang[en-1-2]`, `[en-2-2]`), ids
    # that select nothing without --count and, with it, a repetition that a recording skips
    repeat_suite.runpytest("--clearstone-record").assert_outcomes(passed=4)
    repeat_suite.makepyfile(
        test_app=REPEAT_TESTS.replace('app.llm(lang) == "ok " + lang', 'app.llm(lang + "!")')
    )
    result = repeat_suite.runpytest("--count", "2")
    result.assert_outcomes(passed=4, failed=4)
    result.stdout.fnmatch_lines(
        [
            "hint: if the changes are intended, re-record what diverged with: *",
            "  test_app.py::test_lang[[]en]",
            "  test_app.py::test_lang[[]fr]",
            "=*short test summary info*",
        ]
    )
    result.stdout.no_fnmatch_line("  test_app.py::test_lang[[]*-*]")
    lines = result.stdout.lines
    hint = next(i for i, line in enumerate(lines) if line.startswith("hint: if the changes"))
    named = lines[hint + 1 : next(i for i in range(hint + 1, len(lines)) if lines[i][:2] != "  ")]
    assert named == ["  test_app.py::test_lang[en]", "  test_app.py::test_lang[fr]"]  # once each


CACHED_APP = """
import functools

import app


@functools.cache
def summary(topic):
    return app.llm("summarise " + topic)


class Agent:
    def ask(self, message):
        return app.search(summary(message))
"""

CACHED_TESTS = """
import os

import pytest

from cached import Agent

attempts = []


@pytest.mark.replay(mock={"llm": "app.llm", "tool": "app.search"})
def test_ask(replay):
    attempts.append(1)
    replay.run(Agent().ask, "cats")
    assert len(attempts) > 1, "flaky first attempt"
"""


def test_a_recording_rerun_after_an_attempt_filled_a_cache_is_not_written_without_its_calls(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the first attempt of the recording called app.llm through a functools.cache,
    # then failed; the rerun's agent got its answer from the cache and called app.llm no more.
    # Its golden lacked that call, so the next replay, in a new process with an empty cache,
    # failed (ReplayExhaustedError) though nothing had changed. The rerun is not written, as a
    # record-diverged re-record after its replay attempt is not
    pytester.syspathinsert()
    pytester.makepyfile(
        app=APP + "\n\ndef search(query):\n    return 'found ' + query\n",
        cached=CACHED_APP,
        test_app=CACHED_TESTS,
    )
    pytester.makeconftest(RERUN_PROTOCOL)
    result = pytester.runpytest("--clearstone-record")
    assert _outcomes(result) == {"failed": 1, "rerun": 1}
    result.stdout.fnmatch_lines(
        [
            "*test_app.py::test_ask: the golden checkpoint was not written: an earlier attempt "
            "of the test in this run called app.llm, and this recording did not.*",
            "goldens not written (the old file, if any, stays):",
            "  test_app.py::test_ask: an earlier attempt of the test called mock targets this "
            "recording did not",
        ]
    )
    result.stdout.fnmatch_lines(["*0 checkpoint(s) replayed, 0 recorded, 0 diverged*"])
    assert not (pytester.path / "goldens").exists()


def test_a_recording_rerun_after_an_attempt_filled_a_cache_names_every_call_it_lacks(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        app=APP + "\n\ndef search(query):\n    return 'found ' + query\n",
        cached=CACHED_APP.replace(
            'return app.llm("summarise " + topic)',
            'return app.search(app.llm("summarise " + topic))',
        ).replace("return app.search(summary(message))", "return summary(message)"),
        test_app=CACHED_TESTS,
    )
    pytester.makeconftest(RERUN_PROTOCOL)
    result = pytester.runpytest("--clearstone-record")
    assert _outcomes(result) == {"failed": 1, "rerun": 1}
    result.stdout.fnmatch_lines(
        [
            "*test_app.py::test_ask: the golden checkpoint was not written: an earlier attempt "
            "of the test in this run called app.llm, app.search, and this recording did not.*"
        ]
    )


def test_a_non_strict_recording_rerun_after_an_attempt_filled_a_cache_is_written(
    pytester: pytest.Pytester,
) -> None:
    """strict=False says the test may no longer make its calls: the rerun is written (the
    message of a strict one gives strict=False as the way out)."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=APP + "\n\ndef search(query):\n    return 'found ' + query\n",
        cached=CACHED_APP,
        test_app=CACHED_TESTS.replace(
            '"tool": "app.search"}', '"tool": "app.search"}, strict=False'
        ),
    )
    pytester.makeconftest(RERUN_PROTOCOL)
    result = pytester.runpytest("--clearstone-record")
    assert _outcomes(result) == {"passed": 1, "rerun": 1}
    result.stdout.fnmatch_lines(["*0 checkpoint(s) replayed, 1 recorded, 0 diverged*"])
    assert (pytester.path / "goldens" / "test_app" / "test_ask.ckpt").is_file()


SLOW_APP = """
import os
import time


def llm(prompt):
    time.sleep(float(os.environ.get("LIVE_SECONDS", "0")))
    return "ok " + prompt
"""

SLOW_TESTS = """
import pytest

import app


@pytest.mark.replay(mock={"llm": "app.llm"})
def test_ask():
    assert app.llm(PROMPT).startswith("ok")
"""


@pytest.mark.parametrize("method", ["signal", "thread"])
def test_pytest_timeout_bounds_the_live_run_of_record_diverged(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, method: str
) -> None:
    # Expected: under pytest-timeout, a re-recording whose live call hangs times out as any
    # test does; the replay attempt's failure had cancelled the test's timer (pytest-timeout
    # stops it when pytest reports an exception, for pdb), so the live run had none and a hung
    # call hung the run
    pytest.importorskip("pytest_timeout")
    pytester.syspathinsert()
    pytester.makepyfile(app=SLOW_APP, test_app='PROMPT = "hi"\n' + SLOW_TESTS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_app" / "test_ask.ckpt"
    before = golden.read_bytes()
    pytester.makepyfile(test_app='PROMPT = "hey"\n' + SLOW_TESTS)
    monkeypatch.setenv("LIVE_SECONDS", "8")
    result = pytester.runpytest_subprocess(
        "-p", "timeout", "--clearstone-mode=record-diverged", "--timeout=2",
        f"--timeout-method={method}", timeout=60,
    )  # fmt: skip
    result.stdout.fnmatch_lines(["*Timeout*"])
    result.stdout.no_fnmatch_line("*1 passed*")
    assert golden.read_bytes() == before


#: pytest-timeout (signal method), cut down: its hooks, a timer of the whole test, stopped when
#: pytest reports an exception (for pdb)
TIMEOUT = """
import signal
from typing import NamedTuple

import pytest


class Settings(NamedTuple):
    timeout: float
    method: str
    func_only: bool
    disable_debugger_detection: bool


class TimeoutHooks:
    @pytest.hookspec(firstresult=True)
    def pytest_timeout_set_timer(item, settings):
        pass

    @pytest.hookspec(firstresult=True)
    def pytest_timeout_cancel_timer(item):
        pass


def pytest_addhooks(pluginmanager):
    pluginmanager.add_hookspecs(TimeoutHooks)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item):
    settings = Settings(2.0, "signal", False, False)
    item.config.hook.pytest_timeout_set_timer(item=item, settings=settings)
    yield
    item.config.hook.pytest_timeout_cancel_timer(item=item)


@pytest.hookimpl(tryfirst=True)
def pytest_exception_interact(node):
    node.config.hook.pytest_timeout_cancel_timer(item=node)


@pytest.hookimpl(trylast=True)
def pytest_timeout_set_timer(item, settings):
    def handler(signum, frame):
        pytest.fail(f"Timeout (>{settings.timeout}s) from pytest-timeout.")

    item.cancel_timeout = lambda: signal.setitimer(signal.ITIMER_REAL, 0)
    signal.signal(signal.SIGALRM, handler)
    signal.setitimer(signal.ITIMER_REAL, settings.timeout)
    return True


@pytest.hookimpl(trylast=True)
def pytest_timeout_cancel_timer(item):
    cancel = getattr(item, "cancel_timeout", None)
    if cancel:
        cancel()
    return True
"""


@pytest.mark.skipif(not hasattr(__import__("signal"), "setitimer"), reason="no SIGALRM")
def test_a_timeout_plugin_s_timer_bounds_the_live_run_of_record_diverged(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: as test_pytest_timeout_bounds_the_live_run_of_record_diverged, with
    # pytest-timeout's hooks emulated (where it is not installed): the live run times out
    pytester.syspathinsert()
    pytester.makepyfile(app=SLOW_APP, test_app='PROMPT = "hi"\n' + SLOW_TESTS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_app" / "test_ask.ckpt"
    before = golden.read_bytes()
    pytester.makepyfile(test_app='PROMPT = "hey"\n' + SLOW_TESTS)
    pytester.makeconftest(TIMEOUT)
    monkeypatch.setenv("LIVE_SECONDS", "8")
    result = pytester.runpytest_subprocess(
        "-p", "no:timeout", "--clearstone-mode=record-diverged", timeout=60
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Failed: Timeout (>2.0s) from pytest-timeout.*"])
    assert golden.read_bytes() == before


#: pytest-timeout's hooks as :data:`TIMEOUT` calls them, each call told and no timer started:
#: what the plugin is asked to do, whatever the time the replay attempt takes
TIMER_CALLS = (
    TIMEOUT.split("@pytest.hookimpl(trylast=True)")[0].replace(
        'Settings(2.0, "signal", False, False)', 'Settings(60.0, "signal", FUNC_ONLY, False)'
    )
    + """
@pytest.hookimpl(trylast=True)
def pytest_timeout_set_timer(item, settings):
    print("TIMER SET", item.name)
    return True


@pytest.hookimpl(trylast=True)
def pytest_timeout_cancel_timer(item):
    print("TIMER CANCELLED", item.name)
    return True
"""
)


@pytest.mark.parametrize("func_only", [False, True], ids=["whole-test", "func-only"])
def test_record_diverged_starts_the_test_s_timer_again_for_its_live_run(
    pytester: pytest.Pytester, func_only: bool
) -> None:
    """The replay attempt's failure stopped the timer of the whole test: it is started again
    for the live run, not with ``--timeout-func-only``, whose timer times each run's call."""
    pytester.syspathinsert()
    pytester.makepyfile(app=SLOW_APP, test_app='PROMPT = "hi"\n' + SLOW_TESTS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.makepyfile(test_app='PROMPT = "hey"\n' + SLOW_TESTS)
    pytester.makeconftest(TIMER_CALLS.replace("FUNC_ONLY", str(func_only)))
    result = pytester.runpytest("-s", "--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=1)
    told = re.findall(r"TIMER (SET|CANCELLED) test_ask", result.stdout.str())
    again = [] if func_only else ["CANCELLED", "SET"]  # (for the live run)
    assert told == ["SET", "CANCELLED", *again, "CANCELLED"]
