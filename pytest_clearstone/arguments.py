"""How a call's arguments are recorded and compared: by parameter name, as the caller gave them.

Recording, replaying and the tracer's ``traced`` bind a call with the same :class:`Binder`, so a
recorded call and its replay always name their arguments the same way. Arguments the caller did
not give are left out: a parameter whose value *is* its signature default, and the client
libraries' "not given" sentinels (openai/anthropic ``NOT_GIVEN``/``omit``, ~35 per SDK call).
A method's ``self`` is recorded by its settings (:func:`settings_of`) when it has any, and a
path given to an SDK's upload parameter as the file it names (:func:`~.codec.files.as_uploaded`),
and the run context a pydantic-ai tool is given as what the tool acts on (:func:`tool_context`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import inspect
import sys
import weakref
from collections.abc import Callable
from typing import Any

from . import codec
from .codec.files import as_uploaded
from .codec.naming import LANGCHAIN_VERSIONS, class_path, import_class
from .errors import DecodeError


class Binder:
    """The signature of a traced or patched function, prepared once for fast argument binding.

    ``skip_first``: drop the first parameter (``self``/``cls`` of a method) from the record.
    """

    __slots__ = (
        "contexts",
        "defaults",
        "names",
        "order",
        "plain_names",
        "positional",
        "required",
        "signature",
        "skip_first",
        "uploads",
    )

    def __init__(self, fn: Callable[..., Any], *, skip_first: bool = False) -> None:
        try:
            self.signature: inspect.Signature | None = inspect.signature(fn)
        except (TypeError, ValueError):
            self.signature = None
        self.skip_first = skip_first
        params = list(self.signature.parameters.values()) if self.signature else []
        self.names = tuple(p.name for p in params)
        kinds = [p.kind for p in params]
        #: how many parameters a positional argument may fill
        self.positional = kinds.count(inspect.Parameter.POSITIONAL_OR_KEYWORD)
        plain = bool(params) and set(kinds) <= _PLAIN_KINDS
        # the fast path below handles parameters that may be given by keyword only: no
        # positional-only ones, no *args or **kwargs (keyword-only ones follow the others)
        self.plain_names: tuple[str, ...] | None = self.names if plain else None
        self.defaults = {p.name: p.default for p in params if p.default is not p.empty}
        #: each parameter's position, and the positions and names of those without a default
        self.order = {name: i for i, name in enumerate(self.names)}
        self.required = tuple((i, p.name) for i, p in enumerate(params) if p.default is p.empty)
        #: the SDK's upload parameters (annotated ``FileTypes`` by openai and anthropic), whose
        #: path the SDK reads and sends: recorded as the file (its content is the request)
        annotations = [(p.name, str(p.annotation)) for p in params]
        self.uploads = tuple(name for name, text in annotations if "FileTypes" in text)
        #: the parameters annotated ``RunContext[...]`` (how pydantic-ai tells a tool that takes
        #: its run context, and requires it be written), also by another name; and those
        #: annotated ``ModelRequestContext`` (a pydantic-ai model's ``compact_messages``)
        fn_globals = _globals_of(fn)
        self.contexts = tuple(
            p.name for p in params if _names_run_context(p.annotation, fn_globals)
        )

    def bind(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """The call's arguments as ``{name: value}`` in parameter order, without the ones the
        caller did not give (a call that does not bind: ``{"args": [...], "kwargs": {...}}``)."""
        names = self.plain_names
        if names is None or len(args) > self.positional:
            return self._bind_slowly(args, kwargs)
        defaults = self.defaults
        bound = {}
        # (no zip: a builtin called with a keyword argument, ``strict=``, costs ~0.2 us)
        sentinels = _SENTINEL_NAMES
        for i, value in enumerate(args):  # (no more than the names: checked above)
            name = names[i]
            # (_not_given, inline: a call of it for each argument of each call costs more)
            if value is not defaults.get(name, _NO_DEFAULT) and not (
                type(value).__name__ in sentinels and is_sentinel(value)
            ):
                bound[name] = value
        given = len(args)
        for i, name in self.required:
            if i >= given and name not in kwargs:  # missing: the slow path records it as given
                return self._bind_slowly(args, kwargs)
        if kwargs:
            # in parameter order (an SDK method has dozens of keyword parameters, a call gives
            # a few: not looked up one by one)
            order = self.order
            try:
                keyed = sorted(kwargs, key=order.__getitem__)
            except KeyError:  # an unknown keyword argument
                return self._bind_slowly(args, kwargs)
            if order[keyed[0]] < given:  # given by position too
                return self._bind_slowly(args, kwargs)
            for name in keyed:
                value = kwargs[name]
                if value is not defaults.get(name, _NO_DEFAULT) and not (
                    type(value).__name__ in sentinels and is_sentinel(value)
                ):
                    bound[name] = value
        if self.skip_first:
            bound.pop(names[0], None)
        return bound

    def bind_call(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        """:meth:`bind`, with a method's ``self`` first when it has settings
        (:func:`settings_of`), a path given to an upload parameter as the file it names, and a
        pydantic-ai run context as what the tool acts on (:func:`tool_context`): how a mock
        target's calls are recorded and compared."""
        bound = self.bind(args, kwargs)
        for name in self.uploads:
            if name in bound:
                bound[name] = as_uploaded(bound[name])
        for name in self.contexts:
            if name in bound:
                bound[name] = tool_context(bound[name])
        if self.skip_first and args:
            settings = settings_of(args[0])
            if settings is not None:
                return {"self": settings, **bound}
        return bound

    def _bind_slowly(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> dict[str, Any]:
        if self.signature is None:
            return {"args": list(args), "kwargs": dict(kwargs)}
        try:
            ba = self.signature.bind(*args, **kwargs)
        except TypeError:
            return {"args": list(args), "kwargs": dict(kwargs)}
        defaults = self.defaults
        bound = {
            name: value
            for name, value in ba.arguments.items()
            if not _not_given(value, defaults.get(name, _NO_DEFAULT))
        }
        if self.skip_first and self.names:
            bound.pop(self.names[0], None)
        return bound


_NO_DEFAULT: Any = object()
_PLAIN_KINDS = {inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY}


def _not_given(value: Any, default: Any) -> bool:
    """Whether an argument counts as not given: the default object itself, or a library's
    "not given" sentinel."""
    return value is default or is_sentinel(value)


def is_sentinel(value: Any) -> bool:
    """Whether ``value`` is a client library's "argument not given" sentinel
    (openai/anthropic ``NOT_GIVEN``, ``omit``)."""
    t = type(value)
    return t.__name__ in _SENTINEL_NAMES and codec.kind_of(t) == "sentinel"


_SENTINEL_NAMES = frozenset({"NotGiven", "Omit"})


def settings_of(obj: Any) -> Any:
    """The settings of a method's ``self`` worth recording and comparing, else ``None`` (a
    plain object: left out).

    A pydantic/attrs model or dataclass (a LangChain chat model: its model name, temperature,
    ...): ``{"__class__": "module:QualName", field: value, ...}`` (the class named as the codec
    names it, by a public module: :func:`~.codec.naming.class_path`) — its declared public fields,
    not the caches a library keeps on the instance nor private fields (pydantic-ai's
    ``_provider``), except a private field holding plain data (:func:`_plain`) that a property
    of its public name shows (pydantic-ai's ``_model_name``, ``_profile`` and ``_settings``,
    recorded as ``model_name``, ``profile`` and ``settings``); the codec stores their secrets
    redacted and their clients by reference. A pydantic-ai model's field holding pydantic-ai
    models (a ``FallbackModel``'s ``models``, a wrapper's ``wrapped``) holds each as its
    settings too (:func:`_models_shown`).
    An SDK resource or client: itself (stored by reference).
    """
    t = type(obj)
    kind = codec.kind_of(t)
    if kind == "sdk_resource" or kind == "sdk_client":  # (a replayed SDK call's: first)
        return obj
    names: Any = None
    if kind == "pydantic":  # (never v2's __fields__, deprecated: a warning, an error under -W)
        names = getattr(t, "model_fields", None) or {}
    elif kind == "pydantic.v1":
        names = getattr(t, "__fields__", None) or {}
    elif kind == "attrs":
        names = [a.name for a in t.__attrs_attrs__]
    elif dataclasses.is_dataclass(t):
        names = [f.name for f in dataclasses.fields(t)]
    if names is None:
        return None
    path = class_path(t)
    settings: dict[str, Any] = {"__class__": path}
    model = _model_class()
    if model is not None and not isinstance(obj, model):
        model = None  # (models hold models: a FallbackModel's, a wrapper's)
    for name in names:
        if not name.startswith("_"):  # private by convention: state, not a setting
            value = getattr(obj, name, None)
            settings[name] = value if model is None else _models_shown(value, path, model)
    for name, public in _shown_private_fields(t, path, names):
        value = getattr(obj, name, None)
        if _plain(value):
            settings.setdefault(public, value)
    settings = without_package_versions(settings)
    if "client" not in settings and path in _client_shown:
        try:
            client = obj.client
        except Exception:  # (a property that cannot give one now: no setting)
            client = None
        if client is not None and codec.kind_of(type(client)) == "sdk_client":
            settings["client"] = client
    return settings


def without_package_versions(settings: dict[str, Any]) -> dict[str, Any]:
    """``settings`` (the settings of a ``self``, :func:`settings_of`, or those a golden recorded
    before they were left out) without the LangChain releases (:data:`LANGCHAIN_VERSIONS`) in
    their ``metadata``: ``settings`` itself when it holds none. An upgrade of LangChain changes
    no call."""
    metadata = settings.get("metadata")
    if type(metadata) is not dict or LANGCHAIN_VERSIONS not in metadata:
        return settings
    kept = {k: v for k, v in metadata.items() if k != LANGCHAIN_VERSIONS}
    return {**settings, "metadata": kept}


def tool_context(ctx: Any) -> Any:
    """A pydantic-ai ``RunContext`` given to a tool, as what the tool acts on: its ``deps``,
    the tool's name and which retry this is — ``{"__class__": "module:QualName", ...}``. The
    rest is the run's machinery (the agent, its model, the message history, usage, the tracer):
    what the model was sent is compared in the model's own recorded calls. A
    ``ModelRequestContext`` given to a model's method (``compact_messages``) is what the model
    sends: the messages, settings and request parameters, as ``request`` is given them (its
    ``model`` is the method's ``self``, recorded as such). Any other value (a class of the
    user's named ``RunContext``) is itself."""
    t = type(ctx)
    if not t.__module__.startswith("pydantic_ai."):
        return ctx
    if t.__qualname__ == "ModelRequestContext":
        return {
            "__class__": class_path(t),
            "messages": getattr(ctx, "messages", None),
            "model_settings": getattr(ctx, "model_settings", None),
            "model_request_parameters": getattr(ctx, "model_request_parameters", None),
        }
    if t.__qualname__ != "RunContext":
        return ctx
    return {
        "__class__": class_path(t),
        "deps": ctx.deps,
        "tool_name": getattr(ctx, "tool_name", None),
        "retry": getattr(ctx, "retry", 0),
    }


def _names_run_context(annotation: Any, fn_globals: dict[str, Any] | None) -> bool:
    """Whether a parameter's ``annotation`` is pydantic-ai's ``RunContext`` (or one of its
    parametrisations): by its text, or, under another name (``ctx: Ctx`` with ``Ctx =
    RunContext[Deps]``, ``from pydantic_ai import RunContext as Context``) in a module whose
    annotations are postponed text, by what that name is in the function's module."""
    if annotation is inspect.Parameter.empty:
        return False
    if "ModelRequestContext" in str(annotation):  # (a model's: what it sends, also by text)
        return True
    if not isinstance(annotation, str):
        return "RunContext" in str(annotation)
    if "RunContext" in annotation or not fn_globals:
        return "RunContext" in annotation
    head, *attributes = annotation.partition("[")[0].strip().split(".")
    named = fn_globals.get(head)
    for attribute in attributes:
        named = getattr(named, attribute, None)
    origin = getattr(named, "__origin__", named)
    return (
        isinstance(origin, type)
        and origin.__qualname__ == "RunContext"
        and origin.__module__.startswith("pydantic_ai.")
    )


def _globals_of(fn: Callable[..., Any]) -> dict[str, Any] | None:
    """The module namespace ``fn``'s annotations are written in (that of the function a
    decorator wraps, as :func:`inspect.signature` reads them), or ``None``."""
    with contextlib.suppress(ValueError):  # a cycle of __wrapped__
        fn = inspect.unwrap(fn)
    found = getattr(fn, "__globals__", None)
    return found if isinstance(found, dict) else None


_SCALARS = frozenset({str, int, float, bool})


def _model_class() -> type | None:
    """pydantic-ai's ``Model`` class, where pydantic-ai is imported (else ``None``)."""
    models = sys.modules.get("pydantic_ai.models")
    base = getattr(models, "Model", None) if models is not None else None
    return base if isinstance(base, type) else None


#: the classes (by path) a field of whose holds pydantic-ai models, shown by their settings
_holding_models: set[str] = set()


def _models_shown(value: Any, path: str, model: type) -> Any:
    """A field's ``value`` of a ``self`` of class ``path``, with the pydantic-ai models (of class
    ``model``) it is or holds (the items of a list or tuple) each as its settings
    (:func:`settings_of`): what a model sends its requests by (its name, profile, settings, and
    its SDK client by reference) rather than the model as it is, whose provider, holding the
    client, can only be stored by its type (a ``FallbackModel.request`` mocked replayed green
    with a model pointed elsewhere)."""
    t = type(value)
    if value is None or t in _SCALARS:
        return value
    if t is list or t is tuple:
        if not any(isinstance(item, model) for item in value):
            return value
        _holding_models.add(path)
        return t(settings_of(item) if isinstance(item, model) else item for item in value)
    if not isinstance(value, model):
        return value
    _holding_models.add(path)
    return settings_of(value)


def _plain(value: Any) -> bool:
    """Whether ``value`` is plain data: ``None``, a string, number or boolean, or a dict (string
    keys), list or tuple of plain data (pydantic-ai's ``_profile`` and ``_settings`` dicts), not
    an object that holds clients or functions (``_provider``)."""
    t = type(value)
    if value is None or t in _SCALARS:
        return True
    if t is dict:
        return all(type(k) is str and _plain(v) for k, v in value.items())
    if t is list or t is tuple:
        return all(_plain(v) for v in value)
    return False


_shown_by_type: dict[type, tuple[tuple[str, str], ...]] = {}
_shown_by_path: dict[str, frozenset[str]] = {}
#: the classes (by path) with a ``client`` property and no such field: the SDK client a model
#: sends its requests through (pydantic-ai's ``OpenAIChatModel.client``, its provider's
#: ``AsyncOpenAI``/``AsyncAzureOpenAI``), recorded by its reference (base URL, API version,
#: timeout, retries) as the ``client`` setting: another endpoint sends the requests elsewhere
_client_shown: set[str] = set()


def _shown_private_fields(t: type, path: str, names: Any) -> tuple[tuple[str, str], ...]:
    """``(field, public name)`` of the private fields of ``t`` that a property (or a cached
    property) of their public name shows (``_model_name`` behind ``model_name``), found once
    per class. A dataclass's candidates also include the private attributes its classes
    declare outside its fields (pydantic-ai's ``Model`` declares ``_profile`` and ``_settings``,
    set by its ``__init__``)."""
    found = _shown_by_type.get(t)
    if found is None:
        candidates = dict.fromkeys(names)
        if dataclasses.is_dataclass(t):
            from .codec.models import declared_private  # (once per class)

            candidates.update(dict.fromkeys(declared_private(t)))
        found = tuple(
            (name, name.lstrip("_"))
            for name in candidates
            if name.startswith("_")
            and not name.startswith("__")
            and name.lstrip("_")
            and isinstance(
                inspect.getattr_static(t, name.lstrip("_"), None),
                (property, functools.cached_property),
            )
        )
        _shown_by_type[t] = found
        shown = {public for _, public in found}
        if "client" not in candidates and isinstance(
            inspect.getattr_static(t, "client", None), (property, functools.cached_property)
        ):
            _client_shown.add(path)
            shown.add("client")  # (a golden recorded before it was recorded compares without)
        _shown_by_path[path] = frozenset(shown)
    return found


def models_as_recorded(
    live: dict[str, Any], recorded: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The live and the recorded settings of a ``self`` as they compare when the golden was
    recorded before the pydantic-ai models its fields hold were recorded by their settings
    (:func:`_models_shown`): each recorded model (decoded, its provider a placeholder) as its
    settings too, and the live ones without what those lack (:func:`settings_as_recorded`: the
    client). ``None`` when ``recorded`` holds no such model."""
    model = _model_class()
    if model is None or live.get("__class__") not in _holding_models:
        return None
    mine, theirs = dict(live), dict(recorded)
    found = False

    def as_recorded(item: Any, was: Any) -> tuple[Any, Any]:
        nonlocal found
        if type(item) is not dict or not isinstance(was, model):
            return item, was
        found = True
        settings = settings_of(was)
        return settings_as_recorded(item, settings), settings

    for key, value in live.items():
        old: Any = recorded.get(key)
        kind: Any = type(value)
        if (kind is list or kind is tuple) and type(old) is kind and len(old) == len(value):
            pairs = [as_recorded(item, was) for item, was in zip(value, old, strict=True)]
            mine[key] = kind(item for item, _ in pairs)
            theirs[key] = kind(was for _, was in pairs)
        else:
            mine[key], theirs[key] = as_recorded(value, old)
    return (mine, theirs) if found else None


def settings_as_recorded(live: dict[str, Any], recorded: dict[str, Any]) -> dict[str, Any]:
    """The live settings of a ``self`` (:func:`settings_of`) without those shown through a
    property that ``recorded`` does not hold: a golden recorded before they were recorded
    compares without them."""
    shown = _shown_by_path.get(str(live.get("__class__")), frozenset())
    missing = [k for k in live.keys() - recorded.keys() if k in shown]
    if not missing:
        return live
    return {k: v for k, v in live.items() if k not in missing}


def class_as_recorded(live: dict[str, Any], recorded: dict[str, Any]) -> dict[str, Any]:
    """``recorded`` (the settings a golden recorded for a ``self``, :func:`settings_of`) naming
    the class as ``live`` does when both paths reach the same class: the library moved it to
    another module and still imports it where it was (pydantic-ai's ``OpenAIChatModel``,
    defined in ``pydantic_ai.models.openai`` by 2.60 and in
    ``pydantic_ai.models.openai._chat_model`` by 2.68, which a golden recorded before classes
    were named by their public module names), or the golden named it otherwise: an upgrade
    that moves a class changes no call. ``recorded`` itself otherwise (the same path, or
    another class)."""
    theirs, mine = recorded.get("__class__"), live.get("__class__")
    if theirs == mine or type(theirs) is not str or type(mine) is not str:
        return recorded
    try:  # (the classes the paths name: imported already, the live one by the call's self)
        same = import_class(theirs) is import_class(mine)
    except DecodeError:  # (a class the installed release no longer has there: another class)
        return recorded
    return {**recorded, "__class__": mine} if same else recorded


#: the argument of the openai and anthropic SDKs' methods holding headers added to the request
EXTRA_HEADERS = "extra_headers"


def headers_as_recorded(live: dict[str, Any], recorded: dict[str, Any]) -> dict[str, Any]:
    """``recorded`` (a call's recorded arguments) with the values of the headers in its
    ``extra_headers`` that describe the library release or the machine (``User-Agent``,
    ``X-Stainless-*``: :data:`~.codec.http.UNCOMPARED_HEADERS`) taken from ``live`` where it
    sends them too, as a request's own headers are compared: pydantic-ai passes
    ``extra_headers={"User-Agent": "pydantic-ai/2.68.0"}`` to the openai SDK, and its upgrade
    changes no call. ``recorded`` itself when that changes nothing."""
    mine, theirs = live.get(EXTRA_HEADERS), recorded.get(EXTRA_HEADERS)
    if type(mine) is not dict or type(theirs) is not dict or mine == theirs:
        return recorded
    from .codec.http import UNCOMPARED_HEADERS  # (only for headers that differ)

    taken = {
        name: mine[name]
        for name, value in theirs.items()
        if type(name) is str
        and name.lower() in UNCOMPARED_HEADERS
        and name in mine
        and mine[name] != value
    }
    if not taken:
        return recorded
    return {**recorded, EXTRA_HEADERS: {**theirs, **taken}}


#: the argument of an ``httpx``/``httpx2`` client's ``send`` that leaves the body to its caller
SEND_STREAM = "stream"


def send_stream_as_recorded(live: dict[str, Any], recorded: dict[str, Any]) -> dict[str, Any]:
    """``recorded`` (the recorded arguments of an ``httpx``/``httpx2`` client's ``send``) with
    its ``stream`` as ``live`` gives it: whether ``send`` reads the body or leaves it to the
    caller is no part of the request, and the recorded answer replays as a read response either
    way. anthropic 2.17 sends every request with ``stream=True`` and reads a non-streamed answer
    itself, where 2.16 sent it with ``stream=False``: its upgrade changes no call. ``recorded``
    itself when both read the body alike (``stream`` not given: ``False``)."""
    mine = live.get(SEND_STREAM, False)
    if bool(mine) is bool(recorded.get(SEND_STREAM, False)):
        return recorded
    kept = {k: v for k, v in recorded.items() if k != SEND_STREAM}
    if SEND_STREAM in live:
        kept[SEND_STREAM] = mine
    return kept


_binders: weakref.WeakKeyDictionary[Any, dict[bool, Binder]] = weakref.WeakKeyDictionary()


def binder(fn: Callable[..., Any], *, skip_first: bool) -> Binder:
    """The :class:`Binder` of ``fn``, cached (inspecting a signature costs more than a replay)."""
    try:
        per_fn = _binders.setdefault(fn, {})
    except TypeError:  # not weakly referenceable: no caching
        return Binder(fn, skip_first=skip_first)
    found = per_fn.get(skip_first)
    if found is None:
        found = per_fn[skip_first] = Binder(fn, skip_first=skip_first)
    return found


def is_method_like(fn: Callable[..., Any]) -> bool:
    """Whether ``fn``'s first parameter is ``self`` or ``cls``."""
    try:
        params = list(inspect.signature(fn).parameters)
    except (TypeError, ValueError):
        return False
    return bool(params) and params[0] in ("self", "cls")
