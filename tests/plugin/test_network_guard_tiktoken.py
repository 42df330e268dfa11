"""The network guard and tiktoken: LangChain counts tokens with tiktoken
(``trim_messages(token_counter=llm)``, ``ChatOpenAI.get_num_tokens``, ``OpenAIEmbeddings``
with its default ``check_embedding_ctx_length=True``), as does pydantic-ai's
``Embedder.count_tokens`` (in a worker thread), and tiktoken downloads its encoding
file from ``openaipublic.blob.core.windows.net`` the first time, caching it under
``TIKTOKEN_CACHE_DIR`` (else the temp directory). A golden recorded on a developer's machine,
whose cache holds the file, passed there and failed on a fresh CI machine with the network
guard's "Mock the function that makes this call (add its import path to mock=)", which would
store the encoding file in the golden, or allow the host. The message now says it is tiktoken
downloading the encoding (named) and gives the fixes that work: a cache directory committed
with the project, set in ``TIKTOKEN_CACHE_DIR``, or the host allowed; under ``OpenAIEmbeddings``
mocked at the SDK's ``Embeddings.create``, mocking its ``embed_documents``/``embed_query``,
which keeps tiktoken from running on replay (followed here: it records and replays).

The developer's machine is played by the inner conftest putting a byte-level
``tiktoken.Encoding`` in tiktoken's registry for the recording (no encoding file is written);
each run is a subprocess (the registry is the process's), with ``TIKTOKEN_CACHE_DIR`` an empty
directory, so the replay downloads whether or not this machine has a cache or a network."""

from __future__ import annotations

import re

import pytest

pytest.importorskip("tiktoken")
pytest.importorskip("langchain_openai")
pytest.importorskip("pydantic_ai")

AGENT = """
import json

import httpx2
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, trim_messages
from langchain_openai import ChatOpenAI, OpenAIEmbeddings


def chat(request):
    last = json.loads(request.content)["messages"][-1]["content"]
    return httpx2.Response(200, json={
        "id": "c1", "object": "chat.completion", "created": 1, "model": "gpt-4o-mini",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": f"Answer to {last!r}"}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2}})


def vectors(request):
    texts = json.loads(request.content)["input"]
    data = [{"object": "embedding", "index": i, "embedding": [0.5, float(i)]}
            for i in range(len(texts))]
    return httpx2.Response(200, json={"object": "list", "data": data, "model": "m",
                                      "usage": {"prompt_tokens": 1, "total_tokens": 1}})


def chat_trimmed(question):
    llm = ChatOpenAI(model="gpt-4o-mini", max_retries=0,
                     http_client=httpx2.Client(transport=httpx2.MockTransport(chat)))
    history = [SystemMessage("You are terse."), HumanMessage("Hi"), AIMessage("Hello"),
               HumanMessage(question)]
    kept = trim_messages(history, max_tokens=60, strategy="last", token_counter=llm,
                         include_system=True)
    return llm.invoke(kept).content


def count(text):  # pydantic-ai: tiktoken runs in a worker thread
    import asyncio

    import openai
    from pydantic_ai.embeddings import Embedder
    from pydantic_ai.embeddings.openai import OpenAIEmbeddingModel
    from pydantic_ai.providers.openai import OpenAIProvider

    client = openai.AsyncOpenAI(max_retries=0, http_client=httpx2.AsyncClient(
        transport=httpx2.MockTransport(vectors)))
    model = OpenAIEmbeddingModel("text-embedding-3-small",
                                 provider=OpenAIProvider(openai_client=client))
    return asyncio.run(Embedder(model).count_tokens(text))


def embed(texts):
    embeddings = OpenAIEmbeddings(
        model="text-embedding-3-small", max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(vectors)))
    return embeddings.embed_documents(texts)
"""

CONFTEST = """
import os

if os.environ.get("ENCODINGS_CACHED"):  # a developer's machine: tiktoken's cache holds them
    import tiktoken.registry
    from tiktoken.core import Encoding

    for name in ("o200k_base", "cl100k_base"):
        tiktoken.registry.ENCODINGS[name] = Encoding(
            name, pat_str=r"\\S+|\\s+", mergeable_ranks={bytes([i]): i for i in range(256)},
            special_tokens={})
"""

TEST = """
import pytest

import rag


@pytest.mark.replay("goldens/trim.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"})
def test_trimmed(replay):
    assert replay.run(rag.chat_trimmed, "Pesto?") == "Answer to 'Pesto?'"


@pytest.mark.replay("goldens/count.ckpt", mock={"embed": [TARGETS]}, strict=False)
def test_counted(replay):
    assert replay.run(rag.count, "Basil goes in pesto.") > 0


@pytest.mark.replay("goldens/embed.ckpt", mock={"embed": [TARGETS]})
def test_embed(replay):
    assert len(replay.run(rag.embed, ["Basil goes in pesto.", "Rice"])) == 2
"""

SDK = '"openai.resources.embeddings.Embeddings.create"'
LANGCHAIN = (
    '"langchain_openai.OpenAIEmbeddings.embed_documents", '
    '"langchain_openai.OpenAIEmbeddings.embed_query"'
)


def _project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, targets: str) -> None:
    """The agents' project, its goldens recorded on a developer's machine (mocking ``targets``
    for the embeddings), then run as on a fresh CI machine."""
    pytester.syspathinsert()
    pytester.makepyfile(rag=AGENT, conftest=CONFTEST)
    pytester.makepyfile(test_rag=TEST.replace("TARGETS", targets))
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-tiktoken")
    monkeypatch.setenv("TIKTOKEN_CACHE_DIR", str(pytester.mkdir("empty-tiktoken-cache")))
    with monkeypatch.context() as developer:
        developer.setenv("ENCODINGS_CACHED", "1")
        only = ("-k", "embed") if targets == LANGCHAIN else ()
        outcome = pytester.runpytest_subprocess("--clearstone-record", *only)
    outcome.assert_outcomes(passed=1 if only else 3)


def _failure(result: pytest.RunResult, test: str) -> str:
    """The report of the failed ``test`` in ``result``'s output."""
    sections = re.split(r"^_{3,} (\S+) _{3,}$|^={3,}.*$", result.stdout.str(), flags=re.M)
    return sections[sections.index(test) + 1]


def test_tiktoken_downloading_its_encoding_on_replay_is_named_with_the_fixes_that_work(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(pytester, monkeypatch, SDK)
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=3)

    # trim_messages(token_counter=llm) counting tokens in the test's thread
    text = _failure(result, "test_trimmed")
    pytest.LineMatcher(text.splitlines()).fnmatch_lines(
        [
            "*tried to connect to openaipublic.blob.core.windows.net*during the replay*",
            "*tiktoken downloading its encoding o200k_base to count tokens*",
        ]
    )
    assert "TIKTOKEN_CACHE_DIR" in text
    assert "tiktoken.get_encoding('o200k_base')" in text
    assert "clearstone_allow_hosts = openaipublic.blob.core.windows.net" in text
    assert "Mock the function that makes this call" not in text
    assert "embed_documents" not in text  # (the token counting of trim_messages, not embeddings)

    # pydantic-ai's Embedder.count_tokens, tiktoken running in an AnyIO worker thread
    text = _failure(result, "test_counted")
    pytest.LineMatcher(text.splitlines()).fnmatch_lines(
        [
            "*tried to connect to openaipublic.blob.core.windows.net*during the replay*",
            "*thread: AnyIO worker thread*",
            "*tiktoken downloading its encoding cl100k_base to count tokens*",
        ]
    )
    assert "Mock the function that makes this call" not in text

    # OpenAIEmbeddings mocked at the SDK's Embeddings.create: its own methods named
    text = _failure(result, "test_embed")
    pytest.LineMatcher(text.splitlines()).fnmatch_lines(
        [
            "*tiktoken downloading its encoding cl100k_base*",
            "*langchain_openai.OpenAIEmbeddings.embed_documents*",
        ]
    )


def test_openai_embeddings_mocked_at_its_own_methods_replays_without_tiktoken(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the advice above followed: tiktoken does not run on replay (nor does the cache matter)
    _project(pytester, monkeypatch, LANGCHAIN)
    golden = (pytester.path / "goldens" / "embed.ckpt").read_text()
    assert '"Basil goes in pesto."' in golden  # the texts, not their token ids
    pytester.runpytest_subprocess("-k", "embed").assert_outcomes(passed=1)
