"""What every test that runs pytest inside pytest shares: inner runs leave pytest-check out.

pytest-check (in the test extra, for ``tests/plugin/test_soft_assertions_recording.py``, which
asks for it in a subprocess) patches ``threading.Thread.start`` for the whole process when it is
imported; pytester's in-process runs load every installed plugin, and the patch would stay in the
worker after the run (pytester restores ``sys.modules``, not ``threading``), changing what later
tests of threads see. The directories' own conftests set their lean options (``LEAN_ADDOPTS``,
which leave it out too) after this.

They also share one copy of the codec's comparison. ``pytest_clearstone.codec`` imports it on
first need and keeps the names it took from it; pytester drops a module first imported inside an
in-process run when the run ends, so a later run would import a second copy of it and its
modules while the package still called the first (a replayed SDK call's ``self`` then no longer
matched its recording: ``tests/test_examples.py`` on ``openai_travel_agent``, run alone).
Imported here, before any run, the comparison and the modules it uses stay one copy.
"""

from __future__ import annotations

import os

import pytest

import pytest_clearstone.codec.compare  # noqa: F401  (see above)


@pytest.fixture(autouse=True)
def _inner_runs_without_pytest_check(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "pytester" not in request.fixturenames:
        return
    request.getfixturevalue("pytester")  # (first: setting up pytester deletes PYTEST_ADDOPTS)
    options = os.environ.get("PYTEST_ADDOPTS", "")
    if "no:check" not in options:
        monkeypatch.setenv("PYTEST_ADDOPTS", f"{options} -p no:check".strip())
