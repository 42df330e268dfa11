"""The optional orjson speed-up, imported in this one place (never required).

``orjson`` is the module when installed, else ``None``; every user falls back to the standard
library's :mod:`json` without it.
"""

from __future__ import annotations

from typing import Any

orjson: Any
try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None
