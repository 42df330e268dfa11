"""Agent shapes: async agents, class-method clients, checkpoints made by application code."""

from __future__ import annotations

ASYNC_APP = """
import asyncio


class Client:
    async def complete(self, prompt):
        await asyncio.sleep(0)
        return f"{PREFIX}: {prompt}"


async def lookup(key):
    await asyncio.sleep(0)
    return {"key": key, "value": len(key)}


class AsyncAgent:
    def __init__(self):
        self.client = Client()
        self.log = []

    def get_state(self):
        return {"log": self.log}

    def load_state(self, state):
        self.log = list(state["log"])

    async def ahandle(self, message):
        answer = await self.client.complete(message)
        a, b = await asyncio.gather(lookup("a" + message), lookup("b" + message))
        self.log.append([answer, a["value"], b["value"]])
        return answer
"""

ASYNC_TEST = """
import asyncio
import pytest
from async_app import AsyncAgent


@pytest.mark.replay("goldens/async.ckpt", mock={
    "llm": "async_app.Client.complete", "tool": "async_app.lookup"})
def test_async(replay):
    agent = AsyncAgent()
    answer = asyncio.run(replay.run(agent.ahandle, "hello"))
    assert answer.endswith("hello")
    assert [c.target for c in replay.calls][0] == "async_app.Client.complete"
"""


def test_async_agent_records_and_replays(pytester):
    pytester.syspathinsert()
    pytester.makepyfile(async_app="PREFIX = 'live'\n" + ASYNC_APP, test_async=ASYNC_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.makepyfile(async_app="PREFIX = 'changed'\n" + ASYNC_APP)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)  # the recorded 'live: hello', not the changed client
    result.stdout.fnmatch_lines(["*1 checkpoint(s) replayed*"])


APP_MADE = """
from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.observability import TracerProvider


def call_llm(prompt):
    return "live: " + prompt


class ResearchAgent:
    def __init__(self):
        self.memory = []

    def research(self, query):
        result = call_llm(query)
        self.memory.append({"query": query, "result": result})
        return result


def record_in_production(db, directory):
    provider = TracerProvider(db_path=db)
    tracer = provider.get_tracer("research")
    traced_llm = tracer.traced(span_type="llm", name="call_llm")(call_llm)
    agent = ResearchAgent()
    with tracer.span("workflow") as root:
        with tracer.span("query_1"):
            agent.memory.append({"query": "q1", "result": traced_llm("q1")})
        with tracer.span("query_2") as span:
            checkpoint_span = span.span_id
            state_agent = ResearchAgent()
            state_agent.memory = list(agent.memory)
            traced_llm("q2")
    provider.shutdown()
    manager = CheckpointManager(directory)
    trace = provider.trace_store.get_trace(root.trace_id)
    checkpoint = manager.create_checkpoint(state_agent, trace, checkpoint_span)
    return manager.save_checkpoint(checkpoint, filename="prod.ckpt")
"""


def test_checkpoint_made_by_application_code_replays_through_the_marker(pytester):
    pytester.syspathinsert()
    pytester.makepyfile(research_app=APP_MADE)
    pytester.makepyfile(
        make="""
        import research_app
        research_app.record_in_production("traces.db", "goldens")
        """
    )
    pytester.runpython(pytester.path / "make.py")
    assert (pytester.path / "goldens" / "prod.ckpt").is_file()
    pytester.makepyfile(
        test_prod="""
        import pytest

        @pytest.mark.replay("goldens/prod.ckpt", mock={"llm": "research_app.call_llm"})
        def test_replays_query_2(replay):
            result = replay.run("research", "q2")
            assert result == "live: q2"          # query_2's recorded answer
            assert replay.agent.memory[0] == {"query": "q1", "result": "live: q1"}
            assert replay.checkpoint.span.name == "query_2"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_an_application_checkpoint_whose_call_spans_hold_no_arguments_replays_strictly(pytester):
    # (the plugin refuses a golden of its own whose call lost its arguments: it would compare
    # nothing; a checkpoint application code made from spans it opened by hand never had them)
    pytester.syspathinsert()
    pytester.makepyfile(
        research_app=APP_MADE.replace(
            '            traced_llm("q2")',
            '            with tracer.span("call_llm", span_type="llm") as llm:\n'
            '                llm.set_output("live: q2")',
        )
    )
    pytester.makepyfile(
        make="""
        import research_app
        research_app.record_in_production("traces.db", "goldens")
        """
    )
    pytester.runpython(pytester.path / "make.py")
    pytester.makepyfile(
        test_prod="""
        import pytest

        @pytest.mark.replay("goldens/prod.ckpt", mock={"llm": "research_app.call_llm"})
        def test_replays_query_2(replay):
            assert replay.run("research", "q2") == "live: q2"
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_checkpoint_fixture_gives_the_golden(project, pytester):
    project.record().assert_outcomes(passed=1)
    pytester.makepyfile(
        test_ckpt="""
        import pytest

        @pytest.mark.replay("goldens/billing.ckpt", mock={"llm": "app.complete"}, strict=False)
        def test_it(checkpoint):
            assert checkpoint.agent_class_name == "Agent"
            assert checkpoint.outcome["function"] == "handle"
            assert [s.span_type for s in checkpoint.trace.spans[1:]] == ["llm", "tool", "tool"]
        """
    )
    project.replay("test_ckpt.py").assert_outcomes(passed=1)


def test_method_name_in_record_mode_without_a_checkpoint_says_what_to_do(project, pytester):
    pytester.makepyfile(
        test_agent="""
        import pytest

        @pytest.mark.replay("goldens/none.ckpt", mock={"llm": "app.complete"})
        def test_it(replay):
            replay.run("handle", "hi")
        """
    )
    result = project.record()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*pass a bound method: replay.run(agent.method, ...)*"])


LOGGING_APP = """
import logging


def llm(prompt):
    return prompt.upper()


class Agent:
    def __init__(self):
        self.log = logging.getLogger("support.agent")
        self.turns = []

    def ask(self, q):
        self.log.info("asking %s", q)
        self.turns.append(llm(q))
        return self.turns[-1]
"""

LOGGING_TEST = """
import logging

import pytest
from logging_app import Agent


@pytest.mark.replay("g.ckpt", mock={"llm": "logging_app.llm"})
def test_it(replay):
    assert replay.run(Agent().ask, "hi") == "HI"
    assert replay.agent.log is logging.getLogger("support.agent")
"""


def test_an_agent_keeping_a_logger_replays_with_the_logger_of_its_name(pytester):
    # (was recorded green as the logger's repr, with a warning; every replay then failed:
    # "'info': this logging.Logger is a placeholder")
    pytester.syspathinsert()
    pytester.makepyfile(logging_app=LOGGING_APP, test_it=LOGGING_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    golden = (pytester.path / "g.ckpt").read_text()
    assert '"__cs__": "logger"' in golden and '"__cs__": "repr"' not in golden


PYDANTIC_APP = """
import pydantic


def llm(prompt):
    return prompt.upper()


class Agent(pydantic.BaseModel):
    model: str = "small"
    _turns: list = pydantic.PrivateAttr(default_factory=list)

    def ask(self, q):
        self._turns.append(llm(q))
        return self._turns[-1]
"""

PYDANTIC_TEST = """
import pytest
from pydantic_app import Agent


@pytest.mark.replay("g.ckpt", mock={"llm": "pydantic_app.llm"})
def test_it(replay):
    assert replay.run(Agent().ask, "hi") == "HI"
"""


def test_a_pydantic_agents_private_attributes_are_its_state(pytester):
    # (were left out: a run that changed the memory kept in _turns replayed green)
    pytester.syspathinsert()
    pytester.makepyfile(pydantic_app=PYDANTIC_APP, test_it=PYDANTIC_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.makepyfile(
        pydantic_app=PYDANTIC_APP.replace(
            "self._turns.append(llm(q))", "self._turns += [llm(q), 'extra']"
        ).replace("self._turns[-1]", "self._turns[-2]")
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    assert "root['_turns'][1]: added 'extra'" in result.stdout.str()
