"""How a mock target's call is bound and recorded (``arguments.py``): what counts as not
given, what of a method's ``self`` is recorded, and the SDK upload parameters."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import openai
import pytest

from pytest_clearstone.arguments import Binder, binder, settings_of, without_package_versions


def complete(prompt: str, temperature: Any = 0.0, *, stop: Any = None) -> None:
    return None


@pytest.mark.parametrize("sentinel", [openai.NOT_GIVEN, openai.omit])
def test_an_sdk_sentinel_counts_as_not_given_on_every_path(sentinel: Any) -> None:
    binder = Binder(complete)
    assert binder.bind(("hi", sentinel), {}) == {"prompt": "hi"}  # (positional)
    assert binder.bind(("hi",), {"stop": sentinel}) == {"prompt": "hi"}  # (keyword)


def test_a_functions_binders_with_and_without_self_are_cached_apart() -> None:
    def ask(self: Any, prompt: str) -> None:
        return None

    assert binder(ask, skip_first=True).skip_first is True
    assert binder(ask, skip_first=False).skip_first is False
    assert binder(ask, skip_first=True) is binder(ask, skip_first=True)


def star(prompt: str, *rest: Any, stop: Any = None) -> None:
    return None


def test_a_sentinel_is_not_given_when_bound_by_the_signature_too() -> None:
    assert Binder(star).bind(("hi",), {"stop": openai.NOT_GIVEN}) == {"prompt": "hi"}


def positional(prompt: str, /, temperature: Any = 0.0) -> None:
    return None


def test_an_argument_given_as_its_default_is_left_out_and_one_equal_to_it_kept() -> None:
    # (the default object itself was not given; an equal value was, and is recorded)
    default = complete.__defaults__[0]  # type: ignore[index]
    for shape in (Binder(complete), Binder(positional)):  # (bound fast; by the signature)
        assert shape.bind(("hi", default), {}) == {"prompt": "hi"}
        assert shape.bind(("hi", 0), {}) == {"prompt": "hi", "temperature": 0}
    assert Binder(complete).bind(("hi",), {"temperature": default}) == {"prompt": "hi"}
    assert Binder(complete).bind(("hi",), {"temperature": 0}) == {"prompt": "hi", "temperature": 0}


class NotGiven:
    """A class of the user's own named as the SDKs' sentinel: a value like any other."""


def test_a_users_class_named_as_an_sdk_sentinel_is_an_argument() -> None:
    value = NotGiven()
    assert Binder(complete).bind(("hi", value), {}) == {"prompt": "hi", "temperature": value}
    assert Binder(star).bind(("hi",), {"stop": value}) == {"prompt": "hi", "stop": value}


def test_a_callable_without_a_signature_is_bound_as_it_was_called() -> None:
    assert Binder(max).bind((3, 4), {}) == {"args": [3, 4], "kwargs": {}}
    assert Binder(max).bind((), {}) == {"args": [], "kwargs": {}}


@dataclasses.dataclass
class Chat:
    model: str
    _cache: dict[str, Any] = dataclasses.field(default_factory=dict)
    _name: Any = None

    @property
    def name(self) -> Any:
        return self._name

    def ask(self, prompt: str) -> None:
        return None


def test_a_methods_self_is_recorded_by_its_public_and_shown_plain_settings() -> None:
    chat = Chat("gpt-4o", {"k": 1}, "main")
    assert settings_of(chat) == {"__class__": f"{__name__}:Chat", "model": "gpt-4o", "name": "main"}
    binder = Binder(Chat.ask, skip_first=True)
    assert binder.bind_call((chat, "hi"), {}) == {"self": settings_of(chat), "prompt": "hi"}
    assert list(binder.bind_call((chat, "hi"), {})) == ["self", "prompt"]  # (first)
    # a private field a property shows is a setting only while it is plain data
    assert "name" not in settings_of(Chat("gpt-4o", {}, object()))
    assert "name" not in settings_of(Chat("gpt-4o", {}, {1: "not a string key"}))


def test_an_sdk_clients_own_method_records_the_client_as_its_self() -> None:
    # (by reference: its base URL, timeout and retries are compared at replay)
    import httpx

    with httpx.Client(base_url="http://test.local") as client:
        request = client.build_request("GET", "/")
        bound = Binder(httpx.Client.send, skip_first=True).bind_call((client, request), {})
        assert bound["self"] is client


def ask(chat: Chat, prompt: str) -> None:
    return None


def test_a_functions_first_argument_with_settings_is_no_self() -> None:
    chat = Chat("gpt-4o")
    assert Binder(ask).bind_call((chat, "hi"), {}) == {"chat": chat, "prompt": "hi"}


def test_the_langchain_releases_are_left_out_of_the_settings() -> None:
    settings = {"model": "m", "metadata": {"lc_versions": {"langchain-core": "1.0"}, "team": "a"}}
    assert without_package_versions(settings) == {"model": "m", "metadata": {"team": "a"}}
    assert without_package_versions({"metadata": {"team": "a"}}) == {"metadata": {"team": "a"}}


def test_a_path_given_to_an_sdk_upload_parameter_is_recorded_as_the_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("hello")
    client = openai.OpenAI(api_key="sk-test", base_url="http://localhost")
    bound = Binder(client.files.create).bind_call((), {"file": path, "purpose": "assistants"})
    assert not isinstance(bound["file"], Path)


def test_a_pydantic_ai_run_context_is_recorded_by_what_the_tool_acts_on() -> None:
    from pydantic_ai import RunContext
    from pydantic_ai.models.test import TestModel
    from pydantic_ai.usage import RunUsage

    from pytest_clearstone.arguments import tool_context

    ctx = RunContext(deps={"user": 1}, model=TestModel(), usage=RunUsage(), retry=2, tool_name="t")
    shown = tool_context(ctx)
    assert {k: v for k, v in shown.items() if k != "__class__"} == {
        "deps": {"user": 1},
        "tool_name": "t",
        "retry": 2,  # (a retry of the tool is another call)
    }


class RunContext:
    """A class of the user's own that happens to be named ``RunContext``: itself."""


def test_a_run_context_of_another_library_is_itself() -> None:
    from pytest_clearstone.arguments import tool_context

    ctx = RunContext()
    assert tool_context(ctx) is ctx
