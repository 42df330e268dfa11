"""LangGraph entry points that no test had touched, on the trip planner of
``stacks/langgraph_agent.py`` (sequential nodes on ``ChatOpenAI.invoke``):
``stream_mode="values"``, several modes with ``version="v2"`` (typed stream parts),
``graph.batch`` over two inputs (run on a thread pool) and ``astream_events(version="v2")``.
Each records, replays twice with the service sealed, re-records the same but for what a live
call makes (``lc_run--`` ids, span times: docs/how-to/langgraph.md), and an edited question
fails naming both texts."""

from __future__ import annotations

import langchain_openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import langgraph.graph  # noqa: F401
import pytest

from .harness import Stack

AGENT = """
import langgraph_agent as app


def graph():
    return app.build_graph(app.make_llm(), parallel=False)


def values(question):
    states = list(graph().stream({"question": question, "notes": []}, stream_mode="values"))
    return states[-1]["answer"], len(states)


def typed_parts(question):
    kinds, answer = [], ""
    for part in graph().stream({"question": question, "notes": []},
                               stream_mode=["updates", "values"], version="v2"):
        kinds.append(part["type"])
        if part["type"] == "values":
            answer = part["data"].get("answer", answer)
    return answer, sorted(set(kinds))


def batch(question):
    outs = graph().batch([{"question": question, "notes": []},
                          {"question": question + " by night", "notes": []}])
    return [out["answer"] for out in outs]


async def events(question):
    names, answer = [], ""
    async for event in graph().astream_events({"question": question, "notes": []},
                                              version="v2"):
        if event["event"] == "on_chain_end" and event["name"] == "LangGraph":
            answer = event["data"]["output"]["answer"]
    return answer

"""

CASES = {
    "values": (
        "replay.run(entry.values, QUESTION)",
        'result[0].startswith("Answer to \'merge") and result[1] == 5',
    ),
    "typed_parts": (
        "replay.run(entry.typed_parts, QUESTION)",
        "result[0].startswith(\"Answer to 'merge\") and result[1] == ['updates', 'values']",
    ),
    "batch": (
        "replay.run(entry.batch, QUESTION)",
        "len(result) == 2 and 'by night' in result[1] and 'by night' not in result[0]",
    ),
    "astream_events": (
        "asyncio.run(replay.run(entry.events, QUESTION))",
        'result.startswith("Answer to \'merge")',
    ),
}

TEST = """
import asyncio

import pytest

import entry

QUESTION = "Lisbon"


@pytest.mark.replay("goldens/entry.ckpt",
                    mock={{"llm": "langchain_openai.ChatOpenAI.invoke"}})
def test_it(replay):
    result = {call}
    assert {check}, result
"""


@pytest.fixture
def stack(make_stack) -> Stack:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack("langchain_agent", "langgraph_agent")
    (stack.path / "entry.py").write_text(AGENT)
    return stack


@pytest.mark.parametrize("case", list(CASES))
def test_an_entry_point_records_replays_and_names_an_edited_question(
    stack: Stack, case: str
) -> None:
    call, check = CASES[case]
    stack.write_test("entry", TEST.format(call=call, check=check))
    stack.roundtrip()
    (golden,) = stack.goldens()
    assert " at 0x" not in golden.read_text()
    before = stack.unmeasured_goldens()
    stack.record()
    assert stack.unmeasured_goldens() == before, "re-recording an unchanged agent changed it"

    stack.edit("test_entry", 'QUESTION = "Lisbon"', 'QUESTION = "Porto"')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    out = " ".join(result.stdout.str().split())
    assert "Lisbon" in out and "Porto" in out and "diverged at call #1" in out, out
