"""The ``mock`` configuration and the recorded spans that answer each target
(``golden.mocks``)."""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone.errors import MockTargetError
from pytest_clearstone.golden import mocks
from pytest_clearstone.golden.checkpoint import RECORDED_BY_PLUGIN
from pytest_clearstone.golden.targets import resolve
from pytest_clearstone.tracing.span import Recorded, Span

_ids = itertools.count()


def _call(
    name: str,
    target: str | None = None,
    *,
    answered: bool = True,
    raised: bool = False,
    start: int = 0,
    span_type: str = "tool",
) -> Span:
    return Span(
        trace_id="t",
        span_id=f"s{next(_ids)}",
        parent_span_id=None,
        name=name,
        span_type=span_type,
        attributes={mocks.TARGET_ATTRIBUTE: target} if target else {},
        start_time_ns=start,
        output=Recorded(encoded="answer") if answered and not raised else None,
        error={"type": "TimeoutError", "message": "timed out"} if raised else None,
    )


def test_a_target_listed_twice_under_its_type_is_one_target() -> None:
    # (a shared list joined with the test's own: answered once per listing, it took two answers)
    config = {"tool": ["app.tools.search", "app.tools.search", "app.tools.fetch"]}
    assert mocks.normalize_mock_config(config) == [
        ("tool", "app.tools.search"),
        ("tool", "app.tools.fetch"),
    ]


def test_a_span_named_after_the_class_and_method_answers_its_target() -> None:
    # (two targets of one type: each takes the spans named after its function)
    spans = [_call("Search.run"), _call("Fetch.run")]
    pairs = [("tool", "app.tools.Search.run"), ("tool", "app.tools.Fetch.run")]
    assert [found for _, _, found in mocks.plan(spans, pairs)] == [[spans[0]], [spans[1]]]


def test_the_unmocked_targets_count_the_answered_calls_the_recording_made() -> None:
    spans = [
        _call("search", "app.old.search"),
        _call("search", "app.old.search"),
        _call("search", "app.old.search", answered=False),  # (a call that never returned)
        _call("fetch", "app.tools.fetch"),
    ]
    assert mocks.unmocked(spans, [("tool", "app.tools.fetch")]) == {"app.old.search": ("tool", 2)}


def test_a_target_without_a_dot_under_a_plain_span_type_is_not_told_to_swap_them() -> None:
    # (only a span type with a dot looks like the path given in its place: this one is a path
    # missing its module, refused as such when it is resolved)
    assert mocks.normalize_mock_config({"llm": "complete"}) == [("llm", "complete")]
    with pytest.raises(MockTargetError) as info:
        resolve("complete")
    assert str(info.value).startswith(
        "mock target 'complete' cannot be patched: it is not a dotted import path. Give the "
        "import path where the agent looks the function up"
    )


def test_a_list_of_targets_holding_something_else_than_a_path_is_refused_by_its_type() -> None:
    with pytest.raises(TypeError) as info:
        mocks.normalize_mock_config({"tool": ["app.tools.search", 3]})
    assert str(info.value) == "mock_config['tool'] must be an import path or a list of import paths"


def test_a_recorded_call_that_raised_is_an_answer_too() -> None:
    # (a replay raises the recorded error again: the call is answered, and counted as such)
    spans = [_call("search", "app.old.search", raised=True), _call("search", raised=True)]
    assert mocks.unmocked(spans, []) == {"app.old.search": ("tool", 1)}
    assert mocks.answering_spans(spans, "tool", "app.tools.search") == [spans[1]]


def test_the_spans_in_scope_start_at_or_after_the_checkpoints_span() -> None:
    # (a call starting in the same nanosecond as the checkpoint's span is after it: a coarse
    # clock, or an imported trace's timestamps, give both one time)
    spans = [_call("search", start=5), _call("search", start=10), _call("search", start=11)]
    assert mocks.scope(spans, 10) == spans[1:]


def test_the_other_span_type_answering_a_target_is_told_only_when_it_is_one() -> None:
    tool = _call("search")
    note = mocks.other_type_note([tool], "llm", "app.tools.search", [])
    assert note is not None and note.endswith("mock_config={'tool': 'app.tools.search'}")
    # (two types would answer it: which one is meant is unknown, so none is told)
    spans = [tool, _call("search", span_type="retriever")]
    assert mocks.other_type_note(spans, "llm", "app.tools.search", []) is None
    # (a type the config already gives the target is no news)
    given = [("tool", "app.tools.search")]
    assert mocks.other_type_note([tool], "llm", "app.tools.search", given) is None


def _golden(path: Path, metadata: dict[str, Any]) -> str:
    """The text of a golden holding ``metadata``, as a replay reads it (written to ``path``)."""
    path.write_text(json.dumps({"metadata": metadata}))
    return path.read_text()


def test_a_target_a_plugins_golden_was_recorded_without_is_told_with_the_targets_it_had(
    tmp_path: Path,
) -> None:
    golden = _golden(
        tmp_path / "g.json",
        {"recorded_by": RECORDED_BY_PLUGIN, "mock": {"tool": ["app.search", "app.fetch"]}},
    )
    note = mocks.unrecorded_target_note(golden, "app.notify", "test_app.py::test_run")
    assert note is not None and note.startswith(
        "app.notify was not a mock target when this golden was recorded (its mock: "
        "tool = app.search, app.fetch): any calls to it ran live"
    )
    # (a target it was recorded with: its calls ran out for another reason)
    assert mocks.unrecorded_target_note(golden, "app.fetch", "test_app.py::test_run") is None


def test_a_golden_whose_mock_is_one_path_or_none_is_read_as_such(tmp_path: Path) -> None:
    one = _golden(
        tmp_path / "one.json", {"recorded_by": RECORDED_BY_PLUGIN, "mock": {"tool": "app.search"}}
    )
    assert mocks.unrecorded_target_note(one, "app.search", "test_app.py::test_run") is None
    none = _golden(tmp_path / "none.json", {"recorded_by": RECORDED_BY_PLUGIN, "mock": {}})
    note = mocks.unrecorded_target_note(none, "app.search", "test_app.py::test_run")
    assert note is not None and "(its mock: none)" in note


def test_a_checkpoint_the_plugin_did_not_record_says_nothing_of_its_mock(tmp_path: Path) -> None:
    # (a checkpoint saved by hand: its metadata is the user's, and "mock" may mean anything)
    saved = _golden(tmp_path / "saved.json", {"mock": {"tool": ["app.search"]}})
    assert mocks.unrecorded_target_note(saved, "app.notify", "test_app.py::test_run") is None
    assert mocks.unrecorded_target_note("", "app.notify", "test_app.py::test_run") is None


def test_the_silent_spans_of_a_type_told_are_those_recorded_for_the_target_or_none() -> None:
    assert (
        mocks.silent_spans_note([_call("fetch", "app.fetch", answered=False)], "tool", "app.search")
        is None
    )
    note = mocks.silent_spans_note(
        [_call("search", answered=False), _call("fetch", "app.fetch", answered=False)],
        "tool",
        "app.search",
    )
    assert note is not None and note.startswith(
        "The trace holds 1 span(s) of type 'tool' after the checkpoint (named 'search')"
    )
