"""A LangChain RAG engineer's probe (``stacks/rag_agent.py``): an async LCEL chain over
``InMemoryVectorStore`` (``ainvoke``, whose retriever embeds by ``aembed_documents`` and
``aembed_query``) recorded with the sync ``embed_documents``/``embed_query`` mocked, after a
test of the same file that called them: the recording names the async methods the agent called,
not a cache kept between tests."""

from __future__ import annotations

from .harness import Stack

SYNC = [
    "langchain_openai.OpenAIEmbeddings.embed_documents",
    "langchain_openai.OpenAIEmbeddings.embed_query",
]
ASYNC = [
    "langchain_openai.OpenAIEmbeddings.aembed_documents",
    "langchain_openai.OpenAIEmbeddings.aembed_query",
]

AGENT = """
from langchain_core.output_parsers import StrOutputParser
from langchain_core.runnables import RunnablePassthrough
from langchain_core.vectorstores import InMemoryVectorStore

import rag_agent


async def achain_answer(question):
    store = await InMemoryVectorStore.afrom_texts(rag_agent.DOCS, rag_agent.make_embeddings())
    retriever = store.as_retriever(search_type="mmr", search_kwargs={"k": 2, "fetch_k": 3})
    chain = (
        {"context": retriever | rag_agent.format_docs, "question": RunnablePassthrough()}
        | rag_agent.PROMPT
        | rag_agent.make_llm()
        | StrOutputParser()
    )
    return await chain.ainvoke(question)
"""

TEST = """
import asyncio

import pytest

import async_rag
import rag_agent

LLM = {"llm": "langchain_openai.ChatOpenAI.invoke"}


@pytest.mark.replay("goldens/sync.ckpt", mock={**LLM, "embed": SYNC}, ignore=["config.callbacks"])
def test_sync(replay):
    assert replay.run(rag_agent.chain_answer, "How is pesto made?").startswith("Answer")


@pytest.mark.replay("goldens/async.ckpt", mock=MOCK)
def test_async(replay):
    answer = asyncio.run(replay.run(async_rag.achain_answer, "Risotto rice?"))
    assert answer == "Answer to 'Risotto rice?'"
"""


def _write(stack: Stack, mock: dict[str, object]) -> None:
    stack.write_test("chains", TEST.replace("SYNC", repr(SYNC)).replace("MOCK", repr(mock)))


def test_async_embeddings_called_instead_of_the_mocked_sync_ones_are_named(
    make_stack: object,
) -> None:
    stack: Stack = make_stack("rag_agent")  # type: ignore[operator]
    (stack.path / "async_rag.py").write_text(AGENT)
    _write(stack, {"embed": SYNC})
    result = stack.try_record()
    result.assert_outcomes(passed=1, failed=1)
    text = " ".join(result.stdout.str().split())
    for sync, called in zip(SYNC, ASYNC, strict=True):
        assert (
            f"the agent called `{called}` (the async twin of `{sync}`), which is not mocked: "
            "its calls ran live. Mock it instead, or too" in text
        ), text
        assert f"does the agent call `{called}`?" not in text, text
    # the earlier test's call of the sync methods is no sign of a cache kept between tests
    assert "recorded before this test in this run" not in text, text
    _write(stack, {"embed": ASYNC, "llm": "langchain_openai.ChatOpenAI.ainvoke"})
    stack.record()
    stack.replay_passes()
