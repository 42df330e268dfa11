"""A RAG agent passing its query vector, a numpy array, to a mocked vector search, and keeping
its document matrix in its state: stored readably (dtype, shape, values; no pickle), read back
as the same array, a changed query vector diverging at the search naming the cell, and a
re-record in another process writing the same bytes.

Before the fix, an array was stored as a pickle (pickles allowed) or refused; as a mocked
call's argument it was a ``repr`` placeholder compared by its type only, so a replay of an
agent whose query vector changed passed.
"""

from __future__ import annotations

import json

# (loaded once: pytester's in-process runs drop what they import, and numpy loads only once)
import numpy
import pytest

APP = """
import numpy as np

SHIFT = 0.0


def vector_search(query, k=2):
    # the vector store (mocked): the ids of the nearest documents
    return [3, 1][:k]


class Agent:
    def __init__(self):
        self.matrix = None
        self.flags = None

    def get_state(self):
        return {"matrix": self.matrix, "flags": self.flags}

    def load_state(self, state):
        self.matrix, self.flags = state["matrix"], state["flags"]

    def handle(self, question):
        self.matrix = np.arange(12, dtype=np.float32).reshape(3, 4) / np.float32(7)
        self.matrix[1, 2] = np.nan
        self.flags = np.array([True, False, True])
        query = np.full(4, 0.1, dtype=np.float32) + np.float32(SHIFT)
        return vector_search(query, k=2)
"""

TEST = """
import numpy as np
import pytest
from vec_app import Agent


@pytest.mark.replay("goldens/vec.ckpt", mock={"search": "vec_app.vector_search"})
def test_vec(replay):
    agent = Agent()
    assert replay.run(agent.handle, "refunds?") == [3, 1]
    assert agent.matrix.dtype == np.float32 and agent.matrix.shape == (3, 4)
"""


def test_arrays_are_stored_readably_and_a_changed_query_vector_diverges(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(vec_app=APP, test_vec_app=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "vec.ckpt"
    written = golden.read_bytes()
    doc = json.loads(written)
    assert doc["contains_pickle"] is False
    matrix = doc["outcome"]["final_state"]["matrix"]
    assert {k: matrix[k] for k in ("__cs__", "dtype", "shape")} == {
        "__cs__": "ndarray",
        "dtype": "float32",
        "shape": [3, 4],
    }
    assert matrix["v"][1][2] == {"__cs__": "float", "v": "nan"}
    assert doc["outcome"]["final_state"]["flags"]["v"] == [True, False, True]
    pytester.runpytest().assert_outcomes(passed=1)
    # read back exactly: dtype, shape and values (the NaN in its place)
    from pytest_clearstone import codec

    read = codec.loads(json.dumps(matrix))
    expected = numpy.arange(12, dtype=numpy.float32).reshape(3, 4) / numpy.float32(7)
    expected[1, 2] = numpy.nan
    assert read.dtype == expected.dtype and read.shape == expected.shape
    assert numpy.array_equal(read, expected, equal_nan=True)
    # re-recorded in another process: the same bytes
    pytester.runpytest_subprocess("--clearstone-record").assert_outcomes(passed=1)
    assert golden.read_bytes() == written
    # a changed query vector diverges at the search, naming the cell
    pytester.makepyfile(vec_app=APP.replace("SHIFT = 0.0", "SHIFT = 0.5"))
    changed = pytester.runpytest()
    changed.assert_outcomes(failed=1)
    out = changed.stdout.str()
    assert "replay diverged at call #1 to vec_app.vector_search" in out
    assert "root['query'][0]: np.float32(0.1) -> np.float32(0.6)" in out


SCALAR_APP = """
import numpy as np

TOP_K = 3


def search(query, top_k, threshold):
    # the vector store (mocked): its best score, as numpy gives it, and whether it is enough
    return {"ids": [3, 1], "best": np.float64(0.875), "enough": np.bool_(True)}


class Agent:
    def __init__(self):
        self.best = None

    def get_state(self):
        return {"best": self.best}

    def load_state(self, state):
        self.best = state["best"]

    def handle(self, question):
        scores = np.array([0.25, 0.5], dtype=np.float32)
        hits = search(question, top_k=np.int64(TOP_K), threshold=scores.max())
        self.best = hits["best"]
        return hits["ids"] if hits["enough"] else []
"""

SCALAR_TEST = """
import numpy as np
import pytest
from scalar_app import Agent


@pytest.mark.replay("goldens/scalar.ckpt", mock={"search": "scalar_app.search"})
def test_scalar(replay):
    agent = Agent()
    assert replay.run(agent.handle, "refunds?") == [3, 1]
    assert type(agent.best) is np.float64 and agent.best == 0.875
"""


def test_numpy_numbers_are_stored_readably_and_a_changed_argument_diverges(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(scalar_app=SCALAR_APP, test_scalar_app=SCALAR_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    doc = json.loads((pytester.path / "goldens" / "scalar.ckpt").read_text())
    assert doc["contains_pickle"] is False
    assert doc["outcome"]["final_state"]["best"] == {
        "__cs__": "numpy",
        "dtype": "float64",
        "v": 0.875,
    }
    pytester.runpytest().assert_outcomes(passed=1)
    # a changed numpy argument diverges (it was compared by its type only)
    pytester.makepyfile(scalar_app=SCALAR_APP.replace("TOP_K = 3", "TOP_K = 5"))
    changed = pytester.runpytest()
    changed.assert_outcomes(failed=1)
    assert "root['top_k']: np.int64(3) -> np.int64(5)" in changed.stdout.str()
