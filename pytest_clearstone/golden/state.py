"""An agent's state: captured when recording, restored when replaying.

``get_state()``/``load_state(state)`` when the agent has them, else its ``__dict__``. A captured
state is encoded at once (a deep snapshot, so later changes to the agent do not alter it).
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import inspect
import sys
import types
from collections.abc import Sequence, Set
from typing import TYPE_CHECKING, Any

from ..codec import Encoder, decode, stored_as_reference
from ..codec.naming import class_path, loaded_class, per_type
from ..codec.tags import (
    ENCODER_FIX,
    EXCEPTION_KEPT,
    KEEP_WHAT_IS_CHECKED,
    readable_path,
    tag_locations,
)
from ..errors import (
    FOREIGN_AGENT,
    FOREIGN_AGENT_FIX,
    FOREIGN_AGENT_MODULE,
    AgentImportError,
    CheckpointError,
    ClearstoneError,
    DecodeError,
    SerializationError,
)
from ..releases import is_installed_file, library_release
from ..tracing.span import Recorded

if TYPE_CHECKING:
    from pathlib import Path


def state_method(agent: Any, name: str) -> Any:
    """The agent's own ``get_state`` or ``load_state`` (``name``), bound; ``None`` when it has
    none. Looked up without the class's ``__getattr__``, which may hand the name on to an
    object the agent wraps (a LangGraph graph's ``get_state(config)``, another agent's
    ``load_state``): that object's state is not the agent's."""
    if hasattr(type(agent), "__getattr__"):  # (else getattr finds only the agent's own)
        try:
            inspect.getattr_static(agent, name)
        except AttributeError:
            return None
    method = getattr(agent, name, None)
    return method if callable(method) else None


def agent_state(agent: Any) -> Any:
    """The agent's live state: ``get_state()`` when it has one, else a copy of its ``__dict__``
    (the values are the agent's own objects, not copies). A ``get_state`` that cannot be called
    without arguments is another library's method of that name (LangGraph's): refused, naming
    the fix."""
    get_state = state_method(agent, "get_state")
    if get_state is not None:
        try:
            return get_state()
        except TypeError:
            from .agent_classes import not_a_state_method  # (imported when it is needed)

            problem = not_a_state_method(agent, get_state)
            if problem is None:
                raise  # (raised inside the agent's own get_state())
            raise ClearstoneError(problem) from None
    try:
        state = dict(vars(agent))
    except TypeError:
        from .agent_classes import slotted_fields_advice  # (imported when it is needed)

        name = type(agent).__qualname__
        smaller = slotted_fields_advice(type(agent))
        give = (
            f"Give {name}" if not smaller else f"{smaller[0].upper()}{smaller[1:]}; or give {name}"
        )
        raise SerializationError(
            "state",
            name,
            "the agent has no get_state() and no __dict__ (its class has __slots__)",
            advice=f"{give} a get_state() returning a dict of what it needs and a "
            "load_state(state) method that sets it back.",
        ) from None
    private = pydantic_private(agent)
    if private:  # (their names start with "_": no field has one)
        state.update(private)
    return state


def pydantic_private(agent: Any) -> dict[str, Any] | None:
    """The private attributes (``PrivateAttr``) of an agent that is a pydantic model of the
    project's own, which its ``__dict__`` does not hold (memory kept in ``_turns``, a client in
    ``_client``); ``None`` for any other agent."""
    declared = getattr(type(agent), "__private_attributes__", None)
    if not declared or type(declared) is not dict or is_installed(type(agent)):
        return None
    try:
        private = object.__getattribute__(agent, "__pydantic_private__")
    except AttributeError:
        return None
    return private if type(private) is dict else None


def without_one_sided_cached_values(
    golden: Any, actual: Any, agent: Any
) -> tuple[dict[str, Any], dict[str, Any]] | None:
    """The golden and the actual state of ``agent`` (taken through ``__dict__``) without the
    values of its class's ``functools.cached_property``s that only one of them holds: derived
    data, cached by whatever code touched it in that run (langchain-core's
    ``BaseChatModel._serialized``, by a live ``invoke`` but not a replayed one); ``None`` when
    there are none. A cached value both hold is compared as any attribute."""
    if type(golden) is not dict or type(actual) is not dict:
        return None
    cls = type(agent)
    one_sided = {
        name
        for name in golden.keys() ^ actual.keys()
        if isinstance(getattr(cls, name, None), functools.cached_property)
    }
    if not one_sided:
        return None
    return (
        {k: v for k, v in golden.items() if k not in one_sided},
        {k: v for k, v in actual.items() if k not in one_sided},
    )


def capture_state(agent: Any, *, restored: bool = False) -> Recorded:
    """Snapshot an agent's state (:func:`agent_state`).

    The state is encoded at once (a deep snapshot), so later changes to the agent do not alter
    the checkpoint. A value that cannot be encoded raises :class:`SerializationError` naming its
    path, e.g. ``state['client']``; when the agent is a library's object (``replay.run()`` given
    a ``pydantic_ai.Agent``'s method), the error's advice is the fix for that, not changing the
    agent's class. ``restored``: a replay will give this state back to the agent
    (:func:`load_state`); one it could not give back raises :class:`ClearstoneError` now,
    naming the fix, instead of failing every replay.
    """
    _refuse_a_client(agent)
    state = agent_state(agent)
    if restored:
        problem = unrestorable(agent, state)
        if problem is not None:
            name = type(agent).__qualname__
            raise ClearstoneError(
                f"cannot record the state of {name}: {problem}, so no replay could give it "
                f"back to the agent: give {name} a load_state(state) method (and a "
                "get_state() returning what it reads)"
            )
    try:
        return Recorded(encoded=Encoder(strict=True).encode(state, root="state"))
    except SerializationError as exc:
        if not str(exc).endswith(SerializationError.STATE_ADVICE):
            raise
        from .agent_classes import held_library_object_advice, library_agent_advice

        if is_installed(type(agent)):
            advice = library_agent_advice(agent)
        else:
            held = _held_at(state, exc.path)
            if held is None or library_release(class_path(type(held[1]))) is None:
                raise  # (a value of the project's own or of the standard library)
            advice = held_library_object_advice(agent, *held)
        raise SerializationError(exc.path, exc.value_type, exc.reason, advice=advice) from None


def _held_at(state: Any, path: str) -> tuple[str, Any] | None:
    """``(name, value)`` of the value of the agent's ``state`` (a dict) at the ``path`` of a
    value that cannot be stored, or that the path goes through (``state['agent']`` of
    ``state['agent']._override_name``): the first on the path that is not a dict, list or tuple
    (``state['crew'][0]``, ``state['crew']['writer']``); ``None`` when there is none."""
    if type(state) is not dict or not path.startswith("state"):
        return None
    name, value, rest = "state", state, path[len("state") :]
    while type(value) in (dict, list, tuple):
        items = value.items() if type(value) is dict else enumerate(value)
        for key, item in items:
            # (the steps the encoder names: a position, or the repr of a key)
            step = f"[{key!r}]" if type(value) is dict else f"[{key}]"
            if rest.startswith(step) and rest[len(step) : len(step) + 1] in ("", ".", "["):
                name, value, rest = name + step, item, rest[len(step) :]
                break
        else:
            return None
    return (name, value) if name != "state" else None


#: the packages of the client classes :mod:`pytest_clearstone.codec.clients` knows (its
#: ``SDK_CLIENTS`` and ``HTTP_CLIENTS``): an agent deriving from none of their classes is no
#: client, told without importing that module
CLIENT_PACKAGES = frozenset({"openai", "anthropic", "httpx", "httpx2"})


def _refuse_a_client(agent: Any) -> None:
    """Refuse an agent that is an SDK's client or resource or an HTTP client: one of the
    library's (``replay.run(client.chat.completions.create, ...)``), which is no agent; or one
    of the project's own (a subclass of ``openai.OpenAI`` with the agent's methods) that has no
    ``get_state()``: its ``__dict__`` is the client's settings and connection, which would be
    refused at an attribute the SDK set (``_configured_base_url``), naming no fix that works."""
    cls = type(agent)
    if not any(c.__module__.partition(".")[0] in CLIENT_PACKAGES for c in cls.__mro__[1:]):
        return  # (no client class among its bases: the clients' codec is not imported)
    from ..codec.clients import client_base, is_resource, is_sdk_client

    base = client_base(cls)
    if is_installed(cls):  # (the library's own: its method was given to replay.run())
        if is_resource(cls) or is_sdk_client(cls) or base is not None:
            from .agent_classes import client_agent_problem

            kind = "resource" if is_resource(cls) else "client" if is_sdk_client(cls) else ""
            raise ClearstoneError(
                client_agent_problem(agent, f"an SDK's {kind}" if kind else "an HTTP client")
            )
        return
    if base is None or state_method(agent, "get_state") is not None:
        return
    name, client = cls.__qualname__, base.replace(":", ".")
    kind = "an SDK client" if is_sdk_client(cls) else "an HTTP client"
    raise SerializationError(
        "state",
        name,
        f"{name} is {kind} (a subclass of {client}), whose __dict__ holds the client's own "
        "settings and connection, not the agent's state",
        advice=f"Keep the client in an attribute of an agent class of your own (self.client = "
        f"{client}(...)) and give replay.run() that agent's method, or give {name} a "
        "get_state() returning a dict of its own attributes and a load_state(state) method "
        "that sets them back.",
    )


def state_value(state: Recorded) -> Any:
    """A decoded copy of a captured state (:func:`capture_state`), to be redacted before it is
    recorded.

    A value stored as a pickle that does not load back raises :class:`SerializationError`
    naming its path and type: an exception whose ``__init__`` takes keyword-only arguments
    (``openai.RateLimitError``) pickles as a call of its class with its ``args`` alone. Such a
    value can be neither written without pickles nor replayed with them.
    """
    try:
        return state.value
    except DecodeError:
        tree = state.encoded
        for path, type_name in tag_locations(tree, "pickle", limit=_PICKLES_TRIED):
            value = tree
            for key in path:
                value = value[key]
            try:
                decode(value, allow_pickle=True)
            except DecodeError as exc:
                raise SerializationError(
                    readable_path(tree, path, "state"), type_name, _unloadable(type_name, exc)
                ) from None
        raise


def _unloadable(type_name: str, error: DecodeError) -> str:
    """Why the pickle of a value of the class ``type_name`` that does not load back (``error``)
    cannot be recorded, and the fix: for an exception kept as a value (an SDK error caught and
    kept, ``openai.RateLimitError``), first the one that records it readably."""
    cls = loaded_class(type_name)
    if cls is not None and issubclass(cls, BaseException):
        return (
            f"{EXCEPTION_KEPT}, and its pickle cannot be loaded back ({error}), so allowing "
            f"pickles would not help: {KEEP_WHAT_IS_CHECKED}; or {ENCODER_FIX}"
        )
    return (
        f"only a pickle could store it, and its pickle cannot be loaded back ({error}), so "
        f"allowing pickles would not help: {ENCODER_FIX}"
    )


#: how many pickled values of a state that does not load are tried, to name the one that fails
_PICKLES_TRIED = 100


def agent_class_of(agent: Any) -> tuple[str | None, str | None]:
    if agent is None:
        return None, None
    cls = type(agent)
    return cls.__qualname__, cls.__module__


def import_agent_class(
    module_name: str | None,
    qualname: str | None,
    *,
    trusted: bool = False,
    path: Path | None = None,
) -> type[Any]:
    """The agent class ``module_name.qualname``, with an :class:`AgentImportError` naming
    what is missing and ``path``, the checkpoint file that names it. Unless the checkpoint is
    ``trusted``, a class of the standard library or of an installed package is refused
    (:func:`is_installed`): a checkpoint without pickles runs no code of its choosing."""
    if not module_name or not qualname:
        raise AgentImportError(
            str(module_name), str(qualname), "the checkpoint has no agent", checkpoint_path=path
        )
    if not trusted and module_name not in sys.modules and installed_package(module_name):
        # (refused before importing it: importing a module runs its code, ``venv.__main__``'s
        # the venv command line with the test run's arguments)
        raise AgentImportError(
            module_name, qualname, FOREIGN_AGENT_MODULE, FOREIGN_AGENT_FIX, checkpoint_path=path
        )
    try:
        obj: Any = importlib.import_module(module_name)
    except Exception as exc:
        raise AgentImportError(
            module_name, qualname, f"{type(exc).__name__}: {exc}", checkpoint_path=path
        ) from None
    for part in qualname.split("."):
        try:
            obj = getattr(obj, part)
        except AttributeError:
            raise AgentImportError(
                module_name,
                qualname,
                f"the module has no attribute {part!r}",
                imported=True,
                checkpoint_path=path,
            ) from None
    if not isinstance(obj, type):
        raise AgentImportError(
            module_name, qualname, "it is not a class", imported=True, checkpoint_path=path
        )
    if not trusted and is_installed(obj):
        raise AgentImportError(
            module_name, qualname, FOREIGN_AGENT, FOREIGN_AGENT_FIX, checkpoint_path=path
        )
    return obj


def is_installed(cls: type) -> bool:
    """Whether ``cls`` is defined in the standard library (a built-in module included) or in
    an installed package (site-packages), not in the project's own code."""
    module = sys.modules.get(cls.__module__)
    file = getattr(module, "__file__", None)
    if not file:  # a built-in module; or the session itself: a notebook, `python -c`, a REPL
        return cls.__module__ != "__main__"
    return is_installed_file(file)


def installed_package(module_name: str) -> bool:
    """Whether the top-level package of the module ``module_name`` (not imported) is a module
    of the standard library (a built-in or frozen one included) or of an installed package,
    found without importing anything; ``False`` when it cannot be found (the import says why)."""
    top = module_name.partition(".")[0]
    try:
        spec = importlib.util.find_spec(top)  # (a top-level name: nothing is imported)
    except (ImportError, ValueError):
        return False
    if spec is None:
        return False
    places = list(spec.submodule_search_locations or [])
    if spec.has_location and spec.origin:
        places.append(spec.origin)
    if not places:  # built-in or frozen
        return spec.origin in ("built-in", "frozen")
    return all(is_installed_file(p) for p in places)


def rehydrate(cls: Any, state: Any) -> Any:
    """A new ``cls`` created without ``__init__`` (a pydantic model: as ``model_construct``
    makes it), then given ``state``."""
    from ..codec.models import new_instance  # (not imported by a test's replay)
    from .agent_classes import complete_fields

    agent = new_instance(cls, state if isinstance(state, dict) else {})
    load_state(agent, state)
    if isinstance(state, dict) and state_method(agent, "load_state") is None:
        complete_fields(agent, state)  # (the class may have changed since it was saved)
        getter = state_method(agent, "get_state")
        if getter is not None:
            _check_restored_by_attributes(agent, getter, state)
    return agent


def _check_restored_by_attributes(agent: Any, getter: Any, state: dict[str, Any]) -> None:
    """An agent with ``get_state()`` and no ``load_state()`` was given its state as attributes
    named after the state's keys: refused, naming the fix, when its ``get_state()`` then fails
    (the keys were not the names of the attributes it reads). Another value than the one saved
    is no sign (a time it puts in the state)."""
    try:
        getter()
    except Exception as exc:
        problem = f"its get_state() then fails with {type(exc).__name__}: {exc}"
    else:
        return
    keys = ", ".join(repr(key) for key in state)
    name = type(agent).__qualname__
    raise CheckpointError(
        f"cannot rehydrate the agent: {name} has get_state() but no load_state(state), so "
        f"its state was given as attributes named after the state's keys ({keys}), and "
        f"{problem}: give the class a load_state(state) that sets what get_state() reads"
    )


#: the types of a state's values that are never clients and hold none
_SCALARS = frozenset({str, int, float, bool, type(None), bytes})


_NOT_WALKED = (type, types.ModuleType, types.FunctionType, types.MethodType)


@per_type
def _builds_client(cls: type) -> bool:
    """Whether objects of ``cls`` build their SDK client when first asked for it, from their
    settings: a ``functools.cached_property`` named like a client (``_client``,
    ``_async_client``: langchain-anthropic's ``ChatAnthropic``). Such an object holds its
    client (its key, its transport) before it has built it."""
    return any(
        isinstance(attribute, functools.cached_property) and name.rstrip("_").endswith("client")
        for base in cls.__mro__
        for name, attribute in vars(base).items()
    )


def _holds_client(value: Any) -> bool:
    """Whether ``value`` is, or holds, an SDK or HTTP client or resource (one stored as a
    reference, or one it builds when first asked for it: :func:`_builds_client`): looked for
    through containers and the ``__dict__`` of objects, each once."""
    kind = type(value)
    if kind in _SCALARS or ((kind is list or kind is dict) and not value):  # (most values)
        return False
    seen: set[int] = set()
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind in _SCALARS or id(item) in seen:
            continue
        seen.add(id(item))
        if kind is dict:
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        elif stored_as_reference(item) or _builds_client(kind):
            return True
        elif not isinstance(item, _NOT_WALKED):  # (their namespaces are not the state's)
            fields = getattr(item, "__dict__", None)
            if type(fields) is dict:
                stack.extend(fields.values())
    return False


def load_state(agent: Any, state: Any, source: str = "") -> Set[str]:
    """Give ``state`` to ``agent``: ``load_state(state)`` when it has it, else ``__dict__``
    (``source``: the file the state was read from, named when it cannot be given). Returns the
    attributes the agent keeps that ``state`` has not, given through ``__dict__`` (set before:
    by an earlier test that used the same agent, or by an ``__init__`` that sets more than
    when the state was saved; :func:`kept_attributes_hint`).

    Through ``__dict__``, an attribute where both the agent and ``state`` hold an SDK or HTTP
    client (or resource) — as the attribute's value or inside it: a LangChain chat model, a
    dataclass of dependencies — keeps the agent's own: the test built it (its transport, its
    settings), and a replayed call compares its settings with the recorded ones — the copy
    decoded from the golden would hide a changed ``base_url`` or temperature, and send
    unmocked calls elsewhere."""
    loader = state_method(agent, "load_state")
    if loader is not None:
        loader(state)
        return frozenset()
    if isinstance(state, dict):
        own = getattr(agent, "__dict__", None)
        if own is None:  # (a class given __slots__ since the state was saved)
            raise ClearstoneError(
                f"cannot restore the state{' from ' + source if source else ''} into "
                f"{type(agent).__qualname__}: it has no __dict__ (its class has __slots__) "
                f"and no load_state(state) method: give it one (and get_state()), or save the "
                f"checkpoint again (a golden: re-record it)"
            )
        kept: Set[str] = own.keys() - state.keys()  # (a set difference: cheap on a passing replay)
        private = pydantic_private(agent)
        declared: Set[str] = frozenset()  # (the names of the private attributes of its class)
        if private is not None:
            kept = kept | (private.keys() - state.keys())
            declared = type(agent).__private_attributes__.keys()
        for name, value in state.items():
            held = private if private is not None and name in declared else own
            if name in held and _holds_client(value) and _holds_client(held[name]):
                continue
            held[name] = value
        return kept
    where, edited = (
        (f" from {source}", f", or, if {source} was edited by hand, restore it")
        if source
        else ("", "")
    )
    raise ClearstoneError(
        f"cannot restore a {type(state).__name__} state{where} into "
        f"{type(agent).__qualname__}: give the agent a load_state(state) method{edited}"
    )


def kept_attributes_hint(agent: Any, kept: Set[str], deltas: Sequence[str]) -> str:
    """What to say when the final-state ``deltas`` (delta texts, one line per path:
    ``root['escalated']: added True``) change attributes ``agent`` kept when its recorded state
    was given to it (``kept``: :func:`load_state`), which that state has not (``""``: none)."""
    if not kept:
        return ""
    names = [
        name
        for name in sorted(kept)
        if any(
            line.strip().startswith(f"root[{name!r}]") for d in deltas for line in d.splitlines()
        )
    ]
    if not names:
        return ""
    shown = ", ".join(f"`{name}`" for name in names)
    cls = type(agent).__qualname__
    return (
        f"{shown} was already set on the agent when the replay gave it the state recorded in "
        f"the golden, which has no {shown}: the agent kept it from before this test. Either "
        "another test used the same agent (a module- or session-scoped fixture, an agent made "
        "at import), so this replay depends on which tests ran before it, in which order: give "
        "each test its own agent (build it in the test or a function-scoped fixture), or give "
        f"{cls} a load_state(state) that resets it. Or {cls}.__init__ sets it since the golden "
        "was recorded: re-record it."
    )


def unrestorable(agent: Any, state: Any) -> str | None:
    """Why :func:`load_state` could not give ``state``, which ``agent`` has now, back to it
    (``None``: it could): the agent has no ``load_state`` method, and the state is no dict or
    the agent has no ``__dict__`` to update."""
    if state_method(agent, "load_state") is not None:
        return None
    name = type(agent).__qualname__
    if not isinstance(state, dict):
        return (
            f"{name}.get_state() returns a {type(state).__name__}, not a dict, and {name} has "
            "no load_state(state) method"
        )
    if getattr(agent, "__dict__", None) is None:
        return f"{name} has no __dict__ (its class has __slots__) and no load_state(state) method"
    return None
