"""Every project in examples/ replays green, re-records green, and replays its new goldens.

Each example is copied to a temporary directory (its own ``pytest.ini`` makes the copy its
rootdir) and run in a fresh interpreter three times: replay (the committed goldens), record
(``--clearstone-record``: the live stand-in services, goldens rewritten), replay again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

# Imported once here: pytester's in-process runs drop the modules each run imported, so
# without this every run would import the replay machinery (deepdiff, time-machine) again;
# for the same reason the runs leave out hypothesis's plugin, which the examples do not use.
import pytest_clearstone.golden.replay  # noqa: F401
from tests.inner_runs import LEAN_ARGS

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"

#: example directory -> number of golden checkpoints its tests replay
GOLDENS = {
    "async_agent": 1,
    "openai_travel_agent": 2,
    "performance_debugging": 1,
    "production_failure": 1,
    "research_agent": 1,
    "support_agent": 2,
}

_ARGS = (*LEAN_ARGS, "-q")
_SUMMARY = re.compile(r"(\d+) checkpoint\(s\) replayed, (\d+) recorded, (\d+) diverged")


def test_readme_main_job_replays_every_example() -> None:
    """The README's main job, ``python -m pytest examples`` from the repository root."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "examples", "-q", "-p", "no:cacheprovider"],
        cwd=EXAMPLES.parent,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    match = _SUMMARY.search(proc.stdout)
    assert match, proc.stdout
    assert tuple(int(n) for n in match.groups()) == (sum(GOLDENS.values()), 0, 0)


def test_every_example_directory_is_covered() -> None:
    found = {p.name for p in EXAMPLES.iterdir() if p.is_dir() and (p / "README.md").is_file()}
    assert found == set(GOLDENS)


def _counts(result: pytest.RunResult) -> tuple[int, ...]:
    output = result.stdout.str()
    assert result.ret == 0, output + result.stderr.str()
    match = _SUMMARY.search(output)
    assert match, f"no clearstone summary in:\n{output}"
    return tuple(int(n) for n in match.groups())


def _golden_ids(project: Path) -> dict[str, str]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8"))["checkpoint_id"]
        for p in sorted((project / "goldens").glob("*.ckpt"))
    }


def _span_times(project: Path, name: str) -> list[int]:
    doc = json.loads((project / "goldens" / name).read_text(encoding="utf-8"))
    return [span["start_time_ns"] for span in doc["trace"]["spans"]]


@pytest.mark.parametrize("name", sorted(GOLDENS))
def test_example_replays_records_and_replays_again(
    name: str, pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = pytester.path / name
    shutil.copytree(
        EXAMPLES / name,
        project,
        ignore=shutil.ignore_patterns("__pycache__", ".clearstone", ".pytest_cache", "*.db*"),
    )
    monkeypatch.chdir(project)
    goldens = GOLDENS[name]
    committed = _golden_ids(project)
    times = {f: _span_times(project, f) for f in committed}
    assert len(committed) == goldens

    counts = _counts(pytester.runpytest_inprocess(*_ARGS))
    assert counts == (goldens, 0, 0)

    counts = _counts(pytester.runpytest_inprocess(*_ARGS, "--clearstone-record"))
    assert counts == (0, goldens, 0)
    rerecorded = _golden_ids(project)
    # rewritten (their measured span times are new) with the same checkpoint ids: a re-record
    # keeps what only randomness chose
    assert rerecorded == committed
    assert all(_span_times(project, f) != times[f] for f in committed), "goldens not rewritten"

    counts = _counts(pytester.runpytest_inprocess(*_ARGS))
    assert counts == (goldens, 0, 0)


@pytest.mark.parametrize("name", sorted(GOLDENS))
def test_example_replays_in_its_directory_with_the_test_extras(name: str, tmp_path: Path) -> None:
    """``pytest`` in the example's directory, as its README says, with every plugin installed.

    The README's second install line (``.[test]``) brings pytest-asyncio, whose start-up warning
    the example's ``filterwarnings = error`` turned into an INTERNALERROR.
    """
    pytest.importorskip("pytest_asyncio")
    project = tmp_path / name
    shutil.copytree(EXAMPLES / name, project, ignore=shutil.ignore_patterns("__pycache__"))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    match = _SUMMARY.search(proc.stdout)
    assert match, proc.stdout
    assert tuple(int(n) for n in match.groups()) == (GOLDENS[name], 0, 0)
