"""Goldens as files in a git repository, across machines and CI: modules a conftest's
``pytest_ignore_collect`` leaves out, goldens that are symlinks, runs from a subdirectory, a
read-only checkout, merge-conflict markers, Git LFS pointers and a UTF-8 BOM."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from pytest_clearstone.cli import main
from tests.inner_runs import LEAN_ARGS

AGENT = "def llm(prompt):\n    return f'{PREFIX} answer to {prompt}'\n"

MODULE = """
import pytest
import agent

@pytest.mark.replay(mock={"llm": "agent.llm"})
def test_x():
    assert agent.llm("x")
"""


def _agent(pytester: pytest.Pytester, prefix: str = "an") -> None:
    pytester.makepyfile(agent=f"PREFIX = {prefix!r}\n" + AGENT)


@pytest.fixture
def two_modules(pytester: pytest.Pytester) -> dict[str, Path]:
    """``test_a.py`` and ``test_b.py``, each with a recorded golden, and a stale golden."""
    pytester.syspathinsert()
    _agent(pytester)
    pytester.makepyfile(test_a=MODULE, test_b=MODULE)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    goldens = pytester.path / "goldens"
    stale = goldens / "stale.ckpt"
    stale.write_bytes((goldens / "test_a" / "test_x.ckpt").read_bytes())
    return {
        "a": goldens / "test_a" / "test_x.ckpt",
        "b": goldens / "test_b" / "test_x.ckpt",
        "stale": stale,
    }


IGNORE_B = """
def pytest_ignore_collect(collection_path, config):
    # e.g. "needs the optional SDK": the whole module is left out
    if collection_path.name == "test_b.py":
        return True
"""


# -- modules a conftest's pytest_ignore_collect leaves out ----------------------------------------
def test_prune_keeps_the_goldens_of_a_module_a_pytest_ignore_collect_hook_leaves_out(
    two_modules: dict[str, Path], pytester: pytest.Pytester
) -> None:
    # Before the fix: the plain run listed goldens/test_b/test_x.ckpt as unused and prune
    # deleted it, though test_b.py still exists (the next machine collecting it fails).
    pytester.makeconftest(IGNORE_B)
    report = pytester.runpytest()
    report.assert_outcomes(passed=1)
    report.stdout.fnmatch_lines(
        [
            "goldens that no collected test uses:",
            "  goldens/stale.ckpt",
            "goldens kept, their tests were not collected:",
            "  goldens/test_b/test_x.ckpt: test_b.py is left out by a pytest_ignore_collect hook",
        ]
    )
    pruned = pytester.runpytest("--clearstone-prune-unused")
    pruned.assert_outcomes(passed=1)
    pruned.stdout.fnmatch_lines(["deleted unused golden goldens/stale.ckpt"])
    pruned.stdout.no_fnmatch_line("*deleted unused golden goldens/test_b*")
    assert two_modules["b"].is_file() and two_modules["a"].is_file()
    assert not two_modules["stale"].exists()


def test_a_directory_a_pytest_ignore_collect_hook_leaves_out_keeps_its_goldens(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    _agent(pytester)
    pytester.makepyfile(test_a=MODULE)
    (pytester.path / "sdk").mkdir()
    (pytester.path / "sdk" / "test_sdk.py").write_text(MODULE)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    pytester.makeconftest(
        "def pytest_ignore_collect(collection_path, config):\n"
        "    return True if collection_path.name == 'sdk' else None\n"
    )
    result = pytester.runpytest("--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "goldens kept, their tests were not collected:",
            "  sdk/goldens/test_sdk/test_x.ckpt: sdk is left out by a pytest_ignore_collect hook",
        ]
    )
    assert (pytester.path / "sdk" / "goldens" / "test_sdk" / "test_x.ckpt").is_file()


def test_a_hook_that_leaves_out_a_folder_without_tests_keeps_no_golden(
    two_modules: dict[str, Path], pytester: pytest.Pytester
) -> None:
    # a hook that skips the goldens folder itself (nothing to collect there) does not make its
    # unused goldens look owned by tests that were not collected
    pytester.makeconftest(
        "def pytest_ignore_collect(collection_path, config):\n"
        "    return True if collection_path.name == 'goldens' else None\n"
    )
    result = pytester.runpytest("--clearstone-prune-unused")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["deleted unused golden goldens/stale.ckpt"])
    result.stdout.no_fnmatch_line("*goldens kept*")
    assert not two_modules["stale"].exists()


def test_paths_pytest_leaves_out_itself_are_said_once_with_their_own_reason(
    two_modules: dict[str, Path], pytester: pytest.Pytester
) -> None:
    # pytest's own pytest_ignore_collect answers True for --ignore and collect_ignore: those
    # keep the reason that names the option, not the hook's
    pytester.makeconftest('collect_ignore = ["test_b.py"]\n')
    result = pytester.runpytest("--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "goldens kept, their tests were not collected:",
            "  goldens/test_b/test_x.ckpt: test_b.py is in collect_ignore of conftest.py",
        ]
    )
    result.stdout.no_fnmatch_line("*pytest_ignore_collect*")


def test_an_ignore_collect_hook_under_xdist_keeps_the_goldens(
    two_modules: dict[str, Path], pytester: pytest.Pytester
) -> None:
    pytest.importorskip("xdist")
    pytester.makeconftest(IGNORE_B)
    result = pytester.runpytest_subprocess(*LEAN_ARGS, "-n", "2", "--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "deleted unused golden goldens/stale.ckpt",
            "  goldens/test_b/test_x.ckpt: test_b.py is left out by a pytest_ignore_collect hook",
        ]
    )
    assert two_modules["b"].is_file()


@pytest.mark.parametrize("pattern", ["manual", "*/manual", "manua?"])
def test_prune_keeps_the_goldens_of_tests_in_a_norecursedirs_directory(
    pytester: pytest.Pytester, pattern: str
) -> None:
    # Before the fix: tests/manual, in the ini's norecursedirs and run on its own
    # (pytest manual), had its goldens listed as unused by a plain run and deleted by
    # --clearstone-prune-unused, though its test module is still there
    pytester.syspathinsert()
    _agent(pytester)
    pytester.makepyfile(test_a=MODULE)
    (pytester.path / "manual").mkdir()
    (pytester.path / "manual" / "test_live.py").write_text(MODULE)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    pytester.makeini(f"[pytest]\nnorecursedirs = {pattern} build\n")
    (pytester.path / "build").mkdir()  # a folder without tests: it keeps nothing
    stale = pytester.path / "build" / "stale.ckpt"
    stale.write_bytes((pytester.path / "goldens" / "test_a" / "test_x.ckpt").read_bytes())
    result = pytester.runpytest("--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "deleted unused golden build/stale.ckpt",
            "goldens kept, their tests were not collected:",
            "  manual/goldens/test_live/test_x.ckpt: manual is in norecursedirs",
        ]
    )
    assert (pytester.path / "manual" / "goldens" / "test_live" / "test_x.ckpt").is_file()
    assert not stale.exists()
    pytester.runpytest("manual").assert_outcomes(passed=1)


# -- goldens that are symlinks -----------------------------------------------------------------
SHARED_TEST = """
import pytest
import agent

@pytest.mark.replay("goldens/s.ckpt", mock={"llm": "agent.llm"})
def test_s():
    assert agent.llm("s")
"""


@pytest.fixture
def linked(pytester: pytest.Pytester) -> tuple[Path, Path]:
    """A golden committed as a symlink to a shared file: ``goldens/s.ckpt -> ../shared/s.ckpt``."""
    pytester.syspathinsert()
    _agent(pytester)
    pytester.makepyfile(test_s=SHARED_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    link, shared = pytester.path / "goldens" / "s.ckpt", pytester.path / "shared" / "s.ckpt"
    shared.parent.mkdir()
    link.rename(shared)
    try:
        link.symlink_to(os.path.join("..", "shared", "s.ckpt"))
    except OSError:  # pragma: no cover - Windows without the symlink privilege
        pytest.skip("symlinks cannot be made here")
    return link, shared


def test_the_target_of_a_golden_that_is_a_symlink_is_used_and_never_pruned(
    linked: tuple[Path, Path], pytester: pytest.Pytester
) -> None:
    # Before the fix: shared/s.ckpt was listed unused and prune deleted it (the link dangled:
    # "checkpoint not found" on the next run).
    link, shared = linked
    # a second link nobody references, to the used file: not deleted either
    alias = pytester.path / "goldens" / "alias.ckpt"
    alias.symlink_to("s.ckpt")
    replayed = pytester.runpytest()
    replayed.assert_outcomes(passed=1)
    replayed.stdout.no_fnmatch_line("*no collected test uses*")
    pruned = pytester.runpytest("--clearstone-prune-unused")
    pruned.assert_outcomes(passed=1)
    pruned.stdout.no_fnmatch_line("*deleted*")
    assert link.is_symlink() and shared.is_file() and alias.is_symlink()
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_link_to_an_unused_golden_is_pruned_and_its_target_with_it(
    linked: tuple[Path, Path], pytester: pytest.Pytester
) -> None:
    _link, shared = linked
    old = pytester.path / "shared" / "old.ckpt"
    old.write_bytes(shared.read_bytes())
    stale_link = pytester.path / "goldens" / "old.ckpt"
    stale_link.symlink_to(os.path.join("..", "shared", "old.ckpt"))
    pruned = pytester.runpytest("--clearstone-prune-unused")
    pruned.stdout.fnmatch_lines(
        ["deleted unused golden goldens/old.ckpt", "deleted unused golden shared/old.ckpt"]
    )
    assert not stale_link.is_symlink() and not old.exists()


def test_a_re_record_writes_through_a_golden_that_is_a_symlink(
    linked: tuple[Path, Path], pytester: pytest.Pytester
) -> None:
    # Before the fix: the link was replaced by a plain file (git status: " T goldens/s.ckpt")
    # and the shared file stayed stale for the other suite.
    link, shared = linked
    _agent(pytester, prefix="a changed")
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(passed=1)
    assert link.is_symlink()
    assert os.readlink(link) == os.path.join("..", "shared", "s.ckpt")
    assert "a changed answer to s" in shared.read_text(encoding="utf-8")
    assert not [p.name for p in shared.parent.iterdir() if p.name != "s.ckpt"]  # no temp left
    pytester.runpytest().assert_outcomes(passed=1)


def test_re_recording_a_golden_linked_to_a_file_that_is_no_checkpoint_replaces_the_link(
    linked: tuple[Path, Path], pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # Before the fix: a golden committed as a link to a file outside the project that is no
    # checkpoint (a pull request's goldens/s.ckpt -> ~/.bashrc) failed replay as "not a readable
    # checkpoint ... re-record it", and the re-record wrote the golden through the link: the
    # file it pointed to was lost. A link is written through only to a checkpoint (a golden
    # shared by two suites); any other file it reaches is left as it is, the link replaced
    link, _shared = linked
    victim = tmp_path_factory.mktemp("home") / ".bashrc"
    victim.write_text("export PATH=$HOME/bin:$PATH\n")
    link.unlink()
    link.symlink_to(victim)
    replayed = pytester.runpytest()
    replayed.assert_outcomes(failed=1)
    replayed.stdout.fnmatch_lines(["*s.ckpt is not a readable checkpoint*--clearstone-record*"])
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(
        ["*goldens/s.ckpt: replaced a file that was not a readable golden"]
    )
    assert victim.read_text() == "export PATH=$HOME/bin:$PATH\n"
    assert not link.is_symlink() and "an answer to s" in link.read_text(encoding="utf-8")
    assert [p.name for p in victim.parent.iterdir()] == [".bashrc"]  # (no temporary file)
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_folder_of_goldens_linked_to_a_folder_that_is_missing_is_named_not_made(
    pytester: pytest.Pytester, tmp_path_factory: pytest.TempPathFactory
) -> None:
    # A folder of goldens committed as a link to another checkout (goldens -> ../golden-repo/
    # goldens) that is not there. Before the fix: replay said "checkpoint not found ... Record
    # it first", and the recording made the missing folders where the link pointed, outside
    # the checkout, and said "new": the golden was never in the repository
    pytester.syspathinsert()
    _agent(pytester)
    pytester.makepyfile(test_x=MODULE)
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "golden-repo" / "goldens"
    goldens = pytester.path / "goldens"
    try:
        goldens.symlink_to(elsewhere, target_is_directory=True)
    except OSError:  # pragma: no cover - Windows without the symlink privilege
        pytest.skip("symlinks cannot be made here")
    said = f"*{goldens} is a link to '{elsewhere}', which does not exist*"
    replayed = pytester.runpytest()
    replayed.assert_outcomes(failed=1)
    replayed.stdout.fnmatch_lines([said])
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(failed=1)
    recorded.stdout.fnmatch_lines([said + "give the marker another path*"])
    assert not elsewhere.parent.exists()
    elsewhere.mkdir(parents=True)  # (the other checkout, there: written through the link)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert (elsewhere / "test_x" / "test_x.ckpt").is_file()


#: what git writes for a symbolic link where it makes none (core.symlinks=false, the default of
#: Git for Windows): a plain file holding the link's target, with no newline
LINK_FIX = "*git config core.symlinks true*git checkout -- *"


def test_a_golden_link_checked_out_as_a_plain_file_is_named_and_never_recorded_over(
    linked: tuple[Path, Path], pytester: pytest.Pytester
) -> None:
    # Before the fix: replay said "truncated or not JSON (no digit after sign ...). Restore it
    # from version control or re-record it", and the re-record wrote the golden into the file:
    # git, which keeps such a file a link, would commit the golden's text as the link's target
    link, shared = linked
    target = os.readlink(link)
    link.unlink()
    link.write_bytes(target.encode())
    shared_bytes = shared.read_bytes()
    replayed = pytester.runpytest()
    replayed.assert_outcomes(failed=1)
    replayed.stdout.fnmatch_lines(
        [f"*s.ckpt is not a readable checkpoint: it holds only the path '{target}': a symbolic "
         f"link that git checked out as a plain file (core.symlinks false)*{LINK_FIX}"]
    )  # fmt: skip
    replayed.stdout.no_fnmatch_line("*re-record it*")
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(failed=1)
    recorded.stdout.fnmatch_lines([f"*it holds only the path '{target}'*{LINK_FIX}"])
    assert link.read_bytes() == target.encode() and shared.read_bytes() == shared_bytes
    assert main(["show", str(link)]) == 2


def test_the_golden_a_link_checked_out_as_a_plain_file_names_is_used_and_never_pruned(
    linked: tuple[Path, Path], pytester: pytest.Pytester
) -> None:
    # Before the fix: shared/s.ckpt was listed among the goldens no collected test uses, and
    # --clearstone-prune-unused deleted it: the golden every checkout with links replays
    link, shared = linked
    target = os.readlink(link)
    link.unlink()
    link.write_bytes(target.encode())
    pruned = pytester.runpytest("--clearstone-prune-unused")
    pruned.stdout.no_fnmatch_line("*no collected test uses*")
    pruned.stdout.no_fnmatch_line("*deleted*")
    assert shared.is_file() and link.read_bytes() == target.encode()


def test_a_folder_of_goldens_linked_and_checked_out_as_a_plain_file_is_named(
    pytester: pytest.Pytester,
) -> None:
    # Before the fix: "goldens is a file, not a directory. Move it away, then re-record it"
    # (replay) and "Not a directory ... Move it away or give the marker another path, or make
    # its directory writable" (record): moving it away drops the link from the repository
    pytester.syspathinsert()
    _agent(pytester)
    pytester.makepyfile(test_x=MODULE)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    goldens = pytester.path / "goldens"
    goldens.rename(pytester.path / "shared")
    goldens.write_bytes(b"shared")
    for args in ([], ["--clearstone-record"]):
        result = pytester.runpytest(*args)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            [f"*{goldens} holds only the path 'shared': a symbolic link that git checked out as "
             f"a plain file*{LINK_FIX}"]
        )  # fmt: skip
        result.stdout.no_fnmatch_line("*Move it away*")
    assert goldens.read_bytes() == b"shared"
    # the golden the link's folder holds is in use: never pruned
    pytester.runpytest("--clearstone-prune-unused").stdout.no_fnmatch_line("*deleted*")
    assert (pytester.path / "shared" / "test_x" / "test_x.ckpt").is_file()


# -- a run from a subdirectory of the rootdir ---------------------------------------------------
SHARED_FROM_INTEG = """
import pytest
import agent

@pytest.mark.replay("../unit/goldens/shared.ckpt", mock={"llm": "agent.llm"})
def test_shared():
    assert agent.llm("s")
"""


@pytest.fixture
def nested(pytester: pytest.Pytester) -> Path:
    """``tests/unit`` and ``tests/integ``; a test in ``integ`` records a golden under ``unit``."""
    pytester.makeini("[pytest]\npythonpath = .\n")
    _agent(pytester)
    (pytester.path / "tests" / "unit").mkdir(parents=True)
    (pytester.path / "tests" / "integ").mkdir()
    (pytester.path / "tests" / "unit" / "test_unit.py").write_text(MODULE)
    (pytester.path / "tests" / "integ" / "test_shared.py").write_text(SHARED_FROM_INTEG)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    golden = pytester.path / "tests" / "unit" / "goldens" / "shared.ckpt"
    assert golden.is_file()
    return golden


@pytest.mark.parametrize(
    ("args", "why"),
    [
        ((), "collected from tests/unit, not from the rootdir *"),
        ((".",), "file or directory arguments"),
    ],
    ids=["no-args", "dot"],
)
def test_a_run_from_a_subdirectory_is_a_subset(
    nested: Path,
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
    why: str,
) -> None:
    # Before the fix: `cd tests/unit && pytest` (or `pytest .`) was taken for the whole suite:
    # tests/unit/goldens/shared.ckpt was listed unused and prune deleted it.
    monkeypatch.chdir(pytester.path / "tests" / "unit")
    report = pytester.runpytest(*args)
    report.assert_outcomes(passed=1)
    report.stdout.no_fnmatch_line("*no collected test uses*")
    pruned = pytester.runpytest("--clearstone-prune-unused", *args)
    assert pruned.ret == pytest.ExitCode.USAGE_ERROR
    pruned.stderr.fnmatch_lines([f"*--clearstone-prune-unused needs the whole suite*({why})*"])
    assert nested.is_file()


def test_a_run_from_the_rootdir_is_the_whole_suite(
    nested: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    stale = nested.parent / "stale.ckpt"
    stale.write_bytes(nested.read_bytes())
    for args in ((), (".",), (str(pytester.path),)):
        report = pytester.runpytest(*args)
        report.assert_outcomes(passed=2)
        report.stdout.fnmatch_lines(["  tests/unit/goldens/stale.ckpt"])
    # the rootdir given from a subdirectory is the whole suite too
    monkeypatch.chdir(pytester.path / "tests")
    pruned = pytester.runpytest("--clearstone-prune-unused", "..")
    pruned.assert_outcomes(passed=2)
    pruned.stdout.fnmatch_lines(["deleted unused golden unit/goldens/stale.ckpt"])  # (from tests/)
    assert nested.is_file() and not stale.exists()


def test_a_run_from_a_testpaths_entry_is_the_whole_suite(
    nested: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.makeini("[pytest]\npythonpath = .\ntestpaths = tests\n")
    stale = nested.parent / "stale.ckpt"
    stale.write_bytes(nested.read_bytes())
    pytester.runpytest().stdout.fnmatch_lines(["  tests/unit/goldens/stale.ckpt"])
    monkeypatch.chdir(pytester.path / "tests")
    report = pytester.runpytest()  # (pytest uses testpaths only from the rootdir: args = cwd)
    report.assert_outcomes(passed=2)
    report.stdout.fnmatch_lines(["  unit/goldens/stale.ckpt"])  # (named from tests/)


# -- a read-only checkout in CI -----------------------------------------------------------------
TRACED = """
import pytest
import agent

@pytest.mark.replay(mock={"llm": "agent.llm"})
def test_t(replay, clearstone_tracer):
    with clearstone_tracer.span("my step"):
        assert replay.run(agent.llm, "t")
"""


def test_a_replay_whose_trace_store_cannot_be_written_passes_with_a_warning(
    pytester: pytest.Pytester,
) -> None:
    # Before the fix: "1 passed", exit status 1 (a read-only CI checkout failed a green run).
    pytester.syspathinsert()
    _agent(pytester)
    pytester.makepyfile(test_t=TRACED)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    (pytester.path / "blocked").write_text("a file where the store's directory would be")
    result = pytester.runpytest("--clearstone-replay", "--clearstone-db", "blocked/traces.db")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.OK
    result.stdout.fnmatch_lines(
        [
            "1 checkpoint(s) replayed, 0 recorded, 0 diverged",
            "warning: the spans of this replay were not written to the trace store (the "
            "tests' results stand): cannot open the trace store '*blocked/traces.db': *",
        ]
    )


def test_the_trace_store_option_the_warning_gives_keeps_the_projects_ini(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The fix it gave, ``--clearstone-db PATH``, copied (as docs/how-to/replay-in-ci.md wrote
    it: ``pytest --clearstone-db "$RUNNER_TEMP/traces.db"``), took another project: pytest
    chooses the rootdir and ini file before the plugin's options are known, so a value given
    apart from its option, naming a file that exists (the store, from the run before), is a
    test path to it: the rootdir was the store's folder, the project's ini unread."""
    pytester.syspathinsert()
    _agent(pytester)
    pytester.makepyfile(test_t=TRACED)
    pytester.makeini("[pytest]\npythonpath = .\n")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    (pytester.path / "blocked").write_text("a file where the store's directory would be")
    result = pytester.runpytest("--clearstone-replay", "--clearstone-db", "blocked/traces.db")
    result.assert_outcomes(passed=1)
    (warning,) = [line for line in result.stdout.lines if "Point the trace store" in line]
    option = warning.rpartition("elsewhere (")[2].split(" or ")[0]
    store = pytester.path.parent / f"{pytester.path.name}-runner-temp" / "traces.db"
    store.parent.mkdir()
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    for _ in range(2):  # (the second run finds the store the first one made)
        given = option.replace("PATH", str(store)).split(" ")
        again = pytester.runpytest_subprocess(*LEAN_ARGS, "--clearstone-replay", *given)
        again.assert_outcomes(passed=1)
        again.stdout.fnmatch_lines([f"rootdir: {pytester.path}", "configfile: tox.ini"])
    assert store.is_file()


@pytest.mark.parametrize("mode", ["record", "record-missing", "record-diverged"])
def test_a_record_run_whose_trace_store_cannot_be_written_fails(
    pytester: pytest.Pytester, mode: str
) -> None:
    pytester.makepyfile(
        test_traced="""
        def test_traced(clearstone_tracer):
            with clearstone_tracer.span("plan"):
                pass
        """
    )
    (pytester.path / "blocked").write_text("a file where the store's directory would be")
    result = pytester.runpytest(f"--clearstone-mode={mode}", "--clearstone-db", "blocked/t.db")
    result.assert_outcomes(passed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["the spans of this run were not written to the trace store: *"])


# -- what version control leaves in a golden's place --------------------------------------------
TWO = """
import pytest
import agent

@pytest.mark.replay(mock={"llm": "agent.llm"})
def test_t():
    assert agent.llm("t")

@pytest.mark.replay(mock={"llm": "agent.llm"})
def test_other():
    assert agent.llm("o")
"""


@pytest.fixture
def golden(pytester: pytest.Pytester) -> Path:
    pytester.syspathinsert()
    _agent(pytester)
    pytester.makepyfile(test_t=TWO)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    return pytester.path / "goldens" / "test_t" / "test_t.ckpt"


def conflicted(text: str, theirs: str) -> tuple[str, int]:
    """``text`` as git leaves it when both branches changed the line holding ``theirs``'s
    first difference; and the line number of the ``<<<<<<<`` marker."""
    ours_lines, their_lines = text.splitlines(), theirs.splitlines()
    at = next(i for i, (a, b) in enumerate(zip(ours_lines, their_lines, strict=True)) if a != b)
    lines = [
        *ours_lines[:at],
        "<<<<<<< HEAD",
        ours_lines[at],
        "=======",
        their_lines[at],
        ">>>>>>> other",
        *ours_lines[at + 1 :],
    ]
    return "\n".join(lines) + "\n", at + 1


def test_a_golden_with_merge_conflict_markers_says_so_and_names_the_test(
    golden: Path, pytester: pytest.Pytester
) -> None:
    # Before the fix: "truncated or not JSON (unexpected character ...). Restore it from version
    # control or re-record it with: pytest --clearstone-record" (the whole suite, live).
    text = golden.read_text(encoding="utf-8")
    theirs = text.replace("an answer to t", "another answer to t")
    golden.write_text(conflicted(text, theirs)[0], encoding="utf-8")
    line = conflicted(text, theirs)[1]
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            f"test_t.py::test_t: {golden} is not a readable checkpoint: it holds unresolved "
            f"merge-conflict markers (line {line}). Resolve the conflict (or take one side: git "
            f"checkout --theirs -- {golden}, or --ours) or re-record it with: pytest "
            f"--clearstone-record test_t.py::test_t",
        ]
    )
    result.stdout.no_fnmatch_line("*truncated or not JSON*")
    result.stdout.fnmatch_lines(["*, 1 unreadable"])


def test_a_golden_that_is_a_git_lfs_pointer_says_to_fetch_it(
    golden: Path, pytester: pytest.Pytester
) -> None:
    golden.write_text(
        "version https://git-lfs.github.com/spec/v1\n"
        "oid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\n"
        "size 2196\n"
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            f"test_t.py::test_t: {golden} is not a readable checkpoint: it is a Git LFS pointer, "
            f"not the golden. Fetch the file with `git lfs pull` (CI: enable LFS in the "
            f"checkout)",
        ]
    )
    result.stdout.no_fnmatch_line("*re-record*")


def test_any_unreadable_golden_names_the_test_to_re_record(
    golden: Path, pytester: pytest.Pytester
) -> None:
    golden.write_text(golden.read_text(encoding="utf-8")[:200], encoding="utf-8")  # truncated
    result = pytester.runpytest("-k", "test_t and not other")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(
        [
            "test_t.py::test_t: * is not a readable checkpoint: truncated or not JSON (*). "
            "Restore it from version control or re-record it with: pytest --clearstone-record "
            "test_t.py::test_t",
        ]
    )


def test_a_re_record_replaces_a_conflicted_golden(golden: Path, pytester: pytest.Pytester) -> None:
    text = golden.read_text(encoding="utf-8")
    golden.write_text(conflicted(text, text.replace('"t"', '"u"'))[0], encoding="utf-8")
    pytester.runpytest("--clearstone-record", "test_t.py::test_t").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=2)


def test_a_re_record_replaces_a_conflicted_golden_also_for_a_test_asking_for_the_previous(
    golden: Path, pytester: pytest.Pytester
) -> None:
    # Expected: the checkpoint fixture of a record attempt is the previous golden, or None when
    # there is none: a file that is not a readable golden is none, and the recording replaces
    # it. Before the fix the test errored at set-up with the file's problem and the fix
    # "re-record it with: pytest --clearstone-record test_t.py::test_t", the command just run.
    text = golden.read_text(encoding="utf-8")
    golden.write_text(conflicted(text, text.replace('"t"', '"u"'))[0], encoding="utf-8")
    test = pytester.path / "test_t.py"
    test.write_text(
        test.read_text().replace("def test_t():", "def test_t(checkpoint, replay):\n"
        "    assert checkpoint is None and replay.checkpoint is None"),
        encoding="utf-8",
    )  # fmt: skip
    recorded = pytester.runpytest("--clearstone-record", "test_t.py::test_t")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(
        ["  goldens/test_t/test_t.ckpt: replaced a file that was not a readable golden"]
    )
    assert "<<<<<<<" not in golden.read_text(encoding="utf-8")


# -- a UTF-8 byte order mark ------------------------------------------------------------------
BOM = b"\xef\xbb\xbf"


def test_a_golden_saved_with_a_utf8_bom_replays_and_a_re_record_writes_none(
    golden: Path, pytester: pytest.Pytester
) -> None:
    # Before the fix: "not a readable checkpoint: truncated or not JSON (UTF-8 byte order mark
    # (BOM) is not supported ...)"; RFC 8259 lets a parser ignore it.
    golden.write_bytes(BOM + golden.read_bytes())
    pytester.runpytest().assert_outcomes(passed=2)
    recorded = pytester.runpytest("--clearstone-record", "test_t.py::test_t")
    recorded.assert_outcomes(passed=1)
    # the file is written again without the mark, so git shows a change: not "unchanged" (which
    # says the file was left as it was), as before the fix
    recorded.stdout.fnmatch_lines(
        ["  goldens/test_t/test_t.ckpt: layout (behaviour unchanged: the file was written again)"]
    )
    assert not golden.read_bytes().startswith(BOM)
    again = pytester.runpytest("--clearstone-record", "test_t.py::test_t")
    again.stdout.fnmatch_lines(["  goldens/test_t/test_t.ckpt: unchanged"])


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be"], ids=["utf-16-le", "utf-16-be"])
def test_a_golden_saved_as_utf16_replays_and_a_re_record_writes_it_as_utf8(
    golden: Path, pytester: pytest.Pytester, encoding: str
) -> None:
    # Windows PowerShell 5 writes what a command prints as UTF-16 with a byte order mark
    # (`git show HEAD:goldens/x.ckpt > goldens/x.ckpt`, `Out-File`), as Notepad's "Unicode"
    # does. Before the fix: "not UTF-8 text (invalid start byte). Restore it from version
    # control or re-record it": restoring it that way wrote it so again.
    text = golden.read_text(encoding="utf-8")
    mark = b"\xff\xfe" if encoding == "utf-16" else b"\xfe\xff"
    data = text.replace("\n", "\r\n").encode(encoding)
    golden.write_bytes(data if data.startswith(mark) else mark + data)
    pytester.runpytest().assert_outcomes(passed=2)
    assert main(["show", str(golden)]) == 0
    recorded = pytester.runpytest("--clearstone-record", "test_t.py::test_t")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(
        ["  goldens/test_t/test_t.ckpt: layout (behaviour unchanged: the file was written again)"]
    )
    assert golden.read_bytes().decode("utf-8").startswith("{")


def test_an_edited_golden_with_a_bom_is_still_checked_as_edited(
    golden: Path, pytester: pytest.Pytester
) -> None:
    # a merge that kept a key twice is refused; with a BOM in front too
    text = golden.read_text(encoding="utf-8")
    edited = text.replace('  "checkpoint_id": ', '  "span_id": "x",\n  "checkpoint_id": ', 1)
    assert edited != text
    golden.write_bytes(BOM + edited.encode("utf-8"))
    result = pytester.runpytest("test_t.py::test_t")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the key 'span_id' appears twice in one object*"])


def test_show_reads_a_golden_with_a_bom(golden: Path) -> None:
    golden.write_bytes(BOM + golden.read_bytes())
    assert main(["show", str(golden)]) == 0
    assert main(["show", "--canonical", str(golden)]) == 0


def test_diff_against_head_reads_a_golden_committed_with_a_bom(
    golden: Path, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    golden.write_bytes(BOM + golden.read_bytes())
    git = ["git", "-c", "user.email=a@b", "-c", "user.name=a"]
    for command in (["init", "-q"], ["add", str(golden)], ["commit", "-qm", "bom"]):
        subprocess.run([*git, *command], cwd=pytester.path, check=True)
    monkeypatch.chdir(pytester.path)
    assert main(["diff", str(golden)]) == 0


# -- Windows line endings (git core.autocrlf=true) ---------------------------------------------
def _git(cwd: Path, *command: str) -> str:
    git = ["git", "-c", "user.email=a@b", "-c", "user.name=a", "-c", "core.autocrlf=true"]
    done = subprocess.run([*git, *command], cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout


def test_a_golden_checked_out_with_crlf_replays_and_an_unchanged_re_record_leaves_it(
    golden: Path, pytester: pytest.Pytester
) -> None:
    # Expected: a checkout with core.autocrlf=true (the Git for Windows default) writes the
    # goldens with CRLF; they replay, and a re-record of the unchanged agent leaves each file as
    # it was ("unchanged"), so git shows nothing. Before the fix every such golden was written
    # again, with LF and its spans' new times: "layout (behaviour unchanged: the file was
    # written again)" and a changed file in git for each golden of the suite.
    if shutil.which("git") is None:
        pytest.skip("git is not installed")
    _git(pytester.path, "init", "-q")
    _git(pytester.path, "add", str(golden))
    _git(pytester.path, "commit", "-qm", "golden")
    golden.unlink()
    _git(pytester.path, "checkout", "--", str(golden))
    checked_out = golden.read_bytes()
    assert b"\r\n" in checked_out  # (as on Windows)
    pytester.runpytest().assert_outcomes(passed=2)
    recorded = pytester.runpytest("--clearstone-record", "test_t.py::test_t")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(["  goldens/test_t/test_t.ckpt: unchanged"])
    assert golden.read_bytes() == checked_out
    assert _git(pytester.path, "status", "--porcelain", str(golden)) == ""


def test_a_changed_re_record_of_a_crlf_golden_names_what_changed(
    golden: Path, pytester: pytest.Pytester
) -> None:
    golden.write_bytes(golden.read_bytes().replace(b"\n", b"\r\n"))
    _agent(pytester, prefix="another")
    recorded = pytester.runpytest("--clearstone-record", "test_t.py::test_t")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(["  goldens/test_t/test_t.ckpt: llm call #1 to agent.llm answer"])
    assert b"\r" not in golden.read_bytes()


def test_a_re_record_of_a_conflicted_golden_keeps_its_checkpoint_id_and_clock(
    golden: Path, pytester: pytest.Pytester
) -> None:
    # Expected (contract §6.1): a re-record keeps the previous golden's checkpoint id, seeds and
    # clock. Both branches of a merge re-recorded from one golden keep its identity, outside the
    # conflict's lines; the re-record the conflict message advises drew new ones before the fix,
    # so the merge's golden changed in every id, every seeded value and its clock.
    text = golden.read_text(encoding="utf-8")
    before = json.loads(text)
    theirs = text.replace("an answer to t", "another answer to t")
    golden.write_text(conflicted(text, theirs)[0], encoding="utf-8")
    pytester.runpytest("--clearstone-record", "test_t.py::test_t").assert_outcomes(passed=1)
    after = json.loads(golden.read_text(encoding="utf-8"))
    kept = ("checkpoint_id", "timestamp", "span_id")
    assert {k: after[k] for k in kept} == {k: before[k] for k in kept}
    assert after["trace"]["trace_id"] == before["trace"]["trace_id"]


# -- a directory where a golden or its folder should be --------------------------------------
def test_a_golden_that_is_a_directory_says_to_move_it_away_before_re_recording(
    golden: Path, pytester: pytest.Pytester
) -> None:
    # Before the fix: "it is a directory. Restore it from version control or re-record it
    # with: pytest --clearstone-record test_t.py::test_t", and that re-record failed with
    # "cannot write ...: Is a directory".
    golden.unlink()
    (golden / "notes.txt").mkdir(parents=True)
    result = pytester.runpytest("test_t.py::test_t")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"test_t.py::test_t: {golden} is not a readable checkpoint: it is a directory (a "
            f"golden is a file). Move it away, then re-record it with: pytest "
            f"--clearstone-record test_t.py::test_t",
        ]
    )


FOLDER_AS_PATH = """
import pytest
import agent

@pytest.mark.replay("goldens/test_t", mock={"llm": "agent.llm"})
def test_new():
    assert agent.llm("n")
"""


@pytest.mark.parametrize("mode", ["record", "replay"])
def test_a_marker_path_naming_the_folder_of_goldens_is_not_told_to_move_it_away(
    golden: Path, pytester: pytest.Pytester, mode: str
) -> None:
    """A marker given the folder of the goldens (``"goldens/test_t"``, a path as a
    ``CheckpointManager`` takes one; with a trailing ``/`` the set-up refuses it by its form) was
    told to move the directory away (replaying: "Move it
    away, then re-record it"), which moves the other tests' goldens away with it: the fix is
    the marker's path, which names the golden file itself."""
    pytester.makepyfile(test_new=FOLDER_AS_PATH)
    args = ["--clearstone-record"] if mode == "record" else []
    result = pytester.runpytest(*args, "test_new.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*{golden.parent}*directory of goldens*name the golden's file in it "
            f"({golden.parent / 'NAME.ckpt'})*",
        ]
    )
    assert "Move it away" not in result.stdout.str()
    assert golden.is_file()


def test_a_golden_whose_folder_is_a_file_names_that_file(
    golden: Path, pytester: pytest.Pytester
) -> None:
    # Before the fix: "cannot read it (Not a directory). Restore it from version control or
    # re-record it with: ...", and that re-record failed with "cannot write ...: File exists".
    shutil.rmtree(golden.parent)
    golden.parent.write_text("a file where the goldens' folder goes", encoding="utf-8")
    result = pytester.runpytest("test_t.py::test_t")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"test_t.py::test_t: {golden} is not a readable checkpoint: {golden.parent} is a "
            f"file, not a directory. Move it away, then re-record it with: pytest "
            f"--clearstone-record test_t.py::test_t",
        ]
    )


def test_a_record_under_a_folder_that_is_a_file_is_refused_before_the_test_runs(
    golden: Path, pytester: pytest.Pytester
) -> None:
    # Before the fix: the recording made the test's live calls, then failed to write the golden
    # naming a folder that is not there ("cannot write goldens/test_t/test_t.ckpt: Not a
    # directory (goldens/test_t)"), not the file in its place
    goldens = golden.parent.parent
    shutil.rmtree(goldens)
    goldens.write_text("a file where the goldens' folder goes", encoding="utf-8")
    pytester.makepyfile(
        test_t=TWO.replace("def test_t():\n", "def test_t():\n    open('ran', 'w').close()\n")
    )
    result = pytester.runpytest("--clearstone-record", "test_t.py::test_t")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [f"*cannot be written: {goldens} is a file, not a directory. Move it away and record*"]
    )
    assert not (pytester.path / "ran").exists()
    assert goldens.read_text(encoding="utf-8") == "a file where the goldens' folder goes"


@pytest.mark.parametrize("goldens_inside", [False, True])
def test_a_record_where_the_golden_is_a_directory_is_refused_before_the_test_runs(
    golden: Path, pytester: pytest.Pytester, goldens_inside: bool
) -> None:
    # Before the fix: the recording made the test's live calls, then failed to write the golden
    # ("cannot write goldens/test_t/test_t.ckpt: Is a directory"); a file in a folder's place
    # was refused before the test ran, a directory in the golden's own place was not
    golden.unlink()
    golden.mkdir()
    kept = golden / ("other.ckpt" if goldens_inside else "notes.txt")
    kept.write_text("kept", encoding="utf-8")
    pytester.makepyfile(
        test_t=TWO.replace("def test_t():\n", "def test_t():\n    open('ran', 'w').close()\n")
    )
    result = pytester.runpytest("--clearstone-record", "test_t.py::test_t")
    result.assert_outcomes(failed=1)
    fix = "name the golden's file in it" if goldens_inside else "Move it away"
    result.stdout.fnmatch_lines(
        [
            f"*golden {golden} cannot be written: it is a directory*{fix}*",
            "goldens not written (the old file, if any, stays):",
            # (it said "the test failed while recording (Failed)": the test never ran)
            "  test_t.py::test_t: the recording was refused before the test ran",
        ]
    )
    assert not (pytester.path / "ran").exists()
    assert kept.read_text(encoding="utf-8") == "kept"


# -- a FIFO or a device among the goldens -------------------------------------------------------
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="FIFOs are POSIX")
@pytest.mark.parametrize("kind", ["FIFO", "link to a FIFO", "link to a device"])
@pytest.mark.parametrize("prune", [False, True])
def test_a_fifo_or_device_no_test_names_is_no_golden_and_never_waited_on(
    two_modules: dict[str, Path], pytester: pytest.Pytester, kind: str, prune: bool
) -> None:
    # Before the fix: the search for unused goldens at the end of the run opened goldens/odd.ckpt
    # to see whether the plugin wrote it, and opening a FIFO waits for a writer: a passing run
    # hung after its last test (in CI, until the job's time limit). The run is a subprocess with
    # a timeout, so a reader blocked on the FIFO fails the test.
    odd = pytester.path / "goldens" / "odd.ckpt"
    if kind == "FIFO":
        os.mkfifo(odd)
    elif kind == "link to a FIFO":
        os.mkfifo(pytester.path / "pipe")
        odd.symlink_to(pytester.path / "pipe")
    else:
        odd.symlink_to(os.devnull)
    args = ["--clearstone-prune-unused"] if prune else []
    result = pytester.runpytest_subprocess(*LEAN_ARGS, *args, timeout=60)
    result.assert_outcomes(passed=2)
    # the stale golden is still found; the FIFO or device is not a golden: never listed, kept
    stale = "deleted unused golden goldens/stale.ckpt" if prune else "*goldens/stale.ckpt*"
    result.stdout.fnmatch_lines([stale])
    result.stdout.no_fnmatch_line("*odd.ckpt*")
    assert os.path.lexists(odd)


@pytest.mark.parametrize("prune", [False, True])
def test_an_unused_golden_named_with_terminal_codes_is_listed_escaped(
    two_modules: dict[str, Path], pytester: pytest.Pytester, prune: bool
) -> None:
    # Before the fix: the file name of a golden no test uses (from a pull request) reached the
    # terminal summary as it is: its escape sequences recoloured, erased or retitled the
    # terminal or CI log, a bidi override reordered the line
    odd = pytester.path / "goldens" / "odd\x1b[2J\x1b]0;pwned\x07\u202ex.ckpt"
    odd.write_bytes(two_modules["a"].read_bytes())
    args = ["--clearstone-prune-unused"] if prune else []
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=2)
    shown = "goldens/odd\\x1b[2J\\x1b]0;pwned\\x07\\u202ex.ckpt"
    line = f"deleted unused golden {shown}" if prune else f"  {shown}"
    assert line in result.stdout.lines  # (not fnmatch: the name holds brackets)
    assert "\x1b[2J" not in result.stdout.str() and "\u202e" not in result.stdout.str()
    assert odd.exists() is not prune


# -- what a JSON formatter leaves in a golden (pre-commit's pretty-format-json) ----------------
PROFILE_AGENT = """
import json


def llm(prompt):
    return {"zone": "EU", "answer": "re: " + prompt[:12]}


class Agent:
    def __init__(self):
        self.profile = {"name": "Ana", "city": "Lyon"}

    def ask(self, question):
        answer = llm(question + " " + json.dumps(self.profile))
        return llm(json.dumps(answer))["answer"]

    def profile_text(self):
        return llm("profile")["zone"] + " " + json.dumps(self.profile)
"""

PROFILE_TESTS = """
import pytest
import agent

@pytest.mark.replay(mock={"llm": "agent.llm"})
def test_ask(replay):
    replay.run(agent.Agent().ask, "hello")

@pytest.mark.replay(mock={"llm": "agent.llm"})
def test_text(replay):
    replay.run(agent.Agent().profile_text)
"""


def pretty_format_json(text: str, indent: int = 2, ensure_ascii: bool = True) -> str:
    """``text`` as pre-commit-hooks' ``pretty-format-json --autofix`` writes it (v5): every
    object's keys sorted (its default, without ``--no-sort-keys``), ``--indent`` 2 by default."""

    def pairs_first(pairs: list[tuple[str, object]]) -> dict[str, object]:
        return dict(sorted(pairs))

    loaded = json.loads(text, object_pairs_hook=pairs_first)
    return json.dumps(loaded, indent=indent, ensure_ascii=ensure_ascii) + "\n"


@pytest.fixture
def profiled(pytester: pytest.Pytester) -> Path:
    pytester.syspathinsert()
    pytester.makepyfile(agent=PROFILE_AGENT, test_p=PROFILE_TESTS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    return pytester.path / "goldens" / "test_p"


@pytest.mark.parametrize("indent", [2, 4])
def test_a_golden_whose_keys_a_formatter_sorted_names_the_formatter_not_the_agent(
    profiled: Path, pytester: pytest.Pytester, indent: int
) -> None:
    # Expected: pre-commit's pretty-format-json --autofix (on goldens named .json, or with the
    # hook's types widened) sorts the keys of every object; the agent's state comes back in that
    # order, and an agent that writes it into a prompt or its result diverges in the order of its
    # items only. The failure names the formatter and the fix (leave the goldens out of it,
    # restore the file). Before the fix it blamed the agent's code: "If they come from a set
    # (...) sort them before they reach it: a re-record would differ again on the next run."
    for golden in profiled.iterdir():
        golden.write_text(pretty_format_json(golden.read_text("utf-8"), indent), "utf-8")
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    told = (
        "*Only the order of the items differs, and the golden has the keys of every object in "
        "alphabetical order, as a JSON formatter that sorts them writes it (pre-commit's "
        "pretty-format-json --autofix without --no-sort-keys, jq -S, python -m json.tool "
        "--sort-keys): the agent's state and the recorded answers are given back in that order, "
        "not in the order they were recorded in. Leave the goldens out of the formatter (in "
        ".pre-commit-config.yaml, exclude: goldens/ on its hook), then restore the file from "
        "before it ran (git checkout COMMIT -- PATH) or re-record it.*"
    )
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*", told])  # (the prompt: test_ask)
    result.stdout.fnmatch_lines(["*GoldenMismatchError*", told])  # (the result: test_text)
    result.stdout.no_fnmatch_line("*sort them before they reach it*")


def test_a_golden_a_formatter_rewrote_without_sorting_its_keys_replays(
    profiled: Path, pytester: pytest.Pytester
) -> None:
    # pretty-format-json --autofix --no-sort-keys --indent 4 --no-ensure-ascii: layout only
    for golden in profiled.iterdir():
        loaded = json.loads(golden.read_text("utf-8"))
        golden.write_text(json.dumps(loaded, indent=4, ensure_ascii=False) + "\n", "utf-8")
    pytester.runpytest().assert_outcomes(passed=2)


def test_items_in_another_order_in_an_unsorted_golden_still_name_a_set(
    profiled: Path, pytester: pytest.Pytester
) -> None:
    # a golden whose own objects keep the recorded order: the agent's result changed order
    agent = pytester.path / "agent.py"
    text = agent.read_text("utf-8")
    reordered = '" " + json.dumps(dict(reversed(self.profile.items())))'
    agent.write_text(text.replace('" " + json.dumps(self.profile)', reordered), "utf-8")
    result = pytester.runpytest("-k", "test_text")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(["*Only the order of the items differs. If they come from a set*"])
    result.stdout.no_fnmatch_line("*alphabetical*")


@pytest.mark.parametrize("sort_keys", [False, True], ids=["layout", "sorted-keys"])
def test_a_re_record_of_a_golden_a_formatter_rewrote_writes_it_back_as_it_was(
    profiled: Path, pytester: pytest.Pytester, sort_keys: bool
) -> None:
    # Expected: once the goldens are left out of the formatter, re-recording the unchanged agent
    # writes each golden back byte for byte as it was before the formatter ran, so git shows
    # no change against that commit. Before the fix the re-record wrote the layout back, but
    # with its spans' newly measured times (two lines a span), and, after a formatter that
    # sorted the keys, with each call's arguments in the formatter's order (a re-record keeps
    # the previous golden's order of arguments' keys).
    golden = profiled / "test_ask.ckpt"
    written = golden.read_bytes()
    text = written.decode("utf-8")
    if sort_keys:
        golden.write_text(pretty_format_json(text, indent=4), "utf-8")
    else:  # pretty-format-json --autofix --no-sort-keys --indent 4 --no-ensure-ascii
        golden.write_text(json.dumps(json.loads(text), indent=4, ensure_ascii=False) + "\n")
    recorded = pytester.runpytest("--clearstone-record", "test_p.py::test_ask")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(
        ["  goldens/test_p/test_ask.ckpt: layout (behaviour unchanged: the file was written again)"]
    )
    assert golden.read_bytes() == written
