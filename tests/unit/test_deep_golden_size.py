"""A golden of values nested a thousand levels deep is about as large as what it holds, and a
review can read it: each level is indented only down to
:data:`~pytest_clearstone.golden.document.INDENTED_LEVELS` levels, a value deeper than that is
written on one line; a golden less deep is written as before, and a deep one reads back equal
and is written the same bytes again.

Before the fix, a golden whose state, call argument and answer held a chain of 1,500 pydantic
models (a state of 48 KB of compact JSON) was 199 MB, two spaces of indentation per level on
every line (quadratic in the depth), and recording it took about 20 seconds; the golden of this
test (70 KB of content, 1,800 levels) was 24.5 MB."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from pytest_clearstone.codec.nesting import room
from pytest_clearstone.golden.checkpoint import Checkpoint
from pytest_clearstone.tracing.span import Recorded, Span
from pytest_clearstone.tracing.trace import Trace


def _chain(levels: int, leaf: str = "x") -> Any:
    tree: Any = {"name": leaf, "child": None}
    for _ in range(levels - 1):
        tree = {"name": "n", "child": [tree]}
    return tree


def _checkpoint(state: Any, output: Any) -> Checkpoint:
    span = Span(
        trace_id="t1",
        span_id="s1",
        parent_span_id=None,
        name="llm",
        span_type="llm",
        input=Recorded.of({"prompt": output}),
        output=Recorded.of(output),
    )
    return Checkpoint(
        checkpoint_id="deep",
        state=Recorded.of(state),
        agent_class_name="Agent",
        agent_module="app",
        trace=Trace("t1", [span]),
        span_id="s1",
        timestamp=dt.datetime(2025, 1, 1, tzinfo=dt.timezone.utc),
    )


def test_a_deep_golden_is_about_as_large_as_what_it_holds(tmp_path: Path) -> None:
    state, output = {"plan": _chain(900)}, _chain(900, "y")
    path = _checkpoint(state, output).write(tmp_path / "deep.ckpt")
    with room():
        held = len(json.dumps(state)) + 2 * len(json.dumps(output))  # (input and output)
    size = path.stat().st_size
    assert size < 2 * held + 200_000, (size, held)  # (199 MB for 15 MB of content before)
    # no line is indented deeper than the levels indented, and the value is on one line there
    lines = path.read_text().splitlines()
    assert max(len(line) - len(line.lstrip(" ")) for line in lines) <= 2 * 100
    with room():
        read = Checkpoint.read(path)
        assert read.agent_state == state
        assert read.trace.spans[0].output == output
    again = _checkpoint(state, output).write(tmp_path / "again.ckpt")
    assert again.read_bytes() == path.read_bytes()


def test_a_golden_less_deep_is_indented_throughout(tmp_path: Path) -> None:
    state = {"plan": _chain(40)}
    path = _checkpoint(state, "out").write(tmp_path / "shallow.ckpt")
    doc = json.loads(path.read_text())
    assert path.read_text() == json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def _text(checkpoint: Checkpoint, path: Path, *, orjson_installed: bool) -> str:
    from unittest import mock

    from pytest_clearstone.codec import tags
    from pytest_clearstone.golden import document

    if orjson_installed:
        return checkpoint.write(path).read_text(encoding="utf-8")
    with mock.patch.object(tags, "orjson", None), mock.patch.object(document, "orjson", None):
        return checkpoint.write(path).read_text(encoding="utf-8")


def test_a_golden_deeper_than_the_levels_indented_is_cut_at_level_100_with_or_without_orjson(
    tmp_path: Path,
) -> None:
    # 150 levels: orjson writes it (it refuses 255), indented throughout; the file is the one
    # written without orjson, each value at level 100 on one line
    for levels in range(47, 53):  # the deepest value just above, at and below level 100
        # (its leaf, a dict of scalars, at an odd or an even level)
        state = {"plan": _chain(levels), "plans": [_chain(levels)]}
        written = _text(_checkpoint(state, "out"), tmp_path / "a.ckpt", orjson_installed=True)
        without = _text(_checkpoint(state, "out"), tmp_path / "b.ckpt", orjson_installed=False)
        assert written == without, levels
    state = {"plan": _chain(75)}
    written = _text(_checkpoint(state, "out"), tmp_path / "a.ckpt", orjson_installed=True)
    without = _text(_checkpoint(state, "out"), tmp_path / "b.ckpt", orjson_installed=False)
    assert written == without
    indents = [len(line) - len(line.lstrip(" ")) for line in written.splitlines()]
    assert max(indents) == 2 * 100
    deepest = next(line for line in written.splitlines() if line.startswith(" " * 200))
    line = deepest.strip().rstrip(",")  # the value there, whole on its line (after its key)
    json.loads("{" + line + "}" if line.startswith('"') else line)
    assert Checkpoint.read(tmp_path / "a.ckpt").agent_state == state


def test_a_deep_value_keeps_its_text_as_it_is_and_a_string_like_the_placeholder_stays(
    tmp_path: Path,
) -> None:
    placeholder = "\ue000clearstone-0-0"
    state = {"plan": _chain(150, "café ✓ \u2028"), "note": placeholder, placeholder: [placeholder]}
    path = _checkpoint(state, "out").write(tmp_path / "deep.ckpt")
    text = path.read_text(encoding="utf-8")
    assert '"café ✓ \\u2028"' in text
    with room():
        assert Checkpoint.read(path).agent_state == state
