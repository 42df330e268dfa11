"""``frames.call_keeping_frame``: the frame of the function a run ran, kept for ``--pdb``."""

from __future__ import annotations

import asyncio
import sys

from pytest_clearstone.frames import call_keeping_frame


class Agent:
    def __init__(self) -> None:
        self.memory: list[str] = []

    def handle(self, message: str) -> str:
        answer = f"answer to {message}"
        self.memory.append(answer)
        return answer

    async def ask(self, message: str) -> str:
        answer = f"async answer to {message}"
        self.memory.append(answer)
        return answer


def test_the_frame_of_a_method_keeps_its_locals_after_it_returned() -> None:
    agent = Agent()
    result, frame = call_keeping_frame(agent.handle, ("hi",), {})
    assert result == "answer to hi"
    assert frame is not None and frame.f_code is Agent.handle.__code__
    assert frame.f_locals["self"] is agent and frame.f_locals["answer"] == "answer to hi"
    assert sys.getprofile() is None


def test_a_coroutine_function_gives_its_coroutine_s_frame() -> None:
    agent = Agent()
    coroutine, frame = call_keeping_frame(agent.ask, ("hi",), {})
    assert frame is not None and frame.f_code is Agent.ask.__code__
    assert asyncio.run(coroutine) == "async answer to hi"
    assert frame.f_locals["self"] is agent


def test_a_builtin_gives_no_frame_and_a_profiler_already_set_is_left_alone() -> None:
    assert call_keeping_frame(len, ([1, 2],), {}) == (2, None)
    seen: list[str] = []

    def profiler(frame: object, event: str, arg: object) -> None:
        seen.append(event)

    sys.setprofile(profiler)
    try:
        result, frame = call_keeping_frame(Agent().handle, ("hi",), {})
        assert sys.getprofile() is profiler
    finally:
        sys.setprofile(None)
    assert (result, frame) == ("answer to hi", None) and "call" in seen
