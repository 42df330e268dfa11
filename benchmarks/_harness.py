"""Shared pieces of the benchmarks: timing with repeats, and the result line format."""

from __future__ import annotations

import gc
import os
import re
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

# set by ``run.py --quick`` (or a module's own ``--quick``): fewer tests, sizes and rounds
QUICK = False

# set by ``run.py --instructions`` (or a module's own): the whole-process benchmarks also count
# each process's instructions (see :func:`count_instructions`)
INSTRUCTIONS = False


@dataclass
class Result:
    """One figure next to its baseline measured in the same run."""

    name: str
    value: float
    baseline_name: str
    baseline: float
    unit: str
    target: float | None = None  # the ratio value/baseline must stay at or under this
    # (min, median, max) of the ratio over interleaved rounds; the median is then the ratio
    spread: tuple[float, float, float] | None = None

    @property
    def ratio(self) -> float:
        if self.spread is not None:
            return self.spread[1]
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def verdict(self) -> str:
        if self.target is None:
            return ""
        return "ok" if self.ratio <= self.target else "MISSED"

    def line(self) -> str:
        target = f"target <= {self.target:g}x" if self.target is not None else ""
        line = (
            f"{self.name:<48} {self.value:>11.3f} {self.unit:<6} | {self.baseline_name:<40} "
            f"{self.baseline:>11.3f} {self.unit:<6} | {self.ratio:>6.3f}x {target} {self.verdict}"
        )
        if self.spread is not None:
            lo, mid, hi = self.spread
            line += f" [ratio min/median/max {lo:.3f}/{mid:.3f}/{hi:.3f}]"
        return line.rstrip()


#: the pytest arguments of a benchmarked inner run: quiet, and without the plugins of this
#: environment that only cost start-up time (they are not the plugins being measured)
PYTEST_ARGS = [
    "-q",
    "-p",
    "no:cacheprovider",
    "-p",
    "no:hypothesispytest",
    "-p",
    "no:randomly",
    "-p",
    "no:langsmith_plugin",
    "-p",
    "no:anyio",
    "-p",
    "no:check",  # (pytest-check, in the test extra: not a peer of any suite here)
    "-p",
    "no:asyncio",  # (pytest-asyncio, in the test extra: not a peer either; warns at start-up)
    "-p",
    "no:socket",  # (pytest-socket, in the test extra: patches socket around every test)
    "-p",
    "no:django",  # (pytest-django, in the test extra: imports Django's settings machinery)
    "-p",
    "no:rerunfailures",  # (pytest-rerunfailures, in the test extra: wraps every test's run)
    "-p",
    "no:timeout",  # (pytest-timeout, in the test extra: a timer hook around every test)
]


#: the repository's root, put on the benchmarked processes' PYTHONPATH: pytest rewrites the
#: modules of a plugin it finds on ``sys.path``, as for a wheel install, while an editable
#: install's import hook would hide them from it (and the figures would leave that cost out)
REPO_ROOT = Path(__file__).resolve().parent.parent


def child_env(*paths: Path) -> dict[str, str]:
    """The environment of a benchmarked ``pytest`` process, as users run it: bytecode caches
    written (this sandbox sets PYTHONDONTWRITEBYTECODE), no PYTEST_ADDOPTS, and ``paths`` then
    :data:`REPO_ROOT` on PYTHONPATH."""
    env = {**os.environ}
    env.pop("PYTEST_ADDOPTS", None)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    parts = (*map(str, paths), str(REPO_ROOT), env.get("PYTHONPATH"))
    env["PYTHONPATH"] = os.pathsep.join(p for p in parts if p)
    return env


def spread(values: Sequence[float]) -> tuple[float, float, float]:
    """(min, median, max) of ``values``."""
    return min(values), statistics.median(values), max(values)


def best_of(fn: Callable[[], float], repeats: int = 5) -> float:
    """The median of ``repeats`` runs of ``fn`` (which returns its own measured figure)."""
    values = []
    for _ in range(repeats):
        gc.collect()
        values.append(fn())
    return statistics.median(values)


def per_call_us(fn: Callable[[], object], n: int) -> float:
    """Microseconds per call of ``fn`` over ``n`` calls."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n * 1e6


def count_instructions(cmd: Sequence[str], cwd: Path, env: dict[str, str]) -> int:
    """The number of instructions the process ``cmd`` executes, counted by valgrind's callgrind
    (about 50x slower than a plain run): unlike CPU time, machine load cannot move it. Hash
    randomisation is fixed and ``cmd`` runs once before, uncounted, so that bytecode caches are
    written; the count then varies by ~0.01% from run to run."""
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise RuntimeError("counting instructions needs valgrind on PATH (apt install valgrind)")
    env = {**env, "PYTHONHASHSEED": "0"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    subprocess.run(list(cmd), cwd=cwd, env=env, capture_output=True, check=True)
    done = subprocess.run(
        [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *cmd],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
    )
    found = re.search(r"Collected\s*:\s*(\d+)", done.stderr)
    if done.returncode != 0 or found is None:
        raise RuntimeError(f"valgrind failed in {cwd}:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return int(found.group(1))


def instructions_per_call(module: str, factory: str, name: str, loops: int) -> float:
    """The instructions one call of the benchmark function ``name`` executes, counted by
    valgrind (:func:`count_instructions`) as the difference between a process making
    ``2 * loops`` calls and one making ``loops``: start-up, imports and set-up cancel out.
    ``factory`` is a function of the benchmark ``module`` returning its functions by name.

    A figure noise cannot move, given beside the timed one, not in its place: a baseline that
    is a C parser runs more instructions per cycle than Python code does, so a ratio against
    one reads lower in instructions than in time."""
    code = (
        f"import sys; sys.path.insert(0, {str(Path(__file__).resolve().parent)!r}); "
        f"import {module} as m; f = m.{factory}()[{name!r}]; f(); "
        "[f() for _ in range(int(sys.argv[1]))]"
    )
    counts = [
        count_instructions([sys.executable, "-c", code, str(n)], REPO_ROOT, child_env())
        for n in (loops, 2 * loops)
    ]
    return (counts[1] - counts[0]) / loops
