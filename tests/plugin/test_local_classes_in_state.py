"""A dataclass, enum or pydantic model whose class is defined inside a function (the test
function, a factory) held in the agent's state or returned by its run could not be recorded, and
the refusal proposed allowing pickles or registering an encoder — or, where dill cannot pickle
the class either (an enum, a pydantic model), making the value "JSON-friendly" — but never the
one fix that stores it readably: defining the class at module level. It now says the class is
defined inside a function and to define it at module level, which records and replays."""

from __future__ import annotations

import pytest

TEST = """
import dataclasses
import enum

import pydantic
import pytest

LOCAL_CLASSES_AT_MODULE_LEVEL


def llm(prompt):
    return "ok"


class Agent:
    def __init__(self, value):
        self.value = value

    def step(self, q):
        llm(q)
        return self.value


def make():
    CLASSES
    return Note, Mode, Verdict


@pytest.mark.replay(mock={"llm": "test_local.llm"})
@pytest.mark.parametrize("kind", [0, 1, 2])
def test_local(replay, kind):
    value = [Note("a"), Mode.FAST, Verdict(ok=True)][kind]
    assert replay.run(Agent(value).step, "go") == value
"""

CLASSES = """
@dataclasses.dataclass
class Note:
    text: str


class Mode(enum.Enum):
    FAST = 1


class Verdict(pydantic.BaseModel):
    ok: bool
"""


def _test(local: bool) -> str:
    if local:
        inner = CLASSES.strip().replace("\n", "\n    ")
        return TEST.replace("LOCAL_CLASSES_AT_MODULE_LEVEL", "").replace("CLASSES", inner) + (
            "\n\nNote, Mode, Verdict = make()\n"
        )
    return TEST.replace("LOCAL_CLASSES_AT_MODULE_LEVEL", CLASSES).replace("CLASSES", "pass")


def test_a_value_of_a_class_defined_in_a_function_names_the_fix(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_local=_test(local=True))
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=3)
    text = " ".join(result.stdout.str().split())
    for name in ("Note", "Mode", "Verdict"):
        assert (
            f"(a test_local.make.<locals>.{name}): its class is defined inside a function, so "
            "no import path names it and a replay cannot rebuild it. Define the class at module "
            "level (of the test file or the agent's module), where the golden can name it"
        ) in text, text
    assert "Make the value JSON-friendly" not in text
    pytester.makepyfile(test_local=_test(local=False))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=3)
    pytester.runpytest().assert_outcomes(passed=3)
