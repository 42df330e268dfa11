"""End to end: an agent whose state holds NaN where ``==`` cannot match it by place — a dict
keyed by NaN, a set or a deque holding one — replays green when nothing changed, and still fails
when the value beside it changed.

Before the fix, the replay of the unchanged agent failed with ``root['by_score']: {nan: 'a'} ->
{nan: 'a'}``: the recorded and the replayed NaN are two float objects, and a dict's keys, a
set's items and a deque's items are matched by ``==`` (NaN in a list or a dict's value was
already compared as stored)."""

from __future__ import annotations

import pytest

APP = """
import collections

LABEL = "@LABEL@"


def llm(prompt):
    return "ok " + prompt


class Agent:
    def __init__(self, value="a"):
        nan = float("nan")  # (one object: the recorded one and the replayed one are two)
        self.by_score = {nan: value, 1.0: "b"}
        self.seen = {nan, 2.0}
        self.frozen = frozenset({nan})
        self.window = collections.deque([nan, 3.0], maxlen=5)
        self.counts = collections.Counter({nan: 2})
        self.ordered = collections.OrderedDict([(nan, 1), ("x", 2)])

    def run(self, q):
        self.by_score[1.0] = LABEL
        return llm(q)
"""

TEST = """
import pytest
import nan_app


@pytest.mark.replay("goldens/nan.ckpt", mock={"llm": "nan_app.llm"})
def test_nan(replay):
    agent = nan_app.Agent()
    assert replay.run(agent.run, "q") == "ok q"
"""


def test_nan_keys_and_items_replay_green_and_a_change_beside_them_fails(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(nan_app=APP.replace("@LABEL@", "b"), test_nan=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.makepyfile(nan_app=APP.replace("@LABEL@", "c"))
    changed = pytester.runpytest()
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines(
        ["*GoldenMismatchError*", "*root[[]'by_score'][[]1.0]: 'b' -> 'c'"]
    )
