"""The network guard and LangSmith tracing left on in the shell (``LANGSMITH_TRACING=true`` or
``LANGCHAIN_TRACING_V2=true``, with ``LANGSMITH_API_KEY``): the agent's ``@traceable`` runs
are uploaded by LangSmith's client, whose connection the replay blocks. The message said to
"mock the function that makes this call" or to allow the host, which would record LangSmith's
uploads as the agent's calls or send the replayed runs to the user's project. It now says the
connection is LangSmith's tracing and gives the fix that works: ``LANGSMITH_TRACING_V2=false``
for the test run (``LANGSMITH_TRACING=false`` alone leaves a ``LANGCHAIN_TRACING_V2=true``
in force, as LangSmith reads that first), with which the replay passes and nothing is sent."""

from __future__ import annotations

import pytest

APP = """
from langsmith import traceable
from langsmith.run_trees import get_cached_client
from langsmith.utils import tracing_is_enabled


def complete(prompt):
    return "answer to " + prompt


class Agent:
    def __init__(self):
        self.answers = []

    def get_state(self):
        return {"answers": self.answers}

    def load_state(self, state):
        self.answers = list(state["answers"])

    @traceable(name="agent.run")
    def ask(self, question):
        return complete(question)

    def run(self, question):
        answer = self.ask(question)
        if tracing_is_enabled():  # (the runs uploaded now, not at some later time; with
            get_cached_client().flush()  # tracing off no client is made: it would connect)
        self.answers.append(answer)
        return answer
"""

TEST = """
import pytest
from traced_app import Agent

@pytest.mark.replay("g.ckpt", mock={"llm": "traced_app.complete"})
def test_traced(replay):
    assert replay.run(Agent().run, "Oslo?") == "answer to Oslo?"
"""

KEY = "lsv2_pt_0123456789abcdef0123456789abcdef_0123456789"


@pytest.mark.parametrize("switch", ["LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2"])
def test_langsmith_tracing_left_on_is_named_with_a_fix_that_works(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, switch: str
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(traced_app=APP, test_traced=TEST)
    for name in ("LANGSMITH_TRACING", "LANGCHAIN_TRACING_V2", "LANGSMITH_TRACING_V2"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LANGSMITH_API_KEY", KEY)
    monkeypatch.setenv("LANGSMITH_ENDPOINT", "http://127.0.0.1:9")  # (nothing listens there)
    pytester.runpytest_subprocess("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv(switch, "true")
    result = pytester.runpytest_subprocess()
    result.assert_outcomes(failed=1)
    text = result.stdout.str()
    result.stdout.fnmatch_lines(
        [
            "*tried to connect to 127.0.0.1 port 9 during the replay*",
            "*LangSmith*LANGSMITH_TRACING_V2=false*",
        ]
    )
    assert "Mock the function that makes this call" not in text
    assert KEY not in text
    monkeypatch.setenv("LANGSMITH_TRACING_V2", "false")  # the fix the message gives
    pytester.runpytest_subprocess().assert_outcomes(passed=1)


def test_a_langsmith_upload_from_a_thread_the_test_did_not_start_warns_with_the_same_fix() -> None:
    """LangSmith's uploading thread started by an earlier test: its blocked connection is a
    warning, which said to allow the host (sending the replayed runs to the project)."""
    from pytest_clearstone.errors import NetworkBlockedWarning

    text = str(NetworkBlockedWarning("127.0.0.1", 9, "t.py::t", thread="T", telemetry="langsmith"))
    assert "LANGSMITH_TRACING_V2=false" in text
    assert "allow the host with the ini option" not in text
    plain = str(NetworkBlockedWarning("127.0.0.1", 9, "t.py::t", thread="T"))
    assert "allow the host with the ini option clearstone_allow_hosts" in plain
