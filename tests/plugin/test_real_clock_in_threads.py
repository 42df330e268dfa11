"""Parallel jobs that call a sync mock target and then read the clock: when recorded, a sync
target's live call puts the whole process on the real clock while it runs, so a job that reads
``datetime.now()`` while another job's call is still live (a LangGraph node or ``@task`` run on
the thread pool, stamping its result after its model call) records a real time, which no replay
gives. The failure said only that the clock was read outside the frozen clock (a fixture, import,
``time.monotonic()``, a ticking clock) and to read it inside the test's call, where the agent
already read it; it now names the overlapping live calls of the sync target and the fix."""

from __future__ import annotations

import pytest

APP = """
import datetime as dt
import time
from concurrent.futures import ThreadPoolExecutor


def llm(prompt):
    time.sleep(0.2)  # (live: the calls of the jobs overlap)
    return prompt.upper()


def job(prompt):
    answer = llm(prompt)
    return {"answer": answer, "at": dt.datetime.now().isoformat()}


class Agent:
    def __init__(self):
        self.done = []

    def run(self, prompts):
        with ThreadPoolExecutor(max_workers=len(prompts)) as pool:
            self.done = list(pool.map(job, prompts))
        return len(self.done)

    def merge(self, prompts):
        self.run(prompts)
        return llm("merge " + " ".join(sorted(job["at"] for job in self.done)))
"""

TEST = """
import pytest

import app


@pytest.mark.replay("jobs.ckpt", mock={"llm": "app.llm"})
def test_jobs(replay):
    replay.run(app.Agent().run, ["a", "b", "c"])


@pytest.mark.replay("merge.ckpt", mock={"llm": "app.llm"})
def test_merge(replay):
    replay.run(app.Agent().merge, ["a", "b", "c"])
"""


def test_times_read_beside_live_sync_calls_in_threads_name_the_calls_and_the_fix(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(app=APP, test_jobs=TEST)
    pytester.syspathinsert()
    pytester.runpytest_subprocess("-p", "no:randomly", "--clearstone-record").assert_outcomes(
        passed=2
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(failed=2)
    for test, error in (
        ("test_jobs", "GoldenMismatchError"),
        ("test_merge", "ReplayDivergenceError"),
    ):
        text = _failure(result.stdout.str(), test)
        assert error in text
        assert "Only clock readings differ" in text
        assert "When recorded, live calls to app.llm ran at the same time in threads" in text
        assert "make the target async" in text


def test_datetimes_kept_beside_live_sync_calls_in_threads_name_the_calls_and_the_fix(
    pytester: pytest.Pytester,
) -> None:
    """A job that keeps ``datetime.now()`` as it is (not as text): before, the delta of
    datetimes was given with no cause, as if the agent had changed."""
    app = APP.replace('"at": dt.datetime.now().isoformat()', '"at": dt.datetime.now()')
    assert app != APP
    pytester.makepyfile(app=app, test_jobs=TEST.split('\n\n\n@pytest.mark.replay("merge')[0])
    pytester.syspathinsert()
    pytester.runpytest_subprocess("-p", "no:randomly", "--clearstone-record").assert_outcomes(
        passed=1
    )
    result = pytester.runpytest_subprocess("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    text = _failure(result.stdout.str(), "test_jobs")
    assert "GoldenMismatchError" in text and "datetime.datetime(" in text
    assert "Only clock readings differ" in text
    assert "When recorded, live calls to app.llm ran at the same time in threads" in text


def _failure(output: str, test: str) -> str:
    """The section of ``output`` reporting the failure of ``test``."""
    start = output.index(f"_ {test} _")
    end = output.find("\n____", start + 1)
    return output[start:] if end < 0 else output[start:end]
