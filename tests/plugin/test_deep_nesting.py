"""An agent whose state, call arguments and answers are nested a thousand levels deep (a parse
tree, a recursive plan, a chain of sub-agents) records, replays green, and a change deep inside
shows as a delta; beyond the documented maximum, recording fails with one error naming the value,
its depth and the fix.

Before the fix, recording a state nested about 230 levels deep failed with a 963-frame
``RecursionError`` from the redaction walk and wrote no golden, while ``json.dumps`` and
``json.loads`` of the same state work to about 990 levels.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterator

import pytest

from pytest_clearstone.codec.nesting import MAX_DEPTH


@pytest.fixture(autouse=True)
def _no_garbage_of_earlier_tests() -> Iterator[None]:
    """Collects what earlier tests of the worker left (an SDK client's transport, unclosed): a
    collection that runs its finaliser during the walk a thousand levels deep runs pytest's
    unraisable-exception hook there, which fails importing ``tracemalloc`` for lack of stack
    (``RuntimeError: Failed to process unraisable exception``; seen once in CI)."""
    gc.collect()
    yield


APP = """
LEAF = {leaf!r}


def complete(prompt, tree):
    return {{"answer": "ok", "tree": tree}}


def nested(levels):
    tree = {{"leaf": LEAF}}
    for _ in range(levels - 1):
        tree = {{"k": tree}}
    return tree


class TreeAgent:
    def __init__(self, levels):
        self.plan = nested(levels)  # the state: itself one level, then the plan's

    def run(self):
        reply = complete("go", nested({levels}))
        return reply["answer"]
"""

TEST = """
import pytest
import deep_app


@pytest.mark.replay("goldens/deep.ckpt", mock={{"llm": "deep_app.complete"}})
def test_deep(replay):
    agent = deep_app.TreeAgent({levels})
    assert replay.run(agent.run) == "ok"
"""


def _write(pytester: pytest.Pytester, levels: int, leaf: str = "x") -> None:
    pytester.makepyfile(
        deep_app=APP.format(leaf=leaf, levels=levels), test_deep=TEST.format(levels=levels)
    )


@pytest.mark.parametrize("levels", [1000, MAX_DEPTH - 1])
def test_a_state_nested_deep_records_replays_and_shows_a_deep_change(
    pytester: pytest.Pytester, levels: int
) -> None:
    pytester.syspathinsert()
    _write(pytester, levels)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert (pytester.path / "goldens" / "deep.ckpt").is_file()
    pytester.runpytest().assert_outcomes(passed=1)
    _write(pytester, levels, leaf="y")  # the argument's deepest value (the state is replayed)
    changed = pytester.runpytest()
    changed.assert_outcomes(failed=1)
    changed.stdout.fnmatch_lines(
        [
            "*ReplayDivergenceError: replay diverged at call #1 to deep_app.complete*",
            "*recorded -> actual:",
            "*root[[]'tree'][[]'k'][[]'k'][[]'k']*",
        ]
    )
    assert "RecursionError" not in changed.stdout.str()


@pytest.mark.parametrize("levels", [MAX_DEPTH + 1, 50_000])
def test_a_state_nested_beyond_the_maximum_fails_with_one_clear_error(
    pytester: pytest.Pytester, levels: int
) -> None:
    pytester.syspathinsert()
    _write(pytester, levels)
    # (in a subprocess: the interpreter must not crash at any depth)
    result = pytester.runpytest_subprocess("--clearstone-record")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "RecursionError" not in out
    result.stdout.fnmatch_lines(
        [
            f"*NestingTooDeepError: cannot serialise state[[]'plan'][[]'k']*: it is nested "
            f"{levels + 1} levels deep, more than the {MAX_DEPTH} levels *",
        ]
    )
    assert "flatter" in out
    assert not (pytester.path / "goldens" / "deep.ckpt").exists()


IGNORING_TEST = """
import pytest
import deep_app


@pytest.mark.replay(
    "goldens/deep.ckpt",
    mock={{"llm": "deep_app.complete"}},
    ignore=[{ignore!r}],
    ignore_state=[{ignore_state!r}],
)
def test_deep(replay):
    agent = deep_app.TreeAgent({levels})
    assert replay.run(agent.run) == "ok"
"""


@pytest.mark.parametrize(
    ("ignore", "ignore_state"),
    [
        ("tree.**.leaf", "final_state.plan.**.leaf"),  # a path that walks every level
        ("prompt", "final_state.nothing"),  # paths that match near the top, or nothing
    ],
)
def test_ignore_paths_on_a_deep_value_replay_green(
    pytester: pytest.Pytester, ignore: str, ignore_state: str
) -> None:
    # Expected: replaying a state and arguments 1,500 levels deep under ignore=/ignore_state=
    # failed with a 958-frame RecursionError from the ignore paths' walk (recording passed).
    pytester.syspathinsert()
    pytester.makepyfile(
        deep_app=APP.format(leaf="x", levels=1500),
        test_deep=IGNORING_TEST.format(levels=1500, ignore=ignore, ignore_state=ignore_state),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    quiet = ("-W", "ignore::pytest_clearstone.errors.UnmatchedIgnorePathWarning")
    replayed = pytester.runpytest(*quiet)
    replayed.assert_outcomes(passed=1)
    assert "RecursionError" not in replayed.stdout.str()
    # the deepest value changed: left out of matching by a path through every level, else a
    # divergence whose delta reaches it
    pytester.makepyfile(deep_app=APP.format(leaf="y", levels=1500))
    changed = pytester.runpytest(*quiet)
    assert "RecursionError" not in changed.stdout.str()
    if ignore == "tree.**.leaf":
        changed.assert_outcomes(passed=1)
    else:
        changed.assert_outcomes(failed=1)
        changed.stdout.fnmatch_lines(
            [
                "*replay diverged at call #1 to deep_app.complete*",
                "*root[[]'tree'][[]'k']*more)…[[]'leaf']: 'x' -> 'y' (-vv shows the whole path)",
            ]
        )


def _without_times(data: bytes) -> list[bytes]:
    return [line for line in data.splitlines() if b'_time_ns": ' not in line]


def test_a_deep_golden_re_records_stably_and_the_command_line_reads_it(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    # Expected: re-recording a golden 1,500 levels deep failed with a RecursionError from the
    # summary of what changed (and took no previous identity: a re-record was never stable), and
    # `show`/`diff` called the file "not a readable checkpoint: truncated or not JSON".
    from pytest_clearstone.cli import main

    pytester.syspathinsert()
    _write(pytester, 1500)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "deep.ckpt"
    first = golden.read_bytes()
    again = pytester.runpytest("--clearstone-record")
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(["*goldens/deep.ckpt: unchanged*"])
    # the same file, but for the spans' times (the identity and ids of the previous one kept)
    assert _without_times(golden.read_bytes()) == _without_times(first)
    old = pytester.path / "old.ckpt"
    old.write_bytes(first)
    _write(pytester, 1500, leaf="y")
    changed = pytester.runpytest("--clearstone-record")
    changed.assert_outcomes(passed=1)
    changed.stdout.fnmatch_lines(["*goldens/deep.ckpt: *call #1 to deep_app.complete arguments*"])
    capsys.readouterr()
    assert main(["show", str(golden)]) == 0
    assert main(["show", "--calls", str(golden)]) == 0
    assert main(["diff", str(old), str(golden)]) == 1
    out = capsys.readouterr()
    assert out.err == ""
    assert "input['tree']['k']['k']['k']" in out.out and "'x' -> 'y'" in out.out


def test_a_call_argument_nested_beyond_the_maximum_is_not_advised_to_leave_get_state(
    pytester: pytest.Pytester,
) -> None:
    """The refusal's advice named get_state() whatever the value was: for a call's argument it
    is no fix (the state is one level deep)."""
    pytester.syspathinsert()
    pytester.makepyfile(
        deep_app=APP.format(leaf="x", levels=MAX_DEPTH + 50),
        test_deep=TEST.format(levels=1),
    )
    result = pytester.runpytest_subprocess("--clearstone-record")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        ["*NestingTooDeepError: cannot serialise *call #1*deep_app.complete*"]
    )
    assert "flatter" in out
    assert "get_state()" not in out


SWALLOWING_APP = """
def complete(prompt, tree=None):
    return "ok: " + prompt


def nested(levels):
    tree = {{"leaf": "x"}}
    for _ in range(levels - 1):
        tree = {{"k": tree}}
    return tree


class Agent:
    def __init__(self):
        self.notes = []

    def run(self):
        for prompt, levels in {calls!r}:
            try:  # (an agent that keeps going when a call fails)
                self.notes.append(complete(prompt, nested(levels)))
            except Exception as exc:
                self.notes.append("failed: " + type(exc).__name__)
        return self.notes
"""

SWALLOWING_TEST = """
import pytest
import deep_app


@pytest.mark.replay("goldens/deep.ckpt", mock={"llm": "deep_app.complete"})
def test_deep(replay):
    replay.run(deep_app.Agent().run)
"""


@pytest.mark.parametrize(
    "calls",
    [
        [("plan", MAX_DEPTH + 50)],  # its only call: "nothing was recorded", mock= to fix
        [("plan", 3), ("act", MAX_DEPTH + 50)],  # a golden written without the refused call
    ],
    ids=["only-call", "second-call"],
)
def test_a_too_deep_argument_refused_to_an_agent_that_swallows_it_still_fails_the_recording(
    pytester: pytest.Pytester, calls: list[tuple[str, int]]
) -> None:
    """The refusal of a call's argument nested too deep is raised in the agent's call: an agent
    that catches ``Exception`` around its calls swallowed it, and the recording then failed as
    "nothing was recorded" with advice to fix mock= (the target was called), or, after another
    call, passed and wrote a golden that lacked the refused call."""
    pytester.syspathinsert()
    pytester.makepyfile(deep_app=SWALLOWING_APP.format(calls=calls), test_deep=SWALLOWING_TEST)
    result = pytester.runpytest_subprocess("--clearstone-record")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    result.stdout.fnmatch_lines(
        [f"*NestingTooDeepError: cannot serialise the arguments of call #{len(calls)} to *"]
    )
    assert "nothing was recorded" not in out
    assert not (pytester.path / "goldens" / "deep.ckpt").exists()
    result.stdout.fnmatch_lines(["*test_deep.py::test_deep: the test failed while recording*"])


def test_a_refusal_an_agent_swallowed_is_the_failure_of_a_recording_that_then_fails(
    pytester: pytest.Pytester,
) -> None:
    """The refusal its agent swallowed is the failure of a recording whose test then failed on
    something else (here its assertion on the agent's notes)."""
    pytester.syspathinsert()
    test = SWALLOWING_TEST.replace(
        "    replay.run(deep_app.Agent().run)",
        '    assert replay.run(deep_app.Agent().run) == ["ok: plan"]',
    )
    calls = [("plan", MAX_DEPTH + 50)]
    pytester.makepyfile(deep_app=SWALLOWING_APP.format(calls=calls), test_deep=test)
    result = pytester.runpytest_subprocess("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*NestingTooDeepError: cannot serialise the arguments of call #1 to *",
            "*test_deep.py::test_deep: the test failed while recording (NestingTooDeepError)",
        ]
    )


LATER_TEST = """
import deep_app


def test_later():
    assert deep_app.later(1) == 2
"""

LATER = """

def later(x):
    y = x + 1
    return y
"""


def test_coverage_python_tracer_measures_the_tests_after_a_deep_value(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: under coverage.py's Python tracer (COVERAGE_CORE=pytrace, `coverage run
    # --timid`; the tracer of a debugger too) recording or replaying a value nested deeper than
    # the recursion limit lets the plugin's walks go left the tracer running: the walk ran out
    # of recursion inside the trace function (called one frame deeper than each call), and the
    # interpreter removed it, so every line run after it went unmeasured ("Trace function
    # changed, data is likely wrong")
    coverage = pytest.importorskip("coverage")
    pytester.syspathinsert()
    _write(pytester, 1000)
    (pytester.path / "deep_app.py").write_text((pytester.path / "deep_app.py").read_text() + LATER)
    pytester.makepyfile(test_later=LATER_TEST)
    monkeypatch.setenv("COVERAGE_CORE", "pytrace")  # (the C tracer never lost it)
    source = (pytester.path / "deep_app.py").read_text().splitlines()
    later_body = source.index("    y = x + 1") + 1
    for args in (["--clearstone-record"], []):
        data_file = pytester.path / ".coverage"
        data_file.unlink(missing_ok=True)
        result = pytester.run(
            sys.executable, "-m", "coverage", "run", f"--data-file={data_file}",
            f"--include={pytester.path / 'deep_app.py'}", "-m", "pytest", "-p", "no:cacheprovider",
            *args,
        )  # fmt: skip
        result.assert_outcomes(passed=2)
        assert "Trace function changed" not in result.stderr.str() + result.stdout.str()
        data = coverage.CoverageData(basename=str(data_file))
        data.read()
        measured = data.lines(str(pytester.path / "deep_app.py")) or []
        assert later_body in measured, (args, measured)
