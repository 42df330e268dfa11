"""A LangGraph chat with long-term memory: a ``MessagesState`` graph on an ``InMemorySaver``
(one thread per user) whose ``chat`` node reads the user's notes from an ``InMemoryStore``
(``store.search``), asks ``ChatOpenAI`` (mock target ``langchain_openai.ChatOpenAI.invoke``) and
puts a note back (``store.put``). The agent keeps what the store returned — LangGraph's
``SearchItem``s — in its state.
"""

from typing import Any

from langchain_agent import make_llm  # noqa: F401  (the tests build the model with it)
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_core.runnables import RunnableConfig
from langgraph.graph import END, START, MessagesState, StateGraph
from langgraph.store.base import BaseStore


class StoreMemoryChat:
    def __init__(self, llm: Any) -> None:
        self.llm = llm
        self.memories: dict[str, list[Any]] = {}

    def get_state(self) -> dict[str, Any]:
        return {"memories": self.memories}

    def load_state(self, state: dict[str, Any]) -> None:
        self.memories = dict(state["memories"])

    def build(self) -> Any:
        from langgraph.checkpoint.memory import InMemorySaver
        from langgraph.store.memory import InMemoryStore

        llm = self.llm

        def chat(
            state: MessagesState, config: RunnableConfig, *, store: BaseStore
        ) -> dict[str, Any]:
            user = config["configurable"]["thread_id"]  # type: ignore[index]
            notes = store.search(("memories", user), limit=3)
            system = SystemMessage("Notes: " + "; ".join(n.value["note"] for n in notes))
            reply = llm.invoke([system, *state["messages"][-4:]])
            store.put(
                ("memories", user),
                f"note-{len(state['messages'])}",
                {"note": str(reply.content)[:24]},
            )
            return {"messages": [reply]}

        graph = StateGraph(MessagesState)
        graph.add_node("chat", chat)
        graph.add_edge(START, "chat")
        graph.add_edge("chat", END)
        self.store = InMemoryStore()
        return graph.compile(checkpointer=InMemorySaver(), store=self.store)

    def converse(self, questions: list[str], users: int = 2) -> list[str]:
        graph = self.build()
        answers = []
        for i, question in enumerate(questions):
            config = {"configurable": {"thread_id": f"user-{i % users}"}}
            out = graph.invoke({"messages": [HumanMessage(question)]}, config)
            answers.append(str(out["messages"][-1].content))
        for user in range(users):
            self.memories[f"user-{user}"] = self.store.search(("memories", f"user-{user}"))
        return answers
