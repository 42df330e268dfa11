"""What every test that runs pytest inside pytest shares: inner runs leave pytest-check out, and
run as outside a CI service.

pytest-check (in the test extra, for ``tests/plugin/test_soft_assertions_recording.py``, which
asks for it in a subprocess) patches ``threading.Thread.start`` for the whole process when it is
imported; pytester's in-process runs load every installed plugin, and the patch would stay in the
worker after the run (pytester restores ``sys.modules``, not ``threading``), changing what later
tests of threads see. The directories' own conftests set their lean options (``LEAN_ADDOPTS``,
which leave it out too) after this. pytest prints its short test summary untruncated where
``CI`` or ``BUILD_NUMBER`` is set; inner runs drop both, so that what a test reads of their output
is the same on a developer's machine and in CI.
"""

from __future__ import annotations

import os

import pytest


@pytest.fixture(autouse=True)
def _inner_runs_without_pytest_check(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "pytester" not in request.fixturenames:
        return
    request.getfixturevalue("pytester")  # (first: setting up pytester deletes PYTEST_ADDOPTS)
    for name in ("CI", "BUILD_NUMBER"):
        monkeypatch.delenv(name, raising=False)
    options = os.environ.get("PYTEST_ADDOPTS", "")
    if "no:check" not in options:
        monkeypatch.setenv("PYTEST_ADDOPTS", f"{options} -p no:check".strip())
