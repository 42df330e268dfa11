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
