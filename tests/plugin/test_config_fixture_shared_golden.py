"""Two tests whose mock targets come from the ``clearstone_config`` fixture, not their marker
nor the ini file, and that would record the same golden (an explicit path on both, or one
test the fixture parametrizes): only their set-up knows they record it, and the second must
not overwrite what the first recorded in the same run (contract §6.1: "Two collected tests
that would record the same golden path (both with mock targets) are a collection error naming
both tests")."""

from __future__ import annotations

import json

import pytest

LIVE = """
def complete(prompt):
    return f"answer to {prompt}"
"""

SHARED = """
import pytest
import live


@pytest.mark.replay("goldens/shared.ckpt")
def test_first(replay):
    replay.run(live.complete, "first")


@pytest.mark.replay("goldens/shared.ckpt")
def test_second(replay):
    replay.run(live.complete, "second")
"""

CONFTEST = """
import pytest


@pytest.fixture
def clearstone_config():
    return {"mock": {"llm": "live.complete"}}
"""

PARAMETRIZED_CONFTEST = """
import pytest


@pytest.fixture(params=[True, False], ids=["strict", "loose"])
def clearstone_config(request):
    return {"mock": {"llm": "live.complete"}, "strict": request.param}
"""

ONE_TEST = """
import pytest
import live


@pytest.mark.replay("goldens/shared.ckpt")
def test_one(replay):
    replay.run(live.complete, "one")
"""


def _recorded_test(pytester: pytest.Pytester) -> str:
    doc = json.loads((pytester.path / "goldens" / "shared.ckpt").read_text())
    return str(doc["metadata"]["test"])


def test_two_tests_given_mock_by_the_fixture_do_not_both_record_one_golden(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_shared=SHARED)
    pytester.makeconftest(CONFTEST)
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_shared.py::test_first and test_shared.py::test_second would both record the "
            "golden *shared.ckpt*clearstone_config*",
        ]
    )
    assert _recorded_test(pytester) == "test_shared.py::test_first"
    # replaying, they may share it
    pytester.runpytest("-p", "no:randomly", "test_shared.py::test_first").assert_outcomes(passed=1)


def test_a_test_the_fixture_parametrizes_does_not_record_one_golden_twice(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_one=ONE_TEST)
    pytester.makeconftest(PARAMETRIZED_CONFTEST)
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        ["*test_one.py::test_one[[]strict] and test_one.py::test_one[[]loose] would both record*"]
    )
    assert _recorded_test(pytester) == "test_one.py::test_one[strict]"


def test_the_same_test_recorded_again_in_record_diverged_mode_is_no_clash(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_one=ONE_TEST)
    pytester.makeconftest(CONFTEST)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    pytester.makepyfile(live=LIVE.replace("answer to", "reply to"))
    result = pytester.runpytest("--clearstone-mode=record-diverged", "-p", "no:randomly")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*would both record*")


def test_pytest_repeat_repetitions_given_mock_by_the_fixture_record_once(
    pytester: pytest.Pytester,
) -> None:
    # (pytest-repeat's 2nd and later repetitions share the first's golden: skipped when
    # recording, as for a mock= the marker gives, not a clash)
    from tests.plugin.test_other_plugins import REPEAT

    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_one=ONE_TEST)
    pytester.makeconftest(CONFTEST + REPEAT)
    pytester.makeini("[pytest]\naddopts = -p no:repeat\n")
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly", "--count", "2", "-rs")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["SKIPPED *recorded once, by the first repetition*"])
    result.stdout.no_fnmatch_line("*would both record*")


def test_tests_given_mock_by_the_ini_file_are_told_a_fix_that_applies(
    pytester: pytest.Pytester,
) -> None:
    # the collection error said "drop mock= from the tests that only read it", of tests whose
    # markers have no mock= to drop: theirs comes from clearstone_mock
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_shared=SHARED)
    pytester.makeini("[pytest]\nclearstone_mock =\n    llm = live.complete\n")
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.stdout.fnmatch_lines(
        [
            "*would both record the golden *shared.ckpt: give each test its own path (or leave "
            "the path out: one golden per test), or give mock=None to the tests that only read "
            "it (their mock= comes from the ini option clearstone_mock)",
        ]
    )
    result.stdout.no_fnmatch_line("*drop mock=*")


def test_parameters_whose_default_goldens_differ_only_in_case_are_told_to_take_other_ids(
    pytester: pytest.Pytester,
) -> None:
    # A bare marker, mock= from the fixture: the set-up said "give each test its own path (or
    # leave the path out: one golden per test, ...)" of tests whose path was left out already,
    # and named the second test's golden, not the one the first recorded
    pytester.syspathinsert()
    pytester.makepyfile(
        live=LIVE,
        test_ids="""
import pytest
import live

pytestmark = pytest.mark.replay


@pytest.mark.parametrize("q", ["hi", "HI"], ids=["lower", "LOWER"])
def test_ask(replay, q):
    replay.run(live.complete, q)
""",
    )
    pytester.makeconftest(CONFTEST)
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "test_ids.py::test_ask[[]lower] and test_ids.py::test_ask[[]LOWER] would both record "
            "the golden *test_ask[[]lower].ckpt (the clearstone_config fixture gives them mock=): "
            "their default paths differ only in case or in characters a file name cannot hold: "
            "give them ids that differ otherwise*",
        ]
    )
    result.stdout.no_fnmatch_line("*leave the path out*")


MIXED = """
import pytest
import live


@pytest.mark.replay("goldens/shared.ckpt", mock={"llm": "live.complete"})
def test_{first}(replay):
    replay.run(live.complete, "{first}")


@pytest.mark.replay("goldens/shared.ckpt")
def test_{second}(replay):
    replay.run(live.complete, "{second}")
"""


@pytest.mark.parametrize(
    ("first", "second", "marked", "given"),
    [("marked", "given", "marked", "given"), ("given", "marked", "marked", "given")],
    ids=["marker-first", "fixture-first"],
)
def test_a_test_given_mock_by_the_fixture_does_not_record_the_golden_a_marker_records(
    pytester: pytest.Pytester, first: str, second: str, marked: str, given: str
) -> None:
    # one test's mock= came from its marker (collection knows it records), the other's from the
    # fixture (its set-up knows): both recorded, the second overwriting the first's golden
    pytester.syspathinsert()
    source = MIXED.replace("{first}", first).replace("{second}", second)
    if first == "given":  # (the marker's mock= on the second test)
        source = source.replace(
            '"goldens/shared.ckpt", mock={"llm": "live.complete"})\ndef test_given',
            '"goldens/shared.ckpt")\ndef test_given',
        ).replace(
            '"goldens/shared.ckpt")\ndef test_marked',
            '"goldens/shared.ckpt", mock={"llm": "live.complete"})\ndef test_marked',
        )
    pytester.makepyfile(live=LIVE, test_mixed=source)
    pytester.makeconftest(CONFTEST)
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            f"*test_mixed.py::test_{marked} and test_mixed.py::test_{given} would both record "
            f"the golden *shared.ckpt (the clearstone_config fixture gives "
            f"test_mixed.py::test_{given} mock=, its marker test_mixed.py::test_{marked}): "
            "give each test its own path*",
        ]
    )
    assert _recorded_test(pytester) == f"test_mixed.py::test_{marked}"


READER_FIRST = """
import pytest
import live

pytestmark = pytest.mark.replay


@pytest.mark.replay("goldens/test_rw/test_writer.ckpt", mock=None)
def test_reader(checkpoint):
    assert checkpoint.outcome["result"] == "answer to hi"


def test_writer(replay):
    replay.run(live.complete, "hi")
"""


@pytest.mark.parametrize("where", ["conftest", "module"])
def test_a_reader_runs_after_the_test_the_fixture_gives_mock_to_record_its_golden(
    pytester: pytest.Pytester, where: str
) -> None:
    # a test that only reads a golden runs after the test that records it in the run (marker
    # page); when that test's mock= came from the fixture, collection took it for a reader too:
    # the reader ran first, "checkpoint not found ... record it with the test that mocks its
    # calls", which the run then did
    pytester.syspathinsert()
    if where == "conftest":
        pytester.makeconftest(CONFTEST)
        pytester.makepyfile(live=LIVE, test_rw=READER_FIRST)
    else:
        pytester.makepyfile(live=LIVE, test_rw=READER_FIRST + CONFTEST.replace("import pytest", ""))
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_writer PASSED*", "*test_reader PASSED*"])
    # replaying, the order is left as it was collected
    result = pytester.runpytest("-p", "no:randomly", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_reader PASSED*", "*test_writer PASSED*"])


def test_a_reader_elsewhere_keeps_its_place_before_a_test_without_mock(
    pytester: pytest.Pytester,
) -> None:
    # (the fixture overridden for another directory gives these tests no mock=: both only read)
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_rw=READER_FIRST)
    sub = pytester.mkpydir("other")
    (sub / "conftest.py").write_text(CONFTEST)
    (pytester.path / "goldens" / "test_rw").mkdir(parents=True)
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly", "-v", "test_rw.py")
    result.stdout.fnmatch_lines(["*test_reader ERROR*", "*test_writer*"])


READER_FIRST_MARKED_WRITER = """
import pytest
import live


@pytest.mark.replay("goldens/test_rw/test_writer.ckpt")
def test_reader(checkpoint):
    assert checkpoint.outcome["result"] == "answer to hi"


@pytest.mark.replay(mock={"llm": "live.complete"})
def test_writer(replay):
    replay.run(live.complete, "hi")
"""


def test_a_reader_the_fixture_gives_no_mock_still_runs_after_the_test_recording_its_golden(
    pytester: pytest.Pytester,
) -> None:
    # (a test without mock= where a clearstone_config fixture is defined may record, or, given
    # no mock= by it, only read: it runs after the tests whose marker gives mock= that record
    # its golden)
    pytester.syspathinsert()
    pytester.makeconftest(
        "import pytest\n\n\n@pytest.fixture\ndef clearstone_config():\n"
        "    return {'strict': True}\n"
    )
    pytester.makepyfile(live=LIVE, test_rw=READER_FIRST_MARKED_WRITER)
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly", "-v")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*test_writer PASSED*", "*test_reader PASSED*"])
