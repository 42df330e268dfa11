"""The arguments a test gives ``replay.run()`` are not written to the golden, but the agent may
keep them: a value given under a secret name (``api_key=``, a header only the header rule
covers, ``X-Gateway-Key``) is a secret seen during the run, as the same value under that name
in a recorded call's arguments or in the state is, so a golden holding it where the agent kept
it under another name is refused (``SecretLeakError``), and nothing is written."""

from __future__ import annotations

import pytest

#: no pattern knows this format: only its name tells it is a secret
KEY = "gw-7f3a9b2c1d4e5f60a1b2"

APP = """
def complete(prompt):
    return "ok:" + prompt


class Agent:
    def __init__(self):
        self.context = []

    def ask(self, q, api_key=None, headers=None, keep=True):
        if keep:  # (kept under names no rule covers)
            self.context = [api_key, headers and dict(headers)]
        return complete(q)
"""

CALLS = {
    "keyword": 'Agent().ask, "q", api_key=KEY',
    "positional": 'Agent().ask, "q", KEY',
    "header": 'Agent().ask, "q", headers={"X-Gateway-Key": KEY, "X-Team": "search"}',
    "partial": 'functools.partial(Agent().ask, api_key=KEY), "q"',
}

TEST = """
import functools
import os

import pytest
from app import Agent

KEY = os.environ["GATEWAY"]


@pytest.mark.replay(mock={{"llm": "app.complete"}})
def test_ask(replay):
    assert replay.run({call}) == "ok:q"
"""


@pytest.mark.parametrize("call", CALLS.values(), ids=CALLS.keys())
def test_a_secret_given_to_run_and_kept_by_the_agent_refuses_the_golden(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, call: str
) -> None:
    monkeypatch.setenv("GATEWAY", KEY)  # (a variable whose name no rule covers)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_agent=TEST.format(call=call))
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    where = "'X-Gateway-Key'" if "headers" in call else "'api_key'"
    kept = "X-Gateway-Key" if "headers" in call else "context"
    result.stdout.fnmatch_lines(
        [
            f"*the golden checkpoint was not written: *test_ask.ckpt: the value at {where} in "
            "the arguments given to replay.run(ask) is in the outcome at "
            "outcome*'final_state'*'context'*(the value is not shown here). The test gave it "
            "to replay.run() and the agent kept it under a name no redaction rule covers: let "
            "the agent read the secret where it uses it (from the environment, or a fixture it "
            "is given) rather than keep it, or redact the name it keeps it under (ini "
            f"clearstone_redact_keys = {kept}, or the pytest_clearstone_redact hook)*"
        ]
    )
    assert not (pytester.path / "goldens").exists()


def test_a_secret_given_to_run_that_the_agent_does_not_keep_records_and_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GATEWAY", KEY)
    pytester.syspathinsert()
    call = 'Agent().ask, "q", api_key=KEY, headers={"X-Gateway-Key": KEY}, keep=False'
    pytester.makepyfile(app=APP, test_agent=TEST.format(call=call))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_agent" / "test_ask.ckpt"
    assert KEY not in golden.read_text()
    pytester.runpytest().assert_outcomes(passed=1)
