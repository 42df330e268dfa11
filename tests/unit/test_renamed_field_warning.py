"""A checkpoint's state that lacks a field its class now declares and holds one it does not (a
field renamed since it was saved) is rehydrated with the field's default and a warning of its own
category, ``StateFieldsWarning``: a suite with ``filterwarnings = error`` can let it through by
that category, as it can the plugin's other warnings."""

from __future__ import annotations

import dataclasses
import warnings

import pytest

from pytest_clearstone.errors import StateFieldsWarning
from pytest_clearstone.golden.state import rehydrate


@dataclasses.dataclass
class Agent:
    history: list[str] = dataclasses.field(default_factory=list)


def test_a_renamed_field_warns_with_its_own_category() -> None:
    with pytest.warns(StateFieldsWarning, match=r"lacks the field\(s\) 'history'.*'memory'"):
        agent = rehydrate(Agent, {"memory": ["a"]})
    assert agent.history == []
    assert issubclass(StateFieldsWarning, UserWarning)


def test_it_is_filterable_by_its_category() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.filterwarnings("ignore", category=StateFieldsWarning)
        assert rehydrate(Agent, {"memory": ["a"]}).history == []


def test_a_private_attribute_beside_a_field_added_is_no_renamed_field() -> None:
    # (an agent's own cache or client, kept in its __dict__ under a private name, is no field
    # of its class: a field added since is given its default without a warning; one renamed
    # beside it is named alone)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        agent = rehydrate(Agent, {"_seen": 3})
    assert agent.history == []
    with pytest.warns(StateFieldsWarning) as caught:
        rehydrate(Agent, {"_seen": 3, "memory": ["a"]})
    (message,) = [str(w.message) for w in caught]
    assert "'memory'" in message and "_seen" not in message
