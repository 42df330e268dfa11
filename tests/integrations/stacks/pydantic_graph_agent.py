"""Graphs of ``pydantic_graph`` (the builder API of pydantic-graph 2.x) whose nodes run a
pydantic-ai ``Agent`` on ``OpenAIChatModel`` over the fake OpenAI service (mock target
``pydantic_ai.models.openai.OpenAIChatModel.request``) and tools (``pydantic_graph_agent.lookup``).

- ``Planner``: ``BaseNode``s ``Plan`` -> ``Research`` (the agent with tools) -> ``Answer``, which
  returns ``End``; the graph's state is a dataclass (``GraphRunContext.state``), its deps hold
  the agent. Run with ``graph.run``, with ``graph.iter`` (``async for`` over the steps) and with
  ``run.next`` step by step.
- ``Mapper``: steps: ``split`` -> ``.map()`` over the topics -> ``summarise`` per topic (the
  branches run as concurrent tasks) -> a ``join`` (``reduce_list_append``) -> ``merge``; and
  ``broadcast`` to two steps at once. On ``make_slow_model()`` some topics are answered later
  than others, so the branches finish in another order than they started.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import httpx2
import services
from pydantic_ai import Agent
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.providers.openai import OpenAIProvider
from pydantic_graph import (
    BaseNode,
    End,
    GraphBuilder,
    GraphRunContext,
    StepContext,
    reduce_list_append,
)

MODEL = "gpt-4o-mini"
SYSTEM = "You plan museum visits."


def make_model() -> OpenAIChatModel:
    """The key comes from OPENAI_API_KEY."""
    provider = OpenAIProvider(http_client=services.OPENAI.async_client())
    return OpenAIChatModel(MODEL, provider=provider)


#: seconds (of a virtual clock, ``services.VirtualDelays``: the order is the same on a loaded
#: machine) the slow model takes to answer a prompt naming the topic (others: at once); no two
#: topics alike, so no two answers are due at once
DELAYS = {"alps": 0.75, "bees": 0.3, "cats": 0.1}


def _topic_delay(request: httpx2.Request) -> float:
    prompt = json.dumps(json.loads(request.content)["messages"])
    return max([s for topic, s in DELAYS.items() if topic in prompt], default=0)


def make_slow_model() -> OpenAIChatModel:
    """The four topics' branches send their first requests together: none is answered before
    all four are waiting (on a fast machine a branch's first request, held back by the client's
    first-use work, came after another's answer, and a re-recorded golden's order changed)."""
    client = httpx2.AsyncClient(
        transport=services.delayed_transport(services.OPENAI, _topic_delay, together=4)
    )
    return OpenAIChatModel(MODEL, provider=OpenAIProvider(http_client=client))


#: seconds (virtual, as above) the staggered model takes to answer a prompt starting with these
#: words (no two answers due at once)
STAGGER = {
    "draft alps": 0.6,
    "draft bees": 0.3,
    "draft cats": 0.15,
    "polish bees": 0.6,
    "polish cats": 0.3,
}


def _stagger_delay(request: httpx2.Request) -> float:
    last = json.loads(request.content)["messages"][-1]["content"]
    return next((s for p, s in STAGGER.items() if last.startswith(p)), 0)


def make_staggered_model() -> OpenAIChatModel:
    """The four branches of ``build_drafts`` send their drafts together: none is answered
    before all four are waiting (a branch held back on a loaded machine drafted after another's
    answer, changing a re-recorded golden's events)."""
    client = httpx2.AsyncClient(
        transport=services.delayed_transport(services.OPENAI, _stagger_delay, together=4)
    )
    return OpenAIChatModel(MODEL, provider=OpenAIProvider(http_client=client))


def lookup(kind: str, query: str) -> str:
    return f"{kind}: {len(query)} rooms about {query}"


def make_agent(model: Any, tools: bool = False) -> Agent:
    agent = Agent(model, system_prompt=SYSTEM)
    if tools:

        @agent.tool_plain
        def search_flights(query: str) -> str:
            """Search the collection."""
            return lookup("collection", query)

        @agent.tool_plain
        def search_hotels(query: str) -> str:
            """Search the archive."""
            return lookup("archive", query)

    return agent


@dataclass
class Visit:
    question: str
    plan: str = ""
    notes: list[str] = field(default_factory=list)


@dataclass
class Deps:
    agent: Agent
    researcher: Agent


@dataclass
class Plan(BaseNode[Visit, Deps, str]):
    async def run(self, ctx: GraphRunContext[Visit, Deps]) -> Research:
        result = await ctx.deps.agent.run(f"plan {ctx.state.question}")
        ctx.state.plan = result.output
        return Research(topic=ctx.state.question)


@dataclass
class Research(BaseNode[Visit, Deps, str]):
    topic: str

    async def run(self, ctx: GraphRunContext[Visit, Deps]) -> Answer:
        result = await ctx.deps.researcher.run(self.topic)
        ctx.state.notes.append(result.output)
        return Answer()


@dataclass
class Answer(BaseNode[Visit, Deps, str]):
    async def run(self, ctx: GraphRunContext[Visit, Deps]) -> End[str]:
        notes = " | ".join([ctx.state.plan, *ctx.state.notes])
        result = await ctx.deps.agent.run(f"answer {notes}")
        return End(result.output)


def build_nodes() -> Any:
    g = GraphBuilder(state_type=Visit, deps_type=Deps, output_type=str)
    g.add(g.edge_from(g.start_node).to(Plan), g.node(Plan), g.node(Research), g.node(Answer))
    return g.build()


class Planner:
    def __init__(self, model: Any) -> None:
        self.model = model
        self.visits: list[dict[str, Any]] = []

    def get_state(self) -> dict[str, Any]:
        return {"visits": self.visits}

    def load_state(self, state: dict[str, Any]) -> None:
        self.visits = list(state["visits"])

    def _deps(self) -> Deps:
        return Deps(agent=make_agent(self.model), researcher=make_agent(self.model, tools=True))

    async def run(self, question: str) -> str:
        state = Visit(question)
        answer = await build_nodes().run(state=state, deps=self._deps(), inputs=Plan())
        self.visits.append({"state": state, "answer": answer})
        return answer

    async def iterate(self, question: str) -> str:
        state = Visit(question)
        steps: list[list[str]] = []
        async with build_nodes().iter(state=state, deps=self._deps(), inputs=Plan()) as run:
            async for event in run:
                if isinstance(event, list):
                    steps.append([type(task.inputs).__name__ for task in event])
        self.visits.append({"state": state, "steps": steps, "answer": run.output})
        return str(run.output)

    async def step(self, question: str) -> str:
        state = Visit(question)
        async with build_nodes().iter(state=state, deps=self._deps(), inputs=Plan()) as run:
            event: Any = None
            count = 0
            while True:
                try:
                    event = await run.next(event)
                except StopAsyncIteration:
                    break
                count += 1
        self.visits.append({"state": state, "steps": count, "answer": run.output})
        return str(run.output)


def build_mapper(agent: Agent, polish: bool = False) -> Any:
    """``polish``: each branch runs two steps, ``summarise`` then ``polish``, before the join."""
    g = GraphBuilder(state_type=list, input_type=list[str], output_type=str)

    @g.step
    async def split(ctx: StepContext[list[str], None, list[str]]) -> list[str]:
        return ctx.inputs

    @g.step
    async def summarise(ctx: StepContext[list[str], None, str]) -> str:
        result = await agent.run(f"summarise {ctx.inputs}")
        ctx.state.append(ctx.inputs)  # the order the branches finished in
        return result.output

    @g.step
    async def polish_step(ctx: StepContext[list[str], None, str]) -> str:
        result = await agent.run(f"polish {ctx.inputs}")
        ctx.state.append(ctx.inputs)
        return result.output

    collect = g.join(reduce_list_append, initial_factory=list[str])

    @g.step
    async def merge(ctx: StepContext[list[str], None, list[str]]) -> str:
        result = await agent.run("merge " + " | ".join(ctx.inputs))
        return result.output

    g.add(
        g.edge_from(g.start_node).to(split),
        g.edge_from(split).map().to(summarise),
        *(
            [g.edge_from(summarise).to(polish_step), g.edge_from(polish_step).to(collect)]
            if polish
            else [g.edge_from(summarise).to(collect)]
        ),
        g.edge_from(collect).to(merge),
        g.edge_from(merge).to(g.end_node),
    )
    return g.build()


def build_streamed(agent: Agent) -> Any:
    """A stream step asks for one idea per topic and yields each as it comes; ``.map()`` starts
    a ``summarise`` branch per idea while the stream goes on."""
    g = GraphBuilder(state_type=list, input_type=list[str], output_type=str)

    @g.stream
    async def ideas(ctx: StepContext[list[str], None, list[str]]) -> AsyncIterator[str]:
        for topic in ctx.inputs:
            yield (await agent.run(f"idea {topic}")).output

    @g.step
    async def summarise(ctx: StepContext[list[str], None, str]) -> str:
        result = await agent.run(f"summarise {ctx.inputs}")
        ctx.state.append(ctx.inputs)
        return result.output

    collect = g.join(reduce_list_append, initial_factory=list[str])

    @g.step
    async def merge(ctx: StepContext[list[str], None, list[str]]) -> str:
        return (await agent.run("merge " + " | ".join(ctx.inputs))).output

    g.add(
        g.edge_from(g.start_node).to(ideas),
        g.edge_from(ideas).map().to(summarise),
        g.edge_from(summarise).to(collect),
        g.edge_from(collect).to(merge),
        g.edge_from(merge).to(g.end_node),
    )
    return g.build()


def build_drafts(agent: Agent) -> Any:
    """Each branch drafts, then polishes (two requests in one step), noting in the state when
    each answer came: the branches' answers interleave."""
    g = GraphBuilder(state_type=list, input_type=list[str], output_type=list[str])

    @g.step
    async def split(ctx: StepContext[list[str], None, list[str]]) -> list[str]:
        return ctx.inputs

    @g.step
    async def draft(ctx: StepContext[list[str], None, str]) -> str:
        first = (await agent.run(f"draft {ctx.inputs}")).output
        ctx.state.append(f"drafted {ctx.inputs}")
        final = (await agent.run(f"polish {ctx.inputs}: {first}")).output
        ctx.state.append(f"polished {ctx.inputs}")
        return final

    collect = g.join(reduce_list_append, initial_factory=list[str])
    g.add(
        g.edge_from(g.start_node).to(split),
        g.edge_from(split).map().to(draft),
        g.edge_from(draft).to(collect),
        g.edge_from(collect).to(g.end_node),
    )
    return g.build()


def build_broadcast(agent: Agent) -> Any:
    g = GraphBuilder(input_type=str, output_type=list[str])

    @g.step
    async def flights(ctx: StepContext[None, None, str]) -> str:
        return (await agent.run(f"flights {lookup('flights', ctx.inputs)}")).output

    @g.step
    async def hotels(ctx: StepContext[None, None, str]) -> str:
        return (await agent.run(f"hotels {lookup('hotels', ctx.inputs)}")).output

    collect = g.join(reduce_list_append, initial_factory=list[str])
    g.add(
        g.edge_from(g.start_node).to(flights, hotels),
        g.edge_from(flights, hotels).to(collect),
        g.edge_from(collect).to(g.end_node),
    )
    return g.build()


class Mapper:
    def __init__(self, model: Any) -> None:
        self.agent = make_agent(model)
        self.runs: list[dict[str, Any]] = []

    def get_state(self) -> dict[str, Any]:
        return {"runs": self.runs}

    def load_state(self, state: dict[str, Any]) -> None:
        self.runs = list(state["runs"])

    async def run(self, topics: list[str], polish: bool = False) -> str:
        finished: list[str] = []
        answer = await build_mapper(self.agent, polish).run(state=finished, inputs=topics)
        self.runs.append({"topics": topics, "finished": finished, "answer": answer})
        return answer

    async def streamed(self, topics: list[str]) -> str:
        finished: list[str] = []
        answer = await build_streamed(self.agent).run(state=finished, inputs=topics)
        self.runs.append({"topics": topics, "finished": finished, "answer": answer})
        return answer

    async def drafts(self, topics: list[str]) -> list[str]:
        events: list[str] = []
        answers = await build_drafts(self.agent).run(state=events, inputs=topics)
        self.runs.append({"topics": topics, "events": events, "answers": answers})
        return answers

    async def broadcast(self, question: str) -> list[str]:
        answers = await build_broadcast(self.agent).run(inputs=question)
        self.runs.append({"question": question, "answers": answers})
        return answers
