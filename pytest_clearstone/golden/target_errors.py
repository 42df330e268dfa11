"""Why a mock target's import path is refused when it is resolved, with the fix: a name its
object lacks (and the closest name it has: a typo), a function defined inside another
(``<locals>``), a path through a property (its value is made for each instance), a property of
a class given as the target; for a path into a known SDK, the method it names (or the closest
one) on the class of the client's resource, or the SDK's chat method.

Imported when a path is refused (and by the hints of a recording's answers that name the SDK
method): a passing replay does not load it.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
import sys
from types import ModuleType
from typing import Any

from ..callables import held_functions
from ..errors import MockTargetError

#: the SDKs' chat methods, (sync, async), by top-level package: a path written as the agent
#: calls a client (``openai.OpenAI.chat.completions.create``) goes through the per-client
#: resources, which the class only holds as cached properties
SDK_METHODS = {
    "openai": (
        "openai.resources.chat.completions.Completions.create",
        "openai.resources.chat.completions.AsyncCompletions.create",
    ),
    "anthropic": (
        "anthropic.resources.messages.Messages.create",
        "anthropic.resources.messages.AsyncMessages.create",
    ),
}

#: the SDK method each pydantic-ai model sends its requests through (its streamed ones too),
#: by the model's class: not always the SDK's chat method (``AnthropicModel`` calls
#: ``client.beta.messages.create``, ``OpenAIResponsesModel`` ``client.responses.create``)
PYDANTIC_AI_SDK_METHODS = {
    "AnthropicModel": "anthropic.resources.beta.messages.AsyncMessages.create",
    "OpenAIResponsesModel": "openai.resources.responses.AsyncResponses.create",
    "OpenAIChatModel": "openai.resources.chat.completions.AsyncCompletions.create",
}


def no_attribute(
    path: str, parts: list[str], i: int, owner: Any, *, typed: bool = False
) -> MockTargetError:
    """The error for ``path`` whose object ``owner`` at ``parts[:i]`` lacks ``parts[i]``
    (``typed``: the message names the owner's type).

    Read on a class, a property (or cached property) is the descriptor itself: its value is made
    for each instance, so the path cannot go on through it; the message says so, with the
    SDK's method when the path is one of a known SDK's."""
    where = ".".join(parts[:i])
    if inspect.ismodule(owner) and i == len(parts) - 1:  # a submodule no one imported yet
        try:
            return not_callable(path, importlib.import_module(f"{owner.__name__}.{parts[i]}"))
        except Exception:  # (none of that name, or it fails to import: the attribute is missing)
            pass
    if parts[i] == "<locals>" and callable(owner):  # a path copied from a __qualname__
        nested = ".".join(parts[: i + 2])
        return MockTargetError(
            path,
            f"{nested!r} is defined inside the function {where!r}, which makes it anew on each "
            "call: no import path reaches it",
            fix="Mock a module-level function that it calls (or that calls it), or define it "
            "at module level and mock that path",
        )
    if not isinstance(owner, (property, functools.cached_property)):
        kind = f"{type(owner).__name__} " if typed else ""
        reason = f"{kind}{where!r} has no attribute {parts[i]!r}"
        send = _sdk_http_client_send(owner, parts[i])
        if send is not None:
            return MockTargetError(
                path,
                f"{reason}: {where}.{parts[i]} is the HTTP client that each {where} makes "
                "(or is given as http_client=), set on the instance, so no import path goes "
                "through it",
                fix=f"Mock the method of its class instead: mock {send!r}",
            )
        moved = _moved_in_sdk(parts)
        meant = closest_name(owner, parts[i]) if moved is None else None
        if meant is not None:  # (a typo: ``Completions.craete``)
            reason += f" (did you mean {meant!r}?)"
            last = i == len(parts) - 1  # (else the path may go on through what is no module)
            fix = f"Mock {'.'.join([*parts[:i], meant])!r}" if last else ""
            return MockTargetError(path, reason, fix=fix)
        if moved is None:
            return MockTargetError(path, reason)
        fix = f"The installed {parts[0]} has this method at {moved!r}: mock that path"
        return MockTargetError(path, reason, fix=fix)
    reason = (
        f"{where!r} is a {type(owner).__name__}: its value is made for each instance, so an "
        "import path cannot go on through it; give the method on the class of that value"
    )
    return MockTargetError(path, reason + _sdk_method(parts))


def _sdk_http_client_send(owner: Any, name: str) -> str | None:
    """For ``name`` ``"_client"`` of an SDK client class ``owner`` (``openai.OpenAI``, or an
    agent's own subclass of it), the ``send`` of the HTTP client class that attribute holds on
    each instance (``"httpx2.Client.send"``, ``httpx2.AsyncClient.send`` for an async client);
    else ``None``."""
    if name != "_client" or not isinstance(owner, type):
        return None
    from ..codec.clients import client_base, http_send_of  # (imported when a path is refused)

    base_client = client_base(owner)
    if base_client is None:
        return None
    sdk, _, client_name = base_client.partition(":")
    return http_send_of(sdk.partition(".")[0], client_name.startswith("Async"))


def _moved_in_sdk(parts: list[str]) -> str | None:
    """For a path into a known SDK that does not resolve, the path of the same class and
    method one package level less in the installed SDK (a path from another version's docs:
    openai 1.x's ``openai.resources.beta.chat.completions.Completions.parse`` is
    ``openai.resources.chat.completions.Completions.parse`` in 3.x); ``None`` when there is
    none."""
    if parts[0] not in SDK_METHODS:
        return None
    for i in range(1, len(parts) - 2):  # (the class and the method are kept)
        candidate = parts[:i] + parts[i + 1 :]
        if _is_function_at(candidate):
            return ".".join(candidate)
    return None


def _is_function_at(parts: list[str]) -> bool:
    """Whether the dotted path ``parts`` (a module, then attributes) names a function."""
    for end in range(len(parts) - 1, 0, -1):
        try:
            obj: Any = importlib.import_module(".".join(parts[:end]))
        except Exception:  # (not a module, or one that fails to import)
            continue
        for name in parts[end:]:
            obj = getattr(obj, name, None)
        return inspect.isfunction(obj)
    return False


def no_module(path: str, parts: list[str]) -> MockTargetError:
    """The error for ``path``, no prefix of which can be imported. A module loaded under a
    longer name that ends in its first part and holds the rest of the path is named, with the
    path to mock: pytest's ``--import-mode=importlib`` imports a test module under a name made
    from its path from the rootdir (``agents.test_x``), not under its file's stem."""
    reason = f"no module {parts[0]!r} can be imported"
    suffix = "." + parts[0]
    loaded = sorted(
        name
        for name, module in list(sys.modules.items())  # (a copy: a thread may import meanwhile)
        if name.endswith(suffix) and isinstance(module, ModuleType) and _holds(module, parts[1:])
    )
    if not loaded:
        return MockTargetError(path, reason)
    rest = path[len(parts[0]) :]
    return MockTargetError(
        path,
        reason,
        fix=f"A module named {parts[0]!r} is loaded as {' or '.join(map(repr, loaded))} "
        "(pytest's --import-mode=importlib names a test module after its path from the "
        f"rootdir): mock {' or '.join(repr(name + rest) for name in loaded)}",
    )


def _holds(owner: Any, names: list[str]) -> bool:
    """Whether ``owner`` holds the attributes ``names`` one inside the other (read without
    running code: no property, no module ``__getattr__``)."""
    for name in names:
        try:
            owner = inspect.getattr_static(owner, name)
        except AttributeError:
            return False
    return True


def not_callable(path: str, value: Any) -> MockTargetError:
    """The error for ``path``, whose object ``value`` cannot be called: for a module holding a
    function of its own name (``tools/search.py`` defining ``search``, given as
    ``tools.search``), or a LangChain tool made of one (``@tool``), the path of that."""
    reason = f"it is a {type(value).__name__}, not a callable"
    name = path.rpartition(".")[2]
    held = getattr(value, name, None) if inspect.ismodule(value) else None
    if inspect.isroutine(held) or held_functions(held):
        kind = "function" if inspect.isroutine(held) else type(held).__name__
        fix = (
            f"Give the {kind} in it: '{path}.{name}', or the import path where the agent "
            "looks the function up"
        )
        return MockTargetError(path, reason, fix=fix)
    return MockTargetError(path, reason)


def per_instance_value(path: str, parts: list[str], owner: type, value: Any) -> MockTargetError:
    """The error for ``path``, a property (or cached property) of the class ``owner``: patched,
    every instance would get the stand-in function instead of the value the property makes
    (``client.chat.completions.with_raw_response.create`` failing with an AttributeError)."""
    reason = (
        f"it is a {type(value).__name__}: its value is made for each instance, and patching it "
        "would replace that value; give the method the agent calls on that value"
    )
    create = getattr(owner, "create", None)
    if inspect.isfunction(create) and parts[0] in SDK_METHODS:  # a resource's raw-response view
        return MockTargetError(path, f"{reason}, for this SDK {'.'.join(parts[:-1]) + '.create'!r}")
    return MockTargetError(path, reason + _sdk_method(parts))


def _sdk_method(parts: list[str]) -> str:
    """``", for this SDK '<method>'"`` when the path ``parts`` is in a known SDK: the method the
    path names on the class of the client's resource (:func:`resource_method`), or the one
    closest to that name it has (a typo: ``openai.OpenAI.chat.completions.craete``), else the
    SDK's chat method (the async one when the path names an ``Async`` class); ``""`` for
    another package."""
    methods = SDK_METHODS.get(parts[0])
    if methods is None:
        return ""
    found = resource_method(parts)
    if found is None:
        found = resource_method(parts, closest=True)
        if found is not None:
            meant = found.rpartition(".")[2]
            return (
                f", for this SDK {found!r} (its class has no method {parts[-1]!r}: did you "
                f"mean {meant!r}?)"
            )
    is_async = any(part.startswith("Async") for part in parts)
    return f", for this SDK {found or methods[is_async]!r}"


def closest_name(owner: Any, name: str) -> str | None:
    """The attribute of ``owner`` whose name is closest to ``name``, a name it lacks (a typo:
    ``craete`` for ``create``), or ``None``: none is close. Private names only for a private
    ``name``. A close name of the same letters in another order comes first (``dumsp`` is
    ``dumps``, not ``dump``, which difflib ranks closer)."""
    import difflib  # (only when a path is refused)

    try:
        names = [n for n in dir(owner) if not n.startswith("_") or name.startswith("_")]
    except Exception:  # (a __dir__ of its own that fails)
        return None
    found = difflib.get_close_matches(name, names, n=3, cutoff=0.8)
    letters = sorted(name)
    swapped = [n for n in found if sorted(n) == letters]
    return (swapped or found)[0] if found else None


#: a resource's views returning its raw or streamed HTTP response: their methods (made for each
#: resource) call the resource's method of the same name, the one to mock
RESPONSE_VIEWS = frozenset({"with_raw_response", "with_streaming_response"})


def resource_method(parts: list[str], *, closest: bool = False) -> str | None:
    """For a path into a known SDK written as the agent calls a client
    (``openai.OpenAI.responses.create``), the path of that method on the class of the resource
    the client makes for each instance (``openai.resources.responses.Responses.create``), each
    property followed to the class its return annotation names; a path ending at a resource
    (``openai.OpenAI.responses``) gets that class's ``create``; a path through a resource's
    :data:`RESPONSE_VIEWS` (``openai.OpenAI.embeddings.with_raw_response.create``) names the
    resource's method. ``None`` when a step is not found or the resource has no such method
    (``closest``: its method closest to the path's last name, :func:`closest_name`, if any)."""
    obj: Any = None
    start = len(parts)
    while start > 0 and obj is None:
        try:
            obj = importlib.import_module(".".join(parts[:start]))
        except Exception:  # (not a module, or one that fails to import)
            start -= 1
    names = parts[start:]
    if obj is None or not names:
        return None
    owner = obj
    for i, name in enumerate(names):
        if name in RESPONSE_VIEWS and isinstance(obj, type):
            continue  # (its methods call the resource's: client.embeddings.with_raw_response)
        owner = obj
        obj = inspect.getattr_static(obj, name, None)
        if obj is None and closest and i == len(names) - 1 and isinstance(owner, type):
            meant = closest_name(owner, name)  # (a typo in the method's name)
            if meant is not None:
                names = [*names[:i], meant]
                obj = inspect.getattr_static(owner, meant, None)
        if isinstance(obj, (property, functools.cached_property)):
            obj = _value_class(obj, parts[0])
    if isinstance(obj, type):  # the resource itself: its create
        owner, obj, names = obj, inspect.getattr_static(obj, "create", None), [*names, "create"]
    if not (isinstance(owner, type) and inspect.isfunction(obj)):
        return None
    return f"{_sdk_module(owner)}.{owner.__qualname__}.{names[-1]}"


def _value_class(prop: property | functools.cached_property[Any], sdk: str) -> type | None:
    """The class a property of an SDK class returns, by its return annotation: a name in the
    property's module, or in the SDK's ``resources`` package's module of that name
    (``Responses`` in ``openai.resources.responses``, imported there only when used)."""
    func = prop.func if isinstance(prop, functools.cached_property) else prop.fget
    annotation = getattr(func, "__annotations__", {}).get("return")
    if isinstance(annotation, type) or not isinstance(annotation, str):
        return annotation if isinstance(annotation, type) else None
    found = getattr(func, "__globals__", {}).get(annotation)
    if not isinstance(found, type):
        snake = re.sub(r"(?<!^)(?=[A-Z])", "_", annotation.removeprefix("Async")).lower()
        try:
            found = getattr(importlib.import_module(f"{sdk}.resources.{snake}"), annotation, None)
        except Exception:  # (no module of that name)
            return None
    return found if isinstance(found, type) else None


def _sdk_module(cls: type) -> str:
    """The module path users write for an SDK class: its package when the module repeats the
    package's name and the package exports the class (``openai.resources.responses`` for
    ``openai.resources.responses.responses``), else its module."""
    package, _, last = cls.__module__.rpartition(".")
    exported = getattr(sys.modules.get(package), cls.__name__, None) is cls
    if package.rpartition(".")[2] == last and exported:
        return package
    return cls.__module__
