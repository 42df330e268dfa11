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

import functools
import importlib.metadata
import itertools
import os
import sys
from collections.abc import Callable, Iterable

import _pytest.pytester
import pytest

from tests.inner_runs import LIBRARIES, installed_library


class _KeepingInstalledLibraries(_pytest.pytester.SysModulesSnapshot):
    def __init__(self, preserve: Callable[[str], bool] | None = None) -> None:
        before = set(sys.modules)  # (put back anyway: asked first, the ~10,000 cost no more)

        def kept(name: str) -> bool:
            return (
                name in before
                or installed_library(name)
                or (preserve is not None and preserve(name))
            )

        super().__init__(preserve=kept)


_pytest.pytester.SysModulesSnapshot = _KeepingInstalledLibraries  # type: ignore[misc]


_Distribution = importlib.metadata.Distribution


class _ReadOnce(_Distribution):
    """An installed distribution whose metadata, entry points and files are read once."""

    def __init__(self, found: _Distribution) -> None:
        self._found = found

    def read_text(self, filename: str) -> str | None:
        return self._found.read_text(filename)

    def locate_file(self, path: str | os.PathLike[str]) -> os.PathLike[str]:
        return self._found.locate_file(path)

    metadata = functools.cached_property(_Distribution.metadata.fget)
    entry_points = functools.cached_property(_Distribution.entry_points.fget)
    files = functools.cached_property(_Distribution.files.fget)


_discover = importlib.metadata.distributions


@functools.cache
def _installed_in(entry: str) -> tuple[_Distribution, ...]:
    return tuple(_ReadOnce(found) for found in _discover(path=[entry]))


def _distributions(**kwargs: object) -> Iterable[_Distribution]:
    """``importlib.metadata.distributions()``, reading the distributions installed under
    ``site-packages`` once: every in-process inner run's pytest reads the entry points of all
    of them and the files of each plugin's (``_mark_plugins_for_rewrite``), ~13 ms a run;
    anything else on ``sys.path`` (a test project's directory) is read afresh."""
    if kwargs:
        return _discover(**kwargs)
    return itertools.chain.from_iterable(
        _installed_in(entry)
        if os.path.join(entry, "").startswith(LIBRARIES)
        else _discover(path=[entry])
        for entry in sys.path
    )


importlib.metadata.distributions = _distributions


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
