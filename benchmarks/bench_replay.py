"""Replay benchmark: a deterministic context with one target and 10 replayed calls.

Ours: build and enter ``DeterministicExecutionContext`` (clock frozen, random and uuid4 seeded)
with one target answered from 10 recorded calls, ``strict=True`` so every call's arguments are
compared with the recorded input, make the 10 calls, leave. Baseline, measured in the same run:
``unittest.mock.patch(target, side_effect=list)`` + ``time_machine.travel(tick=False)`` + the
same 10 calls (no argument matching, no seeding). Target: <= 0.5x. The floor (attribute swap +
iterator) and a bare time-machine enter/exit are printed for information. With
``--instructions`` (on ``run.py``) the 10 calls and their baseline are also counted in
instructions per round (``_harness.instructions_per_call``; same target).

Long replay (issue 16): the same context with ``10,000`` recorded calls, replayed strictly, next to
a bare ``mock.patch(target, side_effect=fn)`` whose ``fn`` makes the same argument check (the
call's arguments, as a dict, ``==`` the recorded ones) and returns the recorded answer; no clock,
no seeding. Target: <= 1.2x (min/median/max of the per-round ratios).

    python benchmarks/run.py replay [--quick] [--instructions]
"""

from __future__ import annotations

import datetime as dt
import gc
import sys
import time
from typing import Any
from unittest import mock

import _harness
import time_machine
from _harness import Result, spread

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


LONG = 10_000
LONG_ROUNDS = 7
_LONG_PROMPTS = [f"prompt number {i}: what next?" for i in range(LONG)]
_LONG_ANSWERS = [f"answer {i}: do the next step" for i in range(LONG)]
_LONG_RESPONSES = Responses(
    [
        RecordedCall(input=Recorded.of({"prompt": p}), output=Recorded.of(a), span_id=f"s{i}")
        for i, (p, a) in enumerate(zip(_LONG_PROMPTS, _LONG_ANSWERS, strict=True))
    ]
)


def _long_calls() -> None:
    llm = _module.llm
    for prompt, answer in zip(_LONG_PROMPTS, _LONG_ANSWERS, strict=True):
        if llm(prompt) != answer:
            raise AssertionError("wrong answer")


def long_ours() -> None:
    with DeterministicExecutionContext(WHEN, {TARGET: _LONG_RESPONSES}, strict=True):
        _long_calls()


def long_baseline() -> None:
    expected = iter(zip(_LONG_PROMPTS, _LONG_ANSWERS, strict=True))

    def answer(prompt: str, temperature: float = 0.0) -> str:
        recorded_prompt, recorded_answer = next(expected)
        if {"prompt": prompt} != {"prompt": recorded_prompt}:
            raise AssertionError(f"diverged: {prompt!r}")
        return recorded_answer

    with mock.patch(TARGET, side_effect=answer):
        _long_calls()


def _long_pair(rounds: int) -> tuple[list[float], list[float]]:
    """Milliseconds of each round of ``long_ours`` and ``long_baseline``, interleaved."""
    long_ours(), long_baseline()  # warm up
    ours: list[float] = []
    theirs: list[float] = []
    for r in range(rounds):
        gc.collect()
        pair = [(long_ours, ours), (long_baseline, theirs)]
        for fn, out in reversed(pair) if r % 2 else pair:
            start = time.perf_counter()
            fn()
            out.append((time.perf_counter() - start) * 1e3)
    return ours, theirs


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


def instruction_subjects() -> dict[str, Any]:
    """The functions ``--instructions`` counts, by name (``_harness.instructions_per_call``)."""
    return {"ours": ours, "baseline": baseline}


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
    lo, lb = _long_pair(3 if _harness.QUICK else LONG_ROUNDS)
    long_results = [
        Result(
            f"context + {LONG:,} strict replayed calls",
            min(lo),
            "mock.patch(side_effect=same arg check)",
            min(lb),
            "ms",
            target=1.2,
            spread=spread([a / b for a, b in zip(lo, lb, strict=True)]),
        )
    ]
    return [
        *long_results,
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
        *(_instruction_results() if _harness.INSTRUCTIONS else []),
    ]


def _instruction_results() -> list[Result]:
    ours_k, baseline_k = (
        _harness.instructions_per_call(__name__, "instruction_subjects", name, LOOPS) / 1e3
        for name in ("ours", "baseline")
    )
    return [
        Result(
            f"context + {CALLS} strict calls, instructions",
            ours_k,
            "mock.patch + time_machine, instructions",
            baseline_k,
            "k",
            target=0.5,
        )
    ]
