"""An integer longer than Python converts to text (``sys.get_int_max_str_digits()``, 4300
digits by default) in the agent's state: saving it gives a SerializationError naming where it
is and the fixes, not a bare ValueError from the json module; nothing is written."""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.errors import CheckpointCorruptError, SerializationError
from pytest_clearstone.golden.files import not_json

AGENTS_DIR = Path(__file__).resolve().parent / "agents"
BIG = 7**6000  # 5,071 digits


def test_a_too_long_integer_in_state_is_refused_naming_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.syspath_prepend(str(AGENTS_DIR))
    state = importlib.import_module("cs_state")
    recording = importlib.import_module("cs_recording")
    with recording.Recording() as rec, rec.step("step") as span:
        rec.call("llm", "complete", {"prompt": "hi"}, {"text": "hello"})
    checkpoint = rec.checkpoint(state.StateAgent(history=["a", BIG]), span.span_id)
    manager = CheckpointManager(tmp_path)
    with pytest.raises(SerializationError) as info:
        manager.save_checkpoint(checkpoint)
    message = str(info.value)
    assert "the agent state at state['history'][1]" in message
    assert "5071 digits" in message and "sys.set_int_max_str_digits(0)" in message
    assert manager.list_checkpoints() == []
    if sys.get_int_max_str_digits() == 0:  # pragma: no cover - (the default limit is on)
        return
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)  # the fix the message gives works
    try:
        saved = manager.save_checkpoint(checkpoint)
        assert manager.load_checkpoint(saved).agent_state["history"] == ["a", BIG]
    finally:
        sys.set_int_max_str_digits(limit)


def test_show_and_sign_file_say_what_replay_says_of_a_golden_holding_one(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # Expected: `show` (and sign_file) name the integer and the fix, as loading it for replay
    # does. Before the fix: "truncated or not JSON (Exceeds the limit (4300 digits) for integer
    # string conversion ...)": the file is sound JSON, recorded with the limit lifted.
    from pytest_clearstone.cli import main
    from pytest_clearstone.errors import CheckpointCorruptError
    from pytest_clearstone.golden import signing

    if sys.get_int_max_str_digits() == 0:  # pragma: no cover - (the default limit is on)
        pytest.skip("the limit is lifted in this process")
    monkeypatch.syspath_prepend(str(AGENTS_DIR))
    state = importlib.import_module("cs_state")
    recording = importlib.import_module("cs_recording")
    with recording.Recording() as rec, rec.step("step") as span:
        rec.call("llm", "complete", {"prompt": "hi"}, {"text": "hello"})
    checkpoint = rec.checkpoint(state.StateAgent(history=["a", BIG]), span.span_id)
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        saved = CheckpointManager(tmp_path).save_checkpoint(checkpoint)
    finally:
        sys.set_int_max_str_digits(limit)
    with pytest.raises(CheckpointCorruptError) as info:
        CheckpointManager(tmp_path).load_checkpoint(saved)
    said = "it holds an integer longer than Python reads from text"
    assert said in str(info.value)
    assert main(["show", str(saved)]) != 0
    err = capsys.readouterr().err
    assert said in err and "sys.set_int_max_str_digits(5071) in conftest.py" in err
    assert "truncated or not JSON" not in err
    with pytest.raises(CheckpointCorruptError, match=said):
        signing.sign_file(saved, "k" * 32)


def test_a_golden_recorded_under_the_default_limit_replayed_under_a_lower_one_says_so(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # a suite run where the limit is lower than Python's default (`-X int_max_str_digits=640`,
    # PYTHONINTMAXSTRDIGITS, as some hardened interpreters are started): the golden, recorded
    # where the default was in force, holds a 1,000-digit integer. It said the golden was
    # "recorded with the limit lifted" (it was not) and to restore it from version control or
    # re-record it (the file is sound; re-recording here fails on the same limit).
    monkeypatch.syspath_prepend(str(AGENTS_DIR))
    state = importlib.import_module("cs_state")
    recording = importlib.import_module("cs_recording")
    with recording.Recording() as rec, rec.step("step") as span:
        rec.call("llm", "complete", {"prompt": "hi"}, {"text": "hello"})
    checkpoint = rec.checkpoint(state.StateAgent(history=["a", 10**1000]), span.span_id)
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(sys.int_info.default_max_str_digits)
    try:
        saved = CheckpointManager(tmp_path).save_checkpoint(checkpoint)
        sys.set_int_max_str_digits(640)
        with pytest.raises(CheckpointCorruptError) as info:
            CheckpointManager(tmp_path).load_checkpoint(saved)
    finally:
        sys.set_int_max_str_digits(limit)
    message = str(info.value)
    assert "lifted" not in message and "version control" not in message, message
    assert message.endswith(
        "it holds an integer longer than Python reads from text here (640 digits, "
        "sys.get_int_max_str_digits()), of 1001 digits: the process that recorded it had a "
        f"higher limit (Python's default: {sys.int_info.default_max_str_digits}) or none; if "
        "the golden is yours, give this one as high a limit: sys.set_int_max_str_digits(1001) "
        "in conftest.py (not 0, no limit, for a golden from others: a hostile file's huge "
        "integers can take minutes to read)"
    )


def test_the_advice_names_no_count_where_the_parser_words_give_none(tmp_path: Path) -> None:
    reason = "Exceeds the limit (4300 digits) for integer string conversion"
    message = str(not_json(tmp_path / "g.json", b"[1]", reason))
    assert ", of " not in message, message
    assert "sys.set_int_max_str_digits(its digits) in conftest.py (not 0," in message, message


def _checkpoint_of(monkeypatch: pytest.MonkeyPatch, history: list[object]) -> object:
    monkeypatch.syspath_prepend(str(AGENTS_DIR))
    state = importlib.import_module("cs_state")
    recording = importlib.import_module("cs_recording")
    with recording.Recording() as rec, rec.step("step") as span:
        rec.call("llm", "complete", {"prompt": "hi"}, {"text": "hello"})
    return rec.checkpoint(state.StateAgent(history=history), span.span_id)


def test_the_first_of_several_too_long_integers_in_a_list_is_named(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    checkpoint = _checkpoint_of(monkeypatch, ["a", BIG, 11**6000])
    with pytest.raises(SerializationError) as info:
        CheckpointManager(tmp_path).save_checkpoint(checkpoint)
    assert "the agent state at state['history'][1]" in str(info.value)
    assert "5071 digits" in str(info.value)


def test_state_holding_text_like_the_stores_placeholder_is_saved(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # (the text the trace store writes for a too-long integer, as the agent's own data: a dict
    # with "type" and "v" keys, and a plain string)
    placeholder = "<int of about 9999 digits: longer than Python writes as text>"
    history: list[object] = [{"type": "int", "v": placeholder}, placeholder]
    manager = CheckpointManager(tmp_path)
    saved = manager.save_checkpoint(_checkpoint_of(monkeypatch, history))
    assert manager.load_checkpoint(saved).agent_state["history"] == history


def test_the_refusal_gives_the_limit_in_force(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    checkpoint = _checkpoint_of(monkeypatch, ["a", 10**1000])
    limit = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(640)
    try:
        with pytest.raises(SerializationError) as info:
            CheckpointManager(tmp_path).save_checkpoint(checkpoint)
    finally:
        sys.set_int_max_str_digits(limit)
    assert "an integer of about 1001 digits, more than Python converts to text (640 digits, " in (
        str(info.value)
    )
