"""A golden that ends in NUL bytes — a sparse file (``truncate -s 2G``), space preallocated and
never written, a copy cut short by a full disk — is refused as such, naming the file, without
reading its gigabytes: every reader said "truncated or not JSON" only after reading the whole
file into memory, twice over (a 2 GB sparse golden took a minute and 10 GB of memory, or died
with a bare ``MemoryError`` under a CI container's memory limit)."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_clearstone.cli import main
from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.errors import CheckpointCorruptError
from pytest_clearstone.golden.checkpoint import Checkpoint
from pytest_clearstone.golden.files import ZeroFilledError, read_file
from pytest_clearstone.golden.identity import read_previous
from pytest_clearstone.golden.signing import checkpoint_trust
from tests.unit.test_golden_files_git import _saved

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="sparse files are made so on POSIX")

PROBLEM = "it ends in NUL bytes"


def _zero_filled(tmp_path: Path, size: int) -> Path:
    """A golden as written, then extended with a hole to ``size`` bytes (reads as NULs)."""
    path = _saved(tmp_path)
    with open(path, "r+b") as handle:
        handle.truncate(size)
    return path


@pytest.mark.parametrize("size", [8 << 10, 64 << 20])
@pytest.mark.parametrize(
    "reader", ["Checkpoint.read", "CheckpointManager.load_checkpoint", "checkpoint_trust"]
)
def test_every_reader_says_a_golden_ends_in_nul_bytes(
    tmp_path: Path, size: int, reader: str
) -> None:
    path = _zero_filled(tmp_path, size)
    read = {
        "Checkpoint.read": lambda: Checkpoint.read(path),
        "CheckpointManager.load_checkpoint": lambda: CheckpointManager().load_checkpoint(path),
        "checkpoint_trust": lambda: checkpoint_trust(path),
    }[reader]
    with pytest.raises(CheckpointCorruptError) as caught:
        read()
    assert str(path) in str(caught.value)
    assert PROBLEM in caught.value.problem, caught.value.problem


def test_recording_again_over_a_zero_filled_golden_finds_no_previous_one(tmp_path: Path) -> None:
    assert read_previous(_zero_filled(tmp_path, 64 << 20)) is None


def test_a_2_gb_sparse_golden_is_refused_without_reading_it(tmp_path: Path) -> None:
    """Under a 1 GB address-space limit (a CI container's), reading it whole would fail."""
    path = _zero_filled(tmp_path, 2 << 30)
    script = textwrap.dedent(
        f"""
        import resource
        from pathlib import Path
        from pytest_clearstone.golden.checkpoint import Checkpoint
        from pytest_clearstone.errors import CheckpointCorruptError
        resource.setrlimit(resource.RLIMIT_AS, (1 << 30, 1 << 30))
        try:
            Checkpoint.read(Path({str(path)!r}))
        except CheckpointCorruptError as exc:
            print(exc)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert str(path) in done.stdout
    assert PROBLEM in done.stdout


@pytest.mark.parametrize("command", ["show", "show --canonical"])
def test_show_names_a_golden_that_ends_in_nul_bytes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    path = _zero_filled(tmp_path, 64 << 20)
    assert main([*command.split(), str(path)]) == 2
    shown = capsys.readouterr().err
    assert f"{path} is not a readable checkpoint: {PROBLEM}" in shown, shown


def test_a_large_golden_of_nul_bytes_and_a_line_break_is_refused_unread(tmp_path: Path) -> None:
    # (a tool that ends every file it touches with a line break: still never filled)
    path = _zero_filled(tmp_path, 8 << 20)
    with open(path, "ab") as handle:
        handle.write(b"\n")
    with pytest.raises(ZeroFilledError):
        read_file(path)


def test_a_small_golden_of_nul_bytes_and_a_line_break_is_named_once_it_did_not_parse(
    tmp_path: Path,
) -> None:
    # (a small one is read, and named so when its text did not parse, line break or not)
    path = _zero_filled(tmp_path, 8 << 10)
    with open(path, "ab") as handle:
        handle.write(b"\n")
    with pytest.raises(CheckpointCorruptError, match=PROBLEM):
        Checkpoint.read(path)


@pytest.mark.parametrize("nuls", [1, 40], ids=["one", "a few"])
def test_a_golden_just_over_1_mib_cut_short_by_nul_bytes_is_refused_unread(
    tmp_path: Path, nuls: int
) -> None:
    """(its last 64 bytes begin with its text: only its very end is NUL bytes)"""
    path = tmp_path / "g.ckpt"
    path.write_bytes(b"[" + b"1," * (1 << 19) + b"\0" * nuls)
    assert path.stat().st_size > 1 << 20
    with pytest.raises(ZeroFilledError):
        read_file(path)
