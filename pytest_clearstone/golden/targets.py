"""Resolving mock target import paths and patching them with an undo stack."""

from __future__ import annotations

import abc
import builtins
import functools
import importlib
import inspect
import os
import sys
from collections.abc import Callable
from functools import partial
from types import FunctionType, ModuleType, TracebackType
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from typing_extensions import Self

from ..callables import PASS, Around, as_descriptor, held_functions, wrap
from ..codec.naming import is_mock_double
from ..errors import ChildProcessCallError, MockTargetError, article
from .processes import tell_parent

_MISSING: Any = object()

Handler = Callable[[tuple[Any, ...], dict[str, Any]], Any]


class Target(NamedTuple):
    """A resolved import path: the object holding the attribute, and what is there now.

    (A named tuple: immutable and equal by value, and made at import far more cheaply than a
    frozen dataclass.)"""

    path: str
    owner: Any
    name: str
    raw: Any  # what owner.__dict__ holds (a staticmethod/classmethod object for those)
    function: Callable[..., Any]  # the underlying callable (of a callable instance: see kind)
    #: "function", "method", "staticmethod" or "classmethod"; for a callable instance (see
    #: :func:`callable_instance`): "held" (it holds the function its calls make, in
    #: ``attributes``), "partial" (a ``functools.partial`` of ``function``) or "call" (its
    #: class's ``__call__``, ``function``)
    kind: str
    instance: Any = None  # the callable instance at the path (None for the other kinds)
    attributes: tuple[str, ...] = ()  # "held": the instance's attributes holding the function

    @property
    def is_method(self) -> bool:
        return self.kind in ("method", "classmethod", "call")


#: path -> (target, module name, module, [(attribute, object)] from the module to the owner)
_resolved: dict[str, tuple[Target, str, Any, tuple[tuple[str, Any], ...]]] = {}


def resolve(path: str) -> Target:
    """Resolve ``pkg.module.func``, ``pkg.module.Class.method`` or ``pkg.module.obj.attr``.

    Raises :class:`MockTargetError` naming the path and what is wrong with it. A resolved path is
    remembered (a golden suite patches the same targets in every test) and re-checked on each
    call: a reloaded module or a replaced attribute is resolved afresh.
    """
    cached = _resolved.get(path) if type(path) is str else None
    if cached is not None:
        target, module_name, module, chain = cached
        if sys.modules.get(module_name) is module:
            owner = module
            for part, obj in chain:
                if getattr(owner, part, _MISSING) is not obj:
                    break
                owner = obj
            else:
                if getattr(owner, "__dict__", {}).get(target.name, _MISSING) is target.raw:
                    return target
    return _resolve(path)


def _resolve(path: str) -> Target:
    if not isinstance(path, str) or not path or "." not in path:
        raise MockTargetError(str(path), "it is not a dotted import path")
    if "," in path or any(c.isspace() for c in path):
        raise MockTargetError(
            path,
            "it holds a comma or a space, which no import path holds",
            fix="Give each target as an item of a list: {'tool': ['a.b', 'c.d']}",
        )
    parts = path.split(".")
    module, index = _longest_module(path, parts)
    owner = module
    for i, part in enumerate(parts[index:-1], index):
        try:
            owner = getattr(owner, part)
        except AttributeError:
            from .target_errors import no_attribute  # (imported when a path is refused)

            raise no_attribute(path, parts, i, owner, typed=True) from None
    attr = parts[-1]
    try:
        current = getattr(owner, attr)
    except AttributeError:
        from .target_errors import no_attribute

        raise no_attribute(path, parts, len(parts) - 1, owner) from None
    if isinstance(owner, type) and isinstance(current, _PER_INSTANCE):
        from .target_errors import per_instance_value

        raise per_instance_value(path, parts, owner, current)
    if owner is builtins:  # (len, open: pytest and this plugin call them too)
        raise MockTargetError(
            path,
            "it is one of Python's built-in functions, which pytest and this plugin call too: "
            "mock the function of the agent's own that calls it",
        )
    if not callable(current) and not held_functions(current):  # (a tool object is not always)
        from .target_errors import not_callable

        raise not_callable(path, current)
    raw, function, kind = _raw_attribute(owner, attr, current)
    if kind == "function" and not isinstance(current, type) and not inspect.isroutine(current):
        target = callable_instance(Target(path, owner, attr, raw, function, kind, current))
    else:
        target = Target(path, owner, attr, raw, function, kind)
    # (an inherited or computed attribute is resolved each time; so is a stand-in of this
    # plugin's, resolved while it is in place: kept, it would keep its recording, and every
    # argument of its calls, alive after the test)
    if raw is not _MISSING and not is_stand_in(target.function):
        chain = []
        obj = module
        for part in parts[index:-1]:
            obj = getattr(obj, part)
            chain.append((part, obj))
        _resolved[path] = (target, module.__name__, module, tuple(chain))
    return target


#: what a class holds for a value made for each of its instances
_PER_INSTANCE = (property, functools.cached_property)


def _longest_module(path: str, parts: list[str]) -> tuple[Any, int]:
    """The longest importable module prefix of ``path`` and how many parts it takes."""
    module: Any = None
    index = 0
    for i in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:i])
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name is not None and not name.startswith(exc.name):
                raise MockTargetError(path, f"importing {name!r} failed: {exc}") from None
            continue
        except Exception as exc:
            raise MockTargetError(
                path, f"importing {name!r} raised {type(exc).__name__}: {exc}"
            ) from None
        index = i
        break
    if module is None:
        from .target_errors import no_module  # (imported when a path is refused)

        raise no_module(path, parts)
    return module, index


def _raw_attribute(owner: Any, attr: str, current: Any) -> tuple[Any, Any, str]:
    """What ``owner.__dict__`` holds for ``attr`` (``_MISSING`` when inherited or computed),
    the underlying callable, and its kind (function, method, staticmethod, classmethod)."""
    raw = _MISSING
    kind = "function"
    if isinstance(owner, type):
        for klass in owner.__mro__:
            if attr in klass.__dict__:
                raw = klass.__dict__[attr]
                break
        if isinstance(raw, staticmethod):
            kind, function = "staticmethod", raw.__func__
        elif isinstance(raw, classmethod):
            kind, function = "classmethod", raw.__func__
        elif inspect.isfunction(raw):
            kind, function = "method", raw
        else:
            function = current
        raw = owner.__dict__.get(attr, _MISSING)
    else:
        raw = getattr(owner, "__dict__", {}).get(attr, _MISSING)
        function = current
    return raw, function, kind


def callable_instance(target: Target) -> Target:
    """``target``, whose value is a callable *instance* (not a function, method or class: a
    tool object, a ``functools.partial``, an object of a class with ``__call__``), with what
    patching it replaces, so that it stays an object of its class while its calls are recorded
    and answered:

    - an object holding the function its calls make in an attribute, callable or not (a
      ``BetaFunctionTool``'s
      ``func`` and its validating wrapper ``_func_with_validate``, LangChain's ``@tool``'s
      ``func`` or ``coroutine``): those attributes, on the object itself ("held"), so every
      method of it that calls the function is recorded (``call``, ``invoke``, ``__call__``);
      an object holding several different functions is refused, naming each;
    - a ``functools.partial``: a partial of the same arguments over the function's stand-in
      ("partial"; the function's arguments, the partial's included, are recorded);
    - an object of a Python class with ``__call__``: the object's class, for the patch, is a
      subclass of it whose ``__call__`` is the stand-in ("call"); its state stays its own;
    - anything else (an object of a built-in or C-extension type: a ``functools.lru_cache``
      function) is replaced by a function with its signature, as a function is, which also
      has the object's public methods (``cache_clear``, ``cache_info``), bound to it.
    """
    obj, path = target.instance, target.path
    if isinstance(obj, functools.partial):
        return target._replace(function=obj.func, kind="partial")
    if is_mock_double(type(obj)):  # (the user's own stand-in: its calls are the ones to record)
        return target._replace(instance=None, kind=_double_kind(target))
    held = held_functions(obj)
    if held:
        roots: dict[int, Callable[..., Any]] = {}
        for _, value in held:
            root = _unwrapped(value)
            roots.setdefault(id(root), root)
        if len(roots) > 1:
            paths = [repr(f"{path}.{name}") for name, _ in held]
            raise MockTargetError(
                path,
                f"it is {_a_type(obj)} instance holding more than one function "
                f"({', '.join(paths)}), so which of them its calls make is unknown",
                fix=f"Mock the function its calls make: {' or '.join(paths)}",
            )
        (function,) = roots.values()
        return target._replace(
            function=function, kind="held", attributes=tuple(name for name, _ in held)
        )
    cls = type(obj)
    call = next((k.__dict__["__call__"] for k in cls.__mro__ if "__call__" in k.__dict__), None)
    if inspect.isfunction(call) and not cls.__flags__ & _IMMUTABLE_TYPE:
        return target._replace(function=call, kind="call")
    return target._replace(instance=None)


def _double_kind(target: Target) -> str:
    """A double held by a class is not a descriptor: the code's calls reach it unbound, with
    no ``self``, and so must those of its stand-in (a ``"staticmethod"``)."""
    return "staticmethod" if isinstance(target.owner, type) else target.kind


def _unwrapped(fn: Callable[..., Any]) -> Callable[..., Any]:
    try:
        root: Callable[..., Any] = inspect.unwrap(fn)
    except ValueError:  # a __wrapped__ cycle
        return fn
    return root


def _a_type(obj: Any) -> str:
    """``"a pkg.Class"`` / ``"an pkg.Class"``: the public path of ``obj``'s class."""
    cls = type(obj)
    name = public_path(cls) or f"{cls.__module__}.{cls.__qualname__}"
    return f"{article(name)} {name}"


def made_for(target: Target, make: Callable[[Callable[..., Any]], Any]) -> Any:
    """What replaces ``target`` (for :func:`place`), built from ``make(fn)``, the stand-in of a
    function ``fn`` the target's calls make: for a function or method the stand-in itself
    (a staticmethod/classmethod kept one); for a callable instance (:func:`callable_instance`)
    the stand-ins of the functions it holds by attribute, a copy of the partial, or the
    subclass whose ``__call__`` is the stand-in."""
    obj = target.instance
    if target.kind == "held":
        return {name: make(getattr(obj, name)) for name in target.attributes}
    if target.kind == "partial":
        copy = type(obj)(make(obj.func), *obj.args, **obj.keywords)
        vars(copy).update(vars(obj))
        return copy
    if target.kind == "call":
        cls = type(obj)
        metaclass: Any = type(cls)
        namespace = {
            "__call__": make(target.function),
            "__slots__": (),
            "__module__": cls.__module__,
            "__qualname__": cls.__qualname__,
            "__doc__": cls.__doc__,
        }
        try:
            return metaclass(cls.__name__, (cls,), namespace)
        except Exception as exc:
            raise _call_refused(target, exc) from None
    stand_in = make(target.function)
    if target.kind == "function":
        _keep_methods(target.function, stand_in)
    return as_descriptor(stand_in, target.kind)


def _keep_methods(original: Any, stand_in: Any) -> None:
    """Give the stand-in of a callable object of a built-in or C-extension type (a
    ``functools.lru_cache`` or ``functools.cache`` function) that object's public methods,
    bound to it: code that calls ``cache_clear()`` or ``cache_info()`` while the target is
    patched reaches the original's cache (a plain function has no such methods to keep)."""
    if inspect.isfunction(original) or isinstance(original, type):
        return
    for name in dir(type(original)):
        if name.startswith("_") or hasattr(stand_in, name):
            continue
        try:
            method = getattr(original, name)
        except Exception:  # (a property of the type that raises: nothing to keep)
            continue
        if callable(method):
            setattr(stand_in, name, method)


def place(target: Target, made: Any, stack: PatchStack) -> None:
    """Put ``made`` (from :func:`made_for`) in place of ``target`` until ``stack`` is undone:
    on its owner, or, for an object holding its function or of a class with ``__call__``, on
    the object itself (the same object: its identity and state are kept)."""
    obj = target.instance
    if target.kind == "held":
        for name, stand_in in made.items():
            try:
                stack.setattr(obj, name, stand_in, unless_replaced=True)
            except (TypeError, AttributeError, ValueError) as exc:  # (pydantic: ValueError)
                raise MockTargetError(
                    target.path,
                    f"it is {_a_type(obj)} instance, which refuses a new {name!r} "
                    f"({type(exc).__name__}: {exc})",
                    fix="Mock the function it holds where it is defined, or the method of its "
                    "class that calls it",
                ) from None
    elif target.kind == "call":
        cls = type(obj)
        try:
            object.__setattr__(obj, "__class__", made)
        except (TypeError, AttributeError) as exc:
            raise _call_refused(target, exc) from None
        stack.push(partial(object.__setattr__, obj, "__class__", cls))
    else:
        set_target(target, made, stack)


def _call_refused(target: Target, exc: Exception) -> MockTargetError:
    """The error for a callable instance whose calls cannot be patched on it alone (its class
    refuses a subclass, or the object a new class)."""
    cls = type(target.instance)
    method = f"{public_path(cls) or f'{cls.__module__}.{cls.__qualname__}'}.__call__"
    return MockTargetError(
        target.path,
        f"it is {_a_type(target.instance)} instance, whose calls cannot be patched on it alone "
        f"({type(exc).__name__}: {exc})",
        fix=f"Mock the method of its class, {method!r} (it records the calls of every "
        "instance, each compared by its `self`'s settings)",
    )


_SET = 0  # undo entries: (_SET, owner, name, old, placed) restores an attribute,
_DEL = 1  # (_DEL, owner, name, None, placed) removes ours, uncovering an inherited one,
_CALL = 2  # (_CALL, function, None, None, _ANY) calls an undo function
#: ``placed`` of an undo entry that is undone whatever the attribute holds by then
_ANY = object()


def _own_attribute(owner: Any, name: str) -> Any:
    """What ``owner`` holds as ``name`` (in its own ``__dict__``: a class's staticmethod
    itself, not the function it gives), ``None`` when nothing."""
    own = getattr(owner, "__dict__", None)
    return own.get(name) if own is not None else getattr(owner, name, None)


class PatchStack:
    """Attribute replacements undone in reverse order (like pytest's ``MonkeyPatch.undo``)."""

    __slots__ = ("_undo",)

    def __init__(self) -> None:
        self._undo: list[tuple[int, Any, Any, Any, Any]] = []

    def setattr(self, owner: Any, name: str, value: Any, *, unless_replaced: bool = False) -> None:
        """``setattr(owner, name, value)``, restoring exactly what was there on undo.

        ``unless_replaced``: undoing leaves the attribute alone when it no longer holds what
        this set: the test's own patch under this one, which the test undid while this one was
        in place (``mocker.stopall()``, ``monkeypatch.undo()`` in the test's body), is not put
        back for the tests after it."""
        own = getattr(owner, "__dict__", None)
        if own is not None and name in own:
            entry = (_SET, owner, name, own[name])
        elif not isinstance(owner, type) and hasattr(getattr(type(owner), name, None), "__set__"):
            entry = (_SET, owner, name, getattr(owner, name))  # a data descriptor (__code__)
        else:  # inherited or absent: removing our attribute uncovers the original
            entry = (_DEL, owner, name, None)
        setattr(owner, name, value)
        # (what the owner holds now: a pydantic model may keep another object than ``value``)
        self._undo.append((*entry, _own_attribute(owner, name) if unless_replaced else _ANY))

    def push(self, undo: Callable[[], None]) -> None:
        self._undo.append((_CALL, undo, None, None, _ANY))

    def undo(self) -> None:
        """Undo every change, newest first; keeps going if one undo fails, then re-raises."""
        first: BaseException | None = None
        entries = self._undo
        while entries:
            kind, target, name, old, placed = entries.pop()
            try:
                if placed is not _ANY and _own_attribute(target, name) is not placed:
                    continue  # (replaced since: see setattr)
                if kind == _SET:
                    setattr(target, name, old)
                elif kind == _DEL:
                    delattr(target, name)
                else:
                    target()
            except BaseException as exc:  # pragma: no cover - defensive
                first = first or exc
        if first is not None:  # pragma: no cover
            raise first

    def __len__(self) -> int:
        return len(self._undo)


class Patches(abc.ABC):
    """Patches applied while active, all undone on exit (also when applying fails halfway).

    A subclass writes :meth:`apply`, putting each change on the given :class:`PatchStack`;
    ``start()``/``stop()`` or ``with`` do the rest.
    """

    _stack: PatchStack | None = None

    @abc.abstractmethod
    def apply(self, stack: PatchStack) -> None:
        """Make the changes, each on ``stack`` (undone in reverse order by :meth:`stop`)."""

    def start(self) -> None:
        if self._stack is not None:
            raise RuntimeError(f"this {type(self).__name__} is already active")
        stack = PatchStack()
        try:
            self.apply(stack)
        except BaseException:
            stack.undo()
            raise
        self._stack = stack

    def stop(self) -> None:
        stack, self._stack = self._stack, None
        if stack is not None:
            stack.undo()

    @property
    def active(self) -> bool:
        return self._stack is not None

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


class Switch:
    """Where a stand-in finds the handler answering its calls (``None``: the original runs)."""

    __slots__ = ("handler",)

    def __init__(self) -> None:
        self.handler: Handler | None = None


#: path -> (function, kind, instance, stand-in, switch): one stand-in per target, reused by
#: every patch
_stand_ins: dict[str, tuple[Any, str, Any, Any, Switch]] = {}


def displaced_by(target: Target) -> Any:
    """What the test put in place of ``target``'s stand-in while it is patched (``mock.patch``
    or ``monkeypatch.setattr`` in its body), which then answers the agent's calls; ``None``
    when the stand-in is in place, the target is not patched now, or it is patched on an
    object rather than its owner."""
    cached = _stand_ins.get(target.path)
    if cached is None or cached[4].handler is None or target.kind in ("held", "call"):
        return None  # (not patched now, or not on its owner)
    current = _own_attribute(target.owner, target.name)
    return None if current is None or current is cached[3] else current


def _refuse_in_child(path: str, parent: int, test: str, args: Any, kwargs: Any) -> Any:
    error = ChildProcessCallError(
        path, pid=os.getpid(), parent=parent, action="replaying", test=test
    )
    tell_parent(error)  # (also when the child's code swallows it)
    raise error


def _refuse_calls_in_child() -> None:
    """In a child forked while stand-ins answer (a fork pool's worker started by the agent): a
    call there would take an answer the test's process never learns was taken, so each active
    stand-in refuses its calls instead (nothing is checked per call in the test's process)."""
    parent = os.getppid()
    for path, (*_, switch) in _stand_ins.items():
        handler = switch.handler
        if handler is not None:
            test = str(getattr(handler, "node_id", "") or "")
            switch.handler = partial(_refuse_in_child, path, parent, test)


if hasattr(os, "register_at_fork"):  # (not on Windows, which cannot fork)
    os.register_at_fork(after_in_child=_refuse_calls_in_child)


def patch_with(target: Target, handler: Handler, stack: PatchStack) -> None:
    """Replace ``target`` (until ``stack`` is undone) with a stand-in calling ``handler``.

    The stand-in of a target is built once (see :func:`replacement`) and reused: patching
    points its switch at ``handler``, undoing points it back (nested patches of one target
    undo in order). A stand-in left behind in user code (``from app import complete`` run
    while patched) calls the original function when no patch is active.
    """
    cached = _stand_ins.get(target.path)
    if (
        cached is not None
        and cached[0] is target.function
        and cached[1] == target.kind
        and cached[2] is target.instance
    ):
        stand_in, switch = cached[3], cached[4]
    else:
        switch = Switch()
        stand_in = replacement(target, switch)
        _stand_ins[target.path] = (
            target.function,
            target.kind,
            target.instance,
            stand_in,
            switch,
        )
    stack.setattr(switch, "handler", handler)  # undone after the attribute below
    place(target, stand_in, stack)


def set_target(target: Target, value: Any, stack: PatchStack) -> None:
    """Set ``target``'s attribute on its owner to ``value`` (until ``stack`` is undone); a
    :class:`MockTargetError` naming the target when the owner refuses it (a built-in or
    extension type: its attributes cannot be set)."""
    try:
        stack.setattr(target.owner, target.name, value, unless_replaced=True)
    except (TypeError, AttributeError, ValueError) as exc:  # (pydantic raises ValueError)
        owner = target.owner
        cls = owner if isinstance(owner, type) else type(owner)
        if not isinstance(owner, ModuleType) and cls.__flags__ & _IMMUTABLE_TYPE:
            name = public_path(cls) or f"{cls.__module__}.{cls.__qualname__}"
            raise MockTargetError(
                target.path,
                f"{name!r} is a built-in or C-extension type, whose methods cannot be patched "
                f"({exc})",
                fix="Mock the function of the agent's own that calls it instead, e.g. "
                "'my_app.db.run_query'",
            ) from None
        if isinstance(owner, (type, ModuleType)):
            raise MockTargetError(target.path, str(exc)) from None
        raise MockTargetError(target.path, _through_instance(target, exc)) from None


#: ``Py_TPFLAGS_IMMUTABLETYPE``, the flag of the types whose attributes cannot be set: the
#: built-in types and those of C extensions (``sqlite3.Cursor``); never a class of Python code
_IMMUTABLE_TYPE = 1 << 8


def _through_instance(target: Target, exc: Exception) -> str:
    """Why ``target``, an attribute of an instance that refused to have it set (a pydantic model:
    a LangChain chat model or tool), cannot be patched, naming the paths to mock instead: the
    function the instance wraps (a tool's ``func``), if any, and the method on its class.

    The same shape as a path through a class's property
    (:func:`~.target_errors.no_attribute`): the path goes through a value made at run time, and
    the fix is the method on that value's class."""
    where = target.path.rsplit(".", 1)[0]
    owner = target.owner
    cls = type(owner)
    cls_path = public_path(cls) or f"{cls.__module__}.{cls.__qualname__}"
    wrapped = [
        repr(public_path(value) or f"{where}.{name}")
        for name, value in getattr(owner, "__dict__", {}).items()
        if inspect.isfunction(value)
    ]
    fixes = [f"mock the function it wraps, {' or '.join(wrapped)}"] if wrapped else []
    method = f"{cls_path}.{target.name}"
    fixes.append(
        f"give the method on its class, {method!r} (it records the calls of every instance, "
        "each compared by its `self`'s settings)"
    )
    return (
        f"{where!r} is a {cls_path} instance, which refuses the patch ({type(exc).__name__}: "
        f"{exc}); {', or '.join(fixes)}"
    )


def public_path(obj: Any) -> str | None:
    """The shortest import path under which ``obj`` (a class or function) is found in a loaded
    module of its package (``langchain_openai.ChatOpenAI``, not
    ``langchain_openai.chat_models.base.ChatOpenAI``), or ``None`` when its module does not
    hold it under its own name (a function a decorator replaced there, a local class)."""
    module_name = str(getattr(obj, "__module__", None) or "")
    qualname = str(getattr(obj, "__qualname__", ""))
    if not module_name or not qualname or "<" in qualname:
        return None
    parts = module_name.split(".")
    for i in range(1, len(parts) + 1):
        found: Any = sys.modules.get(".".join(parts[:i]))
        for name in qualname.split("."):
            found = getattr(found, name, None)
        if found is obj:
            return f"{'.'.join(parts[:i])}.{qualname}"
    return None


#: the attribute naming the target on each stand-in the plugin patches in (a replay's, a
#: recording's), whose ``__wrapped__`` holds the target's function
STAND_IN_TARGET = "__clearstone_target__"


def is_stand_in(fn: Any) -> bool:
    """Whether ``fn`` is a stand-in this plugin patches in (see :func:`stand_in_maker`)."""
    return type(fn) is FunctionType and STAND_IN_TARGET in fn.__dict__


def stand_in_maker(target: Target, around: Around) -> Callable[[Callable[..., Any]], Any]:
    """The ``make`` of :func:`made_for` for ``target``: the stand-in of a function its calls
    make runs ``around`` around each call (:func:`~pytest_clearstone.callables.wrap`) and is
    marked with the target's path (:data:`STAND_IN_TARGET`)."""

    def make(fn: Callable[..., Any]) -> Any:
        made = wrap(fn, around)
        setattr(made, STAND_IN_TARGET, target.path)
        return made

    return make


def replacement(target: Target, switch: Switch) -> Any:
    """A stand-in for ``target`` that calls ``switch.handler(args, kwargs)``, or the original
    function while the switch has no handler.

    The stand-in has the original's signature (``inspect.signature`` follows ``__wrapped__``),
    binds like it (a plain function for methods, staticmethod/classmethod kept), and keeps its
    kind: a coroutine function stays one, generators yield the handler's list of chunks. A
    callable instance's stand-in keeps it an object of its class (:func:`made_for`).
    """
    return made_for(target, stand_in_maker(target, _StandIn(switch)))


class _StandIn:
    """What a stand-in does around each call (see :mod:`pytest_clearstone.callables`): the
    switch's handler gives the recorded answer (a value, or a list of chunks); no handler, and
    the original runs."""

    __slots__ = ("switch",)

    #: source only calls the handler, step and end add nothing: a plain function's stand-in
    #: calls the handler directly
    transparent = True

    def __init__(self, switch: Switch) -> None:
        self.switch = switch

    def begin(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        handler = self.switch.handler
        return PASS if handler is None else handler

    def source(self, handler: Handler, fn: Any, args: tuple[Any, ...], kwargs: Any) -> Any:
        __tracebackhide__ = True
        return handler(args, kwargs)

    def step(self, handler: Handler, advance: Callable[[], Any]) -> Any:
        __tracebackhide__ = True
        return advance()

    def end(self, handler: Handler, outcome: Any, error: BaseException | None) -> Any:
        return outcome
