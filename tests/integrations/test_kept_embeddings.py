"""A RAG agent that keeps the vectors it embedded (``OpenAIEmbeddings.embed_documents``, the
real SDK over a mock transport) in a module-level cache between tests: the test recorded second
holds fewer calls, and replayed alone it diverged with "the prompt or arguments changed". The
failure names the test whose golden holds the call, and the fixes."""

from __future__ import annotations

from .harness import Stack

AGENT = """
import rag_agent

_CACHE = {}


def embed(texts):
    for text in texts:  # (one request a text not embedded yet)
        if text not in _CACHE:
            _CACHE[text] = rag_agent.make_embeddings().embed_documents([text])[0]
    return [_CACHE[text] for text in texts]
"""

TEST = """
import pytest

import kept_agent

MOCK = {"embed": "langchain_openai.OpenAIEmbeddings.embed_documents"}


@pytest.mark.replay(mock=MOCK)
def test_one(replay):
    assert len(replay.run(kept_agent.embed, ["Pesto basil?"])) == 1


@pytest.mark.replay(mock=MOCK)
def test_two(replay):
    vectors = replay.run(kept_agent.embed, ["Pesto basil?", "Basil goes in pesto with pine nuts."])
    assert len(vectors) == 2
"""


def test_a_cached_embedding_another_test_recorded_is_named_when_replayed_alone(
    make_stack: object,
) -> None:
    stack: Stack = make_stack("rag_agent")  # type: ignore[operator]
    (stack.path / "kept_agent.py").write_text(AGENT)
    stack.write_test("kept", TEST)
    stack.record()
    stack.replay_passes()  # (together, as recorded)
    result = stack.replay("-k", "two")
    result.assert_outcomes(failed=1, deselected=1)
    text = " ".join(result.stdout.str().split())
    assert (
        "These arguments were recorded for langchain_openai.OpenAIEmbeddings.embed_documents by "
        "test_kept.py::test_one (in its golden test_one.ckpt): does the agent keep what the call "
        "answered between tests" in text
    ), text
    assert "The prompt or arguments changed" not in text, text


BATCH = """
import rag_agent

_CACHE = {}


def embed(texts):
    missing = [text for text in texts if text not in _CACHE]
    if missing:  # (one request for the texts not embedded yet, as CacheBackedEmbeddings sends)
        vectors = rag_agent.make_embeddings().embed_documents(missing)
        _CACHE.update(zip(missing, vectors, strict=True))
    return [_CACHE[text] for text in texts]
"""


def test_a_batch_holding_texts_another_test_recorded_names_that_test_when_replayed_alone(
    make_stack: object,
) -> None:
    """Recorded together, the second test's batch left out the text the first test embedded;
    replayed alone, its batch asks for it too."""
    stack: Stack = make_stack("rag_agent")  # type: ignore[operator]
    (stack.path / "kept_agent.py").write_text(BATCH)
    stack.write_test("kept", TEST)
    stack.record()
    result = stack.replay("-k", "two")
    result.assert_outcomes(failed=1, deselected=1)
    text = " ".join(result.stdout.str().split())
    assert (
        "The items of 'texts' that langchain_openai.OpenAIEmbeddings.embed_documents was called "
        "with by test_kept.py::test_one (in its golden test_one.ckpt) are among this call's: does "
        "the agent keep what the call answered between tests" in text
    ), text
    assert "The prompt or arguments changed" not in text, text
