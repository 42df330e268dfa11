"""--clearstone-mode: record-missing records only missing goldens; default golden paths;
a marker without mock only reads its golden."""

from __future__ import annotations

import shlex
import shutil
import subprocess
import textwrap

import pytest

#: how the summary's hint ends for goldens no git checkout holds (a pytester project)
NO_GIT_REVIEW = "review what it lists as changed in each golden (no git checkout holds them)"

LIVE = """
CALLS = []


def complete(prompt):
    CALLS.append(prompt)
    return f"answer to {prompt}"
"""

TESTS = """
import pytest
import live


def _count():
    with open("live_calls.txt", "a") as f:
        f.write("x")


@pytest.fixture(autouse=True)
def _note_live_calls():
    before = len(live.CALLS)
    yield
    for _ in range(len(live.CALLS) - before):
        _count()


@pytest.mark.replay(mock={"llm": "live.complete"})
def test_first(replay):
    assert replay.run(live.complete, "one") == "answer to one"


@pytest.mark.replay(mock={"llm": "live.complete"})
def test_second(replay):
    assert replay.run(live.complete, "two") == "answer to two"
"""


@pytest.fixture
def suite(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_suite=TESTS)
    return pytester


def _live_calls(pytester: pytest.Pytester) -> int:
    counter = pytester.path / "live_calls.txt"
    calls = len(counter.read_text()) if counter.exists() else 0
    counter.unlink(missing_ok=True)
    return calls


def test_default_golden_paths_come_from_the_node_id(suite: pytest.Pytester) -> None:
    suite.runpytest("--clearstone-record").assert_outcomes(passed=2)
    goldens = suite.path / "goldens" / "test_suite"
    assert sorted(p.name for p in goldens.iterdir()) == ["test_first.ckpt", "test_second.ckpt"]
    suite.runpytest().assert_outcomes(passed=2)


def test_record_missing_calls_the_live_service_only_for_missing_goldens(
    suite: pytest.Pytester,
) -> None:
    suite.runpytest("--clearstone-record").assert_outcomes(passed=2)
    assert _live_calls(suite) == 2
    (suite.path / "goldens" / "test_suite" / "test_second.ckpt").unlink()

    result = suite.runpytest("--clearstone-mode=record-missing")
    result.assert_outcomes(passed=2)
    assert _live_calls(suite) == 1  # test_second only: test_first replayed its golden
    result.stdout.fnmatch_lines(["*1 checkpoint(s) replayed, 1 recorded, 0 diverged*"])
    assert (suite.path / "goldens" / "test_suite" / "test_second.ckpt").is_file()

    suite.runpytest("--clearstone-mode=record-missing").assert_outcomes(passed=2)
    assert _live_calls(suite) == 0


def test_ini_mode_record_missing(suite: pytest.Pytester) -> None:
    suite.makeini("[pytest]\nclearstone_mode = record-missing\n")
    suite.runpytest().assert_outcomes(passed=2)
    assert _live_calls(suite) == 2
    suite.runpytest().assert_outcomes(passed=2)
    assert _live_calls(suite) == 0


def test_two_different_modes_are_a_usage_error(suite: pytest.Pytester) -> None:
    result = suite.runpytest("--clearstone-mode=record-missing", "--clearstone-replay")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--clearstone-replay and --clearstone-mode choose different modes*"]
    )


def test_the_same_mode_twice_is_fine(suite: pytest.Pytester) -> None:
    suite.runpytest("--clearstone-mode=record", "--clearstone-record").assert_outcomes(passed=2)


def test_classes_and_parameters_get_their_own_default_goldens(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        live=LIVE,
        test_shapes="""
        import pytest
        import live

        pytestmark = pytest.mark.replay(mock={"llm": "live.complete"})

        class TestDesk:
            @pytest.mark.parametrize("lang", ["en", "fr/ca"])
            def test_greet(self, replay, lang):
                assert replay.run(live.complete, lang) == f"answer to {lang}"
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    goldens = pytester.path / "goldens" / "test_shapes"
    assert sorted(p.name for p in goldens.iterdir()) == [
        "TestDesk.test_greet[en].ckpt",
        "TestDesk.test_greet[fr_ca].ckpt",
    ]
    pytester.runpytest().assert_outcomes(passed=2)


def test_a_marker_without_mock_only_reads_its_golden(suite: pytest.Pytester) -> None:
    suite.runpytest("--clearstone-record").assert_outcomes(passed=2)
    suite.makepyfile(
        test_reader="""
        import pytest

        @pytest.mark.replay("goldens/test_suite/test_first.ckpt")
        def test_reads(checkpoint):
            assert checkpoint.outcome["result"] == "answer to one"
        """
    )
    golden = suite.path / "goldens" / "test_suite" / "test_first.ckpt"
    before = golden.read_bytes()
    result = suite.runpytest("--clearstone-record", "test_reader.py")
    result.assert_outcomes(passed=1)
    assert golden.read_bytes() == before  # not re-recorded by the reader


def test_two_tests_recording_one_golden_are_a_collection_error(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        live=LIVE,
        test_twice="""
        import pytest
        import live

        @pytest.mark.replay("goldens/same.ckpt", mock={"llm": "live.complete"})
        def test_one(replay):
            replay.run(live.complete, "one")

        @pytest.mark.replay("goldens/same.ckpt", mock={"llm": "live.complete"})
        def test_two(replay):
            replay.run(live.complete, "two")

        @pytest.mark.replay("goldens/same.ckpt")
        def test_reader(checkpoint):
            pass
        """,
    )
    result = pytester.runpytest("--clearstone-record")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "*test_twice.py::test_one and test_twice.py::test_two would both record the golden "
            "*same.ckpt*",
            "*1 error*",
        ]
    )
    assert not (pytester.path / "goldens" / "same.ckpt").exists()
    # replaying, tests may share a golden: only a run that records would write it twice
    replayed = pytester.runpytest()
    assert replayed.ret != pytest.ExitCode.INTERRUPTED
    replayed.stdout.no_fnmatch_line("*would both record*")


def test_two_tests_recording_one_golden_through_a_linked_folder_are_a_collection_error(
    pytester: pytest.Pytester,
) -> None:
    """Two tests whose paths reach one file through a symlinked folder (``shared`` links to
    ``goldens``) were not compared as one golden: both recorded it, the second overwrote the
    first's recording silently, and the first failed on every replay."""
    pytester.syspathinsert()
    (pytester.path / "goldens").mkdir()
    try:
        (pytester.path / "shared").symlink_to("goldens", target_is_directory=True)
    except OSError:  # pragma: no cover - Windows without the symlink privilege
        pytest.skip("symlinks cannot be made here")
    pytester.makepyfile(
        live=LIVE,
        test_linked="""
        import pytest
        import live

        @pytest.mark.replay("goldens/one.ckpt", mock={"llm": "live.complete"})
        def test_one(replay):
            replay.run(live.complete, "one")

        @pytest.mark.replay("shared/one.ckpt", mock={"llm": "live.complete"})
        def test_two(replay):
            replay.run(live.complete, "two")
        """,
    )
    result = pytester.runpytest("--clearstone-record")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "test_linked.py::test_one and test_linked.py::test_two would both record the golden "
            "*goldens/one.ckpt (also reached as *shared/one.ckpt)*",
        ]
    )
    assert not (pytester.path / "goldens" / "one.ckpt").exists()
    pytester.runpytest().assert_outcomes(failed=2)  # replaying, they may share it (missing)


def test_the_parameters_of_a_test_given_one_path_are_told_the_fix_that_applies(
    pytester: pytest.Pytester,
) -> None:
    """Three parameters of one test given one path by its marker were told they "would both
    record" the golden, and to "give each test its own path, or drop mock= from the tests that
    only read it": no test of theirs reads only, and one marker gives them all the path."""
    pytester.syspathinsert()
    pytester.makepyfile(
        live=LIVE,
        test_runs="""
        import pytest
        import live

        @pytest.mark.parametrize("run", range(3))
        @pytest.mark.replay("goldens/same.ckpt", mock={"llm": "live.complete"})
        def test_it(replay, run):
            replay.run(live.complete, f"run {run}")
        """,
    )
    result = pytester.runpytest("--clearstone-record")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [
            "test_runs.py::test_it[[]0], test_runs.py::test_it[[]1] and test_runs.py::test_it[[]2] "
            "would all record the golden *same.ckpt: the path is given by the replay marker of "
            "test_runs.py::test_it, the same for each of its parameters: leave the path out (one "
            "golden per parameter, test_it[[]0].ckpt), or give each parameter its own "
            "(pytest.param(..., marks=pytest.mark.replay(PATH, ...)))",
        ]
    )
    assert "would both" not in result.stdout.str()
    assert not (pytester.path / "goldens" / "same.ckpt").exists()


def test_a_recording_with_no_calls_fails_with_a_did_you_mean(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.mkpydir("travel")
    (pytester.path / "travel" / "llm.py").write_text(
        "def complete(prompt):\n    return 'answer to ' + prompt\n"
    )
    (pytester.path / "travel" / "agent.py").write_text(
        "from travel.llm import complete\n\n\nclass Agent:\n"
        "    def plan(self, city):\n        return complete('plan ' + city)\n"
    )
    pytester.makepyfile(
        test_trip="""
        import pytest
        from travel.agent import Agent

        @pytest.mark.replay(mock={"llm": "travel.llm.complete"})
        def test_trip(replay):
            assert replay.run(Agent().plan, "Oslo") == "answer to plan Oslo"

        @pytest.mark.replay(mock={"llm": "travel.llm.complete"}, strict=False)
        def test_lenient(replay):
            replay.run(Agent().plan, "Rome")
        """
    )
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "*test_trip.py::test_trip: nothing was recorded: the test made no call to its mock "
            "target(s) travel.llm.complete*",
            "*did you mean `travel.agent.complete`?*",
        ]
    )
    goldens = pytester.path / "goldens" / "test_trip"
    assert not (goldens / "test_trip.ckpt").exists()
    assert (goldens / "test_lenient.ckpt").exists()  # strict=False turns the check off


def test_an_empty_mock_records_a_golden_of_an_agent_that_calls_nothing(
    pytester: pytest.Pytester,
) -> None:
    # Expected: mock={} says the test owns its golden and mocks no call (an agent that only
    # computes), so it records and replays like any other; only a marker without mock= reads.
    # (It was taken for a marker without mock=: never recorded, "checkpoint not found" forever.)
    pytester.makepyfile(
        test_pure="""
        import pytest

        FACTOR = 3

        class Agent:
            def __init__(self):
                self.seen = []

            def run(self, x):
                self.seen.append(x)
                return x * FACTOR

        @pytest.mark.replay(mock={})
        def test_pure(replay):
            replay.run(Agent().run, 7)
        """
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_pure" / "test_pure.ckpt"
    assert golden.is_file()
    pytester.runpytest().assert_outcomes(passed=1)
    test_file = pytester.path / "test_pure.py"
    test_file.write_text(test_file.read_text().replace("FACTOR = 3", "FACTOR = 4"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*21*28*"])


def test_an_empty_mock_replay_fails_on_calls_its_golden_recorded(
    pytester: pytest.Pytester,
) -> None:
    # A golden recorded with a target, replayed by a marker that now mocks nothing: the call
    # would run live, so a strict replay names the recorded calls left unanswered.
    pytester.syspathinsert()
    pytester.makepyfile(
        live=LIVE,
        test_drop="""
        import pytest
        import live

        MOCK = {"llm": "live.complete"}

        @pytest.mark.replay("goldens/drop.ckpt", mock=MOCK)
        def test_drop(replay):
            replay.run(live.complete, "one")
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    test_file = pytester.path / "test_drop.py"
    test_file.write_text(
        test_file.read_text().replace('MOCK = {"llm": "live.complete"}', "MOCK = {}")
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*live.complete*"])


def test_the_summary_hint_names_tests_that_only_read_their_missing_golden(
    pytester: pytest.Pytester,
) -> None:
    # record-missing cannot record a golden whose test has no mock=: the summary's hint says
    # what does, for those tests, instead of counting them with the tests it would record.
    pytester.syspathinsert()
    pytester.makepyfile(
        live=LIVE,
        test_mixed="""
        import pytest
        import live

        @pytest.mark.replay(mock={"llm": "live.complete"})
        def test_writer(replay):
            replay.run(live.complete, "one")

        @pytest.mark.replay("goldens/elsewhere.ckpt")
        def test_reader(checkpoint):
            pass
        """,
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1, errors=1)
    lines = result.stdout.lines
    hint = lines.index(
        "hint: record the missing goldens with: pytest --clearstone-mode=record-missing "
        "(or --clearstone-mode=record-diverged); " + NO_GIT_REVIEW
    )
    assert lines[hint + 1] == "  test_mixed.py::test_writer"
    assert lines[hint + 2] == (
        "tests that only read their golden (no mock=): record it with the test that mocks its "
        "calls, or add mock= to their marker (mock={} when the agent calls nothing outside)"
    )
    assert lines[hint + 3] == "  test_mixed.py::test_reader"
    # only readers missing: no record-missing hint at all
    result = pytester.runpytest("test_mixed.py::test_reader")
    result.stdout.no_fnmatch_line("*record-missing*")
    result.stdout.fnmatch_lines(["tests that only read their golden (no mock=)*"])


def test_the_summary_hint_repeats_the_tests_the_run_selected(pytester: pytest.Pytester) -> None:
    # A run of some tests (`pytest agents -k refund`) was told to record the missing goldens
    # with `pytest --clearstone-mode=record-missing`: run as given, that records every missing
    # golden of the suite, calling the live services for tests the user did not run. The hint
    # repeats the run's selection, and its command records the selected test only.
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE)
    test = """
        import pytest
        import live

        @pytest.mark.replay(mock={"llm": "live.complete"})
        def test_refund(replay):
            replay.run(live.complete, "refund")

        @pytest.mark.replay(mock={"llm": "live.complete"})
        def test_other(replay):
            replay.run(live.complete, "other")
        """
    for folder in ("agents", "billing"):
        pytester.mkdir(folder)
        pytester.path.joinpath(folder, f"test_{folder}.py").write_text(textwrap.dedent(test))
    result = pytester.runpytest("agents", "-k", "refund or nothing")
    result.assert_outcomes(failed=1, deselected=1)
    hint = (
        "hint: record the missing goldens with: pytest --clearstone-mode=record-missing "
        "agents -k 'refund or nothing' (or --clearstone-mode=record-diverged); " + NO_GIT_REVIEW
    )
    assert hint in result.stdout.lines
    command = hint.split("with: ")[1].split(" (or")[0]
    recorded = pytester.runpytest(*shlex.split(command)[1:])
    recorded.assert_outcomes(passed=1, deselected=1)
    goldens = sorted(p.relative_to(pytester.path).as_posix() for p in pytester.path.rglob("*.ckpt"))
    assert goldens == ["agents/goldens/test_agents/test_refund.ckpt"]
    # -m too (a marker expression in quotes), beside a node id
    result = pytester.runpytest("billing/test_billing.py::test_other", "-m", "not slow")
    assert (
        "hint: record the missing goldens with: pytest --clearstone-mode=record-missing "
        "billing/test_billing.py::test_other -m 'not slow' (or --clearstone-mode=record-diverged); "
        + NO_GIT_REVIEW
    ) in result.stdout.lines
    # a run given no selection repeats none
    pytester.path.joinpath("agents", "test_agents.py").write_text(
        textwrap.dedent(test).replace('"refund")', '"refund!")')
    )
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(
        [
            "hint: if the changes are intended, re-record what diverged and record the missing "
            "goldens with: pytest --clearstone-mode=record-diverged; " + NO_GIT_REVIEW
        ]
    )


def test_the_goldens_written_are_listed_in_the_order_of_their_paths(
    pytester: pytest.Pytester,
) -> None:
    # (not in the order the tests ran, which differs per run under pytest-xdist)
    pytester.syspathinsert()
    pytester.makepyfile(
        live=LIVE,
        test_order="""
        import pytest
        import live

        @pytest.mark.replay(mock={"llm": "live.complete"})
        def test_zebra(replay):
            replay.run(live.complete, "z")

        @pytest.mark.replay(mock={"llm": "live.complete"})
        def test_aardvark(replay):
            replay.run(live.complete, "a")
        """,
    )
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(
        [
            "goldens written:",
            "  goldens/test_order/test_aardvark.ckpt: new",
            "  goldens/test_order/test_zebra.ckpt: new",
        ]
    )


def test_the_summary_hint_of_a_run_given_packages_repeats_pyargs(
    pytester: pytest.Pytester,
) -> None:
    # `pytest --pyargs agents` names a package, not a path: a hint repeating `agents` without
    # --pyargs selects nothing ("file or directory not found: agents") where the package is
    # not a folder of the directory the command runs in
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE)
    pytester.mkdir("src")
    package = pytester.mkpydir("src/cs_pyargs_agents")
    package.joinpath("test_agents.py").write_text(
        "import pytest\nimport live\n\n"
        '@pytest.mark.replay(mock={"llm": "live.complete"})\n'
        'def test_refund(replay):\n    replay.run(live.complete, "refund")\n'
    )
    # (a package name no other test imports: one imported earlier in the process would be
    # collected from where it was found then)
    pytester.syspathinsert(pytester.path / "src")
    result = pytester.runpytest("--pyargs", "cs_pyargs_agents")
    result.assert_outcomes(failed=1)
    hint = (
        "hint: record the missing goldens with: pytest --clearstone-mode=record-missing "
        "--pyargs cs_pyargs_agents (or --clearstone-mode=record-diverged); " + NO_GIT_REVIEW
    )
    assert hint in result.stdout.lines
    command = hint.split("with: ")[1].split(" (or")[0]
    pytester.runpytest(*shlex.split(command)[1:]).assert_outcomes(passed=1)
    assert package.joinpath("goldens", "test_agents", "test_refund.ckpt").is_file()


@pytest.mark.parametrize("tests", [10, 11])
def test_the_summary_hint_names_ten_tests_then_how_many_more_there_are(
    pytester: pytest.Pytester, tests: int
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        live=LIVE,
        test_many=f"""
        import pytest
        import live

        @pytest.mark.replay(mock={{"llm": "live.complete"}})
        @pytest.mark.parametrize("n", range({tests}))
        def test_it(replay, n):
            replay.run(live.complete, str(n))
        """,
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=tests)
    lines = result.stdout.lines
    hint = next(i for i, line in enumerate(lines) if line.startswith("hint: record the missing"))
    assert lines[hint + 1 : hint + 11] == [f"  test_many.py::test_it[{n}]" for n in range(10)]
    if tests == 11:
        assert lines[hint + 11] == "  ... and 1 more"
    else:
        assert not lines[hint + 11].startswith("  ")


def test_a_renamed_test_s_missing_golden_names_its_old_golden_and_the_mv_that_keeps_it(
    suite: pytest.Pytester,
) -> None:
    """A test renamed after its recording fails on its missing golden while its old golden is
    listed as unused: the hint said only to record it (live calls, new answers), not that the
    unused file beside it is its golden under the old name, which a rename keeps."""
    suite.runpytest("--clearstone-record").assert_outcomes(passed=2)
    _live_calls(suite)  # (the recording's)
    test_file = suite.path / "test_suite.py"
    test_file.write_text(test_file.read_text().replace("def test_second", "def test_later"))
    result = suite.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "hint: record the missing goldens with: *",
            "  test_suite.py::test_later",
            "goldens/test_suite/test_second.ckpt, which no collected test uses, may be the golden "
            "of test_suite.py::test_later before it was renamed or moved: if so, keep it (no live "
            "call) with: mv goldens/test_suite/test_second.ckpt "
            "goldens/test_suite/test_later.ckpt",
        ]
    )
    moved = suite.run(  # (the hint's command, as the user runs it: outside git, mv)
        "mv", "goldens/test_suite/test_second.ckpt", "goldens/test_suite/test_later.ckpt"
    )
    assert moved.ret == 0, moved.stderr.str()
    suite.runpytest().assert_outcomes(passed=2)
    assert _live_calls(suite) == 0


def test_prune_unused_leaves_the_golden_a_renamed_test_s_missing_one_likely_is(
    suite: pytest.Pytester,
) -> None:
    """--clearstone-prune-unused in the run where a renamed test fails on its missing golden
    deleted the old golden, the git mv its hint gives then impossible (the recorded answers
    gone from the working tree)."""
    suite.runpytest("--clearstone-record").assert_outcomes(passed=2)
    test_file = suite.path / "test_suite.py"
    test_file.write_text(test_file.read_text().replace("def test_second", "def test_later"))
    result = suite.runpytest("--clearstone-prune-unused")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "goldens/test_suite/test_second.ckpt, which no collected test uses "
            "(--clearstone-prune-unused left it), may be the golden of test_suite.py::test_later "
            "before it was renamed or moved: if so, keep it (no live call) with: mv *",
        ]
    )
    result.stdout.no_fnmatch_line("deleted unused golden*")
    assert (suite.path / "goldens" / "test_suite" / "test_second.ckpt").is_file()


def test_a_test_moved_to_another_module_is_named_with_its_golden_in_the_old_module_s_folder(
    suite: pytest.Pytester,
) -> None:
    suite.runpytest("--clearstone-record").assert_outcomes(passed=2)
    source = suite.path / "test_suite.py"
    first, _, second = source.read_text().partition(
        '@pytest.mark.replay(mock={"llm": "live.complete"})\ndef test_second'
    )
    source.write_text(first)
    suite.makepyfile(
        test_moved=first.split("@pytest.mark.replay")[0]
        + '@pytest.mark.replay(mock={"llm": "live.complete"})\ndef test_second'
        + second
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        [
            "goldens/test_suite/test_second.ckpt, which no collected test uses, may be the golden "
            "of test_moved.py::test_second before it was renamed or moved: if so, keep it (no live "
            "call) with: mkdir -p goldens/test_moved && mv goldens/test_suite/test_second.ckpt "
            "goldens/test_moved/test_second.ckpt",
        ]
    )


def test_a_moved_module_s_goldens_are_kept_with_one_command_for_their_folder(
    suite: pytest.Pytester,
) -> None:
    """A test module renamed after its recording: the hint gave a mv per golden of its folder
    (a line for each test), where one mv of the folder keeps them all."""
    suite.runpytest("--clearstone-record").assert_outcomes(passed=2)
    _live_calls(suite)  # (the recording's)
    (suite.path / "test_suite.py").rename(suite.path / "test_agent.py")
    result = suite.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "goldens/test_suite, which no collected test uses, holds the goldens of the 2 tests "
            "of test_agent.py before it was renamed or moved: if so, keep them (no live call) "
            "with: mv goldens/test_suite goldens/test_agent",
        ]
    )
    result.stdout.no_fnmatch_line("*test_second.ckpt*keep it*")
    moved = suite.run("mv", "goldens/test_suite", "goldens/test_agent")  # (as the user runs it)
    assert moved.ret == 0, moved.stderr.str()
    suite.runpytest().assert_outcomes(passed=2)
    assert _live_calls(suite) == 0


def test_an_unused_golden_is_not_named_for_a_missing_one_another_unused_golden_could_be(
    suite: pytest.Pytester,
) -> None:
    """Two goldens beside a renamed test's that no test uses: which one was its is not known,
    and none is named."""
    suite.runpytest("--clearstone-record").assert_outcomes(passed=2)
    test_file = suite.path / "test_suite.py"
    test_file.write_text(
        test_file.read_text()
        .replace("def test_second", "def test_later")
        .replace("def test_first(replay):\n", "def test_other(replay):\n")
        .replace(
            '"one") == "answer to one"',
            '"one") == "answer to one"\n\n\ndef test_plain():\n    pass',
        )
    )
    result = suite.runpytest()
    result.assert_outcomes(passed=1, failed=2)
    result.stdout.fnmatch_lines(["goldens that no collected test uses:"])
    result.stdout.no_fnmatch_line("*keep it (no live call)*")


def test_the_summary_hint_repeats_the_tests_the_run_left_out(pytester: pytest.Pytester) -> None:
    # `pytest --deselect t.py::test_slow` was told to record the missing goldens with a command
    # that did not repeat --deselect: run as given, it recorded test_slow's golden too, calling
    # the live services for a test the user had left out. So for --ignore.
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE)
    test = """
        import pytest
        import live

        @pytest.mark.replay(mock={"llm": "live.complete"})
        def test_fast(replay):
            replay.run(live.complete, "fast")

        @pytest.mark.replay(mock={"llm": "live.complete"})
        def test_slow(replay):
            replay.run(live.complete, "slow")
        """
    pytester.makepyfile(test_agent=textwrap.dedent(test))
    pytester.mkdir("legacy")
    pytester.path.joinpath("legacy", "test_legacy.py").write_text(textwrap.dedent(test))
    result = pytester.runpytest("--deselect", "test_agent.py::test_slow", "--ignore=legacy")
    result.assert_outcomes(failed=1, deselected=1)
    hint = (
        "hint: record the missing goldens with: pytest --clearstone-mode=record-missing "
        "--deselect test_agent.py::test_slow --ignore=legacy (or "
        "--clearstone-mode=record-diverged); " + NO_GIT_REVIEW
    )
    assert hint in result.stdout.lines
    command = hint.split("with: ")[1].split(" (or")[0]
    pytester.runpytest(*shlex.split(command)[1:]).assert_outcomes(passed=1, deselected=1)
    goldens = sorted(p.relative_to(pytester.path).as_posix() for p in pytester.path.rglob("*.ckpt"))
    assert goldens == ["goldens/test_agent/test_fast.ckpt"]


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_summary_hint_says_git_diff_only_where_a_git_checkout_holds_the_goldens(
    pytester: pytest.Pytester,
) -> None:
    # The hint to re-record ended "review with git diff" in a project no git checkout holds (a
    # copy unpacked from an archive, a CI job without .git): git diff there says "not a git
    # repository". It now says what works there: the changes the record run lists for each
    # golden; "git diff" where the project is a checkout.
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE)
    pytester.makepyfile(
        test_one="""
        import pytest
        import live

        @pytest.mark.replay(mock={"llm": "live.complete"})
        def test_refund(replay):
            replay.run(live.complete, "refund")
        """
    )
    hint = (
        "hint: record the missing goldens with: pytest --clearstone-mode=record-missing "
        "(or --clearstone-mode=record-diverged); "
    )
    result = pytester.runpytest()
    assert hint + NO_GIT_REVIEW in result.stdout.lines
    subprocess.run(["git", "init", "-q"], cwd=pytester.path, check=True)
    result = pytester.runpytest()
    assert hint + "review with git diff" in result.stdout.lines
