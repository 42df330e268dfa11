"""An agent keeping its own random generator in its state (a ``random.Random``, numpy's
``Generator`` or legacy ``RandomState``; pickles allowed, as the refusal offers): an unchanged
agent replays green, and one that draws more from its generator fails on its final state.

Before the fix, every replay of the unchanged agent holding a numpy generator failed with "the
replayed final state differs from the golden recording: (they differ in their stored forms)":
a generator has no ``__eq__`` and no ``__dict__``, and the comparison called two such values
different whatever they held. A ``random.Random`` was compared by its ``__dict__``, which holds
only ``gauss_next``, not the generator's state: an agent that drew more numbers replayed green.
"""

from __future__ import annotations

# (loaded once: pytester's in-process runs drop what they import, and numpy loads only once)
import numpy  # noqa: F401
import pytest

APP = """
import random

import numpy as np

EXTRA = 0


def ask(prompt):
    return f"answer to {prompt}"  # the LLM (mocked)


class Sampler:
    def __init__(self):
        self.rng = random.Random(42)
        self.np_rng = np.random.default_rng(42)
        self.legacy = np.random.RandomState(42)
        self.answers = []

    def run(self, question):
        picks = (self.rng.randint(1, 9), int(self.np_rng.integers(1, 9)), self.legacy.randint(1, 9))
        for _ in range(EXTRA):  # a draw that changes only a generator's state
            pass  # DRAW
        self.answers.append(ask(f"{question} {picks}"))
        return self.answers[-1]
"""

TEST = """
import pytest
from sampler import Sampler


@pytest.mark.replay("goldens/sampler.ckpt", mock={"llm": "sampler.ask"})
def test_sample(replay):
    replay.run(Sampler().run, "pick")
"""


@pytest.mark.parametrize(
    "drawn", ["self.rng.random()", "self.np_rng.random()", "self.legacy.random_sample()"]
)
def test_a_generator_in_the_state_replays_and_more_draws_from_it_fail(
    pytester: pytest.Pytester, drawn: str
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(sampler=APP, test_sampler=TEST)
    pytester.runpytest("--clearstone-record", "--clearstone-allow-pickle").assert_outcomes(passed=1)
    pytester.runpytest("--clearstone-allow-pickle").assert_outcomes(passed=1)
    # one generator drawn once more: only its state differs, not the prompt or the answer
    pytester.makepyfile(
        sampler=APP.replace("EXTRA = 0", "EXTRA = 1").replace("pass  # DRAW", drawn)
    )
    changed = pytester.runpytest("--clearstone-allow-pickle")
    changed.assert_outcomes(failed=1)
    out = changed.stdout.str()
    assert "the replayed final state differs" in out
    # (before the fix, a random.Random's change was "(they differ in their stored forms)",
    # with no path: its __dict__, which deepdiff compares, holds only gauss_next)
    assert "(they differ in their stored forms)" not in out, out
    attribute = drawn.split(".")[1]
    assert f"root['{attribute}']: <" in out, out


def test_a_random_generator_in_the_state_records_and_replays_without_pickles(
    pytester: pytest.Pytester,
) -> None:
    """A ``random.Random`` is stored by its state, readably: before the fix it needed a pickle,
    and recording refused it unless pickles were allowed."""
    pytester.syspathinsert()
    pytester.makepyfile(
        sampler=APP.replace("self.np_rng = ", "# ")
        .replace("self.legacy = ", "# ")
        .replace("int(self.np_rng.integers(1, 9)), self.legacy.randint(1, 9)", "0, 0"),
        test_sampler=TEST,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = (pytester.path / "goldens" / "sampler.ckpt").read_text()
    assert '"__cs__": "random"' in golden and '"pickle"' not in golden
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.makepyfile(
        sampler=(pytester.path / "sampler.py")
        .read_text()
        .replace("EXTRA = 0", "EXTRA = 1")
        .replace("pass  # DRAW", "self.rng.random()")
    )
    changed = pytester.runpytest()
    changed.assert_outcomes(failed=1)
    out = changed.stdout.str()
    assert "root['rng']: <random.Random state sha256:" in out, out
    assert "-> <random.Random state sha256:" in out, out
