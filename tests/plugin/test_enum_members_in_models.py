"""An enum member held in a model (a structured output's ``priority: Priority``, a dataclass's
field) was named by its class and stored value in a delta (``root['ticket'].priority:
Priority(2) -> Priority(1)``), while the same member outside a model read
``<Priority.HIGH: 2>``: a delta walks models by their stored form, which keeps the value only.
A member whose class the run has imported is now shown as the agent holds it, wherever it is."""

from __future__ import annotations

import pytest

APP = """
import dataclasses
import enum

import pydantic


class Priority(enum.Enum):
    LOW = 1
    HIGH = 2


class Ticket(pydantic.BaseModel):
    title: str
    priority: Priority


@dataclasses.dataclass
class Route:
    queue: str
    priority: Priority


def route(ticket, priority):
    return "queue-" + priority.name.lower()


class Agent:
    def __init__(self):
        self.routes = []

    def handle(self, title):
        ticket = Ticket(title=title, priority=Priority.HIGH)
        CHANGE
        queue = route(ticket, ticket.priority)
        self.routes.append(Route(queue=queue, priority=ticket.priority))
        return ticket
"""

TEST = """
import pytest
from enum_app import Agent


@pytest.mark.replay(mock={"tool": "enum_app.route"})
def test_route(replay):
    replay.run(Agent().handle, "charged twice")
"""


@pytest.fixture
def recorded(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(enum_app=APP.replace("CHANGE", "pass"), test_route=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    return pytester


def test_a_member_in_a_model_argument_is_named_as_the_member(recorded: pytest.Pytester) -> None:
    recorded.makepyfile(enum_app=APP.replace("CHANGE", "ticket.priority = Priority.LOW"))
    result = recorded.runpytest()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "root['priority']: <Priority.HIGH: 2> -> <Priority.LOW: 1>" in out
    assert "root['ticket'].priority: <Priority.HIGH: 2> -> <Priority.LOW: 1>" in out
    assert "Priority(2)" not in out


def test_a_member_in_a_model_of_the_result_and_state_is_named_as_the_member(
    recorded: pytest.Pytester,
) -> None:
    change = "route(ticket, ticket.priority); ticket.priority = Priority.LOW; return ticket"
    recorded.makepyfile(enum_app=APP.replace("CHANGE", change))
    result = recorded.runpytest()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "root.priority: <Priority.HIGH: 2> -> <Priority.LOW: 1>" in out
    assert "removed Route(queue='queue-high', priority=<Priority.HIGH: 2>)" in out
    assert "Priority(2)" not in out
