"""The run's mode: what each test attempt does under it, and the mode flags of the arguments
(the command line, PYTEST_ADDOPTS, the ini's addopts)."""

from __future__ import annotations

import re

import pytest

from pytest_clearstone.golden.mode import Mode, attempt_action, mode_given, modes_in


@pytest.mark.parametrize(
    ("mode", "exists", "writes", "action"),
    [
        (Mode.REPLAY, False, True, Mode.REPLAY),
        (Mode.RECORD, True, True, Mode.RECORD),
        (Mode.RECORD, False, False, Mode.REPLAY),  # a marker without mock only reads
        (Mode.RECORD_MISSING, True, True, Mode.REPLAY),
        (Mode.RECORD_MISSING, False, True, Mode.RECORD),
        (Mode.RECORD_DIVERGED, True, True, Mode.REPLAY),  # replays first
        (Mode.RECORD_DIVERGED, False, True, Mode.RECORD),
    ],
)
def test_what_an_attempt_does_under_each_mode(
    mode: Mode, exists: bool, writes: bool, action: Mode
) -> None:
    assert attempt_action(mode, golden_exists=exists, writes=writes) is action


@pytest.mark.parametrize(
    ("args", "found"),
    [
        (["--clearstone-mode", "record-missing"], [("--clearstone-mode", Mode.RECORD_MISSING)]),
        (["--clearstone-mode=record"], [("--clearstone-mode", Mode.RECORD)]),
        (["--clearstone-mode", "nope"], []),  # (left to pytest's parser)
        (["--clearstone-mode=", "record"], []),  # (an empty value: "record" is a file argument)
        (["--clearstone-record=x"], []),
        (["-k", "x", "--", "--clearstone-record"], []),  # after --: not an option
        (
            ["--clearstone-replay", "-q", "--clearstone-record"],
            [("--clearstone-replay", Mode.REPLAY), ("--clearstone-record", Mode.RECORD)],
        ),
    ],
)
def test_the_mode_flags_of_the_arguments(args: list[str], found: list[tuple[str, Mode]]) -> None:
    assert modes_in(args) == found


def test_the_source_that_overrides_the_others_chooses_the_mode() -> None:
    sources = [
        ("on the command line", ["-q"]),
        ("in PYTEST_ADDOPTS", ["--clearstone-record", "--clearstone-mode=record"]),
        ("in the ini's addopts", ["--clearstone-replay"]),
    ]
    assert mode_given(sources) is Mode.RECORD
    assert mode_given([("on the command line", ["-q"])]) is None


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (
            ["--clearstone-replay", "--clearstone-record"],
            "--clearstone-record and --clearstone-replay choose different modes (replay, record)",
        ),
        (
            ["--clearstone-mode=record", "--clearstone-mode", "replay"],
            "--clearstone-mode=record and --clearstone-mode=replay choose different modes "
            "(record, replay)",
        ),
    ],
)
def test_two_different_modes_in_one_source_are_named(args: list[str], named: str) -> None:
    with pytest.raises(ValueError, match="^" + re.escape(f"{named} on the command line: ")) as info:
        mode_given([("on the command line", args)])
    assert "(the command line overrides PYTEST_ADDOPTS" in str(info.value)
