"""A mocked tool that validates its input with a pydantic model and raises ``ValidationError``.

The agent catches it (``except ValidationError as e``), reads its errors and sends its text to
the LLM. Replay raises a ``ValidationError`` again, rebuilt from the title and line errors the
golden holds, so the same ``except`` clause catches it and the LLM gets the same prompt.
"""

from __future__ import annotations

import json

import pytest

pytest.importorskip("pydantic")

AGENT = """
import pydantic
from pydantic import ValidationError


class WeatherArgs(pydantic.BaseModel):
    city: str
    days: int = pydantic.Field(gt=0)

    @pydantic.field_validator("city")
    @classmethod
    def _known(cls, city):
        if city == "Atlantis":
            raise ValueError("no such city")
        return city


def get_weather(raw_args):
    # a tool that validates the LLM's arguments, as tool-calling agents do
    args = WeatherArgs.model_validate(raw_args)
    return f"sunny in {args.city} for {args.days} days"


def complete(prompt):
    return "Sorry: " + prompt.splitlines()[0]


def handle(raw_args):
    try:
        observation = get_weather(raw_args)
    except ValidationError as e:
        fields = ", ".join(".".join(map(str, err["loc"])) for err in e.errors())
        observation = f"invalid ({e.error_count()} in {e.title}: {fields}): {e}"
    return complete(observation)
"""

TEST = """
import pytest
from app import handle


@pytest.mark.replay("goldens/weather.ckpt", mock={"tool": "app.get_weather", "llm": "app.complete"})
def test_bad_args():
    answer = handle({"city": "Atlantis", "days": 0})
    assert answer == (
        "Sorry: invalid (2 in WeatherArgs: city, days): 2 validation errors for WeatherArgs"
    )
"""


@pytest.fixture
def recorded(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=AGENT, test_weather=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    return pytester


def test_a_tools_validation_error_is_caught_by_the_agent_on_replay(
    recorded: pytest.Pytester,
) -> None:
    # Expected: the replay raises pydantic's ValidationError with the recorded title, errors
    # and text, so the agent's `except ValidationError` catches it and the LLM gets the same
    # prompt. Before the fix: it replayed as RecordedError, which the except clause did not
    # catch, so the test passed when recorded and failed on every replay.
    result = recorded.runpytest("-p", "no:randomly")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*RecordedError*")


def test_a_golden_recorded_before_replays_as_recorded_error_saying_to_re_record(
    recorded: pytest.Pytester,
) -> None:
    # a golden written before the title and line errors were recorded holds the message only:
    # it still reads, as RecordedError saying to re-record (which now records them)
    golden = recorded.path / "goldens" / "weather.ckpt"
    doc = json.loads(golden.read_text())
    (tool,) = [s for s in doc["trace"]["spans"] if s.get("error")]
    del tool["error"]["validation"]
    golden.write_text(json.dumps(doc, indent=2))
    result = recorded.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*RecordedError: pydantic_core.ValidationError: 2 validation errors for WeatherArgs*",
            "*replayed as RecordedError: the golden holds its message only, not its title and "
            "line errors*; an except clause for that class does not catch it. To replay it as "
            "itself, re-record the test (pytest --clearstone-record)*",
        ]
    )
    recorded.runpytest("--clearstone-record").assert_outcomes(passed=1)
    recorded.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
