"""pydantic's ``ValidationError``: stored as what makes it, rebuilt from that.

Its class cannot be created from its ``args`` (empty) or attributes: it is made by
``ValidationError.from_exception_data(title, line_errors, input_type, hide_input)``, which its
``__reduce__`` gives (pydantic-core 2.15+, pydantic 2.6+). An exception record keeps them in
``"validation"``::

    {"title": "WeatherArgs", "input_type": "python", "hide_input": false,
     "errors": [{"type": "int_parsing", "loc": ["days"], "input": "three"},
                {"type": "value_error", "loc": ["city"], "input": "Atlantis",
                 "ctx_exceptions": {"error": <exception record>}},
                {"type": "code_format", "loc": ["code"], "input": "x", "ctx": {"shape": "AB-1"},
                 "message_template": "code is not {shape}"}]}

``input`` and ``ctx`` are codec-encoded; an exception in a ``ctx`` (``value_error``'s ``error``)
is an exception record of its own; ``message_template`` marks a ``PydanticCustomError``. A line
error whose message ``from_exception_data`` renders differently keeps its ``msg``: pydantic
writes a ``Decimal`` bound from its text (``greater than 0.10``), the rebuild as a float
(``greater than 0.1``); the rebuilt error, of a subclass of the same name made for it, gives the
recorded messages in ``errors()`` and ``json()``.

The class is recognised by its module and name; pydantic-core is imported only when a record of
one is rebuilt (it is then imported already), so the codec imports no client library.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .naming import per_type

if TYPE_CHECKING:
    from pydantic_core import InitErrorDetails, ValidationError

_PATH = "pydantic_core._pydantic_core:ValidationError"


@per_type
def is_validation_error(t: type) -> bool:
    """Whether ``t`` is pydantic's ``ValidationError`` or a subclass of it."""
    return any(f"{base.__module__}:{base.__qualname__}" == _PATH for base in t.__mro__)


def validation_error_state(
    exc: BaseException,
    encode: Callable[[Any], Any],
    record: Callable[[BaseException], dict[str, Any]],
) -> dict[str, Any] | None:
    """What makes pydantic's ``ValidationError`` ``exc`` (the module's ``"validation"`` form),
    its values through ``encode`` and the exceptions in its ``ctx`` through ``record``;
    ``None`` for another exception, or of a pydantic-core that does not give them."""
    if not is_validation_error(type(exc)):
        return None
    try:
        reduced: Any = exc.__reduce__()
        _, (title, lines, input_type, hide_input) = reduced
        errors = [_line_state(line, encode, record) for line in lines]
    except Exception:  # pydantic-core before 2.15: BaseException's __reduce__, not its own
        return None
    _keep_messages(exc, errors, (title, lines, input_type, hide_input))
    return {
        "title": str(title),
        "input_type": input_type,
        "hide_input": bool(hide_input),
        "errors": errors,
    }


#: the options of ValidationError.errors() that leave only each line error's type, loc and msg
_MESSAGES_ONLY = {"include_url": False, "include_context": False, "include_input": False}


def _keep_messages(exc: BaseException, errors: list[dict[str, Any]], made_of: Any) -> None:
    """Keep in ``errors`` (the line errors' states) the ``msg`` of each line error of ``exc``
    that ``from_exception_data`` (``made_of``: its arguments) renders differently."""
    from pydantic_core import ValidationError  # (imported already: exc is one)

    try:
        title, lines, input_type, hide_input = made_of
        again = ValidationError.from_exception_data(
            title, lines, input_type=input_type, hide_input=hide_input
        ).errors(**_MESSAGES_ONLY)
        recorded = exc.errors(**_MESSAGES_ONLY)  # type: ignore[attr-defined]
    except Exception:  # (what pydantic's own pickling could not rebuild: no message kept)
        return
    if len(again) != len(errors) or len(recorded) != len(errors):
        return
    for entry, rebuilt, line in zip(errors, again, recorded, strict=True):
        if rebuilt["msg"] != line["msg"]:
            entry["msg"] = str(line["msg"])


def _line_state(
    line: dict[str, Any],
    encode: Callable[[Any], Any],
    record: Callable[[BaseException], dict[str, Any]],
) -> dict[str, Any]:
    kind = line["type"]
    entry: dict[str, Any] = {
        "type": kind if isinstance(kind, str) else str(kind.type),
        "loc": list(line.get("loc", ())),
        "input": encode(line.get("input")),
    }
    ctx = line.get("ctx") or {}
    plain = {k: v for k, v in ctx.items() if not isinstance(v, BaseException)}
    if plain:
        entry["ctx"] = encode(plain)
    raised = {k: record(v) for k, v in ctx.items() if isinstance(v, BaseException)}
    if raised:
        entry["ctx_exceptions"] = raised
    if not isinstance(kind, str):  # a PydanticCustomError: its own message
        entry["message_template"] = str(kind.message_template)
    return entry


def validation_error_from_state(
    cls: type[BaseException],
    state: Any,
    decode: Callable[[Any], Any],
    rebuild: Callable[[dict[str, Any]], BaseException],
) -> BaseException:
    """The ``ValidationError`` of class ``cls`` that ``state`` (from a golden: untrusted)
    describes, its values decoded by ``decode`` and the exceptions of its ``ctx`` by
    ``rebuild``. Raises ``ValueError`` naming what is wrong with an edited ``state``, and what
    ``from_exception_data`` raises (an error type this pydantic does not know)."""
    from pydantic_core import ValidationError  # (imported already: cls is one)

    if not issubclass(cls, ValidationError):
        raise ValueError(f"{cls.__qualname__} is not pydantic's ValidationError")
    if type(state) is not dict:
        raise ValueError("'validation' must be an object")
    title = state.get("title")
    if type(title) is not str:
        raise ValueError("'title' must be a string")
    input_type = state.get("input_type", "python")
    if input_type not in ("python", "json"):
        raise ValueError("'input_type' must be 'python' or 'json'")
    hide_input = state.get("hide_input", False)
    if type(hide_input) is not bool:
        raise ValueError("'hide_input' must be true or false")
    errors = state.get("errors")
    if type(errors) is not list:
        raise ValueError("'errors' must be a list")
    lines = [_line_error(entry, decode, rebuild) for entry in errors]
    messages = [_message(entry) for entry in errors]
    made = _with_messages(cls, messages) if any(messages) else cls
    return made.from_exception_data(title, lines, input_type=input_type, hide_input=hide_input)


def _message(entry: dict[str, Any]) -> str | None:
    """The recorded ``msg`` of a line error's state, ``None`` when none was kept."""
    message = entry.get("msg")
    if message is not None and type(message) is not str:
        raise ValueError("a 'msg' must be a string")
    return message


def _with_messages(cls: type[ValidationError], messages: list[str | None]) -> type[ValidationError]:
    """A subclass of ``cls``, of its name, whose ``errors()`` and ``json()`` give the line
    errors the recorded ``messages`` (``None``: pydantic's own)."""

    def errors(self: ValidationError, **options: bool) -> list[Any]:
        lines: list[Any] = cls.errors(self, **options)
        for line, message in zip(lines, messages, strict=False):
            if message is not None:
                line["msg"] = message
        return lines

    def to_json(self: ValidationError, *, indent: int | None = None, **options: bool) -> str:
        text = cls.json(self, indent=indent, **options)
        lines = json.loads(text)
        for line, message in zip(lines, messages, strict=False):
            if message is not None and "msg" in line:
                line["msg"] = message
        # (as pydantic-core writes it: compact, or pretty with ``indent`` spaces)
        separators = (",", ":") if indent is None else (",", ": ")
        return json.dumps(lines, indent=indent, separators=separators, ensure_ascii=False)

    namespace = {
        "errors": errors,
        "json": to_json,
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
    }
    return type(cls.__name__, (cls,), namespace)


def _line_error(
    entry: Any,
    decode: Callable[[Any], Any],
    rebuild: Callable[[dict[str, Any]], BaseException],
) -> InitErrorDetails:
    """The line error one of a state's ``errors`` describes."""
    from pydantic_core import PydanticCustomError

    if type(entry) is not dict or type(entry.get("type")) is not str:
        raise ValueError("each of 'errors' must be an object with a 'type' string")
    loc = entry.get("loc", [])
    if type(loc) is not list or not all(type(part) in (str, int) for part in loc):
        raise ValueError("a 'loc' must be a list of strings and integers")
    ctx = decode(entry["ctx"]) if "ctx" in entry else {}
    if type(ctx) is not dict:
        raise ValueError("a 'ctx' must be an object")
    raised = entry.get("ctx_exceptions", {})
    if type(raised) is not dict or not all(type(r) is dict for r in raised.values()):
        raise ValueError("a 'ctx_exceptions' must map names to exception records")
    ctx.update({str(name): rebuild(record) for name, record in raised.items()})
    template = entry.get("message_template")
    if template is not None and type(template) is not str:
        raise ValueError("a 'message_template' must be a string")
    line: InitErrorDetails = {
        "type": (
            entry["type"]
            if template is None
            else PydanticCustomError(entry["type"], template, ctx or None)
        ),
        "loc": tuple(loc),
        "input": decode(entry.get("input")),
    }
    if ctx and template is None:  # (a custom error's ctx is its own)
        line["ctx"] = ctx
    return line
