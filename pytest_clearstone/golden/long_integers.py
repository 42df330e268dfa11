"""Integers longer than Python converts to and from text (``sys.get_int_max_str_digits()``,
4,300 digits by default): the refusal to write a golden holding one (what a golden holding one
that cannot be read says is :func:`.files.too_long_to_read`).

Imported when one is met: a passing replay does not load it.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable, Sequence
from typing import Any

from ..errors import SerializationError
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
        if type(node) is dict:
            stack.extend((v, [*path, k]) for k, v in reversed(node.items()))
        elif type(node) is list:
            stack.extend((v, [*path, i]) for i, v in reversed(list(enumerate(node))))
        elif isinstance(node, int) and not isinstance(node, bool):
            try:
                str(node)
            except ValueError:
                digits = math.floor(math.log10(abs(node))) + 1
                return SerializationError(
                    signing.describe_location(doc, path),
                    "int",
                    f"an integer of about {digits} digits, more than Python converts to text "
                    f"({sys.get_int_max_str_digits()} digits, {_LIFT}",
                    advice=advice(path),
                )
    return None
