"""``--clearstone-mode=record-diverged`` and ``record-missing`` against a stand-in live service
that counts its calls; the post-record summary; the ``checkpoint`` fixture while recording."""

from __future__ import annotations

import re
import textwrap
from pathlib import Path

import pytest

from tests.inner_runs import LEAN_ADDOPTS

APP = """
import os
from pathlib import Path

PROMPTS = {"a": "Hello {}", "b": "Greet {}", "c": "Wave at {}"}
BROKEN = os.environ.get("SERVICE_BROKEN") == "1"


def complete(prompt):
    # the live service: every call it answers is counted in live.log
    with open(Path(__file__).with_name("live.log"), "a") as log:
        log.write(prompt + "\\n")
    if BROKEN:
        raise ConnectionError("the service is down")
    return prompt.upper()


class Agent:
    def __init__(self):
        self.said = []

    def get_state(self):
        return {"said": self.said}

    def load_state(self, state):
        self.said = list(state["said"])

    def run(self, which, name):
        answer = complete(PROMPTS[which].format(name))
        self.said.append(answer)
        return answer

    def chat(self, which, name):
        self.said.append(PROMPTS[which].format(name))  # (the user's turn joins before the call)
        answer = complete(" / ".join(self.said))
        self.said.append(answer)
        return answer
"""

TESTS = """
import pytest
from app import Agent

MOCK = {"llm": "app.complete"}

@pytest.mark.replay(mock=MOCK)
def test_a(replay):
    assert replay.run(Agent().run, "a", "Ann")

@pytest.mark.replay(mock=MOCK)
def test_b(replay):
    assert replay.run(Agent().run, "b", "Bob")
"""

TEST_C = """
@pytest.mark.replay(mock=MOCK)
def test_c(replay, checkpoint):
    if replay.mode == "record":
        assert checkpoint is None  # no golden yet: the fixture is None, not an error
    assert replay.run(Agent().run, "c", "Cy")
"""


def _live(pytester: pytest.Pytester) -> list[str]:
    log = pytester.path / "live.log"
    lines = log.read_text().splitlines() if log.exists() else []
    log.unlink(missing_ok=True)
    return lines


def _golden(pytester: pytest.Pytester, name: str) -> Path:
    return pytester.path / "goldens" / "test_it" / f"{name}.ckpt"


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TESTS))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    assert _live(pytester) == ["Hello Ann", "Greet Bob"]
    return pytester


def _greet_warmly(pytester: pytest.Pytester) -> None:
    """Change the prompt of ``which="b"``: its recorded calls diverge."""
    app = pytester.path / "app.py"
    app.write_text(app.read_text().replace('"Greet {}"', '"Greet {} warmly"'))


def _change_b_and_add_c(pytester: pytest.Pytester) -> None:
    _greet_warmly(pytester)
    tests = pytester.path / "test_it.py"
    tests.write_text(tests.read_text() + textwrap.dedent(TEST_C))


def test_record_diverged_rerecords_only_the_diverged_and_the_missing(
    suite: pytest.Pytester,
) -> None:
    _change_b_and_add_c(suite)
    golden_a = _golden(suite, "test_a").read_bytes()
    result = suite.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=3)
    assert _live(suite) == ["Greet Bob warmly", "Wave at Cy"]  # test_a was not run live
    assert _golden(suite, "test_a").read_bytes() == golden_a
    result.stdout.fnmatch_lines(
        [
            "*1 checkpoint(s) replayed, 2 recorded, 0 diverged*",
            "goldens written:",
            "  goldens/test_it/test_b.ckpt: llm call #1 to app.complete arguments and answer, "
            "result, final state",
            "  goldens/test_it/test_c.ckpt: new",
            "re-recorded (diverged on replay): test_it.py::test_b",
        ]
    )
    # from now on everything replays, and nothing is live
    suite.runpytest().assert_outcomes(passed=3)
    assert _live(suite) == []


MODULE_AGENT = """
import pytest
from app import Agent

@pytest.fixture(scope="module")
def agent():
    return Agent()

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_chat(replay, agent):
    assert replay.run(agent.chat, "b", "Bob")

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_next(replay, agent):
    assert replay.run(agent.run, "a", "Ann")
"""


def test_an_agent_of_a_module_scoped_fixture_is_re_recorded_from_its_own_state(
    pytester: pytest.Pytester,
) -> None:
    # the fixture is not made again for the live run (the module's next test uses it): the agent
    # it made still held the state the replay attempt loaded from the old golden, and the turn
    # the attempt added before diverging (the live call was "Greet Bob warmly / Greet Bob
    # warmly", and the golden recorded that conversation)
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=MODULE_AGENT)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    assert _live(pytester) == ["Greet Bob", "Hello Ann"]
    _greet_warmly(pytester)
    result = pytester.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["re-recorded (diverged on replay): test_it.py::test_chat"])
    assert _live(pytester) == ["Greet Bob warmly"]
    pytester.runpytest().assert_outcomes(passed=2)


def test_the_last_test_of_a_module_scoped_agent_is_re_recorded_after_the_tests_before_it(
    pytester: pytest.Pytester,
) -> None:
    # the replay attempt of the module's last test tore its fixtures down: its live run got a new
    # agent, and recorded "Greet Bob warmly" without the turn the test before it had made
    pytester.syspathinsert()
    head, chat, following = MODULE_AGENT.split("@pytest.mark.replay")
    last = f"{head}@pytest.mark.replay{following}\n@pytest.mark.replay{chat}"
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=last)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    assert _live(pytester) == ["Hello Ann", "HELLO ANN / Greet Bob"]
    _greet_warmly(pytester)
    result = pytester.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["re-recorded (diverged on replay): test_it.py::test_chat"])
    assert _live(pytester) == ["HELLO ANN / Greet Bob warmly"]
    pytester.runpytest().assert_outcomes(passed=2)


XFAIL_LAST = """
import pytest
from app import Agent

@pytest.fixture(scope="module")
def agent():
    yield Agent()
    print("TORN DOWN")

@pytest.mark.xfail(strict=False)
@pytest.mark.replay(mock={"llm": "app.complete"})
def test_chat(replay, agent):
    assert replay.run(agent.chat, "b", "Bob")
"""


def test_fixtures_kept_for_a_live_run_that_is_not_made_are_torn_down_before_the_next_module(
    pytester: pytest.Pytester,
) -> None:
    # an xfail test that diverged is not re-recorded: the module fixture its attempt kept for a
    # live run is torn down then, once, before the next module's tests are set up
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=XFAIL_LAST, test_more=TESTS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2, xpassed=1)
    _greet_warmly(pytester)
    result = pytester.runpytest("-s", "--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=2, xfailed=1)
    assert result.stdout.str().count("TORN DOWN") == 1
    result.stdout.no_fnmatch_line("*not torn down properly*")


def test_a_kept_fixture_whose_teardown_fails_is_reported_as_the_test_s_teardown(
    pytester: pytest.Pytester,
) -> None:
    # the kept module fixture is torn down after the attempt's reports were made: its error is
    # the test's teardown error, not an internal error of the session
    pytester.syspathinsert()
    failing = XFAIL_LAST.replace('print("TORN DOWN")', 'raise RuntimeError("cannot close")')
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=failing, test_more=TESTS)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2, xpassed=1, xfailed=1)
    _greet_warmly(pytester)
    pytester.makeconftest(
        "def pytest_runtest_logreport(report):\n"
        "    print('REPORT', report.nodeid, report.when, report.outcome)\n"
    )
    result = pytester.runpytest("-s", "--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=2, xfailed=2)  # (the call's and the teardown's, as pytest's)
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    # in their order, the teardown's in place of the attempt's own
    told = re.findall(r"REPORT test_it\.py::test_chat (\w+ \w+)", result.stdout.str())
    assert told == ["setup passed", "call skipped", "teardown skipped"]


KEPT_AGENT = """
import pytest
from app import Agent

@pytest.fixture(scope="module")
def agent():
    print("MADE")
    yield Agent()
    print("TORN DOWN")

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_first(replay, agent):
    assert replay.run(agent.run, "a", "Bob")

@pytest.mark.xfail(strict=False)
@pytest.mark.replay(mock={"llm": "app.complete"})
def test_xfail(replay, agent):
    assert replay.run(agent.run, "b", "Bob")

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_chat(replay, agent):
    assert replay.run(agent.run, "b", "Ann")

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_next(replay, agent):
    assert replay.run(agent.run, "a", "Ann")
"""


def test_a_module_fixture_is_made_once_around_tests_that_diverged_run_again_or_not(
    pytester: pytest.Pytester,
) -> None:
    # (test_first replays, test_xfail diverges and is not run again, test_chat diverges and is
    # re-recorded: the module's agent is kept for the next test of the module after each, as
    # when recording)
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=KEPT_AGENT)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=3, xpassed=1)
    _greet_warmly(pytester)
    result = pytester.runpytest("-s", "--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=3, xfailed=1)
    result.stdout.fnmatch_lines(["re-recorded (diverged on replay): test_it.py::test_chat"])
    assert result.stdout.str().count("MADE") == 1
    assert result.stdout.str().count("TORN DOWN") == 1


NEXT_ITEM_READER = """
import pytest

def pytest_runtest_teardown(item, nextitem):
    # as SQLAlchemy's pytest plugin: the next test's class decides whether this one's is done
    if nextitem is not None:
        print("NEXT", item.name, nextitem.name, nextitem.getparent(pytest.Module).name)
"""


def test_a_plugin_reading_the_next_test_in_its_teardown_hook_is_told_the_test_runs_again(
    suite: pytest.Pytester,
) -> None:
    # the replay attempt's teardown is given a stand-in for the next test: it reads as the test
    # itself when the test runs again live, else as the test after it
    suite.makeconftest(NEXT_ITEM_READER)
    _change_b_and_add_c(suite)
    result = suite.runpytest("-s", "--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(
        [
            "*NEXT test_a test_b test_it.py*",
            "*NEXT test_b test_b test_it.py*",
            "*NEXT test_b test_c test_it.py*",
        ]
    )


LOG_HOOKS = """
def pytest_runtest_logstart(nodeid):
    print("START", nodeid)


def pytest_runtest_logfinish(nodeid):
    print("FINISH", nodeid)
"""


def test_a_plugin_is_told_each_test_starts_and_finishes_once_whether_it_runs_again_or_not(
    suite: pytest.Pytester,
) -> None:
    # (test_a replays, test_b diverges and runs again, test_c has no golden and records: a
    # plugin's progress display, as pytest's own, hears of each once)
    suite.makeconftest(LOG_HOOKS)
    _change_b_and_add_c(suite)
    result = suite.runpytest("-s", "--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=3)
    told = re.findall(r"(?:START|FINISH) test_it\.py::test_\w", result.stdout.str())
    assert told == [
        f"{event} test_it.py::{name}"
        for name in ("test_a", "test_b", "test_c")
        for event in ("START", "FINISH")
    ]


def test_the_replay_attempt_never_opens_the_debugger(suite: pytest.Pytester) -> None:
    _change_b_and_add_c(suite)
    result = suite.runpytest("--clearstone-mode=record-diverged", "--pdb")
    result.assert_outcomes(passed=3)
    assert "PDB" not in result.stdout.str()


def test_record_missing_calls_nothing_for_existing_goldens(suite: pytest.Pytester) -> None:
    _change_b_and_add_c(suite)
    result = suite.runpytest("--clearstone-mode=record-missing")
    result.assert_outcomes(passed=2, failed=1)  # test_b diverges: record-missing leaves it
    assert _live(suite) == ["Wave at Cy"]
    result.stdout.fnmatch_lines(
        ["*1 checkpoint(s) replayed, 1 recorded, 1 diverged*", "  goldens/test_it/test_c.ckpt: new"]
    )


def test_a_rerecord_that_fails_keeps_the_old_golden_and_says_so(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _change_b_and_add_c(suite)
    before = _golden(suite, "test_b").read_bytes()
    monkeypatch.setenv("SERVICE_BROKEN", "1")
    result = suite.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=1, failed=2)
    assert _golden(suite, "test_b").read_bytes() == before
    assert not _golden(suite, "test_c").exists()
    result.stdout.fnmatch_lines(
        [
            "goldens not written (the old file, if any, stays):",
            "  test_it.py::test_b: the test failed while recording (ConnectionError)",
            "  test_it.py::test_c: the test failed while recording (ConnectionError)",
        ]
    )


def test_replay_counts_missing_goldens_and_names_the_failing_tests(
    suite: pytest.Pytester,
) -> None:
    _change_b_and_add_c(suite)
    result = suite.runpytest()
    result.assert_outcomes(passed=1, failed=1, errors=1)  # test_c: its checkpoint fixture
    result.stdout.fnmatch_lines(
        [
            "*1 checkpoint(s) replayed, 0 recorded, 1 diverged, 1 missing*",
            "*--clearstone-mode=record-diverged*",
            "  test_it.py::test_b",
            "  test_it.py::test_c",
        ]
    )


def test_an_unchanged_rerecord_says_unchanged(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--clearstone-record")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "  goldens/test_it/test_a.ckpt: unchanged",
            "  goldens/test_it/test_b.ckpt: unchanged",
        ]
    )


@pytest.mark.parametrize(("flag", "coloured"), [("--color=yes", True), ("--color=no", False)])
def test_the_summary_is_coloured_exactly_when_pytest_colours(
    suite: pytest.Pytester, flag: str, coloured: bool
) -> None:
    result = suite.runpytest("--clearstone-record", flag)
    line = next(x for x in result.outlines if "checkpoint(s) replayed" in x)
    assert ("\x1b[" in line) is coloured
    assert not any("\x1b[" in x for x in result.outlines) or coloured


def test_replay_checkpoint_is_none_in_a_first_recording_like_the_fixture(
    pytester: pytest.Pytester,
) -> None:
    # Expected: in a record attempt, replay.checkpoint is the previous golden, or None when
    # there is none yet (as the checkpoint fixture); it raised CheckpointNotFoundError telling
    # the user to record with the very command recording, so a first recording always failed.
    # What needs a golden (the agent before run()) says why there is none, not "record it".
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(APP),
        test_it=textwrap.dedent(
            """
            import pytest
            from pytest_clearstone.errors import CheckpointNotFoundError
            from app import Agent

            @pytest.mark.replay(mock={"llm": "app.complete"})
            def test_c(replay):
                if replay.mode == "record":
                    previous = replay.checkpoint
                    print("previous:", None if previous is None else previous.metadata["test"])
                    if previous is None:
                        with pytest.raises(CheckpointNotFoundError) as info:
                            replay.agent
                        assert "no golden yet" in str(info.value), str(info.value)
                        assert "Record it first" not in str(info.value)
                assert replay.run(Agent().run, "c", "Cy")
            """
        ),
    )
    first = pytester.runpytest("--clearstone-record", "-s")
    first.assert_outcomes(passed=1)
    first.stdout.fnmatch_lines(["*previous: None*"])
    again = pytester.runpytest("--clearstone-record", "-s")
    again.assert_outcomes(passed=1)
    again.stdout.fnmatch_lines(["*previous: test_it.py::test_c*"])
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_rerecord_that_failed_live_is_told_to_fix_the_failure_first(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the hint told to run the very command that had just failed, as if nothing had been tried
    _change_b_and_add_c(suite)
    monkeypatch.setenv("SERVICE_BROKEN", "1")
    result = suite.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(
        [
            "hint: the tests below failed live, or their goldens could not be saved, when they "
            "ran to record their goldens again: fix what failed (above), then run again with "
            "--clearstone-mode=record-diverged; review what it lists as changed in each golden "
            "(no git checkout holds them)",
            "  test_it.py::test_b",
        ]
    )


@pytest.mark.parametrize("cache", [False, True], ids=["no-cache", "cache"])
def test_the_hint_offers_lf_only_where_pytest_s_cache_is_on(
    suite: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, cache: bool
) -> None:
    # Before the fix: a run with -p no:cacheprovider (common in CI; the inner runs here have it)
    # was told to re-record "with ... (or --lf --clearstone-record)", and that command, run
    # the same way, fails: pytest: error: unrecognized arguments: --lf
    if cache:
        monkeypatch.setenv("PYTEST_ADDOPTS", LEAN_ADDOPTS.replace("-p no:cacheprovider", ""))
    _change_b_and_add_c(suite)
    result = suite.runpytest()
    result.stdout.fnmatch_lines(
        ["hint: if the changes are intended, re-record what diverged and record the missing *"]
    )
    lines = [line for line in result.outlines if line.startswith("hint: ")]
    assert ("--lf --clearstone-record" in lines[0]) is cache, lines


def test_a_rerecord_whose_golden_could_not_be_saved_is_not_told_it_failed_live(
    suite: pytest.Pytester,
) -> None:
    # the test passed live, but its new answer cannot be stored (an integer longer than Python
    # writes as text): the hint said "the tests below failed live"
    _greet_warmly(suite)
    app = suite.path / "app.py"
    app.write_text(
        app.read_text().replace(
            "    return prompt.upper()",
            "    return 10 ** 5000 if 'warmly' in prompt else prompt.upper()",
        )
    )
    result = suite.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "  test_it.py::test_b: it could not be saved",
            "hint: the tests below failed live, or their goldens could not be saved, when they "
            "ran to record their goldens again: fix what failed (above), then run again with "
            "--clearstone-mode=record-diverged; review what it lists as changed in each golden "
            "(no git checkout holds them)",
            "  test_it.py::test_b",
        ]
    )


def test_a_rerecord_warns_of_no_holder_of_an_uncalled_target(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module-wide marker mocks two targets; this test's agent calls only one. Its re-record
    after a divergence warned that the other was "also held by a builtins.function made before
    the test patched the name ... its calls run live on every replay": the function was the
    replay attempt's own stand-in for the target. A plain ``--clearstone-record`` (which has no
    replay attempt) warned of nothing."""
    monkeypatch.delenv("PROMPT", raising=False)
    pytester.syspathinsert()
    pytester.makepyfile(
        two="""
        import os

        def llm(prompt):
            return "answer"

        def tool(name):
            return {"ok": True}

        def ask():
            return llm(os.environ.get("PROMPT", "hello"))
        """,
        test_two="""
        import pytest
        import two

        pytestmark = pytest.mark.replay(mock={"llm": "two.llm", "tool": "two.tool"})


        def test_ask(replay):
            replay.run(two.ask)
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("PROMPT", "hi")
    result = pytester.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*re-recorded (diverged on replay): test_two.py::test_ask*"])
    result.stdout.no_fnmatch_line("*UncalledTargetWarning*")
    result.stdout.no_fnmatch_line("*also held by*")


def test_a_test_that_only_reads_its_golden_is_not_told_to_re_record_itself(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test whose marker has no ``mock=`` reads the golden another test records. Its golden
    mismatch said "re-record with: pytest --clearstone-record test_read.py::test_reads" and
    the summary offered ``--clearstone-mode=record-diverged`` for it: neither records a test
    without ``mock=``. Under record-diverged it then ran again "to record" and was reported
    as "goldens not written ... the test failed while recording" and "failed live"."""
    monkeypatch.delenv("LOUD", raising=False)
    pytester.syspathinsert()
    pytester.makepyfile(
        echo="""
        import os

        def llm(prompt):
            return "ok " + prompt

        class Echo:
            def __init__(self):
                self.said = []

            def say(self, prompt):
                answer = llm(prompt)
                self.said.append(answer.upper() if os.environ.get("LOUD") else answer)
                return answer
        """,
        test_write="""
        import pytest
        from echo import Echo


        @pytest.mark.replay("goldens/echo.ckpt", mock={"llm": "echo.llm"})
        def test_writes(replay):
            replay.run(Echo().say, "hi")
        """,
        test_read="""
        import pytest
        from echo import Echo


        @pytest.mark.replay("goldens/echo.ckpt")
        def test_reads(replay):
            replay.run(Echo().say, "hi")
        """,
    )
    pytester.runpytest("--clearstone-record", "test_write.py").assert_outcomes(passed=1)
    monkeypatch.setenv("LOUD", "1")
    replayed = pytester.runpytest("test_read.py")
    replayed.assert_outcomes(failed=1)
    replayed.stdout.fnmatch_lines(
        [
            "*GoldenMismatchError: the replayed final state differs*",
            "*If the change is intended: this test only reads its golden (its marker has no "
            "mock=), so recording it writes nothing: re-record the test that records it (pytest "
            "--clearstone-record test_write.py::test_writes), or add mock= to this marker (mock={} "
            "when the agent calls nothing outside)",
            "*tests that only read their golden (no mock=)*",
            "*test_read.py::test_reads",
        ]
    )
    replayed.stdout.no_fnmatch_line("*--clearstone-record test_read.py::test_reads*")
    replayed.stdout.no_fnmatch_line("*hint: if the changes are intended*")
    rerun = pytester.runpytest("test_read.py", "--clearstone-mode=record-diverged")
    rerun.assert_outcomes(failed=1)
    rerun.stdout.fnmatch_lines(["*tests that only read their golden (no mock=)*"])
    rerun.stdout.no_fnmatch_line("*goldens not written*")
    rerun.stdout.no_fnmatch_line("*failed live*")


def test_a_test_that_only_reads_a_missing_golden_is_not_recorded_by_record_diverged(
    pytester: pytest.Pytester,
) -> None:
    """record-diverged runs a test whose golden is missing once, recording; a test whose marker
    has no ``mock=`` only reads its golden, so it fails as missing, live calls none, and
    writes nothing."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(APP),
        test_read="""
        import pytest
        from app import Agent


        @pytest.mark.replay("goldens/elsewhere.ckpt")
        def test_reads(replay):
            replay.run(Agent().run, "a", "Ann")
        """,
    )
    result = pytester.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_read.py::test_reads: checkpoint not found*elsewhere.ckpt. This test only "
            "reads its golden (its marker has no mock=)*",
            "tests that only read their golden (no mock=)*",
        ]
    )
    assert _live(pytester) == []
    assert not (pytester.path / "goldens").exists()


SHAPED = """
import dataclasses

import pydantic


@dataclasses.dataclass
class Note:
    text: str
    loud: bool


class Verdict(pydantic.BaseModel):
    answer: str
    sure: bool


def notes(answer):
    return [Note(text=answer, loud=True), Verdict(answer=answer, sure=True)]
"""

SHAPED_TEST = """
import pytest

import app
import shapes


class ShapedAgent:
    def __init__(self):
        self.notes = []

    def get_state(self):
        return {"notes": self.notes}

    def load_state(self, state):
        self.notes = list(state["notes"])

    def run(self, name):
        answer = app.complete("Hello {}".format(name))
        self.notes += shapes.notes(answer)
        return answer


@pytest.mark.replay(mock={"llm": "app.complete"})
def test_shaped(replay):
    assert replay.run(ShapedAgent().run, "Ann")
"""


@pytest.mark.parametrize(
    ("edits", "problem"),
    [
        (
            [("    loud: bool\n", ""), (", loud=True", "")],
            "the stored 'shapes:Note' has fields [[]'loud', 'text'[]], the class has [[]'text'[]]",
        ),
        (
            [
                ("    sure: bool\n", "    sure: bool\n    sources: list[str]\n"),
                ("sure=True", "sure=True, sources=[]"),
            ],
            "the stored 'shapes:Verdict' lacks the required field 'sources'",
        ),
        ([("Note", "Memo")], "cannot import 'shapes:Note'"),
        (
            [("@dataclasses.dataclass\nclass Note:", "class Note(pydantic.BaseModel):")],
            "'shapes:Note' is not a dataclass",
        ),
        (
            [("class Verdict(pydantic.BaseModel):", "@dataclasses.dataclass\nclass Verdict:")],
            "'shapes:Verdict' is not a pydantic v2 model",
        ),
    ],
    ids=[
        "dataclass_field_removed",
        "model_field_added",
        "class_renamed",
        "dataclass_made_a_model",
        "model_made_a_dataclass",
    ],
)
def test_a_golden_holding_a_class_of_the_user_changed_since_diverges_and_is_re_recorded(
    pytester: pytest.Pytester, edits: list[tuple[str, str]], problem: str
) -> None:
    """A dataclass or pydantic model of the user's kept in the agent's state, changed since the
    recording: the golden is sound and the agent changed. It failed as "not a readable
    checkpoint", counted unreadable, and record-diverged left it failed."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(APP),
        shapes=textwrap.dedent(SHAPED),
        test_shaped=textwrap.dedent(SHAPED_TEST),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    shapes = pytester.path / "shapes.py"
    text = shapes.read_text()
    for old, new in edits:
        text = text.replace(old, new)
    shapes.write_text(text)
    _live(pytester)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*test_shaped.ckpt was recorded with a class the code has changed since: "
            f"{problem}*The file is sound: the code changed since it was recorded*",
            "*0 checkpoint(s) replayed, 0 recorded, 1 diverged",
            "*re-record what diverged with: pytest --clearstone-mode=record-diverged*",
        ]
    )
    result.stdout.no_fnmatch_line("*not a readable checkpoint*")
    assert _live(pytester) == []
    result = pytester.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["re-recorded (diverged on replay): test_shaped.py::test_shaped"])
    assert _live(pytester) == ["Hello Ann"]
    pytester.runpytest().assert_outcomes(passed=1)


def test_record_diverged_leaves_a_damaged_golden_failed_as_unreadable(
    suite: pytest.Pytester,
) -> None:
    """A golden that is damaged (a class path edited by hand into one that is not a class path)
    is still called unreadable, and record-diverged does not record over it."""
    golden = _golden(suite, "test_a")
    text = golden.read_text()
    golden.write_text(text[: len(text) // 2])
    result = suite.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*test_a.ckpt is not a readable checkpoint*"])
    assert _live(suite) == []
    assert golden.read_text() == text[: len(text) // 2]


def test_the_re_recorded_tests_are_listed_sorted_as_the_goldens_written(
    pytester: pytest.Pytester,
) -> None:
    """Tests re-recorded in another order than their node ids' (a file's tests in the order
    they are written; under xdist, the order the workers finish them) are listed in the order
    of their node ids, as the goldens written are, not in the order they ran."""
    pytester.syspathinsert()
    tests = textwrap.dedent(TESTS).replace("def test_a(", "def test_x(")
    pytester.makepyfile(
        app=textwrap.dedent(APP), test_it=tests.replace("def test_b(", "def test_a(")
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    app = pytester.path / "app.py"
    app.write_text(app.read_text().replace("Hello {}", "Hi {}").replace("Greet {}", "Hey {}"))
    result = pytester.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "goldens written:",
            "  goldens/test_it/test_a.ckpt: *",
            "  goldens/test_it/test_x.ckpt: *",
            "re-recorded (diverged on replay): test_it.py::test_a",
            "re-recorded (diverged on replay): test_it.py::test_x",
        ]
    )
