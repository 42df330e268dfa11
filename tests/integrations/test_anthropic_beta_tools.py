"""A ``@beta_tool`` (a ``BetaFunctionTool`` instance) as a mock target, under anthropic's beta
tool runner: it stays a tool while patched, so the runner still reads its name and schema and
calls it; its calls are recorded and replayed. Before the fix the tool was replaced by a plain
function, which the runner sent on to ``create``: recording failed with "storing the repr of a
function value at tools.0" (or a ``TypeError`` from the SDK's JSON encoder)."""

from __future__ import annotations

import anthropic  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

BETA_CREATE = "anthropic.resources.beta.messages.Messages.create"
BETA_ACREATE = "anthropic.resources.beta.messages.AsyncMessages.create"

HEADER = """
import asyncio

import pytest

import anthropic_tools_agent as app
"""

SYNC = f"""
@pytest.mark.replay("goldens/beta_tool.ckpt",
                    mock={{"llm": "{BETA_CREATE}", "tool": "anthropic_tools_agent.get_weather"}})
def test_it(replay, anthropic_client):
    agent = app.Forecaster(anthropic_client)
    answer = replay.run(agent.forecast, "Bergen")
    assert '"city": "Bergen #0"' in answer
"""

ASYNC = f"""
@pytest.mark.replay("goldens/beta_async_tool.ckpt",
                    mock={{"llm": "{BETA_ACREATE}", "tool": "anthropic_tools_agent.aget_weather"}})
def test_it(replay, async_anthropic_client):
    agent = app.Forecaster(async_anthropic_client)
    answer = asyncio.run(replay.run(agent.aforecast, "Tromso"))
    assert '"city": "Tromso #0"' in answer
"""


@pytest.fixture
def stack(make_stack) -> Stack:
    return make_stack("anthropic_tools_agent")


@pytest.mark.parametrize("source", [SYNC, ASYNC], ids=["beta_tool", "beta_async_tool"])
def test_a_beta_tool_target_records_and_replays(stack: Stack, source: str) -> None:
    stack.write_test("tool", HEADER + source)
    stack.roundtrip()


@pytest.mark.parametrize("source", [SYNC, ASYNC], ids=["beta_tool", "beta_async_tool"])
def test_the_tool_is_answered_from_the_golden_and_its_schema_compared(
    stack: Stack, source: str
) -> None:
    stack.write_test("tool", HEADER + source)
    stack.record()
    # the tool's body does not run on replay: its recorded output is given (a changed output
    # shows only when re-recorded)
    stack.edit("anthropic_tools_agent", 'UNIT = "celsius"', 'UNIT = "kelvin!"')
    stack.replay_passes()
    # the runner still reads the patched tool's schema: a changed description is a changed
    # request to the model
    stack.edit(
        "anthropic_tools_agent", "Get the weather for a city.", "Get the forecast for a town."
    )
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*beta.messages*Messages.create*"])
    result.stdout.fnmatch_lines(["*Get the weather for a city.*"])
