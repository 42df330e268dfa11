"""The hint naming the LangChain callback handlers a replayed call skipped: only for a method
that skips LangChain's run machinery when mocked (a model's ``invoke``...), never for the
private methods under it (``_generate``...), whose handlers a replay calls."""

from __future__ import annotations

import pytest

pytest.importorskip("langchain_core")

from langchain_core.callbacks import BaseCallbackHandler, get_usage_metadata_callback

from pytest_clearstone.golden.callback_handlers import context_handlers, uncalled_handlers_hint
from pytest_clearstone.golden.responses import ReplayCall


class Ends(BaseCallbackHandler):
    pass


def _call(target: str, **arguments: object) -> ReplayCall:
    return ReplayCall(target, 1, dict(arguments), None)


MODEL = {"__class__": "langchain_openai.chat_models.base:ChatOpenAI", "callbacks": [Ends()]}


def test_the_models_own_handlers_are_named_for_invoke() -> None:
    hint = uncalled_handlers_hint([_call("langchain_openai.ChatOpenAI.invoke", self=MODEL)])
    assert "(tests.unit.test_callback_handlers.Ends) in its model's callbacks" in hint


@pytest.mark.parametrize("method", ["_generate", "_agenerate", "_stream", "_astream"])
def test_no_handler_is_named_for_the_methods_under_the_run_machinery(method: str) -> None:
    # (a replay of these runs LangChain's run machinery: the handlers get their events)
    with get_usage_metadata_callback():
        in_context = context_handlers()
    assert in_context
    call = _call(f"langchain_openai.ChatOpenAI.{method}", self=MODEL)
    call.in_context = in_context._replace(inherited=[Ends()])
    assert uncalled_handlers_hint([call]) == ""


def test_handlers_a_context_manager_set_are_named_for_invoke() -> None:
    with get_usage_metadata_callback():
        call = _call("langchain_openai.ChatOpenAI.invoke", self={"callbacks": None})
        call.in_context = context_handlers()
    assert "(langchain_core.callbacks.usage.UsageMetadataCallbackHandler) set by a context" in (
        uncalled_handlers_hint([call])
    )
