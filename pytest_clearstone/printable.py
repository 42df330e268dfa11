"""Text from a file as it may reach a terminal: control characters escaped.

A golden, a trace store or a recorded value can hold any text; printed as it is, an escape
sequence in it could recolour, erase or retitle what the terminal (or a CI log) shows.
"""

from __future__ import annotations

import re

__all__ = ["printable", "printable_line"]

# C0 and C1 control characters, DEL, the bidirectional overrides that reorder what a terminal
# shows (CVE-2021-42574) and the line and paragraph separators: a file can drive a terminal
# through any of them (or break a line where the text has none); and lone surrogates (a file
# name that is not UTF-8, as os.fsdecode gives it), which no UTF-8 stream can write. Compiled
# when first used (by ``re``'s cache): compiling it costs more than importing the rest of this
# module, and a passing run prints no file's text
_CONTROL_CHARS = (
    "\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2028\u2029\u2066-\u2069\ud800-\udfff"
)
_CONTROL = f"[{_CONTROL_CHARS}]"
_CONTROL_BUT_TAB = f"(?!\t){_CONTROL}"
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    if char in _NAMED:
        return _NAMED[char]
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: object) -> str:
    """``str(text)`` with control characters escaped (``\\x1b``, ``\\n``, ``\\u202e``): text from
    a file never reaches the terminal as escape sequences or line breaks."""
    return re.sub(_CONTROL, _escape_one, str(text))


def printable_line(text: str) -> str:
    """:func:`printable`, but a tab kept as it is: a line of a text shown as a line (a text
    diff's), whose tabs a terminal shows as the text's author saw them."""
    return re.sub(_CONTROL_BUT_TAB, _escape_one, text)
