"""anthropic's Message Batches: ``messages.batches.results(...)`` answers a ``JSONLDecoder``
(``AsyncJSONLDecoder`` from ``AsyncAnthropic``), an iterator over the results file's lines that
holds the live HTTP response, like the SDK's event ``Stream``."""

from __future__ import annotations

import anthropic  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

BATCHES = "anthropic.resources.messages.batches.{}Batches"

SYNC = f"""
import pytest

MODEL = "claude-sonnet-4-5"


def ask_all(client, questions):
    batch = client.messages.batches.create(requests=[
        {{"custom_id": f"q{{i}}", "params": {{"model": MODEL, "max_tokens": 64,
          "messages": [{{"role": "user", "content": q}}]}}}} for i, q in enumerate(questions)])
    results = client.messages.batches.results(batch.id)
    return {{r.custom_id: r.result.message.content[0].text for r in results}}


@pytest.mark.replay("goldens/batch.ckpt", mock={{"llm": ["{BATCHES.format("")}.create",
                                                         "{BATCHES.format("")}.results"]}})
def test_it(replay, anthropic_client):
    answers = replay.run(ask_all, anthropic_client, ["Tides?", "Moons?"])
    assert answers == {{"q0": "Answer to 'Tides?'", "q1": "Answer to 'Moons?'"}}
"""

ASYNC = f"""
import asyncio

import pytest

MODEL = "claude-sonnet-4-5"


async def ask_all(client, questions):
    batch = await client.messages.batches.create(requests=[
        {{"custom_id": f"q{{i}}", "params": {{"model": MODEL, "max_tokens": 64,
          "messages": [{{"role": "user", "content": q}}]}}}} for i, q in enumerate(questions)])
    answers = {{}}
    async for r in await client.messages.batches.results(batch.id):
        answers[r.custom_id] = r.result.message.content[0].text
    return answers


@pytest.mark.replay("goldens/abatch.ckpt", mock={{"llm": ["{BATCHES.format("Async")}.create",
                                                          "{BATCHES.format("Async")}.results"]}})
def test_it(replay, async_anthropic_client):
    answers = asyncio.run(replay.run(ask_all, async_anthropic_client, ["Tides?", "Moons?"]))
    assert answers == {{"q0": "Answer to 'Tides?'", "q1": "Answer to 'Moons?'"}}
"""


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack("anthropic_agent")


@pytest.mark.parametrize("source", [SYNC, ASYNC], ids=["sync", "async"])
def test_batch_results_record_and_replay(stack: Stack, source: str) -> None:
    """The results' decoder was stored as its repr: under ``filterwarnings = error`` the
    recording failed on an ``UnencodableValueWarning`` ("dill cannot pickle it"), and without
    it the refusal advised mocking ``Messages.create``, which makes no batch."""
    stack.write_test("batch", source)
    stack.roundtrip()
    golden = stack.goldens()[0]
    first = golden.read_bytes()
    stack.record()
    assert golden.read_bytes() == first
