"""The unused-goldens report and ``--clearstone-prune-unused`` when part of the suite was not
collected: modules that skip themselves at import, ``--ignore``/``--ignore-glob``, a conftest's
``collect_ignore``, and pytest-xdist (the controller alone prunes and lists)."""

from __future__ import annotations

import textwrap

import pytest

from tests.inner_runs import LEAN_ARGS

# a test module of an optional SDK: skipped at import when the SDK is not installed
SDK_TEST = """
import os
import pytest

{skip}
import app

@pytest.mark.replay(mock={{"llm": "app.complete"}})
def test_sdk(replay):
    replay.run(app.complete, "sdk")

@pytest.mark.replay("../shared/explicit.ckpt", mock={{"llm": "app.complete"}})
def test_sdk_explicit(replay):
    replay.run(app.complete, "explicit")
"""

SKIPS = {
    "skip": 'if os.environ.get("NO_SDK"):\n    pytest.skip("no sdk", allow_module_level=True)',
    "importorskip": 'pytest.importorskip(os.environ.get("NO_SDK") or "os")',
}


def _stale(pytester: pytest.Pytester) -> object:
    """A golden no test uses, beside the project's: a copy of one the plugin wrote."""
    goldens = pytester.path / "goldens"
    stale = goldens / "stale.ckpt"
    stale.write_bytes((goldens / "billing.ckpt").read_bytes())
    return stale


@pytest.fixture
def sdk(project, pytester: pytest.Pytester, request: pytest.FixtureRequest):
    """The project with an ``sdk/`` test directory whose goldens are recorded, and a stale
    golden at the top."""
    skip = SKIPS[getattr(request, "param", "skip")]
    (pytester.path / "sdk").mkdir()
    (pytester.path / "sdk" / "test_sdk.py").write_text(textwrap.dedent(SDK_TEST.format(skip=skip)))
    project.record().assert_outcomes(passed=3)
    goldens = [
        pytester.path / "sdk" / "goldens" / "test_sdk" / "test_sdk.ckpt",
        pytester.path / "shared" / "explicit.ckpt",
    ]
    assert all(g.is_file() for g in goldens)
    return goldens


@pytest.mark.parametrize("sdk", sorted(SKIPS), indirect=True)
def test_prune_keeps_the_goldens_of_a_module_skipped_at_import(
    sdk, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = _stale(pytester)
    monkeypatch.setenv("NO_SDK", "no_such_sdk_module")
    result = pytester.runpytest("--clearstone-prune-unused")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "deleted unused golden goldens/stale.ckpt",
            "goldens kept, their tests were not collected:",
            "  sdk/goldens/test_sdk/test_sdk.ckpt: sdk/test_sdk.py was skipped at collection",
            "  shared/explicit.ckpt: sdk/test_sdk.py was skipped at collection",
        ]
    )
    assert not stale.exists()
    assert all(g.is_file() for g in sdk)  # the explicit path too: its source names it


def test_the_report_leaves_out_the_goldens_of_a_skipped_module(
    sdk, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _stale(pytester)
    monkeypatch.setenv("NO_SDK", "1")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "goldens that no collected test uses:",
            "  goldens/stale.ckpt",
            "goldens kept, their tests were not collected:",
            "  sdk/goldens/test_sdk/test_sdk.ckpt: sdk/test_sdk.py was skipped at collection",
            "  shared/explicit.ckpt: sdk/test_sdk.py was skipped at collection",
        ]
    )


def test_prune_is_refused_when_paths_are_ignored_by_a_glob(sdk, pytester: pytest.Pytester) -> None:
    result = pytester.runpytest("--clearstone-prune-unused", "--ignore-glob=*test_sdk.py")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--clearstone-prune-unused needs the whole suite*(--ignore-glob)*"]
    )
    assert all(g.is_file() for g in sdk)
    report = pytester.runpytest("--ignore-glob=*test_sdk.py")
    report.assert_outcomes(passed=1)
    report.stdout.no_fnmatch_line("*no collected test uses*")


def test_prune_keeps_the_goldens_under_an_ignored_path(sdk, pytester: pytest.Pytester) -> None:
    # `--ignore` is often in the ini's addopts: the rest of the suite is still pruned
    stale = _stale(pytester)
    result = pytester.runpytest("--clearstone-prune-unused", "--ignore=sdk")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "deleted unused golden goldens/stale.ckpt",
            "goldens kept, their tests were not collected:",
            "  sdk/goldens/test_sdk/test_sdk.ckpt: sdk is --ignore'd",
        ]
    )
    assert not stale.exists()
    assert all(g.is_file() for g in sdk)


def test_prune_keeps_the_goldens_of_a_conftest_collect_ignore(
    sdk, pytester: pytest.Pytester
) -> None:
    stale = _stale(pytester)
    pytester.makeconftest('collect_ignore = ["sdk", "setup.py"]\n')
    result = pytester.runpytest("--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "deleted unused golden goldens/stale.ckpt",
            "goldens kept, their tests were not collected:",
            "  sdk/goldens/test_sdk/test_sdk.ckpt: sdk is in collect_ignore of conftest.py",
            "  shared/explicit.ckpt: sdk is in collect_ignore of conftest.py",
        ]
    )
    assert not stale.exists()
    assert all(g.is_file() for g in sdk)


def test_prune_under_xdist_keeps_the_goldens_of_a_conftest_collect_ignore(
    sdk, pytester: pytest.Pytester
) -> None:
    # (only the workers collect: they tell the controller, which prunes)
    pytest.importorskip("xdist")
    stale = _stale(pytester)
    pytester.makeconftest('collect_ignore = ["sdk"]\n')
    result = pytester.runpytest_subprocess(*LEAN_ARGS, "-n", "2", "--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "deleted unused golden goldens/stale.ckpt",
            "goldens kept, their tests were not collected:",
            "  sdk/goldens/test_sdk/test_sdk.ckpt: sdk is in collect_ignore of conftest.py",
        ]
    )
    assert not stale.exists()
    assert all(g.is_file() for g in sdk)


def test_prune_keeps_the_goldens_of_a_collect_ignore_in_a_conftest_below_the_rootdir(
    sdk, pytester: pytest.Pytester
) -> None:
    # collect_ignore's paths are relative to the folder of its conftest, not to the rootdir
    stale = _stale(pytester)
    (pytester.path / "sdk" / "conftest.py").write_text('collect_ignore = ["test_sdk.py"]\n')
    result = pytester.runpytest("--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "deleted unused golden goldens/stale.ckpt",
            "goldens kept, their tests were not collected:",
            "  sdk/goldens/test_sdk/test_sdk.ckpt: sdk/test_sdk.py is in collect_ignore of "
            "sdk/conftest.py",
        ]
    )
    assert not stale.exists()
    assert all(g.is_file() for g in sdk)


@pytest.mark.parametrize("xdist", [False, True], ids=["", "xdist"])
def test_prune_deletes_nothing_when_a_conftest_s_collect_ignore_glob_leaves_paths_out(
    sdk, pytester: pytest.Pytester, xdist: bool
) -> None:
    # which goldens the glob's tests use is not worked out: the run is a subset (under xdist
    # only the workers, which load the conftest, know it, and tell the controller, which prunes)
    stale = _stale(pytester)
    pytester.makeconftest('collect_ignore_glob = ["sdk/*"]\n')
    if xdist:
        pytest.importorskip("xdist")
        result = pytester.runpytest_subprocess(*LEAN_ARGS, "-n", "2", "--clearstone-prune-unused")
    else:
        result = pytester.runpytest("--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        ["--clearstone-prune-unused: nothing deleted (collect_ignore_glob in conftest.py)"]
    )
    assert stale.exists()
    assert all(g.is_file() for g in sdk)


def test_prune_keeps_the_goldens_of_tests_whose_marker_has_a_typo(
    sdk, pytester: pytest.Pytester
) -> None:
    # a marker the plugin cannot read (a misspelt keyword) still names the test's golden
    stale = _stale(pytester)
    test_file = pytester.path / "sdk" / "test_sdk.py"
    test_file.write_text(test_file.read_text().replace("mock=", "mocks="))
    result = pytester.runpytest("--clearstone-prune-unused")
    result.assert_outcomes(passed=1, errors=2)
    result.stdout.fnmatch_lines(["*bad @pytest.mark.replay*mocks*", "deleted unused golden*"])
    result.stdout.no_fnmatch_line("*deleted unused golden*sdk*")
    result.stdout.no_fnmatch_line("*deleted unused golden*explicit*")
    assert not stale.exists()
    assert all(g.is_file() for g in sdk)


def test_prune_under_xdist_lists_what_it_deleted(project, pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")
    project.record().assert_outcomes(passed=1)
    stale = _stale(pytester)
    result = pytester.runpytest_subprocess(*LEAN_ARGS, "-n", "2", "--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*= clearstone =*", "deleted unused golden goldens/stale.ckpt"])
    assert not stale.exists()
    assert project.golden.is_file()


def test_a_unittest_method_skipped_by_its_decorator_is_skipped_in_every_mode(
    pytester: pytest.Pytester,
) -> None:
    # Expected: @unittest.skip skips the test whether its golden exists or not, and a record run
    # does not list it as a golden not written. Before the fix: recording listed it ("nothing was
    # recorded") and every replay failed ("checkpoint not found"), the suggested record command
    # skipping again.
    pytester.syspathinsert()
    pytester.makepyfile(
        app="def complete(prompt):\n    return 'answer to ' + prompt\n",
        test_case="""
        import unittest

        import pytest

        import app

        @pytest.mark.replay(mock={"llm": "app.complete"})
        class TestAgent(unittest.TestCase):
            @pytest.fixture(autouse=True)
            def _replay(self, replay):
                self.replay = replay

            def test_answer(self):
                self.replay.run(app.complete, "hi")

            @unittest.skip("not ready")
            def test_later(self):
                self.replay.run(app.complete, "later")

        @unittest.skip("not ready either")
        @pytest.mark.replay(mock={"llm": "app.complete"})
        class TestSkipped(unittest.TestCase):
            @pytest.fixture(autouse=True)
            def _replay(self, replay):
                self.replay = replay

            def test_never(self):
                self.replay.run(app.complete, "never")
        """,
    )
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(passed=1, skipped=2)
    recorded.stdout.no_fnmatch_line("*not written*")
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=1, skipped=2)
    replayed.stdout.no_fnmatch_line("*missing*")


def test_a_unittest_expected_failure_without_a_golden_xfails_on_replay(
    pytester: pytest.Pytester,
) -> None:
    # Expected: a method marked @unittest.expectedFailure (or in a class marked so) under the
    # class's replay marker is never recorded (its run fails, as it expects), so replaying, its
    # missing golden is taken for the expected failure, as pytest's xfail mark takes it (XFAIL),
    # and the summary says why it has no golden. Before the fix every replay failed on the
    # missing golden, and the record command given recorded nothing: the suite never passed.
    pytester.syspathinsert()
    pytester.makepyfile(
        app="def complete(prompt):\n    return 'answer to ' + prompt\n",
        test_case="""
        import unittest

        import pytest

        import app

        @pytest.mark.replay(mock={"llm": "app.complete"})
        class TestAgent(unittest.TestCase):
            @pytest.fixture(autouse=True)
            def _replay(self, replay):
                self.replay = replay

            def test_answer(self):
                self.replay.run(app.complete, "hi")

            @unittest.expectedFailure
            def test_known_bug(self):
                assert self.replay.run(app.complete, "bug") == "fixed"

        @unittest.expectedFailure
        @pytest.mark.replay(mock={"llm": "app.complete"})
        class TestAllKnown(unittest.TestCase):
            @pytest.fixture(autouse=True)
            def _replay(self, replay):
                self.replay = replay

            def test_known(self):
                assert self.replay.run(app.complete, "known") == "fixed"
        """,
    )
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(passed=1, xfailed=2)
    replayed = pytester.runpytest("-rx")
    replayed.assert_outcomes(passed=1, xfailed=2)
    replayed.stdout.fnmatch_lines(
        [
            "1 checkpoint(s) replayed, 0 recorded, 0 diverged, 2 missing",
            "*the xfail tests above xfailed on their golden*",
            "XFAIL test_case.py::TestAgent::test_known_bug - *checkpoint not found*",
        ]
    )


# one golden per parameter, its path an f-string (as docs/how-to/xdist.md shows)
FSTRING_TEST = """
import os
import pytest

if os.environ.get("NO_SDK"):
    pytest.skip("no sdk", allow_module_level=True)
import app

TOPICS = ["shipping", "returns"]


@pytest.mark.parametrize(
    "topic",
    [pytest.param(t, marks=pytest.mark.replay(f"goldens/{t}.ckpt", mock={"llm": "app.complete"}))
     for t in TOPICS],
)
def test_faq(replay, topic):
    replay.run(app.complete, topic)
"""


def test_prune_keeps_the_goldens_a_skipped_module_names_by_f_strings(
    project, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    (pytester.path / "faq").mkdir()
    (pytester.path / "faq" / "test_faq.py").write_text(FSTRING_TEST)
    project.record().assert_outcomes(passed=3)
    goldens = [pytester.path / "faq" / "goldens" / f"{t}.ckpt" for t in ("shipping", "returns")]
    assert all(g.is_file() for g in goldens)
    stale = _stale(pytester)
    monkeypatch.setenv("NO_SDK", "1")
    result = pytester.runpytest("--clearstone-prune-unused")
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(
        [
            "deleted unused golden goldens/stale.ckpt",
            "goldens kept, their tests were not collected:",
            "  faq/goldens/returns.ckpt: faq/test_faq.py was skipped at collection",
            "  faq/goldens/shipping.ckpt: faq/test_faq.py was skipped at collection",
        ]
    )
    assert not stale.exists()
    assert all(g.is_file() for g in goldens)
