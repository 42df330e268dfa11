"""A LangGraph trip planner: ``plan`` fans out to two parallel sync nodes (run on LangGraph's
thread pool), then ``merge``. Every node asks ``ChatOpenAI`` (mock target
``langchain_openai.ChatOpenAI.invoke``); the nodes' tool is ``langgraph_agent.lookup``.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langchain_agent import make_llm  # noqa: F401  (the tests build the model with it)
from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.graph import END, START, StateGraph

SYSTEM = "You plan short trips."


class TripState(TypedDict):
    question: str
    plan: str
    notes: Annotated[list[str], operator.add]
    answer: str


#: the classes of the chat model's replies, to check the replayed types
REPLIES: list[str] = []


def lookup(kind: str, query: str) -> str:
    return f"{kind} for {query}: {len(query)} options"


def build_graph(llm: Any, parallel: bool = True) -> Any:
    def ask(text: str) -> str:
        message = llm.invoke([SystemMessage(SYSTEM), HumanMessage(text)])
        REPLIES.append(f"{type(message).__module__}.{type(message).__qualname__}")
        return message.content

    def plan(state: TripState) -> dict[str, Any]:
        return {"plan": ask(f"plan {state['question']}")}

    def flights(state: TripState) -> dict[str, Any]:
        found = lookup("flights", state["question"])
        return {"notes": [ask(f"flights {found}")]}

    def hotels(state: TripState) -> dict[str, Any]:
        found = lookup("hotels", state["question"])
        return {"notes": [ask(f"hotels {found}")]}

    def merge(state: TripState) -> dict[str, Any]:
        return {"answer": ask("merge " + " | ".join(sorted(state["notes"])))}

    graph = StateGraph(TripState)
    for node in (plan, flights, hotels, merge):
        graph.add_node(node.__name__, node)
    graph.add_edge(START, "plan")
    if parallel:
        graph.add_edge("plan", "flights")
        graph.add_edge("plan", "hotels")
        graph.add_edge(["flights", "hotels"], "merge")
    else:
        graph.add_edge("plan", "flights")
        graph.add_edge("flights", "hotels")
        graph.add_edge("hotels", "merge")
    graph.add_edge("merge", END)
    return graph.compile()


class TripAgent:
    def __init__(self, llm: Any, parallel: bool = True) -> None:
        self.graph = build_graph(llm, parallel)
        self.trips: list[dict[str, Any]] = []

    def get_state(self) -> dict[str, Any]:
        return {"trips": self.trips}

    def load_state(self, state: dict[str, Any]) -> None:
        self.trips = list(state["trips"])

    def plan(self, question: str) -> str:
        result = self.graph.invoke({"question": question, "notes": []})
        self.trips.append({"q": question, "plan": result["plan"], "answer": result["answer"],
                           "notes": sorted(result["notes"])})
        return result["answer"]

    async def aplan(self, question: str) -> str:
        result = await self.graph.ainvoke({"question": question, "notes": []})
        self.trips.append({"q": question, "answer": result["answer"]})
        return result["answer"]
