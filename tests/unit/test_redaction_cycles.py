"""A value that holds itself (a reference cycle) is redacted into a copy whose cycle is the copy.

An agent's config dict that keeps a reference to itself, a list that holds itself, a graph of
objects whose attributes point back: the redacted copy must not reach the original anywhere.
Before the fix, the walk left a cycle's back reference alone, so the copy's ``d["self"]`` was
the *original*, unredacted dict: the recorded argument held the secret one level down, and the
trace store wrote it in clear.
"""

from __future__ import annotations

import dataclasses
from collections import deque
from typing import Any

from pytest_clearstone.redaction import PLACEHOLDER, Redactor

KEY = "sk-live-0123456789abcdefghijABCDEF"
PASSWORD = "hunter2-very-secret"


def _reachable(value: Any) -> list[Any]:
    """Every container and object reachable from ``value`` (each once)."""
    seen: dict[int, Any] = {}
    stack = [value]
    while stack:
        x = stack.pop()
        if id(x) in seen or isinstance(x, (str, int, float, bool, type(None))):
            continue
        seen[id(x)] = x
        if isinstance(x, dict):
            stack.extend(x.values())
        elif isinstance(x, (list, tuple, set, frozenset, deque)):
            stack.extend(x)
        elif hasattr(x, "__dict__"):
            stack.extend(vars(x).values())
    return list(seen.values())


def _assert_apart(copy: Any, *originals: Any) -> None:
    """The copy reaches none of ``originals`` and holds no secret."""
    reached = _reachable(copy)
    assert not [x for x in reached if any(x is o for o in originals)]
    assert not [x for x in reached if KEY in repr(vars(x) if hasattr(x, "__dict__") else x)]


def test_a_dict_that_holds_itself_gives_a_copy_that_holds_the_copy() -> None:
    d: dict[str, Any] = {"api_key": KEY, "name": "x"}
    d["self"] = d
    out = Redactor()(d, "input", "app.llm")
    assert out is not d
    assert out["self"] is out
    assert out["api_key"] == PLACEHOLDER
    _assert_apart(out, d)
    assert d["api_key"] == KEY and d["self"] is d  # the agent's value is left as it was


def test_a_list_that_holds_itself() -> None:
    items: list[Any] = [KEY, {"n": 1}]
    items.append(items)
    out = Redactor()(items)
    assert out[0] == PLACEHOLDER
    assert out[2] is out
    _assert_apart(out, items)


def test_a_dict_subclass_and_a_deque_that_hold_themselves() -> None:
    class Config(dict[str, Any]):
        pass

    config = Config(token=KEY)
    config["me"] = config
    out = Redactor()(config)
    assert type(out) is Config and out["me"] is out and out["token"] == PLACEHOLDER
    _assert_apart(out, config)

    queue: deque[Any] = deque([KEY], maxlen=5)
    queue.append(queue)
    out = Redactor()(queue)
    assert out.maxlen == 5 and out[0] == PLACEHOLDER and out[1] is out
    _assert_apart(out, queue)


@dataclasses.dataclass
class Node:
    name: str
    password: str = PASSWORD
    parent: Any = None
    children: list[Any] = dataclasses.field(default_factory=list)


class Session:
    def __init__(self) -> None:
        self.api_key = KEY
        self.owner: Any = None


def test_a_cycle_through_dataclasses_is_the_copy_whichever_end_the_walk_starts_from() -> None:
    root = Node("root")
    leaf = Node("leaf", parent=root)
    root.children.append(leaf)
    for start in (root, leaf, {"tree": root}, [leaf, root]):
        out = Redactor()(start)
        _assert_apart(out, root, leaf, root.children)
        copies = [x for x in _reachable(out) if isinstance(x, Node)]
        assert sorted(n.name for n in copies) == ["leaf", "root"]  # one copy of each
        new_root = next(n for n in copies if n.name == "root")
        new_leaf = next(n for n in copies if n.name == "leaf")
        assert new_root.children == [new_leaf] and new_leaf.parent is new_root
        assert {n.password for n in copies} == {PLACEHOLDER}
    assert root.password == PASSWORD and leaf.parent is root


def test_a_cycle_through_plain_objects_and_a_dict() -> None:
    session = Session()
    state = {"session": session, "password": PASSWORD}
    session.owner = state
    for start in (session, state):
        out = Redactor()(start)
        new_state = out if isinstance(out, dict) else out.owner
        assert new_state["session"].owner is new_state
        assert new_state["session"].api_key == PLACEHOLDER
        assert new_state["password"] == PLACEHOLDER
        _assert_apart(out, session, state)


def test_a_cycle_through_a_tuple_or_a_set() -> None:
    holder: list[Any] = []
    pair = (holder, KEY)
    holder.append(pair)
    for start in (pair, holder):
        out = Redactor()(start)
        new_pair = out if isinstance(out, tuple) else out[0]
        assert new_pair[1] == PLACEHOLDER
        assert new_pair[0][0] is new_pair
        _assert_apart(out, pair, holder)

    session = Session()
    group = {session}
    session.owner = group
    out = Redactor()(group)
    (member,) = out
    assert member.owner is out and member.api_key == PLACEHOLDER
    _assert_apart(out, group, session)


def test_a_value_shared_inside_a_cycle_stays_one_value() -> None:
    shared = {"token": KEY}
    d: dict[str, Any] = {"a": shared, "b": [shared]}
    d["loop"] = [d, shared]
    out = Redactor()(d)
    assert out["a"] is out["b"][0] is out["loop"][1]
    assert out["loop"][0] is out
    _assert_apart(out, d, shared)


def test_the_secrets_of_a_cycle_are_noted_and_redaction_is_idempotent() -> None:
    d: dict[str, Any] = {"password": PASSWORD}
    d["self"] = d
    redactor = Redactor()
    once = redactor(d, "state", "tests/test_x.py::test_y")
    assert PASSWORD in redactor.secret_values(environ={})  # for the scan of the golden
    twice = redactor(once)
    assert twice["password"] == PLACEHOLDER and twice["self"] is twice


class Scope:
    """A slotted object in a cycle, as anyio's ``CancelScope`` (its parent scope, its child
    scopes): held by an MCP toolset's exit stack, recorded as ``self`` of its ``call_tool``."""

    __slots__ = ("api_key", "children", "name", "parent")

    def __init__(self, name: str, api_key: str = "") -> None:
        self.name = name
        self.api_key = api_key
        self.children: list[Any] = []
        self.parent: Any = None


def test_a_cycle_through_slotted_objects_holding_a_secret() -> None:
    # Before the fix, the walk filled the back reference's copy with vars(), which a slotted
    # object has not: TypeError, and the recording of pydantic-ai's MCPToolset.call_tool failed.
    outer = Scope("outer", KEY)
    inner = Scope("inner")
    outer.children.append(inner)
    inner.parent = outer
    for start in (outer, inner):
        out = Redactor()(start)
        new_outer = out if out.name == "outer" else out.parent
        assert new_outer is not outer and new_outer.api_key == PLACEHOLDER
        assert new_outer.children[0].parent is new_outer
        assert new_outer.children[0] is not inner
    assert outer.api_key == KEY and inner.parent is outer  # the agent's objects as they were
