"""CheckpointManager: state capture, naming, directories, listing, loading and atomic saves."""

from __future__ import annotations

import importlib
import os
import random
import signal
import threading
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pytest_clearstone.debugging import Checkpoint, CheckpointManager
from pytest_clearstone.errors import (
    CheckpointCorruptError,
    CheckpointNotFoundError,
    CheckpointPathError,
    ClearstoneError,
    SerializationError,
    SpanNotFoundError,
)

AGENTS_DIR = Path(__file__).resolve().parent / "agents"


@pytest.fixture
def agents(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    monkeypatch.syspath_prepend(str(AGENTS_DIR))
    return {name: importlib.import_module(name) for name in ("cs_state", "cs_recording")}


@pytest.fixture
def recorded(agents: dict[str, ModuleType]) -> Any:
    """A closed recording with one step; ``.step_id`` is the step's span id."""
    with agents["cs_recording"].Recording() as rec, rec.step("step") as span:
        rec.call("llm", "complete", {"prompt": "p"}, "answer")
    rec.step_id = span.span_id
    return rec


def test_directory_is_created_on_first_save_not_on_construction(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path
) -> None:
    directory = tmp_path / "a" / "b"
    manager = CheckpointManager(checkpoint_dir=directory)
    assert not directory.exists()
    assert manager.list_checkpoints() == []
    checkpoint = manager.create_checkpoint(
        agents["cs_state"].StateAgent(x=1), recorded.trace(), recorded.step_id
    )
    assert not directory.exists()
    path = manager.save_checkpoint(checkpoint)
    assert directory.is_dir()
    assert path == directory / f"{recorded.trace_id}_{checkpoint.checkpoint_id}.ckpt"
    assert checkpoint.checkpoint_id.startswith("ckpt_") and len(checkpoint.checkpoint_id) == 37


def test_default_directory_is_dot_checkpoints(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    manager = CheckpointManager()
    checkpoint = manager.create_checkpoint(agents["cs_state"].StateAgent(), recorded.trace(),
                                           recorded.step_id)  # fmt: skip
    path = manager.save_checkpoint(checkpoint, filename="named.ckpt")
    assert path == Path(".checkpoints/named.ckpt")
    assert (tmp_path / ".checkpoints" / "named.ckpt").is_file()


def test_list_checkpoints_sorted_and_only_ckpt_files(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path
) -> None:
    manager = CheckpointManager(tmp_path)
    agent = agents["cs_state"].StateAgent()
    for name in ("b.ckpt", "a.ckpt", "sub/c.ckpt"):
        manager.save_checkpoint(
            manager.create_checkpoint(agent, recorded.trace(), recorded.step_id), filename=name
        )
    (tmp_path / "notes.txt").write_text("not a checkpoint")
    assert manager.list_checkpoints() == [tmp_path / "a.ckpt", tmp_path / "b.ckpt",
                                          tmp_path / "sub" / "c.ckpt"]  # fmt: skip
    assert not list(tmp_path.glob(".*.tmp"))  # no temporary file left behind


@pytest.mark.parametrize(
    "filename", ["../escape.ckpt", "sub/../../escape.ckpt", "/etc/escape.ckpt"]
)
def test_filename_escaping_the_directory_is_refused(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path, filename: str
) -> None:
    manager = CheckpointManager(tmp_path / "ckpts")
    checkpoint = manager.create_checkpoint(agents["cs_state"].StateAgent(), recorded.trace(),
                                           recorded.step_id)  # fmt: skip
    with pytest.raises(CheckpointPathError) as info:
        manager.save_checkpoint(checkpoint, filename=filename)
    assert repr(filename) in str(info.value)
    assert "escapes the checkpoint directory" in str(info.value)
    assert not (tmp_path / "escape.ckpt").exists()
    assert not (tmp_path / "ckpts").exists()


@pytest.mark.parametrize("filename", ["", ".", "sub/.."])
def test_a_filename_naming_the_directory_itself_is_refused_as_that(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path, filename: str
) -> None:
    # save_checkpoint(ck, ""): it said the name "escapes the checkpoint directory"
    manager = CheckpointManager(tmp_path / "ckpts")
    checkpoint = manager.create_checkpoint(agents["cs_state"].StateAgent(), recorded.trace(),
                                           recorded.step_id)  # fmt: skip
    with pytest.raises(CheckpointPathError) as info:
        manager.save_checkpoint(checkpoint, filename=filename)
    message = str(info.value)
    assert f"checkpoint filename {filename!r} names the checkpoint directory itself" in message
    assert "escapes" not in message
    assert "give a plain name such as 'before_payment.ckpt'" in message
    assert not (tmp_path / "ckpts").exists()


def test_absolute_filename_inside_the_directory_is_allowed(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path
) -> None:
    manager = CheckpointManager(tmp_path)
    checkpoint = manager.create_checkpoint(agents["cs_state"].StateAgent(), recorded.trace(),
                                           recorded.step_id)  # fmt: skip
    path = manager.save_checkpoint(checkpoint, filename=tmp_path / "inside.ckpt")
    assert manager.load_checkpoint(path).checkpoint_id == checkpoint.checkpoint_id


def test_load_by_name_without_suffix_and_by_path(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    manager = CheckpointManager(tmp_path / "ckpts")
    checkpoint = manager.create_checkpoint(agents["cs_state"].StateAgent(), recorded.trace(),
                                           recorded.step_id)  # fmt: skip
    path = manager.save_checkpoint(checkpoint, filename="baseline_v1.ckpt")
    monkeypatch.chdir(tmp_path)
    for ref in ("baseline_v1", "baseline_v1.ckpt", path, str(path)):
        assert manager.load_checkpoint(ref).checkpoint_id == checkpoint.checkpoint_id


def test_missing_checkpoint_names_every_path_tried(tmp_path: Path) -> None:
    manager = CheckpointManager(tmp_path / "ckpts")
    with pytest.raises(CheckpointNotFoundError) as info:
        manager.load_checkpoint("nothing_here")
    error = info.value
    assert isinstance(error, FileNotFoundError)
    assert error.tried == [
        Path("nothing_here"),
        tmp_path / "ckpts" / "nothing_here",
        Path("nothing_here.ckpt"),
        tmp_path / "ckpts" / "nothing_here.ckpt",
    ]
    message = str(error)
    for path in error.tried:
        assert str(path) in message
    assert message.startswith("checkpoint not found; tried: ")


def test_missing_checkpoint_lists_saved_ones_by_the_name_that_loads_them(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path
) -> None:
    # (the hint named a checkpoint of a subdirectory by its file name alone, "x.ckpt", which
    # does not load it, and left out all but the first five without saying so)
    manager = CheckpointManager(tmp_path)
    agent = agents["cs_state"].StateAgent()
    names = ["a.ckpt", "b.ckpt", "c.ckpt", "d.ckpt", "sub/x.ckpt", "y.ckpt", "z.ckpt"]
    for name in names:
        manager.save_checkpoint(
            manager.create_checkpoint(agent, recorded.trace(), recorded.step_id), filename=name
        )
    with pytest.raises(CheckpointNotFoundError) as info:
        manager.load_checkpoint("x.ckpt")
    message = str(info.value)
    assert message.endswith(
        "Saved checkpoints: a.ckpt, b.ckpt, c.ckpt, d.ckpt, sub/x.ckpt and 2 more in "
        f"{tmp_path} (manager.list_checkpoints() lists them all)"
    )
    assert manager.load_checkpoint("sub/x.ckpt").agent_class_name == "StateAgent"


def test_span_not_in_trace_is_refused(agents: dict[str, ModuleType], recorded: Any) -> None:
    with pytest.raises(SpanNotFoundError) as info:
        CheckpointManager().create_checkpoint(
            agents["cs_state"].StateAgent(), recorded.trace(), "0000000000000000"
        )
    assert isinstance(info.value, LookupError)
    assert str(info.value).startswith(
        f"span '0000000000000000' is not in trace '{recorded.trace_id}'"
    )


def _generator() -> Any:
    yield 1


@pytest.mark.parametrize(
    ("attributes", "path"),
    [
        ({"live": _generator()}, "state['live']"),
        ({"memory": [{"ok": 1}, {"stream": _generator()}]}, "state['memory'][1]['stream']"),
        ({"t": (1, {"g": _generator()})}, "state['t'][1]['g']"),
    ],
)
def test_unserialisable_state_names_the_attribute_path(
    agents: dict[str, ModuleType], recorded: Any, attributes: dict[str, Any], path: str
) -> None:
    agent = agents["cs_state"].StateAgent(**attributes)
    with pytest.raises(SerializationError) as info:
        CheckpointManager().create_checkpoint(agent, recorded.trace(), recorded.step_id)
    message = str(info.value)
    assert message.startswith(f"cannot serialise {path} (a generator): dill cannot pickle it")
    assert "implement get_state()/load_state()" in message
    assert info.value.path == path
    assert isinstance(info.value, TypeError)


def test_a_state_only_a_pickle_could_store_names_the_file_it_was_saving_to(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path
) -> None:
    """``save_checkpoint`` refusing a pickle said what could not be stored, not where: a script
    saving checkpoints of several agents could not tell which save failed. The message now names
    the file and that nothing was written; the error keeps its type, its value path and the
    file."""
    agent = agents["cs_state"].StateAgent(lock=threading.Lock())
    manager = CheckpointManager(tmp_path / "ckpts")
    checkpoint = manager.create_checkpoint(agent, recorded.trace(), recorded.step_id)
    target = tmp_path / "ckpts" / "before_refund.ckpt"
    with pytest.raises(SerializationError) as info:
        manager.save_checkpoint(checkpoint, "before_refund")
    message = str(info.value)
    assert message.startswith(
        f"cannot save {target} (nothing was written): cannot serialise the agent state at "
        "state['lock'] (a _thread.lock): only a pickle could store it"
    )
    assert info.value.path.endswith("state['lock']") and info.value.file == str(target)
    assert not target.exists()


def test_a_refusal_for_a_file_keeps_its_class_and_fields_and_leaves_the_first_as_it_was() -> None:
    """(``SerializationError.saving``: a script catching ``NestingTooDeepError`` around
    ``save_checkpoint`` still catches it, and reads its depth)"""
    from pytest_clearstone.errors import NestingTooDeepError

    error = NestingTooDeepError("the agent state at state['tree']", "dict", 300, 256)
    saved = error.saving(Path("ckpts") / "deep.ckpt")
    assert type(saved) is NestingTooDeepError
    assert (saved.path, saved.value_type, saved.depth, saved.limit) == (
        "the agent state at state['tree']",
        "dict",
        300,
        256,
    )
    assert str(saved) == f"cannot save {Path('ckpts') / 'deep.ckpt'} (nothing was written): {error}"
    assert saved.file == str(Path("ckpts") / "deep.ckpt") and error.file == ""
    assert str(error).startswith("cannot serialise the agent state at state['tree'] (a dict)")


def test_agent_without_state_is_refused(recorded: Any) -> None:
    with pytest.raises(SerializationError, match="no get_state\\(\\) and no __dict__"):
        CheckpointManager().create_checkpoint(42, recorded.trace(), recorded.step_id)


class _ThreadReader:
    """Another library's ``get_state`` (LangGraph's compiled graph: a thread's checkpoint)."""

    def get_state(self, config: dict[str, Any], *, subgraphs: bool = False) -> dict[str, Any]:
        return {"thread": config}


class _BrokenState:
    def get_state(self) -> dict[str, Any]:
        return {"n": len(None)}  # type: ignore[arg-type]  # a TypeError of the agent's own


def test_a_get_state_that_needs_arguments_is_refused_naming_them(recorded: Any) -> None:
    """It raised a bare ``TypeError: get_state() missing 1 required positional argument``."""
    with pytest.raises(ClearstoneError) as info:
        CheckpointManager().create_checkpoint(_ThreadReader(), recorded.trace(), recorded.step_id)
    message = str(info.value)
    assert "its get_state() needs arguments (config), so it is not an agent's state" in message
    assert "then replay.run(run, agent, *args))" in message


def test_a_type_error_inside_get_state_is_the_agents_own(recorded: Any) -> None:
    with pytest.raises(TypeError, match="has no len"):
        CheckpointManager().create_checkpoint(_BrokenState(), recorded.trace(), recorded.step_id)


# -- atomic saves under a crash ------------------------------------------------------------------
def _checkpoint_pair(agents: dict[str, ModuleType], recorded: Any) -> tuple[Checkpoint, Checkpoint]:
    """Two large checkpoints of different sizes (a torn write of one cannot parse as the other)."""
    manager = CheckpointManager()
    StateAgent = agents["cs_state"].StateAgent
    big = [{"role": "user", "content": f"message {i} " + "x" * 200} for i in range(2000)]
    a = manager.create_checkpoint(StateAgent(memory=big, tag="A"), recorded.trace(),
                                  recorded.step_id)  # fmt: skip
    b = manager.create_checkpoint(StateAgent(memory=big[:1500], tag="B"), recorded.trace(),
                                  recorded.step_id)  # fmt: skip
    return a, b


def test_a_killed_save_leaves_the_previous_file_intact(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path
) -> None:
    manager = CheckpointManager(tmp_path)
    a, b = _checkpoint_pair(agents, recorded)
    expected = {a.checkpoint_id: a.agent_state, b.checkpoint_id: b.agent_state}
    started = time.perf_counter()
    manager.save_checkpoint(b, filename="golden.ckpt")
    one_save = time.perf_counter() - started  # kill within about two saves: before and after
    path = manager.save_checkpoint(a, filename="golden.ckpt")
    rng = random.Random(1234)
    seen: set[str] = set()

    round_number = 0
    while round_number < 50 or (seen != set(expected) and round_number < 300):
        round_number += 1
        ready_r, ready_w = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: save B, then A and B in turn until killed
            try:
                os.close(ready_r)
                manager.save_checkpoint(b, filename="golden.ckpt")  # (a fresh child is slow)
                os.write(ready_w, b"x")
                while True:
                    for checkpoint in (a, b):
                        manager.save_checkpoint(checkpoint, filename="golden.ckpt")
            finally:
                os._exit(1)
        os.close(ready_w)
        os.read(ready_r, 1)
        os.close(ready_r)
        # kills spread over about two saves; wider when a loaded machine makes saves slower
        time.sleep(rng.uniform(0, (2.5 * one_save + 0.002) * (1 + round_number // 50)))
        os.kill(pid, signal.SIGKILL)
        _, status = os.waitpid(pid, 0)
        assert os.WIFSIGNALED(status) and os.WTERMSIG(status) == signal.SIGKILL

        loaded = manager.load_checkpoint(path)
        assert loaded.agent_state == expected[loaded.checkpoint_id], round_number
        seen.add(loaded.checkpoint_id)
        assert manager.list_checkpoints() == [path]  # temporary files are never listed

    assert seen == set(expected)  # the kills landed both before and after renames
    # some kills landed mid-write: their temporary files are left (never the target torn)
    assert list(tmp_path.glob(".golden.ckpt.*.tmp"))


def test_loading_a_directory_says_it_is_a_directory(tmp_path: Path) -> None:
    # "checkpoint not found; tried: ..." sent the user looking for a file that is there, as a
    # directory (the command line's show already said so)
    from pytest_clearstone.errors import CheckpointCorruptError

    (tmp_path / "run.ckpt").mkdir()
    manager = CheckpointManager(str(tmp_path))
    refused = r"run\.ckpt is not a readable checkpoint: it is a directory"
    with pytest.raises(CheckpointCorruptError, match=refused):
        manager.load_checkpoint(tmp_path / "run.ckpt")


@pytest.mark.parametrize("name", ["before_pay.ckpt", "before_pay"])
def test_a_directory_where_a_named_checkpoint_is_is_named_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """A name resolved inside the checkpoint directory to a directory is refused as one, as a
    path given directly is, not reported as a checkpoint that does not exist."""
    monkeypatch.chdir(tmp_path)
    manager = CheckpointManager(tmp_path / "ckpts")
    (tmp_path / "ckpts" / "before_pay.ckpt").mkdir(parents=True)
    with pytest.raises(CheckpointCorruptError, match=r"before_pay\.ckpt .*it is a directory"):
        manager.load_checkpoint(name)


def test_a_path_given_for_a_checkpoint_is_named_with_the_fix(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path
) -> None:
    # Expected: a TypeError saying to load the file; the guide's `checkpoint_path` given to
    # ReplayEngine, save_checkpoint or diff failed with "AttributeError: 'str' object has no
    # attribute 'trace'" (or 'agent_state')
    from pytest_clearstone.debugging import ReplayEngine

    manager = CheckpointManager(tmp_path)
    checkpoint = manager.create_checkpoint(
        agents["cs_state"].StateAgent(), recorded.trace(), recorded.step_id
    )
    path = manager.save_checkpoint(checkpoint)
    refused = r"takes a Checkpoint, not a (str|PosixPath|WindowsPath).*load_checkpoint\(path\)"
    for call in (
        lambda: ReplayEngine(str(path)),  # type: ignore[arg-type]
        lambda: manager.save_checkpoint(path),  # type: ignore[arg-type]
        lambda: checkpoint.diff(str(path)),  # type: ignore[arg-type]
    ):
        with pytest.raises(TypeError, match=refused):
            call()
    with pytest.raises(TypeError, match=r"takes a Checkpoint, not a NoneType"):
        ReplayEngine(None)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"takes a Checkpoint, not a dict"):
        checkpoint.diff({"memory": []})  # type: ignore[arg-type]


def test_a_span_given_for_its_id_is_named_with_the_fix(
    agents: dict[str, ModuleType], recorded: Any
) -> None:
    # Expected: pass span.span_id; it said the span "is not in trace", though it is
    trace = recorded.trace()
    span = trace.get_span(recorded.step_id)
    with pytest.raises(TypeError, match=r"takes the span's id .*: pass span\.span_id"):
        CheckpointManager().create_checkpoint(agents["cs_state"].StateAgent(), trace, span)


@pytest.mark.parametrize("name", ["before_payment_12.5", "run_2024.01.15", "agent_v1.2"])
def test_a_name_ending_in_a_number_after_a_dot_gets_the_suffix(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path, name: str
) -> None:
    # Expected: listed like any checkpoint; "before_payment_12.5" (an amount, a version, a
    # date in the name) was saved without .ckpt, the ".5" taken for its suffix, and was
    # missing from list_checkpoints() and from the names a not-found error offers
    manager = CheckpointManager(tmp_path)
    checkpoint = manager.create_checkpoint(
        agents["cs_state"].StateAgent(), recorded.trace(), recorded.step_id
    )
    path = manager.save_checkpoint(checkpoint, name)
    assert path.name == f"{name}.ckpt"
    assert manager.list_checkpoints() == [tmp_path / f"{name}.ckpt"]
    assert manager.load_checkpoint(name).checkpoint_id == checkpoint.checkpoint_id


def test_metadata_given_is_copied_into_the_checkpoint(
    agents: dict[str, ModuleType], recorded: Any
) -> None:
    metadata = {"case": "refund"}
    checkpoint = CheckpointManager().create_checkpoint(
        agents["cs_state"].StateAgent(), recorded.trace(), recorded.step_id, metadata=metadata
    )
    metadata["case"] = "changed after"
    assert checkpoint.metadata == {"case": "refund"}


def test_a_name_of_a_subdirectory_loads_the_checkpoint_of_that_name(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # "sub" names both the subdirectory holding sub/c.ckpt and the checkpoint sub.ckpt
    monkeypatch.chdir(tmp_path)
    manager = CheckpointManager(tmp_path / "ckpts")
    agent = agents["cs_state"].StateAgent()
    saved = {}
    for name in ("sub/c.ckpt", "sub.ckpt"):
        checkpoint = manager.create_checkpoint(agent, recorded.trace(), recorded.step_id)
        manager.save_checkpoint(checkpoint, name)
        saved[name] = checkpoint.checkpoint_id
    assert manager.load_checkpoint("sub").checkpoint_id == saved["sub.ckpt"]
    (tmp_path / "ckpts" / "sub.ckpt").unlink()
    # the subdirectory alone is no checkpoint of that name: not found, the saved ones listed
    with pytest.raises(CheckpointNotFoundError, match=r"Saved checkpoints: sub/c\.ckpt$"):
        manager.load_checkpoint("sub")


def test_a_missing_checkpoint_names_each_path_once_and_says_none_is_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(CheckpointNotFoundError) as info:
        CheckpointManager(".").load_checkpoint("nothing_here")
    assert info.value.tried == [Path("nothing_here"), Path("nothing_here.ckpt")]
    assert str(info.value) == (
        "checkpoint not found; tried: nothing_here, nothing_here.ckpt. Saved checkpoints: none in ."
    )


def test_five_saved_checkpoints_are_all_named(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path
) -> None:
    manager = CheckpointManager(tmp_path)
    agent = agents["cs_state"].StateAgent()
    for name in "abcde":
        manager.save_checkpoint(
            manager.create_checkpoint(agent, recorded.trace(), recorded.step_id), name
        )
    with pytest.raises(CheckpointNotFoundError) as info:
        manager.load_checkpoint("x")
    assert str(info.value).endswith("Saved checkpoints: a.ckpt, b.ckpt, c.ckpt, d.ckpt, e.ckpt")


def test_hidden_files_and_directories_named_ckpt_are_not_listed(
    agents: dict[str, ModuleType], recorded: Any, tmp_path: Path
) -> None:
    manager = CheckpointManager(tmp_path)
    checkpoint = manager.create_checkpoint(
        agents["cs_state"].StateAgent(), recorded.trace(), recorded.step_id
    )
    path = manager.save_checkpoint(checkpoint, "kept.ckpt")
    (tmp_path / ".kept.ckpt").write_bytes(path.read_bytes())  # (as an interrupted save's)
    (tmp_path / "old.ckpt").mkdir()
    assert manager.list_checkpoints() == [tmp_path / "kept.ckpt"]
