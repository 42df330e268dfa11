"""Replay benchmark: a deterministic context with one target and 10 replayed calls.

Ours: build and enter ``DeterministicExecutionContext`` (clock frozen, random and uuid4 seeded)
with one target answered from 10 recorded calls, ``strict=True`` so every call's arguments are
compared with the recorded input, make the 10 calls, leave. Baseline, measured in the same run:
``unittest.mock.patch(target, side_effect=list)`` + ``time_machine.travel(tick=False)`` + the
same 10 calls (no argument matching, no seeding). Target: <= 0.5x. The floor (attribute swap +
iterator) and a bare time-machine enter/exit are printed for information.

    python benchmarks/run.py replay
"""

from __future__ import annotations

import datetime as dt
import gc
import sys
import time
from typing import Any
from unittest import mock

import time_machine
from _harness import Result

from pytest_clearstone.debugging import DeterministicExecutionContext, RecordedCall, Responses
from pytest_clearstone.tracing.span import Recorded

CALLS = 10
LOOPS = 200
ROUNDS = 15
WHEN = dt.datetime(2024, 1, 15, 12, 0, tzinfo=dt.timezone.utc)
TARGET = f"{__name__}.llm"


def llm(prompt: str, temperature: float = 0.0) -> str:
    """The live function; never called while a benchmark patches it."""
    raise AssertionError("live llm() called")


_module = sys.modules[__name__]
_PROMPTS = [f"prompt number {i}" for i in range(CALLS)]
_ANSWERS = [f"answer {i}" for i in range(CALLS)]
_RESPONSES = Responses(
    [
        RecordedCall(
            # as the recorder writes it: the default temperature was not given, so not recorded
            input=Recorded.of({"prompt": p}),
            output=Recorded.of(a),
            span_id=f"span{i}",
        )
        for i, (p, a) in enumerate(zip(_PROMPTS, _ANSWERS, strict=True))
    ]
)


def _calls() -> None:
    for prompt, answer in zip(_PROMPTS, _ANSWERS, strict=True):
        if _module.llm(prompt) != answer:
            raise AssertionError("wrong answer")


def ours() -> None:
    with DeterministicExecutionContext(WHEN, {TARGET: _RESPONSES}, strict=True):
        _calls()


def baseline() -> None:
    with mock.patch(TARGET, side_effect=list(_ANSWERS)), time_machine.travel(WHEN, tick=False):
        _calls()


def floor() -> None:
    answers = iter(_ANSWERS)
    original = _module.llm
    _module.llm = lambda prompt, temperature=0.0: next(answers)  # type: ignore[assignment]
    try:
        _calls()
    finally:
        _module.llm = original  # type: ignore[assignment]


def travel_only() -> None:
    with time_machine.travel(WHEN, tick=False):
        pass


def _us(fn: Any) -> float:
    start = time.perf_counter()
    for _ in range(LOOPS):
        fn()
    return (time.perf_counter() - start) / LOOPS * 1e6


def _interleaved(*fns: Any) -> list[float]:
    """Microseconds per call of each of ``fns``: fastest of interleaved rounds (noisy machine)."""
    for fn in fns:
        fn()
    best = [float("inf")] * len(fns)
    for r in range(ROUNDS):
        gc.collect()
        order = list(enumerate(fns))
        if r % 2:
            order.reverse()
        for i, fn in order:
            best[i] = min(best[i], _us(fn))
    return best


def run() -> list[Result]:
    o, b, f, t = _interleaved(ours, baseline, floor, travel_only)
    return [
        Result(
            f"context + {CALLS} strict replayed calls",
            o,
            "mock.patch + time_machine + calls",
            b,
            "us",
            target=0.5,
        ),
        Result("context + calls (info)", o, "floor: attribute swap + iterator", f, "us"),
        Result("context + calls (info)", o, "time_machine.travel enter/exit", t, "us"),
    ]
