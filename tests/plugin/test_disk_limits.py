"""A record run on a full disk, or past the file size limit (``ulimit -f``): the golden that
cannot be written fails its test naming the file and a fix that works, the old golden stays
byte for byte, and no temporary file is left beside it."""

from __future__ import annotations

import sys
import textwrap

import pytest

from tests.inner_runs import LEAN_ARGS

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX")

APP = """
import os

def complete(prompt):
    return prompt.upper() + os.environ.get("ANSWER_SUFFIX", "")
"""

TESTS = """
import pytest
import app

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay):
    assert replay.run(app.complete, "hello")
"""

# Python ignores SIGXFSZ: a write past the limit fails with EFBIG ("File too large"), as one on
# a full disk fails with ENOSPC
LIMIT = """
import os
import resource

if os.environ.get("FILE_SIZE_LIMIT"):
    limit = int(os.environ["FILE_SIZE_LIMIT"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
"""


def test_a_golden_past_the_file_size_limit_names_the_limit_not_the_directory(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: "File too large" is not fixed by moving the golden away or making its directory
    # writable (what the message said); it names the disk space and the file size limit.
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS))
    pytester.makeconftest(LIMIT)
    args = (*LEAN_ARGS, "--clearstone-record", "--clearstone-db", ":memory:")
    pytester.runpytest_subprocess(*args).assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_it" / "test_a.ckpt"
    before = golden.read_bytes()
    monkeypatch.setenv("ANSWER_SUFFIX", "!" * 4000)
    monkeypatch.setenv("FILE_SIZE_LIMIT", str(len(before) + 100))
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_it.py::test_a: the golden checkpoint was not written: cannot write "
            "*goldens/test_it/test_a.ckpt: File too large. Free space on its disk or raise the "
            "file size limit (ulimit -f)*",
        ]
    )
    result.stdout.no_fnmatch_line("*make its directory writable*")
    result.stdout.no_fnmatch_line("*Traceback*")
    assert golden.read_bytes() == before
    assert sorted(p.name for p in golden.parent.iterdir()) == ["test_a.ckpt"]
