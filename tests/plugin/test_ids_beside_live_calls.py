"""Ids drawn beside a live call: while a sync target's live call runs in one thread of the agent
(a thread-pool job, a sync tool pydantic-ai runs in a worker thread), the agent's other threads go
on drawing their seeded ids, as they do on replay, where no call runs live. Before the fix a live
call made every thread of the process draw real ids while it ran, so an id another job put in
its call's arguments was a real one in the golden, and every replay diverged on it."""

from __future__ import annotations

import textwrap

import pytest

APP = """
import os
import random
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

ALPHA_LIVE = threading.Event()
BETA_DREW = threading.Event()


def search(query):
    # live: alpha's call is still running when beta draws its id (recording only: a replayed
    # call does not run its body)
    if query.startswith("alpha"):
        ALPHA_LIVE.set()
        BETA_DREW.wait(10)
    return {"query": query}


def work(topic):
    if topic == "beta" and os.environ.get("OVERLAP"):
        ALPHA_LIVE.wait(10)
    request_id = uuid.uuid4()
    seed = random.Random().randint(0, 10**9)
    if topic == "beta":
        BETA_DREW.set()
    return search(f"{topic} {request_id} {seed}")


class Agent:
    def __init__(self):
        self.found = []

    def run(self, topics):
        with ThreadPoolExecutor(2) as pool:
            self.found = list(pool.map(work, topics))
        return self.found
"""

TEST = """
import pytest
from app import Agent

@pytest.mark.replay("g.ckpt", mock={"tool": "app.search"})
def test_it(replay):
    replay.run(Agent().run, ["alpha", "beta"])
"""


def test_ids_a_job_draws_while_another_jobs_call_runs_live_are_seeded(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TEST))
    monkeypatch.setenv("OVERLAP", "1")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.delenv("OVERLAP")
    for _ in range(3):
        pytester.runpytest().assert_outcomes(passed=1)
