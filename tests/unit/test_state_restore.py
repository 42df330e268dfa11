"""An agent's state given back to it (``golden/state.py``): what ``load_state`` keeps of the
agent's own, what it reports kept, and the classes an untrusted golden may name."""

from __future__ import annotations

import dataclasses
import sys
from typing import Any

import openai
import pytest

from pytest_clearstone.errors import AgentImportError, ClearstoneError
from pytest_clearstone.golden.state import capture_state, import_agent_class, load_state


class Agent:
    def __init__(self, **attributes: Any) -> None:
        vars(self).update(attributes)


@dataclasses.dataclass
class Deps:
    client: Any
    retries: int = 1


def _client(url: str) -> openai.OpenAI:
    return openai.OpenAI(api_key="sk-test", base_url=url)


def test_a_client_the_test_built_is_kept_over_the_recorded_one() -> None:
    own = _client("http://test.local/v1")
    agent = Agent(client=own, deps=Deps(_client("http://test.local/v1")), pair=(own, 1))
    mine = agent.deps, agent.pair
    recorded = _client("http://recorded.local/v1")
    load_state(agent, {"client": recorded, "deps": Deps(recorded, 2), "pair": (recorded, 2)})
    # (a client inside a dataclass of dependencies, or a tuple, is found too)
    assert agent.client is own and (agent.deps, agent.pair) == mine


def test_a_recorded_client_is_given_where_the_agent_holds_none() -> None:
    recorded = _client("http://recorded.local/v1")
    agent = Agent(client=None, deps=Deps(None))
    load_state(agent, {"client": recorded, "deps": Deps(recorded)})
    assert agent.client is recorded and agent.deps.client is recorded


def test_the_attributes_the_agent_keeps_that_the_state_has_not_are_reported() -> None:
    agent = Agent(history=[1], escalated=True)
    assert load_state(agent, {"history": []}) == {"escalated"}
    assert agent.history == [] and agent.escalated is True


def test_a_state_no_replay_could_give_back_to_a_slotted_agent_is_refused_when_recorded() -> None:
    class Slotted:
        __slots__ = ("n",)

        def __init__(self) -> None:
            self.n = 1

        def get_state(self) -> dict[str, Any]:
            return {"n": self.n}

    with pytest.raises(ClearstoneError, match=r"Slotted has no __dict__.*Slotted a load_state"):
        capture_state(Slotted(), restored=True)


def test_an_untrusted_golden_imports_no_frozen_module() -> None:
    # (importing __hello__, a frozen module of the standard library, runs its code: it prints)
    sys.modules.pop("__hello__", None)
    with pytest.raises(AgentImportError, match="module of the standard library"):
        import_agent_class("__hello__", "Agent")
    assert "__hello__" not in sys.modules
