"""Named with ``-p clearstone`` while pytest's plugin auto-loading is off (a lean CI job:
docs/how-to/replay-in-ci.md), the plugin records and replays as when auto-loaded, and its
modules are imported as plain Python, not through pytest's assertion-rewrite hook (which reads
each cached module in one small read per value)."""

from __future__ import annotations

import pytest

LOADERS = """
import sys

def test_loaders():
    names = [name for name in sys.modules if name.startswith("pytest_clearstone")]
    assert "pytest_clearstone.golden.replay" in names
    rewritten = [
        name for name in names
        if type(sys.modules[name].__spec__.loader).__name__ == "AssertionRewritingHook"
    ]
    assert rewritten == []
"""


@pytest.fixture
def autoload_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")
    monkeypatch.delenv("PYTEST_PLUGINS", raising=False)


def test_named_with_autoload_off_the_plugin_records_and_replays(project, autoload_off):
    pytester = project.pytester
    recorded = pytester.runpytest_subprocess("-p", "clearstone", "--clearstone-record")
    recorded.assert_outcomes(passed=1)
    recorded.stdout.fnmatch_lines(["*0 checkpoint(s) replayed, 1 recorded, 0 diverged*"])
    assert project.golden.is_file()

    replayed = pytester.runpytest_subprocess("-p", "clearstone")
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["*1 checkpoint(s) replayed, 0 recorded, 0 diverged*"])

    # (not named, it is not loaded: the marker is unknown to a strict run)
    unnamed = pytester.runpytest_subprocess("--strict-markers")
    unnamed.stdout.fnmatch_lines(["*'replay' not found in `markers` configuration option*"])


def test_named_with_autoload_off_its_modules_are_not_rewritten(project, autoload_off):
    pytester = project.pytester
    pytester.runpytest_subprocess("-p", "clearstone", "--clearstone-record").assert_outcomes(
        passed=1
    )
    pytester.makepyfile(test_zz_loaders=LOADERS)  # (runs after the replay: its modules loaded)
    result = pytester.runpytest_subprocess("-p", "clearstone")
    result.assert_outcomes(passed=2)
