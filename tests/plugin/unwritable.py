"""How the tests make a golden that cannot be written once the test's live calls are made.

What stands where a golden goes before the test runs is refused before its live calls (a
directory at the golden's path, a file in a folder's place); the tests of a write that fails
after them make a directory there while the test runs, as a full disk or another program would
make it fail.
"""

from __future__ import annotations

from pathlib import Path

import pytest


def golden_becomes_a_directory(pytester: pytest.Pytester, golden: Path) -> None:
    """A ``conftest.py`` making ``golden`` a directory when each test's call begins (after the
    recording started, in the test's set-up)."""
    pytester.makeconftest(
        f"""
        import os
        import pytest

        @pytest.hookimpl(wrapper=True)
        def pytest_runtest_call(item):
            os.makedirs({str(golden)!r}, exist_ok=True)
            return (yield)
        """
    )
