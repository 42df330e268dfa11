"""The Checkpoint model and its .ckpt file: value round trips, the file format, load errors."""

from __future__ import annotations

import datetime as dt
import importlib
import json
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import pytest_clearstone
from pytest_clearstone.debugging import (
    FORMAT_NAME,
    FORMAT_VERSION,
    Checkpoint,
    CheckpointManager,
    ReplayEngine,
)
from pytest_clearstone.errors import (
    CODE_CHANGED,
    MODULE_MISSING,
    AgentImportError,
    CheckpointClassChangedError,
    CheckpointCorruptError,
    CheckpointError,
    CheckpointNotFoundError,
    CheckpointVersionError,
    ClearstoneError,
    SerializationError,
    UntrustedCheckpointError,
)
from pytest_clearstone.observability import TracerProvider

AGENTS_DIR = Path(__file__).resolve().parent / "agents"


@pytest.fixture
def agents(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModuleType]:
    monkeypatch.syspath_prepend(str(AGENTS_DIR))
    return {name: importlib.import_module(name) for name in ("cs_state", "cs_recording")}


def _checkpoint(agents: dict[str, ModuleType], agent: Any) -> Checkpoint:
    with agents["cs_recording"].Recording() as rec:
        with rec.step("step") as span:
            rec.call("llm", "complete", {"prompt": "hi"}, {"text": "hello"})
        return rec.checkpoint(agent, span.span_id)


def _round_trip(tmp_path: Path, checkpoint: Checkpoint) -> Checkpoint:
    manager = CheckpointManager(tmp_path / "ckpts")  # some cases store pickles on purpose
    saved = manager.save_checkpoint(checkpoint, allow_pickle=True)
    return manager.load_checkpoint(saved, allow_pickle=True)


def test_state_of_every_supported_type_round_trips(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    s = agents["cs_state"]
    state = {
        "nested": {"a": [1, 2.5, None, True, {"b": ["c", {"d": []}]}]},
        "tuple": (1, ("x", 2)),
        "set": {3, 1, 2},
        "frozenset": frozenset({"a"}),
        "aware": dt.datetime(2024, 1, 15, 12, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
        "naive": dt.datetime(2024, 1, 15, 12, 30, 1, 5),
        "date": dt.date(2024, 2, 29),
        "delta": dt.timedelta(days=1, seconds=2, microseconds=3),
        "decimal": Decimal("0.10"),
        "uuid": uuid.UUID("12345678-1234-5678-1234-567812345678"),
        "dataclass": s.Message("user", "hi", ["t"]),
        "enum": [s.Mood.CALM, s.Mood.BUSY],
        "bytes": b"\x00\xffdata",
        "bytearray": bytearray(b"ab"),
        "int_keys": {1: "one", (2, 3): "tuple key"},
        "tag_key": {"__cs__": "not a tag"},
        "nan_inf": [float("inf"), float("-inf")],
        "big": 2**80,
        "unicode": "naïve ✓",
    }
    agent = s.StateAgent(**state)
    loaded = _round_trip(tmp_path, _checkpoint(agents, agent))

    got = loaded.agent_state
    assert got == state
    for key in ("tuple", "set", "frozenset", "bytes", "bytearray", "decimal", "uuid", "delta"):
        assert type(got[key]) is type(state[key]), key
    assert got["aware"].utcoffset() == dt.timedelta(hours=2)
    assert got["naive"].tzinfo is None
    assert type(got["dataclass"]) is s.Message
    assert got["enum"][0] is s.Mood.CALM
    assert loaded.contains_pickle is False
    assert loaded.agent_class_path == "cs_state.StateAgent"


def test_the_collections_containers_and_fractions_round_trip_without_pickles(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    # An agent's deque memory, an OrderedDict, a Counter, a defaultdict(list) or a Fraction
    # could only be pickled: saving such state failed unless pickles were allowed.
    import collections
    from fractions import Fraction

    s = agents["cs_state"]
    state = {
        "memory": collections.deque([{"role": "user", "content": "hi"}, ("t", 1)], maxlen=10),
        "unbounded": collections.deque([1, 2]),
        "ordered": collections.OrderedDict([("b", 1), ("a", 2), ((1, 2), "tuple key")]),
        "counts": collections.Counter({"search": 2, "book": 1}),
        "by_tool": collections.defaultdict(list, {"search": ["q"]}),
        "no_factory": collections.defaultdict(None, {"x": 1}),
        "ratio": Fraction(-2, 3),
    }
    checkpoint = _checkpoint(agents, s.StateAgent(**state))
    manager = CheckpointManager(tmp_path)
    path = manager.save_checkpoint(checkpoint, "collections.ckpt")  # pickles not allowed
    loaded = manager.load_checkpoint(path)
    assert loaded.contains_pickle is False
    got = loaded.agent_state
    assert got == state
    for key, value in state.items():
        assert type(got[key]) is type(value), key
    assert got["memory"].maxlen == 10 and got["unbounded"].maxlen is None
    assert list(got["ordered"]) == ["b", "a", (1, 2)]
    assert got["by_tool"].default_factory is list and got["no_factory"].default_factory is None
    got["by_tool"]["new"].append(1)  # still a defaultdict


@pytest.mark.parametrize(
    "text", ["1e999999999", "1.5", "", "1/0x", None, "1/-2", [1, 2, 3], [1, 2.5]]
)
def test_a_stored_fraction_is_only_an_integer_ratio(text: Any) -> None:
    # (Fraction itself parses "1e999999999", which would take the reader's memory)
    tree = json.dumps({"__cs__": "fraction", "v": text})
    with pytest.raises(ValueError, match="fraction"):
        from pytest_clearstone import codec

        codec.loads(tree)


@pytest.mark.parametrize("orjson_installed", [True, False])
def test_a_string_with_a_lone_surrogate_round_trips(
    agents: dict[str, ModuleType],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    orjson_installed: bool,
) -> None:
    # A JSON chunk cut in the middle of an escaped emoji decodes to a lone surrogate, which
    # UTF-8 cannot hold: saving raised a bare UnicodeEncodeError. It is written as its JSON
    # escape, and read back as it was.
    if not orjson_installed:
        from pytest_clearstone.codec import tags
        from pytest_clearstone.golden import document

        monkeypatch.setattr(tags, "orjson", None)
        monkeypatch.setattr(document, "orjson", None)
    s = agents["cs_state"]
    cut = json.loads('"partial \\ud83d"')
    state = {"cut": cut, "pair": ["\udc00x", "ok ✓"], cut: "as a key"}
    checkpoint = _checkpoint(agents, s.StateAgent(**state))
    path = CheckpointManager(tmp_path).save_checkpoint(checkpoint, "cut.ckpt")
    text = path.read_bytes().decode("utf-8")  # valid UTF-8
    assert '"partial \\ud83d"' in text and "ok ✓" in text
    assert CheckpointManager(tmp_path).load_checkpoint(path).agent_state == state


def test_custom_class_is_pickled_with_dill_and_flagged(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    s = agents["cs_state"]
    agent = s.StateAgent(receipt=s.Receipt(12, ["tea"]), plain=[1])
    checkpoint = _checkpoint(agents, agent)
    loaded = _round_trip(tmp_path, checkpoint)

    assert loaded.agent_state == {"receipt": s.Receipt(12, ["tea"]), "plain": [1]}
    assert loaded.contains_pickle is True
    doc = json.loads(loaded.path.read_text(encoding="utf-8"))  # type: ignore[union-attr]
    assert doc["contains_pickle"] is True
    assert doc["agent"]["state"]["receipt"]["__cs__"] == "pickle"
    assert doc["agent"]["state"]["receipt"]["type"] == "cs_state.Receipt"
    assert doc["agent"]["state"]["plain"] == [1]  # the rest stays readable JSON


def test_state_is_a_snapshot_taken_at_creation(agents: dict[str, ModuleType]) -> None:
    agent = agents["cs_state"].StateAgent(memory=[{"a": 1}])
    checkpoint = _checkpoint(agents, agent)
    agent.memory[0]["a"] = 2
    agent.memory.append("later")
    assert checkpoint.agent_state == {"memory": [{"a": 1}]}
    fresh = checkpoint.restore_state()
    fresh["memory"].append("mutated")
    assert checkpoint.restore_state() == {"memory": [{"a": 1}]}


def test_get_state_is_used_when_present(agents: dict[str, ModuleType], tmp_path: Path) -> None:
    agent = agents["cs_state"].ExplicitAgent({"k": (1, 2)})
    loaded = _round_trip(tmp_path, _checkpoint(agents, agent))
    assert loaded.agent_state == {"data": {"k": (1, 2)}}
    rehydrated = ReplayEngine(loaded).agent
    assert rehydrated.data == {"k": (1, 2)}
    assert not hasattr(rehydrated, "client")  # created without __init__, then load_state()


def test_file_is_indented_json_with_sorted_fields_and_a_format_header(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    checkpoint = _checkpoint(agents, agents["cs_state"].StateAgent(zeta=1, alpha={"b": 2, "a": 1}))
    checkpoint.metadata["ticket"] = "JIRA-1"
    path = CheckpointManager(tmp_path).save_checkpoint(checkpoint)
    text = path.read_text(encoding="utf-8")
    doc = json.loads(text)

    assert text == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"
    assert list(doc) == sorted(doc)  # top-level fields sorted; values keep their key order
    assert list(doc["agent"]["state"]) == ["zeta", "alpha"]
    assert list(doc["agent"]["state"]["alpha"]) == ["b", "a"]
    assert doc["format"] == FORMAT_NAME == "pytest-clearstone-checkpoint"
    assert doc["format_version"] == FORMAT_VERSION == 1
    assert doc["checkpoint_id"] == checkpoint.checkpoint_id
    assert doc["span_id"] == checkpoint.span_id
    assert doc["agent"] == {
        "module": "cs_state",
        "class": "StateAgent",
        "state": {"alpha": {"a": 1, "b": 2}, "zeta": 1},
    }
    assert doc["metadata"] == {"ticket": "JIRA-1"}
    assert dt.datetime.fromisoformat(doc["timestamp"]) == checkpoint.timestamp
    assert doc["written_by"] == {  # (the whole Python version: a patch release can matter)
        "library": f"pytest-clearstone {pytest_clearstone.__version__}",
        "python": "{}.{}.{}".format(*sys.version_info),
    }
    llm = [s for s in doc["trace"]["spans"] if s["span_type"] == "llm"]
    assert llm[0]["input"] == {"v": {"prompt": "hi"}}
    assert llm[0]["output"] == {"v": {"text": "hello"}}
    # a second save of the same checkpoint is byte-identical (stable key order)
    again = CheckpointManager(tmp_path).save_checkpoint(checkpoint, filename="again.ckpt")
    assert again.read_text(encoding="utf-8") == text


def test_metadata_with_rich_values_round_trips(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    checkpoint = _checkpoint(agents, agents["cs_state"].StateAgent())
    when = dt.datetime(2024, 1, 15, tzinfo=dt.timezone.utc)
    checkpoint.metadata.update({"purpose": "baseline", "when": when, "tags": ("a", "b")})
    loaded = _round_trip(tmp_path, checkpoint)
    assert loaded.metadata == {"purpose": "baseline", "when": when, "tags": ("a", "b")}


def test_trace_round_trips_with_recorded_outputs_and_errors(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    with agents["cs_recording"].Recording() as rec:
        with rec.step("step") as span:
            rec.call("tool", "lookup", {"q": "x"}, {"rows": [(1, "a")]})
            rec.call("tool", "lookup", {"q": "y"}, error=KeyError("y"))
        checkpoint = rec.checkpoint(agents["cs_state"].StateAgent(), span.span_id)
    loaded = _round_trip(tmp_path, checkpoint)

    tools = [s for s in loaded.trace.spans if s.span_type == "tool"]
    assert tools[0].input == {"q": "x"}
    assert tools[0].output == {"rows": [(1, "a")]}
    assert tools[1].error is not None and tools[1].error["type"] == "KeyError"
    assert tools[1].status == "ERROR"
    assert [s.name for s in loaded.upstream_spans] == ["workflow"]
    assert loaded.span.name == "step"


def test_a_checkpoint_diff_goes_from_its_own_state_to_the_other(
    agents: dict[str, ModuleType],
) -> None:
    s = agents["cs_state"]
    before = _checkpoint(agents, s.StateAgent(step="plan"))
    after = _checkpoint(agents, s.StateAgent(step="act"))
    delta = before.diff(after)
    assert (delta.before, delta.after) == ({"step": "plan"}, {"step": "act"})
    assert delta.lines == ["root['step']: 'plan' -> 'act'"]


def test_a_checkpoint_is_recorded_by_the_plugin_only_when_its_metadata_says_so(
    agents: dict[str, ModuleType],
) -> None:
    checkpoint = _checkpoint(agents, agents["cs_state"].StateAgent())
    assert not checkpoint.recorded_by_plugin
    checkpoint.metadata["recorded_by"] = "someone-else"
    assert not checkpoint.recorded_by_plugin
    checkpoint.metadata["recorded_by"] = "pytest-clearstone"
    assert checkpoint.recorded_by_plugin


def test_a_check_that_raises_leaves_nothing_written(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    checkpoint = _checkpoint(agents, agents["cs_state"].StateAgent())
    seen: list[str] = []

    def leak(text: str) -> None:
        seen.append(text)
        raise ClearstoneError("a secret in it")

    with pytest.raises(ClearstoneError, match="a secret in it"):
        checkpoint.write(tmp_path / "g.ckpt", check=leak)
    assert seen == [checkpoint.dumps()]  # (the text that would have been written)
    assert list(tmp_path.iterdir()) == []
    assert checkpoint.path is None


def test_a_written_checkpoint_knows_its_file_also_when_left_as_it_was(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    checkpoint = _checkpoint(agents, agents["cs_state"].StateAgent())
    path = checkpoint.write(tmp_path / "g.ckpt")
    assert checkpoint.path == path == tmp_path / "g.ckpt"
    assert path.read_text(encoding="utf-8") == checkpoint.dumps()
    kept = tmp_path / "kept.ckpt"
    kept.write_text("as it was", encoding="utf-8")
    assert checkpoint.write(kept, unchanged=lambda _path, _text: True) == kept
    assert checkpoint.path == kept
    assert kept.read_text(encoding="utf-8") == "as it was"


# -- load errors -------------------------------------------------------------------------------
def _doc(agents: dict[str, ModuleType]) -> dict[str, Any]:
    checkpoint = _checkpoint(agents, agents["cs_state"].StateAgent(memory=[1]))
    return json.loads(checkpoint.dumps())  # type: ignore[no-any-return]


def _write(tmp_path: Path, content: str | bytes) -> Path:
    path = tmp_path / "bad.ckpt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ("", "the file is empty"),
        ("   \n", "the file is empty"),
        (b"\x80\x81\x00garbage", "not UTF-8 text"),
        # (a UTF-16 byte order mark: read as UTF-16 text, garbage here)
        (b"\xff\xfe\x00garbage", "truncated or not JSON"),
        ("this is not json", "truncated or not JSON"),
        ("[1, 2, 3]", "expected a JSON object, found list"),
        ('{"hello": "world"}', "not a pytest-clearstone checkpoint (no 'format', not "),
        (
            '{"format": "something-else"}',  # (it said "no 'format'")
            "not a pytest-clearstone checkpoint (its 'format' is 'something-else', not ",
        ),
        (
            '{"format": "pytest-clearstone-checkpoint", "format_version": "1"}',
            "bad format_version '1'",
        ),
        (
            '{"agent_state_pickle_b64": "gASV", "trace_id": "t1"}',
            "it was written by clearstone-sdk",
        ),
    ],
)
def test_unreadable_files_name_the_file_and_the_problem(
    tmp_path: Path, content: str | bytes, problem: str
) -> None:
    path = _write(tmp_path, content)
    with pytest.raises(CheckpointCorruptError) as info:
        CheckpointManager(tmp_path).load_checkpoint(path)
    message = str(info.value)
    assert str(path) in message
    assert problem in message
    if "clearstone-sdk" in problem:  # (its one fix is the conversion: nothing to re-record)
        assert f"import-clearstone {path} DEST_DIR" in message and "re-record" not in message
    else:
        assert "re-record it with: pytest --clearstone-record" in message
    assert isinstance(info.value, ValueError)


def test_truncated_checkpoint_is_reported_as_truncated(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    text = json.dumps(_doc(agents), indent=2, sort_keys=True)
    for cut in (1, len(text) // 3, len(text) - 2):
        path = _write(tmp_path, text[:cut])
        with pytest.raises(CheckpointCorruptError, match="truncated or not JSON"):
            CheckpointManager().load_checkpoint(path)


@pytest.mark.parametrize(
    ("mutate", "problem"),
    [
        (lambda d: d.pop("agent"), "the field 'agent' is missing"),
        (lambda d: d.pop("trace"), "the field 'trace' is missing"),
        # each field of the wrong type is named (it was "a field has the wrong type")
        (lambda d: d.update(timestamp="yesterday"), "the field 'timestamp' has the wrong type"),
        (lambda d: d.update(metadata=[1]), "the field 'metadata' has the wrong type"),
        (lambda d: d.update(agent=[]), "the field 'agent' has the wrong type"),
        (lambda d: d.update(timestamp="2024-01-15T12:00:00"), "the timestamp has no timezone"),
        (lambda d: d.update(span_id="feedface"), "its span 'feedface' is not in its trace"),
        (lambda d: d["trace"].update(spans=7), "the field 'trace' has the wrong type"),
        # (an empty trace too: it said "the field 'spans' is missing", or Python's own words)
        (lambda d: d.update(trace={}), "the field 'trace' has the wrong type (the trace must be"),
        (lambda d: d.update(trace=[]), "the field 'trace' has the wrong type (the trace must be"),
        # a tag where the trace or a span must be plain (its error records would decode with it)
        (lambda d: d["trace"].update({"__cs__": "dict"}), "the field 'trace' has the wrong type"),
        (lambda d: d["trace"]["spans"][0].update({"__cs__": "dict"}), "the field 'trace' has"),
        # (true == 1, the version: a truth value is no version number all the same)
        (lambda d: d.update(format_version=True), "bad format_version True"),
        (lambda d: d.update(format_version=1.0), "bad format_version 1.0"),
        (
            lambda d: d.update(  # the stdlib parser accepts Infinity, orjson refuses it: which
                # one reads a file depends on orjson and on the digits in the file's ids
                metadata={"t": {"__cs__": "tuple", "v": []}},
                trace={**d["trace"], "spans": [{**d["trace"]["spans"][0], "start_time_ns": 1e999}]},
            ),
            ("truncated or not JSON", "the field 'trace' has the wrong type"),
        ),
        (
            lambda d: d["agent"].update(state={"__cs__": "bytes", "v": "!!notbase64"}),
            "a stored value cannot be decoded",
        ),
        (
            lambda d: d["agent"].update(state={"__cs__": "martian", "v": 1}),
            "unknown value tag 'martian'",
        ),
    ],
)
def test_damaged_checkpoints_name_what_is_wrong(
    agents: dict[str, ModuleType], tmp_path: Path, mutate: Any, problem: str | tuple[str, ...]
) -> None:
    doc = _doc(agents)
    mutate(doc)
    path = _write(tmp_path, json.dumps(doc))
    with pytest.raises(CheckpointCorruptError) as info:
        CheckpointManager().load_checkpoint(path)
    problems = problem if isinstance(problem, tuple) else (problem,)
    assert any(p in str(info.value) for p in problems), str(info.value)
    assert str(path) in str(info.value)


def test_a_stored_class_the_code_no_longer_has_is_named_as_the_code_changed(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    doc = _doc(agents)
    doc["agent"]["state"] = {"mood": {"__cs__": "enum", "cls": "cs_state:Vanished", "v": 1}}
    path = _write(tmp_path, json.dumps(doc))
    with pytest.raises(CheckpointClassChangedError) as info:
        CheckpointManager().load_checkpoint(path)
    assert "cs_state:Vanished" in str(info.value) and str(path) in str(info.value)
    assert info.value.fix == CODE_CHANGED
    # a module found nowhere may be a library's too (another release's): named, both ways out
    doc["agent"]["state"] = {"mood": {"__cs__": "enum", "cls": "cs_gone_module:Mood", "v": 1}}
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(CheckpointClassChangedError) as info:
        CheckpointManager().load_checkpoint(path)
    assert info.value.fix == MODULE_MISSING.format(module="cs_gone_module")


def test_a_file_that_does_not_say_whether_it_holds_pickles_holds_none(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    doc = _doc(agents)
    del doc["contains_pickle"]
    loaded = CheckpointManager().load_checkpoint(_write(tmp_path, json.dumps(doc)))
    assert loaded.contains_pickle is False


def test_newer_format_version_names_both_versions(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    doc = _doc(agents)
    doc["format_version"] = FORMAT_VERSION + 1
    path = _write(tmp_path, json.dumps(doc))
    with pytest.raises(CheckpointVersionError) as info:
        CheckpointManager().load_checkpoint(path)
    message = str(info.value)
    assert f"format version {FORMAT_VERSION + 1}" in message
    assert f"reads version {FORMAT_VERSION}" in message
    assert "upgrade pytest-clearstone" in message
    assert str(path) in message
    assert (info.value.found, info.value.supported) == (FORMAT_VERSION + 1, FORMAT_VERSION)


def test_older_format_version_asks_for_a_re_record(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    doc = _doc(agents)
    doc["format_version"] = 0
    path = _write(tmp_path, json.dumps(doc))
    with pytest.raises(CheckpointVersionError, match="re-record it with"):
        CheckpointManager().load_checkpoint(path)


def test_agent_class_not_importable_at_replay_names_module_and_class(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    doc = _doc(agents)
    doc["agent"]["module"] = "gone_app.agents"
    path = _write(tmp_path, json.dumps(doc))
    checkpoint = CheckpointManager().load_checkpoint(path)  # loading does not need the class
    with pytest.raises(AgentImportError) as info:
        ReplayEngine(checkpoint).agent  # noqa: B018
    message = str(info.value)
    assert "'StateAgent'" in message and "'gone_app.agents'" in message
    assert "ModuleNotFoundError: No module named 'gone_app'" in message  # (why, and a fix)
    assert isinstance(info.value, ImportError)

    doc["agent"]["module"], doc["agent"]["class"] = "cs_state", "Vanished"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(AgentImportError, match="the module has no attribute 'Vanished'") as info:
        ReplayEngine(CheckpointManager().load_checkpoint(path)).agent  # noqa: B018
    # the module imports: making it importable is no fix (before: "make 'cs_state' importable")
    assert "importable" not in str(info.value)
    assert "renamed or moved" in str(info.value)


def test_an_agent_class_that_cannot_be_imported_is_told_with_the_file_naming_it(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    # CONTRACT §2: bad input (an agent class that cannot be imported) gets an error naming the file
    doc = _doc(agents)
    doc["agent"]["module"] = "gone_app.agents"
    path = _write(tmp_path, json.dumps(doc))
    with pytest.raises(AgentImportError) as info:
        ReplayEngine(CheckpointManager().load_checkpoint(path)).agent  # noqa: B018
    assert str(path) in str(info.value)
    doc["agent"]["module"], doc["agent"]["class"] = "cs_state", "Vanished"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(AgentImportError) as info:
        ReplayEngine(CheckpointManager().load_checkpoint(path)).agent  # noqa: B018
    assert str(path) in str(info.value)


def test_an_agent_that_is_no_class_names_a_fix_that_works(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    doc = _doc(agents)
    doc["agent"]["module"], doc["agent"]["class"] = "os", "system"
    path = _write(tmp_path, json.dumps(doc))
    with pytest.raises(AgentImportError, match="it is not a class") as info:
        ReplayEngine(CheckpointManager().load_checkpoint(path)).agent  # noqa: B018
    assert "importable" not in str(info.value)
    assert "names no agent class" in str(info.value)


def test_an_agent_class_of_a_script_or_a_function_names_the_fix_that_works(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    # "make '__main__' importable" cannot be done: the class must move into a module.
    doc = _doc(agents)
    doc["agent"]["module"], doc["agent"]["class"] = "__main__", "ResearchAgent"
    path = _write(tmp_path, json.dumps(doc))
    with pytest.raises(AgentImportError) as info:
        ReplayEngine(CheckpointManager().load_checkpoint(path)).agent  # noqa: B018
    message = str(info.value)
    assert "defined in the script that was run (__main__)" in message
    assert "move it into a module of its own" in message
    assert "make '__main__' importable" not in message
    doc["agent"]["module"], doc["agent"]["class"] = "cs_state", "build.<locals>.Agent"
    path.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(AgentImportError, match=r"defined inside a function.*module level"):
        ReplayEngine(CheckpointManager().load_checkpoint(path)).agent  # noqa: B018


def test_create_checkpoint_names_a_trace_id_given_for_the_trace(
    agents: dict[str, ModuleType],
) -> None:
    with agents["cs_recording"].Recording() as rec:
        with rec.step("step") as span:
            pass
        trace = rec.checkpoint(agents["cs_state"].StateAgent(), span.span_id).trace
    manager = CheckpointManager()
    agent = agents["cs_state"].StateAgent()
    with pytest.raises(TypeError, match=r"a Trace.*get_trace\(trace_id\)"):
        manager.create_checkpoint(agent, trace.trace_id, span.span_id)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match="metadata must be a dict"):
        manager.create_checkpoint(agent, trace, span.span_id, metadata=[1])  # type: ignore[arg-type]


def test_a_name_saved_without_the_suffix_is_listed_and_loads_by_that_name(
    agents: dict[str, ModuleType], tmp_path: Path
) -> None:
    # It was saved as "before_payment", loadable by name but missing from list_checkpoints()
    # and from the names a not-found error offers.
    manager = CheckpointManager(tmp_path)
    path = manager.save_checkpoint(
        _checkpoint(agents, agents["cs_state"].StateAgent()), "before_payment"
    )
    assert path.name == "before_payment.ckpt"
    assert manager.list_checkpoints() == [tmp_path / "before_payment.ckpt"]
    assert manager.load_checkpoint("before_payment").checkpoint_id
    # another suffix is the user's choice: kept as given
    assert (
        manager.save_checkpoint(_checkpoint(agents, agents["cs_state"].StateAgent()), "x.json").name
        == "x.json"
    )


def test_pickles_can_be_refused(agents: dict[str, ModuleType], tmp_path: Path) -> None:
    s = agents["cs_state"]
    manager = CheckpointManager(tmp_path)
    checkpoint = _checkpoint(agents, s.StateAgent(r=s.Receipt(1, [])))
    with pytest.raises(SerializationError, match="pickles are not allowed"):
        manager.save_checkpoint(checkpoint)  # refused by default, nothing written
    assert manager.list_checkpoints() == []
    path = manager.save_checkpoint(checkpoint, allow_pickle=True)
    with pytest.raises(UntrustedCheckpointError, match="pickles are not allowed"):
        manager.load_checkpoint(path)
    assert manager.load_checkpoint(path, allow_pickle=True).agent_state["r"] == s.Receipt(1, [])


# -- fuzzing: nothing but the project's own errors -----------------------------------------------
_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["__cs__", "v", "cls", "type", "spans", "trace_id", "span_id", "x"])
            | st.text(max_size=5),
            children,
            max_size=4,
        )
    ),
    max_leaves=20,
)
_tags = st.sampled_from(
    ["tuple", "set", "bytes", "datetime", "date", "decimal", "uuid", "dict", "enum", "dataclass",
     "pickle", "float", "complex", "timedelta", "path", "repr", "nope"]
)  # fmt: skip
_tagged = st.fixed_dictionaries({"__cs__": _tags, "v": _json})
_span = st.fixed_dictionaries(
    {"trace_id": _json, "span_id": st.sampled_from(["s1", "s2"]) | _json, "name": _json,
     "start_time_ns": st.integers() | st.floats() | _json},
    optional={"end_time_ns": _json, "parent_span_id": _json, "input": _json | _tagged,
              "output": st.fixed_dictionaries({"v": _tagged | _json}), "attributes": _json},
)  # fmt: skip
_checkpointish = st.fixed_dictionaries(
    {"format": st.just(FORMAT_NAME) | _json, "format_version": st.just(FORMAT_VERSION) | _json},
    optional={
        "checkpoint_id": _json, "span_id": st.sampled_from(["s1", "s2"]) | _json,
        "timestamp": st.just("2024-01-15T12:00:00+00:00") | _json,
        "agent": st.fixed_dictionaries({"module": _json, "class": _json, "state": _tagged | _json}),
        "trace": st.fixed_dictionaries({"trace_id": _json, "spans": st.lists(_span, max_size=3)}),
        "metadata": _json | _tagged, "outcome": _json, "contains_pickle": _json,
    },
)  # fmt: skip


def _only_clearstone_errors(raw: bytes) -> None:
    try:
        Checkpoint.from_bytes(raw, Path("fuzz.ckpt"), allow_pickle=False)
    except CheckpointError as exc:
        assert "fuzz.ckpt" in str(exc)
    except ClearstoneError as exc:  # pragma: no cover - the assertion documents the contract
        raise AssertionError(f"{type(exc).__name__} is not a CheckpointError: {exc}") from exc


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_checkpoint_errors(raw: bytes) -> None:
    _only_clearstone_errors(raw)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_json | _tagged | _checkpointish)
def test_random_json_documents_raise_only_checkpoint_errors(doc: Any) -> None:
    _only_clearstone_errors(json.dumps(doc).encode())


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_damaged_real_checkpoints_raise_only_checkpoint_errors(data: st.DataObject) -> None:
    text = _VALID_TEXT
    cut = data.draw(st.integers(0, len(text)))
    junk = data.draw(st.text(max_size=4))
    _only_clearstone_errors((text[:cut] + junk + text[cut + len(junk) :]).encode())


_VALID_TEXT = json.dumps(
    {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "checkpoint_id": "ckpt_1",
        "span_id": "s1",
        "timestamp": "2024-01-15T12:00:00+00:00",
        "agent": {"module": "m", "class": "C", "state": {"t": {"__cs__": "tuple", "v": [1]}}},
        "metadata": {},
        "outcome": None,
        "trace": {
            "trace_id": "t1",
            "spans": [
                {"trace_id": "t1", "span_id": "s1", "name": "root", "start_time_ns": 1,
                 "end_time_ns": 2, "output": {"v": {"__cs__": "bytes", "v": "AA=="}}}
            ],
        },
    },
    indent=2,
)  # fmt: skip


def test_the_fuzzing_seed_document_is_valid() -> None:
    checkpoint = Checkpoint.from_bytes(_VALID_TEXT.encode(), Path("seed.ckpt"))
    assert checkpoint.agent_state == {"t": (1,)}
    assert checkpoint.span.output == b"\x00"


def test_reading_a_missing_file_says_not_found(tmp_path: Path) -> None:
    missing = tmp_path / "nowhere" / "golden.ckpt"
    with pytest.raises(CheckpointNotFoundError, match="nowhere") as info:
        Checkpoint.read(missing)
    assert isinstance(info.value, FileNotFoundError)


@pytest.mark.parametrize("make", ["Lock", "RLock"])
def test_a_lock_held_when_the_state_is_captured_comes_back_released(make: str) -> None:
    # Expected: a lock's held state belongs to the thread holding it then, not to the agent; a
    # checkpoint taken inside `with self.lock:` rehydrated the lock held by no living thread,
    # and the replay of any method taking it hung for ever (an RLock also stored its owner's
    # thread id, so the file changed at each save)
    import threading

    from pytest_clearstone import codec

    lock = getattr(threading, make)()
    with lock:
        held = codec.encode({"lock": lock}, allow_pickle=True)
    assert held == codec.encode({"lock": getattr(threading, make)()}, allow_pickle=True)
    back = codec.decode(held, allow_pickle=True)["lock"]
    assert type(back) is type(lock)
    assert back.acquire(timeout=1)
    back.release()


def test_an_agent_class_of_a_notebook_or_python_c_is_rehydrated_in_that_session(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Expected: a notebook's (or `python -c`'s) __main__ has no __file__; its agent class was
    # refused as "a class of the standard library or of an installed package"
    import sys
    import types

    main = types.ModuleType("__main__")  # as Jupyter and `python -c` have it: no __file__
    exec(
        "class NotebookAgent:\n"
        "    def __init__(self):\n"
        "        self.memory = ['hi']\n"
        "    def step(self, text):\n"
        "        self.memory.append(text)\n"
        "        return len(self.memory)\n",
        main.__dict__,
    )
    monkeypatch.setitem(sys.modules, "__main__", main)
    provider = TracerProvider(":memory:")
    with provider.get_tracer("notebook").span("cell") as cell:
        pass
    checkpoint = CheckpointManager().create_checkpoint(
        main.NotebookAgent(), provider.trace_store.get_trace(cell.trace_id), cell.span_id
    )
    engine = ReplayEngine(checkpoint)
    assert engine.replay_from_checkpoint("step", "again") == 2
    assert engine.agent.memory == ["hi", "again"]
    provider.shutdown()


GET_STATE_ONLY = '''
class Summarizing:
    """get_state() under other names than the attributes, and no load_state()."""

    def __init__(self):
        self.memory = ["hi"]
        self.cost = 0.5

    def get_state(self):
        return {"mem": list(self.memory), "total_cost": self.cost}

    def step(self, text):
        self.memory.append(text)
        return len(self.memory)


class Matching:
    """get_state() under the attributes' names, and no load_state(): restored as it is (a
    value computed anew, a time, is no sign it was not)."""

    def __init__(self):
        self.memory = ["hi"]
        self.best = float("nan")

    def get_state(self):
        import time

        return {"memory": list(self.memory), "best": self.best * 1.0, "at": time.time()}

    def step(self, text):
        self.memory.append(text)
        return len(self.memory)
'''


def test_an_agent_with_get_state_and_no_load_state_is_rehydrated_or_named(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: the guide asks for both methods; with get_state() alone the state was set as
    # attributes named after its keys (mem, total_cost), and the replay failed inside the agent
    # with "AttributeError: 'Summarizing' object has no attribute 'memory'"
    import sys

    (tmp_path / "cs_get_state_only.py").write_text(GET_STATE_ONLY, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cs_get_state_only", raising=False)
    module = importlib.import_module("cs_get_state_only")
    monkeypatch.setitem(sys.modules, "cs_get_state_only", module)
    provider = TracerProvider(":memory:")
    with provider.get_tracer("t").span("run") as run:
        pass
    trace = provider.trace_store.get_trace(run.trace_id)
    manager = CheckpointManager(tmp_path / "checkpoints")
    saved = manager.save_checkpoint(
        manager.create_checkpoint(module.Summarizing(), trace, run.span_id)
    )
    engine = ReplayEngine(manager.load_checkpoint(saved))
    with pytest.raises(CheckpointError) as info:
        engine.replay_from_checkpoint("step", "again")
    message = str(info.value)
    assert "Summarizing has get_state() but no load_state(state)" in message
    assert "'mem', 'total_cost'" in message
    assert "AttributeError" in message and "'memory'" in message
    assert "give the class a load_state(state)" in message
    matching = manager.create_checkpoint(module.Matching(), trace, run.span_id)
    assert ReplayEngine(matching).replay_from_checkpoint("step", "again") == 2
    provider.shutdown()
