"""A pure path of the platform's own flavour (a ``PurePosixPath`` on Linux: an object key in a
bucket, a path on a remote machine) used to read back from a golden as a concrete ``Path``: an
agent telling local files from remote ones by ``isinstance(p, Path)`` took a recorded remote key
for a local file when replaying, and the replay of an unchanged agent failed. A pure path is now
stored with its flavour and read back as the pure path it was."""

from __future__ import annotations

from pathlib import Path, PurePosixPath, PureWindowsPath

import pytest

from pytest_clearstone.codec import TAG, dumps, encode, loads

APP = """
from pathlib import Path, PurePosixPath


def list_bucket(prefix):
    return [PurePosixPath(prefix) / "report.csv"]


class Syncer:
    def __init__(self):
        self.seen = []
        self.where = []

    def run(self, prefix):
        for key in list_bucket(prefix):
            self.seen.append(key)
            self.where.append("local" if isinstance(key, Path) else "remote")
        return self.where
"""

TEST = """
import pytest
from sync_app import Syncer


@pytest.mark.replay("goldens/sync.ckpt", mock={"tool": "sync_app.list_bucket"})
def test_sync(replay):
    assert replay.run(Syncer().run, "exports/2024") == ["remote"]
"""


def test_a_pure_path_answer_replays_as_the_pure_path_it_was(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(sync_app=APP, test_sync=TEST)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1)


@pytest.mark.parametrize(
    "path", [PurePosixPath("exports/a.csv"), PurePosixPath("/srv/a"), PureWindowsPath("C:\\a")]
)
def test_a_pure_path_reads_back_as_its_class(path: PurePosixPath | PureWindowsPath) -> None:
    back = loads(dumps(encode(path)))
    assert back == path and type(back) is type(path)
    assert encode(Path("a/b")) == {TAG: "path", "v": "a/b"}  # a concrete path: as before
    assert type(loads(dumps(encode(Path("a/b"))))) is type(Path("a/b"))
