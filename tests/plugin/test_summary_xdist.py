"""The terminal summary (counts, unused golden files) and pytest-xdist in both modes."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from tests.inner_runs import LEAN_ARGS

TWO_TESTS = """
import pytest
from app import Agent

MOCK = {"llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]}

@pytest.mark.replay("goldens/one.ckpt", mock=MOCK)
def test_one(replay):
    replay.run(Agent().handle, "first")

@pytest.mark.replay("goldens/two.ckpt", mock=MOCK)
def test_two(replay):
    replay.run(Agent().handle, "second")

@pytest.mark.replay("goldens/three.ckpt", mock=MOCK)
def test_three(replay):
    replay.run(Agent().handle, "third")
"""


def _stale(pytester, name="stale.ckpt"):
    """A golden no test uses: a copy of one the plugin wrote."""
    goldens = pytester.path / "goldens"
    written = next(p for p in sorted(goldens.rglob("*.ckpt")) if p.name != name)
    (goldens / name).write_bytes(written.read_bytes())
    return goldens / name


def test_unused_goldens_are_listed_and_other_checkpoints_are_not(project, pytester):
    project.record().assert_outcomes(passed=1)
    _stale(pytester)
    (pytester.path / "app_checkpoint.ckpt").write_text('{"metadata": {}}')  # not a golden
    result = project.replay()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*= clearstone =*",
            "1 checkpoint(s) replayed, 0 recorded, 0 diverged",
            "goldens that no collected test uses:",
            "  goldens/stale.ckpt",
            "hint: delete them with --clearstone-prune-unused, or point a @pytest.mark.replay "
            "test at them",
        ]
    )
    result.stdout.no_fnmatch_line("*app_checkpoint*")


def test_prune_unused_deletes_only_the_unused_goldens(project, pytester):
    project.record().assert_outcomes(passed=1)
    stale = _stale(pytester)
    kept = sorted((pytester.path / "goldens").rglob("*.ckpt"))
    result = project.replay("--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["deleted unused golden goldens/stale.ckpt"])
    assert not stale.exists()
    assert sorted((pytester.path / "goldens").rglob("*.ckpt")) == [p for p in kept if p != stale]


def test_prune_unused_names_a_golden_it_could_not_delete_and_why(project, pytester, monkeypatch):
    # (a read-only checkout: the file stays, and the summary says so, not "deleted")
    project.record().assert_outcomes(passed=1)
    stale = _stale(pytester)
    unlink = Path.unlink

    def refused(self: Path, missing_ok: bool = False) -> None:
        if self.name != "stale.ckpt":
            return unlink(self, missing_ok=missing_ok)
        raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(self))

    monkeypatch.setattr(Path, "unlink", refused)
    result = project.replay("--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "could not delete unused golden goldens/stale.ckpt: OSError: *Read-only file system*"
            "Prune in a checkout on a file system mounted read-write"
        ]
    )
    result.stdout.no_fnmatch_line("deleted unused golden*")
    assert stale.exists()


@pytest.mark.parametrize(
    ("args", "why"),
    [
        (("-k", "one"), "-k"),
        (("test_agent.py",), "file or directory arguments"),
        (("test_agent.py::test_one",), "node ids"),
        (("--lf",), "--lf"),
    ],
)
def test_prune_unused_is_refused_for_a_selection(project, pytester, args, why):
    project.record().assert_outcomes(passed=1)
    stale = _stale(pytester)
    result = project.replay("--clearstone-prune-unused", *args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*--clearstone-prune-unused needs the whole suite*({why})*"])
    assert stale.exists()


def test_prune_unused_deletes_nothing_after_a_collection_error(project, pytester):
    project.record().assert_outcomes(passed=1)
    stale = _stale(pytester)
    pytester.makepyfile(test_broken="import no_such_module_here\n")
    result = project.replay("--clearstone-prune-unused")
    result.stdout.fnmatch_lines(["*--clearstone-prune-unused: nothing deleted (1 collection*"])
    assert stale.exists()


def test_deselected_tests_still_count_as_references(project, pytester):
    pytester.makepyfile(test_agent=TWO_TESTS)
    project.record().assert_outcomes(passed=3)
    result = project.replay("-k", "one")
    result.assert_outcomes(passed=1, deselected=2)
    result.stdout.no_fnmatch_line("*no collected test uses*")


def test_tests_a_conftest_removes_from_the_run_still_count_as_references(project, pytester):
    # (removed from items, not deselected: the run is the whole suite, their goldens in use)
    pytester.makepyfile(test_agent=TWO_TESTS)
    project.record().assert_outcomes(passed=3)
    stale = _stale(pytester)
    pytester.makeconftest(
        "def pytest_collection_modifyitems(items):\n"
        "    items[:] = [item for item in items if item.name != 'test_two']\n"
    )
    result = project.replay("--clearstone-prune-unused")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["deleted unused golden goldens/stale.ckpt"])
    assert not stale.exists()
    assert (pytester.path / "goldens" / "two.ckpt").is_file()


def test_prune_unused_deletes_nothing_when_a_conftest_deselects_tests(project, pytester):
    pytester.makepyfile(test_agent=TWO_TESTS)
    project.record().assert_outcomes(passed=3)
    stale = _stale(pytester)
    pytester.makeconftest(
        "def pytest_collection_modifyitems(config, items):\n"
        "    gone = [item for item in items if item.name == 'test_two']\n"
        "    items[:] = [item for item in items if item not in gone]\n"
        "    config.hook.pytest_deselected(items=gone)\n"
    )
    result = project.replay("--clearstone-prune-unused")
    result.assert_outcomes(passed=2, deselected=1)
    result.stdout.fnmatch_lines(["--clearstone-prune-unused: nothing deleted (deselected tests)"])
    assert stale.exists()


def test_selecting_by_node_id_does_not_list_other_goldens(project, pytester):
    pytester.makepyfile(test_agent=TWO_TESTS)
    project.record().assert_outcomes(passed=3)
    result = project.replay("test_agent.py::test_one")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["1 checkpoint(s) replayed, 0 recorded, 0 diverged"])
    result.stdout.no_fnmatch_line("*no collected test uses*")


def test_prune_deletes_the_goldens_of_a_suite_no_test_of_which_uses_one_any_more(project, pytester):
    project.record().assert_outcomes(passed=1)
    goldens = sorted((pytester.path / "goldens").rglob("*.ckpt"))
    assert goldens
    pytester.makepyfile(test_agent="def test_plain():\n    pass\n")
    result = project.replay("--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["deleted unused golden goldens/*.ckpt"])
    result.stdout.no_fnmatch_line("*no collected test uses*")  # (deleted: not listed again)
    assert not any(g.exists() for g in goldens)


def test_no_section_for_a_plain_suite(pytester):
    pytester.makepyfile(test_plain="def test_ok():\n    pass\n")
    # a suite none of whose tests uses a golden is not searched for unused ones
    (pytester.path / "left.ckpt").write_text('{"metadata": {"recorded_by": "pytest-clearstone"}}')
    pytester.runpytest().stdout.no_fnmatch_line("*= clearstone =*")


@pytest.mark.parametrize("mode_args", [("--clearstone-record",), ()])
def test_xdist_two_workers(project, pytester, mode_args):
    pytest.importorskip("xdist")
    pytester.makepyfile(test_agent=TWO_TESTS)
    if not mode_args:
        project.record().assert_outcomes(passed=3)
    if mode_args:  # a golden for the stale copy, written before the run under test
        project.record().assert_outcomes(passed=3)
    _stale(pytester)
    result = pytester.runpytest_subprocess(*LEAN_ARGS, "-n", "2", *mode_args)
    result.assert_outcomes(passed=3)
    word = "recorded" if mode_args else "replayed"
    counts = "0 checkpoint(s) replayed, 3 recorded" if mode_args else "3 checkpoint(s) replayed"
    result.stdout.fnmatch_lines([f"{counts}*", "  goldens/stale.ckpt"])
    assert word in result.stdout.str()
    for name in ("one", "two", "three"):
        assert (pytester.path / "goldens" / f"{name}.ckpt").is_file()
    assert not list((pytester.path / "goldens").glob(".*.tmp"))
    if mode_args:
        pytester.runpytest_subprocess(*LEAN_ARGS, "-n", "2").assert_outcomes(passed=3)


@pytest.mark.parametrize("workers", [[], ["-n", "2", *LEAN_ARGS]], ids=["in-process", "xdist"])
def test_junit_xml_gets_no_property_of_the_plugins_and_the_summary_is_whole(
    project, pytester, workers
):
    # Expected: the plugin's per-test notes (its outcome, the golden written) reach the summary
    # and stay out of the JUnit XML: pytest's default junit_family (xunit2) has no <properties>
    # in a testcase (record_property warns for it), and a value was a Python tuple's repr.
    pytester.makepyfile(test_agent=TWO_TESTS)
    run = pytester.runpytest_subprocess if workers else pytester.runpytest
    recorded = run("--clearstone-record", "--junitxml=record.xml", *workers)
    recorded.assert_outcomes(passed=3)
    recorded.stdout.fnmatch_lines(["*0 checkpoint(s) replayed, 3 recorded, 0 diverged*"])
    recorded.stdout.fnmatch_lines(["*goldens/one.ckpt: new*"])
    replayed = run("--junitxml=replay.xml", *workers)
    replayed.assert_outcomes(passed=3)
    replayed.stdout.fnmatch_lines(["*3 checkpoint(s) replayed, 0 recorded, 0 diverged*"])
    for xml in ("record.xml", "replay.xml"):
        text = (pytester.path / xml).read_text()
        assert text.count("<testcase ") == 3
        assert "<properties" not in text and "clearstone" not in text, text
