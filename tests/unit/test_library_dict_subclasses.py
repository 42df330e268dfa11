"""The client libraries' dict subclasses — openai's ``pydantic_function_tool`` and
``pydantic_responses_function_tool`` tools, anthropic's tagged params, LangChain's
``AddableDict`` — are stored as readable JSON of their items (what the SDK sends), compared by
those items, and read back as the same class (``cls.__new__``, the items, and the instance
``__dict__`` when it is plain data). They were pickles: a golden stored a placeholder compared by
type, so a changed tool description or schema replayed green."""

from __future__ import annotations

import collections
import json
from typing import Any

import pytest

from pytest_clearstone.codec import TAG, decode, dumps, encode, loads, same_stored_form
from pytest_clearstone.diff import StateDelta

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")
pydantic = pytest.importorskip("pydantic")


class SearchFlights(pydantic.BaseModel):
    """Search flights to a city."""

    query: str


class SearchTrains(pydantic.BaseModel):
    """Search flights to a city."""

    query: str
    max_price: int | None = None


def _tool(model: Any = SearchFlights, description: str | None = None) -> dict[str, Any]:
    tool: dict[str, Any] = openai.pydantic_function_tool(
        model, name="SearchFlights", description=description
    )
    return tool


def _stored(value: Any) -> Any:
    """``value`` as a golden stores it: encoded without pickles, written and read as JSON."""
    return json.loads(dumps(encode(value, strict=True, allow_pickle=False)))


def test_a_pydantic_function_tool_is_stored_as_its_items_and_read_back_as_itself() -> None:
    tool = _tool()
    tree = _stored(tool)
    function = tree["function"]
    assert function[TAG] == "mapping"
    assert function["cls"] == "openai.lib._tools:PydanticFunctionTool"
    assert function["v"] == dict(tool["function"])  # readable: what the SDK sends
    assert function["v"]["description"] == "Search flights to a city."
    assert function["attrs"]["model"]["cls"].endswith(":SearchFlights")
    back = loads(dumps(tree))
    assert back == tool
    assert type(back["function"]) is openai.lib._tools.PydanticFunctionTool
    assert back["function"].model is SearchFlights
    assert same_stored_form(tool, back, tree)


def test_a_responses_pydantic_function_tool_is_stored_readably_too() -> None:
    tool = openai.pydantic_responses_function_tool(SearchFlights)
    tree = _stored(tool)
    assert tree[TAG] == "mapping"
    assert tree["cls"] == "openai.lib._tools:ResponsesPydanticFunctionTool"
    assert tree["v"]["parameters"]["properties"] == {"query": {"title": "Query", "type": "string"}}
    back = decode(tree)
    assert type(back) is type(tool)
    assert back == tool
    assert back.model is SearchFlights


def test_a_changed_description_or_schema_is_a_difference_named_by_its_path() -> None:
    recorded = loads(dumps(_stored({"tools": [_tool()]})))
    live = {"tools": [_tool(description="Search TRAINS only, never flights.")]}
    assert not same_stored_form(live, recorded)
    paths = [change.path for change in StateDelta(recorded, live).changes]
    assert paths == ["root['tools'][0]['function']['description']"]

    live = {"tools": [_tool(SearchTrains, description="Search flights to a city.")]}
    assert not same_stored_form(live, recorded)
    paths = [change.path for change in StateDelta(recorded, live).changes]
    assert "root['tools'][0]['function']['parameters']['properties']['max_price']" in paths


def test_an_equal_tool_is_the_same() -> None:
    recorded = loads(dumps(_stored({"tools": [_tool()]})))
    assert same_stored_form({"tools": [_tool()]}, recorded)
    assert not StateDelta(recorded, {"tools": [_tool()]}).changes


def test_anthropics_tagged_params_keep_their_helper_tag() -> None:
    from anthropic.lib._stainless_helpers import carry_helper_tag, get_helper_tag, tag_helper

    class Source:
        pass

    source = Source()
    tag_helper(source, "mcp_tool")
    params = carry_helper_tag(source, {"name": "search", "input_schema": {"type": "object"}})
    tree = _stored(params)
    assert tree[TAG] == "mapping"
    assert tree["v"] == {"name": "search", "input_schema": {"type": "object"}}
    back = decode(tree)
    assert type(back) is type(params)
    assert back == params
    assert get_helper_tag(back) == "mcp_tool"


def test_langchains_addable_dict_reads_back_as_itself() -> None:
    runnables = pytest.importorskip("langchain_core.runnables.utils")
    chunk = runnables.AddableDict(answer="Lisbon", score=1)
    assert _stored(chunk) == {  # (no attributes: none written)
        TAG: "mapping",
        "cls": "langchain_core.runnables.utils:AddableDict",
        "v": {"answer": "Lisbon", "score": 1},
    }
    back = decode(_stored(chunk))
    assert type(back) is runnables.AddableDict
    assert back == chunk
    assert back + runnables.AddableDict(answer="!") == {"answer": "Lisbon!", "score": 1}


def test_keys_that_are_not_text_are_stored_as_pairs() -> None:
    tool = openai.lib._tools.PydanticFunctionTool({1: "one", TAG: "x"}, SearchFlights)
    tree = _stored(tool)
    assert tree["v"][TAG] == "dict"
    back = decode(tree)
    assert back == {1: "one", TAG: "x"} and type(back) is type(tool)


def test_attributes_that_are_not_plain_data_read_back_as_a_plain_dict() -> None:
    tool = openai.lib._tools.PydanticFunctionTool({"name": "f"}, SearchFlights)
    tool.handle = object()  # (not plain data: the class cannot be rebuilt from the file)
    tree = _stored(tool)
    assert tree == {
        TAG: "mapping",
        "cls": "openai.lib._tools:PydanticFunctionTool",
        "v": {"name": "f"},
        "plain": True,
    }
    back = decode(tree)
    assert type(back) is dict and back == {"name": "f"}


class UserDict(dict):  # type: ignore[type-arg]
    """A user's own dict subclass: left to a pickle, as before (its class may keep invariants
    the codec cannot see)."""


def test_a_users_own_dict_subclass_is_still_pickled() -> None:
    tree = encode(UserDict(a=1))
    assert tree[TAG] == "pickle"
    assert decode(tree, allow_pickle=True) == {"a": 1}


def test_the_collections_keep_their_tags() -> None:
    assert encode(collections.OrderedDict(a=1)) == {TAG: "ordereddict", "v": [["a", 1]]}
    assert encode(collections.Counter(a=2)) == {TAG: "counter", "v": [["a", 2]]}
    assert encode(collections.defaultdict(list, a=[1])) == {
        TAG: "defaultdict",
        "cls": "builtins:list",
        "v": [["a", [1]]],
    }


def test_a_golden_written_before_still_reads_its_placeholder() -> None:
    old = {
        TAG: "repr",
        "type": "openai.lib._tools.PydanticFunctionTool",
        "v": "<openai.lib._tools.PydanticFunctionTool: not stored (no readable form); "
        "compared by type>",
    }
    recorded = decode({"type": "function", "function": old})
    assert same_stored_form(_tool(), recorded)


def test_reading_one_imports_no_sdk_to_recognise_it() -> None:
    import subprocess
    import sys

    code = (
        "import sys, pytest_clearstone.codec as c\n"
        "c.encode({'a': 1})\n"
        "print(sorted(m for m in ('openai', 'anthropic', 'pydantic', 'httpx', 'httpx2') "
        "if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_inspection_shows_one_as_its_items_without_importing_its_class() -> None:
    """``show`` and ``diff`` (which import no module a file names) name a changed tool by the
    same path as a replay's delta: ``['tools'][0]['function']['description']``."""
    from pytest_clearstone.codec.views import decoded_view

    view = decoded_view(_stored(_tool()), allow_pickle=False, views=True)
    assert type(view["function"]) is dict
    assert view["function"] == dict(_tool()["function"])


def test_inspection_shows_an_edited_one_without_its_items_by_its_fields() -> None:
    from pytest_clearstone.codec.views import decoded_view

    edited = {TAG: "mapping", "cls": "openai.lib._tools:PydanticFunctionTool", "plain": True}
    view = decoded_view(edited, allow_pickle=False, views=True)
    assert repr(view) == "PydanticFunctionTool(plain=True)"


def test_inspection_shows_the_values_of_classes_not_imported_in_its_items_by_their_fields() -> None:
    from pytest_clearstone.codec.views import decoded_view

    price = {TAG: "dataclass", "cls": "app.money:Money", "v": {"cents": 1}}
    stored = {TAG: "mapping", "cls": "openai.lib._tools:PydanticFunctionTool", "v": {"p": price}}
    view = decoded_view(stored, allow_pickle=False, views=True)
    assert repr(view) == "{'p': Money(cents=1)}"
