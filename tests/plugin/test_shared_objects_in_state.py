"""An agent whose state holds one object at two places (``self.current = self.history[-1]``)
recorded green, and every replay failed with nothing changed: a golden stores each place as its
own copy, so the replayed run changed only one of them (``root['history'][0]['n']: 1 -> 0``,
and the message advised re-recording, which changes nothing). Recording now fails, naming the
places and the fix, when a run changes such an object; one the run does not change, and one an
agent's ``load_state`` links again, record and replay."""

from __future__ import annotations

import pytest

APP = """
import dataclasses


def llm(prompt):
    return "ok"


@dataclasses.dataclass
class Turn:
    n: int = 0


class Agent:
    def __init__(self):
        self.history = [{"n": 0}]
        self.current = self.history[-1]
        self.turns = [Turn()]
        self.last = self.turns[-1]

    def handle(self, q):
        llm(q)
        CHANGE
        return self.history[0]["n"] + self.turns[0].n


class LinkingAgent(Agent):
    def get_state(self):
        return {"history": self.history, "turns": self.turns}

    def load_state(self, state):
        self.history, self.turns = state["history"], state["turns"]
        self.current, self.last = self.history[-1], self.turns[-1]
"""

TEST = """
import pytest
from shared_app import AGENT


@pytest.mark.replay("goldens/shared.ckpt", mock={"llm": "shared_app.llm"})
def test_shared(replay):
    assert replay.run(AGENT().handle, "hi") == RESULT
"""


def _run(pytester: pytest.Pytester, agent: str, change: str, result: int) -> pytest.RunResult:
    pytester.syspathinsert()
    pytester.makepyfile(
        shared_app=APP.replace("CHANGE", change),
        test_shared=TEST.replace("AGENT", agent).replace("RESULT", str(result)),
    )
    return pytester.runpytest("--clearstone-record", "-p", "no:randomly")


@pytest.mark.parametrize(
    ("change", "kind", "places"),
    [
        ('self.current["n"] += 1', "dict", "state['history'][0] and at state['current']"),
        ("self.last.n += 1", "Turn", "state['turns'][0] and at state['last']"),
    ],
)
def test_a_run_changing_an_object_held_at_two_places_fails_the_recording(
    pytester: pytest.Pytester, change: str, kind: str, places: str
) -> None:
    result = _run(pytester, "Agent", change, 1)
    result.assert_outcomes(failed=1)
    text = " ".join(result.stdout.str().split())
    assert f"cannot record the state of Agent: it holds one {kind} at {places}" in text
    assert "Give Agent a load_state(state) method that makes them one object again" in text
    assert not (pytester.path / "goldens" / "shared.ckpt").exists()


def test_an_object_at_two_places_the_run_does_not_change_records_and_replays(
    pytester: pytest.Pytester,
) -> None:
    _run(pytester, "Agent", 'self.history.append({"n": 5})', 0).assert_outcomes(passed=1)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_an_agent_whose_load_state_links_them_again_records_and_replays(
    pytester: pytest.Pytester,
) -> None:
    change = 'self.current["n"] += 1; self.last.n += 1'
    _run(pytester, "LinkingAgent", change, 2).assert_outcomes(passed=1)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


class _Buffers:
    def __init__(self, size: int) -> None:
        self.padding = list(range(size))  # (values looked at before the shared ones)
        self.buffers = [bytearray(b"a")]
        self.current = self.buffers[-1]


@pytest.mark.parametrize("size", [0, 1000])
def test_a_bytearray_held_at_two_places_and_changed_is_named(size: int) -> None:
    # a bytearray is one mutable object too, also past the first values of a larger state
    from pytest_clearstone.golden.shared_objects import shared_object_problem, shared_objects

    agent = _Buffers(size)
    shared = shared_objects(dict(vars(agent)))
    assert shared_object_problem(agent, shared) is None  # not changed (yet)
    agent.current += b"b"
    problem = shared_object_problem(agent, shared)
    assert problem is not None
    assert "holds one bytearray at state['buffers'][0] and at state['current']" in problem


def test_a_state_of_more_values_than_the_limit_is_not_searched_past_it() -> None:
    from pytest_clearstone.golden.shared_objects import shared_objects

    agent = _Buffers(100_000)  # (the padding list and its items fill the limit first)
    assert shared_objects(dict(vars(agent))) == []
    assert len(shared_objects(dict(vars(_Buffers(1000))))) == 1


def test_an_object_reached_through_a_tuple_and_a_dataclass_field_is_named_at_each_place() -> None:
    import dataclasses

    from pytest_clearstone.golden.shared_objects import shared_objects

    @dataclasses.dataclass
    class Box:
        items: list[int]

    history = [1]
    shared = shared_objects({"pair": (history,), "box": Box(history), "current": history})
    assert [item.places for item in shared] == [
        ["state['pair'][0]", "state['box']['items']", "state['current']"]
    ]


def test_a_dataclass_class_at_two_places_is_not_an_object_of_the_state() -> None:
    import dataclasses

    from pytest_clearstone.golden.shared_objects import shared_objects

    @dataclasses.dataclass
    class Plan:
        steps: int = 0

    assert shared_objects({"kind": Plan, "default_kind": Plan}) == []


def test_an_object_at_three_places_changed_is_named_at_each() -> None:
    from pytest_clearstone.golden.shared_objects import shared_object_problem, shared_objects

    agent = _Buffers(0)
    history = [1]
    shared = shared_objects({"a": history, "b": history, "c": history})
    history.append(2)
    problem = shared_object_problem(agent, shared)
    assert problem is not None
    assert "holds one list at state['a'], at state['b'] and at state['c'], which" in problem
