"""Patching a callable *instance* keeps it an object of its class, undone exactly
(``golden.targets.callable_instance``, ``made_for``, ``place``)."""

from __future__ import annotations

import functools
import sys
import types
from collections.abc import Iterator
from typing import Any, ClassVar

import pytest

from pytest_clearstone.errors import MockTargetError
from pytest_clearstone.golden.targets import PatchStack, made_for, place, resolve


class Greeter:
    def __init__(self) -> None:
        self.prefix = "hello "

    def __call__(self, name: str) -> str:
        return self.prefix + name


class Sealed:
    def __init_subclass__(cls, **kwargs: Any) -> None:
        raise TypeError("Sealed takes no subclasses")

    def __call__(self, name: str) -> str:
        return name


@pytest.fixture
def module() -> Iterator[types.ModuleType]:
    mod = types.ModuleType("callables_under_test")
    mod.greet = Greeter()  # type: ignore[attr-defined]
    mod.sealed = Sealed()  # type: ignore[attr-defined]
    mod.lookup = functools.partial(lambda table, key: f"{table}[{key}]", "db")  # type: ignore[attr-defined]
    sys.modules[mod.__name__] = mod
    yield mod
    del sys.modules[mod.__name__]


def _patch(path: str, stack: PatchStack, calls: list[Any]) -> None:
    target = resolve(path)

    def make(fn: Any) -> Any:
        def stand_in(*args: Any, **kwargs: Any) -> Any:
            calls.append((args, kwargs))
            return "answered"

        return stand_in

    place(target, made_for(target, make), stack)


def test_an_object_with_call_keeps_its_identity_class_and_state(module: Any) -> None:
    greet, calls, stack = module.greet, [], PatchStack()
    _patch("callables_under_test.greet", stack, calls)
    assert module.greet is greet and isinstance(greet, Greeter) and greet.prefix == "hello "
    assert greet("Ada") == "answered" and calls == [((greet, "Ada"), {})]
    stack.undo()
    assert type(greet) is Greeter and greet("Ada") == "hello Ada"


class ReadOnlyGreeter:
    """Its objects refuse every attribute set on them (``__class__`` too) once made."""

    def __init__(self) -> None:
        object.__setattr__(self, "prefix", "hello ")

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"ReadOnlyGreeter is read-only: {name!r} cannot be set")

    def __call__(self, name: str) -> str:
        return str(self.prefix) + name


def test_an_object_refusing_every_attribute_set_is_patched_and_restored(module: Any) -> None:
    greet, calls, stack = ReadOnlyGreeter(), [], PatchStack()
    module.read_only = greet
    _patch("callables_under_test.read_only", stack, calls)
    assert module.read_only is greet and isinstance(greet, ReadOnlyGreeter)
    assert greet("Ada") == "answered" and calls == [((greet, "Ada"), {})]
    stack.undo()
    assert type(greet) is ReadOnlyGreeter and greet("Ada") == "hello Ada"


def test_an_object_patched_in_place_is_not_told_as_what_displaced_its_stand_in(
    module: Any,
) -> None:
    # (the object at the path is the one the test gave, patched itself: nothing displaced it)
    from pytest_clearstone.golden.targets import displaced_by, patch_with

    module.tool = types.SimpleNamespace(func=lambda query: query)
    stack = PatchStack()
    for path in ("callables_under_test.greet", "callables_under_test.tool"):
        patch_with(resolve(path), lambda args, kwargs: "answered", stack)
        assert displaced_by(resolve(path)) is None
    stack.undo()


class PoliteGreeter(Greeter):
    """Its ``__call__`` is its base class's."""


def test_an_object_whose_class_inherits_call_keeps_its_identity_and_class(module: Any) -> None:
    greet, calls, stack = PoliteGreeter(), [], PatchStack()
    module.polite = greet
    assert resolve("callables_under_test.polite").kind == "call"
    _patch("callables_under_test.polite", stack, calls)
    assert module.polite is greet and isinstance(greet, PoliteGreeter)
    assert greet("Ada") == "answered" and calls == [((greet, "Ada"), {})]
    stack.undo()
    assert type(greet) is PoliteGreeter and greet("Ada") == "hello Ada"


class Catalog:
    class Search:
        """Searches the catalog."""

        def __call__(self, query: str) -> str:
            return query


def test_an_object_with_call_is_named_by_its_own_class_while_patched(module: Any) -> None:
    # (a recording names the class of its `self`; a repr shows it)
    search, stack = Catalog.Search(), PatchStack()
    module.search = search
    _patch("callables_under_test.search", stack, [])
    cls = type(search)
    assert (cls.__module__, cls.__qualname__, cls.__doc__) == (
        __name__,
        "Catalog.Search",
        "Searches the catalog.",
    )
    assert repr(search).startswith(f"<{__name__}.Catalog.Search object at ")
    stack.undo()


def test_a_partial_stays_a_partial_of_the_same_arguments(module: Any) -> None:
    original, calls, stack = module.lookup, [], PatchStack()
    _patch("callables_under_test.lookup", stack, calls)
    assert isinstance(module.lookup, functools.partial) and module.lookup.args == ("db",)
    assert module.lookup("k") == "answered" and calls == [(("db", "k"), {})]
    stack.undo()
    assert module.lookup is original


def test_a_partial_keeps_its_keyword_arguments(module: Any) -> None:
    module.lookup = functools.partial(module.lookup.func, "db", key="k")
    calls: list[Any] = []
    stack = PatchStack()
    _patch("callables_under_test.lookup", stack, calls)
    assert module.lookup.keywords == {"key": "k"}
    assert module.lookup() == "answered" and calls == [(("db",), {"key": "k"})]
    stack.undo()


def test_a_class_refusing_a_subclass_names_its_call_method(module: Any) -> None:
    with pytest.raises(MockTargetError) as info:
        _patch("callables_under_test.sealed", PatchStack(), [])
    assert str(info.value) == (
        "mock target 'callables_under_test.sealed' cannot be patched: it is a "
        f"{__name__}.Sealed instance, whose calls cannot be patched on it alone (TypeError: "
        "Sealed takes no subclasses). Mock the method of its class, "
        f"'{__name__}.Sealed.__call__' (it records the calls of every instance, each compared "
        "by its `self`'s settings)"
    )


class Registered:
    """Its subclasses must be registered first: an error that is no TypeError."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        raise LookupError(f"{cls.__name__} is not registered")

    def __call__(self, name: str) -> str:
        return name


def test_a_class_refusing_a_subclass_with_another_error_names_its_call_method(
    module: Any,
) -> None:
    module.registered = Registered()
    with pytest.raises(MockTargetError) as info:
        _patch("callables_under_test.registered", PatchStack(), [])
    assert "(LookupError: Registered is not registered). Mock the method of its class, " in str(
        info.value
    )


class Traced:
    """A decorator made as a class: ``functools.update_wrapper`` puts the function it wraps in
    the object's own ``__wrapped__``, which is not a function it holds for its calls."""

    def __init__(self, fn: Any) -> None:
        functools.update_wrapper(self, fn)
        self.calls = 0

    def __call__(self, query: str) -> str:
        self.calls += 1
        return str(self.__wrapped__(query.strip()))  # type: ignore[attr-defined]


def test_a_decorator_object_is_patched_at_its_call_not_at_what_it_wraps(module: Any) -> None:
    traced = Traced(lambda query: f"live {query}")
    module.traced = traced
    calls: list[Any] = []
    stack = PatchStack()
    assert resolve("callables_under_test.traced").kind == "call"
    _patch("callables_under_test.traced", stack, calls)
    assert traced(" soup ") == "answered" and calls == [((traced, " soup "), {})]
    assert traced.calls == 0  # (its own __call__ is what the stand-in replaced)
    stack.undo()
    assert traced(" soup ") == "live soup" and traced.calls == 1


def test_a_partial_keeps_the_attributes_set_on_it(module: Any) -> None:
    # (a registry that names its tools reads them from the object at the path)
    module.lookup.name = "lookup_tool"
    stack = PatchStack()
    _patch("callables_under_test.lookup", stack, [])
    assert module.lookup.name == "lookup_tool"
    stack.undo()


def test_a_partial_replaced_at_its_path_is_patched_with_its_own_arguments(module: Any) -> None:
    from pytest_clearstone.golden.targets import patch_with

    def answer(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Any:
        return args

    stack = PatchStack()
    patch_with(resolve("callables_under_test.lookup"), answer, stack)
    assert module.lookup("k") == ("db", "k")
    stack.undo()
    # the module makes the partial again, of the same function, with another argument
    module.lookup = functools.partial(module.lookup.func, "cache")
    patch_with(resolve("callables_under_test.lookup"), answer, stack)
    assert module.lookup("k") == ("cache", "k")
    stack.undo()


class Slotted:
    """A callable class keeping its state in ``__slots__`` (no ``__dict__``)."""

    __slots__ = ("prefix",)

    def __init__(self) -> None:
        self.prefix = "hi "

    def __call__(self, name: str) -> str:
        return self.prefix + name


def test_an_object_of_a_slotted_class_with_call_is_patched_keeping_its_class(
    module: Any,
) -> None:
    # (its patch class adds no __dict__: an object's class can only be one of its layout)
    slotted, calls, stack = Slotted(), [], PatchStack()
    module.slotted = slotted
    _patch("callables_under_test.slotted", stack, calls)
    assert module.slotted is slotted and isinstance(slotted, Slotted)
    assert slotted("Ada") == "answered" and calls == [((slotted, "Ada"), {})]
    stack.undo()
    assert type(slotted) is Slotted and slotted("Ada") == "hi Ada"


class Singleton(type):
    """A metaclass whose ``__call__`` (Python code) gives each class one object."""

    made: ClassVar[dict[type, Any]] = {}

    def __call__(cls, *args: Any, **kwargs: Any) -> Any:
        if cls not in Singleton.made:
            Singleton.made[cls] = super().__call__(*args, **kwargs)
        return Singleton.made[cls]


class Store(metaclass=Singleton):
    def __init__(self, url: str = "sqlite://") -> None:
        self.url = url


def test_a_class_whose_metaclass_has_call_is_patched_on_its_module_as_a_function(
    module: Any,
) -> None:
    # (a class is no callable instance: its metaclass's __call__ is not what is patched)
    module.Store, calls, stack = Store, [], PatchStack()
    assert resolve("callables_under_test.Store").kind == "function"
    _patch("callables_under_test.Store", stack, calls)
    assert module.Store("db://") == "answered" and calls == [(("db://",), {})]
    assert not hasattr(module.Store, "mro")  # (no method of the class's type is kept)
    stack.undo()
    assert module.Store is Store and type(Store) is Singleton


class Tool:
    """An object holding the function its calls make and a wrapper of it that checks the
    arguments first (``functools.wraps``: the wrapper's ``__wrapped__`` is the function)."""

    def __init__(self, fn: Any) -> None:
        self.func = fn
        self.checked = functools.wraps(fn)(lambda query: fn(query.strip()))

    def run(self, query: str) -> Any:
        return self.checked(query)


def test_an_object_holding_a_function_and_its_wrapper_is_patched_at_both(module: Any) -> None:
    from pytest_clearstone.golden.targets import patch_with

    tool = Tool(lambda query: f"live {query}")
    module.tool = tool
    target = resolve("callables_under_test.tool")
    assert (target.kind, target.attributes) == ("held", ("func", "checked"))
    stack = PatchStack()
    patch_with(target, lambda args, kwargs: "answered", stack)
    kept = tool.checked  # (the wrapper's stand-in, kept by the agent's code)
    assert tool.run(" soup ") == "answered" and tool.func("soup") == "answered"
    stack.undo()
    assert tool.run(" soup ") == "live soup"
    assert kept(" soup ") == "live soup"  # the wrapper itself runs, checking first


def test_a_function_the_test_puts_back_on_an_object_while_patched_stays_there(
    module: Any,
) -> None:
    # (the fixture's double under the patch, undone by the test's body: mocker.stopall())
    from pytest_clearstone.golden.targets import patch_with

    def live(query: str) -> str:
        return f"live {query}"

    def double(query: str) -> str:
        return "double"

    module.tool = tool = types.SimpleNamespace(func=double)
    stack = PatchStack()
    patch_with(resolve("callables_under_test.tool"), lambda args, kwargs: "answered", stack)
    assert tool.func("q") == "answered"
    tool.func = live
    stack.undo()
    assert tool.func is live
