"""A golden whose recorded call names its target or its branch of execution in a damaged form
(``clearstone.target``, ``clearstone.branch`` edited by hand: another type, a garbage string) is
refused as a damaged golden naming the file, the span and the fix, not told as a divergence of
the agent (a call "out of its recorded place", "in a branch the recording does not have", "to a
target this test does not mock")."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .test_parallel_order import APP, TEST


@pytest.mark.parametrize(
    ("index", "attribute", "value", "shown"),
    [
        (0, "clearstone.branch", 42, "42"),
        (1, "clearstone.branch", "garbage", "'garbage'"),
        (5, "clearstone.branch", ["0"], "['0']"),
        (1, "clearstone.target", 7, "7"),
        (0, "clearstone.target", "not a path", "'not a path'"),
    ],
)
def test_a_damaged_call_attribute_is_refused_as_a_damaged_golden(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    index: int,
    attribute: str,
    value: Any,
    shown: str,
) -> None:
    monkeypatch.setenv("FIRST", "alpha")
    pytester.makepyfile(app=APP, test_it=TEST)
    pytester.syspathinsert()
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "g.ckpt"
    doc = json.loads(golden.read_text())
    calls = [s for s in doc["trace"]["spans"] if "clearstone.target" in s["attributes"]]
    calls[index]["attributes"][attribute] = value
    golden.write_text(json.dumps(doc, indent=2))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    text = " ".join(result.stdout.str().replace("\nE   ", " ").split())
    assert (
        f"g.ckpt is not a readable checkpoint: span {calls[index]['span_id']!r} has a field of "
        f"the wrong type (its attribute {attribute!r} is {shown}"
    ) in text
    assert (
        "Restore it from version control or re-record it with: pytest --clearstone-record "
        "test_it.py::test_it"
    ) in text
    assert "0 checkpoint(s) replayed, 0 recorded, 0 diverged, 1 unreadable" in text
    for told in ("out of its recorded place", "branch of execution", "does not mock"):
        assert told not in text
