"""``frames.call_keeping_frame``: the frame of the function a run ran, kept for ``--pdb``."""

from __future__ import annotations

import asyncio
import os
import sys
import sysconfig
import types
from collections.abc import AsyncIterator, Iterator

from pytest_clearstone.frames import PACKAGE_DIR, call_keeping_frame, is_plugins, is_users_file


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

    def stream(self, message: str) -> Iterator[str]:
        yield f"streamed answer to {message}"

    async def astream(self, message: str) -> AsyncIterator[str]:
        yield f"async streamed answer to {message}"


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


def test_a_generator_function_and_an_async_one_give_the_frames_of_their_objects() -> None:
    agent = Agent()
    generator, frame = call_keeping_frame(agent.stream, ("hi",), {})
    assert frame is not None and frame.f_code is Agent.stream.__code__
    assert list(generator) == ["streamed answer to hi"]
    agen, aframe = call_keeping_frame(agent.astream, ("hi",), {})
    assert aframe is not None and aframe.f_code is Agent.astream.__code__
    assert asyncio.run(anext(agen)) == "async streamed answer to hi"


def test_a_builtin_leaves_no_profiler_set_and_a_result_s_frame_attribute_not_a_frame_is_none() -> (
    None
):
    result, frame = call_keeping_frame(types.SimpleNamespace, (), {"gi_frame": "not a frame"})
    assert (result.gi_frame, frame) == ("not a frame", None)
    assert sys.getprofile() is None


def _frame_of(source: str, filename: str, module: str) -> types.FrameType:
    namespace: dict[str, object] = {"__name__": module}
    exec(compile(source, filename, "exec"), namespace)
    frame = namespace["frame"]
    assert isinstance(frame, types.FrameType)
    return frame


def test_the_plugin_s_code_is_told_by_its_module_or_by_its_file() -> None:
    source = "import sys\nframe = sys._getframe()"
    in_package = os.path.join(PACKAGE_DIR, "golden", "ids.py")
    assert is_plugins(_frame_of(source, "<generated>", "pytest_clearstone.golden.x"))
    assert is_plugins(_frame_of(source, "<generated>", "pytest_clearstone"))
    assert is_plugins(_frame_of(source, in_package, "uuid"))
    beside = PACKAGE_DIR.rstrip(os.sep) + "_extra" + os.sep + "x.py"
    assert not is_plugins(_frame_of(source, beside, "pytest_clearstone_extra.x"))
    assert not is_plugins(sys._getframe())


def test_users_call_names_the_library_function_the_users_code_called_and_where() -> None:
    import json
    import sys

    from pytest_clearstone.frames import users_call

    seen: list[str] = []

    def hook(value: dict[str, int]) -> dict[str, int]:
        seen.append(users_call(sys._getframe(1)))  # (from json's frames outwards)
        seen.append(users_call(sys._getframe()))  # (the user's own frame: nothing called)
        return value

    line = sys._getframe().f_lineno + 1
    json.loads('{"a": 1}', object_hook=hook)
    name = "test_users_call_names_the_library_function_the_users_code_called_and_where"
    assert seen == [f"json.loads, called at {os.path.relpath(__file__)}:{line} (in {name})", ""]


def test_the_standard_library_in_an_environment_under_the_rootdir_is_the_librarys() -> None:
    # (pixi's environment, or conda's made with --prefix, inside the project: its standard
    # library, .pixi/envs/default/lib/python3.12/asyncio/tasks.py, is under the rootdir)
    stdlib = os.path.join(os.path.abspath(sysconfig.get_paths()["stdlib"]), "")
    library_file = os.path.abspath(asyncio.tasks.__file__)
    assert library_file.startswith(stdlib)
    project = os.path.join(os.path.dirname(os.path.dirname(stdlib.rstrip(os.sep))), "")
    assert not is_users_file(library_file, project)
    assert is_users_file(os.path.join(project, "app", "agent.py"), project)


def test_a_rootdir_inside_a_librarys_directory_holds_the_users_files() -> None:
    # (the user's project is the directory the library's files are in)
    project = os.path.join(os.path.dirname(os.path.abspath(asyncio.tasks.__file__)), "")
    assert is_users_file(os.path.abspath(asyncio.tasks.__file__), project)
    assert not is_users_file(os.path.abspath(asyncio.tasks.__file__), "")
    site = os.path.join(project, "venv", "lib", "site-packages", "openai", "_client.py")
    assert not is_users_file(site, project)
