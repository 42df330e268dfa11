"""Integers longer than Python converts to and from text (``sys.get_int_max_str_digits()``,
4,300 digits by default): the refusal to write a golden holding one (what a golden holding one
that cannot be read says is :func:`.files.too_long_to_read`).

Imported when one is met: a passing replay does not load it.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..codec.naming import TAG
from ..errors import SerializationError
from ..tracing.span import LONG_INTEGER_TEXT, long_integer_digits
from . import signing

#: Python's limit, and the way to lift it for recording and replay alike
_LIFT = (
    "sys.get_int_max_str_digits()): store it as text (str() or hex()), or lift the limit for "
    "recording and replay alike with sys.set_int_max_str_digits(0) in conftest.py"
)


def long_integer_refused(
    doc: dict[str, Any], advice: Callable[[Sequence[Any]], str]
) -> SerializationError | None:
    """The error for the first integer in ``doc`` longer than ``sys.get_int_max_str_digits()``
    allows to write as text (found iteratively: the document may be deep), with the ``advice``
    for its path; ``None`` when there is none."""
    stack: list[tuple[Any, list[Any]]] = [(doc, [])]
    while stack:
        node, path = stack.pop()
        digits = _long_digits(node)
        if digits:
            return SerializationError(
                signing.describe_location(doc, path), "int", too_long(digits), advice=advice(path)
            )
        if type(node) is dict:
            stack.extend((v, [*path, k]) for k, v in reversed(node.items()))
        elif type(node) is list:
            stack.extend((v, [*path, i]) for i, v in reversed(list(enumerate(node))))
    return None


def too_long(digits: int) -> str:
    """Why an integer of about ``digits`` digits cannot be recorded, and the fixes."""
    return (
        f"an integer of about {digits} digits, more than Python converts to text "
        f"({sys.get_int_max_str_digits()} digits, {_LIFT}"
    )


def long_integer_at(tree: Any, path: Sequence[Any]) -> int:
    """How many digits the value at ``path`` (keys and list positions) in an encoded ``tree``
    has, when it is an integer longer than Python converts to text or the trace store's
    placeholder of one; 0 otherwise."""
    node = tree
    for part in path:
        node = node[part]
    return _long_digits(node)


def _long_digits(node: Any) -> int:
    """How many digits ``node`` has, when it is an integer longer than Python converts to text
    or the trace store's placeholder of one (the golden's calls are read from the store); 0
    otherwise."""
    if type(node) is dict:
        text = node.get("v") if node.get(TAG) == "repr" and node.get("type") == "int" else None
        found = _PLACEHOLDER.fullmatch(text) if type(text) is str else None
        return int(found.group(1)) if found else 0
    return long_integer_digits(node)


_PLACEHOLDER = re.compile(re.escape(LONG_INTEGER_TEXT).replace(r"\{\}", r"(\d+)"))
