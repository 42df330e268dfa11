"""Modes and golden formats: a record run never overwrites a golden of a newer format (it
would drop what this release cannot read); two different modes on the command line are a
usage error; ``--clearstone-fresh`` applies only to recording."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import pytest

from pytest_clearstone.golden.document import FORMAT_VERSION

APP = """
def complete(prompt):
    return prompt.upper()
"""

TESTS = """
import pytest
import app

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_a(replay):
    assert replay.run(app.complete, "hello") == "HELLO"
"""

GOLDEN = ("goldens", "test_it", "test_a.ckpt")


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS))
    return pytester


def _golden(pytester: pytest.Pytester) -> Path:
    return pytester.path.joinpath(*GOLDEN)


# -- a golden of a newer format ----------------------------------------------------------------
def _newer_golden(suite: pytest.Pytester) -> tuple[Path, bytes]:
    """The suite's golden, recorded, then made a newer release's: a higher format version and
    a field this release does not know."""
    suite.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = _golden(suite)
    doc = json.loads(golden.read_text(encoding="utf-8"))
    doc["format_version"] = FORMAT_VERSION + 1
    doc["from_the_future"] = {"kept": True}
    golden.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return golden, golden.read_bytes()


@pytest.mark.parametrize("mode", ["record", "record-diverged", "record-missing"])
def test_recording_never_overwrites_a_golden_of_a_newer_format(
    suite: pytest.Pytester, mode: str
) -> None:
    golden, before = _newer_golden(suite)
    result = suite.runpytest(f"--clearstone-mode={mode}")
    result.assert_outcomes(failed=1)
    assert golden.read_bytes() == before
    newer = FORMAT_VERSION + 1
    result.stdout.no_fnmatch_line("*unchanged*")
    if mode == "record":
        result.stdout.fnmatch_lines(
            [
                f"*test_a.ckpt was written by a newer pytest-clearstone (format {newer};*"
                f" upgrade pytest-clearstone, or delete the file to record it again",
                "goldens not written (the old file, if any, stays):",
                "  test_it.py::test_a: *",
            ]
        )
    else:  # replayed first, which fails reading it: not a divergence, so not re-recorded
        result.stdout.fnmatch_lines(
            [f"*test_a.ckpt has checkpoint format version {newer}*upgrade pytest-clearstone*"]
        )


def test_recording_overwrites_a_golden_of_an_older_format(suite: pytest.Pytester) -> None:
    """The version error of an old golden says to re-record it: recording does."""
    suite.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = _golden(suite)
    doc = json.loads(golden.read_text(encoding="utf-8"))
    doc["format_version"] = 0
    golden.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    suite.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert json.loads(golden.read_text(encoding="utf-8"))["format_version"] == FORMAT_VERSION


def test_recording_overwrites_a_golden_that_is_not_a_readable_checkpoint(
    suite: pytest.Pytester,
) -> None:
    suite.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = _golden(suite)
    doc = json.loads(golden.read_text(encoding="utf-8"))
    doc["format_version"] = str(FORMAT_VERSION)
    golden.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    suite.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert json.loads(golden.read_text(encoding="utf-8"))["format_version"] == FORMAT_VERSION


# -- modes given more than once ------------------------------------------------------------------
def _add_to_addopts(monkeypatch: pytest.MonkeyPatch, *args: str) -> None:
    """Append ``args`` to ``PYTEST_ADDOPTS`` (which already holds the lean inner-run options)."""
    import os

    monkeypatch.setenv("PYTEST_ADDOPTS", " ".join([os.environ.get("PYTEST_ADDOPTS", ""), *args]))


@pytest.mark.parametrize(
    "args",
    [
        ("--clearstone-mode=replay", "--clearstone-mode=record-missing"),
        ("--clearstone-mode", "replay", "--clearstone-mode", "record-missing"),
    ],
    ids=["equals", "separate"],
)
def test_two_modes_on_the_command_line_are_a_usage_error_naming_both(
    suite: pytest.Pytester, args: tuple[str, ...]
) -> None:
    result = suite.runpytest(*args)
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "*--clearstone-mode=replay and --clearstone-mode=record-missing choose different "
            "modes*on the command line*"
        ]
    )
    assert not _golden(suite).exists()


def test_the_command_line_overrides_a_mode_in_pytest_addopts(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_to_addopts(monkeypatch, "--clearstone-mode=record-missing")
    result = suite.runpytest("--clearstone-mode=replay")
    result.stdout.fnmatch_lines(["clearstone: mode=replay, *"])
    result.assert_outcomes(failed=1)  # replayed: its golden is missing
    assert not _golden(suite).exists()


def test_the_command_line_overrides_a_mode_in_the_ini_addopts(suite: pytest.Pytester) -> None:
    suite.makeini("[pytest]\naddopts = --clearstone-record\n")
    result = suite.runpytest("--clearstone-replay")
    result.stdout.fnmatch_lines(["clearstone: mode=replay, *"])
    result.assert_outcomes(failed=1)


def test_the_command_line_overrides_the_ini_option_clearstone_mode(
    suite: pytest.Pytester,
) -> None:
    suite.makeini("[pytest]\nclearstone_mode = record\n")
    result = suite.runpytest("--clearstone-replay")
    result.stdout.fnmatch_lines(["clearstone: mode=replay, *"])
    result.assert_outcomes(failed=1)  # replayed: its golden is missing
    assert not _golden(suite).exists()


def test_pytest_addopts_overrides_a_mode_in_the_ini_addopts(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    suite.makeini("[pytest]\naddopts = --clearstone-mode=replay\n")
    _add_to_addopts(monkeypatch, "--clearstone-record")
    result = suite.runpytest()
    result.stdout.fnmatch_lines(["clearstone: mode=record, *"])
    result.assert_outcomes(passed=1)


def test_two_modes_in_pytest_addopts_are_a_usage_error(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _add_to_addopts(monkeypatch, "--clearstone-record", "--clearstone-mode=record-diverged")
    result = suite.runpytest("--clearstone-replay")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--clearstone-record and --clearstone-mode choose different modes*PYTEST_ADDOPTS*"]
    )


def test_modes_in_reads_both_spellings_and_stops_at_the_separator() -> None:
    from pytest_clearstone.golden.mode import Mode, modes_in

    args = ["-k", "record", "--clearstone-mode", "record", "--clearstone-replay"]
    args += ["--clearstone-mode=record-missing", "--", "--clearstone-record"]
    assert modes_in(args) == [
        ("--clearstone-mode", Mode.RECORD),
        ("--clearstone-replay", Mode.REPLAY),
        ("--clearstone-mode", Mode.RECORD_MISSING),
    ]


# -- --clearstone-fresh ------------------------------------------------------------------------
def test_fresh_without_recording_is_a_usage_error(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--clearstone-fresh")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--clearstone-fresh applies only to recording*--clearstone-record*"]
    )


@pytest.mark.parametrize("mode", ["record", "record-missing", "record-diverged"])
def test_fresh_is_taken_by_every_recording_mode(suite: pytest.Pytester, mode: str) -> None:
    suite.runpytest(f"--clearstone-mode={mode}", "--clearstone-fresh").assert_outcomes(passed=1)
