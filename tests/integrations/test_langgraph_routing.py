"""LangGraph's routing primitives end to end: ``Command(goto=..., update=...)`` returned from a
node and from a tool, the prebuilt ``ToolNode`` with ``InjectedState``, ``InjectedStore`` and
``InjectedToolCallId`` parameters, a compiled subgraph as a node (also async tools in a
subgraph streamed with ``subgraphs=True``), ``interrupt()`` inside a
``ToolNode`` tool resumed with ``Command(resume=...)``, and ``create_agent`` with
``response_format=`` (a structured response). Each records, replays twice with the service
sealed, re-records the same but for the ``lc_run--`` ids a live call makes, and an edited
question or tool argument is named."""

from __future__ import annotations

import pytest

# (imported once here, so the in-process inner runs reuse them; langchain 1.x needs Python 3.11)
pytest.importorskip("langchain.agents")
import langchain_openai  # noqa: F401
import langgraph.prebuilt  # noqa: F401

from .harness import Stack

AGENT = '''
import asyncio
import operator
from typing import Annotated, TypedDict

import pydantic
import pytest
from langchain.agents import create_agent
from langchain_core.messages import AnyMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import InjectedToolCallId, tool
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages
from langgraph.prebuilt import InjectedState, InjectedStore, ToolNode, tools_condition
from langgraph.store.memory import InMemoryStore
from langgraph.types import Command, interrupt

import langgraph_agent as app

MOCK = {"llm": "langchain_openai.ChatOpenAI.invoke", "tool": "langgraph_agent.lookup"}
CONFIG = ["config.callbacks", "config.configurable", "config.metadata", "**.run_id"]


class State(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]
    question: str
    route: str
    notes: Annotated[list[str], operator.add]


def ask(llm, text):
    return llm.invoke([SystemMessage("You route trips."), HumanMessage(text)]).content


@tool
def search_flights(query: str, state: Annotated[dict, InjectedState],
                   tool_call_id: Annotated[str, InjectedToolCallId]) -> Command:
    """Search flights."""
    found = app.lookup("flights", f"{query} from {state['question']}")
    return Command(update={"notes": [found],
                           "messages": [ToolMessage(found, tool_call_id=tool_call_id)]})


@tool
def search_hotels(query: str, store: Annotated[object, InjectedStore()]) -> str:
    """Search hotels."""
    stars = store.get(("prefs",), "hotel").value["stars"]
    return app.lookup("hotels", f"{query} with {stars} stars")


@tool
def book(query: str) -> str:
    """Book a trip."""
    answer = interrupt({"book": query})
    return app.lookup("booking", f"{query}: {answer}")


def build(llm, tools, checkpointer=None, store=None):
    model = llm.bind_tools(tools)

    def agent(state: State):
        return {"messages": [model.invoke(state["messages"])]}

    graph = StateGraph(State)
    graph.add_node("agent", agent)
    graph.add_node("tools", ToolNode(tools))
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", tools_condition)
    graph.add_edge("tools", "agent")
    return graph.compile(checkpointer=checkpointer, store=store)


def build_router(llm):
    def triage(state: State):
        plan = ask(llm, f"triage {state['question']}")
        goto = "flights" if "fly" in state["question"] else "hotels"
        return Command(goto=goto, update={"route": goto, "notes": [plan]})

    def flights(state: State):
        return {"notes": [ask(llm, app.lookup("flights", state["question"]))]}

    inner = StateGraph(State)
    inner.add_node("hotels_inner", lambda state: {
        "notes": [ask(llm, app.lookup("hotels", state["question"]))]})
    inner.add_edge(START, "hotels_inner")

    graph = StateGraph(State)
    graph.add_node("triage", triage, destinations=("flights", "hotels"))
    graph.add_node("flights", flights)
    graph.add_node("hotels", inner.compile())  # a subgraph as a node
    graph.add_edge(START, "triage")
    graph.add_edge("flights", END)
    graph.add_edge("hotels", END)
    return graph.compile()


async def alookup(kind, query):
    await asyncio.sleep(0.01 if kind == "flights" else 0)  # (the hotels finish first)
    return f"{kind} for {query}: {len(query)} options"


@tool
async def async_flights(query: str, state: Annotated[dict, InjectedState],
                        tool_call_id: Annotated[str, InjectedToolCallId]) -> Command:
    """Search flights."""
    found = await alookup("flights", f"{query} from {state['question']}")
    return Command(update={"notes": [found],
                           "messages": [ToolMessage(found, tool_call_id=tool_call_id)]})


@tool
async def async_hotels(query: str) -> str:
    """Search hotels."""
    return await alookup("hotels", query)


def build_async(llm):
    """The tool loop on async tools, as a subgraph: the outer graph's only node."""
    tools = [async_flights, async_hotels]
    model = llm.bind_tools(tools)

    async def agent(state: State):
        return {"messages": [await model.ainvoke(state["messages"])]}

    inner = StateGraph(State)
    inner.add_node("agent", agent)
    inner.add_node("tools", ToolNode(tools))
    inner.add_edge(START, "agent")
    inner.add_conditional_edges("agent", tools_condition)
    inner.add_edge("tools", "agent")
    outer = StateGraph(State)
    outer.add_node("sub", inner.compile())
    outer.add_edge(START, "sub")
    return outer.compile()


class Dish(pydantic.BaseModel):
    answer: str
    confident: bool


class Router:
    def __init__(self, llm):
        self.llm = llm
        self.runs = []

    def get_state(self):
        return {"runs": self.runs}

    def load_state(self, state):
        self.runs = list(state["runs"])

    def route(self, question):
        out = build_router(self.llm).invoke({"question": question, "notes": []})
        self.runs.append({"route": out["route"], "notes": out["notes"]})
        return out["notes"][-1]

    def tools(self, question):
        store = InMemoryStore()
        store.put(("prefs",), "hotel", {"stars": 4})
        graph = build(self.llm, [search_flights, search_hotels], store=store)
        out = graph.invoke({"messages": [HumanMessage(question)], "question": question,
                            "notes": []})
        self.runs.append({"notes": out["notes"], "messages": out["messages"]})
        return out["messages"][-1].content

    def approve(self, question, answer):
        graph = build(self.llm, [book], checkpointer=InMemorySaver())
        thread = {"configurable": {"thread_id": "t1"}}
        first = graph.invoke({"messages": [HumanMessage(question)], "question": question,
                              "notes": []}, thread)
        asked = [i.value for i in first["__interrupt__"]]
        out = graph.invoke(Command(resume=answer), thread)
        self.runs.append({"asked": asked, "messages": out["messages"]})
        return out["messages"][-1].content

    async def astream(self, question):
        updates = []
        async for namespace, chunk in build_async(self.llm).astream(
                {"messages": [HumanMessage(question)], "question": question, "notes": []},
                stream_mode="updates", subgraphs=True):
            updates.append([namespace[0].partition(":")[0] if namespace else "", sorted(chunk)])
        self.runs.append(updates)
        return updates

    def structured(self, question):
        agent = create_agent(self.llm, tools=[], response_format=Dish,
                             system_prompt="You are a cook.")
        out = agent.invoke({"messages": [HumanMessage(question)]})
        self.runs.append(out["structured_response"])
        return out["structured_response"]
'''

TESTS = """

# (a node's plain llm.invoke(messages) passes no config: nothing to leave out)
@pytest.mark.replay("goldens/route_flights.ckpt", mock=MOCK)
def test_command_goto(replay):
    answer = replay.run(Router(app.make_llm()).route, "fly to Rome")
    assert answer == "Answer to 'flights for fly to Rome: 11 options'"


@pytest.mark.replay("goldens/route_subgraph.ckpt", mock=MOCK)
def test_command_goto_subgraph(replay):
    router = Router(app.make_llm())
    answer = replay.run(router.route, "stay in Oslo")
    assert answer == "Answer to 'hotels for stay in Oslo: 12 options'"
    assert router.runs[0]["route"] == "hotels"


@pytest.mark.replay("goldens/tool_node.ckpt", mock=MOCK, ignore=CONFIG)
def test_tool_node_injected(replay):
    router = Router(app.make_llm())
    answer = replay.run(router.tools, "Lisbon")
    assert answer.startswith("Answer to 'Lisbon' using flights for Lisbon #0 from Lisbon"), answer
    assert "with 4 stars" in answer
    assert router.runs[0]["notes"] == ["flights for Lisbon #0 from Lisbon: 21 options"]


@pytest.mark.replay("goldens/tool_interrupt.ckpt", mock=MOCK, ignore=CONFIG)
def test_interrupt_in_tool_node(replay):
    router = Router(app.make_llm())
    answer = replay.run(router.approve, "Paris", "yes")
    assert router.runs[0]["asked"] == [{"book": "Paris #0"}]
    assert answer == "Answer to 'Paris' using booking for Paris #0: yes: 13 options"


@pytest.mark.replay("goldens/async_subgraph.ckpt", ignore=CONFIG, mock={
    "llm": "langchain_openai.ChatOpenAI.ainvoke", "tool": "test_routing.alookup"})
def test_async_tools_in_a_streamed_subgraph(replay):
    updates = asyncio.run(replay.run(Router(app.make_llm()).astream, "Lisbon"))
    assert updates == [["sub", ["agent"]], ["sub", ["tools"]], ["sub", ["agent"]], ["", ["sub"]]]


@pytest.mark.replay("goldens/structured.ckpt", mock=MOCK, ignore=CONFIG)
def test_create_agent_response_format(replay):
    out = replay.run(Router(app.make_llm()).structured, "Soup?")
    assert out == Dish(answer="Answer to 'Soup?'", confident=True)
"""


@pytest.fixture
def stack(make_stack) -> Stack:  # type: ignore[no-untyped-def]
    stack: Stack = make_stack("langchain_agent", "langgraph_agent")
    stack.write_test("routing", AGENT + TESTS)
    return stack


def test_routing_records_replays_and_rerecords_the_same(stack: Stack) -> None:
    stack.roundtrip()
    before = stack.unmeasured_goldens()
    assert len(before) == 6, sorted(before)
    stack.record()
    assert stack.unmeasured_goldens() == before, "re-recording an unchanged agent changed them"


def test_an_edited_question_resume_value_or_injected_value_is_named(stack: Stack) -> None:
    stack.record()
    stack.edit("test_routing", '"fly to Rome"', '"fly to Bari"')
    stack.edit("test_routing", '"stay in Oslo"', '"fly to Oslo"')  # now routed to flights
    stack.edit("test_routing", '{"stars": 4}', '{"stars": 5}')
    stack.edit("test_routing", 'router.approve, "Paris", "yes"', 'router.approve, "Paris", "no"')
    stack.edit(
        "test_routing", "    confident: bool\n", "    confident: bool\n    spicy: bool = False\n"
    )
    result = stack.replay()
    result.assert_outcomes(passed=1, failed=5)
    text = result.stdout.str()
    for line in (
        "root['input'][1].content: 'triage fly to Rome' -> 'triage fly to Bari'",
        "root['input'][1].content: 'triage stay in Oslo' -> 'triage fly to Oslo'",
        "replay diverged at call #2 to langgraph_agent.lookup",
        "root['query']: 'Lisbon #1 with 4 stars' -> 'Lisbon #1 with 5 stars'",
        "root['query']: 'Paris #0: yes' -> 'Paris #0: no'",
        "root['kwargs']['response_format']['json_schema']['schema']['properties']['spicy']: added",
    ):
        assert line in text, (line, text)
