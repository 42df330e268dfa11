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


@pytest.mark.parametrize("how", ["-p", "PYTEST_PLUGINS", "conftest"])
def test_named_by_its_package_name_with_autoload_off_the_plugin_replays(
    project, autoload_off, monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    # Expected: naming the plugin by its import package (`-p pytest_clearstone`,
    # `PYTEST_PLUGINS=pytest_clearstone`, `pytest_plugins = ["pytest_clearstone"]` in the root
    # conftest), as for most plugins, loads it as `-p clearstone` does: the marked test replays
    # from its golden (it loaded only the package, which holds no hooks: the marked test ran
    # live, calling its targets and passing with no golden, "replayed" by nothing)
    pytester = project.pytester
    pytester.runpytest_subprocess("-p", "clearstone", "--clearstone-record").assert_outcomes(
        passed=1
    )
    args: list[str] = []
    if how == "-p":
        args = ["-p", "pytest_clearstone"]
    elif how == "PYTEST_PLUGINS":
        monkeypatch.setenv("PYTEST_PLUGINS", "pytest_clearstone")
    else:
        pytester.makeconftest("pytest_plugins = ['pytest_clearstone']")
    project.golden.unlink()
    replayed = pytester.runpytest_subprocess(*args)
    replayed.assert_outcomes(failed=1)
    replayed.stdout.fnmatch_lines(["*golden*billing.ckpt*--clearstone-record*"])
    # and with auto-loading on, named so it is loaded once
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    pytester.runpytest_subprocess(*args, "--clearstone-record").assert_outcomes(passed=1)
    replayed = pytester.runpytest_subprocess(*args)
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["*1 checkpoint(s) replayed, 0 recorded, 0 diverged*"])


def test_named_by_its_package_name_the_plugin_counts_as_a_required_plugin(project) -> None:
    # Expected: `required_plugins = pytest-clearstone` is met when the plugin is also named by its
    # package (it was loaded under the entry point's name but not through it, so pytest listed
    # no distribution for it: "Missing required plugins: pytest-clearstone", exit status 4)
    project.pytester.makeini("[pytest]\nrequired_plugins = pytest-clearstone\n")
    project.record("-p", "pytest_clearstone").assert_outcomes(passed=1)
    replayed = project.replay("-p", "pytest_clearstone")
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["plugins:*clearstone-*", "*1 checkpoint(s) replayed*"])
