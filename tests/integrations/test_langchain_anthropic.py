"""LangChain's provider-neutral entry points over ``langchain-anthropic``'s ``ChatAnthropic``
(``init_chat_model("anthropic:...")``), its HTTP answered by the fake Anthropic service."""

from __future__ import annotations

import sys

import pytest

from .harness import Stack

if sys.version_info >= (3, 11):  # langchain-anthropic beside langchain-core 1.8 needs 3.11
    # (imported once here, so the in-process inner runs reuse them)
    import langchain.chat_models  # noqa: F401
    import langchain_anthropic  # noqa: F401
    import langchain_openai  # noqa: F401

pytestmark = pytest.mark.skipif(sys.version_info < (3, 11), reason="langchain 1.x: Python 3.11+")


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack()


HEADER = """
import pytest
from langchain.chat_models import init_chat_model
from langchain_anthropic import chat_models

import services


@pytest.fixture(autouse=True)
def _claude_over_the_fake_service(monkeypatch):
    # ChatAnthropic takes no http_client: it builds its anthropic client on the HTTP client
    # this helper gives
    monkeypatch.setattr(chat_models, "_get_default_httpx_client",
                        lambda **kwargs: services.ANTHROPIC.client())
    monkeypatch.setattr(chat_models, "_get_default_async_httpx_client",
                        lambda **kwargs: services.ANTHROPIC.async_client())


def ask(question):
    llm = init_chat_model("anthropic:claude-sonnet-4-5", max_retries=0)
    return llm.invoke(question).content
"""


def test_a_chat_model_of_another_provider_is_named_when_nothing_was_recorded(
    stack: Stack,
) -> None:
    """An agent on ``init_chat_model("anthropic:...")`` recorded with the ``ChatOpenAI.invoke``
    target of the LangChain how-to recorded nothing, and the hints named only methods of
    langchain-openai (``ChatOpenAI.ainvoke``, ``AzureChatOpenAI.invoke``, ``ChatOpenAI.stream``),
    none of which the agent calls: never ``ChatAnthropic.invoke``, which inherits the same
    ``BaseChatModel.invoke``. Followed, that hint records and replays."""
    test = (
        HEADER
        + """

@pytest.mark.replay("goldens/ask.ckpt", mock={"llm": "TARGET"})
def test_it(replay):
    assert replay.run(ask, "Tides?") == "Answer to 'Tides?'"
"""
    )
    stack.write_test("ask", test.replace("TARGET", "langchain_openai.ChatOpenAI.invoke"))
    result = stack.try_record()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*nothing was recorded*",
            "*does the agent call `langchain_anthropic.ChatAnthropic.invoke`? (`ChatAnthropic` "
            "is no `ChatOpenAI`: it has the same `invoke`, which the patch of "
            "`langchain_openai.ChatOpenAI.invoke` does not reach: mock it too, or instead)*",
        ]
    )
    stack.write_test("ask", test.replace("TARGET", "langchain_anthropic.ChatAnthropic.invoke"))
    stack.roundtrip()


def test_the_sdk_method_under_chat_anthropic_is_refused_naming_chat_anthropic(
    stack: Stack,
) -> None:
    """``ChatAnthropic`` calls anthropic's ``Messages.create`` through ``with_raw_response``:
    mocked there, the answer is the SDK's raw response, refused. The refusal's LangChain fix
    gave ``langchain_openai.ChatOpenAI.invoke`` as the method to mock, whatever the SDK: for
    an agent on ``ChatAnthropic`` that target records nothing."""
    stack.write_test(
        "sdk",
        HEADER
        + """

@pytest.mark.replay("goldens/sdk.ckpt",
                    mock={"llm": "anthropic.resources.messages.Messages.create"})
def test_it(replay):
    replay.run(ask, "Tides?")
""",
    )
    result = stack.try_record()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cannot serialise the answer of call #1 to anthropic.resources.messages.Messages."
            "create (an anthropic._response.APIResponse)*under LangChain, whose chat models call "
            "the SDK this way, mock the chat model's invoke, ainvoke or stream (e.g. "
            "langchain_anthropic.ChatAnthropic.invoke)*"
        ]
    )
    result.stdout.no_fnmatch_line("*langchain_openai*")
    assert not stack.goldens()


def test_a_chat_model_kept_in_the_agents_state_counts_tokens_on_replay(stack: Stack) -> None:
    """An agent that keeps its ``ChatAnthropic`` in ``self.llm`` (no ``get_state()``) and trims
    its history with the model as ``trim_messages``' token counter, which asks the API's
    ``count_tokens`` (mocked at the SDK). The model is stored whole, its key redacted; replayed,
    its ``anthropic_api_key`` came back as the plain text ``'[REDACTED]'``, not a ``SecretStr``,
    and the model failed to build its client: ``AttributeError: 'str' object has no attribute
    'get_secret_value'``. The golden's copy replaced the test's own model (which builds its
    client only when first asked for it, so it held none yet), which also hid a changed
    setting of the model: the agent now keeps its own, compared at each call."""
    stack.write_test(
        "trim",
        HEADER
        + """
from langchain_core.messages import HumanMessage, trim_messages


class Keeper:
    def __init__(self):
        self.llm = init_chat_model("anthropic:claude-sonnet-4-5", max_retries=0)
        self.history = []

    def ask(self, question):
        self.history.append(HumanMessage(question))
        kept = trim_messages(self.history, token_counter=self.llm, max_tokens=4000,
                             strategy="last")
        answer = self.llm.invoke(kept)
        self.history.append(answer)
        return answer.content


@pytest.mark.replay("goldens/trim.ckpt",
                    mock={"llm": ["langchain_anthropic.ChatAnthropic.invoke",
                                  "anthropic.resources.messages.Messages.count_tokens"]})
def test_it(replay):
    agent = Keeper()
    assert replay.run(agent.ask, "Tides?") == "Answer to 'Tides?'"
    assert replay.run(agent.ask, "Moons?") == "Answer to 'Moons?'"
""",
    )
    stack.roundtrip()
    stack.edit("test_trim", "max_retries=0)", "max_retries=0, temperature=0.5)")
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*", "*['self']['temperature']*0.5*"])
