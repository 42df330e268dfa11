"""The value codec shared by the trace store and checkpoint files.

``encode`` turns a Python value into a JSON-compatible tree; ``decode`` turns such a tree back.
JSON values pass through untouched. Other values become *tagged* objects, a dict whose key
``"__cs__"`` names the encoding::

    {"__cs__": "tuple", "v": [1, 2]}
    {"__cs__": "datetime", "v": "2025-01-15T12:00:00+00:00"}
    {"__cs__": "pickle", "type": "app.models.Receipt", "v": "<base64 dill pickle>"}

Tags: ``tuple``, ``set``, ``frozenset``, ``bytes``, ``bytearray``, ``datetime``, ``date``,
``time``, ``timedelta``, ``decimal``, ``uuid``, ``path`` (relative to the rootdir, pytest's base
temp or the home directory when under one: :mod:`~pytest_clearstone.path_roots`), ``complex``,
``float`` (NaN and infinities), ``fraction``, ``ip`` (the :mod:`ipaddress` classes), ``zone``
(a ``zoneinfo.ZoneInfo``, a ``datetime.timezone``, a named zone of pytz or dateutil),
``pattern`` (a compiled ``re`` pattern), ``logger``, ``random`` (a ``random.Random``, by its
state), ``otel_tracer`` (an OpenTelemetry tracer,
by its name), ``otel_meter`` (an OpenTelemetry meter, by its name), ``deque``, ``ordereddict``,
``counter``, ``defaultdict``, ``enum``, ``dataclass``, ``dict`` (non-string keys, or a key that
is the tag itself),
``custom`` (a type taught by :func:`~pytest_clearstone.codec.register` or the hooks), the library
tags of :mod:`pytest_clearstone.codec.library` (``pydantic``, ``pydantic.v1``, ``secret``,
``pydantic_url``, ``attrs``, ``namedtuple``, ``http_request``, ``http_response``, ``sdk_client``,
``sdk_resource``, ``sentinel``, ``file``, and ``mapping``: a client library's dict subclass, such
as openai's ``PydanticFunctionTool``, by its items, :mod:`pytest_clearstone.codec.mappings`),
``pickle`` (dill, for everything else) and ``repr`` (what even
dill cannot encode, or what pickles may not store; lossy, warned).

Unpickling runs code chosen by whoever wrote the pickle, so every reading function refuses
``pickle`` tags unless given ``allow_pickle=True``. Encoding in memory may pickle (a recorded
value is frozen exactly); what is written is checked: a golden refuses pickles unless allowed
(:meth:`Checkpoint.dumps <pytest_clearstone.golden.checkpoint.Checkpoint.dumps>`) and the trace
store replaces them by placeholders (:func:`replace_pickles`).

The order for a value that is not JSON: the built-in types above, then registered types and the
installed hooks, then enums and dataclasses, then library types, then pickle.

Tagged trees are decoded bottom-up by a ``json.loads`` object hook, so a file is decoded while it
is parsed, not in a second walk; a document without any tag is parsed with no hook at all.
"""

from __future__ import annotations

import base64
import collections
import dataclasses
import datetime as _dt
import enum
import importlib
import json
import math
import numbers
import os
import re
import sys
import uuid
import warnings
from collections.abc import Callable, Iterator, Sequence
from decimal import Decimal
from pathlib import Path, PurePath, PurePosixPath, PureWindowsPath
from types import ModuleType, SimpleNamespace
from typing import TYPE_CHECKING, Any

from ..commands import RECORD_COMMAND
from ..errors import (
    DecodeError,
    PickleImportError,
    SerializationError,
    StoredClassError,
    UnencodableValueWarning,
    UnknownZoneError,
    article,
    describe,
)
from ..path_roots import anchored, rooted
from .arrays import array_from, readable_array, readable_scalar, scalar_from
from .fast_json import floats_as_python, orjson
from .naming import (
    REFERENCE_TAGS,
    class_path,
    fields_changed,
    findable,
    findable_path,
    found_again,
    import_class,
    import_type,
    is_importable,
    is_mock_double,
    is_std_array,
    made_at_run_time,
    other_attributes,
    per_type,
)
from .naming import TAG as TAG
from .nesting import MAX_DEPTH, room, short_path, too_deep, tracing_again, walked
from .registry import REGISTRY

if TYPE_CHECKING:
    from fractions import Fraction


_LIBRARY = f"{__package__}.library"


def _library() -> ModuleType:
    """:mod:`.library`, the codec of the client libraries' values (and the modules it uses:
    :mod:`.models`, :mod:`.clients`, :mod:`.http`...), imported when a value or a tag first
    needs it: reading and comparing plain JSON values never does, and those modules are ~150 KB
    of compiled code, which pytest's assertion-rewriting hook loads at ~0.2 M instructions per
    KB (a golden suite of dict answers would load them in every process for nothing). Looked
    up in ``sys.modules`` at each use, not kept: pytester's in-process runs drop the modules a
    run imported, and a later run uses the copy it imports again, with the clients that copy
    rebuilds from the SDK classes of that run."""
    return sys.modules.get(_LIBRARY) or importlib.import_module(_LIBRARY)


_TAG_MARKER = '"__cs__"'
#: an object's address in a default repr (`<app.Handle object at 0x7f3a...>`), or the id a
#: mock's repr shows (`<MagicMock name='client' id='1397...'>`); a pattern compiled when first
#: used (a value stored as its repr is rare)
ADDRESS = r" at 0x[0-9a-fA-F]+| id='[0-9]+'"
_PICKLE_MARKER = '"__cs__": "pickle"'
#: How to store a type only a pickle could store readably instead.
ENCODER_FIX = (
    "store the type readably by registering an encoder for it with pytest_clearstone.codec.register"
)
#: How to get past a refused pickle; ends every message about one.
PICKLE_FIXES = (
    "allow pickles if you trust the file (ini clearstone_allow_pickle = true, "
    f"--clearstone-allow-pickle, or allow_pickle=True in the library API), or {ENCODER_FIX}"
)


#: the plain data to be had of pandas' frames and series: values as they are (a frame's
#: ``to_dict``, a series' ``tolist``) keep its own times and missing values, which only a pickle
#: can store
_PANDAS_AS_JSON = (
    'json.loads(value.to_json(orient="records", date_format="iso")) (its {} as plain data: '
    "times as ISO text, NaT and NA as None; {} keeps pandas' Timestamp, NaT and NA)"
)
#: how to convert pandas' values that only a pickle can store, by the name of their class
_PANDAS_CONVERSIONS = {
    "Timestamp": ".to_pydatetime() (or .isoformat())",
    "Timedelta": ".to_pytimedelta()",
    "NaTType": "None if pd.isna(value) else value.to_pydatetime() (NaT is pandas' missing time)",
    "NAType": (
        "None if pd.isna(value) else value (pd.NA is pandas' missing value, of a nullable "
        "column such as Int64)"
    ),
    "Series": _PANDAS_AS_JSON.format("values", ".tolist()"),
    "DataFrame": _PANDAS_AS_JSON.format("rows", '.to_dict("records")'),
}


def plain_conversion(cls: type) -> str:
    """The call that turns a value of ``cls``, a library's own number, text or array that only
    a pickle can store (numpy's ``str_``, an ``ndarray`` of texts or objects, pandas' times,
    missing values, series and frames), into a plain one (``"float()"``, ``"int()"``,
    ``"str()"``, ``".tolist()"``: nested lists of plain values); ``""`` for another class."""
    for base in cls.__mro__:  # (by the names of pandas' classes: nothing is imported)
        if base.__module__.partition(".")[0] == "pandas" and base.__name__ in _PANDAS_CONVERSIONS:
            return _PANDAS_CONVERSIONS[base.__name__]
    if cls.__module__ == "sqlite3" and cls.__name__ == "Row":
        return "dict(row)"
    if issubclass(cls, str):
        return "str()"
    if issubclass(cls, numbers.Integral):  # (numpy registers its scalars with numbers)
        return "int()"
    if issubclass(cls, numbers.Real):
        return "float()"
    return ".tolist()" if cls.__module__ == "numpy" and cls.__name__ == "ndarray" else ""


#: Why a ``unittest.mock`` double (:func:`~.naming.is_mock_double`) is refused, said first.
MOCK_DOUBLE = (
    "it is a unittest.mock double, which a golden cannot hold (no replay could rebuild it)"
)


#: Why the process's environment (``os.environ``, ``os.environb``) is refused, pickles allowed or
#: not, and the fix.
ENVIRONMENT = (
    "it is the process's environment (os.environ), every variable of it, secrets included, "
    "which a golden never holds (nor its pickle): keep the variables the agent needs, by name "
    '(self.region = os.environ.get("AWS_REGION")), or read os.environ where they are used'
)

#: the class of ``os.environ`` and ``os.environb``
_ENVIRONMENT = type(os.environ)


#: Why a value of a class defined inside a function (``test_it.<locals>.Answer``) is not stored
#: readably, and the fix: said first.
LOCAL_CLASS = (
    "its class is defined inside a function, so no import path names it and a replay cannot "
    "rebuild it. Define the class at module level (of the test file or the agent's module), "
    "where the golden can name it"
)


#: Why a value of a class made at run time, which its module does not hold under its name (a
#: ``dataclasses.make_dataclass`` class: fastmcp's ``CallToolResult.data``), is not stored
#: readably, and the fix: said first.
RUN_TIME_CLASS = (
    "its class was made at run time (dataclasses.make_dataclass, or a library building a class "
    "from a schema, as fastmcp does for a tool's structured result), and no import path finds "
    "it, so a replay cannot rebuild it. Keep a plain form of the value (its fields: "
    "dataclasses.asdict(value) for a dataclass; fastmcp's structured_content for a tool's "
    "result)"
)


#: Why an exception kept as a value (not raised by a mocked call, which is recorded readably)
#: is stored by a pickle alone, said first, and the fix that records it readably
EXCEPTION_KEPT = (
    "it is an exception kept as a value (batch(..., return_exceptions=True), "
    "asyncio.gather(..., return_exceptions=True), a structured output's parsing_error), "
    "which only a pickle could store"
)
KEEP_WHAT_IS_CHECKED = (
    'keep what the test checks of it where it is made, e.g. f"{type(exc).__name__}: {exc}"'
)


def pickle_refusal(cls: type | None, type_name: str = "") -> str:
    """Why a value of ``cls`` (``None``: not known; ``type_name``: its class's dotted name)
    that only a pickle could store is refused when pickles are not allowed, and the fixes
    (:data:`PICKLE_FIXES`, and for a library's own number or text the conversion to a plain
    one: :func:`plain_conversion`); for a class defined inside a function, :data:`LOCAL_CLASS`
    first."""
    if "<locals>" in type_name:
        return f"{LOCAL_CLASS}; or {pickle_refusal(cls)}"
    if made_at_run_time(type_name, cls):
        return f"{RUN_TIME_CLASS}; or {pickle_refusal(cls)}"
    from .clients import is_sdk_client  # (imported when a value needs a pickle)

    if cls is not None and issubclass(cls, _ENVIRONMENT):
        return ENVIRONMENT
    if cls is not None and is_mock_double(cls):  # (dill cannot pickle one either)
        return (
            f"{MOCK_DOUBLE}: give the agent the real object in its place (an SDK client such as "
            "openai.OpenAI(http_client=httpx2.Client(transport=httpx2.MockTransport(handler))), "
            "whose HTTP the mock transport answers, is stored as a reference); a double that "
            "made it by answering a call (its answer when given no return_value) needs a "
            "return_value of what the real call returns"
        )
    if cls is not None and is_sdk_client(cls):
        return (
            "it is an SDK client that cannot be stored as a reference (a reference rebuilds a "
            "client from its class, base URL, timeout and retries alone), and its pickle would "
            f"hold its key: leave it out of what is stored, or {ENCODER_FIX}"
        )
    database = "" if cls is None else _sqlalchemy_refusal(cls)
    if database:
        return database
    if cls is not None and issubclass(cls, BaseException):
        # (an error a mocked call raises is recorded readably; one kept as a value is not)
        return (
            f"{EXCEPTION_KEPT}, and pickles are not allowed: {KEEP_WHAT_IS_CHECKED}; or "
            f"{PICKLE_FIXES}"
        )
    reason = f"only a pickle could store it, and pickles are not allowed: {PICKLE_FIXES}"
    plain = "" if cls is None else plain_conversion(cls)
    return f"{reason}, or convert it with {plain} where it is made" if plain else reason


#: why a SQLAlchemy engine is refused, and the fix: said as an SDK client's is
_ENGINE = (
    "it is a SQLAlchemy engine, a database client holding its connection pool and its URL's "
    "password: leave it out of the state (a module-level engine, or a get_state() without it) "
    "and mock the functions that run the queries"
)
#: why a value of SQLAlchemy's that only a pickle could store is refused, and the fix, by the
#: name of its class
_SQLALCHEMY_REFUSALS = {
    "Engine": _ENGINE,
    "AsyncEngine": _ENGINE,
    "immutabledict": (
        "it is SQLAlchemy's immutabledict (a URL's query is one), which only a pickle could "
        "store: keep a SQLAlchemy URL as its text without the password "
        "(str(url), which shows it as ***), a mapping as dict(value)"
    ),
}


def _sqlalchemy_refusal(cls: type) -> str:
    """:func:`pickle_refusal` for a SQLAlchemy engine or immutable dict (by the names of its
    classes: nothing is imported); ``""`` for another class."""
    for base in cls.__mro__:
        if base.__module__.partition(".")[0] == "sqlalchemy":
            reason = _SQLALCHEMY_REFUSALS.get(base.__name__)
            if reason is not None:
                return reason
    return ""


# orjson reads integers outside 64 bits as floats: text holding an integer of 20 digits (or "-"
# and 19) goes to the stdlib. A run of digits counts unless it cannot be such an integer: one
# after a letter or a quote is inside a string (a trace id ending in digits), one after a "." is
# a fraction. (19 digits alone are common and safe: nanosecond timestamps.)
_LONG_INT = re.compile(rb"(?<![^\s:,\[-])[0-9]{20}|(?<![^\s:,\[])-[0-9]{19}")
# Any such run covers two bytes at consecutive multiples of _STRIDE: a sample of every tenth byte
# (a C-level slice and translate of a tenth of the text) finds where one may be, and only those
# windows are searched. Too many windows: the runs of the whole text are.
_STRIDE = 10
_RUN_MAP = bytes(48 if 48 <= i <= 57 or i == 45 else 32 for i in range(256))
_PAIR = re.compile(rb"0(?=0)")  # each sampled digit followed by one (overlapping pairs)
_RUN20 = b"0" * 20
_MAX_WINDOWS = 64
# every unescaped tag key holds it (found by the regex engine's literal-prefix search, which
# skips to each "_": faster than bytes.count of '"__cs__"', whose bytes are all common in JSON)
_TAG_NAME = re.compile(rb"__cs__")
# after a few backslashes (a text full of "\n"), the search for an escape goes to the regex engine
_ESCAPE = re.compile(rb"\\u")
_MAX_BACKSLASHES = 16


def has_long_digits(text: str | bytes) -> bool:
    """Whether ``text`` may hold an integer orjson would read as a float (see ``_LONG_INT``;
    exact: a sample only chooses which windows are searched)."""
    raw = text.encode("utf-8", "surrogatepass") if isinstance(text, str) else bytes(text)
    for windows, hit in enumerate(_PAIR.finditer(raw[::_STRIDE].translate(_RUN_MAP))):
        if windows == _MAX_WINDOWS:
            break
        at = hit.start() * _STRIDE  # a run through ``at`` and ``at + 10`` starts in [at - 9, at]
        if _LONG_INT.search(raw, max(at - _STRIDE + 1, 0), at + 2 * _STRIDE) is not None:
            return True
    else:
        return False
    runs = raw.translate(_RUN_MAP)  # each run of 20 or more digits and "-", searched whole
    start = runs.find(_RUN20)
    while start >= 0:
        end = runs.find(b" ", start)
        end = len(raw) if end < 0 else end
        if _LONG_INT.search(raw, start, end) is not None:
            return True
        start = runs.find(_RUN20, end)
    return False


def _has_escape(raw: bytes) -> bool:
    """Whether ``raw`` holds ``\\u`` (as ``b"\\u" in raw``, a few times faster: backslashes are
    found by ``memchr``, and a text with many of them is searched by the regex engine)."""
    at = raw.find(b"\\")
    for _ in range(_MAX_BACKSLASHES):
        if at < 0:
            return False
        if raw[at + 1 : at + 2] == b"u":
            return True
        at = raw.find(b"\\", at + 1)
    return at >= 0 and _ESCAPE.search(raw, at) is not None


#: a document's top-level field holding its length in bytes as its writer wrote it: a file of
#: that length is taken as written (its ``tag_index`` is complete and its ``int64`` claim true)
#: without searching its text; a file of another length (edited) has its text searched first.
#: Safety never rests on it: values outside the index are never decoded (see DocumentScan).
SIZE_FIELD = "file_bytes"


class DocumentScan:
    """What a look at a document's bytes tells about it, before and after parsing.

    Searching the text costs about a third of parsing it, so each look is taken only when
    needed, and a file as written (:meth:`as_written`) takes none: ``escaped``, whether it has a
    ``\\u`` escape (a key or a tag may be spelt with escapes, so only the parsed document tells
    where its tags are); ``tag_count``, how often ``__cs__`` occurs, not overlapping (at least
    once in each unescaped tag key, whose quotes keep it apart from any other; text that is not
    a key counts too, which only costs the fast path); and ``long_digits``, whether it has an
    integer orjson would read as a float.

    ``may_hold_pickle``: a ``pickle`` tag is possible. Once :meth:`index` has accepted the
    document's tag index, this is exact for what will be decoded (a ``pickle`` tag among the
    indexed values: nothing else is decoded); otherwise the text decides: it holds the JSON
    string ``"pickle"`` or an escape (the tag's value cannot be spelt otherwise), so a document
    without either has no pickle.
    """

    __slots__ = ("_count", "_doc", "_escaped", "_long", "_paths", "_pickle", "_raw")

    def __init__(self, raw: bytes) -> None:
        self._raw = raw
        self._escaped: bool | None = None
        self._count: int | None = None
        self._long: bool | None = None
        self._doc: Any = _NOT_INDEXED
        self._paths: list[list[Any]] | None = None
        self._pickle: bool | None = None

    @property
    def escaped(self) -> bool:
        if self._escaped is None:
            self._escaped = _has_escape(self._raw)
        return self._escaped

    @property
    def tag_count(self) -> int:
        if self._count is None:
            self._count = len(_TAG_NAME.findall(self._raw))
        return self._count

    @property
    def long_digits(self) -> bool:
        if self._long is None:
            self._long = has_long_digits(self._raw)
        return self._long

    @property
    def may_hold_pickle(self) -> bool:
        if self._pickle is None:
            self._pickle = self.escaped or (self.tag_count > 0 and b'"pickle"' in self._raw)
        return self._pickle

    def as_written(self, doc: Any) -> bool:
        """Whether the parsed ``doc`` says it is as long as the text is (:data:`SIZE_FIELD`):
        the file is as its writer wrote it, not edited since."""
        size = doc.get(SIZE_FIELD) if type(doc) is dict else None
        return type(size) is int and size == len(self._raw)

    def index(self, doc: Any) -> list[list[Any]] | None:
        """The paths of the parsed ``doc``'s ``"tag_index"`` when they may decode it, else
        ``None`` (decode the whole document).

        The paths must lead through plain containers to tagged values, none repeating nor
        inside another (:func:`_index_paths`), so the values they name are distinct subtrees,
        and only those are decoded: whatever the index says, a value outside them is never
        decoded, so a pickle elsewhere never runs. Whether a ``pickle`` tag is among them is
        found in the parsed values (escapes read) before anything is decoded
        (:attr:`may_hold_pickle`).

        That the index reaches every tag is taken from a file as written (:meth:`as_written`);
        an edited one must have no escape in its text, and the tags counted in those subtrees
        (nested ones included) must be as many as the ``__cs__`` in the text (each tag has its
        own key in the text, so then no tag lies outside them), or the whole document is
        decoded.
        """
        if self._doc is doc:
            return self._paths
        paths, self._pickle = None, None
        complete = self.as_written(doc)
        if complete or not self.escaped:
            paths = _index_paths(doc, None if complete else self.tag_count)
            if paths is not None:
                values = []
                for path in paths:
                    parent, key = _at(doc, path)
                    values.append(parent[key])
                # (a file as written: its index reaches every tag, so they need not be counted)
                tags, pickles = _tag_counts(values, count_tags=not complete)
                if complete or tags == self.tag_count:
                    self._pickle = pickles > 0
                else:
                    paths = None
        self._doc, self._paths = doc, paths
        return paths


_NOT_INDEXED = object()


_TAG_KEYS = (f'{{"{TAG}":'.encode(), f',"{TAG}":'.encode())
_PICKLE_TAGS = tuple(key + b'"pickle"' for key in _TAG_KEYS)


def _tag_counts(values: list[Any], *, count_tags: bool = True) -> tuple[int, int]:
    """How many tags the parsed ``values`` hold, nested ones included (0 unless
    ``count_tags``), and how many of them are ``pickle`` tags: counted in their compact JSON
    text when orjson can write it (a few times faster than walking them; in that text a tag key
    is ``{"__cs__":`` or ``,"__cs__":`` and nothing else is, a string's quotes being escaped),
    else by walking them."""
    if orjson is not None and values:
        try:
            text = orjson.dumps(values)
        except orjson.JSONEncodeError:  # an integer wider than 64 bits, too deep a nesting
            pass
        else:
            tags = sum(map(text.count, _TAG_KEYS)) if count_tags else 0
            return tags, sum(map(text.count, _PICKLE_TAGS))
    acc = [0, 0]
    for value in values:
        _survey(value, acc)
    return acc[0], acc[1]


def _survey(x: Any, acc: list[int]) -> None:
    """Count into ``acc`` the tags in ``x`` (nested ones included), and the ``pickle`` ones."""
    if type(x) is dict:
        if TAG in x:
            acc[0] += 1
            if x[TAG] == "pickle":
                acc[1] += 1
        values: Any = x.values()
    else:
        values = x
    for v in values:
        t = type(v)
        if t is dict or t is list:
            _survey(v, acc)


def holds_tag(x: Any) -> bool:
    """Whether the JSON tree ``x`` holds an object with the tag key anywhere: whether
    decoding it could do anything but copy it."""
    t = type(x)
    if t is dict:
        if TAG in x:
            return True
        values: Any = x.values()
    elif t is list:
        values = x
    else:
        return False
    for v in values:
        t = type(v)
        if (t is dict or t is list) and holds_tag(v):
            return True
    return False


def _count_tags(x: Any) -> int:
    """How many tags ``x`` holds, nested ones included."""
    if type(x) is not dict and type(x) is not list:
        return 0
    acc = [0, 0]
    _survey(x, acc)
    return acc[0]


def scan_document(raw: bytes | str) -> DocumentScan:
    """The pre-parse scan of a whole document (see :class:`DocumentScan`)."""
    if isinstance(raw, str):
        raw = raw.encode("utf-8", "surrogatepass")
    return DocumentScan(bytes(raw))


class _Unencodable(Exception):
    """Internal: carries the path of an unencodable value up to the public entry point."""

    def __init__(self, value: Any, reason: str, *, depth: int = 0) -> None:
        super().__init__(reason)
        self.value = value
        self.reason = reason
        self.path: list[str] = []
        #: the levels the value lies below the one encoded, when that is too deep (else 0)
        self.depth = depth


class Encoder:
    """Walks a value and returns its JSON-compatible tree.

    ``strict``: raise :class:`SerializationError` naming the path of a value that cannot be
    encoded, instead of storing its ``repr`` with a warning. ``allow_pickle``: whether values
    may fall back to a dill pickle at all. ``warn``: whether storing a ``repr`` warns.
    """

    __slots__ = ("allow_pickle", "strict", "warn")

    def __init__(
        self, *, strict: bool = False, allow_pickle: bool = True, warn: bool = True
    ) -> None:
        self.strict = strict
        self.allow_pickle = allow_pickle
        self.warn = warn

    def encode(self, value: Any, root: str = "root") -> Any:
        trace = sys.gettrace()
        try:
            try:
                return self._enc(value)
            except RecursionError:
                # a reference cycle (the fast path does not look for one) or a deep value
                tracing_again(trace)
            with room():  # (outside the handler: no chained traceback thousands of frames long)
                return _CycleSafeEncoder(self).encode_tree(value)
        except _Unencodable as exc:
            if exc.depth:  # nested deeper than MAX_DEPTH: the value named by the path to there
                raise too_deep(short_path(root, exc.path), value, at_least=exc.depth) from None
            path, type_name = root + "".join(exc.path), describe(exc.value)
            if "<locals>" in type_name:  # (its reason gives the fix: LOCAL_CLASS)
                raise SerializationError(path, type_name, exc.reason, advice="") from None
            raise SerializationError(path, type_name, exc.reason) from None
        finally:
            tracing_again(trace)  # (also when out of room in the cycle-safe walk)

    def _enc(self, v: Any) -> Any:
        t = type(v)
        if t is str or t is int or t is bool or v is None:
            return v
        if t is float:
            if math.isfinite(v):
                return v
            return {TAG: "float", "v": repr(v)}
        if t is list:
            out = []
            try:
                for x in v:
                    out.append(self._enc(x))
            except _Unencodable as exc:  # the failing item is the one after those done
                exc.path.insert(0, f"[{len(out)}]")
                raise
            return out
        if t is dict:
            d: dict[str, Any] = {}
            k: Any = None
            try:
                # a copy, made with no Python code run meanwhile: another thread may change a
                # library's dict while it is stored
                for k, x in v.copy().items():
                    if type(k) is not str or k == TAG:
                        break
                    d[k] = self._enc(x)
                else:
                    return d
            except _Unencodable as exc:
                exc.path.insert(0, f"[{k!r}]")
                raise
            return self._enc_keyed(v)  # outside the try: it names its own paths
        return self._enc_other(v, t)

    def _enc_keyed(self, v: dict[Any, Any]) -> Any:
        items = []
        k: Any = None
        try:
            for k, x in v.copy().items():  # (a copy, as in _enc)
                items.append([self._enc(k), self._enc(x)])
        except _Unencodable as exc:
            exc.path.insert(0, f"[{k!r}]")
            raise
        return {TAG: "dict", "v": items}

    def _enc_seq(self, tag: str, items: Any) -> Any:
        out = []
        try:
            for x in items:
                out.append(self._enc(x))
        except _Unencodable as exc:
            exc.path.insert(0, f"[{len(out)}]")
            raise
        return {TAG: tag, "v": out}

    def _enc_set(self, v: set[Any] | frozenset[Any], tag: str) -> Any:
        """A set in one order whatever the hash order (a re-record writes the same file):
        strings, or numbers, sorted by value; other items (enum members, tuples, mixed types,
        frozensets, which ``<`` orders only partly) by their stored JSON text."""
        kinds = {type(x) for x in v}
        if kinds <= _STR or (kinds <= _NUMBERS and all(x == x for x in v)):  # (NaN: not so)
            return self._enc_seq(tag, sorted(v))
        tree = self._enc_seq(tag, v)
        tree["v"].sort(key=lambda item: json.dumps(item, sort_keys=True))
        return tree

    def _enc_class(self, cls: Any, schema: Any) -> dict[str, Any]:
        """A class as a value, with the JSON schema of a model class (``None``: none); a
        parametrised pydantic generic (``Page[Item]``) or a ``typing`` alias of a generic class
        (``Box[int]``: what an instance made through it keeps as ``__orig_class__``) as its
        origin and arguments."""
        generic = not isinstance(cls, type) or "[" in cls.__qualname__
        ref = _library().models.generic_ref(cls) if generic else None
        tree: dict[str, Any] = {TAG: "class"}
        if type(ref) is dict:
            tree["cls"], tree["args"] = ref["cls"], ref["args"]
        else:
            tree["cls"] = findable_path(cls)
        if schema is not None:
            tree["schema"] = self._enc(schema)
        return tree

    def _enc_collection(self, v: Any, t: type) -> Any:
        """A ``collections`` container: ``deque`` (and its ``maxlen``), ``OrderedDict``,
        ``Counter``, ``defaultdict`` (its factory a class, as ``cls``; another factory, such
        as a lambda, leaves it to a pickle)."""
        if t is collections.deque:
            tree = self._enc_seq("deque", v)
            if v.maxlen is not None:
                tree["maxlen"] = v.maxlen
            return tree
        factory = v.default_factory if t is collections.defaultdict else None
        if factory is not None and not (
            isinstance(factory, type) and is_importable(factory) and findable(factory)
        ):
            return self._enc_pickle(v, t, _unnamed_factory(factory))
        tree = {TAG: _COLLECTIONS[t], "v": self._enc_keyed(v)["v"]}
        if factory is not None:
            tree["cls"] = findable_path(factory)
        return tree

    def _enc_other(self, v: Any, t: type) -> Any:
        if t is tuple:
            return self._enc_seq("tuple", v)
        if t is StoredRepr:  # a placeholder read back is stored as it was: same type, same text
            return {TAG: "repr", "type": v.type_name, "v": v.text}
        if t is ChangedModelClass:  # (as it was read: its class and the recorded schema)
            return self._enc_class(v.cls, v.schema)
        if t is set or t is frozenset:
            return self._enc_set(v, t.__name__)
        if t is bytes or t is bytearray:
            return {TAG: t.__name__, "v": base64.b64encode(v).decode("ascii")}
        if t is _dt.datetime or t is _dt.time:
            tree = {TAG: t.__name__, "v": v.isoformat()}
            zone = v.tzinfo
            if zone is None:
                if v.fold:  # (the repeated hour of a DST change, local time)
                    tree["fold"] = 1
            elif type(zone).__module__ == "zoneinfo" and type(zone.key) is str:
                tree["tz"] = zone.key  # a named zone: its key, not its offset
            elif zone is not _dt.timezone.utc:
                tree.update(_zone_parts(v, zone))
            return tree
        if t is _dt.date:
            return {TAG: "date", "v": v.isoformat()}
        if t is _dt.timedelta:
            return {TAG: "timedelta", "v": [v.days, v.seconds, v.microseconds]}
        if t is Decimal:
            return {TAG: "decimal", "v": str(v)}
        if t is uuid.UUID:
            return {TAG: "uuid", "v": str(v)}
        if t is complex:
            return {TAG: "complex", "v": [repr(v.real), repr(v.imag)]}
        if t in _COLLECTIONS:
            return self._enc_collection(v, t)
        if t is range:
            return {TAG: "range", "v": [v.start, v.stop, v.step]}
        if t is collections.ChainMap:  # (its maps, first to last)
            return self._enc_seq("chainmap", v.maps)
        if t is SimpleNamespace:  # (its attributes, by name)
            return {
                TAG: "namespace",
                "v": {k: self._enc_at(f".{k}", x) for k, x in vars(v).items()},
            }
        if is_std_array(t):  # (its type code and items)
            return {TAG: "array", "typecode": v.typecode, "v": self._enc(v.tolist())}
        if t.__name__ == "Fraction" and t.__module__ == "fractions":  # (imported when used)
            try:
                return {TAG: "fraction", "v": str(v)}
            except ValueError:  # a part longer than Python writes as text: its integers, which
                # a golden refuses as any integer that long, naming the fix (never written)
                return {TAG: "fraction", "v": [v.numerator, v.denominator]}
        if t.__module__ == "ipaddress" and t.__name__ in _IP_CLASSES:  # (pydantic's fields)
            return {TAG: "ip", "cls": t.__name__, "v": str(v)}
        if t.__module__ == "zoneinfo" and t.__name__ == "ZoneInfo" and type(v.key) is str:
            return {TAG: "zone", "v": v.key}  # (one read from a file has no key: a pickle)
        if t is _dt.timezone:  # a fixed offset (UTC too), and its name when it has its own
            at = _EPOCH_NAIVE.replace(tzinfo=v)
            return {TAG: "zone", "offset": at.isoformat()[_ISO_LENGTH:], **_zone_parts(at, v)}
        if t is re.Pattern:
            return {TAG: "pattern", "v": self._enc(v.pattern), "flags": v.flags}
        logger = _logger_name(v)
        if logger is not None:  # (an agent's `self.log = logging.getLogger(__name__)`)
            return {TAG: "logger", "v": logger}
        # (the standard library's own classes: pathlib on 3.12, pathlib._local from 3.13)
        if isinstance(v, PurePath) and t.__module__.partition(".")[0] == "pathlib":
            text = str(v)
            path: dict[str, Any] = {TAG: "path", "v": text}
            if not isinstance(v, Path):  # a pure path (a bucket key, a Windows path): its flavour
                path["flavour"] = "windows" if isinstance(v, PureWindowsPath) else "posix"
                if isinstance(v, _OTHER_FLAVOUR):
                    return path
            root = rooted(text)  # (under the rootdir, pytest's base temp...: portable)
            if root is not None:
                path["v"], path["root"] = root[1], root[0]
            return path
        if (  # Box[int], a typing alias of a generic class
            t.__name__ == "_GenericAlias" and type(_library().models.generic_ref(v)) is dict
        ):
            return self._enc_class(v, None)
        if isinstance(v, type) and (  # a class as a value, or a pydantic generic's
            (is_importable(v) and findable(v))
            or ("[" in v.__qualname__ and type(_library().models.generic_ref(v)) is dict)
        ):  # a model: its JSON schema is what a structured call sends
            return self._enc_class(v, _library().models.model_schema(v))
        if REGISTRY.active:
            custom = self._enc_custom(v, t)
            if custom is not None:
                return custom
        if t.__module__ == "numpy":  # an array or a number of plain numbers: dtype, values
            array = readable_array(v)
            if array is not None:
                dtype, shape, values = array
                return {TAG: "ndarray", "dtype": dtype, "shape": shape, "v": self._enc(values)}
            scalar = readable_scalar(v)
            if scalar is not None:
                return {TAG: "numpy", "dtype": scalar[0], "v": self._enc(scalar[1])}
        if isinstance(v, enum.Enum) and is_importable(t):
            name = v.name
            if (
                type(name) is str and type(v).__members__.get(name) is v
            ):  # (not a Flag's combination)
                return {TAG: "enum", "cls": class_path(t), "name": name, "v": self._enc(v.value)}
            return {TAG: "enum", "cls": class_path(t), "v": self._enc(v.value)}
        if dataclasses.is_dataclass(v) and not isinstance(v, type) and is_importable(t):
            # (a class its module holds another of under its name, after a reload, is read
            # back as that one)
            if found_again(t) or not made_at_run_time(describe(v), t):
                return self._enc_dataclass(v, t)
            return self._enc_pickle(v, t)  # (RUN_TIME_CLASS says why)
        if isinstance(v, (str, int, float)) and not getattr(v, "__dict__", None):
            # a subclass of a scalar with no state of its own (langchain's TextAccessor)
            base = str if isinstance(v, str) else int if isinstance(v, int) else float
            if is_importable(t) and _read_back_as_subclass(t):
                return {
                    TAG: "subclass",
                    "cls": class_path(t),
                    "base": base.__name__,
                    # (the base's own conversion: str() of Django's SafeString is itself)
                    "v": self._enc(_PLAIN_VALUE[base](v)),
                }
        zone = _library_zone_key(v, t)
        if zone is not None:  # (a zone of pytz or dateutil: its key and library)
            return {TAG: "zone", "v": zone[0], "tzlib": zone[1]}
        stored = _library().encode_library(v, t, self._enc_at)
        if stored is not None:
            return stored
        if t.__module__ in _OTEL_TRACER_MODULES and t.__qualname__ in _OTEL_TRACERS:
            return _enc_otel_tracer(v)  # (an agent's `self.tracer = trace.get_tracer(__name__)`)
        if (t.__module__, t.__qualname__) in _OTEL_METERS:
            return _enc_otel_meter(v)  # (an agent's `self.meter = metrics.get_meter(__name__)`)
        if t.__qualname__ == "Random" and t.__module__ == "random":  # (not a subclass's state)
            return _enc_random(v)
        return self._enc_pickle(v, t)

    def _enc_dataclass(self, v: Any, t: type) -> Any:
        """A dataclass instance: ``cls`` and its fields in ``v``; ``unset`` the fields it has no
        value for yet (``field(init=False)`` without a default), ``attrs`` its other instance
        attributes (set by its ``__post_init__``), when there are any."""
        fields: dict[str, Any] = {}
        unset = []
        names = [f.name for f in dataclasses.fields(v)]
        for name in names:
            value = getattr(v, name, _UNSET)
            if value is _UNSET:
                unset.append(name)
            else:
                fields[name] = self._enc_at(f".{name}", value)
        tree = {TAG: "dataclass", "cls": class_path(t), "v": fields}
        if unset:
            tree["unset"] = unset
        others = other_attributes(getattr(v, "__dict__", None), t, names)
        if others:
            tree["attrs"] = {name: self._enc_at(f".{name}", x) for name, x in others.items()}
        return tree

    def _enc_at(self, segment: str, v: Any) -> Any:
        """Encode a nested value; an error inside names it ``segment`` in its path."""
        try:
            return self._enc(v)
        except _Unencodable as exc:
            if segment:
                exc.path.insert(0, segment)
            raise

    def _enc_custom(self, v: Any, t: type) -> Any:
        """A registered type's (or the hooks') encoding, or ``None`` when neither has one."""
        encode = REGISTRY.encoder_for(t)
        try:
            data = encode(v) if encode is not None else REGISTRY.hook_encode(v)
        except Exception as exc:
            source = "the encoder registered" if encode is not None else "the encode hook"
            return self._custom_failed(v, t, f"{source} for it raised {type(exc).__name__}: {exc}")
        if data is None and encode is None:
            return None
        if type(data) is t:
            return self._custom_failed(
                v, t, f"its encoder returned a {describe(v)} again, not a JSON-able tree"
            )
        return {TAG: "custom", "type": class_path(t), "v": self._enc(data)}

    def _custom_failed(self, v: Any, t: type, reason: str) -> Any:
        if self.strict:
            raise _Unencodable(v, reason)
        warnings.warn(
            f"{article(describe(v))} {describe(v)} value is stored the built-in way: {reason}",
            UnencodableValueWarning,
            stacklevel=5,
        )
        return None

    def _refuse(self, v: Any, reason: str, stored_as: str) -> None:
        """A value about to be stored as a placeholder (``stored_as``: ``"the repr of"``, ``"a
        placeholder for"``): an error naming its path when strict, else a warning giving
        ``reason``."""
        if self.strict:
            raise _Unencodable(v, reason)
        if self.warn:
            warnings.warn(
                f"storing {stored_as} {article(describe(v))} {describe(v)} value: {reason}",
                UnencodableValueWarning,
                stacklevel=5,
            )

    def _enc_pickle(self, v: Any, t: type, why: str = "") -> Any:
        """``v`` as a dill pickle, when pickles are allowed; else (or when dill cannot pickle it)
        its ``repr`` placeholder, or strictly an error giving the reason (``why``: what keeps
        it from being stored readably, said first)."""
        type_name = describe(v)
        reason = pickle_refusal(t, type_name)
        if why:
            reason = f"{why}; or {reason}"
        if self.allow_pickle and not is_mock_double(t) and not issubclass(t, _ENVIRONMENT):
            from .pickling import dumps as pickle_dumps

            try:
                data = pickle_dumps(v)
            except Exception as exc:
                reason = f"dill cannot pickle it ({type(exc).__name__}: {exc})"
                plain = plain_conversion(t)
                if plain:
                    reason = f"{reason}, convert it with {plain} where it is made"
                if why or "<locals>" in type_name:  # (the fix, then why no pickle helps)
                    reason = f"{why or LOCAL_CLASS}; {reason.replace('it', 'it either', 1)}"
            else:
                return {TAG: "pickle", "type": type_name, "v": base64.b64encode(data).decode()}
        self._refuse(v, reason, "the repr of")
        if issubclass(t, _ENVIRONMENT):  # (its repr holds every variable: never stored)
            return {TAG: "repr", "type": type_name, "v": f"<{type_name}: not stored>"}
        try:
            # without the object's address (`<openai.Stream object at 0x7f...>`): it differs
            # on every run, and the golden would change at every re-record
            text = re.sub(ADDRESS, "", repr(v))
        except Exception as exc:  # a broken __repr__ must not lose the span either
            text = f"<unrepresentable {type_name}: {type(exc).__name__}>"
        return {TAG: "repr", "type": type_name, "v": text}


def _unnamed_factory(factory: Any) -> str:
    """Why a ``defaultdict`` whose ``default_factory`` is ``factory`` (not a class a golden
    can name) is not stored readably, and the fix."""
    builtin = "defaultdict(list), defaultdict(dict)"
    if not isinstance(factory, type):
        kind = "lambda" if getattr(factory, "__name__", "") == "<lambda>" else describe(factory)
        return (
            f"its default_factory is {article(kind)} {kind}, not a class a golden can name: "
            f"give it one ({builtin}) to store it readably"
        )
    if factory.__module__ == "__main__":
        where = (
            "defined in the script that was run (__main__), which a replay cannot import: "
            "move it into a module"
        )
    elif "<locals>" in factory.__qualname__:
        where = "defined inside a function: define it at module level"
    else:  # (made at run time, or not reachable by its name)
        where = "not found in its module by its name: define it at module level"
    return (
        f"its default_factory is the class {factory.__module__}.{factory.__qualname__}, "
        f"{where}, or give it a built-in one ({builtin}) to store it readably"
    )


class _CycleSafeEncoder(Encoder):
    """The encoder again, for a value that holds a reference cycle or is nested deeper than the
    recursion limit let the first walk go (run in :func:`~.nesting.room`): a value met again
    inside itself is stored as a ``repr`` placeholder saying so (strict: an error naming its
    path); a value more than :data:`~.nesting.MAX_DEPTH` levels deep is refused."""

    __slots__ = ("_active",)

    def __init__(self, like: Encoder) -> None:
        super().__init__(strict=like.strict, allow_pickle=like.allow_pickle, warn=like.warn)
        self._active: set[int] = set()

    def encode_tree(self, value: Any) -> Any:
        try:
            return self._enc(value)
        except RecursionError:
            pass  # (out of room before MAX_DEPTH levels: a walker of many frames per level)
        raise _Unencodable(value, "it is nested too deeply to store", depth=1)

    def _enc(self, v: Any) -> Any:
        t = type(v)
        if t is str or t is int or t is bool or t is float or v is None:
            return super()._enc(v)
        key = id(v)
        if key in self._active:
            self._refuse(v, "it refers back to itself (a reference cycle)", "a placeholder for")
            return {TAG: "repr", "type": describe(v), "v": f"<reference cycle: {describe(v)}>"}
        if len(self._active) >= MAX_DEPTH:  # (the values being encoded: one per level)
            raise _Unencodable(v, "it is nested too deeply to store", depth=MAX_DEPTH + 1)
        self._active.add(key)
        try:
            return super()._enc(v)
        finally:
            self._active.discard(key)


def stored_as_reference(value: Any) -> bool:
    """Whether ``value`` is stored as an SDK client or resource reference (:mod:`.clients`):
    its class and non-secret settings, never its credentials (noted as withheld instead) nor
    anything else it holds. A redaction walk need not look inside such a value; walking an
    SDK client's object graph costs about a millisecond."""
    if _library().kind_of(type(value)) not in REFERENCE_TAGS:
        return False
    try:
        tree = Encoder(strict=True, allow_pickle=False, warn=False).encode(value)
    except Exception:  # not storable as a reference (a registered encoder failing included)
        return False
    return type(tree) is dict and tree.get(TAG) in REFERENCE_TAGS


def encode(value: Any, *, strict: bool = False, allow_pickle: bool = True) -> Any:
    """Encode ``value`` into a JSON-compatible tree (see the module docstring for the tags)."""
    t = type(value)
    if t is str or t is int or t is bool or value is None:
        return value
    return Encoder(strict=strict, allow_pickle=allow_pickle).encode(value)


def _b64(tree: dict[str, Any]) -> bytes:
    try:
        return base64.b64decode(tree["v"], validate=True)
    except (ValueError, TypeError) as exc:
        raise DecodeError(f"bad base64 in a {tree.get(TAG)!r} value: {exc}") from None


def _dec_float(v: Any) -> Any:
    if v not in ("nan", "inf", "-inf"):
        raise DecodeError(f"bad float value {v!r}")
    return float(v)


def _dec_enum(tree: dict[str, Any]) -> Any:
    cls = import_class(tree["cls"])
    if not (isinstance(cls, type) and issubclass(cls, enum.Enum)):
        raise StoredClassError(f"{tree['cls']!r} is not an Enum")
    name = tree.get("name")
    if name is not None:  # (by its name: a member inserted before auto() ones renumbers them)
        if type(name) is not str:
            raise DecodeError(f"bad stored name of a member of the enum {tree['cls']!r}: {name!r}")
        found = cls.__members__.get(name)
        if found is not None:
            return found
        # (renamed since the recording: by its value, as a golden without names reads)
    try:
        return cls(tree["v"])
    except ValueError:  # (a member renamed or removed since the recording)
        gone = "" if name is None else f"no member is named {name!r} and "
        raise StoredClassError(
            f"{gone}{tree['v']!r} is no longer a value of the enum {tree['cls']!r}"
        ) from None


def _dec_class(tree: dict[str, Any]) -> Any:
    if "args" in tree:  # a parametrised pydantic generic
        cls = _library().models.resolve_ref({"cls": tree["cls"], "args": tree["args"]})
    else:
        cls = import_type(tree["cls"])
    if "schema" in tree:
        now = _library().models.model_schema(cls)
        if now != tree["schema"]:
            return ChangedModelClass(cls, tree["schema"], first_difference(tree["schema"], now))
    return cls


class ChangedModelClass:
    """Stands in for a model class stored with a JSON schema that the class no longer has
    (a field added, renamed, retyped or described otherwise since recording): it equals
    nothing but itself, so a call given the class now differs from the one recorded — and so
    does a call given the stand-in an agent's state loaded from the golden holds (another one
    than the recorded call's) — and its repr says where the schemas part. Stored again, it is
    stored as it was read (its class and the recorded schema)."""

    __slots__ = ("cls", "difference", "schema")

    def __init__(self, cls: type, schema: Any, difference: str) -> None:
        self.cls = cls
        self.schema = schema
        self.difference = difference

    def __repr__(self) -> str:
        return f"<{self.cls.__qualname__} of another JSON schema: {self.difference}>"

    def __getattr__(self, name: str) -> Any:  # (an agent holding the class in its state)
        if name.startswith("__") or name in self.__slots__:  # (copy, pickle: as usual)
            raise AttributeError(name)
        raise AttributeError(f"{self._why()}; it has no {name!r}")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        raise TypeError(f"{self._why()}; it cannot be called")

    def _why(self) -> str:
        return (
            f"the class {class_path(self.cls)} has another JSON schema than when the golden "
            f"was recorded ({self.difference}), so the golden holds a stand-in for it; if the "
            f"change is intended, re-record the golden (pytest --clearstone-record)"
        )


#: the side of a JSON difference that has no value there (:func:`json_differences`)
ABSENT: Any = object()


def json_differences(old: Any, new: Any, path: str = "") -> Iterator[tuple[str, Any, Any]]:
    """Where two JSON values differ, in order: ``(path, old, new)`` of each differing leaf
    (dotted keys, list positions in brackets; ``""`` for the whole value), :data:`ABSENT` on
    the side a key is missing from. Lists of one length are compared item by item."""
    if type(old) is dict and type(new) is dict:
        for key in [*old, *(k for k in new if k not in old)]:
            x, y = old.get(key, ABSENT), new.get(key, ABSENT)
            if x != y or type(x) is not type(y):
                yield from json_differences(x, y, f"{path}.{key}" if path else str(key))
        return
    if type(old) is list and type(new) is list and len(old) == len(new):
        for i, (x, y) in enumerate(zip(old, new, strict=True)):
            if x != y or type(x) is not type(y):
                yield from json_differences(x, y, f"{path}[{i}]")
        return
    yield path, old, new


def first_difference(recorded: Any, now: Any) -> str:
    """Where two JSON schemas first differ: ``path added``, ``path removed`` or
    ``path: recorded -> now`` (values shortened)."""
    path, old, new = next(json_differences(recorded, now), ("", recorded, now))
    where = path or "(the whole schema)"
    if old is ABSENT:
        return f"{where} added"
    if new is ABSENT:
        return f"{where} removed"

    def shown(x: Any) -> str:
        text = repr(x)
        return text if len(text) <= 40 else text[:37] + "..."

    return f"{where}: {shown(old)} -> {shown(new)}"


def _dec_dataclass(tree: dict[str, Any]) -> Any:
    cls = import_class(tree["cls"])
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise StoredClassError(f"{tree['cls']!r} is not a dataclass")
    values = dict(tree["v"])
    unset = set(tree.get("unset", ()))  # (fields the original had no value for either)
    stored = values.keys() | unset
    fields = {f.name: f for f in dataclasses.fields(cls)}
    for name in fields.keys() - stored:  # a field added since: its default
        f = fields[name]
        if f.default is not dataclasses.MISSING:
            values[name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            values[name] = f.default_factory()
    if values.keys() | unset != fields.keys():
        raise fields_changed(
            tree["cls"], stored, sorted(fields), fields.keys() - values.keys() - unset
        )
    obj = object.__new__(cls)
    for name, value in [*values.items(), *tree.get("attrs", {}).items()]:
        object.__setattr__(obj, name, value)
    return obj


_SCALARS: dict[str, type] = {"str": str, "int": int, "float": float}
#: the plain value of a subclass of each, whatever the subclass's own ``__str__`` returns
_PLAIN_VALUE: dict[type, Callable[[Any], Any]] = {
    str: str.__str__,
    int: int.__int__,
    float: float.__float__,
}
#: what ``getattr`` gives for a dataclass field the instance has no value for
_UNSET: Any = object()


@per_type
def _read_back_as_subclass(cls: type) -> bool:
    """Whether a value of ``cls``, a subclass of ``str``/``int``/``float``, can be read back
    as :func:`_dec_subclass` does: not for a C type with a ``__new__`` of its own (numpy's
    ``float64`` and ``str_``: ``float.__new__(numpy.float64)`` "is not safe"), whose values
    only a pickle can store."""
    base = str if issubclass(cls, str) else int if issubclass(cls, int) else float
    try:
        base.__new__(cls)
    except Exception:
        return False
    return True


def _dec_subclass(tree: dict[str, Any]) -> Any:
    """A stored subclass of ``str``/``int``/``float``, rebuilt without calling its
    ``__new__`` or ``__init__``."""
    cls = import_class(tree["cls"])
    base: Any = _SCALARS.get(str(tree.get("base")))
    if base is None or not (isinstance(cls, type) and issubclass(cls, base)):
        raise DecodeError(f"{tree['cls']!r} is not a subclass of {tree.get('base')!r}")
    value = tree["v"]
    if type(value) is not base and not (base is float and type(value) is int):
        raise DecodeError(f"bad stored {tree['cls']!r} value {value!r}")
    return base.__new__(cls, value)


def _dec_pickle(tree: dict[str, Any]) -> Any:
    import dill

    data = _b64(tree)
    try:
        return dill.loads(data)
    except Exception as exc:
        message = (
            f"cannot unpickle a stored {tree.get('type', 'value')!r}: {type(exc).__name__}: {exc}"
        )
        if isinstance(exc, (ImportError, AttributeError)):
            raise PickleImportError(message) from None
        if type(exc).__module__ not in _PICKLE_DATA_ERRORS:  # the value's own code raised it
            error = PickleImportError(message)
            error.imported = False
            raise error from None
        raise DecodeError(message) from None


#: the modules of the exceptions that unpickling damaged data raises (any other comes from the
#: code of a pickled value rebuilding it: Django's AppRegistryNotReady outside its app)
_PICKLE_DATA_ERRORS = frozenset({"builtins", "pickle", "_pickle", "dill._dill", "struct"})


def _dec_repr(tree: dict[str, Any]) -> Any:
    return StoredRepr(str(tree.get("type", "?")), str(tree["v"]))


#: the ``collections`` containers stored readably, and their tags
_COLLECTIONS: dict[type, str] = {
    collections.deque: "deque",
    collections.OrderedDict: "ordereddict",
    collections.Counter: "counter",
    collections.defaultdict: "defaultdict",
}


_FRACTION = re.compile(r"(-?[0-9]+)(?:/([0-9]+))?")


def _dec_fraction(text: Any) -> Fraction:
    """``"n"`` or ``"n/d"`` as ``str(Fraction)`` writes it (not the exponent forms
    ``Fraction`` also parses: ``"1e999999999"`` would take the reader's memory); or ``[n, d]``,
    the integers of one with a part longer than Python writes as text (a recording's state
    restored before its golden refuses them)."""
    from fractions import Fraction  # (~1 ms to import: only for a golden that holds one)

    if type(text) is list and len(text) == 2 and all(type(part) is int for part in text):
        return Fraction(text[0], text[1])
    m = _FRACTION.fullmatch(text) if type(text) is str else None
    if m is None:
        raise DecodeError(f"bad stored fraction {text!r:.200}")
    return Fraction(int(m.group(1)), int(m.group(2) or 1))


#: the classes of :mod:`ipaddress` (pydantic validates into them), stored by name and text
_IP_CLASSES = frozenset(
    f"IPv{version}{kind}" for version in (4, 6) for kind in ("Address", "Network", "Interface")
)


def _dec_ip(tree: dict[str, Any]) -> Any:
    import ipaddress  # (only for a golden that holds one)

    name, text = tree["cls"], tree["v"]
    if name not in _IP_CLASSES or type(text) is not str:
        raise DecodeError(f"bad stored IP address {name!r}: {text!r}")
    return getattr(ipaddress, name)(text)


def _logger_name(v: Any) -> str | None:
    """The name of ``v`` when it is a logger that ``logging.getLogger`` gives back by that name
    (the root logger's is ``"root"``); ``None`` for any other value, and for a logger made
    directly (``logging.Logger(name)``), which is not the one of its name."""
    logging = sys.modules.get("logging")  # (a logger exists only once logging is imported)
    if logging is None or not isinstance(v, logging.Logger):
        return None
    if v is logging.root or logging.Logger.manager.loggerDict.get(v.name) is v:
        return str(v.name)
    return None


#: OpenTelemetry's tracers: the SDK's, the API's proxy (before a provider is set), no-op
_OTEL_TRACER_MODULES = frozenset({"opentelemetry.sdk.trace", "opentelemetry.trace"})
_OTEL_TRACERS = frozenset({"Tracer", "ProxyTracer", "NoOpTracer"})


def _enc_otel_tracer(v: Any) -> dict[str, Any]:
    """An OpenTelemetry tracer by what ``trace.get_tracer`` gives it back from: its
    instrumentation scope's name, version and schema URL (``v`` ``None``: a no-op tracer)."""
    info = getattr(v, "instrumentation_info", None)  # (the SDK's; the proxy's are its own)
    name = getattr(info, "name", getattr(v, "_instrumenting_module_name", None))
    tree: dict[str, Any] = {TAG: "otel_tracer", "v": name if type(name) is str else None}
    version = getattr(info, "version", getattr(v, "_instrumenting_library_version", None))
    schema_url = getattr(info, "schema_url", getattr(v, "_schema_url", None))
    # (no version or schema URL: the SDK's "" and the proxy's None are stored alike)
    if type(version) is str and version:
        tree["version"] = version
    if type(schema_url) is str and schema_url:
        tree["schema_url"] = schema_url
    return tree


#: OpenTelemetry's meters (module, class): the SDK's, the API's proxy (before a provider is
#: set), no-op
_OTEL_METERS = frozenset(
    {
        ("opentelemetry.sdk.metrics._internal", "Meter"),
        ("opentelemetry.metrics._internal", "_ProxyMeter"),
        ("opentelemetry.metrics", "NoOpMeter"),
    }
)


def _enc_otel_meter(v: Any) -> dict[str, Any]:
    """An OpenTelemetry meter by what ``metrics.get_meter`` gives it back from: its name,
    version and schema URL (``noop``: a no-op meter, read back as one)."""
    name, version, schema_url = v.name, v.version, v.schema_url
    tree: dict[str, Any] = {TAG: "otel_meter", "v": name if type(name) is str else None}
    # (no version or schema URL: the SDK's "" and the proxy's None are stored alike)
    if type(version) is str and version:
        tree["version"] = version
    if type(schema_url) is str and schema_url:
        tree["schema_url"] = schema_url
    if type(v).__qualname__ == "NoOpMeter":
        tree["noop"] = True
    return tree


def _dec_otel_meter(tree: dict[str, Any]) -> Any:
    from opentelemetry import metrics  # (only for a golden that holds one)

    name, version, schema_url = tree["v"], tree.get("version"), tree.get("schema_url")
    if type(name) is not str:
        raise DecodeError(f"bad stored OpenTelemetry meter name {name!r}")
    if type(version) not in (str, type(None)) or type(schema_url) not in (str, type(None)):
        raise DecodeError(f"bad stored OpenTelemetry meter {name!r}: {version!r}, {schema_url!r}")
    if tree.get("noop") is True:
        return metrics.NoOpMeter(name, version, schema_url)
    return metrics.get_meter(name, version or "", schema_url=schema_url)


def _dec_otel_tracer(tree: dict[str, Any]) -> Any:
    from opentelemetry import trace  # (only for a golden that holds one)

    name, version, schema_url = tree["v"], tree.get("version"), tree.get("schema_url")
    if name is None:
        return trace.NoOpTracer()
    if type(name) is not str:
        raise DecodeError(f"bad stored OpenTelemetry tracer name {name!r}")
    return trace.get_tracer(name, version, schema_url=schema_url)


#: how many 32-bit words a ``random.Random``'s state holds: the Mersenne Twister's 624 and the
#: position of the next one it gives
_RANDOM_WORDS = 625
_RANDOM_STATE = re.compile(f"[0-9a-f]{{{_RANDOM_WORDS * 8}}}")


def _enc_random(v: Any) -> dict[str, Any]:
    """A ``random.Random`` by its state (``getstate()``): its version, its words as one line of
    hexadecimal text (8 digits each) and the second of the pair of normal numbers it keeps
    (``gauss_next``, ``None`` when it keeps none)."""
    version, words, gauss = v.getstate()
    return {
        TAG: "random",
        "version": version,
        "v": "".join([f"{word:08x}" for word in words]),
        "gauss": gauss,
    }


def _dec_random(tree: dict[str, Any]) -> Any:
    import random  # (only for a golden that holds one)

    version, text, gauss = tree.get("version"), tree["v"], tree.get("gauss")
    if type(text) is not str or not _RANDOM_STATE.fullmatch(text):
        problem = f"its words are not {_RANDOM_WORDS} groups of 8 hexadecimal digits"
    elif version != 3:
        problem = f"version {version!r}, not 3"
    elif gauss is not None and type(gauss) not in (float, int):
        problem = f"its gauss_next {gauss!r} is not a number"
    else:
        words = tuple(int(text[i : i + 8], 16) for i in range(0, len(text), 8))
        rng = random.Random()
        try:
            rng.setstate((version, words, None if gauss is None else float(gauss)))
        except (ValueError, TypeError, OverflowError) as exc:
            problem = str(exc)
        else:
            return rng
    raise DecodeError(f"bad stored random.Random state: {problem}")


def _dec_logger(tree: dict[str, Any]) -> Any:
    import logging  # (only for a golden that holds one)

    name = tree["v"]
    if type(name) is not str:
        raise DecodeError(f"bad stored logger name {name!r}")
    return logging.getLogger(name)


def _dec_pattern(tree: dict[str, Any]) -> re.Pattern[Any]:
    pattern, flags = tree["v"], tree["flags"]
    if type(pattern) not in (str, bytes) or type(flags) is not int:
        raise DecodeError(f"bad stored pattern {pattern!r} (flags {flags!r})")
    return re.compile(pattern, flags)


#: paths of the other platform's flavour, stored with it (read back as the pure path of it), and
#: never stored relative to a root; a pure path of this platform's flavour is stored with it too
_OTHER_FLAVOUR = PurePosixPath if os.name == "nt" else PureWindowsPath
_PATH_FLAVOURS: dict[Any, type[PurePath]] = {
    "windows": PureWindowsPath,
    "posix": PurePosixPath,
}


def _dec_path(tree: dict[str, Any]) -> PurePath:
    cls = _PATH_FLAVOURS.get(tree.get("flavour"), Path)
    return cls(tree["v"] if "root" not in tree else anchored(tree["root"], tree["v"]))


_STR = frozenset({str})
_NUMBERS = frozenset({int, float, bool})


def _zone(key: Any, library: Any = None) -> Any:
    """The named zone of a ``datetime``/``time`` tag's ``tz`` (the IANA key; zoneinfo reads
    only its own database, and refuses a key that is a path), of the zone ``library`` of
    :data:`ZONE_LIBRARIES` when given (its ``tzlib``)."""
    import zoneinfo  # (only when a value in a named zone is read)

    if type(key) is not str:
        raise TypeError(f"a time zone key is a string, not {key!r}")
    if library is not None:
        return _library_zone(key, library)
    try:
        return zoneinfo.ZoneInfo(key)
    except zoneinfo.ZoneInfoNotFoundError:  # (a golden recorded where the database has it)
        problem = f"the time zone {key!r} is not in this machine's time zone database"
        known = [k for k in zoneinfo.available_timezones() if k.lower() == key.lower()]
        if not known:
            raise UnknownZoneError(problem) from None
        raise UnknownZoneError(  # (found where the file system ignores case: macOS, Windows)
            f"{problem}: its key is {known[0]!r}",
            f"The file is sound: the agent named the zone in other case than the database "
            f"does, which only a file system that ignores case (macOS, Windows) finds. Write "
            f"its key as {known[0]!r} where the agent makes it, then re-record with: "
            f"{RECORD_COMMAND}",
        ) from None


#: the libraries whose named zones a ``datetime``/``time`` tag stores by key (``tzlib``): the
#: module read back from, and the attribute of a zone holding its IANA key
ZONE_LIBRARIES = {"pytz": ("pytz", "zone"), "dateutil": ("dateutil.tz", "key")}
#: the libraries whose fixed zone class a ``datetime``/``time`` tag stores (its ``tzlib``, with
#: no ``tz``): the module read back from and the class, made from the stored offset in seconds.
#: pydantic parses a time with an offset (``...Z``, an SDK's ``created`` seconds) into its own
#: ``TzInfo``, which prints otherwise than the ``timezone`` of that offset: read back as one, a
#: recorded answer's time printed (``repr``, a snapshot of pydantic-ai's messages) another way
#: on replay than when recorded
FIXED_ZONE_CLASSES = {"pydantic_core": ("pydantic_core", "TzInfo")}


def zone_library_module(library: Any) -> str:
    """The module a ``datetime``/``time`` tag's ``tzlib`` is read back from (``""``: none)."""
    known = (
        (ZONE_LIBRARIES.get(library) or FIXED_ZONE_CLASSES.get(library))
        if type(library) is str
        else None
    )
    return known[0] if known else ""


#: an IANA zone key (``America/Port-au-Prince``, ``Etc/GMT+5``): never a path
_ZONE_KEY = re.compile(r"[A-Za-z0-9_+-]+(?:/[A-Za-z0-9_+-]+)*")


#: a time in no zone: a fixed zone's offset is written as ISO 8601 writes it after this time
#: (``+05:30``, ``-00:00:30``), and read back so
_EPOCH_NAIVE = _dt.datetime(2000, 1, 1)
_EPOCH_TEXT = _EPOCH_NAIVE.isoformat()
_ISO_LENGTH = len(_EPOCH_TEXT)


def _library_zone_key(zone: Any, t: type) -> tuple[str, str] | None:
    """``(IANA key, library)`` of a named zone of pytz or dateutil, else ``None``."""
    library = t.__module__.partition(".")[0]
    if library not in ZONE_LIBRARIES or not isinstance(zone, _dt.tzinfo):
        return None
    key = getattr(zone, ZONE_LIBRARIES[library][1], None)
    return (key, library) if type(key) is str and _ZONE_KEY.fullmatch(key) else None


def _zone_parts(value: Any, zone: _dt.tzinfo) -> dict[str, str]:
    """What a ``datetime``/``time`` tag stores of ``value``'s ``zone`` besides its offset
    (neither zoneinfo's nor UTC): the key and library of a named zone of pytz or dateutil
    (read back in it, with its DST rules), else the name the zone gives the value where the
    offset alone would read back with another (``timezone(timedelta(hours=5), "PKT")``,
    dateutil's ``tzoffset("CET", 3600)``: read back as a fixed zone of that name)."""
    t = type(zone)
    named = _library_zone_key(zone, t)
    if named is not None:
        return {"tz": named[0], "tzlib": named[1]}
    library = t.__module__.partition(".")[0]
    if FIXED_ZONE_CLASSES.get(library, ("", ""))[1] == t.__name__:
        return {"tzlib": library}  # (its offset is the value's)
    offset = value.utcoffset()
    name = value.tzname()
    if offset is None or type(name) is not str or name == _dt.timezone(offset).tzname(None):
        return {}
    return {"tzname": name}


def _dec_zone(tree: dict[str, Any]) -> Any:
    """A zone: a ``zoneinfo.ZoneInfo`` (or one of pytz or dateutil) by its key, or a
    ``datetime.timezone`` by its offset and name."""
    if "offset" not in tree:
        return _zone(tree["v"], tree.get("tzlib"))
    offset, name = tree["offset"], tree.get("tzname")
    if type(offset) is not str or type(name) not in (str, type(None)):
        raise TypeError(f"a fixed zone is an offset and a name, not {offset!r}, {name!r}")
    delta = _dt.datetime.fromisoformat(_EPOCH_TEXT + offset).utcoffset()
    if delta is None:
        raise TypeError(f"a fixed zone's offset is +HH:MM, not {offset!r}")
    return _dt.timezone(delta) if name is None else _dt.timezone(delta, name)


def _library_zone(key: str, library: Any) -> Any:
    """The zone ``key`` of pytz or dateutil (``library``), imported to read it back."""
    if library not in ZONE_LIBRARIES:
        raise TypeError(f"a time zone's library is pytz or dateutil, not {library!r}")
    if not _ZONE_KEY.fullmatch(key):  # (dateutil reads a file given a path)
        raise TypeError(f"a time zone key is a name such as 'Europe/Paris', not {key!r}")
    try:
        module = importlib.import_module(ZONE_LIBRARIES[library][0])
    except ImportError:
        raise StoredClassError(
            f"the time zone {key!r} is stored as one of {library}'s, which is not installed "
            f"here: install {'python-dateutil' if library == 'dateutil' else library}"
        ) from None
    try:
        zone = module.timezone(key) if library == "pytz" else module.gettz(key)
    except LookupError:  # (pytz's UnknownTimeZoneError)
        zone = None
    if zone is None:
        raise UnknownZoneError(
            f"the time zone {key!r} is not in this machine's time zone database ({library}'s)"
        )
    return zone


def _in_pytz_zone(value: _dt.datetime, zone: Any) -> _dt.datetime:
    """``value`` (read with its stored offset) in the pytz ``zone``: its wall time localized
    with the offset stored (pytz's own ``tzinfo`` of that offset, so ``normalize`` and
    ``localize`` work on it), or the zone's first offset where that is the one stored (local
    mean time, +00:09 for Paris: what ``tzinfo=zone`` gives); else (a time not normalized
    after arithmetic) the zone's wall time of the stored instant."""
    naive, offset = value.replace(tzinfo=None), value.utcoffset()
    for is_dst in (False, True):
        local: _dt.datetime = zone.localize(naive, is_dst=is_dst)
        if local.utcoffset() == offset:
            return local
    local = naive.replace(tzinfo=zone)
    if local.utcoffset() == offset:
        return local
    return value.astimezone(zone)


def _named_zone(value: Any, tree: dict[str, Any]) -> Any:
    """``value`` (a ``datetime`` or ``time`` read with its offset) in the fixed zone of that
    offset named ``tree["tzname"]``."""
    name = tree["tzname"]
    offset = value.utcoffset()
    if type(name) is not str or offset is None:
        raise TypeError(f"a time zone name is a string with an offset, not {name!r}")
    return value.replace(tzinfo=_dt.timezone(offset, name))


def _in_fixed_zone(value: Any, tree: dict[str, Any]) -> Any:
    """``value`` (a ``datetime`` or ``time`` read with its offset) in the fixed zone class of
    the library of :data:`FIXED_ZONE_CLASSES` its tag names (a tag without one: as read)."""
    library = tree.get("tzlib")
    if library is None:
        return value
    if type(library) is not str or library not in FIXED_ZONE_CLASSES:
        raise TypeError(f"a fixed zone's library is pydantic_core, not {library!r}")
    offset = value.utcoffset()
    if offset is None:
        raise TypeError("a fixed zone's library is stored for a time with an offset only")
    module, name = FIXED_ZONE_CLASSES[library]
    zone = getattr(importlib.import_module(module), name)(int(offset.total_seconds()))
    return value.replace(tzinfo=zone)


def _dec_datetime(tree: dict[str, Any]) -> _dt.datetime:
    value = _dt.datetime.fromisoformat(tree["v"])
    if "tzname" in tree:
        return _named_zone(value, tree)  # type: ignore[no-any-return]
    if "tz" not in tree:
        return _in_fixed_zone(_folded(value, tree), tree)  # type: ignore[no-any-return]
    library = tree.get("tzlib")
    zone = _zone(tree["tz"], library)
    return _in_pytz_zone(value, zone) if library == "pytz" else _in_zone(value, zone)


def _in_zone(value: _dt.datetime, zone: Any) -> _dt.datetime:
    """``value`` (read with its stored offset) in its named ``zone``: its wall time in the zone
    with the fold that gives the stored offset — so a wall time a DST change skips (02:30 on
    the day clocks go forward, which naive arithmetic makes) reads back as it was written, not
    as the 03:30 of its instant; where the zone's rules give that offset with neither fold
    (they changed since), the zone's wall time of the stored instant."""
    offset = value.utcoffset()
    for fold in (0, 1):
        wall = value.replace(tzinfo=zone, fold=fold)
        if wall.utcoffset() == offset:
            return wall
    return value.astimezone(zone)


def _dec_time(tree: dict[str, Any]) -> _dt.time:
    value = _dt.time.fromisoformat(tree["v"])
    if "tzname" in tree:
        return _named_zone(value, tree)  # type: ignore[no-any-return]
    if "tz" not in tree:
        return _in_fixed_zone(_folded(value, tree), tree)  # type: ignore[no-any-return]
    return value.replace(tzinfo=_zone(tree["tz"], tree.get("tzlib")))


def _folded(value: Any, tree: dict[str, Any]) -> Any:
    """A naive ``datetime`` or ``time`` with the ``fold`` its tag stores (``1``: the later of
    the two wall times a DST change repeats, as ``datetime.fromtimestamp`` gives it)."""
    if "fold" not in tree:
        return value
    if tree["fold"] != 1:
        raise TypeError(f"a fold is 1, not {tree['fold']!r}")
    if value.tzinfo is not None:
        raise TypeError("a fold is stored for a time without a zone only")
    return value.replace(fold=1)


def _dec_range(tree: dict[str, Any]) -> range:
    parts = tree["v"]
    if not (type(parts) is list and len(parts) == 3 and all(type(p) is int for p in parts)):
        raise TypeError("a range is [start, stop, step], three integers")
    return range(*parts)


def _dec_array(tree: dict[str, Any]) -> Any:
    import array  # (only for a golden that holds one)

    return array.array(tree["typecode"], tree["v"])


def _dec_defaultdict(tree: dict[str, Any]) -> Any:
    factory = import_type(tree["cls"], "a class") if "cls" in tree else None
    return collections.defaultdict(factory, {k: v for k, v in tree["v"]})


# the tags of built-in values: decoding them imports nothing and runs no stored code
_BUILTIN_DECODERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    "tuple": lambda t: tuple(t["v"]),
    "set": lambda t: set(t["v"]),
    "frozenset": lambda t: frozenset(t["v"]),
    "bytes": _b64,
    "bytearray": lambda t: bytearray(_b64(t)),
    "datetime": _dec_datetime,
    "date": lambda t: _dt.date.fromisoformat(t["v"]),
    "time": _dec_time,
    "timedelta": lambda t: _dt.timedelta(*t["v"]),
    "decimal": lambda t: Decimal(t["v"]),
    "uuid": lambda t: uuid.UUID(t["v"]),
    "path": _dec_path,
    "complex": lambda t: complex(float(t["v"][0]), float(t["v"][1])),
    "float": lambda t: _dec_float(t["v"]),
    "dict": lambda t: {k: v for k, v in t["v"]},
    "repr": _dec_repr,
    "deque": lambda t: collections.deque(t["v"], t.get("maxlen")),
    "ordereddict": lambda t: collections.OrderedDict((k, v) for k, v in t["v"]),
    "counter": lambda t: collections.Counter({k: v for k, v in t["v"]}),
    "chainmap": lambda t: collections.ChainMap(*t["v"]),
    "namespace": lambda t: SimpleNamespace(**t["v"]),
    "range": _dec_range,
    "array": _dec_array,
    "fraction": lambda t: _dec_fraction(t["v"]),
    "ip": _dec_ip,
    "zone": _dec_zone,
    "pattern": _dec_pattern,
    "logger": _dec_logger,
    "random": _dec_random,
}
#: tags whose values decode without importing a module or running stored code (inspection
#: decodes these and replaces the others by placeholders; a time in a zone of pytz or dateutil
#: imports its library, so inspection reads it at its offset where that is not imported)
SELF_CONTAINED_TAGS = frozenset(_BUILTIN_DECODERS)

_DECODERS: dict[str, Callable[[dict[str, Any]], Any]] = {
    **_BUILTIN_DECODERS,
    "enum": _dec_enum,
    "class": _dec_class,
    "dataclass": _dec_dataclass,
    "subclass": _dec_subclass,
    "defaultdict": _dec_defaultdict,
    "pickle": _dec_pickle,
    "ndarray": lambda t: array_from(t["dtype"], t["shape"], t["v"]),
    "numpy": lambda t: scalar_from(t["dtype"], t["v"]),
    "custom": lambda t: REGISTRY.decode(t["type"], t["v"]),
    "otel_tracer": _dec_otel_tracer,
    "otel_meter": _dec_otel_meter,
}  # (and the client libraries' tags: _library().DECODERS)


class StoredRepr:
    """Stands in for a value that was stored as its ``repr`` (it could not be encoded)."""

    __slots__ = ("text", "type_name")

    def __init__(self, type_name: str, text: str) -> None:
        self.type_name = type_name
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def __getattr__(self, name: str) -> Any:
        # (only for a name it lacks: the agent reading a field of the value it stands in for,
        # an exception's response; a library probing for a special method is told briefly)
        if name.startswith("_"):
            raise AttributeError(name)
        raise AttributeError(
            f"{name!r}: this {self.type_name} is a placeholder: the recording could store it "
            f"only as its repr ({self.text}), so a replay has none of its attributes. Teach "
            "the codec the type (pytest_clearstone.codec.register, or the "
            "pytest_clearstone_encode/decode hooks) and re-record"
        )

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoredRepr) and (other.type_name, other.text) == (
            self.type_name,
            self.text,
        )

    def __hash__(self) -> int:
        return hash((self.type_name, self.text))


def _make_hook(allow_pickle: bool) -> Callable[[dict[str, Any]], Any]:
    def hook(d: dict[str, Any]) -> Any:
        if TAG not in d:
            return d
        kind = d[TAG]
        if kind == "pickle" and not allow_pickle:
            raise DecodeError(
                f"refusing to unpickle a stored {d.get('type', 'value')!r} (pickles not allowed)"
            )
        decoder = None
        if type(kind) is str:  # (the client libraries' tags: their codec imported when met)
            decoder = _DECODERS.get(kind) or _library().DECODERS.get(kind)
        if decoder is None:
            raise DecodeError(f"unknown value tag {kind!r}")
        return _decoded_by(decoder, kind, d)

    return hook


#: the fields a tagged value is made of (its value, the class it names, a custom tag's type
#: name), which a decoder reads without first checking that they are there
_TAG_FIELDS = frozenset({"v", "cls", "type"})


def _decoded_by(decoder: Callable[[dict[str, Any]], Any], kind: str, d: dict[str, Any]) -> Any:
    """``decoder(d)``, the decoder of tag ``kind``; its failure a :class:`DecodeError`."""
    try:
        return decoder(d)
    except StoredClassError as exc:  # (its class named, for the message's library release)
        if not exc.class_path and type(d.get("cls")) is str:
            exc.class_path = d["cls"]
        raise
    except (DecodeError, RecursionError):  # (a deep value: decoded again with room)
        raise
    except Exception as exc:
        # (a hand-edited file: a field every tag of its kind has, left out, is named)
        field = exc.args[0] if isinstance(exc, KeyError) and exc.args else None
        missing = isinstance(field, str) and field in _TAG_FIELDS and field not in d
        why = f"it has no {field!r} field" if missing else f"{type(exc).__name__}: {exc}"
        raise DecodeError(f"bad {kind!r} value: {why}") from None


_HOOK = _make_hook(True)
_SAFE_HOOK = _make_hook(False)


def decode(tree: Any, *, allow_pickle: bool = False) -> Any:
    """Decode a tree made by :func:`encode`. Returns a new value; ``tree`` is not changed.

    A ``pickle`` tag raises :class:`DecodeError` unless ``allow_pickle``. Decode a tree once:
    decoded data may hold dicts shaped like tags (a ``dict`` tag's value), which are data. An
    SDK client or resource reference decodes to the same object each time (see
    :mod:`.clients`)."""
    if type(tree) is dict and tree.get(TAG) in REFERENCE_TAGS:
        return _decode_reference(tree, allow_pickle)
    hook = _HOOK if allow_pickle else _SAFE_HOOK
    trace = sys.gettrace()
    try:
        return _decode_walk(tree, hook)
    except RecursionError:
        tracing_again(trace)  # a tree nested deeper than the recursion limit lets the walk go
    return walked(lambda: _decode_walk(tree, hook), tree, "a stored value")


def _decode_reference(tree: dict[str, Any], allow_pickle: bool) -> Any:
    """An SDK client or resource reference, decoded once per process for its stored text and
    pickle policy (:func:`.clients.remembered`): a golden names its client in every SDK call's
    arguments, and a reference always decodes to the same object."""
    hook = _HOOK if allow_pickle else _SAFE_HOOK
    try:
        text: bytes | str = (
            orjson.dumps(tree, option=orjson.OPT_SORT_KEYS)
            if orjson is not None
            else json.dumps(tree, sort_keys=True)
        )
    except (TypeError, ValueError):  # not JSON data (a tree built in memory): not remembered
        return _decode_walk(tree, hook)
    key = ("reference", text, allow_pickle)
    return _library().clients.remembered(key, lambda: _decode_walk(tree, hook))


def _decode_walk(x: Any, hook: Callable[[dict[str, Any]], Any]) -> Any:
    # a module function, not a closure: a recursive closure is a reference cycle per call;
    # scalars are not walked into (most values of a tree are); a dict is copied whole, then
    # its containers replaced (a quarter fewer instructions than a comprehension)
    t = type(x)
    if t is dict:
        d = x.copy()
        if TAG in x:
            kind = x[TAG]
            model = (
                _library().MODELS.get(kind) if type(kind) is str and kind not in _DECODERS else None
            )
            if model is not None:  # a model: only the parts that hold values are walked
                parts, decoder = model
                for k in parts:
                    v = x.get(k)
                    if type(v) is dict:
                        try:
                            d[k] = _decode_walk(v, hook)
                        except DecodeError as exc:
                            exc.where = (k, *exc.where)
                            raise
                return _decoded_by(decoder, kind, d)  # (no pickle: what the hook would do)
        for k, v in x.items():
            t = type(v)
            if t is dict or t is list:
                try:
                    d[k] = _decode_walk(v, hook)
                except DecodeError as exc:
                    exc.where = (k, *exc.where)
                    raise
        return hook(d) if TAG in d else d
    if t is list:
        try:
            return [_decode_walk(v, hook) if type(v) is dict or type(v) is list else v for v in x]
        except DecodeError as exc:
            exc.where = (_failing_item(x, hook), *exc.where)
            raise
    return x


def _failing_item(items: list[Any], hook: Callable[[dict[str, Any]], Any]) -> Any:
    """The position of the first of ``items`` that does not decode (``"?"`` if none fails:
    decoded again, it did), for a :class:`DecodeError`'s ``where``. Only on that error's path:
    the items are decoded again (a list comprehension, the fast way to walk a list, does not
    tell which item raised)."""
    for i, v in enumerate(items):
        if type(v) is dict or type(v) is list:
            try:
                _decode_walk(v, hook)
            except DecodeError:
                return i
    return "?"


def copy_tree(tree: Any) -> Any:
    """A copy of the JSON tree ``tree``: its dicts and lists new, the rest shared; a tag key in
    it is copied as data (what decoding a tree without tags gives, without looking for one)."""
    trace = sys.gettrace()
    try:
        return _copy_walk(tree)
    except RecursionError:
        tracing_again(trace)  # a tree nested deeper than the recursion limit lets the walk go
    return walked(lambda: _copy_walk(tree), tree, "a stored value")


def _copy_walk(x: Any) -> Any:
    # (as _decode_walk, without the tags)
    t = type(x)
    if t is dict:
        d = x.copy()
        for k, v in x.items():
            t = type(v)
            if t is dict or t is list:
                d[k] = _copy_walk(v)
        return d
    if t is list:
        return [_copy_walk(v) if type(v) is dict or type(v) is list else v for v in x]
    return x


def loads(text: str | bytes, *, decode_tags: bool = True, allow_pickle: bool = False) -> Any:
    """Parse JSON text; with ``decode_tags`` the tagged values are decoded while parsing.

    Raises ``ValueError`` (``json.JSONDecodeError``) for text that is not JSON and
    :class:`DecodeError` for a tag that cannot be decoded.
    """
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")
    if not decode_tags or (_TAG_MARKER not in text and "\\u" not in text):
        return _plain_loads(text)
    return _json_loads(text, object_hook=_HOOK if allow_pickle else _SAFE_HOOK)


def tag_index(tree: Any) -> dict[str, Any]:
    """Where the tagged values of an encoded document are, for :func:`loads_document`.

    ``{"count": n, "paths": [...]}``: ``count`` is the number of tags in the whole tree (nested
    ones included), ``paths`` the path (keys and list positions) of each outermost tagged value.
    """
    paths: list[list[Any]] = []
    path: list[Any] = []

    def walk(x: Any) -> int:
        if type(x) is dict:
            if TAG in x:
                paths.append(list(path))
                return _count_tags(x)
            items: Any = x.items()
        else:
            items = enumerate(x)
        found = 0
        for key, value in items:
            kind = type(value)
            if kind is dict or kind is list:
                path.append(key)
                found += walk(value)
                path.pop()
        return found

    return {"count": walk(tree) if type(tree) in (dict, list) else 0, "paths": paths}


def _index_paths(doc: Any, count: int | None) -> list[list[Any]] | None:
    """The index's paths when they can be trusted to decode ``doc``: each leads, through plain
    containers, to a tagged value; none repeats nor lies inside another (either would decode
    already decoded data); with a ``count`` (the tags in the text), the index says as many.
    ``None`` otherwise."""
    index = doc.get("tag_index") if type(doc) is dict else None
    if type(index) is not dict:
        return None
    if count is not None and (not count or index.get("count") != count):
        return None
    paths = index.get("paths")
    if type(paths) is not list:
        return None
    seen: set[tuple[Any, ...]] = set()
    for path in paths:
        if type(path) is not list or not path:
            return None
        node = doc
        for part in path:  # plain containers only: a tagged dict on the way ends it
            t = type(node)
            if t is dict:
                if type(part) is not str or TAG in node or part not in node:
                    return None
            elif t is not list or type(part) is not int or not 0 <= part < len(node):
                return None
            node = node[part]
        if type(node) is not dict or TAG not in node:
            return None
        # (a path inside another passes through that one's tagged dict: refused above)
        key = tuple(path)
        if key in seen:
            return None
        seen.add(key)
    return paths


def _at(doc: Any, path: Sequence[Any]) -> tuple[Any, Any]:
    parent = doc
    for key in path[:-1]:
        parent = parent[key]
    return parent, path[-1]


def _plain_loads(text: str | bytes, long_digits: bool | None = None) -> Any:
    # orjson reads integers beyond 64 bits as floats: such text goes to the stdlib
    if long_digits is None:
        long_digits = has_long_digits(text)
    if orjson is not None and not long_digits:
        doc = _orjson_loads(text)
        if doc is not _REFUSED:
            return doc
    return _json_loads(text)


#: what :func:`_orjson_loads` gives for text that orjson refuses but the standard library reads
_REFUSED: Any = object()


def _orjson_loads(text: str | bytes) -> Any:
    """``orjson.loads(text)``, or :data:`_REFUSED` when orjson refuses the text because it
    spells a lone surrogate (``"\\ud83d"``, as :func:`dumps` writes one) or an integer beyond a
    double's range (``10**309``), which the standard library reads; other bad text raises as
    orjson raises it."""
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        # (orjson reads 1024 levels at most; the standard library, given room, reads more)
        deep = str(exc).startswith(_ORJSON_TOO_DEEP)
        if not (deep or _has_surrogate_escape(text) or has_long_digits(text)):
            raise
    return _REFUSED


#: how orjson's error for text nested deeper than it reads begins
_ORJSON_TOO_DEEP = "depth limit exceeded"


def _json_loads(text: str | bytes, **options: Any) -> Any:
    """``json.loads(text, **options)``; text nested deeper than the recursion limit lets it
    read is read again in :func:`~.nesting.room` (deeper still raises ``RecursionError``, as
    ``json`` does)."""
    try:
        return json.loads(text, **options)
    except RecursionError:
        pass
    with room():
        return _deep_json_loads(text, **options)


def _deep_json_loads(text: str | bytes, **options: Any) -> Any:
    """``json.loads(text)`` for text nested deeper than the recursion limit let it read, to run
    in :func:`~.nesting.room`: from Python 3.12 the C parser has a recursion limit of its own,
    which the room does not raise; the pure-Python parser is then used."""
    try:
        return json.loads(text, **options)
    except RecursionError:
        if sys.version_info < (3, 12):
            raise
    from json.scanner import py_make_scanner  # type: ignore[attr-defined]

    decoder = json.JSONDecoder(**options)
    decoder.scan_once = py_make_scanner(decoder)
    if isinstance(text, (bytes, bytearray)):
        text = bytes(text).decode("utf-8")
    return decoder.decode(text)


def parse_document(raw: str | bytes, scan: DocumentScan | None = None) -> Any:
    """Parse a whole document's JSON without decoding any tag (so nothing runs); ``scan`` is
    then completed by the document's tag index (:meth:`DocumentScan.index`).

    orjson (when installed) parses first; its reading of integers beyond 64 bits as floats is
    undone by parsing again with the standard library, unless the file as written says it has
    none (``"int64": true`` in its ``tag_index``) or its text shows none. Raises
    ``ValueError`` for text that is not UTF-8 JSON."""
    if scan is None:
        scan = scan_document(raw)
    doc = _REFUSED if orjson is None else _orjson_loads(raw)
    if doc is _REFUSED or (not (scan.as_written(doc) and _says_int64(doc)) and scan.long_digits):
        doc = _strict_json_loads(raw)
    scan.index(doc)
    return doc


def duplicate_key(raw: str | bytes) -> str | None:
    """A key that one object of the JSON text holds twice (the parsers keep the last one,
    silently), or ``None``. A second, slower parse: for text that was edited."""

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        keys = [key for key, _ in items]
        if len(set(keys)) != len(keys):
            raise _Duplicate(next(k for i, k in enumerate(keys) if k in keys[:i]))
        return dict(items)

    try:
        json.loads(raw.decode("utf-8") if isinstance(raw, bytes) else raw, object_pairs_hook=pairs)
    except _Duplicate as found:
        return str(found.args[0])
    return None


class _Duplicate(Exception):
    pass


def _strict_json_loads(raw: str | bytes) -> Any:
    # json.loads(bytes) would also take UTF-16 and UTF-32, and encoded surrogates
    text = raw.decode("utf-8") if isinstance(raw, bytes) else raw
    return _json_loads(text)


def _says_int64(doc: dict[str, Any]) -> bool:
    index = doc.get("tag_index")
    return type(index) is dict and index.get("int64") is True


def decode_document(
    doc: Any,
    scan: DocumentScan,
    *,
    allow_pickle: bool = False,
    keep: Sequence[Sequence[Any]] = (),
    originals: dict[tuple[Any, ...], Any] | None = None,
) -> Any:
    """Decode the tags of a document parsed by :func:`parse_document`, once.

    A document carrying a ``"tag_index"`` (:func:`tag_index`) proven to reach every tag
    (:meth:`DocumentScan.index`) has only the indexed values decoded, in place; then each
    indexed value is put in ``originals`` (when given) by its path, as it was before it was
    decoded: its encoded tree, trusted as the document was (pickles in it were found, and
    allowed, before anything was decoded). Any other document is decoded whole. The values at
    the paths in ``keep`` are left as they are (encoded); they must lead through plain
    containers.
    """
    kept = [tuple(path) for path in keep]
    paths = scan.index(doc)
    if paths is None and not scan.escaped and scan.tag_count == 0:
        return doc
    if paths is not None:
        for path in paths:
            if not any(tuple(path[: len(k)]) == k for k in kept):
                parent, key = _at(doc, path)
                encoded = parent[key]
                try:
                    parent[key] = decode(encoded, allow_pickle=allow_pickle)
                except DecodeError as exc:
                    exc.where = (*path, *exc.where)
                    raise
                if originals is not None:
                    originals[tuple(path)] = encoded
        return doc
    detached = []
    for kept_path in kept:
        parent, key = _at(doc, kept_path)
        detached.append((kept_path, parent[key]))
        parent[key] = None
    doc = decode(doc, allow_pickle=allow_pickle)
    for kept_path, value in detached:
        parent, key = _at(doc, kept_path)
        parent[key] = value
    return doc


def loads_document(text: str | bytes, *, allow_pickle: bool = False) -> Any:
    """Parse a whole file's JSON text (a checkpoint) with its tagged values decoded.

    :func:`parse_document`, then :func:`decode_document`. Errors as :func:`loads`.
    """
    scan = scan_document(text)
    return decode_document(parse_document(text, scan), scan, allow_pickle=allow_pickle)


def pickle_locations(tree: Any, limit: int = 1) -> list[tuple[list[Any], str]]:
    """Where a parsed, undecoded tree holds ``pickle`` tags (see :func:`tag_locations`)."""
    return tag_locations(tree, "pickle", limit)


def tag_locations(tree: Any, tag: str, limit: int = 1) -> list[tuple[list[Any], str]]:
    """Where a parsed, undecoded tree holds ``tag`` tags (``pickle``, ``repr``): up to ``limit``
    of ``(path, stored type name)``, in document order. Iterative (a deep tree cannot exhaust
    the stack)."""
    found: list[tuple[list[Any], str]] = []
    stack: list[tuple[Any, list[Any]]] = [(tree, [])]
    while stack and len(found) < limit:
        node, path = stack.pop()
        if type(node) is dict:
            if node.get(TAG) == tag:
                found.append((path, str(node.get("type", "?"))))
                continue
            stack.extend((v, [*path, k]) for k, v in reversed(node.items()))
        elif type(node) is list:
            stack.extend((v, [*path, i]) for i, v in reversed(list(enumerate(node))))
    return found


def format_path(path: Sequence[Any], root: str = "root") -> str:
    """``root['receipt'][0]``: a path (keys and list positions) inside a tree, readable."""
    return root + "".join(f"[{part!r}]" for part in path)


#: the parts of a tagged value that hold its fields by name (a model's ``v``, a pydantic
#: model's ``extra`` and ``private``, the other attributes of an object in ``attrs``)
_FIELD_PARTS = frozenset({"v", "extra", "private", "attrs"})


def readable_path(tree: Any, path: Sequence[Any], root: str = "root", *, skip: int = 0) -> str:
    """A path inside a parsed, undecoded ``tree`` (:func:`tag_locations`) as the value reads:
    a model's fields as attributes and a tuple's items by position, not through the stored
    form's ``v`` (``answer.output[0].content[0].parsed``, where :func:`format_path` gives
    ``answer['v']['output'][0]['v']...``); a dict's keys as keys. The first ``skip`` parts of
    ``path`` lead to the value named ``root``."""
    node: Any = tree
    for part in path[:skip]:
        node = node.get(part) if type(node) is dict else None
    shown, i = [root], skip
    while i < len(path):
        part = path[i]
        tagged = type(node) is dict and type(node.get(TAG)) is str
        inner = node.get(part) if tagged else None
        if tagged and i + 1 < len(path) and part in _FIELD_PARTS:
            name = path[i + 1]
            if type(inner) is dict and type(name) is str and name.isidentifier():
                shown.append(f".{name}")
                node, i = inner.get(name), i + 2
                continue
            if part == "v" and type(inner) is list and node[TAG] != "dict" and type(name) is int:
                shown.append(f"[{name}]")  # a tuple's, a deque's items
                node, i = inner[name] if 0 <= name < len(inner) else None, i + 2
                continue
        shown.append(f"[{part!r}]")
        if type(node) is dict:
            node = node.get(part)
        elif type(node) is list and type(part) is int and 0 <= part < len(node):
            node = node[part]
        else:
            node = None
        i += 1
    return "".join(shown)


def replace_pickles(tree: Any, note: str) -> Any:
    """``tree`` with every ``pickle`` tag replaced by a ``repr`` placeholder naming the stored
    type (``<Type: note>``); the same object when it holds none. Nothing is unpickled."""
    trace = sys.gettrace()
    try:
        return _replace_pickles(tree, note)
    except RecursionError:
        tracing_again(trace)  # a tree nested deeper than the recursion limit lets the walk go
    return walked(lambda: _replace_pickles(tree, note), tree, "a stored value")


def _replace_pickles(tree: Any, note: str) -> Any:
    t = type(tree)
    if t is dict:
        if tree.get(TAG) == "pickle":
            kind = str(tree.get("type", "?"))
            return {TAG: "repr", "type": kind, "v": f"<{kind}: {note}>"}
        items = {k: _replace_pickles(v, note) for k, v in tree.items()}
        return tree if all(items[k] is v for k, v in tree.items()) else items
    if t is list:
        out = [_replace_pickles(v, note) for v in tree]
        return tree if all(a is b for a, b in zip(out, tree, strict=True)) else out
    return tree


def dumps(tree: Any, *, pretty: bool = False) -> str:
    """Serialise a JSON-compatible tree. ``pretty``: 2-space indent and sorted keys (stable)."""
    if orjson is not None:
        option = (orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) if pretty else 0
        try:
            raw = orjson.dumps(tree, option=option)
        except TypeError:  # integers wider than 64 bits, lone surrogates: the stdlib's way
            pass
        else:
            if floats_as_python(raw):  # (else the stdlib's way too: the same text without orjson)
                return str(raw.decode("utf-8"))
    options: dict[str, Any] = (
        {"indent": 2, "sort_keys": True} if pretty else {"separators": (",", ":")}
    )
    try:
        return utf8_text(json.dumps(tree, ensure_ascii=False, **options))
    except RecursionError:
        pass  # (a tree nested deeper than the recursion limit let the encoder go)
    return walked(
        lambda: utf8_text(json.dumps(tree, ensure_ascii=False, **options)), tree, "a stored value"
    )


_SURROGATE = re.compile("[\ud800-\udfff]")


def utf8_text(text: str) -> str:
    """``text`` as UTF-8 can hold it: each lone surrogate (a string decoded from broken UTF-16,
    or a streamed JSON chunk cut inside an escaped emoji) written as its JSON escape,
    ``\\ud83d``, which a JSON parser reads back as the same character; other text as it is."""
    if text.isascii():
        return text
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
    return text


def _has_surrogate_escape(text: str | bytes) -> bool:
    """Whether JSON text may spell a lone surrogate, which orjson refuses to read."""
    if isinstance(text, str):
        return _SURROGATE_ESCAPE.search(text) is not None
    return _SURROGATE_ESCAPE_BYTES.search(text) is not None


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_SURROGATE_ESCAPE_BYTES = re.compile(rb"\\u[dD][89a-fA-F]")


def text_has_pickle(text: str) -> bool:
    """Whether JSON text made by :func:`dumps` holds a dill-pickled value."""
    return _PICKLE_MARKER in text or '"__cs__":"pickle"' in text
