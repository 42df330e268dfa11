"""Agents written the way users write them with LangChain (``langchain-openai``'s
``ChatOpenAI`` over the fake OpenAI service).

Mock targets used by the tests: ``langchain_openai.ChatOpenAI.invoke``, ``.ainvoke``,
``.stream``; the user wrapper ``langchain_agent.ask_model`` (a function taking the model); the
tools' backend ``langchain_agent.lookup``.
"""

from __future__ import annotations

from typing import Any

import services
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from langchain_core.output_parsers import StrOutputParser
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.tools import tool
from langchain_openai import ChatOpenAI

MODEL = "gpt-4o-mini"
SYSTEM = "You are a helpful cooking assistant."


def make_llm(temperature: float = 0.2, model: str = MODEL) -> ChatOpenAI:
    """The model, its HTTP answered by the fake service (the key comes from OPENAI_API_KEY)."""
    return ChatOpenAI(
        model=model,
        temperature=temperature,
        max_retries=0,
        http_client=services.OPENAI.client(),
        http_async_client=services.OPENAI.async_client(),
    )


def ask_model(llm: ChatOpenAI, question: str) -> str:
    """The user's own wrapper around the chat model: the mock target of the wrapper scenario."""
    message = llm.invoke([SystemMessage(SYSTEM), HumanMessage(question)])
    return str(message.content)


def lookup(kind: str, query: str) -> str:
    return f"{kind}: {len(query)} matches for {query}"


@tool
def search_flights(query: str) -> str:
    """Search recipes (the fake service names its tools after the first two it is given)."""
    return lookup("recipes", query)


@tool
def search_hotels(query: str) -> str:
    """Check the pantry."""
    return lookup("pantry", query)


class ChefAgent:
    def __init__(self, llm: ChatOpenAI) -> None:
        self.llm = llm
        self.history: list[dict[str, Any]] = []

    def get_state(self) -> dict[str, Any]:
        return {"history": self.history}

    def load_state(self, state: dict[str, Any]) -> None:
        self.history = list(state["history"])

    def _messages(self, question: str) -> list[Any]:
        return [SystemMessage(SYSTEM), HumanMessage(question)]

    def ask(self, question: str) -> AIMessage:
        message = self.llm.invoke(self._messages(question))
        self.history.append({"q": question, "a": message.content})
        return message

    async def aask(self, question: str) -> str:
        message = await self.llm.ainvoke(self._messages(question))
        self.history.append({"q": question, "a": message.content})
        return message.content

    def stream(self, question: str) -> str:
        answer = "".join(chunk.content for chunk in self.llm.stream(self._messages(question)))
        self.history.append({"q": question, "a": answer})
        return answer

    def chain(self, question: str) -> str:
        prompt = ChatPromptTemplate.from_messages([("system", SYSTEM), ("human", "{question}")])
        answer = (prompt | self.llm | StrOutputParser()).invoke({"question": question})
        self.history.append({"q": question, "a": answer})
        return answer

    def with_tools(self, question: str) -> str:
        tools = {t.name: t for t in (search_flights, search_hotels)}
        model = self.llm.bind_tools(list(tools.values()))
        messages = self._messages(question)
        first = model.invoke(messages)
        messages.append(first)
        for call in first.tool_calls:
            messages.append(
                ToolMessage(tools[call["name"]].invoke(call["args"]), tool_call_id=call["id"])
            )
        final = model.invoke(messages)
        self.history.append({"q": question, "a": final.content, "tools": len(first.tool_calls)})
        return final.content

    def via_wrapper(self, question: str) -> str:
        answer = ask_model(self.llm, question)
        self.history.append({"q": question, "a": answer})
        return answer

    def with_fallback(self, question: str) -> str:
        """A busy model (429) with the usual model as LangChain fallback."""
        busy = make_llm(model="gpt-4o-busy")
        message = busy.with_fallbacks([self.llm]).invoke(self._messages(question))
        self.history.append({"q": question, "a": message.content})
        return message.content


class PlainChef:
    """Keeps its ``ChatOpenAI`` in ``self.llm`` and has no ``get_state()``."""

    def __init__(self, llm: ChatOpenAI) -> None:
        self.llm = llm
        self.answers: list[str] = []

    def answer(self, question: str) -> str:
        message = self.llm.invoke([SystemMessage(SYSTEM), HumanMessage(question)])
        self.answers.append(str(message.content))
        return str(message.content)
