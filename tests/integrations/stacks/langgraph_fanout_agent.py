"""A LangGraph map-reduce: ``Send`` fans a list of topics out to one ``summarise`` task each (run
in the same superstep: on LangGraph's thread pool, or as asyncio tasks under ``ainvoke``), whose
answers are reduced with ``operator.add``, then ``reduce`` asks the model once more. Every node
asks ``ChatOpenAI`` (mock targets ``langchain_openai.ChatOpenAI.invoke``, ``.ainvoke``).

Also: ``Drafter``, async ``Send`` branches that each ask twice (draft, then polish) and tell
their progress on the custom stream, streamed with ``astream``, on a model that answers some
topics later than others (so the branches finish in another order than they started).
"""

from __future__ import annotations

import asyncio
import json
import operator
from typing import Annotated, Any, TypedDict

import httpx2
import services
from langchain_agent import make_llm  # noqa: F401  (the tests build the model through it)
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from langgraph.config import get_stream_writer
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

    async def atokens(self, topics: list[str]) -> dict[str, str]:
        """The answers streamed token by token (``stream_mode="messages"``), each task's tokens
        grouped by its ``langgraph_checkpoint_ns`` (the node and its task id): the branches of
        one node share its ``langgraph_node``."""
        texts: dict[str, str] = {}
        async for chunk, meta in self.graph.astream(
            {"topics": topics, "summaries": []}, stream_mode="messages"
        ):
            key = meta["langgraph_checkpoint_ns"]
            texts[key] = texts.get(key, "") + chunk.content
        self.runs.append({"topics": topics, "streamed": sorted(texts.values())})
        return texts

    async def arun(self, topics: list[str]) -> str:
        result = await self.graph.ainvoke({"topics": topics, "summaries": []})
        self.runs.append({"topics": topics, "summaries": sorted(result["summaries"])})
        return result["answer"]


#: seconds the slow model takes to answer a prompt naming the topic (others: at once; the
#: quick branch must be streamed before the slower ones' first write, on a loaded CI runner too)
DELAYS = {"alps": 0.9, "bees": 0.3}


class _Slow(httpx2.AsyncBaseTransport):
    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        prompt = json.dumps(json.loads(request.content)["messages"])
        await asyncio.sleep(max([s for topic, s in DELAYS.items() if topic in prompt], default=0))
        return services.OPENAI.handler(request)


def make_slow_llm() -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-4o-mini",
        temperature=0.2,
        max_retries=0,
        http_async_client=httpx2.AsyncClient(transport=_Slow()),
    )


def build_drafts(llm: Any) -> Any:
    def fan_out(state: MapState) -> list[Send]:
        return [Send("draft", {"topic": topic}) for topic in state["topics"]]

    async def draft(state: Topic) -> dict[str, Any]:
        write = get_stream_writer()
        first = await llm.ainvoke([HumanMessage(f"draft {state['topic']}")])
        write({"drafted": state["topic"]})
        final = await llm.ainvoke([HumanMessage(f"polish {state['topic']}: {first.content}")])
        write({"polished": state["topic"]})
        return {"summaries": [final.content]}

    graph = StateGraph(MapState)
    graph.add_node("draft", draft)
    graph.add_conditional_edges(START, fan_out, ["draft"])
    graph.add_edge("draft", END)
    return graph.compile()


class Drafter:
    def __init__(self, llm: Any) -> None:
        self.graph = build_drafts(llm)
        self.seen: list[list[Any]] = []

    def get_state(self) -> dict[str, Any]:
        return {"seen": self.seen}

    def load_state(self, state: dict[str, Any]) -> None:
        self.seen = list(state["seen"])

    async def astream(self, topics: list[str]) -> list[Any]:
        """What the graph streams, as it comes: the custom writes and each task's update."""
        chunks = [
            [mode, chunk]
            async for mode, chunk in self.graph.astream(
                {"topics": topics, "summaries": []}, stream_mode=["custom", "updates"]
            )
        ]
        self.seen.append(chunks)
        return chunks
