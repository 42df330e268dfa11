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

import sys
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ..errors import UnencodableValueWarning
from .naming import findable_path, reachable_name
from .registry import register, unregister, use_hooks
from .tags import (
    SELF_CONTAINED_TAGS,
    TAG,
    Encoder,
    StoredRepr,
    copy_tree,
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
from .withheld import PLACEHOLDER_KEY, with_placeholder_keys

if TYPE_CHECKING:
    from .compare import UNKNOWN as UNKNOWN
    from .compare import by_type_where_unreadable as by_type_where_unreadable
    from .compare import placeholders_kept as placeholders_kept
    from .compare import same_stored_form as same_stored_form
    from .compare import same_tree as same_tree
    from .http import REDACTED as REDACTED
    from .http import SECRET_HEADERS as SECRET_HEADERS
    from .library import class_paths as class_paths
    from .library import kind_of as kind_of

#: names of the modules for the client libraries' values, imported on first use: reading and
#: comparing plain JSON values never loads those modules
_LAZY = {
    "REDACTED": "http",
    "SECRET_HEADERS": "http",
    "class_paths": "library",
    "kind_of": "library",  # (a value of a type that is not JSON's)
    # (the comparison of stored forms, for a replay whose values == alone cannot decide)
    "UNKNOWN": "compare",
    "by_type_where_unreadable": "compare",
    "placeholders_kept": "compare",
    "same_stored_form": "compare",
    "same_tree": "compare",
}


def __dir__() -> list[str]:
    """The module's names with those exported on first use (:func:`__getattr__`)."""
    return sorted({*globals(), *__all__})


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value  # (once per copy of the module: see forget_previous_session)
    return value


def forget_previous_session() -> None:
    """Forget what an earlier pytest session of this process left in the codec; a session calls
    it when it starts. pytester's in-process runs drop the modules a run imported, and a later
    run imports them again: the codec's modules imported on first use (the client libraries'
    codec, the comparison) and the SDKs. The package would still hand out the first copies (its
    attributes, and the names :func:`__getattr__` took from them), whose clients rebuilt from
    goldens' references hold the SDK classes as the earlier session imported them: its
    attributes are set to the copies imported now (or dropped, to be imported again when
    needed), the names are looked up again, and the rebuilt clients of the copy still imported
    are forgotten (:func:`.clients.forget_rebuilt`)."""
    space = globals()
    for name, value in list(space.items()):
        if isinstance(value, ModuleType):  # a submodule: the copy imported now, if any
            if not value.__name__.startswith(f"{__name__}."):
                continue
            current = sys.modules.get(value.__name__)
            if current is None:
                del space[name]
            elif current is not value:
                space[name] = current
        elif name in _LAZY:  # a name taken from one: looked up again in the copy imported now
            source = sys.modules.get(f"{__name__}.{_LAZY[name]}")
            if getattr(source, name, None) is not value:
                del space[name]
    clients = sys.modules.get(f"{__name__}.clients")
    if clients is not None:
        clients.forget_rebuilt()


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
    "copy_tree",
    "decode",
    "dumps",
    "encode",
    "findable_path",
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
    "with_placeholder_keys",
]
