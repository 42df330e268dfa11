"""What a failed replay says: the recorded call that was not made, the command re-recording
only the test that failed, arguments without memory addresses, and recorded exceptions that
would decide the test's outcome."""

from __future__ import annotations

import json

import pytest

from .conftest import esc

BOT = """
import os


def llm(prompt):
    return f"echo {prompt}"


class Bot:
    def __init__(self):
        self.log = []

    def run(self, q):
        d = llm("draft " + q)
        self.log.append(d)
        if not os.environ.get("SKIP_REVIEW"):
            d = llm("review " + d)
            self.log.append(d)
        return d
"""

BOT_TEST = """
import pytest
from bot import Bot


@pytest.mark.replay("goldens/run.ckpt", mock={"llm": "bot.llm"}, strict=STRICT)
def test_run(replay):
    replay.run(Bot().run, "hi")


@pytest.mark.parametrize("q", ["hi"])
@pytest.mark.replay("goldens/param.ckpt", mock={"llm": "bot.llm"})
def test_param(replay, q):
    replay.run(Bot().run, q)
"""


@pytest.fixture
def bot(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("SKIP_REVIEW", raising=False)
    pytester.syspathinsert()
    pytester.makepyfile(bot=BOT, test_bot=BOT_TEST.replace("STRICT", "True"))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    return pytester


def test_a_call_not_made_is_named_before_the_result_and_state_it_changed(bot, monkeypatch):
    # Expected: the recorded call the agent no longer makes is the cause, told first, then the
    # result and final-state deltas together. Before the fix: only the changed result, as a
    # GoldenMismatchError, was told (the unused-responses check was never reached).
    monkeypatch.setenv("SKIP_REVIEW", "1")
    result = bot.runpytest("test_bot.py::test_run")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*UnusedResponsesError: the replay made fewer calls than the recording:",
            "*  bot.llm: 1 of 2 recorded response(s) used",
            "*    call #2 (call 2 of 2 in the recorded sequence) was not made; recorded "
            "arguments: {'prompt': 'review echo draft hi'}",
            "*and the replayed result differs from the golden recording (golden -> replayed):",
            "*  root: 'echo review echo draft hi' -> 'echo draft hi'",
            "*and the replayed final state differs from the golden recording (golden -> replayed):",
            esc("*  root['log'][1]*"),
            "*checkpoint:*run.ckpt",
            "*The agent now skips calls it used to make. If the change is intended, re-record "
            "with: pytest --clearstone-record test_bot.py::test_run",
        ]
    )
    result.stdout.no_fnmatch_line("*GoldenMismatchError*")


def test_a_changed_result_and_final_state_are_told_together_when_not_strict(bot, monkeypatch):
    # not strict, a call not made is no failure: the result and the state both differ
    bot.makepyfile(test_bot=BOT_TEST.replace("STRICT", "False"))
    monkeypatch.setenv("SKIP_REVIEW", "1")
    result = bot.runpytest("test_bot.py::test_run")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*GoldenMismatchError: the replayed result differs from the golden recording "
            "(golden -> replayed):",
            "*  root: 'echo review echo draft hi' -> 'echo draft hi'",
            "*and the replayed final state differs from the golden recording (golden -> replayed):",
            esc("*  root['log'][1]*"),
        ]
    )
    result.stdout.no_fnmatch_line("*fewer calls*")


def test_unused_responses_name_the_first_call_not_made(project):
    # Expected: which recorded call was not made. Before the fix: "app.Tools.create_ticket: 0
    # of 1 recorded response(s) used" only.
    project.record().assert_outcomes(passed=1)
    project.write_app(TICKETS=0)  # the result and the state are the same without it
    result = project.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*UnusedResponsesError: the replay made fewer calls than the recording:",
            "*  app.Tools.create_ticket: 0 of 1 recorded response(s) used",
            "*    call #1 (call 3 of 3 in the recorded sequence) was not made; recorded "
            "arguments: {'title': 'I was char'}",
            "*re-record with: pytest --clearstone-record test_agent.py::test_billing",
        ]
    )


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"PROMPT": "Customer says: {message}"}, "ReplayDivergenceError"),
        ({"TICKETS": 2}, "ReplayExhaustedError"),
        ({"TICKETS": 0}, "UnusedResponsesError"),
        ({"COST": 0.02}, "GoldenMismatchError"),
    ],
)
def test_the_re_record_hint_names_the_test(project, change, error):
    # Expected: the command re-records the test that failed. Before the fix: "re-record with:
    # pytest --clearstone-record", which re-records every marked test of the suite, goldens
    # that diverged for unintended reasons included.
    project.record().assert_outcomes(passed=1)
    project.write_app(**change)
    result = project.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*{error}: *",
            "*If the change is intended, re-record with: pytest --clearstone-record "
            "test_agent.py::test_billing",
        ]
    )
    result.stdout.no_fnmatch_line("*re-record with: pytest --clearstone-record")


def test_the_record_commands_name_the_test_from_where_pytest_was_started(
    project, pytester, monkeypatch
):
    # Expected: run from a subdirectory, the command given works there, as pytest's own summary
    # names the test. Before the fix it named the test from the rootdir
    # ("tests/sub/test_nested.py::test_billing"), which pytest, started from tests/sub, cannot
    # find.
    pytester.makeini("[pytest]\n")
    sub = pytester.path / "tests" / "sub"
    sub.mkdir(parents=True)
    (pytester.path / "test_agent.py").rename(sub / "test_nested.py")
    project.record().assert_outcomes(passed=1)
    project.write_app(PROMPT="Customer says: {message}")
    monkeypatch.chdir(sub)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*re-record with: pytest --clearstone-record test_nested.py::test_billing"]
    )
    (sub / "goldens" / "billing.ckpt").unlink()
    missing = pytester.runpytest()
    missing.stdout.fnmatch_lines(
        ["*Record it first with: pytest --clearstone-record test_nested.py::test_billing*"]
    )


def test_the_summary_names_the_tests_from_where_pytest_was_started(project, pytester, monkeypatch):
    # Expected: run from a subdirectory, the clearstone summary lists each test as pytest's own
    # short summary names it, so that an id copied from it into a command works there. Before
    # the fix its lists named the test from the rootdir ("tests/sub/test_nested.py::..."),
    # which pytest, started from tests/sub, cannot find.
    pytester.makeini("[pytest]\n")
    sub = pytester.path / "tests" / "sub"
    sub.mkdir(parents=True)
    (pytester.path / "test_agent.py").rename(sub / "test_nested.py")
    project.record().assert_outcomes(passed=1)
    project.write_app(PROMPT="Customer says: {message}")
    monkeypatch.chdir(sub)
    diverged = pytester.runpytest()
    diverged.assert_outcomes(failed=1)
    diverged.stdout.fnmatch_lines(
        ["hint: if the changes are intended*", "  test_nested.py::test_billing"]
    )
    rerecorded = pytester.runpytest("--clearstone-mode=record-diverged")
    rerecorded.assert_outcomes(passed=1)
    rerecorded.stdout.fnmatch_lines(
        ["re-recorded (diverged on replay): test_nested.py::test_billing"]
    )
    project.write_app(RESULT="no reply")  # the test's own assertion fails live
    failed = pytester.runpytest("--clearstone-record")
    failed.assert_outcomes(failed=1)
    failed.stdout.fnmatch_lines(
        ["goldens not written*", "  test_nested.py::test_billing: the test failed while recording*"]
    )
    for result in (diverged, rerecorded, failed):
        result.stdout.no_fnmatch_line("*tests/sub/test_nested.py*")


def test_the_re_record_hint_quotes_a_node_id_for_the_shell(bot, monkeypatch):
    monkeypatch.setenv("SKIP_REVIEW", "1")
    result = bot.runpytest("test_bot.py::test_param")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [esc("*re-record with: pytest --clearstone-record 'test_bot.py::test_param[hi]'")]
    )


SDK_APP = """
import httpx2
import openai

CALLS = 1


def api(request):
    message = {"role": "assistant", "content": "Answer"}
    choice = {"index": 0, "finish_reason": "stop", "message": message}
    return httpx2.Response(200, json={"id": "c1", "object": "chat.completion", "created": 1,
                                      "model": "gpt-4o-mini", "choices": [choice]})


class Asker:
    def __init__(self):
        http = httpx2.Client(transport=httpx2.MockTransport(api))
        self.client = openai.OpenAI(api_key="unused", max_retries=0, http_client=http)

    def ask(self, q):
        answers = []
        for _ in range(CALLS):
            answer = self.client.chat.completions.create(
                model="gpt-4o-mini", messages=[{"role": "user", "content": q}]
            )
            answers.append(answer.choices[0].message.content)
        return answers
"""

SDK_TEST = """
import pytest
import sdk_app


@pytest.mark.replay(
    "goldens/ask.ckpt", mock={"llm": "openai.resources.chat.completions.Completions.create"}
)
def test_ask(replay):
    replay.run(sdk_app.Asker().ask, "Spam?")
"""


def test_an_extra_sdk_calls_arguments_show_no_memory_address(pytester):
    # Expected: the SDK resource a call was made on (`self`) is shown as it is stored, last.
    # Before the fix: `'self': <openai.resources...Completions object at 0x7f28cc92d990>`, an
    # address that changes at every run.
    for name in ("openai", "httpx2"):
        pytest.importorskip(name)
    pytester.syspathinsert()
    pytester.makepyfile(sdk_app=SDK_APP, test_sdk=SDK_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    source = pytester.path / "sdk_app.py"
    source.write_text(source.read_text().replace("CALLS = 1", "CALLS = 2"))
    for verbosity in ([], ["-vv"]):
        result = pytester.runpytest(*verbosity)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            [
                "*ReplayExhaustedError: *",
                "*call #2 arguments: {'messages': [[]{'role': 'user', 'content': 'Spam?'}], "
                "'model': 'gpt-4o-mini', 'self': Completions(path='chat.completions', "
                "client=OpenAI(*",
            ]
        )
        result.stdout.no_fnmatch_line("*Completions object at 0x*")


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("_pytest.outcomes", "Skipped"),
        ("_pytest.outcomes", "XFailed"),
        ("_pytest.outcomes", "Failed"),
        ("_pytest.outcomes", "Exit"),
        ("unittest", "SkipTest"),
    ],
)
def test_a_recorded_test_outcome_does_not_decide_the_replayed_test(bot, module, name):
    # Expected: a recorded error that is pytest's skip/xfail/fail/exit or unittest's SkipTest
    # (no passing test records one: the golden was edited) fails the test as a RecordedError
    # saying why. Before the fix: `Skipped` replayed as a real pytest.skip (1 skipped, a green
    # CI), `Exit` ended the session.
    golden = bot.path / "goldens" / "run.ckpt"
    doc = json.loads(golden.read_text())
    spans = [s for s in doc["trace"]["spans"] if s["output"] == {"v": "echo draft hi"}]
    assert len(spans) == 1
    span = spans[0]
    span["output"] = None
    span["status"] = "ERROR"
    span["status_message"] = f"{name}: x"
    span["error"] = {"type": name, "module": module, "message": "x", "args": ["x"]}
    golden.write_text(json.dumps(doc, indent=2))
    result = bot.runpytest("test_bot.py::test_run")
    result.assert_outcomes(failed=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(
        [f"*RecordedError: *{name}: x (recorded exception, replayed as RecordedError: *"]
    )


def test_a_failure_raised_outside_the_tests_code_is_reported_at_the_test(pytester, monkeypatch):
    """Failures the plugin raises outside the test's code — a golden not found (before the
    call), responses left unused by a call that returned the same result (after it) — have no
    frame of the user's in their traceback. Their report ended with pytest's "All traceback
    entries are hidden. Pass `--full-trace`" (which shows the plugin's internals, nothing about
    the replay), and their crash line (``--tb=line``, junitxml) named pluggy's ``_manager.py``:
    they name the test (its marker's line, where pytest places the test; for responses left
    unused, the line of its last ``replay.run()``, where ``--pdb`` opens too) instead."""
    monkeypatch.delenv("SKIP_LOG", raising=False)
    pytester.syspathinsert()
    pytester.makepyfile(
        logbot="""
        import os

        def llm(prompt):
            return "ok"

        def run(q):
            answer = llm(q)
            if not os.environ.get("SKIP_LOG"):
                llm("log " + q)
            return answer
        """,
        test_logbot="""
        import pytest
        import logbot


        @pytest.mark.replay("goldens/run.ckpt", mock={"llm": "logbot.llm"})
        def test_run(replay):
            assert replay.run(logbot.run, "hi") == "ok"
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("SKIP_LOG", "1")
    for style in ("--tb=line", "--tb=short", "--tb=long"):
        result = pytester.runpytest(style)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*UnusedResponsesError: the replay made fewer calls*"])
        result.stdout.no_fnmatch_line("*All traceback entries are hidden*")
        result.stdout.no_fnmatch_line("*pluggy?_*.py*")
        if style == "--tb=line":
            result.stdout.fnmatch_lines(["*test_logbot.py:7: *UnusedResponsesError*"])
    (pytester.path / "goldens" / "run.ckpt").unlink()
    for style in ("--tb=line", "--tb=auto"):
        result = pytester.runpytest(style)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(["*test_run: checkpoint not found; tried:*"])
        result.stdout.no_fnmatch_line("*All traceback entries are hidden*")
        result.stdout.no_fnmatch_line("*pluggy?_*.py*")
        if style == "--tb=line":
            result.stdout.fnmatch_lines(["*test_logbot.py:5: Failed: *checkpoint not found*"])
    # a recording whose golden cannot be written (a file where its directory goes), refused
    # before the call: its crash line named the plugin's plugin.py
    monkeypatch.delenv("SKIP_LOG")
    (pytester.path / "goldens").rmdir()
    (pytester.path / "goldens").write_text("not a directory")
    result = pytester.runpytest("--clearstone-record", "--tb=line")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*test_logbot.py:5: *run.ckpt cannot be written: *goldens is a file*"]
    )
    result.stdout.no_fnmatch_line("*pytest_clearstone*plugin.py*")
