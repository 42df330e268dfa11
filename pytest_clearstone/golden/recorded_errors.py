"""Recorded exceptions made anew when a replayed call raises: the same class, with its
arguments, attributes, notes and cause, or a :class:`~pytest_clearstone.errors.RecordedError`
saying why not. (Imported when a replayed call raises, not by a replay whose calls return.)"""

from __future__ import annotations

import importlib
import inspect
import sys
from collections.abc import Callable
from types import MemberDescriptorType
from typing import Any

from .. import codec
from ..codec.naming import SCRIPT, is_script
from ..codec.validation_errors import is_validation_error, validation_error_from_state
from ..errors import RecordedError
from ..tracing.span import CAUSE_DEPTH
from .cancellations import is_trio_cancelled


def replayed_error(record: dict[str, Any], allow_pickle: bool) -> BaseException:
    """The recorded exception, made anew; a trio cancellation, which belongs to the cancel
    scope that raised it (a new one would escape every scope), as one clear error (the call of
    an async function waits to be cancelled again instead: see ``TargetReplay.__call__``)."""
    if is_trio_cancelled(record):
        return RecordedError(
            "trio.Cancelled",
            str(record.get("message", "")),
            why="the call was cut off by a trio cancel scope when recorded (a timeout: "
            "move_on_after, fail_after), and only the call of an async function cut off so "
            "waits on replay to be cancelled again",
            fix="Mock the async function that makes the call, or let the call finish when "
            "recording; see docs/how-to/async-agents.md",
        )
    return rebuild_exception(record, allow_pickle=allow_pickle)


def rebuild_exception(
    error: dict[str, Any], *, allow_pickle: bool = False, depth: int = 1
) -> BaseException:
    """The recorded exception: the same type when importable, else :class:`RecordedError`
    saying why.

    ``error`` is an exception record as stored on a span, always encoded: its ``args`` and
    ``attributes`` are decoded here, once (pickles only with ``allow_pickle``). A class no
    import path reaches (made at run time) is stood in for by a subclass of its recorded
    ``base`` of the same name, so ``except`` clauses for its bases catch it. pydantic's
    ``ValidationError`` is made from its recorded title and line errors instead
    (:mod:`~pytest_clearstone.codec.validation_errors`). A record whose values cannot be
    decoded, or whose class cannot be created from them, gives a :class:`RecordedError`; so
    does a ``ValidationError`` recorded by its message only (by an earlier version). Any
    exception class is rebuilt but those that stop the run (``KeyboardInterrupt``, pytest's
    ``Exit``) or would decide the test's outcome in place of the replay (pytest's skip, xfail
    and fail, unittest's ``SkipTest``), which a recording refuses (:func:`not_raised_again`):
    ``asyncio.CancelledError`` and ``SystemExit`` are ``BaseException`` s. An exception group
    is made from its message and its recorded exceptions, each rebuilt as this one. Its notes
    and the exception it was raised from (``cause``, up to
    :data:`~pytest_clearstone.tracing.span.CAUSE_DEPTH` in all) come back with it, that one
    also as the attributes that held it (``cause_attributes``: SQLAlchemy's ``orig``).

    Its text is the recorded message (agents send ``f"tool error: {exc}"`` to the LLM): a sole
    argument stored as a placeholder is given as that text, and an exception that would still
    read otherwise is made of a subclass, of the same name, whose ``str()`` is the message.
    """
    message = str(error.get("message", ""))
    full = recorded_name(error)
    try:
        obj: Any = _exception_class(error)
    except Exception as exc:
        return RecordedError(
            full,
            message,
            why=f"its class could not be imported: {exc}",
            fix="If the class was renamed or moved, re-record the test (pytest "
            "--clearstone-record), or keep the recorded name importable",
        )
    if not isinstance(obj, type) or not issubclass(obj, BaseException):
        return RecordedError(full, message, why="the recorded name is not an exception class")
    if _stops_the_run(obj):
        return RecordedError(full, message, why=STOPS_THE_RUN, fix=CATCH_IT_YOURSELF)
    if _is_one_of(obj, _DECIDES_THE_OUTCOME):
        return RecordedError(
            full,
            message,
            why="raised again, it would skip, xfail or fail the test in place of the replay",
            fix="A test whose call raised it is not recorded, so the golden was likely edited: "
            "restore it from version control, or re-record the test",
        )
    made: _Maker | None = None
    if is_validation_error(obj):
        if "validation" not in error:
            return RecordedError(full, message, why=_MESSAGE_ONLY)
        made = _validation_error(error["validation"], allow_pickle, depth)
    try:
        args = tuple(codec.decode(error.get("args") or [message], allow_pickle=allow_pickle))
        attributes = error.get("attributes")
        decoded = codec.decode(attributes, allow_pickle=allow_pickle) if attributes else None
    except Exception as exc:  # (a value edited by hand, or a type gone since the recording)
        why = f"its arguments or attributes could not be decoded: {exc}"
        return RecordedError(full, message, why=why)
    cause: BaseException | None = None
    recorded_cause = error.get("cause")
    if type(recorded_cause) is dict and depth < CAUSE_DEPTH:
        cause = rebuild_exception(recorded_cause, allow_pickle=allow_pickle, depth=depth + 1)
        decoded = _with_cause(decoded, error.get("cause_attributes"), cause)
    members = error.get("exceptions")
    if type(members) is list and made is None:  # an exception group: (message, exceptions)
        rebuilt_members = [
            rebuild_exception(member, allow_pickle=allow_pickle, depth=depth)
            for member in members
            if type(member) is dict
        ]
        args = (args[0] if args else message, rebuilt_members)
    elif len(args) == 1 and type(args[0]) is codec.StoredRepr and "message" in error:
        # (a value stored as a placeholder: the text it gave, as BaseException shows its one
        # argument; requests' ConnectionError holds urllib3's error)
        args = (message,)
    try:
        rebuilt = _created(obj, args, decoded, made)
    except Exception as exc:
        if made is not None:  # (a record edited by hand, an error type this pydantic lacks)
            why = f"its title and line errors could not be rebuilt ({type(exc).__name__}: {exc})"
            return RecordedError(full, message, why=why)
        why = (
            f"its class cannot be created again from what was recorded "
            f"({type(exc).__name__}: {exc})"
        )
        return RecordedError(full, message, why=why, fix=_CANNOT_CREATE)
    if "message" in error and _text(rebuilt) != message:
        rebuilt = _reading(message, obj, args, decoded, made) or rebuilt
    notes = error.get("notes")
    if type(notes) is list and notes:
        vars(rebuilt)["__notes__"] = [str(note) for note in notes]  # (add_note: 3.11+)
    if cause is not None:
        rebuilt.__cause__ = cause
    return rebuilt


def _with_cause(decoded: Any, named: Any, cause: BaseException) -> Any:
    """The decoded ``attributes`` with ``cause`` at each of the ``named`` ones (SQLAlchemy's
    ``orig``: the driver's error it was raised from), and in place of a placeholder of it: a
    golden recorded before ``cause_attributes`` stored that attribute as its repr."""
    names = [name for name in named if type(name) is str] if type(named) is list else []
    if type(decoded) is dict:
        text, class_name = repr(cause), type(cause).__name__
        names += [
            name
            for name, value in decoded.items()
            if type(value) is codec.StoredRepr
            and value.text == text
            and value.type_name.rpartition(".")[2] == class_name
        ]
    if not names:
        return decoded
    return {**(decoded if type(decoded) is dict else {}), **dict.fromkeys(names, cause)}


def not_raised_again(error: dict[str, Any]) -> str | None:
    """Why a replay would not raise the exception ``error`` records again as itself, when it is
    one that cannot be raised in a replayed test (it would stop the run, or decide the test's
    outcome in place of the replay): a recording refuses it. ``None`` for any other (also one
    whose class cannot be imported: its recording raised it)."""
    try:
        cls = _exception_class(error)
    except Exception:
        return None
    if not isinstance(cls, type):
        return None
    if _stops_the_run(cls):
        return STOPS_THE_RUN
    if _is_one_of(cls, _DECIDES_THE_OUTCOME):
        return "raised again, it would skip, xfail or fail the test in place of the replay"
    return None


#: why an exception that ends the test run is not raised again at replay
STOPS_THE_RUN = "raised again, it would stop the test run"
#: what to do about a mocked call that raised one of those (or skipped the test)
CATCH_IT_YOURSELF = (
    "Mock a function of your own that catches it and returns what the agent uses (or mock the "
    "function under this one, so that this one runs and raises it at replay)"
)


#: the exceptions with which a tool that keeps tests off the network refuses a live call:
#: (module, class) -> (the tool, what lets a recording through)
_REFUSALS = {
    ("pytest_socket", "SocketBlockedError"): (
        "pytest-socket",
        "run the recording with --force-enable-socket (or mark the test "
        "@pytest.mark.enable_socket)",
    ),
    ("pytest_socket", "SocketConnectBlockedError"): (
        "pytest-socket",
        "run the recording with --force-enable-socket, or add the host to --allow-hosts",
    ),
    ("vcr.errors", "CannotOverwriteExistingCassetteException"): (
        "vcrpy (the cassette lacks the request, and its record mode writes none)",
        "record the cassette with the golden: give --record-mode=once (or another mode that "
        "writes) with --clearstone-record",
    ),
}
#: pytest-recording's refusal: a RuntimeError (builtins) known by its message
_BLOCK_NETWORK = (
    "Network is disabled for host ",
    "pytest-recording's --block-network (or its block_network marker)",
    "run the recording without --block-network, or give the marker the host in allowed_hosts",
)


def refusal(error: dict[str, Any]) -> tuple[str, str, str] | None:
    """When the recorded exception ``error``, or one it was raised from, is the refusal of a
    tool that keeps tests off the network (:data:`_REFUSALS`, :data:`_BLOCK_NETWORK`): the
    refusing exception's class as a message names it, the tool, and what lets a recording
    through; else ``None``. A golden holding it would replay the refusal as the service's
    answer."""
    record: Any = error
    for _ in range(CAUSE_DEPTH):
        if type(record) is not dict:
            return None
        module, name = str(record.get("module", "")), str(record.get("type", ""))
        known = _REFUSALS.get((module, name))
        if known is not None:
            return recorded_name(record), *known
        message = str(record.get("message", ""))
        if (
            module == "builtins"
            and name == "RuntimeError"
            and message.startswith(_BLOCK_NETWORK[0])
        ):
            return recorded_name(record), *_BLOCK_NETWORK[1:]
        record = record.get("cause")
    return None


def recorded_name(error: dict[str, Any]) -> str:
    """The recorded exception ``error``'s class as a message names it: ``app.Down``, a
    built-in's bare name (``ValueError``)."""
    module, name = str(error.get("module", "")), str(error.get("type", "Exception"))
    return name if module in ("", "builtins") else f"{module}.{name}"


def _exception_class(error: dict[str, Any]) -> Any:
    """The class of the recorded exception ``error``, imported, or its stand-in
    (:func:`_stand_in`); raises what importing it raised when it has none."""
    module, name = str(error.get("module", "")), str(error.get("type", "Exception"))
    try:
        return _recorded_class(module, name)
    except Exception:
        stand_in = _stand_in(error.get("base"), module, name)
        if stand_in is None:
            raise
        return stand_in


def _stand_in(base: Any, module: str, name: str) -> type[BaseException] | None:
    """A class of the recorded ``name`` and ``module`` made on the recorded ``base`` (the
    nearest importable base of a class no import path reaches: botocore's error factory makes
    ``NoSuchKey`` at run time, agents catch its ``ClientError``); ``None`` when there is no
    base, or it cannot be imported or subclassed."""
    if type(base) is not dict:
        return None
    try:
        cls = _recorded_class(str(base.get("module", "")), str(base.get("type", "")))
        if not isinstance(cls, type) or not issubclass(cls, BaseException):
            return None
        namespace = {"__module__": module, "__qualname__": name, "__doc__": cls.__doc__}
        return type(name.rpartition(".")[2], (cls,), namespace)
    except Exception:  # (a base gone since the recording, one refusing subclasses)
        return None


def _recorded_class(module: str, name: str) -> Any:
    """The object ``name`` (a qualified name) of ``module``, imported (raises what importing
    it raised; a package's ``__main__``, a script, is not imported)."""
    if module not in sys.modules and is_script(module):
        raise ImportError(SCRIPT.format(module))
    obj: Any = importlib.import_module(module)
    for part in name.split("."):
        obj = getattr(obj, part)
    return obj


def _stops_the_run(cls: type) -> bool:
    """Whether an exception of ``cls``, raised in a test, ends the test run."""
    return issubclass(cls, KeyboardInterrupt) or _is_one_of(cls, _ENDS_THE_SESSION)


#: what to do about an exception whose class cannot be created from what was recorded: a
#: re-recording records the same
_CANNOT_CREATE = (
    "Re-recording records it the same way: mock the function under this one (the call that "
    "reaches the service) so that this one runs and raises it at replay, or mock a function of "
    "your own that catches it and returns what the agent uses"
)


#: makes the exception of a class (given: the recorded one, or the subclass :func:`_reading`
#: makes of it) from what was recorded, for a class not made from its ``args``
_Maker = Callable[[type[BaseException]], BaseException]

#: why a ValidationError recorded by its message only is not rebuilt
_MESSAGE_ONLY = (
    "the golden holds its message only, not its title and line errors (recorded by an earlier "
    "version of pytest-clearstone, or with pydantic older than 2.6)"
)


def _validation_error(state: Any, allow_pickle: bool, depth: int) -> _Maker:
    """How pydantic's ``ValidationError`` is made from its recorded ``state``: its values
    decoded under ``allow_pickle``, the exceptions of its line errors' ``ctx`` rebuilt as any
    recorded exception is."""

    def decode(tree: Any) -> Any:
        return codec.decode(tree, allow_pickle=allow_pickle)

    def rebuild(record: dict[str, Any]) -> BaseException:
        return rebuild_exception(record, allow_pickle=allow_pickle, depth=depth + 1)

    return lambda cls: validation_error_from_state(cls, state, decode, rebuild)


def _created(
    cls: type[BaseException],
    args: tuple[Any, ...],
    attributes: Any,
    made: _Maker | None = None,
) -> BaseException:
    """An exception of ``cls`` made from its recorded ``args`` (or by ``made``) and
    ``attributes`` (raises what creating it raised)."""
    if made is not None:
        rebuilt = made(cls)
    else:
        try:
            rebuilt = cls(*args)
        except Exception:  # an __init__ with other parameters (keyword-only, extra ones)
            rebuilt = _made_from_fields(cls, attributes) or cls.__new__(cls)
            rebuilt.args = args
    if type(attributes) is dict:
        for name, value in attributes.items():
            if isinstance(getattr(cls, name, None), MemberDescriptorType):
                setattr(rebuilt, name, value)  # a built-in's field (an OSError's filename)
            else:
                vars(rebuilt)[name] = value
    return rebuilt


def _made_from_fields(cls: type[BaseException], fields: Any) -> BaseException | None:
    """An exception of ``cls`` made by calling it with its recorded ``fields`` (its attributes)
    of its parameters' names (an SDK's ``APIStatusError(message, *, response, body)``): so a
    field its ``__init__`` sets that the golden does not hold (added to the class, or by an SDK
    release, since it was recorded) is there as a live error has it, rather than missing.
    ``None`` when a parameter without a default has no recorded field, or the call fails."""
    if type(fields) is not dict:
        return None
    try:
        parameters = inspect.signature(cls).parameters.values()
    except (TypeError, ValueError):  # (a class of C code without a signature)
        return None
    given = {}
    for parameter in parameters:
        if parameter.kind in (parameter.VAR_POSITIONAL, parameter.VAR_KEYWORD):
            continue
        if parameter.name in fields and parameter.kind is not parameter.POSITIONAL_ONLY:
            given[parameter.name] = fields[parameter.name]
        elif parameter.default is parameter.empty:
            return None
    try:
        made = cls(**given)
    except Exception:  # (an __init__ that wants its values otherwise than recorded)
        return None
    return made if isinstance(made, cls) else None


def _text(error: BaseException) -> str | None:
    try:
        return str(error)
    except Exception:  # a __str__ reading what was not recorded
        return None


def _reading(
    message: str,
    cls: type[BaseException],
    args: tuple[Any, ...],
    attributes: Any,
    made: _Maker | None = None,
) -> BaseException | None:
    """An exception of ``cls``'s name, module and ``except`` clauses, made as :func:`_created`
    makes one, whose text is the recorded ``message`` (an ``__init__`` that formats its
    argument, a ``__str__`` reading a value stored as a placeholder would read otherwise): of
    a subclass made for it. ``None`` when ``cls`` cannot be subclassed."""

    def __str__(self: BaseException) -> str:
        return message

    namespace = {
        "__str__": __str__,
        "__module__": cls.__module__,
        "__qualname__": cls.__qualname__,
        "__doc__": cls.__doc__,
    }
    try:
        # (type() hands the class to cls's metaclass, if it has one)
        return _created(type(cls.__name__, (cls,), namespace), args, attributes, made)
    except Exception:  # a final class (bool-like), a metaclass or __init_subclass__ refusing
        return None


#: exceptions of test frameworks a replay does not raise again as themselves, as a
#: ``KeyboardInterrupt``: they end the test run (``SystemExit`` does not: pytest fails the test
#: it escapes from), ``(module, class name)``: looked up where the module is
#: imported (a subclass of one cannot exist before it is), so replaying imports none of them
_ENDS_THE_SESSION = (("_pytest.outcomes", "Exit"),)
#: and those that would decide the test's outcome (pytest.skip, pytest.xfail, pytest.fail,
#: unittest's skips) in place of the replay
_DECIDES_THE_OUTCOME = (("_pytest.outcomes", "OutcomeException"), ("unittest.case", "SkipTest"))


def _is_one_of(cls: type, classes: tuple[tuple[str, str], ...]) -> bool:
    """Whether ``cls`` subclasses one of ``classes`` (``(module, class name)``, of a module
    imported now)."""
    for module, name in classes:
        found = getattr(sys.modules.get(module), name, None)
        if isinstance(found, type) and issubclass(cls, found):
            return True
    return False
