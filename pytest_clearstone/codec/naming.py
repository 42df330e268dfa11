"""How the codec names things: the tag key, class paths (``module:QualName``), and the class
paths of a type's bases, which is how library types are recognised without importing their
libraries.
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Callable, Collection
from types import FunctionType
from typing import Any, TypeVar

from ..errors import DecodeError, StoredClassError

TAG = "__cs__"

#: The tags of HTTP requests and responses (:mod:`.http`).
MESSAGE_TAGS = frozenset({"http_request", "http_response"})
#: The tags of SDK clients and resources, stored as references to them (:mod:`.clients`): a
#: class and non-secret settings. (A tuple: a stored tag may be any JSON value, an unhashable
#: list included.)
REFERENCE_TAGS = ("sdk_client", "sdk_resource")

_R = TypeVar("_R")
_CACHE_LIMIT = 4096


#: the key of a LangChain model's ``metadata`` where langchain-core notes the installed releases
#: of langchain-core, langchain and the partner package (``{"langchain-core": "1.8.3", ...}``)
#: for its tracers: never sent to the model, and changed by each of their releases
LANGCHAIN_VERSIONS = "lc_versions"


def per_type(fn: Callable[[type], _R]) -> Callable[[type], _R]:
    """Memoise ``fn(t)`` per class: what the codec derives from a class's name and bases does
    not change. Bounded: dynamically made classes must not grow it forever."""
    cache: dict[type, _R] = {}

    @functools.wraps(fn)
    def cached(t: type) -> _R:
        try:
            return cache[t]
        except KeyError:
            pass
        found = cache[t] = fn(t)
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        return found

    return cached


def other_attributes(
    state: dict[str, Any] | None, t: type, names: Collection[str]
) -> dict[str, Any]:
    """The items of an instance's ``__dict__`` (``state``; ``None``: it has none) that are not
    among the class's field ``names`` (``t``): what its ``__post_init__`` or ``__attrs_post_init__``
    set, openai's ``_request_id``. Not the cached values of the class's
    ``functools.cached_property``s (derived data, filled in by whatever code touched them:
    langchain-core's ``BaseChatModel._serialized``): they are computed again when read."""
    if not state:
        return {}
    return {
        k: x
        for k, x in state.items()
        if k not in names and not isinstance(getattr(t, k, None), functools.cached_property)
    }


@per_type
def class_path(cls: type) -> str:
    """``module:QualName`` of a class, the form the ``cls`` field of a tag holds: its own
    package's, not another library's that relabelled it (:func:`home_module`), and a public
    module's, not the private one it is written in (:func:`public_module`)."""
    return f"{public_module(cls, home_module(cls))}:{cls.__qualname__}"


def public_module(cls: type, module: str, name: str = "") -> str:
    """``module``, the module ``cls`` is found in, or, when a part of its name is private
    (``mcp_types._types``, ``anthropic.lib.vertex._client``), the nearest package above the
    private part that exports ``cls`` under its name (``mcp_types``): private modules move
    between releases, the name a package exports stays. Nearest first: the first package that
    holds the name decides; when it holds another object under it, ``module`` itself. Only
    imported packages' own attributes are read (a package holds the modules under it; no
    module ``__getattr__`` runs), so the name does not depend on what the run imported.
    ``name``: the name ``cls`` is found under, when not its ``__qualname__``."""
    parts = module.split(".")
    private = next((i for i, part in enumerate(parts) if part.startswith("_")), None)
    if private is None:
        return module
    for end in range(private, 0, -1):
        package = ".".join(parts[:end])
        held = _attribute_path(sys.modules.get(package), name or cls.__qualname__)
        if held is not _ABSENT:
            return package if held is cls else module
    return module


#: what :func:`_attribute_path` finds where a module does not hold the first name
_ABSENT: Any = object()


def _attribute_path(module: Any, qualname: str) -> Any:
    """The object at ``qualname`` (``Outer.Inner``) in ``module``'s and its classes' own
    namespaces (no attribute lookup: nothing of theirs runs), ``None`` where a part is missing,
    :data:`_ABSENT` where the module does not hold the first part."""
    namespace = getattr(module, "__dict__", None)
    first, *rest = qualname.split(".")
    if type(namespace) is not dict or first not in namespace:
        return _ABSENT
    obj: Any = namespace[first]
    for part in rest:
        inner = getattr(obj, "__dict__", None) if isinstance(obj, type) else None
        obj = inner.get(part) if inner is not None else None
    return obj


def names_class(path: Any, cls: type) -> bool:
    """Whether the stored class path ``path`` names ``cls``: its :func:`class_path`, or
    another path to it in the imported modules (a golden recorded when it was named by the
    private module it is written in, :func:`public_module`). Nothing is imported."""
    if path == class_path(cls):
        return True
    return type(path) is str and loaded_path(path) is cls


def loaded_path(path: str) -> Any:
    """The object ``module:QualName`` names in the imported modules (the module's and its
    classes' own namespaces: nothing runs), or ``None``; nothing is imported."""
    module_name, sep, qualname = path.partition(":")
    found = _attribute_path(sys.modules.get(module_name), qualname) if sep else None
    return None if found is _ABSENT else found


def path_now(path: Any) -> Any:
    """The class path the class a stored ``path`` names is stored under now, where that class
    is imported and is named otherwise (a golden recorded when classes were named by the
    private module they are written in): ``path`` itself otherwise. Nothing is imported."""
    if type(path) is not str or "._" not in path.partition(":")[0]:
        return path
    found = loaded_path(path)
    now = class_path(found) if isinstance(found, type) else path
    return path if now == path else now


def home_module(cls: type) -> str:
    """``cls.__module__``, unless another package relabelled the class as its own: the openai
    and anthropic SDKs set ``__module__`` of what they re-export to ``"openai"`` /
    ``"anthropic"``, ``httpx2.Timeout`` included, so its name would depend on which SDK the
    process imported last. Then the module its methods were written in (through the top-level
    package when that exports it: ``httpx2``), where the class is found under its name."""
    label = cls.__module__
    qualname = cls.__qualname__
    for value in list(vars(cls).values()):
        if type(value) in (staticmethod, classmethod):
            value = value.__func__
        if type(value) is FunctionType:  # (no other attribute read: a descriptor may run code)
            home = value.__globals__.get("__name__")
            if isinstance(home, str):
                break
    else:
        return label
    top = home.partition(".")[0]
    if top == label.partition(".")[0] and (
        home == label or _attribute_path(sys.modules.get(label), qualname) is cls
    ):
        # (relabelled by its own package, which may export it under another name:
        # openai.DefaultHttpxClient is the _DefaultHttpxClient of openai._base_client)
        return label
    for candidate in (top, home):
        obj: Any = sys.modules.get(candidate)
        for part in qualname.split("."):
            obj = getattr(obj, part, None)
        if obj is cls:
            return candidate
    return label


def reachable_name(cls: type) -> str:
    """The name under which ``cls`` is found in its module: its ``__qualname__``, unless the
    class renamed itself (pydantic-ai's private ``_HTTPModelRateLimitError`` calls itself
    ``ModelRateLimitError``, a public base); then the module attribute that is ``cls``."""
    return _reachable_name(cls)


@functools.lru_cache(maxsize=512)
def _reachable_name(cls: Any) -> str:
    module = sys.modules.get(cls.__module__)
    obj: Any = module
    for part in cls.__qualname__.split("."):
        obj = getattr(obj, part, None)
    qualname = str(cls.__qualname__)
    if obj is cls or module is None:
        return qualname
    for name, value in list(vars(module).items()):
        if value is cls:
            return name
    return qualname


@per_type
def findable_path(cls: type) -> str:
    """``module:name`` of a :func:`findable` class: its :func:`reachable_name`, in the package
    exporting it when its module is private (:func:`public_module`)."""
    name = reachable_name(cls)
    return f"{public_module(cls, cls.__module__, name)}:{name}"


def findable(cls: type) -> bool:
    """Whether importing ``cls``'s module and looking up :func:`reachable_name` there gives
    ``cls`` back (not a class a library built at run time and named after a function, such as
    LangChain's tool argument schemas, ``langchain_core.utils.pydantic:search_recipes``)."""
    module = sys.modules.get(cls.__module__)
    obj: Any = module
    for part in reachable_name(cls).split("."):
        obj = getattr(obj, part, None)
    return obj is cls


def dotted_path(path: str) -> str:
    """``module.QualName`` for either spelling of a class path (``module:QualName`` too)."""
    return path.replace(":", ".")


@per_type
def found_again(cls: type) -> bool:
    """Whether a value of ``cls`` can be rebuilt from its class path: :func:`is_importable` and
    :func:`findable` (not a class a library made at run time, ``dataclasses.make_dataclass``'s
    of fastmcp's structured tool results: memoised, asked of every dataclass encoded)."""
    return is_importable(cls) and findable(cls)


def is_importable(cls: type) -> bool:
    """Whether ``cls`` can be found again by its class path (not local, not in ``__main__``)."""
    return (
        "<locals>" not in cls.__qualname__
        and "[" not in cls.__qualname__  # a parametrised generic's name is not an attribute
        and cls.__module__ != "__main__"
    )


@per_type
def importable_path(cls: type) -> str | None:
    """:func:`class_path` of ``cls`` when :func:`is_importable`, else ``None`` (memoised: a
    replayed SDK call compares its client's and resource's classes at every call)."""
    return class_path(cls) if is_importable(cls) else None


@per_type
def mro_paths(cls: type) -> tuple[str, ...]:
    """The class paths of ``cls`` and its bases, nearest first."""
    return tuple(class_path(base) for base in cls.__mro__)


def loaded_class(type_name: str) -> type | None:
    """The class a stored type name names (``numpy.float64``, module and qualified name as
    :func:`~pytest_clearstone.errors.describe` writes them) in a module imported now (the value
    was made in this run: its module is), else ``None``; nothing is imported."""
    parts = type_name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        found: Any = sys.modules.get(".".join(parts[:i]))
        if found is not None:
            for name in parts[i:]:
                found = getattr(found, name, None)
            return found if isinstance(found, type) else None
    return None


def made_at_run_time(type_name: str, cls: type | None = None) -> bool:
    """Whether a value's type name (as :func:`loaded_class` reads it) names a class its module,
    imported now, does not hold under that name, though the value was made in this run: a class
    made at run time (``dataclasses.make_dataclass``, ``type(...)``), not one defined inside a
    function (``<locals>``: said otherwise), nor ``cls`` (the class itself, when known) held by
    its module under another name (``_thread.lock``, which ``_thread`` holds as ``LockType``);
    without ``cls``, none of a builtin or compiled module. Nothing is imported."""
    if "<locals>" in type_name:
        return False
    parts = type_name.split(".")
    for i in range(len(parts) - 1, 0, -1):
        module = sys.modules.get(".".join(parts[:i]))
        if module is not None:
            if loaded_class(type_name) is not None:
                return False
            if cls is None:  # (by the module: a builtin or compiled one makes no such class)
                return str(getattr(module, "__file__", "")).endswith(".py")
            return not any(value is cls for value in vars(module).values())
    return False


def is_mock_double(t: type) -> bool:
    """Whether ``t`` is the class of a ``unittest.mock`` double (``Mock``, ``MagicMock``,
    ``AsyncMock``, their ``NonCallable`` twins; pytest-mock's ``mocker.MagicMock`` is the same
    class). Told by its bases, not ``issubclass``: a double with a ``spec`` claims the spec's
    class, and ``unittest.mock`` need not be imported to ask."""
    return any(
        k.__name__ == "NonCallableMock" and k.__module__ == "unittest.mock" for k in t.__mro__
    )


def is_std_array(t: type) -> bool:
    """Whether ``t`` is the standard library's ``array.array`` (looked at without importing
    ``array``: a value of it means it is loaded)."""
    return t.__name__ == "array" and t.__module__ == "array"


#: why a stored class's module that is a package's ``__main__`` is not imported
SCRIPT = "{!r} is a script (run, not imported), not a module a value's class was recorded from"


def is_script(module_name: str) -> bool:
    """Whether the module ``module_name`` is a package's ``__main__``: a script, which importing
    runs (``venv.__main__``: venv's command line, with the test run's arguments), never the
    module a stored value's class comes from (a script's classes are ``__main__``'s)."""
    return module_name.rpartition(".")[2] == "__main__"


def import_class(path: str) -> Any:
    """The object named by ``module:QualName``; :class:`DecodeError` naming the path when it
    cannot be imported.

    A module-level name found before is looked up again only to check that its module and the
    module's attribute are still the ones found (a golden names its classes in every value)."""
    found = _found.get(path) if type(path) is str else None
    if found is not None:
        in_module, held, name, named = found
        if sys.modules.get(in_module) is held and getattr(held, name, None) is named:
            return named
    module_name, sep, qualname = path.partition(":") if isinstance(path, str) else ("", "", "")
    if not sep or not module_name or not qualname or module_name.startswith("."):
        # (a relative module, hand-edited: importlib would ask for the package it is relative to)
        raise DecodeError(f"bad class path {path!r} in a stored value: expected 'module:QualName'")
    if module_name not in sys.modules and is_script(module_name):
        script = SCRIPT.format(module_name)
        raise DecodeError(f"bad class path {path!r} in a stored value: {script}")
    try:
        obj: Any = sys.modules.get(module_name) or importlib.import_module(module_name)
        for part in qualname.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError, ValueError) as exc:
        raise StoredClassError(f"cannot import {path!r} to decode a value: {exc}", path) from None
    module = sys.modules.get(module_name)
    if "." not in qualname and module is not None:
        if len(_found) >= _CACHE_LIMIT:
            _found.clear()
        _found[path] = (module_name, module, qualname, obj)
    return obj


#: module-level names imported by :func:`import_class`: path -> (module name, module, name, obj)
_found: dict[str, tuple[str, Any, str, Any]] = {}


def import_type(path: str, what: str = "a class") -> type:
    """:func:`import_class`, checked to be a class."""
    obj = import_class(path)
    if not isinstance(obj, type):
        raise DecodeError(f"{path!r} is not {what} (it is a {type(obj).__name__})")
    return obj


def fields_changed(
    class_path: str, stored: Collection[str], fields: list[str], missing: Collection[str]
) -> StoredClassError:
    """The error for a stored value of the class ``class_path`` whose fields (``stored``) are not
    the class's (``fields``, in the order shown): both lists, then what differs, the stored
    fields the class lacks and the class's required ones not stored (``missing``), so that a
    class of a few dozen fields (a library's, of another release) need not be compared by eye."""
    lacks = sorted(set(stored) - set(fields))
    differs = ([f"the class lacks {lacks}"] if lacks else []) + (
        [f"the stored one lacks the required {sorted(missing)}"] if missing else []
    )
    return StoredClassError(
        f"the stored {class_path!r} has fields {sorted(stored)}, the class has {fields}: "
        + "; ".join(differs)
    )
