"""The ``.ckpt`` document layout, shared by checkpoints and their signatures.

A ``.ckpt`` file is one UTF-8 JSON document, indented by 2, its top-level fields sorted and every
value in the key order it had when recorded, so that a re-recorded golden of a deterministic
agent gives a reviewable ``git diff``. The fields are documented in
``docs/reference/checkpoint-format.md``.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ..codec.fast_json import orjson
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
            return _seen(str(orjson.dumps(top, option=orjson.OPT_INDENT_2).decode("utf-8")))
        except TypeError:  # integers wider than 64 bits, lone surrogates: the stdlib's way
            pass
    return _seen(utf8_text(json.dumps(top, indent=2, ensure_ascii=False)))


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
