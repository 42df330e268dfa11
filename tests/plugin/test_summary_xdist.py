"""The terminal summary (counts, unused golden files) and pytest-xdist in both modes."""

from __future__ import annotations

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


def test_unused_checkpoint_files_are_listed(project, pytester):
    project.record().assert_outcomes(passed=1)
    (pytester.path / "goldens" / "stale.ckpt").write_text("{}")
    result = project.replay()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*= clearstone =*",
            "1 checkpoint(s) replayed, 0 recorded, 0 diverged",
            "checkpoint files that no collected test references:",
            "  goldens/stale.ckpt",
            "hint: delete unused goldens, or point a @pytest.mark.replay test at them",
        ]
    )


def test_deselected_tests_still_count_as_references(project, pytester):
    pytester.makepyfile(test_agent=TWO_TESTS)
    project.record().assert_outcomes(passed=3)
    result = project.replay("-k", "one")
    result.assert_outcomes(passed=1, deselected=2)
    result.stdout.no_fnmatch_line("*no collected test references*")


def test_selecting_by_node_id_does_not_list_other_goldens(project, pytester):
    pytester.makepyfile(test_agent=TWO_TESTS)
    project.record().assert_outcomes(passed=3)
    result = project.replay("test_agent.py::test_one")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["1 checkpoint(s) replayed, 0 recorded, 0 diverged"])
    result.stdout.no_fnmatch_line("*no collected test references*")


def test_no_section_for_a_plain_suite(pytester):
    pytester.makepyfile(test_plain="def test_ok():\n    pass\n")
    pytester.runpytest().stdout.no_fnmatch_line("*= clearstone =*")


@pytest.mark.parametrize("mode_args", [("--clearstone-record",), ()])
def test_xdist_two_workers(project, pytester, mode_args):
    pytest.importorskip("xdist")
    pytester.makepyfile(test_agent=TWO_TESTS)
    if not mode_args:
        project.record().assert_outcomes(passed=3)
    (pytester.path / "goldens").mkdir(exist_ok=True)
    (pytester.path / "goldens" / "stale.ckpt").write_text("{}")
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
        pytester.runpytest_subprocess(*LEAN_ARGS, "-n", "2").assert_outcomes(
            passed=3
        )
