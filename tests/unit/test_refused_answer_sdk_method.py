"""The SDK method a refused answer's message suggests mocking is sync or async as the answer's
type or the mocked method is (it was always the async one for openai and anthropic values)."""

from __future__ import annotations

import pytest

from pytest_clearstone.golden.recording import _repr_fixes

OPENAI = "openai.resources.chat.completions.{}Completions.create"
ANTHROPIC = "anthropic.resources.messages.{}Messages.create"


@pytest.mark.parametrize(
    ("type_name", "target", "expected"),
    [
        ("openai._streaming.Stream", "app.ask", OPENAI.format("")),
        ("openai._streaming.AsyncStream", "app.ask", OPENAI.format("Async")),
        ("anthropic._streaming.Stream", "app.ask", ANTHROPIC.format("")),
        ("anthropic._streaming.AsyncStream", "app.ask", ANTHROPIC.format("Async")),
        (
            "app.Reply",
            "openai.resources.chat.completions.AsyncCompletions.create",
            OPENAI.format("Async"),
        ),
        # pydantic-ai's model calls are async
        (
            "app.Reply",
            "pydantic_ai.models.openai.OpenAIChatModel.request_stream",
            OPENAI.format("Async"),
        ),
        # (a model of no SDK's, under a stack built on them: openai's, async)
        (
            "contextlib._AsyncGeneratorContextManager",
            "pydantic_ai.models.fallback.FallbackModel.request_stream",
            OPENAI.format("Async"),
        ),
        # ... through the SDK method each model sends by (suggesting the chat method for these
        # led to "nothing was recorded": the model never calls it)
        (
            "contextlib._AsyncGeneratorContextManager",
            "pydantic_ai.models.anthropic.AnthropicModel.request_stream",
            "anthropic.resources.beta.messages.AsyncMessages.create",
        ),
        (
            "contextlib._AsyncGeneratorContextManager",
            "pydantic_ai.models.openai.OpenAIResponsesModel.request_stream",
            "openai.resources.responses.AsyncResponses.create",
        ),
        # a LangChain or LangGraph method is sync or async as its name says: the sync ones
        # call the SDK's sync method (the async one was named for both)
        ("app.Reply", "langchain_openai.ChatOpenAI.invoke", OPENAI.format("")),
        ("app.Reply", "langchain_openai.ChatOpenAI.stream", OPENAI.format("")),
        ("app.Reply", "langchain_openai.ChatOpenAI.ainvoke", OPENAI.format("Async")),
        (
            "app.Reply",
            "langchain_openai.chat_models.base.BaseChatOpenAI._astream",
            OPENAI.format("Async"),
        ),
        ("app.Reply", "langgraph.pregel.Pregel.invoke", OPENAI.format("")),
        ("app.Reply", "langgraph.pregel.Pregel.astream", OPENAI.format("Async")),
        ("app.AsyncReply", "langgraph.pregel.Pregel.invoke", OPENAI.format("Async")),
    ],
)
def test_the_sdk_method_to_mock_is_sync_or_async_as_the_answer(
    type_name: str, target: str, expected: str
) -> None:
    message = _repr_fixes(type_name, target, pickles=False)
    assert f"the SDK method that makes the request, e.g. {expected}," in message
