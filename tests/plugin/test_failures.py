"""Every way a replay can fail, with the message a user sees."""

from __future__ import annotations

import json
import os
import shlex

import pytest

from .conftest import TEST, esc


@pytest.fixture
def recorded(project):
    project.record().assert_outcomes(passed=1)
    return project


def test_changed_prompt_fails_at_the_call(recorded):
    recorded.write_app(PROMPT="Customer says: {message}")
    result = recorded.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayDivergenceError: replay diverged at call #1 to app.complete*",
            "*recorded span: *",
            "*checkpoint:*goldens*billing.ckpt",
            esc(
                "*root['prompt']: 'User says: I was charged twice' -> "
                "'Customer says: I was charged twice'"
            ),
            "*re-record with: pytest --clearstone-record*",
            "*0 checkpoint(s) replayed, 0 recorded, 1 diverged*",
        ]
    )


def test_changed_tool_argument_names_the_tool(recorded):
    recorded.write_app(SEARCH="search: {message}")
    result = recorded.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            # call_number counts per target; the place in the whole sequence is given too
            "*replay diverged at call #1 to app.Tools.search (call 2 of 3 in the recorded "
            "sequence): its arguments differ from the recording",
            esc("*root['query']: 'I was charged twice' -> 'search: I was charged twice'"),
        ]
    )


def test_extra_call_is_exhaustion(recorded):
    recorded.write_app(TICKETS=2)
    result = recorded.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayExhaustedError: app.Tools.create_ticket was called 2 time(s) but the "
            "recording has only 1 response(s) for it (call #2 has none)*",
            "*call #2 arguments: {'title': 'I was char'}",
        ]
    )
    result.stdout.no_fnmatch_line("*StopIteration*")


def test_missing_call_is_unused_responses(recorded):
    recorded.write_app(TICKETS=0)
    result = recorded.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*UnusedResponsesError: the replay made fewer calls than the recording:*",
            "*app.Tools.create_ticket: 0 of 1 recorded response(s) used*",
        ]
    )


def test_recorded_calls_to_a_target_the_test_no_longer_mocks_fail_the_replay(recorded, pytester):
    # the marker dropped create_ticket (or it was renamed): its recorded answer is unused and
    # the agent's call ran live, which replaying the rest alone would not show
    pytester.makepyfile(
        test_agent="""
        import pytest
        from app import Agent

        @pytest.mark.replay("goldens/billing.ckpt", mock={
            "llm": "app.complete", "tool": ["app.Tools.search"]})
        def test_billing(replay):
            agent = Agent()
            answer = replay.run(agent.handle, "I was charged twice")
            assert "answer to" in answer
        """
    )
    result = recorded.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*UnusedResponsesError: the golden recorded calls to a target this test does not "
            "mock (a call to it now runs live):*",
            "*app.Tools.create_ticket (tool): 1 recorded call(s)*",
            "*Mock it again (the marker's mock=). If the change is intended, re-record with: "
            "pytest --clearstone-record*",
        ]
    )
    result.stdout.no_fnmatch_line("*fewer calls than the recording*")


CONFIGURED_TEST = """
import pytest
from app import Agent

@pytest.mark.replay("goldens/billing.ckpt")
def test_billing(replay):
    assert "answer to" in replay.run(Agent().handle, "I was charged twice")
"""


@pytest.mark.parametrize(
    ("given_by", "named"),
    [("ini", "the ini option clearstone_mock"), ("fixture", "the clearstone_config fixture")],
    ids=["ini", "fixture"],
)
def test_a_target_the_ini_or_the_config_fixture_no_longer_mocks_is_named_where_it_was_mocked(
    project, pytester, given_by, named
):
    """Its fix said to mock it again in "the marker's mock=", which this marker does not have."""

    def mock(*tools: str) -> None:
        if given_by == "ini":
            lines = "".join(f"    tool = {tool}\n" for tool in tools)
            pytester.makeini(f"[pytest]\nclearstone_mock =\n    llm = app.complete\n{lines}")
        else:
            config = {"mock": {"llm": "app.complete", "tool": list(tools)}}
            fixture = f"@pytest.fixture\ndef clearstone_config():\n    return {config!r}\n"
            pytester.makeconftest(f"import pytest\n\n{fixture}")

    pytester.makepyfile(test_agent=CONFIGURED_TEST)
    mock("app.Tools.search", "app.Tools.create_ticket")
    project.record().assert_outcomes(passed=1)
    mock("app.Tools.search")
    result = project.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*app.Tools.create_ticket (tool): 1 recorded call(s)*",
            f"*Mock it again ({named}). If the change is intended, re-record with: *",
        ]
    )


def test_a_call_to_a_renamed_target_names_the_recorded_one(recorded, pytester):
    # `complete` was renamed `ask` and the marker follows: the golden holds no call to app.ask,
    # and its first call is exhausted at once — the message points at the recorded name
    app = (pytester.path / "app.py").read_text()
    pytester.makepyfile(app=app.replace("complete(", "ask("))
    pytester.makepyfile(test_agent=TEST.replace('"llm": "app.complete"', '"llm": "app.ask"'))
    result = recorded.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayExhaustedError: app.ask was called 1 time(s) but the recording has only "
            "0 response(s) for it*",
            "*The recording holds no call to app.ask; it holds llm calls to a target this test "
            "does not mock: app.complete (1 recorded call(s)). If the function was renamed or "
            "moved, re-record with: pytest --clearstone-record test_agent.py::test_billing",
        ]
    )
    result.stdout.no_fnmatch_line("*The agent now makes more calls*")


def test_target_names_from_a_golden_are_shown_with_control_characters_escaped(recorded):
    # Expected: a golden naming a target with terminal escape sequences (a hostile or damaged
    # file) is told with them escaped, as inspection shows text from a file. Before the fix:
    # the ESC, BEL and CR reached the terminal (or CI log) raw, where they can recolour, erase
    # or retitle what is shown.
    doc = json.loads(recorded.golden.read_text())
    hostile = "app.complete\x1b[2K\r\x1b]0;pwned\x07"
    for span in doc["trace"]["spans"]:
        if span["attributes"].get("clearstone.target") == "app.complete":
            span["attributes"]["clearstone.target"] = hostile
    doc.pop("file_bytes", None)
    recorded.golden.write_text(json.dumps(doc, indent=2))
    result = recorded.replay()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "\x1b" not in out and "\x07" not in out
    # (no import path: the golden is refused as damaged, naming the value escaped)
    assert (
        "'clearstone.target' is 'app.complete\\x1b[2K\\r\\x1b]0;pwned\\x07', not the import "
        "path of a mock target" in out
    )


@pytest.mark.parametrize(
    ("tickets", "tools"),
    [
        (0, '["app.Tools.search", "app.Tools.create_ticket"]'),  # a recorded call not made
        (1, '["app.Tools.search"]'),  # a recorded target left out of the mocks
    ],
)
def test_unused_responses_pass_when_not_strict(recorded, pytester, tickets, tools):
    recorded.write_app(TICKETS=tickets)
    pytester.makepyfile(
        test_agent=f"""
        import pytest
        from app import Agent

        @pytest.mark.replay("goldens/billing.ckpt", strict=False, mock={{
            "llm": "app.complete", "tool": {tools}}})
        def test_billing(replay):
            replay.run(Agent().handle, "I was charged twice")
        """
    )
    recorded.replay().assert_outcomes(passed=1)


def test_changed_result_fails_with_a_delta(recorded):
    recorded.write_app(RESULT="Dear customer, {answer}")
    result = recorded.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*GoldenMismatchError: the replayed result differs from the golden recording "
            "(golden -> replayed):*",
            "*root: 'LLM answer to*' -> 'Dear customer, LLM answer to*'",
        ]
    )


def test_changed_final_state_fails_with_a_state_delta(recorded):
    recorded.write_app(COST=0.02)
    result = recorded.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the replayed final state differs from the golden recording*",
            esc("*root['total_cost']: 0.01 -> 0.02"),
        ]
    )


@pytest.mark.parametrize(
    ("edit", "message"),
    [
        ("del doc['outcome']", "*the golden holds no outcome for replay.run() ('handle')*"),
        ("doc['outcome'] = None", "*the golden holds no outcome for replay.run() ('handle')*"),
        ("del doc['outcome']['final_state']", "*the golden holds no final state of the agent*"),
    ],
)
def test_a_golden_whose_outcome_was_deleted_fails_instead_of_checking_nothing(
    recorded, edit, message
):
    # Expected: a golden the plugin recorded for a test that calls replay.run() holds its
    # outcome; without it (edited by hand), the replay compared nothing and passed, whatever
    # the agent now returned or kept (here: a changed final state)
    doc = json.loads(recorded.golden.read_text())
    exec(edit)
    recorded.golden.write_text(json.dumps(doc, indent=2))
    recorded.write_app(COST=0.02)
    result = recorded.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([message, "*re-record*"])


@pytest.mark.parametrize("runs", [1, 2])
def test_a_run_that_raised_when_recorded_and_now_returns_is_named_as_such(pytester, runs):
    """A test records an agent whose error it expects (``pytest.raises``), then, with two
    runs, another run; the agent now catches the error and returns a fallback. The golden
    keeps no outcome of a run that raised: the replay said the golden was recorded without
    replay.run() or edited by hand, or compared the first run with the second's outcome
    ("the golden recorded 'echo', this test runs 'run'"). A golden of an earlier version,
    which does not name the runs that raised, is told the likely cause first."""
    pytester.syspathinsert()
    agent = """
        class Busy(Exception):
            pass

        def llm(prompt):
            raise Busy("429: slow down")

        def run(question):
            return llm(question)

        def echo(question):
            return question
        """
    second = "\n            assert replay.run(app.echo, 'hi') == 'hi'" if runs == 2 else ""
    pytester.makepyfile(
        app=agent,
        test_app=f"""
        import pytest
        import app

        @pytest.mark.replay(mock={{"llm": "app.llm"}})
        def test_run(replay):
            with pytest.raises(app.Busy):
                replay.run(app.run, "hi"){second}
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    caught = "try:\n                return llm(question)\n            except Busy:\n"
    pytester.makepyfile(
        app=agent.replace("return llm(question)", caught + '                return "later"')
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*replay.run() #1 ('run') raised when it was recorded (or, a generator, was not "
            "read to its end: such a run keeps no outcome), and now it returned",
            "*re-record with: pytest --clearstone-record test_app.py::test_run",
        ]
    )
    if runs == 1:  # a golden of an earlier version
        golden = pytester.path / "goldens" / "test_app" / "test_run.ckpt"
        doc = json.loads(golden.read_text())
        del doc["metadata"]["runs_without_outcome"]
        golden.write_text(json.dumps(doc, indent=2))
        result = pytester.runpytest()
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            [
                "*the golden holds no outcome for replay.run() ('run'): when it was recorded, "
                "it raised (a run that raises keeps no outcome), and now it returned*"
            ]
        )


def test_a_recorded_call_whose_arguments_were_deleted_fails_a_strict_replay(recorded):
    # Expected: a strict replay compares each call's arguments with the recorded ones; with a
    # call's recorded 'input' deleted by hand, it compared nothing and passed a changed prompt
    doc = json.loads(recorded.golden.read_text())
    spans = doc["trace"]["spans"]
    llm = next(s for s in spans if s.get("span_type") == "llm")
    del llm["input"]
    recorded.golden.write_text(json.dumps(doc, indent=2))
    recorded.write_app(PROMPT="Customer says: {message}")
    result = recorded.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*billing.ckpt is not a readable checkpoint: call #1 to app.complete has no recorded "
         "arguments*"]
    )  # fmt: skip


def test_a_target_called_without_arguments_replays_strictly(pytester):
    # the check above must not take a call made with no arguments for one without a record
    pytester.syspathinsert()
    pytester.makepyfile(
        clock_app="def now():\n    return 42\n\ndef run():\n    return now() + 1\n",
        test_clock=(
            "import pytest\nimport clock_app\n\n"
            "@pytest.mark.replay(mock={'tool': 'clock_app.now'})\n"
            "def test_it(replay):\n    assert replay.run(clock_app.run) == 43\n"
        ),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


def test_swallowed_exhaustion_still_fails(recorded, pytester):
    pytester.makepyfile(
        test_agent="""
        import pytest
        import app

        @pytest.mark.replay("goldens/billing.ckpt", mock={
            "llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]})
        def test_billing(replay):
            replay.run(app.Agent().handle, "I was charged twice")
            try:
                app.complete("one more")
            except Exception:
                pass  # the agent's own error handling swallows it
        """
    )
    result = recorded.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayExhaustedError: app.complete was called 2 time(s)*"])


@pytest.mark.parametrize(
    ("edit", "reported"),
    [
        ('PROMPT = "Be brief: "', "*ReplayDivergenceError: replay diverged at call #1 to app.ask*"),
        ("TURNS = 2", "*ReplayExhaustedError: app.ask was called 2 time(s)*"),
    ],
    ids=["divergence", "exhaustion"],
)
def test_an_error_the_agent_swallowed_inside_run_is_reported_not_the_outcome_it_changed(
    pytester, edit, reported
):
    # Expected: the replay error the agent's own except swallowed is the failure, also when the
    # fallback it took changed the run's result (the changed result is only its consequence).
    # Before the fix: replay.run() compared the result first and the test failed with
    # "GoldenMismatchError: the replayed result differs ... 'ok' -> 'fallback'" only.
    app = """
        PROMPT = "Be kind: "
        TURNS = 1

        def ask(prompt):
            return "ok"

        class Agent:
            def handle(self, message):
                for _ in range(TURNS):
                    try:
                        answer = ask(PROMPT + message)
                    except Exception:
                        answer = "fallback"
                return answer
        """
    pytester.syspathinsert()
    pytester.makepyfile(
        app=app,
        test_app="""
        import pytest
        import app

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.ask"})
        def test_it(replay):
            assert replay.run(app.Agent().handle, "hi") in ("ok", "fallback")
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    old = 'PROMPT = "Be kind: "' if "PROMPT" in edit else "TURNS = 1"
    pytester.makepyfile(app=app.replace(old, edit))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([reported])
    result.stdout.no_fnmatch_line("*GoldenMismatchError*")


def test_missing_checkpoint_names_path_and_record_flag(project):
    result = project.replay()
    result.assert_outcomes(failed=1)
    result.stdout.no_fnmatch_line("*During handling of the above exception*")
    result.stdout.fnmatch_lines(
        [
            "*checkpoint not found; tried: *goldens*billing.ckpt. "
            "Record it first with: pytest --clearstone-record test_agent.py::test_billing",
        ]
    )


def test_the_record_command_of_a_missing_golden_can_be_pasted_into_a_shell(pytester):
    # Expected: a node id with spaces or brackets is quoted in the suggested command.
    # Before the fix: "pytest --clearstone-record test_q.py::test_it[with space]" ran two
    # arguments ("file or directory not found: space]").
    pytester.makepyfile(
        test_q="""
        import pytest

        @pytest.mark.parametrize("q", ["with space"])
        @pytest.mark.replay(mock={"llm": "os.getcwd"})
        def test_it(replay, q):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [esc("*Record it first with: pytest --clearstone-record 'test_q.py::test_it[with space]'")]
    )


def test_the_record_command_of_a_parameter_id_with_a_slash_and_colons_records_that_test(pytester):
    """The quoted node id of ``pytest.param(..., id="odd/id::[x] y")`` (a slash, ``::`` and
    brackets in the id) pasted into a shell records that test alone, which then replays."""
    pytester.makepyfile(
        test_q="""
        import os
        import pytest

        @pytest.mark.parametrize(
            "q", [pytest.param(1, id="odd/id::[x] y"), pytest.param(2, id="plain")])
        @pytest.mark.replay(mock={"llm": "os.getcwd"})
        def test_it(replay, q):
            replay.run(lambda: os.getcwd())
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    command = "pytest --clearstone-record 'test_q.py::test_it[odd/id::[x] y]'"
    result.stdout.fnmatch_lines([esc(f"*Record it first with: {command}")])
    pytester.runpytest(*shlex.split(command)[1:]).assert_outcomes(passed=1)
    pytester.runpytest("-k", "odd").assert_outcomes(passed=1, deselected=1)


def test_a_missing_golden_of_a_test_that_only_reads_it_names_the_fix_that_works(pytester):
    # Expected: a marker without mock= never records (contract 6.1), so the hint says how the
    # golden gets written instead of a command that cannot write it.
    pytester.makepyfile(
        test_r="""
        import pytest

        @pytest.mark.replay("goldens/shared.ckpt")
        def test_reader(replay):
            pass
        """
    )
    for mode in ([], ["--clearstone-record"]):
        result = pytester.runpytest(*mode)
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(
            [
                "*checkpoint not found; tried: *shared.ckpt. This test only reads its golden (its "
                "marker has no mock=), so recording it writes nothing: record it with the test "
                "that mocks its calls, or add mock= to this marker (mock={} when the agent calls "
                "nothing outside)"
            ]
        )
        result.stdout.no_fnmatch_line("*Record it first with*")


def test_a_corrupt_golden_of_a_test_that_only_reads_it_names_no_record_command_of_it(pytester):
    # (a marker without mock= never records: re-recording this test would write nothing)
    (pytester.path / "goldens").mkdir()
    (pytester.path / "goldens" / "shared.ckpt").write_text("{not json", encoding="utf-8")
    pytester.makepyfile(
        test_r="""
        import pytest

        @pytest.mark.replay("goldens/shared.ckpt")
        def test_reader(replay):
            pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*shared.ckpt is not a readable checkpoint*"])
    result.stdout.no_fnmatch_line("*--clearstone-record test_r.py::test_reader*")


def test_corrupt_checkpoint_gives_the_checkpoint_error(recorded):
    text = recorded.golden.read_text()
    recorded.golden.write_text(text[: len(text) // 2])
    result = recorded.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*billing.ckpt is not a readable checkpoint: truncated or not JSON*",
            # counted (the test's only golden: the clearstone section was missing altogether)
            "*= clearstone =*",
            "0 checkpoint(s) replayed, 0 recorded, 0 diverged, 1 unreadable",
        ]
    )
    result.stdout.no_fnmatch_line("*JSONDecodeError*")
    result.stdout.no_fnmatch_line("*Traceback*")


def test_a_corrupt_golden_read_by_the_checkpoint_fixture_is_counted_unreadable(recorded):
    # the checkpoint fixture reads the golden in the test's set-up, which then errors: the
    # summary still counts it (as the replay's own read of it is counted)
    test = recorded.pytester.path / "test_agent.py"
    test.write_text(test.read_text().replace("(replay):", "(replay, checkpoint):"))
    text = recorded.golden.read_text()
    recorded.golden.write_text(text[: len(text) // 2])
    result = recorded.replay()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*billing.ckpt is not a readable checkpoint: truncated or not JSON*",
            "*= clearstone =*",
            "0 checkpoint(s) replayed, 0 recorded, 0 diverged, 1 unreadable",
        ]
    )


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="devices and FIFOs are POSIX")
@pytest.mark.parametrize("kind", ["character device", "FIFO"])
def test_a_golden_that_is_a_device_or_a_fifo_is_refused_unread(project, pytester, kind):
    # a symlink to /dev/zero would be read forever, a FIFO would block the run: /dev/null stands
    # in for the device (the same refusal, and a reader that is not refused finds it empty);
    # the run is a subprocess with a timeout, so a reader blocked on the FIFO fails the test
    project.golden.parent.mkdir()
    if kind == "FIFO":
        os.mkfifo(project.golden)
    else:
        project.golden.symlink_to(os.devnull)
    result = pytester.runpytest_subprocess(timeout=120)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*billing.ckpt is not a readable checkpoint: cannot read it (a {kind}, not a "
            "regular file)*"
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    assert os.path.lexists(project.golden)


@pytest.mark.parametrize(
    ("target", "reason"),
    [
        (
            "app.compleet",
            "'app' has no attribute 'compleet' (did you mean 'complete'?). Mock 'app.complete'",
        ),
        # resolved, but a built-in type refuses new attributes
        (
            "builtins.str.upper",
            "'builtins.str' is a built-in or C-extension type, whose methods cannot be patched "
            "(cannot set 'upper' attribute of immutable type 'str'). Mock the function of the "
            "agent's own that calls it instead",
        ),
    ],
)
def test_a_mock_target_that_cannot_be_patched_is_named(project, pytester, target, reason):
    # the failure names the target, why and the fix; the context entered before the patch
    # failed is unwound (the next test runs as usual)
    pytester.makepyfile(
        test_agent=f"""
        import random

        import pytest

        @pytest.mark.replay("goldens/x.ckpt", mock={{"llm": "{target}"}})
        def test_it(replay):
            pass

        def test_after():
            random.seed(5)
            assert str.upper("a") == "A"
        """
    )
    result = project.record()
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines([f"*mock target {target!r} cannot be patched: {reason}*"])
    result.stdout.no_fnmatch_line("*Traceback*")


def test_bad_marker_arguments_are_named(project, pytester):
    pytester.makepyfile(
        test_agent="""
        import pytest

        @pytest.mark.replay("goldens/x.ckpt", mocks={"llm": "app.complete"})
        def test_it():
            pass

        @pytest.mark.replay("goldens/x.ckpt", mock="app.complete")
        def test_bad_mock():
            pass
        """
    )
    result = project.replay()
    result.assert_outcomes(errors=2)
    result.stdout.fnmatch_lines(
        [
            "*test_agent.py::test_it: bad @pytest.mark.replay(path=None, *, mock=None, "
            "strict=True, ignore=None, ignore_state=None): "
            "*unexpected keyword argument 'mocks'*",
            "*test_agent.py::test_bad_mock: bad mock= in @pytest.mark.replay: mock_config must "
            "map a span type*",
        ]
    )


def test_a_marker_mock_with_type_and_path_swapped_is_named_without_a_traceback(project, pytester):
    # before the fix: the set-up of the test errored with the plugin's traceback, ending in
    # MockTargetError raised from golden/mocks.py
    pytester.makepyfile(
        test_agent="""
        import pytest

        @pytest.mark.replay("goldens/x.ckpt", mock={"app.complete": "llm"})
        def test_swapped():
            pass
        """
    )
    result = project.replay()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*test_agent.py::test_swapped: bad mock= in @pytest.mark.replay: mock target 'llm' "
            "cannot be patched: *Swap them: {'llm': 'app.complete'}"
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*mocks.py*")
    result.stdout.no_fnmatch_line("*plugin.py*")  # (nor the plugin's frame that tells it)


def test_replay_fixture_without_marker(project, pytester):
    pytester.makepyfile(test_agent="def test_it(replay):\n    pass\n")
    result = project.replay()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*test_agent.py::test_it: the replay fixture needs @pytest.mark.replay(path*"]
    )


@pytest.mark.parametrize(
    ("recorded", "now", "call", "change", "recorded_for"),
    [
        ('"billing", "refunds"', '"refunds", "billing"', 1, "'billing' -> 'refunds'", 2),
        ('"billing", "refunds", "returns"', '"billing", "returns"', 2, "'refunds' -> 'returns'", 3),
    ],
    ids=["reordered", "left_out"],
)
def test_a_call_given_another_calls_arguments_names_a_reordering_or_a_call_left_out(
    pytester, recorded, now, call, change, recorded_for
):
    """A call given the arguments recorded for another call: the calls were reordered, or the
    agent no longer makes the calls between (the next call gets the arguments recorded for the
    one after it). The message names both, not only a reordering."""
    pytester.syspathinsert()
    pytester.makepyfile(
        order_app=f"""
        ORDER = [{recorded}]

        def lookup(topic):
            return "docs about " + topic

        def answer():
            return [lookup(topic) for topic in ORDER]
        """,
        test_order="""
        import pytest
        import order_app

        @pytest.mark.replay("goldens/order.ckpt", mock={"tool": "order_app.lookup"})
        def test_order():
            order_app.answer()
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.makepyfile(
        order_app=(pytester.path / "order_app.py").read_text().replace(recorded, now)
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*replay diverged at call #{call} to order_app.lookup*",
            esc(f"*root['topic']: {change}"),
            f"*These arguments were recorded for call #{recorded_for}: the calls to "
            f"order_app.lookup may have been reordered, or call #{call} left out.",
        ]
    )


APP_WITH_A_HANDLE = """
import dataclasses
import threading

PROMPT = "hello"
CALLS = 1


@dataclasses.dataclass
class Client:
    settings: dict = dataclasses.field(
        default_factory=lambda: {f"option_{i}": "a long setting value" for i in range(30)}
    )

    def complete(self, prompt, config):
        return "answer to " + prompt


def ask(client):
    config = {"callbacks": threading.Lock(), "tag": "t"}
    return [client.complete(PROMPT, config) for _ in range(CALLS)]
"""

TEST_WITH_A_HANDLE = """
import pytest
import handles

@pytest.mark.replay("goldens/h.ckpt", mock={"llm": "handles.Client.complete"})
def test_h(replay):
    replay.run(handles.ask, handles.Client())
"""


def test_a_placeholder_compared_by_type_is_not_listed_as_a_difference(pytester):
    # A LangChain chain's config.callbacks (stored as a placeholder of its type, compared by
    # that type only) was listed in every divergence, beside the real difference.
    pytester.syspathinsert()
    pytester.makepyfile(handles=APP_WITH_A_HANDLE, test_h=TEST_WITH_A_HANDLE)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    source = pytester.path / "handles.py"
    source.write_text(source.read_text().replace('PROMPT = "hello"', 'PROMPT = "hi there"'))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([esc("*root['prompt']: 'hello' -> 'hi there'*")])
    result.stdout.no_fnmatch_line(esc("*root['config']['callbacks']*"))


def test_an_extra_calls_arguments_show_what_it_was_given_before_its_instance(pytester):
    # The bound instance (a LangChain chat model's settings) came first and filled the shown
    # arguments: the prompt of the call never appeared, even with -vv.
    pytester.syspathinsert()
    pytester.makepyfile(handles=APP_WITH_A_HANDLE, test_h=TEST_WITH_A_HANDLE)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    source = pytester.path / "handles.py"
    source.write_text(source.read_text().replace("CALLS = 1", "CALLS = 2"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*call #2 arguments: {'prompt': 'hello', 'config': {*'self': {*"])
    result = pytester.runpytest("-vv")  # nothing cut
    result.stdout.fnmatch_lines(["*call #2 arguments: {'prompt': 'hello'*'option_29': *}}"])


def test_a_hand_edited_state_that_cannot_be_restored_names_the_golden(pytester):
    # "cannot restore a list state into Agent: give the agent a load_state(state) method", with
    # the plugin's source line: the golden the state came from was not named
    pytester.syspathinsert()
    pytester.makepyfile(
        plain="def llm(p):\n    return p.upper()\n\n\nclass Agent:\n    def __init__(self):\n"
        "        self.seen = []\n\n    def ask(self, q):\n        self.seen.append(q)\n"
        "        return llm(q)\n",
        test_it="import pytest\nimport plain\n\n\n"
        "@pytest.mark.replay('g.ckpt', mock={'llm': 'plain.llm'})\n"
        "def test_it(replay):\n    replay.run(plain.Agent().ask, 'hi')\n",
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "g.ckpt"
    doc = json.loads(golden.read_text())
    doc["agent"]["state"] = [1, 2]
    golden.write_text(json.dumps(doc, indent=2))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cannot restore a list state from the golden *g.ckpt into Agent: *load_state*"
            "*or, if the golden *g.ckpt was edited by hand, restore it*"
        ]
    )


def test_an_argument_left_at_its_default_shows_the_default(pytester, monkeypatch):
    # recorded with limit=2, the call now leaves limit out (its default is 3): the delta said
    # "root['limit']: removed 2", as if the call had lost the argument
    pytester.syspathinsert()
    pytester.makepyfile(
        search="import os\n\n\ndef find(query, limit=3):\n    return [query] * limit\n\n\n"
        "def run(q):\n    if os.environ.get('DEFAULT_LIMIT'):\n        return find(q)\n"
        "    return find(q, limit=2)\n",
        test_it="import pytest\nimport search\n\n\n"
        "@pytest.mark.replay('g.ckpt', mock={'tool': 'search.find'})\n"
        "def test_it(replay):\n    replay.run(search.run, 'x')\n",
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("DEFAULT_LIMIT", "1")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*root[[]'limit']: 2 -> 3", "*(not given by the call: limit, *)"])
    result.stdout.no_fnmatch_line("*removed 2*")


def test_an_argument_given_beside_one_left_at_its_default_shows_its_own_value(
    pytester, monkeypatch
):
    # the call leaves limit out and gives lang another value: only limit is shown at its
    # default and named as not given; lang shows the value the call gave
    pytester.syspathinsert()
    pytester.makepyfile(
        search="import os\n\n\ndef find(query, limit=3, lang='en'):\n    return [query] * limit\n"
        "\n\ndef run(q):\n    if os.environ.get('DEFAULT_LIMIT'):\n"
        "        return find(q, lang='pt')\n    return find(q, limit=2, lang='fr')\n",
        test_it="import pytest\nimport search\n\n\n"
        "@pytest.mark.replay('g.ckpt', mock={'tool': 'search.find'})\n"
        "def test_it(replay):\n    replay.run(search.run, 'x')\n",
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("DEFAULT_LIMIT", "1")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    for line in (
        "*root[[]'lang']: 'fr' -> 'pt'",
        "*root[[]'limit']: 2 -> 3",
        "*(not given by the call: limit, at the default)",
    ):
        result.stdout.fnmatch_lines([line])


def test_checkpoint_fixture_without_marker_names_it(project, pytester):
    pytester.makepyfile(test_agent="def test_it(checkpoint):\n    pass\n")
    result = project.replay()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*test_agent.py::test_it: the checkpoint and replay fixtures need @pytest.mark.replay(*"]
    )


def test_a_golden_timestamp_out_of_range_is_named_and_a_re_record_replaces_it(recorded):
    # Before the fix: replay failed inside the plugin with "OverflowError: date value out of
    # range" (freezing the clock at year 10000 in UTC), and so did the re-record that should fix
    # it, which keeps the previous golden's clock: only deleting the file by hand helped
    doc = json.loads(recorded.golden.read_text())
    doc["timestamp"] = "9999-12-31T23:59:59-14:00"
    recorded.golden.write_text(json.dumps(doc, indent=2))
    result = recorded.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*billing.ckpt is not a readable checkpoint: the timestamp * is out of range*"]
    )
    result.stdout.no_fnmatch_line("*OverflowError*")
    recorded.record().assert_outcomes(passed=1)
    assert json.loads(recorded.golden.read_text())["timestamp"].startswith("20")
    recorded.replay().assert_outcomes(passed=1)


def test_the_summary_names_the_tests_whose_goldens_cannot_be_read_and_the_fix(pytester):
    # Before: "..., 1 diverged, 1 unreadable" and a hint naming only the diverged test, whose
    # record-diverged command leaves an unreadable golden as it is: which test's golden could
    # not be read, and what to do, was left to the failures of a long run
    pytester.syspathinsert()
    pytester.makepyfile(
        live="def complete(prompt):\n    return f'answer to {prompt}'\n",
        test_two="""
import pytest
import live

pytestmark = pytest.mark.replay(mock={"llm": "live.complete"})


def test_damaged(replay):
    replay.run(live.complete, "one")


def test_changed(replay):
    replay.run(live.complete, "two")
""",
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    damaged = pytester.path / "goldens" / "test_two" / "test_damaged.ckpt"
    damaged.write_text(damaged.read_text()[:300])
    test = pytester.path / "test_two.py"
    test.write_text(test.read_text().replace('"two"', '"three"'))
    for args in ([], ["-n", "2"]):
        result = pytester.runpytest_subprocess(*args) if args else pytester.runpytest()
        result.assert_outcomes(failed=2)
        result.stdout.fnmatch_lines(
            [
                "0 checkpoint(s) replayed, 0 recorded, 1 diverged, 1 unreadable",
                "hint: if the changes are intended, re-record what diverged with: *",
                "  test_two.py::test_changed",
                "hint: the goldens of the tests below cannot be read, and "
                "--clearstone-mode=record-diverged leaves them as they are: fix each as its "
                "failure above says",
                "  test_two.py::test_damaged",
            ]
        )
