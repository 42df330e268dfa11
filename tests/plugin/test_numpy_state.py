"""A RAG agent keeping its embeddings as a numpy matrix in its state (pickles allowed, as the
refusal offers): an unchanged agent replays green, and a changed vector fails naming the cell.

Before the fix, every replay of the unchanged agent failed with "the replayed final state
differs from the golden recording: (they differ in their stored forms)": ``==`` of two arrays
is an array, whose truth is ambiguous, and the comparison then found two values of a type with
no ``__dict__`` and no stored form it compares, and called them different. The same for a
pandas ``DataFrame`` a data tool returned, and for a NaN held as a numpy scalar or in a
one-item array (``==`` is then ``False``, not ambiguous).
"""

from __future__ import annotations

# (loaded once: pytester's in-process runs drop what they import, and numpy loads only once)
import numpy  # noqa: F401
import pandas  # noqa: F401
import pytest

APP = """
import numpy as np

DOCS = ["refunds take 5 days", "shipping is free", "returns within 30 days"]
SCALE = 1.0


def embed(texts):
    # the embeddings API (mocked): one vector of 64 floats per text
    return [[float(len(t) % (i + 3)) / 7.0 + i / 64 for i in range(64)] for t in texts]


class RagAgent:
    def __init__(self):
        self.matrix = None
        self.scores = None
        # NaNs that == calls unequal without raising: a numpy scalar, a one-item array
        self.runner_up = np.float64("nan")
        self.gaps = np.array([np.nan], dtype=np.float32)

    def get_state(self):
        return {"matrix": self.matrix, "scores": self.scores, "runner_up": self.runner_up,
                "gaps": self.gaps}

    def load_state(self, state):
        self.matrix, self.scores = state["matrix"], state["scores"]
        self.runner_up, self.gaps = state["runner_up"], state["gaps"]

    def handle(self, query):
        self.matrix = np.asarray(embed(DOCS), dtype=np.float32) * np.float32(SCALE)
        asked = np.asarray(embed([query])[0], dtype=np.float32)
        norms = np.linalg.norm(self.matrix, axis=1) * np.linalg.norm(asked)
        self.scores = np.append(self.matrix @ asked / norms, np.nan)  # a NaN among them
        return DOCS[int(np.argmax(self.scores[:-1]))]
"""

TEST = """
import pytest
from rag_np import RagAgent


@pytest.mark.replay("goldens/rag.ckpt", mock={"embed": "rag_np.embed"})
def test_rag(replay):
    assert replay.run(RagAgent().handle, "how long do refunds take?")
"""


def test_an_unchanged_numpy_state_replays_and_a_changed_cell_is_named(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(rag_np=APP, test_rag_np=TEST)
    pytester.runpytest("--clearstone-record", "--clearstone-allow-pickle").assert_outcomes(passed=1)
    replayed = pytester.runpytest("--clearstone-allow-pickle")
    replayed.assert_outcomes(passed=1)
    # a change to what the agent keeps (not to what it returns) fails, naming the cell
    pytester.makepyfile(rag_np=APP.replace("SCALE = 1.0", "SCALE = 2.0"))
    changed = pytester.runpytest("--clearstone-allow-pickle")
    changed.assert_outcomes(failed=1)
    out = changed.stdout.str()
    assert "the replayed final state differs" in out
    assert "root['matrix'][0][0]: np.float32(" in out
    assert "differ in their stored forms" not in out


def test_a_matrix_kept_in_another_dtype_is_named_by_its_dtype(pytester: pytest.Pytester) -> None:
    """The agent changed to keep its matrix as float64 (``np.asarray`` without ``dtype=``): the
    values are the float32 ones, so the delta showed two arrays alike with "(ndarray) ->
    (ndarray)", naming no change. It now names the dtypes."""
    pytester.syspathinsert()
    pytester.makepyfile(rag_np=APP, test_rag_np=TEST)
    pytester.runpytest("--clearstone-record", "--clearstone-allow-pickle").assert_outcomes(passed=1)
    kept = "* np.float32(SCALE)\n"
    widened = kept + "        self.matrix = self.matrix.astype(np.float64)\n"
    pytester.makepyfile(rag_np=APP.replace(kept, widened))
    changed = pytester.runpytest("--clearstone-allow-pickle")
    changed.assert_outcomes(failed=1)
    out = " ".join(changed.stdout.str().split())
    assert "the replayed final state differs" in out, out
    assert "(ndarray of float32) -> " in out and "(ndarray of float64)" in out, out


FRAME_APP = """
import pandas as pd

PRICE = 9.5


def query_orders(customer):
    # a data tool (the warehouse, mocked) answering with plain rows
    return [{"id": 7, "day": "2024-03-01", "status": "paid", "total": 12.5},
            {"id": 9, "day": "2024-03-04", "status": "open", "total": None}]


class DataAgent:
    def __init__(self):
        self.orders = None

    def get_state(self):
        return {"orders": self.orders}

    def load_state(self, state):
        self.orders = state["orders"]

    def handle(self, customer):
        frame = pd.DataFrame(query_orders(customer)).set_index("id")
        frame["day"] = pd.to_datetime(frame["day"])
        frame["status"] = frame["status"].astype("category")
        frame["net"] = frame["total"] / 1.2 + PRICE  # a NaN where no total
        self.orders = frame
        return int(frame["status"].eq("paid").sum())
"""

FRAME_TEST = """
import pytest
from orders_pd import DataAgent


@pytest.mark.replay("goldens/orders.ckpt", mock={"db": "orders_pd.query_orders"})
def test_orders(replay):
    assert replay.run(DataAgent().handle, "acme") == 1
"""


def test_an_unchanged_pandas_frame_in_the_state_replays_and_a_changed_cell_fails(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(orders_pd=FRAME_APP, test_orders_pd=FRAME_TEST)
    pytester.runpytest("--clearstone-record", "--clearstone-allow-pickle").assert_outcomes(passed=1)
    pytester.runpytest("--clearstone-allow-pickle").assert_outcomes(passed=1)
    pytester.makepyfile(orders_pd=FRAME_APP.replace("PRICE = 9.5", "PRICE = 9.75"))
    changed = pytester.runpytest("--clearstone-allow-pickle")
    changed.assert_outcomes(failed=1)
    out = changed.stdout.str()
    assert "the replayed final state differs" in out
    # the changed cells, by column and index label (the NaN of order 9 is no change)
    assert "root['orders']['net'][7]: 19.916666666666668 -> 20.166666666666668" in out
    assert "root['orders']['net'][9]" not in out
    assert "differ in their stored forms" not in out
