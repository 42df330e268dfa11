"""A divergence message lists only what the comparison took as different: a value recorded as a
placeholder naming its type (a function, a lock: only a pickle could store it) equals a live
value of that type, inside a dataclass, a pydantic model or an attrs class as inside a dict.
Before, the equality went into those classes but the message did not: every placeholder in them
was listed as a change, with the live value's memory address, before the real change
(LangGraph's ``config['configurable']['__pregel_runtime'].control: <... not stored ...> ->
<langgraph.runtime.RunControl object at 0x7f...>``)."""

from __future__ import annotations

import pytest

APP = """
import dataclasses
import os
import threading
from typing import Any, Callable

import attrs
import pydantic


@dataclasses.dataclass
class Runtime:
    writer: Callable[..., Any]
    step: int


class Scratchpad(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)
    counter: Callable[[], int]
    resume: list[str]


@attrs.define
class Control:
    lock: Any
    tries: int


def llm(prompt, config):
    return f"answer to {prompt}"


class Agent:
    def run(self, question):
        # fresh callables and locks each run, as LangGraph's Runtime and scratchpad hold
        config = {
            "configurable": {
                "runtime": Runtime(writer=lambda *a: None, step=int(os.environ.get("STEP", "1"))),
                "scratchpad": Scratchpad(counter=lambda: 0, resume=[]),
                "control": Control(lock=threading.Lock(), tries=1),
            },
        }
        return llm(os.environ.get("PREFIX", "ask") + " " + question, config)
"""

TEST = """
import pytest

import app


@pytest.mark.replay("goldens/noise.ckpt", mock={"llm": "app.llm"})
def test_noise(replay):
    assert replay.run(app.Agent().run, "x").startswith("answer")
"""


@pytest.fixture
def recorded(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_noise=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)  # the placeholders equal the live values
    return pytester


def _delta(result: pytest.RunResult) -> list[str]:
    lines = result.stdout.lines
    start = next(i for i, line in enumerate(lines) if "recorded -> actual:" in line)
    end = next(i for i, line in enumerate(lines) if i > start and "re-record with" in line)
    return [line.split("E", 1)[1].strip() for line in lines[start + 1 : end]]


def test_a_changed_prompt_is_the_only_line(
    recorded: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREFIX", "Ask")
    result = recorded.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*replay diverged at call #1 to app.llm*"])
    assert _delta(result) == ["root['prompt']: 'ask x' -> 'Ask x'"]


def test_a_real_change_inside_a_dataclass_is_shown_and_its_placeholders_are_not(
    recorded: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("STEP", "2")
    result = recorded.runpytest()
    result.assert_outcomes(failed=1)
    assert _delta(result) == ["root['config']['configurable']['runtime'].step: 1 -> 2"]
