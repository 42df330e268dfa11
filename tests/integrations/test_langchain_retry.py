"""LangChain's retry layers around a strict replay that diverged: ``Runnable.with_retry`` (and
the one ``SummarizationMiddleware`` builds) does not retry the ``ReplayDivergenceError`` (see
``tests/plugin/test_langchain_runnable_retries.py``). No later call takes a recorded answer and
the test fails with the first divergence, its own delta (before: each retry took the next
recorded answer, and the test failed with the last retry's delta against another call's
recording, or with an exhausted-responses error).

LangChain 1.x middleware marks its own model calls with a token drawn once per process
(``config.metadata.lc_internal_call``): a replay in another process diverges on it, naming it,
until it is in the ignore list the LangChain docs give."""

from __future__ import annotations

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import SEALED_ENV, SUBPROCESS_TIMEOUT, Stack

RETRY = """
import pytest
from langchain_core.messages import HumanMessage, SystemMessage

import langchain_agent as app

SYSTEM = "You plan trips."


class Planner:
    def __init__(self):
        self.llm = app.make_llm().with_retry(stop_after_attempt=3, wait_exponential_jitter=False)
        self.answers = []

    def get_state(self):
        return {"answers": self.answers}

    def load_state(self, state):
        self.answers = list(state["answers"])

    def plan(self, cities):
        for city in cities:
            message = self.llm.invoke([SystemMessage(SYSTEM), HumanMessage(city)])
            self.answers.append(message.content)
        return self.answers


@pytest.mark.replay("goldens/retry.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"},
                    ignore=["config.callbacks", "config.configurable", "**.run_id"])
def test_plan(replay):
    assert len(replay.run(Planner().plan, ["Lisbon", "Porto", "Faro"])) == 3
"""

SUMMARY = """
import pytest
from langchain.agents import create_agent
from langchain.agents.middleware import SummarizationMiddleware
from langchain_core.messages import HumanMessage
from langgraph.checkpoint.memory import InMemorySaver

import langchain_agent as app


def chat(questions):
    llm = app.make_llm()
    agent = create_agent(llm, tools=[], system_prompt="You are a travel helper.",
                         middleware=[SummarizationMiddleware(model=llm, trigger=("messages", 4),
                                                             keep=("messages", 2))],
                         checkpointer=InMemorySaver())
    config = {"configurable": {"thread_id": "s"}}
    return [agent.invoke({"messages": [HumanMessage(q)]}, config)["messages"][-1].content
            for q in questions]


@pytest.mark.replay("goldens/summary.ckpt", mock={"llm": "langchain_openai.ChatOpenAI.invoke"})
def test_chat(replay):
    assert len(replay.run(chat, ["Lisbon", "Porto", "Faro"])) == 3
"""

#: the LangChain docs' ignore list (docs/how-to/langchain.md), as an ini
DOCUMENTED = """
[pytest]
clearstone_ignore =
    config.callbacks
    config.configurable
    config.metadata.lc_internal_call
    **.run_id
"""

WITHOUT_THE_TOKEN = """
[pytest]
clearstone_ignore =
    config.callbacks
    config.configurable
    **.run_id
"""


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack("langchain_agent")


def _error_lines(result: pytest.RunResult) -> str:
    return "\n".join(line for line in result.outlines if line.startswith("E "))


def test_with_retry_fails_with_the_first_divergence(stack: Stack) -> None:
    stack.write_test("retry", RETRY)
    stack.record()
    stack.replay_passes()
    stack.edit("test_retry", 'SYSTEM = "You plan trips."', 'SYSTEM = "You plan short trips."')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *ReplayDivergenceError: replay diverged at call #1 to "
            "langchain_openai.ChatOpenAI.invoke *",
            "E *root[[]'input'][[]0].content: 'You plan trips.' -> 'You plan short trips.'",
        ]
    )
    errors = _error_lines(result)
    assert "call #2" not in errors and "call #3" not in errors, errors
    assert "'Faro'" not in errors and "'Porto'" not in errors, errors


def _replay_in_a_new_process(stack: Stack) -> pytest.RunResult:
    """Replay in a process of its own, as CI does: LangChain draws the internal-call token once
    per process, so an in-process replay would see the recording's."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(SEALED_ENV, "1")
        return stack.pytester.runpytest_subprocess("-p", "no:xdist", timeout=SUBPROCESS_TIMEOUT)


def test_summarization_middleware_diverges_on_its_token_unless_ignored(stack: Stack) -> None:
    pytest.importorskip("langchain.agents.middleware")  # (langchain 1.x needs Python 3.11)
    stack.pytester.makefile(".ini", pytest=WITHOUT_THE_TOKEN)
    stack.write_test("summary", SUMMARY)
    stack.record()
    result = _replay_in_a_new_process(stack)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *ReplayDivergenceError: replay diverged at call #* to "
            "langchain_openai.ChatOpenAI.invoke *",
            "E *root[[]'config'][[]'metadata'][[]'lc_internal_call']: '*' -> '*'",
        ]
    )
    errors = _error_lines(result)
    assert "ReplayExhaustedError" not in errors, errors

    stack.pytester.makefile(".ini", pytest=DOCUMENTED)
    result = _replay_in_a_new_process(stack)
    result.assert_outcomes(passed=1)
