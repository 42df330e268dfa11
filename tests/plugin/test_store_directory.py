"""The plugin's own directory, ``.clearstone/`` under the rootdir (the default trace store's),
holds a ``.gitignore`` ignoring everything in it, written when the plugin makes the directory,
as pytest does for ``.pytest_cache``: a project committing with ``git add -A`` does not commit
its trace store. A directory that exists is left as it is (a ``.gitignore`` of the user's own in
it is never overwritten)."""

from __future__ import annotations

import pytest

APP = """
def llm(prompt):
    return "ok " + prompt
"""

TESTS = """
import pytest

import app


@pytest.mark.replay(mock={"llm": "app.llm"})
def test_ask():
    assert app.llm("hi") == "ok hi"
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=TESTS)
    return pytester


def test_the_store_directory_made_holds_a_gitignore_of_everything(
    project: pytest.Pytester,
) -> None:
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    directory = project.path / ".clearstone"
    assert (directory / "traces.db").is_file()
    lines = (directory / ".gitignore").read_text().splitlines()
    assert lines[-1] == "*"
    assert all(line.startswith("#") for line in lines[:-1])
    project.runpytest().assert_outcomes(passed=1)
    assert (directory / ".gitignore").read_text().splitlines() == lines


def test_a_gitignore_of_ones_own_is_kept(project: pytest.Pytester) -> None:
    directory = project.path / ".clearstone"
    directory.mkdir()
    (directory / ".gitignore").write_text("traces.db-wal\n")
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert (directory / ".gitignore").read_text() == "traces.db-wal\n"


def test_a_store_elsewhere_gets_no_gitignore(project: pytest.Pytester) -> None:
    project.runpytest("--clearstone-record", "--clearstone-db=data/traces.db").assert_outcomes(
        passed=1
    )
    assert (project.path / "data" / "traces.db").is_file()
    assert not (project.path / "data" / ".gitignore").exists()
    assert not (project.path / ".clearstone").exists()
