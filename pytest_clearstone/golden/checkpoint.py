"""The checkpoint model and its ``.ckpt`` file format.

A ``.ckpt`` file is one UTF-8 JSON document, indented by 2, its top-level fields sorted and every
value in the key order it had when recorded, so that a re-recorded golden of a deterministic
agent gives a reviewable ``git diff``. Values (agent state, span inputs and outputs, metadata) go
through :mod:`pytest_clearstone.codec`: plain JSON where possible, tagged values
otherwise, dill pickles only where nothing else works and only when allowed (pickles are
opt-in: writing and reading refuse them unless given ``allow_pickle=True``). The fields are
documented in ``docs/reference/checkpoint-format.md``.

A span's ``error`` record stays encoded, in memory as in the file, whether the span was recorded
live, read from the trace store or loaded from a checkpoint: its ``args`` and ``attributes`` are
decoded once, when a replay raises the exception
(:func:`~pytest_clearstone.golden.recorded_errors.rebuild_exception`).
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .. import codec
from ..codec.naming import loaded_class
from ..codec.nesting import retried
from ..codec.tags import (
    SIZE_FIELD,
    decode_document,
    duplicate_key,
    has_long_digits,
    parse_document,
    pickle_locations,
    pickle_refusal,
    scan_document,
)
from ..errors import (
    CheckpointClassChangedError,
    CheckpointCorruptError,
    CheckpointVersionError,
    ClearstoneError,
    DecodeError,
    SerializationError,
    StoredClassError,
    decode_fix,
)
from ..tracing.span import LONG_INTEGER_TEXT, Recorded, Span
from ..tracing.trace import Trace
from . import signing
from .document import FORMAT_NAME, FORMAT_VERSION, file_text, timestamp_in_range, with_size
from .files import not_json, read_file, read_golden, too_deep_to_read
from .outcome import check_outcome

if TYPE_CHECKING:  # (the state delta is imported when one is made: a passing replay makes none)
    from ..diff import StateDelta


def refuse_not_a_checkpoint(value: object, where: str) -> None:
    """A :class:`TypeError` naming what ``where`` (``ReplayEngine()``...) was given instead of a
    :class:`Checkpoint`; for a file's path, that it is loaded first."""
    if isinstance(value, Checkpoint):
        return
    fix = (
        ": load the file first, with CheckpointManager().load_checkpoint(path)"
        if isinstance(value, (str, os.PathLike))
        else ""
    )
    raise TypeError(f"{where} takes a Checkpoint, not a {type(value).__name__}{fix}")


def _library_version() -> str:
    from .. import __version__

    return str(__version__)


#: ``metadata["recorded_by"]`` of the goldens the pytest plugin writes
RECORDED_BY_PLUGIN = "pytest-clearstone"


def written_by_plugin(path: Path) -> bool | None:
    """Whether the file at ``path`` is a golden of the pytest plugin (``None``: not a readable
    checkpoint, or no file). ``import-clearstone`` never replaces such a file."""
    writer = checkpoint_writer(path)
    return None if writer is None else writer == RECORDED_BY_PLUGIN


def checkpoint_writer(path: Path) -> str | None:
    """What wrote the checkpoint file at ``path``: :data:`RECORDED_BY_PLUGIN` (a golden of the
    pytest plugin), ``"clearstone-sdk"`` (converted by ``import-clearstone``: replayed as a
    golden, and recorded by no run), ``""`` (application code); ``None`` for a file that is not
    a readable checkpoint, or no file. Read as plain JSON: nothing is decoded. ``prune``
    deletes application checkpoints only."""
    try:
        doc = json.loads(read_file(path))
    except (OSError, ValueError, RecursionError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT_NAME:
        return None
    metadata = doc.get("metadata")
    if not isinstance(metadata, dict):
        return ""
    if metadata.get("recorded_by") == RECORDED_BY_PLUGIN:
        return RECORDED_BY_PLUGIN
    return "clearstone-sdk" if metadata.get("imported_from") == "clearstone-sdk" else ""


def refuse_duplicate_keys(raw: bytes, path: Path) -> None:
    """Refuse an edited file in which one object holds a key twice (a merge that kept both
    sides' line): the parsers keep the last, silently, which may not be the one reviewed."""
    twice = duplicate_key(raw)
    if twice is not None:
        raise CheckpointCorruptError(
            path,
            f"the key {twice!r} appears twice in one object (a hand edit or a merge kept both); "
            f"keep the one meant",
        )


class Checkpoint:
    """A snapshot of an agent at one span of a traced run.

    ``agent_state`` is the state as captured (decoded once, then cached; do not mutate it, use
    :meth:`restore_state` for a copy to hand to an agent). ``trace`` is the whole trace as it
    stood, recorded outputs included; ``span`` the span the checkpoint was taken at and
    ``upstream_spans`` its ancestors, root first. ``metadata`` is a free dict saved with the file.
    """

    def __init__(
        self,
        *,
        checkpoint_id: str,
        state: Recorded,
        agent_class_name: str | None,
        agent_module: str | None,
        trace: Trace,
        span_id: str,
        timestamp: _dt.datetime,
        metadata: dict[str, Any] | None = None,
        outcome: dict[str, Any] | None = None,
        format_version: int = FORMAT_VERSION,
        contains_pickle: bool = False,
        path: Path | None = None,
    ) -> None:
        self.checkpoint_id = checkpoint_id
        self._state = state
        self.agent_class_name = agent_class_name
        self.agent_module = agent_module
        self.trace = trace
        self.span_id = span_id
        self.timestamp = timestamp
        self.metadata: dict[str, Any] = metadata if metadata is not None else {}
        self.outcome = outcome
        self.format_version = format_version
        self.contains_pickle = contains_pickle
        self.path = path

    # -- views ---------------------------------------------------------------------------------
    @property
    def agent_state(self) -> Any:
        """The captured agent state."""
        return self._state.value

    def restore_state(self) -> Any:
        """A fresh copy of the captured state, safe to give to an agent that mutates it."""
        return self._state.fresh_value()

    @property
    def encoded_state(self) -> Any:
        return self._state.encoded

    @property
    def recorded_by_plugin(self) -> bool:
        """Whether the pytest plugin recorded this checkpoint as a test's golden (it then holds
        every call's arguments, and the outcome of each ``replay.run()``)."""
        return self.metadata.get("recorded_by") == RECORDED_BY_PLUGIN

    @property
    def agent_class_path(self) -> str | None:
        """``module.QualName`` of the agent class."""
        if self.agent_class_name is None:
            return None
        return f"{self.agent_module}.{self.agent_class_name}"

    @property
    def span(self) -> Span:
        """The span this checkpoint was taken at."""
        return self.trace.get_span(self.span_id)

    @property
    def upstream_spans(self) -> list[Span]:
        """The ancestors of :attr:`span`, root first."""
        return self.trace.ancestors(self.span_id)

    @property
    def timestamp_ns(self) -> int:
        return int(self.timestamp.timestamp() * 1_000_000) * 1000

    def diff(self, other: Checkpoint) -> StateDelta:
        """The :class:`StateDelta` from this checkpoint's state to ``other``'s."""
        from ..diff import StateDelta

        refuse_not_a_checkpoint(other, "Checkpoint.diff()")

        return StateDelta(self.agent_state, other.agent_state)

    def __repr__(self) -> str:
        return (
            f"<Checkpoint {self.checkpoint_id} agent={self.agent_class_path!r} "
            f"span={self.span_id} trace={self.trace.trace_id}>"
        )

    # -- file format ---------------------------------------------------------------------------
    def to_document(self) -> dict[str, Any]:
        """The JSON-compatible document written to a ``.ckpt`` file."""
        outcome = None
        if self.outcome is not None:
            outcome = {
                k: v.encoded if isinstance(v, Recorded) else codec.encode(v)
                for k, v in self.outcome.items()
            }
        doc = {
            "format": FORMAT_NAME,
            "format_version": FORMAT_VERSION,
            "checkpoint_id": self.checkpoint_id,
            "timestamp": self.timestamp.isoformat(),
            "span_id": self.span_id,
            "agent": {
                "module": self.agent_module,
                "class": self.agent_class_name,
                "state": self._state.encoded,
            },
            "metadata": codec.encode(self.metadata),
            "outcome": outcome,
            "trace": self.trace.to_dict(),
            "written_by": {
                "library": f"pytest-clearstone {_library_version()}",
                "python": ".".join(map(str, sys.version_info[:3])),
            },
        }
        return doc

    def dumps(
        self, *, allow_pickle: bool = False, signing_key: signing.SigningKey = signing.FROM_ENV
    ) -> str:
        """The checkpoint as ``.ckpt`` file text.

        A value only a pickle could store raises
        :class:`~pytest_clearstone.errors.SerializationError` naming where it is, its type and
        the fixes, unless ``allow_pickle``. With a signing key (default:
        ``CLEARSTONE_SIGNING_KEY`` when set) the text carries a ``"signature"`` field, see
        :mod:`pytest_clearstone.golden.signing`. Values may nest up to
        :data:`~pytest_clearstone.codec.nesting.MAX_DEPTH` levels (the document is walked again
        in :func:`~pytest_clearstone.codec.nesting.room` when it needs more recursion).
        """
        return retried(lambda: self._dumps(allow_pickle, signing_key))

    def _dumps(self, allow_pickle: bool, signing_key: signing.SigningKey) -> str:
        key = signing.resolve_key(signing_key)
        doc = self.to_document()
        doc["tag_index"] = codec.tag_index(doc)
        doc["tag_index"]["int64"] = True  # no integer beyond 64 bits (checked below)
        doc["contains_pickle"] = False
        doc[SIZE_FIELD] = 0  # set last, by with_size
        try:
            text = file_text(doc)
        except ValueError:  # an integer longer than Python converts to text?
            from .long_integers import long_integer_refused

            refused = long_integer_refused(doc, _advice_at)
            if refused is None:
                raise
            raise refused from None
        if has_long_digits(text):
            doc["tag_index"]["int64"] = False
            text = file_text(doc)
        if _LONG_INTEGER_MARK in text:  # a call read from the trace store held one?
            from .long_integers import long_integer_refused

            refused = long_integer_refused(doc, _advice_at)
            if refused is not None:
                raise refused
        # one serialisation: the top-level line (indent 2, sorted fields) is unique in the text
        self.contains_pickle = codec.text_has_pickle(text)
        if self.contains_pickle and not allow_pickle:
            raise _pickle_refused(doc)
        if self.contains_pickle:
            text = text.replace('\n  "contains_pickle": false,', '\n  "contains_pickle": true,', 1)
        if key is not None:  # sign what a reader will parse, then add the field
            doc["contains_pickle"] = self.contains_pickle
            doc[signing.SIGNATURE_FIELD] = signing.compute_signature(
                codec.loads(text, decode_tags=False), key
            )
            text = file_text(doc)
        return with_size(text + "\n")

    def write(
        self,
        path: Path,
        *,
        allow_pickle: bool = False,
        signing_key: signing.SigningKey = signing.FROM_ENV,
        check: Callable[[str], None] | None = None,
        unchanged: Callable[[Path, str], bool] | None = None,
    ) -> Path:
        """Write the checkpoint to ``path`` atomically (signed when a key is configured);
        nothing is written when :meth:`dumps` refuses a pickle, or when ``check``, called with
        the text to write, raises (:func:`~pytest_clearstone.golden.secrets.leak_check`), and
        the file is left as it is when ``unchanged(path, text)`` says it holds the same."""
        text = self.dumps(allow_pickle=allow_pickle, signing_key=signing_key)
        if check is not None:
            check(text)
        if unchanged is not None and unchanged(path, text):
            self.path = path
            return path
        from .atomic import atomic_write_text  # (a replaying process writes no checkpoint)

        # a link is written through to a checkpoint only (a golden two suites share): never
        # to another file it reaches (a pull request's link to ~/.bashrc), which stays
        atomic_write_text(path, text, through=lambda real: checkpoint_writer(real) is not None)
        self.path = path
        return path

    @classmethod
    def read(
        cls,
        path: Path,
        *,
        allow_pickle: bool = False,
        signing_key: signing.SigningKey = signing.FROM_ENV,
    ) -> Checkpoint:
        """Read a ``.ckpt`` file, with a :class:`CheckpointError` for anything wrong with it.

        Pickles are opt-in: a file holding a pickled value raises
        :class:`~pytest_clearstone.errors.UntrustedCheckpointError` (naming the file, where the
        pickle is, its stored type and the fixes) unless ``allow_pickle=True``; with a signing
        key (default: ``CLEARSTONE_SIGNING_KEY`` when set) it must also carry a valid
        signature. The decision is made before anything is decoded.
        """
        raw = read_golden(path)
        return cls.from_bytes(raw, path, allow_pickle=allow_pickle, signing_key=signing_key)

    @classmethod
    def from_bytes(
        cls,
        raw: bytes,
        path: Path,
        *,
        allow_pickle: bool = False,
        signing_key: signing.SigningKey = signing.FROM_ENV,
    ) -> Checkpoint:
        """Parse ``.ckpt`` file content (``path`` names it in errors); see :meth:`read`."""
        key = signing.resolve_key(signing_key)
        if not raw or raw.isspace():  # (no strip(): it would copy the whole file)
            raise CheckpointCorruptError(path, "the file is empty")
        try:  # (values nest up to MAX_DEPTH levels: read again with room if need be)
            return retried(lambda: cls._from_raw(raw, path, allow_pickle, key))
        except RecursionError:
            raise CheckpointCorruptError(path, too_deep_to_read()) from None

    @classmethod
    def _from_raw(
        cls, raw: bytes, path: Path, allow_pickle: bool, key: signing.SigningKey
    ) -> Checkpoint:
        doc: Any = None
        try:
            scan = scan_document(raw)  # before parsing: where pickles and escapes may be
            doc = parse_document(raw, scan)
            if not scan.as_written(doc):
                refuse_duplicate_keys(raw, path)
            # the spans' exception records stay encoded, outside the tag index (replay decodes
            # one when it raises it): a pickle in one is decided on here too, whatever the
            # index says (the whole document is then searched, for the first pickle's place)
            keep = error_paths(doc, path)
            in_errors = bool(keep) and any(
                pickle_locations(doc["trace"]["spans"][p[2]]["error"]) for p in keep
            )
            # the trust decision, once, on the raw document; then one decoding of it
            signing.check_trust(
                doc,
                path,
                allow_pickle=allow_pickle,
                signing_key=key,
                scan=None if in_errors else scan,
            )
            originals: dict[tuple[Any, ...], Any] = {}
            doc = decode_document(
                doc, scan, allow_pickle=allow_pickle, keep=keep, originals=originals
            )
            indexed = scan.index(doc)  # (the paths decoded, when the index was used)
        except CheckpointCorruptError:
            raise
        except (json.JSONDecodeError, ValueError) as exc:
            _refuse_if_not_utf8(raw, path)  # the parser found it: said the same way here
            if isinstance(exc, StoredClassError):  # (sound: the code changed since)
                problem = signing.decode_problem(doc, exc)
                fix = decode_fix(exc, recorded_test(doc))
                raise CheckpointClassChangedError(path, problem, fix) from None
            if isinstance(exc, DecodeError):
                problem = f"a stored value cannot be decoded: {signing.decode_problem(doc, exc)}"
                raise CheckpointCorruptError(path, problem, decode_fix(exc)) from None
            raise not_json(path, raw, str(exc)) from None
        return cls.from_document(
            doc,
            path,
            tagged=_tagged_spans(doc, indexed, originals),
            plain_state=indexed is not None
            and not any(p[:2] == ["agent", "state"] for p in indexed),
        )

    @classmethod
    def from_document(
        cls,
        doc: Any,
        path: Path,
        *,
        tagged: Mapping[int, Mapping[str, Any]] | None = None,
        plain_state: bool = False,
    ) -> Checkpoint:
        """Build a checkpoint from a parsed, tag-decoded document whose spans' ``error``
        records are left encoded (:meth:`from_bytes` decodes a file that way). ``tagged``:
        the only spans whose input or output held a tag, when known (see
        :meth:`Trace.from_dict`); ``plain_state``: the index says the agent's state held no tag
        (see :meth:`Recorded.read <pytest_clearstone.tracing.span.Recorded.read>`)."""
        version = readable_version(doc, path)
        check_outcome(doc.get("outcome"), path)
        field = "agent"  # the field being read, named when it has the wrong type
        try:
            agent = doc["agent"]
            state, agent_class, agent_module = agent["state"], agent["class"], agent["module"]
            field = "trace"
            trace = Trace.from_dict(doc["trace"], decoded=True, tagged=tagged)
            field = "timestamp"
            timestamp = _dt.datetime.fromisoformat(doc["timestamp"])
            field = "metadata"
            metadata = dict(doc.get("metadata") or {})
            field = "outcome"
            outcome = doc.get("outcome")
            checkpoint = cls(
                checkpoint_id=str(doc["checkpoint_id"]),
                state=Recorded.read(state, plain=plain_state),
                agent_class_name=agent_class,
                agent_module=agent_module,
                trace=trace,
                span_id=str(doc["span_id"]),
                timestamp=timestamp,
                metadata=metadata,
                outcome=dict(outcome) if outcome is not None else None,
                format_version=version,
                contains_pickle=bool(doc.get("contains_pickle", False)),
                path=path,
            )
        except KeyError as exc:
            raise CheckpointCorruptError(path, f"the field {exc.args[0]!r} is missing") from None
        except ClearstoneError:
            raise
        except (TypeError, ValueError, AttributeError, ArithmeticError) as exc:
            raise CheckpointCorruptError(
                path, f"the field {field!r} has the wrong type ({exc})"
            ) from None
        if checkpoint.timestamp.tzinfo is None:
            raise CheckpointCorruptError(path, "the timestamp has no timezone")
        if not timestamp_in_range(checkpoint.timestamp):
            raise CheckpointCorruptError(
                path,
                f"the timestamp {doc['timestamp']!r} is out of range (its instant in UTC is "
                f"before the year 1 or after 9999, which no clock can be set to)",
            )
        if checkpoint.span_id not in trace:
            raise CheckpointCorruptError(
                path, f"its span {checkpoint.span_id!r} is not in its trace"
            )
        for span in trace.spans:  # replay navigates and reads these: no surprises later
            if not (
                isinstance(span.parent_span_id, (str, type(None)))
                and isinstance(span.span_type, (str, type(None)))
                and isinstance(span.attributes, dict)
                and isinstance(span.error, (dict, type(None)))
            ):
                raise CheckpointCorruptError(
                    path, f"span {span.span_id!r} has a field of the wrong type"
                )
        return checkpoint


def readable_version(doc: Any, path: Path) -> int:
    """The format version of a parsed ``.ckpt`` document ``doc`` (read from ``path``), when
    this release can read it: else :class:`CheckpointCorruptError` (not a pytest-clearstone
    checkpoint, or a version that is not a whole number) or :class:`CheckpointVersionError`
    (an older or a newer format), with the message every reader gives."""
    if not isinstance(doc, dict):
        raise CheckpointCorruptError(path, f"expected a JSON object, found {type(doc).__name__}")
    if doc.get("format") != FORMAT_NAME:
        if "agent_state_pickle_b64" in doc:
            import shlex  # (only for a message)

            raise CheckpointCorruptError(  # (the fix is the conversion: nothing to re-record)
                path,
                "it was written by clearstone-sdk; convert it with: python -m "
                f"pytest_clearstone import-clearstone {shlex.quote(str(path))} DEST_DIR",
                "",
            )
        found = f"its 'format' is {doc['format']!r}" if "format" in doc else "no 'format'"
        raise CheckpointCorruptError(
            path, f"not a pytest-clearstone checkpoint ({found}, not {FORMAT_NAME!r})"
        )
    version = doc.get("format_version")
    if type(version) is not int:
        raise CheckpointCorruptError(path, f"bad format_version {version!r}")
    if version != FORMAT_VERSION:
        raise CheckpointVersionError(path, version, FORMAT_VERSION)
    return version


def error_paths(doc: Any, path: Path) -> list[tuple[Any, ...]]:
    """The paths of the spans' ``error`` records in a parsed, undecoded document: they stay
    encoded. The containers leading to them must be plain (a tagged ``trace`` or span list would
    decode the records with it)."""
    trace = doc.get("trace") if type(doc) is dict else None
    if trace is None:
        return []  # from_document names the missing field
    spans = trace.get("spans") if type(trace) is dict and codec.TAG not in trace else None
    if type(spans) is not list or not all(type(s) is dict and codec.TAG not in s for s in spans):
        raise CheckpointCorruptError(
            path,
            "the field 'trace' has the wrong type "
            "(the trace must be an object with a list of spans)",
        )
    return [("trace", "spans", i, "error") for i, s in enumerate(spans) if s.get("error")]


#: the end of the trace store's placeholder of an integer longer than Python writes as text
_LONG_INTEGER_MARK = LONG_INTEGER_TEXT.split("{}")[1]

#: what to do about a value of a checkpoint's metadata that only a pickle could store
_METADATA_ADVICE = "Give the metadata JSON-friendly values (text, numbers, lists, dicts)."


def _advice_at(where: Sequence[Any]) -> str:
    """The advice for a value the document cannot hold at the path ``where``, by the part that
    holds it: the agent's state, the metadata given with it, or a recorded call (whose fixes
    the reason gives: none)."""
    part = where[0] if where else None
    if part == "agent":
        return SerializationError.STATE_ADVICE
    return _METADATA_ADVICE if part == "metadata" else ""


#: the results of the OpenAI Agents SDK's runs (``Runner.run_sync`` given to ``replay.run()``),
#: as a golden names their classes
_AGENTS_SDK_RUN_RESULTS = frozenset({"agents.result:RunResult", "agents.result:RunResultStreaming"})


def _run_result_refused(doc: dict[str, Any]) -> SerializationError | None:
    """The refusal of an outcome whose result is the OpenAI Agents SDK's ``RunResult`` (which
    holds the agent, its model and tools: no pickle stores them either), naming the fix; else
    ``None``."""
    outcome = doc.get("outcome")
    result = outcome.get("result") if type(outcome) is dict else None
    cls = result.get(codec.TAG) and result.get("cls") if type(result) is dict else None
    if cls not in _AGENTS_SDK_RUN_RESULTS:
        return None
    from ..releases import installed_by

    if not installed_by("openai-agents", "agents"):  # (a project's own package ``agents``)
        return None
    return SerializationError(
        signing.describe_location(doc, ["outcome", "result"]),
        str(cls).replace(":", "."),
        "the OpenAI Agents SDK's result of a run holds the agent, its model and its tools, "
        "which a golden cannot store",
        advice=(
            "Run the agent in a function of your own that returns what the test checks "
            "(result.final_output, the types of result.new_items), and give that function to "
            "replay.run()."
        ),
    )


def _pickle_refused(doc: dict[str, Any]) -> SerializationError:
    run_result = _run_result_refused(doc)
    if run_result is not None:
        return run_result
    where, type_name = pickle_locations(doc)[0]
    return SerializationError(
        signing.describe_location(doc, where),
        type_name,
        pickle_refusal(loaded_class(type_name), type_name),
        advice="" if "<locals>" in type_name else _advice_at(where),  # (LOCAL_CLASS's fix)
    )


def _refuse_if_not_utf8(raw: bytes, path: Path) -> None:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CheckpointCorruptError(path, f"not UTF-8 text ({exc.reason})") from None


def recorded_test(doc: Any) -> str:
    """The node id of the test that recorded the checkpoint document ``doc`` (parsed), or
    ``""`` (an application's checkpoint, or a document that does not say)."""
    metadata = doc.get("metadata") if isinstance(doc, dict) else None
    test = metadata.get("test") if isinstance(metadata, dict) else None
    return test if isinstance(test, str) else ""


def _tagged_spans(
    doc: Any, paths: list[list[Any]] | None, originals: dict[tuple[Any, ...], Any]
) -> dict[int, dict[str, Any]] | None:
    """The spans whose input or output holds one of the tagged values at ``paths`` (a document
    ``doc`` decoded by its index), by position, each with the encoded trees of its
    ``"input"``/``"output"`` values: the value's own tree (from ``originals``, as
    :func:`decode_document` kept them) when it was decoded whole (a tag at its root), else its
    decoded plain containers copied along the paths, with the kept trees in place of the
    tagged values (the plain parts are shared with the value, as a plain value's are: nothing is
    encoded again). ``None`` when not known (decoded whole)."""
    if paths is None:
        return None
    spans: dict[int, dict[str, Any]] = {}
    inside: dict[tuple[int, str], list[list[Any]]] = {}
    for path in paths:
        if path[:2] == ["trace", "spans"] and len(path) > 3 and path[3] in ("input", "output"):
            trees = spans.setdefault(path[2], {})
            if len(path) == 5 and path[4] == "v":
                trees[path[3]] = originals[tuple(path)]
            elif len(path) > 5 and path[4] == "v":
                inside.setdefault((path[2], path[3]), []).append(path)
    for (position, name), within in inside.items():
        value = doc["trace"]["spans"][position][name]["v"]
        spans[position][name] = _tree_around(value, within, originals)
    return spans


def _tree_around(value: Any, paths: list[list[Any]], originals: dict[tuple[Any, ...], Any]) -> Any:
    """The encoded tree of a decoded ``value`` whose tagged parts are at ``paths`` (document
    paths: the value's own start at their sixth part, through plain containers), kept encoded in
    ``originals``: the containers along the paths are copied, the rest is shared."""
    copies: dict[int, Any] = {}

    def copied(node: Any) -> Any:
        copy = copies.get(id(node))
        if copy is None:
            copy = dict(node) if type(node) is dict else list(node)
            copies[id(node)] = copies[id(copy)] = copy
        return copy

    root = copied(value)
    for path in paths:
        node = root
        for key in path[5:-1]:
            node[key] = node = copied(node[key])
        node[path[-1]] = originals[tuple(path)]
    return root
