"""Values nested hundreds of levels deep (parse trees, recursive plans, sub-agent chains) are
recorded and replayed up to :data:`~pytest_clearstone.codec.nesting.MAX_DEPTH` levels; a deeper
one gets one :class:`NestingTooDeepError` naming it, its depth and the fix.

Before the fix, the redaction walk (four Python frames per level) raised a bare
``RecursionError`` from about 230 levels, the encoder's from about 950 (reported as "nested too
deeply to store"), and orjson refused to read back a golden nested beyond 1024 levels, while
``json.dumps``/``json.loads`` of the same value work to about 990 levels.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pydantic
import pytest

from pytest_clearstone import codec
from pytest_clearstone.codec.nesting import (
    MAX_DEPTH,
    SHALLOW,
    nesting_depth,
    retried,
    room,
    walked,
)
from pytest_clearstone.errors import (
    CheckpointCorruptError,
    NestingTooDeepError,
    SerializationError,
)
from pytest_clearstone.golden.checkpoint import Checkpoint
from pytest_clearstone.redaction import Redactor
from pytest_clearstone.tracing.span import Recorded, Span
from pytest_clearstone.tracing.trace import Trace


@dataclasses.dataclass
class Node:
    label: str
    child: Any = None


class Step(pydantic.BaseModel):
    name: str
    then: Step | None = None


def nested(levels: int, leaf: Any = None) -> dict[str, Any]:
    """A dict holding ``levels`` dicts inside one another (the outermost counts)."""
    tree: dict[str, Any] = {"leaf": "x" if leaf is None else leaf}
    for _ in range(levels - 1):
        tree = {"k": tree}
    return tree


def mixed(levels: int) -> Any:
    """Dicts, lists, tuples and dataclasses in turn, ``levels`` deep."""
    tree: Any = "leaf"
    for i in range(levels):
        kind = i % 4
        tree = (
            {"k": tree}
            if kind == 0
            else [tree]
            if kind == 1
            else (tree, i)
            if kind == 2
            else Node(str(i), tree)
        )
    return tree


def test_the_depth_is_counted_in_containers_and_objects() -> None:
    assert nesting_depth("x") == 0
    assert nesting_depth({"leaf": 1}) == 1
    assert nesting_depth(nested(MAX_DEPTH)) == MAX_DEPTH
    assert nesting_depth(mixed(12)) == 12


@pytest.mark.parametrize("levels", [1000, MAX_DEPTH])
def test_a_value_nested_up_to_the_maximum_round_trips(levels: int) -> None:
    limit = sys.getrecursionlimit()
    for value in (nested(levels), mixed(levels)):
        tree = codec.encode(value, strict=True)
        decoded, loaded = codec.decode(tree), codec.loads(codec.dumps(tree))
        with room():  # (== on nested dicts recurses in C, under the limit too)
            assert decoded == value
            assert loaded == value  # (orjson refuses beyond 1024 levels)
    assert sys.getrecursionlimit() == limit


def test_a_pydantic_model_nested_up_to_the_maximum_round_trips() -> None:
    # (the encoder's deepest walk: several frames a level, all inside the room)
    plan = None
    for i in range(MAX_DEPTH):
        plan = Step.model_construct(name=str(i), then=plan)
    back = codec.loads(codec.dumps(codec.encode(plan, strict=True)))
    with room():
        assert back == plan


def test_a_value_nested_deeper_than_the_maximum_is_refused_naming_it() -> None:
    limit = sys.getrecursionlimit()
    with pytest.raises(NestingTooDeepError) as caught:
        codec.encode({"plan": nested(MAX_DEPTH + 5)}, strict=True)
    error = caught.value
    assert isinstance(error, SerializationError)  # (what code catching those expects)
    message = str(error)
    assert message.startswith("cannot serialise root['plan']['k']['k']")
    assert f"nested {MAX_DEPTH + 6} levels deep" in message
    assert f"more than the {MAX_DEPTH} levels" in message
    assert "flatter" in message  # the fix
    assert len(message) < 600  # (the path is shortened, not 2,000 segments long)
    assert sys.getrecursionlimit() == limit


def test_a_too_deep_value_of_a_call_is_named_within_the_call_with_the_call_s_advice() -> None:
    with pytest.raises(NestingTooDeepError) as caught:
        codec.encode({"plan": nested(MAX_DEPTH + 5)}, strict=True)
    error = caught.value.in_call("the arguments of call #1 to app.llm: ")
    message = str(error)
    assert message.startswith("cannot serialise the arguments of call #1 to app.llm: ['plan']")
    assert "mock a function that is given that form" in message  # (no get_state() holds it)
    assert "get_state()" not in message
    assert (error.depth, error.limit) == (MAX_DEPTH + 6, MAX_DEPTH)


def test_one_level_more_than_the_maximum_is_refused() -> None:
    # (the limit is exact, as documented: a value of MAX_DEPTH levels is stored, one more is not)
    for value in (nested(MAX_DEPTH + 1), mixed(MAX_DEPTH + 1)):
        with pytest.raises(NestingTooDeepError, match=f"nested {MAX_DEPTH + 1} levels deep"):
            codec.encode(value, strict=True)


def test_a_far_deeper_value_is_refused_too() -> None:
    # (no crash of the interpreter: the limit is raised by a bounded room only)
    deep = nested(50_000)
    for walk in (lambda: codec.encode(deep), lambda: Redactor()(deep, "input", "app.complete")):
        with pytest.raises(NestingTooDeepError, match="levels deep"):
            walk()


def test_the_redaction_walks_a_value_nested_up_to_the_maximum() -> None:
    value = nested(MAX_DEPTH, leaf={"password": "hunter2-very-secret"})
    redacted = Redactor(check_secrets=True)(value, "input", "app.complete")
    node = redacted
    while "k" in node:
        node = node["k"]
    assert node["leaf"] == {"password": "[REDACTED]"}
    assert value["k"] is not redacted["k"]  # (a copy, all the way down)


def test_a_redaction_too_deep_names_the_call_argument() -> None:
    with pytest.raises(NestingTooDeepError) as caught:
        Redactor()(nested(20_000), "input", "app.complete")
    message = str(caught.value)
    assert "input of call #1 to app.complete" in message
    assert "nested 20000 levels deep" in message


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


@pytest.mark.parametrize("levels", [1000, MAX_DEPTH])
def test_a_golden_nested_up_to_the_maximum_is_written_and_read(tmp_path: Path, levels: int) -> None:
    state, output = {"plan": mixed(levels - 1)}, nested(levels - 1)
    path = _checkpoint(state, output).write(tmp_path / "deep.ckpt")
    read = Checkpoint.read(path)
    state_read, output_read = read.agent_state, read.trace.spans[0].output
    with room():
        assert state_read == state
        assert output_read == output


def test_a_golden_nested_deeper_than_any_value_is_named_corrupt(tmp_path: Path) -> None:
    doc = json.loads(_checkpoint({"plan": 1}, "out").dumps())
    text = json.dumps(doc).replace('{"plan": 1}', '{"plan": ' + "[" * 60_000 + "]" * 60_000 + "}")
    path = tmp_path / "edited.ckpt"
    path.write_text(text)
    with pytest.raises(CheckpointCorruptError, match=f"more than {MAX_DEPTH} levels"):
        Checkpoint.read(path)


def test_the_room_is_given_back_when_threads_overlap() -> None:
    limit = sys.getrecursionlimit()
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with room():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    inside.wait(10)
    raised = sys.getrecursionlimit()
    assert raised > limit
    with room():
        assert sys.getrecursionlimit() == raised
    assert sys.getrecursionlimit() == raised  # the other thread still walks
    release.set()
    thread.join()
    assert sys.getrecursionlimit() == limit


def test_a_deep_change_in_a_state_nested_up_to_the_maximum_is_shown() -> None:
    from pytest_clearstone.diff import StateDelta

    def tree_with(leaf: str) -> dict[str, Any]:
        tree: dict[str, Any] = {"leaf": leaf}
        for _ in range(MAX_DEPTH - 2):
            tree = {"k": tree}
        return tree

    delta = StateDelta(tree_with("x"), tree_with("y"))
    assert len(delta) == 1
    assert delta.lines[0].startswith("root['k']['k']['k']")
    assert delta.lines[0].endswith("['leaf']: 'x' -> 'y' (-vv shows the whole path)")
    assert delta.changes[0].path.count("['k']") == MAX_DEPTH - 2


def test_a_recursion_of_the_walked_code_on_a_shallow_value_is_raised_as_it_is() -> None:
    """A ``RecursionError`` of the code a walk runs (an object's own ``__getattr__`` calling
    itself), not of the value's depth, is not retried with the recursion limit raised (where
    recursion through C calls could overflow the C stack instead of raising)."""
    limits: list[int] = []

    def runaway(n: int = 0) -> int:
        if n == 0:
            limits.append(sys.getrecursionlimit())
        return runaway(n + 1)

    with pytest.raises(RecursionError):
        walked(runaway, {"a": [1, 2]}, "state")
    assert limits == [sys.getrecursionlimit()]  # run once, under the usual limit


def test_a_recursion_is_walked_again_only_on_a_value_nested_deeper_than_shallow() -> None:
    def out_of_recursion_once() -> Any:
        runs: list[int] = []

        def walk() -> str:
            runs.append(1)
            if len(runs) == 1:
                raise RecursionError("maximum recursion depth exceeded")
            return "walked again"

        return walk

    with pytest.raises(RecursionError):
        walked(out_of_recursion_once(), nested(SHALLOW), "state")
    assert walked(out_of_recursion_once(), nested(SHALLOW + 1), "state") == "walked again"


def test_a_deep_value_is_walked_again_in_room_after_a_reset() -> None:
    resets: list[int] = []
    value = nested(600, "leaf")
    assert walked(lambda: codec.encode(value), value, "state", reset=lambda: resets.append(1))
    assert resets in ([], [1])  # (walked again only when the first walk ran out)


def test_a_redaction_walked_again_notes_each_suspect_once() -> None:
    token = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
    value = {"key": token, "deep": nested(600, "leaf")}
    assert Redactor().find_secrets(value) == ["root['key']"]


def _python_tracer(frame: Any, event: str, arg: Any) -> None:
    """A trace function written in Python, as coverage.py's Python tracer or a debugger's: the
    interpreter calls it one frame deeper than each call it traces."""


def _traced(run: Callable[[], Any]) -> tuple[Any, Any]:
    """``run()`` with :func:`_python_tracer` installed: what it returned and the trace function
    installed after it (the one installed before is put back)."""
    outer = sys.gettrace()
    sys.settrace(_python_tracer)
    try:
        return run(), sys.gettrace()
    finally:
        sys.settrace(outer)


def _walks() -> dict[str, Any]:
    """Each walk of a value nested up to the maximum that may run out of recursion and be run
    again, and the walks that refuse one nested deeper."""
    from pytest_clearstone.codec.compare import same_stored_form
    from pytest_clearstone.codec.tags import replace_pickles

    value = {"plan": mixed(MAX_DEPTH - 1)}
    tree = codec.encode(value)
    pickled = nested(MAX_DEPTH - 1, leaf={codec.TAG: "pickle", "type": "app.Plan", "data": "x"})
    too_deep = {"plan": mixed(MAX_DEPTH + 10)}
    walks = {
        "encode": lambda: codec.encode(value),
        "decode": lambda: codec.decode(tree),
        "copy_tree": lambda: codec.copy_tree(tree),
        "replace_pickles": lambda: replace_pickles(pickled, "left out"),
        "compare": lambda: same_stored_form(value, codec.decode(tree), recorded_tree=tree),
        "redact": lambda: Redactor()(value, "input", "app.complete"),
        "encode too deep": lambda: codec.encode(too_deep),
        "redact too deep": lambda: Redactor()(too_deep, "input", "app.complete"),
    }
    assert list(walks) == WALKS
    return walks


WALKS = [
    "encode", "decode", "copy_tree", "replace_pickles", "compare", "redact", "encode too deep",
    "redact too deep",
]  # fmt: skip


@pytest.mark.parametrize("walk", WALKS)
def test_a_deep_walk_leaves_the_thread_its_python_trace_function(walk: str) -> None:
    # Expected: coverage.py's Python tracer (COVERAGE_CORE=pytrace) or a debugger's trace
    # function is still installed after a walk of a value nested deeper than the recursion limit
    # lets it go; the walk ran out of recursion inside the trace function, which the interpreter
    # then removed (coverage stopped measuring the rest of the run, a debugger stopping)
    run = _walks()[walk]

    def walking() -> None:
        try:
            run()
        except NestingTooDeepError:  # (beyond the maximum: refused, as documented)
            assert walk.endswith("too deep")

    _, after = _traced(walking)
    assert after is _python_tracer


def test_a_walk_whose_code_caught_a_recursion_error_leaves_the_trace_function() -> None:
    # the code a walk runs may catch a RecursionError itself (a library's __eq__ or __repr__
    # falling back): raised inside the Python trace function, which the interpreter removed,
    # and the walk then returns as usual; the thread keeps its trace function all the same
    def runaway(n: int = 0) -> int:
        return runaway(n + 1)

    def walk() -> str:
        try:
            runaway()
        except RecursionError:
            return "fell back"
        return "not reached"

    result, after = _traced(lambda: walked(walk, {"a": [1, 2]}, "state"))
    assert result == "fell back"
    assert after is _python_tracer


def test_a_trace_function_the_walked_code_installs_is_left_in_place() -> None:
    # (a debugger started by the agent's code, breakpoint() in a tool)
    def installed(frame: Any, event: str, arg: Any) -> Any:
        return None

    def walk() -> str:
        sys.settrace(installed)
        return "walked"

    result, after = _traced(lambda: walked(walk, {"a": [1, 2]}, "state"))
    assert result == "walked"
    assert after is installed


def test_a_retried_run_is_traced_again_and_leaves_the_trace_function() -> None:
    # the run again inside the room is measured: the trace function the first run lost is given
    # back before it
    def runaway(n: int = 0) -> int:
        return runaway(n + 1)

    seen: list[Any] = []

    def run() -> str:
        seen.append(sys.gettrace())
        if len(seen) == 1:
            runaway()  # (the first run: out of recursion, run again in the room)
        return "done"

    result, after = _traced(lambda: retried(run))
    assert result == "done"
    assert seen == [_python_tracer, _python_tracer]
    assert after is _python_tracer
