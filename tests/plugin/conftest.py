"""Shared pieces of the end-to-end plugin tests: a small agent project written into pytester."""

from __future__ import annotations

import sys
import textwrap

import pytest

from tests.inner_runs import LEAN_ADDOPTS

APP = """
import random
import time
import uuid

LIVE_CALLS = []


def complete(prompt, model="small"):
    LIVE_CALLS.append(prompt)
    return f"{PREFIX} answer to <{prompt}> ({random.random():.6f})"


class Tools:
    def search(self, query):
        LIVE_CALLS.append(query)
        return {"hits": len(query), "query": query}

    @classmethod
    def create_ticket(cls, title):
        LIVE_CALLS.append(title)
        return {"ticket": "T-" + str(len(title))}


class Agent:
    def __init__(self):
        self.memory = []
        self.total_cost = 0.0

    def get_state(self):
        return {"memory": self.memory, "total_cost": self.total_cost}

    def load_state(self, state):
        self.memory = list(state["memory"])
        self.total_cost = state["total_cost"]

    def handle(self, message):
        started = time.time()
        answer = complete(PROMPT.format(message=message))
        hits = Tools().search(SEARCH.format(message=message))
        for _ in range(TICKETS):
            Tools.create_ticket(message[:10])
        self.memory.append({
            "id": str(uuid.uuid4()), "at": started, "answer": answer, "hits": hits["hits"],
            "noise": random.random(),
        })
        self.total_cost += COST
        return RESULT.format(answer=answer)
"""

DEFAULTS = {
    "PREFIX": "LLM",
    "PROMPT": "User says: {message}",
    "SEARCH": "{message}",
    "TICKETS": 1,
    "COST": 0.01,
    "RESULT": "{answer}",
}

TEST = """
import pytest
from app import Agent


@pytest.mark.replay("goldens/billing.ckpt", mock={
    "llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]})
def test_billing(replay):
    agent = Agent()
    answer = replay.run(agent.handle, "I was charged twice")
    assert "answer to" in answer
"""


class Project:
    """An agent app and a golden test inside a pytester directory."""

    def __init__(self, pytester: pytest.Pytester) -> None:
        self.pytester = pytester
        pytester.syspathinsert()
        self.write_app()
        pytester.makepyfile(test_agent=TEST)
        self.golden = pytester.path / "goldens" / "billing.ckpt"

    def write_app(self, **changes: object) -> None:
        values = {**DEFAULTS, **changes}
        header = "\n".join(f"{k} = {v!r}" for k, v in values.items())
        self.pytester.makepyfile(app=header + "\n" + textwrap.dedent(APP))

    def record(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest("--clearstone-record", *args)

    def replay(self, *args: str) -> pytest.RunResult:
        return self.pytester.runpytest(*args)


@pytest.fixture(autouse=True)
def _lean_inner_runs(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> None:
    """Inner pytest runs skip the hypothesis plugin (a second to import, again per run, since
    pytester restores sys.modules) and the cache (:mod:`tests.inner_runs`), and write no
    bytecode: a module a test rewrites with a value of the same length in the same second
    (``TICKETS = 1`` -> ``2``) would be imported from the ``.pyc`` of the old text, whose
    recorded size and modification time still match."""
    if "pytester" in request.fixturenames:
        # set up first: setting up pytester deletes PYTEST_ADDOPTS
        request.getfixturevalue("pytester")
    monkeypatch.setenv("PYTEST_ADDOPTS", LEAN_ADDOPTS)
    monkeypatch.setenv("PYTHONDONTWRITEBYTECODE", "1")  # (runs in a subprocess)
    monkeypatch.setattr(sys, "dont_write_bytecode", True)


@pytest.fixture
def project(pytester: pytest.Pytester) -> Project:
    return Project(pytester)


def esc(pattern: str) -> str:
    """Escape ``[`` for fnmatch_lines (it would start a character class)."""
    return pattern.replace("[", "[[]")
