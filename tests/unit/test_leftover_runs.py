"""Which golden run code belongs to (golden/threads.py ``ended_run``): a task or thread started
during a test's run carries that run, which ends with the test; code of the running run, or of
none, is no leftover."""

from __future__ import annotations

import contextvars
import threading

from pytest_clearstone.golden.threads import ContextPropagation, ended_run, name_run


def test_code_started_during_a_run_that_has_ended_names_that_run() -> None:
    assert ended_run() is None  # no run
    first = ContextPropagation()
    first.start()
    try:
        name_run("test_it.py::test_a")
        left = contextvars.copy_context()  # what a task created now copies
        seen: list[str | None] = []
        thread = threading.Thread(target=lambda: seen.append(ended_run()))
        assert ended_run() is None and left.run(ended_run) is None  # the run goes on
    finally:
        first.stop()
    assert ended_run() is None  # the test's own flow, after its run
    assert left.run(ended_run) == "test_it.py::test_a"
    second = ContextPropagation()
    second.start()
    try:
        assert ended_run() is None  # the next test's own flow
        assert left.run(ended_run) == "test_it.py::test_a"  # the task the first one left
    finally:
        second.stop()
    thread.start()  # (created during the first run, started after it: a thread of no run)
    thread.join()
    assert seen == [None]


def test_an_unnamed_run_that_has_ended_is_told_apart() -> None:
    propagation = ContextPropagation()
    propagation.start()
    try:
        left = contextvars.copy_context()
    finally:
        propagation.stop()
    assert left.run(ended_run) == ""
