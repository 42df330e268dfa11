"""The redaction walk over object graphs: it stops at modules, classes and functions, keeps a
tuple subclass it cannot rebuild, and visits each object once (shared objects stay shared)."""

from __future__ import annotations

import io
import logging
import sqlite3
import types
from collections import namedtuple
from typing import Any

import pytest

from pytest_clearstone import codec
from pytest_clearstone.redaction import PLACEHOLDER, Redactor

SECRET = "hunter2-Pw0rd-value"


class Counted:
    """An object that counts how often the walk reads its fields (``reads``), and refuses to
    be read more than ``budget`` times in all: a walk that is not linear fails at once
    instead of running for minutes."""

    reads = 0
    budget = 10_000

    def __init__(self, left: Any = None, right: Any = None) -> None:
        self.left, self.right = left, right

    def __getattribute__(self, name: str) -> Any:
        if name in ("left", "right"):
            Counted.reads += 1
            assert Counted.reads <= Counted.budget, "the walk visits shared objects again"
        return object.__getattribute__(self, name)


def _count_reads(value: Any, budget: int = 10_000) -> int:
    Counted.reads, Counted.budget = 0, budget
    Redactor()(value, "input", "app.db.query")
    return Counted.reads


class Conn:
    """A DB wrapper that keeps its DB-API driver module, as SQLAlchemy's dialect does."""

    def __init__(self) -> None:
        self.driver = sqlite3
        self.database = "shop.db"


class Pair(tuple):  # type: ignore[type-arg]
    """A tuple subclass whose ``__new__`` takes its items one by one (as ``codecs.CodecInfo``
    does): ``Pair(items)`` cannot rebuild it."""

    def __new__(cls, name: str, value: str) -> Pair:
        return super().__new__(cls, (name, value))


# -- what the walk does not descend into ----------------------------------------------------
def test_an_argument_holding_a_driver_module_is_recorded_without_walking_the_module() -> None:
    conn = Conn()
    out = Redactor()({"conn": conn, "sql": "select 1"}, "input", "app.db.query")
    assert out["conn"] is conn and out["conn"].driver is sqlite3


def test_modules_functions_and_methods_are_not_walked() -> None:
    module = types.ModuleType("settings")
    module.cache = Counted()  # type: ignore[attr-defined]

    def tool() -> None: ...

    tool.cache = Counted()  # type: ignore[attr-defined]

    class Tools:
        def search(self) -> None: ...

    Tools.search.cache = Counted()  # type: ignore[attr-defined]
    assert _count_reads({"module": module, "tool": tool, "method": Tools().search}) == 0
    assert _count_reads({"held": types.SimpleNamespace(module=module, tool=tool)}) == 0


def test_a_logger_is_neither_walked_nor_copied(monkeypatch: pytest.MonkeyPatch) -> None:
    # (its walk reached it again through its manager's loggers and made a copy, which no
    # logging.getLogger gives back: the golden stored its repr)
    logger = logging.getLogger("support.agent")
    monkeypatch.setattr(logger, "cache", Counted(), raising=False)
    assert _count_reads({"log": logger}) == 0
    assert Redactor()({"log": logger}, "state", "x")["log"] is logger


def test_a_function_attribute_under_a_secret_key_is_not_changed_in_place() -> None:
    def tool() -> None: ...

    tool.password = SECRET  # type: ignore[attr-defined]
    out = Redactor()({"tool": tool})
    assert out["tool"] is tool and tool.password == SECRET  # type: ignore[attr-defined]


class _LiveStream(io.RawIOBase):
    """A stream not read yet (an HTTP response's body) that keeps its credential."""

    def __init__(self) -> None:
        self.api_key = SECRET


def test_a_live_stream_holding_a_secret_is_left_as_it_is_and_its_secret_noted() -> None:
    stream = _LiveStream()
    redactor = Redactor()
    assert redactor({"body": stream})["body"] is stream
    assert SECRET in redactor.secret_values(environ={})


class _OpenConnection:
    """A driver's connection with a finalizer (aiosqlite's, which LangGraph's
    ``AsyncSqliteSaver`` keeps and passes to each node in its config): collected while open, it
    warns ``deleted before being closed``."""

    finalized = 0

    def __init__(self, **secrets: str) -> None:
        self.pending: list[str] = []  # (walked into a new list: the holder changes)
        vars(self).update(secrets)

    def __del__(self) -> None:
        _OpenConnection.finalized += 1


def test_an_object_with_a_finalizer_and_nothing_to_hide_is_left_as_it_is_never_copied() -> None:
    """A copy sharing the connection ran the finalizer when collected: a ResourceWarning per
    mocked call in the agent's own test, which failed under ``filterwarnings = error``."""
    import gc

    connection = _OpenConnection()
    out = Redactor()({"config": {"configurable": {"conn": connection}}}, "input", "app.llm")
    assert out["config"]["configurable"]["conn"] is connection
    del out
    gc.collect()
    assert _OpenConnection.finalized == 0


def test_an_object_with_a_finalizer_holding_a_secret_is_still_redacted_in_a_copy() -> None:
    connection = _OpenConnection(password=SECRET)
    out = Redactor()({"conn": connection}, "input", "app.llm")["conn"]
    assert out is not connection and out.password == PLACEHOLDER
    assert connection.password == SECRET  # type: ignore[attr-defined]


# -- tuple subclasses -----------------------------------------------------------------------
def test_a_tuple_subclass_with_nothing_to_redact_is_kept_as_it_is() -> None:
    pair = Pair("region", "eu-west-1")
    assert Redactor()({"pair": pair})["pair"] is pair


def test_a_tuple_subclass_its_class_cannot_rebuild_is_redacted_and_keeps_its_type() -> None:
    pair = Pair("password", SECRET)
    out = Redactor()({"pair": pair})["pair"]
    assert type(out) is Pair and out == ("password", PLACEHOLDER)
    assert pair == ("password", SECRET)  # the input is not changed
    # what the codec then stores for it (its repr: it is no namedtuple) holds no secret
    with pytest.warns(codec.UnencodableValueWarning, match="storing the repr"):
        stored = codec.encode(out, allow_pickle=False)
    assert SECRET not in str(stored) and PLACEHOLDER in str(stored)


def test_the_attributes_of_a_tuple_subclass_its_class_cannot_rebuild_are_kept() -> None:
    pair = Pair("password", SECRET)
    pair.source = "vault"  # type: ignore[attr-defined]
    out = Redactor()({"pair": pair})["pair"]
    assert out == ("password", PLACEHOLDER) and out.source == "vault"


def test_a_namedtuple_of_one_field_is_redacted_as_that_field() -> None:
    Credential = namedtuple("Credential", "token")
    out = Redactor()({"credential": Credential(SECRET)})["credential"]
    assert out == Credential(PLACEHOLDER) and out.token == PLACEHOLDER


# -- each object once -----------------------------------------------------------------------
def _dag(depth: int) -> Counted:
    node = Counted()
    for _ in range(depth):
        node = Counted(node, node)  # shared, acyclic: 2**depth paths, depth + 1 objects
    return node


def test_a_shared_object_graph_is_walked_once_per_object() -> None:
    # two reads (left, right) per object: the walk is linear, not one visit per path
    assert _count_reads({"graph": _dag(12)}, budget=1_000_000) == 2 * 13
    # a depth whose paths (2**60) no walk could follow in any time
    assert _count_reads({"graph": _dag(60)}, budget=1_000) == 2 * 61


def test_shared_references_stay_shared_in_the_redacted_copy() -> None:
    shared = {"password": SECRET, "host": "db"}
    out = Redactor()({"a": shared, "b": [shared], "c": (shared,)})
    assert out["a"] == {"password": PLACEHOLDER, "host": "db"}
    assert out["a"] is out["b"][0] is out["c"][0]


def test_an_allowed_path_inside_a_shared_object_is_kept_there_only() -> None:
    shared = {"token": SECRET}
    redactor = Redactor(allow=["root['b']['token']"])
    for value in ({"a": shared, "b": shared}, {"b": shared, "a": shared}):
        out = redactor(value)
        assert out["a"] == {"token": PLACEHOLDER} and out["b"] == {"token": SECRET}


# -- reference cycles ---------------------------------------------------------------------------


def test_an_object_with_a_finalizer_that_holds_itself_is_left_as_it_is() -> None:
    # (a connection whose pool refers back to it: never copied, not even emptied)
    connection = _OpenConnection()
    connection.pool = [connection]  # type: ignore[attr-defined]
    out = Redactor()({"conn": connection}, "input", "app.llm")
    assert out["conn"] is connection and vars(connection)["pool"] == [connection]


def test_a_deque_that_holds_itself_is_copied_with_its_items_once() -> None:
    from collections import deque

    history: deque[Any] = deque([{"api_key": SECRET}])
    history.append(history)
    out = Redactor()(history, "input", "app.llm")
    assert len(out) == 2 and out[0] == {"api_key": PLACEHOLDER} and out[1] is out
