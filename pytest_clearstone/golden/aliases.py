"""Where an agent may be calling a mock target instead of the path given: the other import paths
of the same callable, its sync/async twins and the owner's other ways of making the same request
(the hints of a recording whose target was never called; imported only then)."""

from __future__ import annotations

import functools
import inspect
import re
import sys
import types
import weakref
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Any

from ..callables import Kind, kind_of
from ..errors import (
    CHILD_PROCESS_FIX,
    HELD_FIX,
    ClearstoneError,
    MockTargetError,
    UncalledTargetWarning,
    article,
    held_by,
)
from .target_errors import PYDANTIC_AI_SDK_METHODS
from .targets import STAND_IN_TARGET, Target, resolve


def other_paths(path: str, near: Any) -> list[str]:
    """Other import paths of the callable at ``path``, found from the module ``near`` (a test
    module): its module-level names, and those of the modules it uses (imported, or defining the
    objects it imported). The usual cause of a recording with no calls: the agent imported the
    function by name (``from app.llm import complete`` in ``app.agent``), so patching
    ``app.llm.complete`` does not reach it, while ``app.agent.complete`` would."""
    target = resolve(path)
    modules = {id(near): near}
    for value in vars(near).values():
        module = (
            value
            if inspect.ismodule(value)
            else sys.modules.get(str(getattr(value, "__module__", "")), None)
        )
        if module is not None:
            modules.setdefault(id(module), module)
    wanted: Any
    if target.instance is not None:  # a callable instance: other names of the same object
        wanted = target.instance
    elif target.is_method:
        wanted = target.owner
    else:  # (a static method's too: `parse = Parser.parse` gives its function, unpatched)
        wanted = target.function
    found = []
    for module in modules.values():
        for name, value in list(vars(module).items()):
            if value is not wanted:
                continue
            # the candidate's owner and attribute: patching the same ones again (the class under
            # another name: a re-export) is the same patch, which cannot help
            if wanted is target.owner:
                owner, attribute, candidate = value, target.name, f"{module.__name__}.{name}"
                candidate += f".{target.name}"
            else:
                owner, attribute, candidate = module, name, f"{module.__name__}.{name}"
            same_patch = owner is target.owner and attribute == target.name
            if not same_patch and candidate != path and candidate not in found:
                found.append(candidate)
    return sorted(found)


def uncalled_aliases(
    pairs: Sequence[tuple[str, str]], called: Collection[str], near: Any
) -> list[tuple[str, str, list[str]]]:
    """``[(span_type, path, other paths)]`` for each mock target of ``pairs`` (as
    :func:`~pytest_clearstone.golden.mocks.normalize_mock_config` gives them) not among the
    ``called`` targets whose callable is also reachable, from the module ``near``, under other
    paths none of ``pairs`` mocks (:func:`other_paths`): the agent may call it under one of them.
    """
    mocked = {path for _, path in pairs}
    found = []
    for span_type, path in pairs:
        if path in called:
            continue
        try:
            others = [other for other in other_paths(path, near) if other not in mocked]
        except MockTargetError:  # (no longer resolves: nothing to suggest)
            continue
        if others:
            found.append((span_type, path, others))
    return found


#: referrers that hold a function without being what holds it for the agent: containers (their
#: holder is what holds them), frames, closures' cells and functions
_NOT_HOLDERS = (list, tuple, set, frozenset, types.FrameType, types.CellType, types.FunctionType)


def holders(path: str) -> list[str]:
    """The types (``module.QualName``) of the objects that keep the function at ``path`` in an
    attribute of theirs — a LangGraph node's ``RunnableCallable``, a ``functools.partial`` —
    made before the test patched the name: they call the function they hold, never the mock
    (the cause of a recording with no calls that no other import path fixes); and, as
    ``the dict app.tools.TOOLS``, the dicts and lists kept under a module's or a class's name
    that hold it (a registry of tools, maybe a few containers deep), and the functions whose
    parameter defaults to it (``def run(q, search_fn=search)``). Found with the
    garbage collector's referrers (a scan of every object: only for a target a recording did
    not call, once per function in a session); a module's or a class's namespace (an import
    path), the object at ``path`` itself (a ``functools.partial`` there is what a replay
    patches) and pytest-clearstone's own objects are not holders; nor is a dead object an
    earlier test left in a reference cycle, which the collector has not freed yet (a scan that
    finds a holder runs the collector's full pass and scans again)."""
    import gc

    target = resolve(path)
    remembered = False  # (per function: the objects made at import stay)
    if isinstance(target.owner, type) and target.kind == "method":
        scan = functools.partial(_bound_holders, target.function)
    elif not inspect.ismodule(target.owner) or not inspect.isfunction(target.function):
        return []
    elif target.instance is not None:  # (per object at the path: not kept)
        scan = functools.partial(_find_holders, target.function, target.instance)
    elif target.function in _holders_of:
        return list(_holders_of[target.function])
    else:
        scan = functools.partial(_find_holders, target.function, None)
        remembered = True
    found = scan()
    if found:  # (alive?)
        gc.collect()
        found = scan()
    if remembered:
        _holders_of[target.function] = found
    return list(found)


#: per function, what :func:`holders` found (the objects made at import stay)
_holders_of: weakref.WeakKeyDictionary[Any, list[str]] = weakref.WeakKeyDictionary()


def _find_holders(function: Any, at_path: Any) -> list[str]:
    """:func:`holders` of ``function``, but for ``at_path`` (the callable object at the
    target's import path, ``None``: the function is there itself)."""
    import gc

    found: list[str] = []
    spaces = {id(vars(m)): m for m in list(sys.modules.values()) if hasattr(m, "__dict__")}
    referrers = gc.get_referrers(function)
    for referrer in referrers:
        owners: list[Any]
        if isinstance(referrer, dict) and id(referrer) in spaces:
            owners = []  # a module's names: an import path
        elif isinstance(referrer, dict) and STAND_IN_TARGET in referrer:
            owners = []  # a stand-in of this plugin's (a replay attempt's, still referenced)
        elif isinstance(referrer, dict):
            owners = [
                o
                for o in gc.get_referrers(referrer)
                if _own_dict(o) is referrer and not inspect.ismodule(o) and not isinstance(o, type)
            ]
            if not owners:  # a plain dict: a registry of tools, named where it is kept
                named = _named_containers(referrer, spaces, {id(referrers)})
                found.extend(n for n in named if n not in found)
        elif type(referrer) in _CONTAINERS and referrer is not referrers:
            owners = []
            named = _named_containers(referrer, spaces, {id(referrers)})
            found.extend(n for n in named if n not in found)
        elif isinstance(referrer, _NOT_HOLDERS) or inspect.ismodule(referrer):
            owners = []
        else:
            owners = [referrer]
        for owner in owners:
            if owner is at_path is not None:
                continue  # (the target's own object: what the replay patches)
            t = type(owner)
            name = f"{t.__module__}.{t.__qualname__}"
            if not t.__module__.startswith("pytest_clearstone") and name not in found:
                found.append(name)
    return found


def _bound_holders(function: Any) -> list[str]:
    """The types of the objects that keep a bound method of the method ``function`` in an
    attribute of theirs (``self.complete = client.create``), bound before the test patched its
    class (an agent made by a session- or module-scoped fixture, or at import): it calls the
    method it bound, never the mock. (Not remembered, as for a function: such objects are made
    while the session runs.)"""
    import gc

    found: list[str] = []
    for method in gc.get_referrers(function):
        if not isinstance(method, types.MethodType) or method.__func__ is not function:
            continue
        for referrer in gc.get_referrers(method):
            if isinstance(referrer, types.CellType):  # (a wrapper made around the method)
                found += [name for name in _closure_holders(referrer) if name not in found]
                continue
            for owner in _keepers(method, referrer):
                t = type(owner)
                name = f"{t.__module__}.{t.__qualname__}"
                if (
                    not isinstance(owner, (type, *_NOT_HOLDERS))  # (a wrapper's __wrapped__)
                    and not inspect.ismodule(owner)
                    and not name.startswith("pytest_clearstone")
                    and name not in found
                ):
                    found.append(name)
    return found


def _keepers(value: Any, referrer: Any) -> list[Any]:
    """The objects that keep ``value`` in an attribute, found from ``referrer``, one of its
    referrers: an object whose attributes Python keeps without a dict of their own refers to
    the value itself; one with a dict, through it."""
    import gc

    if isinstance(referrer, dict):
        return [o for o in gc.get_referrers(referrer) if _own_dict(o) is referrer]
    names = _own_dict(referrer)
    if isinstance(names, dict) and any(held is value for held in names.values()):
        return [referrer]
    return []


def _closure_holders(cell: types.CellType) -> list[str]:
    """``the function langsmith.wrappers._openai.create, kept by an ...Completions`` for each
    function that closes over ``cell`` (which holds a bound method) and that an object keeps in
    an attribute: a library's wrapper made around the method it found then — LangSmith's
    ``wrap_openai`` sets one on the client's resource, instructor's client keeps one — which
    calls the method it bound, never the mock."""
    import gc

    found: list[str] = []
    for closure in gc.get_referrers(cell):
        if type(closure) is not tuple:
            continue
        for wrapper in gc.get_referrers(closure):
            if not isinstance(wrapper, types.FunctionType) or wrapper.__closure__ is not closure:
                continue
            # (its code's name: functools.wraps gave the function the wrapped method's names)
            name = f"{wrapper.__globals__.get('__name__', '?')}.{wrapper.__code__.co_name}"
            for referrer in gc.get_referrers(wrapper):
                for owner in _keepers(wrapper, referrer):
                    if isinstance(owner, (type, *_NOT_HOLDERS)) or inspect.ismodule(owner):
                        continue
                    t = type(owner)
                    holder = f"{t.__module__}.{t.__qualname__}"
                    if not holder.startswith("pytest_clearstone"):
                        found.append(f"the function {name}, kept by {article(holder)} {holder}")
    return found


def _wraps_bound(value: Any, function: Any) -> bool:
    """Whether ``value`` is a function closing over a bound method of ``function`` (a library's
    wrapper made around the method: :func:`_closure_holders`)."""
    return isinstance(value, types.FunctionType) and any(
        isinstance(held, types.MethodType) and held.__func__ is function
        for held in _cell_contents(value.__closure__ or ())
    )


def _cell_contents(cells: tuple[types.CellType, ...]) -> list[Any]:
    contents = []
    for cell in cells:
        try:
            contents.append(cell.cell_contents)
        except ValueError:  # (a cell not filled yet)
            continue
    return contents


#: the containers a registry of tools is made of (a dict of name to function, a list of specs;
#: these types exactly: a named tuple or a dict subclass is an object, a holder of its own)
_CONTAINERS = (dict, list, tuple, set, frozenset)
#: how many containers deep a function is looked for under a module's or a class's name, and
#: how many containers at most on each level (each costs a scan of every object)
_CONTAINER_DEPTH = 3
_CONTAINER_WIDTH = 8


def _named_containers(container: Any, spaces: dict[int, Any], skip: set[int]) -> list[str]:
    """``"the dict app.tools.TOOLS"`` for each name of a module or a class (``spaces``: the
    modules by the id of their namespace) that holds ``container`` — a function's registry
    made at import — or holds a container that holds it, up to :data:`_CONTAINER_DEPTH`
    levels; none of pytest-clearstone's own. ``skip``: the ids of the caller's own lists."""
    import gc

    found: list[str] = []
    level = [container]
    seen = {*skip, id(container), id(level)}
    for _ in range(_CONTAINER_DEPTH):
        above: list[Any] = []
        seen.add(id(above))
        for held in level:
            referrers = gc.get_referrers(held)
            seen.add(id(referrers))
            for referrer in referrers:
                if isinstance(referrer, types.FunctionType) and held in (
                    referrer.__defaults__,
                    referrer.__kwdefaults__,
                ):  # a parameter's default: `def run(q, search_fn=search)`
                    found.append(f"the defaults of {referrer.__module__}.{referrer.__qualname__}")
                if id(referrer) in seen or type(referrer) not in _CONTAINERS:
                    continue
                seen.add(id(referrer))
                prefix = _namespace_of(referrer, spaces) if type(referrer) is dict else None
                if prefix is None:
                    above.append(referrer)
                elif not prefix.startswith("pytest_clearstone"):
                    found += [
                        f"the {type(held).__name__} {prefix}.{name}"
                        for name, value in list(referrer.items())
                        if value is held and isinstance(name, str)
                    ]
        level = above[:_CONTAINER_WIDTH]
        seen.add(id(level))
        if not level:
            break
    return found


def _namespace_of(names: dict[Any, Any], spaces: dict[int, Any]) -> str | None:
    """The dotted name of the module (``spaces``: by the id of its namespace) or the class
    whose namespace ``names`` is, or ``None``: another dict."""
    module = spaces.get(id(names))
    if module is not None:
        return str(module.__name__)
    import gc

    for owner in gc.get_referrers(names):
        # (a class's __dict__ is a proxy of its namespace: the class refers to the dict)
        if isinstance(owner, type) and any(r is names for r in gc.get_referents(owner)):
            return f"{owner.__module__}.{owner.__qualname__}"
    return None


def _own_dict(obj: Any) -> Any:
    """``obj.__dict__`` read without running any code of its class (``None`` without one)."""
    try:
        return object.__getattribute__(obj, "__dict__")
    except Exception:  # no __dict__, or a class whose attribute lookup raises
        return None


def _split_private(name: str) -> tuple[str, str]:
    """A method name's leading underscores and the rest: the twins and other ways of a private
    method are private too (LangChain's ``_agenerate``: ``_generate``, ``_astream``)."""
    bare = name.lstrip("_")
    return name[: len(name) - len(bare)], bare


def twins(path: str) -> list[tuple[str, str]]:
    """The sync/async twins of the callable at ``path`` — ``invoke``/``ainvoke`` (and
    ``_generate``/``_agenerate``) on the same owner, ``Completions.create``/
    ``AsyncCompletions.create`` — as ``(path, "sync" or "async")``: the other cause of a
    recording with no calls, the agent calling the twin."""
    target = resolve(path)
    head, _, name = path.rpartition(".")
    private, bare = _split_private(name)
    candidates = [f"{head}.{private}a{bare}"]
    if bare.startswith("a"):
        candidates.append(f"{head}.{private}{bare[1:]}")
    if isinstance(target.owner, type):
        module, _, cls = head.rpartition(".")
        twin_cls = cls[len("Async") :] if cls.startswith("Async") else f"Async{cls}"
        candidates.append(f"{module}.{twin_cls}.{name}")
    found = []
    for candidate in candidates:
        try:
            twin = resolve(candidate)
        except MockTargetError:
            continue
        if twin.function is not target.function:
            is_async = kind_of(twin.function) in (Kind.ASYNC, Kind.ASYNCGEN)
            found.append((candidate, "async" if is_async else "sync"))
    return found


def siblings(path: str) -> list[str]:
    """The same method on the sibling classes of the owner of the method at ``path``: the
    classes of its library, or of another package of the family of the library that defines it
    (a LangChain partner package: ``langchain_anthropic`` beside ``langchain_openai``, both
    ``langchain_*`` as ``langchain_core``), that inherit it, unchanged, from the class that
    defines it, but do not derive from the owner (``langchain_openai.AzureChatOpenAI.invoke``
    and ``langchain_anthropic.ChatAnthropic.invoke`` for ``langchain_openai.ChatOpenAI.invoke``:
    all inherit ``BaseChatModel.invoke``, and the patch is set on ``ChatOpenAI``; an agent on
    ``init_chat_model`` names no class), by their paths, those of the library first: the agent
    may call one of them instead. Named from the module of ``path`` when it exports the class,
    else from its package when that exports it."""
    target = resolve(path)
    owner = target.owner
    if not isinstance(owner, type) or not target.is_method:
        return []
    name = target.name
    definer = next((c for c in owner.__mro__ if name in vars(c)), None)
    if definer is None or definer is owner or definer.__module__ == "builtins":
        return []  # (object's methods: every class would be a sibling)
    head = path.rpartition(".")[0].rpartition(".")[0]
    module = sys.modules.get(head)
    library = owner.__module__.partition(".")[0]
    home = definer.__module__.partition(".")[0]
    family = f"{home.partition('_')[0]}_"
    found: list[str] = []
    partners: list[str] = []
    for cls in _subclasses(definer):
        try:
            package = str(cls.__module__).partition(".")[0]
            if (
                (package != library and (package == home or not package.startswith(family)))
                or cls.__name__.startswith("_")
                or issubclass(cls, owner)
                or issubclass(owner, cls)
                or inspect.getattr_static(cls, name, None) is not vars(definer)[name]
            ):
                continue
        except Exception:  # (a class whose checks raise, a metaclass's __subclasses__: none)
            continue
        if package == library:
            exported = module is not None and getattr(module, cls.__name__, None) is cls
            where = f"{head}.{cls.__name__}" if exported else f"{cls.__module__}.{cls.__qualname__}"
            found.append(f"{where}.{name}")
        elif getattr(sys.modules.get(package), cls.__name__, None) is cls:
            partners.append(f"{package}.{cls.__name__}.{name}")
    return found + partners


#: the SDKs whose resources have a twin in a ``beta`` namespace (``client.beta.messages``
#: beside ``client.messages``), by their top package
_BETA_SDKS = ("anthropic", "openai")


def beta_twins(path: str) -> list[tuple[str, str]]:
    """The same method of an SDK's resource in its ``beta`` namespace, or out of it, for the
    method at ``path`` (``anthropic.resources.beta.messages.AsyncMessages.create`` for
    ``anthropic.resources.messages.AsyncMessages.create`` and back), as ``(path, call)``, the
    call the way an agent writes it (``client.beta.messages.create``): the fourth cause of a
    recording with no calls, a library built on the SDK sending the request through the other
    (pydantic-ai's ``AnthropicModel`` sends by ``client.beta.messages.create``)."""
    package, _, rest = path.partition(".resources.")
    if package not in _BETA_SDKS or not rest:
        return []
    other = rest.removeprefix("beta.") if rest.startswith("beta.") else f"beta.{rest}"
    candidate = f"{package}.resources.{other}"
    try:
        twin = resolve(candidate)
    except MockTargetError:
        return []
    if twin.function is resolve(path).function:
        return []
    *parts, _, method = other.split(".")
    if len(parts) > 1 and parts[-1] == parts[-2]:  # (the defining module: messages.messages)
        parts.pop()
    return [(candidate, f"client.{'.'.join(parts)}.{method}")]


#: the names under which SDKs and frameworks offer another way to make the request a mocked
#: method makes (a streamed or parsed answer, pydantic-ai's ``request_stream``), often without
#: going through it: anthropic's ``Messages.stream``, LangChain's ``stream``
_ALTERNATIVE_NAMES = ("stream", "parse")


def _pydantic_ai_stream_sends_by(path: str) -> str:
    """The SDK method a pydantic-ai model's ``request_stream`` at ``path`` sends its requests
    by (its answer, an async context manager, cannot be replayed), or ``""``."""
    if path.partition(".")[0] != "pydantic_ai" or not path.endswith(".request_stream"):
        return ""
    return PYDANTIC_AI_SDK_METHODS.get(path.rpartition(".")[0].rpartition(".")[2], "")


def is_stream_helper(path: str) -> bool:
    """Whether ``path`` is an SDK's stream helper (``openai...Completions.stream``,
    ``anthropic...Messages.stream``), whose answer holds the live stream."""
    return path.endswith(".stream") and path.partition(".")[0] in ("openai", "anthropic")


def resumed_through(helper: str) -> str:
    """The path of the method through which openai's stream ``helper`` resumes a response by
    its id (``responses.stream(response_id=...)``: ``...Responses.retrieve``), else ``""``.
    openai's helpers send by ``create`` when entered, a resumed stream by ``retrieve``."""
    if helper.partition(".")[0] != "openai" or not is_stream_helper(helper):
        return ""
    resumes = "response_id" in inspect.signature(resolve(helper).function).parameters
    return f"{helper.rpartition('.')[0]}.retrieve" if resumes else ""


def _stream_helper_hint(path: str, helper: str, targets: Collection[str]) -> str:
    """The hint of a recording with no calls to ``path`` for the SDK's stream ``helper`` beside
    it, or ``""``. openai's helpers send by ``create`` when entered: with it mocked, an agent
    streaming through them is recorded, so only a helper resuming a response by its id
    (:func:`resumed_through`) is asked about. anthropic's sends its request itself."""
    if helper.partition(".")[0] != "openai" or not path.endswith(".create"):
        return (
            f"  does the agent call `{helper}`? (the stream helper: its answer cannot be "
            "replayed; mock a function of your own that reads the stream and returns what the "
            "agent uses)"
        )
    retrieve = resumed_through(helper)
    if not retrieve or retrieve in targets:
        return ""
    return (
        f"  does the agent call `{helper}` with response_id=? (it resumes a response through "
        f"`{retrieve}`, which the patch of `{path}` does not reach: mock it too)"
    )


#: the base class of LangChain's models, whose public ``astream`` streams by ``_astream``
_LANGCHAIN_MODEL = ("langchain_core.language_models.base", "BaseLanguageModel")


def _is_langchain_model(owner: Any) -> bool:
    """Whether ``owner`` is a LangChain model class (a subclass of :data:`_LANGCHAIN_MODEL`,
    looked up only where LangChain is loaded)."""
    module, cls_name = _LANGCHAIN_MODEL
    base = getattr(sys.modules.get(module), cls_name, None)
    return isinstance(base, type) and isinstance(owner, type) and issubclass(owner, base)


def events_stream_by(path: str) -> str:
    """For a LangChain model's ``astream`` at ``path``, the path of the ``_astream`` it streams
    by (``langchain_openai.ChatOpenAI._astream``), else ``""``: ``astream_events`` calls the
    model's ``astream``, and its events come from LangChain's run machinery around
    ``_astream``, which a mock of ``astream`` skips (langchain-core 1.8)."""
    head, _, name = path.rpartition(".")
    if name != "astream":
        return ""
    try:
        owner = resolve(path).owner
        resolve(f"{head}._astream")
    except ClearstoneError:
        return ""
    return f"{head}._astream" if _is_langchain_model(owner) else ""


def events_note(path: str) -> str:
    """What to mock for ``astream_events`` when the agent may call the method at ``path``
    (:func:`events_stream_by`), as a clause of a hint, or ``""``."""
    private = events_stream_by(path)
    if not private:
        return ""
    return (
        f"under astream_events it streams by `{private}`, which keeps its events coming: for "
        "astream_events mock that instead, with ignore=['**.run_manager']"
    )


def alternatives(path: str) -> list[str]:
    """Other methods of the owner of the method at ``path`` that make the same kind of request
    (``stream``, ``parse``, ``<name>_stream``; ``astream`` and so on for an ``a``-named async
    method; ``_stream``, ``_astream``... for a private one), by their paths: the third cause
    of a recording with no calls, the agent calling one of them. For a LangChain model's
    ``stream`` (``astream``, ``_stream``, ``_astream``) also ``invoke`` (``ainvoke`` and
    ``invoke``, ``_generate``...): a run that streams the model's answer, such as a LangGraph
    agent's under ``stream_mode="messages"``, calls ``invoke``, which streams by ``_stream``
    without calling ``stream``. Its twins (:func:`twins`) are not among them."""
    target = resolve(path)
    if not isinstance(target.owner, type):
        return []
    head, _, name = path.rpartition(".")
    private, bare = _split_private(name)
    names = [*(private + other for other in _ALTERNATIVE_NAMES), f"{name}_stream"]
    if bare.startswith("a"):
        names = [f"{private}a{other}" for other in _ALTERNATIVE_NAMES] + names
    if bare in ("stream", "astream") and _is_langchain_model(target.owner):
        unstreamed = private + ("generate" if private else "invoke")
        async_unstreamed = private + "a" + unstreamed.removeprefix(private)
        names += [async_unstreamed, unstreamed] if bare == "astream" else [unstreamed]
    found = []
    skip = {target.function, *(resolve(twin).function for twin, _ in twins(path))}
    for other in names:
        candidate = f"{head}.{other}"
        if other == name or candidate in found:
            continue
        try:
            sibling = resolve(candidate)
        except MockTargetError:
            continue
        if sibling.function not in skip:
            found.append(candidate)
    return found


#: by a library's top package and a method's name, the methods of its class that send a request
#: of their own to the same API (or server) as well as it, which a run calls beside it: a
#: pydantic-ai model's ``count_tokens`` (the API's token counting, before each ``request`` under
#: ``UsageLimits(count_tokens_before_request=True)``) and ``compact_messages`` (the API's
#: compaction of the history, pydantic-ai after 2.68: ``NativeCompaction``, a run given
#: ``compact=True``); an ``mcp`` ``ClientSession``'s ``send_discover`` beside a mocked
#: ``initialize``, the handshake mcp 2's ``mcp.Client`` and fastmcp's client make instead (its
#: ``initialize`` only with an older server)
_SIDE_REQUESTS: dict[str, dict[str, tuple[str, ...]]] = {
    "pydantic_ai": {"request": ("count_tokens", "compact_messages")},
    "mcp": {"initialize": ("send_discover",)},
}
_RESPONSES = "openai.resources.responses"
#: class (by its defining module) -> the methods, of it or of other classes, that send a request
#: of their own beside its mocked method, whose answers its calls are given: openai's
#: ``conversations.create`` (``conversation=``), ``responses.retrieve`` (a background response
#: polled), ``responses.input_tokens.count`` (a count the agent decides by) and
#: ``responses.compact`` (the items sent back); anthropic's ``messages.count_tokens`` (a count
#: the agent decides by) beside ``messages.create``, in and outside the ``beta`` namespace
_SIDE_REQUESTS_ELSEWHERE: dict[str, tuple[str, ...]] = {
    f"{_RESPONSES}.responses.{prefix}Responses": (
        f"openai.resources.conversations.conversations.{prefix}Conversations.create",
        f"{_RESPONSES}.responses.{prefix}Responses.retrieve",
        f"{_RESPONSES}.input_tokens.{prefix}InputTokens.count",
        f"{_RESPONSES}.responses.{prefix}Responses.compact",
    )
    for prefix in ("", "Async")
} | {
    f"anthropic.resources.{beta}messages.messages.{prefix}Messages": (
        f"anthropic.resources.{beta}messages.messages.{prefix}Messages.count_tokens",
    )
    for prefix in ("", "Async")
    for beta in ("", "beta.")
}


def side_requests(path: str) -> list[str]:
    """The methods of the owner of the method at ``path`` (a pydantic-ai model's, an ``mcp``
    session's) that send a request of their own beside it (:data:`_SIDE_REQUESTS`), and those
    of other classes whose answers its calls are given (:data:`_SIDE_REQUESTS_ELSEWHERE`:
    openai's ``conversations.create`` beside ``responses.create``), by their paths: a run calls
    them as well as it, so that it being mocked and called says nothing of theirs. Not the
    method at ``path`` itself (``responses.compact`` mocked)."""
    head, _, name = path.rpartition(".")
    owner = resolve(path).owner
    elsewhere = _SIDE_REQUESTS_ELSEWHERE.get(
        f"{getattr(owner, '__module__', '')}.{getattr(owner, '__qualname__', '')}", ()
    )
    found = []
    for other in [
        *(f"{head}.{own}" for own in _SIDE_REQUESTS.get(path.partition(".")[0], {}).get(name, ())),
        *elsewhere,
    ]:
        try:
            resolved = resolve(other)
        except MockTargetError:
            continue
        if resolved.owner is not owner or resolved.name != name:
            found.append(other)
    return found


def other_models(path: str) -> list[str]:
    """For the ``request`` of a pydantic-ai model class at ``path``, the ``request`` of the
    other model classes loaded that send it to a provider of their own (they take a
    ``provider``: ``AnthropicModel`` beside ``OpenAIChatModel``, not a ``FallbackModel`` or
    another wrapper, which sends through the models it holds), by their paths (from the module
    that exports the class): an agent may run one beside it (a second agent, a summariser), and
    the patch of ``path`` does not reach it."""
    name = path.rpartition(".")[2]
    if name != "request" or path.partition(".")[0] != "pydantic_ai":
        return []
    base = getattr(sys.modules.get("pydantic_ai.models"), "Model", None)
    owner = resolve(path).owner
    if not isinstance(base, type) or not isinstance(owner, type) or not issubclass(owner, base):
        return []
    found = []
    for cls in _subclasses(base):
        if "request" not in vars(cls) or issubclass(cls, owner) or issubclass(owner, cls):
            continue
        try:
            sends = "provider" in inspect.signature(cls).parameters
        except (TypeError, ValueError):
            continue
        other = f"{_exporter(cls)}.{cls.__name__}.{name}"
        if not sends or cls.__name__.startswith("_"):
            continue
        try:
            resolve(other)
        except MockTargetError:
            continue
        found.append(other)
    return found


def _subclasses(base: type) -> Iterator[type]:
    """Every subclass of ``base``, nearest first, each once (not one whose own subclasses
    cannot be listed: a metaclass's ``__subclasses__``)."""
    pending: list[type] = type.__subclasses__(base)
    seen: set[type] = {base}
    while pending:
        cls = pending.pop(0)
        if cls in seen:
            continue
        seen.add(cls)
        try:
            pending.extend(type.__subclasses__(cls))
        except Exception:
            continue
        yield cls


def _exporter(cls: type) -> str:
    """The outermost module of the chain of ``cls``'s module and its parents that exports
    ``cls`` (``pydantic_ai.models.openai`` for ``OpenAIChatModel``, defined in its
    ``_chat_model``)."""
    where = cls.__module__
    parent = where.rpartition(".")[0]
    while parent and getattr(sys.modules.get(parent), cls.__name__, None) is cls:
        where, parent = parent, parent.rpartition(".")[0]
    return where


def uncalled_target_warnings(
    node_id: str, mock_pairs: Sequence[tuple[str, str]], called: Collection[str], module: Any
) -> list[UncalledTargetWarning]:
    """The warnings of a strict recording of the test ``node_id`` (its module ``module``) for
    each mock target in ``mock_pairs`` it did not call (``called``: the targets it called) whose
    function its agent reaches under another path (imported by name), which it may call instead,
    or an object made before the test holds (a tool of an agent made at import), which calls
    it."""
    aliased = uncalled_aliases(mock_pairs, called, module)
    warnings = [
        UncalledTargetWarning(node_id, path, span_type, others)
        for span_type, path, others in aliased
    ]
    warned = {path for _, path, _ in aliased}
    for span_type, path in mock_pairs:
        if path in called or path in warned:
            continue
        try:
            found = holders(path)
        except ClearstoneError:  # (no longer resolves: nothing to suggest)
            continue
        if found:
            warnings.append(UncalledTargetWarning(node_id, path, span_type, [], found))
    return warnings


#: the fix told for a twin or other method of a mock target that the agent called instead
_INSTEAD = "its calls ran live. Mock it instead, or too"


def nothing_recorded(
    node_id: str,
    mock_pairs: Sequence[tuple[str, str]],
    module: Any,
    source: str = "",
    values: Sequence[tuple[str, Any]] = (),
    called_before: Mapping[str, str] | None = None,
    called_instead: Mapping[str, str] | None = None,
) -> str:
    """Why a strict recording of the test ``node_id`` (its module ``module``, or ``None``) with
    the mock targets ``mock_pairs`` recorded no call, with the paths the agent may look the
    functions up under; for a target the test's code (``source``) patches itself, that its
    double took the place of the recording; for a method target set on an object itself
    (``mock.patch.object(client.messages, "create")``) in the test's fixture ``values``
    (``(name, value)``), that it hides the method the recording patched; for a target an
    earlier recording of the run called (``called_before``: target -> that test's node id),
    that the agent may keep what it answered (a cache the first test fills); and for a twin or
    other method of a target that the recording saw called (``called_instead``: that method ->
    the target), that the agent called it, not asked (nor a cache suspected for that target)."""
    targets = [path for _, path in mock_pairs]
    called = called_instead or {}
    from .kept_answers import KEEP_FIX
    from .llm_cache import cache_skipped, llm_cache_hint  # (only when nothing was recorded)

    # (a call LangChain's LLM cache answered is explained by the cache's hint, not as a cache of
    # the agent's own)
    skipped = cache_skipped(targets)
    earlier = {k: v for k, v in (called_before or {}).items() if k not in skipped}
    aliases = (
        {path: others for _, path, others in uncalled_aliases(mock_pairs, (), module)}
        if module is not None
        else {}
    )
    hints = [
        f"  `{path}` was called by {earlier[path]}, recorded before this test in this run: "
        "does the agent keep what the call returned between tests (a functools.cache, a client "
        "or index built on first use)? Then the call is in that test's golden only, and this "
        f"test records one only when it runs first. {KEEP_FIX}"
        for path in dict.fromkeys(targets)
        if earlier.get(path, node_id) != node_id and path not in called.values()
    ]
    local = _local_model(targets, source, values)
    if local is not None:
        hints.insert(
            0,
            f"  the test runs the agent on pydantic-ai's {local} (agent.override(model="
            f"{local}(...))), which answers in the process: no request reaches the mock "
            "target(s). A test that needs no golden takes no replay marker (keep it out of a "
            "module's or class's pytestmark), or give it its own @pytest.mark.replay(mock={}) "
            "(nothing mocked: its golden holds its outcome only)",
        )
    cached = llm_cache_hint(targets)
    if cached:
        hints.append(f"  {cached}")
    from .graph_cache import graph_cache_hint

    # (told only when a node with a CachePolicy reaches a target: not to a plain agent beside a
    # cached graph some module compiled at import)
    graph_cached = graph_cache_hint(None, _resolved(targets))
    if graph_cached:
        hints.append(f"  {graph_cached}")
    seen: list[str] = []  # (the twins and other methods the recording saw called instead)
    for path in targets:
        try:
            found_twins = twins(path)
            found_beta = beta_twins(path)
            found_others = alternatives(path)
            found_siblings = siblings(path)
            found_holders = holders(path)
        except ClearstoneError:  # a bad path was reported when the test started
            found_twins, found_beta, found_others = [], [], []
            found_siblings, found_holders = [], []
        hints += [
            f"  did you mean `{other}`? (the same object as `{path}`)"
            for other in aliases.get(path, ())
        ]
        owner, _, name = path.rpartition(".")
        owner_name = owner.rpartition(".")[2]
        # the twins and other methods the recording saw called instead: said, and then the
        # other ways of making the request are not asked about
        instead = [
            f"  the agent called `{twin}` (the {kind} twin of `{path}`), which is not mocked: "
            f"{_INSTEAD}"
            for twin, kind in found_twins
            if twin in called and twin not in targets
        ] + [
            f"  the agent called `{other}` (another method of `{owner_name}` for the same "
            f"request as `{name}`), which is not mocked: {_INSTEAD}"
            f"{'; ' + note if (note := events_note(other)) else ''}"
            for other in found_others
            if other in called and other not in targets and not is_stream_helper(other)
            if not _pydantic_ai_stream_sends_by(other)
        ]
        seen += instead
        asked = [] if instead else found_others
        # (the SDK's stream helper first: the likeliest way past ``create``)
        hints += [
            hint
            for other in found_others
            if other not in targets and is_stream_helper(other) and not instead
            if (hint := _stream_helper_hint(path, other, targets))
        ]
        hints += [
            f"  does the agent call `{twin}`? (the {kind} twin of `{path}`: mock it too, or "
            "instead)"
            for twin, kind in found_twins
            if twin not in targets and not instead
        ]
        hints += [
            f"  does the agent call `{twin}`? (the same method "
            f"{'in' if '.resources.beta.' in twin else 'outside'} the SDK's `beta` namespace, "
            f"`{call}`, which the patch of `{path}` does not reach: mock it too, or instead)"
            for twin, call in found_beta
            if twin not in targets and not instead
        ]
        hints += [
            f"  does the agent call `{sibling}`? (`{sibling.rpartition('.')[0].rpartition('.')[2]}`"
            f" is no `{owner_name}`: it has the same `{name}`, which the patch of `{path}` does "
            "not reach: mock it too, or instead)"
            for sibling in found_siblings
            if sibling not in targets and not instead
        ]
        hints += [
            f"  does the agent call `{other}`? (another method of "
            f"`{owner_name}` for the same request as `{name}`, streamed: its answer cannot be "
            f"replayed; mock the SDK method it sends by instead, `{sends_by}`, which records "
            "its requests, streamed or not)"
            if (sends_by := _pydantic_ai_stream_sends_by(other))
            else f"  does the agent call `{other}`? (another method of "
            f"`{owner_name}` for the same request as `{name}`: mock it too, or instead"
            f"{'; ' + note if (note := events_note(other)) else ''})"
            for other in asked
            if other not in targets and not is_stream_helper(other)
        ]
        if found_holders:
            hints.append(
                f"  `{path}` is {held_by(found_holders)}: it calls the function it holds, "
                f"never the mock. {HELD_FIX}"
            )
        shadowed = _shadowing(path, values)
        if shadowed:
            hints.append(
                f"  {shadowed} has its own `{name}` (mock.patch.object on the object, not on "
                f"its class): it hides `{path}`, which the recording patched, so no call "
                f"reaches it. Patch the class instead, in a fixture: mock.patch.object("
                f"{owner_name}, {name!r}, ...) or mock.patch({path!r}, ...)"
            )
        elif _patched_in(source, path) and _on_an_object(source, path):
            hints.append(
                f"  does the test patch `{name}` on an object (mock.patch.object(client..., "
                f"{name!r}))? It hides `{path}`, which the recording patched, so no call "
                f"reaches it, also from a fixture: patch the class instead, in a fixture "
                f"(mock.patch({path!r}, ...))"
            )
        elif _patched_in(source, path):
            hints.append(
                f"  does the test patch `{path}` itself (mock.patch, mocker.patch in its "
                "body)? Its double then stands in place of the recording, which sees no call: "
                "patch it in a fixture instead (the calls made through a double that is in "
                "place when the test's call starts are recorded)"
            )
    modules = [*map(_module_of, targets), *_own_modules(module)]
    starting = next(filter(None, map(_starts_processes, modules)), None)
    if starting is not None:  # (the first module found: one hint, however many there are)
        hints.append(
            f"  does the agent make these calls in another process? `{starting[0]}` uses "
            f"{starting[1]}: a child started with spawn or forkserver, or a program it runs, "
            "imports the agent's code unpatched, so its calls are neither recorded nor "
            f"replayed (they run live, also in a replay). {CHILD_PROCESS_FIX}"
        )
    return "\n".join(
        [
            f"{node_id}: nothing was recorded: the test made no call to its mock target(s) "
            f"{', '.join(targets)}, so the golden checkpoint was not written",
            *seen,
            *hints,
            "  Give mock= the import path where the agent looks the function up (a function "
            "imported by name lives on in the importing module), or strict=False if the test "
            "makes no such call on purpose",
        ]
    )


#: pydantic-ai's models that answer in the process (its testing guide's), by their modules
_LOCAL_MODELS = {
    "TestModel": "pydantic_ai.models.test",
    "FunctionModel": "pydantic_ai.models.function",
}
_LOCAL_MODEL_NAMES = re.compile(r"\b(TestModel|FunctionModel)\b")


def _resolved(paths: Sequence[str]) -> list[Target]:
    """The targets of the import ``paths`` that resolve (a bad path was reported when the
    test started)."""
    found = []
    for path in dict.fromkeys(paths):
        try:
            found.append(resolve(path))
        except ClearstoneError:
            continue
    return found


def _local_model(
    targets: Sequence[str], source: str, values: Sequence[tuple[str, Any]]
) -> str | None:
    """The name of the pydantic-ai model that answers in the process (:data:`_LOCAL_MODELS`)
    the test's code (``source``) names or one of its fixture ``values`` is, when a mock target
    is pydantic-ai's; else ``None``."""
    if not any(path.partition(".")[0] == "pydantic_ai" for path in targets):
        return None
    for _, value in values:
        name = type(value).__name__
        if _LOCAL_MODELS.get(name) == type(value).__module__:
            return name
    found = _LOCAL_MODEL_NAMES.search(source)
    return None if found is None else found.group(1)


#: what in a module's source starts other processes
_PROCESSES = re.compile(
    r"\b(multiprocessing|ProcessPoolExecutor|subprocess|create_subprocess_(?:exec|shell)"
    r"|os\.fork|os\.posix_spawn)\b"
)


def _module_of(path: str) -> str | None:
    """The longest loaded module the import path ``path`` starts with."""
    parts = path.split(".")
    for end in range(len(parts) - 1, 0, -1):
        name = ".".join(parts[:end])
        if name in sys.modules:
            return name
    return None


def _own_modules(module: Any) -> list[str]:
    """The test module ``module`` and the modules it took names from (``from app import
    Agent``) that belong to the project: neither the standard library's nor installed ones."""
    if module is None:
        return []
    found = {module.__name__: None}
    for value in vars(module).values():
        name = value.__name__ if isinstance(value, types.ModuleType) else None
        name = name or getattr(value, "__module__", None)
        if isinstance(name, str) and name not in found:
            file = str(getattr(sys.modules.get(name), "__file__", None) or "")
            top = name.partition(".")[0]
            if file and "-packages" not in file and top not in sys.stdlib_module_names:
                found[name] = None
    return list(found)


def _starts_processes(name: str | None) -> tuple[str, str] | None:
    """The loaded module ``name`` and the first thing in its source that starts other processes
    (``multiprocessing``), or ``None``. Read only when a recording recorded nothing."""
    module = sys.modules.get(name) if name else None
    if module is None:
        return None
    try:
        found = _PROCESSES.search(inspect.getsource(module))
    except (OSError, TypeError):  # (a built-in or extension module, a file gone)
        return None
    return None if found is None else (module.__name__, found.group(1))


#: how deep the test's fixture values are searched for an object hiding a method target
_SHADOW_DEPTH = 3


def _shadowing(path: str, values: Sequence[tuple[str, Any]]) -> str:
    """Where (``fixture client.messages``) an instance of the class of method target ``path``,
    reachable from the fixture ``values`` by attributes, holds an attribute of the method's
    name itself (``""``: none does)."""
    if not values:
        return ""
    try:
        target = resolve(path)
    except ClearstoneError:
        return ""
    if not (target.is_method and isinstance(target.owner, type)):
        return ""
    cls, name = target.owner, target.name
    seen: set[int] = set()
    stack = [(value, f"fixture {fixture}", 0) for fixture, value in values]
    while stack:
        value, where, depth = stack.pop()
        if id(value) in seen or isinstance(value, (type, types.ModuleType)):
            continue
        seen.add(id(value))
        fields = getattr(value, "__dict__", None)
        if type(fields) is not dict:
            continue
        if isinstance(value, cls) and name in fields:
            if _wraps_bound(fields[name], target.function):  # (named as a holder)
                return ""
            return f"`{where}`"
        if depth < _SHADOW_DEPTH:
            for attr, child in list(fields.items()):
                if isinstance(attr, str) and not attr.startswith("__"):
                    stack.append((child, f"{where}.{attr}", depth + 1))
    return ""


def _on_an_object(source: str, path: str) -> bool:
    """Whether ``source`` patches ``path``'s method with ``mock.patch.object`` on something
    other than its class (an object: ``patch.object(client.messages, "create")``)."""
    owner, _, name = path.rpartition(".")
    cls = owner.rpartition(".")[2]
    for line in source.splitlines():
        if "patch.object(" in line and (f'"{name}"' in line or f"'{name}'" in line):
            first = line.split("patch.object(", 1)[1].split(",", 1)[0]
            if cls not in first:
                return True
    return False


def _patched_in(source: str, path: str) -> bool:
    """Whether the test's code ``source`` looks like it patches ``path`` (``mock.patch("path")``,
    ``mock.patch.object(Owner, "name")``)."""
    if "patch" not in source:
        return False
    name = path.rpartition(".")[2]
    return path in source or f'"{name}"' in source or f"'{name}'" in source
