"""An agent's class against what capturing or restoring its state expects of it.

A ``get_state`` that needs arguments is another library's method of that name (LangGraph's
compiled graph), and an agent of an installed package (``pydantic_ai.Agent``) cannot be given a
``get_state()``: both are refused with a fix that works, a function of the project's own. A
dataclass or pydantic agent whose class gained a field since its checkpoint was saved is given
the field's default, or refused naming it when it has none.

Imported when one of these is met: a passing replay does not load it.
"""

from __future__ import annotations

import inspect
import warnings
from typing import Any

from ..codec.naming import mro_paths
from ..errors import CheckpointError, StateFieldsWarning, article

#: the fix when the agent of ``replay.run()`` is not an agent of the project's own
OWN_FUNCTION = (
    "give replay.run() a function of your own that takes it instead (def run(agent, *args): "
    "return agent.method(*args); then replay.run(run, agent, *args)) or a method of a class "
    "of your own, with get_state()/load_state() if it has state to compare"
)


def _class_name(agent: Any) -> str:
    return f"{type(agent).__module__}.{type(agent).__qualname__}"


def _required_parameters(method: Any) -> list[str]:
    """The names of the parameters ``method`` cannot be called without (none when it can, or
    when its signature cannot be read)."""
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):
        return []
    plain = (inspect.Parameter.VAR_POSITIONAL, inspect.Parameter.VAR_KEYWORD)
    return [
        p.name
        for p in signature.parameters.values()
        if p.default is inspect.Parameter.empty and p.kind not in plain
    ]


def not_a_state_method(agent: Any, get_state: Any) -> str | None:
    """Why an agent whose ``get_state`` raised a ``TypeError`` because it takes arguments
    (LangGraph's compiled graph: a thread's checkpoint, ``get_state(config)``) has no state to
    capture, and the fix; ``None`` when it takes none (the error is the agent's own)."""
    needed = _required_parameters(get_state)
    if not needed:
        return None
    return (
        f"cannot capture the state of the agent of replay.run() (a {_class_name(agent)}): its "
        f"get_state() needs arguments ({', '.join(needed)}), so it is not an agent's state "
        f"method: {OWN_FUNCTION}"
    )


def library_agent_advice(agent: Any) -> str:
    """The advice of a state that cannot be stored when the agent is a class of an installed
    package (``replay.run()`` given a ``pydantic_ai.Agent``'s method): not changing its class."""
    return f"The agent is a {_class_name(agent)}, a class of an installed package: {OWN_FUNCTION}"


def client_agent_problem(agent: Any, kind: str) -> str:
    """Why an SDK's client or resource or an HTTP client (``kind``: ``"an SDK's resource"``)
    cannot be the agent of ``replay.run()`` (given one of its methods:
    ``replay.run(client.chat.completions.create, ...)``): its state would be the client's
    settings and connection; and the fix, a function or an object of the project's own."""
    name = _class_name(agent)
    return (
        f"the agent of replay.run() is {article(name)} {name}, {kind} (replay.run() was given "
        "one of its methods), not an agent: its state would be the client's settings and "
        "connection. The agent must be a function or an object of your own: give replay.run() "
        "a function of your own that makes the call (def ask(client, question): return "
        "client.chat.completions.create(...); then replay.run(ask, client, question)), or a "
        "method of an agent class of your own that keeps the client, and mock the SDK's method "
        "the call reaches"
    )


def held_library_object_advice(agent: Any, name: str, value: Any) -> str:
    """The advice of a state that cannot be stored at ``value`` or a value inside it, an object
    of an installed package the agent holds at ``name`` (``state['agent']``, a
    ``pydantic_ai.Agent``): the path names that package's own attributes, which the user cannot
    change; the fix is to leave the object out of the state (for an OpenAI Agents SDK session,
    :data:`AGENTS_SDK_SESSION`: or to keep its items instead)."""
    own = type(agent).__qualname__
    where = (
        "leave it out of get_state()"
        if callable(getattr(agent, "get_state", None))
        else f"leave it out of the state: give {own} a get_state() returning what the agent "
        "decides (and a load_state(state) setting it back)"
    )
    held = _class_name(value)
    if AGENTS_SDK_SESSION in mro_paths(type(value)):
        return (
            f"{name} is {article(held)} {held}, an OpenAI Agents SDK session (its items are "
            f"kept in its database, not in the agent): {where}; to compare the conversation, "
            "keep its items in an attribute of your own (self.items = await "
            "session.get_items(), after each run) and have the state hold them."
        )
    return f"{name} is {article(held)} {held}, an object of an installed package: {where}."


#: the base class of the OpenAI Agents SDK's sessions (``SQLiteSession``, ``RedisSession``...)
AGENTS_SDK_SESSION = "agents.memory.session:SessionABC"


def slotted_fields_advice(cls: type) -> str:
    """The smaller fix for an agent class without ``__dict__`` whose decorator made its
    ``__slots__`` (``@attrs.define``, ``@dataclass(slots=True)``): declared without them, its
    fields are in ``__dict__``, which is captured and restored as it is; ``""`` for another
    class."""
    own = vars(cls)
    if "__slots__" not in own:
        return ""
    if "__attrs_attrs__" in own:
        return "declare it with @attrs.define(slots=False), which keeps its fields in __dict__"
    if "__dataclass_fields__" in own:
        return (
            "declare it with @dataclass without slots=True (and no __slots__ of its own), "
            "which keeps its fields in __dict__"
        )
    return ""


def complete_fields(agent: Any, state: dict[str, Any]) -> None:
    """Give ``agent`` (given the checkpoint's ``state`` as its ``__dict__``) the defaults of the
    fields its class declares and ``state`` lacks (the class changed since it was saved); a
    required one is a :class:`CheckpointError`, and a default given while the state holds a
    value the class does not declare (a field renamed?) a warning."""
    from ..codec.models import missing_fields

    cls = type(agent)
    defaults, required = missing_fields(cls, state)
    if not required and not defaults:
        return
    every = missing_fields(cls, {})  # (every field the class declares)
    undeclared = [
        name
        for name in state
        if name not in every[0] and name not in every[1] and not name.startswith("_")
    ]
    held = (
        f"; the state holds {', '.join(map(repr, undeclared))}, which the class does not declare"
        if undeclared
        else ""
    )
    what = f"the checkpoint's state of the agent {cls.__module__}.{cls.__qualname__}"
    fix = (
        f"save the checkpoint again (a golden: re-record it), or give {cls.__qualname__} a "
        f"load_state(state) method that reads the old state"
    )
    if required:
        raise CheckpointError(
            f"{what} lacks its required field(s) {', '.join(map(repr, required))} (added or "
            f"renamed since the checkpoint was saved{held}): {fix}"
        )
    agent.__dict__.update(defaults)
    if undeclared:
        warnings.warn(
            f"{what} lacks the field(s) {', '.join(map(repr, defaults))}, given their defaults "
            f"(added or renamed since the checkpoint was saved{held}): if a field was renamed, "
            f"{fix}",
            StateFieldsWarning,
            stacklevel=4,  # (past complete_fields, rehydrate and the engine that called it)
        )
