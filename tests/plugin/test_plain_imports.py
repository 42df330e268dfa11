"""The package's modules are imported by Python's own import system, not pytest's rewriter.

pytest marks every module of a plugin's distribution for assertion rewriting; loading them
through its rewriter costs several times a plain import (see ``pytest_clearstone/__init__.py``).
``-p pytest_clearstone.plugin`` marks the plugin's module the way an installed wheel's entry
point marks the package, whatever the checkout's install mode.
"""

from __future__ import annotations

LOADERS = """
import importlib.machinery
import sys

import pytest_clearstone.golden.replay


def test_loaders():
    rewritten = [
        name
        for name, module in sorted(sys.modules.items())
        if name.startswith("pytest_clearstone.")
        and not isinstance(module.__spec__.loader, importlib.machinery.SourceFileLoader)
    ]
    assert rewritten == []
"""

AS_NAMED_PLUGIN = ("-p", "no:clearstone", "-p", "pytest_clearstone.plugin")


def test_the_plugin_modules_are_not_loaded_through_the_assertion_rewriter(pytester):
    pytester.makepyfile(test_loaders=LOADERS)
    result = pytester.runpytest_subprocess(
        *AS_NAMED_PLUGIN, "-W", "error::pytest.PytestAssertRewriteWarning"
    )
    result.assert_outcomes(passed=1)
