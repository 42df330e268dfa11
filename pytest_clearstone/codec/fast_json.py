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


#: where a float orjson writes otherwise than Python's ``repr`` (as the standard library
#: writes it) may be: one below 1e-4 in decimal notation (``0.000025`` for ``2.5e-05``), or an
#: exponent of one digit (``3e-6`` for ``3e-06``); each place found is then checked to be a
#: number where a value starts (:func:`floats_as_python`). Literal-led, so found at C speed: a
#: pattern led by the value's context tried every position (7 ms for a 330 KB golden)
_SUSPECT = re.compile(rb"0\.0000|e-[1-9](?![0-9])")
#: the bytes of a number's text before its exponent, and those a value follows (``:``, ``,``,
#: ``[``; a space or a line break of the indentation: no line break is written in a string)
_NUMBER = frozenset(b"0123456789.-")
_VALUE_STARTS = frozenset(b":,[ \n")


def floats_as_python(text: bytes) -> bool:
    """Whether orjson's ``text`` writes its floats as the standard library would: a text that
    may not is written by the standard library instead, so a golden or a stored value is the
    same text whether orjson is installed or not. The same characters in a string after a
    value's context (``": 3e-6"`` in a message) count too, harmlessly (the text is then written
    the slower way); an id's ``9e-4`` inside a word (a uuid's) does not."""
    for found in _SUSPECT.finditer(text):
        start = found.start()
        begin = start
        while begin and text[begin - 1] in _NUMBER:
            begin -= 1
        if begin and text[begin - 1] not in _VALUE_STARTS:
            continue  # (inside a word: not a number)
        lead = text[begin:start]
        if lead in (b"", b"-") if found.group(0)[:1] == b"0" else lead.strip(b"-"):
            return False
    return True
