"""Ignore paths as users copy them from messages: a divergence over stored forms prints
``root['input'][0]['v']['content']`` (a model's fields are under ``v``), so ``input.*.v.content``
must match what ``input.*.content`` matches; and the hint of a divergence in fields of ``self``
only gives the ``ignore`` paths that leave them out."""

from __future__ import annotations

import dataclasses

import pytest

from pytest_clearstone import codec
from pytest_clearstone.diff import StateDelta
from pytest_clearstone.errors import ReplayDivergenceError
from pytest_clearstone.golden.ignore import IGNORED, IgnorePaths

messages = pytest.importorskip("langchain_core.messages")


def _encoded(value: object) -> object:
    return codec.encode(value, allow_pickle=False)


def test_a_path_copied_from_a_divergence_through_v_matches_the_model_fields() -> None:
    tree = _encoded({"input": [messages.HumanMessage("hi"), messages.AIMessage("there")]})
    recorded = _encoded({"input": [messages.HumanMessage("hello"), messages.AIMessage("there")]})
    # the message a divergence prints names the model's fields as attributes; an earlier
    # version printed the stored form's "v" level, and a path copied from it still works
    (line,) = StateDelta(recorded, tree).text_lines
    assert line.startswith("root['input'][0].content: 'hello' -> 'hi'")
    copied = IgnorePaths(["input.*.v.content"])
    assert copied.prune(tree) == IgnorePaths(["input.*.content"]).prune(tree)
    assert copied.prune(tree) == copied.prune(recorded)
    assert "content" not in copied.prune(tree)["input"][1]["v"]


@dataclasses.dataclass
class Pair:
    v: str  # a field really named "v"
    w: str


def test_v_names_a_field_called_v_too_and_a_whole_value_only_by_the_path_itself() -> None:
    tree = _encoded({"p": Pair("a", "b"), "t": ("x", "y")})
    assert IgnorePaths(["p.v"]).prune(tree)["p"]["v"] == {"w": "b"}  # the field, not the model
    assert IgnorePaths(["p.v.w"]).prune(tree)["p"]["v"] == {"v": "a"}
    assert IgnorePaths(["t.v.0"]).prune(tree)["t"]["v"] == [IGNORED, "y"]  # a tagged tuple


def test_a_path_through_v_matches_a_key_of_a_dict_stored_as_pairs() -> None:
    tree = _encoded({"cfg": {"run_id": "r1", 7: "seven"}})
    assert IgnorePaths(["cfg.v.run_id"]).prune(tree)["cfg"]["v"] == [[7, "seven"]]


@pytest.mark.parametrize(
    ("delta", "hint"),
    [
        ("root['self']['last_prompt']: 'a' (str) -> None (NoneType)", ["self.last_prompt"]),
        (
            "root['self']['v']['params']['tools'][0]: 'a' -> 'b'\n"
            "root['self']['a.b']: added 1\n"
            "root['self']['params']: removed 2",
            ["self.params", 'self["a.b"]'],
        ),
        ("root['self']['*']: 1 -> 2", ['self["*"]']),
    ],
)
def test_a_divergence_only_in_fields_of_self_gives_their_ignore_paths(
    delta: str, hint: list[str]
) -> None:
    message = str(ReplayDivergenceError("app.Model.request", 2, "s1", delta))
    assert f"leave them out: ignore={{'app.Model.request': {hint!r}}};" in message
    # where the agent keeps the object, its final state differs at the same fields
    in_state = [f"final_state.<where it is>{path[len('self') :]}" for path in hint]
    assert f"out of its final state too: ignore_state={in_state!r}." in message
    assert "The prompt or arguments changed" not in message


@pytest.mark.parametrize(
    "delta",
    [
        "root['self']['name']: 'a' -> 'b'\nroot['prompt']: 'x' -> 'y'",
        "root['prompt']: 'x' -> 'y'",
        "root['self']: 'a' -> 'b'",
        "root['self'][0]: 'a' -> 'b'",
        "root['kwargs']['name']: 'a' -> 'b'",
        "(arguments differ, but not in their values)",
    ],
)
def test_any_other_divergence_says_the_prompt_or_arguments_changed(delta: str) -> None:
    message = str(ReplayDivergenceError("app.Model.request", 2, "s1", delta))
    assert "The prompt or arguments changed" in message
    assert "Only fields of `self`" not in message


def test_a_field_of_self_that_differs_at_the_first_call_is_a_changed_setting() -> None:
    # no earlier call of the method can have set it: a changed temperature, not a side effect
    delta = "root['self']['temperature']: 0.2 -> 0.9"
    message = str(ReplayDivergenceError("langchain_openai.ChatOpenAI.invoke", 1, "s1", delta))
    assert "The prompt or arguments changed" in message
    assert "Only fields of `self`" not in message


@pytest.mark.parametrize(("sequence", "place"), [((1, 1), ""), ((2, 3), " (call 2 of 3 in")])
def test_the_place_in_the_recorded_sequence_is_given_among_more_than_one_call(
    sequence: tuple[int, int], place: str
) -> None:
    delta = "root['prompt']: 'x' -> 'y'"
    message = str(ReplayDivergenceError("app.f", 1, "s1", delta, sequence=sequence))
    assert message.startswith(f"replay diverged at call #1 to app.f{place}")
    assert ("recorded sequence" in message) is bool(place)
