"""End to end: a dataclass (or attrs instance) in an agent's state keeps what its instance holds
besides its fields — an attribute its ``__post_init__`` (``__attrs_post_init__``) sets, a field
``init=False`` not set yet — so an unchanged agent that reads them replays (they were lost: the
replay failed with the agent's ``AttributeError``, and an unset field failed the recording with
one raised inside the codec)."""

from __future__ import annotations

import dataclasses

import attr
import pytest

from pytest_clearstone import codec

APP = """
import dataclasses

import attr


def llm(prompt):
    return "ok"


@dataclasses.dataclass
class Profile:
    name: str
    pending: str = dataclasses.field(init=False)

    def __post_init__(self):
        self.greeting = f"Hello {self.name}"


@attr.s
class Settings:
    tone = attr.ib(default="calm")

    def __attrs_post_init__(self):
        self.style = f"a {self.tone} voice"


class Agent:
    def __init__(self):
        self.profile = Profile("ana")
        self.settings = Settings()

    def handle(self, q):
        return llm(f"{self.profile.greeting} in {self.settings.style}: {q}")
"""

TEST = """
import pytest
from dc_app import Agent


@pytest.mark.replay("goldens/dc.ckpt", mock={"llm": "dc_app.llm"})
def test_dc(replay):
    assert replay.run(Agent().handle, "hi") == "ok"
"""


def test_the_attributes_a_dataclass_sets_itself_are_recorded_and_replay(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(dc_app=APP, test_dc=TEST)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


@dataclasses.dataclass
class Later:
    name: str
    pending: str = dataclasses.field(init=False)

    def __post_init__(self) -> None:
        self.greeting = f"Hello {self.name}"


@attr.s
class Styled:
    tone: str = attr.ib(default="calm")

    def __attrs_post_init__(self) -> None:
        self.style = f"a {self.tone} voice"


def test_a_dataclass_round_trips_its_other_attributes_and_an_unset_field() -> None:
    value = Later("ana")
    text = codec.dumps(codec.encode(value, strict=True, allow_pickle=False))
    back = codec.loads(text)
    assert type(back) is Later and back.__dict__ == value.__dict__
    assert not hasattr(back, "pending")
    value.pending = "done"
    again = codec.loads(codec.dumps(codec.encode(value, strict=True, allow_pickle=False)))
    assert again.__dict__ == value.__dict__


def test_an_attrs_instance_round_trips_its_other_attributes() -> None:
    value = Styled("warm")
    back = codec.loads(codec.dumps(codec.encode(value, strict=True, allow_pickle=False)))
    assert type(back) is Styled and back.__dict__ == value.__dict__


def test_a_plain_dataclass_is_written_as_before() -> None:
    assert codec.encode(Later.__new__(Later)) == {
        codec.TAG: "dataclass",
        "cls": f"{__name__}:Later",
        "v": {},
        "unset": ["name", "pending"],
    }
    tree = codec.encode(Styled("x"))
    assert tree["attrs"] == {"style": "a x voice"}


def test_a_pydantic_ai_tool_call_read_back_has_its_otel_metadata() -> None:
    # pydantic-ai's ToolCallPart sets otel_metadata in __post_init__, and its instrumentation
    # reads it from every tool call of a response (_tool_call_otel_part): a recorded response
    # read back without it raised AttributeError in an instrumented replay
    from pydantic_ai.messages import ToolCallPart

    part = ToolCallPart("search", {"q": "x"}, tool_call_id="call_1")
    back = codec.loads(codec.dumps(codec.encode(part, strict=True, allow_pickle=False)))
    assert back == part and back.otel_metadata is None
