"""Shared pieces of the benchmarks: timing with repeats, and the result line format."""

from __future__ import annotations

import gc
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# set by ``run.py --quick`` (or a module's own ``--quick``): fewer tests, sizes and rounds
QUICK = False


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
]


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
