"""Where an agent may call a mock target under another import path (``golden.aliases``)."""

from __future__ import annotations

import sys
import types
from collections.abc import Iterator

import pytest

from pytest_clearstone.golden.aliases import other_paths


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
