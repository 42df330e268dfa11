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


def test_a_worker_crash_while_replaying_lists_no_golden_as_not_written(
    project, pytester, monkeypatch
):
    # (only a run that records writes goldens: a replay's crash is pytest-xdist's to report)
    pytester.makepyfile(
        test_agent=CRASHING.replace(
            "    os._exit(1)", "    if os.environ.get('CRASH'):\n        os._exit(1)"
        )
    )
    args = (*LEAN_ARGS, "-n", "2", "-p", "no:randomly")
    pytester.runpytest_subprocess(*args, "--clearstone-record").assert_outcomes(passed=4)
    monkeypatch.setenv("CRASH", "1")
    result = pytester.runpytest_subprocess(*args)
    result.stdout.fnmatch_lines(["*worker 'gw*' crashed while running*test_crash*"])
    result.stdout.no_fnmatch_line("goldens not written*")
    result.stdout.no_fnmatch_line("*its xdist worker crashed while the test ran*")


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


GROUPED = """
import pytest
from app import Agent

MOCK = {"llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]}

@pytest.mark.xdist_group("agents")
@pytest.mark.parametrize("x", ["a"])
@pytest.mark.replay(mock=MOCK)
def test_grouped(replay, x):
    replay.run(Agent().handle, x)
"""

# pytest-xdist's --dist loadgroup adds "@<group>" to a grouped test's node id on its worker
# (setting Node._nodeid); pytest 9.2 keeps the node id elsewhere, so there the same is done here
GROUP_SUFFIX = """
import pytest

@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(config, items):
    if not getattr(config.option, "loadgroup", False):  # (an xdist worker of loadgroup)
        return
    for item in items:
        names = sorted(m.args[0] for m in item.iter_markers("xdist_group"))
        if names and not item.nodeid.endswith("@" + "_".join(names)):
            from _pytest.nodeid import coerce_node_id

            item._id = coerce_node_id(item.nodeid + "@" + "_".join(names))
"""


def test_dist_loadgroup_records_and_names_the_test_by_its_own_node_id(project, pytester):
    # Expected: a golden recorded under --dist loadgroup is the one recorded without it (its
    # "test" is the test's node id, not "...@agents": re-recording without -n listed a change
    # of metadata), and a missing golden's message gives a command that records it
    pytester.makepyfile(test_agent=GROUPED)
    pytester.makeconftest(GROUP_SUFFIX)
    args = (*LEAN_ARGS, "-n", "2", "--dist", "loadgroup", "-p", "no:randomly")
    missing = pytester.runpytest_subprocess(*args)
    missing.stdout.fnmatch_lines(["*test_grouped?a?@agents: checkpoint not found*"])  # (pytest's)
    missing.stdout.fnmatch_lines(
        ["*Record it first with: pytest --clearstone-record 'test_agent.py::test_grouped[[]a]'"]
    )
    pytester.runpytest_subprocess(*args, "--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_agent" / "test_grouped[a].ckpt"
    assert '"test": "test_agent.py::test_grouped[a]",' in golden.read_text()
    again = pytester.runpytest_subprocess(*LEAN_ARGS, "--clearstone-record")
    again.assert_outcomes(passed=1)  # (the live answer is new each time: not the metadata)
    again.stdout.fnmatch_lines(["  goldens/test_agent/test_grouped[[]a].ckpt: *"])
    again.stdout.no_fnmatch_line("*metadata*")


def test_prune_unused_says_why_nothing_was_deleted_when_no_worker_ended_its_run(project, pytester):
    # Expected: the controller collects nothing itself; when every worker crashed it heard of
    # no test, so it cannot tell which goldens are unused: it said nothing at all of the
    # --clearstone-prune-unused asked for (nor of the unused goldens)
    project.record().assert_outcomes(passed=1)
    stale = pytester.path / "goldens" / "stale.ckpt"
    stale.write_bytes(project.golden.read_bytes())
    pytester.makepyfile(test_kill="import os\n\ndef test_kill():\n    os._exit(1)\n")
    result = pytester.runpytest_subprocess(
        *LEAN_ARGS, "-n", "1", "--max-worker-restart=0", "--clearstone-prune-unused"
    )
    result.stdout.fnmatch_lines(
        [
            "--clearstone-prune-unused: nothing deleted (no pytest-xdist worker ended its run, "
            "so the tests collected are not known: a worker crashed)"
        ]
    )
    assert stale.exists()


def test_recording_under_dist_each_is_refused_and_replaying_is_not(project, pytester):
    # Expected: --dist each runs every test on every worker; recording, the workers each wrote
    # every golden (the last one won: two live runs, possibly different) and the summary listed
    # each golden once per worker
    args = (*LEAN_ARGS, "-n", "2", "--dist", "each")
    before = project.golden.exists()
    refused = pytester.runpytest_subprocess(*args, "--clearstone-record")
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(
        ["*--dist each runs every test on each of 2 workers*record without --dist each*"]
    )
    assert project.golden.exists() == before
    project.record().assert_outcomes(passed=1)
    replayed = pytester.runpytest_subprocess(*args)
    replayed.assert_outcomes(passed=2)
    replayed.stdout.fnmatch_lines(["2 checkpoint(s) replayed, 0 recorded, 0 diverged"])


def test_recording_under_dist_each_counts_the_workers_a_tx_spec_multiplies(project, pytester):
    # Expected: `--tx 2*popen` starts two workers as `-n 2` does; counted as one, recording
    # under --dist each was let through, each worker writing every golden
    before = project.golden.exists()
    refused = pytester.runpytest_subprocess(
        *LEAN_ARGS, "--tx", "2*popen", "--dist", "each", "--clearstone-record"
    )
    assert refused.ret == pytest.ExitCode.USAGE_ERROR
    refused.stderr.fnmatch_lines(["*--dist each runs every test on each of 2 workers*"])
    assert project.golden.exists() == before


def test_a_crashed_recording_that_pytest_rerunfailures_runs_again_is_listed_once(project, pytester):
    # pytest-rerunfailures runs a test whose worker crashed again: the crash of an attempt it
    # runs again is no test's last word, so a test crashing on each attempt is listed once
    pytest.importorskip("pytest_rerunfailures")
    pytester.makepyfile(test_agent=CRASHING)
    result = pytester.runpytest_subprocess(
        *LEAN_ARGS,
        "-p",
        "rerunfailures",
        "-n",
        "2",
        "--reruns",
        "1",
        "--clearstone-record",
        "-p",
        "no:randomly",
    )
    crashed = "  test_agent.py::test_crash: its xdist worker crashed while the test ran"
    result.stdout.fnmatch_lines(["goldens not written (the old file, if any, stays):", crashed])
    assert result.stdout.lines.count(crashed) == 1
