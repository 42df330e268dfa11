"""A LangGraph agent that asks a human before it runs a tool: ``agent`` asks ``ChatOpenAI`` (mock
target ``langchain_openai.ChatOpenAI.invoke``) with a tool bound, ``approve`` stops the graph
with ``interrupt()`` showing the tool call, and the test resumes it with ``Command(resume=...)``:
``"yes"`` routes to ``tools`` (``Command(goto=...)``), which calls ``lookup`` (mock target
``langgraph_hitl_agent.lookup``) and hands the result back to ``agent``; anything else ends the
run with a refusal. The graph keeps its threads in a checkpointer: LangGraph's ``InMemorySaver``
or ``langgraph-checkpoint-sqlite``'s ``SqliteSaver``.

The agent's state is what a test of such a graph looks at: the interrupt it raised (its id
included), the thread's checkpoints (``get_state_history``: checkpoint ids, steps, times) and
the answer. ``edit`` changes the pending tool call (``update_state``) before resuming, then
runs the graph again from the checkpoint before the tool ran (LangGraph's time travel).
"""

from __future__ import annotations

import sqlite3
from typing import Any

from langchain_agent import make_llm  # noqa: F401  (the tests build the model with it)
from langchain_core.messages import HumanMessage, SystemMessage, ToolMessage
from langchain_core.tools import tool
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.types import Command, interrupt

SYSTEM = "You book flights."


def lookup(kind: str, query: str) -> str:
    return f"{kind}: {len(query)} matches for {query}"


@tool
def search_flights(query: str) -> str:
    """Search flights."""
    return lookup("flights", query)


def make_saver(kind: str) -> Any:
    if kind == "sqlite":
        from langgraph.checkpoint.sqlite import SqliteSaver

        return SqliteSaver(sqlite3.connect(":memory:", check_same_thread=False))
    from langgraph.checkpoint.memory import InMemorySaver

    return InMemorySaver()


def build(llm: Any, saver: Any) -> Any:
    model = llm.bind_tools([search_flights])

    def agent(state: MessagesState) -> dict[str, Any]:
        return {"messages": [model.invoke([SystemMessage(SYSTEM), *state["messages"]])]}

    def route(state: MessagesState) -> str:
        return "approve" if getattr(state["messages"][-1], "tool_calls", None) else END

    def approve(state: MessagesState) -> Command[Any]:
        call = state["messages"][-1].tool_calls[0]
        answer = interrupt({"run": call["name"], "args": call["args"]})
        if answer == "yes":
            return Command(goto="tools")
        refusal = ToolMessage(f"refused: {answer}", tool_call_id=call["id"])
        return Command(goto=END, update={"messages": [refusal]})

    def tools(state: MessagesState) -> dict[str, Any]:
        calls = state["messages"][-1].tool_calls
        return {
            "messages": [
                ToolMessage(lookup("flights", c["args"]["query"]), tool_call_id=c["id"])
                for c in calls
            ]
        }

    graph = StateGraph(MessagesState)
    graph.add_node("agent", agent)
    graph.add_node("approve", approve)
    graph.add_node("tools", tools)
    graph.add_edge(START, "agent")
    graph.add_conditional_edges("agent", route, ["approve", END])
    graph.add_edge("tools", "agent")
    return graph.compile(checkpointer=saver)


def _checkpoints(graph: Any, config: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            "id": s.config["configurable"]["checkpoint_id"],
            "step": s.metadata["step"],
            "next": list(s.next),
            "at": s.created_at,
        }
        for s in graph.get_state_history(config)
    ]


class Booker:
    def __init__(self, llm: Any, saver: str = "memory") -> None:
        self.llm = llm
        self.saver = saver
        self.runs: list[dict[str, Any]] = []

    def get_state(self) -> dict[str, Any]:
        return {"runs": self.runs}

    def load_state(self, state: dict[str, Any]) -> None:
        self.runs = list(state["runs"])

    def book(self, question: str, decision: str) -> str:
        graph = build(self.llm, make_saver(self.saver))
        config = {"configurable": {"thread_id": "booking-1"}}
        asked = graph.invoke({"messages": [HumanMessage(question)]}, config)
        out = graph.invoke(Command(resume=decision), config)
        answer = str(out["messages"][-1].content)
        self.runs.append(
            {
                "interrupt": asked["__interrupt__"],
                "checkpoints": _checkpoints(graph, config),
                "answer": answer,
            }
        )
        return answer

    def edit(self, question: str) -> str:
        graph = build(self.llm, make_saver(self.saver))
        config = {"configurable": {"thread_id": "booking-2"}}
        graph.invoke({"messages": [HumanMessage(question)]}, config)
        pending = graph.get_state(config).values["messages"][-1]
        call = {**pending.tool_calls[0], "args": {"query": "Lisbon in May"}}
        edited = pending.model_copy(update={"tool_calls": [call]})
        graph.update_state(config, {"messages": [edited]})
        out = graph.invoke(Command(resume="yes"), config)
        before_tools = next(s for s in graph.get_state_history(config) if s.next == ("tools",))
        again = graph.invoke(None, before_tools.config)  # time travel: run the tool again
        answer = str(out["messages"][-1].content)
        self.runs.append(
            {
                "checkpoints": _checkpoints(graph, config),
                "answer": answer,
                "again": str(again["messages"][-1].content),
            }
        )
        return answer
