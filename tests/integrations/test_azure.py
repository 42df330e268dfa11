"""Azure OpenAI and OpenAI-compatible endpoints, through the real ``openai``, ``langchain-openai``
and ``pydantic-ai`` clients (their HTTP answered by the fake OpenAI service)."""

from __future__ import annotations

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

AZURE_CHAT = """
import pytest
from langchain_core.messages import HumanMessage

import services
from langchain_openai import AzureChatOpenAI


def token_provider():
    return "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.azure-ad-token-from-the-provider"


def make_llm(**credentials):
    return AzureChatOpenAI(azure_endpoint="https://x.openai.azure.com",
                           azure_deployment="travel-mini", api_version="2024-10-21",
                           model="gpt-4o-mini", temperature=0.2, max_retries=0,
                           http_client=services.OPENAI.client(),
                           http_async_client=services.OPENAI.async_client(), **credentials)


class Chef:
    def __init__(self, llm):
        self.llm = llm
        self.answers = []

    def get_state(self):
        return {"answers": self.answers}

    def load_state(self, state):
        self.answers = list(state["answers"])

    def ask(self, question):
        self.answers.append(self.llm.invoke([HumanMessage(question)]).content)
        return self.answers[-1]


class PlainChef:  # keeps its model in its state (no get_state())
    def __init__(self, llm):
        self.llm = llm

    def ask(self, question):
        return self.llm.invoke([HumanMessage(question)]).content


@pytest.mark.replay(mock={"llm": "langchain_openai.AzureChatOpenAI.invoke"})
def test_token_provider(replay):
    chef = Chef(make_llm(azure_ad_token_provider=token_provider))
    assert replay.run(chef.ask, "Soup?") == "Answer to 'Soup?'"


@pytest.mark.replay(mock={"llm": "langchain_openai.AzureChatOpenAI.invoke"})
def test_token_in_the_state(replay):
    chef = PlainChef(make_llm(azure_ad_token=token_provider()))
    assert replay.run(chef.ask, "Soup?") == "Answer to 'Soup?'"
"""


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack()


def test_an_azure_ad_chat_model_recorded_without_an_openai_key_replays(
    stack: Stack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An ``AzureChatOpenAI`` signed in with an Azure AD token provider, recorded where
    ``OPENAI_API_KEY`` is unset (its ``openai_api_key`` None), failed every replay with
    ``root['self']['openai_api_key']: None -> '[REDACTED]'``: the model reads
    ``OPENAI_API_KEY``, which the plugin sets to its placeholder while a test replays (and an
    agent keeping the model in its state failed on its final state). The placeholder key stands
    for no key: it matches what was recorded, and a message shows no change there."""
    monkeypatch.delenv("OPENAI_API_KEY")
    stack.write_test("azure_ad", AZURE_CHAT)
    stack.record()
    for _ in range(2):
        stack.replay_passes()
    stack.check_no_secret_on_disk()
    stack.edit("test_azure_ad", "temperature=0.2", "temperature=0.3")
    result = stack.replay("-k", "test_token_provider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*recorded -> actual:", "*root[[]'self'[]][[]'temperature'[]]: 0.2 -> 0.3"]
    )
    assert "openai_api_key" not in result.stdout.str()


PYDANTIC_AI = """
import asyncio

import pytest
from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.azure import AzureProvider
from pydantic_ai.providers.openai import OpenAIProvider

import services


def local_model():  # an OpenAI-compatible server (ollama, vLLM) with a dummy key
    provider = OpenAIProvider(base_url="http://localhost:11434/v1", api_key="ollama",
                              http_client=services.OPENAI.async_client())
    return OpenAIChatModel("gpt-4o-mini", provider=provider)


def azure_model():
    provider = AzureProvider(azure_endpoint="https://x.openai.azure.com",
                             api_version="2024-10-21", api_key="azure-key-0123456789",
                             http_client=services.OPENAI.async_client())
    return OpenAIChatModel("gpt-4o-mini", provider=provider)


class Guide:
    def __init__(self, model):
        self.agent = Agent(model, system_prompt="Be brief.")
        self.answers = []

    def get_state(self):
        return {"answers": self.answers}

    def load_state(self, state):
        self.answers = list(state["answers"])

    async def ask(self, question):
        self.answers.append((await self.agent.run(question)).output)
        return self.answers[-1]


@pytest.mark.replay(mock={"llm": "pydantic_ai.models.openai.OpenAIChatModel.request"})
def test_it(replay):
    guide = Guide(MODEL())
    assert asyncio.run(replay.run(guide.ask, "Monet?")) == "Answer to 'Monet?'"
"""


@pytest.mark.parametrize(
    ("model", "old", "new", "changed"),
    [
        (
            "local_model",
            "localhost:11434",
            "localhost:8000",
            "*root[[]'self'[]][[]'client'[]].base_url: 'http://localhost:11434/v1/' -> "
            "'http://localhost:8000/v1/'",
        ),
        (
            "azure_model",
            'api_version="2024-10-21"',
            'api_version="2025-04-01"',
            "*root[[]'self'[]][[]'client'[]].api_version: '2024-10-21' -> '2025-04-01'",
        ),
        (
            "azure_model",
            "Guide(azure_model())",
            "Guide(local_model())",
            "*root[[]'self'[]][[]'client'[]]: AsyncAzureOpenAI(*) -> AsyncOpenAI(*)",
        ),
    ],
    ids=["base_url", "api_version", "provider"],
)
def test_a_pydantic_ai_model_on_another_endpoint_diverges(
    stack: Stack, model: str, old: str, new: str, changed: str
) -> None:
    """``self`` of ``OpenAIChatModel.request`` was recorded by its name, profile and settings
    only: the same agent pointed at another OpenAI-compatible server (``base_url``), another
    Azure API version, or moved from ``AzureProvider`` to ``OpenAIProvider`` replayed green. The
    model's SDK client is part of its settings now, stored by its reference (never its key)."""
    stack.write_test("guide", PYDANTIC_AI.replace("MODEL()", f"{model}()"))
    stack.roundtrip()
    stack.edit("test_guide", old, new)
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*OpenAIChatModel.request*", changed])


def test_an_azure_chat_model_under_a_chat_openai_target_is_named(stack: Stack) -> None:
    """An agent on ``AzureChatOpenAI`` recorded with the target the LangChain page gives,
    ``langchain_openai.ChatOpenAI.invoke``, recorded nothing (``AzureChatOpenAI`` is no
    ``ChatOpenAI``: both inherit ``invoke`` from ``BaseChatModel``, and the patch is set on
    ``ChatOpenAI``); the hints asked about ``ChatOpenAI.ainvoke`` and ``.stream``, which do
    not reach it either. The sibling class's method is named."""
    stack.write_test(
        "azure_ad",
        AZURE_CHAT.replace(
            "langchain_openai.AzureChatOpenAI.invoke", "langchain_openai.ChatOpenAI.invoke"
        ),
    )
    result = stack.try_record("-k", "test_token_provider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*nothing was recorded*",
            "*does the agent call `langchain_openai.AzureChatOpenAI.invoke`? (`AzureChatOpenAI`"
            " is no `ChatOpenAI`*",
        ]
    )
