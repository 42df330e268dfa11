"""Concurrent async calls of one agent run are answered, on replay, in the order they completed
when recorded.

An agent that takes the answers of parallel calls as they finish (``asyncio.as_completed``,
LangGraph's ``astream`` over parallel async nodes, tasks appending to a shared list) depends on
their completion order. Recorded, ``b`` finished before ``a``; replayed, every answer is at hand
at once, so before the fix the calls completed in the order they started, the agent's state
differed, and the first replay diverged with a message that did not say why. Now a replayed
call that completed after another concurrent one when recorded waits for that one to be
answered first; a call whose predecessor never comes is still answered (no hang).
"""

from __future__ import annotations

import json
import textwrap

import pytest

APP = """
import asyncio

B_DONE = asyncio.Event()


async def acomplete(prompt):
    # live: the call for "a" finishes only after the one for "b" has returned, though it starts
    # first (as a slower answer would)
    if prompt == "a":
        await B_DONE.wait()
    else:
        asyncio.get_running_loop().call_soon(B_DONE.set)
    await asyncio.sleep(0)
    return "answer to " + prompt


class Agent:
    def __init__(self):
        self.log = []

    async def run(self, prompts, how):
        return await getattr(self, how)(prompts)

    async def as_they_finish(self, prompts):
        # (tasks, made in order: as_completed makes tasks of coroutines in the order of a set)
        tasks = [asyncio.ensure_future(acomplete(p)) for p in prompts]
        for future in asyncio.as_completed(tasks):
            self.log.append(await future)
        return self.log

    async def one_then_other(self, prompts):
        for prompt in prompts:
            self.log.append(await acomplete(prompt))
        return self.log

    async def gathered(self, prompts):
        async def ask(prompt):
            self.log.append(await acomplete(prompt))

        await asyncio.gather(*(ask(p) for p in prompts))
        return self.log
"""

TEST = """
import asyncio
import os
import pytest
import app

@pytest.mark.replay("g.ckpt", mock={"llm": "app.acomplete"})
def test_it(replay):
    app.B_DONE = asyncio.Event()
    agent = app.Agent()
    asyncio.run(replay.run(agent.run, ["a", "b"], os.environ["HOW"]))
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TEST))
    return pytester


@pytest.mark.parametrize("how", ["as_they_finish", "gathered"])
def test_concurrent_calls_are_answered_in_their_recorded_completion_order(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    monkeypatch.setenv("HOW", how)
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    outcome = json.loads((project.path / "g.ckpt").read_text())["outcome"]
    assert outcome["result"] == ["answer to b", "answer to a"]  # recorded: b's came first
    result = project.runpytest()
    result.assert_outcomes(passed=1)
    # and again: the same order on every replay
    project.runpytest().assert_outcomes(passed=1)


def test_a_call_whose_recorded_predecessor_never_comes_is_still_answered(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # recorded concurrently (b finished first); replayed one after the other, a's call cannot
    # wait for b's, which the agent makes only after a's answer: it is answered, and the run's
    # changed order is the failure (the same run, made otherwise, on the same arguments)
    monkeypatch.setenv("HOW", "as_they_finish")
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("HOW", "one_then_other")
    result = project.runpytest("-k", "test_it", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*GoldenMismatchError: the replayed result differs from the golden recording*",
            "*root[[]0]: 'answer to b' -> 'answer to a'*",
        ]
    )


LANGGRAPH_APP = """
import asyncio
import operator
from typing import Annotated, TypedDict

from langgraph.graph import END, START, StateGraph

BETA_DONE = None


async def acomplete(prompt):
    # live: node alpha's call finishes only after beta's has returned
    if prompt == "alpha":
        await BETA_DONE.wait()
    else:
        asyncio.get_running_loop().call_soon(BETA_DONE.set)
    await asyncio.sleep(0)
    return "answer to " + prompt


class State(TypedDict):
    answers: Annotated[list, operator.add]


async def alpha(state):
    return {"answers": [await acomplete("alpha")]}


async def beta(state):
    return {"answers": [await acomplete("beta")]}


def build():
    graph = StateGraph(State)
    graph.add_node("alpha", alpha)
    graph.add_node("beta", beta)
    graph.add_edge(START, "alpha")
    graph.add_edge(START, "beta")
    graph.add_edge("alpha", END)
    graph.add_edge("beta", END)
    return graph.compile()


class Agent:
    def __init__(self):
        self.finished = []

    async def run(self, question):
        global BETA_DONE
        BETA_DONE = asyncio.Event()
        async for update in build().astream({"answers": []}, stream_mode="updates"):
            self.finished.extend(update)
        return self.finished
"""

LANGGRAPH_TEST = """
import asyncio
import pytest
import app

@pytest.mark.replay("g.ckpt", mock={"llm": "app.acomplete"})
def test_it(replay):
    asyncio.run(replay.run(app.Agent().run, "q"))
"""


def test_langgraph_updates_of_parallel_async_nodes_come_in_their_recorded_order(
    pytester: pytest.Pytester,
) -> None:
    # LangGraph starts the parallel nodes alpha, beta in that order; recorded, beta finished
    # first, so astream's updates came beta's first. Before the fix the replay emitted alpha's
    # first, and the agent's state differed from the golden on the first replay.
    pytest.importorskip("langgraph")
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(LANGGRAPH_APP), test_it=textwrap.dedent(LANGGRAPH_TEST))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    outcome = json.loads((pytester.path / "g.ckpt").read_text())["outcome"]
    assert outcome["result"] == ["beta", "alpha"]
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


STAGGERED_APP = """
import asyncio


async def acomplete(prompt):
    # live: the call for "slow" takes longer than the one for "fast" and the wait before it
    await asyncio.sleep(0.5 if prompt == "slow" else 0.1)
    return "answer to " + prompt


class Agent:
    def __init__(self):
        self.log = []

    async def run(self):
        async def ask(prompt, delay):
            await asyncio.sleep(delay)  # a rate limiter's stagger: one call every 100 ms
            self.log.append(await acomplete(prompt))

        await asyncio.gather(ask("slow", 0), ask("fast", 0.1))
        return self.log
"""

STAGGERED_TEST = """
import asyncio
import pytest
import app

@pytest.mark.replay("g.ckpt", mock={"llm": "app.acomplete"})
def test_it(replay):
    asyncio.run(replay.run(app.Agent().run))
"""


def test_a_call_waits_for_a_predecessor_its_task_starts_after_a_real_sleep(
    pytester: pytest.Pytester,
) -> None:
    # recorded, "fast" started 100 ms after "slow" (the agent slept first) and finished before
    # it. Before the fix the replayed "slow" call gave up waiting after a few idle passes of the
    # loop, long before the sleep ended, and every replay failed with the answers swapped
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(STAGGERED_APP), test_it=textwrap.dedent(STAGGERED_TEST))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    outcome = json.loads((pytester.path / "g.ckpt").read_text())["outcome"]
    assert outcome["result"] == ["answer to fast", "answer to slow"]
    for _ in range(3):
        pytester.runpytest().assert_outcomes(passed=1)


def test_the_engine_replays_concurrent_calls_in_their_recorded_completion_order(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # ReplayEngine.replay_from_checkpoint (the library API, and the debugging session) answered
    # them in the order they started: the replayed result was not the recorded one
    from pytest_clearstone.debugging import CheckpointManager, ReplayEngine

    monkeypatch.setenv("HOW", "as_they_finish")
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    checkpoint = CheckpointManager(str(project.path)).load_checkpoint("g.ckpt")
    for _ in range(3):
        engine = ReplayEngine(checkpoint)
        result = engine.replay_from_checkpoint(
            "run", ["a", "b"], "as_they_finish", mock_config={"llm": "app.acomplete"}
        )
        assert result == ["answer to b", "answer to a"]


STARTED_APP = """
import asyncio
import uuid

EVENTS = {}


def event(name):
    return EVENTS.setdefault(name, asyncio.Event())


async def acomplete(task, step, request_id):
    # live: a's call returns only once b's call of the same step has started, and b's only once
    # a's has returned (as two parallel sub-agents' model calls, a's the faster, overlap)
    event(("started", task, step)).set()
    if task == "a":
        await event(("started", "b", step)).wait()
    else:
        await event(("done", "a", step)).wait()
    if task == "a":
        event(("done", "a", step)).set()
    return f"{task}{step}"


async def worker(task):
    answers, request_id = [], str(uuid.uuid4())
    for step in range(2):
        answers.append(await acomplete(task, step, request_id))
        request_id = str(uuid.uuid4())  # the next step's id (a LangGraph checkpoint's), at once
        for _ in range(3):  # what the graph does before the next call
            await asyncio.sleep(0)
    return answers


async def run():
    EVENTS.clear()
    return await asyncio.gather(worker("a"), worker("b"))
"""

STARTED_TEST = """
import asyncio
import pytest
import app

@pytest.mark.replay("g.ckpt", mock={"llm": "app.acomplete"})
def test_it(replay):
    assert asyncio.run(replay.run(app.run)) == [["a0", "a1"], ["b0", "b1"]]
"""


def test_a_call_completes_after_the_calls_that_started_while_it_ran_when_recorded(
    pytester: pytest.Pytester,
) -> None:
    """Two async ``Send`` branches of a LangGraph graph, each running a sub-agent, draw their
    checkpoint and task ids from one stream between their model calls. Recorded, ``b`` drew its
    next id and made its call while ``a``'s call ran; replayed, ``a``'s call was answered at once
    (it ended first, so it waited for nothing), ``a`` drew its next id first, and every replay
    of the unchanged agent diverged on ``b``'s id. A call now also waits for the calls of other
    branches that started while it ran when recorded to have started."""
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(STARTED_APP), test_it=textwrap.dedent(STARTED_TEST))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    for _ in range(2):
        result = pytester.runpytest()
        result.assert_outcomes(passed=1)


LATENCY_APP = """
import asyncio
import os

DONE = {}


async def acomplete(prompt):
    # live: the call for the prompt named by $SLOW returns only after the other one has (as a
    # slower answer would; which one is slower changes from one recording to the next)
    if prompt == os.environ["SLOW"]:
        await DONE[prompt].wait()
    else:
        for other in DONE:
            asyncio.get_running_loop().call_soon(DONE[other].set)
    await asyncio.sleep(0)
    return "answer to " + prompt


class Agent:
    def __init__(self):
        self.log = []

    async def run(self, prompts):
        DONE.clear()
        DONE.update((p, asyncio.Event()) for p in prompts)
        tasks = [asyncio.ensure_future(acomplete(p)) for p in prompts]
        for future in asyncio.as_completed(tasks):
            self.log.append(await future)
        return self.log
"""

LATENCY_TEST = """
import asyncio
import pytest
import app

@pytest.mark.replay("g.ckpt", mock={"llm": "app.acomplete"})
def test_it(replay):
    asyncio.run(replay.run(app.Agent().run, ["a", "b"]))
"""


def test_a_re_record_whose_calls_completed_in_another_order_replays_that_order(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recorded, ``a``'s call finished last; re-recorded (the live latencies changed), ``b``'s.
    The re-record changed only the agent's outcome, so it kept the previous golden's span
    times, which say ``a`` finished last: every replay answered the calls in the old order and
    failed on the new outcome, and each re-record the failure advised wrote the same times
    again. The times the replay orders the calls by are the ones measured now."""
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(LATENCY_APP), test_it=textwrap.dedent(LATENCY_TEST))
    monkeypatch.setenv("SLOW", "a")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    monkeypatch.setenv("SLOW", "b")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    outcome = json.loads((pytester.path / "g.ckpt").read_text())["outcome"]
    assert outcome["result"] == ["answer to a", "answer to b"]
    for _ in range(2):
        pytester.runpytest().assert_outcomes(passed=1)


RAISING_TEST = """
import asyncio
import os
import pytest
import app

@pytest.mark.replay("g.ckpt", mock={"llm": "app.acomplete"})
def test_it(replay):
    if os.environ.get("RAISE"):
        with pytest.raises(RuntimeError):
            asyncio.run(replay.run(app.Agent().run, ["a", "b"]))
    else:
        asyncio.run(replay.run(app.Agent().run, ["a", "b"]))
"""


def test_a_re_record_with_an_outcome_where_the_run_had_raised_replays_the_new_order(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recorded, the run raised after ``a``'s call finished last (the golden holds no outcome);
    re-recorded, the run returns, ``b``'s call finishing last. The outcome changed (from none),
    so the re-record writes the times measured now: kept, the previous times would have the
    replay answer ``a`` last and fail on the new outcome."""
    raising = LATENCY_APP.replace(
        "        return self.log\n",
        "        if os.environ.get('RAISE'):\n"
        "            raise RuntimeError('rate limited')\n"
        "        return self.log\n",
    )
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(raising), test_it=textwrap.dedent(RAISING_TEST))
    monkeypatch.setenv("SLOW", "a")
    monkeypatch.setenv("RAISE", "1")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert json.loads((pytester.path / "g.ckpt").read_text()).get("outcome") is None
    monkeypatch.setenv("SLOW", "b")
    monkeypatch.delenv("RAISE")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    outcome = json.loads((pytester.path / "g.ckpt").read_text())["outcome"]
    assert outcome["result"] == ["answer to a", "answer to b"]
    for _ in range(2):
        pytester.runpytest().assert_outcomes(passed=1)


SLOT_APP = """
import asyncio

W_LIVE = None


async def acomplete(prompt):
    # live: "y" returns only once "w" has (as a slower answer would)
    if prompt == "w":
        await asyncio.sleep(0)
        W_LIVE.set()
    elif prompt == "y":
        await W_LIVE.wait()
    return prompt


class Agent:
    def __init__(self):
        self.log = []

    async def run(self):
        global W_LIVE
        W_LIVE = asyncio.Event()
        slot = asyncio.Event()  # (a semaphore's slot: "w"'s task frees it for "x"'s)

        async def first():
            self.log.append(await acomplete("w"))
            slot.set()

        async def second():
            self.log.append(await acomplete("y"))

        async def third():
            await slot.wait()
            self.log.append(await acomplete("x"))

        await asyncio.gather(first(), second(), third())
        return self.log
"""

SLOT_TEST = """
import asyncio
import pytest
import app

@pytest.mark.replay("g.ckpt", mock={"llm": "app.acomplete"})
def test_it(replay):
    asyncio.run(replay.run(app.Agent().run))
"""


def test_a_call_made_after_a_waiting_call_ended_completes_after_it(
    pytester: pytest.Pytester,
) -> None:
    """Fan-out bounded by a semaphore: ``w``'s task frees its slot for ``x``'s when ``w``'s
    answer comes; ``y``'s call, slower, ended in between. Replayed, ``y``'s call waits for
    ``w``'s to be answered (its recorded completion order), but ``x``'s, made once ``w``'s
    task went on, started after ``y``'s ended when recorded and so waited for nothing: it
    completed before ``y``'s, and every replay of the unchanged agent failed on the order of
    its log. A call now also completes after the calls of other branches that ended before it
    started and whose replay waits."""
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(SLOT_APP), test_it=textwrap.dedent(SLOT_TEST))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    outcome = json.loads((pytester.path / "g.ckpt").read_text())["outcome"]
    assert outcome["result"] == ["w", "y", "x"]
    for _ in range(2):
        pytester.runpytest().assert_outcomes(passed=1)


def test_a_re_record_whose_calls_completed_in_another_order_to_the_same_outcome_is_unchanged(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent's outcome does not depend on the order its concurrent calls complete in (it
    sorts their answers): a re-record whose live latencies changed that order but nothing
    else replays alike by either times, so it leaves the file as it was."""
    pytester.syspathinsert()
    app = LATENCY_APP.replace(
        "self.log.append(await future)", "self.log = sorted([*self.log, await future])"
    )
    pytester.makepyfile(app=textwrap.dedent(app), test_it=textwrap.dedent(LATENCY_TEST))
    monkeypatch.setenv("SLOW", "a")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    recorded = (pytester.path / "g.ckpt").read_bytes()
    monkeypatch.setenv("SLOW", "b")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert (pytester.path / "g.ckpt").read_bytes() == recorded
    pytester.runpytest().assert_outcomes(passed=1)
