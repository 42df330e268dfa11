"""The exception tree of pytest-clearstone.

Every error a user can meet is one of these; each subclasses the builtin it is closest to, so
``except FileNotFoundError`` or ``except LookupError`` keep working::

    ClearstoneError
     +-- SerializationError (TypeError)        a value cannot be encoded; names its path
     +-- TraceStoreError                       the SQLite store cannot be used
     |    +-- TraceNotFoundError (LookupError) no trace with that id in the database
     +-- CheckpointError
     |    +-- CheckpointNotFoundError (FileNotFoundError)
     |    +-- CheckpointCorruptError (ValueError)   truncated, not JSON, not a checkpoint
     |    |    +-- CheckpointClassChangedError       sound: a stored class changed since
     |    +-- CheckpointVersionError (ValueError)   written by a newer/older format
     |    +-- CheckpointPathError (ValueError)      a filename escaping the directory
     |    +-- AgentImportError (ImportError)        the agent class cannot be imported
     |    +-- SpanNotFoundError (LookupError)       span id not in the trace
     |    +-- UntrustedCheckpointError              pickled values refused by policy
     +-- UnredactedSecretError                 a value to record looks like a secret no rule covers
     +-- SecretLeakError                       a golden to write holds a secret seen in the run
     +-- DecodeError (ValueError)              an encoded value that cannot be decoded
     |    +-- PickleImportError                 a pickle whose code cannot load it here
     +-- MockTargetError (AttributeError)      a mock path that does not resolve or cannot be set
     +-- RecordedError (RuntimeError)          a recorded exception whose type is not importable
     +-- ChildProcessCallError (RuntimeError)  a mocked call made in a forked child process
     +-- ReplayError (AssertionError)          the replay did not match the recording
          +-- ReplayDivergenceError             a call's arguments differ from the recording
          +-- ReplayExhaustedError              more calls than recorded responses
          +-- UnusedResponsesError              recorded responses never consumed
          +-- GoldenMismatchError               result or final state differ from the golden
          +-- NetworkBlockedError               a connection the network guard blocked

Warnings (``UserWarning``): ``UnusedResponsesWarning`` (a non-strict replay left responses
unused), ``NetworkBlockedWarning`` (a background thread's connection was blocked) and
``UnencodableValueWarning`` (a value was stored as its ``repr``) and
``UnmatchedIgnorePathWarning`` (an ``ignore=``/``ignore_state=`` path matched nothing) and
``UncalledTargetWarning`` (a mock target not called is the agent's function under another path)
and ``LeftoverCallWarning`` (a task an earlier test left running called a mock target) and
``UnmockedCallWarning`` (the agent made a mock target's request through another method, live)
and ``MutatedArgumentWarning`` (a recorded call changed an argument in place, which replay cannot)
and ``StateFieldsWarning`` (a checkpoint's state lacks fields its class declares: renamed?).

Messages are built in ``__init__`` from the facts, so every raise site produces the same wording.
"""

from __future__ import annotations

import ast
import json
import os
import re
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import FrameType
from typing import Any, NamedTuple

from .commands import RECORD_COMMAND, record_command
from .printable import printable

#: the command that writes a golden again, as messages give it when the test is not known (the
#: library without pytest): never the whole suite's re-recording; and the fix of a checkpoint
#: that application code saved
RERECORD = (
    "re-record with: pytest --clearstone-record NODE_ID (the test's node id), or every test "
    "that diverged with: pytest --clearstone-mode=record-diverged; a checkpoint your code "
    "saved: save it again"
)


def rerecord(node_id: str = "") -> str:
    """The command that writes the golden of the test ``node_id`` again (:func:`record_command`;
    :data:`RERECORD` when it is not known)."""
    if not node_id:
        return RERECORD
    return f"re-record with: {record_command(node_id)}"


def ignore_fix(paths: object, place: str = "") -> str:
    """How a message tells to leave ``paths`` (an ``ignore=`` list, or a dict of them by
    target) out of matching: with the marker's ``ignore=``, keeping in it the paths of
    ``place`` when the test's ignore paths come from there (the ini option or the
    ``clearstone_config`` fixture), which a marker's ``ignore=`` replaces whole."""
    fix = f"the marker's ignore={paths!r}"
    if place:
        fix += f", keeping in it the paths of {place} (a marker's ignore= replaces them whole)"
    return fix


#: how a failure that gives a cause of left-out calls other than a change of the agent (a cache
#: that answered them, a double in the mock's place) goes on to that change, which a re-record
#: fixes: "{_OTHERWISE} them out, the agent now skips ..."
_OTHERWISE = "If that is not what left"


def rerecord_hint(node_id: str = "") -> str:
    """The last sentence of a replay failure: :func:`rerecord`, if the change is intended."""
    return f"If the change is intended, {rerecord(node_id)}"


#: how a failure that gives a cause of its difference other than a change of the agent (items
#: in another order, a callback handler a replay does not call), whose fix is not a re-record,
#: goes on to that change: "{cause} {OTHERWISE_CHANGED} If the change is intended, re-record ..."
OTHERWISE_CHANGED = "If that is not what makes it differ, the agent changed."


#: what a replay failure says when only the order of items differs (:func:`~.diff.unstable_cause`)
ORDER_ONLY = (
    "Only the order of the items differs. If they come from a set (its order of strings changes "
    "from process to process unless PYTHONHASHSEED is fixed), from concurrent work in the order "
    "it finished, or from a directory listing (os.listdir, glob, Path.iterdir: in the file "
    "system's order, another on another machine), sort them before they reach it: a re-record "
    "would differ again on the next run."
)


#: what a replay failure says when a call's arguments are those recorded for another call of
#: its target (:class:`ReplayDivergenceError`'s ``closest``)
CALLS_REORDERED = (
    "If the agent did not change, the order of its calls comes from something that differs "
    "from run to run: a set it goes through (of strings, in another order in each process "
    "unless PYTHONHASHSEED is fixed: go through sorted(...) of it), a directory listing "
    "(os.listdir, glob: the file system's order, another on another machine; sort it too), or "
    "concurrent work taken in the order it finished; a re-record would differ again on the next "
    "run."
)


#: what a replay failure says when only the order of items differs and a JSON formatter sorted
#: the keys of the golden (:mod:`~pytest_clearstone.golden.sorted_keys`)
KEYS_SORTED = (
    "Only the order of the items differs, and the golden has the keys of every object in "
    "alphabetical order, as a JSON formatter that sorts them writes it (pre-commit's "
    "pretty-format-json --autofix without --no-sort-keys, jq -S, python -m json.tool "
    "--sort-keys): the agent's state and the recorded answers are given back in that order, not "
    "in the order they were recorded in. Leave the goldens out of the formatter (in "
    ".pre-commit-config.yaml, exclude: goldens/ on its hook), then restore the file from before "
    "it ran (git checkout COMMIT -- PATH) or re-record it."
)


def order_made_by_sdk(method: str) -> str:
    """What a replay failure adds to :data:`ORDER_ONLY` when the call was made by the SDK's own
    ``method`` (its import path) that the agent called: the agent cannot sort what it built."""
    package, _, name = method.partition(".")
    short = ".".join(name.split(".")[-2:])
    return (
        f"Here the list was made by {package}'s own {short}, which the agent called: mock that "
        f"method instead ({method}), whose arguments are the agent's own, or leave the argument "
        "out of matching with ignore=."
    )


#: what a replay failure says when only random-looking ids differ (:func:`~.diff.unstable_cause`)
IDS_ONLY = (
    "Only random-looking ids differ. If the agent did not change, they come from outside the "
    "seeded streams — os.urandom, secrets, random.SystemRandom, another library's id helper, or "
    "uuid4() and random drawn in a fixture or at import — and a re-record would differ again on "
    "the next run: keep them out of what the agent sends and stores, or put what makes them "
    "behind a mock target."
)


#: what a replay failure says when only random-looking ids differ and each this run has is one
#: the golden holds elsewhere (:func:`~.diff.unstable_cause`)
IDS_DRAWN_IN_ANOTHER_ORDER = (
    "Only random-looking ids differ, and each id this run has there is one the recording drew "
    "too, for another place: the seeded ids were drawn in another order, or more or fewer of "
    "them before. Concurrent asyncio tasks draw them from one stream in the order they run: "
    "tasks that wait for real work of varying length (a real sleep, unmocked I/O, a "
    "subprocess) before they draw one (uuid4(), a sub-agent's run id) draw them in the order "
    "that work ends, another on some runs; mock that work, or draw the ids before the tasks "
    "start. A re-record would differ again on some run."
)


def ids_from_load_state(loader: str) -> str:
    """What a replay failure adds to :data:`IDS_ONLY` when the replay gave the agent its
    recorded state through its ``loader`` (``Chat.load_state``) before the first run: a
    recording does not call it, so what it draws from the seeded streams moves them. Said of
    any agent with a ``load_state()``, which may draw nothing: a possible cause, with how to
    tell (nothing on a passing replay records what it drew)."""
    return (
        f"This replay called {loader}() before the first run, which a recording does not; "
        "that may be the cause: a uuid4() or random number drawn there (by it, or by what it "
        "builds: a client, a sub-agent) moves the seeded streams, and every id drawn after it "
        f"differs from the recording's. To tell, look for uuid4(), random or a new client in "
        f"{loader}(); if it draws one, keep load_state() to giving the state back."
    )


#: what a replay failure says when only secrets the recording redacted differ, each unset in
#: the replay (:func:`~.diff.unstable_cause`)
SECRETS_UNSET = (
    "Only secrets recorded as '[REDACTED]' differ, each unset now (None or empty): the variable "
    "the agent reads it from was set when recorded and is not in this run (as in CI). Set it, or "
    "name it in the ini option clearstone_placeholder_env and read it in the test's call, not at "
    "import: a replay gives it a placeholder then, and a redacted value matches any other."
)


#: what a replay failure says when only the frames of tracebacks differ
#: (:func:`~.diff.unstable_cause`)
TRACEBACKS_ONLY = (
    "Only the frames of a traceback differ. A replayed call raises its recorded exception from "
    "pytest-clearstone's code, not from the code of the function it mocks, so a traceback of "
    "it (traceback.format_exc(), logging's exc_info) lists other frames on every replay, and a "
    "re-record would differ again: send the exception's text rather than its traceback (str(exc), "
    "or traceback.format_exception_only(exc)), or leave the argument out of matching with "
    "ignore=."
)

#: what a replay failure says when only the line breaks of texts differ
#: (:func:`~.diff.unstable_cause`)
LINE_BREAKS_ONLY = (
    "Only line breaks differ (\\r\\n for \\n). A text file read with its line endings as they "
    "are on disk (read_bytes().decode(), open(..., newline='')) holds \\r\\n in a checkout made "
    "with git's core.autocrlf (Windows) and \\n elsewhere, so a re-record would differ again on "
    "the other machine: read it in text mode (read_text(), open()), which gives \\n for both, or "
    "check it out with \\n everywhere (in .gitattributes: *.txt text eol=lf)."
)

#: what a replay failure says when only the memory addresses of default reprs differ
#: (:func:`~.diff.unstable_cause`)
ADDRESSES_ONLY = (
    "Only memory addresses differ: a text holds the default repr of an object "
    "(<app.Tool object at 0x7f3a...>, what an f-string or str() gives for an object whose class "
    "defines no __repr__ or __str__, or a mock's id=), which names where the object is in this "
    "process's memory, so a re-record would differ again on the next run: write the fields "
    "the text needs (or give the class a __repr__), or leave the argument out of matching with "
    "ignore=."
)


#: what a replay failure says when only the names tempfile gave differ
#: (:func:`~.diff.unstable_cause`)
TEMPORARY_NAMES_ONLY = (
    "Only the names of temporary files or directories differ (the random part of tempfile's "
    "names). The plugin seeds the names tempfile gives, but a name that is taken is skipped "
    "for the next, as tempfile does: one was there when this run made it, left behind by the "
    "recording or an earlier run (make it with `with tempfile.TemporaryDirectory() as d:`, "
    "which removes it), or made at the same time by another run of this test on this machine "
    "(tox -p, a second terminal, jobs sharing a CI runner). Remove what was left, or run it "
    "again once the other run ended; to make the text the same whatever is there, write the "
    "path relative to its directory, or leave the argument out of matching with ignore=."
)


#: what a replay failure says when only numbers an unseeded generator drew differ
#: (:func:`~.diff.unstable_cause`)
NUMBERS_ONLY = (
    "Only random numbers differ (fractions between 0 and 1 with all their digits). If the agent "
    "did not change, they come from a generator the plugin does not seed — numpy.random (its "
    "functions, or np.random.default_rng() without a seed), random.SystemRandom, or a "
    "random.Random made in a fixture or at import — and a re-record would differ again on the "
    "next run: seed it in the test's call (np.random.seed(0), np.random.default_rng(0)), or "
    "draw from random, which the plugin seeds."
)


#: what a replay failure says when only clock readings differ (:func:`~.diff.unstable_cause`)
TIMES_ONLY = (
    "Only clock readings differ. If the agent did not change, they were read outside the frozen "
    "clock — in a fixture or at import, with time.monotonic() or perf_counter(), which stay "
    "real, or under a clock the test set ticking (time-machine's default: give it tick=False) "
    "— and a re-record would differ again on the next run: read the clock inside the test's "
    "call, or keep such times out of what the agent sends and stores."
)


#: what a replay failure says when only the zone times are written in differs
#: (:func:`~.diff.unstable_cause`)
ZONES_ONLY = (
    "Only the zone of times differs: the same instants, written at another UTC offset. Local "
    "time is UTC inside the test's call on every machine, so the agent took the machine's zone "
    "from outside it — a zone made at import or in a fixture (dateutil's tz.tzlocal(), "
    "tzlocal.get_localzone(), time.timezone or time.tzname read then) — and a re-record would "
    "differ again on a machine in another zone: read the local zone inside the call, or give "
    'the agent its zone (ZoneInfo("Europe/Paris")).'
)


def real_clock_in_threads(targets: Sequence[str]) -> str:
    """What a replay failure adds to :data:`TIMES_ONLY` where, when recorded, live calls of
    the sync ``targets`` ran beside calls of other threads
    (:func:`~pytest_clearstone.golden.live_clock.overlapping_sync_calls`)."""
    return (
        f"When recorded, live calls to {', '.join(targets)} ran at the same time in threads: a "
        "sync target's live call puts the whole process on the real clock while it runs, so "
        "code in another thread that read the clock then (a job or a LangGraph node stamping "
        "its result after its own call) got a real time, which a replay does not give. Keep "
        "such times out of what the agent sends and stores, or make the target async (its "
        "async method, called from async nodes or tasks: only its own steps run live), and "
        "re-record."
    )


def unmatched_paths(option: str, paths: Sequence[str], compared: str, golden: str) -> str:
    """What a replay failure adds when ``paths`` of the marker's ``option`` (``ignore``,
    ``ignore_state``) matched nothing in what was ``compared`` (a typo: the very value meant to
    be left out then fails, and the warning that names such a path comes after a passing call
    only); ``""`` when there are none."""
    if not paths:
        return ""
    import shlex  # (only when a replay fails)

    one = len(paths) == 1
    return (
        f"The {option} path{'' if one else 's'} {', '.join(map(repr, paths))} matched "
        f"nothing in {compared}, so {'it' if one else 'they'} left nothing out: check "
        f"{'it' if one else 'them'} against the golden "
        f"(pytest-clearstone show --calls {shlex.quote(golden)})."
    )


#: how a replay failure names each root of :mod:`~pytest_clearstone.path_roots`
_ROOT_TITLES = {
    "tmp_path": "the test's tmp_path",
    "basetemp": "pytest's base temporary directory",
    "rootdir": "its rootdir",
    "home": "the home directory",
}


def directory_only(recorded: str, current: str, root: str) -> str:
    """What a replay failure says when only a directory written into texts differs: the
    recording's ``recorded`` where this run has its root ``root`` (``rootdir``), ``current``
    (:func:`~.diff.unstable_cause`)."""
    return (
        f"Only a directory differs: where the recording has {recorded!r}, this run has "
        f"{_ROOT_TITLES.get(root, root)} {current!r}. A path written into a text (an f-string, "
        "str(path)) is stored as it is, naming the directory of the run that recorded it, so a "
        "re-record would differ again in the next run or on another machine: pass the path "
        "itself (a pathlib.Path under it is stored relative to it), write it into the text "
        "relative to that directory (path.relative_to(...)), or leave the argument out of "
        "matching with ignore=."
    )


def recorded_tmp_path_text(recorded: str, current: str, place: str) -> str:
    """What a replay failure says when the agent's state holds a text naming the recording's
    ``tmp_path`` ``recorded`` at ``place``, where this run's is ``current``
    (:func:`~.golden.tmp_path_texts.recorded_tmp_path_hint`)."""
    return (
        f"The state the replay gave the agent holds a text naming the recording's tmp_path "
        f"{recorded!r} (at {place}), where this run's is {current!r}: a path kept as a text "
        "(str(tmp_path / 'mem.db')) is stored and given back as it is, so the agent worked in "
        "the recording's directory. Keep it as a pathlib.Path, stored relative to tmp_path and "
        "given back under this run's (SQLiteSession('chat', tmp_path / 'mem.db')), or leave it "
        "out of the state (a get_state() without it) and make it from this run's tmp_path."
    )


def machine_name_only(recorded: str, current: str, kind: str) -> str:
    """What a replay failure says when only the user's or the machine's name in texts differs:
    the recording's ``recorded`` where this run has ``current``, a ``kind`` (``"user name"``)
    (:func:`~.diff.unstable_cause`)."""
    return (
        f"Only the {kind} differs: where the recording has {recorded!r}, this run's is "
        f"{current!r}. The agent reads it from the machine it runs on (getpass.getuser(), "
        "$USER, socket.gethostname(), platform.node()), so a re-record would differ again on "
        "another machine: give the agent a fixed one in the test (monkeypatch.setenv('USER', "
        "...), an argument), or leave the argument out of matching with ignore=."
    )


def environment_value_only(recorded: str | None, variable: str) -> str:
    """What a replay failure says when only texts this run takes from the environment variable
    ``variable`` differ, where the recording has ``recorded`` (:func:`~.diff.unstable_cause`).
    The value is not repeated (the delta shows it; a variable may hold a secret)."""
    return (
        f"Only a value of an environment variable differs: where the recording has "
        f"{recorded!r}, this run has ${variable}, as set here. The agent or its SDK reads it "
        f"from the environment (openai.OpenAI() reads $OPENAI_BASE_URL), so a re-record would "
        f"differ again wherever the variable is set otherwise: run the tests with it as it was "
        f"when recorded (monkeypatch.setenv or monkeypatch.delenv({variable!r}) in a fixture, "
        f"or in the CI job's environment), give the value in the code, or leave the argument "
        f"out of matching with ignore=."
    )


#: the ``mock=`` of a test whose agent calls nothing outside (it records and owns its golden)
NOTHING_OUTSIDE = "mock={} when the agent calls nothing outside"


def reader_fix(recorded_by: str = "") -> str:
    """What writes the golden of a test that only reads it (its marker has no ``mock=``, so
    no mode records it): the test that recorded it (``recorded_by``, its node id, when the
    golden names one), else any test that mocks its calls, or ``mock=`` on its own marker."""
    if recorded_by:
        fix = f"re-record the test that records it ({record_command(recorded_by)})"
    else:
        fix = "record it with the test that mocks its calls"
    return (
        f"this test only reads its golden (its marker has no mock=), so recording it writes "
        f"nothing: {fix}, or add mock= to this marker ({NOTHING_OUTSIDE})"
    )


def _rebuilt(cls: type[BaseException], args: tuple[Any, ...]) -> BaseException:
    """An exception of ``cls`` holding ``args``, made without calling its ``__init__`` (whose
    parameters are not its ``args``); its attributes come back after (see :class:`_Picklable`)."""
    error = cls.__new__(cls, *args)
    error.args = args
    return error


class _Picklable(BaseException):
    """Pickled whole, and unpickled without calling ``__init__``: the errors and warnings here
    take other parameters than the message they keep as ``args``, and one raised in a
    ``multiprocessing`` or ``concurrent.futures`` worker comes back to the test's process
    pickled (a ``Pool`` whose result cannot be unpickled loses its result thread, and its
    ``map()`` waits forever)."""

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuilt, (type(self), self.args), self.__dict__ or None)


class ClearstoneError(_Picklable, Exception):
    """Base class of every pytest-clearstone error."""


class SerializationError(ClearstoneError, TypeError):
    """A value cannot be encoded (not JSON, not tagged, not picklable by dill)."""

    #: what to do about a value of the agent's state (the default advice)
    STATE_ADVICE = (
        "Make the value JSON-friendly, exclude it from get_state(), or implement "
        "get_state()/load_state() on the agent."
    )

    def __init__(
        self, path: str, value_type: str, reason: str, *, advice: str = STATE_ADVICE
    ) -> None:
        self.path = path
        self.value_type = value_type
        self.reason = reason
        tail = f" {advice}" if advice else ""
        super().__init__(
            f"cannot serialise {path} ({article(value_type)} {value_type}): {reason}.{tail}"
        )

    #: the file a checkpoint holding the value was to be saved to (``""``: not known)
    file = ""

    def saving(self, file: Path | str) -> SerializationError:
        """This error for a checkpoint that was to be saved to ``file`` (nothing written): its
        message names the file first; its class and attributes stay."""
        import copy  # (only when a save fails)

        error = copy.copy(self)
        error.file = str(file)
        error.args = (f"cannot save {file} (nothing was written): {self}",)
        return error


class NestingTooDeepError(SerializationError):
    """A value nested deeper than pytest-clearstone records and replays: more than ``limit``
    (:data:`~pytest_clearstone.codec.nesting.MAX_DEPTH`) containers and objects inside one
    another. ``depth``: how deep it is."""

    ADVICE = (
        "Keep a flatter form of it where it is recorded (a tree as a list of nodes that name "
        "their parent, or as its text), or leave it out of get_state()."
    )
    #: the advice for a value a mocked call is given or answers: no get_state() holds it
    CALL_ADVICE = (
        "Keep a flatter form of it where the agent makes it (a tree as a list of nodes that "
        "name their parent, or as its text), or mock a function that is given that form."
    )

    def __init__(
        self, path: str, value_type: str, depth: int, limit: int, *, advice: str = ADVICE
    ) -> None:
        self.depth = depth
        self.limit = limit
        super().__init__(
            path,
            value_type,
            f"it is nested {depth} levels deep, more than the {limit} levels pytest-clearstone "
            f"records and replays",
            advice=advice,
        )

    def in_call(self, call: str) -> NestingTooDeepError:
        """This error for a value of ``call`` (``the arguments of call #1 to app.llm``): its
        path named within the call, with the advice for a call's value."""
        where = self.path.removeprefix("root")
        return NestingTooDeepError(
            f"{call}{where}", self.value_type, self.depth, self.limit, advice=self.CALL_ADVICE
        )


class TraceStoreError(ClearstoneError):
    """The trace store cannot be opened, read or written."""


class TraceNotFoundError(TraceStoreError, LookupError):
    """No trace with the given id is in the database (``span_of``: the name and trace id of
    the span whose id it is, when a span's id was given; ``no_file``: there is no database
    file at ``db_path``)."""

    def __init__(
        self,
        trace_id: str,
        db_path: str,
        *,
        in_memory: bool = False,
        span_of: tuple[str, str] | None = None,
        no_file: bool = False,
    ) -> None:
        self.trace_id = trace_id
        self.db_path = db_path
        if no_file:  # (a relative path read from another directory than it was written in)
            where = "" if os.path.isabs(db_path) else f" in {os.getcwd()}"
            super().__init__(
                f"trace {trace_id!r} cannot be read: there is no trace store {db_path!r} (no "
                f"such file{where}). Give the db_path the TracerProvider wrote the trace to"
            )
            return
        if span_of is not None:  # (the name and trace id of the span whose id was given)
            listing = (
                f"{trace_id!r} is the id of the span {span_of[0]!r} of trace {span_of[1]!r}: "
                f"pass span.trace_id (command line: {traces_command(db_path, span_of[1])})"
            )
        elif in_memory:  # no other process (nor provider) can open it
            listing = (
                "An in-memory store is seen by its own provider only: list its traces with "
                "provider.trace_store.list_traces()"
            )
        else:
            listing = f"List the stored traces with: {traces_command(db_path)}"
        super().__init__(f"trace {trace_id!r} is not in the trace store {db_path!r}. {listing}")

    def __str__(self) -> str:  # LookupError would repr() a single argument otherwise
        return str(self.args[0])


def traces_command(db_path: str, trace_id: str = "") -> str:
    """The command line listing the traces of the store ``db_path``; with ``trace_id``, the one
    printing that trace."""
    import shlex  # (only for a message)

    if trace_id:
        return f"python -m pytest_clearstone trace {shlex.quote(db_path)} {shlex.quote(trace_id)}"
    return f"python -m pytest_clearstone traces {shlex.quote(db_path)}"


class CheckpointError(ClearstoneError):
    """A checkpoint cannot be created, saved or loaded."""


class CheckpointNotFoundError(CheckpointError, FileNotFoundError):
    """No checkpoint file at any of the paths tried."""

    def __init__(self, tried: list[Path], hint: str | None = None) -> None:
        self.tried = tried
        paths = ", ".join(str(p) for p in tried)
        msg = f"checkpoint not found; tried: {paths}"
        if hint:
            msg += f". {hint}"
        super().__init__(msg)

    def __str__(self) -> str:
        return str(self.args[0])


#: what to do about a golden that cannot be read
RESTORE_OR_RERECORD = f"Restore it from version control or re-record it with: {RECORD_COMMAND}"

#: what to do about a golden naming a class the code no longer has as it was (StoredClassError)
CODE_CHANGED = (
    "The file is sound: the code changed since it was recorded (a class moved, renamed, made "
    "another kind of class, or given other fields or values). Put the class back as the golden "
    f"names it or, if the change is intended, re-record it with: {RECORD_COMMAND}"
)

#: what to do about a golden naming a class of an installed library that release no longer has as
#: it was recorded (StoredClassError): ``{name}`` and ``{version}`` the installed distribution
LIBRARY_CHANGED = (
    "The file is sound: the class is {name}'s, and {name} {version} is installed here: the "
    "golden was likely recorded with another release of {name} (upgraded or downgraded since: "
    "a lock file, a dependency bot). Replay it with the release it was recorded with or, "
    "keeping {name} {version}, re-record it with: " + RECORD_COMMAND
)

#: what to do about a golden naming a class of a module installed nowhere here, nor the project's
#: (StoredClassError): ``{module}`` its top-level module (a library's package that another
#: release brought or dropped: mcp 2's ``mcp_types`` replayed with mcp 1)
MODULE_MISSING = (
    "The file is sound: no module {module!r} is installed here, nor is one in the project: the "
    "golden was likely recorded where a library (or another release of one) provided it "
    "(upgraded or downgraded since: a lock file, a dependency bot), or the project's package "
    "of that name was renamed or removed since. Install what provides it (the release the "
    "golden was recorded with), put the package back or, if the change is intended, re-record "
    "it with: " + RECORD_COMMAND
)

#: what to do about a golden naming a class of the module of the test it was recorded from,
#: which is no longer there (StoredClassError): ``{module}`` the module, ``{test}`` the node id
#: of the recording (a test module renamed, its golden kept with the command the summary gives)
TEST_MODULE_GONE = (
    "The file is sound: {module!r} is the module of the test it was recorded from, {test}, "
    "renamed or moved since: a class defined in a test module is stored by that module's name, "
    "and the golden holds one. Re-record it with: " + RECORD_COMMAND
)

#: what to do about a golden naming a class of the standard library that this Python does not
#: have as it was recorded (StoredClassError): ``{version}`` this Python's, ``{platform}`` its
#: ``sys.platform``; no code of the project's changed, so there is no class to put back
PYTHON_CHANGED = (
    "The class is the standard library's, and this is Python {version} on {platform}: the "
    "golden was recorded with another Python or on another platform (whose class differs), or "
    "edited by hand. Replay it with the Python it was recorded with, restore it from version "
    "control or, keeping Python {version}, re-record it with: " + RECORD_COMMAND
)

#: what to do about a golden holding a time zone this machine's database lacks (UnknownZoneError)
ZONE_DATABASE_FIX = (
    "The file is sound: this machine's time zone database lacks the zone (zoneinfo reads the "
    "system's, /usr/share/zoneinfo, then the tzdata package's; Windows and slim containers "
    "have no system one, and an older database lacks newer zones). Install or update the "
    "tzdata package (pip install -U tzdata, or the system's tzdata) where the golden is "
    "replayed"
)

#: what to do about what stands in a golden's place and is not a file (a directory), or in the
#: place of a folder of its path (a file): a recording cannot replace it
MOVE_AWAY = f"Move it away, then re-record it with: {RECORD_COMMAND}"
#: what to do about a golden that is a Git LFS pointer (a checkout without LFS)
FETCH_FROM_LFS = "Fetch the file with `git lfs pull` (CI: enable LFS in the checkout)"


def resolve_conflict(path: Path | str) -> str:
    """What to do about a golden holding unresolved merge-conflict markers."""
    import shlex  # (only for a message)

    return (
        f"Resolve the conflict (or take one side: git checkout --theirs -- "
        f"{shlex.quote(str(path))}, or --ours) or re-record it with: {RECORD_COMMAND}"
    )


def check_out_link(path: Path | str) -> str:
    """What to do about a symbolic link that git checked out as a plain file holding its
    target (``core.symlinks`` false): recording over it would have git store the golden's text
    as the link's target."""
    import shlex  # (only for a message)

    return (
        "Let git make symbolic links (on Windows: turn on Developer Mode), then: git config "
        f"core.symlinks true && git checkout -- {shlex.quote(str(path))}. Do not record over it: "
        "git would store the golden's text as the link's target"
    )


class CheckpointCorruptError(CheckpointError, ValueError):
    """The file is truncated, not JSON, or not a pytest-clearstone checkpoint (``fix``: what to
    do about it, by default :data:`RESTORE_OR_RERECORD`; ``""``: the problem says it).

    A ``fix`` ending with the record command (:data:`RECORD_COMMAND`) names the test
    ``node_id`` in it when given (:meth:`for_test`), so that it records that test only."""

    def __init__(
        self, path: Path | str, problem: str, fix: str = RESTORE_OR_RERECORD, *, node_id: str = ""
    ) -> None:
        self.path = Path(path)
        self.problem = problem
        self.fix = fix
        self.node_id = node_id
        if node_id and fix.endswith(RECORD_COMMAND):
            fix = fix[: -len(RECORD_COMMAND)] + record_command(node_id)
        tail = f". {fix}" if fix else ""
        super().__init__(f"{path} {self.what}: {problem}{tail}")

    #: what the message says of the file
    what = "is not a readable checkpoint"

    def for_test(self, node_id: str) -> CheckpointCorruptError:
        """This error for the golden of the test ``node_id``: its re-record command names it."""
        return type(self)(self.path, self.problem, self.fix, node_id=node_id)


class CheckpointClassChangedError(CheckpointCorruptError):
    """A sound golden holding a value of a class the code changed since it was recorded (moved,
    renamed, given other fields or enum values: a :class:`StoredClassError`): the agent's code
    diverged from the recording, so ``--clearstone-mode=record-diverged`` re-records it."""

    what = "was recorded with a class the code has changed since"
    #: set once a replay keeps the error to fail its test with (a recorded stream's class,
    #: found at its call), as :attr:`ReplayError.kept`
    kept: bool = False

    def __init__(self, path: Path | str, problem: str, fix: str = "", *, node_id: str = "") -> None:
        super().__init__(path, problem, fix or CODE_CHANGED, node_id=node_id)


class GoldenCaseTwinError(ClearstoneError):
    """A recording would write a new golden beside a file whose name differs only in case (a
    test or module renamed in case only): a checkout on macOS or Windows cannot hold both."""

    def __init__(self, path: Path | str, twin: Path | str) -> None:
        from .commands import rename_command

        self.path = Path(path)
        self.twin = Path(twin)
        super().__init__(
            f"{path} would be written beside {twin}, whose name differs only in case: a "
            f"checkout on macOS or Windows cannot hold both. If it is this test's golden, "
            f"rename it first: {rename_command(self.twin, self.path)}; else delete it, or give "
            f"the test another name or path"
        )


class GoldenOfAnotherTestError(ClearstoneError):
    """A recording would write over the golden another test recorded at its default path: the
    two tests' names differ only in characters a file name cannot hold (``test_x[a/b]`` and
    ``test_x[a_b]``), which a run that collects only one of them does not see."""

    def __init__(self, path: Path | str, other: str, fix: str) -> None:
        """``other``: the node id the golden names (printable); ``fix``: what to do about the
        two tests' paths."""
        self.path = Path(path)
        self.other = other
        super().__init__(
            f"{path} was recorded by {other}, whose golden path is this test's: {fix}. If "
            f"{other} is this test before a rename, delete the golden and record again"
        )


class CheckpointVersionError(CheckpointError, ValueError):
    """The file was written in a format version this release cannot read."""

    def __init__(
        self, path: Path | str, found: int, supported: int, *, recording: bool = False
    ) -> None:
        """``recording``: the file was about to be recorded again (a newer one is kept)."""
        self.path = Path(path)
        self.found = found
        self.supported = supported
        if recording and found > supported:
            super().__init__(
                f"{path} was written by a newer pytest-clearstone (format {found}; this one "
                f"writes format {supported}), so it is kept as it is: recording it again would "
                f"drop what only the newer format holds; upgrade pytest-clearstone, or delete "
                f"the file to record it again"
            )
            return
        if found > supported:
            fix = "upgrade pytest-clearstone to read it"
        else:
            fix = "re-record it with: pytest --clearstone-record"
        super().__init__(
            f"{path} has checkpoint format version {found}; this pytest-clearstone reads "
            f"version {supported}: {fix}"
        )


class CheckpointPathError(CheckpointError, ValueError):
    """A checkpoint filename that would escape the checkpoint directory, or that names the
    directory itself (``itself``: ``""``, ``"."``)."""

    def __init__(self, filename: str, directory: Path, *, itself: bool = False) -> None:
        self.filename = filename
        self.directory = directory
        what = "names the checkpoint directory itself" if itself else "escapes the checkpoint"
        where = f"{directory}, not a file in it" if itself else f"directory {directory}"
        super().__init__(
            f"checkpoint filename {filename!r} {what} {where}; give a plain name such as "
            f"'before_payment.ckpt' or use another CheckpointManager"
        )


class AgentImportError(CheckpointError, ImportError):
    """The agent class recorded in a checkpoint cannot be imported (``imported``: its module
    was, but holds no such class); ``checkpoint_path`` is the file that names it, when known."""

    def __init__(
        self,
        module: str,
        qualname: str,
        reason: str,
        fix: str = "",
        *,
        imported: bool = False,
        checkpoint_path: Path | None = None,
    ) -> None:
        self.module = module
        self.qualname = qualname
        self.checkpoint_path = checkpoint_path  # (ImportError's own ``path`` is a module's)
        if fix:
            pass  # (the caller's)
        elif module == "__main__":
            fix = (
                "it was defined in the script that was run (__main__), which no other process "
                "can import: move it into a module of its own, import it from the script, and "
                "save the checkpoint again"
            )
        elif "<locals>" in qualname:
            fix = (
                "it was defined inside a function: define it at module level and save the "
                "checkpoint again"
            )
        elif imported:  # (making it importable is no fix)
            fix = (
                "the checkpoint names no agent class of the module (the class was renamed or "
                "moved since it was saved, or the file was edited): save the checkpoint again (a "
                "golden: re-record it)"
            )
        else:
            fix = f"make {module!r} importable (install the project or add it to sys.path)"
        named_by = f" named by {checkpoint_path}" if checkpoint_path is not None else ""
        super().__init__(
            f"cannot import the agent class {qualname!r} from module {module!r}{named_by} "
            f"({reason}); {fix}"
        )


#: why an untrusted checkpoint may not name a class of the standard library or of a package
FOREIGN_AGENT = (
    "a class of the standard library or of an installed package, not an agent of the project's "
    "own: rehydrated with the checkpoint's state, its own methods would run on data the file "
    "chose"
)
FOREIGN_AGENT_MODULE = (
    "a module of the standard library or of an installed package, not the project's own: it "
    "was not imported (importing a module runs its code), and a class of it, rehydrated with "
    "the checkpoint's state, would run its own methods on data the file chose"
)
FOREIGN_AGENT_FIX = (
    "build the agent in the test and replay its method (replay.run(agent.method, ...)), or, if "
    "you trust the file, load it with allow_pickle=True (--clearstone-allow-pickle)"
)


class SpanNotFoundError(CheckpointError, LookupError):
    """A span id that is not part of the trace."""

    def __init__(self, span_id: str, trace_id: str) -> None:
        self.span_id = span_id
        self.trace_id = trace_id
        super().__init__(
            f"span {span_id!r} is not in trace {trace_id!r}; pass the span_id of one of the "
            f"trace's spans (trace.spans), or get_trace() again after the span was opened"
        )

    def __str__(self) -> str:
        return str(self.args[0])


class UntrustedCheckpointError(CheckpointError):
    """A checkpoint holds pickled values and the loading policy refuses them."""

    def __init__(self, path: Path | str, reason: str) -> None:
        self.path = Path(path)
        super().__init__(f"refusing to unpickle values from {path}: {reason}")


class UnredactedSecretError(ClearstoneError):
    """A record run would write values that look like secrets and that no redaction rule covers.

    ``findings`` holds one ``(location, path, what)`` per value, e.g. ``("input of call #1 to
    app.llm.complete", "root['headers']['x-trace']", "a GitHub token, 40 chars")``; the secret
    itself is never part of the message. Identical findings are one line with their count
    (``(×300)``: a token repeated in one value), and at most :attr:`MAX_LISTED` lines are
    listed, the rest counted; ``findings`` holds them all.
    """

    #: the most lines of findings the message lists
    MAX_LISTED = 20

    def __init__(self, findings: Sequence[tuple[str, str, str]]) -> None:
        self.findings = list(findings)
        folded: dict[tuple[str, str, str], int] = {}  # (first seen first)
        for finding in self.findings:
            folded[finding] = folded.get(finding, 0) + 1
        counts = list(folded.values())
        lines = [
            f"refusing to record {len(self.findings):,} value(s) that look like secrets but "
            f"that no redaction rule covers:"
        ]
        lines.extend(
            f"  {loc}: {path} ({what})" + (f" (×{n:,})" if n > 1 else "")
            for (loc, path, what), n in zip(folded, counts[: self.MAX_LISTED], strict=False)
        )
        if len(counts) > self.MAX_LISTED:
            rest = counts[self.MAX_LISTED :]
            lines.append(f"  ... and {sum(rest):,} more value(s) in {len(rest):,} other place(s)")
        lines += [
            "  Redact them with a key or a pattern (ini clearstone_redact_keys, "
            "clearstone_redact_patterns),",
            "  declare them safe with an allow rule (ini clearstone_redact_allow = a path such "
            "as the one above,",
            "  a key name, or re:REGEX), or record anyway with --clearstone-allow-secrets.",
        ]
        super().__init__("\n".join(lines))


class SecretLeakError(ClearstoneError):
    """A golden about to be written holds a secret value seen during the run (nothing was
    written).

    ``path`` is the golden, ``location`` where in it the value is (``the output of span
    'app.fetch' (...) at root['raw'] (trace.spans[1].output), in the base64 of the bytes
    value``), ``what`` which secret it is (``the value of $OPENAI_API_KEY``); the secret itself
    is never part of the message.
    """

    #: the fix for a golden being recorded
    RECORDING_FIX = (
        "Keep it out of the recording: redact it (ini clearstone_redact_keys or "
        "clearstone_redact_patterns, or the pytest_clearstone_redact hook for values the "
        "rules cannot reach, such as bytes), or store its type without it (register an "
        "encoder with pytest_clearstone.codec.register); if it is not a secret, allow it "
        "(ini clearstone_redact_allow = the variable's or key's name, or re:REGEX)"
    )

    #: the fix for a golden whose test's node id holds the secret: no rule or encoder reaches it
    NODE_ID_FIX = (
        "The test's node id holds it, and names the golden: pytest names a parametrized test "
        "after its values when they have no id. Give the parameter an id "
        '(pytest.param(value, id="...") or ids=[...] in pytest.mark.parametrize)'
    )

    #: the fix for a secret the test gave ``replay.run()`` (:data:`RUN_ARGUMENTS`) that the
    #: agent kept (``{kept}``: the name it keeps it under, as the location spells it)
    RUN_ARGUMENTS_FIX = (
        "The test gave it to replay.run() and the agent kept it under a name no redaction rule "
        "covers: let the agent read the secret where it uses it (from the environment, or a "
        "fixture it is given) rather than keep it, or redact the name it keeps it under (ini "
        "clearstone_redact_keys = {kept}, or the pytest_clearstone_redact hook); if it is not "
        "a secret, allow it (ini clearstone_redact_allow = the argument's name)"
    )

    def __init__(self, path: Path | str, location: str, what: str, fix: str = "") -> None:
        self.path = Path(path)
        self.location = location
        self.what = what
        super().__init__(
            f"{path}: {what} is in {location} (the value is not shown here). "
            f"{fix or self.RECORDING_FIX}"
        )


#: where the secrets of the arguments a test gives ``replay.run()`` were seen (``{}``: the name
#: of the method it runs), as a :class:`SecretLeakError` names them
RUN_ARGUMENTS = "arguments given to replay.run({})"


class DecodeError(ClearstoneError, ValueError):
    """An encoded value (a codec tag) that cannot be decoded. ``where``: the path (keys and
    list positions) of that value in the tree being decoded, when known."""

    where: tuple[Any, ...] = ()


class StoredClassError(DecodeError):
    """A stored value names a class that cannot be imported here, or whose fields are no longer
    the stored ones: the file is sound, the code changed since it was recorded. ``class_path``:
    the class as stored (``module:Qual``), ``""`` when not known."""

    def __init__(self, message: str, class_path: str = "") -> None:
        super().__init__(message)
        self.class_path = class_path


class UnknownZoneError(DecodeError):
    """A stored time zone key that this machine's time zone database does not have: the file is
    sound, the database lacks the zone (``fix``: what to do, by default
    :data:`ZONE_DATABASE_FIX`)."""

    def __init__(self, message: str, fix: str = "") -> None:
        super().__init__(message)
        self.fix = fix or ZONE_DATABASE_FIX


class PickleImportError(DecodeError):
    """A pickled value whose class or function cannot be imported here (its module is not on
    ``sys.path``, or no longer has it): the file is sound, the environment lacks its code.
    ``imported`` is ``False`` when the code was found but raised an error of its own while it
    rebuilt the value (a Django model outside its application: ``AppRegistryNotReady``)."""

    imported = True


def class_changed_fix(exc: StoredClassError, test: str = "") -> str:
    """What to do about a golden naming a class that is no longer as it was recorded (``exc``):
    :data:`CODE_CHANGED` for a class of the project's code, :data:`LIBRARY_CHANGED` naming the
    installed release for a class of an installed library (an SDK upgraded since the
    recording, or a teammate's older lock file), :data:`PYTHON_CHANGED` naming this Python for
    a class of the standard library, :data:`MODULE_MISSING` naming the module for a class of a
    module neither installed here nor the project's — :data:`TEST_MODULE_GONE` when that is
    the module of ``test``, the node id the golden was recorded by."""
    # (only for a message: reads installed metadata)
    from .releases import library_release, missing_module, python_release

    if not exc.class_path:
        return CODE_CHANGED
    release = library_release(exc.class_path)
    if release is not None:
        return LIBRARY_CHANGED.format(name=release[0], version=release[1])
    python = python_release(exc.class_path)
    if python is not None:
        return PYTHON_CHANGED.format(version=python, platform=sys.platform)
    module = missing_module(exc.class_path)
    if module is not None:
        if test and exc.class_path.partition(":")[0] == Path(test.partition("::")[0]).stem:
            return TEST_MODULE_GONE.format(module=module, test=test)
        return MODULE_MISSING.format(module=module)
    return CODE_CHANGED


def decode_fix(exc: DecodeError, test: str = "") -> str:
    """What to do about a golden one of whose stored values cannot be decoded (``exc``;
    ``test``: the node id the golden was recorded by, when known)."""
    if isinstance(exc, StoredClassError):
        return class_changed_fix(exc, test)
    if isinstance(exc, UnknownZoneError):
        return exc.fix
    return RESTORE_OR_RERECORD


class MockTargetError(ClearstoneError, AttributeError):
    """A mock target import path that does not resolve to an attribute, or whose owner refuses
    the patch (an attribute of a built-in or extension type)."""

    def __init__(self, target: str, reason: str, *, fix: str = "") -> None:
        self.target = target
        fix = fix or (
            "Give the import path where the agent looks the function up, e.g. "
            "'my_app.llm.complete' or 'my_app.client.Client.complete'"
        )
        super().__init__(f"mock target {target!r} cannot be patched: {reason}. {fix}")


class ReplayError(ClearstoneError, AssertionError):
    """The replayed run did not match the recording."""

    #: set once the replay keeps the error to fail its test with, whatever the agent does with
    #: it: a thread of the agent's that it ends reports it no second time (:mod:`.golden.threads`)
    kept: bool = False


class ReplayDivergenceError(ReplayError):
    """A call's arguments differ from the recorded call's input, or (strict mode) the call was
    made out of its recorded place in the sequence of calls (``out_of_place``: the recorded
    call expected there, and its position in its branch of execution), or the agent read the
    stream the call returned further than the recording did (``stream_items``: the items
    recorded), or nothing cancelled an async call that was cancelled from outside when recorded
    (``not_cancelled``: the seconds it ran then, and the seconds the replay waited).
    ``cause``: what makes the arguments differ where an unchanged agent gives such a
    difference (:data:`ORDER_ONLY`, :data:`IDS_ONLY`, :data:`TIMES_ONLY`; ``""``: none of them),
    or, of a call out of its place, what leaves out the call recorded there though the agent did
    not change (a LangGraph node cache), and its fix.
    ``sequence``: the recorded call's place among all the recorded calls the replay answers, and
    their number (``call_number`` counts the calls to ``target`` only). ``node_id``: the test,
    whose re-recording the message gives (:func:`rerecord`). ``self_now``: the call's ``self``
    as compared, and ``self_before``: the recorded ``self`` of the target's calls recorded
    before it (``None``: not known), which tell a field the method sets on its own object from
    a changed setting of another object (:func:`_held_before`)."""

    def __init__(
        self,
        target: str,
        call_number: int,
        span_id: str | None,
        delta: str,
        *,
        checkpoint: str | None = None,
        closest: int | None = None,
        out_of_place: str | None = None,
        sequence: tuple[int, int] | None = None,
        node_id: str = "",
        stream_items: int | None = None,
        not_cancelled: tuple[float, float] | None = None,
        cause: str = "",
        self_now: Any = None,
        self_before: Sequence[Any] | None = None,
    ) -> None:
        self.target = target
        self.call_number = call_number
        self.span_id = span_id
        self.delta = delta
        self.closest = closest
        self.out_of_place = out_of_place
        self.sequence = sequence
        #: a stream the call returned, read further than recorded: the items recorded
        self.stream_items = stream_items
        where = f"call #{call_number} to {target}"

        def told(head: list[str], span: str | None, tail: str) -> str:
            """A divergence that is not of the arguments: what happened, where it is recorded
            (the span, the golden), what changed and its re-recording."""
            lines = [*head, f"  recorded span: {span}"] if span else list(head)
            if checkpoint:
                lines.append(f"  checkpoint:    {checkpoint}")
            return "\n".join([*lines, f"  {tail} {rerecord_hint(node_id)}"])

        if not_cancelled is not None:
            ran, waited = not_cancelled
            head = [
                f"replay diverged at {where}: it was cancelled when recorded (after {ran:.3f} s: "
                f"the agent's timeout, or its task cancelled), and nothing cancelled it on "
                f"replay within {waited:.3f} s"
            ]
            tail = "The agent's timeout changed, or it no longer cancels the call."
            super().__init__(told(head, span_id, tail))
            return
        if stream_items is not None:
            head = [
                f"replay diverged at {where}: the agent reads further into the stream it "
                f"returned than the recording did",
                f"  the recording holds only the {stream_items} item(s) read when it was made "
                f"(the agent stopped reading there, or was cancelled)",
            ]
            super().__init__(told(head, span_id, "The agent now reads more of the stream."))
            return
        if out_of_place is not None:
            head = [
                f"replay diverged at {where}: it was made out of its recorded place, where the "
                f"recording has {out_of_place}"
            ]
            # (when the call recorded here is never made, it was left out, not moved: which of
            # the two happened shows only later, so the message names both)
            # (a cause, whose fix is not a re-record, comes first: a change of the agent second)
            tail = (
                f"{f'{cause} {_OTHERWISE} it out, the' if cause else 'The'} agent's calls "
                "changed order, or it left out the call recorded here (or added this one)."
            )
            super().__init__(told(head, None, tail))
            return
        where += _in_sequence(sequence)
        lines = [f"replay diverged at {where}: its arguments differ from the recording"]
        if span_id:
            lines.append(f"  recorded span: {span_id}")
        if checkpoint:
            lines.append(f"  checkpoint:    {checkpoint}")
        lines.append("  recorded -> actual:")
        lines.extend(f"    {line}" for line in delta.splitlines())
        if closest is not None:
            lines.append(
                f"  These arguments were recorded for call #{closest}: the calls to {target} "
                f"may have been reordered, {_left_out_or_added(call_number, closest)}."
            )
        # (a method's own side effects can only show from its second call on: at call #1 a
        # changed field of `self` is a changed setting, like a temperature)
        names = _self_field_names(delta) if call_number > 1 else []
        if self_before is not None and not _held_before(names, self_now, self_before):
            names = []  # (another object than the earlier calls': a fallback model's setting)
        fields = [_self_field_path(name) for name in names]
        if fields:
            lines.append(
                f"  Only fields of `self` differ: if {target} sets them itself (replay does not "
                f"run its body, so `self` keeps what it held before the call), leave them out: "
                f"ignore={{{target!r}: {fields!r}}}; where the agent's state holds that object, "
                f"leave them out of its final state too: ignore_state={_in_state(fields)!r}. "
                f"{rerecord_hint(node_id)}"
            )
        elif cause:  # (its fix is not a re-record: one comes only for a change of the agent)
            lines.append(f"  {cause} {OTHERWISE_CHANGED} {rerecord_hint(node_id)}")
        elif closest is not None:
            lines.append(f"  {CALLS_REORDERED} {rerecord_hint(node_id)}")
        else:
            lines.append(f"  The prompt or arguments changed. {rerecord_hint(node_id)}")
        super().__init__("\n".join(lines))


def _left_out_or_added(call_number: int, closest: int) -> str:
    """The other cause of a call given the arguments recorded for call #``closest``: the calls
    recorded between the two left out (``or call #2 left out``), or, when those arguments were
    recorded for an earlier call, calls added before this one. Which of it and a reordering
    happened shows only later, so the message names both."""
    if closest == call_number + 1:
        return f"or call #{call_number} left out"
    if closest > call_number:
        return f"or calls #{call_number}-#{closest - 1} left out"
    added = call_number - closest
    return "or a call added before it" if added == 1 else f"or {added} calls added before it"


def _in_sequence(sequence: tuple[int, int] | None) -> str:
    """`` (call 2 of 7 in the recorded sequence)``: a recorded call's place among all the
    recorded calls, and their number; ``""`` when it is not known, or the only one (of one
    call, "call #1" says it all)."""
    if sequence is None or sequence[1] <= 1:
        return ""
    return f" (call {sequence[0]} of {sequence[1]} in the recorded sequence)"


# a delta's path, ``root['self'][0]``: one key (a quoted string) or position per segment
# (patterns, not compiled here: `re` compiles them when a divergence is first described, not
# in every process that imports this module)
_KEY = r"""'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|-?\d+"""
_DELTA_PATH = rf"root((?:\[(?:{_KEY})\])+)"
_DELTA_SEGMENT = rf"\[({_KEY})\]"


def _self_field_names(delta: str) -> list[str]:
    """The fields of ``self`` (``last_prompt``) that a divergence's delta names, when it names
    nothing else (``[]`` otherwise): a method's own side effects on its object, which a replay
    that does not run its body cannot reproduce. The field is the first level under ``self``
    (under the ``v`` of its stored form when the delta shows it)."""
    fields: list[str] = []
    for line in delta.splitlines():
        if not line.startswith("root"):
            continue  # (the lines of a text's diff under its heading)
        match = re.match(_DELTA_PATH, line)
        if match is None:
            return []
        segments = [ast.literal_eval(s) for s in re.findall(_DELTA_SEGMENT, match.group(1))]
        if segments[:1] != ["self"] or len(segments) < 2:
            return []
        field = segments[2] if segments[1] == "v" and len(segments) > 2 else segments[1]
        if not isinstance(field, str):
            return []
        if field not in fields:
            fields.append(field)
    return fields


def _self_field_path(field: str) -> str:
    """The ``ignore`` path of the field ``field`` of ``self`` (``self.last_prompt``)."""
    plain = field and not any(c in field for c in '.[]"') and field not in ("*", "**")
    return f"self.{field}" if plain else f"self[{json.dumps(field)}]"


def _held_before(fields: list[str], now: Any, before: Sequence[Any]) -> bool:
    """Whether ``self`` of a call (``now``) holds, at each of ``fields`` and at each of its
    fields holding a plain value (a name, a number), what the recorded ``self`` of one of the
    target's earlier calls (``before``) held there: the object as it was before that call,
    which a method that sets the field itself changed when recorded, and which a replay, not
    running its body, keeps. A changed setting of another object (a fallback model, its first
    call the target's second) does not: its name differs, or the changed field."""

    def fields_of(value: Any) -> Any:
        if type(value) is dict and "__cs__" in value and type(value.get("v")) is dict:
            return value["v"]  # (a stored form)
        return value if type(value) is dict else getattr(value, "__dict__", {})

    def same(a: Any, b: Any) -> bool:
        try:
            return a is b or bool(a == b)
        except Exception:  # (an __eq__ that raises: not told as the same)
            return False

    current = fields_of(now)
    if type(current) is not dict:
        return False
    plain = [name for name, value in current.items() if type(value) in _PLAIN]
    compared = [*fields, *(name for name in plain if name not in fields)]
    for old in before:
        held = fields_of(old)
        if type(held) is dict and all(
            same(current.get(name, _ABSENT), held.get(name, _ABSENT)) for name in compared
        ):
            return True
    return False


#: the types of the plain values of a ``self``'s fields (its settings: a name, a temperature)
_PLAIN = (str, int, float, bool, type(None))


#: a field a ``self`` does not hold
_ABSENT = object()


def _in_state(fields: list[str]) -> list[str]:
    """The ``ignore_state`` paths of ``self`` fields (``self.last_prompt``) in the final state of
    an agent that keeps the object, its place left for the user to fill in (a replay cannot tell
    where the agent keeps it)."""
    return [f"final_state.<where it is>{field[len('self') :]}" for field in fields]


#: the ``note`` of a :class:`ReplayExhaustedError` whose responses are values listed by hand
#: (``DeterministicExecutionContext``'s ``mock_targets``, the guide's "Direct Context Usage"):
#: no recording is behind them, so it names their list and to add a value to it
LISTED_BY_HAND = "mock_targets"


class ReplayExhaustedError(ReplayError):
    """A target was called more often than it has recorded responses (``note``: why the
    recording may hold too few, told instead of the usual advice, or :data:`LISTED_BY_HAND`;
    ``retried``: the error the target's last recorded call raised, when the agent called it
    again after it: a retry)."""

    def __init__(
        self,
        target: str,
        recorded: int,
        call_number: int,
        *,
        checkpoint: str | None = None,
        arguments: str | None = None,
        unmocked: dict[str, tuple[str, int]] | None = None,
        branch: tuple[str, int] | None = None,
        extra_job: tuple[str, str, int] | None = None,
        node_id: str = "",
        note: str | None = None,
        retried: str | None = None,
    ) -> None:
        self.target = target
        self.recorded = recorded
        self.call_number = call_number
        #: recorded calls of this target's span type to targets the test does not mock
        #: (``{target: (span type, recorded calls)}``), told when the target has none
        self.unmocked = unmocked or {}
        #: the branch of execution whose recorded calls ran out, and how many it recorded
        self.branch = branch
        #: the job or task the call ran in, which the recording does not have though it has
        #: others of its function (a fan-out over more items): its key, the function's name
        #: and how many of them the recording has
        self.extra_job = extra_job
        if extra_job is not None:
            job, name, jobs = extra_job
            lines = [
                f"{target}: call #{call_number} was made in a branch of execution the recording "
                f"does not have ({printable(job)!r}: the recording has {jobs} job(s) or task(s) "
                f"running {printable(name)} there)"
            ]
        elif branch is None:
            answers = (
                f"{LISTED_BY_HAND} lists only {recorded} value(s)"
                if note == LISTED_BY_HAND
                else f"the recording has only {recorded} response(s)"
            )
            lines = [
                f"{target} was called {call_number} time(s) but {answers} for it (call "
                f"#{call_number} has none)"
            ]
        else:
            lines = [
                f"{target}: call #{call_number} has no recorded response in its branch of "
                f"execution {branch[0]!r} (a thread-pool job or task, answered from what it "
                f"recorded: {branch[1]} of the {recorded} response(s) recorded for the target)"
            ]
        if arguments is not None:
            lines.append(f"  call #{call_number} arguments: {arguments}")
        if checkpoint:
            lines.append(f"  checkpoint: {checkpoint}")
        if self.unmocked and not recorded:
            span_type = printable(next(iter(self.unmocked.values()))[0])
            others = ", ".join(  # (names read from the golden)
                f"{printable(other)} ({calls} recorded call(s))"
                for other, (_, calls) in self.unmocked.items()
            )
            lines.append(
                f"  The recording holds no call to {target}; it holds {span_type} calls to a "
                f"target this test does not mock: {others}. If the function was renamed or "
                f"moved, {rerecord(node_id)}"
            )
        elif note == LISTED_BY_HAND:  # (values listed by hand: no recording to re-record)
            lines.append(
                f"  The agent now makes more calls than {LISTED_BY_HAND} lists values for "
                f"{target}. If the change is intended, add a value to its list for each further "
                "call"
            )
        elif note:  # (why the recording may hold too few calls)
            lines.append(f"  {note}")
        elif extra_job is not None:
            lines.append(  # (pydantic-ai's graph runs each step in an anyio task of its own)
                "  The agent now makes more calls than when it was recorded, in a job or task "
                "the recording does not have: it runs one step more in a task of its own "
                "(pydantic-ai runs each step of an agent run in one: a raised request limit, "
                "more retries) or starts more jobs or tasks (a Send fan-out or a batch over "
                "more items), and this one's calls have no recorded answers. "
                f"{rerecord_hint(node_id)}"
            )
        elif retried:  # (the agent called again after the recording's last, failed call)
            lines.append(
                f"  the recording's last call to {target} raised {retried}, and the agent "
                "called it again: a retry layer that stops on elapsed time (tenacity's "
                "stop_after_delay, stamina's timeout=, a deadline on time.monotonic()) makes "
                "more attempts on replay, where the recorded answers come at once, than when "
                "recorded; cap its attempts too (stop_after_attempt(n) | stop_after_delay(s), "
                "stamina's attempts=); re-recording alone does not help. Else the agent now "
                f"retries more often than when it was recorded. {rerecord_hint(node_id)}"
            )
        else:
            lines.append(
                "  The agent now makes more calls than when it was recorded, or the mock config "
                f"maps the wrong span type to this target. {rerecord_hint(node_id)}"
            )
        super().__init__("\n".join(lines))


class NotMade(NamedTuple):
    """The first recorded call of a target that a replay did not make: its number among the
    target's calls, its place among all the recorded calls and their number (``None``: not
    known) and its recorded arguments as a message shows them (``None``: not recorded)."""

    number: int
    sequence: tuple[int, int] | None
    arguments: str | None


class GaveUp(NamedTuple):
    """The recorded answer a run failed with before it made the recorded calls it left out:
    ``answer``, told as the agent gave up on it (``app.Busy: busy, the error recorded for call
    #2 to app.weather``); ``stood_in``: the :class:`RecordedError` the replay raised in that
    error's place (its class could not be made again), which the agent's ``except`` clauses
    for the class do not catch, or ``None``."""

    answer: str
    stood_in: RecordedError | None = None


class UnusedResponsesError(ReplayError):
    """Recorded responses that the replay never consumed (strict mode): ``unused``, of the
    mocked targets, ``{target: (used, recorded)}``; ``not_made``, the first recorded call of
    each not made (:class:`NotMade`); ``unmocked``, of targets the golden recorded and the test
    does not mock, ``{target: (span type, recorded calls)}``; ``differences``, the
    ``(what, delta)`` of the result and final state of the run that made too few calls, which
    differ from the golden outcome as a consequence (raised in place of a
    :class:`GoldenMismatchError`); ``node_id``: the test (:func:`rerecord`); ``aliases``, of the
    targets never called, the other import paths of the same function the agent may have
    called it under (:func:`alias_lines`); ``cause``: what leaves the calls out though the
    agent did not change, and its fix; ``gave_up``: the recorded answer (an error, or what an
    error was made from) the test failed with before it made them, and the call it answered
    (:class:`GaveUp`); ``mock_given_by``: where the test's mock targets come from, where an
    unmocked one goes back (``""``: the marker's ``mock=``)."""

    def __init__(
        self,
        unused: dict[str, tuple[int, int]],
        *,
        checkpoint: str | None = None,
        unmocked: dict[str, tuple[str, int]] | None = None,
        not_made: dict[str, NotMade] | None = None,
        differences: Sequence[tuple[str, str]] = (),
        node_id: str = "",
        aliases: dict[str, list[str]] | None = None,
        cause: str = "",
        gave_up: GaveUp | None = None,
        mock_given_by: str = "",
    ) -> None:
        self.unused = unused
        self.unmocked = unmocked or {}
        self.not_made = not_made or {}
        self.differences = list(differences)
        self.aliases = aliases or {}
        lines = []
        if unused:
            lines.append("the replay made fewer calls than the recording:")
            for target, (used, recorded) in unused.items():
                lines.append(f"  {target}: {used} of {recorded} recorded response(s) used")
                first = self.not_made.get(target)
                if first is not None:
                    shown = f"; recorded arguments: {first.arguments}" if first.arguments else ""
                    lines.append(
                        f"    call #{first.number}{_in_sequence(first.sequence)} was not "
                        f"made{shown}"
                    )
                lines += [f"    {line}" for line in alias_lines(target, self.aliases)]
        if self.unmocked:
            lines.append(
                "the golden recorded calls to a target this test does not mock (a call to it "
                "now runs live):"
            )
            for target, (span_type, calls) in self.unmocked.items():
                lines.append(  # (names read from the golden)
                    f"  {printable(target)} ({printable(span_type)}): {calls} recorded call(s)"
                )
        for what, delta in self.differences:  # (what followed from it)
            lines.extend(_mismatch_lines(what, delta, then=True))
        if gave_up is not None:  # (the run failed on a recorded answer before it made them)
            stood_in = gave_up.stood_in
            if stood_in is not None:  # (what the agent caught when recorded, it cannot now)
                lines.append(
                    f"  the run raised {gave_up.answer}, replayed as RecordedError: "
                    f"{stood_in.why}; an except clause for {stood_in.type_name} does not catch "
                    f"it. {stood_in.fix}"
                )
            else:
                lines.append(
                    f"  the run raised {gave_up.answer}, replayed: a retry layer that now gives "
                    "up sooner (tenacity's stop=, backoff's max_tries=, stamina's attempts=, a "
                    "LangGraph node's RetryPolicy(max_attempts=), an SDK client's max_retries=), "
                    "or the agent now handles that error otherwise"
                )
        if checkpoint:
            lines.append(f"  checkpoint: {checkpoint}")
        if cause:  # (what leaves the calls out without a change of the agent, and the fix)
            lines.append(f"  {cause}")
        skipped = [target for target in unused if target not in self.aliases]
        mocked_in = mock_given_by or "the marker's mock="
        # (after a cause, whose fix is not a re-record, a change of the agent comes second)
        skips = f"{_OTHERWISE} them out, the" if cause else "The"
        advice = [
            *([f"{skips} agent now skips calls it used to make."] if skipped else []),
            *([f"Mock it again ({mocked_in})."] if self.unmocked else []),
        ]
        lines.append(f"  {' '.join(advice)} {rerecord_hint(node_id)}")
        super().__init__("\n".join(lines))


def alias_lines(target: str, aliases: dict[str, list[str]]) -> list[str]:
    """The other import paths of ``target``'s function that the agent may call it under
    (``aliases``: ``{target: [paths]}``), one line each: patching ``target`` does not reach a
    name the agent imported it as (``from app.llm import complete`` in ``app.agent``), whose
    calls then run live."""
    return [
        f"did you mean `{other}`? (the same object as `{target}`, under a name the agent may "
        f"look it up by: a call there is not mocked and runs live; mock that path)"
        for other in aliases.get(target, ())
    ]


def _mismatch_lines(what: str, delta: str, *, then: bool) -> list[str]:
    """A part of the golden outcome that differs (``what``: ``result``, ``final state``), with
    its delta; ``then``: after another difference told before it."""
    heading = f"the replayed {what} differs from the golden recording (golden -> replayed):"
    return [f"and {heading}" if then else heading, *(f"  {line}" for line in delta.splitlines())]


class GoldenMismatchError(ReplayError):
    """The replayed result or final state differ from the recorded golden outcome: ``what``
    and ``delta`` of the first part that differs; ``differences``, the ``(what, delta)`` of
    each (``more``: those after the first, told in the same message); ``node_id``: the test
    (:func:`rerecord`); ``reader_hint``: for a test that only reads its golden, what records it
    instead (:func:`reader_fix`); ``cause``: what gives the difference though the agent did not
    change, and its fix. ``agent_frame``: the frame of the agent's function whose run differs,
    kept after it returned where ``--pdb`` opens (``None``: not kept)."""

    agent_frame: FrameType | None = None

    def __init__(
        self,
        what: str,
        delta: str,
        *,
        checkpoint: str | None = None,
        more: Sequence[tuple[str, str]] = (),
        node_id: str = "",
        reader_hint: str = "",
        cause: str = "",
    ) -> None:
        self.what = what
        self.delta = delta
        self.differences = [(what, delta), *more]
        lines = _mismatch_lines(what, delta, then=False)
        for other, other_delta in more:
            lines.extend(_mismatch_lines(other, other_delta, then=True))
        if checkpoint:
            lines.append(f"  checkpoint: {checkpoint}")
        # (a cause, whose fix is not a re-record, comes first: a change of the agent second)
        otherwise = f"{OTHERWISE_CHANGED} " if cause else ""
        if cause:  # (what gives the difference without a change of the agent, and the fix)
            lines.append(f"  {cause}")
        if reader_hint:  # (the test only reads its golden: recording it writes nothing)
            lines.append(f"  {otherwise}If the change is intended: {reader_hint}")
        else:
            lines.append(f"  {otherwise}{rerecord_hint(node_id)}")
        super().__init__("\n".join(lines))


#: what to do about a recorded exception that cannot be rebuilt, unless its reason says more
_RERECORD_THE_TEST = "To replay it as itself, re-record the test (pytest --clearstone-record)"


class RecordedError(ClearstoneError, RuntimeError):
    """Stands in for a recorded exception whose type cannot be rebuilt at replay time (``why``:
    the reason, e.g. its class could not be imported; ``fix``: what to do about it)."""

    def __init__(
        self, type_name: str, message: str, *, why: str = "", fix: str = _RERECORD_THE_TEST
    ) -> None:
        self.type_name = type_name
        self.message = message
        self.why = why
        self.fix = fix
        if not why:
            super().__init__(f"{type_name}: {message} (recorded exception, replayed)")
            return
        super().__init__(
            f"{type_name}: {message} (recorded exception, replayed as RecordedError: {why}; an "
            f"except clause for that class does not catch it. {fix})"
        )


def grouped(exc: BaseException, depth: int = 0) -> Iterator[BaseException]:
    """``exc``, then the exceptions it holds when it is an exception group (an
    ``asyncio.TaskGroup``'s, anyio's, a trio nursery's; the ``exceptiongroup`` backport's on
    Python 3.10 too), nested groups depth first (to a depth no real group reaches)."""
    yield exc
    inner = getattr(exc, "exceptions", None)  # a BaseExceptionGroup's
    if isinstance(inner, tuple) and depth < 100:
        for sub in inner:
            if isinstance(sub, BaseException):
                yield from grouped(sub, depth + 1)


def article(word: str) -> str:
    """``"an"`` before ``word`` when it is read starting with a vowel sound (``an openai...``,
    ``an int``), else ``"a"`` (``a uuid.UUID``, ``a sqlite3.Row``)."""
    return "an" if word[:1].lower() in ("a", "e", "i", "o") else "a"


def describe(value: Any) -> str:
    """A short type description used in messages."""
    t = type(value)
    return t.__qualname__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"


NETWORK_HINT = (
    "Mock the function that makes this call (add its import path to mock=), or allow the host "
    "with the ini option clearstone_allow_hosts, or run with --clearstone-allow-network"
)

LOOPBACK_NETWORK_HINT = (
    "It is a server on this machine (one the test or a fixture started, such as "
    "pytest-django's live_server, or a local service): allow it with the ini line "
    "`clearstone_allow_hosts = {entry}` (no port: such a server may listen on a new port each "
    "run), or mock the function that makes this call (add its import path to mock=), or run "
    "with --clearstone-allow-network"
)


TELEMETRY_NETWORK_HINT = (
    "It is an OpenTelemetry exporter sending the agent's telemetry. Under tests, give the "
    "agent's provider an in-memory or console exporter, or turn the SDK off with "
    "OTEL_SDK_DISABLED=true, rather than mocking the exporter (its exports would be recorded as "
    "the agent's calls, at times that vary) or allowing the collector's host"
)

LANGSMITH_NETWORK_HINT = (
    "It is LangSmith's tracing uploading the agent's runs (LANGSMITH_TRACING or "
    "LANGCHAIN_TRACING_V2 is on in the environment). Run the tests with "
    "LANGSMITH_TRACING_V2=false (LangSmith reads it before the others: LANGSMITH_TRACING=false "
    "leaves a LANGCHAIN_TRACING_V2=true in force), rather than mocking LangSmith's client or "
    "allowing its host (the replayed runs would be sent to your project)"
)

SDK_NETWORK_HINT = (
    "The call was made by the SDK method {method}, which is not mocked: add it to mock= and "
    "record again (a call to a method not mocked runs live when recording and is not recorded), "
    "or allow the host with the ini option clearstone_allow_hosts"
)

LANGCHAIN_NETWORK_HINT = (
    "The call was made by {model}, which is not mocked: add it to mock= and record again (a "
    "call to a method not mocked runs live when recording and is not recorded{sdk}), or allow "
    "the host with the ini option clearstone_allow_hosts"
)

#: the part of :data:`LANGCHAIN_NETWORK_HINT` naming the SDK method under the LangChain model
LANGCHAIN_SDK_CLAUSE = (
    "; not the SDK method it sends by, {method}, whose raw response the model reads: that "
    "cannot be recorded"
)

VCRPY_NETWORK_HINT = (
    "vcrpy let it through to the network: its cassette {cassette} {held}, and its record mode "
    "sends such a one to the service (once with the cassette missing, new_episodes, all, "
    "pytest-recording's rewrite). Record the cassette in the run that records the golden (pytest "
    "--clearstone-record --record-mode=once), commit both, and replay with --record-mode=none "
    "(pytest-recording's default), which answers from the cassette"
)

MCP_NETWORK_HINT = (
    "It is the MCP client ({module}) sending a message to its server for a ClientSession method "
    "that is not mocked. Mock each ClientSession method the agent calls "
    "(mcp.ClientSession.initialize, mcp.ClientSession.list_tools, mcp.ClientSession.call_tool, "
    "...; mcp 2's mcp.Client connects with mcp.ClientSession.send_discover, and with "
    "initialize where the server is older), or a function of your own that opens the session "
    "and returns what the agent uses; not the transport, whose answer (a context manager around "
    "live streams) cannot be stored"
)

OPENAI_AGENTS_NETWORK_HINT = (
    "It is the OpenAI Agents SDK's tracing uploading the agent's traces (on by default, to "
    "api.openai.com). Run the tests with OPENAI_AGENTS_DISABLE_TRACING=1 in the environment, or "
    "call agents.set_tracing_disabled(True) in a conftest.py, rather than mocking its exporter "
    "or allowing its host (the replayed runs would be uploaded to your OpenAI account); a golden "
    "recorded with tracing on replays with it off"
)

#: the hint of a connection blocked in a telemetry library, by whose telemetry it is
_TELEMETRY_HINTS = {
    "opentelemetry": TELEMETRY_NETWORK_HINT,
    "langsmith": LANGSMITH_NETWORK_HINT,
    "openai-agents": OPENAI_AGENTS_NETWORK_HINT,
}

TIKTOKEN_NETWORK_HINT = (
    "It is tiktoken downloading its encoding {encoding} to count tokens (for LangChain's "
    "OpenAIEmbeddings, get_num_tokens and trim_messages, pydantic-ai's Embedder.count_tokens), "
    "which it downloads once and keeps in "
    "$TIKTOKEN_CACHE_DIR, else $DATA_GYM_CACHE_DIR, else data-gym-cache in the temp directory: "
    "a machine that never downloaded it (a fresh CI runner) has none. Fill a directory of the "
    "project once on a machine with network (TIKTOKEN_CACHE_DIR=tiktoken-cache python -c "
    "\"import tiktoken; tiktoken.get_encoding('{encoding}')\"), commit it, and set "
    "TIKTOKEN_CACHE_DIR to its absolute path where the tests run (the CI's environment, or "
    "os.environ.setdefault in conftest.py){allow}. Mocking the function that downloads it would "
    "store the encoding file in the golden"
)

#: the end of :data:`TIKTOKEN_NETWORK_HINT` for a host that may be allowed (not a proxy)
TIKTOKEN_ALLOW_HOST = (
    "; or, where the tests have network, allow its host with the ini line "
    "`clearstone_allow_hosts = {host}`"
)

#: the end of the hint of tiktoken counting tokens for a LangChain embeddings class
TIKTOKEN_EMBEDDINGS_HINT = (
    "\n  Here tiktoken counts the tokens of the texts {embeddings} sends (with "
    "check_embedding_ctx_length=True, its default): mock {methods}, not the SDK's "
    "Embeddings.create, and record again; tiktoken then does not run on replay, and the golden "
    "holds the texts rather than their token ids"
)

EMBEDDINGS_NETWORK_HINT = (
    "The call was made by the SDK method {method} for {embeddings}, which is not mocked: mock "
    "{methods} and record again (rather than the SDK method: by default {embeddings} sends "
    "tiktoken's token ids of the texts, which the golden would hold, and tiktoken would run on "
    "replay), or allow the host with the ini option clearstone_allow_hosts"
)

PROXY_NETWORK_HINT = (
    "Mock the function that makes this call (add its import path to mock=), or run with "
    "--clearstone-allow-network. Allowing the proxy in clearstone_allow_hosts would let every "
    "request sent through it reach the network; a local service the test needs is reached "
    "directly when its host is in NO_PROXY (and allowed in clearstone_allow_hosts)"
)

FIXTURE_NETWORK_HINT = (
    "Calls made by fixtures are neither recorded nor replayed (a golden holds the calls of the "
    "test's call only), so this one would run live on every replay; a session or module "
    "fixture is set up by the first test that needs it.\n"
    "  Build what the fixture makes inside the test, so that its calls are recorded; or let "
    "the fixture use recorded data instead of the service; or mock the call in the fixture; "
    "or, for a local service the fixture needs (a database), allow the host with the ini "
    "option clearstone_allow_hosts (or run with --clearstone-allow-network)"
)


def _host_and_port(host: str, port: int | None, name: str | None) -> str:
    where = f"{name} ({host})" if name and name != host else host
    return where if port is None else f"{where} port {port}"


def _embeddings_methods(embeddings: str) -> str:
    """The methods of the LangChain embeddings class ``embeddings`` to mock."""
    return (
        f"{embeddings}.embed_documents and .embed_query (aembed_documents, aembed_query for async)"
    )


def _tiktoken_hint(encoding: str, embeddings: str, host: str) -> str:
    """The fix for tiktoken downloading ``encoding`` (``"?"``: its name not seen) from ``host``
    (``""``: through a proxy, not to be allowed), counting tokens for the LangChain embeddings
    class ``embeddings`` (or ``""``)."""
    hint = TIKTOKEN_NETWORK_HINT.format(
        encoding=encoding if encoding != "?" else "<its name>",
        allow=TIKTOKEN_ALLOW_HOST.format(host=host) if host else "",
    )
    if not embeddings:
        return hint
    methods = _embeddings_methods(embeddings)
    return hint + TIKTOKEN_EMBEDDINGS_HINT.format(embeddings=embeddings, methods=methods)


class NetworkBlockedError(ReplayError):
    """A replayed test tried to open a network connection to a host that is not allowed.

    ``during``: what the test was doing when a fixture connected (``"the set-up of fixture
    'index' (session scope)"``); ``None`` for the test's call. ``proxy``: the environment
    variables (``HTTPS_PROXY``) whose proxy the address is, when it is one: the request it
    carried was for another host. ``telemetry``: whose telemetry the connection was uploading,
    ``"opentelemetry"`` (``True`` too), ``"langsmith"`` or ``"openai-agents"``, for the fix that
    works. ``mcp``: the module of the MCP client's transport that connected
    (``"mcp.client.streamable_http"``), for the ``ClientSession`` methods to mock.
    ``lookup_error``: why the host name ``host`` did not resolve, when the connection was
    blocked at its lookup (a machine without DNS) rather than at ``connect``. ``loopback``: the
    ``clearstone_allow_hosts`` entry allowing ``host`` on any port, when it is an address of
    this machine (``localhost``: a server a fixture started on a new port each run).
    ``sdk_method``: the import path of the openai/anthropic SDK method that made the request
    (``openai.resources.conversations.conversations.Conversations.create``), to mock.
    ``tiktoken``: the encoding whose file tiktoken was downloading (``"o200k_base"``; ``"?"``:
    its name not seen), for the cache that avoids it. ``embeddings``: the LangChain embeddings
    class whose call it was (``"langchain_openai.OpenAIEmbeddings"``), whose methods are the
    ones to mock rather than the SDK's or tiktoken's. ``cassette``: the path of the vcrpy
    cassette that lacked the request and let it through, for the run that records it.
    ``chat_model``: the method of the LangChain model whose request it was
    (``"langchain_openai.ChatOpenAI.invoke"``), the one to mock rather than the SDK's under it
    (whose raw response the model reads). ``caller``: the library function the user's code
    called that made the connection, and where it called it (``"socket.create_connection,
    called at app.py:14 (in Agent.handle)"``)."""

    def __init__(
        self,
        host: str,
        port: int | None,
        test: str,
        *,
        name: str | None = None,
        thread: str | None = None,
        others: Sequence[str] = (),
        unresolved: Sequence[str] = (),
        during: str | None = None,
        proxy: Sequence[str] = (),
        telemetry: bool | str = False,
        mcp: str = "",
        lookup_error: str = "",
        loopback: str = "",
        sdk_method: str = "",
        tiktoken: str = "",
        embeddings: str = "",
        cassette: str = "",
        chat_model: str = "",
        caller: str = "",
    ) -> None:
        self.host = host
        self.port = port
        self.test = test
        self.name = name
        self.during = during
        self.proxy = tuple(proxy)
        self.telemetry = telemetry
        self.mcp = mcp
        self.lookup_error = lookup_error
        self.sdk_method = sdk_method
        self.tiktoken = tiktoken
        self.embeddings = embeddings
        self.cassette = cassette
        self.chat_model = chat_model
        self.caller = caller
        who = test if during is None else f"{test}: {during}"
        lines = [
            f"{who} tried to connect to {_host_and_port(host, port, name)} during the replay; "
            f"the network guard blocked it"
        ]
        if thread:
            lines.append(f"  thread: {thread}")
        if caller:
            lines.append(f"  made by: {caller}")
        if others:
            lines.append(f"  also blocked: {', '.join(others)}")
        if lookup_error:
            lines.append(
                f"  the name did not resolve here ({lookup_error}): blocked at its lookup, as "
                "its connection is where the name resolves"
            )
        if unresolved:
            lines.append(
                f"  allowed host(s) that did not resolve when the guard started: "
                f"{', '.join(unresolved)}"
            )
        if proxy:
            lines.append(
                f"  that is the proxy of {' and '.join(f'${v}' for v in proxy)}: the request it "
                "carried was for another host, which the guard does not see"
            )
        hint = PROXY_NETWORK_HINT if proxy else NETWORK_HINT
        if loopback and not proxy:
            hint = LOOPBACK_NETWORK_HINT.format(entry=loopback)
        if sdk_method and not proxy:
            hint = SDK_NETWORK_HINT.format(method=sdk_method)
            if embeddings:
                hint = EMBEDDINGS_NETWORK_HINT.format(
                    method=sdk_method,
                    embeddings=embeddings,
                    methods=_embeddings_methods(embeddings),
                )
        if chat_model and not proxy and not embeddings:
            sdk = LANGCHAIN_SDK_CLAUSE.format(method=sdk_method) if sdk_method else ""
            hint = LANGCHAIN_NETWORK_HINT.format(model=chat_model, sdk=sdk)
        if mcp and not proxy:
            hint = MCP_NETWORK_HINT.format(module=mcp)
        if tiktoken:
            hint = _tiktoken_hint(tiktoken, embeddings, "" if proxy else (name or host))
        if cassette:
            held = (
                "does not hold this request"
                if os.path.exists(cassette)
                else (
                    "is not on disk (not recorded yet, or deleted by pytest-recording's "
                    "--record-mode=rewrite as the test started: a committed one comes back with "
                    f"git checkout -- {cassette})"
                )
            )
            hint = VCRPY_NETWORK_HINT.format(cassette=cassette, held=held)
        if telemetry:
            hint = _TELEMETRY_HINTS.get(str(telemetry), TELEMETRY_NETWORK_HINT)
        elif during is not None and not tiktoken and not cassette:
            hint = FIXTURE_NETWORK_HINT
        lines.append(f"  {hint}")
        super().__init__("\n".join(lines))


class NetworkBlockedWarning(_Picklable, UserWarning):
    """A background thread the test did not start (a telemetry uploader) tried to connect during
    a replay: the connection was blocked, and the test is not failed for it."""

    def __init__(
        self,
        host: str,
        port: int | None,
        test: str,
        *,
        name: str | None = None,
        thread: str | None = None,
        telemetry: str = "",
    ) -> None:
        self.host = host
        self.port = port
        self.test = test
        self.name = name
        who = f"a background thread ({thread})" if thread else "a background thread"
        hint = _TELEMETRY_HINTS.get(
            telemetry,
            "If the test needs this connection, allow the host with the ini option "
            "clearstone_allow_hosts",
        )
        super().__init__(
            f"{who} that {test} did not start tried to connect to "
            f"{_host_and_port(host, port, name)} during the replay; the network guard blocked it. "
            f"{hint}"
        )


class UnusedResponsesWarning(_Picklable, UserWarning):
    """A non-strict replay (``ReplayEngine(strict=False)``) left recorded responses unused."""


class StateFieldsWarning(_Picklable, UserWarning):
    """A checkpoint's state lacks fields its agent's class declares and holds names the class
    does not (a field renamed since it was saved): the fields were given their defaults."""


class UnencodableValueWarning(_Picklable, UserWarning):
    """A value was stored as its ``repr`` because neither JSON nor dill could encode it."""


class MutatedArgumentWarning(_Picklable, UserWarning):
    """A mock target changed an argument it was given in place while recording (appended to a
    list, set a key of a dict): replay answers the call without running the target, so the
    change is not made there and the agent sees the argument as it was before the call.
    ``ignore_place``: where the test's ignore paths come from, when not a marker
    (:func:`ignore_fix`)."""

    def __init__(
        self, test: str, call: str, target: str, argument: str, kind: str, ignore_place: str = ""
    ) -> None:
        self.test = test
        self.target = target
        self.argument = argument
        where = f"{test}: " if test else ""
        super().__init__(
            f"{where}{call} changed its argument `{argument}` ({kind}) in place while "
            f"recording; a replay does not run {target}, so the change is not made there and "
            f"the agent sees `{argument}` as it was before the call. Return the new value from "
            f"{target} instead, or mock the function under it that returns it; if the agent "
            f"does not read it again, leave it out with "
            f"{ignore_fix({target: [argument]}, ignore_place)}"
        )


class UnmatchedIgnorePathWarning(_Picklable, UserWarning):
    """An ``ignore=`` or ``ignore_state=`` path of a test's marker matched nothing in what it
    was applied to (a typo leaves nothing out of matching)."""


class ChildProcessCallError(ClearstoneError, RuntimeError):
    """A mocked call made in a process the test's process forked (a ``multiprocessing`` fork
    pool's worker, a ``ProcessPoolExecutor``'s, an ``os.fork()`` child) while the test
    recorded or replayed: what the call records, or the answer it takes, stays in that process,
    so it can be neither recorded nor replayed."""

    def __init__(self, target: str, *, pid: int, parent: int, action: str, test: str = "") -> None:
        self.target = target
        self.pid = pid
        self.parent = parent
        who = f"{test} was {action}" if test else f"the test was {action}"
        super().__init__(
            f"{target} was called in process {pid}, which the test's process ({parent}) forked "
            f"while {who}: pytest-clearstone's mocks live in the test's process, and a call "
            "made in another one can be neither recorded nor replayed (a child started with "
            "spawn or forkserver, or a program the agent runs, is not patched at all: its "
            f"calls are live, also in a replay). {CHILD_PROCESS_FIX}"
        )


#: what to do about a mocked call made in another process (:class:`ChildProcessCallError`)
CHILD_PROCESS_FIX = (
    "Mock the function that starts the child or hands it the work (the one calling pool.map() "
    "or executor.submit(), or subprocess.run()), or run the work in threads while testing "
    "(multiprocessing.pool.ThreadPool, concurrent.futures.ThreadPoolExecutor), whose calls "
    "are recorded and replayed"
)


class UnfinishedCallError(ClearstoneError):
    """A mocked call was still running when a recorded test ended (made in a thread or task the
    test does not wait for), or, ``generator``, a generator target the agent read partly was
    still open: it has no answer (no end), so a golden with it could never replay;
    ``asynchronous``: an async generator, closed another way."""

    def __init__(
        self, target: str, number: int, *, generator: bool = False, asynchronous: bool = False
    ) -> None:
        self.target = target
        self.number = number
        if generator:  # (a generator target the agent keeps, partly read, past the test)
            kind, close, closing, library = (
                (
                    "an async generator",  # (a chat model's _astream read partly, often)
                    "await stream.aclose()",
                    "contextlib.aclosing(...)",
                    " (a stream a library reads for the agent, such as a LangChain chain's "
                    "astream(), is closed only when the event loop finalizes it: read that one "
                    "to its end)",
                )
                if asynchronous
                else ("a generator", "stream.close()", "contextlib.closing(...)", "")
            )
            super().__init__(
                f"call #{number} to {target}, {kind} the agent read partly, was still open when "
                "the test ended (neither read to its end nor closed), so it has no end to "
                f"replay: close it before the test ends ({close}, or read it inside {closing}), "
                f"or read it to its end{library}; then record again"
            )
            return
        super().__init__(
            f"call #{number} to {target} was still running when the test ended, so it has no "
            "answer to replay: it was made in a thread or task the test does not wait for. "
            "Wait for it before the test ends (join the thread, call future.result() or "
            "shut the pool down with wait=True, await the task), or cancel it; then record again"
        )


class RefusedLiveCallError(ClearstoneError):
    """A mocked call, recorded, raised the refusal of a tool that keeps tests off the network
    (pytest-socket, pytest-recording's ``--block-network``, a vcrpy cassette lacking the
    request) rather than reaching the service, and the test passed all the same (the agent
    caught it): a golden would replay that refusal as the service's answer, so none is
    written. ``call``: ``call #1 to app.fetch``; ``error``: the refusing exception's class;
    ``tool``: the tool; ``fix``: what lets the recording through."""

    def __init__(self, call: str, error: str, tool: str, fix: str) -> None:
        self.call = call
        self.error = error
        self.tool = tool
        super().__init__(
            f"{call} raised {error} from {tool}, which refused the live call, and the test "
            f"went on without it: a golden would replay that refusal as the service's answer, "
            f"so none was written. To record, let the call through: {fix}"
        )


def warned(warning: Warning, stacklevel: int = 1) -> Warning | None:
    """Give ``warning`` (``stacklevel`` as :func:`warnings.warn` counts it from the caller);
    when a warnings filter makes it an error (``filterwarnings = error``), the warning, for the
    caller to fail the test with once its call is done, rather than raised where it is given:
    in a call of the agent's, which may catch it and go on another way, or in a task no one
    awaits, where it would end unseen. ``None`` when it was given as a warning."""
    try:
        warnings.warn(warning, stacklevel=stacklevel + 1)
    except type(warning) as error:
        return error.with_traceback(None)
    return None


class LeftoverCallWarning(_Picklable, UserWarning):
    """A mock target was called, while a test was recording (or, ``replaying``, replaying), by
    a task an earlier test left running (a fire-and-forget ``asyncio.create_task`` on an event
    loop shared across tests): the call ran live and was not recorded into this test's golden
    (not answered from it)."""

    def __init__(self, test: str, target: str, earlier: str, *, replaying: bool = False) -> None:
        self.test = test
        self.target = target
        self.earlier = earlier
        done = f"answered from the golden of {test}" if replaying else "recorded"
        super().__init__(
            f"{test}: a call to {target} was made by a task {earlier} left running; it ran "
            f"live and was not {done}, as it is no part of {test}. Await or cancel the "
            f"agent's background tasks before the test ends, or give each test its own event "
            f"loop"
        )


class UnmockedCallWarning(_Picklable, UserWarning):
    """A strict recording: the agent called another method of a mock target's class that makes
    the same request without calling it (pydantic-ai's ``request_stream`` beside a mocked
    ``request``; an SDK's ``parse`` beside a mocked ``create``), or, ``own``, one that sends a
    request of its own to the same API beside it (pydantic-ai's ``count_tokens``), or,
    ``other_model``, the ``request`` of another provider's pydantic-ai model, or, ``twin``
    (``"sync"`` or ``"async"``), the target's twin (LangChain's ``_stream`` beside a mocked
    ``_astream``: a graph's sync node beside async ones; the SDK's ``AsyncCompletions.create``
    beside a mocked ``Completions.create``), and no mock target's call was recorded while it
    ran: its requests ran live, are not in the golden, and run live on every replay. ``fix``:
    how to record them (mock the SDK method it sends by, or mock it too)."""

    def __init__(
        self,
        test: str,
        called: str,
        target: str,
        fix: str,
        *,
        own: bool = False,
        other_model: bool = False,
        twin: str = "",
    ) -> None:
        self.test = test
        self.called = called
        self.target = target
        if twin:
            what = (
                f"it is the {twin} twin of the mock target {target!r}, which makes the same "
                "request without calling it"
            )
        elif other_model:
            what = (
                f"it is another pydantic-ai model's request, which the mock target {target!r} "
                "does not reach"
            )
        elif own:
            what = f"it sends a request of its own to the API the mock target {target!r} sends to"
        else:
            what = f"it makes the same request as the mock target {target!r} without calling it"
        super().__init__(
            f"{test}: {called!r} was called while recording and ran live: {what}, so its calls "
            f"are not in the golden and run live on every replay. {fix}"
        )


def held_by(holders: list[str]) -> str:
    """What holds a mock target's function itself (``module.QualName`` of each holder, or
    ``the dict app.TOOLS`` for a registry), made before the test patched its name: a graph's
    node, a registered tool."""
    named = " and ".join(
        holder if holder.startswith("the ") else f"{article(holder)} {holder}" for holder in holders
    )
    return (
        f"also held by {named} made before the test patched the name (a graph's node, a "
        "registered tool)"
    )


#: the fix for a function held as in :func:`held_by`
HELD_FIX = (
    "Mock a function that it calls instead, or make what holds it while the test runs (in the "
    "agent's method), where it takes the patched name"
)


class UncalledTargetWarning(_Picklable, UserWarning):
    """A strict recording made no call to a mock target whose function is also reachable under
    another import path (``from app.tools import search`` in ``app.agent``): the agent may call
    it under that one, which the patch does not reach, so its calls would run live on replay.
    Or (no other path, ``holders``) whose function an object made before the test holds
    (:func:`held_by`), which calls it, never the mock."""

    def __init__(
        self,
        test: str,
        target: str,
        span_type: str,
        others: list[str],
        holders: list[str] | None = None,
    ) -> None:
        self.test = test
        self.target = target
        self.others = others
        self.holders = holders or []
        if others:
            named = " or ".join(f"`{other}`" for other in others)
            why = (
                f"the same function is {named}: if the agent calls it under that name, mock "
                f"that path (mock={{{span_type!r}: {others[0]!r}}}), or its calls run live on "
                "every replay."
            )
        else:
            why = (
                f"the function is {held_by(self.holders)}, which calls it, never the mock: its "
                f"calls run live on every replay. {HELD_FIX}."
            )
        super().__init__(
            f"{test}: the mock target {target!r} was not called while recording; {why} "
            "A target this test does not use needs no change"
        )
