"""pytest-clearstone: regression replay testing for AI agents.

Record a traced run once, save checkpoints of the agent's state, and replay the agent from a
checkpoint in pytest with the recorded LLM, tool and database responses patched in, under a frozen
clock. The library lives in :mod:`pytest_clearstone.observability` (tracing) and
:mod:`pytest_clearstone.debugging` (checkpoints and replay); the pytest glue in
:mod:`pytest_clearstone.plugin`.
"""

from __future__ import annotations

from typing import Any

__all__ = ["__version__"]


def __getattr__(name: str) -> Any:
    if name == "__version__":
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("pytest-clearstone")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            return "0+unknown"
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
