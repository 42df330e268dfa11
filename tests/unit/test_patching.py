"""Mock target resolution and patching: every kind of callable, signatures, undo, clear errors."""

from __future__ import annotations

import asyncio
import importlib
import inspect
import os
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pytest_clearstone.debugging import DeterministicExecutionContext
from pytest_clearstone.errors import MockTargetError, ReplayExhaustedError
from pytest_clearstone.golden.targets import PatchStack, patch_with, resolve, set_target

AGENTS_DIR = Path(__file__).resolve().parent / "agents"
WHEN = "2024-01-15T12:00:00+00:00"


@pytest.fixture
def tools(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(AGENTS_DIR))
    return importlib.import_module("cs_tools")


def _ctx(targets: dict[str, Any], **kwargs: Any) -> DeterministicExecutionContext:
    import datetime as dt

    return DeterministicExecutionContext(dt.datetime.fromisoformat(WHEN), targets, **kwargs)


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("cs_tools.fetch", "function"),
        ("cs_tools.Client.complete", "method"),
        ("cs_tools.Client.ping", "staticmethod"),
        ("cs_tools.Client.create", "classmethod"),
        ("cs_tools.client.complete", "function"),  # an attribute of an object
        ("cs_tools.afetch", "function"),
    ],
)
def test_resolve_kinds(tools: ModuleType, path: str, kind: str) -> None:
    target = resolve(path)
    assert target.kind == kind
    assert target.path == path
    assert target.name == path.rsplit(".", 1)[1]


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("fetch", "it is not a dotted import path"),
        ("no_such_package_xyz.fn", "no module 'no_such_package_xyz' can be imported"),
        ("cs_tools.missing", "'cs_tools' has no attribute 'missing'"),
        ("cs_tools.Client.missing", "'cs_tools.Client' has no attribute 'missing'"),
        ("cs_tools.Nope.method", "module 'cs_tools' has no attribute 'Nope'"),
        ("cs_tools.client.nope.x", "Client 'cs_tools.client' has no attribute 'nope'"),
        ("cs_tools.client.model", "it is a str, not a callable"),
        # patched, it answered pytest's and the plugin's own calls too (a RecursionError)
        ("builtins.len", "it is one of Python's built-in functions"),
        ("builtins.open", "it is one of Python's built-in functions"),
    ],
)
def test_bad_paths_name_the_path_and_the_problem(tools: ModuleType, path: str, reason: str) -> None:
    with pytest.raises(MockTargetError) as info:
        resolve(path)
    assert str(info.value).startswith(f"mock target {path!r} cannot be patched: {reason}")
    assert "e.g. 'my_app.llm.complete'" in str(info.value)
    assert info.value.target == path


def test_a_property_object_a_module_holds_is_refused_as_no_callable(
    tools: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (not as a class's property: no instance makes a value of it)
    monkeypatch.setattr(tools, "settings", property(lambda self: "s"), raising=False)
    with pytest.raises(MockTargetError) as info:
        resolve("cs_tools.settings")
    assert str(info.value).startswith(
        "mock target 'cs_tools.settings' cannot be patched: it is a property, not a callable"
    )


@pytest.mark.parametrize("record", [False, True])
def test_a_target_whose_owner_refuses_the_patch_is_named_and_nothing_stays_patched(
    tools: ModuleType, record: bool
) -> None:
    # resolving succeeds (str.upper is a callable attribute); setting it fails: a built-in type
    # is immutable. Replaying and recording patch through one function: both name the target.
    original_fetch = tools.fetch
    stack = PatchStack()
    targets = [resolve("cs_tools.fetch"), resolve("builtins.str.upper")]
    with pytest.raises(MockTargetError) as info:
        for target in targets:
            if record:
                set_target(target, lambda *a: "recorded", stack)
            else:
                patch_with(target, lambda args, kwargs: "replayed", stack)
    message = str(info.value)
    assert message.startswith(
        "mock target 'builtins.str.upper' cannot be patched: 'builtins.str' is a built-in or "
        "C-extension type, whose methods cannot be patched (cannot set 'upper' attribute of "
        "immutable type 'str'). Mock the function of the agent's own that calls it instead"
    )
    assert info.value.target == "builtins.str.upper"
    assert tools.fetch is not original_fetch  # the first target was patched ...
    stack.undo()
    assert tools.fetch is original_fetch  # ... and is restored with the rest of the stack
    assert "a".upper() == "A"


def test_a_class_refusing_the_patch_is_named_with_its_own_error(
    tools: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (its metaclass refuses: the class is no instance a method of whose class could be mocked)
    class Locked(type):
        def __setattr__(cls, name: str, value: Any) -> None:
            raise AttributeError(f"{cls.__name__} is locked: {name!r} cannot be set")

    class Service(metaclass=Locked):
        def call(self, query: str) -> str:
            raise AssertionError("live Service.call called during replay")

    monkeypatch.setattr(tools, "Service", Service, raising=False)
    with pytest.raises(MockTargetError) as info:
        patch_with(resolve("cs_tools.Service.call"), lambda args, kwargs: "answered", PatchStack())
    assert str(info.value).startswith(
        "mock target 'cs_tools.Service.call' cannot be patched: Service is locked: 'call' cannot "
        "be set. "
    )


def test_a_module_refusing_the_patch_is_named_with_its_own_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (a module of a ModuleType subclass refusing new attributes: read-only settings modules)
    class ReadOnly(ModuleType):
        def __setattr__(self, name: str, value: Any) -> None:
            raise AttributeError(f"module {self.__name__!r} is read-only")

    module = ReadOnly("cs_read_only")
    vars(module)["search"] = lambda query: query
    monkeypatch.setitem(sys.modules, "cs_read_only", module)
    with pytest.raises(MockTargetError) as info:
        patch_with(resolve("cs_read_only.search"), lambda args, kwargs: "answered", PatchStack())
    assert str(info.value).startswith(
        "mock target 'cs_read_only.search' cannot be patched: module 'cs_read_only' is read-only. "
    )


@pytest.mark.parametrize(
    ("path", "where", "kind", "example"),
    [
        # written as the agent calls it on a client: the SDK makes each resource per client
        (
            "openai.OpenAI.chat.completions.create",
            "openai.OpenAI.chat",
            "cached_property",
            "openai.resources.chat.completions.Completions.create",
        ),
        (
            "openai.AsyncOpenAI.chat.completions.create",
            "openai.AsyncOpenAI.chat",
            "cached_property",
            "openai.resources.chat.completions.AsyncCompletions.create",
        ),
        (
            "anthropic.Anthropic.messages.create",
            "anthropic.Anthropic.messages",
            "cached_property",
            "anthropic.resources.messages.Messages.create",
        ),
        (
            "anthropic.AsyncAnthropic.messages.create",
            "anthropic.AsyncAnthropic.messages",
            "cached_property",
            "anthropic.resources.messages.AsyncMessages.create",
        ),
        # the method named is the one the path names, on the class the client's resource is
        # through a resource's raw or streaming response view: that resource's method (the view's
        # create calls it), not the SDK's chat method
        (
            "openai.OpenAI.embeddings.with_raw_response.create",
            "openai.OpenAI.embeddings",
            "cached_property",
            "openai.resources.embeddings.Embeddings.create",
        ),
        (
            "openai.AsyncOpenAI.responses.with_streaming_response.create",
            "openai.AsyncOpenAI.responses",
            "cached_property",
            "openai.resources.responses.AsyncResponses.create",
        ),
        (
            "anthropic.Anthropic.beta.messages.with_raw_response.create",
            "anthropic.Anthropic.beta",
            "cached_property",
            "anthropic.resources.beta.messages.Messages.create",
        ),
        (
            "openai.OpenAI.responses.create",
            "openai.OpenAI.responses",
            "cached_property",
            "openai.resources.responses.Responses.create",
        ),
        (
            "openai.AsyncOpenAI.responses.create",
            "openai.AsyncOpenAI.responses",
            "cached_property",
            "openai.resources.responses.AsyncResponses.create",
        ),
        (
            "openai.OpenAI.embeddings.create",
            "openai.OpenAI.embeddings",
            "cached_property",
            "openai.resources.embeddings.Embeddings.create",
        ),
        (
            "openai.OpenAI.chat.completions.parse",
            "openai.OpenAI.chat",
            "cached_property",
            "openai.resources.chat.completions.Completions.parse",
        ),
        (
            "anthropic.Anthropic.beta.messages.create",
            "anthropic.Anthropic.beta",
            "cached_property",
            "anthropic.resources.beta.messages.Messages.create",
        ),
        (
            "anthropic.AsyncAnthropic.messages.count_tokens",
            "anthropic.AsyncAnthropic.messages",
            "cached_property",
            "anthropic.resources.messages.AsyncMessages.count_tokens",
        ),
        ("cs_tools.Service.backend.call", "cs_tools.Service.backend", "property", None),
    ],
)
def test_a_path_through_a_property_of_a_class_says_so_and_names_the_sdk_method(
    tools: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    where: str,
    kind: str,
    example: str | None,
) -> None:
    class Service:
        @property
        def backend(self) -> Any:
            return tools.client

    monkeypatch.setattr(tools, "Service", Service, raising=False)
    with pytest.raises(MockTargetError) as info:
        resolve(path)
    message = str(info.value)
    assert message.startswith(
        f"mock target {path!r} cannot be patched: {where!r} is a {kind}: its value is made for "
        "each instance, so an import path cannot go on through it; give the method on the class "
        "of that value"
    )
    if example is None:
        assert "resources" not in message
    else:
        assert f", for this SDK {example!r}." in message
        assert resolve(example).kind == "method"  # the suggestion is a path that works


@pytest.mark.parametrize(
    ("path", "kind", "example"),
    [
        # the agent calls client.chat.completions.with_raw_response.create(...)
        (
            "openai.resources.chat.completions.Completions.with_raw_response",
            "cached_property",
            "openai.resources.chat.completions.Completions.create",
        ),
        (
            "openai.resources.chat.completions.AsyncCompletions.with_streaming_response",
            "cached_property",
            "openai.resources.chat.completions.AsyncCompletions.create",
        ),
        (
            "anthropic.resources.messages.Messages.with_raw_response",
            "cached_property",
            "anthropic.resources.messages.Messages.create",
        ),
        # the client's resource itself
        (
            "openai.OpenAI.chat",
            "cached_property",
            "openai.resources.chat.completions.Completions.create",
        ),
        (  # (a resource with no create: the SDK's chat method, async for an async client)
            "openai.AsyncOpenAI.chat",
            "cached_property",
            "openai.resources.chat.completions.AsyncCompletions.create",
        ),
        (
            "anthropic.AsyncAnthropic.messages",
            "cached_property",
            "anthropic.resources.messages.AsyncMessages.create",
        ),
        (
            "openai.OpenAI.responses",
            "cached_property",
            "openai.resources.responses.Responses.create",
        ),
        ("cs_tools.Service.backend", "property", None),
    ],
)
def test_a_path_to_a_property_of_a_class_is_refused_naming_the_method_to_mock(
    tools: ModuleType,
    monkeypatch: pytest.MonkeyPatch,
    path: str,
    kind: str,
    example: str | None,
) -> None:
    """A cached property (``Completions.with_raw_response``) was patched as if it were the
    method: the agent's ``client.chat.completions.with_raw_response.create(...)`` then failed
    with ``AttributeError: 'function' object has no attribute 'create'``, and a recording whose
    agent did not call it named the async class as its "sync twin"."""

    class Service:
        @property
        def backend(self) -> Any:
            return tools.client

    monkeypatch.setattr(tools, "Service", Service, raising=False)
    with pytest.raises(MockTargetError) as info:
        resolve(path)
    message = str(info.value)
    assert message.startswith(
        f"mock target {path!r} cannot be patched: it is a {kind}: its value is made for each "
        "instance, and patching it would replace that value; give the method the agent calls "
        "on that value"
    ), message
    if example is None:
        assert "resources" not in message
    else:
        assert f", for this SDK {example!r}." in message
        assert resolve(example).kind == "method"  # the suggestion is a path that works


def test_patched_targets_keep_their_signature(tools: ModuleType) -> None:
    paths = ["fetch", "Client.complete", "Client.ping", "Client.create", "afetch", "stream",
             "astream"]  # fmt: skip
    Client = tools.Client

    def signatures() -> list[inspect.Signature]:
        return [
            inspect.signature(tools.fetch),
            inspect.signature(Client.complete),
            inspect.signature(Client.ping),
            inspect.signature(Client.create),
            inspect.signature(tools.afetch),
            inspect.signature(tools.stream),
            inspect.signature(tools.astream),
            inspect.signature(tools.client.complete),  # bound: self left out
        ]

    before = signatures()
    with _ctx({f"cs_tools.{p}": [] for p in paths}):
        during = signatures()
        assert inspect.iscoroutinefunction(tools.afetch)
        assert inspect.isgeneratorfunction(tools.stream)
        assert inspect.isasyncgenfunction(tools.astream)
        assert tools.fetch.__name__ == "fetch"
    assert during == before
    assert signatures() == before


def test_class_method_target_answers_calls_from_any_instance(tools: ModuleType) -> None:
    with _ctx({"cs_tools.Client.complete": ["one", "two"]}) as ctx:
        assert tools.client.complete("p1", temperature=0.5) == "one"
        assert tools.Client("other").complete("p2") == "two"
    assert [c.arguments for c in ctx.session.calls] == [
        {"prompt": "p1", "temperature": 0.5},  # self is not part of the arguments
        {"prompt": "p2"},  # the default temperature was not given
    ]
    with pytest.raises(AssertionError, match=r"live Client\.complete"):
        tools.client.complete("live again")


def test_static_and_class_methods(tools: ModuleType) -> None:
    targets = {"cs_tools.Client.ping": ["pong1", "pong2"], "cs_tools.Client.create": ["made"]}
    ping, create = tools.Client.__dict__["ping"], tools.Client.__dict__["create"]
    with _ctx(targets) as ctx:
        assert tools.Client.ping("h1") == "pong1"
        assert tools.client.ping("h2") == "pong2"
        assert tools.Client.create("m") == "made"
    assert [c.arguments for c in ctx.session.calls] == [
        {"host": "h1"}, {"host": "h2"}, {"model": "m"},
    ]  # fmt: skip
    assert isinstance(tools.Client.__dict__["ping"], staticmethod)
    assert isinstance(tools.Client.__dict__["create"], classmethod)
    # (the objects the class held are put back, not only objects of their kinds)
    assert tools.Client.__dict__["ping"] is ping and tools.Client.__dict__["create"] is create


def test_attribute_of_an_object_is_patched_on_that_object_only(tools: ModuleType) -> None:
    with _ctx({"cs_tools.client.complete": ["patched"]}):
        assert tools.client.complete("p") == "patched"
        with pytest.raises(AssertionError, match=r"live Client\.complete"):
            tools.Client().complete("other instance")
    assert "complete" not in vars(tools.client)


def test_a_function_an_object_keeps_behind_a_property_setter_is_patched_and_put_back(
    tools: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (its __dict__ holds the function under another name: nothing there tells that it changed)
    class Agent:
        def __init__(self) -> None:
            self._complete = tools.fetch

        @property
        def complete(self) -> Any:
            return self._complete

        @complete.setter
        def complete(self, fn: Any) -> None:
            self._complete = fn

    agent = Agent()
    monkeypatch.setattr(tools, "agent", agent, raising=False)
    with _ctx({"cs_tools.agent.complete": ["answered"]}):
        assert agent.complete("q") == "answered"
    assert agent.complete is tools.fetch


def test_async_target_replays_as_a_coroutine(tools: ModuleType) -> None:
    async def main() -> list[Any]:
        first = tools.afetch("q")
        assert inspect.iscoroutine(first)
        return [await first, await tools.afetch("r")]

    with _ctx({"cs_tools.afetch": ["a1", KeyError("k")]}), pytest.raises(KeyError):
        asyncio.run(main())
    with _ctx({"cs_tools.afetch": ["a1", "a2"]}):
        assert asyncio.run(main()) == ["a1", "a2"]


def test_generator_target_yields_recorded_chunks(tools: ModuleType) -> None:
    with _ctx({"cs_tools.stream": [["Hel", "lo"], ["!"]]}):
        assert list(tools.stream("p")) == ["Hel", "lo"]
        assert list(tools.stream("p")) == ["!"]
        with pytest.raises(ReplayExhaustedError):
            list(tools.stream("p"))


def test_async_generator_target_yields_recorded_chunks(tools: ModuleType) -> None:
    async def collect() -> list[str]:
        return [c async for c in tools.astream("p")]

    with _ctx({"cs_tools.astream": [["a", "b"]]}):
        assert asyncio.run(collect()) == ["a", "b"]


def test_patch_stack_restores_own_and_inherited_attributes() -> None:
    class Base:
        def method(self) -> str:
            return "base"

    class Child(Base):
        own = "own"

    stack = PatchStack()
    stack.setattr(Child, "method", lambda self: "patched")
    stack.setattr(Child, "own", "patched")
    stack.setattr(Child, "new", "added")
    assert (Child().method(), Child.own, Child.new) == ("patched", "patched", "added")  # type: ignore[attr-defined]
    assert len(stack) == 3
    stack.undo()
    assert Child().method() == "base"
    assert "method" not in Child.__dict__
    assert Child.own == "own"
    assert not hasattr(Child, "new")
    assert len(stack) == 0


def test_patch_target_onto_a_callers_own_stack(tools: ModuleType) -> None:
    original = tools.fetch
    with _ctx({}) as ctx:
        own = PatchStack()  # empty, hence falsy: must still be the stack used
        ctx.patch_target(resolve("cs_tools.fetch"), ["late"], own)
        assert tools.fetch("q") == "late"
        own.undo()
        assert tools.fetch is original
    assert tools.fetch is original


def test_a_stand_in_kept_by_user_code_runs_the_original_once_unpatched(tools: ModuleType) -> None:
    # e.g. `from app.llm import complete` executed while the target was patched
    with _ctx({"cs_tools.fetch": ["replayed"]}):
        kept = tools.fetch
        assert kept("q") == "replayed"
    assert tools.fetch is not kept
    with pytest.raises(AssertionError, match=r"live fetch\('q'\)"):
        kept("q")  # the original, not the finished replay's answers
    with _ctx({"cs_tools.fetch": ["next test"]}):
        assert kept("q") == "next test"


def test_nested_patches_of_one_target_undo_in_order(tools: ModuleType) -> None:
    original = tools.fetch
    with _ctx({"cs_tools.fetch": ["outer 1", "outer 2"]}):
        assert tools.fetch("a") == "outer 1"
        with _ctx({"cs_tools.fetch": ["inner"]}):
            assert tools.fetch("b") == "inner"
        assert tools.fetch("c") == "outer 2"
    assert tools.fetch is original


def test_what_displaced_a_stand_in_is_told_only_while_the_target_is_patched(
    tools: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_clearstone.golden.targets import displaced_by

    def double(query: str) -> str:
        return "double"

    with _ctx({"cs_tools.fetch": ["replayed"]}):
        assert displaced_by(resolve("cs_tools.fetch")) is None  # (the stand-in is in place)
        with monkeypatch.context() as m:
            m.setattr(tools, "fetch", double)
            assert displaced_by(resolve("cs_tools.fetch")) is double
    assert displaced_by(resolve("cs_tools.fetch")) is None  # (the original is no double)


def test_a_replaced_or_reloaded_target_is_resolved_afresh(
    tools: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = resolve("cs_tools.Client.complete")
    assert resolve("cs_tools.Client.complete") is first  # remembered while nothing changed

    def complete(self: Any, prompt: str) -> str:
        return "replaced"

    with monkeypatch.context() as m:
        m.setattr(tools.Client, "complete", complete)
        assert resolve("cs_tools.Client.complete").function is complete
    reloaded = importlib.reload(tools)
    target = resolve("cs_tools.Client.complete")
    assert target.owner is reloaded.Client
    assert target.owner is not first.owner
    with _ctx({"cs_tools.Client.complete": ["from the reloaded class"]}):
        assert reloaded.Client().complete("p") == "from the reloaded class"


def test_an_inherited_method_target_follows_a_change_of_its_base_class(
    tools: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # a class's inherited method is not remembered: what its base holds is looked up each time
    class Sub(tools.Client):  # type: ignore[name-defined,misc]
        pass

    monkeypatch.setattr(tools, "Sub", Sub, raising=False)
    assert resolve("cs_tools.Sub.complete").function is tools.Client.complete

    def complete(self: Any, prompt: str) -> str:
        return "replaced"

    monkeypatch.setattr(tools.Client, "complete", complete)
    assert resolve("cs_tools.Sub.complete").function is complete


def test_a_method_a_subclass_overrides_is_patched_as_the_subclass_s(
    tools: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (its base's method, of another signature, is neither the original nor the arguments' names)
    class Sub(tools.Client):  # type: ignore[name-defined,misc]
        def complete(self, prompt: str, context: str = "") -> str:
            raise AssertionError("live Sub.complete called during replay")

    monkeypatch.setattr(tools, "Sub", Sub, raising=False)
    assert resolve("cs_tools.Sub.complete").function is Sub.__dict__["complete"]
    with _ctx({"cs_tools.Sub.complete": ["answered"]}) as ctx:
        assert Sub().complete("p", "c") == "answered"
    assert [c.arguments for c in ctx.session.calls] == [{"prompt": "p", "context": "c"}]


def test_a_module_s_function_is_remembered_until_the_module_holds_another(
    tools: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = resolve("cs_tools.fetch")
    assert resolve("cs_tools.fetch") is first

    def fetch(query: str) -> str:
        return query

    monkeypatch.setattr(tools, "fetch", fetch)
    assert resolve("cs_tools.fetch").function is fetch


def test_a_function_replaced_at_its_path_is_patched_with_a_stand_in_of_the_new_one(
    tools: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the stand-in of the function first patched there is not reused: it is no coroutine)
    with _ctx({"cs_tools.fetch": ["sync"]}):
        assert tools.fetch("q") == "sync"

    async def fetch(query: str) -> str:
        raise AssertionError("live async fetch called during replay")

    monkeypatch.setattr(tools, "fetch", fetch)
    with _ctx({"cs_tools.fetch": ["async"]}):
        assert inspect.iscoroutinefunction(tools.fetch)
        assert asyncio.run(tools.fetch("q")) == "async"


def test_a_function_holding_a_function_is_patched_as_a_function(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (tenacity's retry gives the function it makes a `retry_with` function: not what it calls)
    (tmp_path / "cs_retried.py").write_text(
        textwrap.dedent(
            """
            import tenacity


            @tenacity.retry(stop=tenacity.stop_after_attempt(2))
            def search(query):
                raise AssertionError("live search called during replay")
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("cs_retried")
    assert resolve("cs_retried.search").kind == "function"
    with _ctx({"cs_retried.search": ["answered"]}):
        assert module.search("soup") == "answered"


def test_a_module_whose_import_raises_is_named_with_the_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cs_raises_at_import.py").write_text(
        "raise RuntimeError('OPENAI_API_KEY is not set')\n\ndef search(q):\n    return q\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(MockTargetError) as info:
        resolve("cs_raises_at_import.search")
    assert str(info.value).startswith(
        "mock target 'cs_raises_at_import.search' cannot be patched: importing "
        "'cs_raises_at_import' raised RuntimeError: OPENAI_API_KEY is not set"
    )


def test_a_module_whose_own_import_fails_is_named_with_the_missing_module(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the module exists, but a module it imports does not: that one is named, not the target's
    (tmp_path / "cs_needs_dep.py").write_text(
        "import cs_no_such_dependency\n\ndef search(q):\n    return q\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(MockTargetError) as info:
        resolve("cs_needs_dep.search")
    assert str(info.value).startswith(
        "mock target 'cs_needs_dep.search' cannot be patched: importing 'cs_needs_dep' failed: "
        "No module named 'cs_no_such_dependency'"
    )


def test_a_class_is_named_by_its_shortest_public_path() -> None:
    # (as the fixes of the refusals name it: the path users import it by)
    import langchain_openai

    from pytest_clearstone.golden.targets import public_path

    assert langchain_openai.ChatOpenAI.__module__ == "langchain_openai.chat_models.base"
    assert public_path(langchain_openai.ChatOpenAI) == "langchain_openai.ChatOpenAI"


def test_a_nested_class_is_named_by_its_shortest_public_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_clearstone.golden.targets import public_path

    package = tmp_path / "cs_nested_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .client import Client\n")
    (package / "client.py").write_text("class Client:\n    class Search:\n        pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    module = importlib.import_module("cs_nested_pkg")
    assert public_path(module.Client.Search) == "cs_nested_pkg.Client.Search"


def test_one_stack_patching_an_attribute_twice_restores_the_original() -> None:
    class Owner:
        value = "original"

    stack = PatchStack()
    stack.setattr(Owner, "value", "first")
    stack.setattr(Owner, "value", "second")
    stack.undo()
    assert Owner.value == "original"


def test_an_undo_step_that_fails_is_raised_after_the_others_are_undone() -> None:
    class Owner:
        value = "original"

    def fail() -> None:
        raise RuntimeError("undo failed")

    stack = PatchStack()
    stack.setattr(Owner, "value", "patched")
    stack.push(fail)
    with pytest.raises(RuntimeError, match="undo failed"):
        stack.undo()
    assert (Owner.value, len(stack)) == ("original", 0)


def test_a_submodule_its_package_does_not_import_is_imported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the longest importable prefix is the module: the package alone lacks the attribute)
    package = tmp_path / "cs_lazy_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "tools.py").write_text("def search(q):\n    return q\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    target = resolve("cs_lazy_pkg.tools.search")
    assert (target.owner.__name__, target.kind) == ("cs_lazy_pkg.tools", "function")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_a_stand_in_kept_by_user_code_runs_the_original_in_a_forked_child(
    tools: ModuleType,
) -> None:
    # a child forked while another target is replayed refuses only the calls of the targets
    # being replayed: a stand-in kept from an earlier patch runs the original there, as here
    with _ctx({"cs_tools.second_tool": [1]}):
        kept = tools.second_tool
        assert kept(5) == 1
    with _ctx({"cs_tools.fetch": ["replayed"]}):
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                kept(5)
            except BaseException as exc:
                os.write(write, type(exc).__name__.encode())
            os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        with os.fdopen(read, "rb") as pipe:
            raised = pipe.read().decode()
    assert raised == "AssertionError"  # (the original's "live second_tool called")


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_a_call_refused_in_a_forked_child_names_both_processes_and_is_told_to_the_parent(
    tools: ModuleType,
) -> None:
    from pytest_clearstone.errors import ChildProcessCallError
    from pytest_clearstone.golden.processes import told

    with _ctx({"cs_tools.fetch": ["replayed"]}):
        told()  # (what children of earlier tests told)
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover - the child
            try:
                tools.fetch("q")
            except ChildProcessCallError as exc:
                os.write(write, f"{exc.pid} {exc.parent}".encode())
            os._exit(0)
        os.close(write)
        os.waitpid(pid, 0)
        with os.fdopen(read, "rb") as pipe:
            raised = pipe.read().decode()
        (error,) = told()  # (also when the child's code swallows it)
    assert raised == f"{pid} {os.getpid()}"
    assert isinstance(error, ChildProcessCallError)
    assert str(error).startswith(
        f"cs_tools.fetch was called in process {pid}, which the test's process ({os.getpid()}) "
        "forked while the test was replaying: "
    )


def test_a_tool_refusing_the_patch_names_the_function_it_wraps_by_its_import_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the function is importable from its own module, a top-level one: that path is named)
    (tmp_path / "cs_tool_module.py").write_text(
        textwrap.dedent(
            '''
            from langchain_core.tools import StructuredTool


            def find(query: str) -> str:
                """Find recipes."""
                return query


            finder = StructuredTool.from_function(find)
            '''
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cs_tool_module", raising=False)
    target = resolve("cs_tool_module.finder.invoke")
    with pytest.raises(MockTargetError) as info:
        patch_with(target, lambda args, kwargs: "answered", PatchStack())
    assert (
        "; mock the function it wraps, 'cs_tool_module.find', or give the method on its class, "
        "'langchain_core.tools.StructuredTool.invoke' (it records"
    ) in str(info.value)
