"""How a value's nesting is measured and a deep path shortened, for the error that refuses a
value nested too deep: empty containers, dict keys, slotted dataclasses and cycles counted as
what they are, the depth a walk counted kept when it is more, a long path's middle left out."""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from pytest_clearstone.codec.nesting import MAX_DEPTH, nesting_depth, short_path, too_deep


@dataclasses.dataclass(slots=True)
class Slotted:
    items: list[Any]


def test_empty_containers_keys_and_slotted_dataclasses_are_levels() -> None:
    assert nesting_depth([]) == 1
    assert nesting_depth([[]]) == 2
    assert nesting_depth({((1,),): "key of tuples"}) == 3
    assert nesting_depth(Slotted([1])) == 2


def test_a_cycle_is_measured_once() -> None:
    loop: list[Any] = []
    loop.append(loop)
    depths: list[int] = []
    thread = threading.Thread(target=lambda: depths.append(nesting_depth(loop)), daemon=True)
    thread.start()
    thread.join(10)
    assert depths == [2]


def test_the_depth_a_walk_counted_is_kept_when_it_is_more() -> None:
    assert too_deep("state", [1], at_least=MAX_DEPTH + 50).depth == MAX_DEPTH + 50
    assert too_deep("state", [1]).depth == MAX_DEPTH + 1


def test_a_long_path_keeps_its_first_four_steps_and_its_last() -> None:
    parts = [f"['k{i}']" for i in range(9)]
    assert short_path("state", parts[:8]) == "state" + "".join(parts[:8])
    assert short_path("state", parts) == ("state['k0']['k1']['k2']['k3']…(4 more)…['k8']")


class Empty:
    def run(self) -> None:
        pass


def test_an_object_without_attributes_is_a_level_and_a_bound_method_none() -> None:
    # an object counts as a level, attributes or not; a method a state keeps (a callback) is
    # no container, as a function is not (though it reads its function's __dict__ through)
    assert nesting_depth([Empty()]) == 2
    assert nesting_depth({"callback": Empty().run}) == 1
    assert nesting_depth({"callback": print}) == 1


def test_modules_classes_and_functions_a_state_keeps_are_no_level() -> None:
    # (a module's and a function's __dict__ are dicts: their globals are not the value's)
    assert nesting_depth({"library": threading, "factory": Empty, "hook": short_path}) == 1


def test_sets_and_deques_are_levels() -> None:
    from collections import deque

    assert nesting_depth({"tags": {1, 2}}) == 2
    assert nesting_depth([frozenset({(1,)})]) == 3
    assert nesting_depth({"window": deque([[1]])}) == 3


class Unsaying:
    """An object that raises when asked what it holds (a proxy to a closed resource)."""

    @property
    def __dict__(self) -> dict[str, Any]:  # type: ignore[override]
        raise RuntimeError("the session is closed")


def test_a_value_that_raises_when_looked_into_is_a_leaf() -> None:
    # the error refusing a deep value measures it: an object raising its own error there is
    # not looked into (the refusal is still the one raised, not the object's error)
    assert nesting_depth({"session": Unsaying()}) == 1
    assert too_deep("state", [Unsaying()]).depth == MAX_DEPTH + 1
