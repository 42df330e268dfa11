"""A golden is read only from a regular file: a path that is a device or a FIFO is refused before
anything is read (a repository can hold a symlink to ``/dev/zero``, endless, or a FIFO, which
blocks the reader until something writes to it)."""

from __future__ import annotations

import os
import stat
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone.cli import main
from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.errors import CheckpointCorruptError
from pytest_clearstone.golden import files
from pytest_clearstone.golden.atomic import atomic_write_text
from pytest_clearstone.golden.checkpoint import Checkpoint
from pytest_clearstone.golden.files import NotARegularFileError, open_regular, read_file
from pytest_clearstone.golden.identity import read_previous
from pytest_clearstone.golden.signing import checkpoint_trust, sign_file
from pytest_clearstone.inspection import load_checkpoint

pytestmark = pytest.mark.skipif(
    sys.platform == "win32" or not os.path.exists(os.devnull) or not hasattr(os, "mkfifo"),
    reason="devices and FIFOs are POSIX",
)


def _device(tmp_path: Path) -> Path:
    """A golden that is a symlink to a character device (``/dev/null``: reads as empty, so a
    reader that is not refused says "empty" instead of hanging, as ``/dev/zero`` would)."""
    path = tmp_path / "device.ckpt"
    path.symlink_to(os.devnull)
    return path


def _fifo(tmp_path: Path) -> Path:
    path = tmp_path / "fifo.ckpt"
    os.mkfifo(path)
    return path


def _without_blocking(read: Callable[[], Any], fifo: Path | None = None) -> Any:
    """``read()``'s result or raised exception; a reader still blocked after 10 s on ``fifo``
    is released (something is written to it) and the test fails."""
    outcome: list[Any] = []

    def run() -> None:
        try:
            outcome.append(read())
        except BaseException as exc:  # handed to the test
            outcome.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(10)
    if thread.is_alive():
        assert fifo is not None
        fd = os.open(fifo, os.O_WRONLY | os.O_NONBLOCK)
        os.write(fd, b"not json")
        os.close(fd)
        thread.join(10)
        pytest.fail("the reader blocked on a FIFO")
    return outcome[0]


def test_read_file_reads_a_regular_file_whole(tmp_path: Path) -> None:
    path = tmp_path / "g.ckpt"
    path.write_bytes(b"x" * 100_000)
    assert read_file(path) == b"x" * 100_000
    link = tmp_path / "link.ckpt"
    link.symlink_to(path)  # a symlink to a regular file is read as usual
    assert read_file(link) == b"x" * 100_000


def test_read_file_reads_a_large_file_whole_after_looking_at_its_end(tmp_path: Path) -> None:
    # (a file over 1 MiB is looked at its end first, for NUL bytes: then read from its start)
    path = tmp_path / "g.ckpt"
    text = b'{"x": "' + b"y" * (2 << 20) + b'"}\n'
    path.write_bytes(text)
    assert read_file(path) == text


def test_read_file_reads_a_file_that_grew_after_its_size_was_taken_to_its_end(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "g.ckpt"
    path.write_bytes(b"0123456789" * 10)

    def taken_earlier(name: Path) -> tuple[int, int]:
        fd, size = open_regular(name)
        return fd, size - 20  # (the size it had before its last 20 bytes were written)

    monkeypatch.setattr(files, "open_regular", taken_earlier)
    assert read_file(path) == b"0123456789" * 10


@pytest.mark.parametrize(("make", "kind"), [(_device, "character device"), (_fifo, "FIFO")])
def test_read_file_refuses_a_device_or_a_fifo_before_reading(
    tmp_path: Path, make: Callable[[Path], Path], kind: str
) -> None:
    path = make(tmp_path)
    error = _without_blocking(lambda: read_file(path), path)
    assert isinstance(error, NotARegularFileError)
    assert isinstance(error, OSError)
    assert error.strerror == f"a {kind}, not a regular file"
    assert error.filename == str(path)


def test_read_file_says_a_directory_is_one(tmp_path: Path) -> None:
    with pytest.raises(IsADirectoryError):
        read_file(tmp_path)


@pytest.mark.parametrize(("make", "kind"), [(_device, "character device"), (_fifo, "FIFO")])
@pytest.mark.parametrize(
    "reader",
    [
        "Checkpoint.read",
        "CheckpointManager.load_checkpoint",
        "inspection.load_checkpoint",
        "checkpoint_trust",
        "sign_file",
    ],
)
def test_every_golden_reader_names_the_file_and_what_it_is(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make: Callable[[Path], Path],
    kind: str,
    reader: str,
) -> None:
    monkeypatch.setenv("CLEARSTONE_SIGNING_KEY", "k" * 32)
    path = make(tmp_path)
    read = {
        "Checkpoint.read": lambda: Checkpoint.read(path),
        "CheckpointManager.load_checkpoint": lambda: CheckpointManager().load_checkpoint(path),
        "inspection.load_checkpoint": lambda: load_checkpoint(path),
        "checkpoint_trust": lambda: checkpoint_trust(path),
        "sign_file": lambda: sign_file(path),
    }[reader]
    error = _without_blocking(read, path)
    if reader == "sign_file":  # (documented: an unreadable file raises the OSError)
        assert isinstance(error, NotARegularFileError), repr(error)
        assert error.filename == str(path)
        assert error.strerror == f"a {kind}, not a regular file"
        return
    assert isinstance(error, CheckpointCorruptError), repr(error)
    assert str(path) in str(error)
    assert f"cannot read it (a {kind}, not a regular file)" in str(error)


@pytest.mark.parametrize("make", [_device, _fifo])
def test_recording_again_over_a_device_or_fifo_finds_no_previous_golden(
    tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    path = make(tmp_path)
    assert _without_blocking(lambda: read_previous(path), path) is None


@pytest.mark.parametrize("make", [_device, _fifo])
@pytest.mark.parametrize("command", ["show", "show --canonical", "upgrade"])
def test_cli_commands_refuse_a_device_or_fifo_golden(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    make: Callable[[Path], Path],
    command: str,
) -> None:
    path = make(tmp_path)
    name, *options = command.split()
    argv = [name, *options, str(path if name == "show" else tmp_path)]
    code = _without_blocking(lambda: main(argv), path)
    assert code == 2, repr(code)
    shown = "".join(capsys.readouterr())
    assert str(path) in shown
    assert "not a regular file" in shown


@pytest.mark.parametrize("make", [_device, _fifo])
def test_prune_leaves_a_device_or_fifo_unread_and_in_place(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], make: Callable[[Path], Path]
) -> None:
    path = make(tmp_path)
    code = _without_blocking(lambda: main(["prune", str(tmp_path), "--older-than", "0"]), path)
    assert code == 0, repr(code)
    assert os.path.lexists(path)
    assert "deleted 0 of 0 checkpoint file(s)" in capsys.readouterr().out


def test_recording_over_a_link_to_a_fifo_replaces_the_link_not_the_fifo(tmp_path: Path) -> None:
    # Expected (docs/explanation/threat-model.md): "recording over it replaces the link or FIFO
    # itself, never writing through it". Before the fix the write followed the link: the FIFO
    # it pointed to (outside the goldens, or a device such as /dev/zero when run as root) was
    # replaced by the golden.
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    fifo = elsewhere / "fifo"
    os.mkfifo(fifo)
    link = tmp_path / "goldens" / "x.ckpt"
    link.parent.mkdir()
    link.symlink_to(fifo)
    atomic_write_text(link, "new")
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert not link.is_symlink() and link.read_text() == "new"


def test_recording_over_a_link_into_a_missing_directory_creates_none(tmp_path: Path) -> None:
    # a link the repository holds must not make the recording create directories elsewhere
    link = tmp_path / "x.ckpt"
    link.symlink_to(tmp_path / "nowhere" / "deep" / "x.ckpt")
    atomic_write_text(link, "new")
    assert not (tmp_path / "nowhere").exists()
    assert not link.is_symlink() and link.read_text() == "new"


def _directory(tmp_path: Path) -> Path:
    return tmp_path


def _open_descriptors() -> int:
    return len(os.listdir("/proc/self/fd" if os.path.isdir("/proc/self/fd") else "/dev/fd"))


@pytest.mark.parametrize("make", [_device, _fifo, _directory])
def test_a_refused_golden_leaves_no_descriptor_open(
    tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    # (a session refusing many goldens would run out of descriptors: "Too many open files")
    path = make(tmp_path)
    before = _open_descriptors()
    for _ in range(20):
        assert isinstance(_without_blocking(lambda: read_file(path), path), OSError)
    assert _open_descriptors() == before
