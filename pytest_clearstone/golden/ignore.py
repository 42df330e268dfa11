"""Paths left out of matching: the marker's ``ignore=`` and ``ignore_state=``.

A path (its syntax and matching: :mod:`.path_patterns`; ``config.callbacks``, ``messages.*.id``,
``**.run_id``) goes through the stored JSON form of a value (model, dataclass, attrs and named
tuple fields included, a model's extra fields and its private and other attributes named as
attributes of it too — ``tools.0._memo``, as a divergence message shows them — and the fields
of a stored HTTP request or response and of an SDK client or resource reference). A stored
request's or response's headers, a list of ``[name, value]`` pairs, are keyed by their names,
case ignored: ``request.headers.user-agent``.
An argument path starts at the call's bound arguments (``messages``, ``self.temperature``); a
state path at the golden outcome (``result...``, ``final_state...``). A ``v`` segment right
after a model (or other tagged value) names the level where its stored form keeps its fields, as
a divergence message prints it (``root['input'][0]['v']['content']``): ``input.*.v.content``
matches what ``input.*.content`` matches (``p.v``, with nothing after it, is a field named
``v``).

The request headers that describe the machine
(:data:`pytest_clearstone.codec.http.UNCOMPARED_HEADERS`) are left out of the arguments a call is
matched by: without paths :func:`pytest_clearstone.codec.compare.same_stored_form` leaves them
out at any depth; with paths, :class:`IgnoreConfig` prunes them from a request or response that
is an argument or that a path reaches (one nested in a list or dict argument no path enters keeps
them: add ``**.headers.user-agent``-style paths for it).

A matched value is still recorded (one that only a pickle or a repr could store is recorded as
a placeholder naming its type, with no warning) and is left out when the two sides are
compared: a matched key is dropped from both sides, a matched list item is replaced by the same
marker on both sides (so the positions of the others do not move).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from typing import Any

from ..codec.naming import MESSAGE_TAGS, TAG
from ..codec.nesting import retried
from ..codec.tags import Encoder, pickle_locations, tag_locations
from ..errors import UnencodableValueWarning, article, ignore_fix
from ..releases import installed_by
from .path_patterns import (
    ANY,
    DEEP,
    States,
    advance,
    done,
    names_its_start,
    parse_path,
    segment_text,
    start,
    through_v,
)

#: what a matched list item becomes on both sides of a comparison
IGNORED = "<ignored>"

# tags whose fields (or items) are under "v": the path goes through them as through a dict
_CONTAINER_TAGS = frozenset(
    {
        "pydantic",
        "pydantic.v1",
        "dataclass",
        "attrs",
        "namedtuple",
        "slots",
        "namespace",
        "tuple",
        "list",
        "set",
        "frozenset",
        "custom",
        "sdk_client",
    }
)
#: per model tag, the parts of its stored form besides "v" that hold values by name (extra
#: fields, private and other attributes): a path names them as fields, without the part (filled
#: when first needed, :func:`_attribute_parts`)
_ATTRIBUTE_PARTS: dict[str, tuple[str, ...]] = {}


def _attribute_parts(tag: Any) -> tuple[str, ...]:
    """The parts of ``tag``'s stored form named as its fields (:data:`_ATTRIBUTE_PARTS`)."""
    if not _ATTRIBUTE_PARTS:
        # (the codec's library half and what it imports: not loaded by a run that needs none)
        from ..codec.library import VALUE_PARTS

        for name, parts in VALUE_PARTS.items():
            _ATTRIBUTE_PARTS[name] = tuple(part for part in parts if part != "v")
    return _ATTRIBUTE_PARTS.get(tag, ())


#: tags whose stored form names the fields set (pydantic's ``model_fields_set``) in "set"
_SET_TAGS = frozenset({"pydantic", "pydantic.v1"})
#: tags whose fields, items or pairs are under "v"
_FIELDS_UNDER_V = _CONTAINER_TAGS | {"dict"}
#: tags whose fields are keys of the tagged dict itself, and the keys that are not fields
_FIELDS_AT_TOP = MESSAGE_TAGS | {"sdk_resource"}
_NOT_FIELDS = frozenset({TAG, "module", "cls"})


class IgnorePaths:
    """Compiled ignore paths, applied to encoded (stored JSON form) trees."""

    __slots__ = ("applied", "calls", "config", "matched", "patterns", "place", "texts")

    def __init__(self, paths: Iterable[str], *, calls: bool = False, place: str = "") -> None:
        self.texts = tuple(paths)
        #: where the test's ignore paths come from when not a marker (the ini option, the
        #: ``clearstone_config`` fixture), as a fix that adds one names it (:func:`ignore_fix`)
        self.place = place
        self.patterns = tuple(parse_path(p) for p in self.texts)
        #: whether the trees are a call's arguments: :meth:`prune` then also leaves out the
        #: headers of HTTP requests that are not compared
        self.calls = calls
        #: how many trees the paths were applied to, and the indices of those that matched
        self.applied = 0
        self.matched: set[int] = set()
        #: the ``ignore=`` these are one target's paths of (:meth:`IgnoreConfig.for_target`)
        self.config: IgnoreConfig | None = None

    def __bool__(self) -> bool:
        return bool(self.patterns)

    def __repr__(self) -> str:
        return f"IgnorePaths({list(self.texts)!r})"

    def prune(self, tree: Any) -> Any:
        """``tree`` without what the paths match (a new tree; ``tree`` is not changed); for a
        call's arguments, also without the headers that are not compared
        (:func:`pytest_clearstone.codec.http.compared_form`) of a request or response that the
        paths reach or that is an argument."""
        self.applied += 1
        return retried(lambda: self._walk(tree, start(self.patterns), drop=True))

    def compared_form(self, value: Any) -> Any:
        """The stored form of live ``value`` as it is compared: encoded (an unreadable value
        becomes a placeholder naming its type, with no warning: it is compared by type) and
        pruned."""
        # (no pickle is made: an unreadable value is compared by its type either way)
        return self.prune(Encoder(warn=False, allow_pickle=False).encode(value))

    def placeholders(self, tree: Any) -> Any:
        """``tree`` with each ``pickle``/``repr`` value the paths match replaced by a
        placeholder naming its type (the recording of an ignored value)."""
        self.applied += 1
        return retried(lambda: self._walk(tree, start(self.patterns), drop=False))

    def unmatched(self) -> list[str]:
        """The paths that matched nothing in the trees they were applied to (none when they
        were applied to none)."""
        if not self.applied:
            return []
        return [text for i, text in enumerate(self.texts) if i not in self.matched]

    def surely_unmatched(self, arguments: Collection[str] = ()) -> list[str]:
        """:meth:`unmatched`, less the paths that may yet match elsewhere or well match
        nothing: in a test of several targets, the paths for every target (meant, maybe, for
        another target's calls); paths starting with ``*`` or ``**`` (a typo is in a path that
        names its start, ``request_idd``); and, of paths the marker did not give (the ini
        option's, the ``clearstone_config`` fixture's: one list for many tests' calls), those
        whose start names none of ``arguments``, the names of the call's arguments
        (``config.callbacks`` for a model called without a ``config``)."""
        config = self.config
        common = config.common if config is not None and len(config.targets()) >= 2 else ()
        found = [t for t in self.unmatched() if names_its_start(t) and t not in common]
        if not self.place:
            return found
        starts = {text: pattern[0] for text, pattern in zip(self.texts, self.patterns, strict=True)}
        return [text for text in found if starts[text] in arguments]

    def _walk(self, node: Any, states: States, *, drop: bool) -> Any:
        if not states:
            if drop and self.calls and type(node) is dict and node.get(TAG) in MESSAGE_TAGS:
                from ..codec.http import compared_form  # (loaded with the message's codec)

                return compared_form(node)
            return node
        t = type(node)
        if t is dict:
            tag = node.get(TAG)
            if tag is None:
                out: dict[str, Any] = {}
                for key, child in node.items():
                    result = self._child(child, key, states, drop=drop)
                    if result is not _DROP:
                        out[key] = result
                return out
            if tag in _CONTAINER_TAGS and "v" in node:
                fields = self._walk(node["v"], states, drop=drop)
                if drop and tag in _SET_TAGS and type(fields) is dict:
                    walked = _without_dropped_set(node, fields)
                else:
                    walked = {**node, "v": fields}
                for part in _attribute_parts(tag):
                    if type(node.get(part)) is dict:
                        walked[part] = self._walk(node[part], states, drop=drop)
                return walked
            if tag == "dict" and type(node.get("v")) is list:
                pairs = []
                for pair in node["v"]:
                    if type(pair) is list and len(pair) == 2 and type(pair[0]) is str:
                        result = self._child(pair[1], pair[0], states, drop=drop)
                        if result is not _DROP:
                            pairs.append([pair[0], result])
                    else:
                        pairs.append(pair)
                return {**node, "v": pairs}
            if tag in _FIELDS_AT_TOP:
                return self._fields(node, states, drop=drop)
            return node
        if t is list:
            items = []
            for index, child in enumerate(node):
                result = self._child(child, str(index), states, drop=drop)
                items.append(IGNORED if result is _DROP else result)
            return items
        return node

    def _fields(self, node: dict[str, Any], states: States, *, drop: bool) -> dict[str, Any]:
        """A tagged value whose fields are its own keys (an HTTP request or response, an SDK
        resource reference), walked as a dict; a request's or response's headers by name."""
        out: dict[str, Any] = {}
        for key, child in node.items():
            if key in _NOT_FIELDS:
                out[key] = child
                continue
            headers = key == "headers" and node[TAG] in MESSAGE_TAGS and type(child) is list
            result = self._child(
                child, key, states, drop=drop, walk=self._headers if headers else self._walk
            )
            if result is not _DROP:
                out[key] = result
        # (after the walk: a path may name a header left out of the comparison anyway)
        if drop and self.calls and node[TAG] in MESSAGE_TAGS:
            from ..codec.http import compared_form  # (loaded with the message's codec)

            pruned: dict[str, Any] = compared_form(out)
            return pruned
        return out

    def _headers(self, pairs: Any, states: States, *, drop: bool) -> Any:
        """The ``[name, value]`` pairs of stored headers, each keyed by its name in lower case
        (a path's segment compared in lower case too); a matched header is left out."""
        if not states:
            return pairs
        from ..codec.http import is_header_pair  # (loaded with the message's codec)

        out = []
        for pair in pairs:
            if is_header_pair(pair):
                result = self._child(pair[1], pair[0].lower(), states, drop=drop, fold=True)
                if result is not _DROP:
                    out.append([pair[0], result])
            else:
                out.append(pair)
        return out

    def _child(
        self,
        child: Any,
        key: str,
        states: States,
        *,
        drop: bool,
        fold: bool = False,
        walk: Callable[..., Any] | None = None,
    ) -> Any:
        following = advance(states, key, self.patterns, fold=fold)
        if type(child) is dict and child.get(TAG) in _FIELDS_UNDER_V and "v" in child:
            following |= through_v(following, self.patterns)
        matched = done(following, self.patterns)
        if matched:
            self.matched.update(matched)
            if drop:
                return _DROP
            return _placeholder(child)
        return (walk or self._walk)(child, following, drop=drop)


_DROP: Any = object()


def _without_dropped_set(node: dict[str, Any], fields: dict[str, Any]) -> dict[str, Any]:
    """Model ``node`` with its fields pruned to ``fields``: a left-out field is left out of the
    fields set (``set``) too, which is dropped when it names every field left (as the encoder
    stores it), so a field the mocked method set on recording and not on replay matches."""
    out = {**node, "v": fields}
    names = node.get("set")
    if type(names) is not list or type(node["v"]) is not dict:
        return out
    dropped = node["v"].keys() - fields.keys()
    if not dropped:
        return out
    kept = [name for name in names if name not in dropped]
    extra = node.get("extra")
    if set(kept) == fields.keys() | (extra.keys() if type(extra) is dict else set()):
        del out["set"]
    else:
        out["set"] = kept
    return out


def recorded_form(
    value: Any,
    paths: IgnorePaths | None,
    call: str = "",
    warned: set[str] | None = None,
    shown: Callable[[Any, str, str], Any] | None = None,
) -> Any:
    """The encoded form of ``value``, a call's bound arguments, as recorded under ``paths``: a
    matched value that only a pickle or a repr could store is a placeholder naming its type (no
    warning); anything else is encoded as usual. A value outside the paths that only its repr
    could store (dill cannot pickle it either; a pickle would not be kept anyway: an argument
    is compared by its type) warns — but for what runs one of the OpenAI Agents SDK's tools or
    handoffs (:func:`_in_agents_sdk_tool`) — naming its ``ignore=`` path, the call (``call``:
    ``call #1 to app.llm``) and the fix; once per path in ``warned`` (the paths warned about
    for the call's target so far, added to). ``shown``: how a message shows a value (the
    redaction's :meth:`~pytest_clearstone.redaction.Redactor.shown`): a key it changes (a dict
    keyed by a secret value seen in the run) is named ``*`` in a path, which still matches it."""
    tree = Encoder(warn=False).encode(value)
    compared = tree
    if paths:
        tree = paths.placeholders(tree)
        compared = paths.prune(tree)
    found = [
        (where, type_name)
        for where, type_name in tag_locations(compared, "repr", limit=_MAX_LOCATIONS)
        if not _in_agents_sdk_tool(compared, where)
    ]
    # (and the data values only a pickle stores, which an argument's placeholder compares by
    # their type too: a frame, an array of dates, whose changed cells would pass unseen)
    found += [
        (where, type_name)
        for where, type_name in tag_locations(compared, "pickle", limit=_MAX_LOCATIONS)
        if type_name.startswith(_DATA_MODULES)
    ][: _MAX_LOCATIONS - len(found)]
    secret = None if shown is None or not found else _changed_by(shown)
    new = [
        (_ignore_path(compared, where, secret), type_name, _local_class(compared, where))
        for where, type_name in found
    ]
    if warned is not None:
        new = [found for found in new if found[0] not in warned]
        warned.update(path for path, _, _ in new)
    place = "" if paths is None else paths.place  # (where the test's ignore paths come from)
    for path, type_name, local_class in new[:_MAX_WARNINGS]:
        try:
            warnings.warn(
                _unreadable_argument(type_name, path, call, local_class, place),
                UnencodableValueWarning,
                stacklevel=3,
            )
        except UnencodableValueWarning as error:
            # a filter made it an error (`filterwarnings = error`): the call's other values are
            # never warned about, so it names them too (else each recording meets the next)
            if len(new) == 1:
                raise
            every = [where for where, _, _ in new]
            raise UnencodableValueWarning(
                f"{error}. The call holds {len(new) - 1} more value(s) that cannot be stored "
                f"readably: leave them all out with {ignore_fix(every, place)}"
            ) from None
    if len(new) > _MAX_WARNINGS:  # (the others in one warning: each is left out the same way)
        warnings.warn(
            _more_unreadable_arguments([path for path, _, _ in new[_MAX_WARNINGS:]], call, place),
            UnencodableValueWarning,
            stacklevel=3,
        )
    return tree


#: the modules of the OpenAI Agents SDK's tools, handoffs, tool guardrails and output schemas
#: (``agents.tool:FunctionTool``, ``agents.handoffs:Handoff``), which a model's method
#: (``OpenAIResponsesModel.stream_response``) is given: beside what the model is sent (a name, a
#: description, a JSON schema: stored readably, compared), each holds what runs it (the tool's
#: function, the agent handed to by weak reference), which nothing stores readably and nothing
#: sends
_AGENTS_SDK_TOOL_MODULES = frozenset(
    {"agents.tool", "agents.handoffs", "agents.tool_guardrails", "agents.agent_output"}
)


def _in_agents_sdk_tool(tree: Any, where: Sequence[Any]) -> bool:
    """Whether the placeholder at ``where`` in ``tree`` is inside a stored tool, handoff, tool
    guardrail or output schema of the OpenAI Agents SDK (:data:`_AGENTS_SDK_TOOL_MODULES`): what
    runs it, compared by its type with no warning. The package ``agents`` must be the installed
    SDK's: a project's own package of that name is warned about as any other."""
    node = tree
    for key in where:
        if type(node) is dict and node.get(TAG) == "dataclass":
            cls = node.get("cls")
            if type(cls) is str and cls.partition(":")[0] in _AGENTS_SDK_TOOL_MODULES:
                return installed_by("openai-agents", "agents")
        node = node[key]
    return False


#: the modules of the data values (numpy arrays and numbers, pandas frames, series and indexes)
#: whose pickle an argument's placeholder would compare by type alone
_DATA_MODULES = ("numpy.", "pandas.")
#: the unreadable values looked for in one call's arguments, and those warned about
_MAX_LOCATIONS = 64
_MAX_WARNINGS = 3


#: the modules of LangChain's callback handlers and tracers (``astream_events``' handler, a
#: ``UsageMetadataCallbackHandler``), which a replayed chat model method does not call
_LANGCHAIN_CALLBACKS = ("langchain_core.callbacks.", "langchain_core.tracers.")


def _local_class(tree: Any, where: Sequence[Any]) -> str:
    """The dotted name of the class stored as the ``repr`` placeholder at ``where`` in ``tree``
    when it is a class defined inside a function (``app.test_it.<locals>.Answer``), else
    ``""``."""
    node = tree
    for key in where:
        node = node[key]
    text = node.get("v") if type(node) is dict else None
    if type(text) is str and text.startswith("<class '") and "<locals>" in text:
        return text[len("<class '") :].rstrip("'>")
    return ""


def _more_unreadable_arguments(paths: list[str], call: str, place: str) -> str:
    """The warning about the unreadable values of one call's arguments past the first
    :data:`_MAX_WARNINGS`, each named by its ``ignore=`` path."""
    where = f" in the arguments of {call}" if call else ""
    return (
        f"{len(paths)} more value(s){where} cannot be stored readably either, so a replay "
        f"compares them by their type only; if they are not part of what the call sends, leave "
        f"them out too with {ignore_fix(paths, place)}; else teach the codec their types "
        "(pytest_clearstone.codec.register)"
    )


#: the modules of SQLAlchemy's statements and expressions (``select()``, ``text()``,
#: ``insert()``, a ``where`` clause), not of its schema (a ``Table``)
_SQLALCHEMY_STATEMENTS = tuple(
    f"sqlalchemy.sql.{module}." for module in ("selectable", "elements", "dml", "expression")
)


def _unreadable_argument(
    type_name: str, path: str, call: str, local_class: str = "", place: str = ""
) -> str:
    where = f" in the arguments of {call}" if call else ""
    if local_class:  # (a structured-output model written inside the test function)
        return (
            f"storing the repr of the class {local_class} at {path}{where}: it is defined "
            "inside a function, so no import path names it and a replay compares it by its "
            "type only (not its JSON schema). Define it at module level, where the golden can "
            "name it"
        )
    if type_name.startswith(_LANGCHAIN_CALLBACKS):
        return (
            f"storing the repr of a {type_name} value at {path}{where}: a LangChain callback "
            f"handler, which a replay does not call (the recorded answer is returned without "
            f"LangChain's run machinery: astream_events and LangGraph's stream_mode='messages' "
            f"get no events from it). To keep it called, mock the chat model's _generate, "
            f"_agenerate, _stream or _astream instead, with ignore=['**.run_manager']; if "
            f"nothing reads what it collects, leave it out with {ignore_fix([path], place)}"
        )
    if type_name.startswith(_SQLALCHEMY_STATEMENTS):
        # (a decoder registered for it could not give a statement back: comparisons would fail)
        name = path if path.isidentifier() else "stmt"
        return (
            f"storing the repr of a {type_name} value at {path}{where}: a SQL statement, which "
            "a replay compares by its type only (a changed query or bound parameter would "
            "pass). Mock a function that takes the plain values the statement is built from "
            "(the customer's id, not the query), or give the mocked function the statement's "
            f"text and parameters (str({name}), {name}.compile().params)"
        )
    if type_name.startswith(_DATA_MODULES):
        return (
            f"storing the repr of {article(type_name)} {type_name} value at {path}{where}: only "
            "a pickle could store it, and a call's arguments are compared by what the golden "
            "holds readably, so a replay compares it by its type only (a changed cell would "
            "pass). Give the mocked function its values in a form the golden stores (a frame's "
            "to_dict('list') or to_dict('records'), an array of numbers, .tolist(), dates as "
            f"text), or leave it out of the comparison with {ignore_fix([path], place)}"
        )
    return (
        f"storing the repr of {article(type_name)} {type_name} value at {path}{where}: it cannot "
        f"be stored readably, so a replay compares it by its type only. If it is not part of "
        f"what the call sends, leave it out of the comparison with {ignore_fix([path], place)}; "
        "else teach the codec its type (pytest_clearstone.codec.register)"
    )


def ignore_advice(places: Sequence[Sequence[Any]], place: str = "") -> str:
    """What a divergence in random ids at ``places`` of a call's arguments (keys and list
    positions: :func:`pytest_clearstone.diff.swapped_id_places`) adds to its cause: the
    ``ignore=`` paths that leave them out (``""`` when there are none); ``place``: where the
    test's ignore paths come from, when not a marker (:func:`~pytest_clearstone.errors.
    ignore_fix`)."""
    paths = list(dict.fromkeys(".".join(segment_text(step) for step in place) for place in places))
    if not paths or not all(paths):
        return ""
    return (
        "If a library makes them for each process or run (LangChain's "
        "config.metadata.lc_internal_call) and they are not part of what the call sends, leave "
        f"them out of matching with {ignore_fix(paths, place)}."
    )


def _segment(step: Any, secret: Callable[[str], bool] | None) -> str:
    return ANY if secret is not None and type(step) is str and secret(step) else segment_text(step)


def _changed_by(shown: Callable[[Any, str, str], Any]) -> Callable[[str], bool]:
    """Whether a message showing a key through ``shown`` would not show it as it is."""
    return lambda key: bool(shown(key, "", "") != key)


def _ignore_path(
    tree: Any, where: Sequence[Any], secret: Callable[[str], bool] | None = None
) -> str:
    """The ``ignore=`` path of the value at ``where`` (keys and list positions) in the stored
    form ``tree``: dotted; the fields of a tagged value (a model, a dataclass...) named without
    the ``v`` level that holds them, a model's extra fields and private and other attributes
    without theirs; a key holding a dot, a bracket or a quote, quoted
    (``config["run.id"]``). A value under a key a path cannot name (not a string) is named by
    the dict that holds it. A key ``secret`` tells (one a message must not show): ``*``."""
    text = ""
    node: Any = tree
    pairs = False  # node: a stored dict's [key, value] pairs
    pair: Any = None  # node: one of those pairs
    for step in where:
        segment: str | None = None
        if pair is not None:
            key = pair[0] if type(pair) is list and pair else None
            if type(key) is not str or step != 1:
                return text
            segment, pair = _segment(key, secret), None
        elif pairs:
            pairs, pair = False, node[step]
        elif type(node) is dict and step == "v" and node.get(TAG) in _FIELDS_UNDER_V:
            pairs = node.get(TAG) == "dict"
        elif type(node) is dict and step in _attribute_parts(node.get(TAG)):
            pass  # (a model's extra fields, private or other attributes: named as its fields)
        else:
            segment = _segment(step, secret)
        if segment is not None:
            text += segment if not text or segment.startswith("[") else "." + segment
        node = node[step]
    return text


def _placeholder(value: Any) -> Any:
    """``value`` (encoded) as recorded at an ignored path: itself when it is readable, else a
    placeholder naming its type."""
    if not (pickle_locations(value) or tag_locations(value, "repr")):
        return value
    if type(value) is dict and value.get(TAG) is not None:  # (a plain dict's keys are its own)
        kind = str(value.get("cls") or value.get("type") or value[TAG])
    else:
        kind = type(value).__name__
    return {TAG: "repr", "type": kind, "v": _placeholder_text(kind)}


def _placeholder_text(kind: str) -> str:
    return f"<ignored {kind}>"


#: the tags whose fields (under "v") the redaction names as attributes, and those whose items
#: (under "v") it names by position
_NAMED_FIELDS = frozenset(
    {"pydantic", "pydantic.v1", "dataclass", "attrs", "namedtuple", "slots", "namespace"}
)
_POSITIONS = frozenset({"tuple", "list"})


def unwritten_places(tree: Any) -> list[str]:
    """Where ``tree``, a call's bound arguments as :func:`recorded_form` records them, holds a
    value the golden records only as a placeholder naming its type — an ignored one that cannot
    be stored readably, or one only a pickle could store (an argument is compared by its type,
    its pickle never written) — in the notation of the redaction's findings
    (``root['config']['callbacks']``): none of such a value's strings is written, so a string
    there that looks like a secret is none of the golden's. Values whose places the redaction
    names otherwise (a set's items, a registered type's encoding) are not looked into."""
    places: list[str] = []
    todo: list[tuple[Any, str]] = [(tree, "root")]
    while todo:
        node, path = todo.pop()
        if type(node) is list:
            todo.extend((child, f"{path}[{i}]") for i, child in enumerate(node))
            continue
        if type(node) is not dict:
            continue
        tag, fields = node.get(TAG), node.get("v")
        if tag is None:
            todo.extend((child, f"{path}[{key!r}]") for key, child in node.items())
        elif tag == "pickle" or (
            tag == "repr" and fields == _placeholder_text(str(node.get("type")))
        ):
            places.append(path)
        elif tag in _NAMED_FIELDS and type(fields) is dict:
            todo.extend((child, f"{path}.{name}") for name, child in fields.items())
        elif tag in _POSITIONS and type(fields) is list:
            todo.extend((child, f"{path}[{i}]") for i, child in enumerate(fields))
        elif tag == "dict" and type(fields) is list:
            todo.extend(
                (pair[1], f"{path}[{pair[0]!r}]")
                for pair in fields
                if type(pair) is list and len(pair) == 2 and type(pair[0]) is str
            )
    return places


class IgnoreConfig:
    """The ``ignore=`` of a golden test: paths for every target, and paths per target."""

    __slots__ = ("_for", "common", "per_target", "place")

    def __init__(
        self, value: Sequence[str] | Mapping[str, Sequence[str]] | None, place: str = ""
    ) -> None:
        #: where the paths come from when not a marker (:attr:`IgnorePaths.place`)
        self.place = place
        self.common: tuple[str, ...] = ()
        self.per_target: dict[str, tuple[str, ...]] = {}
        if value is None:
            pass
        elif isinstance(value, Mapping):
            for target, paths in value.items():
                self.per_target[str(target)] = tuple(_path_list(paths, f"ignore[{target!r}]"))
        else:
            self.common = tuple(_path_list(value, "ignore"))
        self._for: dict[str, IgnorePaths] = {}

    def __bool__(self) -> bool:
        return bool(self.common or self.per_target)

    def unmatched(self) -> dict[str, list[str]]:
        """``{path: [targets]}``: the paths that matched nothing in the arguments of any target
        they were applied to, with those targets (a path for every target counts as matched
        when it matched in one)."""
        applied: dict[str, list[str]] = {}
        matched: set[str] = set()
        for target, paths in self._for.items():
            if not paths.applied:
                continue
            for i, text in enumerate(paths.texts):
                applied.setdefault(text, []).append(target)
                if i in paths.matched:
                    matched.add(text)
        return {text: targets for text, targets in applied.items() if text not in matched}

    def targets(self) -> list[str]:
        """The targets whose paths were asked for (:meth:`for_target`)."""
        return list(self._for)

    def for_target(self, target: str) -> IgnorePaths:
        """The paths that apply to ``target`` (empty when none)."""
        paths = self._for.get(target)
        if paths is None:
            paths = self._for[target] = IgnorePaths(
                (*self.common, *self.per_target.get(target, ())), calls=True, place=self.place
            )
            paths.config = self
        return paths


def _path_list(value: Any, what: str) -> Iterator[str]:
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise ValueError(f"{what} must be a list of paths, not {value!r}")
    for path in value:
        parse_path(path)
        yield path


def ignore_state_paths(value: Any) -> IgnorePaths:
    """The ``ignore_state=`` paths, checked to start at ``result`` or ``final_state``."""
    paths = IgnorePaths(_path_list(value, "ignore_state") if value is not None else ())
    for text, pattern in zip(paths.texts, paths.patterns, strict=True):
        if pattern[0] not in ("result", "final_state", ANY, DEEP):
            raise ValueError(
                f"ignore_state path {text!r} must start at result or final_state "
                f"(e.g. 'final_state.history.*.id')"
            )
    return paths
