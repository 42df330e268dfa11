"""LangGraph's functional API end to end (``stacks/langgraph_functional_agent.py``): an
``@entrypoint`` with an ``InMemorySaver`` whose ``@task``s ask ``ChatOpenAI`` and call a tool,
run concurrently (futures, ``.result()``), two turns on one thread (``previous`` and
``entrypoint.final``), ``interrupt()`` in a task resumed with ``Command(resume=...)``, async
(``ainvoke``, ``astream`` with the tasks' custom writes), a ``RetryPolicy`` and a ``CachePolicy``,
a module-level ``@task`` as a mock target. Each records, replays twice with the service sealed
and re-records byte-identical; an edited prompt or tool argument is named."""

from __future__ import annotations

import sys

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import langgraph.func  # noqa: F401
import pytest

from .harness import Stack

MOCK = (
    '{"llm": ["langchain_openai.ChatOpenAI.invoke", "langchain_openai.ChatOpenAI.ainvoke"], '
    '"tool": ["langgraph_functional_agent.lookup", "langgraph_functional_agent.flaky_lookup"]}'
)

CASES = {
    "slow_tasks": (
        "replay.run(app.Researcher(app.make_slow_llm()).run, TOPICS)",
        'result.startswith("Answer to \'summarise")',
    ),
    "retry_tool": (
        "replay.run(app.Researcher(app.make_llm(), retry=True).run, TOPICS)",
        'result.startswith("Answer to \'summarise")',
    ),
    "approvals": (
        "replay.run(app.Researcher(app.make_llm()).approve_all, TOPICS, 'ok')",
        'result.startswith("Answer to \'summarise")',
    ),
    "cache": (
        "replay.run(app.Researcher(app.make_llm(), cache=True).run_twice_cached, TOPICS)",
        "result[0] == result[1]",
    ),
    "human": (
        "replay.run(app.Researcher(app.make_llm()).run_with_human, TOPICS, 'shorter', 'ok')",
        "'rewrite' in result",
    ),
    "async": (
        "asyncio.run(replay.run(app.Researcher(app.make_slow_llm()).arun, TOPICS))",
        'result.startswith("Answer to \'summarise")',
    ),
    "astream": (
        "asyncio.run(replay.run(app.Researcher(app.make_slow_llm()).astream, TOPICS))",
        "result[-1][0] == 'updates'",
    ),
}

MODULE_TASK = """
import pytest

import langgraph_functional_agent as app


@pytest.mark.replay("goldens/archive.ckpt", mock={"task": "langgraph_functional_agent.fetch"})
def test_it(replay):
    assert replay.run(app.run_archive, ["alps", "bees", "cats"])[0].startswith("archive")
"""


TEST = """
import asyncio

import pytest

import langgraph_functional_agent as app

TOPICS = ["alps", "bees", "cats"]


@pytest.mark.replay("goldens/functional.ckpt", mock={mock})
def test_it(replay):
    result = {call}
    assert {check}, result
"""


@pytest.fixture
def stack(make_stack) -> Stack:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack("langchain_agent", "langgraph_functional_agent")
    return stack


@pytest.mark.parametrize("case", list(CASES))
def test_an_entrypoint_records_replays_and_names_an_edited_prompt(stack: Stack, case: str) -> None:
    call, check = CASES[case]
    stack.write_test("functional", TEST.format(mock=MOCK, call=call, check=check))
    stack.roundtrip()
    before = stack.unmeasured_goldens()
    assert len(before) == 1, sorted(before)
    stack.record()
    assert stack.unmeasured_goldens() == before, "re-recording an unchanged agent changed it"

    stack.edit("test_functional", '"cats"]', '"cows"]')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    assert "root['query']: 'cats' -> 'cows'" in result.stdout.str()


def test_a_module_level_task_is_a_mock_target(stack: Stack) -> None:
    """``@task def fetch`` at module level mocked as ``langgraph_functional_agent.fetch``: each
    of the three concurrent calls is recorded with its argument and answered on replay; an
    edited argument names the task and the change."""
    stack.write_test("archive", MODULE_TASK)
    stack.try_record().assert_outcomes(passed=1)  # (the task, mocked, reaches no service)
    stack.replay_passes()
    stack.check_goldens_readable()
    stack.edit("test_archive", '"cats"]', '"cows"]')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "replay diverged at call #3 to langgraph_functional_agent.fetch" in text, text
    assert "root['topic']: 'cats' -> 'cows'" in text, text


TWO_CALLS = """
import pytest

import langgraph_functional_agent as app

TOPICS = ["alps", "bees", "cats"]


@pytest.mark.replay("goldens/human.ckpt", mock={mock})
def test_it(replay):
    agent = app.Researcher(app.make_llm())
    asked = replay.run(agent.ask, TOPICS)
    assert asked["__interrupt__"][0].value["draft"].startswith("Answer to 'summarise")
    assert replay.run(agent.resume, "shorter").startswith("Answer to 'rewrite")
"""


def test_an_interrupt_resumed_in_a_second_replay_run(stack: Stack) -> None:
    """The thread stops at a task's ``interrupt()`` in one ``replay.run()`` and is resumed with
    ``Command(resume=...)`` in the next, on the agent that keeps the entrypoint."""
    stack.write_test("human", TWO_CALLS.format(mock=MOCK))
    stack.roundtrip()
    stack.edit("test_human", '"shorter"', '"longer"')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    assert "replay diverged at call #5 to langchain_openai.ChatOpenAI.invoke" in text, text
    assert "- ...tes: 4 notes on cats'': shorter" in text, text
    assert "+ ...tes: 4 notes on cats'': longer" in text, text


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_pdb_opens_in_the_task_that_made_the_changed_call(stack: Stack) -> None:
    """``--pdb`` on a prompt a sync ``@task`` changed (run on LangGraph's thread pool, its
    result read by the entrypoint's ``f.result()``): the debugger opens in the agent's function
    that made the call, and ``up`` reaches the task with its argument."""
    pexpect = pytest.importorskip("pexpect")
    call, check = CASES["slow_tasks"]
    stack.write_test("functional", TEST.format(mock=MOCK, call=call, check=check))
    stack.record()
    # (one task's prompt only: which of several diverging tasks fails first is the threads')
    stack.edit(
        "langgraph_functional_agent",
        'return ask(f"research {topic}: {found}")',
        "return ask(f\"{'study' if topic == 'cats' else 'research'} {topic}: {found}\")",
    )
    child = stack.pytester.spawn_pytest("--pdb", expect_timeout=60)
    child.expect(r"langgraph_functional_agent\.py\(\d+\)ask\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("up")
    child.expect(r"langgraph_functional_agent\.py\(\d+\)research\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("p topic")
    child.expect("'cats'")
    child.sendline("c")
    child.expect("1 diverged")
    child.expect(pexpect.EOF)
