"""The failure path: the state delta of one deep change in a large state (issue 16).

Two states of ~1 MB and ~10 MB (JSON) -- conversations of messages with nested metadata -- and
a copy of each with one leaf changed deep inside (the middle conversation, a message's
``meta.scores[2]``). Ours: ``str(StateDelta(a, b))``, the message a failing replay shows.
Baseline, measured in the same run: ``a == b`` on the same two states (it stops at the
difference, as the delta could). Target: <= 50x. ``==`` on two equal copies (a whole walk) is
printed for information.

Each figure is the mean over enough repeats for 0.2 s (at least one call). Rounds interleave the
two; each round's ratio is reported as min/median/max. The 10 MB delta may
take tens of seconds per round, so its rounds stop once ``BUDGET_S`` is spent (at least one).

    python benchmarks/run.py delta            # 1 MB and 10 MB
    python benchmarks/run.py delta --quick    # 1 MB only, 2 rounds
"""

from __future__ import annotations

import gc
import json
import time
from typing import Any

import _harness
from _harness import Result, spread

from pytest_clearstone.diff import StateDelta

ROUNDS = 5
BUDGET_S = 90.0  # per size: stop adding rounds past this
MESSAGES_PER_CONVERSATION = 10


def make_state(megabytes: float) -> dict[str, Any]:
    """An agent state of about ``megabytes`` MB of JSON."""

    def message(c: int, m: int) -> dict[str, Any]:
        return {
            "role": "user" if m % 2 == 0 else "assistant",
            "content": f"conversation {c} message {m}: " + "the parcel arrived damaged " * 6,
            "meta": {
                "tokens": 40 + (c + m) % 17,
                "tags": ["support", f"c{c}", f"m{m}"],
                "scores": [0.1 * (m % 7), 0.5, 0.25, 1.0],
                "tool": None if m % 3 else {"name": "search", "args": {"q": f"order {c}"}},
            },
        }

    one = len(json.dumps(message(0, 0))) * MESSAGES_PER_CONVERSATION + 40
    count = int(megabytes * 1024 * 1024 / one)
    return {
        "agent": "support",
        "conversations": [
            {
                "id": c,
                "messages": [message(c, m) for m in range(MESSAGES_PER_CONVERSATION)],
            }
            for c in range(count)
        ],
        "totals": {"conversations": count},
    }


def _copy(state: dict[str, Any]) -> dict[str, Any]:
    """An equal state sharing no objects (strings included), as a golden decoded from its file
    is to the replayed agent's state: ``==`` then compares every string's characters."""
    return json.loads(json.dumps(state))


def _changed(state: dict[str, Any]) -> tuple[dict[str, Any], str]:
    other = _copy(state)
    middle = len(other["conversations"]) // 2
    other["conversations"][middle]["messages"][5]["meta"]["scores"][2] = 0.75
    return other, f"['conversations'][{middle}]['messages'][5]['meta']['scores'][2]"


def _per_call_ms(fn: Any) -> float:
    """Milliseconds per call of ``fn``, over enough repeats for 0.2 s (at least one)."""
    loops, total = 0, 0.0
    while total < 0.2:
        start = time.perf_counter()
        fn()
        total += time.perf_counter() - start
        loops += 1
    return total / loops * 1e3


def _eq_ms(a: Any, b: Any) -> float:
    return _per_call_ms(lambda: a == b)


def _check(a: Any, b: Any, path: str) -> None:
    message = str(StateDelta(a, b))
    if path not in message or "0.25" not in message or "0.75" not in message:
        raise AssertionError(f"unexpected delta message: {message[:500]}")


def _delta_ms(a: Any, b: Any) -> float:
    return _per_call_ms(lambda: str(StateDelta(a, b)))


def _one_size(megabytes: float, rounds: int) -> list[Result]:
    a = make_state(megabytes)
    b, path = _changed(a)
    twin = _copy(a)
    size_mb = len(json.dumps(a)) / 1024 / 1024
    deltas: list[float] = []
    eqs: list[float] = []
    equal: list[float] = []
    started = time.perf_counter()
    _check(a, b, path)  # the message names the change; also warms up (imports, caches)
    for r in range(rounds):
        gc.collect()
        if r % 2:
            eqs.append(_eq_ms(a, b))
            deltas.append(_delta_ms(a, b))
        else:
            deltas.append(_delta_ms(a, b))
            eqs.append(_eq_ms(a, b))
        equal.append(_eq_ms(a, twin))
        if time.perf_counter() - started > BUDGET_S:
            break
    n = len(deltas)
    return [
        Result(
            f"str(StateDelta) 1 deep change, {size_mb:.1f} MB ({n} rnd)",
            min(deltas),
            "a == b (same two states)",
            min(eqs),
            "ms",
            target=50.0,
            spread=spread([d / e for d, e in zip(deltas, eqs, strict=True)]),
        ),
        Result(
            f"str(StateDelta), {size_mb:.1f} MB (info)",
            min(deltas),
            "a == copy of a (whole walk)",
            min(equal),
            "ms",
            spread=spread([d / e for d, e in zip(deltas, equal, strict=True)]),
        ),
    ]


def run() -> list[Result]:
    if _harness.QUICK:
        return _one_size(1, 2)
    return _one_size(1, ROUNDS) + _one_size(10, ROUNDS)


if __name__ == "__main__":
    import sys

    _harness.QUICK = "--quick" in sys.argv
    for result in run():
        print(result.line())
