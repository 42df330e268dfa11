"""A golden path longer than a file name may be (255 bytes on most file systems) or than a path
may be (4096 bytes on Linux): no file can have it, so the messages say that and the fix that
works — a shorter path — not to record it, restore it or move it away."""

from __future__ import annotations

import textwrap

import pytest

APP = """
def complete(prompt):
    return prompt.upper()
"""

TESTS = """
import pytest
import app

@pytest.mark.replay("goldens/" + "x" * 300 + ".ckpt", mock={"llm": "app.complete"})
def test_long_name(replay):
    assert replay.run(app.complete, "hello")

@pytest.mark.replay("/".join(["d" * 200] * 25) + "/g.ckpt", mock={"llm": "app.complete"})
def test_long_path(replay):
    assert replay.run(app.complete, "hello")
"""


@pytest.mark.parametrize("with_folder", [False, True], ids=["no-folder", "folder-made"])
@pytest.mark.parametrize("mode", ["replay", "record", "record-missing", "record-diverged"])
def test_a_golden_path_too_long_for_a_file_says_so_and_to_shorten_it(
    pytester: pytest.Pytester, mode: str, with_folder: bool
) -> None:
    # Before the fix a replay said "checkpoint not found ... Record it first with: pytest
    # --clearstone-record ..." (or, once goldens/ existed, "not a readable checkpoint: cannot
    # read it (File name too long). Restore it from version control or re-record it"), and the
    # recording "File name too long. Move it away or give the marker another path, or make its
    # directory writable": no recording, restore or move can make such a file.
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS))
    if with_folder:
        (pytester.path / "goldens").mkdir()
    # (record-missing and record-diverged used to fail in set-up, with pathlib's traceback:
    # "OSError: [Errno 36] File name too long")
    result = pytester.runpytest(f"--clearstone-mode={mode}", "--clearstone-db", ":memory:")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines_random(
        [
            "*test_it.py::test_long_name: *goldens/xxx*.ckpt*: its file name is 305 bytes long, "
            "more than a file name may be here (255 bytes). Give the marker a shorter path*",
            "*test_it.py::test_long_path: *dddd*/g.ckpt*: it is 5* bytes long, more than a path "
            "may be here (4096 bytes). Give the marker a shorter path*",
        ]
    )
    for told in (
        "Record it first",
        "re-record it",
        "Restore it",
        "Move it away",
        "writable",
        "Errno",
    ):
        result.stdout.no_fnmatch_line(f"*{told}*")
    assert not list(pytester.path.rglob("*.ckpt"))
