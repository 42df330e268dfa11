"""What every test that runs pytest inside pytest shares: inner runs leave pytest-check,
pytest-asyncio, pytest-socket and pytest-django out, and run as outside a CI service.

pytest-check (in the test extra, for ``tests/plugin/test_soft_assertions_recording.py``, which asks
for it in a subprocess) patches ``threading.Thread.start`` for the whole process when it is
imported; pytester's in-process runs load every installed plugin, and the patch would stay in the
worker after the run (pytester restores ``sys.modules``, not ``threading``), changing what later
tests of threads see. pytest-asyncio (in the test extra, for
``tests/plugin/test_pytest_asyncio.py``, whose inner runs load it with ``-p pytest_asyncio.plugin``)
warns at every start-up without its ini option, which an inner run given ``-W error`` (or
``filterwarnings = error``) stops on. pytest-socket (for
``tests/plugin/test_network_guard_beside_socket_plugins.py``, which asks for it with ``-p socket``
in a subprocess) puts ``socket.socket.connect`` into the class's own attributes at every test's
teardown, for the rest of the process; pytest-django (for the Django tests, with ``-p
pytest_django.plugin`` in a subprocess) imports Django's settings machinery. The directories' own
conftests set their lean options (``LEAN_ADDOPTS``, which leave it out too) after this. pytest
prints its short test summary untruncated where ``CI`` or ``BUILD_NUMBER`` is set; inner runs drop
both, so that what a test reads of their output is the same on a developer's machine and in CI.

An in-process inner run ends by putting ``sys.modules`` back as it was (pytester's snapshot), so
the modules of installed libraries it imported (openai's resources, pandas through deepdiff,
dill) were imported again by the next inner run, while the old copies stayed alive (held by the
libraries' own registries): each test left thousands of objects behind, and the full collection
after each integration test (``tests/integrations/conftest.py``) grew slower all through a run.
The snapshot here keeps the modules of installed libraries (those under ``site-packages``), as a
process does; the test project's modules and this plugin's are still taken away.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Callable

import _pytest.pytester
import pytest

_LIBRARIES = tuple(
    {os.path.join(sysconfig.get_paths()[key], "") for key in ("purelib", "platlib")}
)


def _installed(name: str) -> bool:
    """Whether the module ``name`` is an installed library's (under ``site-packages``)."""
    file = getattr(sys.modules.get(name), "__file__", None)
    return type(file) is str and file.startswith(_LIBRARIES)


class _KeepingInstalledLibraries(_pytest.pytester.SysModulesSnapshot):
    def __init__(self, preserve: Callable[[str], bool] | None = None) -> None:
        def kept(name: str) -> bool:
            return _installed(name) or (preserve is not None and preserve(name))

        super().__init__(preserve=kept)


_pytest.pytester.SysModulesSnapshot = _KeepingInstalledLibraries  # type: ignore[misc]


@pytest.fixture(autouse=True)
def _inner_runs_without_pytest_check_or_asyncio(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    if "pytester" not in request.fixturenames:
        return
    request.getfixturevalue("pytester")  # (first: setting up pytester deletes PYTEST_ADDOPTS)
    for name in ("CI", "BUILD_NUMBER"):
        monkeypatch.delenv(name, raising=False)
    options = os.environ.get("PYTEST_ADDOPTS", "")
    lean = ("no:check", "no:asyncio", "no:socket", "no:django", "no:rerunfailures", "no:timeout")
    for plugin in lean:
        if plugin not in options:
            options = f"{options} -p {plugin}".strip()
    monkeypatch.setenv("PYTEST_ADDOPTS", options)
