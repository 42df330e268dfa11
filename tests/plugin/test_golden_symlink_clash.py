"""Two tests whose goldens are one file, reached through a symlinked directory (a
``goldens`` folder linked to another's, a test directory linked into the suite), are a
collection error when recording, like two tests naming one path: the second recording
replaced the first's, and the first then diverged on replay."""

from __future__ import annotations

import os

import pytest

APP = """
def llm(prompt):
    return "ok " + prompt
"""

TEST = """
import pytest

import app


@pytest.mark.replay(mock={{"llm": "app.llm"}})
def test_call():
    assert app.llm({prompt!r}).startswith("ok")
"""


def test_goldens_shared_through_a_symlinked_directory_are_a_collection_error(
    pytester: pytest.Pytester,
) -> None:
    # Expected: recording, the two tests are a collection error naming both, the golden and
    # the symlink (the integration test's recording replaced the unit test's, which then
    # diverged on replay: `'ok unit' -> ...`)
    if not hasattr(os, "symlink"):
        pytest.skip("no symlinks")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP)
    for name in ("unit", "integration"):
        directory = pytester.path / "tests" / name
        directory.mkdir(parents=True)
        (directory / "__init__.py").write_text("")
        (directory / "test_api.py").write_text(TEST.format(prompt=name))
    (pytester.path / "tests" / "unit" / "goldens").mkdir()
    try:
        (pytester.path / "tests" / "integration" / "goldens").symlink_to(
            pytester.path / "tests" / "unit" / "goldens", target_is_directory=True
        )
    except OSError:
        pytest.skip("symlinks not allowed here")
    result = pytester.runpytest("--clearstone-record")
    result.stdout.fnmatch_lines(
        [
            "*tests/integration/test_api.py::test_call and tests/unit/test_api.py::test_call "
            "would both record the golden *test_call.ckpt (also reached as *goldens*): one file, "
            "reached through a symlink: give each test its own path (@pytest.mark.replay(PATH, "
            "...)), or leave one of them out of the collection (--ignore)",
        ]
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED
    assert not list((pytester.path / "tests" / "unit" / "goldens").rglob("*.ckpt"))
