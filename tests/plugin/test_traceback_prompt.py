"""An agent that sends the traceback of a tool's error to the LLM (``traceback.format_exc()``,
as code-running agents do). A replayed call raises its recorded exception from the plugin's
code, not from the tool's, so the traceback lists other frames on every replay: the divergence
says so and gives the fix, rather than "the prompt or arguments changed" and a re-record that
diverges again."""

from __future__ import annotations

import pytest

APP = """
import traceback


def run_code(code):
    return eval(code)


def llm(prompt):
    return "I will fix the code"


def agent(code):
    try:
        return llm(f"result: {run_code(code)}")
    except Exception:
        return llm("the code failed:\\n" + traceback.format_exc())


def agent_with_text(code):
    try:
        return llm(f"result: {run_code(code)}")
    except Exception as exc:
        return llm("the code failed: " + "".join(traceback.format_exception_only(exc)))
"""

TEST = """
import pytest
import app


@pytest.mark.replay(mock={"tool": "app.run_code", "llm": "app.llm"})
def test_traceback(replay):
    replay.run(app.agent, "1/0")


@pytest.mark.replay(mock={"tool": "app.run_code", "llm": "app.llm"})
def test_text(replay):
    replay.run(app.agent_with_text, "1/0")
"""


def test_a_traceback_sent_to_the_llm_diverges_naming_the_cause_and_the_fix(
    pytester: pytest.Pytester,
) -> None:
    # Before the fix: "The prompt or arguments changed. If the change is intended, re-record"
    # below a diff of the plugin's frames; re-recording diverged again
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_agent=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*Only the frames of a traceback differ*format_exception_only*ignore=*",
        ]
    )
    assert "The prompt or arguments changed" not in result.stdout.str()
