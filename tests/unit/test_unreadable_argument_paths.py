"""The path a warning about an unreadable argument names is an ``ignore=`` path that leaves that
value out: given back to the marker, the recording no longer warns."""

from __future__ import annotations

import ast
import dataclasses
import functools
import warnings
import weakref
from typing import Any

import pydantic
import pytest

from pytest_clearstone.errors import UnencodableValueWarning
from pytest_clearstone.golden.ignore import IgnorePaths, recorded_form


class _Graph:
    def call(self) -> None:
        return None


_GRAPH = _Graph()


def _unpicklable() -> Any:
    # what LangGraph keeps in a node's config: dill cannot pickle a WeakMethod
    return functools.partial(print, weakref.WeakMethod(_GRAPH.call))


@dataclasses.dataclass
class Runtime:
    writer: Any
    step: int


def _warned_paths(value: Any, ignore: list[str]) -> list[str]:
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        recorded_form(value, IgnorePaths(ignore), "call #1 to app.llm")
    assert all(w.category is UnencodableValueWarning for w in seen)
    # (the fix as the message writes it: a list to paste into the marker)
    return [
        ast.literal_eval(str(w.message).split("ignore=")[1].split("; else")[0])[0] for w in seen
    ]


@pytest.mark.parametrize(
    ("value", "path"),
    [
        (
            {"config": {"configurable": {"__pregel_call": _unpicklable()}}},
            "config.configurable.__pregel_call",
        ),
        ({"tags": ["a", _unpicklable()]}, "tags.1"),
        ({"runtime": Runtime(writer=_unpicklable(), step=1)}, "runtime.writer"),
        ({"pair": ("a", _unpicklable())}, "pair.1"),
        ({"by_id": {7: _unpicklable()}}, "by_id"),  # (a path names string keys only)
        ({"by_id": {7: "seven", "call": _unpicklable()}}, "by_id.call"),
        ({"config": {"run.call": _unpicklable()}}, 'config["run.call"]'),
        ({"config": {'say "hi"': _unpicklable()}}, 'config["say \\"hi\\""]'),
        ({"config": {"**": _unpicklable()}}, 'config["**"]'),
    ],
)
def test_the_named_path_leaves_the_value_out(value: Any, path: str) -> None:
    assert _warned_paths(value, []) == [path]
    assert _warned_paths(value, [path]) == []


class Tool(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")
    name: str
    _memo: Any = pydantic.PrivateAttr(default=None)


def _tools() -> list[Any]:
    """pydantic models holding an unreadable value in a private attribute (LangChain's
    ``StructuredTool._tool_call_schema_memo``, in a ``ToolRuntime``'s ``tools``), an extra field
    and another attribute: each named as an attribute of the model, as a divergence shows it."""
    private = Tool(name="a")
    private._memo = _unpicklable()
    extra = Tool(name="b", hook=_unpicklable())
    other = Tool(name="c")
    object.__setattr__(other, "cache", _unpicklable())
    return [private, extra, other]


@pytest.mark.parametrize(
    ("index", "path"),
    [(0, "runtime.tools.0._memo"), (1, "runtime.tools.1.hook"), (2, "runtime.tools.2.cache")],
)
def test_the_named_path_of_a_model_attribute_leaves_it_out(index: int, path: str) -> None:
    value = {"runtime": {"tools": _tools()}}
    assert _warned_paths(value, [])[index] == path
    assert path not in _warned_paths(value, [path])
    assert (
        _warned_paths(
            value, ["runtime.tools.*._memo", "runtime.tools.*.hook", "runtime.tools.*.cache"]
        )
        == []
    )


def test_each_path_warns_once_per_target() -> None:
    warned: set[str] = set()
    value = {"a": _unpicklable(), "b": [_unpicklable()]}
    with pytest.warns(UnencodableValueWarning) as first:
        recorded_form(value, IgnorePaths([]), "call #1 to app.llm", warned)
    where = "in the arguments of call #1 to app.llm"
    assert [str(w.message).split(":")[0] for w in first] == [
        f"storing the repr of a functools.partial value at a {where}",
        f"storing the repr of a functools.partial value at b.0 {where}",
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        recorded_form(value, IgnorePaths([]), "call #2 to app.llm", warned)


def test_values_past_the_warned_ones_are_named_too() -> None:
    """pydantic-ai's ``MCPToolset.call_tool`` gets its toolset in ``tool.toolset``: a
    ``fastmcp`` client, an exit stack, the in-process server and more that cannot be stored
    readably. Only the first three were warned about; a user who left those out (under
    ``filterwarnings = error``, or to quiet them) recorded again to meet the next one, and the
    others were compared by type with no word."""
    value = {name: _unpicklable() for name in ("a", "b", "c", "d", "e")}
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        recorded_form(value, IgnorePaths([]), "call #1 to app.llm", set())
    messages = [str(w.message) for w in seen]
    assert len(messages) == 4, messages
    last = messages[-1]
    assert "2 more value(s) in the arguments of call #1 to app.llm cannot" in last
    assert "ignore=['d', 'e']" in last
    assert _warned_paths(value, ["a", "b", "c", "d", "e"]) == []


def test_a_sql_statement_is_named_as_one_with_the_fix_written_for_its_path() -> None:
    """An insert as a select; in a list, the fix names the statement ``stmt`` (``str(queries.0)``
    is no Python)."""
    from sqlalchemy import Column, Integer, String, insert, select
    from sqlalchemy.orm import DeclarativeBase

    class Base(DeclarativeBase):
        pass

    class Order(Base):
        __tablename__ = "orders"
        id = Column(Integer, primary_key=True)
        customer = Column(String(20))

    value = {
        "statement": insert(Order).values(id=1),
        "queries": [select(Order.id).where(Order.customer == "ann")],
    }
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        recorded_form(value, IgnorePaths([]), "call #1 to app.run")
    first, second = (str(w.message) for w in seen)
    assert first.startswith("storing the repr of a sqlalchemy.sql.dml.Insert value at statement")
    assert "a SQL statement" in first
    assert first.endswith("(str(statement), statement.compile().params)")
    assert "Select value at queries.0 " in second
    assert second.endswith("(str(stmt), stmt.compile().params)")


def test_the_warning_names_the_type_of_the_value_with_its_article() -> None:
    async def feed() -> Any:
        yield 1

    with pytest.warns(
        UnencodableValueWarning,
        match=r"^storing the repr of an async_generator value at feed in the arguments of call "
        r"#1 to app\.llm: it cannot be stored readably",
    ):
        recorded_form({"feed": feed()}, IgnorePaths([]), "call #1 to app.llm")


def test_under_an_error_filter_the_first_warning_names_every_path_of_the_call() -> None:
    """Under ``filterwarnings = error`` the first warning is raised and the others of the call
    are never seen: LangGraph's ``astream(subgraphs=True)`` passes a node's model call both
    ``__pregel_stream.__call__`` and ``__pregel_call``, and a user who left out the one named
    met the other at the next recording. The raised warning names them all in one fix."""
    configurable = {"__pregel_stream": _unpicklable(), "__pregel_call": _unpicklable()}
    value = {"config": {"configurable": configurable}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UnencodableValueWarning) as raised:
            recorded_form(value, IgnorePaths([]), "call #1 to app.llm", set())
    message = str(raised.value)
    assert message.startswith(
        "storing the repr of a functools.partial value at config.configurable.__pregel_stream "
    )
    fix = message.split("leave them all out with the marker's ignore=")[1]
    paths = ast.literal_eval(fix)
    assert paths == ["config.configurable.__pregel_stream", "config.configurable.__pregel_call"]
    assert _warned_paths(value, paths) == []


def test_under_an_error_filter_a_single_path_is_named_as_before() -> None:
    value = {"config": {"configurable": {"__pregel_call": _unpicklable()}}}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(UnencodableValueWarning) as raised:
            recorded_form(value, IgnorePaths([]), "call #1 to app.llm", set())
    assert "all out" not in str(raised.value)
    assert str(raised.value).endswith("(pytest_clearstone.codec.register)")
