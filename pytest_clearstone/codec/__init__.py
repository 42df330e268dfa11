"""The value codec shared by the trace store and checkpoint files.

``encode`` turns a Python value into a JSON-compatible tree; ``decode`` turns such a tree back.
JSON values pass through untouched; other values become *tagged* objects (see
:mod:`pytest_clearstone.codec.tags` for the tags). ``loads``/``loads_document``/``dumps`` parse
and write JSON text, decoding tags while parsing.
"""

from __future__ import annotations

from .tags import (
    TAG,
    Encoder,
    StoredRepr,
    UnencodableValueWarning,
    decode,
    dumps,
    encode,
    loads,
    loads_document,
    tag_index,
    text_has_pickle,
)

__all__ = [
    "TAG",
    "Encoder",
    "StoredRepr",
    "UnencodableValueWarning",
    "decode",
    "dumps",
    "encode",
    "loads",
    "loads_document",
    "tag_index",
    "text_has_pickle",
]
