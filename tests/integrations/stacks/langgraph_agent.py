"""A LangGraph trip planner: ``plan`` fans out to two parallel sync nodes (run on LangGraph's
thread pool), then ``merge``. Every node asks ``ChatOpenAI`` (mock target
``langchain_openai.ChatOpenAI.invoke``); the nodes' tool is ``langgraph_agent.lookup``.

Also: the planner streamed (``graph.stream(stream_mode="updates")``), its ``plan`` node on a busy
model (429) with a LangChain fallback, a tool-calling graph (an ``agent`` node on
``bind_tools`` and a ``tools`` node, looping until no tool call is left) and an agent that keeps
its model and graph in attributes with no ``get_state()``.
"""

from __future__ import annotations

import operator
from typing import Annotated, Any, TypedDict

import openai
from langchain_agent import make_llm
from langchain_core.messages import AnyMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.graph import END, START, StateGraph
from langgraph.graph.message import add_messages

SYSTEM = "You plan short trips."
BUSY_MODEL = "gpt-4o-busy"  # the fake service answers 429 for it


class TripState(TypedDict):
    question: str
    plan: str
    notes: Annotated[list[str], operator.add]
    answer: str


#: the classes of the chat model's replies, to check the replayed types
REPLIES: list[str] = []
#: the rate-limit errors the planner caught
ERRORS: list[dict[str, Any]] = []


def lookup(kind: str, query: str) -> str:
    return f"{kind} for {query}: {len(query)} options"


def type_name(value: Any) -> str:
    return f"{type(value).__module__}.{type(value).__qualname__}"


def build_graph(llm: Any, parallel: bool = True, busy_plan: str | None = None) -> Any:
    """The planner. With ``busy_plan`` its ``plan`` node asks a busy model (429) first, then
    ``llm``: through LangChain's ``with_fallbacks`` (``"with_fallbacks"``) or its own
    ``except openai.RateLimitError`` (``"except"``, noted in ``ERRORS``)."""
    busy = make_llm(model=BUSY_MODEL)
    planner = busy.with_fallbacks([llm]) if busy_plan == "with_fallbacks" else llm

    def ask(text: str, model: Any = llm) -> str:
        message = model.invoke([SystemMessage(SYSTEM), HumanMessage(text)])
        REPLIES.append(type_name(message))
        return message.content

    def plan(state: TripState) -> dict[str, Any]:
        if busy_plan == "except":
            try:
                return {"plan": ask(f"plan {state['question']}", busy)}
            except openai.RateLimitError as exc:
                ERRORS.append(
                    {
                        "type": type_name(exc),
                        "status": exc.status_code,
                        "code": exc.code,
                        "request_id": exc.request_id,
                    }
                )
        return {"plan": ask(f"plan {state['question']}", planner)}

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


@tool
def search_flights(query: str) -> str:
    """Search flights (the fake service names its tools after the first two it is given)."""
    return lookup("flights", query)


@tool
def search_hotels(query: str) -> str:
    """Search hotels."""
    return lookup("hotels", query)


class ChatState(TypedDict):
    messages: Annotated[list[AnyMessage], add_messages]


def build_tool_graph(llm: Any, checkpointer: Any = None) -> Any:
    """``agent`` (the model with the tools bound) -> ``tools`` -> ``agent`` ... until the model
    answers without a tool call; with ``checkpointer``, a thread's messages are kept between
    runs."""
    tools = {t.name: t for t in (search_flights, search_hotels)}
    model = llm.bind_tools(list(tools.values()))

    def agent(state: ChatState) -> dict[str, Any]:
        return {"messages": [model.invoke(state["messages"])]}

    def run_tools(state: ChatState) -> dict[str, Any]:
        calls = state["messages"][-1].tool_calls
        return {
            "messages": [
                ToolMessage(tools[c["name"]].invoke(c["args"]), tool_call_id=c["id"]) for c in calls
            ]
        }

    def route(state: ChatState) -> str:
        return "tools" if state["messages"][-1].tool_calls else END

    graph = StateGraph(ChatState)
    graph.add_node("agent", agent)
    graph.add_node("tools", run_tools)
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", route, ["tools", END])
    graph.add_edge("tools", "agent")
    return graph.compile(checkpointer=checkpointer)


class TripAgent:
    def __init__(self, llm: Any, parallel: bool = True, busy_plan: str | None = None) -> None:
        self.graph = build_graph(llm, parallel, busy_plan)
        self.trips: list[dict[str, Any]] = []

    def get_state(self) -> dict[str, Any]:
        return {"trips": self.trips}

    def load_state(self, state: dict[str, Any]) -> None:
        self.trips = list(state["trips"])

    def plan(self, question: str) -> str:
        result = self.graph.invoke({"question": question, "notes": []})
        self.trips.append(
            {
                "q": question,
                "plan": result["plan"],
                "answer": result["answer"],
                "notes": sorted(result["notes"]),
            }
        )
        return result["answer"]

    async def aplan(self, question: str) -> str:
        result = await self.graph.ainvoke({"question": question, "notes": []})
        self.trips.append({"q": question, "answer": result["answer"]})
        return result["answer"]

    def stream_plan(self, question: str) -> str:
        """The planner streamed: one update per node, the answer from ``merge``'s."""
        nodes, answer = [], ""
        for chunk in self.graph.stream({"question": question, "notes": []}, stream_mode="updates"):
            for node, update in chunk.items():
                nodes.append(node)
                answer = update.get("answer", answer)
        self.trips.append({"q": question, "answer": answer, "nodes": nodes})
        return answer


class TokenStreamer:
    """Streams the planner's tokens (``stream_mode="messages"``): LangGraph collects them from
    the chat model's streaming callbacks."""

    def __init__(self, llm: Any) -> None:
        self.graph = build_graph(llm, parallel=False)
        self.streams: list[dict[str, Any]] = []

    def get_state(self) -> dict[str, Any]:
        return {"streams": self.streams}

    def load_state(self, state: dict[str, Any]) -> None:
        self.streams = list(state["streams"])

    def tokens(self, question: str) -> list[tuple[str, str]]:
        parts = [
            (meta["langgraph_node"], chunk.content)
            for chunk, meta in self.graph.stream(
                {"question": question, "notes": []}, stream_mode="messages"
            )
        ]
        self.streams.append({"q": question, "parts": len(parts)})
        return parts

    async def atokens(self, question: str) -> list[tuple[str, str]]:
        """The same through ``graph.astream`` (its stream waiters are asyncio tasks)."""
        parts = [
            (meta["langgraph_node"], chunk.content)
            async for chunk, meta in self.graph.astream(
                {"question": question, "notes": []}, stream_mode="messages"
            )
        ]
        self.streams.append({"q": question, "parts": len(parts)})
        return parts


class ToolAgent:
    def __init__(self, llm: Any) -> None:
        self.graph = build_tool_graph(llm)
        self.runs: list[dict[str, Any]] = []

    def get_state(self) -> dict[str, Any]:
        return {"runs": self.runs}

    def load_state(self, state: dict[str, Any]) -> None:
        self.runs = list(state["runs"])

    def run(self, question: str) -> str:
        result = self.graph.invoke({"messages": [SystemMessage(SYSTEM), HumanMessage(question)]})
        messages = result["messages"]
        self.runs.append(
            {
                "q": question,
                "a": messages[-1].content,
                "kinds": [type(m).__name__ for m in messages],
                "tools": [c["name"] for m in messages for c in getattr(m, "tool_calls", [])],
            }
        )
        return messages[-1].content


class ClientPlanner:
    """Keeps only its chat model (the client) in ``self.llm`` and compiles the graph per run;
    no ``get_state()``."""

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.answers: list[str] = []

    def plan(self, question: str) -> str:
        graph = build_graph(self.llm, parallel=True)
        answer = graph.invoke({"question": question, "notes": []})["answer"]
        self.answers.append(answer)
        return answer


class PlainPlanner:
    """Keeps its chat model and its compiled graph in attributes; no ``get_state()``."""

    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.graph = build_graph(llm, parallel=False)
        self.answers: list[str] = []

    def plan(self, question: str) -> str:
        answer = self.graph.invoke({"question": question, "notes": []})["answer"]
        self.answers.append(answer)
        return answer


class MemoryChat:
    """A conversation on one thread of an ``InMemorySaver``: each turn resumes from the latest
    checkpoint of the thread (the one with the greatest id), so it sees the earlier turns."""

    def __init__(self, llm: Any) -> None:
        from langgraph.checkpoint.memory import InMemorySaver

        self.graph = build_tool_graph(llm, checkpointer=InMemorySaver())
        self.turns: list[dict[str, Any]] = []

    def get_state(self) -> dict[str, Any]:
        return {"turns": self.turns}

    def load_state(self, state: dict[str, Any]) -> None:
        self.turns = list(state["turns"])

    def talk(self, *questions: str) -> list[int]:
        config = {"configurable": {"thread_id": "customer-1"}}
        for question in questions:
            messages = self.graph.invoke({"messages": [HumanMessage(question)]}, config)["messages"]
            self.turns.append({"q": question, "seen": len(messages)})
        return [turn["seen"] for turn in self.turns]
