"""A failure in a job the agent hands to a thread pool (LangChain's ``batch`` and
``RunnableParallel``, LangGraph's parallel nodes, ``executor.map``) is reported through the
agent's frames and the pool's, not through the plugin's: the frames that run each job in its
branch of execution are hidden, as the plugin's other helper frames are."""

from __future__ import annotations

import textwrap

import pytest

APP = """
from concurrent.futures import ThreadPoolExecutor

PROMPT = "a"


def llm(prompt):
    if prompt == "boom":
        raise ValueError("the agent's own error")
    return "answer to " + prompt


def run(prompts):
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(llm, [PROMPT + p for p in prompts]))
"""

TEST = """
import pytest
import app

@pytest.mark.replay("g.ckpt", mock={"llm": "app.ask"})
def test_it(replay):
    replay.run(app.run, ["1", "2"])
"""

WRAPPER = """

def ask(prompt):
    return llm(prompt)


def run(prompts):
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(ask, [PROMPT + p for p in prompts]))
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(APP) + textwrap.dedent(WRAPPER), test_it=textwrap.dedent(TEST)
    )
    return pytester


def test_a_divergence_in_a_pool_job_shows_no_plugin_frame(project: pytest.Pytester) -> None:
    project.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    project.makepyfile(
        app=(textwrap.dedent(APP) + textwrap.dedent(WRAPPER)).replace(
            'PROMPT = "a"', 'PROMPT = "z"'
        )
    )
    result = project.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*", "*: 'a1' -> 'z1'"])
    assert "pytest_clearstone" + "/golden/threads.py" not in result.stdout.str()


def test_the_agents_own_error_in_a_pool_job_shows_no_plugin_frame(
    project: pytest.Pytester,
) -> None:
    project.makepyfile(
        app=(textwrap.dedent(APP) + textwrap.dedent(WRAPPER))
        .replace('PROMPT = "a"', 'PROMPT = "boom"')
        .replace("PROMPT + p", "PROMPT")
    )
    result = project.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ValueError: the agent's own error"])
    assert "pytest_clearstone" + "/golden/threads.py" not in result.stdout.str()
