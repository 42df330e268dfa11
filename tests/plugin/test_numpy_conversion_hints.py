"""A numpy array only a pickle could store (of texts: the labels a RAG agent keeps; arrays of
numbers are stored readably) is refused naming the conversion that makes it plain,
``.tolist()``, as ``str()`` is named for a ``numpy.str_``.

Before the fix the refusal named no conversion for it: an array is no number; the message
offered only to allow pickles or to teach the codec the type.
"""

from __future__ import annotations

# (loaded once: pytester's in-process runs drop what they import, and numpy loads only once)
import numpy  # noqa: F401
import pytest

APP = """
import numpy as np


def rank(query):
    scores = np.array([0.25, 0.75], dtype=np.float32)
    return {"relevant": scores.max() > 0.5, "best": 1}


class Agent:
    def __init__(self):
        self.vectors = []

    def get_state(self):
        return {"vectors": self.vectors}

    def load_state(self, state):
        self.vectors = state["vectors"]

    def handle(self, query):
        self.vectors = VECTORS
        return bool(rank(query)["relevant"])
"""

TEST = """
import pytest
from np_tools import Agent


@pytest.mark.replay("goldens/rank.ckpt", mock={"rank": "np_tools.rank"})
def test_rank(replay):
    assert replay.run(Agent().handle, "refunds?") is True
"""


def test_a_numpy_array_in_the_state_is_refused_naming_tolist(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    app = APP.replace('"relevant": scores.max() > 0.5', '"relevant": bool(scores.max() > 0.5)')
    pytester.makepyfile(
        np_tools=app.replace("VECTORS", "np.array(['refund', 'shipping'])"),
        test_np_tools=TEST,
    )
    refused = pytester.runpytest("--clearstone-record")
    refused.assert_outcomes(failed=1)
    refused.stdout.fnmatch_lines(
        ["*at *[[]'vectors'[]] (a numpy.ndarray)*or convert it with .tolist() where it is made.*"]
    )
    pytester.makepyfile(
        np_tools=app.replace("VECTORS", "np.array(['refund', 'shipping']).tolist()")
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
