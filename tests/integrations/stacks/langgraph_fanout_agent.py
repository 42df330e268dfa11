"""A LangGraph map-reduce: ``Send`` fans a list of topics out to one ``summarise`` task each (run
in the same superstep: on LangGraph's thread pool, or as asyncio tasks under ``ainvoke``), whose
answers are reduced with ``operator.add``, then ``reduce`` asks the model once more. Every node
asks ``ChatOpenAI`` (mock targets ``langchain_openai.ChatOpenAI.invoke``, ``.ainvoke``).
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

from langchain_agent import make_llm  # noqa: F401  (the tests build the model through it)
from langchain_core.messages import HumanMessage, SystemMessage
from langgraph.graph import END, START, StateGraph
from langgraph.types import Send

SYSTEM = "You summarise topics."


class MapState(TypedDict):
    topics: list[str]
    summaries: Annotated[list[str], operator.add]
    answer: str


class Topic(TypedDict):
    topic: str


def build_graph(llm: Any, use_async: bool = False) -> Any:
    def fan_out(state: MapState) -> list[Send]:
        return [Send("summarise", {"topic": topic}) for topic in state["topics"]]

    def summarise(state: Topic) -> dict[str, Any]:
        message = llm.invoke([SystemMessage(SYSTEM), HumanMessage(f"summarise {state['topic']}")])
        return {"summaries": [message.content]}

    async def asummarise(state: Topic) -> dict[str, Any]:
        message = await llm.ainvoke(
            [SystemMessage(SYSTEM), HumanMessage(f"summarise {state['topic']}")]
        )
        return {"summaries": [message.content]}

    def reduce(state: MapState) -> dict[str, Any]:
        message = llm.invoke([HumanMessage("reduce " + " | ".join(sorted(state["summaries"])))])
        return {"answer": message.content}

    graph = StateGraph(MapState)
    graph.add_node("summarise", asummarise if use_async else summarise)
    graph.add_node("reduce", reduce)
    graph.add_conditional_edges(START, fan_out, ["summarise"])
    graph.add_edge("summarise", "reduce")
    graph.add_edge("reduce", END)
    return graph.compile()


class Summariser:
    def __init__(self, llm: Any, use_async: bool = False) -> None:
        self.graph = build_graph(llm, use_async)
        self.runs: list[dict[str, Any]] = []

    def get_state(self) -> dict[str, Any]:
        return {"runs": self.runs}

    def load_state(self, state: dict[str, Any]) -> None:
        self.runs = list(state["runs"])

    def run(self, topics: list[str]) -> str:
        result = self.graph.invoke({"topics": topics, "summaries": []})
        self.runs.append({"topics": topics, "summaries": sorted(result["summaries"])})
        return result["answer"]

    async def arun(self, topics: list[str]) -> str:
        result = await self.graph.ainvoke({"topics": topics, "summaries": []})
        self.runs.append({"topics": topics, "summaries": sorted(result["summaries"])})
        return result["answer"]
