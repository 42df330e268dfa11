"""Recorded exceptions that must not decide the replayed test, and the replay errors' messages:
the recorded call not made, the outcome it changed, the command re-recording one test."""

from __future__ import annotations

import asyncio
import datetime as dt
import importlib
import sys
import unittest
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from pytest_clearstone.debugging import DeterministicExecutionContext, RecordedCall, Responses
from pytest_clearstone.errors import (
    CALLS_REORDERED,
    RERECORD,
    GoldenMismatchError,
    NotMade,
    RecordedError,
    ReplayDivergenceError,
    ReplayExhaustedError,
    UnusedResponsesError,
    rerecord,
)
from pytest_clearstone.golden.recorded_errors import rebuild_exception, refusal
from pytest_clearstone.tracing.span import CAUSE_DEPTH, Recorded

AGENTS_DIR = Path(__file__).resolve().parent / "agents"
WHEN = dt.datetime(2024, 1, 15, 12, 30, 45, tzinfo=dt.timezone.utc)


def _record(cls: type[BaseException]) -> dict[str, Any]:
    """The exception record a golden holds for ``cls("x")``."""
    message = str(cls("x"))  # (a KeyError's text is its argument's repr)
    return {"type": cls.__qualname__, "module": cls.__module__, "message": message, "args": ["x"]}


class _MySkip(unittest.SkipTest):
    """A project's own skip (a subclass is caught by unittest and pytest alike)."""


# (pytest's Skipped and Failed say their module is builtins, where they cannot be imported
# from: a golden edited to hold one names _pytest.outcomes, where they are)
OUTCOMES = [
    ("_pytest.outcomes", "Skipped"),
    ("_pytest.outcomes", "XFailed"),
    ("_pytest.outcomes", "Failed"),
    ("_pytest.outcomes", "OutcomeException"),
    ("unittest.case", "SkipTest"),
    ("unittest", "SkipTest"),
    (__name__, "_MySkip"),
]


@pytest.mark.parametrize(("module", "name"), OUTCOMES)
def test_a_recorded_test_outcome_comes_back_as_recorded_error(module: str, name: str) -> None:
    # Expected: pytest's skip/xfail/fail and unittest's SkipTest, raised again, would skip,
    # xfail or fail the test in place of the replay (a green CI for a skip): they come back as
    # RecordedError saying why. Before the fix: rebuilt as themselves.
    record = {"type": name, "module": module, "message": "x", "args": ["x"]}
    rebuilt = rebuild_exception(record)
    assert type(rebuilt) is RecordedError
    assert str(rebuilt) == (
        f"{module}.{name}: x (recorded exception, replayed as RecordedError: raised again, it "
        "would skip, xfail or fail the test in place of the replay; an except clause for that "
        "class does not catch it. A test whose call raised it is not recorded, so the golden was "
        "likely edited: restore it from version control, or re-record the test)"
    )


def test_a_recorded_pytest_exit_comes_back_as_recorded_error() -> None:
    # Before the fix: pytest.exit's Exit ended the test session
    rebuilt = rebuild_exception(_record(pytest.exit.Exception))
    assert type(rebuilt) is RecordedError
    assert str(rebuilt).startswith(
        "_pytest.outcomes.Exit: x (recorded exception, replayed as RecordedError: raised again, "
        "it would stop the test run;"
    )


@pytest.mark.parametrize("cls", [ValueError, asyncio.CancelledError, KeyError])
def test_other_recorded_exceptions_are_still_rebuilt_as_themselves(
    cls: type[BaseException],
) -> None:
    assert type(rebuild_exception(_record(cls))) is cls


def test_a_framework_class_is_looked_up_only_where_its_module_is_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # recorded_errors.py imports neither _pytest nor unittest: a class of a module not imported
    # cannot be one of theirs
    from pytest_clearstone.golden import recorded_errors

    monkeypatch.delitem(sys.modules, "unittest.case")
    assert not recorded_errors._is_one_of(ValueError, recorded_errors._DECIDES_THE_OUTCOME)
    assert not recorded_errors._is_one_of(unittest.SkipTest, (("unittest.case", "SkipTest"),))


# -- the refusal of a tool that keeps tests off the network ------------------------------------
def _refused(module: str, name: str, message: str = "") -> dict[str, Any]:
    return {"type": name, "module": module, "message": message, "args": [message]}


def test_a_network_blockers_refusal_is_told_by_its_class_or_by_its_message() -> None:
    found = refusal(_refused("pytest_socket", "SocketBlockedError", "A test tried to use socket"))
    assert found is not None and found[:2] == ("pytest_socket.SocketBlockedError", "pytest-socket")
    blocked = _refused("builtins", "RuntimeError", "Network is disabled for host 'api.test'")
    assert refusal(blocked) == (
        "RuntimeError",
        "pytest-recording's --block-network (or its block_network marker)",
        "run the recording without --block-network, or give the marker the host in allowed_hosts",
    )
    # (a RuntimeError of another text or module, another class of that text: the service's)
    assert refusal({**blocked, "message": "no route: Network is disabled for host "}) is None
    assert refusal({**blocked, "module": "app"}) is None
    assert refusal({**blocked, "type": "ValueError"}) is None


def test_a_refusal_an_error_was_raised_from_is_named_by_the_refusing_class() -> None:
    """An SDK raises its own error from the refusal (openai's APIConnectionError from httpx's):
    the message names the class that refused the call, looked for as deep as a record keeps
    causes."""
    record = _refused("pytest_socket", "SocketBlockedError")
    for level in range(CAUSE_DEPTH - 1):
        record = {**_refused("app", f"Wrapper{level}", "unreachable"), "cause": record}
    found = refusal(record)
    assert found is not None and found[:2] == ("pytest_socket.SocketBlockedError", "pytest-socket")
    assert refusal({**_refused("app", "Deeper"), "cause": record}) is None


# -- the recorded call not made ----------------------------------------------------------------
@pytest.fixture
def tools(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    monkeypatch.syspath_prepend(str(AGENTS_DIR))
    return importlib.import_module("cs_tools")


def _responses(*inputs: dict[str, Any], start: int = 0) -> Responses:
    calls = []
    for n, arguments in enumerate(inputs):
        call = RecordedCall(input=Recorded.of(arguments), output=Recorded.of(n), span_id=f"s{n}")
        call.branch, call.position = "0", start + n
        calls.append(call)
    return Responses(calls)


def test_unused_responses_name_the_first_recorded_call_not_made(tools: ModuleType) -> None:
    fetches = _responses({"query": "a"}, {"query": "b", "limit": 9}, {"query": "c"})
    mocks = {"cs_tools.fetch": fetches, "cs_tools.second_tool": _responses({"x": 1}, start=3)}
    with DeterministicExecutionContext(WHEN, mocks, strict=True) as ctx:
        ctx.session.node_id = "tests/test_a.py::test_x[one two]"
        tools.fetch("a")
    with pytest.raises(UnusedResponsesError) as info:
        ctx.session.raise_errors(strict=True, checkpoint="g.ckpt")
    error = info.value
    assert error.not_made == {
        "cs_tools.fetch": NotMade(2, (2, 4), "{'query': 'b', 'limit': 9}"),
        "cs_tools.second_tool": NotMade(1, (4, 4), "{'x': 1}"),
    }
    assert str(error).splitlines() == [
        "the replay made fewer calls than the recording:",
        "  cs_tools.fetch: 1 of 3 recorded response(s) used",
        "    call #2 (call 2 of 4 in the recorded sequence) was not made; recorded arguments: "
        "{'query': 'b', 'limit': 9}",
        "  cs_tools.second_tool: 0 of 1 recorded response(s) used",
        "    call #1 (call 4 of 4 in the recorded sequence) was not made; recorded arguments: "
        "{'x': 1}",
        "  checkpoint: g.ckpt",
        "  The agent now skips calls it used to make. If the change is intended, re-record "
        "with: pytest --clearstone-record 'tests/test_a.py::test_x[one two]'",
    ]


def test_the_first_call_of_the_recorded_sequence_is_held_to_its_place_too(
    tools: ModuleType,
) -> None:
    # (places counted from 0, as the context is given them: the call at 0 is checked, and the
    # call after it is expected after it)
    mocks = {
        "cs_tools.fetch": _responses({"query": "a"}),
        "cs_tools.second_tool": _responses({"x": 1}, start=1),
    }
    with DeterministicExecutionContext(WHEN, mocks, strict=True) as ctx:
        assert tools.fetch("a") == 0
        assert tools.second_tool(1) == 0
    assert ctx.session.errors == []


def test_a_call_whose_place_is_not_known_is_not_held_to_the_sequence(tools: ModuleType) -> None:
    # (its branch is known, its place is not: the calls of its branch are placed without it)
    unplaced = _responses({"x": 1})
    unplaced.calls[0].position = -1
    mocks = {"cs_tools.fetch": _responses({"query": "a"}), "cs_tools.second_tool": unplaced}
    with DeterministicExecutionContext(WHEN, mocks, strict=True) as ctx:
        assert tools.second_tool(1) == 0
        assert tools.fetch("a") == 0
    assert ctx.session.errors == []


def test_a_call_out_of_its_recorded_place_names_the_call_recorded_there_and_its_place(
    tools: ModuleType,
) -> None:
    # (recorded: fetch #1, second_tool #1, fetch #2; replayed: fetch, fetch)
    fetches = _responses({"query": "a"}, {"query": "b"})
    fetches.calls[1].position = 2
    mocks = {"cs_tools.fetch": fetches, "cs_tools.second_tool": _responses({"x": 1}, start=1)}
    with DeterministicExecutionContext(WHEN, mocks, strict=True):
        tools.fetch("a")
        with pytest.raises(ReplayDivergenceError) as caught:
            tools.fetch("b")
    assert caught.value.out_of_place == (
        "call #1 to cs_tools.second_tool (call 2 of 3 in this branch of execution)"
    )


def test_values_given_to_the_context_have_no_recorded_arguments(tools: ModuleType) -> None:
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": [1, 2]}) as ctx:
        tools.fetch("a")
    with pytest.raises(UnusedResponsesError) as info:
        ctx.session.raise_errors(strict=True)
    assert "    call #2 was not made" in str(info.value).splitlines()


def test_the_outcome_a_call_not_made_changed_is_told_after_it() -> None:
    error = UnusedResponsesError(
        {"bot.llm": (1, 2)},
        not_made={"bot.llm": NotMade(2, (2, 2), "{'prompt': 'review'}")},
        differences=[("result", "root: 'a' -> 'b'"), ("final state", "root['n']: 2 -> 1")],
        checkpoint="g.ckpt",
        node_id="t.py::test_run",
    )
    assert str(error).splitlines() == [
        "the replay made fewer calls than the recording:",
        "  bot.llm: 1 of 2 recorded response(s) used",
        "    call #2 (call 2 of 2 in the recorded sequence) was not made; recorded arguments: "
        "{'prompt': 'review'}",
        "and the replayed result differs from the golden recording (golden -> replayed):",
        "  root: 'a' -> 'b'",
        "and the replayed final state differs from the golden recording (golden -> replayed):",
        "  root['n']: 2 -> 1",
        "  checkpoint: g.ckpt",
        "  The agent now skips calls it used to make. If the change is intended, re-record "
        "with: pytest --clearstone-record t.py::test_run",
    ]
    assert isinstance(error, AssertionError)


def test_a_golden_mismatch_tells_every_part_that_differs() -> None:
    error = GoldenMismatchError(
        "result", "root: 'a' -> 'b'", more=[("final state", "root['n']: 2 -> 1")]
    )
    assert (error.what, error.delta) == ("result", "root: 'a' -> 'b'")
    assert error.differences == [
        ("result", "root: 'a' -> 'b'"),
        ("final state", "root['n']: 2 -> 1"),
    ]
    assert str(error).splitlines() == [
        "the replayed result differs from the golden recording (golden -> replayed):",
        "  root: 'a' -> 'b'",
        "and the replayed final state differs from the golden recording (golden -> replayed):",
        "  root['n']: 2 -> 1",
        f"  If the change is intended, {RERECORD}",
    ]


# -- the command re-recording one test ---------------------------------------------------------
def test_the_re_record_command_names_the_test_quoted_for_a_shell() -> None:
    assert rerecord("tests/test_bot.py::test_run") == (
        "re-record with: pytest --clearstone-record tests/test_bot.py::test_run"
    )
    assert rerecord("tests/test_bot.py::test_run[it's]") == (
        "re-record with: pytest --clearstone-record 'tests/test_bot.py::test_run[it'\"'\"'s]'"
    )
    # without pytest (the library) the test is not known: never the whole suite's command
    assert rerecord() == RERECORD
    assert "NODE_ID" in RERECORD and "--clearstone-mode=record-diverged" in RERECORD
    # and a checkpoint the user's own code saved (ReplayEngine without pytest) has its fix too
    assert "a checkpoint your code saved: save it again" in RERECORD


@pytest.mark.parametrize(
    "error",
    [
        ReplayDivergenceError("app.f", 1, None, "root: 1 -> 2", node_id="t.py::test_x"),
        ReplayDivergenceError("app.f", 1, None, "", out_of_place="x", node_id="t.py::test_x"),
        ReplayExhaustedError("app.f", 1, 2, node_id="t.py::test_x"),
        ReplayExhaustedError("app.f", 0, 1, unmocked={"app.g": ("llm", 1)}, node_id="t.py::test_x"),
        UnusedResponsesError({"app.f": (0, 1)}, node_id="t.py::test_x"),
        GoldenMismatchError("result", "root: 1 -> 2", node_id="t.py::test_x"),
    ],
    ids=lambda error: type(error).__name__,
)
def test_each_replay_error_re_records_its_test_only(error: Exception) -> None:
    assert str(error).endswith("re-record with: pytest --clearstone-record t.py::test_x")


def test_a_divergence_names_its_place_in_the_sequence_only_among_several_calls() -> None:
    alone = ReplayDivergenceError("app.f", 1, None, "root: 1 -> 2", sequence=(1, 1))
    among = ReplayDivergenceError("app.f", 1, None, "root: 1 -> 2", sequence=(2, 3))
    assert str(alone).startswith("replay diverged at call #1 to app.f: its arguments differ")
    assert "(call 2 of 3 in the recorded sequence)" in str(among)


def test_a_divergence_of_self_fields_is_told_so_from_the_second_call_on() -> None:
    delta = "root['self']['last_prompt']: 'a' -> 'b'"
    first = str(ReplayDivergenceError("app.Bot.ask", 1, None, delta))
    second = str(ReplayDivergenceError("app.Bot.ask", 2, None, delta))
    assert "Only fields of `self` differ" not in first
    assert "The prompt or arguments changed." in first
    assert "ignore={'app.Bot.ask': ['self.last_prompt']}" in second


def test_a_divergence_of_self_fields_is_told_so_only_on_the_object_an_earlier_call_had() -> None:
    # (the method's own side effect: self as the recording held it before an earlier call;
    # a fallback model, first called at the target's second call, holds another object's
    # settings, also where the changed field happens to equal the first model's)
    delta = "root['self']['temperature']: 0.0 -> 0.2"
    before = [{"name": "big", "temperature": 0.2, "client": object()}]

    def told(now: dict[str, object]) -> str:
        return str(
            ReplayDivergenceError("app.M.ask", 2, None, delta, self_now=now, self_before=before)
        )

    same_object = told({"name": "big", "temperature": 0.2, "client": object()})
    fallback = told({"name": "small", "temperature": 0.2, "client": object()})
    assert "ignore={'app.M.ask': ['self.temperature']}" in same_object
    assert "Only fields of `self` differ" not in fallback
    assert "The prompt or arguments changed." in fallback


def test_a_divergence_tells_its_cause_rather_than_a_reordering() -> None:
    reordered = str(ReplayDivergenceError("app.f", 2, None, "root: 1 -> 2", closest=1))
    caused = str(ReplayDivergenceError("app.f", 2, None, "root: 1 -> 2", closest=1, cause="WHY."))
    assert "These arguments were recorded for call #1" in reordered
    assert CALLS_REORDERED in reordered
    assert "  WHY. If that is not what makes it differ, the agent changed. If the change" in caused
    assert CALLS_REORDERED not in caused
    plain = str(ReplayDivergenceError("app.f", 2, None, "root: 1 -> 2"))
    assert "These arguments were recorded" not in plain


def test_a_call_given_another_calls_arguments_names_the_calls_left_out_or_added() -> None:
    def told(call_number: int, closest: int) -> str:
        error = ReplayDivergenceError("app.f", call_number, None, "root: 1 -> 2", closest=closest)
        return str(error)

    assert "may have been reordered, or call #2 left out." in told(2, 3)
    assert "may have been reordered, or calls #2-#4 left out." in told(2, 5)
    assert "may have been reordered, or a call added before it." in told(3, 2)
    assert "may have been reordered, or 3 calls added before it." in told(5, 2)


def test_a_call_not_cancelled_on_replay_names_its_recorded_span() -> None:
    error = ReplayDivergenceError("app.f", 1, "span-7", "", not_cancelled=(1.5, 2.0))
    assert "\n  recorded span: span-7\n" in str(error)


def test_an_exhausted_target_tells_the_advice_that_fits_why() -> None:
    unmocked = {"app.g": ("llm", 2)}
    none_recorded = str(ReplayExhaustedError("app.f", 0, 1, unmocked=unmocked))
    some_recorded = str(ReplayExhaustedError("app.f", 1, 2, unmocked=unmocked))
    assert "The recording holds no call to app.f; it holds llm calls to" in none_recorded
    assert "app.g (2 recorded call(s))" in none_recorded
    assert "The recording holds no call" not in some_recorded
    assert "The agent now makes more calls" in some_recorded
    noted = str(ReplayExhaustedError("app.f", 1, 2, note="NOTE"))
    assert noted.endswith("\n  NOTE")
    retried = str(ReplayExhaustedError("app.f", 1, 2, retried="TimeoutError('slow')"))
    assert "the recording's last call to app.f raised TimeoutError('slow')" in retried


def test_unused_responses_of_an_unmocked_target_say_to_mock_it_again() -> None:
    error = UnusedResponsesError({}, unmocked={"app.g": ("llm", 1)})
    assert "  app.g (llm): 1 recorded call(s)" in str(error)
    assert "Mock it again (the marker's mock=)." in str(error)
    assert "skips calls" not in str(error)


def test_a_golden_mismatch_and_unused_responses_tell_their_cause_before_the_re_record() -> None:
    mismatch = str(GoldenMismatchError("result", "root: 1 -> 2", cause="WHY.", node_id="t::x"))
    unused = str(UnusedResponsesError({"app.f": (0, 1)}, cause="WHY.", node_id="t::x"))
    for message in (mismatch, unused):
        assert "\n  WHY.\n" in message
        assert message.endswith("re-record with: pytest --clearstone-record t::x")


def test_errors_raised_at_a_call_name_the_test_the_session_replays(tools: ModuleType) -> None:
    with DeterministicExecutionContext(WHEN, {"cs_tools.fetch": _responses({"query": "a"})}) as ctx:
        ctx.session.node_id = "t.py::test_x"
        tools.fetch("a")
        with pytest.raises(ReplayExhaustedError) as info:
            tools.fetch("b")
    assert str(info.value).endswith("re-record with: pytest --clearstone-record t.py::test_x")


def test_the_message_helpers_name_types_articles_holders_and_grouped_errors() -> None:
    from pytest_clearstone.errors import article, describe, grouped, held_by

    assert [article(w) for w in ("openai.Client", "int", "uuid.UUID", "sqlite3.Row")] == [
        "an", "an", "a", "a"
    ]  # fmt: skip
    assert (describe(1), describe(dt.date(2025, 1, 1))) == ("int", "datetime.date")
    assert held_by(["the dict app.TOOLS", "app.Graph"]).startswith(
        "also held by the dict app.TOOLS and an app.Graph made before"
    )
    if sys.version_info >= (3, 11):  # (an exception group nested three deep)
        leaf = ValueError("leaf")
        inner = ExceptionGroup("inner", [leaf])  # noqa: F821
        outer = ExceptionGroup("outer", [ExceptionGroup("middle", [inner])])  # noqa: F821
        assert list(grouped(outer))[-1] is leaf
