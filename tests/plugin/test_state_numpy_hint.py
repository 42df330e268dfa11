"""A library's own number in the agent's saved state (a C subclass of ``float``, as numpy's
``float64`` is) is refused naming its path, its type and the fixes, the conversion with
``float()`` among them, as in a tool's answer.

Before the fix, the state's refusal (built when the golden is written, from the pickle the
state was kept as) gave only "allow pickles ... or register an encoder": the one-word fix,
``float(score)`` where the agent keeps it, was offered for the same value in an answer only.

``CFloat`` is made the way numpy makes ``float64`` (see
``tests/unit/test_unrebuildable_subclass.py``); numpy's own numbers are now stored readably (tag
``numpy``).
"""

from __future__ import annotations

import pytest

APP = """
from tests.unit.test_unrebuildable_subclass import CFloat


def search(query):
    return {"doc": "refund policy", "score": 0.5}


class Agent:
    def __init__(self):
        self.best_score = CFloat()  # numpy.float64 from a cosine similarity, say
        self.notes = []

    def get_state(self):
        return {"best_score": self.best_score, "notes": self.notes}

    def load_state(self, state):
        self.best_score, self.notes = state["best_score"], state["notes"]

    def handle(self, query):
        hit = search(query)
        self.notes.append(hit["doc"])
        return hit["doc"]
"""

TEST = """
import pytest
from ragstate import Agent


@pytest.mark.replay(mock={"tool": "ragstate.search"})
def test_rag(replay):
    assert replay.run(Agent().handle, "refunds?") == "refund policy"
"""


def test_a_library_number_in_the_state_is_refused_with_the_float_hint(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(ragstate=APP, test_ragstate=TEST)
    refused = pytester.runpytest("--clearstone-record")
    refused.assert_outcomes(failed=1)
    refused.stdout.fnmatch_lines(
        [
            "*the golden checkpoint was not written: cannot serialise the agent state at "
            "state[[]'best_score'[]] (a tests.unit.test_unrebuildable_subclass.CFloat): only a "
            "pickle could store it, and pickles are not allowed: allow pickles *, or store the "
            "type readably by registering an encoder *, or convert it with float() where it is "
            "made.*"
        ]
    )
    assert not (pytester.path / "goldens").exists()
    # the fix it names: converted where the agent keeps it, the state records and replays
    pytester.makepyfile(
        ragstate=APP.replace("self.best_score = CFloat()", "self.best_score = float(CFloat())")
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
