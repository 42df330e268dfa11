"""Whole-``pytest``-process figures for the plugin (issue 5).

- a golden suite of 500 replay tests (small checkpoint, 3 recorded calls, final-state comparison)
  against 500 tests that each load a pickle and compare it (the floor);
- the plugin installed but unused: the same plain suite with and without ``-p no:clearstone``.

Figures are CPU time (user + system) of fresh ``python -m pytest`` processes, run alternately,
best of 7 (11), with bytecode caching on as users run pytest (this sandbox sets
PYTHONDONTWRITEBYTECODE; it is removed for the children, and the first round warms the caches) and
the hypothesis plugin disabled in every run (its import costs a second on its own and would hide
the difference). The processes see the repository's root on PYTHONPATH, so pytest rewrites the
plugin's modules as for a wheel install (``_harness.child_env``). With ``--instructions`` (on
``run.py``) every process is also counted in instructions (valgrind), and the unused plugin's
added share of the run's instructions is given as time against the same budget: figures noise
cannot move.
"""

from __future__ import annotations

import resource
import subprocess
import sys
import tempfile
from pathlib import Path

import _harness
from _harness import PYTEST_ARGS, Result, child_env, count_instructions

N = 500
UNUSED = ("-p", "no:clearstone")

APP = """
class Agent:
    def __init__(self):
        self.memory = []
        self.cost = 0.0

    def handle(self, message):
        answer = complete("User: " + message)
        hits = search(message)
        ticket = create_ticket(message[:8])
        self.memory.append({"answer": answer, "hits": hits, "ticket": ticket})
        self.cost += 0.01
        return answer


def complete(prompt):
    return "answer to " + prompt


def search(query):
    return len(query)


def create_ticket(title):
    return "T-" + title
"""

GOLDEN_HEADER = """
import pytest
from bench_app import Agent

MOCK = {"llm": "bench_app.complete", "tool": ["bench_app.search", "bench_app.create_ticket"]}
"""
GOLDEN_ONE = """
@pytest.mark.replay("goldens/g{n}.ckpt", mock=MOCK)
def test_golden_{n}(replay):
    replay.run(Agent().handle, "message {n}")
"""

PICKLE_HEADER = """
import pickle
"""
# one function per pickle, like the golden suite has one test per golden
PICKLE_ONE = """
def test_pickled_{n}():
    with open("pickles/p{n}.pkl", "rb") as f:
        state = pickle.load(f)
    assert state == {{"memory": [{{"answer": "answer to User: message {n}", "hits": 9,
                                   "ticket": "T-message "}}], "cost": 0.01}}
"""

PLAIN_TESTS = f"""
import pytest

@pytest.mark.parametrize("n", range({N}))
def test_plain(n):
    assert n >= 0
"""


def _command(args: tuple[str, ...]) -> list[str]:
    return [sys.executable, "-m", "pytest", *PYTEST_ARGS, *args]


def _once(cwd: Path, args: tuple[str, ...]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run(
        _command(args),
        cwd=cwd,
        env=child_env(),
        capture_output=True,
        text=True,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise RuntimeError(f"pytest failed in {cwd}:\n{done.stdout[-3000:]}")
    # CPU time (user + system) of the pytest process: on a shared machine wall time mostly
    # measures the neighbours, CPU time measures the run
    used = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return used * 1000


def _pair(
    a: tuple[Path, tuple[str, ...]], b: tuple[Path, tuple[str, ...]], rounds: int = 7
) -> tuple[float, float]:
    """Best times of two commands, run alternately so that machine load hits both alike."""
    best_a = best_b = float("inf")
    for _ in range(rounds):
        best_a = min(best_a, _once(*a))
        best_b = min(best_b, _once(*b))
    return best_a, best_b


def run() -> list[Result]:
    import pickle

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        golden, floor, plain = root / "golden", root / "floor", root / "plain"
        for d in (golden, floor, plain):
            d.mkdir()
            (d / "pytest.ini").write_text("[pytest]\n")
        (golden / "bench_app.py").write_text(APP)
        (golden / "conftest.py").write_text(
            "import sys, os\nsys.path.insert(0, os.path.dirname(__file__))\n"
        )
        body = GOLDEN_HEADER + "".join(GOLDEN_ONE.format(n=n) for n in range(N))
        (golden / "test_golden.py").write_text(body)
        subprocess.run(
            _command(("--clearstone-record",)),
            cwd=golden,
            env=child_env(),
            check=True,
            capture_output=True,
        )
        (floor / "pickles").mkdir()
        for n in range(N):
            state = {
                "memory": [
                    {"answer": f"answer to User: message {n}", "hits": 9, "ticket": "T-message "}
                ],
                "cost": 0.01,
            }
            (floor / "pickles" / f"p{n}.pkl").write_bytes(pickle.dumps(state))
        (floor / "test_pickled.py").write_text(
            PICKLE_HEADER + "".join(PICKLE_ONE.format(n=n) for n in range(N))
        )
        (plain / "test_plain.py").write_text(PLAIN_TESTS)

        replay_ms, floor_ms = _pair((golden, ()), (floor, ()))
        with_plugin, without_plugin = _pair((plain, ()), (plain, UNUSED), 11)
        runs = ((golden, ()), (floor, ()), (plain, ()), (plain, UNUSED))
        counts = (
            [count_instructions(_command(a), cwd, child_env()) for cwd, a in runs]
            if _harness.INSTRUCTIONS
            else []
        )
    return [
        Result(
            f"{N} golden replay tests, whole pytest run",
            replay_ms,
            f"{N} pickle-load-and-compare test functions",
            floor_ms,
            "ms",
            target=1.5,
        ),
        Result(
            f"{N} plain tests, plugin installed, unused",
            with_plugin,
            "same with -p no:clearstone",
            without_plugin,
            "ms",
        ),
        Result(
            "plugin unused: added time",
            max(with_plugin - without_plugin, 0.0),
            "budget",
            30.0,
            "ms",
            target=1.0,
        ),
        *(
            [
                Result(
                    f"{N} golden replay tests, instructions",
                    counts[0] / 1e9,
                    "the pickle floor, instructions",
                    counts[1] / 1e9,
                    "G",
                    target=1.5,
                ),
                Result(
                    f"{N} plain tests, plugin unused, instructions",
                    counts[2] / 1e9,
                    "same with -p no:clearstone",
                    counts[3] / 1e9,
                    "G",
                ),
                # the added instructions as time: their share of the run without the plugin
                Result(
                    "plugin unused: added instructions as time",
                    (counts[2] - counts[3]) / counts[3] * without_plugin,
                    "budget",
                    30.0,
                    "ms",
                    target=1.0,
                ),
            ]
            if counts
            else []
        ),
    ]
