"""The installed version is looked up once per process, not per recorded test.

Before the fix, ``pytest_clearstone.__version__`` asked ``importlib.metadata.version()`` on
every access: about six times per recorded test (the tracer, the golden's ``written_by`` and
attribute checks), each a scan of the installed distributions — a quarter of the time of
recording 500 small tests.
"""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import pytest

import pytest_clearstone
from tests.spies import calls_to

APP = """
def complete(prompt):
    return "answer " + prompt


def run(k):
    return complete(f"q{k}")
"""

TEST = """
import pytest
import ver_app


@pytest.mark.parametrize("k", range(4))
@pytest.mark.replay(mock={"llm": "ver_app.complete"})
def test_agent(replay, k):
    assert replay.run(ver_app.run, k) == f"answer q{k}"
"""


def _count_lookups(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    return calls_to(monkeypatch, importlib.metadata, "version")


def test_recording_tests_looks_the_version_up_once_at_most(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(ver_app=APP, test_ver=TEST)
    looked_up = _count_lookups(monkeypatch)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=4)
    assert len(list(pytester.path.rglob("*.ckpt"))) == 4
    assert looked_up.count("pytest-clearstone") <= 1  # (0: an earlier test looked it up)
    looked_up.clear()
    pytester.runpytest().assert_outcomes(passed=4)  # replaying
    assert looked_up.count("pytest-clearstone") == 0


def test_the_version_is_the_installed_one_and_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    first = pytest_clearstone.__version__
    looked_up = _count_lookups(monkeypatch)
    assert pytest_clearstone.__version__ == first == importlib.metadata.version("pytest-clearstone")
    assert hasattr(pytest_clearstone, "__version__")
    assert looked_up == ["pytest-clearstone"]  # the test's own look-up only


def test_importing_the_plugin_does_not_look_the_version_up() -> None:
    # (an install that no test uses pays nothing for the version)
    code = (
        "import importlib.metadata as m\n"
        "calls = []\n"
        "real = m.version\n"
        "m.version = lambda name: calls.append(name) or real(name)\n"
        "import pytest_clearstone, pytest_clearstone.plugin\n"
        "print(len(calls))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "0"
