"""The optional orjson speed-up, imported in this one place (never required).

``orjson`` is the module when installed, else ``None``; every user falls back to the standard
library's :mod:`json` without it, and where orjson would write a float otherwise
(:func:`floats_as_python`).
"""

from __future__ import annotations

import re
from typing import Any

orjson: Any
try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None


#: a float orjson writes otherwise than Python's ``repr`` (as the standard library writes it):
#: one below 1e-4 in decimal notation (``0.000025`` for ``2.5e-05``), or an exponent of one digit
#: (``3e-6`` for ``3e-06``); the same characters in a string match too, harmlessly
_NOT_AS_PYTHON = re.compile(rb"0\.0000|[0-9]e-[1-9](?![0-9])")


def floats_as_python(text: bytes) -> bool:
    """Whether orjson's ``text`` writes its floats as the standard library would: a text that
    may not is written by the standard library instead, so a golden or a stored value is the
    same text whether orjson is installed or not."""
    return _NOT_AS_PYTHON.search(text) is None
