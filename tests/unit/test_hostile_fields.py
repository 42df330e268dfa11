"""Goldens whose fields have the wrong type (a corrupt or hostile file): every reader refuses
them with one message naming the file, the field and the fix, and runs nothing; the command
line exits with 2 and one line, never a traceback. ``show --canonical`` (a git textconv
driver) prints a file it cannot read as a checkpoint as it is."""

from __future__ import annotations

import copy
import json
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone.cli import main
from pytest_clearstone.errors import CheckpointCorruptError
from pytest_clearstone.golden.outcome import Outcome, check_outcome, outcome_mapping, read_outcomes
from pytest_clearstone.inspection import load_checkpoint
from pytest_clearstone.tracing.span import Recorded

FIX = "Restore it from version control or re-record it with: pytest --clearstone-record"
TRACE_ID = "3f9f3a792cbeadcf492ffab6c929bd9b"


def _span(span_id: str, parent: str | None, name: str, **fields: Any) -> dict[str, Any]:
    span: dict[str, Any] = {
        "trace_id": TRACE_ID,
        "span_id": span_id,
        "parent_span_id": parent,
        "name": name,
        "span_type": None,
        "attributes": {},
        "start_time_ns": 1796206019632888947,
        "end_time_ns": 1796206019642486181,
        "status": "OK",
        "status_message": None,
        "input": None,
        "output": None,
        "error": None,
    }
    span.update(fields)
    return span


#: a golden of the pytest plugin as a record run writes it (the tester's reproduction)
GOLDEN: dict[str, Any] = {
    "agent": {"module": "agent", "class": "Agent", "state": {"memory": [], "total": 0}},
    "checkpoint_id": "ckpt_cc09fdf0fad4155fc587cb215f5bb6f1",
    "contains_pickle": False,
    "format": "pytest-clearstone-checkpoint",
    "format_version": 1,
    "metadata": {"recorded_by": "pytest-clearstone", "test": "test_agent.py::test_a"},
    "outcome": {
        "function": "handle",
        "result": "answer to hi q|Q",
        "final_state": {"memory": ["answer to hi q", "Q"], "total": 3},
    },
    "span_id": "8e46ce78b146454b",
    "timestamp": "2026-12-02T10:06:59.630710+00:00",
    "trace": {
        "trace_id": TRACE_ID,
        "spans": [
            _span("8e46ce78b146454b", None, "test_agent.py::test_a"),
            _span(
                "dca34b7d20437fb5",
                "8e46ce78b146454b",
                "agent.llm",
                span_type="llm",
                attributes={"clearstone.target": "agent.llm"},
                start_time_ns=1796206019641397881,
                end_time_ns=1796206019641750136,
                input={"v": {"prompt": "hi q"}},
                output={"v": {"text": "answer to hi q", "n": 3}},
            ),
            _span(
                "4fdd9341b2ba51c7",
                "8e46ce78b146454b",
                "agent.tool",
                span_type="tool",
                attributes={"clearstone.target": "agent.tool"},
                start_time_ns=1796206019641820651,
                end_time_ns=1796206019642034198,
                input={"v": {"query": "q"}},
                output={"v": ["Q", {"__cs__": "tuple", "v": [1, 2]}]},
            ),
        ],
    },
}


def _golden(tmp_path: Path, name: str = "bad.ckpt", **changes: Any) -> Path:
    """A copy of :data:`GOLDEN` with ``changes`` (``"trace.spans.1.attributes": 5``) made."""
    doc = copy.deepcopy(GOLDEN)
    for where, value in changes.items():
        keys: list[Any] = [int(k) if k.isdigit() else k for k in where.split(".")]
        parent = doc
        for key in keys[:-1]:
            parent = parent[key]
        parent[keys[-1]] = value
    path = tmp_path / name
    path.write_text(json.dumps(doc, indent=2))
    return path


def _run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _refused(capsys: pytest.CaptureFixture[str], argv: list[object], path: Path) -> str:
    """Run the command line, expecting a refusal of ``path``: exit 2, one line on stderr
    naming the file and the fix. Returns that line."""
    code, _, err = _run(capsys, *argv)
    assert code == 2, err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert f"{path} is not a readable checkpoint: " in err and FIX in err
    return err


def _commands(path: Path, good: Path) -> list[list[object]]:
    return [
        ["show", path],
        ["show", "--calls", path],
        ["show", "--json", path],
        ["diff", path, good],
        ["diff", "-v", good, path],
    ]


# -- 1. outcome.then of the wrong type ----------------------------------------------------------
BAD_THEN = [
    ["x"],
    "x",
    5,
    {"function": "f"},
    [5],
    [{"function": "f"}, 5],
    [{"function": 5, "result": 1}],
]


@pytest.mark.parametrize("then", BAD_THEN, ids=repr)
def test_an_outcome_then_of_the_wrong_type_is_refused_naming_the_file(tmp_path, then):
    outcome = {**GOLDEN["outcome"], "then": then}
    path = tmp_path / "g.ckpt"
    with pytest.raises(CheckpointCorruptError) as caught:
        check_outcome(outcome, path)
    message = str(caught.value)
    assert message.startswith(f"{path} is not a readable checkpoint: outcome.")
    assert FIX in message
    assert "outcome.then must be a list of run outcomes" in message or (
        "outcome.then[0].function must be" in message
    )


def test_the_outcome_of_each_run_is_still_read(tmp_path):
    then = [{"function": "handle", "result": 2, "final_state": {"total": 4}}]
    outcomes = read_outcomes({**GOLDEN["outcome"], "then": then})
    assert [o.function for o in outcomes] == ["handle", "handle"]
    assert outcomes[1].result.value == 2 and outcomes[1].final_state is not None
    assert read_outcomes(None) == []


def test_one_run_of_a_function_writes_neither_a_final_state_nor_later_runs() -> None:
    mapping = outcome_mapping([Outcome("handle", Recorded.of(1))])
    assert mapping is not None and list(mapping) == ["function", "result"]


def test_runs_without_outcome_edited_to_other_than_run_numbers_are_not_read() -> None:
    from pytest_clearstone.golden.outcome import runs_without_outcome

    assert runs_without_outcome({"runs_without_outcome": [0, 2]}) == [0, 2]
    for edited in ([-1], [0, "1"], [0.0], "0", None):
        assert runs_without_outcome({"runs_without_outcome": edited}) is None


@pytest.mark.parametrize("then", BAD_THEN, ids=repr)
def test_inspection_refuses_a_bad_outcome_then(capsys, tmp_path, then):
    path = _golden(tmp_path, **{"outcome.then": then})
    good = _golden(tmp_path, "good.ckpt")
    with pytest.raises(CheckpointCorruptError, match=r"outcome\.then"):
        load_checkpoint(path)
    for argv in _commands(path, good):
        assert "outcome.then" in _refused(capsys, argv, path)


def test_an_outcome_that_is_not_an_object_is_refused(capsys, tmp_path):
    path = _golden(tmp_path, outcome=[["function", "handle"], ["then", "x"]])
    for argv in _commands(path, _golden(tmp_path, "good.ckpt")):
        assert "outcome must be an object" in _refused(capsys, argv, path)


# -- 2. show and diff on wrongly typed fields -----------------------------------------------------
@pytest.mark.parametrize(
    ("where", "value", "problem"),
    [
        ("trace.spans.2.output.v.1.__cs__", [], "a stored value cannot be decoded"),
        ("agent.state.memory", {"__cs__": {}, "v": 1}, "a stored value cannot be decoded"),
        ("trace.spans.0.start_time_ns", 10**400, "start_time_ns"),
        ("trace.spans.1.end_time_ns", -(10**400), "end_time_ns"),
        ("trace.spans.1.attributes", 5, "wrong type"),
        ("trace.spans.1.parent_span_id", [], "wrong type"),
    ],
)
def test_show_and_diff_refuse_wrongly_typed_fields(capsys, tmp_path, where, value, problem):
    path = _golden(tmp_path, **{where: value})
    good = _golden(tmp_path, "good.ckpt")
    for argv in _commands(path, good):
        assert problem in _refused(capsys, argv, path)


@pytest.mark.parametrize(
    ("where", "value", "location"),
    [
        (
            "agent.state.memory",
            ["a", {"__cs__": "tuple", "v": [1, {"__cs__": "no_such_tag"}]}],
            "the agent state at state['memory'][1][1]",
        ),
        (
            "trace.spans.1.output",
            {"v": {"text": {"__cs__": "no_such_tag"}}},
            "the output of span 'agent.llm' (dca34b7d20437fb5) at root['text'] "
            "(trace.spans[1].output)",
        ),
        (
            "trace.spans.1.output",
            {"__cs__": "no_such_tag"},
            "the output of span 'agent.llm' (dca34b7d20437fb5) at root (trace.spans[1].output)",
        ),
        (
            "outcome.result",
            {"__cs__": "pydantic", "cls": "app:Reply", "v": {"text": {"__cs__": "no_such_tag"}}},
            "the outcome at outcome['result'].text",
        ),
        (
            "agent.state.memory",
            [[{"__cs__": "no_such_tag"}]],
            "the agent state at state['memory'][0][0]",
        ),
        ("agent.module", {"__cs__": "no_such_tag"}, "the document['agent']['module']"),
    ],
)
def test_a_value_that_cannot_be_decoded_is_named_by_where_it_is(tmp_path, where, value, location):
    from pytest_clearstone.golden.checkpoint import Checkpoint

    path = _golden(tmp_path, **{where: value})
    with pytest.raises(CheckpointCorruptError) as replayed:
        Checkpoint.read(path)
    assert f"unknown value tag 'no_such_tag' (in {location}). " in str(replayed.value)


def test_a_value_of_a_changed_class_is_named_by_where_it_is(capsys, tmp_path):
    from pytest_clearstone.golden.checkpoint import Checkpoint

    stored = {"__cs__": "pydantic.v1", "cls": "collections:OrderedDict", "v": {}}
    path = _golden(tmp_path, **{"outcome.final_state": {"memory": [stored]}})
    location = " (in the outcome at outcome['final_state']['memory'][0]). "
    with pytest.raises(CheckpointCorruptError) as replayed:
        Checkpoint.read(path)
    with pytest.raises(CheckpointCorruptError) as shown:
        load_checkpoint(path)
    for message in (str(replayed.value), str(shown.value)):
        assert f"is not a pydantic v1 model{location}" in message, message
    code, _, err = _run(capsys, "show", path)
    assert code == 2 and location in err, err


def test_a_value_of_an_indexed_golden_that_cannot_be_decoded_is_named_by_where_it_is(
    tmp_path,
):
    from pytest_clearstone.codec import tag_index
    from pytest_clearstone.codec.tags import parse_document, scan_document
    from pytest_clearstone.golden.checkpoint import Checkpoint

    # (a golden as a record run writes it: its tag index lists where its tagged values are,
    # and only those are decoded)
    doc = copy.deepcopy(GOLDEN)
    doc["agent"]["state"]["memory"] = [
        "a",
        {"__cs__": "tuple", "v": [1, {"__cs__": "tuple", "v": []}]},
    ]
    doc["tag_index"] = tag_index(doc)
    assert ["agent", "state", "memory", 1] in doc["tag_index"]["paths"]
    doc["agent"]["state"]["memory"][1]["v"][1]["__cs__"] = "no_such_tag"  # (the tags counted alike)
    path = tmp_path / "indexed.ckpt"
    path.write_text(json.dumps(doc, indent=2))
    raw = path.read_bytes()
    scan = scan_document(raw)
    assert scan.index(parse_document(raw, scan)) == doc["tag_index"]["paths"]  # (it is used)
    with pytest.raises(CheckpointCorruptError) as replayed:
        Checkpoint.read(path)
    assert " (in the agent state at state['memory'][1][1]). " in str(replayed.value)


# -- show --canonical: the git textconv driver prints what it cannot read as it is -------------
@pytest.mark.parametrize(
    ("where", "value"),
    [
        ("trace.spans.1.attributes", 5),
        ("trace.spans.1.parent_span_id", []),
        ("trace.spans.1.parent_span_id", {}),
        ("trace.spans.1.span_type", ["llm"]),
        ("trace.spans.0.start_time_ns", 10**400),
        ("trace.spans.1.error", 5),
        ("trace.spans", "x"),
        ("trace.spans.1", "x"),
        ("trace.spans.2.output.v.1.__cs__", []),
        ("outcome.then", "x"),
    ],
)
def test_canonical_prints_a_file_it_cannot_read_as_it_is(capsys, tmp_path, where, value):
    path = _golden(tmp_path, **{where: value})
    code, out, err = _run(capsys, "show", "--canonical", path)
    assert (code, err) == (0, "")
    assert out == path.read_text() + "\n"  # (show refuses it: not readable as a checkpoint)


def test_canonical_of_a_readable_golden_is_unchanged(capsys, tmp_path):
    code, out, err = _run(capsys, "show", "--canonical", _golden(tmp_path))
    assert (code, err) == (0, "")
    assert "call agent.tool #1 [tool]" in out.splitlines()
    assert "    agent.llm [llm] OK" in out.splitlines()


# -- 3. show says why a trace is unreadable as replay does -----------------------------------------
@pytest.mark.parametrize("spans", ["x", 5, None, {"a": 1}, ["x"], [{"__cs__": "tuple", "v": []}]])
def test_show_gives_replays_reason_for_spans_that_are_not_a_list(capsys, tmp_path, spans):
    from pytest_clearstone.golden.checkpoint import Checkpoint

    path = _golden(tmp_path, **{"trace.spans": spans})
    with pytest.raises(CheckpointCorruptError) as replayed:
        Checkpoint.read(path)
    with pytest.raises(CheckpointCorruptError) as shown:
        load_checkpoint(path)
    assert str(shown.value) == str(replayed.value)
    assert "the trace must be an object with a list of spans" in str(shown.value)
    assert "the trace must be an object with a list of spans" in _refused(
        capsys, ["show", path], path
    )


# -- show --canonical runs nothing a file names ------------------------------------------------
@pytest.mark.parametrize("where", ["trace.spans.1.attributes.k", "trace.spans.1.error"])
def test_canonical_imports_no_module_a_span_names(capsys, tmp_path, monkeypatch, where):
    # git runs the textconv driver on every diff of a golden: a span attribute naming a
    # module must not import it (its code would run)
    module = f"cs_hostile_fields_marker_{where.rpartition('.')[2]}"
    marker = tmp_path / "IMPORTED"
    (tmp_path / f"{module}.py").write_text(
        f"import enum, pathlib\npathlib.Path({str(marker)!r}).write_text('x')\n"
        "class E(enum.Enum):\n    A = 1\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    tree = {"__cs__": "enum", "cls": f"{module}:E", "v": 1}
    if where.endswith("error"):
        tree = {"type": "ValueError", "module": "builtins", "message": "m", "args": [tree]}
    path = _golden(tmp_path, **{where: tree})
    code, out, err = _run(capsys, "show", "--canonical", path)
    assert (code, err) == (0, "")
    assert not marker.exists() and module not in sys.modules
    assert f"{module}:E" in out  # the stored tree, as it is


@pytest.mark.parametrize("then", BAD_THEN, ids=repr)
def test_replay_and_the_library_refuse_a_bad_outcome_then_when_reading(tmp_path, then):
    from pytest_clearstone.debugging import CheckpointManager
    from pytest_clearstone.golden.checkpoint import Checkpoint

    path = _golden(tmp_path, **{"outcome.then": then})
    with pytest.raises(CheckpointCorruptError, match=r"outcome\.then"):
        Checkpoint.read(path)
    with pytest.raises(CheckpointCorruptError, match=r"outcome\.then"):
        CheckpointManager(tmp_path).load_checkpoint(path.name)


@pytest.mark.parametrize(
    ("module", "cls", "state"),
    [
        # its __del__ deletes the file named in the state when the rehydrated object is freed
        ("tempfile", "_TemporaryFileCloser", {"file": 1, "name": "VICTIM", "delete": True}),
        # its run() calls the state's _target with the state's _args
        ("threading", "Thread", {"_target": {"__cs__": "class", "cls": "os:remove"}}),
        ("json.decoder", "JSONDecoder", {}),
    ],
)
def test_an_untrusted_golden_rehydrates_no_class_of_the_standard_library_or_a_package(
    tmp_path: Path, module: str, cls: str, state: dict[str, Any]
) -> None:
    """A golden without pickles runs no code of its choosing: its agent class, rehydrated with
    its state, would run that class's own methods (``__del__``, a ``run`` it is asked for) on
    data the file chose. A class of the standard library or an installed package is no agent of
    the user's: refused unless the file is trusted (``allow_pickle=True``)."""
    from pytest_clearstone.debugging import ReplayEngine
    from pytest_clearstone.errors import AgentImportError

    victim = tmp_path / "victim.txt"
    victim.write_text("precious")
    state = json.loads(json.dumps(state).replace("VICTIM", str(victim)))
    path = _golden(tmp_path, **{"agent": {"module": module, "class": cls, "state": state}})
    engine = ReplayEngine(load_checkpoint(str(path)))
    with pytest.raises(AgentImportError, match=f"{cls}.*installed package.*allow_pickle=True"):
        engine.replay_from_checkpoint("run")
    import gc

    gc.collect()
    assert victim.read_text() == "precious"


def test_a_key_written_twice_in_an_edited_golden_is_refused_naming_it(tmp_path: Path) -> None:
    # a merge that kept both sides' line ("cost": 0.01 and "cost": 0.05) was read with the last
    # one winning, silently: the reviewer approved a value the replay did not use
    path = _golden(tmp_path)
    text = path.read_text().replace('"total": 3', '"total": 3, "total": 4', 1)
    path.write_text(text)
    with pytest.raises(CheckpointCorruptError, match="the key 'total' appears twice in one object"):
        load_checkpoint(str(path))


# -- a value nested deeper than any reader goes --------------------------------------------------
def test_a_golden_nested_past_every_limit_is_named_so_by_every_reader(capsys, tmp_path):
    # Before the fix: replay said "nested more than 2000 levels deep", but show and diff said
    # "truncated or not JSON (maximum recursion depth exceeded ...)" of a file that is whole JSON
    from pytest_clearstone.codec.nesting import MAX_DEPTH
    from pytest_clearstone.golden.checkpoint import Checkpoint

    path = _golden(tmp_path)
    depth = 50 * MAX_DEPTH
    text = path.read_text().replace('"total": 3', '"total": ' + "[" * depth + "]" * depth, 1)
    path.write_text(text)
    said = f"{path} is not a readable checkpoint: it is nested more than {MAX_DEPTH} levels deep"
    with pytest.raises(CheckpointCorruptError, match="nested more than"):
        Checkpoint.read(path)
    with pytest.raises(CheckpointCorruptError) as raised:
        load_checkpoint(path)
    assert str(raised.value).startswith(said)
    good = _golden(tmp_path, "good.ckpt")
    for argv in _commands(path, good):
        err = _refused(capsys, argv, path)
        assert said in err and "not JSON" not in err, argv


@pytest.mark.parametrize("module", ["this", "this.sub"])
def test_an_untrusted_golden_imports_no_module_of_the_standard_library_or_a_package(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], module: str
) -> None:
    """Before the fix the module the golden named was imported, running its top-level code,
    before its class was refused: ``this`` printed the Zen of Python, ``antigravity`` opened a
    web browser, ``venv.__main__`` ran venv's command line with the test run's arguments
    (creating a virtual environment in the directory given to pytest). A golden that is not
    trusted names a module of the standard library or of an installed package: refused before
    it (or a package holding it) is imported."""
    from pytest_clearstone.debugging import ReplayEngine
    from pytest_clearstone.errors import AgentImportError

    assert "this" not in sys.modules
    path = _golden(tmp_path, **{"agent": {"module": module, "class": "Agent", "state": {}}})
    engine = ReplayEngine(load_checkpoint(str(path)))
    refused = r"module of the standard library.*allow_pickle=True"
    with pytest.raises(AgentImportError, match=refused):
        engine.replay_from_checkpoint("run")
    assert "this" not in sys.modules
    assert "Zen of Python" not in capsys.readouterr().out


@pytest.mark.parametrize("module", ["venv.__main__", "unittest.__main__"])
def test_a_tag_naming_a_script_runs_it_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, module: str
) -> None:
    """Before the fix a golden without pickles whose value was an enum tag naming
    ``venv.__main__:X`` had that script imported while the golden was read for replay: it ran
    venv's command line with the test run's arguments (``pytest tests`` made a virtual
    environment in ``tests``) and its ``SystemExit`` failed the test as ``SystemExit: 0``. A
    module's ``__main__`` is a script, never a class's home a value was recorded with: refused,
    imported never."""
    from pytest_clearstone.golden.checkpoint import Checkpoint

    env = tmp_path / "env"
    monkeypatch.setattr(sys, "argv", ["venv", str(env)])
    monkeypatch.delitem(sys.modules, module, raising=False)
    tag = {"__cs__": "enum", "cls": f"{module}:Colour", "v": 1}
    path = _golden(tmp_path, **{"outcome.result": tag})
    with pytest.raises(CheckpointCorruptError, match=r"__main__.*is a script") as raised:
        Checkpoint.read(path)
    assert str(raised.value).endswith(FIX)
    assert not env.exists()
    assert module not in sys.modules


@pytest.mark.parametrize(
    "stamp", ["9999-12-31T23:59:59-14:00", "0001-01-01T00:00:00+14:00"], ids=["after", "before"]
)
def test_a_timestamp_whose_instant_no_datetime_holds_is_refused_naming_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, stamp: str
) -> None:
    # Before the fix: the golden loaded, and replaying it (or recording it again, which keeps
    # the previous golden's clock) failed inside the plugin with a bare "OverflowError: date
    # value out of range" when the clock was frozen at the timestamp's instant (in UTC: year
    # 10000, or year 0)
    from pytest_clearstone.golden.checkpoint import Checkpoint
    from pytest_clearstone.golden.identity import previous_document, previous_identity

    path = _golden(tmp_path, timestamp=stamp)
    said = f"the timestamp {stamp!r} is out of range"
    with pytest.raises(CheckpointCorruptError, match=re.escape(said)):
        Checkpoint.read(path)
    with pytest.raises(CheckpointCorruptError, match=re.escape(said)):
        load_checkpoint(path)
    err = _refused(capsys, ["show", path], path)
    assert said in err
    # a re-record starts a new identity (a clock of its own) instead of keeping that one
    assert previous_identity(previous_document(path.read_text())) is None


@pytest.mark.parametrize("where", ["module", "base"])
def test_a_recorded_exception_naming_a_script_runs_it_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str
) -> None:
    """Before the fix a span's recorded exception whose module (or the module of its stand-in's
    base) was ``venv.__main__`` had it imported when the replayed call raised: venv's command
    line ran with the test run's arguments, and its ``SystemExit`` left the replay."""
    from pytest_clearstone.errors import RecordedError
    from pytest_clearstone.golden.recorded_errors import rebuild_exception

    env = tmp_path / "env"
    monkeypatch.setattr(sys, "argv", ["venv", str(env)])
    monkeypatch.delitem(sys.modules, "venv.__main__", raising=False)
    script = {"module": "venv.__main__", "type": "Boom"}
    record: dict[str, Any] = {"module": "app", "type": "Boom", "message": "m"}
    record.update(script if where == "module" else {"base": script})
    rebuilt = rebuild_exception(record)
    assert isinstance(rebuilt, RecordedError)
    assert "could not be imported" in str(rebuilt)
    assert ("is a script" in str(rebuilt)) is (where == "module")
    assert not env.exists()
    assert "venv.__main__" not in sys.modules


def test_the_type_a_refused_pickle_claims_is_named_escaped(tmp_path: Path) -> None:
    # Before the fix: the type name a pickle tag claims (text from the file, a stranger's) was
    # put in the refusal as it was: its escape sequences reached the terminal of the CI log
    from pytest_clearstone.errors import UntrustedCheckpointError
    from pytest_clearstone.golden.checkpoint import Checkpoint

    claimed = "evil\x1b[2J\x1b]0;pwned\x07\u202eType"
    tag = {"__cs__": "pickle", "type": claimed, "v": "AAAA"}
    path = _golden(tmp_path, **{"metadata.x": tag})
    with pytest.raises(UntrustedCheckpointError) as raised:
        Checkpoint.read(path)
    message = str(raised.value)
    assert "a stored evil\\x1b[2J\\x1b]0;pwned\\x07\\u202eType, in the metadata" in message
    assert "\x1b" not in message and "\u202e" not in message


def test_a_previous_golden_that_is_not_json_or_text_gives_no_identity(tmp_path: Path) -> None:
    # a re-record over a golden that is not text (a binary file at its path) or not JSON (cut
    # short, hand-edited) starts a new identity instead of failing
    from pytest_clearstone.golden.identity import (
        previous_document,
        previous_identity,
        read_previous,
    )

    binary = tmp_path / "binary.json"
    binary.write_bytes(b"\x80\x81garbage")
    assert read_previous(binary) is None
    for text in ("not json", '{"checkpoint_id": "ckpt_', ""):
        assert previous_document(text) is None
        assert previous_identity(previous_document(text)) is None


@pytest.mark.parametrize(
    "checkpoint_id",
    [
        "ckpt_" + "0" * 31,
        "ckpt_" + "0" * 32 + "\n",
        "ckpt_" + "0" * 32 + "0",
        "../ckpt_" + "0" * 32,
    ],
)
def test_a_previous_checkpoint_id_of_another_form_is_not_kept(checkpoint_id: str) -> None:
    from pytest_clearstone.golden.identity import previous_identity

    good = "ckpt_" + "0123456789abcdef" * 2
    doc = {"checkpoint_id": good, "timestamp": "2024-01-15T12:30:45+00:00"}
    assert previous_identity(doc) is not None
    assert previous_identity({**doc, "checkpoint_id": checkpoint_id}) is None


def test_a_previous_naive_timestamp_is_kept_as_utc() -> None:
    import datetime as dt

    from pytest_clearstone.golden.identity import previous_identity

    good = "ckpt_" + "0123456789abcdef" * 2
    kept = previous_identity({"checkpoint_id": good, "timestamp": "2024-01-15T12:30:45"})
    assert kept == (good, dt.datetime(2024, 1, 15, 12, 30, 45, tzinfo=dt.timezone.utc))
