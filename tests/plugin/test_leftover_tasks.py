"""A call made by a task an earlier test left running on a shared event loop (a fire-and-forget
``asyncio.create_task(...)`` in the agent; the loop shared across tests, as pytest-asyncio's
``loop_scope="module"`` does).

Before the fix the call was recorded into the golden of the test running when it was made, as
its call #1: that golden then depended on which tests ran before it, and replaying that test on
its own failed with ``UnusedResponsesError``. Now the call is not recorded: it runs live, as it
would with no test recording, and a ``LeftoverCallWarning`` names its target, the test that
left it and the fix.
"""

from __future__ import annotations

import json
import textwrap

import pytest

APP = """
import asyncio

GO = asyncio.Event()
DONE = asyncio.Event()
BACKGROUND = set()
LIVE = []

async def acomplete(prompt):
    LIVE.append(prompt)
    await asyncio.sleep(0)
    return "answer to " + prompt

class Agent:
    def __init__(self, summarize=False):
        self.summarize = summarize
        self.log = []

    async def _summarize_later(self, text):
        await GO.wait()
        try:
            await acomplete("summarize: " + text)
        finally:  # (also when the call fails: test_b waits for it)
            DONE.set()

    async def handle(self, q):
        answer = await acomplete(q)
        if self.summarize:  # fire and forget
            task = asyncio.create_task(self._summarize_later(answer))
            BACKGROUND.add(task)
        self.log.append(answer)
        return answer
"""

TESTS = """
import asyncio
import pytest
import app

loop = asyncio.new_event_loop()  # shared by the tests of the module
MOCK = {"llm": "app.acomplete"}

@pytest.mark.replay(mock=MOCK)
def test_a(replay):
    loop.run_until_complete(replay.run(app.Agent(summarize=True).handle, "first"))

@pytest.mark.replay(mock=MOCK)
def test_b(replay):
    async def main():
        if app.BACKGROUND:  # test_a ran first: its task makes its call now
            app.GO.set()
            await app.DONE.wait()
        return await replay.run(app.Agent().handle, "second")
    assert loop.run_until_complete(main()) == "answer to second"

def teardown_module():
    # (pytester runs this in the outer test's process: a loop left open would be reported as
    # unclosed when a later test there collects garbage)
    for task in app.BACKGROUND:
        task.cancel()
    loop.run_until_complete(asyncio.sleep(0))
    loop.close()
"""


def _prompts(pytester: pytest.Pytester, name: str) -> list[str]:
    golden = json.loads((pytester.path / "goldens" / "test_it" / name).read_text())
    return [
        json.dumps(span["input"])
        for span in golden["trace"]["spans"]
        if "clearstone.target" in span.get("attributes", {})
    ]


def test_a_call_left_running_by_an_earlier_test_is_not_recorded(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS))
    # (the warning raised as an error would end test_a's task before it lets test_b go on)
    warning = "default::pytest_clearstone.errors.LeftoverCallWarning"
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly", "-W", warning)
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*LeftoverCallWarning: test_it.py::test_b: a call to app.acomplete was made by a task "
            "test_it.py::test_a left running*not recorded*cancel*before the test ends*",
        ]
    )
    prompts = _prompts(pytester, "test_b.ckpt")
    assert len(prompts) == 1 and "second" in prompts[0] and "summarize" not in prompts[0]
    # test_b's golden no longer depends on test_a running first
    pytester.runpytest("test_it.py::test_b").assert_outcomes(passed=1)


def test_a_task_started_under_a_span_of_the_earlier_test_names_that_test_by_its_trace(
    pytester: pytest.Pytester,
) -> None:
    # (the ended span current in the task is not the earlier test's root span, named after it)
    started = 'loop.run_until_complete(replay.run(app.Agent(summarize=True).handle, "first"))'
    under_a_span = textwrap.dedent(TESTS).replace(
        "def test_a(replay):\n    " + started,
        "def test_a(replay, clearstone_tracer):\n"
        "    async def main():\n"
        '        with clearstone_tracer.span("handling"):\n'
        '            return await replay.run(app.Agent(summarize=True).handle, "first")\n'
        "    loop.run_until_complete(main())",
    )
    assert "handling" in under_a_span
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=under_a_span)
    warning = "default::UserWarning"  # (by its base class: see the test below)
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly", "-W", warning)
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(  # (its trace id as it ran: 32 hex digits)
        [
            "*LeftoverCallWarning: test_it.py::test_b: a call to app.acomplete was made by a task "
            f"the test of trace {'?' * 32} left running*",
        ]
    )


def test_a_call_left_running_by_an_earlier_test_is_not_answered_on_replay(
    pytester: pytest.Pytester,
) -> None:
    # Before the fix: on replay the stand-in answered test_a's leftover call from test_b's
    # golden, with the answer recorded for test_b's own call ("second"): the leftover call
    # diverged (or, answered before test_b's call, left test_b's call without an answer), so
    # test_b failed after test_a and passed on its own.
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS))
    # (by its base class: the plugin's modules imported again by an earlier in-process run of
    # this file hold a class of the same name that a filter naming it would not match)
    warning = "default::UserWarning"
    recorded = pytester.runpytest("--clearstone-record", "-p", "no:randomly", "-W", warning)
    recorded.assert_outcomes(passed=2, warnings=1)
    result = pytester.runpytest("-p", "no:randomly", "-W", warning)
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*app.py:*: LeftoverCallWarning: test_it.py::test_b: a call to app.acomplete was "
            "made by a task test_it.py::test_a left running*not answered from the golden*cancel*"
            "before the test ends*",
        ]
    )
    # the leftover call ran live, as it did when recorded, and was answered by app.acomplete
    pytester.makeconftest(
        """
        import app

        def pytest_sessionfinish():
            print("LIVE", *app.LIVE, sep="|")
        """
    )
    result = pytester.runpytest("-p", "no:randomly", "-W", warning, "-s")
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(["*LIVE|summarize: answer to first"])


@pytest.mark.parametrize("missing", ["test_a", "test_b"])
def test_a_call_left_running_by_a_test_of_the_other_mode_is_neither_recorded_nor_answered(
    pytester: pytest.Pytester, missing: str
) -> None:
    # --clearstone-mode=record-missing records the test whose golden is missing and replays the
    # other: test_a replayed leaves its task to a recording test_b, or test_a recorded leaves it
    # to a replaying test_b. Before the fix, a task left by a replayed test_a (its context holds
    # no span of a trace) was recorded into test_b's golden as its call #1.
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS))
    warning = "default::UserWarning"
    recorded = pytester.runpytest("--clearstone-record", "-p", "no:randomly", "-W", warning)
    recorded.assert_outcomes(passed=2, warnings=1)
    (pytester.path / "goldens" / "test_it" / f"{missing}.ckpt").unlink()
    result = pytester.runpytest(
        "--clearstone-mode=record-missing", "-p", "no:randomly", "-W", warning
    )
    result.assert_outcomes(passed=2, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*app.py:*: LeftoverCallWarning: test_it.py::test_b: a call to app.acomplete was "
            "made by a task test_it.py::test_a left running; it ran live and was not *",
        ]
    )
    prompts = _prompts(pytester, "test_b.ckpt")
    assert len(prompts) == 1 and "second" in prompts[0] and "summarize" not in prompts[0]
    pytester.runpytest("-p", "no:randomly", "-W", warning).assert_outcomes(passed=2, warnings=1)


PRINT_LIVE = """
import app

def pytest_sessionfinish():
    print("LIVE", *app.LIVE, sep="|")
"""


@pytest.mark.parametrize("mode", ["record", "replay"])
def test_under_filterwarnings_error_the_warning_fails_the_test_not_the_leftover_call(
    pytester: pytest.Pytester, mode: str
) -> None:
    # Before the fix the warning, made an error by `filterwarnings = error`, was raised in the
    # leftover task, which no one awaits: it ended there unseen, its call never ran, and
    # test_b passed (its golden written) as if the run had given no warning at all.
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS))
    pytester.makeconftest(PRINT_LIVE)
    if mode == "replay":
        warning = "default::UserWarning"  # (by its base class: see above)
        recorded = pytester.runpytest("--clearstone-record", "-p", "no:randomly", "-W", warning)
        recorded.assert_outcomes(passed=2, warnings=1)
    golden = pytester.path / "goldens" / "test_it" / "test_b.ckpt"
    before = golden.read_bytes() if golden.exists() else None
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    args = ["--clearstone-record"] if mode == "record" else []
    result = pytester.runpytest(*args, "-p", "no:randomly", "-s")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*LIVE|first|summarize: answer to first*" if mode == "record" else "*LIVE|summarize*",
            "E   *LeftoverCallWarning: test_it.py::test_b: a call to app.acomplete was made by a "
            "task test_it.py::test_a left running*",
            "FAILED test_it.py::test_b - *LeftoverCallWarning*",
        ]
    )
    assert (golden.read_bytes() if golden.exists() else None) == before
