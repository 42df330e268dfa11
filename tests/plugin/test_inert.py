"""Installed but unused, the plugin changes nothing; its options, marker and fixtures are listed."""

from __future__ import annotations

import pytest

PLAIN = """
import time

def test_one():
    assert time.time() > 0

def test_two():
    assert 1 + 1 == 2
"""


def _body(result: pytest.RunResult) -> list[str]:
    """Output lines without those naming the plugin list or timings."""
    return [
        line
        for line in result.stdout.lines
        if not line.startswith(("plugins:", "rootdir:", "platform")) and " in " not in line
    ]


def test_plain_suite_runs_identically_with_and_without_the_plugin(pytester):
    pytester.makepyfile(test_plain=PLAIN)
    with_plugin = pytester.runpytest("-p", "no:cacheprovider")
    without = pytester.runpytest("-p", "no:cacheprovider", "-p", "no:clearstone")
    with_plugin.assert_outcomes(passed=2)
    without.assert_outcomes(passed=2)
    assert _body(with_plugin) == _body(without)
    assert not (pytester.path / ".clearstone").exists()
    assert not [line for line in _body(with_plugin) if "clearstone" in line]


def test_disabled_plugin_has_no_marker(pytester):
    pytester.makepyfile(
        test_marked="""
        import pytest

        @pytest.mark.replay("x.ckpt")
        def test_it():
            pass
        """
    )
    assert pytester.runpytest("--strict-markers", "--co").ret == pytest.ExitCode.OK
    # in a subprocess: in-process runs share pytest.mark's cache of known markers
    result = pytester.runpytest_subprocess("--strict-markers", "--co", "-p", "no:clearstone")
    result.stdout.fnmatch_lines(["*'replay' not found in `markers` configuration option*"])


def test_help_lists_the_option_group(pytester):
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "regression replay of AI agents (pytest-clearstone):",
            "*--clearstone-record*Run tests marked replay live against the real*",
            "*--clearstone-replay*Replay tests marked replay from their golden*",
            "*--clearstone-db=PATH*",
        ]
    )
    result.stdout.fnmatch_lines(["*clearstone_mode (string):*", "*clearstone_db (string):*"])


def test_markers_lists_the_replay_signature(pytester):
    result = pytester.runpytest("--markers")
    result.stdout.fnmatch_lines(
        [
            "@pytest.mark.replay(path=None, *, mock=None, strict=True, ignore=None, "
            "ignore_state=None): replay the test from*"
        ]
    )
    # Expected: each keyword of the signature is explained, the default path too (it said
    # "the golden checkpoint at path", for a path that is None by default, and nothing of
    # ignore, ignore_state, or that strict compares the order of the calls)
    line = next(line for line in result.stdout.lines if line.startswith("@pytest.mark.replay("))
    for said in (
        "goldens/<module stem>/<test name>.ckpt",
        "a test without mock only reads its golden",
        "strict compares each call's arguments and order",
        "ignore (argument paths) and ignore_state (paths of the result and final state)",
    ):
        assert said in line


def test_fixtures_are_documented(pytester):
    result = pytester.runpytest("--fixtures")
    result.stdout.fnmatch_lines(
        [
            "replay -- *",
            "*Record or replay an agent call against the test's golden checkpoint.",
        ]
    )
    result.stdout.fnmatch_lines(["checkpoint -- *", "*The golden*Checkpoint*"])
    result.stdout.fnmatch_lines(["clearstone_tracer -- *", "*Tracer*writing to the run's trace*"])


def test_report_header_only_when_asked(pytester):
    pytester.makepyfile(test_plain=PLAIN)
    pytester.runpytest().stdout.no_fnmatch_line("clearstone:*")
    result = pytester.runpytest("--clearstone-replay", "--clearstone-db", "store.db")
    result.stdout.fnmatch_lines(
        ["clearstone: mode=replay, store=*store.db, seed=derived from each checkpoint id"]
    )


def test_report_header_names_the_store_an_ini_file_gives(pytester):
    pytester.makepyfile(test_plain=PLAIN)
    pytester.makeini("[pytest]\nclearstone_db = traces/store.db\n")
    result = pytester.runpytest()
    result.stdout.fnmatch_lines(["clearstone: mode=replay, store=*traces?store.db, seed=*"])


def test_an_unused_plugin_imports_neither_the_codec_nor_the_replay_nor_the_errors(pytester):
    # importing them is most of what an unused plugin would cost a plain suite (issue 16); the
    # state delta only renders failures of golden tests, and the errors module (through the
    # golden files' reader) only messages: the search for unused goldens imported it at start
    pytester.makepyfile(test_plain=PLAIN)
    pytester.makeconftest(
        """
        import sys

        def pytest_unconfigure(config):
            loaded = sorted(
                m for m in sys.modules
                if m.startswith((
                    "pytest_clearstone.codec",
                    "pytest_clearstone.golden.replay",
                    "pytest_clearstone.diff",
                    "pytest_clearstone.errors",
                    "pytest_clearstone.golden.files",
                ))
            )
            print("LOADED", loaded)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["LOADED []"])


def test_an_unused_plugin_wraps_no_phase_of_a_test(pytester):
    # a hook wrapper costs every phase of every test ~7,000 instructions (issue 16): those of the
    # plugin, and its per-test hooks, are registered only when a collected test uses it; what
    # stays is one plain hook that looks at a phase only when it raised
    pytester.makepyfile(test_plain=PLAIN)
    pytester.makeconftest(
        """
        PHASES = (
            "pytest_runtest_setup", "pytest_runtest_call", "pytest_runtest_teardown",
            "pytest_runtest_makereport", "pytest_pyfunc_call", "pytest_fixture_setup",
        )

        def pytest_sessionfinish(session):
            ours = sorted(
                (name, impl.wrapper or impl.hookwrapper)
                for name in PHASES
                for impl in getattr(session.config.pluginmanager.hook, name).get_hookimpls()
                if "clearstone" in impl.plugin_name
            )
            print("\\nOURS", ours)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["OURS [('pytest_runtest_makereport', False)]"])
