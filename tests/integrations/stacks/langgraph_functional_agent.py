"""LangGraph's functional API: an ``@entrypoint`` with a checkpointer whose ``@task``s ask
``ChatOpenAI`` (mock targets ``langchain_openai.ChatOpenAI.invoke``, ``.ainvoke``) and call a
tool backend (``langgraph_functional_agent.lookup``). The research tasks run concurrently
(``research(topic)`` futures, then ``.result()``); ``entrypoint.final`` saves the answers as the
thread's ``previous`` for its next turn; ``review`` stops with ``interrupt()`` inside a task and
is resumed with ``Command(resume=...)``; ``astream`` with ``stream_mode=["updates", "custom"]``
sees the tasks' ``get_stream_writer()`` writes; a task can have a ``RetryPolicy`` and a
``CachePolicy`` (an ``InMemoryCache``). ``fetch`` is a ``@task`` defined at module level (a
mock target itself, ``langgraph_functional_agent.fetch``).

``SlowLLM`` answers some topics later than others, so the tasks finish in another order than
they started.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import services
from langchain_agent import make_llm  # noqa: F401  (the tests build the model with it)
from langchain_core.messages import HumanMessage, SystemMessage
from langchain_openai import ChatOpenAI
from langgraph.cache.memory import InMemoryCache
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.config import get_stream_writer
from langgraph.func import entrypoint, task
from langgraph.types import CachePolicy, Command, RetryPolicy, interrupt

SYSTEM = "You research topics."
THREAD = {"configurable": {"thread_id": "research-1"}}


def lookup(kind: str, query: str) -> str:
    return f"{kind}: {len(query)} notes on {query}"


@task
def fetch(topic: str) -> str:
    """A task at module level: a mock target itself."""
    return lookup("archive", topic)


class Flaky(Exception):
    """What the flaky tool raises on its first call."""


_tried: set[str] = set()


def flaky_lookup(kind: str, query: str) -> str:
    """A tool backend that fails the first time it is asked about a query (a mock target: the
    recorded error is raised again on replay, and the task's retry policy asks again)."""
    if query not in _tried:
        _tried.add(query)
        raise Flaky(f"{kind} busy for {query}")
    return lookup(kind, query)


def build(
    llm: Any,
    *,
    use_async: bool = False,
    retry: bool = False,
    cache: bool = False,
    human: bool = False,
    approvals: bool = False,
) -> Any:
    def ask(text: str) -> str:
        return str(llm.invoke([SystemMessage(SYSTEM), HumanMessage(text)]).content)

    def notes_for(topic: str) -> str:
        return flaky_lookup("notes", topic) if retry else lookup("notes", topic)

    policy: dict[str, Any] = {}
    if retry:
        policy["retry_policy"] = RetryPolicy(
            max_attempts=2, initial_interval=0.01, jitter=False, retry_on=Flaky
        )
    if cache:
        policy["cache_policy"] = CachePolicy()

    @task(**policy)
    def research(topic: str) -> str:
        found = notes_for(topic)
        get_stream_writer()({"researched": topic})
        return ask(f"research {topic}: {found}")

    @task(**policy)
    async def aresearch(topic: str) -> str:
        found = notes_for(topic)
        get_stream_writer()({"researched": topic})
        prompt = [SystemMessage(SYSTEM), HumanMessage(f"research {topic}: {found}")]
        message = await llm.ainvoke(prompt)
        return str(message.content)

    @task
    def review(draft: str) -> str:
        verdict = interrupt({"draft": draft})
        return draft if verdict == "ok" else ask(f"rewrite {draft}: {verdict}")

    @task
    def approve(topic: str) -> str:
        verdict = interrupt({"approve": topic})
        return topic if verdict == "ok" else f"{topic} ({verdict})"

    @task
    def summarise(notes: list[str]) -> str:
        return ask("summarise " + " | ".join(notes))

    saver = InMemorySaver()
    options: dict[str, Any] = {"checkpointer": saver}
    if cache:
        options["cache"] = InMemoryCache()

    if use_async:

        @entrypoint(**options)
        async def aworkflow(topics: list[str], *, previous: list[str] | None = None) -> Any:
            notes = [await f for f in [aresearch(t) for t in topics]]
            answer = await summarise(notes)
            return entrypoint.final(value=answer, save=[*(previous or []), answer])

        return aworkflow

    @entrypoint(**options)
    def workflow(topics: list[str], *, previous: list[str] | None = None) -> Any:
        if approvals:
            topics = [f.result() for f in [approve(t) for t in topics]]
        futures = [research(t) for t in topics]
        notes = [f.result() for f in futures]
        answer = summarise(notes).result()
        if human:
            answer = review(answer).result()
        return entrypoint.final(value=answer, save=[*(previous or []), answer])

    return workflow


class Researcher:
    def __init__(self, llm: Any, **options: Any) -> None:
        self.llm = llm
        self.options = options
        self.runs: list[Any] = []

    def get_state(self) -> dict[str, Any]:
        return {"runs": self.runs}

    def load_state(self, state: dict[str, Any]) -> None:
        self.runs = list(state["runs"])

    def run(self, topics: list[str]) -> str:
        """Two turns on one thread: the second sees the first's answer as ``previous``."""
        workflow = build(self.llm, **self.options)
        first = workflow.invoke(topics, THREAD)
        second = workflow.invoke(topics[:1], THREAD)
        saved = workflow.get_state(THREAD).values
        self.runs.append({"topics": topics, "first": first, "second": second, "saved": saved})
        return second

    def run_twice_cached(self, topics: list[str]) -> list[str]:
        """The same topics on two threads: the second run's research tasks hit the cache."""
        workflow = build(self.llm, **self.options)
        answers = [
            workflow.invoke(topics, {"configurable": {"thread_id": f"t{i}"}}) for i in range(2)
        ]
        self.runs.append({"topics": topics, "answers": answers})
        return answers

    def run_with_human(self, topics: list[str], *verdicts: str) -> str:
        workflow = build(self.llm, human=True, **self.options)
        out = workflow.invoke(topics, THREAD)
        for verdict in verdicts:
            chunk = [
                c for c in workflow.stream(Command(resume=verdict), THREAD, stream_mode="updates")
            ]
            self.runs.append({"asked": out, "resumed": verdict})
            out = chunk
        answer = workflow.get_state(THREAD).values
        self.runs.append({"answer": answer})
        return str(answer)

    def ask(self, topics: list[str]) -> Any:
        """The first half of a turn with a human: stops at the review's ``interrupt()``."""
        self.workflow = build(self.llm, human=True, **self.options)
        out = self.workflow.invoke(topics, THREAD)
        self.runs.append({"asked": out})
        return out

    def resume(self, verdict: str) -> Any:
        """The second half, in another ``replay.run()``: resumes the same thread."""
        out = self.workflow.invoke(Command(resume=verdict), THREAD)
        self.runs.append({"resumed": verdict, "out": out})
        return out

    def approve_all(self, topics: list[str], verdict: str) -> Any:
        """Each topic's task stops at its own ``interrupt()``; all are resumed at once, by id."""
        workflow = build(self.llm, approvals=True, **self.options)
        config = {"configurable": {"thread_id": "approvals"}}
        out = workflow.invoke(topics, config)
        asked: list[list[str]] = []
        while pending := workflow.get_state(config).interrupts:
            asked.append(sorted(str(i.value["approve"]) for i in pending))
            out = workflow.invoke(Command(resume={i.id: verdict for i in pending}), config)
        self.runs.append({"asked": asked, "out": out})
        return out

    async def arun(self, topics: list[str]) -> str:
        workflow = build(self.llm, use_async=True, **self.options)
        answer = await workflow.ainvoke(topics, THREAD)
        self.runs.append({"topics": topics, "answer": answer})
        return str(answer)

    async def astream(self, topics: list[str]) -> list[Any]:
        workflow = build(self.llm, use_async=True, **self.options)
        chunks = [
            [mode, chunk]
            async for mode, chunk in workflow.astream(
                topics, THREAD, stream_mode=["updates", "custom"]
            )
        ]
        self.runs.append({"topics": topics, "chunks": chunks})
        return chunks


@entrypoint(checkpointer=InMemorySaver())
def archive_workflow(topics: list[str]) -> list[str]:
    """Fans out to the module-level ``fetch`` task."""
    return [f.result() for f in [fetch(t) for t in topics]]


def run_archive(topics: list[str]) -> list[str]:
    return list(archive_workflow.invoke(topics, {"configurable": {"thread_id": "archive"}}))


#: seconds the slow model takes to answer a prompt naming the topic (others: at once)
DELAYS = {"alps": 0.3, "bees": 0.1}


class _Slow(httpx2.AsyncBaseTransport, httpx2.BaseTransport):
    def handle_request(self, request: httpx2.Request) -> httpx2.Response:
        import time

        time.sleep(self._delay(request))
        return services.OPENAI.handler(request)

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        await asyncio.sleep(self._delay(request))
        return services.OPENAI.handler(request)

    @staticmethod
    def _delay(request: httpx2.Request) -> float:
        prompt = json.dumps(json.loads(request.content)["messages"])
        return max([s for topic, s in DELAYS.items() if topic in prompt], default=0)


def make_slow_llm() -> ChatOpenAI:
    return ChatOpenAI(
        model="gpt-4o-mini",
        temperature=0.2,
        max_retries=0,
        http_client=httpx2.Client(transport=_Slow()),
        http_async_client=httpx2.AsyncClient(transport=_Slow()),
    )
