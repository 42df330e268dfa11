"""The ``.ckpt`` document layout, shared by checkpoints and their signatures.

A ``.ckpt`` file is one UTF-8 JSON document, indented by 2, its top-level fields sorted and every
value in the key order it had when recorded, so that a re-recorded golden of a deterministic
agent gives a reviewable ``git diff``. The fields are documented in
``docs/reference/checkpoint-format.md``.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
from typing import Any

from ..codec.fast_json import floats_as_python, orjson
from ..codec.tags import SIZE_FIELD, utf8_text

FORMAT_NAME = "pytest-clearstone-checkpoint"
FORMAT_VERSION = 1


def file_text(doc: dict[str, Any]) -> str:
    """The ``.ckpt`` layout of a document: indented JSON, top-level fields sorted.

    Values keep their key order: an agent that formats a recorded dict into a prompt must see
    it in the order it had when recorded, or the replay would diverge from the recording. Text
    is written as it is, except the characters a review cannot see (:data:`_UNSEEN`).
    """
    top = dict(sorted(doc.items()))
    if orjson is not None:
        try:
            raw = orjson.dumps(top, option=orjson.OPT_INDENT_2)
        except TypeError:  # integers wider than 64 bits, lone surrogates, deep: the stdlib's way
            pass
        else:
            text = str(raw.decode("utf-8"))
            # (a float orjson writes otherwise, 0.000025 for 2.5e-05: the stdlib's way, so the
            # file is the same text on a machine without orjson)
            if _TOO_INDENTED not in text and floats_as_python(raw):
                return _seen(text)
    return _seen(utf8_text(_indented(top)))


#: the levels of a document indented one per line: a value nested deeper is written on one
#: line (indenting every level would make a file quadratic in its depth: 199 MB for a state
#: of 48 KB nested 1,500 levels deep)
INDENTED_LEVELS = 100

#: the start of a line indented deeper than :data:`INDENTED_LEVELS` (JSON text has a line
#: break only before indentation: a string's are escaped)
_TOO_INDENTED = "\n" + "  " * (INDENTED_LEVELS + 1)


def _indented(top: dict[str, Any]) -> str:
    """``top`` as JSON text indented by 2 down to :data:`INDENTED_LEVELS` levels, each value
    at that level that holds more written on one line (as ``json.dumps`` writes it)."""
    deep: list[Any] = []
    cut = _cut(top, 0, deep)
    if not deep:
        return json.dumps(top, indent=2, ensure_ascii=False)
    texts = [json.dumps(value, ensure_ascii=False) for value in deep]
    # each deep value stands in the indented text as a string naming it; a name no text holds
    k = 0
    while True:
        name = f"\ue000clearstone-{k}-"
        text = json.dumps(_named(cut, name), indent=2, ensure_ascii=False)
        if text.count(name) == len(deep) and not any(name in t for t in texts):
            break
        k += 1
    marks = re.compile(re.escape(json.dumps(name, ensure_ascii=False)[:-1]) + r'(\d+)"')
    return marks.sub(lambda m: texts[int(m.group(1))], text)


class _Deep(int):
    """A place in a document cut by :func:`_cut`: the index of the value written there."""


def _cut(value: Any, level: int, deep: list[Any]) -> Any:
    """``value`` (at ``level``) with each non-empty dict or list at :data:`INDENTED_LEVELS`
    put in ``deep`` and replaced by its :class:`_Deep` index; ``value`` itself when it holds
    none."""
    t = type(value)
    if (t is dict or t is list) and value and level >= INDENTED_LEVELS:
        deep.append(value)
        return _Deep(len(deep) - 1)
    if t is dict:
        items = {k: _cut(v, level + 1, deep) for k, v in value.items()}
        return value if all(items[k] is v for k, v in value.items()) else items
    if t is list:
        out = [_cut(v, level + 1, deep) for v in value]
        return value if all(a is b for a, b in zip(out, value, strict=True)) else out
    return value


def _named(value: Any, name: str) -> Any:
    """``value`` cut by :func:`_cut`, each :class:`_Deep` index made a string: ``name`` and
    the index."""
    t = type(value)
    if t is _Deep:
        return f"{name}{int(value)}"
    if t is dict:
        return {k: _named(v, name) for k, v in value.items()}
    if t is list:
        return [_named(v, name) for v in value]
    return value


#: the line and paragraph separators (U+2028, U+2029: line breaks to Python's ``splitlines``
#: and to editors, which offer to remove them) and the bidirectional embedding, override and
#: isolate controls (U+202A-U+202E, U+2066-U+2069: they show the text after them reordered),
#: which JSON text may hold as they are (only inside strings) and a review of the file cannot
#: see: written as their JSON escapes (``\u2028``), which read back as the same text
_UNSEEN = re.compile("[\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _seen(text: str) -> str:
    if text.isascii() or _UNSEEN.search(text) is None:
        return text
    return _UNSEEN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def with_size(text: str) -> str:
    """``text`` (made by :func:`file_text` with :data:`~pytest_clearstone.codec.tags.SIZE_FIELD`
    set to ``0``) with that field set to the length in bytes of the result as UTF-8: the
    field's own digits count, so the number of digits ``d`` is the one that fits it."""
    zero = f'\n  "{SIZE_FIELD}": 0,'  # a top-level line: the only one indented by 2 spaces
    base = len(text.encode("utf-8")) - 1
    digits = 1
    while len(str(base + digits)) != digits:
        digits += 1
    return text.replace(zero, f'\n  "{SIZE_FIELD}": {base + digits},', 1)


def timestamp_in_range(timestamp: _dt.datetime) -> bool:
    """Whether the instant of the aware ``timestamp`` is one a ``datetime`` holds in UTC (a
    golden's timestamp edited to ``9999-12-31T23:59:59-14:00`` is in the year 10000 there):
    the clock of a replay or a recording is set to it."""
    try:
        timestamp.astimezone(_dt.timezone.utc)
    except OverflowError:
        return False
    return True
