"""The pytest plugin: options, the ``replay`` marker, fixtures, record/replay hooks, the report.

Only this module touches pytest. Everything it does is built from the library in
:mod:`pytest_clearstone.debugging` and :mod:`pytest_clearstone.observability`, imported lazily
so that the plugin costs nothing when no test uses it.

PYTEST_DONT_REWRITE: this module does not rely on assertion rewriting, and skipping it keeps the
start-up of every pytest run cheap where bytecode cannot be cached (PYTHONDONTWRITEBYTECODE).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import fnmatch
import functools
import inspect
import os
import random
import re
import sys
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, cast

import pytest
from _pytest.unittest import TestCaseFunction  # (loaded by pytest: no public name)

from .golden.mode import Mode, attempt_action
from .golden.paths import (
    SHORTER_PATH,
    apart_only_where_made_safe,
    golden_path,
    node_names,
    too_long,
    unnameable,
)
from .golden.unused import NOT_SEARCHED
from .store_path import DEFAULT_DB, expanded, make_own_directory

if TYPE_CHECKING:
    from types import FrameType

    from .golden.checkpoint import Checkpoint
    from .golden.network import HostAllowList, NetworkGuard
    from .golden.replay import Replay
    from .golden.responses import Matcher
    from .redaction import Redactor
    from .tracing import Tracer, TracerProvider
    from .tracing.tracer import LiveSpan

_MARKER = "replay(path=None, *, mock=None, strict=True, ignore=None, ignore_state=None)"

#: the provider keys given a placeholder while tests replay (ini ``clearstone_placeholder_env``
#: adds others)
_PLACEHOLDER_ENV = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
#: the codec, which forgets what an earlier in-process session left in it when a session starts
_CODEC = "pytest_clearstone.codec"


class Settings:
    """The run's pytest-clearstone settings, resolved once (CLI > ini > default) and not changed
    afterwards.

    (This class and :class:`_RunState` are written out rather than made by ``dataclasses``:
    making a dataclass runs generated code, ~7 M instructions for this one, which every pytest
    run with the plugin installed would pay at start-up.)"""

    def __init__(
        self,
        *,
        mode: Mode,
        db_path: Path,
        explicit: bool,  # any clearstone option or ini key given: then the header line is shown
        redact_keys: tuple[str, ...] = (),
        redact_patterns: tuple[str, ...] = (),
        redact_allow: tuple[str, ...] = (),
        allow_secrets: bool = False,
        allow_pickle: bool = False,
        allow_network: bool = False,
        allow_hosts: tuple[str, ...] = (),
        placeholder_env: tuple[str, ...] = _PLACEHOLDER_ENV,
        ini_options: dict[str, Any] | None = None,
        fresh: bool = False,  # --clearstone-fresh
    ) -> None:
        self.mode = mode
        self.db_path = db_path
        self.explicit = explicit
        self.redact_keys = redact_keys
        self.redact_patterns = redact_patterns
        self.redact_allow = redact_allow
        self.allow_secrets = allow_secrets
        self.allow_pickle = allow_pickle
        self.allow_network = allow_network
        self.allow_hosts = allow_hosts
        self.placeholder_env = placeholder_env
        #: the marker's keyword defaults from the ini file (``clearstone_mock``,
        #: ``clearstone_ignore``)
        self.ini_options: dict[str, Any] = {} if ini_options is None else ini_options
        self.fresh = fresh

    @functools.cached_property
    def host_allow_list(self) -> HostAllowList:
        """The hosts a replaying test may connect to, shared by every test's network guard:
        the names are resolved once per session."""
        from .golden.network import HostAllowList

        return HostAllowList(self.allow_hosts)

    @functools.cached_property
    def replay_class(self) -> type[Replay]:
        """:class:`Replay`, imported by the first test that replays and kept here: an import
        statement costs ~12 k instructions each time it runs, even with its module loaded."""
        from .golden.replay import Replay

        return Replay

    @functools.cached_property
    def redactor(self) -> Redactor:
        """The configured redaction rules (built on first use; each test gets a fresh copy)."""
        from .redaction import Redactor

        return Redactor.from_settings(
            self.redact_keys,
            self.redact_patterns,
            self.redact_allow,
            check_secrets=not self.allow_secrets,
        )


class _RunState:
    """Session-wide state: the lazily created trace provider and the report's counters."""

    def __init__(self, *, subset: str = "") -> None:
        self.provider: TracerProvider | None = None
        self.counts = {"replayed": 0, "recorded": 0, "diverged": 0, "missing": 0, "unreadable": 0}
        #: goldens written in this run: (path as shown, what changed)
        self.written: list[tuple[str, str]] = []
        #: marked tests whose golden was not written when recording: (node id, why)
        self.not_written: list[tuple[str, str]] = []
        #: tests re-recorded by record-diverged: (node id, why: diverged or missing)
        self.rerecorded: list[tuple[str, str]] = []
        self.referenced: set[str] = set()
        #: the directories of the collected test files (where unused goldens are looked for)
        self.test_dirs: set[str] = set()
        #: how the run selected a subset of the suite ("": it collected the whole suite)
        self.subset = subset
        self.collect_errors = 0
        #: the parts of the suite not collected (modules skipped at import, paths in a
        #: conftest's collect_ignore): absolute path -> why, as shown in the summary
        self.uncollected: dict[str, str] = {}
        #: paths a pytest_ignore_collect hook left out, noted while collecting (merged into
        #: uncollected after --ignore and collect_ignore, whose reasons say more)
        self.left_out: dict[str, str] = {}
        self.failed_saves: list[str] = []
        #: the traces the clearstone_tracer spans of tests writing no golden left in the store,
        #: and the secret values seen in those tests: withheld from them when the run ends (see
        #: _withhold_from_store)
        self.unchecked_traces: list[str] = []
        self.unchecked_secrets: dict[str, str] = {}
        #: the last golden recorded: (the node id of its test, its path, its text before the
        #: run), which a later attempt of that test tells its change against (see _save_golden)
        self.earlier_write: tuple[str, Path, str | None] | None = None
        #: why the trace store refused the spans left to write when the run ended ("": it took
        #: them), from this process or an xdist worker
        self.store_problem = ""
        self.undo_codec_hooks: Callable[[], None] | None = None
        #: lets go of the network guard's socket patches, held from the first guarded test to
        #: the end of the session (see _network_guard)
        self.release_socket_hooks: Callable[[], None] | None = None
        #: provider keys given a placeholder by the plugin, set while tests replay (see
        #: _set_placeholder_keys), and the value each had then (None: unset; "": set empty)
        self.placeholders: dict[str, str | None] = {}
        #: the provider keys whose SDK finds another credential without them, which get no
        #: placeholder (see golden.provider_credentials): known at the first replaying test
        self.other_credentials: frozenset[str] | None = None
        #: (recording) goldens a test records: those of the tests whose marker or the ini gives
        #: mock= (collection knows them), and those of the tests set up so far whose mock= the
        #: clearstone_config fixture gave (known at set-up only): case-folded path -> the test
        #: recording it and its path
        self.golden_writers: dict[str, tuple[pytest.Item, str]] = {}
        #: a marked test outside the rootdir (``-c cfg/ci.ini`` makes ``cfg`` the rootdir),
        #: whose node id pytest makes relative to the argument it was collected under (its
        #: path then names no file from the rootdir) -> its file
        self.outside_rootdir: dict[str, Path] = {}
        #: the mock targets recordings of this process called: path -> the node id of the
        #: first test that did (what a later recording that called nothing is told)
        self.recorded_targets: dict[str, str] = {}
        #: (an xdist worker, recording) the node ids of the marked tests collected; on the
        #: controller, those of every worker: a test whose worker crashed while it ran gets no
        #: report of its own to say its golden was not written
        self.marked: set[str] = set()
        #: (the xdist controller) the node ids of the tests whose worker crashed while they ran
        self.crashed: list[str] = []
        #: (the xdist controller) a worker ended its run and sent what it collected
        self.worker_ended = False
        #: (--clearstone-prune-unused beside an option that runs no test: _PREVIEWS) the
        #: goldens of the collected marked tests that do not exist -> each test's node id, for
        #: the preview to name the renamed tests' goldens the run would keep (no test runs to
        #: miss its golden); on the xdist controller, every worker's
        self.missing_at_collection: dict[str, str] = {}


_SETTINGS = pytest.StashKey[Settings]()
_STATE = pytest.StashKey[_RunState]()
_REPLAY = pytest.StashKey["Replay"]()
_REDACTOR = pytest.StashKey["Redactor"]()  # a recording test's
_SPAN_REDACTOR = pytest.StashKey["Redactor"]()  # another test's, for its own spans
_REPLAY_REDACTION = pytest.StashKey["_ReplayRedaction"]()  # a replaying test's
_MARKER_KEYWORDS = pytest.StashKey[dict[str, Any]]()  # the keywords the marker gives
_MARKS = pytest.StashKey[tuple[int, "_Marker | None"]]()  # see _marker
_OPTIONS = pytest.StashKey[dict[str, Any]]()  # the keywords the item's Replay was made with
_CONFIGURED = pytest.StashKey[bool]()  # the clearstone_config fixture was applied
_CONFIG_REFUSED = pytest.StashKey[bool]()  # ... and its value refused (the test's set-up failed)
_ATTEMPT = pytest.StashKey[Mode]()  # record-diverged: what this attempt of the test does
#: record-diverged: the Replay of the test's replay attempt (its agent's state is given back)
_ATTEMPT_REPLAY = pytest.StashKey["Replay"]()
#: the test's golden holds a class the code changed since: its outcome, diverged, is kept
_CLASS_CHANGED = pytest.StashKey[bool]()
#: the test's recording was refused before the test ran (see _start): the summary says so
_REFUSED_AT_START = pytest.StashKey[bool]()
#: record-diverged: the mock targets the test's replay attempt called (see _check_recorded)
_REPLAYED_TARGETS = pytest.StashKey[tuple[str, ...]]()
#: record-diverged: the settings pytest-timeout timed the test with (see _restart_timeout)
_TIMEOUT_SETTINGS = pytest.StashKey[Any]()
#: the mock targets the recordings of the test's attempts in this run called (an attempt after
#: the first is pytest-rerunfailures' rerun; see _check_recorded)
_RECORDED_BY_ATTEMPTS = pytest.StashKey[tuple[str, ...]]()
_GOLDEN = pytest.StashKey[str]()  # the item's golden path, as found at collection
_SEED = pytest.StashKey[int]()  # the seed of `random` in the test's golden run
_TMP_PATH_ROOT = pytest.StashKey[Callable[[], None]]()  # undoes the test's tmp_path root
#: while a marked test's call runs: how each of its subtests that failed did (see _subtest_report)
_SUBTESTS = pytest.StashKey[list[str]]()
#: a recording whose call returned: its golden, written only if the call's report passed (see
#: _write_if_passed)
_UNSAVED = pytest.StashKey[tuple["Replay", str]]()
#: the trace a test's call left in the trace store (a recording's, or the spans a test opened
#: with clearstone_tracer): the secret values seen in the run are withheld from it when no
#: golden was written from it (see _withhold_from_store)
_STORED_TRACE = pytest.StashKey[str]()
#: a replaying test's network guard, made by its first guarded phase and started again for each
#: (its fixtures' set-up, its call, their teardown)
_GUARD = pytest.StashKey["NetworkGuard"]()

# The tests being set up, run or torn down (a stack: pytester runs sessions inside a test). The
# `replay` fixture finds its test here instead of requesting `request`: pytest builds a new
# fixture definition, inspecting a signature, each time a fixture asks for `request`, which
# cost a golden test more than its whole replay.
_running: list[pytest.Item] = []


# -- options, ini, marker ----------------------------------------------------------------------
def pytest_addhooks(pluginmanager: pytest.PytestPluginManager) -> None:
    from . import hookspecs

    pluginmanager.add_hookspecs(hookspecs)


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("clearstone", "regression replay of AI agents (pytest-clearstone)")
    group.addoption(
        "--clearstone-record",
        action="store_true",
        dest="clearstone_record",
        help="Run tests marked replay live against the real services and write their golden "
        "checkpoints (only for tests that pass)",
    )
    group.addoption(
        "--clearstone-replay",
        action="store_true",
        dest="clearstone_replay",
        help="Replay tests marked replay from their golden checkpoints (the default)",
    )
    group.addoption(
        "--clearstone-mode",
        dest="clearstone_mode",
        metavar="MODE",
        choices=[m.value for m in Mode],
        default=None,
        help="replay (default): replay every marked test from its golden; record: run them live "
        "and write their goldens; record-missing: record only the tests whose golden does not "
        "exist; record-diverged: replay each test, and run again live and re-record those whose "
        "golden is missing or that diverge",
    )
    group.addoption(
        "--clearstone-db",
        dest="clearstone_db",
        metavar="PATH",
        default=None,
        help=f"SQLite trace store for recorded spans and clearstone_tracer (default: "
        f"{DEFAULT_DB} under the rootdir)",
    )
    group.addoption(
        "--clearstone-allow-pickle",
        action="store_true",
        dest="clearstone_allow_pickle",
        help="Allow dill pickles in goldens: record values only pickling can store, and load "
        "goldens holding them (unpickling runs code chosen by whoever wrote the file)",
    )
    group.addoption(
        "--clearstone-prune-unused",
        action="store_true",
        dest="clearstone_prune_unused",
        help="Delete the goldens no collected test uses (listed in the summary); refused unless "
        "the whole suite is collected, without selection and without collection errors",
    )
    group.addoption(
        "--clearstone-fresh",
        action="store_true",
        dest="clearstone_fresh",
        help="Re-record with a new checkpoint id, seeds and clock (a re-record keeps the "
        "previous golden's, so unchanged behaviour rewrites the same values)",
    )
    group.addoption(
        "--clearstone-allow-network",
        action="store_true",
        dest="clearstone_allow_network",
        help="Let replaying tests open network connections (the network guard is off)",
    )
    group.addoption(
        "--clearstone-allow-secrets",
        action="store_true",
        dest="clearstone_allow_secrets",
        help="Record values that look like secrets but match no redaction rule as they are, "
        "instead of failing the recording",
    )
    parser.addini(
        "clearstone_allow_pickle",
        "Allow dill pickles in goldens (recording and loading them); default false",
        type="bool",
        default=False,
    )
    parser.addini(
        "clearstone_allow_hosts",
        "Hosts a replaying test may connect to: names (resolved), IPs, networks, each with an "
        "optional :port (one per line; loopback is not allowed unless listed)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "clearstone_placeholder_env",
        "Environment variables set to a placeholder while a test replays, when unset (one per "
        "line; OPENAI_API_KEY and ANTHROPIC_API_KEY always)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "clearstone_redact_keys",
        "Extra key names whose values are redacted before recording (one per line)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "clearstone_redact_patterns",
        "Extra regular expressions whose matches are redacted before recording (one per line)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "clearstone_redact_allow",
        "Values never redacted: key names, root[...] paths or re:REGEX (one per line)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "clearstone_mock",
        "Default mock targets of @pytest.mark.replay: lines 'TYPE = import.path' (the marker's "
        "mock= and the clearstone_config fixture take precedence)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "clearstone_ignore",
        "Default argument paths left out of matching, for every target (one per line; the "
        "marker's ignore= and the clearstone_config fixture take precedence)",
        type="linelist",
        default=[],
    )
    parser.addini(
        "clearstone_mode",
        "Mode of tests marked replay: replay (default), record, record-missing or record-diverged",
        default="",
    )
    parser.addini(
        "clearstone_db",
        f"SQLite trace store path, relative to the rootdir ({DEFAULT_DB})",
        default="",
    )


def _settings(config: pytest.Config) -> Settings:
    import shlex

    from .golden.mode import mode_given

    mode_option = config.getoption("clearstone_mode")
    given = [  # the mode flags as the options hold them
        *(["--clearstone-record"] if config.getoption("clearstone_record") else []),
        *(["--clearstone-replay"] if config.getoption("clearstone_replay") else []),
        *([f"--clearstone-mode={mode_option}"] if mode_option else []),
    ]
    try:  # each source gives one mode; the later ones pytest reads override the earlier
        cli_mode = mode_given(
            [
                ("on the command line", config.invocation_params.args),
                ("in PYTEST_ADDOPTS", shlex.split(os.environ.get("PYTEST_ADDOPTS") or "")),
                ("in the ini option addopts", config.getini("addopts")),
            ]
        ) or mode_given([("in the options pytest was given", given)])  # (set otherwise)
    except ValueError as exc:
        raise pytest.UsageError(str(exc)) from None
    ini_mode = str(config.getini("clearstone_mode")).strip().lower()
    if ini_mode and ini_mode not in {m.value for m in Mode}:
        raise pytest.UsageError(
            f"ini option clearstone_mode = {ini_mode!r}: must be one of "
            f"{', '.join(m.value for m in Mode)}"
        )
    mode = Mode(cli_mode or ini_mode or Mode.REPLAY)
    if config.getoption("clearstone_fresh") and mode is Mode.REPLAY:
        raise pytest.UsageError(
            "--clearstone-fresh applies only to recording (a golden recorded again gets a new "
            "checkpoint id, seeds and clock), and this run replays: add --clearstone-record, or "
            "--clearstone-mode=record-missing or record-diverged"
        )
    # ~ and $VARIABLES expanded, as pytest expands its cache_dir: no shell expands the ini's
    # value, nor --clearstone-db=~/... (in addopts, PYTEST_ADDOPTS, or after "=")
    cli_db = expanded(config.getoption("clearstone_db") or "")
    ini_db = expanded(str(config.getini("clearstone_db")).strip())
    if cli_db:
        db_path = Path(cli_db) if cli_db == ":memory:" else Path(cli_db).resolve()
    elif ini_db == ":memory:":
        db_path = Path(ini_db)
    else:
        db_path = config.rootpath / (ini_db or DEFAULT_DB)
    explicit = bool(given or cli_db or ini_mode or ini_db)
    patterns = tuple(config.getini("clearstone_redact_patterns"))
    allow = tuple(config.getini("clearstone_redact_allow"))
    for key, line, regex in (
        *(("clearstone_redact_patterns", line, line) for line in patterns),
        *(("clearstone_redact_allow", line, line[3:]) for line in allow if line.startswith("re:")),
    ):
        try:
            re.compile(regex)
        except re.error as exc:
            raise pytest.UsageError(
                f"{key}: {line!r} is not a regular expression ({exc}): correct that line "
                "(escape a character meant literally with \\, as in \\( or \\.)"
            ) from None
    if config.inipath is None or config.inipath.suffix != ".toml":  # (TOML strips comments)
        _refuse_comments(
            config,
            "clearstone_redact_keys",
            "clearstone_ignore",
            "clearstone_allow_hosts",
            "clearstone_placeholder_env",
        )
        _refuse_comments(config, "clearstone_redact_allow", regexes=True)
    try:
        ini_allow_pickle = bool(config.getini("clearstone_allow_pickle"))
    except (ValueError, pytest.UsageError) as exc:  # "invalid truth value 'maybe'": no key
        # (pytest 9 raises a TypeError of a [tool.pytest] value: it takes a TOML boolean only)
        toml = isinstance(exc.__cause__, TypeError)
        fix = (
            "true or false without quotes: a TOML boolean"
            if toml
            else "true or false, yes or no, 1 or 0"
        )
        raise pytest.UsageError(f"clearstone_allow_pickle: {exc} ({fix})") from None
    for name in config.getini("clearstone_placeholder_env"):
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", str(name)):
            raise pytest.UsageError(
                f"clearstone_placeholder_env: {name!r} is not the name of an environment "
                f"variable (one name a line: letters, digits and _, e.g. OPENROUTER_API_KEY)"
            )
    settings = Settings(
        mode=mode,
        db_path=db_path,
        explicit=explicit,
        redact_keys=tuple(config.getini("clearstone_redact_keys")),
        redact_patterns=patterns,
        redact_allow=allow,
        allow_secrets=bool(config.getoption("clearstone_allow_secrets")),
        allow_pickle=bool(config.getoption("clearstone_allow_pickle") or ini_allow_pickle),
        allow_network=bool(config.getoption("clearstone_allow_network")),
        allow_hosts=tuple(config.getini("clearstone_allow_hosts")),
        placeholder_env=tuple(
            dict.fromkeys((*_PLACEHOLDER_ENV, *config.getini("clearstone_placeholder_env")))
        ),
        ini_options=_ini_options(config),
        fresh=bool(config.getoption("clearstone_fresh")),
    )
    if patterns:  # one matching the placeholder: a usage error now, not in every marked test
        try:
            settings.redactor  # noqa: B018  (the rules made now)
        except ValueError as exc:
            raise pytest.UsageError(f"clearstone_redact_patterns: {exc}") from None
    if settings.allow_hosts:  # a bad line: a usage error now, not in every replaying test
        try:
            settings.host_allow_list  # noqa: B018  (parsed now; names resolved when needed)
        except ValueError as exc:
            raise pytest.UsageError(str(exc)) from None
    return settings


def _refuse_comments(config: pytest.Config, *keys: str, regexes: bool = False) -> None:
    """A usage error for a line of an ini file's ``keys`` that ends with a ``# comment``: an
    ini value runs to the end of its line, so the rule would match nothing (a key name left
    unredacted, an ignore path never ignored). A ``#`` inside a quoted key (``["a #b"]``) is
    meant, and with ``regexes`` one in a ``re:`` line (part of the expression)."""
    for key in keys:
        for line in config.getini(key):
            text = str(line)
            if "#" not in text or (regexes and text[:3] == "re:"):
                continue
            from .golden.path_patterns import QUOTED_KEY

            if re.search(r"\s#", re.sub(QUOTED_KEY, "", text)):
                raise pytest.UsageError(f"{key}: {text!r} {_HOLDS_A_COMMENT}")


#: what is wrong with an ini line that ends with a ``# comment``, and the fix
_HOLDS_A_COMMENT = (
    "holds a comment, which an ini file reads as part of the line: put the comment on a line "
    "of its own, above"
)


def _ini_options(config: pytest.Config) -> dict[str, Any]:
    """The marker keyword defaults given in the ini file (a usage error names a bad line)."""
    options: dict[str, Any] = {}
    mock: dict[str, list[str]] = {}
    for line in config.getini("clearstone_mock"):
        span_type, _, path = (part.strip() for part in str(line).partition("="))
        problem = _ini_mock_problem(span_type, path)
        if problem:
            raise pytest.UsageError(f"ini option clearstone_mock: {line!r} {problem}")
        mock.setdefault(span_type, []).append(path)
    if mock:
        options["mock"] = {t: paths[0] if len(paths) == 1 else paths for t, paths in mock.items()}
    ignore = [str(line) for line in config.getini("clearstone_ignore")]
    if ignore:
        from .golden.path_patterns import parse_path

        for path in ignore:
            try:
                parse_path(path)
            except ValueError as exc:
                raise pytest.UsageError(f"ini option clearstone_ignore: {exc}") from None
        options["ignore"] = ignore
    return options


def _ini_mock_problem(span_type: str, path: str) -> str:
    """What is wrong with a ``clearstone_mock`` line read as ``span_type = path`` (``""``:
    nothing): the line's fix, told once, at start."""
    if "#" in path:  # (an ini value runs to the end of its line)
        return _HOLDS_A_COMMENT
    paths = path.replace(",", " ").split()
    if span_type and len(paths) > 1 and all(map(_is_import_path, paths)):
        return (
            f"gives more than one import path: give each target a line of its own "
            f"({span_type} = {paths[0]}, then {span_type} = {paths[1]} on the next line)"
        )
    if not span_type or len(paths) != 1 or "=" in path:
        return "is not 'TYPE = import.path' (e.g. 'llm = app.llm.complete')"
    if path[0] in "'\"" and path[-1] == path[0]:
        return f"is quoted: give the import path without quotes: '{span_type} = {path[1:-1]}'"
    if _is_import_path(span_type) and "." not in path:
        return f"has its type and import path swapped: write '{path} = {span_type}'"
    if not _is_import_path(path):
        return (
            f"is not 'TYPE = import.path': {path!r} is not a dotted import path (names joined "
            f"by dots, e.g. 'llm = app.llm.complete')"
        )
    return ""


def _is_import_path(text: str) -> bool:
    """Whether ``text`` is a dotted import path (``app.llm.complete``)."""
    parts = text.split(".")
    return len(parts) > 1 and all(part.isidentifier() for part in parts)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{_MARKER}: replay the test from the golden checkpoint at path (relative to the test "
        "file; by default goldens/<module stem>/<test name>.ckpt beside it), answering calls "
        "to the mock targets ({span_type: import path or list}) from the recording; record it "
        "with --clearstone-record (a test without mock only reads its golden). strict compares "
        "each call's arguments and order and fails on unused responses; ignore (argument "
        "paths) and ignore_state (paths of the result and final state) are left out of the "
        "comparison.",
    )
    from .verbosity import set_verbosity  # -vv: state deltas show values in full

    config.add_cleanup(set_verbosity(config.get_verbosity()))
    from .commands import name_tests_in_commands

    config.add_cleanup(
        name_tests_in_commands(_from_where_pytest_started(config), _configuration_options(config))
    )
    from .path_roots import PathRoots, use_roots  # paths in goldens are stored relative to these

    def basetemp() -> Any:  # (asked when a path is first stored or read: pytest makes it then)
        # pytest's own factory, read as its tmp_path_factory fixture and pytest-xdist read it
        factory = getattr(config, "_tmp_path_factory", None)
        return None if factory is None else factory.getbasetemp()

    roots = PathRoots(basetemp=basetemp, rootdir=config.rootpath, home=os.path.expanduser("~"))
    config.add_cleanup(use_roots(roots))
    codec = sys.modules.get(_CODEC)  # (not imported by a run that replayed nothing yet)
    if codec is not None:
        codec.forget_previous_session()
    config.stash[_SETTINGS] = _settings(config)
    _refuse_recording_on_each_worker(config)
    config.stash[_STATE] = _RunState(subset=_selection(config))
    if config.getoption("clearstone_prune_unused") and config.stash[_STATE].subset:
        raise pytest.UsageError(
            f"--clearstone-prune-unused needs the whole suite: this run selects a subset "
            f"({config.stash[_STATE].subset}), so goldens of the tests left out would look unused"
        )
    config.pluginmanager.register(_Reporter(config), "clearstone-reporter")
    if config.stash[_SETTINGS].mode is Mode.RECORD_DIVERGED:  # (also pytest-xdist's controller)
        config.pluginmanager.register(_RerunStatus(), "clearstone-rerun-status")


class _RerunStatus:
    """``--clearstone-mode=record-diverged``: a subtest's report of a replay attempt, which the
    test's live run superseded (:func:`_subtest_report`), is shown as a rerun: ``R``, not
    pytest's ``F`` (as pytest-rerunfailures shows its own). Registered where the reports are
    shown, pytest-xdist's controller too, which collects no test."""

    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, Any] | None:
        if report.outcome == _RERUN:
            return _RERUN, "R", ("RERUN", {"yellow": True})
        return None


def _refuse_recording_on_each_worker(config: pytest.Config) -> None:
    """pytest-xdist's ``--dist each`` runs every test on every worker: recording, each would
    write every golden (the last write winning) and the summary would list it once per worker."""
    workers = 0
    for spec in getattr(config.option, "tx", None) or ():  # (-n N gives N "popen"s)
        count, star, _ = str(spec).partition("*")
        workers += int(count) if star and count.isdigit() else 1  # ("2*popen": two)
    if (
        workers > 1
        and getattr(config.option, "dist", "no") == "each"
        and config.stash[_SETTINGS].mode is not Mode.REPLAY
    ):
        raise pytest.UsageError(
            f"--dist each runs every test on each of {workers} workers, so each would record "
            "every golden (the last one written wins): record without --dist each (or with "
            "-n 1); replaying with it is fine"
        )


def _from_where_pytest_started(config: pytest.Config) -> Callable[[str], str]:
    """A node id (relative to the rootdir) as a command names the test, run from the directory
    pytest was started in: as pytest's own summary names it."""
    start, root = config.invocation_params.dir, config.rootpath

    def convert(node_id: str) -> str:
        path, sep, rest = node_id.partition("::")
        state = config.stash.get(_STATE, None)
        file = None if state is None else state.outside_rootdir.get(node_id)
        try:
            path = Path(os.path.relpath(root / path if file is None else file, start)).as_posix()
        except ValueError:  # (another drive than the rootdir's, on Windows)
            return node_id
        return path + sep + rest

    return convert


def _configuration_options(config: pytest.Config) -> str:
    """The options of this run that choose its configuration, as a command repeats them (``-c
    cfg/ci.ini --rootdir=.``; ``""``: none given): the ini file (its ``clearstone_mock``,
    ``clearstone_mode``...), the rootdir, as given, relative to the directory pytest was
    started in, where the command is run, and the ini values given with ``-o``."""
    import shlex  # (a run given them only)

    options = _plugin_options(config.invocation_params.args)
    inifile = getattr(config.option, "inifilename", None)
    if isinstance(inifile, str) and inifile:
        options.append(f"-c {shlex.quote(inifile)}")
    rootdir = getattr(config.option, "rootdir", None)
    if isinstance(rootdir, str) and rootdir:
        options.append(f"--rootdir={shlex.quote(rootdir)}")
    given = _overrides_given(config.invocation_params.args)
    for override in getattr(config.option, "override_ini", None) or ():
        if isinstance(override, str) and override in given:
            options.append(f"-o {shlex.quote(override)}")
    options.extend(_doctest_options(config.invocation_params.args))
    options.extend(_collection_options(config.invocation_params.args))
    return " ".join(options)


def _run_selection(config: pytest.Config) -> str:
    """The tests this run selected, as a command repeats them after its options (``" agents
    -k 'refund or nothing'"``; ``""``: the whole suite): the paths and node ids given on the
    command line (with ``--pyargs``, which reads them), ``-k``/``-m``, and the ``--deselect``
    and ``--ignore`` options given there (:func:`_left_out`). A hint's
    record-missing or record-diverged command without them records every missing or diverged
    golden of the suite, calling the live services for tests this run did not select."""
    import shlex  # (a summary with a hint only)

    parts: list[str] = []
    if config.args_source is pytest.Config.ArgsSource.ARGS:
        if getattr(config.option, "pyargs", False):  # (the arguments are packages' names)
            parts.append("--pyargs")
        parts.extend(shlex.quote(arg) for arg in config.args)
    for flag, dest in (("-k", "keyword"), ("-m", "markexpr")):
        value = getattr(config.option, dest, "")
        if isinstance(value, str) and value:
            parts.append(f"{flag} {shlex.quote(value)}")
    parts += _left_out(config.invocation_params.args)
    return "".join(f" {part}" for part in parts)


#: the options that leave tests out of a run (those of the ini's ``addopts`` apply to a
#: command run again anyway)
_LEAVING_OUT = ("--deselect", "--ignore", "--ignore-glob")


def _left_out(args: Sequence[object]) -> list[str]:
    """The options given on the command line that left tests out of the run (``--deselect
    t.py::test_slow``, ``--ignore=legacy``), as they were given."""
    import shlex

    return [
        f"{name}{'=' if attached else ' '}{shlex.quote(value)}"
        for name, value, attached in _valued_options(args, _LEAVING_OUT)
    ]


def _valued_options(
    args: Sequence[object], names: Sequence[str]
) -> Iterator[tuple[str, str, bool]]:
    """The options of ``names`` in the command line ``args``, each as ``(name, value,
    attached)``: its value given after ``=`` (``attached``) or as the next argument."""
    texts = iter(a for a in args if isinstance(a, str))
    for arg in texts:
        if arg in names:
            yield arg, next(texts, ""), False
        elif arg.partition("=")[0] in names:
            name, _, value = arg.partition("=")
            yield name, value, True


#: the names ``-p`` loads the plugin by: its entry point's, its package's, its module's
_PLUGIN_NAMES = frozenset({"clearstone", "pytest_clearstone", "pytest_clearstone.plugin"})


def _plugin_options(args: Sequence[object]) -> list[str]:
    """The ``-p`` option given on the command line that named the plugin (``-p clearstone``):
    with pytest's plugin auto-loading off it is what loads it, and a command without it fails
    (``unrecognized arguments: --clearstone-record``); those of the ini's ``addopts``,
    ``PYTEST_ADDOPTS`` and ``PYTEST_PLUGINS`` apply to a command run again anyway."""
    texts = iter(a for a in args if isinstance(a, str))
    for arg in texts:
        if arg == "-p":
            name = next(texts, "")
        elif arg.startswith("-p"):
            name = arg[2:]
        else:
            continue
        if name in _PLUGIN_NAMES:
            return [f"-p {name}"]
    return []


def _doctest_options(args: Sequence[object]) -> list[str]:
    """The options given on the command line that collect doctests (``--doctest-modules``,
    ``--doctest-glob=*.md``): a doctest's node id selects nothing in a run without them ("not
    found"), so a command naming a marked doctest repeats them (those of the ini's ``addopts``
    apply to a command run again anyway)."""
    import shlex

    options = ["--doctest-modules"] if "--doctest-modules" in args else []
    options += [
        f"--doctest-glob={shlex.quote(value)}"
        for _, value, _ in _valued_options(args, ("--doctest-glob",))
    ]
    return options


def _collection_options(args: Sequence[object]) -> list[str]:
    """The options given on the command line that choose how test modules are imported and
    which conftests load (``--import-mode=importlib``, ``--confcutdir``, ``--noconftest``): a
    command run without them collects otherwise (test modules of one name in two folders fail
    to import: "import file mismatch"), so a command repeats them, as they were given (those
    of the ini's ``addopts`` apply to a command run again anyway)."""
    import shlex

    options = ["--noconftest"] if "--noconftest" in args else []
    options += [
        f"{name}={shlex.quote(value)}"
        for name, value, _ in _valued_options(args, ("--import-mode", "--confcutdir"))
    ]
    return options


def _overrides_given(args: Sequence[object]) -> set[str]:
    """The ``-o`` values given on the command line (``-o K=V``, ``-oK=V``, ``--override-ini``):
    those of the ini's ``addopts`` and ``PYTEST_ADDOPTS`` (and the ``-o strict_markers=true``
    pytest makes of ``--strict-markers``) apply to a command run again anyway."""
    given: set[str] = set()
    texts = iter(a for a in args if isinstance(a, str))
    for arg in texts:
        if arg in ("-o", "--override-ini"):
            given.add(next(texts, ""))
        elif arg.startswith("--override-ini="):
            given.add(arg.partition("=")[2])
        elif arg.startswith("-o") and not arg.startswith("--"):
            given.add(arg[2:])
    return given


def pytest_report_header(config: pytest.Config) -> str | None:
    settings = config.stash[_SETTINGS]
    if not settings.explicit:
        return None
    return (
        f"clearstone: mode={settings.mode}, store={settings.db_path}, "
        f"seed=derived from each checkpoint id"
    )


def _reruns_asked(config: pytest.Config) -> bool:
    """Whether pytest-rerunfailures is to rerun failing tests (``--reruns``, its ini option,
    ``--force-reruns``; not known here: a test's ``flaky`` marker)."""
    if not config.pluginmanager.has_plugin("rerunfailures"):
        return False
    if config.getoption("reruns", None) or config.getoption("force_reruns", None):
        return True
    try:
        return bool(int(config.getini("reruns") or 0))
    except (TypeError, ValueError):  # (no such ini option, or not a number)
        return False


#: the marker's keywords that the clearstone_config fixture and the ini file give defaults for
_OPTION_KEYWORDS = ("mock", "strict", "ignore", "ignore_state")
_OPTION_DEFAULTS: dict[str, Any] = {"mock": None, "strict": True, "ignore": None,
                                    "ignore_state": None}  # fmt: skip


def _replay_marker(
    path: str | Path | None = None,
    *,
    mock: Any = None,
    strict: bool = True,
    ignore: Any = None,
    ignore_state: Any = None,
) -> str | Path | None:
    """The marker's signature: calling it validates the marker's arguments."""
    return path


class _Marker(NamedTuple):
    """A test's ``replay`` markers, merged (:func:`_marker`)."""

    path: Any  # the golden path given (None: the default one)
    keywords: dict[str, Any]  # the other keywords given, each the closest marker's
    #: per keyword given ("path" too), the node whose marker gives it (its node id is made
    #: when a message names it: a node id is a string built on each look-up)
    given_on: dict[str, Any]
    problem: str  # what is wrong with the markers' arguments ("": nothing)

    def on(self, keyword: str, test: str) -> str:
        """Where the marker that gives ``keyword`` to the test ``test`` (a node id) is, as a
        message names it after the marker: ``""`` (the test's own) or ``" on <node id>"``."""
        node = self.given_on.get(keyword)
        where = test if node is None else node.nodeid
        return "" if where == test else f" on {where}"

    def given_by(self, keyword: str) -> str:
        """The node id of the node whose marker gives ``keyword`` (``""``: none gives it)."""
        node = self.given_on.get(keyword)
        return "" if node is None else str(node.nodeid)


def _marker(item: pytest.Item) -> _Marker | None:
    """The item's ``replay`` markers merged (``None``: it has none): the only reader of them.
    Worked out at collection and kept in the item's stash; again when a marker was added to the
    test since (a conftest's ``pytest_collection_modifyitems`` may, after the plugin's)."""
    count = len(item.own_markers)
    known = item.stash.get(_MARKS, None)
    if known is not None and known[0] == count:
        return known[1]
    marker = _merge_markers(item)
    item.stash[_MARKS] = (count, marker)
    return marker


def _merge_markers(item: pytest.Item) -> _Marker | None:
    """Per keyword the closest marker's, as pytest-recording merges ``vcr`` markers: a
    parameter's (``pytest.param(..., marks=...)``), the test's own, its classes', its module's
    ``pytestmark``. The path is one of the keywords (``None`` given: the default path)."""
    found = list(item.iter_markers_with_node("replay"))
    if not found:
        return None
    classes = [node for node, _ in found if isinstance(node, pytest.Class)] if found[1:] else []
    if len(classes) > len(set(classes)):
        # pytest gives a class the markers of its bases too, the furthest base's first: a
        # subclass's own are closer (stable: the nodes keep their order)
        nodes = list(dict.fromkeys(node for node, _ in found))
        found.sort(key=lambda pair: (nodes.index(pair[0]), _base_depth(*pair)))
    params = getattr(getattr(item, "callspec", None), "marks", None)
    if params:  # pytest lists a test's parameter marks after its decorators': they are closer
        found.sort(key=lambda pair: not any(pair[1] is mark for mark in params))
    merged: dict[str, Any] = {}
    given_on: dict[str, Any] = {}
    for node, mark in reversed(found):
        try:
            path = _replay_marker(*mark.args, **mark.kwargs)
        except TypeError as exc:
            where = "" if node is item else f" on {node.nodeid}"
            problem = str(exc).removeprefix(f"{_replay_marker.__name__}() ")  # (ours: no name)
            return _Marker(None, {}, {}, f"bad @pytest.mark.{_MARKER}{where}: {problem}")
        merged.update(mark.kwargs)
        given_on.update(dict.fromkeys(mark.kwargs, node))
        if mark.args or "path" in mark.kwargs:
            merged["path"] = path
            given_on["path"] = node
    path = merged.pop("path", None)
    marker = _Marker(path, merged, given_on, "")
    if path is not None and (not isinstance(path, (str, Path)) or not str(path)):
        where = marker.on("path", item.nodeid)
        problem = f"@pytest.mark.replay path{where} must be a file path, not {path!r}"
        return _Marker(None, {}, {}, problem)
    if path is not None and _names_a_directory(str(path)):
        where = marker.on("path", item.nodeid)
        problem = (
            f"@pytest.mark.replay path{where} must be a file path, not {str(path)!r} (it names a "
            "directory): give the path of the golden's file (goldens/NAME.ckpt), or leave the "
            "path out for one golden per test"
        )
        return _Marker(None, {}, {}, problem)
    if path is not None:
        why = unnameable(str(path))
        if why:
            where = marker.on("path", item.nodeid)
            problem = (
                f"@pytest.mark.replay path{where} {str(path)!r} cannot be a file name here: {why}"
            )
            return _Marker(None, {}, {}, problem)
    return marker


def _names_a_directory(path: str) -> bool:
    """Whether the marker's ``path`` names a directory by its form (``goldens/``, ``.``,
    ``..``): a recording would write a file in the place of that directory (or fail at the
    test's own), a replay would find a directory."""
    return path in (".", "..") or path.endswith(_DIRECTORY_ENDINGS)


#: the endings of a path that names a directory by its form (one C call per marked test)
_DIRECTORY_ENDINGS = tuple({f"{sep}{end}" for sep in ("/", os.sep) for end in ("", ".", "..")})


def _base_depth(node: Any, mark: pytest.Mark) -> int:
    """How far up the class of ``node`` (a :class:`pytest.Class`; else ``0``) the class
    whose own ``pytestmark`` holds ``mark`` is (``0``: the class itself, or a marker added to
    the node)."""
    cls = getattr(node, "obj", None) if isinstance(node, pytest.Class) else None
    for depth, klass in enumerate(getattr(cls, "__mro__", ())):
        marks = klass.__dict__.get("pytestmark", [])
        if any(
            getattr(m, "mark", m) is mark for m in (marks if isinstance(marks, list) else [marks])
        ):
            return depth
    return 0


def _marker_args(item: pytest.Item) -> tuple[Path, dict[str, Any]] | None:
    """The golden path and the keywords the item's markers give."""
    marker = _marker(item)
    if marker is None:
        return None
    if marker.problem:
        pytest.fail(f"{item.nodeid}: {marker.problem}", pytrace=False)
    golden = item.stash.get(_GOLDEN, None)
    return Path(golden or _golden_path(item, marker.path)), dict(marker.keywords)


#: the keys of vcrpy's configuration (pytest-recording's ``vcr_config``) a project moving from
#: it may give the clearstone_config fixture, and where the plugin takes what they say instead
_REDACTION = "the ini option clearstone_redact_keys (clearstone_redact_patterns for a pattern)"
_VCR_KEYS = {
    "record_mode": "the option --clearstone-mode (ini clearstone_mode; --clearstone-record "
    "records)",
    "filter_headers": _REDACTION,
    "filter_query_parameters": _REDACTION,
    "filter_post_data_parameters": _REDACTION,
    "before_record_request": _REDACTION,
    "before_record_response": _REDACTION,
    "match_on": "the ignore= key (what a call's arguments are not compared by)",
    "ignore_hosts": "the ini option clearstone_allow_hosts",
    "ignore_localhost": "the ini option clearstone_allow_hosts",
}


def _vcr_keys_note(keys: list[str]) -> str:
    """(The clearstone_config fixture returned the unknown ``keys``.) Where the plugin takes
    what those of vcrpy's configuration say (``""``: none is)."""
    told = [f"{key} {where}" for key, where in _VCR_KEYS.items() if key in keys]
    if not told:
        return ""
    told[0] = told[0].replace(" ", " is ", 1)
    return f". These are vcrpy's (pytest-recording's vcr_config): {', '.join(told)}"


def _golden_options(item: pytest.Item, marker: dict[str, Any], fixture: Any) -> dict[str, Any]:
    """The keywords of the item's golden run: per keyword, the marker's, else the
    ``clearstone_config`` fixture's value ``fixture`` (``{}`` before it is known), else the ini
    file's, else the default (whole values, no merging)."""
    if not isinstance(fixture, dict) or not set(fixture) <= set(_OPTION_KEYWORDS):
        bad = sorted(set(fixture) - set(_OPTION_KEYWORDS)) if isinstance(fixture, dict) else []
        what = (
            f"unknown keys {bad}"
            if bad
            else "None (is its return statement missing?)"
            if fixture is None
            else f"a {type(fixture).__name__}"
        )
        pytest.fail(
            f"{item.nodeid}: the clearstone_config fixture must return a dict with keys from "
            f"{list(_OPTION_KEYWORDS)}; it returned {what}{_vcr_keys_note(bad)}",
            pytrace=False,
        )
    ini = item.config.stash[_SETTINGS].ini_options
    options = {}
    for keyword in _OPTION_KEYWORDS:
        for level in (marker, fixture, ini):
            if keyword in level:
                options[keyword] = level[keyword]
                break
        else:
            options[keyword] = _OPTION_DEFAULTS[keyword]
    strict = options["strict"]
    if not isinstance(strict, int):  # (a bool is one; a string such as "false" is not false)
        pytest.fail(
            f"{item.nodeid}: strict= in {_given_by(item, 'strict', strict)} must be True or "
            f"False, not {strict!r}",
            pytrace=False,
        )
    options["strict"] = bool(strict)
    return options


def _given_by(item: pytest.Item, keyword: str, value: Any) -> str:
    """Which level gave the item's golden run ``value`` for ``keyword``, as a message names
    it: per :func:`_golden_options` (a class's or module's marker with its node id)."""
    marker = _marker(item)
    if marker is not None and keyword in marker.keywords:
        return "@pytest.mark.replay" + marker.on(keyword, item.nodeid)
    ini = item.config.stash[_SETTINGS].ini_options
    if ini.get(keyword) is value is not None:
        return f"the ini option clearstone_{keyword}"
    return "the clearstone_config fixture"


def _not_by_marker(item: pytest.Item, options: dict[str, Any]) -> dict[str, str]:
    """Where the item's mock targets and ignore paths come from when the ini option or the
    ``clearstone_config`` fixture gives them (:func:`_given_by`), as the fixes in messages name
    them (a target to mock again, paths to add to ``ignore=``); a marker's, the messages'
    default, and none given are left out."""
    marker = _marker(item)
    by_marker = () if marker is None else marker.keywords
    places = {}
    for keyword in ("mock", "ignore"):
        value = options[keyword]
        # (none given: no target to mock again, nor paths a marker's ignore= replaces)
        if value and keyword not in by_marker:
            places[keyword] = _given_by(item, keyword, value)
    return places


def _golden_path(item: pytest.Item, marker_path: str | Path | None) -> str:
    """The absolute path of the item's golden (the marker's, or the default from its node)."""
    names: list[str] = []
    if marker_path is None:  # the node names below the file: classes, then the test
        for node in reversed(item.listchain()):
            # (a module, or a file a conftest collects: the nodes above it name directories,
            # the checkout's own among them)
            if isinstance(node, pytest.File):
                break
            names.insert(0, node.name if node is not item else _test_name(item))
    return golden_path(str(item.path), marker_path, names)


#: pytest-repeat's parameter (``--count N``, ``@pytest.mark.repeat(N)``): its id (``2-5``,
#: repetition 2 of 5, the last of the test's ids) is no part of the default golden path
_REPEAT_PARAM = "__pytest_repeat_step_number"

#: why a recording run skips a test's repetitions after the first
_RECORDED_ONCE = (
    "recorded once, by the first repetition (pytest-repeat --count); a run that replays repeats it"
)
#: why a recording run skips a test collected again, under the same node id
_COLLECTED_AGAIN = (
    "recorded once, by the test's first collection (it is collected more than once: pytest "
    "--keep-duplicates); a run that replays runs each"
)


def _repetition(item: pytest.Item) -> int | None:
    """Which repetition of its test the item is under pytest-repeat (``0``: the first), or
    ``None``."""
    callspec = getattr(item, "callspec", None)
    step = None if callspec is None else callspec.params.get(_REPEAT_PARAM)
    return step if isinstance(step, int) else None


def _test_name(item: pytest.Item) -> str:
    """The item's name in its default golden path: :func:`_unrepeated_name`, with its
    parameter ids as pytest escapes them by default (:func:`_escaped_ids`)."""
    return _escaped_ids(_unrepeated_name(item))


def _unrepeated_name(item: pytest.Item) -> str:
    """The item's name without pytest-repeat's repetition, so that each repetition replays the
    test's own golden (``test_x[en-2-5]``: ``test_x[en]``)."""
    step = _repetition(item)
    if step is None:
        return item.name
    name, _, ids = item.name.partition("[")  # (a function's name holds no "[")
    ids = re.sub(rf"(^|-){step + 1}-\d+$", "", ids[:-1])
    return f"{name}[{ids}]" if ids else name


def _escaped_ids(name: str) -> str:
    """``name`` with the characters of its parameter ids that are not printable ASCII escaped
    as pytest escapes them by default (``test_x[東京]``: ``test_x[\\u6771\\u4eac]``), also when
    the ini's ``disable_test_id_escaping_and_forfeit_all_rights_to_community_support`` shows
    them as they are: a golden's default path does not depend on that option, and ids in
    another script stay distinct in it (a file name keeps ASCII only)."""
    if name.isascii() and name.isprintable():  # (the usual name, and every name pytest escaped)
        return name
    test, bracket, ids = name.partition("[")
    escaped = (
        c if c.isascii() and c.isprintable() else c.encode("unicode_escape").decode() for c in ids
    )
    return test + bracket + "".join(escaped)


def _test_id(item: pytest.Item) -> str:
    """The item's node id in its golden (the test it records, the test its messages tell to
    re-record): without pytest-repeat's repetition nor pytest-xdist's group, which a
    re-recording would otherwise list as a change (and which no command line selects)."""
    node_id = item.nodeid
    if getattr(item.config.option, "loadgroup", False):  # an xdist worker of --dist loadgroup
        node_id = _without_xdist_group(item, node_id)
    if _repetition(item) is None:
        return node_id
    return node_id[: -len(item.name)] + _unrepeated_name(item)


def _without_xdist_group(item: pytest.Item, node_id: str) -> str:
    """``node_id`` without the ``@<group>`` pytest-xdist's ``--dist loadgroup`` adds to the
    node id of a test marked ``xdist_group`` on its worker (with pytest < 9.2)."""
    names = {
        str(mark.args[0] if mark.args else mark.kwargs.get("name", "default"))
        for mark in item.iter_markers("xdist_group")
    }
    suffix = "@" + "_".join(sorted(names))
    return node_id[: -len(suffix)] if names and node_id.endswith(suffix) else node_id


# -- the trace store ---------------------------------------------------------------------------
def _tracer(config: pytest.Config) -> Tracer:
    state = config.stash[_STATE]
    if state.provider is None:
        from .tracing import TracerProvider

        db_path = config.stash[_SETTINGS].db_path
        make_own_directory(db_path, config.rootpath)
        state.provider = TracerProvider(str(db_path))
        # (`=`: pytest chooses the rootdir before it knows the option, so a value apart from
        # it naming a file that exists, as the store does after a first run, is a test path)
        state.provider.trace_store.elsewhere = "--clearstone-db=PATH or ini clearstone_db"
    from . import __version__

    return state.provider.get_tracer("pytest-clearstone", __version__)


class _ReplayRedaction:
    """A replaying test's redaction rules, applied to its actual values so that they compare
    with a golden recorded with something redacted, and made on first use: a golden in which
    nothing was redacted turns them off before the test runs (:func:`_start`), so replaying it
    neither makes them nor imports :mod:`pytest_clearstone.redaction`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.active = True

    @functools.cached_property
    def rules(self) -> Redactor:
        rules = self.settings.redactor.fresh()
        rules.check_secrets = False  # secrets are only looked for when recording
        rules.keeps_placeholder_key = True  # (matched with what was recorded: stands_for)
        return rules

    def __call__(self, value: Any, where: str = "", target: str = "") -> Any:
        return self.rules(value, where, target) if self.active else value

    def shown(self, value: Any, where: str = "", target: str = "") -> Any:
        """How a failure message shows ``value``: by the rules, in effect or not."""
        return self.rules.shown(value)

    def matcher(self, inner: Matcher | None) -> Matcher:
        """:meth:`Redactor.matcher <pytest_clearstone.redaction.Redactor.matcher>` while
        active (made once, on the first call it answers), else ``inner`` alone."""
        return _RedactingMatcher(self, inner)


class _RedactingMatcher:
    """The matcher of a replaying test's redaction (:meth:`_ReplayRedaction.matcher`): off
    (``active`` false, so a replay leaves it out) when the redaction is off and no
    ``pytest_clearstone_match_call`` hook is ``inner``."""

    def __init__(self, redaction: _ReplayRedaction, inner: Matcher | None) -> None:
        self.redaction = redaction
        self.inner = inner
        self._redacting: Matcher | None = None

    @property
    def active(self) -> bool:
        return self.redaction.active or self.inner is not None

    def __call__(self, target: str, call_number: int, recorded: Any, actual: Any) -> bool | None:
        if not self.redaction.active:
            inner = self.inner
            return None if inner is None else inner(target, call_number, recorded, actual)
        if self._redacting is None:
            # (the replay's transform redacted the actual arguments by these rules already)
            self._redacting = self.redaction.rules.matcher(self.inner, redacted=True)
        return self._redacting(target, call_number, recorded, actual)


def _hooks(item: pytest.Item, name: str) -> Any:
    """The hook ``name`` as ``item`` sees it: the plugins' and the conftests of its directory
    and those above it (as pytest calls a test's ``pytest_runtest_*`` hooks), not those of other
    directories the run loaded; ``None`` when nothing implements it (looked up per test only
    then)."""
    if not getattr(item.config.hook, name).get_hookimpls():
        return None
    hook = getattr(item.ihook, name)
    return hook if hook.get_hookimpls() else None


def _transform(item: pytest.Item, redactor: Callable[[Any, str, str], Any]) -> Any:
    """The conftest's ``pytest_clearstone_redact`` hook, then the redaction rules."""
    return _transforms(item, redactor)[0]


def _transforms(item: pytest.Item, *redactors: Callable[[Any, str, str], Any]) -> list[Any]:
    """:func:`_transform` of each of ``redactors``, the hook looked up once."""
    hook = _hooks(item, "pytest_clearstone_redact")
    if hook is None:
        return list(redactors)
    config = item.config
    return [functools.partial(_hook_then, hook, config, redactor) for redactor in redactors]


def _hook_then(
    hook: Any,
    config: pytest.Config,
    redactor: Callable[[Any, str, str], Any],
    value: Any,
    where: str,
    target: str,
) -> Any:
    """``value`` through the ``pytest_clearstone_redact`` hook, then ``redactor``."""
    result = hook(value=value, where=where, target=target, config=config)
    return redactor(value if result is None else result, where, target)


def _hooks_matcher(item: pytest.Item) -> Any:
    hook = _hooks(item, "pytest_clearstone_match_call")
    if hook is None:
        return None
    config = item.config

    def matcher(target: str, call_number: int, recorded: Any, actual: Any) -> bool | None:
        result = hook(
            target=target, call_number=call_number, recorded=recorded, actual=actual, config=config
        )
        return None if result is None else bool(result)

    return matcher


# -- per-test lifecycle ------------------------------------------------------------------------
def _runtest_setup(item: pytest.Item) -> None:
    args = _marker_args(item)
    if args is None:
        return
    path, marker = args
    if isinstance(item, TestCaseFunction):
        _check_test_case_parameters(item)
    item.stash[_MARKER_KEYWORDS] = marker
    _build_replay(item, path, _golden_options(item, marker, {}))
    _guard_fixtures(item, "set-up")


#: the plugin's fixtures a test may ask for
_FIXTURES = frozenset({"replay", "checkpoint", "clearstone_tracer", "clearstone_config"})


def _check_test_case_parameters(item: pytest.Item) -> None:
    """Fail the set-up of a marked ``unittest.TestCase`` method that names one of the plugin's
    fixtures as a parameter: pytest passes a TestCase method no fixtures (it failed with
    Python's ``TypeError`` when recording, and replaying with a missing golden whose record
    command failed that way), so say how the method reaches it."""
    code = getattr(getattr(item, "obj", None), "__code__", None)
    if code is None:
        return
    parameters = code.co_varnames[1 : code.co_argcount + code.co_kwonlyargcount]  # (not self)
    name = next((name for name in parameters if name in _FIXTURES), None)
    if name is None:
        return
    pytest.fail(
        f"{item.nodeid}: a unittest.TestCase method is passed no fixtures, so its parameter "
        f"{name} gets none (pytest calls it as unittest does, with self only). Give the class "
        f"an autouse fixture that keeps it on the test case, and use self.{name} in the "
        f"method:\n    @pytest.fixture(autouse=True)\n    def _{name}(self, {name}):\n"
        f"        self.{name} = {name}",
        pytrace=False,
    )


def _runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    """The test's teardown: a replaying test's fixtures are finalised under the network guard,
    as they were set up."""
    __tracebackhide__ = True
    _guard_fixtures(item, "teardown")
    try:
        yield from _fixtures_guarded(item)
    finally:
        if _GUARD in item.stash:  # (it holds the threads that ran when its last phase began)
            del item.stash[_GUARD]


def _guard_fixtures(item: pytest.Item, phase: str) -> None:
    """Start the network guard around a replaying test's fixtures (``phase``: their
    ``"set-up"`` or ``"teardown"``; :func:`_fixtures_guarded` stops it): their calls are
    neither recorded nor replayed, so a connection they open would be made on every replay.
    A session or module fixture is set up by the first test that needs it and finalised in the
    teardown of the last test of its scope, whichever fixtures that test uses: guarded when
    that test replays and uses it (:func:`_finalising_others`)."""
    replay = item.stash.get(_REPLAY, None)
    if replay is None or replay.recording:
        return
    if item.stash[_OPTIONS]["mock"] is None and item.config.stash[_SETTINGS].mode is not (
        Mode.REPLAY
    ):
        return  # (the clearstone_config fixture may yet give it mock targets, and so record it)
    guard = _network_guard(item, phase)
    if guard is not None:
        guard.start()


def _fixtures_guarded(item: pytest.Item) -> Generator[None, None, None]:
    """Around the fixtures' set-up or teardown (the hook's ``yield``): then stop the guard
    :func:`_guard_fixtures` started, failing for a connection it blocked that the fixture
    swallowed (with what the fixture then raised, if anything, as its context)."""
    __tracebackhide__ = True
    try:
        yield
    except BaseException as exc:
        _stop_fixture_guard(item, exc)
        raise
    _stop_fixture_guard(item, None)


def _stop_fixture_guard(item: pytest.Item, failure: BaseException | None) -> None:
    __tracebackhide__ = True
    guard = item.stash.get(_GUARD, None)
    if guard is None or not guard.active:
        return
    guard.stop()
    if failure is not None:
        from .errors import NetworkBlockedError

        if isinstance(failure, NetworkBlockedError):
            return  # (the guard's own error, raised as it is)
    _check_network(item, guard)


def _fixtures_at_work(phase: str) -> Callable[[], str]:
    """What a guard around a test's fixtures says was running when it blocked a connection:
    ``"the set-up of fixture 'index' (session scope)"``, the innermost fixture on the
    connecting thread's stack (see :func:`_fixture_at_work`). Looked up only when a connection
    is blocked."""

    def during() -> str:
        request = _fixture_at_work()
        if request is None:
            return f"the {phase} of its fixtures"
        return f"the {phase} of fixture {request.fixturename!r} ({request.scope} scope)"

    return during


def _fixture_at_work() -> pytest.FixtureRequest | None:
    """The request of the innermost fixture on the calling thread's stack: the ``request``
    pytest sets it up or finalises it with, or its own ``request`` argument."""
    frame: Any = sys._getframe(1)
    while frame is not None:
        request = frame.f_locals.get("request")
        if isinstance(request, pytest.FixtureRequest) and request.fixturename:
            return request
        frame = frame.f_back
    return None


def _finalising_others(item: pytest.Item) -> bool:
    """Whether a connection in a replaying test's teardown comes from a session, package,
    module or class fixture the test does not use: pytest finalises such a fixture in the
    teardown of the last test of its scope, whichever fixtures that test uses, and its calls are
    those of the tests that used it, not this replay's (the guard lets them through)."""
    request = _fixture_at_work()
    return (
        request is not None
        and request.scope != "function"
        and request.fixturename not in getattr(item, "fixturenames", ())
    )


#: what each guarded phase of a test's fixtures says was running (see :func:`_fixtures_at_work`)
_FIXTURES_AT_WORK = {phase: _fixtures_at_work(phase) for phase in ("set-up", "teardown")}


def _build_replay(item: pytest.Item, path: Path, options: dict[str, Any]) -> None:
    """Make the item's :class:`Replay` for the keywords ``options`` (replacing one made before
    the ``clearstone_config`` fixture was known)."""
    config = item.config
    settings = config.stash[_SETTINGS]
    mock = options["mock"]
    writes = mock is not None  # (mock={} mocks nothing and records; no mock= only reads)
    action = item.stash.get(_ATTEMPT, None) if writes else None
    if action is None:
        action = attempt_action(
            settings.mode,
            golden_exists=settings.mode in _REPLAY_FIRST and os.path.isfile(path),
            writes=writes,
        )
    redactor = _ReplayRedaction(settings) if action is Mode.REPLAY else settings.redactor.fresh()
    problem, keyword = "", ""
    transform, shown = _transforms(item, redactor, redactor.shown)
    try:
        replay = settings.replay_class(
            path,
            mock,
            mode=action,
            strict=options["strict"],
            node_id=_test_id(item),
            tracer=_tracer(config) if action is Mode.RECORD else None,
            matcher=redactor.matcher(_hooks_matcher(item)),
            transform=transform,
            shown=shown,
            allow_pickle=settings.allow_pickle,
            ignore=options["ignore"],
            ignore_state=options["ignore_state"],
            fresh=settings.fresh,
            given_by=_not_by_marker(item, options),
            note_secrets=None if isinstance(redactor, _ReplayRedaction) else redactor.note_secrets,
        )
    except (TypeError, AttributeError) as exc:  # mock= (normalize_mock_config)
        from .errors import MockTargetError  # (its type and path swapped: {"app.f": "llm"})

        if isinstance(exc, AttributeError) and not isinstance(exc, MockTargetError):
            raise
        problem, keyword = str(exc), "mock"
    except ValueError as exc:  # an ignore= or ignore_state= path (golden/ignore.py)
        from .golden.ignore import IgnoreConfig, ignore_state_paths  # (ignore= is read first)

        problem, keyword = str(exc), ""
        try:
            IgnoreConfig(options["ignore"])
        except ValueError:
            keyword = "ignore"
        if not keyword:
            try:
                ignore_state_paths(options["ignore_state"])
            except ValueError:
                keyword = "ignore_state"
        if not keyword:  # (neither keyword's: not told as theirs)
            raise
    if problem:
        where = _given_by(item, keyword, options[keyword])
        pytest.fail(f"{item.nodeid}: bad {keyword}= in {where}: {problem}", pytrace=False)
    if isinstance(redactor, _ReplayRedaction):
        item.stash[_REPLAY_REDACTION] = redactor
    else:
        item.stash[_REDACTOR] = redactor
    item.stash[_REPLAY] = replay
    if action is Mode.REPLAY and item.stash.get(_ATTEMPT, None) is Mode.REPLAY:
        replay.attempt()
        item.stash[_ATTEMPT_REPLAY] = replay
    elif action is Mode.REPLAY and config.option.usepdb:  # (the attempt never opens --pdb)
        replay.keep_agent_frames()
    item.stash[_OPTIONS] = options
    state = config.stash[_STATE]
    if action is Mode.REPLAY:
        _set_placeholder_keys(state, settings.placeholder_env)
    else:
        _unset_placeholder_keys(state)


def _use_tmp_path(item: pytest.Item, request: pytest.FixtureRequest | None = None) -> None:
    """While a marked test that uses ``tmp_path`` runs, paths under it are stored relative to it
    (its name's number differs per run and per xdist worker). Made before the golden is read:
    just before the ``replay`` fixture is set up (``request``: see
    :func:`pytest_fixture_setup`), before a fixture can read the golden, else when the test's
    call starts. A test that does not use ``tmp_path`` never gets one."""
    if "tmp_path" not in getattr(item, "fixturenames", ()) or _TMP_PATH_ROOT in item.stash:
        return
    funcargs = getattr(item, "funcargs", {})
    if "tmp_path" in funcargs:
        tmp_path = funcargs["tmp_path"]
    elif request is not None:
        tmp_path = request.getfixturevalue("tmp_path")  # (made now rather than after replay's)
    else:
        return
    from .path_roots import use_tmp_path

    item.stash[_TMP_PATH_ROOT] = use_tmp_path(tmp_path)


#: the modes in which a test whose golden exists replays first
_REPLAY_FIRST = (Mode.RECORD_MISSING, Mode.RECORD_DIVERGED)

#: clearstone outcomes of a replay attempt after which record-diverged records the test again
_RERECORD_AFTER = frozenset({"diverged", "missing"})


def _runtest_protocol_record_diverged(item: pytest.Item, nextitem: pytest.Item | None) -> bool:
    """``--clearstone-mode=record-diverged``: the test replays first (never opening ``--pdb``,
    its reports held back); when its golden is missing or it diverged it runs again from
    scratch — fresh function fixtures, as pytest-rerunfailures does — live, and is re-recorded
    (if that run fails, the old golden stays). Fixtures of a wider scope are kept for the live
    run (:class:`_AfterReplayAttempt`), and an agent one made is given back the state it held
    before the attempt loaded the golden's."""
    from _pytest.runner import runtestprotocol  # as pytest-rerunfailures: no public door

    item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    args = _marker_args(item)
    if args is not None and not os.path.isfile(args[0]):  # nothing to replay: record it
        item.stash[_ATTEMPT] = Mode.RECORD
        runtestprotocol(item, nextitem=nextitem, log=True)
        del item.stash[_ATTEMPT]
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True
    item.stash[_ATTEMPT] = Mode.REPLAY
    pdb = item.config.pluginmanager.get_plugin("pdbinvoke")
    if pdb is not None:
        item.config.pluginmanager.unregister(pdb)
    after = _AfterReplayAttempt(item, nextitem)
    try:
        reports = runtestprotocol(item, nextitem=cast(pytest.Item, after), log=False)
    finally:
        if pdb is not None:
            item.config.pluginmanager.register(pdb, "pdbinvoke")
    outcomes = {str(v) for r in reports for k, v in r.user_properties if k == "clearstone"}
    attempt = item.stash.get(_ATTEMPT_REPLAY, None)
    if attempt is not None:
        del item.stash[_ATTEMPT_REPLAY]  # (not kept for the session: it holds the golden)
    # (a test whose subtest diverged passed its call: pytest fails it after; an xfail test
    # that diverged failed as its mark expects, and is left as it is; a test that only reads
    # its golden never records it)
    if (
        outcomes & _RERECORD_AFTER
        and not any(hasattr(r, "wasxfail") for r in reports)
        and not any(_reads_only(r) for r in reports)
    ):
        item.stash[_ATTEMPT] = Mode.RECORD
        if attempt is not None:  # (an agent of a wider-scoped fixture outlived the attempt)
            attempt.give_back_found_state()
        item.user_properties.append(("clearstone-rerecorded", sorted(outcomes)[0]))
        _restart_timeout(item)
        runtestprotocol(item, nextitem=nextitem, log=True)
    else:
        if after.kept:  # kept for a live run that is not made: torn down as pytest would,
            # an error there being the test's teardown error (as pytest-rerunfailures)
            teardown = pytest.CallInfo.from_call(
                lambda: item.session._setupstate.teardown_exact(nextitem), "teardown"
            )
            if teardown.excinfo is not None:  # (the attempt's own teardown report is last)
                reports[-1] = item.ihook.pytest_runtest_makereport(item=item, call=teardown)
        for report in reports:
            item.ihook.pytest_runtest_logreport(report=report)
    del item.stash[_ATTEMPT]
    for key in (_REPLAYED_TARGETS, _TIMEOUT_SETTINGS, _CLASS_CHANGED):
        if key in item.stash:
            del item.stash[key]
    item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


class _AfterReplayAttempt:
    """The next item record-diverged's replay attempt tears its test down for. When the test
    is to run again live (its golden missing, or it diverged), the chain of the test's parent:
    only the test's own fixtures are torn down, and those of a wider scope, made once, are the
    live run's too, as when the tests are recorded (the next item's chain would tear the whole
    module down after its last test, and the live run would get new ones). Else the next
    item's. pytest's teardown asks only for :meth:`listchain`; another plugin's teardown hook
    reading the next test (its name, its class) reads the test itself when it runs again, else
    the next one."""

    def __init__(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        self.item = item
        self.nextitem = nextitem
        #: whether the teardown kept the fixtures of a wider scope for a live run
        self.kept = False

    def _runs_again(self) -> bool:
        outcome = next((v for k, v in self.item.user_properties if k == "clearstone"), None)
        return outcome in _RERECORD_AFTER

    def listchain(self) -> list[Any]:
        if self._runs_again():
            self.kept = True
            return self.item.listchain()[:-1]
        return [] if self.nextitem is None else self.nextitem.listchain()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.item if self._runs_again() else self.nextitem, name)


def _restart_timeout(item: pytest.Item) -> None:
    """pytest-timeout: start its timer of the whole test again for record-diverged's live run.
    The replay attempt's failure stopped it (pytest-timeout stops the timer when pytest reports
    an exception, for pdb), so a live call that hangs would hang the run. Not with
    ``--timeout-func-only``, which times each run's call of its own."""
    settings = item.stash.get(_TIMEOUT_SETTINGS, None)
    if settings is None or getattr(settings, "func_only", True) is not False:
        return
    hook: Any = item.config.hook
    hook.pytest_timeout_cancel_timer(item=item)
    hook.pytest_timeout_set_timer(item=item, settings=settings)


def _apply_config_fixture(item: pytest.Item, value: Any) -> None:
    """Give the item's golden run the ``clearstone_config`` fixture's defaults (once, before
    the test runs): its Replay is made again when they change a keyword."""
    marker = item.stash.get(_MARKER_KEYWORDS, None)
    replay = item.stash.get(_REPLAY, None)
    if marker is None or replay is None or item.stash.get(_CONFIGURED, False):
        return
    item.stash[_CONFIGURED] = True
    if type(value) is _DefaultConfig:  # the plugin's fixture: parametrized indirectly?
        params = getattr(getattr(item, "callspec", None), "params", {})
        if "clearstone_config" not in params:
            return  # the plugin's default: the options made at set-up are these
        value = params["clearstone_config"]
    elif type(value) is dict and not value:
        return  # an empty dict: the options made at set-up are these
    try:
        options = _golden_options(item, marker, value)
        changed = options != item.stash[_OPTIONS]
        if changed:
            _build_replay(item, replay.path, options)
    except pytest.fail.Exception:
        # (the failure names the fixture: the summary does not take the test for one without
        # mock=, nor its golden for missing, as the Replay made at set-up without it has them)
        item.stash[_CONFIG_REFUSED] = True
        raise
    if changed and "mock" not in marker and options["mock"] is not None:
        _check_fixture_writer(item)


def _check_fixture_writer(item: pytest.Item) -> None:
    """Fail the set-up of a test given mock= by the ``clearstone_config`` fixture that would
    record a golden another test of the run records: one also given mock= by the fixture (the
    first keeps its recording), or one whose marker gives it (collection, which cannot know a
    fixture's value, let them both through: :func:`_report_shared_goldens`; that test records,
    before or after this one)."""
    replay = item.stash[_REPLAY]
    if not replay.recording or item.config.stash[_SETTINGS].ini_options.get("mock") is not None:
        return  # (with the ini's mock=, collection told the clash already)
    if _repetition(item):  # pytest-repeat's 2nd, 3rd...: recorded once, as collection does
        pytest.skip(_RECORDED_ONCE)
    writers = item.config.stash[_STATE].golden_writers
    path = str(replay.path)
    first, golden = writers.setdefault(_written_as(path, {}), (item, path))
    if first.nodeid != item.nodeid:
        markers = [_marker(first), _marker(item)]
        first_marker = markers[0]
        if first_marker is not None and "mock" in first_marker.keywords:
            given = f"gives {item.nodeid} mock=, its marker {first.nodeid}"
        else:
            given = "gives them mock="
        if all(marker is not None and marker.path is None for marker in markers):
            fix = _default_paths_fix([_path_parts(first), _path_parts(item)])  # (path out: no fix)
        else:
            fix = (
                "give each test its own path (or leave the path out: one golden per test, one "
                "per parameter of the fixture), or give mock=None to the tests that only read it"
            )
        pytest.fail(
            f"{first.nodeid} and {item.nodeid} would both record the golden {golden} (the "
            f"clearstone_config fixture {given}): {fix}",
            pytrace=False,
        )


def _unset_placeholder_keys(state: _RunState) -> None:
    """Remove the placeholders the plugin set, giving back an empty value as it was (a key the
    test set meanwhile stays)."""
    if not state.placeholders:  # (a run that replayed nothing does not import the codec)
        return
    from .codec import PLACEHOLDER_KEY

    for name, before in state.placeholders.items():
        if os.environ.get(name) != PLACEHOLDER_KEY:
            continue
        if before is None:
            del os.environ[name]
        else:
            os.environ[name] = before
    state.placeholders.clear()


def _set_placeholder_keys(state: _RunState, names: tuple[str, ...]) -> None:
    """Provider keys that are unset get a placeholder while tests replay (their set-up
    included), so an agent that builds its SDK client in ``__init__`` or a fixture replays in
    CI with no key: its calls are answered from the golden. They stay set from one replaying
    test to the next (setting the environment costs a system call per name), and are removed
    before any other test and at the end of the session. A key whose SDK finds another
    credential without it (an anthropic profile) gets none: it would come first."""
    unset = [name for name in names if not os.environ.get(name)]
    if not unset:  # (set by the previous replaying test, usually)
        return
    if state.other_credentials is None:  # (once a run: it may look at files)
        from .golden.provider_credentials import with_other_credentials

        state.other_credentials = with_other_credentials(names, os.environ)
    if state.other_credentials:
        unset = [name for name in unset if name not in state.other_credentials]
        if not unset:
            return
    from .codec import PLACEHOLDER_KEY

    for name in unset:
        state.placeholders.setdefault(name, os.environ.get(name))
    os.environ.update(dict.fromkeys(unset, PLACEHOLDER_KEY))


def _replays(item: pytest.Item | None) -> bool:
    """Whether ``item`` (the next test) replays a golden, as far as is known before its set-up:
    marked, and the run replays."""
    return (
        item is not None
        and item.config.stash[_SETTINGS].mode is Mode.REPLAY
        and _marker(item) is not None
    )


def _runtest_call(item: pytest.Item) -> Generator[None, Any, Any]:
    """The test's call: open its root span, start the golden run, run the test, finish."""
    __tracebackhide__ = True
    if _MARKER_KEYWORDS in item.stash:  # a marked test that does not use the replay fixture
        funcargs = getattr(item, "funcargs", {})  # (an item of another kind has none)
        if "clearstone_config" in funcargs:
            _apply_config_fixture(item, funcargs["clearstone_config"])
    replay = item.stash.get(_REPLAY, None)
    wants_tracer = "clearstone_tracer" in getattr(item, "fixturenames", ())
    if (replay is None and not wants_tracer) or (replay is not None and _unittest_skipped(item)):
        return (yield)
    if replay is not None:
        _use_tmp_path(item)  # (a marked test that does not use the replay fixture)
    recording = replay is not None and replay.recording
    root = _root_span(item) if recording or wants_tracer else None
    error: BaseException | None = None
    guard = _network_guard(item) if replay is not None and not recording else None
    subtests: list[str] = []  # how its subtests that failed did: "diverged" or "failed"
    try:
        if replay is not None:
            _start(item, replay, root)
            _hold_seed(item, replay)
        if guard is not None:
            guard.start()
        if replay is not None:
            item.stash[_SUBTESTS] = subtests
        try:
            result = yield
        # (pytest's Failed and Skipped are no Exceptions: pytest.fail() after the agent
        # swallowed a replay error, pytest.raises that saw nothing raised, a RaisesGroup's group
        # that held one, pytest.skip() in an `except` meant for a service that is down)
        except (Exception, pytest.fail.Exception, pytest.skip.Exception) as exc:
            if replay is not None:  # (what a forked child swallowed explains what followed)
                _check_forked_children(replay, exc)
            if guard is not None and guard.error() is not None:
                # a blocked connection the agent swallowed is the failure; what the test then
                # failed on (a changed result) is shown as its context
                _check_network(item, guard)
            if replay is not None and not recording:
                # so is the first replay error the agent caught (a retry's last attempt, its own
                # error wrapping it, what failed after it was swallowed)
                _check_first_replay_error(replay, exc)
                # or the recorded calls it no longer made after failing on a recorded answer
                _check_calls_not_made(replay, exc)
                # else the test's own failure: callbacks the replay did not call may explain it
                _note_uncalled_callbacks(item, replay, exc)
            if replay is not None and recording:  # (and a call the recording refused)
                _check_refusal(replay, exc)
            raise
        finally:
            if _SUBTESTS in item.stash:  # (before the test's own report is made)
                del item.stash[_SUBTESTS]
            if guard is not None:
                _flush_sdk_traces(replay)
                guard.stop()
            if replay is not None:
                _let_go_of_seed(item)
                replay.stop()
        if replay is not None:
            _check_forked_children(replay, None)
        if guard is not None:
            _check_network(item, guard)
        if replay is not None and recording:
            _check_refusal(replay, None)
        if replay is not None and not recording:
            not_run = None
            try:
                replay.check()
            except Exception:
                not_run = _body_not_run(item, replay)
                if not_run is None:
                    raise
            if not_run is not None:  # (outside the handler: not shown after what it explains)
                pytest.fail(not_run, pytrace=False)
            # (a subtest that diverged fails the test after its call, which passed)
            if "diverged" in subtests:
                _outcome(item, "diverged")
                _note_reader(item, replay)
            else:
                _outcome(item, "replayed")
    except BaseException as exc:
        error = exc
        if replay is not None:  # (an unmarked test with clearstone_tracer has no golden)
            _outcome_of_failure(item, exc)
        if "diverged" in subtests and not recording:  # (what the test then failed on follows)
            _outcome(item, "diverged")
            _note_reader(item, replay)
        raise
    finally:
        if root is not None:
            _close_root(item, root, error)
            item.stash[_STORED_TRACE] = root.trace_id
        if recording and replay is not None:
            _note_attempt_targets(item, replay)
    if recording and replay is not None and root is not None:
        unrecordable = _unrecordable(item, subtests)
        if unrecordable:  # pytest fails the test after its call
            _outcome(item, "failed")
            _not_written(item, unrecordable)
        else:
            _note_recorded_targets(item, replay)
            _check_recorded(item, replay)
            item.stash[_UNSAVED] = (replay, root.trace_id)  # written once its report is made
    if replay is not None:
        _warn_unmatched_paths(item, replay)
    return result


def _warn_uncalled_targets(item: pytest.Item, replay: Replay) -> None:
    """A strict recording: warn about each mock target the test did not call whose function
    its agent reaches under another path (imported by name), which it may call instead, or
    an object made before the test holds (a tool of an agent made at import), which calls it;
    a recording that called no target at all failed already, with the same hints."""
    __tracebackhide__ = True  # (under `filterwarnings = error` a warning fails the test)
    module = getattr(item, "module", None)
    if not replay.strict or module is None or not replay.calls:
        return
    from .golden.aliases import uncalled_target_warnings

    called = {call.target for call in replay.calls}
    for warning in uncalled_target_warnings(item.nodeid, replay.mock_pairs, called, module):
        item.warn(warning)


def _warn_unmocked_calls(item: pytest.Item, replay: Replay) -> None:
    """A strict recording: warn about each method of a mock target's class that made the
    target's request live without calling it (pydantic-ai's ``request_stream`` beside a
    mocked ``request``): its calls are not in the golden."""
    __tracebackhide__ = True  # (under `filterwarnings = error` a warning fails the test)
    for warning in replay.unmocked_calls:
        item.warn(warning)


def _warn_changed_in_place(item: pytest.Item, replay: Replay) -> None:
    """A recording: warn about each call that changed an argument in place (a tool filling the
    list it was given), which its replay will not do."""
    __tracebackhide__ = True  # (under `filterwarnings = error` a warning fails the test)
    for warning in replay.changed_in_place:
        item.warn(warning)


def _show_calls(replay: Replay) -> str:
    """The command that shows the golden's calls, for an unmatched ``ignore=`` path; a golden
    not written yet (this recording's first) is not written at all when the warning fails the
    test (``filterwarnings = error``): how to write it then."""
    import shlex  # (only for a message)

    from .errors import UnmatchedIgnorePathWarning

    command = f"pytest-clearstone show --calls {shlex.quote(str(replay.path))}"
    if os.path.isfile(replay.path):
        return command
    category = f"{UnmatchedIgnorePathWarning.__module__}.{UnmatchedIgnorePathWarning.__name__}"
    return (
        f"{command}, once it is written; no golden is written while this warning fails the "
        f"test: record with -W ignore::{category} to write it"
    )


def _warn_unmatched_paths(item: pytest.Item, replay: Replay) -> None:
    """Warn about each ``ignore=``/``ignore_state=`` path of the test's marker that names
    where it starts (an argument, ``result``, ``final_state``) and matched nothing: not about
    a path starting with ``*`` or ``**`` (``**.run_id``: whatever may hold one, kept in lists
    shared by many tests), nor about defaults from the ini file or the fixture."""
    __tracebackhide__ = True  # (under `filterwarnings = error` a warning fails the test)
    marker = item.stash.get(_MARKER_KEYWORDS, None)
    if not marker or not ("ignore" in marker or "ignore_state" in marker):
        return
    from .golden.path_patterns import names_its_start

    found, unmatched_outcome = replay.unmatched_paths()
    arguments = {path: targets for path, targets in found.items() if names_its_start(path)}
    outcome = [path for path in unmatched_outcome if names_its_start(path)]
    per_target = marker.get("ignore")
    if isinstance(per_target, dict) and not replay.reads_only:
        # (a key that names no target is applied to no call: none of its paths is told above)
        targets = list(dict.fromkeys(path for _, path in replay.mock_pairs))
        unknown = [str(key) for key in per_target if key not in targets]
        if unknown:
            from .errors import UnmatchedIgnorePathWarning

            for key in unknown:
                item.warn(
                    UnmatchedIgnorePathWarning(
                        f"{item.nodeid}: the ignore key {key!r} names no mock target of this "
                        f"test (its targets: {', '.join(targets) or 'none'}), so its paths "
                        "leave nothing out of matching; key each list by a target's import "
                        "path as written in mock="
                    )
                )
    if arguments and "ignore" in marker:
        from .errors import UnmatchedIgnorePathWarning

        for path, targets in arguments.items():
            item.warn(
                UnmatchedIgnorePathWarning(
                    f"{item.nodeid}: the ignore path {path!r} matched nothing in the arguments "
                    f"of {' or '.join(targets)}, so it leaves nothing out of matching; check "
                    f"it against the recorded arguments ({_show_calls(replay)})"
                )
            )
    if outcome and "ignore_state" in marker:
        from .errors import UnmatchedIgnorePathWarning

        for path in outcome:
            item.warn(
                UnmatchedIgnorePathWarning(
                    f"{item.nodeid}: the ignore_state path {path!r} matched nothing in the "
                    f"recorded or replayed outcome, so it leaves nothing out of the comparison; "
                    f"check it against the golden outcome ({_show_calls(replay)})"
                )
            )


def _network_guard(item: pytest.Item, phase: str | None = None) -> NetworkGuard | None:
    """The guard of a replaying test's call phase, or (``phase``) of its fixtures' set-up or
    teardown: a connection to a host that is not allowed raises NetworkBlockedError
    (``--clearstone-allow-network`` turns it off). One guard per test, made by its first
    guarded phase and told which phase is running."""
    guard = item.stash.get(_GUARD, None)
    if guard is None:
        config = item.config
        settings = config.stash[_SETTINGS]
        if settings.allow_network:
            return None
        state = config.stash[_STATE]
        if state.release_socket_hooks is None:
            # socket is patched once, for the rest of the session: a guard starting or stopping
            # (three times per replaying test) then patches nothing
            from .golden.network import hold_socket_hooks

            state.release_socket_hooks = hold_socket_hooks()
        guard = item.stash[_GUARD] = settings.host_allow_list.guard(label=item.nodeid)
    guard.during = None if phase is None else _FIXTURES_AT_WORK[phase]
    guard.lets_through = (
        functools.partial(_finalising_others, item) if phase == "teardown" else None
    )
    return guard


def _unittest_skipped(item: pytest.Item) -> bool:
    """Whether unittest will skip the test (``@unittest.skip`` on its method or class): its
    golden is neither read nor recorded, as for a test pytest skips before it runs."""
    obj = getattr(item, "obj", None)
    if getattr(obj, "__unittest_skip__", False):
        return True
    # the class of a method's instance (not item.cls: it walks the collection tree, per test)
    owner = getattr(obj, "__self__", None)
    return owner is not None and bool(getattr(type(owner), "__unittest_skip__", False))


def _unittest_expects_failure(item: pytest.Item) -> bool:
    """Whether unittest expects the test to fail (``@unittest.expectedFailure`` on its method
    or class): its golden run cannot start (a missing golden, as no run of it passes to record
    one) is taken for the expected failure, as pytest's ``xfail`` mark takes it."""
    obj = getattr(item, "obj", None)
    if getattr(obj, "__unittest_expecting_failure__", False):
        return True
    owner = getattr(obj, "__self__", None)  # (as _unittest_skipped)
    return owner is not None and bool(getattr(owner, "__unittest_expecting_failure__", False))


def _flush_sdk_traces(replay: Replay | None) -> None:
    """While the guard is on: the OpenAI Agents SDK's traces of the replayed run uploaded now,
    where the guard blocks and names the upload, not when the process exits."""
    context = None if replay is None else replay.context
    if context is not None and context.sdk_traced:
        from .golden.network import flush_sdk_traces

        flush_sdk_traces()


def _check_network(item: pytest.Item, guard: NetworkGuard) -> None:
    """Fail the test for a blocked connection of its own, even one an SDK retry loop or the
    agent swallowed; a background thread's is a warning."""
    __tracebackhide__ = True
    for warning in guard.warnings():
        item.warn(warning)  # (its own category, NetworkBlockedWarning, as the docs name it)
    error = guard.error()
    if error is not None:
        raise error


def _check_forked_children(replay: Replay, failure: BaseException | None) -> None:
    """Fail the test with the first error a process it forked told (a mocked call refused
    there, a connection blocked there), also one the child's code swallowed; unless the test
    failed with it already (``failure``: a pool handed it back)."""
    __tracebackhide__ = True
    errors = replay.told_by_children()
    if errors and not (
        failure is not None
        and any(type(e) is type(failure) and str(e) == str(failure) for e in errors)
    ):
        raise errors[0]


def _check_first_replay_error(replay: Replay, failure: BaseException) -> None:
    """The test failed with ``failure`` after the agent caught a replay error: that first
    error is the failure, ``failure`` shown as what followed (its context)."""
    __tracebackhide__ = True
    context = replay.context
    first = None if context is None else context.session.first_error_besides(failure)
    if first is None:
        return
    if _raised_in_doctest(failure) is first:
        return  # (the failure is that error: pytest shows it as the doctest example's)
    raise first


def _check_calls_not_made(replay: Replay, failure: BaseException) -> None:
    """The test failed with ``failure`` on a recorded answer (a retry layer that now gives up
    sooner) before making the golden's later calls: those calls, and that answer, are the
    failure (strict), ``failure`` shown before them."""
    __tracebackhide__ = True
    error = replay.calls_not_made_before(failure)
    if error is not None:
        raise error


def _note_uncalled_callbacks(item: pytest.Item, replay: Replay, failure: BaseException) -> None:
    """The test failed with ``failure``, none of the replay's errors (those tell their own
    causes): when the replayed calls were given callbacks the replay does not call (LangChain
    handlers: ``astream_events`` gives no event of a mocked ``astream``), name them and the fix
    beside the failure, which the test's own assertion (``assert ... in []``) does not tell."""
    from .errors import ClearstoneError  # (only when a replayed test failed)

    if isinstance(failure, (ClearstoneError, pytest.skip.Exception)):
        return
    hint = replay.uncalled_callbacks()
    if hint:
        item.add_report_section("call", "clearstone", f"{item.nodeid} failed in a replay. {hint}")


def _raised_in_doctest(failure: BaseException) -> BaseException | None:
    """What a doctest's example raised, when ``failure`` is doctest's ``UnexpectedException``
    wrapping it (pytest's doctest report shows it as the example's, with its traceback)."""
    raised = getattr(failure, "exc_info", None)
    if isinstance(raised, tuple) and len(raised) == 3 and isinstance(raised[1], BaseException):
        return raised[1]
    return None


def _check_refusal(replay: Replay, failure: BaseException | None) -> None:
    """Fail a recording for the first call it refused (an argument nested too deep), which
    was raised to the agent at the call: an agent that catches ``Exception`` around its calls
    swallowed it, and the golden would lack the call (or the test fail as "nothing was
    recorded"); or for the first warning about a call's arguments that a warnings filter made
    an error (``filterwarnings = error``), which the call went on without. ``failure``: what
    the test failed with instead, shown as its context."""
    __tracebackhide__ = True
    refusal = replay.refusal
    if refusal is None or isinstance(failure, pytest.exit.Exception):  # (pytest.exit() stops)
        return
    if failure is not None:
        from .errors import grouped

        if any(e is refusal for e in grouped(failure)):  # (it is the failure, or holds it)
            return
    raise refusal


def _root_span(item: pytest.Item) -> LiveSpan:
    node_id = _test_id(item)
    # ("test.nodeid": golden.mocks.TEST_ATTRIBUTE, not imported here: a replay need not load it)
    root = _tracer(item.config).span(node_id, attributes={"test.nodeid": node_id})
    root.__enter__()
    return root


def _close_root(item: pytest.Item, root: LiveSpan, error: BaseException | None) -> None:
    """End the test's root span. A failed test leaves it ERROR with the reason, redacted by the
    test's rules as the errors of its recorded calls are: the trace store holds what a golden
    would."""
    if error is not None:
        from .golden.recorder import set_redacted_error

        redactor = item.stash.get(_REDACTOR, None) or item.config.stash[_SETTINGS].redactor.fresh()
        set_redacted_error(root, error, _transform(item, redactor), item.nodeid)
    root.__exit__(None, None, None)


def _start(item: pytest.Item, replay: Replay, root: LiveSpan | None) -> None:
    __tracebackhide__ = True
    problem = None
    try:
        if replay.recording:
            golden = None
            _refuse_golden_of_another_test(item, replay)
        else:
            golden = replay.checkpoint
        if golden is not None and golden.metadata.get("redacted") is False:
            # nothing was redacted when recording: replayed values compare as they are (decided
            # before the targets are patched, which then leave the redaction out)
            item.stash[_REPLAY_REDACTION].active = False
        replay.start(root_span_id=None if root is None else root.span_id)
    except Exception as exc:
        problem = _start_problem(item, replay, exc)
        if problem is None:
            raise
    if problem is not None:
        if replay.recording:
            item.stash[_REFUSED_AT_START] = True
        if _unittest_expects_failure(item):  # (never recorded: its run fails, as it expects)
            pytest.xfail(f"{item.nodeid}: {problem}")
        pytest.fail(f"{item.nodeid}: {problem}", pytrace=False)


def _hold_seed(item: pytest.Item, replay: Replay) -> None:
    """Have the test start from the seeded ``random`` of its golden run, whatever the other
    plugins' ``pytest_runtest_call`` hooks, which run after the golden run started, do to it
    (pytest-randomly seeds ``random`` there, anew each run): ``random`` is seeded again right
    before the test function runs (:meth:`_PerTestHooks.pytest_pyfunc_call`), and for a
    unittest test when unittest starts it, before its ``setUp``."""
    context = replay.context
    if context is None:
        return
    item.stash[_SEED] = context.seed
    if isinstance(item, TestCaseFunction):
        # the item is the result object its TestCase.run reports to, and startTest the first
        # thing the run calls (pytest's does nothing): the item's own, while the test runs
        vars(item)["startTest"] = lambda test: _reseed(item)


def _reseed(item: pytest.Item) -> None:
    """Seed ``random`` as the test's golden run did (not a test's that does not replay or
    record, nor outside its call)."""
    seed = item.stash.get(_SEED, None)
    if seed is not None:
        random.seed(seed)


def _let_go_of_seed(item: pytest.Item) -> None:
    if _SEED in item.stash:
        del item.stash[_SEED]
        vars(item).pop("startTest", None)


def _refuse_golden_of_another_test(item: pytest.Item, replay: Replay) -> None:
    """Recording at its default path: raise :class:`~.errors.GoldenOfAnotherTestError` when the
    golden there was recorded by another test whose default path is the same
    (:func:`_golden_of_another_test`): a run that collects both tells so at collection, one
    that collects only this test would write over the other's golden. (Before the test's live
    calls.)"""
    other = replay.replaced_test
    fix = _golden_of_another_test(item, other)
    if fix:
        from .errors import GoldenOfAnotherTestError
        from .printable import printable

        raise GoldenOfAnotherTestError(replay.path, printable(other), fix)


def _golden_of_another_test(item: pytest.Item, other: str) -> str:
    """What to do about the paths of ``item`` and of the test ``other`` (the node id a golden
    says recorded it) when that is another test whose default golden path is the item's, the
    item's path being its default, their names differing only in characters a file name
    cannot hold (``test_x[a/b]``, ``test_x[a_b]``); ``""`` otherwise."""
    ours = _test_id(item)
    if not other or other == ours:
        return ""
    marker = _marker(item)
    if marker is None or marker.path is not None:
        return ""
    stem, names = node_names(ours)
    other_stem, other_names = node_names(other)
    escaped = (stem, _escaped_ids(names)), (other_stem, _escaped_ids(other_names))
    if not apart_only_where_made_safe(*escaped):
        return ""
    return _default_paths_fix([_node_id_parts(ours), _node_id_parts(other)])


def _note_golden_of_another_test(item: pytest.Item, replay: Replay) -> None:
    """A replay that diverged from a golden another test recorded at the item's default path
    (:func:`_golden_of_another_test`: one recording wrote over the other's before
    :func:`_refuse_golden_of_another_test` refused it) is told so beside its failure."""
    try:
        golden = replay.checkpoint  # (read when the replay started)
    except Exception:  # (not readable now: its own failure tells)
        return
    other = golden.metadata.get("test") if golden is not None else None
    fix = _golden_of_another_test(item, other) if isinstance(other, str) else ""
    if fix:
        from .printable import printable

        item.add_report_section(
            "call",
            "clearstone",
            f"{item.nodeid} replayed {replay.path}, which {printable(other or '')} recorded, "
            f"whose golden path is this test's: {fix}. Then record each again.",
        )


def _start_problem(item: pytest.Item, replay: Replay, exc: Exception) -> str | None:
    """What the test fails with when its golden run could not start (a clearstone error: a
    missing or unreadable golden, a mock target that cannot be patched); ``None`` for any other
    exception, raised as it is, with its traceback. (The errors are imported here, when one was
    raised: an import statement costs ~12 k instructions each time it runs, and ``_start`` runs
    for every replaying test.)"""
    from .errors import ClearstoneError

    if not isinstance(exc, ClearstoneError):
        return None
    _note_start_problem(item, replay, exc)
    return str(exc)


def _note_start_problem(item: pytest.Item, replay: Replay, exc: Exception) -> None:
    """Note the outcome of a test whose golden could not be read (``exc``): missing; diverged
    when it holds a class the code changed since (record-diverged re-records it); else
    unreadable (damaged, of another version, a refused pickle)."""
    from .errors import CheckpointClassChangedError, CheckpointError, CheckpointNotFoundError

    if isinstance(exc, CheckpointNotFoundError):
        _missing(item, replay)
    elif isinstance(exc, CheckpointClassChangedError):
        _outcome(item, "diverged")
        _note_reader(item, replay)
        item.stash[_CLASS_CHANGED] = True  # (kept when the test fails with it)
    elif isinstance(exc, CheckpointError):
        _outcome(item, "unreadable")


def _outcome_of_failure(item: pytest.Item, exc: BaseException) -> None:
    refused = item.stash.get(_REFUSED_AT_START, False)  # (for this failure only: a rerun's own)
    if refused:
        del item.stash[_REFUSED_AT_START]
    if ("clearstone", "missing") in item.user_properties:
        return
    if item.stash.get(_CLASS_CHANGED, False):  # (its golden holds a class changed since)
        del item.stash[_CLASS_CHANGED]
        return
    if isinstance(exc, pytest.skip.Exception):  # not a failure: say so
        outcome, why = "skipped", f"the test skipped while recording ({exc.msg})"
    elif refused:  # (its failure says why; "and xfailed" follows for a test expecting it)
        outcome, why = "failed", "the recording was refused before the test ran"
    elif isinstance(exc, pytest.xfail.Exception):  # (its report says "and xfailed")
        outcome, why = "failed", _FAILED_WHILE_RECORDING
    else:
        outcome = "diverged" if _diverged_by(exc) else "failed"
        why = f"{_FAILED_WHILE_RECORDING} ({type(exc).__name__})"
    replay = item.stash.get(_REPLAY, None)
    if outcome == "failed" and replay is not None and not replay.recording and _damaged_by(exc):
        outcome = "unreadable"  # (a replay found a recorded call of its golden damaged)
    if ("clearstone", "unreadable") not in item.user_properties:  # (kept: it says more)
        _outcome(item, outcome)
        if outcome == "diverged":
            _note_reader(item, replay)
            if replay is not None and not replay.recording:
                _note_golden_of_another_test(item, replay)
    if replay is None or not replay.recording:
        return
    if isinstance(exc, (KeyboardInterrupt, pytest.exit.Exception)):
        # (Ctrl-C, pytest.exit(): pytest makes no report of the test it stopped in, so the
        # summary is told here)
        why = f"the test was interrupted while recording ({type(exc).__name__})"
        item.config.stash[_STATE].not_written.append((item.nodeid, why))
    else:
        _not_written(item, why)


#: the summary's reason for a golden not written because its test failed while recording
_FAILED_WHILE_RECORDING = "the test failed while recording"
#: why an xfail test that fails as expected never records its golden
_RECORDED_IF_PASSING = "a golden is recorded only by a run that passes"


def _subtest_report(
    item: pytest.Item, call: pytest.CallInfo[Any], report: pytest.TestReport
) -> None:
    """A report made while a marked test's call runs is a subtest's: pytest's ``subtests``
    fixture and unittest's ``subTest`` catch a subtest's failure, so the call returns normally
    and pytest fails the test only after it. The failure is noted for the test (recording, its
    golden is not written; replaying, a replay error makes it diverged), and the plugin's
    notes, which are the test's, are left off the subtest's report (the summary would count it
    as the test). In record-diverged's replay attempt, which then runs again live, a subtest's
    replay error is marked as pytest-rerunfailures marks a superseded attempt: the subtests
    fixture logs its report itself, where the attempt's others are held back, and it would
    fail the re-recorded test and show the replay's error."""
    if report.user_properties:
        report.user_properties = [p for p in report.user_properties if p[0] not in _NOTE_KEYS]
    if not report.failed:  # (one that skipped or xfailed, pytest.xfail(), passes its test)
        return
    error = None if call.excinfo is None else call.excinfo.value
    how = "diverged" if error is not None and _diverged_by(error) else "failed"
    item.stash[_SUBTESTS].append(how)
    if how == "diverged" and item.stash.get(_ATTEMPT, None) is Mode.REPLAY:
        report.outcome = _RERUN  # type: ignore[assignment]  # (not one of pytest's)


def _unrecordable(item: pytest.Item, subtests: list[str]) -> str:
    """Why a recording whose call returned is not written (``""``: it is): pytest fails the
    test after its call, for a subtest that failed (``subtests``), or as a strict XPASS."""
    if subtests:
        return "a subtest failed while recording"
    if _xfail_strict(item):
        return (
            "it passed while recording, and its xfail mark is strict (XPASS(strict) is a failure)"
        )
    return ""


def _xfail_strict(item: pytest.Item) -> bool:
    """Whether the item's xfail mark, as pytest evaluated it (its conditions, ``--runxfail``,
    the ``xfail_strict`` ini), makes a call that passes FAILED [XPASS(strict)] (without
    pytest's evaluation a strict XPASS records its golden, as a passing test does)."""
    xfailed = _xfailed(item)
    return xfailed is not None and xfailed.strict


def _xfailed(item: pytest.Item) -> Any:
    """The item's xfail mark as pytest evaluated it, ``None`` when none applies. pytest keeps
    that evaluation under a private stash key, with no public door (imported defensively)."""
    if item.get_closest_marker("xfail") is None or item.config.getoption("runxfail", False):
        return None
    try:
        from _pytest.skipping import xfailed_key
    except ImportError:  # (a pytest that keeps it elsewhere)
        return None
    return item.stash.get(xfailed_key, None)


def _set_up_failed(item: pytest.Item, exc: BaseException) -> None:
    """A marked test whose set-up failed (another fixture raised): recording, its golden was
    not written; replaying, a golden that does not exist is missing."""
    replay = item.stash.get(_REPLAY, None)
    if replay is None or isinstance(exc, (pytest.skip.Exception, pytest.xfail.Exception)):
        return  # (not marked, or skipped, or xfailed)
    if any(str(name) in _ATTEMPT_NOTES for name, _ in item.user_properties):
        return  # (the marker's own problem, already noted; not record-diverged's re-run note)
    if item.stash.get(_CONFIG_REFUSED, False):
        return  # (the clearstone_config fixture's value was refused: its failure says why)
    # (a test without mock= on its marker whose clearstone_config fixture was not set up: that
    # fixture may have given it mock=, so it is not known to only read its golden)
    unknown = (
        replay.reads_only
        and not item.stash.get(_CONFIGURED, False)
        and _may_be_configured(item, _config_overrides(item.config))
    )
    mode = item.config.stash[_SETTINGS].mode
    missing = not os.path.exists(replay.path)  # (False for a path too long to be a file's)
    if replay.mode == "record" or (
        unknown and (mode is Mode.RECORD or (missing and mode is not Mode.REPLAY))
    ):
        _outcome(item, "failed")
        _not_written(item, f"its set-up failed while recording ({type(exc).__name__})")
    elif missing:
        _missing(item, replay, reader_known=not unknown)


def _withhold_from_store(item: pytest.Item, trace_id: str) -> None:
    """The spans a test's call left in the trace store, from which no golden was written (a
    recording whose test failed, or whose golden was refused for a secret value seen in the
    run; the spans a replaying or unmarked test opened with ``clearstone_tracer``): replace
    each secret value seen (those the last check before a golden is written looks for) in
    them. A written golden was checked, and it holds what the store does."""
    replay = item.stash.get(_REPLAY, None)
    recording = replay is not None and replay.recording
    if recording and not any(name == "clearstone-not-written" for name, _ in item.user_properties):
        return
    state = item.config.stash[_STATE]
    provider = state.provider
    if provider is None:
        return
    # (a recording's rules; else those of the spans the test opened, else the configured ones)
    redactor = item.stash.get(_REDACTOR, None) or item.stash.get(_SPAN_REDACTOR, None)
    if redactor is None:
        redactor = item.config.stash[_SETTINGS].redactor
    from .errors import TraceStoreError
    from .golden.secrets import seen_secrets, watching

    with watching(redactor.secret_values):
        secrets = seen_secrets()
    if not recording:  # (a test's own spans: all at once when the run ends, in one write)
        state.unchecked_traces.append(trace_id)
        state.unchecked_secrets.update(secrets)
        return
    # (the store's trouble is told when it is next written, at the latest at the end)
    with contextlib.suppress(TraceStoreError):
        _withhold_secrets(provider, [trace_id], secrets, redactor.placeholder)


def _withhold_secrets(
    provider: TracerProvider, trace_ids: list[str], secrets: Mapping[str, str], placeholder: str
) -> None:
    """Write the spans queued, then rewrite those of ``trace_ids`` in the store with
    ``secrets`` replaced by ``placeholder`` (:func:`~.golden.secrets.withheld`)."""
    from .golden.secrets import withheld

    provider.flush()
    provider.trace_store.rewrite_texts(
        trace_ids, lambda text, tree: withheld(text, secrets, placeholder, tree=tree)
    )


def _not_written(item: pytest.Item, why: str) -> None:
    """Note on the report that the item's golden was not written, and why (for the summary;
    user_properties travel with xdist)."""
    item.user_properties.append(("clearstone-not-written", why))


def _outcome(item: pytest.Item, outcome: str) -> None:
    """Note the test's clearstone outcome on its report (user_properties travel with xdist)."""
    props = [p for p in item.user_properties if p[0] != "clearstone"]
    item.user_properties[:] = [*props, ("clearstone", outcome)]


def _missing(item: pytest.Item, replay: Replay, *, reader_known: bool = True) -> None:
    """Note that the test's golden is missing, and where it was looked for (the summary names
    an unused golden that may be it under its old path: :func:`_renamed`), and
    :func:`_note_reader` (unless whether the test only reads it is not known)."""
    _outcome(item, "missing")
    item.user_properties.append(("clearstone-missing", str(replay.path)))
    _note_reader(item, replay if reader_known else None)


_READS_ONLY_NOTE = ("clearstone-reads-only", True)


def _note_reader(item: pytest.Item, replay: Replay | None) -> None:
    """Note, for a test whose golden is missing or diverged, whether the test only reads it
    (no ``mock=``: no mode records it, so the summary's record hint leaves it out, and
    record-diverged does not run it again)."""
    if replay is not None and replay.reads_only and _READS_ONLY_NOTE not in item.user_properties:
        item.user_properties.append(_READS_ONLY_NOTE)
    if _repetition(item) is not None:  # (pytest-repeat's: the summary names the test it repeats)
        note = ("clearstone-test", _test_id(item))
        if note not in item.user_properties:
            item.user_properties.append(note)


def _reads_only(report: pytest.TestReport) -> bool:
    return _READS_ONLY_NOTE in getattr(report, "user_properties", ())


def _note_recorded_targets(item: pytest.Item, replay: Replay) -> None:
    """Note the mock targets the recording called, for the recordings after it that call none
    (a cache this one filled may answer them)."""
    recorded = item.config.stash[_STATE].recorded_targets
    for call in replay.calls:
        recorded.setdefault(call.target, item.nodeid)


def _note_attempt_targets(item: pytest.Item, replay: Replay) -> None:
    """Note the mock targets this attempt's recording called, for the check of a later attempt
    of the test (:func:`_check_recorded`)."""
    earlier = item.stash.get(_RECORDED_BY_ATTEMPTS, ())
    called = tuple(dict.fromkeys([*earlier, *(call.target for call in replay.calls)]))
    if called:
        item.stash[_RECORDED_BY_ATTEMPTS] = called


def _check_recorded(item: pytest.Item, replay: Replay) -> None:
    """Fail a strict recording whose test called no mock target (in its call), or, re-recorded
    by record-diverged, not a target its replay attempt called, or, run again by
    pytest-rerunfailures, not a target an earlier attempt's recording called."""
    __tracebackhide__ = True
    replayed = item.stash.get(_REPLAYED_TARGETS, ())  # (record-diverged's replay attempt)
    if not replayed and replay.strict:
        called = {call.target for call in replay.calls}
        earlier = item.stash.get(_RECORDED_BY_ATTEMPTS, ())  # (this one's noted already)
        skipped = [target for target in earlier if target not in called]
        if skipped:
            _outcome(item, "failed")
            _not_written(item, "an earlier attempt of the test called mock targets this "
                         "recording did not")  # fmt: skip
            pytest.fail(_cached_by_earlier_attempt(item, skipped), pytrace=False)
    if replay.strict and replay.mock_pairs and not replay.calls:
        _outcome(item, "failed")
        unread = replay.unread_generator()  # (its calls are made as it is read)
        if unread is not None:
            _not_written(item, "a generator replay.run() returned was not read to its end")
            pytest.fail(
                f"{item.nodeid}: the golden checkpoint was not written: {unread}", pytrace=False
            )
        unread = replay.unawaited()  # (its calls are made once awaited)
        if unread is not None:
            _not_written(item, "a coroutine replay.run() returned was never awaited")
            pytest.fail(
                f"{item.nodeid}: the golden checkpoint was not written: {unread}", pytrace=False
            )
        not_run = _body_not_run(item, replay)
        if not_run is not None:
            _not_written(item, "pytest's --trace did not run the async test")
            pytest.fail(not_run, pytrace=False)
        if not replayed:  # (else told below)
            _not_written(item, "nothing was recorded")
            pytest.fail(_nothing_recorded(item, replay), pytrace=False)
    if replay.strict and replayed:
        called = {call.target for call in replay.calls}
        skipped = [target for target in replayed if target not in called]
        if skipped:
            _outcome(item, "failed")
            _not_written(item, "its replay attempt called mock targets this recording did not")
            pytest.fail(_cached_by_replay_attempt(item, skipped), pytrace=False)


def _cached_by_replay_attempt(item: pytest.Item, skipped: list[str]) -> str:
    """Why a record-diverged re-record that did not call targets its replay attempt called
    (``skipped``) is not written: the agent may keep what the replay attempt's calls returned."""
    from .commands import record_command

    return (
        f"{item.nodeid}: the golden checkpoint was not written: its replay attempt just before "
        f"called {', '.join(skipped)}, and this recording did not. Does the agent keep what a "
        "call returned (a functools.cache, a client or index built on first use)? "
        "record-diverged replays each test first, in the same process: the replay attempt "
        "filled it with the golden's answers, and the new golden would lack those calls, so "
        "the old one stays. Record the test in a process of its own: "
        f"{record_command(_test_id(item))} (and clear such a cache before each test: an "
        "autouse fixture calling its cache_clear()); or strict=False if it no longer makes "
        "these calls"
    )


def _cached_by_earlier_attempt(item: pytest.Item, skipped: list[str]) -> str:
    """Why a recording that pytest-rerunfailures ran again, which did not call targets an
    earlier attempt's recording called (``skipped``), is not written."""
    from .commands import record_command

    return (
        f"{item.nodeid}: the golden checkpoint was not written: an earlier attempt of the test "
        f"in this run called {', '.join(skipped)}, and this recording did not. Does the agent "
        "keep what a call returned (a functools.cache, a client or index built on first use)? "
        "pytest-rerunfailures runs a failed test again in the same process: the earlier "
        "attempt filled it, and the new golden would lack those calls, so it is not written. "
        f"Record the test in a process of its own: {record_command(_test_id(item))} (and clear "
        "such a cache before each test: an autouse fixture calling its cache_clear()); or "
        "strict=False if it no longer makes these calls"
    )


def _body_not_run(item: pytest.Item, replay: Replay) -> str | None:
    """Why a test made no call when pytest's ``--trace`` ran it (else ``None``): ``--trace``
    calls the test function under pdb, and an async one (anyio's) only makes its coroutine,
    never awaited, so its body did not run (not that the agent skipped its calls)."""
    import inspect

    test = getattr(item, "obj", None)
    if replay.calls or not item.config.getoption("trace", False) or test is None:
        return None
    if inspect.iscoroutinefunction(test) or not inspect.iscoroutinefunction(inspect.unwrap(test)):
        return None
    done = "recorded (the golden was not written)" if replay.recording else "replayed"
    return (
        f"{item.nodeid}: its body did not run: pytest's --trace called the async test "
        f"function without awaiting it, so nothing was {done}. Run it without --trace and stop "
        "where you need with breakpoint() (in the test or the agent), or use --pdb"
    )


#: why a recording is not written whose call returned but whose report did not pass
_FAILED_AFTER_CALL = (
    f"{_FAILED_WHILE_RECORDING} (its report failed after its call returned: a plugin's check, "
    "such as a soft assertion)"
)


def _write_if_passed(
    item: pytest.Item,
    call: pytest.CallInfo[Any],
    report: pytest.TestReport,
    unsaved: tuple[Replay, str],
) -> None:
    """Write the golden of a recording whose call returned, once its call's report is made:
    only if that report passed, as the other plugins' ``pytest_runtest_makereport`` hooks left
    it (pytest-check fails a test whose soft assertion failed there, after its call returned).
    A golden that cannot be written (or a ``pytest_clearstone_checkpoint_saved`` hook that
    raised) fails the report, as a failure in the call would have. The notes made here are
    copied onto the report, made from the item's before them."""
    __tracebackhide__ = _unless_failed  # (a hook's error shows the hook's frame, not ours)
    replay, trace_id = unsaved
    if (
        not report.passed
        and call.excinfo is not None
        and (isinstance(item, TestCaseFunction) or isinstance(call.excinfo.value, Warning))
    ):
        # what the call raised after the test returned: a TestCase method's failure (or skip),
        # which pytest's unittest support catches in its call and puts on the call when it
        # makes the report, or a warning of the call's end under `filterwarnings = error` (a
        # soft assertion that fails the report is told below: a plugin's check)
        _outcome_of_failure(item, call.excinfo.value)
    elif not report.passed:
        _outcome(item, "failed")
        _not_written(item, _FAILED_AFTER_CALL)
    else:
        try:
            _save_golden(item, replay, trace_id, report)
            _warn_uncalled_targets(item, replay)
            _warn_unmocked_calls(item, replay)
            _warn_changed_in_place(item, replay)
        except (Exception, pytest.fail.Exception, pytest.skip.Exception) as exc:
            # (a golden that could not be written says so; one written before a hook or a
            # warning failed stays written, and its report says that too)
            _fail_report(item, call, report, exc)
    report.user_properties = [
        *(p for p in report.user_properties if p[0] not in _NOTE_KEYS),
        *(p for p in item.user_properties if p[0] in _NOTE_KEYS),
    ]


def _failed_in_test_case(
    item: pytest.Item, error: BaseException, report: pytest.TestReport
) -> None:
    """A marked ``unittest.TestCase`` method that failed, whose call returned all the same:
    unittest catches the method's error, and pytest's unittest support puts it on the call
    when the report is made. What the plugin noted when the call returned (replayed; nothing
    recorded, the method having raised before its first call) is replaced by the failure, as
    for a test function that raised it."""
    item.user_properties[:] = [p for p in item.user_properties if p[0] != "clearstone-not-written"]
    _outcome_of_failure(item, error)
    report.user_properties = [
        *(p for p in report.user_properties if p[0] not in _NOTE_KEYS),
        *(p for p in item.user_properties if p[0] in _NOTE_KEYS),
    ]


def _unless_failed(excinfo: pytest.ExceptionInfo[BaseException]) -> bool:
    """A frame hidden from a traceback unless it is ``pytest.fail``'s: the report of a failure
    with ``pytrace=False`` shows only its message, but takes its crash line (the short
    summary's message) from the innermost frame not hidden."""
    return not isinstance(excinfo.value, pytest.fail.Exception)


def _fail_report(
    item: pytest.Item,
    call: pytest.CallInfo[Any],
    report: pytest.TestReport,
    exc: BaseException,
) -> None:
    """Make the passed call ``report`` the failure ``exc``, as pytest would have made it had
    the call raised it (a test whose xfail mark has no ``raises=`` then xfails, as expected)."""
    excinfo = pytest.ExceptionInfo.from_exception(exc)
    call.excinfo = excinfo  # (--pdb opens on it)
    report.longrepr = item.repr_failure(excinfo)
    xfailed = _xfailed(item)
    if hasattr(report, "wasxfail") and xfailed is not None and xfailed.raises is None:
        report.outcome = "skipped"
    else:
        report.outcome = "failed"
        if hasattr(report, "wasxfail"):
            del report.wasxfail


def _save_golden(
    item: pytest.Item, replay: Replay, trace_id: str, report: pytest.TestReport
) -> None:
    __tracebackhide__ = True
    from .errors import ClearstoneError
    from .golden.secrets import watching

    state = item.config.stash[_STATE]
    assert state.provider is not None
    problem = ""
    try:
        redactor = item.stash[_REDACTOR]
        # (what the golden records as a placeholder naming its type writes none of its strings)
        redactor.forget_findings("input", replay.unwritten_places)
        redactor.raise_for_findings()  # before anything reaches the golden
        trace = state.provider.trace_store.get_trace(trace_id)
        # a golden in which nothing was redacted is replayed without the redaction walk; the
        # text is scanned for the secrets the test's redactor saw before it is written
        with watching(redactor.secret_values):
            path = replay.save(trace, metadata={"redacted": redactor.replaced})
    except ClearstoneError as exc:
        problem = str(exc)
    except OSError as exc:  # a directory where the file goes, no permission, a full disk
        problem = _unwritable(replay.path, exc)
    if problem:
        problem = item.stash[_REDACTOR].shown(problem)  # (a path in it may run through a key)
        _outcome(item, "failed")
        _not_written(item, "it could not be saved")
        pytest.fail(
            f"{item.nodeid}: the golden checkpoint was not written: {problem}", pytrace=False
        )
    _outcome(item, "recorded")
    change = replay.change
    earlier = state.earlier_write
    if earlier is not None and earlier[:2] == (item.nodeid, path):
        # an earlier attempt of the test wrote the file (pytest-rerunfailures ran it again
        # after its teardown failed): what changed is told against the file before the run
        from .golden.changes import describe_changes
        from .golden.identity import read_previous
        from .golden.signing import resolve_key

        change = describe_changes(earlier[2], read_previous(path) or "", key=resolve_key())
    else:
        state.earlier_write = (item.nodeid, path, replay.previous_text)
    item.user_properties.append(("clearstone-golden", (_shown(item.config, path), change)))
    written = f"golden checkpoint written: {path}"
    item.add_report_section("call", "clearstone", written)
    report.sections.append(("Captured clearstone call", written))  # (made before it was)
    checkpoint = replay.checkpoint
    item.ihook.pytest_clearstone_checkpoint_saved(checkpoint=checkpoint, path=path, item=item)


#: the errors of a write that found no room: a full disk, a full disk quota
_NO_SPACE = frozenset({errno.ENOSPC, getattr(errno, "EDQUOT", errno.ENOSPC)})


def _unwritable(path: Path, exc: OSError) -> str:
    """Why the golden at ``path`` could not be written, and the fix."""
    where = exc.filename2 or exc.filename
    at = ""
    if where and Path(where) != path and not str(where).endswith(".tmp"):
        at = f" ({where})"  # what stood in the way: a file where a directory should be, say
    from .descriptors import TOO_MANY_OPEN, too_many_open  # (a failure's path only)
    from .golden.files import holds_goldens, name_a_file_in

    if exc.errno in TOO_MANY_OPEN:
        return f"cannot write {path}: {too_many_open()}"
    if exc.errno == errno.EFBIG:  # (Python ignores SIGXFSZ: the write fails instead)
        fix = "Free space on its disk or raise the file size limit (ulimit -f)"
    elif exc.errno in _NO_SPACE:
        fix = "Free space on its disk (or in your disk quota)"
    elif exc.errno == errno.EROFS:  # (a sandbox, a read-only volume: nothing there can move)
        fix = "Record in a checkout on a file system mounted read-write"
    elif exc.errno == errno.EISDIR and holds_goldens(path):  # (moving it loses them)
        fix = f"It is a directory of goldens: {name_a_file_in(path)}"
    elif exc.errno == errno.ENAMETOOLONG and too_long(str(path)):  # (no file can have it)
        return f"cannot write {path}: {too_long(str(path))}. {SHORTER_PATH}"
    elif exc.errno in (errno.EACCES, errno.EPERM) and where and Path(where) != path:
        # a folder refused what was to be made in it (the file's temporary file, a folder of
        # its path), where nothing can be moved away either; (not the file itself: a file
        # another program holds open on Windows)
        made = Path(where) if at else path
        folder = next(p for p in made.parents if p.is_dir())  # (a root always is one)
        fix = f"Make {folder} writable for the user recording, or record as a user who may write it"
    else:
        fix = "Move it away or give the marker another path, or make its directory writable"
    return f"cannot write {path}: {exc.strerror or exc}{at}. {fix}"


def _nothing_recorded(item: pytest.Item, replay: Replay) -> str:
    """Why a strict recording with mock targets recorded no call, with the paths the agent may
    look the functions up under."""
    import inspect  # (only when a recording failed)

    from .golden.aliases import nothing_recorded

    function = getattr(item, "function", None)
    try:
        source = inspect.getsource(function) if callable(function) else ""
    except (OSError, TypeError):  # (not a Python test function, or its file is gone)
        source = ""
    module = getattr(item, "module", None)
    funcargs = getattr(item, "funcargs", None) or {}
    values = [(name, value) for name, value in funcargs.items() if name != "replay"]
    earlier = item.config.stash[_STATE].recorded_targets
    return nothing_recorded(
        item.nodeid, replay.mock_pairs, module, source, values, earlier, replay.called_instead
    )


# -- unused checkpoint files -------------------------------------------------------------------
@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list[pytest.Item]
) -> Generator[None, None, None]:
    """Read the markers of every collected test after the other implementations ran (a
    conftest's may add ``replay`` markers), including the tests they deselected or removed:
    their goldens are still in use."""
    collected = list(items)
    yield
    _note_collected(session, config, collected, items)


def _note_collected(
    session: pytest.Session,
    config: pytest.Config,
    collected: list[pytest.Item],
    items: list[pytest.Item],
) -> None:
    """Note the goldens the ``collected`` tests use, make the tests that would record a golden
    twice a collection error (they leave ``items``, the tests to run), and register the per-test
    hooks when a test uses the plugin."""
    state = config.stash[_STATE]
    _note_collect_ignore(config, state)
    referenced = state.referenced
    # (the items of a module share its path object, whose hash is cached)
    state.test_dirs.update(
        {os.path.dirname(str(path)) for path in {item.path for item in collected}}
    )
    ini_mock = config.stash[_SETTINGS].ini_options.get("mock")
    used = False
    # golden path (case-folded: on a file system that folds case — macOS, Windows — the two
    # would be one file, so they clash on every platform) -> the path as resolved, and the
    # tests that would record it
    writers: dict[str, tuple[str, list[pytest.Item]]] = {}
    # (replaying, tests may share a golden: only a run that records would write it twice)
    recording = config.stash[_SETTINGS].mode is not Mode.REPLAY
    readers: dict[pytest.Item, str] = {}  # (recording) a test that only reads -> its golden
    # (recording) a golden -> the tests that may record it, with mock= from a clearstone_config
    # fixture of their own (known at set-up only; or only read it, given none); and the places
    # such fixtures are defined
    may_write: dict[str, list[pytest.Item]] = {}
    overrides: tuple[str, ...] | None = None
    root = os.path.join(str(config.rootpath), "")
    real_dirs: dict[str, str] = {}  # (recording) a golden's directory -> where it leads
    # (an xdist worker that records: the controller names a test whose worker crashed)
    marked = state.marked if recording and hasattr(config, "workeroutput") else None
    previewing_prune = bool(config.getoption("clearstone_prune_unused") and _preview(config))
    for item in collected:
        marker = _marker(item)
        if marker is not None:
            if marked is not None:
                marked.add(item.nodeid)
            names = getattr(item, "fixturenames", None)
            if isinstance(names, list) and "clearstone_config" not in names:
                names.append("clearstone_config")  # resolved at set-up, like vcr_config
            if marker.problem:  # reported at set-up; the goldens it names are still in use
                referenced.update(_goldens_named(item))
            else:
                golden = item.stash[_GOLDEN] = _golden_path(item, marker.path)
                referenced.add(golden)
                if previewing_prune and not os.path.lexists(golden):
                    state.missing_at_collection[os.path.normpath(golden)] = _test_id(item)
                if not str(item.path).startswith(root):  # (its messages name its file)
                    state.outside_rootdir[item.nodeid] = item.path
                    state.outside_rootdir[_test_id(item)] = item.path
                writes = marker.keywords.get("mock", ini_mock) is not None
                if writes and recording and _repetition(item):  # pytest-repeat's 2nd, 3rd...
                    item.add_marker(pytest.mark.skip(reason=_RECORDED_ONCE))
                elif writes:
                    key = _written_as(golden, real_dirs) if recording else golden.casefold()
                    tests = writers.setdefault(key, (golden, []))[1]
                    # the same test again (pytest --keep-duplicates)
                    if recording and any(test.nodeid == item.nodeid for test in tests):
                        item.add_marker(pytest.mark.skip(reason=_COLLECTED_AGAIN))
                    else:
                        tests.append(item)
                elif recording:
                    key = _written_as(golden, real_dirs)
                    if "mock" not in marker.keywords and overrides is None:
                        overrides = _config_overrides(config)
                    if "mock" not in marker.keywords and _may_be_configured(item, overrides or ()):
                        may_write.setdefault(key, []).append(item)
                    else:
                        readers[item] = key
        used = (
            used
            or marker is not None
            or not _OUR_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))
        )
    shared = [(golden, tests) for golden, tests in writers.values() if len(tests) > 1]
    if shared and recording:
        _report_shared_goldens(session, items, shared)
    if recording:  # (a test given mock= by the fixture is checked against these at set-up)
        state.golden_writers.update(
            (key, (tests[0], golden)) for key, (golden, tests) in writers.items() if len(tests) == 1
        )
    if may_write and writers:  # (each may only read: after the tests known to record)
        may_read = {test: key for key, tests in may_write.items() for test in tests}
        items[:] = _readers_after_writers(items, may_read, writers)
    if readers and (writers or may_write):
        if may_write:
            writers = dict(writers)
            for key, tests in may_write.items():
                golden, known = writers.get(key, ("", []))
                writers[key] = (golden, [*known, *tests])
        items[:] = _readers_after_writers(items, readers, writers)
    if not used and not config.pluginmanager.has_plugin(_TRACEBACKS):
        config.pluginmanager.register(_Tracebacks(), _TRACEBACKS)
    if used and not config.pluginmanager.has_plugin(_PER_TEST):
        config.pluginmanager.register(_PerTestHooks(), _PER_TEST)
        config.pluginmanager.register(_SetUpHooks(), f"{_PER_TEST}-set-up")
        if config.stash[_SETTINGS].mode is Mode.RECORD_DIVERGED:
            config.pluginmanager.register(_RecordDivergedProtocol(), f"{_PER_TEST}-protocol")
        _install_codec_hooks(config)


def _written_as(golden: str, real_dirs: dict[str, str]) -> str:
    """The file a recording of ``golden`` writes, case-folded (on a file system that folds
    case — macOS, Windows — two paths differing only in case are one file, so they clash on
    every platform), its directory followed through symlinks (a ``goldens`` folder linked to
    another's, a test directory linked into the suite: one file under two names);
    ``real_dirs`` caches the directories resolved. The golden itself is not followed: a
    recording replaces a golden that is a link with a file."""
    directory, name = os.path.split(golden)
    real = real_dirs.get(directory)
    if real is None:
        real = real_dirs[directory] = os.path.realpath(directory)
    return os.path.join(real, name).casefold()


def _config_overrides(config: pytest.Config) -> tuple[str, ...]:
    """The directories (ending in a separator) of the conftests that define a
    ``clearstone_config`` fixture, and ``""`` for a plugin module that does (it applies to every
    test)."""
    places: list[str] = []
    for plugin in config.pluginmanager.get_plugins():
        if (
            not inspect.ismodule(plugin)
            or plugin is sys.modules[__name__]
            or getattr(plugin, "clearstone_config", None) is None
        ):
            continue
        file = getattr(plugin, "__file__", None)
        if isinstance(file, str) and os.path.basename(file) == "conftest.py":
            places.append(os.path.join(os.path.dirname(file), ""))
        else:
            places.append("")
    return tuple(places)


def _may_be_configured(item: pytest.Item, overrides: tuple[str, ...]) -> bool:
    """Whether ``item`` may get its keywords from a ``clearstone_config`` fixture other than
    the plugin's empty one: defined in a conftest above it (``overrides``), in its module or
    class, or the plugin's parametrized indirectly."""
    if "clearstone_config" in getattr(getattr(item, "callspec", None), "params", {}):
        return True
    where = (getattr(item, "module", None), getattr(item, "cls", None))
    if any(getattr(owner, "clearstone_config", None) is not None for owner in where):
        return True
    path = str(item.path)
    return any(path.startswith(place) for place in overrides)


def _readers_after_writers(
    items: list[pytest.Item],
    readers: dict[pytest.Item, str],
    writers: dict[str, tuple[str, list[pytest.Item]]],
) -> list[pytest.Item]:
    """``items`` with each test that only reads a golden this run records (``readers``: the
    test -> its golden, case-folded) moved to just after the last test to run that records it,
    so it reads what the run recorded whatever order the tests were collected or shuffled in
    (pytest-randomly); the others keep their order."""
    read = set(readers.values())
    recording = {  # a test that records a golden some test reads -> that golden
        test: golden for golden, (_, tests) in writers.items() if golden in read for test in tests
    }
    last: dict[str, int] = {}  # golden -> the place of the last test to run that records it
    for place, item in enumerate(items):
        if item in recording:
            last[recording[item]] = place
    if not last:
        return items
    moved: dict[int, list[pytest.Item]] = {}  # a writer's place -> the readers to run after it
    ordered: list[pytest.Item] = []
    for place, item in enumerate(items):
        after = last.get(readers.get(item, ""), -1)
        if after > place:
            moved.setdefault(after, []).append(item)
            continue
        ordered.append(item)
        ordered.extend(moved.pop(place, ()))
    return ordered


def _note_missing_key(config: pytest.Config, report: pytest.CollectReport) -> None:
    """A test module with goldens (its default folder) that failed to import for want of a
    provider key is told that the placeholder key comes only while tests replay
    (:func:`~.golden.import_keys.missing_key_note`): a section of its report, made where the
    module was collected (an xdist worker's report travels to the controller with it). The
    section goes into the traceback's own sections where it has them, which the JUnit XML
    writes too (a CI's test view shows a collection error's traceback only), else into the
    report's, which only the terminal shows."""
    path = config.rootpath / report.fspath
    longrepr = report.longrepr
    sections = [*report.sections, *getattr(longrepr, "sections", ())]
    if path.suffix != ".py" or any(section[0] == "clearstone" for section in sections):
        return
    from .golden.paths import GOLDENS_DIR, safe_file_name

    if (path.parent / GOLDENS_DIR / safe_file_name(path.stem)).is_dir():
        from .golden.import_keys import missing_key_note

        note = missing_key_note(
            _in_rootdir(config, path),
            str(report.longrepr),
            config.stash[_SETTINGS].placeholder_env,
            os.environ,
        )
        add_section = getattr(longrepr, "addsection", None)
        if note and callable(add_section):
            add_section("clearstone", note)
        elif note:
            report.sections.append(("clearstone", note))


@pytest.hookimpl(wrapper=True)
def pytest_ignore_collect(
    collection_path: Path, config: pytest.Config
) -> Generator[None, bool | None, bool | None]:
    """Note the test modules and directories a conftest's (or a plugin's)
    ``pytest_ignore_collect`` leaves out: parts of the suite not collected, like
    ``collect_ignore`` (the general form of it), whose goldens are kept."""
    ignored = yield
    if ignored:
        _note_left_out(config, collection_path)
    return ignored


def _note_left_out(config: pytest.Config, path: Path) -> None:
    """Note ``path``, which a ``pytest_ignore_collect`` implementation answered True for, when
    it may hold tests with goldens: a test module (``python_files``), or a directory other than
    those never searched for goldens (hidden ones, virtual environments,
    :data:`~.golden.unused.NOT_SEARCHED`). A directory in ``norecursedirs`` is one pytest leaves
    out itself, though its tests may be run by naming it (``pytest manual``). pytest's own
    answers for ``--ignore`` and ``collect_ignore`` are noted again, with their reason, by
    :func:`_note_collect_ignore`; its globs make the run a subset."""
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    name = path.name
    why = "left out by a pytest_ignore_collect hook"
    if path.is_dir():
        if (
            name.startswith(".")
            or name in NOT_SEARCHED
            or (path / "pyvenv.cfg").is_file()
            or (path / "conda-meta" / "history").is_file()
        ):
            return
        from .uncollected import in_norecursedirs

        if in_norecursedirs(path, config.getini("norecursedirs")):
            why = "in norecursedirs"
    elif not any(fnmatch.fnmatch(name, p) for p in config.getini("python_files")):
        return
    why = f"{_shown(config, path)} is {why}"
    state.left_out.setdefault(str(path), why)


def _note_collect_ignore(config: pytest.Config, state: _RunState) -> None:
    """The paths given to ``--ignore`` (often in the ini's ``addopts``) and those in the loaded
    conftests' ``collect_ignore`` are parts of the suite not collected; a
    ``collect_ignore_glob`` makes the run a subset (which goldens its patterns leave out is not
    worked out), as ``--ignore-glob`` does. Then those a ``pytest_ignore_collect`` hook left
    out (:func:`_note_left_out`; pytest's own hook answers for the paths above too: each part is
    said once, with the reason that names the option)."""
    for entry in config.getoption("ignore", None) or ():
        path = Path(os.path.abspath(entry))
        state.uncollected.setdefault(str(path), f"{_shown(config, path)} is --ignore'd")
    for plugin in config.pluginmanager.get_plugins():
        file = getattr(plugin, "__file__", None)
        if not isinstance(file, str) or os.path.basename(file) != "conftest.py":
            continue
        conftest = _shown(config, Path(file))
        if getattr(plugin, "collect_ignore_glob", None):
            state.subset = state.subset or f"collect_ignore_glob in {conftest}"
        for entry in getattr(plugin, "collect_ignore", None) or ():
            path = Path(os.path.normpath(os.path.join(os.path.dirname(file), os.fspath(entry))))
            state.uncollected.setdefault(
                str(path), f"{_shown(config, path)} is in collect_ignore of {conftest}"
            )
    for path_left_out, why in state.left_out.items():
        state.uncollected.setdefault(path_left_out, why)


def _goldens_named(item: pytest.Item) -> set[str]:
    """The goldens the item's ``replay`` markers name when they cannot be read together: each
    path given, else the default path."""
    given = (
        mark.args[0] if mark.args else mark.kwargs.get("path")
        for mark in item.iter_markers("replay")
    )
    paths = {
        _golden_path(item, path) for path in given if isinstance(path, (str, Path)) and str(path)
    }
    return paths or {_golden_path(item, None)}


def _report_shared_goldens(
    session: pytest.Session,
    items: list[pytest.Item],
    shared: list[tuple[str, list[pytest.Item]]],
) -> None:
    """Two tests that would record the same golden are a collection error naming both (under
    pytest-xdist they would overwrite each other's recording); they are not run."""
    for golden, tests in shared:
        *others, last = (t.nodeid for t in tests)
        names = f"{', '.join(others)} and {last}"
        markers = [marker for marker in map(_marker, tests) if marker is not None]
        given_by = {marker.given_by("path") for marker in markers}
        function = _parametrized_function(tests)
        # (paths that reach one file through a linked folder, not only in other case)
        reached = dict.fromkeys(
            t.stash[_GOLDEN] for t in tests if t.stash[_GOLDEN].casefold() != golden.casefold()
        )
        if reached:
            fix = (
                "one file, reached through a symlink: give each test its own path "
                "(@pytest.mark.replay(PATH, ...)), or leave one of them out of the collection "
                "(--ignore)"
            )
        # default paths (made from the node ids): leaving the path out is no fix
        elif all(marker.path is None for marker in markers):
            fix = _default_paths_fix([_path_parts(item) for item in tests])
        elif function and given_by == {t.nodeid for t in tests}:  # (its own decorator's)
            fix = (
                f"the path is given by the replay marker of {function}, the same for each of "
                f"its parameters: leave the path out (one golden per parameter, "
                f"{tests[0].name}.ckpt), or give each parameter its own "
                "(pytest.param(..., marks=pytest.mark.replay(PATH, ...)))"
            )
        elif len(given_by) == 1 and given_by.isdisjoint(t.nodeid for t in tests):
            fix = (
                f"the path is given by the replay marker of {given_by.pop()}, which applies to "
                "each of its tests: give each test its own path on its own marker (or leave the "
                "path out: one golden per test), or give mock=None to the tests that only read it"
            )
        elif any("mock" in marker.keywords for marker in markers):
            fix = (
                "give each test its own path (or leave the path out: one golden per test), or "
                "drop mock= from the tests that only read it"
            )
        else:  # (no marker gives mock=: the ini's clearstone_mock does, for every test)
            fix = (
                "give each test its own path (or leave the path out: one golden per test), or "
                "give mock=None to the tests that only read it (their mock= comes from the ini "
                "option clearstone_mock)"
            )
        each = "both" if len(tests) == 2 else "all"
        if reached:
            golden = f"{golden} (also reached as {', '.join(reached)})"
        message = f"{names} would {each} record the golden {golden}: {fix}"
        report = pytest.CollectReport(tests[0].nodeid, "failed", message, [])
        session.config.hook.pytest_collectreport(report=report)
        items[:] = [item for item in items if item not in tests]


def _parametrized_function(tests: list[pytest.Item]) -> str:
    """The node id of the test function whose parameters ``tests`` all are (``""``: they are
    not the parameters of one function)."""
    first = tests[0]
    name = getattr(first, "originalname", None)
    if name is None or not all(hasattr(t, "callspec") for t in tests):
        return ""
    if any(t.parent is not first.parent or getattr(t, "originalname", None) != name for t in tests):
        return ""
    return first.nodeid.removesuffix(first.name) + str(name)


#: what the parts of a default golden path (module, classes, test) are, in a clash's message
_PATH_PARTS = ("their test modules", "their classes", "the tests")


def _path_parts(item: pytest.Item) -> tuple[str, str, str]:
    """The parts of the item's default golden path as :func:`_default_paths_fix` names them:
    its module's file name, its classes and its test's name (without parameters)."""
    return (
        item.path.name,
        ".".join(node.name for node in item.listchain() if isinstance(node, pytest.Class)),
        getattr(item, "originalname", item.name),
    )


def _node_id_parts(node_id: str) -> tuple[str, str, str]:
    """:func:`_path_parts` of the test a node id names (a golden's ``metadata['test']``)."""
    file, *classes, test = node_id.partition("[")[0].split("::")
    return file.rpartition("/")[2], ".".join(classes), test


def _default_paths_fix(parts: list[tuple[str, str, str]]) -> str:
    """What to do about tests whose default golden paths clash, by their parts (their module's
    file name, classes and test name: :func:`_path_parts`, :func:`_node_id_parts`): the first
    part of the paths that differs between them is renamed (the module, a class, the test),
    or, where only their parameters do, given other ids; or each test is given its own path."""
    for where, names in zip(_PATH_PARTS, zip(*parts, strict=True), strict=True):
        if len(set(names)) > 1:
            return (
                f"the names of {where} ({', '.join(dict.fromkeys(names))}) differ only in case "
                "or in characters a file name cannot hold: rename one of them, or give each "
                "test its own path (@pytest.mark.replay(PATH, ...))"
            )
    return (
        "their default paths differ only in case or in characters a file name cannot hold: give "
        "them ids that differ otherwise (pytest.param(..., id=...)), or each its own path "
        "(@pytest.mark.replay(PATH, ...))"
    )


def _install_codec_hooks(config: pytest.Config) -> None:
    """Let conftests' ``pytest_clearstone_encode``/``_decode`` teach the codec their types
    (installed after collection, when every conftest is known; only when one implements them:
    the encode hook would be asked about every value the codec does not know)."""
    hook = config.hook
    if not (
        hook.pytest_clearstone_encode.get_hookimpls()
        or hook.pytest_clearstone_decode.get_hookimpls()
    ):
        return
    # (imported by name, not as the package's attribute: after sys.modules was restored, as
    # pytester does between in-process runs, the attribute is the previous run's codec)
    from .codec import use_hooks

    def encode(value: Any) -> Any:
        return hook.pytest_clearstone_encode(value=value, config=config)

    def decode(type_path: str, data: Any) -> Any:
        return hook.pytest_clearstone_decode(type_path=type_path, data=data, config=config)

    config.stash[_STATE].undo_codec_hooks = use_hooks(encode, decode)


def _selection(config: pytest.Config) -> str:
    """How the command line selects a subset of the suite (``""``: it does not)."""
    option = config.option
    for flag, given in (
        ("-k", getattr(option, "keyword", "")),
        ("-m", getattr(option, "markexpr", "")),
        ("--lf", getattr(option, "lf", False)),
        ("--deselect", getattr(option, "deselect", None)),
        ("--ignore-glob", getattr(option, "ignore_glob", None)),
    ):
        if given:
            return flag
    if config.args_source is pytest.Config.ArgsSource.TESTPATHS:
        return ""
    # what is collected: the arguments, or (none given) the directory pytest runs in, which
    # from below the rootdir is a part of the suite as if it were given
    root = config.rootpath.resolve()
    whole = {root, *((root / p).resolve() for p in config.getini("testpaths"))}
    for arg in config.args:
        if "::" in arg:
            return "node ids"
        path = Path(arg).resolve()
        if path not in whole and path not in root.parents:  # (a parent holds the whole suite)
            if config.args_source is pytest.Config.ArgsSource.ARGS:
                return "file or directory arguments"
            return (
                f"collected from {_in_rootdir(config, path)}, not from the rootdir "
                f"{config.rootpath}"
            )
    return ""


def _shown(config: pytest.Config, path: Path) -> str:
    """``path`` where it is under the rootdir, as the summary names it: relative to the
    directory pytest was started in (as the summary names tests), where a command given it
    (``git diff``) runs; else as it is. Its control characters escaped (a file's name comes
    from the repository: it reaches the terminal as text)."""
    from .printable import printable

    relative = _in_rootdir(config, path)
    if relative == str(path):
        return printable(relative)
    try:
        return printable(os.path.relpath(path, config.invocation_params.dir))
    except ValueError:  # (another drive than the rootdir's, on Windows)
        return printable(relative)


def _in_rootdir(config: pytest.Config, path: Path) -> str:
    """``path`` relative to the rootdir where it is under it, else as it is."""
    try:
        return str(path.relative_to(config.rootpath))
    except ValueError:
        return str(path)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    config = session.config
    state = config.stash[_STATE]
    if state.provider is not None:
        if state.unchecked_traces:
            from .errors import TraceStoreError

            # (a store that refuses the write refuses it again just below, which tells why)
            with contextlib.suppress(TraceStoreError):
                _withhold_secrets(
                    state.provider,
                    state.unchecked_traces,
                    state.unchecked_secrets,
                    config.stash[_SETTINGS].redactor.placeholder,
                )
            state.unchecked_traces, state.unchecked_secrets = [], {}
        state.store_problem = state.store_problem or _shutdown_problem(state.provider)
    if (
        state.store_problem
        and session.exitstatus == pytest.ExitCode.OK
        and config.stash[_SETTINGS].mode is not Mode.REPLAY
    ):
        # a recording's spans are part of what was asked for; a replay's are diagnostics, so a
        # read-only CI checkout does not fail a green replay (the summary warns)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED  # (the summary says why)
    if hasattr(config, "workeroutput"):
        config.workeroutput["clearstone_referenced"] = sorted(state.referenced)
        config.workeroutput["clearstone_test_dirs"] = sorted(state.test_dirs)
        config.workeroutput["clearstone_subset"] = state.subset
        config.workeroutput["clearstone_uncollected"] = state.uncollected
        config.workeroutput["clearstone_missing_at_collection"] = state.missing_at_collection
        config.workeroutput["clearstone_store_problem"] = state.store_problem
        config.workeroutput["clearstone_outside_rootdir"] = {
            node_id: str(path) for node_id, path in state.outside_rootdir.items()
        }
        config.workeroutput["clearstone_marked"] = sorted(state.marked)
    _unset_placeholder_keys(state)
    if state.undo_codec_hooks is not None:
        state.undo_codec_hooks()
        state.undo_codec_hooks = None
    if state.release_socket_hooks is not None:
        state.release_socket_hooks()
        state.release_socket_hooks = None


def _shutdown_problem(provider: TracerProvider) -> str:
    """Write the spans left and close the store; why the store refused them ("": it did not).
    A store that cannot take them (another program's SQLite file, a full disk) is reported in
    the summary instead of crashing pytest after the tests ran."""
    from .errors import ClearstoneError

    try:
        provider.shutdown()
    except ClearstoneError as exc:  # (its spans let go: not told again as the process ends)
        return str(exc)
    return ""


_PER_TEST = "clearstone-per-test"
_TRACEBACKS = "clearstone-tracebacks"
_OUR_FIXTURES = frozenset({"replay", "checkpoint", "clearstone_tracer"})


class _RecordDivergedProtocol:
    """``--clearstone-mode=record-diverged``: marked tests run by
    :func:`_runtest_protocol_record_diverged` (registered only in that mode)."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem: pytest.Item | None) -> Any:
        if _marker(item) is not None:
            return _runtest_protocol_record_diverged(item, nextitem)
        return None

    @pytest.hookimpl(optionalhook=True, tryfirst=True)
    def pytest_timeout_set_timer(self, item: pytest.Item, settings: Any) -> None:
        """pytest-timeout starts a test's timer: note its settings, to start it again for the
        live run (:func:`_restart_timeout`); its own hook then starts it."""
        item.stash[_TIMEOUT_SETTINGS] = settings

    def pytest_runtest_teardown(self, item: pytest.Item) -> None:
        """Note the mock targets a replay attempt called (before its Replay is dropped), for
        the check of the recording that may follow (:func:`_check_recorded`)."""
        replay = item.stash.get(_REPLAY, None)
        if replay is not None and item.stash.get(_ATTEMPT, None) is Mode.REPLAY:
            targets = dict.fromkeys(call.target for call in replay.calls)
            item.stash[_REPLAYED_TARGETS] = tuple(targets)


class _SetUpHooks:
    """Around a test's set-up (a wrapper: :class:`_PerTestHooks` has the plain hook of the same
    name, which runs first): a marked test whose fixtures failed is noted for the summary."""

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> Generator[None, None, None]:
        __tracebackhide__ = True  # (an error a hook raised in a fixture's set-up passes here)
        try:
            yield from _fixtures_guarded(item)  # (the fixtures' set-up)
        # (pytest.fail() and sys.exit() in a fixture are no Exception, and fail the set-up too)
        except (Exception, pytest.fail.Exception, SystemExit) as exc:
            _set_up_failed(item, exc)
            raise
        _fail_if_marked_too_late(item)


def _fail_if_marked_too_late(item: pytest.Item) -> None:
    """Fail a test that a fixture gave a ``replay`` marker (``request.applymarker``) after the
    plugin read its markers (:func:`_marker`, when its set-up began): the marker would be
    ignored, and a test marked only so would run live, neither recorded nor replayed."""
    marks, known = item.own_markers, item.stash.get(_MARKS, None)
    if (
        known is not None
        and len(marks) > known[0]
        and any(mark.name == "replay" for mark in marks[known[0] :])
    ):
        pytest.fail(
            f"{item.nodeid}: @pytest.mark.replay was added while the test was set up (by a "
            "fixture: request.applymarker or node.add_marker), too late: the plugin reads the "
            "markers before the test's fixtures run, so it would be ignored (a test marked only "
            "so would run live, neither recorded nor replayed). Put the marker on the test (or "
            "its class or module), or add it in a conftest's pytest_collection_modifyitems",
            pytrace=False,
        )


class _PerTestHooks:
    """The per-test hooks, registered only when a collected test uses the ``replay`` marker or
    ``clearstone_tracer``: a suite that does not use the plugin pays nothing per test."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        _running.append(item)
        if item.user_properties:
            _forget_attempt_notes(item)
        _runtest_setup(item)

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_call(self, item: pytest.Item) -> Generator[None, Any, Any]:
        __tracebackhide__ = True
        return (yield from _runtest_call(item))

    @pytest.hookimpl(wrapper=True, tryfirst=True)
    def pytest_runtest_makereport(
        self, item: pytest.Item, call: pytest.CallInfo[Any]
    ) -> Generator[None, pytest.TestReport, pytest.TestReport]:
        """A subtest's report is noted for its test (:func:`_subtest_report`), as the skipping
        plugin leaves it and before the subtests fixture counts it. A recording's golden is
        written here, once its call's report is made (:func:`_write_if_passed`): the hooks of
        the skipping plugin and of pytest-check, which fail a test after its call returned,
        ran inside this wrapper (``tryfirst``). Tracebacks are cut first
        (:func:`_cut_tracebacks`)."""
        _cut_tracebacks(item, call)
        raised = call.excinfo  # (what the call raised, before a TestCase's failure replaces it)
        report = yield
        if call.when == "call":
            if _SUBTESTS in item.stash:  # made while the test's call runs
                _subtest_report(item, call, report)
            elif _UNSAVED in item.stash:  # a recording's call returned: its report is final
                unsaved = item.stash[_UNSAVED]
                del item.stash[_UNSAVED]
                _write_if_passed(item, call, report, unsaved)
            elif (
                call.excinfo is not raised
                and call.excinfo is not None
                and report.failed
                and _REPLAY in item.stash  # (a marked test)
            ):
                _failed_in_test_case(item, call.excinfo.value, report)
            if _STORED_TRACE in item.stash:  # (the golden is written, or known not to be)
                _withhold_from_store(item, item.stash[_STORED_TRACE])
                del item.stash[_STORED_TRACE]
        if call.excinfo is not None and report.failed:  # (a golden not written fails it too)
            _at_the_test(item, call.excinfo.value, report)
        return report

    @pytest.hookimpl(tryfirst=True)
    def pytest_fixture_setup(self, fixturedef: Any, request: pytest.FixtureRequest) -> None:
        """Before the ``replay`` fixture is made, the test's ``tmp_path`` is (see
        :func:`_use_tmp_path`). Here rather than in the fixture, which would need ``request``:
        pytest builds a new fixture definition each time ``request`` is asked for (~60 us)."""
        if fixturedef.argname == "replay" and _running:
            _use_tmp_path(_running[-1], request)

    @pytest.hookimpl(wrapper=True)
    def pytest_pyfunc_call(self, pyfuncitem: pytest.Function) -> Generator[None, Any, Any]:
        # (a wrapper: around the plugins that run the function, anyio's and pytest-asyncio's)
        __tracebackhide__ = True
        _reseed(pyfuncitem)
        test = pyfuncitem.obj
        code = getattr(test, "__code__", None)  # (a function's or a method's: no inspect calls)
        if _SEED not in pyfuncitem.stash or not (
            code.co_flags & inspect.CO_COROUTINE
            if code is not None
            else inspect.iscoroutinefunction(test)
        ):
            return (yield)
        # an async test a plugin runs in a context of its own (anyio's): in the test's branch
        from .golden.threads import in_this_branch

        pyfuncitem.obj = wrapped = in_this_branch(test)
        try:
            return (yield)
        finally:
            if pyfuncitem.obj is wrapped:  # (pytest's --trace wraps it again, and leaves that)
                pyfuncitem.obj = test

    @pytest.hookimpl(wrapper=True)
    def pytest_runtest_teardown(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> Generator[None, Any, Any]:
        try:
            yield from _runtest_teardown(item)
        finally:
            # items live for the whole session: drop the checkpoint, trace and replay session
            # (a large suite would otherwise keep every golden in memory)
            if _REPLAY in item.stash:
                del item.stash[_REPLAY]
            if _REDACTOR in item.stash:
                del item.stash[_REDACTOR]
            if _REPLAY_REDACTION in item.stash:
                del item.stash[_REPLAY_REDACTION]
            if isinstance(nextitem, _AfterReplayAttempt):  # (the same test runs again next)
                nextitem = nextitem.nextitem
            if not _replays(nextitem):
                _unset_placeholder_keys(item.config.stash[_STATE])
            for key in (_MARKER_KEYWORDS, _OPTIONS):
                if key in item.stash:
                    del item.stash[key]
            for flag in (_CONFIGURED, _CONFIG_REFUSED):
                if flag in item.stash:
                    del item.stash[flag]
            if _TMP_PATH_ROOT in item.stash:
                item.stash[_TMP_PATH_ROOT]()
                del item.stash[_TMP_PATH_ROOT]
            if _running and _running[-1] is item:
                _running.pop()


#: the keys of the notes the plugin leaves in a test's user_properties for its summary
_NOTE_KEYS = frozenset(
    {
        "clearstone",
        "clearstone-golden",
        "clearstone-missing",
        "clearstone-not-written",
        "clearstone-rerecorded",
        "clearstone-test",
    }
)


#: the notes of one attempt of a test (record-diverged's, that it re-records, are the run's)
_ATTEMPT_NOTES = _NOTE_KEYS - {"clearstone-rerecorded"} | {"clearstone-reads-only"}


def _forget_attempt_notes(item: pytest.Item) -> None:
    """Start an attempt of the test with none of the notes of the one before (a test that
    pytest-rerunfailures runs again is the same item, with the same user_properties): its
    report tells what this attempt did."""
    item.user_properties[:] = [p for p in item.user_properties if p[0] not in _ATTEMPT_NOTES]


def _report_outcome(report: pytest.TestReport | pytest.CollectReport) -> str:
    """The test's clearstone outcome on its report (``""``: none; a collection error has
    none). A record-diverged re-run that did not record leaves the golden as stale as its
    replay found it: its outcome is the replay's (diverged or missing)."""
    outcome = rerecorded = ""
    for key, value in getattr(report, "user_properties", ()):
        if key == "clearstone":
            outcome = str(value)
        elif key == "clearstone-rerecorded":
            rerecorded = str(value)
    return rerecorded if rerecorded and outcome != "recorded" else outcome


#: the outcome of the report of a failed attempt that pytest-rerunfailures runs again
_RERUN: str = "rerun"


def _noted(
    report: pytest.TestReport,
) -> tuple[str, list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
    """What the plugin's notes on the test's ``report`` say: its outcome, the goldens written
    (path, change), and the tests re-recorded (node id, why) and not written (node id, why)."""
    outcome = _report_outcome(report)
    written: list[tuple[str, str]] = []
    rerecorded: list[tuple[str, str]] = []
    not_written = [str(v) for k, v in report.user_properties if k == "clearstone-not-written"]
    for key, value in report.user_properties:
        if key == "clearstone-golden" and isinstance(value, (list, tuple)):
            written.append((str(value[0]), str(value[1])))
        elif key == "clearstone-rerecorded" and outcome == "recorded":
            rerecorded.append((report.nodeid, str(value)))
        elif key == "clearstone-rerecorded" and report.failed and not not_written:
            # the live re-run failed before the test ran (in its set-up)
            not_written.append(_FAILED_WHILE_RECORDING)
    if not_written and hasattr(report, "wasxfail"):  # it failed, as an xfail expects
        not_written = [
            f"{why} and xfailed: {_RECORDED_IF_PASSING}"
            if why.startswith(_FAILED_WHILE_RECORDING)
            else why
            for why in not_written
        ]
    return outcome, written, rerecorded, [(report.nodeid, why) for why in not_written]


class _Reporter:
    """Counts clearstone outcomes from test reports (also those sent by xdist workers) and
    writes the terminal summary section."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.state = config.stash[_STATE]
        # an xdist worker sends its reports on whole: the controller reads and strips them
        self.strips = not hasattr(config, "workerinput")
        #: the goldens written by an attempt of a test that is run again (see _forget_attempt)
        self.superseded: dict[str, list[tuple[str, str]]] = {}
        #: the reports (their ids: the terminal reporter keeps them) of those attempts' calls
        self.forgotten: set[int] = set()

    @pytest.hookimpl(tryfirst=True)  # before junitxml writes the properties of the teardown's
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.when == "teardown":
            if report.outcome == _RERUN:  # (its call passed, and was counted)
                self._forget_attempt(report.nodeid)
            elif self.superseded and report.nodeid in self.superseded:
                # (its last attempt made no call's report: skipped at set-up)
                self.state.written.extend(self.superseded.pop(report.nodeid))
            if self.strips and report.user_properties:
                # the plugin's notes travel in user_properties (xdist sends them) but are not
                # the user's: kept out of the JUnit XML (xunit2 has no testcase properties)
                report.user_properties = [
                    p for p in report.user_properties if p[0] not in _NOTE_KEYS
                ]
            return
        if report.when != "call" and not (report.when == "setup" and report.failed):
            return
        if report.outcome == _RERUN:  # pytest-rerunfailures runs it again: the last attempt counts
            return
        state = self.state
        properties = report.user_properties
        if not properties and not self.superseded:  # a test the plugin took no part in
            return
        if (
            len(properties) == 1 and properties[0][0] == "clearstone" and not self.superseded
        ):  # the usual case
            outcome = str(properties[0][1])
            if outcome in state.counts:
                state.counts[outcome] += 1
            return
        outcome, written, rerecorded, not_written = _noted(report)
        if outcome in state.counts:
            state.counts[outcome] += 1
        # (a file an earlier attempt wrote, which this one did not write again, stays written)
        earlier = self.superseded.pop(report.nodeid, [])
        state.written.extend([*(w for w in earlier if w[0] not in dict(written)), *written])
        state.rerecorded.extend(rerecorded)
        state.not_written.extend(not_written)

    def _forget_attempt(self, node_id: str) -> None:
        """Take back what the attempt of the test ``node_id`` whose teardown failed (and which
        pytest-rerunfailures runs again) counted when its call's report passed: the last
        attempt tells what the test did. The goldens it wrote are noted, as the files hold
        them unless the next attempt writes them again."""
        stats = getattr(self.config.pluginmanager.get_plugin("terminalreporter"), "stats", {})
        # (its call's report: the test's one that counted, as those of its earlier attempts
        # were either reruns or forgotten already)
        calls = [
            r
            for reports in stats.values()
            for r in reports
            if getattr(r, "when", None) == "call"
            and r.nodeid == node_id
            and r.outcome != _RERUN
            and id(r) not in self.forgotten
        ]
        if not calls:  # (no terminal reporter: -p no:terminal)
            return
        self.forgotten.add(id(calls[-1]))
        state = self.state
        outcome, written, rerecorded, not_written = _noted(calls[-1])
        if state.counts.get(outcome):
            state.counts[outcome] -= 1
        for entries, taken in (
            (state.written, written),
            (state.rerecorded, rerecorded),
            (state.not_written, not_written),
        ):
            for entry in taken:
                if entry in entries:  # (its last occurrence)
                    del entries[len(entries) - 1 - entries[::-1].index(entry)]
        paths = dict(written)
        earlier = self.superseded.get(node_id, [])
        self.superseded[node_id] = [*(w for w in earlier if w[0] not in paths), *written]

    @pytest.hookimpl(optionalhook=True)
    def pytest_testnodedown(self, node: Any, error: Any) -> None:
        """pytest-xdist: gather the checkpoint paths each worker collected."""
        output = getattr(node, "workeroutput", {})
        state = self.state
        state.referenced.update(output.get("clearstone_referenced", ()))
        state.test_dirs.update(output.get("clearstone_test_dirs", ()))
        state.subset = state.subset or str(output.get("clearstone_subset", ""))
        state.uncollected.update(output.get("clearstone_uncollected", {}))
        state.missing_at_collection.update(output.get("clearstone_missing_at_collection", {}))
        state.store_problem = state.store_problem or str(output.get("clearstone_store_problem", ""))
        state.outside_rootdir.update(
            (node_id, Path(path))
            for node_id, path in output.get("clearstone_outside_rootdir", {}).items()
        )
        state.marked.update(output.get("clearstone_marked", ()))
        state.worker_ended = state.worker_ended or "clearstone_referenced" in output

    @pytest.hookimpl(optionalhook=True, trylast=True)  # (after pytest-rerunfailures' own)
    def pytest_handlecrashitem(self, crashitem: str, report: pytest.TestReport) -> None:
        """pytest-xdist: a worker crashed while running ``crashitem`` (which is not run again)."""
        if report.outcome != _RERUN:
            self.state.crashed.append(crashitem)

    def _note_crashed(self, stats: dict[str, list[Any]]) -> None:
        """List the marked tests whose worker crashed while they recorded (before their call's
        report, which says what was written, reached the controller) as not written."""
        state = self.state
        crashed = [node_id for node_id in state.crashed if node_id in state.marked]
        reported = {  # (a crash in a test's teardown: its call's report came first)
            r.nodeid
            for reports in stats.values()
            for r in reports
            if getattr(r, "when", None) == "call" and r.nodeid in crashed
        }
        state.not_written.extend(
            (node_id, "its xdist worker crashed while the test ran")
            for node_id in crashed
            if node_id not in reported
        )
        state.crashed = []

    def pytest_deselected(self, items: list[pytest.Item]) -> None:
        if items:
            self.state.subset = self.state.subset or "deselected tests"

    @pytest.hookimpl(tryfirst=True)  # (before an xdist worker sends a failed report on)
    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        # (under xdist the controller is passed each failed report of its workers, once)
        if report.failed:
            self.state.collect_errors += 1
            _note_missing_key(self.config, report)
        elif report.skipped and report.fspath:  # a module that skipped itself at import
            path = self.config.rootpath / report.fspath
            self.state.uncollected.setdefault(
                os.path.normpath(path),
                f"{_shown(self.config, path)} was skipped at collection",
            )

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if hasattr(self.config, "workerinput"):
            return  # an xdist worker: the controller gathers, prunes and reports
        from .golden.unused import prune, unused_goldens

        counts, state = self.state.counts, self.state
        if state.crashed:
            self._note_crashed(terminalreporter.stats)
        if not state.worker_ended and self.config.pluginmanager.has_plugin("dsession"):
            # (the controller collects nothing: the workers tell it which tests use a golden)
            state.subset = state.subset or (
                "no pytest-xdist worker ended its run, so the tests collected are not known: a "
                "worker crashed"
            )
        prune_asked = bool(self.config.getoption("clearstone_prune_unused"))
        option = self.config.option
        preview = _preview(self.config)
        # with a subset of the suite collected every other golden would look unused: the list
        # is left out (and pruning refused)
        whole = not state.subset and not state.collect_errors
        # a suite none of whose tests uses a golden is not searched (the plugin unused costs
        # nothing at the end of the run)
        searched = whole and (bool(state.referenced) or prune_asked)
        unused = unused_goldens(state.test_dirs, state.referenced) if searched else []
        # goldens that may belong to tests not collected (a module skipped at import): kept
        kept: list[tuple[Path, str]] = []
        if state.uncollected and unused:
            from .uncollected import Uncollected

            uncollected = Uncollected(state.uncollected, self.config.getini("python_files"))
            kept = [(path, uncollected.why_kept(str(path))) for path in unused]
            unused = [path for path, why in kept if not why]
            kept = [(path, why) for path, why in kept if why]
        if unused:  # (a marked doctest this run did not collect)
            from .uncollected import doctest_goldens

            doctests = doctest_goldens(unused, bool(getattr(option, "doctestmodules", False)))
            if doctests:
                unused = [path for path in unused if path not in doctests]
                kept += doctests.items()
        # record-diverged runs a marked test its own way, which pytest-rerunfailures does not
        # repeat: said when reruns were asked for
        no_reruns = (
            bool(state.referenced)
            and self.config.stash[_SETTINGS].mode is Mode.RECORD_DIVERGED
            and _reruns_asked(self.config)
        )
        happened = (
            no_reruns
            or any(counts.values())
            or unused
            or kept
            or prune_asked
            or state.store_problem
            or state.written
            or state.not_written
            or state.rerecorded
        )
        if not happened:
            return
        tr = terminalreporter
        tr.write_sep("=", "clearstone")
        missing = f", {counts['missing']} missing" if counts["missing"] else ""
        # a golden that is there but cannot be read (damaged, edited, a refused pickle)
        unreadable = f", {counts['unreadable']} unreadable" if counts["unreadable"] else ""
        if not preview or any(counts.values()):  # (a run of no test: only what it previews)
            tr.write_line(
                f"{counts['replayed']} checkpoint(s) replayed, {counts['recorded']} recorded, "
                f"{counts['diverged']} diverged{missing}{unreadable}",
                bold=True,
                red=bool(counts["diverged"] or counts["missing"] or counts["unreadable"]),
            )
        state = self.state
        if state.store_problem and self.config.stash[_SETTINGS].mode is Mode.REPLAY:
            tr.write_line(
                "warning: the spans of this replay were not written to the trace store (the "
                f"tests' results stand): {state.store_problem}",
                yellow=True,
            )
        elif state.store_problem:
            tr.write_line(
                f"the spans of this run were not written to the trace store: {state.store_problem}",
                red=True,
            )
        if state.written:
            tr.write_line("goldens written:")
            for shown, change in sorted(state.written):
                tr.write_line(f"  {shown}: {change}", green=change == "new", yellow=change
                              not in ("new", "unchanged"))  # fmt: skip
        # (node ids as pytest's own summary names them: from the directory it was started in)
        shown_id = _from_where_pytest_started(self.config)
        for node_id, why in sorted(state.rerecorded):  # (as the goldens written: not in the
            # order the tests ran, which under xdist is the order the workers finished them)
            tr.write_line(f"re-recorded ({why} on replay): {shown_id(node_id)}", yellow=True)
        if no_reruns:
            tr.write_line(
                "--reruns does not rerun @pytest.mark.replay tests in record-diverged mode: "
                "each replays once, and runs live once more if it diverged",
                yellow=True,
            )
        if state.not_written:
            tr.write_line("goldens not written (the old file, if any, stays):", red=True)
            for node_id, why in sorted(state.not_written):  # (as the re-recorded, above)
                tr.write_line(f"  {shown_id(node_id)}: {why}", red=True)
        # an unused golden that is likely the missing golden of a test renamed or moved is
        # named with the git mv that keeps it (below), and not pruned
        missed = _missing_goldens(tr) if counts["missing"] else state.missing_at_collection
        renamed = _renamed(missed, unused, shown_id) if missed and unused else []
        if prune_asked and renamed:
            olds = {old for old, _, _ in renamed}
            unused = [path for path in unused if path not in olds]
        if prune_asked and not whole:
            why = state.subset or f"{state.collect_errors} collection error(s)"
            tr.write_line(f"--clearstone-prune-unused: nothing deleted ({why})", red=True)
        elif prune_asked and preview and not unused:
            tr.write_line(
                f"--clearstone-prune-unused: nothing to delete ({preview}): "
                + (
                    "the unused goldens may be renamed tests' (below)"
                    if renamed
                    else "no golden is unused"
                )
            )
        elif prune_asked and preview:  # (no test runs: the run only shows what it would do)
            tr.write_line(
                f"--clearstone-prune-unused: nothing deleted ({preview}); run without "
                f"{preview} to delete the goldens listed below",
                yellow=True,
            )
        elif prune_asked:
            for path, problem in prune(unused):
                shown = _shown(self.config, path)
                if problem:
                    tr.write_line(f"could not delete unused golden {shown}: {problem}", red=True)
                else:
                    tr.write_line(f"deleted unused golden {shown}", yellow=True)
            unused = []
        if unused:
            tr.write_line("goldens that no collected test uses:")
            for path in unused:
                tr.write_line(f"  {_shown(self.config, path)}")
        if kept:
            tr.write_line("goldens kept, their tests were not collected:")
            for path, why in kept:
                tr.write_line(f"  {_shown(self.config, path)}: {why}")
        if preview:  # (no test ran: nothing counted missing, below)
            _write_renamed(tr, self.config, renamed, "(--clearstone-prune-unused would leave it)")
        if counts["diverged"] or counts["missing"]:
            from .commands import pytest_command, review_hint

            failing = [  # (an xfail test's missing or diverged golden is counted: named too)
                r
                for kind in ("failed", "error", "xfailed")
                for r in tr.stats.get(kind, ())
                if _report_outcome(r) in _RERECORD_AFTER
            ]
            readers = [r for r in failing if _reads_only(r)]
            writers = [r for r in failing if not _reads_only(r)]
            selection = _run_selection(self.config)
            if counts["diverged"] and self.config.stash[_SETTINGS].mode is Mode.RECORD_DIVERGED:
                # (this run re-recorded them: what is left failed live, or passed live with a
                # golden that could not be written: "goldens not written", above)
                hint = (
                    "the tests below failed live, or their goldens could not be saved, when they "
                    "ran to record their goldens again: fix what failed (above), then run again "
                    "with --clearstone-mode=record-diverged"
                )
            elif counts["diverged"]:
                and_missing = (
                    " and record the missing goldens"
                    if any(_report_outcome(r) == "missing" for r in writers)
                    else ""
                )
                # (--lf is pytest's cache's option: with -p no:cacheprovider it is not one)
                lf = self.config.pluginmanager.has_plugin("cacheprovider")
                hint = (
                    f"if the changes are intended, re-record what diverged{and_missing} with: "
                    + pytest_command("--clearstone-mode=record-diverged" + selection)
                    + (" (or --lf --clearstone-record)" if lf else "")
                )
            else:
                hint = (
                    "record the missing goldens with: "
                    + pytest_command("--clearstone-mode=record-missing" + selection)
                    + " (or --clearstone-mode=record-diverged)"
                )
            if writers:
                tr.write_line(f"hint: {hint}; {review_hint(self.config.rootpath)}")
                _write_node_ids(tr, writers, shown_id)
            left = "(--clearstone-prune-unused left it)" if prune_asked else ""
            _write_renamed(tr, self.config, renamed, left)
            if any(hasattr(r, "wasxfail") for r in writers):  # (recorded only if they pass)
                tr.write_line(
                    "  (the xfail tests above xfailed on their golden, not on what their mark "
                    f"expects: {_RECORDED_IF_PASSING}, so record each once it passes, its mark "
                    f"removed or not strict: {pytest_command('--clearstone-record NODE_ID')})"
                )
            if readers:
                from .errors import NOTHING_OUTSIDE

                tr.write_line(
                    "tests that only read their golden (no mock=): record it with the test that "
                    f"mocks its calls, or add mock= to their marker ({NOTHING_OUTSIDE})"
                )
                _write_node_ids(tr, readers, shown_id)
        elif unused and not prune_asked:
            tr.write_line(
                "hint: delete them with --clearstone-prune-unused, or point a "
                "@pytest.mark.replay test at them"
            )
        if counts["unreadable"]:
            _write_unreadable(tr, shown_id)


#: pytest's options under which no test runs, with their ``config.option`` names
_PREVIEWS = (
    ("--collect-only", "collectonly"),
    ("--setup-plan", "setupplan"),
    ("--setup-only", "setuponly"),
    ("--fixtures", "showfixtures"),
    ("--fixtures-per-test", "show_fixtures_per_test"),
)


def _preview(config: pytest.Config) -> str:
    """The option of :data:`_PREVIEWS` the run was given (``""``: none, tests run)."""
    return next((flag for flag, dest in _PREVIEWS if getattr(config.option, dest, False)), "")


def _missing_goldens(tr: pytest.TerminalReporter) -> dict[str, str]:
    """The goldens the tests of this run missed -> each test's node id."""
    tests: dict[str, str] = {}
    for kind in ("failed", "error", "xfailed"):
        for report in tr.stats.get(kind, ()):
            for key, value in getattr(report, "user_properties", ()):
                if key == "clearstone-missing":
                    tests.setdefault(os.path.normpath(str(value)), _test_of(report))
    return tests


def _renamed(
    tests: dict[str, str], unused: list[Path], shown: Callable[[str], str]
) -> list[tuple[Path, Path, str]]:
    """The goldens of ``unused`` that are likely one of the missing goldens ``tests`` (path ->
    the node id of its test) before its test was renamed or moved
    (:func:`~.golden.renames.renamed_goldens`): ``(old, new, the test's node id as ``shown``
    gives it)``."""
    from .golden.renames import renamed_goldens

    pairs = renamed_goldens(map(Path, tests), unused)
    return [(old, new, shown(tests[str(new)])) for old, new in pairs]


def _write_renamed(
    tr: pytest.TerminalReporter,
    config: pytest.Config,
    renamed: list[tuple[Path, Path, str]],
    left: str,
) -> None:
    """A line for each of the ``renamed`` goldens (:func:`_renamed`): the git mv that keeps
    it; ``left``: what --clearstone-prune-unused did with it (``""``: not asked)."""
    if not renamed:
        return
    from .commands import rename_command
    from .golden.renames import moved_folders

    # (a module's folder that moves whole: one command, not one a golden)
    folders = moved_folders((old, new) for old, new, _ in renamed)
    for old_folder, new_folder in folders:
        tests = [test for old, _, test in renamed if old.parent == old_folder]
        command = rename_command(old_folder, new_folder, lambda path: _shown(config, path))
        tr.write_line(
            f"{_shown(config, old_folder)}, which no collected test uses"
            f"{' ' + left if left else ''}, holds the goldens of the {len(tests)} tests of "
            f"{tests[0].partition('::')[0]} before it was renamed or moved: if so, keep them (no "
            f"live call) with: {command}",
            yellow=True,
        )
    moved = {old for old, _ in folders}
    for old, new, test in renamed:
        if old.parent in moved:
            continue
        command = rename_command(old, new, lambda path: _shown(config, path))
        tr.write_line(
            f"{_shown(config, old)}, which no collected test uses{' ' + left if left else ''}, "
            f"may be the golden of {test} before it was renamed or moved: if so, keep it (no "
            f"live call) with: {command}",
            yellow=True,
        )


def _write_unreadable(tr: pytest.TerminalReporter, shown: Callable[[str], str]) -> None:
    """The hint for the tests whose goldens cannot be read (damaged, conflicted, of a newer
    format...), which ``record-diverged`` leaves as they are: their node ids, each ``shown``.
    The fix is each failure's own (a Git LFS pointer or a link git checked out as a file must
    not be recorded over)."""
    reports = [
        report
        for kind in ("failed", "error", "xfailed")
        for report in tr.stats.get(kind, ())
        if _report_outcome(report) == "unreadable"
    ]
    if not reports:
        return
    tr.write_line(
        "hint: the goldens of the tests below cannot be read, and --clearstone-mode=record-"
        "diverged leaves them as they are: fix each as its failure above says"
    )
    _write_node_ids(tr, reports, shown)


def _write_node_ids(
    tr: pytest.TerminalReporter, reports: list[pytest.TestReport], shown: Callable[[str], str]
) -> None:
    """The node ids of the tests of the first ten of ``reports`` (each ``shown``), a line
    each, then how many more there are: a test pytest-repeat repeated is named once, without
    its repetition (as its golden names it)."""
    node_ids = list(dict.fromkeys(_test_of(report) for report in reports))
    for node_id in node_ids[:10]:
        tr.write_line(f"  {shown(node_id)}")
    if len(node_ids) > 10:
        tr.write_line(f"  ... and {len(node_ids) - 10} more")


def _test_of(report: pytest.TestReport) -> str:
    """The node id of the test of ``report``: without pytest-repeat's repetition."""
    for key, value in getattr(report, "user_properties", ()):
        if key == "clearstone-test":
            return str(value)
    return report.nodeid


# -- fixtures ----------------------------------------------------------------------------------
class _DefaultConfig(dict):  # type: ignore[type-arg]
    """The plugin's own ``clearstone_config`` value: an empty dict, told apart from one a
    user's fixture returns (an indirect parameter stands in for it, see
    :func:`_apply_config_fixture`)."""


@pytest.fixture(scope="module")
def clearstone_config() -> dict[str, Any]:
    """Defaults for the ``@pytest.mark.replay`` keywords ``mock``, ``strict``, ``ignore`` and
    ``ignore_state`` (like pytest-recording's ``vcr_config``): override it in a ``conftest.py``.
    Per keyword the marker wins, then this fixture, then the ini options ``clearstone_mock`` /
    ``clearstone_ignore``; a keyword given at a higher level replaces the lower one whole.
    Parametrized indirectly, each parameter's dict (checked as the fixture's value)."""
    # (no `request` argument: pytest resolves a fixture's arguments for every test that uses
    # it, also when its module-scoped value is cached — ~0.2 M instructions per test)
    return _DefaultConfig()


@pytest.fixture
def replay(clearstone_config: dict[str, Any]) -> Replay:
    """Record or replay an agent call against the test's golden checkpoint.

    Needs ``@pytest.mark.replay(path, mock={...})`` on the test. ``replay.run(agent.method,
    *args, **kwargs)`` runs the call: in record mode (``--clearstone-record``) live, saving the
    agent's state before it, the result and the final state as the golden outcome; in replay mode
    with the recorded state loaded and the mock targets answered from the recording, failing the
    test with a state delta when the result or the final state differ. ``replay.agent``,
    ``replay.checkpoint`` and ``replay.calls`` (calls made to mock targets) are there too.
    """
    item = _running[-1] if _running else None
    if item is not None:
        _apply_config_fixture(item, clearstone_config)
    found: Replay | None = None if item is None else item.stash.get(_REPLAY, None)
    if found is None:
        if item is not None:
            _fail_if_marked_too_late(item)
        where = "this test" if item is None else item.nodeid
        asked = getattr(item, "fixturenames", ())
        what = (
            "checkpoint and replay fixtures need"
            if "checkpoint" in asked
            else "replay fixture needs"
        )
        pytest.fail(f"{where}: the {what} @pytest.mark.{_MARKER} on the test", pytrace=False)
    return found


@pytest.fixture
def checkpoint(replay: Replay) -> Checkpoint | None:
    """The golden :class:`~pytest_clearstone.debugging.Checkpoint` of the test's replay marker;
    in a record attempt the previous golden, or ``None`` when there is none yet."""
    from .errors import ClearstoneError

    problem = ""
    try:
        return replay.checkpoint
    except ClearstoneError as exc:  # (missing: replaying; a record attempt gets None)
        problem = str(exc)
        if _running:
            _note_start_problem(_running[-1], replay, exc)
    pytest.fail(f"{replay.node_id}: {problem}", pytrace=False)


@pytest.fixture
def clearstone_tracer(request: pytest.FixtureRequest) -> Tracer:
    """A :class:`~pytest_clearstone.tracing.Tracer` writing to the run's trace store
    (``--clearstone-db``). The test runs inside a root span named after its node id. Its spans
    pass through the test's redaction rules and the ``pytest_clearstone_redact`` hook before
    they are written (the store, and a golden, never hold what they remove)."""
    return _redacting_tracer(request.node)


def _redacting_tracer(item: pytest.Item) -> Tracer:
    """The run's tracer for the spans ``item`` opens itself: their attributes, input, output
    and error go through the test's redaction rules (its recording's, so that what they miss
    fails the recording, else the configured ones) and the ``pytest_clearstone_redact`` hook
    when they open and when they end, before the store (and a golden) can hold them."""
    from . import __version__
    from .golden.recorder import redacting_tracer

    config = item.config
    _tracer(config)  # (the run's provider, made on first use)
    provider = config.stash[_STATE].provider
    assert provider is not None
    made: dict[int, Any] = {}  # each redactor's transform (the hook looked up once)

    def transform() -> Any:
        redactor = item.stash.get(_REDACTOR, None)
        if redactor is None:  # (not a recording: the configured rules, one copy per test)
            redactor = item.stash[_SPAN_REDACTOR] = (
                item.stash.get(_SPAN_REDACTOR, None) or config.stash[_SETTINGS].redactor.fresh()
            )
        found = made.get(id(redactor))
        if found is None:
            found = made[id(redactor)] = _transform(item, redactor)
        return found

    return redacting_tracer(provider, __version__, transform)


# -- the debugger -------------------------------------------------------------------------------
def _cut_tracebacks(item: pytest.Item, call: pytest.CallInfo[Any]) -> None:
    """A replay failure is reported in the user's own code, and ``--pdb`` opens there: before
    the report of a phase that raised is made, the traceback is cut after the innermost frame
    of the user's code (:func:`~.frames.is_users_file`: not this plugin's, nor an installed
    package's or the standard library's, under the rootdir or not), so the frames of a library
    between the agent's line and the mocked call (pydantic-ai's graph, LangChain's runnables,
    an SDK's wrappers) are neither where the report's crash line points nor where the debugger
    stops."""
    if call.excinfo is None:  # (every passing phase: nothing to look at)
        return
    found = _replay_errors_in(call.excinfo.value)
    for exc in found or _refusal(call):
        _end_traceback_in_user_code(exc, os.path.join(item.config.rootpath, ""))


_ALL_HIDDEN = "All traceback entries are hidden"  # (pytest's line for a traceback it hid whole)


def _at_the_test(item: pytest.Item, exc: BaseException, report: pytest.TestReport) -> None:
    """A failure the plugin raised where no frame of the user's is (a golden not found, before
    the call; recorded responses left unused, or a golden not written, after it) is reported at
    the test: its crash line (``--tb=line``, junitxml) names the test's line, not pluggy's or
    the plugin's, and pytest's advice to pass ``--full-trace``, which would show only the
    plugin's frames, is left out."""
    from .errors import ClearstoneError
    from .frames import PACKAGE_DIR

    ours = (
        isinstance(exc, ClearstoneError)
        or (isinstance(exc, pytest.fail.Exception) and str(exc).startswith(f"{item.nodeid}: "))
        # (a warning of the plugin's, under `filterwarnings = error`)
        or (isinstance(exc, Warning) and type(exc).__module__ == ClearstoneError.__module__)
    )
    chain = getattr(report.longrepr, "chain", None)
    if not ours or not isinstance(chain, list) or not chain:
        return
    traceback, crash, description = chain[-1]
    if str(getattr(traceback, "extraline", None) or "").startswith(_ALL_HIDDEN):
        traceback.extraline = None
    elif crash is None or not str(crash.path).startswith(PACKAGE_DIR):
        return
    if crash is not None:
        path, line, _ = item.reportinfo()
        crash = dataclasses.replace(crash, path=str(path), lineno=(line or 0) + 1)
        chain[-1] = (traceback, crash, description)
        report.longrepr.reprcrash = crash  # type: ignore[union-attr]


class _Tracebacks:
    """The one per-test hook of a session whose collected tests do not use the plugin (a
    replay error can still come from its API called directly), registered at collection in
    place of :class:`_PerTestHooks`: a plain hook, since a wrapper (as theirs is) costs every
    phase of every test ~7,000 instructions more."""

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo[Any]) -> None:
        _cut_tracebacks(item, call)


@pytest.hookimpl(tryfirst=True)
def pytest_exception_interact(
    node: pytest.Item | pytest.Collector, call: pytest.CallInfo[Any], report: Any
) -> None:
    """A replay error raised in a task group reaches pytest in the group, whose traceback ends
    in its ``__aexit__``: ``--pdb`` (which opens where ``call.excinfo``'s traceback ends) opens
    where the first replay error's ends instead, in the agent's frame that made the call (the
    report, made before, shows the whole group)."""
    if call.excinfo is None:
        return
    found = _replay_errors_in(call.excinfo.value)
    if found and found[0] is not call.excinfo.value:
        call.excinfo = pytest.ExceptionInfo.from_exception(found[0])
    frame = getattr(found[0], "agent_frame", None) if found else None
    if frame is not None:
        call.excinfo = _ending_in(call.excinfo, frame)


def _ending_in(
    excinfo: pytest.ExceptionInfo[BaseException], frame: FrameType
) -> pytest.ExceptionInfo[BaseException]:
    """``excinfo`` whose traceback goes on, after its last entry, into ``frame``: that of the
    agent's function whose run differs from the golden (a
    :class:`~.errors.GoldenMismatchError`, found after it returned), where ``--pdb`` opens,
    with ``self`` and the function's locals, and ``up`` reaches the test."""
    from types import TracebackType

    entries = []
    tb: TracebackType | None = excinfo.tb
    while tb is not None:
        entries.append(tb)
        tb = tb.tb_next
    chain = TracebackType(None, frame, frame.f_lasti, frame.f_lineno or 0)
    for entry in reversed(entries):
        chain = TracebackType(chain, entry.tb_frame, entry.tb_lasti, entry.tb_lineno)
    return pytest.ExceptionInfo.from_exc_info((type(excinfo.value), excinfo.value, chain))


def pytest_enter_pdb(config: pytest.Config, pdb: Any) -> None:
    """The debugger (``--pdb``, ``--trace``, a ``breakpoint()``) leaves the plugin's frames out
    of the stack it shows and walks, and out of its steps. ``where`` listed ``replay.run()`` and
    its steps between the test's frame and the agent's, and ``up`` from the agent's frame went
    into them (four ``up`` to reach the test). ``s`` on ``replay.run(agent.handle, ...)`` went
    into the plugin's code and what it calls, hundreds of steps before the agent's first line;
    now it stops in the agent's code the replay runs (``load_state``, then the method), and
    ``s`` on a replayed call goes on at the agent's next line. A breakpoint set in the plugin's
    code still stops there, and shows its frames."""
    rootdir = os.path.join(config.rootpath, "")
    stop_here, get_stack = getattr(pdb, "stop_here", None), getattr(pdb, "get_stack", None)
    if not callable(stop_here) or not callable(get_stack):  # (a --pdbcls not built on bdb)
        return

    def stack(frame: FrameType | None, tb: Any) -> tuple[list[tuple[FrameType, int]], int]:
        entries, index = get_stack(frame, tb)
        return _without_plugin_frames(entries, index, rootdir)

    pdb.stop_here = lambda frame: stop_here(frame) and not _run_by_plugin(frame, rootdir)
    pdb.get_stack = stack


def _run_by_plugin(frame: FrameType | None, rootdir: str) -> bool:
    """Whether ``frame`` runs the plugin's code, or code the plugin called that is not the
    user's: of the frames out from it, the first that is the plugin's or the user's is the
    plugin's."""
    from .frames import is_plugins, is_users_file

    while frame is not None:
        if is_plugins(frame):
            return True
        if is_users_file(frame.f_code.co_filename, rootdir):
            return False
        frame = frame.f_back
    return False


def _without_plugin_frames(
    stack: list[tuple[FrameType, int]], index: int, rootdir: str
) -> tuple[list[tuple[FrameType, int]], int]:
    """pdb's ``stack`` without the plugin's frames that come before its last frame of the
    user's code (its hooks above the test, ``replay.run()`` and its steps, a thread-pool job's
    wrapper), and the index of the same current frame in it (kept, whoever's it is)."""
    from .frames import is_plugins

    last = max((i for i, (frame, _) in enumerate(stack) if _users_frame(frame, rootdir)), default=0)
    kept = [
        i for i, (frame, _) in enumerate(stack) if i >= last or i == index or not is_plugins(frame)
    ]
    return [stack[i] for i in kept], kept.index(index) if index in kept else index


def _refusal(call: pytest.CallInfo[Any]) -> list[BaseException]:
    """The plugin's own error the test failed on (a value refused while recording): its
    traceback ends in the test's code too, since the plugin's frames would show their
    arguments — the agent's state, its API key included — in the report."""
    if call.excinfo is None:  # (every passing phase: nothing imported)
        return []
    from .errors import ClearstoneError

    exc = call.excinfo.value
    return [exc] if isinstance(exc, ClearstoneError) else []


def _replay_errors_in(exc: BaseException) -> list[BaseException]:
    """The replay errors ``exc`` is or holds: an ``asyncio.TaskGroup``, an anyio task group or
    a trio nursery raises the errors of its tasks together in an exception group (nested
    groups searched depth first; the ``exceptiongroup`` backport's on Python 3.10 too)."""
    from .errors import ReplayError, grouped

    found: list[BaseException] = [e for e in grouped(exc) if isinstance(e, ReplayError)]
    inner = None if found else _raised_in_doctest(exc)  # (a doctest example's error)
    return [e for e in grouped(inner) if isinstance(e, ReplayError)] if inner else found


def _damaged_by(exc: BaseException) -> bool:
    """Whether a test failed with ``exc`` because its golden is damaged (a replay found a
    recorded call of it damaged: :meth:`~.golden.responses.ReplaySession.damaged_golden`)."""
    from .errors import CheckpointClassChangedError, CheckpointCorruptError, grouped

    return any(
        isinstance(e, CheckpointCorruptError) and not isinstance(e, CheckpointClassChangedError)
        for e in grouped(exc)
    )


def _diverged_by(exc: BaseException) -> bool:
    """Whether a replaying test that failed with ``exc`` diverged: it is or holds a replay
    error, and no connection the network guard blocked (a call that is not mocked, which
    re-recording cannot fix: record-diverged leaves such a test failed, its golden as it is)."""
    from .errors import CheckpointClassChangedError, NetworkBlockedError, grouped

    if any(isinstance(e, CheckpointClassChangedError) for e in grouped(exc)):
        return True  # (a recorded stream's SDK class gone: found at the call that returned it)
    errors = _replay_errors_in(exc)
    return bool(errors) and not any(isinstance(e, NetworkBlockedError) for e in errors)


def _end_traceback_in_user_code(exc: BaseException, rootdir: str) -> None:
    """``rootdir`` ends with a separator: a sibling directory sharing its name as a prefix is
    not under it."""
    last_user = None
    tb = exc.__traceback__
    while tb is not None:
        if _users_frame(tb.tb_frame, rootdir):
            last_user = tb
        tb = tb.tb_next
    if last_user is not None and last_user.tb_next is not None:
        last_user.tb_next = None


def _users_frame(frame: FrameType, rootdir: str) -> bool:
    """Whether ``frame`` runs the user's code: not this plugin's, nor a library's
    (:func:`~.frames.is_users_file`)."""
    from .frames import is_plugins, is_users_file

    return not is_plugins(frame) and is_users_file(frame.f_code.co_filename, rootdir)


# -- assertion messages ------------------------------------------------------------------------
def pytest_assertrepr_compare(
    config: pytest.Config, op: str, left: object, right: object
) -> list[str] | None:
    if op != "==":
        return None
    if not any(type(x).__module__.startswith("pytest_clearstone.") for x in (left, right)):
        return None
    from .diff import StateDelta
    from .golden.checkpoint import Checkpoint

    if isinstance(left, Checkpoint) and isinstance(right, Checkpoint):
        delta = left.diff(right)
        return ["checkpoint states differ (left -> right):", *delta.lines]
    for side in (left, right):
        if isinstance(side, StateDelta):
            return ["state delta (before -> after):", *side.lines]
    return None
