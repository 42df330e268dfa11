"""A test's ``replay`` markers (its own, its ``pytest.param``'s, its class's, its module's
``pytestmark``) merge per keyword, the closest winning, as pytest-recording merges its ``vcr``
markers; the golden path is one of the keywords."""

from __future__ import annotations

import textwrap

import pytest

from tests.plugin.conftest import esc

LIVE = """
import os

CALLS = []


def complete(prompt, request_id=""):
    CALLS.append(prompt)
    return "answer to " + prompt


def word():
    return os.environ.get("WORD", "hello")
"""

SHAPES = {
    "class": """
        @pytest.mark.replay(mock=MOCK)
        class TestAgent:
            def test_plain(self):
                assert live.complete(live.word()) == "answer to hello"

            @pytest.mark.replay(strict=False)
            def test_lenient(self):
                assert live.complete(live.word()) == "answer to hello"
        """,
    "module": """
        pytestmark = pytest.mark.replay(mock=MOCK)

        def test_plain():
            assert live.complete(live.word()) == "answer to hello"

        @pytest.mark.replay(strict=False)
        def test_lenient():
            assert live.complete(live.word()) == "answer to hello"
        """,
    # (pytest lists a test's parameter marks after its decorators: the closest all the same,
    # its strict=False winning over the decorator's strict=True)
    "param": """
        @pytest.mark.replay(mock=MOCK, strict=True)
        @pytest.mark.parametrize(
            "case", ["plain", pytest.param("lenient", marks=pytest.mark.replay(strict=False))]
        )
        def test_it(case):
            assert live.complete(live.word()) == "answer to hello"
        """,
}


def _project(pytester: pytest.Pytester, tests: str) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        live=LIVE,
        test_merge='import pytest\nimport live\n\nMOCK = {"llm": "live.complete"}\n'
        + textwrap.dedent(tests),
    )


def _goldens(pytester: pytest.Pytester) -> list[str]:
    root = pytester.path / "goldens"
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*.ckpt"))


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_a_closer_marker_keeps_the_keywords_it_does_not_give(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, shape: str
) -> None:
    # Expected: `strict=False` on one test relaxes that test and keeps the outer marker's mock=.
    # The closest marker replaced the others whole: the lenient test lost mock= and failed
    # recording ("checkpoint not found ... its marker has no mock="); a parameter's marker was
    # not read at all (the function's came first), so that test stayed strict
    _project(pytester, SHAPES[shape])
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    assert len(_goldens(pytester)) == 2
    monkeypatch.setenv("WORD", "changed")  # the argument differs from the recording
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)  # strict: diverges; lenient: answered in order
    result.stdout.fnmatch_lines(["FAILED *plain* - pytest_clearstone.errors.Replay*"])
    result.stdout.no_fnmatch_line("FAILED *lenient*")


def test_a_closer_marker_s_ignore_replaces_the_outer_one(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ignore= is a keyword like any other: the closest marker's list replaces the outer one's
    # (pytest-recording's way; concatenated lists could not be narrowed by a test)
    _project(
        pytester,
        """
        pytestmark = pytest.mark.replay(mock=MOCK, ignore=["request_id"])

        def test_outer():
            live.complete("hi", request_id=live.word())

        @pytest.mark.replay(ignore=["prompt"])
        def test_own():
            live.complete("hi", request_id=live.word())
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    monkeypatch.setenv("WORD", "other-request")
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*test_own*", esc("*root['request_id']: 'hello' -> 'other-request'*")]
    )
    result.stdout.no_fnmatch_line("FAILED *test_outer*")


def test_a_subclass_marker_is_closer_than_its_base_class_marker(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # pytest gives a class node its bases' markers too, the furthest base first: the base's
    # keywords replaced the subclass's own. Before the fix the subclass's strict=False was
    # dropped (the test replayed strictly and diverged) and its path= was the base's
    _project(
        pytester,
        """
        @pytest.mark.replay(mock=MOCK, path="goldens/base.ckpt")
        class AgentTests:
            def test_it(self):
                live.complete(live.word())

        @pytest.mark.replay(strict=False, path="goldens/sub.ckpt")
        class TestLenient(AgentTests):
            pass
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert _goldens(pytester) == ["sub.ckpt"]
    monkeypatch.setenv("WORD", "changed")  # the argument differs from the recording
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_the_closest_path_wins_and_none_gives_back_the_default(pytester: pytest.Pytester) -> None:
    # the path is the closest marker's that gives one (positional or path=); None is the
    # default; mock=None makes a test under the class's mock= one that only reads its golden
    _project(
        pytester,
        """
        @pytest.mark.replay(path="goldens/shared.ckpt", mock=MOCK)
        class TestPaths:
            def test_shared(self):
                live.complete("shared")

            @pytest.mark.replay("goldens/own.ckpt")
            def test_own(self):
                live.complete("own")

            @pytest.mark.replay(None, strict=False)
            def test_default(self):
                live.complete("default")

            @pytest.mark.replay(mock=None)  # reads the class's golden, which test_shared records
            def test_reader(self):
                live.complete("shared")
        """,
    )
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=4)
    assert _goldens(pytester) == [
        "own.ckpt",
        "shared.ckpt",
        "test_merge/TestPaths.test_default.ckpt",
    ]
    pytester.runpytest().assert_outcomes(passed=4)


def test_a_path_from_a_class_marker_shared_by_its_tests_says_where_it_comes_from(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the message says that the path comes from the class's marker, which all its
    # tests share (it told to give each test its own path, as if the tests had given it)
    _project(
        pytester,
        """
        @pytest.mark.replay("goldens/shared.ckpt", mock=MOCK)
        class TestShared:
            def test_one(self):
                live.complete("one")

            def test_two(self):
                live.complete("two")
        """,
    )
    result = pytester.runpytest("--clearstone-record")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            esc(
                "*test_merge.py::TestShared::test_one and test_merge.py::TestShared::test_two "
                "would both record the golden *shared.ckpt: the path is given by the replay "
                "marker of test_merge.py::TestShared, which applies to each of its tests: give "
                "each test its own path on its own marker (or leave the path out: one golden per "
                "test), or give mock=None to the tests that only read it"
            ),
        ]
    )
    assert not _goldens(pytester)


def test_tests_sharing_a_golden_with_mock_replay_it_each(pytester: pytest.Pytester) -> None:
    # only a run that records would write the golden twice: replaying, both read it
    _project(
        pytester,
        """
        @pytest.mark.replay("goldens/shared.ckpt", mock=MOCK)
        class TestShared:
            def test_one(self):
                assert live.complete("q") == "answer to q"

            def test_two(self):
                assert live.complete("q") == "answer to q"
        """,
    )
    result = pytester.runpytest("--clearstone-record", "test_merge.py::TestShared::test_one")
    result.assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*2 checkpoint(s) replayed, 0 recorded, 0 diverged*"])


@pytest.mark.parametrize(
    ("arguments", "problem"),
    [
        (
            "mocks=MOCK",
            "bad @pytest.mark.replay(path=None, *, mock=None, strict=True, ignore=None, "
            "ignore_state=None) on test_merge.py::TestBad: *got an unexpected keyword argument "
            "'mocks'*",  # (Python 3.13 adds: Did you mean 'mock'?)
        ),
        (
            "7, mock=MOCK",
            "@pytest.mark.replay path on test_merge.py::TestBad must be a file path, not 7",
        ),
        (
            '"", mock=MOCK',
            "@pytest.mark.replay path on test_merge.py::TestBad must be a file path, not ''",
        ),
    ],
    ids=["keyword", "path", "empty-path"],
)
def test_a_bad_class_marker_is_named_in_the_failure_of_each_test(
    pytester: pytest.Pytester, arguments: str, problem: str
) -> None:
    # (a typo in the class's marker went unnoticed under a method's marker, which replaced it)
    _project(
        pytester,
        f"""
        @pytest.mark.replay({arguments})
        class TestBad:
            @pytest.mark.replay(strict=False)
            def test_one(self):
                pass
        """,
    )
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([f"*test_merge.py::TestBad::test_one: {problem}"])
    result.stdout.no_fnmatch_line("*_replay_marker*")  # (the plugin's own function: no name)


def test_a_bad_keyword_value_names_the_marker_that_gives_it(pytester: pytest.Pytester) -> None:
    # before the fix: "test_merge.py::test_own: bad ignore= in @pytest.mark.replay", of a test
    # whose own marker gives no ignore=: the module's pytestmark or the class's marker did
    _project(
        pytester,
        """
        pytestmark = pytest.mark.replay(ignore=["a..b"])

        @pytest.mark.replay(mock="live.complete", strict="no")
        class TestBad:
            def test_strict(self):
                pass

            @pytest.mark.replay(strict=True)
            def test_mock(self):
                pass

        @pytest.mark.replay(mock=MOCK)
        def test_own():
            pass
        """,
    )
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(errors=3)
    result.stdout.fnmatch_lines(
        [
            "test_merge.py::TestBad::test_strict: strict= in @pytest.mark.replay on "
            "test_merge.py::TestBad must be True or False, not 'no'",
            "test_merge.py::TestBad::test_mock: bad mock= in @pytest.mark.replay on "
            "test_merge.py::TestBad: mock_config must map*",
            "test_merge.py::test_own: bad ignore= in @pytest.mark.replay on test_merge.py: "
            "bad ignore path 'a..b'*",
        ]
    )
