"""Where an agent may call a mock target under another import path (``golden.aliases``)."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_clearstone.golden.aliases import other_paths, side_requests


class Greeter:
    def __call__(self, name: str) -> str:
        return f"hello {name}"


@pytest.fixture
def modules() -> Iterator[tuple[types.ModuleType, types.ModuleType]]:
    tools = types.ModuleType("cs_alias_tools")
    tools.greet = Greeter()  # type: ignore[attr-defined]
    agent = types.ModuleType("cs_alias_agent")
    agent.greet = tools.greet  # type: ignore[attr-defined]  # (from cs_alias_tools import greet)
    agent.tools = tools  # type: ignore[attr-defined]
    sys.modules.update({tools.__name__: tools, agent.__name__: agent})
    yield tools, agent
    for module in (tools, agent):
        del sys.modules[module.__name__]


def test_a_callable_object_imported_by_name_is_found_under_the_importing_module(
    modules: tuple[types.ModuleType, types.ModuleType],
) -> None:
    _, agent = modules
    assert other_paths("cs_alias_tools.greet", agent) == ["cs_alias_agent.greet"]


def test_the_siblings_of_a_chat_model_method_are_its_library_s_then_its_partners(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (not a subclass of the owner, which its patch reaches; not a private class)
    langchain_openai = pytest.importorskip("langchain_openai")
    pytest.importorskip("langchain_anthropic")
    from langchain_core.language_models import BaseChatModel

    from pytest_clearstone.golden.aliases import siblings

    partner = types.ModuleType("langchain_csfake")
    monkeypatch.setitem(sys.modules, partner.__name__, partner)

    class OwnChat(langchain_openai.ChatOpenAI):  # type: ignore[misc]
        pass

    class OtherChat(BaseChatModel):
        def _generate(self, *args: object, **kwargs: object) -> None:
            raise NotImplementedError

        @property
        def _llm_type(self) -> str:
            return "other"

    class _PrivateChat(OtherChat):
        pass

    for cls in (OwnChat, OtherChat, _PrivateChat):
        cls.__module__ = partner.__name__
        setattr(partner, cls.__name__, cls)
    assert siblings("langchain_openai.ChatOpenAI.invoke") == [
        "langchain_openai.AzureChatOpenAI.invoke",
        "langchain_anthropic.ChatAnthropic.invoke",
        "langchain_csfake.OtherChat.invoke",
    ]


def test_an_sdk_method_s_beta_twin_is_the_same_resource_in_or_out_of_its_beta_namespace() -> None:
    # (pydantic-ai's AnthropicModel sends by client.beta.messages.create)
    pytest.importorskip("anthropic")
    from pytest_clearstone.golden.aliases import beta_twins

    assert beta_twins("anthropic.resources.messages.AsyncMessages.create") == [
        ("anthropic.resources.beta.messages.AsyncMessages.create", "client.beta.messages.create")
    ]
    assert beta_twins("anthropic.resources.beta.messages.Messages.create") == [
        ("anthropic.resources.messages.Messages.create", "client.messages.create")
    ]
    # named from the module defining the class, the call is still the client's
    assert beta_twins("anthropic.resources.messages.messages.Messages.create")[0][1] == (
        "client.beta.messages.create"
    )
    assert beta_twins("anthropic.resources.messages.batches.Batches.create") == [
        (
            "anthropic.resources.beta.messages.batches.Batches.create",
            "client.beta.messages.batches.create",
        )
    ]
    # no beta twin: none named (nor for a library that is no SDK)
    assert beta_twins("anthropic.resources.completions.Completions.create") == []
    assert beta_twins("json.dumps") == []


def test_a_recording_with_no_calls_names_the_earlier_test_that_made_them(
    modules: tuple[types.ModuleType, types.ModuleType],
) -> None:
    # (a cache the first test fills: not when that test was this one, run before)
    from pytest_clearstone.golden.aliases import nothing_recorded

    pairs = [("tool", "cs_alias_tools.greet")]
    same = nothing_recorded(
        "t.py::test_a", pairs, None, called_before={pairs[0][1]: "t.py::test_a"}
    )
    assert "was called by" not in same
    other = nothing_recorded(
        "t.py::test_a", pairs, None, called_before={pairs[0][1]: "t.py::test_b"}
    )
    assert "`cs_alias_tools.greet` was called by t.py::test_b" in other


def test_a_recording_with_no_calls_names_the_target_s_module_that_starts_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_clearstone.golden.aliases import nothing_recorded

    package = tmp_path / "cs_proc_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "work.py").write_text(
        "import multiprocessing\n\n\ndef run(q):\n    return multiprocessing.Pool\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cs_proc_pkg.work", raising=False)
    importlib.import_module("cs_proc_pkg.work")
    text = nothing_recorded("t.py::test_a", [("tool", "cs_proc_pkg.work.run")], None)
    assert "`cs_proc_pkg.work` uses multiprocessing" in text
    for name in ("cs_proc_pkg.work", "cs_proc_pkg"):
        sys.modules.pop(name, None)


def test_a_recording_with_no_calls_tells_a_patch_on_an_object_from_one_on_the_class() -> None:
    from pytest_clearstone.golden.aliases import nothing_recorded

    pairs = [("llm", "cs_no_app.llm.Client.complete")]
    on_object = 'with mock.patch.object(agent.client, "complete", return_value="x"):'
    on_class = 'with mock.patch.object(Client, "complete", return_value="x"):'
    text = nothing_recorded("t.py::test_a", pairs, None, source=on_object)
    assert "does the test patch `complete` on an object" in text
    text = nothing_recorded("t.py::test_a", pairs, None, source=on_class)
    assert "on an object" not in text
    assert "does the test patch `cs_no_app.llm.Client.complete` itself" in text


class Parser:
    @staticmethod
    def parse(text: str) -> str:
        return text.strip()


def test_a_static_method_taken_by_name_is_found_under_the_module_that_took_it() -> None:
    # (`parse = Parser.parse` gives the function itself: a call of it never reaches the patch
    # of the class's attribute, while a patch of the name it was given there does)
    agent = types.ModuleType("cs_static_agent")
    agent.parse = Parser.parse  # type: ignore[attr-defined]
    agent.Parser = Parser  # type: ignore[attr-defined]  # (the class itself: the same patch)
    sys.modules[agent.__name__] = agent
    try:
        assert other_paths(f"{__name__}.Parser.parse", agent) == ["cs_static_agent.parse"]
    finally:
        del sys.modules[agent.__name__]


def test_a_function_kept_three_containers_deep_under_a_module_s_name_is_named() -> None:
    # (a tool spec in a list in a config dict: the agent calls the function the spec holds)
    from pytest_clearstone.golden.aliases import holders

    tools = types.ModuleType("cs_deep_tools")
    exec(  # (a module made here: its function is held by nothing else)
        "def lookup(sku):\n    return sku\n\n"
        "CONFIG = {'tools': [{'name': 'lookup', 'fn': lookup}]}\n",
        vars(tools),
    )
    sys.modules[tools.__name__] = tools
    try:
        assert holders("cs_deep_tools.lookup") == ["the dict cs_deep_tools.CONFIG"]
    finally:
        del sys.modules[tools.__name__]


def test_a_function_a_replay_patched_earlier_is_held_by_none_of_the_plugin_s_tables() -> None:
    # (the plugin keeps each target's function beside its stand-in, in a table of a module of
    # its own: that is no registry of the agent's)
    from pytest_clearstone.golden.aliases import holders
    from pytest_clearstone.golden.targets import PatchStack, patch_with, resolve

    tools = types.ModuleType("cs_replayed_tools")
    exec("def search(q):\n    return q\n", vars(tools))
    sys.modules[tools.__name__] = tools
    try:
        stack = PatchStack()
        patch_with(resolve("cs_replayed_tools.search"), lambda args, kwargs: "answered", stack)
        assert tools.search("kettle") == "answered"  # type: ignore[attr-defined]
        stack.undo()
        assert holders("cs_replayed_tools.search") == []
    finally:
        del sys.modules[tools.__name__]


def test_a_chat_model_of_the_library_defining_the_method_is_no_partner_s_sibling(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (langchain_core's own models, its fakes for tests, are not what an agent on
    # langchain_openai calls instead: only the family's other packages are partners)
    pytest.importorskip("langchain_openai")
    import langchain_core
    from langchain_core.language_models import BaseChatModel

    from pytest_clearstone.golden.aliases import siblings

    class CoreChat(BaseChatModel):
        def _generate(self, *args: object, **kwargs: object) -> None:
            raise NotImplementedError

        @property
        def _llm_type(self) -> str:
            return "core"

    CoreChat.__module__ = "langchain_core.cs_fake_models"
    monkeypatch.setattr(langchain_core, "CoreChat", CoreChat, raising=False)
    assert "langchain_core.CoreChat.invoke" not in siblings("langchain_openai.ChatOpenAI.invoke")


def test_a_sibling_class_with_its_own_method_is_not_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (a partner's model that overrides invoke: mocking it is another target, not the same
    # method the patch of the owner's misses)
    pytest.importorskip("langchain_openai")
    from langchain_core.language_models import BaseChatModel

    from pytest_clearstone.golden.aliases import siblings

    partner = types.ModuleType("langchain_csown")
    monkeypatch.setitem(sys.modules, partner.__name__, partner)

    class OwnInvokeChat(BaseChatModel):
        def _generate(self, *args: object, **kwargs: object) -> None:
            raise NotImplementedError

        @property
        def _llm_type(self) -> str:
            return "own"

        def invoke(self, *args: object, **kwargs: object) -> None:  # type: ignore[override]
            raise NotImplementedError

    OwnInvokeChat.__module__ = partner.__name__
    partner.OwnInvokeChat = OwnInvokeChat  # type: ignore[attr-defined]
    found = siblings("langchain_openai.ChatOpenAI.invoke")
    assert "langchain_openai.AzureChatOpenAI.invoke" in found
    assert "langchain_csown.OwnInvokeChat.invoke" not in found


def test_a_target_imported_by_name_and_held_by_a_registry_gets_one_warning() -> None:
    # (the other import path is named; the holders are told only for a target with none)
    from pytest_clearstone.golden.aliases import uncalled_target_warnings

    tools = types.ModuleType("cs_warned_tools")
    exec("def search(q):\n    return q\n\nTOOLS = {'search': search}\n", vars(tools))
    agent = types.ModuleType("cs_warned_agent")
    agent.search = tools.search  # type: ignore[attr-defined]  # (from cs_warned_tools import search)
    sys.modules.update({tools.__name__: tools, agent.__name__: agent})
    try:
        warnings = uncalled_target_warnings(
            "test_it.py::test_it", [("tool", "cs_warned_tools.search")], (), agent
        )
        assert len(warnings) == 1
        assert "cs_warned_agent.search" in str(warnings[0])
    finally:
        for module in (tools, agent):
            del sys.modules[module.__name__]


def test_a_test_naming_the_target_without_patching_it_is_not_asked_about_a_patch() -> None:
    from pytest_clearstone.golden.aliases import nothing_recorded

    pairs = [("llm", "cs_no_app.llm.Client.complete")]
    source = 'assert agent.run("complete") == "done"  # cs_no_app.llm.Client.complete'
    text = nothing_recorded("t.py::test_a", pairs, None, source=source)
    assert "does the test patch" not in text


class Messages:
    def create(self, prompt: str) -> str:
        return prompt


class _Holder:
    def __init__(self, inner: object) -> None:
        self.inner = inner


def test_an_object_hiding_a_method_target_is_looked_for_three_attributes_deep() -> None:
    # (a fixture's agent.client.messages: deeper values are not searched)
    from pytest_clearstone.golden.aliases import nothing_recorded

    hiding = Messages()
    hiding.create = lambda prompt: "double"  # type: ignore[method-assign]
    pairs = [("llm", f"{__name__}.Messages.create")]
    three = _Holder(_Holder(_Holder(hiding)))
    text = nothing_recorded("t.py::test_a", pairs, None, values=[("agent", three)])
    assert "`fixture agent.inner.inner.inner` has its own `create`" in text
    four = _Holder(three)
    text = nothing_recorded("t.py::test_a", pairs, None, values=[("agent", four)])
    assert "has its own" not in text


def test_a_recording_with_no_calls_names_a_top_level_target_module_that_starts_processes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_clearstone.golden.aliases import nothing_recorded

    (tmp_path / "cs_top_worker.py").write_text(
        "import subprocess\n\n\ndef run(q):\n    return subprocess.list2cmdline([q])\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cs_top_worker", raising=False)
    importlib.import_module("cs_top_worker")
    text = nothing_recorded("t.py::test_a", [("tool", "cs_top_worker.run")], None)
    assert "does the agent make these calls in another process? `cs_top_worker` uses " in text


def test_an_installed_module_the_test_imports_from_is_not_named_for_starting_processes() -> None:
    # (pytest's own pytester runs subprocesses: not the agent's code)
    from _pytest.pytester import Pytester

    from pytest_clearstone.golden.aliases import nothing_recorded

    test_module = types.ModuleType("cs_plain_test")
    test_module.Pytester = Pytester  # type: ignore[attr-defined]
    pairs = [("llm", "cs_no_app.llm.Client.complete")]
    text = nothing_recorded("t.py::test_a", pairs, test_module)
    assert "in another process" not in text


def test_a_test_naming_a_testmodel_of_its_own_gets_no_pydantic_ai_hint() -> None:
    # (the hint is for a pydantic-ai target: this TestModel is the project's own)
    from pytest_clearstone.golden.aliases import nothing_recorded

    pairs = [("llm", "cs_no_app.llm.Client.complete")]
    source = "agent = Agent(TestModel())\nassert agent.run('soup') == 'done'\n"
    text = nothing_recorded("t.py::test_a", pairs, None, source=source)
    assert "pydantic-ai" not in text


def test_the_other_ways_of_a_function_or_of_no_langchain_models_stream_are_none_of_those(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (a module's functions named stream or parse are no other way of its complete; invoke is
    # one of stream only for a LangChain model, whose invoke streams by _stream)
    from pytest_clearstone.golden.aliases import alternatives

    module = types.ModuleType("cs_alias_ways")
    exec(
        "def complete(q): pass\ndef stream(q): pass\ndef parse(q): pass\n\n"
        "class Graph:\n    def stream(self, q): pass\n    def invoke(self, q): pass\n",
        vars(module),
    )
    monkeypatch.setitem(sys.modules, module.__name__, module)
    assert alternatives("cs_alias_ways.complete") == []
    assert alternatives("cs_alias_ways.Graph.stream") == []
    assert alternatives("cs_alias_ways.Graph.invoke") == ["cs_alias_ways.Graph.stream"]


@pytest.mark.parametrize("beta", ["", "beta."])
@pytest.mark.parametrize("prefix", ["", "Async"])
def test_anthropics_count_tokens_sends_a_request_beside_a_mocked_messages_create(
    beta: str, prefix: str
) -> None:
    # (a count the agent decides by, made live while recording: in and outside `beta`, sync
    # and async; the method mocked itself is no side request of its own)
    owner = f"anthropic.resources.{beta}messages.messages.{prefix}Messages"
    assert side_requests(f"{owner}.create") == [f"{owner}.count_tokens"]
    assert side_requests(f"{owner}.count_tokens") == []


ANTHROPIC = "anthropic.resources.messages."
RESPONSES = "openai.resources.responses.Responses."


@pytest.mark.parametrize(
    ("target", "helper"),
    [
        (f"{ANTHROPIC}Messages.create", f"`{ANTHROPIC}Messages.stream`?"),
        (f"{ANTHROPIC}AsyncMessages.create", f"`{ANTHROPIC}AsyncMessages.stream`?"),
        (f"{RESPONSES}create", f"`{RESPONSES}stream` with response_id=?"),
    ],
    ids=["anthropic", "anthropic-async", "openai-resumed"],
)  # fmt: skip
def test_a_recording_with_no_calls_asks_about_the_sdk_s_stream_helper_first(
    target: str, helper: str
) -> None:
    """An agent streaming through the SDK's helper (``messages.stream(...)``) is the likeliest
    cause of no call to ``create``: its question came third, after the async twin and the
    ``beta`` namespace's method."""
    pytest.importorskip(target.partition(".")[0])
    from pytest_clearstone.golden.aliases import nothing_recorded

    lines = nothing_recorded("t.py::test_a", [("llm", target)], None).splitlines()
    assert "nothing was recorded" in lines[0]
    assert lines[1].startswith(f"  does the agent call {helper}"), lines
    assert any("twin of" in line for line in lines[2:]), lines  # (still asked, after it)
