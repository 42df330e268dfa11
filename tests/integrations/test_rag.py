"""Retrieval-augmented agents (``stacks/rag_agent.py``), mocked where the how-to pages say:
LangChain's ``OpenAIEmbeddings.embed_documents``/``embed_query`` and ``ChatOpenAI.invoke``
under an LCEL chain over ``InMemoryVectorStore.as_retriever()`` and under a ``create_agent``
whose tool searches the store; pydantic-ai's ``Embedder.embed_documents``/``embed_query``
(a numpy matrix of the vectors and the cosine scores kept in the agent's state) beside
``OpenAIChatModel.request``; the openai SDK's ``Embeddings.create`` (base64 asked by the SDK and
decoded with numpy). Each records, replays twice with the service sealed, re-records
byte-identical (a LangChain golden: but for the ``lc_run--`` ids and span times a live call
makes), and an edited document or question is named by its text."""

from __future__ import annotations

import pytest

from .harness import Stack

LC_EMBED = [
    "langchain_openai.OpenAIEmbeddings.embed_documents",
    "langchain_openai.OpenAIEmbeddings.embed_query",
]

TEST = f"""
import asyncio

import numpy as np
import pytest

import rag_agent

LC = {{"embed": {LC_EMBED!r}, "llm": "langchain_openai.ChatOpenAI.invoke"}}
PAI = {{"embed": ["pydantic_ai.embeddings.Embedder.embed_documents",
                  "pydantic_ai.embeddings.Embedder.embed_query"],
        "llm": "pydantic_ai.models.openai.OpenAIChatModel.request"}}


@pytest.mark.replay("goldens/chain.ckpt", mock=LC, ignore=["config.callbacks"])
def test_chain(replay):
    answer = replay.run(rag_agent.chain_answer, "How is pesto made?")
    assert answer == "Answer to 'How is pesto made?'"


@pytest.mark.replay("goldens/agent.ckpt", mock=LC,
                    ignore=["config.callbacks", "config.configurable"])
def test_agent(replay):
    out = replay.run(rag_agent.agent_answer, "Risotto rice?")
    assert "Arborio rice" in out["answer"] and out["turns"] == 4, out


@pytest.mark.replay("goldens/librarian.ckpt", mock=PAI)
def test_librarian(replay):
    librarian = rag_agent.Librarian()
    answer = asyncio.run(replay.run(librarian.ask, "A creamy rice dish?"))
    assert "Arborio rice" in answer, answer
    assert librarian.matrix.shape == (3, 12) and librarian.scores.dtype == np.float64


@pytest.mark.replay("goldens/sdk.ckpt",
                    mock={{"embed": "openai.resources.embeddings.Embeddings.create"}})
def test_sdk(replay, openai_client):
    out = replay.run(rag_agent.sdk_search, openai_client, "sourdough starter")
    assert out["best"] == rag_agent.DOCS[2], out
    assert all(type(x) is float for x in out["first"])
"""


@pytest.fixture
def stack(make_stack: object) -> Stack:
    made: Stack = make_stack("rag_agent")  # type: ignore[operator]
    made.write_test("rag", TEST)
    return made


def test_rag_agents_record_replay_and_re_record_the_same(stack: Stack) -> None:
    stack.roundtrip()
    goldens = stack.unmeasured_goldens()
    assert sorted(goldens) == ["agent.ckpt", "chain.ckpt", "librarian.ckpt", "sdk.ckpt"]
    stack.record()
    assert stack.unmeasured_goldens() == goldens, "a re-record changed a golden"


def test_an_edited_document_question_or_scoring_is_named(stack: Stack) -> None:
    stack.record()
    stack.edit("rag_agent", "Basil goes in pesto with pine nuts.", "Basil goes in pesto.")
    stack.edit("test_rag", '"A creamy rice dish?"', '"A creamy rice pudding?"')
    result = stack.replay()
    result.assert_outcomes(failed=4)
    out = " ".join(result.stdout.str().split())
    for target in (
        "call #1 to langchain_openai.OpenAIEmbeddings.embed_documents",
        "call #1 to openai.resources.embeddings.Embeddings.create",
        "call #1 to pydantic_ai.models.openai.OpenAIChatModel.request",
    ):
        assert f"replay diverged at {target}" in out, out
    assert out.count("'Basil goes in pesto with pine nuts.' -> 'Basil goes in pesto.'") >= 3, out
    assert "'A creamy rice dish?' -> 'A creamy rice pudding?'" in out, out
    stack.edit("rag_agent", "Basil goes in pesto.", "Basil goes in pesto with pine nuts.")
    stack.edit("test_rag", '"A creamy rice pudding?"', '"A creamy rice dish?"')
    stack.edit("rag_agent", "np.linalg.norm(asked))", "np.linalg.norm(asked) * 2)")
    result = stack.replay("-k", "librarian")  # the scores the agent keeps in its state
    result.assert_outcomes(failed=1)
    out = " ".join(result.stdout.str().split())
    assert "the replayed final state differs from the golden recording" in out, out
    assert "root['scores'][1]: np.float64(0.59" in out, out


UNMOCKED = """
import os

import httpx2
from langchain_core.vectorstores import InMemoryVectorStore
from langchain_openai import OpenAIEmbeddings

import rag_agent
import services


def send(request):
    # once the golden is recorded, the real transport (blocked by the guard)
    if os.environ.get(services.SEALED_ENV):
        return httpx2.HTTPTransport().handle_request(request)
    return services.OPENAI.handler(request)


def answer(question):
    embeddings = OpenAIEmbeddings(
        model="text-embedding-3-small", max_retries=0, check_embedding_ctx_length=False,
        http_client=httpx2.Client(transport=httpx2.MockTransport(send)))
    store = InMemoryVectorStore.from_texts(rag_agent.DOCS, embeddings)
    found = store.similarity_search(question, k=1)[0].page_content
    return rag_agent.make_llm().invoke(f"{found}\\n\\n{question}").content
"""

UNMOCKED_TEST = """
import pytest

import unmocked


@pytest.mark.replay("goldens/unmocked.ckpt", mock=MOCK)
def test_unmocked(replay):
    assert replay.run(unmocked.answer, "Risotto rice?").startswith("Answer to")
"""


def test_openai_embeddings_not_mocked_names_its_methods_not_the_sdk_s(
    make_stack: object,
) -> None:
    """A RAG chain mocked at ``ChatOpenAI.invoke`` only: the embeddings' request, blocked on
    replay, named the SDK's ``Embeddings.create`` to add to ``mock=``, under which
    ``OpenAIEmbeddings`` with its defaults sends tiktoken's token ids (stored in the golden)
    and runs tiktoken on replay (its encoding downloaded on a fresh machine). It names
    ``OpenAIEmbeddings.embed_documents``/``embed_query``, which record and replay."""
    stack: Stack = make_stack("rag_agent")  # type: ignore[operator]
    (stack.path / "unmocked.py").write_text(UNMOCKED)
    llm = {"llm": "langchain_openai.ChatOpenAI.invoke"}
    stack.write_test("unmocked", UNMOCKED_TEST.replace("MOCK", repr(llm)))
    stack.record()
    result = stack.replay()
    result.assert_outcomes(failed=1)
    text = " ".join(result.stdout.str().split())
    assert (
        "The call was made by the SDK method openai.resources.embeddings.Embeddings.create for "
        "langchain_openai.OpenAIEmbeddings, which is not mocked: mock "
        "langchain_openai.OpenAIEmbeddings.embed_documents and .embed_query" in text
    ), text
    assert "add it to mock=" not in text
    stack.write_test("unmocked", UNMOCKED_TEST.replace("MOCK", repr({**llm, "embed": LC_EMBED})))
    stack.record()
    stack.replay_passes()
