"""The optional orjson speed-up, imported in this one place (never required).

``orjson`` is the module when installed, else ``None``; every user falls back to the standard
library's :mod:`json` without it, and where orjson would write a float otherwise
(:func:`floats_as_python`).
"""

from __future__ import annotations

from typing import Any

orjson: Any
try:
    import orjson
except ImportError:  # pragma: no cover - depends on the environment
    orjson = None


#: the bytes of a number's text before its exponent, and those a value follows (``:``, ``,``,
#: ``[``; a space or a line break of the indentation: no line break is written in a string)
_NUMBER = frozenset(b"0123456789.-")
_VALUE_STARTS = frozenset(b":,[ \n")
_ONE_TO_NINE = frozenset(bytes([c]) for c in b"123456789")
_DIGITS = frozenset(bytes([c]) for c in b"0123456789")


def floats_as_python(text: bytes) -> bool:
    """Whether orjson's ``text`` writes its floats as the standard library would: a text that
    may not is written by the standard library instead, so a golden or a stored value is the
    same text whether orjson is installed or not. orjson writes otherwise a float below 1e-4 in
    decimal notation (``0.000025`` for ``2.5e-05``) and an exponent of one digit (``3e-6`` for
    ``3e-06``): their places are found by ``bytes.find`` (a regex tried at every position took
    7 ms of a 330 KB golden), each checked to be a number where a value starts. The same
    characters in a string after a value's context (``": 3e-6"`` in a message) count too,
    harmlessly (the text is then written the slower way); a uuid's ``9e-4`` does not."""
    at = text.find(b"0.0000")
    while at != -1:
        if _number_before(text, at) in (b"", b"-"):
            return False
        at = text.find(b"0.0000", at + 1)
    at = text.find(b"e-")
    while at != -1:
        if text[at + 2 : at + 3] in _ONE_TO_NINE and text[at + 3 : at + 4] not in _DIGITS:
            mantissa = _number_before(text, at)
            if mantissa and mantissa.strip(b"-"):
                return False
        at = text.find(b"e-", at + 1)
    return True


def _number_before(text: bytes, at: int) -> bytes | None:
    """The number's text just before ``at`` (``b""``: none) when it starts where a value starts,
    else ``None`` (inside a word: a uuid's ``c39`` before ``e-4``)."""
    begin = at
    while begin and text[begin - 1] in _NUMBER:
        begin -= 1
    if begin and text[begin - 1] not in _VALUE_STARTS:
        return None
    return text[begin:at]
