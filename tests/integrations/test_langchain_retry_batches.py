"""``Runnable.with_retry().batch(inputs, return_exceptions=True)`` (and ``abatch``) when one
input's call diverges on replay. The retry does not retry a replay error
(``tests/plugin/test_langchain_runnable_retries.py``), which makes it an error LangChain's retry
does not retry: ``RunnableRetry._batch`` lets it out, and ``batch`` returns it, as LangChain
does with any such error under ``return_exceptions=True``, in the place of every input of the
batch (the inputs whose calls matched included). The agent goes on with the list it got, and the
test fails with the divergence: the replay error is kept and raised again when the test ends."""

from __future__ import annotations

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

TEST = """
import asyncio

import pytest
from langchain_core.messages import HumanMessage

import langchain_agent as app

CITIES = ["Lisbon", "Porto", "Faro"]


def ask_all(cities):
    llm = app.make_llm().with_retry(stop_after_attempt=3, wait_exponential_jitter=False)
    answers = BATCH
    print("answers:", [type(answer).__name__ for answer in answers])
    return [getattr(answer, "content", "failed") for answer in answers]


@pytest.mark.replay("goldens/batch.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.TARGET"},
                    ignore=["config.callbacks", "config.configurable", "**.run_id"])
def test_batch(replay):
    assert len(replay.run(ask_all, CITIES)) == 3
"""

BATCHES = {
    "batch": ("invoke", "llm.batch([[HumanMessage(c)] for c in cities], return_exceptions=True)"),
    "abatch": (
        "ainvoke",
        "asyncio.run(llm.abatch([[HumanMessage(c)] for c in cities], return_exceptions=True))",
    ),
}


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack("langchain_agent")


@pytest.mark.parametrize("method", sorted(BATCHES))
def test_a_divergence_comes_back_in_the_list_and_fails_the_test(stack: Stack, method: str) -> None:
    target, batch = BATCHES[method]
    stack.write_test("batch", TEST.replace("BATCH", batch).replace("TARGET", target))
    stack.record()
    stack.replay_passes()
    stack.edit("test_batch", '"Porto"', '"Oporto"')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    # returned in the list, not raised from batch, and not retried (a retried input's last
    # error would be in its own place only, the others' answers in theirs)
    result.stdout.fnmatch_lines(["answers: ['ReplayDivergenceError', *"])
    assert "answers: " + str(["ReplayDivergenceError"] * 3) in result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            f"E *ReplayDivergenceError: replay diverged at call #2 to "
            f"langchain_openai.ChatOpenAI.{target} *",
            "E *root[[]'input'][[]0].content: 'Porto' -> 'Oporto'",
        ]
    )
    assert "ReplayExhaustedError" not in result.stdout.str()
