"""A ``defaultdict`` whose factory is a lambda (or a ``functools.partial``) is stored readably only
with a class as its factory (the golden names it, as ``"cls"``); without pickles the refusal said
"register an encoder for collections.defaultdict", not why, nor the simple fix. It now names the
factory and says to give the defaultdict a class (``defaultdict(list)``)."""

from __future__ import annotations

import collections
import functools
import sys

import pytest

from pytest_clearstone import codec
from pytest_clearstone.errors import SerializationError


@pytest.mark.parametrize(
    ("factory", "named"),
    [(lambda: [], "a lambda"), (functools.partial(list), "a functools.partial")],
)
def test_a_defaultdict_of_a_factory_no_golden_can_name_says_so(factory: object, named: str) -> None:
    value = {"index": collections.defaultdict(factory)}  # type: ignore[call-overload]
    with pytest.raises(SerializationError) as info:
        codec.encode(value, strict=True, allow_pickle=False)
    text = str(info.value)
    assert info.value.path == "root['index']"
    assert f"its default_factory is {named}, not a class" in text
    assert "defaultdict(list)" in text


def test_a_defaultdict_of_a_class_is_stored_readably() -> None:
    tree = codec.encode(collections.defaultdict(list, a=[1]), strict=True, allow_pickle=False)
    assert tree == {codec.TAG: "defaultdict", "v": [["a", [1]]], "cls": "builtins:list"}


class ScriptTally(dict):  # type: ignore[type-arg]
    """A class of the script that was run (``python agent.py``): a replay cannot import it."""


def test_a_defaultdict_of_a_class_of_the_running_script_is_not_stored_by_its_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (a golden naming '__main__:ScriptTally' could not be read where the script is not the
    # one running: the value is left to a pickle, refused here naming the factory)
    monkeypatch.setattr(ScriptTally, "__module__", "__main__")
    monkeypatch.setattr(sys.modules["__main__"], "ScriptTally", ScriptTally, raising=False)
    value = {"index": collections.defaultdict(ScriptTally)}
    with pytest.raises(SerializationError) as info:
        codec.encode(value, strict=True, allow_pickle=False)
    assert info.value.path == "root['index']"
    assert "its default_factory is the class __main__.ScriptTally, " in str(info.value)
    assert "defined in the script that was run (__main__)" in str(info.value)
    assert codec.encode(value)["index"][codec.TAG] == "pickle"  # (dill keeps a script's class)


def test_a_defaultdict_of_a_class_defined_in_a_function_names_the_class_and_the_fix() -> None:
    # It said "its default_factory is a type, not a class a golden can name": a type is a
    # class, and the class was not named, nor why no golden could name it.
    class Tally(dict):  # type: ignore[type-arg]
        pass

    with pytest.raises(SerializationError) as info:
        codec.encode({"index": collections.defaultdict(Tally)}, strict=True, allow_pickle=False)
    text = str(info.value)
    assert f"its default_factory is the class {__name__}.{Tally.__qualname__}, " in text
    assert "defined inside a function: define it at module level" in text
    assert "a type" not in text
