"""A dataclass whose class a library made at run time (``dataclasses.make_dataclass``: fastmcp's
``CallToolResult.data`` is an instance of a class built from the tool's output schema) and
that its module does not hold under its name was recorded as ``{"cls": "types:echoOutput"}``,
a path no import finds: the recording failed afterwards with ``StoredClassError: cannot import
'types:echoOutput'``, naming neither the value nor a fix. It is now refused as it is stored,
naming where it is, its class and the fix."""

from __future__ import annotations

import pytest

TEST = """
import dataclasses

import pytest

def schema_type(name):  # (as fastmcp builds the class of a tool's structured result)
    return dataclasses.make_dataclass(name, [("result", str)])


def tool(text):
    return text.upper()


class Agent:
    def __init__(self):
        self.said = []

    def say(self, text):
        self.said.append(schema_type("echoOutput")(result=tool(text)))
        return len(self.said)


@pytest.mark.replay(mock={"tool": "test_built.tool"})
def test_built(replay):
    assert replay.run(Agent().say, "hi") == 1
"""


def test_a_value_of_a_class_made_at_run_time_is_refused_naming_it_and_the_fix(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(test_built=TEST)
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    text = " ".join(result.stdout.str().split())
    assert "StoredClassError" not in text, text
    assert "cannot import" not in text, text
    assert "outcome['final_state']['said'][0] (a " in text, text  # (types.echoOutput on 3.11)
    assert (
        "echoOutput): its class was made at run time (dataclasses.make_dataclass, or a library "
        "building a class from a schema, as fastmcp does for a tool's structured result), and "
        "no import path finds it, so a replay cannot rebuild it. Keep a plain form of the "
        "value (its fields: dataclasses.asdict(value) for a dataclass; fastmcp's "
        "structured_content for a tool's result)"
    ) in text, text
    assert not list(pytester.path.rglob("*.ckpt"))
