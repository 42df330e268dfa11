"""The ``mock`` configuration and the recorded spans that answer each target
(``golden.mocks``)."""

from __future__ import annotations

import itertools

from pytest_clearstone.golden import mocks
from pytest_clearstone.tracing.span import Recorded, Span

_ids = itertools.count()


def _call(name: str, target: str | None = None, *, answered: bool = True) -> Span:
    return Span(
        trace_id="t",
        span_id=f"s{next(_ids)}",
        parent_span_id=None,
        name=name,
        span_type="tool",
        attributes={mocks.TARGET_ATTRIBUTE: target} if target else {},
        output=Recorded(encoded="answer") if answered else None,
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
