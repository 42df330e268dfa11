"""A mock target that is a method of a built-in or C-extension type (``sqlite3.Cursor.execute``)
cannot be patched: the error says so and gives the fix that works, mocking the agent's own
function that calls it (the path *is* where the agent looks the method up)."""

from __future__ import annotations

import re
import sqlite3
import sys
import types
from typing import Any

import pytest

from pytest_clearstone.errors import MockTargetError
from pytest_clearstone.golden.targets import PatchStack, patch_with, resolve, set_target

#: what the message says for every method of a built-in or C-extension type
FIX = "is a built-in or C-extension type, whose methods cannot be patched ("
END = ". Mock the function of the agent's own that calls it instead, e.g. 'my_app.db.run_query'"


@pytest.mark.parametrize(
    ("path", "owner"),
    [
        ("sqlite3.Cursor.execute", "sqlite3.Cursor"),
        ("sqlite3.Connection.execute", "sqlite3.Connection"),
        ("builtins.str.upper", "builtins.str"),
    ],
)
@pytest.mark.parametrize("record", [False, True])
def test_a_method_of_a_c_type_is_refused_with_the_fix_that_works(
    path: str, owner: str, record: bool
) -> None:
    # Before the fix: "... Give the import path where the agent looks the function up", which
    # it already is
    stack = PatchStack()
    with pytest.raises(MockTargetError) as info:
        if record:
            set_target(resolve(path), lambda *a: "recorded", stack)
        else:
            patch_with(resolve(path), lambda args, kwargs: "replayed", stack)
    stack.undo()
    message = str(info.value)
    assert message.startswith(f"mock target {path!r} cannot be patched: {owner!r} {FIX}"), message
    assert message.endswith(f"immutable type {owner.removeprefix('builtins.')!r}){END}"), message
    assert "where the agent looks the function up" not in message
    assert info.value.target == path


def test_a_method_through_an_instance_of_a_c_type_is_refused_the_same_way(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # the method on the instance's class would be refused too: not proposed
    import types

    module: Any = types.ModuleType("cs_db")
    module.conn = sqlite3.connect(":memory:")
    monkeypatch.setitem(__import__("sys").modules, "cs_db", module)
    try:
        with pytest.raises(MockTargetError) as info:
            set_target(resolve("cs_db.conn.execute"), lambda *a: None, PatchStack())
    finally:
        module.conn.close()
    message = str(info.value)
    assert message.startswith(
        f"mock target 'cs_db.conn.execute' cannot be patched: 'sqlite3.Connection' {FIX}"
    ), message
    assert message.endswith(END), message


@pytest.mark.parametrize("path", ["json.dumps, json.loads", "json.dumps json.loads"])
def test_a_path_holding_two_targets_is_refused_saying_to_give_a_list(path: str) -> None:
    # mock={"tool": "json.dumps, json.loads"}: it named "module 'json' has no attribute
    # 'dumps, json'", as if the user had misspelt a function
    with pytest.raises(MockTargetError) as caught:
        resolve(path)
    message = str(caught.value)
    assert "no attribute" not in message
    assert "a comma or a space, which no import path holds" in message
    assert "Give each target as an item of a list: {'tool': ['a.b', 'c.d']}" in message


def test_a_function_defined_inside_another_is_refused_with_the_fix_that_works() -> None:
    # a path copied from a nested function's __qualname__ (`agent.<locals>.search`). Before the
    # fix: "function 'pytest_clearstone.golden.targets.resolve' has no attribute '<locals>'. Give
    # the import path where the agent looks the function up", which no path is
    path = "pytest_clearstone.golden.targets.resolve.<locals>.search"
    with pytest.raises(MockTargetError) as info:
        resolve(path)
    message = str(info.value)
    assert (
        "'pytest_clearstone.golden.targets.resolve.<locals>.search' is defined inside the "
        "function 'pytest_clearstone.golden.targets.resolve', which makes it anew on each call: "
        "no import path reaches it" in message
    )
    assert message.endswith(
        "Mock a module-level function that it calls (or that calls it), or define it at module "
        "level and mock that path"
    )
    assert "Give the import path" not in message


def test_a_module_given_as_the_target_names_its_function_of_the_same_name(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a tool in a module of its own name (tools/search.py defines search): the mock path
    # written as the import line reads, "tools_pkg.search". Before the fix: "it is a module,
    # not a callable. Give the import path ...", with no word of the function it holds
    package = tmp_path / "tools_pkg_advice"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "search.py").write_text("def search(q):\n    return [q]\n")
    (package / "misc.py").write_text("def other(q):\n    return q\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for imported in (False, True):  # (the agent imports it, or will when it runs)
        if imported:
            __import__("tools_pkg_advice.search")
        with pytest.raises(MockTargetError) as info:
            resolve("tools_pkg_advice.search")
        assert str(info.value) == (
            "mock target 'tools_pkg_advice.search' cannot be patched: it is a module, not a "
            "callable. Give the function in it: 'tools_pkg_advice.search.search', or the "
            "import path where the agent looks the function up"
        )
    with pytest.raises(MockTargetError, match=r"it is a module, not a callable\. Give the import"):
        resolve("tools_pkg_advice.misc")
    for name in ("tools_pkg_advice", "tools_pkg_advice.search", "tools_pkg_advice.misc"):
        sys.modules.pop(name, None)  # (not monkeypatch.delitem: it would put them back)


def test_a_module_given_as_the_target_names_its_tool_of_the_same_name(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # LangChain's @tool in a module of its own name (tools/search.py: `@tool def search`): the
    # tool is no function but holds one. Before the fix: "it is a module, not a callable. Give
    # the import path ...", with no word of the tool it holds, whose path resolves
    pytest.importorskip("langchain_core")
    package = tmp_path / "tools_pkg_tool_advice"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "search.py").write_text(
        "from langchain_core.tools import tool\n\n\n@tool\ndef search(q: str) -> list[str]:\n"
        '    """Search the docs."""\n    return [q]\n'
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(MockTargetError) as info:
            resolve("tools_pkg_tool_advice.search")
        assert str(info.value) == (
            "mock target 'tools_pkg_tool_advice.search' cannot be patched: it is a module, not "
            "a callable. Give the StructuredTool in it: 'tools_pkg_tool_advice.search.search', "
            "or the import path where the agent looks the function up"
        )
        assert resolve("tools_pkg_tool_advice.search.search").path == (
            "tools_pkg_tool_advice.search.search"
        )
    finally:
        for name in ("tools_pkg_tool_advice", "tools_pkg_tool_advice.search"):
            sys.modules.pop(name, None)


@pytest.mark.parametrize(
    ("path", "moved"),
    [
        (
            "openai.resources.beta.chat.completions.Completions.parse",
            "openai.resources.chat.completions.Completions.parse",
        ),
        (
            "openai.resources.beta.chat.completions.AsyncCompletions.parse",
            "openai.resources.chat.completions.AsyncCompletions.parse",
        ),
        (
            "openai.resources.beta.vector_stores.VectorStores.create",
            "openai.resources.vector_stores.VectorStores.create",
        ),
        (  # (a level just above the class)
            "openai.resources.chat.completions.v1.Completions.create",
            "openai.resources.chat.completions.Completions.create",
        ),
        (  # (the level just under the SDK's package)
            "openai.types.resources.chat.completions.Completions.create",
            "openai.resources.chat.completions.Completions.create",
        ),
    ],
)
def test_a_path_of_an_older_sdk_names_where_the_installed_sdk_has_the_method(
    path: str, moved: str
) -> None:
    # Before the fix: "module 'openai.resources.beta' has no attribute 'chat'. Give the import
    # path where the agent looks the function up, e.g. 'my_app.llm.complete'", for the path of
    # client.beta.chat.completions.parse in openai 1.x's docs, which openai 3.x has moved
    pytest.importorskip("openai")
    with pytest.raises(MockTargetError) as info:
        resolve(path)
    message = str(info.value)
    assert any(
        f"has no attribute {name!r}" in message
        for name in ("chat", "vector_stores", "v1", "resources")
    )
    assert message.endswith(
        f". The installed openai has this method at {moved!r}: mock that path"
    ), message
    assert "my_app" not in message
    resolve(moved)  # (the path named works)


def test_an_older_sdk_path_to_what_is_no_function_names_no_moved_method() -> None:
    # (with_raw_response is a property of the class: a path to it is refused too)
    pytest.importorskip("openai")
    with pytest.raises(MockTargetError) as info:
        resolve("openai.resources.beta.chat.completions.Completions.with_raw_response")
    assert "has this method at" not in str(info.value)


def test_a_method_an_sdk_class_lacks_is_not_sent_to_a_module_function_of_that_name() -> None:
    # (the class and the method are kept: the module beside the class defines a function
    # maybe_transform, which is no method of Completions)
    pytest.importorskip("openai")
    path = "openai.resources.chat.completions.completions.Completions.maybe_transform"
    with pytest.raises(MockTargetError) as info:
        resolve(path)
    message = str(info.value)
    assert "has no attribute 'maybe_transform'" in message
    assert "has this method at" not in message


def test_a_name_an_sdk_client_class_lacks_is_not_called_its_http_client() -> None:
    # (only _client is the HTTP client each client makes)
    pytest.importorskip("openai")
    with pytest.raises(MockTargetError) as info:
        resolve("openai.OpenAI.chatt.completions.create")
    message = str(info.value)
    assert "'openai.OpenAI' has no attribute 'chatt'" in message
    assert "HTTP client" not in message and "send" not in message


@pytest.mark.parametrize(("base", "send"), [("OpenAI", "Client"), ("AsyncOpenAI", "AsyncClient")])
def test_the_http_client_of_a_subclass_of_an_sdk_client_names_the_send_to_mock(
    monkeypatch: pytest.MonkeyPatch, base: str, send: str
) -> None:
    # an agent's own client class (`class Client(openai.OpenAI)`, with its defaults): before,
    # the path through its _client was refused with "Give the import path where the agent
    # looks the function up", as only paths starting with openai or anthropic were explained
    openai = pytest.importorskip("openai")
    module = types.ModuleType("cs_llm_client")
    module.Client = type("Client", (getattr(openai, base),), {"__module__": "cs_llm_client"})  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "cs_llm_client", module)
    with pytest.raises(MockTargetError) as info:
        resolve("cs_llm_client.Client._client.send")
    message = str(info.value)
    assert "cs_llm_client.Client._client is the HTTP client that each" in message, message
    assert re.search(rf"mock 'httpx2?\.{send}\.send'$", message), message
    assert "my_app" not in message


def test_a_module_that_fails_to_import_at_the_end_of_the_path_is_a_missing_name(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the last part is a submodule no one imported, which raises when imported: the path is
    # refused as naming what its package lacks, not with the module's own error
    package = tmp_path / "tools_pkg_broken"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "search.py").write_text("raise RuntimeError('needs a database')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(MockTargetError) as info:
            resolve("tools_pkg_broken.search")
    finally:
        for name in ("tools_pkg_broken", "tools_pkg_broken.search"):
            sys.modules.pop(name, None)
    assert "'tools_pkg_broken' has no attribute 'search'" in str(info.value)


def test_locals_in_a_path_through_a_module_is_a_missing_name(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (a module is no function: nothing is defined inside it on each call)
    monkeypatch.setitem(sys.modules, "cs_locals_mod", types.ModuleType("cs_locals_mod"))
    with pytest.raises(MockTargetError) as info:
        resolve("cs_locals_mod.<locals>.search")
    message = str(info.value)
    assert "'cs_locals_mod' has no attribute '<locals>'" in message
    assert "defined inside" not in message


def test_a_path_of_the_users_own_with_a_level_too_many_names_no_moved_method(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (only a known SDK's modules are read for where a method went: not the user's)
    package = tmp_path / "cs_pkg_moved"
    (package / "agents").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "agents" / "__init__.py").write_text("")
    llm = "class Llm:\n    def ask(self, q):\n        return q\n"
    (package / "agents" / "llm.py").write_text(llm)
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        with pytest.raises(MockTargetError) as info:
            resolve("cs_pkg_moved.v1.agents.llm.Llm.ask")
    finally:
        for name in ("cs_pkg_moved", "cs_pkg_moved.agents", "cs_pkg_moved.agents.llm"):
            sys.modules.pop(name, None)
    message = str(info.value)
    assert "has no attribute 'v1'" in message and "has this method at" not in message


def test_the_modules_loaded_under_longer_names_are_named_in_sorted_order(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in ("tests.cs_agent_s", "agents.cs_agent_s"):  # (loaded in this order)
        module = types.ModuleType(name)
        module.search = lambda q: q  # type: ignore[attr-defined]
        monkeypatch.setitem(sys.modules, name, module)
    with pytest.raises(MockTargetError) as info:
        resolve("cs_agent_s.search")
    assert "mock 'agents.cs_agent_s.search' or 'tests.cs_agent_s.search'" in str(info.value)


def test_a_module_loaded_under_a_longer_name_is_named_only_when_it_holds_the_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (pytest's --import-mode=importlib: agents.cs_agent_q for cs_agent_q)
    module = types.ModuleType("agents.cs_agent_q")
    monkeypatch.setitem(sys.modules, "agents.cs_agent_q", module)
    with pytest.raises(MockTargetError) as info:
        resolve("cs_agent_q.search")
    assert "is loaded as" not in str(info.value)
    module.search = lambda q: q  # type: ignore[attr-defined]
    with pytest.raises(MockTargetError, match=re.escape("mock 'agents.cs_agent_q.search'")):
        resolve("cs_agent_q.search")


def test_a_module_whose_name_only_ends_in_the_same_letters_is_not_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (my_cs_agent_r is another module, not cs_agent_r imported under a longer name)
    module = types.ModuleType("my_cs_agent_r")
    module.search = lambda q: q  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "my_cs_agent_r", module)
    with pytest.raises(MockTargetError) as info:
        resolve("cs_agent_r.search")
    assert "is loaded as" not in str(info.value)


def test_a_module_loaded_under_a_longer_name_is_read_without_running_its_getattr(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (a module-level __getattr__ answering every name holds no path: it is not called)
    asked: list[str] = []

    def module_getattr(name: str) -> object:
        asked.append(name)
        return lambda q: q

    module = types.ModuleType("agents.cs_agent_s")
    module.__getattr__ = module_getattr  # type: ignore[method-assign]
    monkeypatch.setitem(sys.modules, "agents.cs_agent_s", module)
    with pytest.raises(MockTargetError) as info:
        resolve("cs_agent_s.search")
    assert "is loaded as" not in str(info.value)
    assert asked == []


class Reports:
    """A class of the user's with a ``create`` method and a per-instance value."""

    def create(self, title: str) -> str:
        return title

    @property
    def latest(self) -> str:
        return "latest"


def test_a_property_of_a_class_of_the_user_s_names_no_sdk_method() -> None:
    with pytest.raises(MockTargetError) as info:
        resolve(f"{__name__}.Reports.latest")
    message = str(info.value)
    assert "give the method the agent calls on that value" in message
    assert "for this SDK" not in message


@pytest.mark.parametrize(
    ("path", "meant"),
    [
        (
            "openai.resources.chat.completions.Completions.craete",
            "openai.resources.chat.completions.Completions.create",
        ),
        (
            "openai.resources.chat.completions.AsyncCompletions.craete",
            "openai.resources.chat.completions.AsyncCompletions.create",
        ),
        (
            "anthropic.resources.messages.Messages.craete",
            "anthropic.resources.messages.Messages.create",
        ),
        (
            "openai.resources.embeddings.Embeddings.creat",
            "openai.resources.embeddings.Embeddings.create",
        ),
    ],
)
def test_a_typo_in_an_sdk_method_names_the_closest_method(path: str, meant: str) -> None:
    # Before the fix: "... has no attribute 'craete'. Give the import path where the agent
    # looks the function up, e.g. 'my_app.llm.complete'": no word of the method meant
    pytest.importorskip(path.partition(".")[0])
    with pytest.raises(MockTargetError) as info:
        resolve(path)
    message = str(info.value)
    name = path.rpartition(".")[2]
    assert f"has no attribute {name!r} (did you mean 'create'?). Mock {meant!r}" in message
    assert message.endswith(f". Mock {meant!r}"), message
    assert "my_app" not in message
    resolve(meant)  # (the path named works)


@pytest.mark.parametrize(
    ("path", "meant"),
    [
        (
            "openai.OpenAI.chat.completions.craete",
            "openai.resources.chat.completions.Completions.create",
        ),
        ("openai.OpenAI.embeddings.craete", "openai.resources.embeddings.Embeddings.create"),
        ("anthropic.Anthropic.messages.craete", "anthropic.resources.messages.Messages.create"),
    ],
)
def test_a_typo_in_a_client_path_names_the_closest_method_of_its_resource(
    path: str, meant: str
) -> None:
    # Before the fix: the SDK's chat method, for whichever resource the path went through
    # (openai.OpenAI.embeddings.craete was sent to chat.completions' create), with no word of
    # the typo
    pytest.importorskip(path.partition(".")[0])
    with pytest.raises(MockTargetError) as info:
        resolve(path)
    message = str(info.value)
    assert (
        f", for this SDK {meant!r} (its class has no method 'craete': did you mean 'create'?)"
        in message
    ), message
    resolve(meant)


def test_a_name_with_no_close_match_names_none() -> None:
    pytest.importorskip("openai")
    with pytest.raises(MockTargetError) as info:
        resolve("openai.resources.chat.completions.Completions.summarize_everything")
    assert "did you mean" not in str(info.value)


def test_a_typo_names_a_private_name_only_for_a_private_name_and_a_fix_only_at_the_end() -> None:
    # (a name the path goes on through is no target to mock: only the name is suggested)
    with pytest.raises(MockTargetError) as info:
        resolve("json.decodr.JSONDecoder")
    message = str(info.value)
    assert "has no attribute 'decodr' (did you mean 'decoder'?)" in message
    assert "Mock 'json.decoder'" not in message
    with pytest.raises(MockTargetError) as info:
        resolve("json._default_encoderr")
    meant = "(did you mean '_default_encoder'?). Mock 'json._default_encoder'"
    assert str(info.value).endswith(meant)
    with pytest.raises(MockTargetError) as info:
        resolve("json.default_encoderr")
    assert "did you mean" not in str(info.value)


def test_a_typo_swapping_two_letters_names_the_name_of_those_letters() -> None:
    # Before the fix: 'json.dumsp' was told "did you mean 'dump'?" (difflib's closest by its
    # ratio, one letter dropped) where 'dumps', the same letters in another order, was meant
    with pytest.raises(MockTargetError) as info:
        resolve("json.dumsp")
    message = str(info.value)
    assert "(did you mean 'dumps'?)" in message, message
    assert "Mock 'json.dumps'" in message


@pytest.mark.parametrize(
    ("client", "method"),
    [
        ("OpenAI", "openai.resources.chat.completions.Completions.create"),
        ("AsyncOpenAI", "openai.resources.chat.completions.AsyncCompletions.create"),
    ],
)
def test_a_path_through_a_resource_to_a_name_it_lacks_names_the_chat_method_of_its_client(
    client: str, method: str
) -> None:
    # a path the client's resources do not lead along names the SDK's chat method: the async
    # one for an async client (an agent on AsyncOpenAI mocking the sync method got no answer)
    pytest.importorskip("openai")
    with pytest.raises(MockTargetError) as info:
        resolve(f"openai.{client}.chat.nothing.create")
    assert f"for this SDK {method!r}" in str(info.value)
