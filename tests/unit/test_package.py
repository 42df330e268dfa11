"""The top-level package: lazy re-exports of the public API, a cheap import."""

from __future__ import annotations

import subprocess
import sys

import pytest_clearstone
from pytest_clearstone.debugging import Checkpoint, ReplayEngine
from pytest_clearstone.golden.replay import Replay
from pytest_clearstone.observability import TracerProvider


def test_public_names_are_the_library_classes():
    assert pytest_clearstone.Replay is Replay
    assert pytest_clearstone.Checkpoint is Checkpoint
    assert pytest_clearstone.ReplayEngine is ReplayEngine
    assert pytest_clearstone.TracerProvider is TracerProvider
    for name in pytest_clearstone.__all__:
        assert getattr(pytest_clearstone, name) is not None


def test_importing_the_package_imports_no_library_module():
    code = (
        "import sys, pytest_clearstone; "
        "print(sorted(m for m in sys.modules if m.startswith('pytest_clearstone')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['pytest_clearstone']"


def test_all_lists_every_lazy_export():
    assert set(pytest_clearstone.__all__) == {*pytest_clearstone._EXPORTS, "__version__"}


def test_the_replay_errors_the_contract_names_import_from_the_replay_module():
    # CONTRACT §3 (Replay — pytest_clearstone.debugging) names ReplayDivergenceError and
    # ReplayExhaustedError: they import from there too, as the very classes of errors
    from pytest_clearstone import debugging, errors

    assert debugging.ReplayDivergenceError is errors.ReplayDivergenceError
    assert debugging.ReplayExhaustedError is errors.ReplayExhaustedError
    assert {"ReplayDivergenceError", "ReplayExhaustedError"} <= set(debugging.__all__)


def test_dir_lists_the_names_a_package_exports_on_first_use():
    # Expected: tab-completion (dir()) shows the public names; before, a package exporting them
    # lazily (module __getattr__) listed none it had not loaded yet
    import importlib
    import json

    code = (
        "import importlib, json, sys; "
        "print(json.dumps({m: dir(importlib.import_module(m)) for m in sys.argv[1:]}))"
    )
    packages = [
        "pytest_clearstone", "pytest_clearstone.codec", "pytest_clearstone.golden",
        "pytest_clearstone.observability", "pytest_clearstone.tracing",
    ]  # fmt: skip
    out = subprocess.run(
        [sys.executable, "-c", code, *packages], capture_output=True, text=True, check=True
    )
    listed = json.loads(out.stdout)
    for package in packages:
        missing = set(importlib.import_module(package).__all__) - set(listed[package])
        assert not missing, (package, sorted(missing))
