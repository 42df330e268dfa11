"""Agents on the real async SDK clients (``AsyncOpenAI``, ``AsyncAnthropic``) run by trio
(``trio.run``, and anyio's ``trio`` backend: httpx runs on trio through anyio), recorded, replayed
and re-recorded with their HTTP answered by the local mock services. (pydantic-ai runs on asyncio
only: its agent starts asyncio tasks.)"""

from __future__ import annotations

import pytest

from .harness import Stack

pytest.importorskip("trio")

OPENAI = "openai.resources.chat.completions.AsyncCompletions.create"
ANTHROPIC = "anthropic.resources.messages.AsyncMessages.create"

SCENARIOS = {
    "openai_answer": (
        "openai_agent",
        f"""
import trio, pytest
import openai_agent as app

@pytest.mark.replay("goldens/a.ckpt", mock={{"llm": "{OPENAI}"}})
def test_it(replay, async_openai_client):
    agent = app.AsyncAgent(async_openai_client)
    assert trio.run(replay.run, agent.answer, "Trains to Porto?").startswith("Answer to")
""",
    ),
    "openai_stream_anyio": (
        "openai_agent",
        f"""
import pytest
import openai_agent as app

@pytest.fixture
def anyio_backend():
    return "trio"

# (openai's stream leaves async generators for the garbage collector, which trio warns of)
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
@pytest.mark.anyio
@pytest.mark.replay("goldens/b.ckpt", mock={{"llm": "{OPENAI}"}})
async def test_it(replay, async_openai_client):
    agent = app.AsyncAgent(async_openai_client)
    assert (await replay.run(agent.stream, "Trains to Porto?")).startswith("Answer to")
""",
    ),
    "anthropic_anyio": (
        "anthropic_agent",
        f"""
import pytest
import anthropic_agent as app

@pytest.fixture
def anyio_backend():
    return "trio"

@pytest.mark.anyio
@pytest.mark.replay("goldens/c.ckpt", mock={{"llm": "{ANTHROPIC}"}})
async def test_it(replay, async_anthropic_client):
    agent = app.ResearchAgent(async_anthropic_client)
    assert await replay.run(agent.amessage, "Coral?") == "Answer to 'Coral?'"
    assert await replay.run(agent.astream, "Fjords?") == "Answer to 'Fjords?'"
""",
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_records_and_replays_on_trio(make_stack, name: str) -> None:
    module, source = SCENARIOS[name]
    stack: Stack = make_stack(module)
    stack.write_test(name, source)
    stack.record("-p", "anyio")
    stack.replay_passes("-p", "anyio")
    stack.replay_passes("-p", "anyio")
    again = stack.record("-p", "anyio")
    again.stdout.fnmatch_lines(["*.ckpt: unchanged"])
    stack.check_no_secret_on_disk()
    stack.check_goldens_readable()
