"""``replay.run("method")`` several times in one test (a conversation with the agent of the
golden): the agent rehydrated from the golden before the first call is the one each later call
continues, in a recording as in a replay, as it is for ``replay.agent``."""

from __future__ import annotations

TEST = """
import pytest
from app import Agent


@pytest.mark.replay("goldens/billing.ckpt", mock={
    "llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]})
def test_billing(replay):
    if replay.checkpoint is None:  # (the first recording: no agent to rehydrate yet)
        agent = Agent()
        replay.run(agent.handle, "hello")
        replay.run(agent.handle, "again")
    else:
        before = len(replay.agent.memory)
        replay.run("handle", "hello")
        replay.run("handle", "again")
        assert len(replay.agent.memory) == before + 2
"""


def test_a_conversation_by_method_name_re_records_and_replays(project, pytester) -> None:
    pytester.makepyfile(test_agent=TEST)
    project.record().assert_outcomes(passed=1)
    project.replay().assert_outcomes(passed=1)  # the agent of the golden, two turns
    # re-recorded over the golden: each turn continues the agent of the one before
    project.record().assert_outcomes(passed=1)
    project.replay().assert_outcomes(passed=1)
