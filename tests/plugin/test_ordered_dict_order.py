"""An ``OrderedDict`` in the state whose items the agent put in another order used to pass the
replay: ``==`` tells two ``OrderedDict``s of another order apart, and the golden stores the order,
but the stored-form comparison took a dict subclass by its items alone and deepdiff found no
difference. It now fails the replay with a delta naming the path and showing both orders."""

from __future__ import annotations

import collections

import pytest

from pytest_clearstone.codec import same_stored_form
from pytest_clearstone.diff import StateDelta

APP = """
import collections


def llm(prompt):
    return "ok"


class Agent:
    def __init__(self):
        self.steps = collections.OrderedDict([("plan", 1), ("act", 2)])

    def handle(self, q):
        llm(q)
        CHANGE
        return "done"
"""

TEST = """
import pytest
from order_app import Agent


@pytest.mark.replay("goldens/order.ckpt", mock={"llm": "order_app.llm"})
def test_order(replay):
    replay.run(Agent().handle, "hi")
"""


def test_an_ordered_dict_in_another_order_fails_the_replay_naming_the_path(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(order_app=APP.replace("CHANGE", "pass"), test_order=TEST)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
    pytester.makepyfile(order_app=APP.replace("CHANGE", "self.steps.move_to_end('plan')"))
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    before = collections.OrderedDict([("plan", 1), ("act", 2)])
    after = collections.OrderedDict([("act", 2), ("plan", 1)])
    assert f"root['steps']: {before!r} -> {after!r}" in result.stdout.str()


def test_ordered_dicts_of_another_order_differ_as_stored() -> None:
    first = collections.OrderedDict([("a", 1), ("b", 2)])
    other = collections.OrderedDict([("b", 2), ("a", 1)])
    assert not same_stored_form({"o": other}, {"o": first})
    assert same_stored_form({"o": collections.OrderedDict(first)}, {"o": first})
    assert StateDelta({"o": first}, {"o": other}, verbosity=2).lines == [
        f"root['o']: {first!r} -> {other!r}"
    ]
    changed = collections.OrderedDict([("a", 1), ("b", 3)])
    assert StateDelta({"o": first}, {"o": changed}).lines == ["root['o']['b']: 2 -> 3"]
    # (a plain dict's order is not compared: == does not)
    assert not StateDelta({"d": {"a": 1, "b": 2}}, {"d": {"b": 2, "a": 1}})
