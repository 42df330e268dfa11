"""A run given its ini file with ``-c`` (``--config-file``) names it in the commands its
messages give: without it the command reads another ini file (or none), so a bare marker whose
``mock`` comes from that file's ``clearstone_mock`` only reads its golden, and the command
given to record it recorded nothing."""

from __future__ import annotations

import shlex

import pytest

from tests.inner_runs import LEAN_ARGS

APP = """
def llm(prompt):
    return "ok " + prompt
"""

TEST = """
import pytest

import app


@pytest.mark.replay
def test_m():
    assert app.llm("1") == "ok 1"
"""


@pytest.mark.parametrize("option", ["-c", "--config-file="])
def test_the_record_command_of_a_run_given_its_ini_file_names_it(
    pytester: pytest.Pytester, option: str
) -> None:
    # Expected: the missing golden's message and the summary's hint give `pytest -c
    # cfg/ci.ini --clearstone-record ...`, and that command records the golden (they gave
    # `pytest --clearstone-record tests/test_m.py::test_m`, which found no mock targets in
    # the default ini and failed again with "checkpoint not found")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP)
    pytester.mkdir("tests")
    pytester.path.joinpath("tests", "test_m.py").write_text(TEST)
    pytester.mkdir("cfg")
    pytester.path.joinpath("cfg", "ci.ini").write_text(
        "[pytest]\nclearstone_mock =\n    llm = app.llm\n"
    )
    given = ["-c", "cfg/ci.ini"] if option == "-c" else ["--config-file=cfg/ci.ini"]
    result = pytester.runpytest(*given, "--rootdir=.", "tests")
    result.assert_outcomes(failed=1)
    command = "pytest -c cfg/ci.ini --rootdir=. --clearstone-record tests/test_m.py::test_m"
    result.stdout.fnmatch_lines(
        [
            f"*checkpoint not found; tried: *test_m.ckpt. Record it first with: {command}",
            "hint: record the missing goldens with: pytest -c cfg/ci.ini --rootdir=. "
            "--clearstone-mode=record-missing*",
        ]
    )
    # the command given records it
    recorded = pytester.runpytest(*shlex.split(command)[1:])
    recorded.assert_outcomes(passed=1)
    assert pytester.path.joinpath("tests", "goldens", "test_m", "test_m.ckpt").is_file()
    pytester.runpytest(*given, "--rootdir=.", "tests").assert_outcomes(passed=1)


@pytest.mark.parametrize("argument", ["tests", "tests/test_m.py"])
def test_the_record_command_of_a_test_outside_the_rootdir_names_its_file(
    pytester: pytest.Pytester, argument: str
) -> None:
    # Expected: given `-c cfg/ci.ini`, pytest's rootdir is cfg/ and the tests are outside it
    # (their node ids are relative to the argument they were collected under: `test_m.py`,
    # `::test_m`); the command names the test's file from where pytest was started,
    # `tests/test_m.py::test_m`, and it records the golden (it gave `cfg/test_m.py::test_m`,
    # or `cfg::test_m`: files that are not there)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP)
    pytester.mkdir("tests")
    pytester.path.joinpath("tests", "test_m.py").write_text(TEST)
    pytester.mkdir("cfg")
    pytester.path.joinpath("cfg", "ci.ini").write_text(
        "[pytest]\nclearstone_mock =\n    llm = app.llm\n"
    )
    result = pytester.runpytest("-c", "cfg/ci.ini", argument)
    result.assert_outcomes(failed=1)
    command = "pytest -c cfg/ci.ini --clearstone-record tests/test_m.py::test_m"
    result.stdout.fnmatch_lines(
        [f"*checkpoint not found; tried: *test_m.ckpt. Record it first with: {command}"]
    )
    result.stdout.fnmatch_lines(
        ["hint: record the missing goldens with: *", "  tests/test_m.py::test_m"]
    )
    recorded = pytester.runpytest(*shlex.split(command)[1:])
    recorded.assert_outcomes(passed=1)
    pytester.runpytest("-c", "cfg/ci.ini", argument).assert_outcomes(passed=1)


def test_the_summary_under_xdist_names_a_test_outside_the_rootdir_by_its_file(
    pytester: pytest.Pytester,
) -> None:
    # (the controller, which collects nothing, named it `cfg/test_m.py::test_m`)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP)
    pytester.mkdir("tests")
    pytester.path.joinpath("tests", "test_m.py").write_text(TEST)
    pytester.mkdir("cfg")
    pytester.path.joinpath("cfg", "ci.ini").write_text(
        "[pytest]\nclearstone_mock =\n    llm = app.llm\n"
    )
    result = pytester.runpytest_subprocess(*LEAN_ARGS, "-c", "cfg/ci.ini", "-n", "2", "tests")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "hint: record the missing goldens with: pytest -c cfg/ci.ini *",
            "  tests/test_m.py::test_m",
        ]
    )


def test_the_record_command_of_a_run_given_ini_overrides_repeats_them(
    pytester: pytest.Pytester,
) -> None:
    # Expected: `-o "clearstone_mock=llm = app.llm"` (an ini value given on the command line)
    # is repeated in the command, which then records the golden (it was left out: the bare
    # marker had no mock target, and the command failed again with "checkpoint not found")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_m=TEST)
    result = pytester.runpytest("-o", "clearstone_mock=llm = app.llm")
    result.assert_outcomes(failed=1)
    command = "pytest -o 'clearstone_mock=llm = app.llm' --clearstone-record test_m.py::test_m"
    result.stdout.fnmatch_lines([f"*Record it first with: {command}"])
    # (the value attached to -o is repeated the same way)
    result = pytester.runpytest("-oclearstone_mock=llm = app.llm")
    result.stdout.fnmatch_lines([f"*Record it first with: {command}"])
    pytester.runpytest(*shlex.split(command)[1:]).assert_outcomes(passed=1)


@pytest.mark.parametrize("setting", ["~/stores/traces.db", "$CS_STORES/traces.db"])
def test_traces_without_db_reads_the_store_an_ini_names_with_home_or_a_variable(
    pytester: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    setting: str,
) -> None:
    # Expected: `clearstone_db = ~/stores/traces.db` (or `$CS_STORES/...`) is the store the
    # plugin writes, ~ and the variable expanded, and `traces` / `trace` without DB read it,
    # "as the plugin reads it" (cli.md); they looked for `<rootdir>/~/stores/traces.db` and
    # said it did not exist
    from pytest_clearstone.cli import main

    home = pytester.path / "home"
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("CS_STORES", str(home / "stores"))
    pytester.makeini(f"[pytest]\nclearstone_db = {setting}\n")
    pytester.makepyfile(
        test_t="""
        def test_a(clearstone_tracer):
            with clearstone_tracer.span("hello_span"):
                pass
        """
    )
    pytester.runpytest().assert_outcomes(passed=1)
    assert (home / "stores" / "traces.db").is_file()
    capsys.readouterr()
    monkeypatch.chdir(pytester.path)
    assert main(["traces"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "test_t.py::test_a" in out
    assert main(["trace", "-v"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "hello_span" in out


@pytest.mark.parametrize("given", [["-p", "clearstone"], ["-ppytest_clearstone"]])
def test_the_record_command_of_a_run_that_named_the_plugin_names_it_too(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, given: list[str]
) -> None:
    """With pytest's plugin auto-loading off (``PYTEST_DISABLE_PLUGIN_AUTOLOAD=1``, a lean CI
    job), the run named the plugin with ``-p``: the commands its messages gave did not, and
    run in the same shell they failed with ``unrecognized arguments: --clearstone-record``."""
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("PYTEST_PLUGINS", raising=False)
    pytester.syspathinsert()
    pytester.makepyfile(
        app=APP, test_m=TEST.replace("replay\n", "replay(mock={'llm': 'app.llm'})\n")
    )
    result = pytester.runpytest(*given)
    result.assert_outcomes(failed=1)
    (line,) = [line for line in result.stdout.lines if "Record it first with: " in line]
    command = line.partition("Record it first with: ")[2]
    name = given[-1].removeprefix("-p")
    assert command == f"pytest -p {name} --clearstone-record test_m.py::test_m"
    result.stdout.fnmatch_lines(
        [f"hint: record the missing goldens with: pytest -p {name} --clearstone-mode=*"]
    )
    pytester.runpytest(*shlex.split(command)[1:]).assert_outcomes(passed=1)


def test_the_record_command_after_an_inner_run_given_its_ini_file_is_the_outer_runs(
    pytester: pytest.Pytester,
) -> None:
    # A suite that runs pytest in-process (pytester, for a plugin of its own) beside its golden
    # tests: once the inner run given `-c inner/ci.ini` is over, a golden test of the outer run
    # is named as the outer run names it, without the inner run's options
    pytester.syspathinsert()
    pytester.makepyfile(
        app=APP,
        test_inner="""
        def test_inner(pytester):
            pytester.mkdir("inner")
            pytester.path.joinpath("inner", "ci.ini").write_text("[pytest]\\n")
            pytester.makepyfile(test_x="def test_x():\\n    pass\\n")
            pytester.runpytest("-c", "inner/ci.ini").assert_outcomes(passed=1)
        """,
        test_m=TEST.replace("replay\n", "replay(mock={'llm': 'app.llm'})\n"),
    )
    result = pytester.runpytest_subprocess(*LEAN_ARGS, "-p", "pytester")
    result.assert_outcomes(passed=1, failed=1)
    command = "pytest --clearstone-record test_m.py::test_m"
    result.stdout.fnmatch_lines(
        [f"*checkpoint not found; tried: *. Record it first with: {command}"]
    )
    result.stdout.no_fnmatch_line("*-c inner/ci.ini*")


def test_a_run_from_above_the_rootdir_an_ini_file_gives_is_the_whole_suite(
    pytester: pytest.Pytester,
) -> None:
    # `pytest -c cfg/ci.ini` run from the checkout makes cfg the rootdir; the directory it
    # collects from holds the rootdir, so the whole suite: pruning is not refused as a subset
    pytester.syspathinsert()
    pytester.makepyfile(app=APP)
    pytester.mkdir("tests")
    pytester.path.joinpath("tests", "test_m.py").write_text(TEST)
    pytester.mkdir("cfg")
    pytester.path.joinpath("cfg", "ci.ini").write_text(
        "[pytest]\nclearstone_mock =\n    llm = app.llm\n"
    )
    pytester.runpytest("-c", "cfg/ci.ini", "--clearstone-record").assert_outcomes(passed=1)
    stale = pytester.path / "tests" / "goldens" / "stale.ckpt"
    stale.write_bytes((stale.parent / "test_m" / "test_m.ckpt").read_bytes())
    result = pytester.runpytest("-c", "cfg/ci.ini", "--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["deleted unused golden */tests/goldens/stale.ckpt"])
    assert not stale.exists()


SAME_NAME = """
import pytest

import app


@pytest.mark.replay(mock={{"llm": "app.llm"}})
def test_x():
    assert app.llm("{word}")
"""


@pytest.mark.parametrize("given", [["--import-mode=importlib"], ["--import-mode", "importlib"]])
def test_the_commands_of_a_run_given_its_import_mode_name_it(
    pytester: pytest.Pytester, given: list[str]
) -> None:
    # Expected: test modules of one name in two folders without __init__.py collect only with
    # --import-mode=importlib; the commands gave `pytest --clearstone-mode=record-diverged`
    # without it, and that command failed at collection ("import file mismatch")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP)
    for folder in ("a", "b"):
        pytester.mkdir(folder)
        pytester.path.joinpath(folder, "test_x.py").write_text(SAME_NAME.format(word=folder))
    pytester.runpytest(*given, "--clearstone-record").assert_outcomes(passed=2)
    pytester.path.joinpath("a", "test_x.py").write_text(SAME_NAME.format(word="a!"))
    result = pytester.runpytest(*given)
    result.assert_outcomes(failed=1, passed=1)
    result.stdout.fnmatch_lines(
        [
            "*re-record with: pytest --import-mode=importlib --clearstone-record "
            "a/test_x.py::test_x",
            "hint: * pytest --import-mode=importlib --clearstone-mode=record-diverged;*",
        ]
    )
    # the command given records it
    command = "pytest --import-mode=importlib --clearstone-mode=record-diverged"
    pytester.runpytest(*shlex.split(command)[1:]).assert_outcomes(passed=2)
    pytester.runpytest(*given).assert_outcomes(passed=2)


def test_the_commands_of_a_run_given_which_conftests_load_name_them(
    pytester: pytest.Pytester,
) -> None:
    # (--noconftest and --confcutdir are repeated as given, a folder's name quoted for a shell)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_x=SAME_NAME.format(word="a"))
    pytester.mkdir("conf cut")
    given = ["--noconftest", "--confcutdir=conf cut"]
    pytester.runpytest(*given, "--clearstone-record").assert_outcomes(passed=1)
    pytester.path.joinpath("test_x.py").write_text(SAME_NAME.format(word="a!"))
    result = pytester.runpytest(*given)
    result.assert_outcomes(failed=1)
    options = "--noconftest --confcutdir='conf cut'"
    result.stdout.fnmatch_lines(
        [f"*re-record with: pytest {options} --clearstone-record test_x.py::test_x"]
    )
    command = f"pytest {options} --clearstone-mode=record-diverged"
    pytester.runpytest(*shlex.split(command)[1:]).assert_outcomes(passed=1)
