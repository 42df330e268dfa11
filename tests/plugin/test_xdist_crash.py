"""pytest-xdist runs that do not go smoothly: a worker that dies while a test records."""

from __future__ import annotations

import pytest

from tests.inner_runs import LEAN_ARGS

pytest.importorskip("xdist")

CRASHING = """
import os
import pytest
from app import Agent

MOCK = {"llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]}

@pytest.mark.replay("goldens/one.ckpt", mock=MOCK)
def test_one(replay):
    replay.run(Agent().handle, "first")

@pytest.mark.replay("goldens/crash.ckpt", mock=MOCK)
def test_crash(replay):
    replay.run(Agent().handle, "second")
    os._exit(1)  # the worker dies: its report never leaves it

@pytest.mark.replay("goldens/three.ckpt", mock=MOCK)
def test_three(replay):
    replay.run(Agent().handle, "third")

def test_plain():
    pass
"""


@pytest.mark.parametrize("restarts", [[], ["--max-worker-restart=0"]], ids=["restarted", "not"])
def test_a_test_whose_worker_crashed_while_recording_is_listed_as_not_written(
    project, pytester, restarts
):
    # Expected: the summary lists every marked test whose golden was not written; a test whose
    # worker died (os._exit, a segfault) got no report of its own (xdist makes one on the
    # controller), so the summary said nothing of its golden
    pytester.makepyfile(test_agent=CRASHING)
    result = pytester.runpytest_subprocess(
        *LEAN_ARGS, "-n", "2", "--clearstone-record", "-p", "no:randomly", *restarts
    )
    result.stdout.fnmatch_lines(
        [
            "goldens not written (the old file, if any, stays):",
            "  test_agent.py::test_crash: its xdist worker crashed while the test ran",
        ]
    )
    result.stdout.no_fnmatch_line("*test_plain: *")
    goldens = pytester.path / "goldens"
    assert not (goldens / "crash.ckpt").exists()
    assert not list(goldens.glob(".*"))  # no partial file


CRASHING_ELSEWHERE = """
import os
import pytest
from app import Agent

MOCK = {"llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]}

@pytest.fixture
def dies_after():
    yield
    os._exit(1)

@pytest.mark.replay("goldens/written.ckpt", mock=MOCK)
def test_written(replay, dies_after):
    replay.run(Agent().handle, "first")

def test_plain():
    os._exit(1)
"""


def test_a_crash_after_the_golden_was_written_or_in_an_unmarked_test_is_not_listed(
    project, pytester
):
    pytester.makepyfile(test_agent=CRASHING_ELSEWHERE)
    result = pytester.runpytest_subprocess(
        *LEAN_ARGS, "-n", "2", "--clearstone-record", "-p", "no:randomly"
    )
    result.stdout.fnmatch_lines(["*crashed while running 'test_agent.py::test_written'*"])
    result.stdout.fnmatch_lines(["*crashed while running 'test_agent.py::test_plain'*"])
    result.stdout.fnmatch_lines(["goldens written:", "  goldens/written.ckpt: new"])
    result.stdout.no_fnmatch_line("goldens not written*")
    assert (pytester.path / "goldens" / "written.ckpt").is_file()


def test_prune_unused_counts_a_collection_error_once_under_xdist(project, pytester):
    # Expected: one broken module is one collection error, as without -n; each worker counted
    # it and the controller counted the report xdist passed on: "3 collection error(s)"
    project.record().assert_outcomes(passed=1)
    pytester.makepyfile(test_broken="import no_such_module_here\n")
    result = pytester.runpytest_subprocess(*LEAN_ARGS, "-n", "2", "--clearstone-prune-unused")
    result.stdout.fnmatch_lines(
        ["--clearstone-prune-unused: nothing deleted (1 collection error(s))"]
    )
