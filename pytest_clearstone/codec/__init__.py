"""The value codec shared by the trace store and checkpoint files.

``encode`` turns a Python value into a JSON-compatible tree; ``decode`` turns such a tree back.
JSON values pass through untouched; other values become *tagged* objects (see
:mod:`pytest_clearstone.codec.tags` for the tags). ``loads``/``loads_document``/``dumps`` parse
and write JSON text, decoding tags while parsing.

Values of client libraries — pydantic models, attrs classes, named tuples, ``httpx`` requests
and responses, SDK clients and resources, the libraries' dict subclasses (openai's
``pydantic_function_tool`` definitions) — are stored readably
(:mod:`pytest_clearstone.codec.library`), recognised without importing those libraries.
:func:`register` teaches the codec other types; :func:`use_hooks` installs the pytest plugin's
``pytest_clearstone_encode``/``pytest_clearstone_decode`` hooks.
"""

from __future__ import annotations

from ..errors import UnencodableValueWarning
from .clients import PLACEHOLDER_KEY
from .compare import same_stored_form
from .http import REDACTED, SECRET_HEADERS
from .library import class_paths
from .naming import reachable_name
from .registry import register, unregister, use_hooks
from .tags import (
    SELF_CONTAINED_TAGS,
    TAG,
    Encoder,
    StoredRepr,
    decode,
    dumps,
    encode,
    holds_tag,
    loads,
    loads_document,
    stored_as_reference,
    tag_index,
    text_has_pickle,
)

__all__ = [
    "PLACEHOLDER_KEY",
    "REDACTED",
    "SECRET_HEADERS",
    "SELF_CONTAINED_TAGS",
    "TAG",
    "Encoder",
    "StoredRepr",
    "UnencodableValueWarning",
    "class_paths",
    "decode",
    "dumps",
    "encode",
    "holds_tag",
    "loads",
    "loads_document",
    "reachable_name",
    "register",
    "same_stored_form",
    "stored_as_reference",
    "tag_index",
    "text_has_pickle",
    "unregister",
    "use_hooks",
]
