"""Which recorded calls of a golden name their target or branch in a damaged form
(:mod:`pytest_clearstone.golden.damaged_calls`), and what the refusal of such a golden says: a
value the recording writes is never taken for damage, and a damaged one is never taken for
sound (which a replay would then tell as the agent's divergence)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone.errors import CheckpointCorruptError
from pytest_clearstone.golden.damaged_calls import damaged_call, damaged_golden_error
from pytest_clearstone.tracing.span import Span


def call(span_id: str, **attributes: Any) -> Span:
    """A recorded span with ``attributes`` (``target``/``branch`` as the recording names them)."""
    named = {f"clearstone.{key}": value for key, value in attributes.items()}
    return Span(trace_id="t", span_id=span_id, parent_span_id=None, name=span_id, attributes=named)


@pytest.mark.parametrize("branch", [None, "", "0", "0/fetch#1", "0/1", "0/a/b#2"])
def test_a_branch_key_the_recording_writes_is_sound(branch: Any) -> None:
    assert damaged_call([call("s", target="app.llm.complete", branch=branch)]) is None


@pytest.mark.parametrize("branch", ["1", "0/", "0//fetch#1", "00", " 0", 0])
def test_a_branch_key_the_recording_never_writes_is_damaged(branch: Any) -> None:
    found = damaged_call([call("s", target="app.llm.complete", branch=branch)])
    assert found == ("s", "clearstone.branch", branch)


@pytest.mark.parametrize("target", ["complete", "app..complete", "app.llm.", "app.1st", ""])
def test_a_target_that_is_no_dotted_import_path_is_damaged(target: str) -> None:
    # a bare name is no mock target: the marker refuses a path without a module
    found = damaged_call([call("s", target=target, branch="0")])
    assert found == ("s", "clearstone.target", target)


def test_spans_that_are_no_mocked_call_are_passed_over_to_the_damaged_one() -> None:
    spans = [
        Span(trace_id="t", span_id="root", parent_span_id=None, name="run"),
        call("plain", branch="garbage"),  # (no target: not a mocked call, its branch not read)
        call("sound", target="app.llm", branch="0"),
        call("damaged", target="app.llm", branch="garbage"),
    ]
    assert damaged_call(spans) == ("damaged", "clearstone.branch", "garbage")


def test_a_call_damaged_in_its_target_and_its_branch_is_named_by_its_target() -> None:
    assert damaged_call([call("s", target=7, branch=42)]) == ("s", "clearstone.target", 7)


@pytest.mark.parametrize(
    ("attributes", "told"),
    [
        ({"target": "complete"}, "'complete', not the import path of a mock target)"),
        (
            {"target": "app.llm", "branch": "garbage"},
            "'garbage', not a branch key such as '0' or '0/fetch#1')",
        ),
    ],
)
def test_the_refusal_says_what_the_attribute_should_hold(
    attributes: dict[str, Any], told: str
) -> None:
    error = damaged_golden_error(Path("g.ckpt"), [call("s", **attributes)])
    assert isinstance(error, CheckpointCorruptError)
    assert str(error).startswith("g.ckpt is not a readable checkpoint: span 's' has a field")
    assert told in str(error)


def test_the_refusal_names_the_test_in_its_record_command_only_when_given_one() -> None:
    spans = [call("s", target="complete")]
    for_test = damaged_golden_error(Path("g.ckpt"), spans, "test_it.py::test_it")
    alone = damaged_golden_error(Path("g.ckpt"), spans)
    assert for_test is not None and alone is not None
    assert str(for_test).endswith("pytest --clearstone-record test_it.py::test_it")
    assert str(alone).endswith("pytest --clearstone-record")
    assert damaged_golden_error(Path("g.ckpt"), [call("s", target="app.llm")], "t.py::t") is None
