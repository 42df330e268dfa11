"""The hint for a final state that differs only in fields the mocked method sets itself."""

from __future__ import annotations

import dataclasses
import types

from pytest_clearstone.golden.responses import ReplayCall
from pytest_clearstone.golden.self_fields import final_state_hint


@dataclasses.dataclass
class Model:
    name: str = "m"
    last: str | None = None

    def request(self, prompt: str) -> str:
        return prompt


TARGET = f"{__name__}.Model.request"
CALLS = [ReplayCall(TARGET, 1, {"self": {"stored": "form"}, "prompt": "a"}, None)]


def test_fields_of_the_mocked_object_are_named_with_their_ignore_state_paths() -> None:
    state = {"team": [{"model": Model()}], "answers": []}
    delta = "root['team'][0]['model'].last: 'a' -> None"
    hint = final_state_hint(state, CALLS, [delta])
    assert f"Only fields of the object that {TARGET} is called on differ" in hint
    assert "ignore_state=['final_state.team.0.model.last']" in hint


def test_no_hint_when_anything_else_differs_or_no_method_was_called() -> None:
    state = {"model": Model(), "answers": []}
    both = "root['model'].last: 'a' -> None\nroot['answers'][0]: 'x' -> 'y'"
    assert final_state_hint(state, CALLS, [both]) == ""
    assert final_state_hint(state, [], ["root['model'].last: 'a' -> None"]) == ""
    plain = [ReplayCall("app.complete", 1, {"prompt": "a"}, None)]
    assert final_state_hint(state, plain, ["root['model'].last: 'a' -> None"]) == ""


class SubModel(Model):
    """A subclass the agent uses; the mocked method is the base class's."""


def _hint(state: object, delta: str, calls: list[ReplayCall] = CALLS) -> str:
    return final_state_hint(state, calls, [delta])


def test_an_object_of_a_subclass_of_the_mocked_class_is_found() -> None:
    hint = _hint({"model": SubModel()}, "root['model'].last: 'a' -> None")
    assert "ignore_state=['final_state.model.last']" in hint


def test_objects_in_tuples_and_under_keys_with_dots_are_found_by_their_paths() -> None:
    assert "final_state.team.0.last" in _hint({"team": (Model(),)}, "root['team'][0].last: 1 -> 2")
    hint = _hint({"a.b": Model()}, "root['a.b'].last: 'a' -> None")
    assert "ignore_state=['final_state.[\"a.b\"].last']" in hint


def test_an_object_under_a_key_that_is_not_text_or_too_deep_gives_no_hint() -> None:
    assert _hint({1: Model()}, "root[1].last: 'a' -> None") == ""
    deep = {"a": {"b": {"c": {"d": {"e": Model()}}}}}
    assert _hint(deep, "root['a']['b']['c']['d']['e'].last: 'a' -> None") == ""


def test_an_object_four_levels_deep_is_found() -> None:
    deep = {"a": {"b": {"c": {"d": Model()}}}}
    hint = _hint(deep, "root['a']['b']['c']['d'].last: 'a' -> None")
    assert "ignore_state=['final_state.a.b.c.d.last']" in hint


def test_an_object_kept_at_two_places_is_named_at_both() -> None:
    model = Model()
    delta = "root['llm'].last: 'a' -> None\nroot['team'][0].last: 'a' -> None"
    hint = _hint({"llm": model, "team": [model]}, delta)
    assert "ignore_state=['final_state.llm.last', 'final_state.team.0.last']" in hint


def test_two_fields_of_one_object_name_its_method_once() -> None:
    delta = "root['model'].last: 'a' -> None\nroot['model'].name: 'm' -> 'n'"
    hint = _hint({"model": Model()}, delta)
    assert f"Only fields of the object that {TARGET} is called on differ" in hint
    assert "ignore_state=['final_state.model.last', 'final_state.model.name']" in hint


def test_an_object_whose_attribute_name_starts_another_s_does_not_hide_it() -> None:
    # (root.model is a prefix of root.model2's delta line, and is looked at first)
    state = types.SimpleNamespace(model2=Model(), model=Model())
    hint = _hint(state, "root.model2.last: 'a' -> None")
    assert "ignore_state=['final_state.model2.last']" in hint


def test_a_field_whose_delta_spans_lines_is_named() -> None:
    delta = "root['model'].last:\n  - 'first line\n  + 'second line"
    assert "final_state.model.last" in _hint({"model": Model()}, delta)


def test_a_field_named_beyond_ascii_is_named_whole() -> None:
    # (Python's names are not only ASCII: the hint was not given for `größe`; a path of its
    # first letters, `gr`, would leave out a field that does not exist)
    hint = _hint({"model": Model()}, "root['model'].größe: 1 -> 2")
    assert "ignore_state=['final_state.model.größe']" in hint
    assert _hint({"model": Model()}, "root['model'].größe[0]: 1 -> 2") == hint
    assert _hint({"model": Model()}, "root['model'].2nd: 1 -> 2") == ""


def test_a_pydantic_models_set_fields_follow_its_fields_and_are_not_a_path() -> None:
    state = {"model": Model()}
    both = "root['model'].last: 'a' -> None\nroot['model'].model_fields_set: {'last'} -> set()"
    assert "ignore_state=['final_state.model.last']" in _hint(state, both)
    assert _hint(state, "root['model'].model_fields_set: {'last'} -> set()") == ""


def test_every_mocked_method_whose_object_changed_is_named() -> None:
    other = f"{__name__}.Other.ask"
    calls = [*CALLS, ReplayCall(other, 1, {"self": {}, "q": "a"}, None)]
    state = {"model": Model(), "other": Other()}
    delta = "root['model'].last: 'a' -> None\nroot['other'].seen: 1 -> 0"
    hint = final_state_hint(state, calls, [delta])
    assert f"the object that {TARGET} and {other} is called on" in hint
    assert "ignore_state=['final_state.model.last', 'final_state.other.seen']" in hint


def test_a_method_called_without_its_object_gives_no_hint() -> None:
    """A static or class method mocked: the replay answers it without an object of the class."""
    calls = [ReplayCall(TARGET, 1, {"prompt": "a"}, None)]
    assert _hint({"model": Model()}, "root['model'].last: 'a' -> None", calls) == ""


@dataclasses.dataclass
class Other:
    seen: int = 0

    def ask(self, q: str) -> str:
        return q
