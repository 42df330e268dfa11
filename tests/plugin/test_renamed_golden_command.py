"""The command a message gives to keep a renamed or moved test's golden (no live call) works as
given: ``git mv`` where git tracks the golden, ``mv`` where it does not (outside a repository,
or a golden not added yet: ``git mv`` refuses it, "not under version control"), and the new
golden's folder made first where it is not there yet (a test moved to a module that has no
goldens: ``git mv`` and ``mv`` both fail, "No such file or directory")."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

LIVE = """
def complete(prompt):
    with open("live_calls.txt", "a") as f:
        f.write("x")
    return f"answer to {prompt}"
"""

HEAD = """
import pytest
import live

"""

FIRST = """
@pytest.mark.replay(mock={"llm": "live.complete"})
def test_first(replay):
    assert replay.run(live.complete, "one") == "answer to one"
"""

SECOND = """
@pytest.mark.replay(mock={"llm": "live.complete"})
def test_second(replay):
    assert replay.run(live.complete, "two") == "answer to two"
"""

MARK = "keep it (no live call) with: "
#: the same for the folder of a module's goldens that moves whole (one command, not one a golden)
FOLDER_MARK = "keep them (no live call) with: "


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_suite=HEAD + FIRST + SECOND)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    (pytester.path / "live_calls.txt").unlink()
    return pytester


def _git(pytester: pytest.Pytester, *args: str) -> None:
    done = subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", *args],
        cwd=pytester.path,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


def _commit_all(pytester: pytest.Pytester) -> None:
    _git(pytester, "init", "-q")
    _git(pytester, "add", ".")
    _git(pytester, "commit", "-q", "-m", "recorded")


def _commands(result: pytest.RunResult) -> list[str]:
    """The commands of the summary's lines naming renamed tests' old goldens, or their folder."""
    return [
        line.split(mark, 1)[1]
        for line in result.outlines
        for mark in (MARK, FOLDER_MARK)
        if mark in line
    ]


def _kept_with(result: pytest.RunResult, where: Path) -> str:
    """The command of the summary line naming the renamed test's old golden, run as given in
    ``where`` (the directory pytest ran in)."""
    commands = _commands(result)
    assert len(commands) == 1, result.stdout.str()
    command = commands[0]
    done = subprocess.run(
        command, shell=True, cwd=where, capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, f"{command}: {done.stderr}"
    return command


def _moved(suite: pytest.Pytester) -> None:
    """test_second moved to a new module, which has no goldens yet."""
    suite.makepyfile(test_suite=HEAD + FIRST, test_moved=HEAD + SECOND)


def _renamed(suite: pytest.Pytester) -> None:
    suite.makepyfile(test_suite=HEAD + FIRST + SECOND.replace("test_second", "test_later"))


def _replays_without_a_live_call(suite: pytest.Pytester, plain: int = 0) -> None:
    suite.runpytest().assert_outcomes(passed=2 + plain)
    assert not (suite.path / "live_calls.txt").exists()


def test_a_test_moved_to_a_new_module_is_given_a_command_that_makes_the_golden_s_folder(
    suite: pytest.Pytester,
) -> None:
    _commit_all(suite)
    _moved(suite)
    result = suite.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    command = _kept_with(result, suite.path)
    assert command == (
        "mkdir -p goldens/test_moved && git mv goldens/test_suite/test_second.ckpt "
        "goldens/test_moved/test_second.ckpt"
    )
    _replays_without_a_live_call(suite)


def test_outside_a_git_repository_the_command_is_mv(suite: pytest.Pytester) -> None:
    _renamed(suite)
    result = suite.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    command = _kept_with(result, suite.path)
    assert command == "mv goldens/test_suite/test_second.ckpt goldens/test_suite/test_later.ckpt"
    _replays_without_a_live_call(suite)


def test_a_golden_git_does_not_track_yet_is_renamed_with_mv(suite: pytest.Pytester) -> None:
    _git(suite, "init", "-q")  # (a repository, the goldens recorded but not added)
    _renamed(suite)
    result = suite.runpytest()
    assert _kept_with(result, suite.path).startswith("mv goldens/test_suite/test_second.ckpt ")
    _replays_without_a_live_call(suite)


def test_a_golden_git_tracks_is_renamed_with_git_mv(suite: pytest.Pytester) -> None:
    _commit_all(suite)
    _renamed(suite)
    result = suite.runpytest()
    command = _kept_with(result, suite.path)
    assert command == (
        "git mv goldens/test_suite/test_second.ckpt goldens/test_suite/test_later.ckpt"
    )
    _replays_without_a_live_call(suite)


def test_a_test_module_moved_to_another_directory_is_given_the_command_that_moves_its_goldens(
    suite: pytest.Pytester,
) -> None:
    # tests moved from test_suite.py to agents/test_suite.py: their goldens were listed as
    # unused, and no pair was named (neither in one folder nor in sibling folders)
    suite.makepyfile(test_stays="def test_plain():\n    pass\n")
    _commit_all(suite)
    (suite.path / "agents").mkdir()
    _git(suite, "mv", "test_suite.py", "agents/test_suite.py")
    result = suite.runpytest()
    result.assert_outcomes(passed=1, failed=2)
    commands = _commands(result)
    # (all the module's goldens move: one command for their folder, since probe-f14)
    assert commands == [
        "mkdir -p agents/goldens && git mv goldens/test_suite agents/goldens/test_suite"
    ]
    for command in commands:
        done = subprocess.run(command, shell=True, cwd=suite.path, check=False)
        assert done.returncode == 0, command
    _replays_without_a_live_call(suite, plain=1)


LOCAL_CLASS = """
import dataclasses

import pytest

import live


@dataclasses.dataclass
class Answer:
    text: str


def ask(prompt):
    return Answer(live.complete(prompt))


@pytest.mark.replay(mock={"llm": "live.complete"})
def test_local(replay):
    assert replay.run(ask, "one").text == "answer to one"
"""


def test_a_golden_kept_for_a_renamed_module_that_holds_its_class_names_the_old_module(
    pytester: pytest.Pytester,
) -> None:
    # a test module renamed (test_out.py to test_output.py) whose test returns a class defined in
    # it (a structured output's pydantic model): the golden kept with the command given names
    # the class by the old module, and its replay blamed a library or package "installed
    # nowhere" for it; it names the test module the golden was recorded from, and the fix
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_out=LOCAL_CLASS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    (pytester.path / "test_out.py").rename(pytester.path / "test_output.py")
    _kept_with(pytester.runpytest(), pytester.path)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    text = " ".join(result.stdout.str().split())
    assert (
        "'test_out' is the module of the test it was recorded from, test_out.py::test_local, "
        "renamed or moved since: a class defined in a test module is stored by that module's "
        "name, and the golden holds one. Re-record it with: pytest --clearstone-record "
        "test_output.py::test_local"
    ) in text, text
    assert "installed here" not in text, text


def test_re_recording_a_renamed_test_s_kept_golden_changes_only_the_test_s_name(
    suite: pytest.Pytester,
) -> None:
    """After the ``mv`` the summary gives, re-recording the unchanged agent wrote every span's
    measured times anew and the summary named ``spans`` as changed: the test's own span is named
    after its node id, which the rename changed, and the spans were then not "the same but for
    their times". The test's name is ``metadata (test)``; the times stay as they were."""
    _renamed(suite)
    _kept_with(suite.runpytest(), suite.path)
    golden = suite.path / "goldens" / "test_suite" / "test_later.ckpt"
    before = golden.read_text().splitlines()
    result = suite.runpytest("--clearstone-record")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["  goldens/test_suite/test_later.ckpt: metadata (test)"])
    after = golden.read_text().splitlines()
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert changed, "the golden names the test by its new name"
    assert all("test_later" in new or '"file_bytes"' in new for _, new in changed), changed
