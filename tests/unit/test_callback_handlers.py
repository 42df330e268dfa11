"""The hint naming the LangChain callback handlers a replayed call skipped: only for a method
that skips LangChain's run machinery when mocked (a model's ``invoke``...), never for the
private methods under it (``_generate``...), whose handlers a replay calls; and the hint naming
a function a replayed call was given as an argument, which the replay does not call."""

from __future__ import annotations

import functools

import pytest

pytest.importorskip("langchain_core")

from langchain_core.callbacks import BaseCallbackHandler, get_usage_metadata_callback

from pytest_clearstone.golden.callback_handlers import (
    InContext,
    context_handlers,
    uncalled_functions_hint,
    uncalled_handlers_hint,
)
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
    assert uncalled_handlers_hint([call], [in_context._replace(inherited=[Ends()])]) == ""


def test_handlers_a_context_manager_set_are_named_for_invoke() -> None:
    with get_usage_metadata_callback():
        call = _call("langchain_openai.ChatOpenAI.invoke", self={"callbacks": None})
        in_context = context_handlers()
    assert "(langchain_core.callbacks.usage.UsageMetadataCallbackHandler) set by a context" in (
        uncalled_handlers_hint([call], [in_context])
    )


class Tokens(BaseCallbackHandler):
    pass


class Costs(BaseCallbackHandler):
    pass


class Audit(BaseCallbackHandler):
    pass


INVOKE = "langchain_openai.ChatOpenAI.invoke"
HERE = "tests.unit.test_callback_handlers"


def test_the_first_three_handler_classes_are_named_once_each() -> None:
    three = [Ends(), Tokens(), Ends(), Costs()]
    hint = uncalled_handlers_hint([_call(INVOKE, config={"callbacks": three})])
    assert f"({HERE}.Ends, {HERE}.Tokens, {HERE}.Costs) in config['callbacks']" in hint
    four = [*three, Audit()]
    hint = uncalled_handlers_hint([_call(INVOKE, config={"callbacks": four})])
    assert f"({HERE}.Ends, {HERE}.Tokens, {HERE}.Costs, ...) in config['callbacks']" in hint


def test_the_handlers_given_in_config_are_named_before_the_models_and_the_runs() -> None:
    call = _call(INVOKE, config={"callbacks": [Tokens()]}, self=MODEL)
    with get_usage_metadata_callback():
        in_context = context_handlers()
    assert in_context
    contexts = [in_context._replace(inherited=[Ends()])]
    assert f"({HERE}.Tokens) in config['callbacks']" in uncalled_handlers_hint([call], contexts)


def test_handlers_given_in_config_to_a_private_method_are_named() -> None:
    """Only the model's and the context's handlers are left out for a private method (the run
    machinery's, which a replay runs): those its own config was given are not."""
    call = _call("app.agent._ask", config={"callbacks": [Ends()]}, self=MODEL)
    assert f"({HERE}.Ends) in config['callbacks']" in uncalled_handlers_hint([call])


def test_a_call_with_handlers_after_one_under_the_run_machinery_is_named() -> None:
    calls = [_call("langchain_openai.ChatOpenAI._generate", self=MODEL)]
    calls.append(_call(INVOKE, config={"callbacks": [Tokens()]}))
    hint = uncalled_handlers_hint(calls)
    assert f"to {INVOKE} was given LangChain callback handlers ({HERE}.Tokens)" in hint


def test_langchains_own_handlers_that_collect_nothing_and_non_handlers_are_not_named() -> None:
    from langchain_core.callbacks import StdOutCallbackHandler, StreamingStdOutCallbackHandler
    from langchain_core.tracers.langchain import LangChainTracer
    from langchain_core.tracers.root_listeners import RootListenersTracer
    from langchain_core.tracers.stdout import ConsoleCallbackHandler
    from langsmith import Client

    listeners = RootListenersTracer(config={}, on_start=None, on_end=None, on_error=None)
    callbacks = [StdOutCallbackHandler(), StreamingStdOutCallbackHandler(), listeners, print]
    callbacks.append(ConsoleCallbackHandler())
    # the LangSmith tracer, its client pointing nowhere (it traces nothing here: sends nothing)
    langsmith = Client(api_url="http://127.0.0.1:9", api_key="unused", auto_batch_tracing=False)
    callbacks.append(LangChainTracer(client=langsmith))
    assert uncalled_handlers_hint([_call(INVOKE, config={"callbacks": callbacks})]) == ""


def test_the_handlers_of_a_callback_manager_are_named() -> None:
    from langchain_core.callbacks import CallbackManager

    manager = CallbackManager(handlers=[Costs()])
    hint = uncalled_handlers_hint([_call(INVOKE, config={"callbacks": manager})])
    assert f"({HERE}.Costs) in config['callbacks']" in hint


def test_the_handlers_in_force_are_those_of_the_run_it_is_called_in() -> None:
    from langchain_core.runnables import RunnableLambda

    assert context_handlers() is None  # (no run, no context manager)
    found = RunnableLambda(lambda _: context_handlers()).invoke(1, {"callbacks": [Audit()]})
    call = _call(INVOKE, self={"callbacks": None})
    assert f"({HERE}.Audit) of the run it was called in" in uncalled_handlers_hint([call], [found])


@pytest.mark.parametrize("hook", [None, (), ("run_collector", False, None, None)])
def test_configure_hooks_of_another_shape_are_no_handlers_in_force(
    monkeypatch: pytest.MonkeyPatch, hook: object
) -> None:
    """A LangChain whose configure hooks are not subscriptable, empty or hold no context
    variable (a TypeError, an IndexError, an AttributeError read) puts no handler in force."""
    import langchain_core.tracers.context

    monkeypatch.setattr(langchain_core.tracers.context, "_configure_hooks", [hook])
    assert context_handlers() is None


def _progress(progress: float, total: float) -> None:
    pass


class Guide:
    def on_event(self, event: object) -> None:
        pass


@pytest.mark.parametrize(
    ("function", "shown"),
    [
        (_progress, "tests.unit.test_callback_handlers._progress"),
        (Guide().on_event, "tests.unit.test_callback_handlers.Guide.on_event"),
        (functools.partial(_progress, total=1), "tests.unit.test_callback_handlers._progress"),
    ],
    ids=["function", "bound-method", "partial"],
)
def test_a_function_given_to_a_replayed_call_is_named_with_the_argument(
    function: object, shown: str
) -> None:
    call = _call("mcp.ClientSession.call_tool", self={}, name="search", progress_callback=function)
    assert uncalled_functions_hint([call]).startswith(
        f"Call #1 to mcp.ClientSession.call_tool was given a function, progress_callback "
        f"({shown}): a replay answers the call without running it"
    )


def test_a_class_or_the_calls_own_method_given_to_a_replayed_call_is_no_function_named() -> None:
    # (a class builds the answer, openai's text_format=Answer; self is the call's owner)
    call = _call(
        "openai.resources.responses.Responses.parse", self=Guide().on_event, text_format=Guide
    )
    assert uncalled_functions_hint([call]) == ""


def test_each_call_is_matched_with_the_handlers_in_force_where_it_was_made() -> None:
    # the first call was made where no handler was in force, the second in a run with one:
    # the hint names the second call, with the handlers of its own run
    calls = [_call(INVOKE, self={"callbacks": None}), ReplayCall(INVOKE, 2, {}, None)]
    hint = uncalled_handlers_hint(calls, [None, InContext([Audit()], ())])
    assert hint.startswith(
        f"Call #2 to {INVOKE} ran with LangChain callback handlers ({HERE}.Audit)"
    )
