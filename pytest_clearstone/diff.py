"""State deltas: what changed between two values, one readable line per path (deepdiff); text
that spans lines or the terminal's width is diffed line by line, the way pytest shows it."""

from __future__ import annotations

import collections
import datetime
import decimal
import difflib
import enum
import functools
import itertools
import json
import logging
import marshal
import operator
import random
import re
import shutil
import warnings
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import PurePath, PurePosixPath, PureWindowsPath
from typing import Any, NamedTuple

from . import codec
from .codec.arrays import array_view, cells_view, dtype_name, layout_changes
from .codec.compare import (
    UNKNOWN,
    both_nan,
    by_stored_form,
    custom_form,
    data_attributes,
    made_from,
    pickled_state,
    same_stored_form,
    stored_partners,
)
from .codec.http import BINARY_BODY, headers_by_name
from .codec.library import class_paths, kind_of
from .codec.models import model_schema, without_langchain_versions
from .codec.naming import MESSAGE_TAGS, loaded_path
from .codec.nesting import retried, short_path
from .codec.tags import (
    ABSENT,
    ADDRESS,
    SELF_CONTAINED_TAGS,
    TAG,
    ChangedModelClass,
    StoredRepr,
    json_differences,
)
from .codec.views import (
    FIELDS_SET,
    NAMING_PARTS,
    StoredFields,
    pickle_placeholder,
    stored_class_name,
    stored_fields,
)
from .codec.withheld import PLACEHOLDER as REDACTED_PLACEHOLDER
from .equality import same_state
from .errors import (
    ADDRESSES_ONLY,
    IDS_DRAWN_IN_ANOTHER_ORDER,
    IDS_ONLY,
    LINE_BREAKS_ONLY,
    NUMBERS_ONLY,
    ORDER_ONLY,
    SECRETS_UNSET,
    TEMPORARY_NAMES_ONLY,
    TIMES_ONLY,
    TRACEBACKS_ONLY,
    ZONES_ONLY,
    directory_only,
    environment_value_only,
    ids_from_load_state,
    machine_name_only,
)
from .path_roots import root_directories
from .printable import printable, printable_line
from .real_clocks import real_clock_readings

# (re-exported: ``pytest_clearstone.diff.set_verbosity(2)`` shows values in full outside pytest)
from .verbosity import get_verbosity as get_verbosity
from .verbosity import set_verbosity as set_verbosity
from .verbosity import show_all

_MAX_VALUE = 80
_CONTEXT = 24
#: what stands for the characters a shortened value leaves out (never fewer than its own)
_ELLIPSIS = "..."
#: unchanged lines shown around a changed line of text (all of them under ``-vv``)
_CONTEXT_LINES = 1
#: lines of a text diff shown before the rest is summed up (all of them under ``-vv``)
_MAX_TEXT_LINES = 40
#: ``?`` hint lines only for blocks of changed lines up to this size (difflib's intraline
#: matching is quadratic)
_MAX_HINT_PAIRS = 64
_MAX_HINT_LINE = 5000
#: changes shown before the rest is summed up by where they are (all of them under ``-vv``)
_MAX_CHANGES = 40
#: lines of a delta past which a changed text is shown on one line, not diffed line by line
#: (all of them diffed under ``-vv``)
_MAX_DIFFED_LINES = 200
#: the changed middle of two texts (after their common first and last lines) is aligned exactly
#: up to this product of their numbers of lines; a larger one with difflib's heuristic that sets
#: aside lines repeated all over (``autojunk``), which keeps it near-linear
_MAX_EXACT_ALIGN = 1_000_000


def _repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # a third-party object's broken __repr__
        return f"<{type(value).__name__} object (repr failed)>"


def _short(value: Any, other: Any = None, *, full: bool = False) -> str:
    """``repr`` of ``value``, shortened around where it first differs from ``other``."""
    return _shortened(_repr(value), None if other is None else _repr(other), full)


def _shortened(text: str, other_text: str | None, full: bool) -> str:
    """``text`` shortened around where it first differs from ``other_text``."""
    if full or len(text) <= _MAX_VALUE:
        return text
    start = 0 if other_text is None else _common_text_ends(text, other_text)[0]
    lo = max(0, start - _CONTEXT)
    if lo <= len(_ELLIPSIS):  # (a cut no longer than the dots hides, say, a bytes value's b)
        lo = 0
    hi = min(len(text), lo + _MAX_VALUE)
    if len(text) - hi <= len(_ELLIPSIS):
        hi = len(text)
    return (_ELLIPSIS if lo else "") + text[lo:hi] + (_ELLIPSIS if hi < len(text) else "")


class Change(NamedTuple):
    """One change of a :class:`StateDelta`: its ``path`` (``root['memory'][1]``), its ``kind``
    (deepdiff's: ``values_changed``, ``type_changes``, ``dictionary_item_added``...) and the
    values before and after (deepdiff's ``notpresent`` where there is none)."""

    path: str
    kind: str
    old: Any
    new: Any


class StateDelta:
    """The difference between two states, built on deepdiff.

    Falsy when the states are equal. ``lines`` (and iterating) give one line per changed path,
    e.g. ``root['memory'][1]['result']: 'a' -> 'b'``; ``str()`` gives the readable delta shown in
    failures: the same lines, except that a text containing line breaks or longer than the
    terminal's width is diffed line by line like pytest does (``- before`` / ``+ after``, with
    ``?`` hint lines), only the changed lines and their neighbours shown. The paths come in
    order, a list's items by index; both show the first ``_MAX_CHANGES`` changes and a line that
    sums up the rest by where they are (``... and 4,960 more changes under root['history']
    (-vv shows all)``); ``len()`` counts all of them. Long values are shortened around where they
    differ, and all changes shown, when ``verbosity`` (default: :func:`set_verbosity`'s, pytest's
    ``-vv`` in a test run) is 2 or more. ``width`` defaults to the terminal's.

    Equal states are detected with ``==`` first, so comparing equal states never runs deepdiff;
    states that differ are walked in step and compared part by part the same way, so deepdiff
    only looks at the parts that differ, and a large state with one change costs a few ``==``
    and marshal passes over it, not a deepdiff walk of all of it.
    """

    __slots__ = ("_changes", "_lines", "_text", "_verbosity", "_width", "after", "before")

    def __init__(
        self,
        before: Any,
        after: Any,
        *,
        verbosity: int | None = None,
        width: int | None = None,
    ) -> None:
        self.before = before
        self.after = after
        self._verbosity = verbosity
        self._width = width
        equal = same_state(before, after)
        self._changes: list[Change] | None = [] if equal else None
        self._lines: list[str] | None = [] if equal else None
        self._text: list[str] | None = [] if equal else None

    @property
    def verbosity(self) -> int:
        """The verbosity this delta is shown with: its own, else :func:`get_verbosity`."""
        return get_verbosity() if self._verbosity is None else self._verbosity

    @property
    def width(self) -> int:
        """The width beyond which a text is diffed line by line: its own, else the terminal's."""
        if self._width is None:
            self._width = max(20, shutil.get_terminal_size().columns)
        return self._width

    @property
    def lines(self) -> list[str]:
        """One rendered line per change."""
        if self._lines is None:
            full = self.verbosity >= 2
            changes = self._changed()
            shown = changes if full else changes[:_MAX_CHANGES]
            self._lines = [_line(change, full) for change in shown]
            self._lines.extend(_rest(changes[len(shown) :]))
        return self._lines

    @property
    def text_lines(self) -> list[str]:
        """The readable delta, as ``str()`` gives it: one line per change, or for a changed
        text a heading line followed by its line-by-line diff, indented."""
        if self._text is None:
            full, width = self.verbosity >= 2, self.width
            changes = self._changed()
            shown = changes if full else changes[:_MAX_CHANGES]
            self._text = []
            told = False
            for change in shown:
                if not (change.kind == "values_changed" and _is_long_text(change, width)):
                    self._text.append(_line(change, full))
                elif full or len(self._text) < _MAX_DIFFED_LINES:
                    self._text.extend(
                        _json_text_diff(change, full) or _text_diff(change, full, width)
                    )
                else:  # (40 documents changed alike: a diff of up to 40 lines each)
                    if not told:
                        told = True
                        self._text.append(
                            f"... (the texts below on one line each; {show_all()} diffs them)"
                        )
                    self._text.append(_line(change, full))
            self._text.extend(_rest(changes[len(shown) :]))
        return self._text

    @property
    def changes(self) -> list[Change]:
        """Every change (none left out), by kind, then in the order of their paths."""
        return list(self._changed())

    def _changed(self) -> list[Change]:
        if self._changes is None:
            quiet = logging.getLogger("deepdiff.model")
            quiet.addFilter(_not_about_reprs)
            try:
                with warnings.catch_warnings():
                    # a third-party object's deprecated property must not fail the comparison
                    warnings.simplefilter("ignore")
                    self._changes = retried(lambda: _localized_changes(self.before, self.after))
            except Exception:  # raised from inside a third-party object: compare the JSON forms
                before, after = codec.encode(self.before), codec.encode(self.after)
                self._changes = retried(lambda: _localized_changes(before, after))
            finally:
                quiet.removeFilter(_not_about_reprs)
        return self._changes

    def __bool__(self) -> bool:
        return bool(self._changed())

    def __len__(self) -> int:
        return len(self._changed())

    def __iter__(self) -> Iterator[str]:
        return iter(self.lines)

    def __str__(self) -> str:
        return "\n".join(self.text_lines) if self else "(no differences)"

    def __repr__(self) -> str:
        return f"<StateDelta {len(self)} change(s)>"


def unstable_cause(
    delta: StateDelta,
    state_loader: str = "",
    since: tuple[float, float] | None = None,
    recorded_text: Callable[[str], bool] | None = None,
) -> str:
    """What gives the changes of ``delta`` where an unchanged agent would give them, and what
    fixes it (``""``: they are not of such a kind): items in another order
    (:func:`only_reordered`, or the compared values hold the same items in other places: pairs
    or records a list holds, whose fields the delta compares place by place), the frames of
    tracebacks, secrets unset, line breaks (``\\r\\n`` for ``\\n``), a directory or the user's or
    machine's name of another machine (:func:`moved_directory`, :func:`machine_name`),
    random-looking ids, clock readings, drawn numbers or memory addresses, each in place of
    another of its kind (:func:`volatile_kinds`).
    ``state_loader``: the agent's ``load_state`` the replay called before its first run
    (``""``: none), named as a cause of random ids; ``since``: the real clocks' readings when
    the replay began (:func:`~.real_clocks.real_clock_readings`; ``None``: not known), after
    which a number written is a reading of them; ``recorded_text``: whether the golden holds a
    text (``None``: not known), where random ids that differ are all ids the recording drew
    too, elsewhere: the seeded streams', drawn in another order."""
    changes = delta.changes
    if only_reordered(changes) or _only_moved(delta.before, delta.after):
        return ORDER_ONLY
    if changes and all(_frames_only(change) for change in changes):
        return TRACEBACKS_ONLY
    if changes and all(_unset_secret(change) for change in changes):
        return SECRETS_UNSET
    if changes and all(_line_breaks_only(change) for change in changes):
        return LINE_BREAKS_ONLY
    moved = moved_directory(changes)
    if moved is not None:
        return directory_only(*moved)
    named = machine_name(changes)
    if named is not None:
        return machine_name_only(*named)
    variable = environment_value(changes)
    if variable is not None:
        return environment_value_only(variable[0], variable[2])
    if changes and all(_zone_only(change) for change in changes):
        return ZONES_ONLY
    if changes and all(_temporary_names_only(change) for change in changes):
        return TEMPORARY_NAMES_ONLY
    kinds = volatile_kinds(changes, since)
    ids = IDS_ONLY
    if "ids" in kinds and recorded_text is not None:
        drawn = _drawn_ids(changes)
        if drawn and all(recorded_text(i) for i in drawn):
            ids = IDS_DRAWN_IN_ANOTHER_ORDER
    told = (
        ("times", TIMES_ONLY),
        ("numbers", NUMBERS_ONLY),
        ("ids", ids),
        ("addresses", ADDRESSES_ONLY),
    )
    causes = [text for kind, text in told if kind in kinds]
    if state_loader and ("ids" in kinds or "numbers" in kinds):
        causes.append(ids_from_load_state(state_loader))
    return " ".join(causes)


#: a date and time with a UTC offset, as ISO 8601 writes it or strftime's ``%z`` after a space
_ZONED_TIME = re.compile(
    r"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?) ?(Z|[+-]\d\d:?\d\d)(?![\d:])"
)


def _zone_only(change: Change) -> bool:
    """Whether ``change`` puts a text where another was that differs from it only in times
    with a UTC offset, each the same instant as the one it replaces, one at least at another
    offset: what an agent writes with a zone it took from the machine outside the context."""
    texts = _texts(change)
    if texts is None:
        return False
    old, new = _changed_middles(*texts)
    if len(old) + len(new) > _MAX_SCANNED or _ZONED_TIME.sub("", old) != _ZONED_TIME.sub("", new):
        return False
    before, after = _ZONED_TIME.findall(old), _ZONED_TIME.findall(new)
    if len(before) != len(after):
        return False
    moved = False
    for recorded, current in zip(before, after, strict=True):
        one, other = _zoned_instant(*recorded), _zoned_instant(*current)
        if one is None or other is None or one != other:
            return False
        moved = moved or one.utcoffset() != other.utcoffset()
    return moved


def _zoned_instant(wall: str, offset: str) -> datetime.datetime | None:
    """The instant of a time ``wall`` written with its UTC ``offset`` (``Z``, ``+0100``)."""
    if offset == "Z":
        offset = "+00:00"
    elif ":" not in offset:
        offset = f"{offset[:3]}:{offset[3:]}"
    try:
        return datetime.datetime.fromisoformat(wall + offset)
    except ValueError:
        return None


#: the part of a path after a separator: a file's or directory's name
_PATH_PART = re.compile(r"(?<=[/\\])[\w.-]+")
#: the characters of the random part of tempfile's names (``tempfile._RandomNameSequence``)
_TEMPORARY_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789_")
#: how many characters that random part has
_TEMPORARY_PART = 8


def _temporary_names_only(change: Change) -> bool:
    """Whether ``change`` puts a text where another was that differs from it only in the names
    of files or directories in the temporary directory (``tempfile.gettempdir()``), each in
    the random part tempfile gives them (``/tmp/tmp6ojuhozh`` for ``/tmp/tmp8352d89b``): what a
    name taken when this run made it gives (:func:`_temporary_name`)."""
    import tempfile

    texts = _texts(change)
    if texts is None or len(texts[0]) + len(texts[1]) > _MAX_SCANNED:
        return False
    under = re.compile(rf"(?<![\w.-]){re.escape(tempfile.gettempdir())}[/\\]")
    if under.search(texts[1]) is None:
        return False
    swapped = _exchanged(_PATH_PART, *texts)
    return bool(swapped) and all(_temporary_name(*names) for names in swapped)


def _temporary_name(old: str, new: str) -> bool:
    """Whether the names ``old`` and ``new`` differ only in 8 characters of tempfile's
    (:data:`_TEMPORARY_CHARACTERS`), most of them, a digit or ``_`` among them, as two of its
    random names do (two words as long, ``summaries`` and ``sentiment``, are other names)."""
    if len(old) != len(new):
        return False
    differ = [i for i, (a, b) in enumerate(zip(old, new, strict=True)) if a != b]
    if len(differ) < _TEMPORARY_PART - 3 or differ[-1] - differ[0] >= _TEMPORARY_PART:
        return False
    for start in range(max(0, differ[-1] - _TEMPORARY_PART + 1), differ[0] + 1):
        window = old[start : start + _TEMPORARY_PART] + new[start : start + _TEMPORARY_PART]
        random_looking = any(c.isdigit() or c == "_" for c in window)
        if len(window) == 2 * _TEMPORARY_PART and _TEMPORARY_CHARACTERS.issuperset(window):
            return random_looking
    return False


def _line_breaks_only(change: Change) -> bool:
    """Whether ``change`` puts a text where another was that differs from it only in ending
    lines with ``\\r\\n`` where the other ends them with ``\\n``: a file read as it is on disk
    in a checkout that converts line endings (git's ``core.autocrlf``)."""
    texts = _texts(change)
    if texts is None:
        return False
    old, new = texts
    return "\r\n" in old + new and old.replace("\r\n", "\n") == new.replace("\r\n", "\n")


def _texts(change: Change) -> tuple[str, str] | None:
    """The recorded and the current text when ``change`` puts a text where another was."""
    old, new = change.old, change.new
    if change.kind != "values_changed" or type(old) is not str or type(new) is not str:
        return None
    return old, new


def moved_directory(changes: Sequence[Change]) -> tuple[str, str, str] | None:
    """``(recorded directory, this run's directory, its root's name)`` when each of ``changes``
    puts a text where another was that differs from it only where it holds a root of this run
    (its ``tmp_path``, base temporary directory, rootdir or home directory:
    :func:`~pytest_clearstone.path_roots.root_directories`) and the other an absolute
    directory: a path formatted into a text, which names the recording run's directory; else
    ``None``."""
    return _swapped_everywhere(changes, root_directories(), _absolute)


def machine_name(changes: Sequence[Change]) -> tuple[str, str, str] | None:
    """``(recorded name, this run's, "user name" or "host name")`` when each of ``changes``
    puts a text where another was that differs from it only where it holds the name of the
    user running this process, or of this machine, and the other another name: what an agent
    that reads them from the machine gives on another one; else ``None``."""
    import getpass
    import socket

    names = []
    for read, kind in ((getpass.getuser, "user name"), (socket.gethostname, "host name")):
        try:
            names.append((read(), kind))
        except (OSError, KeyError, ImportError):  # (no user name in a container)
            continue
    return _swapped_everywhere(changes, names, _A_NAME.fullmatch)


#: a user or host name, as a recording may hold one
_A_NAME = re.compile(r"[\w.-]+")


def environment_value(changes: Sequence[Change]) -> tuple[str | None, str, str] | None:
    """``(recorded text, this run's value, the variable's name)`` when each of ``changes`` puts
    a text where another was that differs from it only where it holds the value of a variable
    of this process's environment (of 8 characters or more, on one line), and the other another
    text on one line, or puts that value where the recording has ``None`` (the variable unset
    there): a setting an SDK reads from the environment (``openai.OpenAI()`` its ``base_url``
    from ``$OPENAI_BASE_URL``, LangChain's ``ChatOpenAI`` its ``openai_api_base`` from
    ``$OPENAI_API_BASE``), set otherwise on this machine (a CI runner's gateway); else
    ``None``. The longest value that explains a change is taken. The variables a shell or pytest
    sets about the run itself (``$PWD``, ``$PYTEST_CURRENT_TEST``) are no setting to give as
    recorded, and are not looked at."""
    import os

    values = sorted(
        (
            (value, name)
            for name, value in os.environ.items()
            if name not in _OF_THE_RUN and _an_environment_value(value)
        ),
        key=lambda item: (-len(item[0]), item[1]),
    )
    found: tuple[str | None, str, str] | None = None
    for change in changes:
        here = _swapped_everywhere([change], values, _an_environment_value) or _set_since(
            change, values
        )
        if here is None:
            return None
        found = found or here
    return found


#: the variables a shell or pytest sets about the run itself, not settings of the agent
_OF_THE_RUN = frozenset({"PWD", "OLDPWD", "_", "PYTEST_CURRENT_TEST"})


def _set_since(change: Change, values: Iterable[tuple[str, str]]) -> tuple[None, str, str] | None:
    """``(None, value, name)`` when ``change`` puts the value of the variable ``name`` (one of
    ``values``, ``(value, name)``) where the recording has ``None``."""
    if change.old is not None or type(change.new) is not str:
        return None
    return next(((None, value, name) for value, name in values if value == change.new), None)


def _an_environment_value(text: str) -> bool:
    """Whether ``text`` could be a setting an environment variable gives: 8 characters or more
    (shorter values, ``1`` or ``true``, are found in any text), on one line."""
    return len(text) >= 8 and "\n" not in text and "\r" not in text


def _swapped_everywhere(
    changes: Sequence[Change], values: Iterable[tuple[str, str]], fits: Callable[[str], object]
) -> tuple[str, str, str] | None:
    """``(recorded, current, name)`` when each of ``changes`` puts a text where another was
    that differs from it only where it holds ``current`` (one of ``values``, ``(current,
    name)``, the first that explains the change) and the other ``recorded`` (a text ``fits``
    takes); else ``None``."""
    values = [(value, name) for value, name in values if value]
    found = None
    for change in changes:
        texts = _texts(change)
        if texts is None:
            return None
        old, new = texts
        if len(old) + len(new) > _MAX_SCANNED:
            return None
        swapped = next(
            (
                (recorded, value, name)
                for value, name in values
                if (recorded := _swapped(old, new, value)) is not None and fits(recorded)
            ),
            None,
        )
        if swapped is None:
            return None
        found = found or swapped
    return found


def _swapped(old: str, new: str, value: str) -> str | None:
    """The text that ``old``, the recording's, holds at each place ``new`` holds ``value``,
    when that is all they differ in (and it is another text), else ``None``."""
    parts = new.split(value)
    if len(parts) < 2:
        return None
    width, rest = divmod(len(old) - sum(map(len, parts)), len(parts) - 1)
    if rest or width <= 0:
        return None
    recorded = old[len(parts[0]) : len(parts[0]) + width]
    return recorded if recorded != value and recorded.join(parts) == old else None


def _absolute(text: str) -> bool:
    """Whether ``text`` reads as an absolute directory of either platform, on one line."""
    one_line = "\n" not in text and "\r" not in text
    return one_line and (PurePosixPath(text).is_absolute() or PureWindowsPath(text).is_absolute())


def _unset_secret(change: Change) -> bool:
    """Whether ``change`` puts ``None`` or an empty text where the recording holds a secret it
    redacted: what a replay gives an agent that reads the secret from a variable unset there."""
    old, new = change.old, change.new
    unset = new is None or (type(new) is str and not new)
    return type(old) is str and old == REDACTED_PLACEHOLDER and unset


#: the first line of a Python traceback as ``traceback.format_exc()`` writes it
_TRACEBACK = "Traceback (most recent call last):"


def _frames_only(change: Change) -> bool:
    """Whether ``change`` puts a text where another was that differs from it only in the
    frames of its tracebacks (the indented lines under ``Traceback (most recent call
    last):``): what a replayed exception's traceback gives an unchanged agent."""
    old, new = change.old, change.new
    if change.kind != "values_changed" or type(old) is not str or type(new) is not str:
        return False
    return _TRACEBACK in old and _TRACEBACK in new and _without_frames(old) == _without_frames(new)


def _without_frames(text: str) -> list[str]:
    """The lines of ``text`` without the frames of its tracebacks."""
    kept: list[str] = []
    in_frames = False
    for line in text.splitlines():
        if in_frames and line[:1].isspace():
            continue
        in_frames = line.endswith(_TRACEBACK)
        kept.append(line)
    return kept


#: a time as text: ISO 8601 (with a date), ``time.ctime()``'s, or seconds since the epoch
#: (2001 to 2033; in nanoseconds too)
_TIME = re.compile(
    r"\d{4}-\d\d-\d\d[T ]\d\d:\d\d(?::\d\d(?:\.\d+)?)?(?:Z|[+-]\d\d:?\d\d)?"
    r"|[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4}"
    r"|(?<![\d.])1\d{9}(?:\.\d+|\d{9})?(?![\d.])"
)
#: a random-looking id as text: a UUID, a run of hex digits (8 at least, as
#: ``os.urandom(4).hex()`` gives; :func:`_random_id` tells a short one from a word or a number),
#: a URL-safe base64 token; not the decimal digits after a number's point (``10.8461789553602733``:
#: its fraction, a changed value)
_ID = re.compile(
    r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
    r"|(?<![\w-])(?!(?<=\d\.)\d+(?![\w-]))"
    r"(?:[0-9a-f]{8,}|[0-9A-F]{8,}|[A-Za-z0-9_-]{16,})(?![\w-])"
)
#: hex digits with a letter and a digit among them
_LETTER_AND_DIGIT = re.compile(r"(?=.*[a-fA-F])(?=.*\d)")
#: how long a run of hex digits is at least to be an id without a letter and a digit among it
_LONG_HEX = 12


def volatile_kinds(changes: Sequence[Change], since: tuple[float, float] | None = None) -> set[str]:
    """``{"ids"}`` when each of ``changes`` puts a random-looking id (a UUID, hex digits, a
    token; as long as the one it replaces, with as many different characters as a random one
    has) where another was, ``{"times"}`` when each puts a clock reading where another was (an
    ISO or ``ctime`` text, a ``datetime``, seconds since the epoch, or, given ``since``, a
    reading of the clocks that stay real taken since then: :func:`_real_clock_readings_only`),
    ``{"numbers"}`` when each puts a fraction a random generator drew where another was
    (:func:`_drawn_fraction`: numpy's, which the plugin does not seed), ``{"addresses"}`` when
    each differs from the text it replaces only in the memory addresses
    of default reprs, all those of them each change does when it does one of these (time-based
    UUIDs beside times), else none: what the operating system's entropy, a clock read outside
    the frozen one and an object's place in memory give an unchanged agent."""
    kinds = set()
    for change in changes:
        kind = _volatile_kind(change, since)
        if not kind:
            return set()
        kinds.add(kind)
    return kinds


def _volatile_kind(change: Change, since: tuple[float, float] | None = None) -> str:
    if change.kind not in ("values_changed", "type_changes"):
        return ""
    if change.path.endswith(_BINARY_BODY_FIELD):  # (bytes sent, in base64: no id in them)
        return ""
    old, new = change.old, change.new
    if _base64_media(change.path, old) and _base64_media(change.path, new):
        return ""
    if type(old) is datetime.datetime and type(new) is datetime.datetime:
        return "times"  # (datetime.now() kept as it is, as an agent stamps its log)
    if isinstance(old, float) and isinstance(new, float) and _drawn_fraction(old, new):
        return "numbers"  # (kept as a float: a score, a sample)
    if type(old) in (int, float) and type(new) in (int, float):
        old, new = str(old), str(new)
    if type(old) is not str or type(new) is not str:
        return ""
    if _addresses_only(old, new):
        return "addresses"
    old, new = _changed_middles(old, new)
    if len(old) + len(new) > _MAX_SCANNED:
        return ""
    swapped = _exchanged(_TIME, old, new)
    if swapped:
        return "times"
    swapped = _exchanged(_FRACTION, old, new)
    if swapped and all(_drawn_fraction(float(a), float(b)) for a, b in swapped):
        return "numbers"  # (before ids: its digits are a run of hex digits too)
    swapped = _exchanged(_ID, old, new)
    if swapped and all(_random_id(a, b) for a, b in swapped):
        return "ids"
    if since is not None and _real_clock_readings_only(old, new, since):
        return "times"
    return ""


#: a fraction between 0 and 1 as text, as a random generator draws it (``0.8461789553602733``)
_FRACTION = re.compile(r"(?<![\w.])0\.\d+(?![\w.])")
#: how many digits a fraction has at least to be one a generator drew: ``random()`` gives 53
#: random bits, written with 15 to 17 digits (fewer than 12 once in ~10,000 draws)
_DRAWN_DIGITS = 12


def _drawn_fraction(old: float, new: float) -> bool:
    """Whether ``new`` takes the place of ``old`` as a fraction a random generator drew anew
    does: both between 0 and 1, written with all the digits of a random float (not a setting
    such as ``0.25``, nor a number rounded for a text)."""
    return all(0 < x < 1 and len(repr(float(x))) - 2 >= _DRAWN_DIGITS for x in (old, new))


#: a number as text, a reading of a clock: digits, with a fraction or without
_NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w.])")


def _real_clock_readings_only(old: str, new: str, since: tuple[float, float]) -> bool:
    """Whether ``new`` differs from ``old`` only in numbers, each of ``new``'s a reading of
    ``time.monotonic()`` or ``time.perf_counter()`` (asyncio's loop time) taken between
    ``since`` (their readings when the replay began) and now: seconds with a fraction, or
    nanoseconds (``monotonic_ns()``). They stay real, so a recording's reading is another."""
    swapped = _exchanged(_NUMBER, old, new)
    now = real_clock_readings()
    return bool(swapped) and all(_read_since(number, since, now) for _, number in swapped)


def _exchanged(pattern: re.Pattern[str], old: str, new: str) -> list[tuple[str, str]]:
    """The pairs ``(recorded, current)`` of what ``pattern`` matches in ``old`` and ``new``
    where they differ, when that is all they differ in (else ``[]``)."""
    parts, other = pattern.split(old), pattern.split(new)
    found, others = pattern.findall(old), pattern.findall(new)
    if parts != other or len(found) != len(others):
        return []
    return [(a, b) for a, b in zip(found, others, strict=True) if a != b]


def _drawn_ids(changes: Sequence[Change]) -> list[str]:
    """The random-looking ids ``changes`` put where others were (:func:`volatile_kinds` tells
    them as ``"ids"``), in texts or as values: what this run drew in their place."""
    drawn = []
    for change in changes:
        old, new = change.old, change.new
        if type(old) is str and type(new) is str and len(old) + len(new) <= _MAX_SCANNED:
            drawn += [current for _, current in _exchanged(_ID, *_changed_middles(old, new))]
    return drawn


def _read_since(number: str, since: tuple[float, float], now: tuple[float, float]) -> bool:
    """Whether ``number`` (a text :data:`_NUMBER` matches) is a reading of one of the real
    clocks between its reading in ``since`` and in ``now``, give or take the second a reading
    rounded where it was written may be off by (``round(loop.time(), 1)`` rounds up past a
    ``now`` read at once)."""
    value = float(number)
    seconds = value / 1e9 if "." not in number else value
    return any(start - 1 <= seconds <= end + 1 for start, end in zip(since, now, strict=True))


def _addresses_only(old: str, new: str) -> bool:
    """Whether the texts ``old`` and ``new`` differ only in the memory addresses of default
    reprs (``<app.Tool object at 0x7f3a...>``, :data:`~.codec.tags.ADDRESS`): what an object
    formatted into a text gives in every process (their length varies: looked at whole)."""
    if len(old) + len(new) > _MAX_SCANNED:
        return False
    return re.sub(ADDRESS, "", old) == re.sub(ADDRESS, "", new)


#: the path's end of an HTTP message's body that is not text: changed bytes (an audio upload),
#: whose base64 holds runs that look like ids
_BINARY_BODY_FIELD = f".{BINARY_BODY}"

#: the fields that hold media in base64, by the end of their path: the ``data`` of an
#: anthropic source, of openai's ``input_audio`` and of LangChain's older content blocks, the
#: ``base64`` of its standard blocks, openai's ``file_data`` and ``b64_json``, an MCP blob
_MEDIA_FIELD = re.compile(
    r"(?:\['(?:data|base64|file_data|b64_json|blob)'\]|\.(?:data|base64|file_data|b64_json|blob))$"
)
_BASE64 = re.compile(r"[A-Za-z0-9+/]*={0,2}")
_HEX = re.compile(r"[0-9a-f]*|[0-9A-F]*")
#: how far into a ``data:`` URL its ``;base64,`` is looked for (past its media type)
_DATA_URL_HEAD = 200


def _base64_media(path: str, text: Any) -> bool:
    """Whether ``text`` is media in base64: a ``data:`` URL of base64 (``data:image/png;base64,
    iVBOR...``), or base64 in a field at ``path`` that holds media (:data:`_MEDIA_FIELD`). Its
    runs between ``+`` and ``/`` look like ids; another image in the prompt is no random id."""
    if type(text) is not str:
        return False
    if text.startswith("data:"):
        return ";base64," in text[:_DATA_URL_HEAD]
    return (
        _MEDIA_FIELD.search(path) is not None
        and _BASE64.fullmatch(text) is not None
        and _HEX.fullmatch(text) is None  # (hex digits there are an id: a digest, a uuid4().hex)
    )


#: a character no time, id or word of :data:`_TIME`, :data:`_ID` and :data:`_WORD` holds or
#: looks at beside it: two texts are cut there, each part matched alone as within the whole
#: (a space holds none where a lowercase letter follows it: in a time, a digit, a capital or a
#: space does)
_CUT = re.compile(r"[^\w .:+-]| (?=[a-z])")
#: how far from where two texts differ a place to cut them is looked for
_CUT_SEARCH = 4096
#: the longest changed middles of two texts looked at for what gives the change: beyond, the
#: change is told without it (matching ids, times and words costs a second per ~10 MB)
_MAX_SCANNED = 2_000_000


def _changed_middles(old: str, new: str) -> tuple[str, str]:
    """``old`` and ``new`` without their common start and end, cut where :data:`_CUT` matches
    (no time, id or word spans it), so that the times, ids and words of the middles are those
    of the whole texts that differ, in the same order: a huge prompt changed in one place is
    searched there only. The whole texts where no such place is near the change."""
    head, tail = _common_text_ends(old, new)
    start = 0
    for found in _CUT.finditer(old, max(0, head - _CUT_SEARCH), head):
        start = found.end()
    stop = 0  # (the length of the common end left out)
    end = len(old) - tail
    first = _CUT.search(old, end, end + _CUT_SEARCH)
    if first is not None:
        stop = len(old) - first.start()
    return old[start : len(old) - stop], new[start : len(new) - stop]


def swapped_id_places(changes: Sequence[Change]) -> list[list[str | int]]:
    """The places (keys and list positions from the root) of ``changes`` when each puts a
    whole random-looking id where another was (a value that is an id, not a text holding
    one), else ``[]``: what an ``ignore=`` path can leave out without leaving out more."""
    places: list[list[str | int]] = []
    for change in changes:
        old, new = change.old, change.new
        if change.kind != "values_changed" or type(old) is not str or type(new) is not str:
            return []
        if not (_ID.fullmatch(old) and _ID.fullmatch(new) and _random_id(old, new)):
            return []
        place = _place(change.path)
        if place is None:
            return []
        places.append(place)
    return places


def _place(path: str) -> list[str | int] | None:
    """``root['config']['metadata'][0].id`` -> ``['config', 'metadata', 0, 'id']``; ``None``
    for a path with a step that is not a text key, a position or an attribute."""
    import ast

    place: list[str | int] = []
    for step in _steps(path)[1:]:
        if step.startswith("."):
            place.append(step[1:])
            continue
        try:
            key = ast.literal_eval(step[1:-1]) if step[:1] == "[" else None
        except (ValueError, SyntaxError):
            return None
        if type(key) is not str and type(key) is not int:
            return None
        place.append(key)
    return place


def _random_id(old: str, new: str) -> bool:
    """Whether ``new`` takes the place of ``old`` as a random id of the same kind does: as long,
    with as many different characters as a random one has (``0000000000000001`` is no id; six,
    or half its length where that is fewer: 8 random hex digits have fewer than six once in
    seven), and, shorter than 12, with a letter and a digit in one of them (``deadbeef`` is a
    word, ``20261204`` a number; 8 random hex digits are all digits once in 40). A token that
    is not hex digits (:func:`_random_token`) is also looked at for how it was edited."""
    if len(old) != len(new):
        return False
    if len(old) < _LONG_HEX and not any(_LETTER_AND_DIGIT.match(i) for i in (old, new)):
        return False
    wanted = min(6, len(old) // 2)
    if not all(len(set(i.lower())) >= wanted for i in (old, new)):
        return False
    return _HEX_ID.fullmatch(old) is not None or _random_token(old, new, wanted)


#: hex digits, or a UUID: an id whose characters are all drawn (no words in it)
_HEX_ID = re.compile(r"[0-9a-fA-F-]+")
#: the kinds of characters a token drawn from letters and digits mixes
_CHARACTER_KINDS = (re.compile("[a-z]"), re.compile("[A-Z]"), re.compile("[0-9]"))


def _random_token(old: str, new: str, wanted: int) -> bool:
    """Whether the token ``new`` (letters, digits, ``-`` and ``_``: ``secrets.token_urlsafe``,
    a ULID) takes the place of ``old`` as one drawn anew does: each mixes two kinds of
    characters of lowercase, uppercase and digits (``search_documents`` is words), and they
    differ in ``wanted`` places at least (a drawn one differs almost everywhere; a model name
    whose version was edited, ``claude-sonnet-5-5`` for ``claude-sonnet-5-6``, in one)."""
    mixed = all(sum(bool(k.search(i)) for k in _CHARACTER_KINDS) >= 2 for i in (old, new))
    return mixed and sum(a != b for a, b in zip(old, new, strict=True)) >= wanted


#: the words of a text, whose order :func:`only_reordered` looks at
_WORD = re.compile(r"\w+")

# how two values compare in :func:`only_reordered`
_EQUAL, _MOVED, _CHANGED = 0, 1, 2


def only_reordered(changes: Sequence[Change]) -> bool:
    """Whether ``changes`` (a :class:`StateDelta`'s) move what was there to other places only:
    each changed text holds the same words in another order (a prompt that joins a set's
    items), and the items each list gained are those it lost. A set of strings iterates in
    another order in each process (hash randomisation), so such a difference is what an
    unchanged agent formatting a set gives."""
    lists: dict[str, tuple[collections.Counter[str], collections.Counter[str]]] = {}
    try:
        for change in changes:
            if change.kind == "values_changed" and _order_change(change.old, change.new) == _MOVED:
                continue
            item = _LIST_ITEM.match(change.path)
            if item is None or change.kind not in _ITEM_CHANGES:
                return False
            lost, gained = lists.setdefault(
                item.group(1), (collections.Counter(), collections.Counter())
            )
            if change.kind != "iterable_item_added":
                lost[_repr(change.old)] += 1
            if change.kind != "iterable_item_removed":
                gained[_repr(change.new)] += 1
    except Exception:  # a third-party object's == that raises: not told apart
        return False
    return bool(changes) and all(lost == gained for lost, gained in lists.values())


#: a change's path to an item of a list (the list's path, the item's place)
_LIST_ITEM = re.compile(r"(.*)\[\d+\]$")
#: the kinds of change of a list's items
_ITEM_CHANGES = frozenset({"values_changed", "iterable_item_added", "iterable_item_removed"})


def _only_moved(before: Any, after: Any) -> bool:
    """Whether ``after`` holds what ``before`` does, some of it in other places (the items of a
    list, the words of a text), and nothing else changed."""
    try:
        return _order_change(before, after) == _MOVED
    except Exception:  # a third-party object's == that raises, a value nested too deep
        return False


def _order_change(a: Any, b: Any) -> int:
    if type(a) is not type(b):
        return _CHANGED
    if a == b:
        return _EQUAL
    if type(a) is str:
        a, b = _changed_middles(a, b)
        if len(a) + len(b) > _MAX_SCANNED:
            return _CHANGED
        words, other = _WORD.findall(a), _WORD.findall(b)
        same = words != other and collections.Counter(words) == collections.Counter(other)
        return _MOVED if same else _CHANGED
    if type(a) is dict:
        if a.keys() != b.keys():
            return _CHANGED
        return _worst(_order_change(v, b[k]) for k, v in a.items())
    if type(a) in (list, tuple) and len(a) == len(b):
        by_place = _worst(map(_order_change, a, b))
        if by_place != _CHANGED:
            return by_place
        return _MOVED if sorted(map(_repr, a)) == sorted(map(_repr, b)) else _CHANGED
    return _CHANGED


def _worst(changes: Iterator[int]) -> int:
    worst = _EQUAL
    for change in changes:
        if change == _CHANGED:
            return _CHANGED
        worst = max(worst, change)
    return worst


def comparable_view(value: Any) -> Any:
    """``value`` as a delta compares and shows it: the objects of client libraries (pydantic
    models, SDK clients and resources, http requests and responses...) by their stored JSON form
    — a client by its reference, a secret by its placeholder, and a delta never walks into a
    client's connection pool — and a stored form's tagged values as what they stand for: a model
    as an object of its stored class whose attributes are its fields (``Reply(text='a')``), a
    stored tuple or datetime as the tuple or datetime."""
    t = type(value)
    if t in _PLAIN:
        return value
    if t is list:
        return [comparable_view(v) for v in value]
    if t is dict:
        if TAG in value:
            shown = _stored_view(value)
            if shown is not _UNREAD:
                return shown
        return {k: comparable_view(v) for k, v in value.items()}
    if t is tuple:
        return tuple(comparable_view(v) for v in value)
    if by_stored_form(t, kind_of(t)) and not issubclass(t, type):  # (a dataclass too)
        return comparable_view(codec.encode(value))
    if issubclass(t, type):  # a class as a value, by its name (not its attributes)
        return StoredRepr("type", _repr(value))
    if t is ChangedModelClass:  # (a model class of another JSON schema: the class)
        return StoredRepr("type", f"<class '{value.cls.__module__}.{value.cls.__qualname__}'>")
    if data_attributes(value) is not None:  # (an ORM object: by its columns, relationships)
        return _mapped_view(value, ())
    cells = cells_view(value)  # (a pandas frame or series: its cells by column and label)
    return array_view(value) if cells is None else comparable_view(cells)


def _mapped_view(value: Any, within: tuple[int, ...]) -> Any:
    """An ORM-mapped object as a delta compares and shows it: an object named after its class
    whose attributes are its columns and loaded relationships, without SQLAlchemy's bookkeeping
    (the session's state, which differs between a live object and its recorded copy); one met
    again inside itself (a back-reference) as a text naming its class (``within``: the ids of
    the objects it is inside)."""
    attributes = data_attributes(value)
    if attributes is None:
        if type(value) is list:
            return [_mapped_view(x, within) for x in value]
        return comparable_view(value)
    name = type(value).__qualname__
    if id(value) in within:
        return StoredRepr(name, f"<{name} seen above>")
    inside = (*within, id(value))
    fields = {key: _mapped_view(x, inside) for key, x in attributes.items()}
    return _fields_class(name, "")(fields)


_PLAIN = frozenset({str, int, float, bool, type(None), bytes})
#: dates, times and datetimes: deepdiff compares and shows them converted to UTC (a naive one
#: taken as UTC: naive against aware of one wall time is no change to it), so a delta names
#: their changes itself, each as the agent holds it
_TIMES = (datetime.date, datetime.time)
#: what a delta shows by its repr besides the views (:func:`_is_shown`); a bytearray too, which
#: deepdiff would walk as a list of numbers (``root['blob'][0]: removed 104``)
_SHOWN = (PurePath, enum.Enum, bytearray, *_TIMES)
#: the types of values a NaN can be, which is no change against a NaN of its kind
_NAN_TYPES = frozenset({float, complex, decimal.Decimal})
_CONTAINERS = (dict, list, tuple, set, frozenset)


# -- where the states differ: == first, deepdiff on what differs -----------------------------------
#: a path below ``root``: the dict keys and list indexes leading to a value
_Path = tuple[Any, ...]


class _Found(NamedTuple):
    """What the walk found: changes it can name itself (keys and items added or removed) and
    the pairs of values it hands to deepdiff (views), each with its path."""

    changes: list[tuple[_Path, str, Any, Any]]
    pairs: list[tuple[_Path, Any, Any]]


def _localized_changes(before: Any, after: Any) -> list[Change]:
    """The changes deepdiff finds between the comparable views of ``before`` and ``after``,
    found without walking the parts that are equal: both trees are walked in step through
    plain dicts, lists and tuples; a value equal (``==``, same type) to its counterpart is
    skipped without looking inside; a dict's added and removed keys and a list's added and
    removed items, and two different texts or numbers, are named here the way deepdiff names
    them; only the pairs of values that differ and cannot be walked further (other types, lists
    of basic values
    that deepdiff aligns as a whole, dicts with too few keys in common) are diffed by deepdiff,
    all in one run. Paths, kinds and values are the ones of deepdiff over the whole states; they
    come by kind, then in the order of the paths' steps (:func:`_path_key`)."""
    from deepdiff import DeepDiff

    found = _Found([], [])
    _walk(before, after, (), found)
    named: dict[str, list[tuple[str, Any, Any]]] = {}
    for path, kind, old, new in found.changes:
        named.setdefault(kind, []).append((_path_text(path), old, new))
    if found.pairs:
        dd = DeepDiff(
            {i: pair[1] for i, pair in enumerate(found.pairs)},
            {i: pair[2] for i, pair in enumerate(found.pairs)},
            verbose_level=2,
            view="tree",
            ignore_nan_inequality=True,  # a NaN is stored as NaN: recorded and replayed, equal
        )
        for kind in _KINDS:
            for level in dd.get(kind, ()):
                if kind == "values_changed" and _nan_pair(level.t1, level.t2):
                    continue  # (deepdiff's ignore_nan_inequality knows a float NaN only)
                # root[i]... -> the path of pair i, then what deepdiff found below it
                index, _, below = level.path()[len("root[") :].partition("]")
                text = _path_text(found.pairs[int(index)][0]) + below
                named.setdefault(kind, []).append((text, level.t1, level.t2))
    return [
        Change(path.rstrip(":"), kind, old, new)
        for kind in _KINDS
        for path, old, new in sorted(named.get(kind, ()), key=lambda change: _path_key(change[0]))
    ]


def _state_shown(value: Any, state: Any) -> StoredRepr:
    """``value`` (compared by what a pickle of it holds, ``state``: a ``random.Random``) as a
    delta shows it: its class and a digest of that state, which its ``repr`` (a memory
    address) and its ``__dict__`` do not tell apart. The digest is of its pickle, the same for
    the same state in another object (``state``'s ``repr`` names numpy's bit generator by its
    memory address), of ``state``'s ``repr`` when it cannot be pickled."""
    import hashlib
    import pickle

    kind = f"{type(value).__module__}.{type(value).__qualname__}"
    try:
        data = pickle.dumps(value, 4)
    except Exception:  # (a subclass holding what cannot be pickled)
        data = repr(state).encode()
    digest = hashlib.sha256(data).hexdigest()[:8]
    return StoredRepr(kind, f"<{kind} state sha256:{digest}>")


def _is_random_generator(t: type) -> bool:
    """Whether ``t`` is the class of a random generator (``random.Random`` or a subclass,
    numpy's ``Generator``, ``RandomState`` or a bit generator), which a comparison tells apart
    by what a pickle of it holds, and its ``repr`` and attributes do not."""
    return issubclass(t, random.Random) or t.__module__.startswith("numpy.random")


def _not_about_reprs(record: logging.LogRecord) -> bool:
    """Whether deepdiff's log ``record`` is other than its error for a key whose ``repr`` it
    cannot parse back (a frozenset, a NaN: "stringify_param was not able to get a proper repr
    ... Add instructions for this object to DeepDiff's helper"), which the delta's paths do
    not need: the delta names such a key by its ``repr``."""
    return not str(record.msg).startswith("stringify_param")


def _walk(a: Any, b: Any, path: _Path, found: _Found) -> None:
    """Record the differences between ``a`` and ``b`` (known to differ) at ``path``."""
    t = type(a)
    if t is type(b):
        if t is dict:
            if (TAG in a or TAG in b) and _walk_stored(a, b, path, found):
                return
            _walk_dict(a, b, path, found)
            return
        if (t is list or t is tuple) and (
            not (_all_basic(a) and _all_basic(b)) or _paired_in_order(a, b)
        ):
            _walk_items(a, b, path, found)
            return
        if t is collections.deque and not (_all_basic(a) and _all_basic(b)):
            _walk_items(list(a), list(b), path, found)  # (its items as a list's: by index)
            return
        if _sets_walked(a, b):
            _walk_set(a, b, path, found)
            return
        if isinstance(a, collections.OrderedDict):  # (deepdiff does not see its order)
            if a.keys() == b.keys() and list(a) != list(b):  # (== does): shown whole
                found.changes.append((path, "values_changed", a, b))
            else:  # (what it holds compared as a dict's: an OrderedDict in it too)
                _walk_dict(a, b, path, found)
            return
        if isinstance(a, (collections.Counter, collections.defaultdict)):  # (a NaN key too)
            _walk_dict(a, b, path, found)
            return
        if issubclass(t, StoredFields) and not t.stored_class:  # (a decoded file's model)
            fields_a, fields_b = vars(a), vars(b)
            if t.stored_tag in MESSAGE_TAGS:  # (its headers by name, as its stored form's)
                fields_a, fields_b = dict(fields_a), dict(fields_b)
                _name_headers(fields_a, fields_b)
            _walk_fields(fields_a, fields_b, path, found)
            return
        if t not in _PLAIN and (by_stored_form(t, kind_of(t)) or custom_form(a) is not None):
            _walk_stored_forms(a, b, path, found)  # (models, dataclasses, registered types...)
            return
    elif made_from(t, type(b)) or made_from(type(b), t):  # (stored as one class)
        _walk_stored_forms(a, b, path, found)
        return
    if t not in _PLAIN:
        schemas = _schema_change(a, b)
        if schemas is not None:
            found.changes.append((path, "schema_changes", *schemas))
            return
    if _nan_pair(a, b):  # (no change to deepdiff either)
        return
    if t in _PLAIN and type(b) in _PLAIN:  # two different texts or numbers: named here
        found.changes.append((path, "values_changed" if t is type(b) else "type_changes", a, b))
        return
    view_a, view_b = comparable_view(a), comparable_view(b)
    if _is_shown(view_a) or _is_shown(view_b):  # (not for deepdiff to walk)
        found.changes.append((path, _change_of(view_a, view_b), view_a, view_b))
        return
    if t is type(b) and _is_random_generator(t):  # (compared by what a pickle of it holds)
        states = pickled_state(a), pickled_state(b)
        if states[0] is not UNKNOWN and states[1] is not UNKNOWN:
            if not same_stored_form(a, b):  # (numpy's: a bit generator, compared by its state)
                old, new = _state_shown(a, states[0]), _state_shown(b, states[1])
                found.changes.append((path, "values_changed", old, new))
            return
    # (a pandas frame's dtypes and order, which its cells by column and label do not show)
    for steps, keys, old, new in layout_changes(a, b):
        at = (*path, *(_Field(step) for step in steps), *keys)
        found.changes.append((at, "values_changed", old, new))
    if _nan_labelled(view_a) or _nan_labelled(view_b):
        # (a pandas value's cells under a NaN label: walked here, where a NaN is a key as any
        # other; deepdiff gives no path to a change under it)
        _walk_dict(view_a, view_b, path, found)
        return
    found.pairs.append((path, view_a, view_b))


def _walk_stored_forms(a: Any, b: Any, path: _Path, found: _Found) -> None:
    """Record the differences between two library values (models, dataclasses...) at ``path``
    as those between their stored forms."""
    stored_a, stored_b = codec.encode(a), codec.encode(b)
    if not _same(stored_a, stored_b):  # (as compared: without LangChain's releases)
        stored_a, stored_b = (
            without_langchain_versions(stored_a),
            without_langchain_versions(stored_b),
        )
        if not _same(stored_a, stored_b):
            _walk(stored_a, stored_b, path, found)


def _nan_labelled(view: Any) -> bool:
    """Whether ``view``, the cells of a pandas frame or series by column and label
    (:func:`~pytest_clearstone.codec.arrays.cells_view`), has a float NaN label."""
    if type(view) is not dict:
        return False
    for key, cells in view.items():
        if type(key) is float and key != key:
            return True
        if type(cells) is dict and any(type(k) is float and k != k for k in cells):
            return True
    return False


def _nan_pair(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are two NaNs of one type (a float, a complex number or a
    ``Decimal``): stored the same, so no change, whether this walk or deepdiff meets them."""
    t = type(a)
    return t is type(b) and t in _NAN_TYPES and both_nan(a, b)


def _sets_walked(a: Any, b: Any) -> bool:
    """Whether ``a`` and ``b`` are sets of one type that :func:`_walk_set` compares, not
    deepdiff (:func:`_holds_shown`)."""
    t = type(a)
    return t is type(b) and (t is set or t is frozenset) and _holds_shown(a, b)


def _holds_shown(*sets: set[Any] | frozenset[Any]) -> bool:
    """Whether the sets hold an enum member or a time (:data:`_SHOWN`), which deepdiff hashes
    as it compares them: a combined ``Flag`` by nothing that tells it apart, a datetime in
    UTC; or bytes or a text with a lone surrogate (in a tuple or a frozenset too), which it
    hashes as UTF-8, failing on binary data (a set of raw digests) and on such a text (a
    streamed chunk cut inside an escaped emoji)."""
    return any(isinstance(item, _SHOWN) or _not_utf8(item) for items in sets for item in items)


def _not_utf8(item: Any) -> bool:
    t = type(item)
    if t is bytes:
        return True
    if t is str:
        if item.isascii():
            return False
        try:
            item.encode("utf-8")
        except UnicodeEncodeError:  # (a lone surrogate)
            return True
        return False
    return (t is tuple or t is frozenset) and any(_not_utf8(part) for part in item)


def _walk_set(
    a: set[Any] | frozenset[Any], b: set[Any] | frozenset[Any], path: _Path, found: _Found
) -> None:
    """Sets holding enum members or times (:func:`_holds_shown`): the items each lacks by
    ``==``, named here."""
    from deepdiff.helper import notpresent

    added, removed = sorted(b - a, key=_repr), sorted(a - b, key=_repr)
    # an item stored the same as one of the other set (a NaN, in a tuple too, never == the
    # recorded one) is that item: no change
    removed, added, _ = _unpaired(removed, added)
    for item in added:
        found.changes.append((path, "set_item_added", notpresent, comparable_view(item)))
    for item in removed:
        found.changes.append((path, "set_item_removed", comparable_view(item), notpresent))


def _unpaired(removed: list[Any], added: list[Any]) -> tuple[list[Any], list[Any], list[Any]]:
    """``removed`` and ``added`` without the items stored the same as one of the other (a NaN
    never ``==`` the recorded one), and those ``(removed, added)`` pairs."""
    pairs = stored_partners(removed, added) if removed and added else []
    if pairs:
        gone, come = {id(x) for x, _ in pairs}, {id(y) for _, y in pairs}
        removed = [x for x in removed if id(x) not in gone]
        added = [y for y in added if id(y) not in come]
    return removed, added, pairs


def _walk_dict(a: dict[Any, Any], b: dict[Any, Any], path: _Path, found: _Found) -> None:
    from deepdiff.helper import notpresent

    removed = [k for k in a if k not in b]
    added = [k for k in b if k not in a]
    # a key stored the same as one of the other dict (a NaN, never == the recorded one) is
    # that key: its values compared
    removed, added, renamed = _unpaired(removed, added)
    if removed or added:
        union, common = len(a) + len(added), len(a) - len(removed)
        threshold = _diff_deeper_threshold()
        if threshold and union > 1 and common / union < threshold:
            # deepdiff shows the whole dicts as changed, without looking inside
            found.pairs.append((path, comparable_view(a), comparable_view(b)))
            return
        for k in added:
            found.changes.append(
                ((*path, k), "dictionary_item_added", notpresent, comparable_view(b[k]))
            )
        for k in removed:
            found.changes.append(
                ((*path, k), "dictionary_item_removed", comparable_view(a[k]), notpresent)
            )
    keys = list(a)
    if not (removed or added) and len(keys) > _RUN and keys == list(b):  # same keys, same order
        for i in _differing(list(a.values()), list(b.values())):
            k = keys[i]
            _walk(a[k], b[k], (*path, k), found)
        return
    for k, v in a.items():
        if k in b:
            w = b[k]
            if not _same(v, w):
                _walk(v, w, (*path, k), found)
    for k, other in renamed:
        if not _same(a[k], b[other]):
            _walk(a[k], b[other], (*path, k), found)


def _walk_items(a: Any, b: Any, path: _Path, found: _Found) -> None:
    """Lists (or tuples) not all of basic values: deepdiff compares them item by item — except
    where one holds the other's items with a run of items inserted or removed in one place (a
    message put first in a history): those items are named as added or removed, not every item
    after them as changed."""
    from deepdiff.helper import notpresent

    if len(a) != len(b):
        head, tail = _common_ends(a, b, _same)
        if head + tail == min(len(a), len(b)):
            for i in range(head, len(a) - tail):
                found.changes.append(
                    ((*path, i), "iterable_item_removed", comparable_view(a[i]), notpresent)
                )
            for i in range(head, len(b) - tail):
                found.changes.append(
                    ((*path, i), "iterable_item_added", notpresent, comparable_view(b[i]))
                )
            return
    common = min(len(a), len(b))
    for i in _differing(a, b):
        _walk(a[i], b[i], (*path, i), found)
    for i in range(common, len(a)):
        found.changes.append(
            ((*path, i), "iterable_item_removed", comparable_view(a[i]), notpresent)
        )
    for i in range(common, len(b)):
        found.changes.append(((*path, i), "iterable_item_added", notpresent, comparable_view(b[i])))


#: items compared at once (one ``==`` and marshal of their slices) before one by one
_RUN = 64


def _differing(a: Sequence[Any], b: Sequence[Any]) -> Iterator[int]:
    """The indexes below the shorter length where ``a`` and ``b`` are not :func:`_same`: runs
    of items are compared at once, only the runs that differ item by item."""
    common = min(len(a), len(b))
    for start in range(0, common, _RUN):
        stop = min(start + _RUN, common)
        if stop - start > 1 and _same(a[start:stop], b[start:stop]):
            continue
        for i in range(start, stop):
            if not _same(a[i], b[i]):
                yield i


def _same(a: Any, b: Any) -> bool:
    """Whether deepdiff would find nothing between ``a`` and ``b``, told without walking them:
    ``==`` (an ``==`` that raises or answers anything but a bool, as arrays and expressions
    do, is left to deepdiff), the same type, and for plain data the same types all the way
    down (``==`` alone takes ``[1]`` for ``[True]`` and ``[1.0]``): the two marshal the same
    (format 2: no references, so sharing and interning do not count). Other objects are as
    ``==`` says."""
    t = type(a)
    if t is not type(b):
        return False
    try:
        if (a == b) is not True:
            return False
    except Exception:
        return False
    if t in _PLAIN:
        return True
    try:
        return marshal.dumps(a, 2) == marshal.dumps(b, 2)
    except Exception:  # something marshal cannot write, inside or itself
        pass
    if isinstance(a, _CONTAINERS):  # plain ones are walked, other ones (OrderedDict...) diffed
        return bool(kind_of(t))  # unless stored as a library value (a namedtuple)
    return True  # another object: as its == says (deepdiff would walk a library object's form)


def _all_basic(items: Any) -> bool:
    """Whether deepdiff sees only basic values (text, numbers, None...) in ``items``: such a
    list it aligns as a whole (difflib), so it is handed over whole."""
    from deepdiff import helper

    # deepdiff before its difflib alignment pairs every list item by item: handing a list over
    # whole is right there too
    basic_types = getattr(helper, "basic_types", (str, bytes, int, float, bool, type(None)))
    for v in items:
        t = type(v)
        if t in _PLAIN:
            continue
        if t is dict or t is list or t is tuple or isinstance(v, _TIMES):  # (walked by items)
            return False
        if not isinstance(comparable_view(v), basic_types):
            return False
    return True


def _paired_in_order(a: Sequence[Any], b: Sequence[Any]) -> bool:
    """Whether deepdiff would name the differences of ``a`` and ``b`` (lists of basic values)
    as :func:`_walk_items` does: both hold texts, numbers, bytes or ``None`` only, and either
    they are as long as each other and no value at a place where they differ is in the other
    list, or one is the other with one run of items inserted, none of them in the other list.
    deepdiff's alignment (difflib's) then matches the items they share in place, and pairs the
    rest index by index or names the run added or removed. (A run of copies of the item before
    it, inserted, is named here too, at its end, where deepdiff would name the first copies.)
    Such lists (vectors of floats changed
    throughout or cut short, an embedding index's) are walked here, their items named like any
    two texts or numbers, instead of by deepdiff, which takes a second per thousand of them."""
    if not all(type(v) in _PLAIN for v in (*a, *b)):
        return False
    if len(a) == len(b):
        places = list(_differing(a, b))
        return {a[i] for i in places}.isdisjoint(b) and {b[i] for i in places}.isdisjoint(a)
    head, tail = _common_ends(a, b, _same)
    if head + tail != min(len(a), len(b)):
        return False
    longer, shorter = (a, b) if len(a) > len(b) else (b, a)
    run = longer[head : len(longer) - tail]
    # (or a run of identical entries made shorter or longer: named at its end, where the walk
    # names it in any other list, not where deepdiff's alignment puts it, at its start)
    repeated = head > 0 and all(_same(item, longer[head - 1]) for item in run)
    return repeated or set(run).isdisjoint(shorter)


def _diff_deeper_threshold() -> float:
    """deepdiff's ``threshold_to_diff_deeper``: dicts with a smaller share of keys in common are
    shown whole (0 before deepdiff 8, which always looked inside)."""
    global _threshold
    if _threshold is None:
        import inspect

        from deepdiff.diff import DeepDiff  # the class itself: deepdiff.DeepDiff may be wrapped

        parameter = inspect.signature(DeepDiff).parameters.get("threshold_to_diff_deeper")
        _threshold = float(parameter.default or 0) if parameter is not None else 0.0
    return _threshold


_threshold: float | None = None


# -- stored forms: a tagged value is read as what it stands for, never by its tags ---------------
#: what a pydantic model's set fields are shown as (its ``model_fields_set``)
#: how the built-in containers' tags hold their items in ``v``: items, [key, value] pairs, or the
#: items of a set (sorted)
_CONTAINER_KINDS = {
    **dict.fromkeys(("tuple", "deque"), "items"),
    **dict.fromkeys(("dict", "ordereddict", "counter", "defaultdict"), "pairs"),
    **dict.fromkeys(("set", "frozenset"), "set"),
}


class _Field(NamedTuple):
    """A step of a path into a model's field: ``.name``."""

    name: str


class _Key(NamedTuple):
    """A step of a path into a dict's key that has no repr to read back: ``[<its repr>]``."""

    text: str

    def __repr__(self) -> str:
        return self.text


def _is_shown(view: Any) -> bool:
    """Whether a delta shows ``view`` by its ``repr``, not walked into: a stored model of this
    module's reading (:func:`_fields_class`; the command line's views of a decoded file are
    walked by their attributes), a value stored as a text (the codec's
    :class:`~pytest_clearstone.codec.tags.StoredRepr`), a path (deepdiff would walk its
    private slots: ``._parts[4]``), an enum member (deepdiff would walk its ``name`` and
    ``value``, and finds neither in a combined ``Flag``: ``A|C`` against ``A|B`` was no
    change), a time (:data:`_TIMES`) or a bytearray."""
    t = type(view)
    return (
        t is StoredRepr
        or (isinstance(view, StoredFields) and bool(t.stored_class))
        or isinstance(view, _SHOWN)
    )


_UNREAD: Any = object()  # (a dict whose tag is not one a delta reads: a dict)


@functools.cache
def _fields_class(name: str, stored_class: str) -> type[StoredFields]:
    """The class of a stored model's view: one per stored class (models of two classes differ
    by type), named after it."""
    return type(name, (StoredFields,), {"__qualname__": name, "stored_class": stored_class})


#: the tags besides the self-contained ones of values a delta shows as one value (a numpy array:
#: decoded, its cells named by position, not its stored lists at ``['v']``)
_ONE_VALUE_TAGS = frozenset({"pickle", "enum", "secret", "sentinel", "ndarray", "numpy"})


def _stored_kind(tree: dict[Any, Any]) -> str:
    """How a delta reads a tagged value: ``"items"``, ``"pairs"``, ``"set"`` (of a built-in
    container), ``"value"`` (one value: a datetime, a pickle...), ``"class"``, ``"fields"`` (a
    model, a client...); ``""`` for a dict that is no tagged value."""
    tag = tree.get(TAG)
    if type(tag) is not str:
        return ""
    kind = _CONTAINER_KINDS.get(tag)
    if kind is not None:
        return kind if type(tree.get("v")) is list else ""
    if tag == "class":
        return "class"
    if tag in SELF_CONTAINED_TAGS or tag in _ONE_VALUE_TAGS:
        return "value"
    return "fields" if class_paths(tree) else ""  # (a tag the codec does not write: a dict)


def _naming(tree: dict[Any, Any], kind: str) -> dict[Any, Any]:
    """What names a tagged value's class (for a container: all but its items)."""
    if kind in ("items", "pairs", "set"):
        return {k: v for k, v in tree.items() if k != "v"}
    return {k: v for k, v in tree.items() if k in NAMING_PARTS}


def _as_stored(part: Any) -> Any:
    return part  # (a stored model's parts are walked as they are stored)


def _class_name(path: str) -> str:
    return path.rpartition(":")[2] or path


def _stored_view(tree: dict[Any, Any]) -> Any:
    """A tagged value as a delta shows it (:func:`comparable_view`); ``_UNREAD`` when it is no
    tagged value."""
    kind = _stored_kind(tree)
    tag = tree.get(TAG)
    if kind == "items" or kind == "set":
        items = [comparable_view(v) for v in tree["v"]]
        try:
            if tag == "deque":
                return collections.deque(items, tree.get("maxlen"))
            return tuple(items) if tag == "tuple" else (set if tag == "set" else frozenset)(items)
        except TypeError:  # (unhashable items, a bad maxlen)
            return items
    if kind == "pairs":
        pairs = [tuple(comparable_view(v) for v in pair) for pair in tree["v"]]
        try:
            if tag == "ordereddict":
                return collections.OrderedDict(pairs)
            return collections.Counter(dict(pairs)) if tag == "counter" else dict(pairs)
        except (TypeError, ValueError):  # (unhashable keys, pairs that are not pairs)
            return pairs
    if kind == "value" or kind == "class":
        return _stored_value(tree)
    if kind == "fields":
        paths = class_paths(tree)
        stored_class = paths[0].replace(":", ".") if paths else str(tag)
        fields = stored_fields(tree, comparable_view)
        return _fields_class(stored_class_name(tree, paths), stored_class)(fields)
    return _UNREAD


def _stored_value(tree: dict[Any, Any]) -> Any:
    """A tagged value that is one value: the datetime, decimal... it stands for, or a text."""
    tag, value = tree.get(TAG), tree.get("v")
    name = str(tree.get("type") or tree.get("cls") or tree.get("ref") or tag)
    if tag == "pickle":
        return pickle_placeholder(tree)
    if tag == "repr":
        return StoredRepr(name, str(value))
    if tag == "class":
        return StoredRepr("type", f"<class {name.replace(':', '.')!r}>")
    if tag == "enum":
        member = tree.get("name")
        return StoredRepr(name, _member_text(name, comparable_view(value), member))
    if tag == "secret":
        return StoredRepr(name, f"{_class_name(name)}('**********')")
    if tag == "sentinel":
        return StoredRepr(name, _class_name(name))
    try:
        return array_view(codec.decode(tree))
    except Exception:  # (a value stored wrong; numpy not installed where a file is shown)
        return StoredRepr(str(tag), f"<{tag} {value!r}>")


def _member_text(name: str, value: Any, member: Any = None) -> str:
    """A stored member of the enum ``name`` (``member``: its stored name, if any) as a delta
    shows it: as the agent holds it (``<Priority.HIGH: 2>``, what a live member's delta shows)
    when the run has imported its class and the member is one of it, by its name or else its
    value (nothing is imported); else by the class and the name (``Priority.HIGH``) or value
    (``Priority(2)``: a golden recorded before names were stored, a member gone from its
    class)."""
    cls = loaded_path(name)
    if isinstance(cls, enum.EnumMeta):
        if type(member) is str and member in cls.__members__:
            return repr(cls.__members__[member])
        try:
            return repr(cls(value))
        except Exception:  # (no longer a value of the class; a value a pickle stands for)
            pass
    if type(member) is str:
        return f"{_class_name(name)}.{printable(member)}"
    return f"{_class_name(name)}({value!r})"


def _walk_stored(a: dict[Any, Any], b: dict[Any, Any], path: _Path, found: _Found) -> bool:
    """Record the differences between two stored forms, one at least a tagged value, by what
    they stand for: a model's fields as attributes (``.score``), a container's items at its own
    path; ``False`` when neither is a tagged value (they are walked as dicts)."""
    kind, kind_b = _stored_kind(a), _stored_kind(b)
    if not (kind or kind_b):  # (a dict holding the tag key as its own: {"__cs__": None})
        return False
    if kind != kind_b or _naming(a, kind) != _naming(b, kind):
        view_a, view_b = comparable_view(a), comparable_view(b)
        found.changes.append((path, _change_of(view_a, view_b), view_a, view_b))
    elif kind == "fields":
        fields_a, fields_b = stored_fields(a, _as_stored), stored_fields(b, _as_stored)
        if a.get(TAG) in MESSAGE_TAGS:
            _name_headers(fields_a, fields_b)
        _walk_fields(fields_a, fields_b, path, found)
    elif kind == "items":
        _walk(a["v"], b["v"], path, found)
    elif kind == "pairs":
        keyed_a, keyed_b = _keyed(a["v"]), _keyed(b["v"])
        if keyed_a is not None and keyed_b is not None:
            _walk_dict(keyed_a, keyed_b, path, found)
        else:
            found.changes.append((path, "values_changed", comparable_view(a), comparable_view(b)))
    elif kind == "class" and a.get("schema") != b.get("schema"):
        name = str(a.get("cls")).replace(":", ".")
        found.changes.append(
            (path, "schema_changes", _Schema(name, a.get("schema")), _Schema(name, b.get("schema")))
        )
    else:
        view_a, view_b = comparable_view(a), comparable_view(b)
        # (or equal by ==, which deepdiff takes as no change, stored otherwise: a Decimal of
        # another exponent, 1234.50 and 1234.5)
        if _is_shown(view_a) or _is_shown(view_b) or _same(view_a, view_b):
            found.changes.append((path, _change_of(view_a, view_b), view_a, view_b))
        elif _sets_walked(view_a, view_b):  # (a set of a dataclass, as a set of the agent's)
            _walk_set(view_a, view_b, path, found)
        else:  # a datetime, a set...: deepdiff says how they differ
            found.pairs.append((path, view_a, view_b))
    return True


def _walk_fields(a: dict[str, Any], b: dict[str, Any], path: _Path, found: _Found) -> None:
    """The fields of two stored models of one class: each by name, as an attribute."""
    from deepdiff.helper import notpresent

    for name in b:
        if name not in a:
            change = (notpresent, comparable_view(b[name]))
            found.changes.append(((*path, _Field(str(name))), "attribute_added", *change))
    for name in a:
        if name not in b:
            change = (comparable_view(a[name]), notpresent)
            found.changes.append(((*path, _Field(str(name))), "attribute_removed", *change))
    for name, v in a.items():
        if name in b and not _same(v, b[name]):
            if name == FIELDS_SET:  # (the names, not where they moved in a sorted list)
                found.changes.append(((*path, _Field(name)), "values_changed", v, b[name]))
            else:
                _walk(v, b[name], (*path, _Field(str(name))), found)


def _name_headers(a: dict[str, Any], b: dict[str, Any]) -> None:
    """The fields of two stored HTTP requests or responses, their headers changed in place to
    the headers by name (``.headers['X-Api-Version']``, a repeated name's values in a list), as
    ``ignore=`` names them; left as ``[name, value]`` pairs, named by position, when by name
    they do not differ (the same headers in another order)."""
    keyed_a, keyed_b = headers_by_name(a.get("headers")), headers_by_name(b.get("headers"))
    if keyed_a is None or keyed_b is None or TAG in keyed_a or TAG in keyed_b:
        return  # (no headers on one side; a header named like a tag would read as one)
    if keyed_a != keyed_b:
        a["headers"], b["headers"] = keyed_a, keyed_b


def _keyed(pairs: list[Any]) -> dict[Any, Any] | None:
    """A stored dict's ``[key, value]`` pairs as a dict by the keys' path steps; ``None`` when
    two keys would read the same."""
    from deepdiff.model import DictRelationship

    keyed: dict[Any, Any] = {}
    for pair in pairs:
        if type(pair) is not list or len(pair) != 2:
            return None
        key = comparable_view(pair[0])
        try:
            readable = DictRelationship(None, None, key).get_param_repr() is not None
            hash(key)
        except Exception:  # (unhashable)
            readable = False
        if not readable:  # (a pickle by its class; other placeholders, an enum member's
            # Color(1), by their text, which tells them apart)
            pickled = type(pair[0]) is dict and pair[0].get(TAG) == "pickle"
            key = _Key(f"<{key.type_name}>" if type(key) is StoredRepr and pickled else _repr(key))
        if key in keyed:
            return None
        keyed[key] = pair[1]
    return keyed


def _change_of(old: Any, new: Any) -> str:
    """The kind of change between two different values as a delta shows them: of type, unless
    they are of one class (a ``deque`` of another ``maxlen``, another class as a value)."""
    old_type, new_type = _type_names(old, new)
    return "values_changed" if type(old) is type(new) and old_type == new_type else "type_changes"


def _type_names(old: Any, new: Any) -> tuple[str, str]:
    """The names of the classes of ``old`` and ``new`` in a change of type: qualified by their
    modules when their names are the same."""
    names = []
    for value in (old, new):
        t = type(value)
        if t is StoredRepr:
            names.append((_class_name(value.type_name).rpartition(".")[2], value.type_name))
        elif issubclass(t, StoredFields):
            names.append((t.__name__, t.stored_class))
        else:
            names.append((t.__name__, f"{t.__module__}.{t.__qualname__}"))
    (old_name, old_path), (new_name, new_path) = names
    if old_name == new_name and old_path != new_path:
        return old_path, new_path
    if old_path == new_path:  # (numpy arrays of two dtypes: their values may look alike)
        old_dtype, new_dtype = dtype_name(old), dtype_name(new)
        if old_dtype != new_dtype:
            return f"{old_name} of {old_dtype}", f"{new_name} of {new_dtype}"
    return old_name, new_name


def _same_fields(old: Any, new: Any) -> bool:
    """Whether one of ``old`` and ``new`` is a model (a pydantic model, or its stored view) and
    the other a dict of its fields, all of them or those not ``None``
    (``model_dump(exclude_none=True)``)."""
    if isinstance(old, dict) is isinstance(new, dict):
        return False
    model, mapping = (new, old) if isinstance(old, dict) else (old, new)
    if not (isinstance(model, StoredFields) or callable(getattr(model, "model_dump", None))):
        return False
    try:
        return any(_fields_of(model, drop_none) == mapping for drop_none in (False, True))
    except Exception:  # a third-party object's == or model_dump that raises: not told apart
        return False


def _fields_of(value: Any, drop_none: bool) -> Any:
    """``value`` with its models (pydantic models, stored views) turned into dicts of their
    fields, those that are ``None`` left out under ``drop_none``; its containers as lists and
    dicts."""
    if isinstance(value, StoredFields):
        fields = {k: v for k, v in vars(value).items() if k != FIELDS_SET}
    elif callable(getattr(value, "model_dump", None)) and not isinstance(value, type):
        fields = value.model_dump(exclude_none=drop_none)
    elif isinstance(value, dict):
        return {k: _fields_of(v, drop_none) for k, v in value.items()}
    elif isinstance(value, (list, tuple)):
        return [_fields_of(v, drop_none) for v in value]
    else:
        return value
    return {k: _fields_of(v, drop_none) for k, v in fields.items() if not (drop_none and v is None)}


# -- a model class whose JSON schema changed ------------------------------------------------------
class _Schema(NamedTuple):
    """The JSON schema of a model class (``name``: ``module.QualName``) on one side of a change:
    what a structured-output call sends the API."""

    name: str
    schema: Any


def _schema_change(a: Any, b: Any) -> tuple[_Schema, _Schema] | None:
    """The two JSON schemas of one model class, when ``a`` and ``b`` are that class with two
    schemas: the class now and the stand-in for it read from a golden recorded with another
    schema (``ChangedModelClass``), or two such stand-ins."""
    old, new = _model_schema(a), _model_schema(b)
    if old is None or new is None or old[0] is not new[0]:
        return None
    if type(b) is ChangedModelClass and new[1] == old[1]:
        # the stand-in read for the same class again (the agent's state loaded from the
        # golden held it): it stands for the class now
        new = b.cls, model_schema(b.cls)
    cls = old[0]
    name = f"{cls.__module__}.{cls.__qualname__}"
    return _Schema(name, old[1]), _Schema(name, new[1])


def _model_schema(value: Any) -> tuple[type, Any] | None:
    if type(value) is ChangedModelClass:
        return value.cls, value.schema
    if issubclass(type(value), type):
        schema = model_schema(value)
        return None if schema is None else (value, schema)
    return None


#: the differences of two JSON schemas shown before the rest is summed up (all under ``-vv``)
_MAX_SCHEMA_CHANGES = 3


def _schema_text(old: _Schema, new: _Schema, full: bool) -> str:
    """Where two JSON schemas differ: ``properties.verdict.description: 'a' -> 'b'``,
    ``properties.sources added``..."""
    changes = list(_json_changes(old.schema, new.schema, full))
    if not full and len(changes) > _MAX_SCHEMA_CHANGES:
        rest = len(changes) - _MAX_SCHEMA_CHANGES
        changes[_MAX_SCHEMA_CHANGES:] = [f"... ({rest} more; {show_all()} shows all)"]
    return "; ".join(changes)


def _json_changes(old: Any, new: Any, full: bool) -> Iterator[str]:
    for where, x, y in json_differences(old, new):
        where = where or "(the whole schema)"
        if x is ABSENT:
            yield f"{where} added"
        elif y is ABSENT:
            yield f"{where} removed"
        else:
            yield f"{where}: {_short(x, y, full=full)} -> {_short(y, x, full=full)}"


def _path_text(path: _Path) -> str:
    """``root['memory'][1].score``: the path written the way deepdiff writes it, a field of a
    stored model as an attribute."""
    text = "root"
    for step in path:
        t = type(step)
        if t is int:  # a list's index (deepdiff's repr, read back)
            text += f"[{step}]"
            continue
        if t is str:
            text += _key_text(step)
            continue
        if t is _Field and str.isidentifier(step.name):
            text += f".{step.name}"
            continue
        if t is _Key:
            text += f"[{step.text}]"
            continue
        if t is float and step != step:  # (a NaN, whose repr deepdiff cannot read back)
            text += "[nan]"
            continue
        text += _step_text(step[0] if t is _Field else step)
    return text


@functools.lru_cache(maxsize=1024)
def _key_text(key: str) -> str:
    """``['memory']``: a text key as deepdiff writes it (the same keys recur at every index)."""
    return _step_text(key)


def _step_text(step: Any) -> str:
    from deepdiff.model import DictRelationship

    if type(step) is tuple:  # a tuple key: deepdiff writes (1, 2) as [1][2], d[1][2]'s path
        return f"[{step!r}]"
    shown = DictRelationship(None, None, step).get_param_repr()
    if shown is None:  # a key with no repr to read back: deepdiff has no path for it either
        raise ValueError(f"no path to a key of type {type(step).__name__}")
    return shown


#: the steps of a path as :func:`_path_text` writes them: ``[3]``, ``['key']``, ``.field``...
_STEP = re.compile(
    r"""\[-?\d+\]|\[(?:'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[^\]'"]*)\]|\.\w+|.[^.\[]*""",
    re.DOTALL,
)


def _steps(path: str) -> list[str]:
    """``root['history'][12].text`` -> ``['root', "['history']", '[12]', '.text']``."""
    if not path.startswith("root"):
        return [path]
    return ["root", *_STEP.findall(path, 4)]


def _path_key(path: str) -> list[tuple[int, int, str]]:
    """The order of paths: step by step, a list's indexes by number (``[2]`` before ``[10]``),
    a path before the paths below it."""
    key = []
    for step in _steps(path):
        if step[:1] == "[" and step[1:-1].lstrip("-").isdigit():
            key.append((0, int(step[1:-1]), ""))
        else:
            key.append((1, 0, step))
    return key


#: places named in the summary of the changes not shown
_MAX_PLACES = 3


def _rest(changes: Sequence[Change]) -> list[str]:
    """The line that sums up the changes not shown: how many, under their common parent
    (``... and 4,960 more changes under root['history'] (-vv shows all)``), or counted under
    each place one step below it; nothing when all are shown."""
    if not changes:
        return []
    parents = [_steps(change.path)[:-1] or ["root"] for change in changes]
    common = parents[0]
    for parent in parents[1:]:
        k = 0
        while k < min(len(common), len(parent)) and common[k] == parent[k]:
            k += 1
        common = common[:k]
    head = f"... and {len(changes):,} more change{'s' if len(changes) > 1 else ''}"
    places = collections.Counter("".join(map(_short_step, parent[:2])) for parent in parents)
    if len(common) > 1 or len(places) == 1:
        shown = _shown_path("".join(common), False)[0] if len(common) > 1 else None
        under = printable(next(iter(places))) if shown is None else shown
        return [f"{head} under {under} ({show_all()} shows all)"]
    # (a change of a field of the root itself is named by its path, not counted under root)
    places = collections.Counter(
        f"under {printable(''.join(map(_short_step, parent[:2])))}"
        if len(parent) > 1
        else f"at {_shown_path(change.path, False)[0]}"
        for parent, change in zip(parents, changes, strict=True)
    )
    counted = [f"{count:,} {place}" for place, count in places.most_common(_MAX_PLACES)]
    elsewhere = len(changes) - sum(count for _, count in places.most_common(_MAX_PLACES))
    if elsewhere:
        counted.append(f"{elsewhere:,} elsewhere")
    return [f"{head}: {', '.join(counted)} ({show_all()} shows all)"]


#: a path longer than this (a value nested hundreds of levels deep) is shown with its middle
#: left out, unless all is shown; the change keeps its whole path (:attr:`StateDelta.changes`)
_MAX_PATH_SHOWN = 300


def _shown_path(path: str, full: bool) -> tuple[str, str]:
    """``path`` as a delta line shows it, and what the line then ends with: a long path with
    the middle of its steps left out, and the option that shows it whole. Its keys' control
    characters are escaped (deepdiff writes a key as it is): a key holding a line break, a
    bidirectional control or a terminal escape shows as one line, read in order."""
    if full or len(path) <= _MAX_PATH_SHOWN:
        return printable(path), ""
    steps = [_short_step(step) for step in _steps(path)]
    shown = short_path(steps[0], steps[1:], keep=6)
    return printable(shown), f" ({show_all()} shows the whole path)"


#: a step of a path longer than this (a key that is a whole prompt) is shown with its middle
#: left out, unless all is shown
_MAX_STEP_SHOWN = 60


def _short_step(step: str) -> str:
    """``step`` (``['a long key']``) with the middle of its text left out when it is long:
    its start, and its last characters with the brackets that close it."""
    if len(step) <= _MAX_STEP_SHOWN:
        return step
    return step[: _MAX_STEP_SHOWN - 16] + "…" + step[-15:]


def _line(change: Change, full: bool) -> str:
    path, kind, old, new = change
    path, hint = _shown_path(path, full)
    return _described(path, kind, old, new, full) + hint


def _described(path: str, kind: str, old: Any, new: Any, full: bool) -> str:
    if kind == "type_changes":
        old_type, new_type = _type_names(old, new)
        if _same_fields(old, new):  # (an SDK item sent back as its model_dump(), or back)
            return f"{path}: {old_type} -> {new_type} of the same fields (only the type changed)"
        return (
            f"{path}: {_short(old, new, full=full)} ({old_type}) -> "
            f"{_short(new, old, full=full)} ({new_type})"
        )
    if kind == "schema_changes":
        return f"{path}: the JSON schema of {old.name} changed: {_schema_text(old, new, full)}"
    if kind == "values_changed":
        if _renormalized(old, new):  # (they would look the same)
            old_text, new_text = ascii(str.__str__(old)), ascii(str.__str__(new))
            return (
                f"{path}: {_shortened(old_text, new_text, full)} -> "
                f"{_shortened(new_text, old_text, full)} ({_RENORMALIZED}, shown escaped)"
            )
        return f"{path}: {_short(old, new, full=full)} -> {_short(new, old, full=full)}"
    if kind.endswith("added"):
        return f"{path}: added {_short(new, full=full)}"
    if kind.endswith("removed"):
        return f"{path}: removed {_short(old, full=full)}"
    return f"{path}: repetition changed"


_KINDS = (
    "type_changes",
    "schema_changes",
    "values_changed",
    "dictionary_item_added",
    "dictionary_item_removed",
    "iterable_item_added",
    "iterable_item_removed",
    "set_item_added",
    "set_item_removed",
    "attribute_added",
    "attribute_removed",
    "repetition_change",
)


def state_delta(before: Any, after: Any) -> StateDelta:
    """The :class:`StateDelta` from ``before`` to ``after``."""
    return StateDelta(before, after)


# -- text, line by line ---------------------------------------------------------------------------
def _is_long_text(change: Change, width: int) -> bool:
    old, new = change.old, change.new
    if not (isinstance(old, str) and isinstance(new, str)):
        return False
    # str's own methods: a subclass's overrides are not called
    return any(str.__contains__(s, "\n") or str.__len__(s) > width for s in (old, new))


def _text_diff(change: Change, full: bool, width: int) -> Iterator[str]:
    """A heading line, then the ndiff of the two texts' lines, indented: under ``full`` all of
    it; otherwise only the changed lines and ``_CONTEXT_LINES`` around them, long lines cut
    around where they differ, at most ``_MAX_TEXT_LINES`` lines."""
    path, hint = _shown_path(change.path, full)
    if (
        not full
        and _SIGNATURE.search(change.path) is not None
        and _opaque_base64(change.old)
        and _opaque_base64(change.new)
    ):
        # (a signature, an encrypted content: a diff of its random characters tells nothing)
        old, new = str.__str__(change.old), str.__str__(change.new)
        yield (
            f"{path}: base64 text differs ({len(old)} -> {len(new)} characters; {show_all()} "
            f"shows it): '{old[:_BASE64_SHOWN]}...' -> '{new[:_BASE64_SHOWN]}...'{hint}"
        )
        return
    # str's own methods: a subclass's overrides are not called
    a, b = _text_lines(str.__str__(change.old)), _text_lines(str.__str__(change.new))
    note = f"; {_RENORMALIZED}" if _renormalized(change.old, change.new) else ""
    breaks_text = _breaks_changed(a, b)
    if breaks_text:
        # lines that differ only in a break the terminal does not show (``\r\n`` for ``\n``):
        # the breaks are named once, and only the lines' text is diffed
        a, b = _with_newlines(a), _with_newlines(b)
        if a == b:
            yield f"{path}: text differs only in {breaks_text}{hint}"
            return
        note += f"; {breaks_text.replace(':', ' too:', 1)}"
    opcodes = _line_opcodes(a, b)
    groups = [opcodes] if full else _grouped(opcodes, _CONTEXT_LINES)
    clip_to = None if full else width
    body: list[str] = []
    last = 0
    for group in groups:
        if group[0][1] > last:
            body.append(_skipped(group[0][1] - last))
        for tag, i1, i2, j1, j2 in group:
            if tag == "equal":
                body.extend(f"  {_clip(line, clip_to)}" for line in a[i1:i2])
            else:
                body.extend(_diff_block(a[i1:i2], b[j1:j2], clip_to))
        last = group[-1][2]
    if last < len(a):
        body.append(_skipped(len(a) - last))
    if not full and len(body) > _MAX_TEXT_LINES:
        rest = len(body) - _MAX_TEXT_LINES
        body[_MAX_TEXT_LINES:] = [f"... ({rest} more line(s) of diff; {show_all()} shows all)"]
    yield f"{path}: text differs (- before, + after{note}){hint}:"
    for line in body:  # (control characters escaped: the terminal would run them)
        yield "  " + printable_line(line.rstrip("\r\n"))


_RENORMALIZED = "the same text in another Unicode normalization"
#: how many characters of a changed base64 signature a delta shows (:func:`_opaque_base64`)
_BASE64_SHOWN = 12
#: the path of a signature (anthropic's thinking and compaction blocks'), which a delta shows
#: shortened when it is base64 (media in base64 is still diffed: the place it changed tells)
_SIGNATURE = re.compile(r"(\['signature'\]|\.signature)$")


def _opaque_base64(text: str) -> bool:
    """Whether ``text`` (a long text: :func:`_is_long_text`) is one run of base64 with a letter
    and a digit, not hex digits: a signature or encrypted content (anthropic's thinking block's
    ``signature``), shown shortened rather than diffed."""
    text = str.__str__(text)
    return (
        _BASE64.fullmatch(text) is not None
        and _HEX.fullmatch(text) is None
        and any(c.isdigit() for c in text)
        and any(c.isalpha() for c in text)
    )


def _json_text_diff(change: Change, full: bool) -> list[str]:
    """For two long texts that are both a JSON object or array (a tool's result sent back to
    the model as ``json.dumps(...)``), a heading line, then one line per changed place inside
    them (``forecast[3].sky: 'cloudy' -> 'sunny'``), at most ``_MAX_TEXT_LINES`` unless
    ``full``; nothing for other texts, or where the whole value changed (a list's length)."""
    old, new = _json_container(change.old), _json_container(change.new)
    if old is None or new is None:
        return []
    places = list(_json_changes(old, new, full))
    if not places or any(place.startswith("(the whole schema)") for place in places):
        return []
    path, hint = _shown_path(change.path, full)
    if not full and len(places) > _MAX_TEXT_LINES:
        rest = len(places) - _MAX_TEXT_LINES
        places[_MAX_TEXT_LINES:] = [f"... ({rest} more; {show_all()} shows all)"]
    return [f"{path}: JSON text differs (paths inside it){hint}:"] + [
        "  " + printable_line(place) for place in places
    ]


def _json_container(text: str) -> Any:
    """The object or array ``text`` holds as JSON, else None."""
    body = str.strip(text)  # (str's own methods: a subclass's overrides are not called)
    if not body.startswith(("{", "[")):
        return None
    try:
        value = json.loads(body)
    except ValueError:
        return None
    return value if isinstance(value, (dict, list)) else None


def _renormalized(old: Any, new: Any) -> bool:
    """Whether ``old`` and ``new`` are texts that differ only in their Unicode normalization
    (``é`` composed, or ``e`` and a combining accent): texts a terminal shows the same."""
    if not (isinstance(old, str) and isinstance(new, str)):
        return False
    import unicodedata

    # str's own methods: a subclass's overrides are not called
    old, new = str.__str__(old), str.__str__(new)
    return unicodedata.normalize("NFC", old) == unicodedata.normalize("NFC", new)


def line_breaks_changed(old: str, new: str) -> str:
    """How the kinds of line break of two texts differ, where both have some and they are not
    the same kinds (``its line breaks: '\\n' before, '\\r\\n' after``): a change a diff of their
    lines does not show. Empty otherwise."""
    return _breaks_changed(_text_lines(old), _text_lines(new))


def _text_lines(text: str) -> list[str]:
    """The lines of ``text``, each with its line break (``\\n``, ``\\r\\n`` or ``\\r``): not
    split at the other characters ``str.splitlines`` splits at (``\\x0c``, ``\\x85``,
    ``\\u2028``, ...), which are shown escaped within their line."""
    # str's own methods: a subclass's overrides are not called
    if not re.search("[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]", text):
        return str.splitlines(text, True)
    return re.findall("[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\\Z", text)


def _breaks_changed(a: list[str], b: list[str]) -> str:
    before, after = _line_breaks(a), _line_breaks(b)
    if not (before and after) or before == after:
        return ""
    return f"its line breaks: {_breaks_text(before)} before, {_breaks_text(after)} after"


def _line_breaks(lines: list[str]) -> tuple[str, ...]:
    """The kinds of line break that end ``lines``, in the order they first do."""
    return tuple(dict.fromkeys(end for end in map(_line_end, lines) if end))


def _line_end(line: str) -> str:
    return _ending(line)[1]


def _with_newlines(lines: list[str]) -> list[str]:
    """``lines`` with each line break written ``\\n``."""
    return [body + "\n" if end else body for body, end in map(_ending, lines)]


def _breaks_text(breaks: tuple[str, ...]) -> str:
    return " and ".join(map(repr, breaks))


_Opcode = tuple[str, int, int, int, int]


def _common_ends(
    a: Sequence[Any], b: Sequence[Any], same: Callable[[Any, Any], bool] = operator.eq
) -> tuple[int, int]:
    """How many items ``a`` and ``b`` share (are ``same``) at their start, and then at their
    end (the two never overlap)."""
    if same is operator.eq and type(a) is str and type(b) is str:
        return _common_text_ends(a, b)
    n = min(len(a), len(b))
    head = 0
    while head < n and same(a[head], b[head]):
        head += 1
    tail = 0
    while tail < n - head and same(a[-1 - tail], b[-1 - tail]):
        tail += 1
    return head, tail


def _common_text_ends(a: str, b: str) -> tuple[int, int]:
    """:func:`_common_ends` of two texts, found by comparing slices (in C) that grow while they
    match and shrink where they do not: a time set by the length of the common parts' runs in
    blocks, not by one Python step per character (a 50 MB prompt changed in one place)."""
    n = min(len(a), len(b))
    head, step = 0, 64
    while step:
        if head + step <= n and a[head : head + step] == b[head : head + step]:
            head, step = head + step, step * 2
        else:
            step //= 2
    tail, step, end_a, end_b = 0, 64, len(a), len(b)
    while step:
        if tail + step <= n - head and (
            a[end_a - tail - step : end_a - tail] == b[end_b - tail - step : end_b - tail]
        ):
            tail, step = tail + step, step * 2
        else:
            step //= 2
    return head, tail


def _line_opcodes(a: list[str], b: list[str]) -> list[_Opcode]:
    """difflib's opcodes from the lines ``a`` to the lines ``b``: their common first and last
    lines are set aside (linear, and exact), and only the middle that changed is aligned —
    exactly when it is small, else with difflib's heuristic for lines repeated all over (the
    exact alignment of a long text whose blank lines or ``---`` repeat is quadratic)."""
    head, tail = _common_ends(a, b)
    middle_a, middle_b = a[head : len(a) - tail], b[head : len(b) - tail]
    heuristic = len(middle_a) * len(middle_b) > _MAX_EXACT_ALIGN
    matcher = difflib.SequenceMatcher(None, middle_a, middle_b, autojunk=heuristic)
    opcodes: list[_Opcode] = [("equal", 0, head, 0, head)] if head else []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        opcodes.append((tag, i1 + head, i2 + head, j1 + head, j2 + head))
    if tail:
        opcodes.append(("equal", len(a) - tail, len(a), len(b) - tail, len(b)))
    return opcodes


def _grouped(opcodes: list[_Opcode], context: int) -> Iterator[list[_Opcode]]:
    """The opcodes in groups of changes with ``context`` equal lines around them, as
    ``difflib.SequenceMatcher.get_grouped_opcodes`` groups its own."""
    codes = list(opcodes) or [("equal", 0, 1, 0, 1)]
    tag, i1, i2, j1, j2 = codes[0]
    if tag == "equal":
        codes[0] = tag, max(i1, i2 - context), i2, max(j1, j2 - context), j2
    tag, i1, i2, j1, j2 = codes[-1]
    if tag == "equal":
        codes[-1] = tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)
    group: list[_Opcode] = []
    for tag, i1, i2, j1, j2 in codes:
        if tag == "equal" and i2 - i1 > 2 * context:
            group.append((tag, i1, min(i2, i1 + context), j1, min(j2, j1 + context)))
            yield group
            group = []
            i1, j1 = max(i1, i2 - context), max(j1, j2 - context)
        group.append((tag, i1, i2, j1, j2))
    if group and not (len(group) == 1 and group[0][0] == "equal"):
        yield group


def _skipped(count: int) -> str:
    return f"... ({count} identical line(s))"


def _diff_block(a: list[str], b: list[str], width: int | None) -> Iterator[str]:
    """The ndiff of a block of changed lines: ``- old`` and ``+ new`` lines, with ``?`` hint
    lines under lines that changed only in part; with a ``width``, lines longer than it are cut
    around each place where they differ from their counterpart, the same way on both sides."""
    windowed = False  # a line cut at several places: each cut shows next to its counterpart
    if width is not None:
        cut_a: list[str] = []
        cut_b: list[str] = []
        for k in range(max(len(a), len(b))):
            if k < len(a) and k < len(b):
                windows = clip_windows(a[k], b[k], width)
                windowed = windowed or len(windows) > 1
                cut_a.extend(old for old, _ in windows)
                cut_b.extend(new for _, new in windows)
            elif k < len(a):
                cut_a.append(_clip(a[k], width))
            else:
                cut_b.append(_clip(b[k], width))
        a, b = cut_a, cut_b
    short = max(map(len, a + b)) <= _MAX_HINT_LINE
    paired = len(a) == len(b) and short and sum(map(len, a)) <= _MAX_HINT_PAIRS * _MAX_HINT_LINE
    if len(a) * len(b) <= _MAX_HINT_PAIRS and short and not (windowed and paired):
        yield from _in_columns(difflib.Differ().compare(a, b))
    elif paired:
        # as many lines changed (every line re-indented, or stripped of its trailing spaces):
        # each line against its counterpart, so that each shows next to what it became
        for old, new in zip(a, b, strict=True):
            yield from _in_columns(difflib.Differ().compare([old], [new]))
    else:  # intraline matching would be slow: the lines as they are
        yield from (f"- {line}" for line in a)
        yield from (f"+ {line}" for line in b)


def _in_columns(ndiff: Iterable[str]) -> Iterator[str]:
    """The lines of an ndiff, each ``?`` hint line's marks set in the terminal columns of the
    characters they mark in the line above it (difflib gives each character one column; a
    terminal gives a CJK character or an emoji two, a combining accent none)."""
    above = ""
    for line in ndiff:
        if line.startswith("? ") and not _one_column_each(above):
            line = _widened(line, above[2:])
        above = line
        yield line


def _one_column_each(line: str) -> bool:
    """Whether each character of ``line`` takes one column as shown: ASCII, none escaped."""
    body = _ending(line)[0]
    return body.isascii() and body.isprintable()


def _widened(hint: str, marked: str) -> str:
    import unicodedata

    body, end = _ending(hint[2:])
    marks = []
    for i, mark in enumerate(body):
        char = marked[i] if i < len(marked) else " "
        shown = printable_line(char)
        if shown != char:  # (shown escaped: a column per character of its escape)
            marks.append(mark * len(shown))
            continue
        if unicodedata.combining(char) or unicodedata.category(char) in ("Mn", "Me", "Cf"):
            # no column of its own: a change of it alone (a zero-width space) keeps its mark
            marks.append("" if mark.isspace() else mark)
            continue
        marks.append(mark * 2 if unicodedata.east_asian_width(char) in "WF" else mark)
    return "? " + "".join(marks).rstrip() + end


def _ending(line: str) -> tuple[str, str]:
    body = line.rstrip("\r\n")
    return body, line[len(body) :]


def _clip(line: str, width: int | None) -> str:
    """``line`` cut to ``width`` characters (``None``: as it is), its line break kept."""
    body, end = _ending(line)
    if width is None or len(body) <= width:
        return line
    return body[:width] + "..." + end


def clip_windows(x: str, y: str, width: int) -> list[tuple[str, str]]:
    """Two long changed lines (a paragraph of a prompt) cut to each place where they differ:
    one pair of cuts per place, as :func:`clip_pair` cuts one, so that a change further in the
    line than one cut reaches shows too; places whose surroundings overlap are cut together.
    At most ``_MAX_WINDOWS`` places, then a line (the same on both sides) counting the rest.
    Cut once where one line fits the width whole: each cut would show all of it again."""
    (x, x_end), (y, y_end) = _ending(x), _ending(y)
    start, stop = _common_ends(x, y)
    lo = max(0, start - min(_CONTEXT, width // 2))
    if (
        max(len(x), len(y)) - stop - lo <= width
        or min(len(x), len(y)) <= width
        or len(x) + len(y) > _MAX_WINDOWED
    ):
        return [clip_pair(x + x_end, y + y_end, width)]
    places = _changed_places(x, y, start, stop, width)
    shown = [
        (_window(x, i1, i2, width) + x_end, _window(y, j1, j2, width) + y_end)
        for i1, i2, j1, j2 in places[:_MAX_WINDOWS]
    ]
    if len(places) > _MAX_WINDOWS:
        more = len(places) - _MAX_WINDOWS
        rest = f"... ({more} more change(s) in this line; {show_all()} shows all)"
        shown.append((rest + x_end, rest + y_end))
    return shown


#: long lines cut to each place where they differ up to this length of the two (longer ones, a
#: huge value on one line, are cut once: aligning them would take long)
_MAX_WINDOWED = 100_000
#: places of a long line shown before the rest are counted
_MAX_WINDOWS = 5
_TOKEN = re.compile(r"\w+|\s+|[^\w\s]+")


def _changed_places(
    x: str, y: str, start: int, stop: int, width: int
) -> list[tuple[int, int, int, int]]:
    """Where ``x`` and ``y`` differ between their common start and end, aligned word by word:
    ``(i1, i2, j1, j2)`` per place, ``x[i1:i2]`` became ``y[j1:j2]``; places less than two
    contexts apart are one place, where its :func:`_window` of ``width`` shows them all."""
    middle_x = _TOKEN.findall(x, start, len(x) - stop)
    middle_y = _TOKEN.findall(y, start, len(y) - stop)
    heuristic = len(middle_x) * len(middle_y) > _MAX_EXACT_ALIGN
    matcher = difflib.SequenceMatcher(None, middle_x, middle_y, autojunk=heuristic)
    offsets_x = list(itertools.accumulate(map(len, middle_x), initial=start))
    offsets_y = list(itertools.accumulate(map(len, middle_y), initial=start))
    places: list[tuple[int, int, int, int]] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        place = (offsets_x[i1], offsets_x[i2], offsets_y[j1], offsets_y[j2])
        if places and place[0] - places[-1][1] < 2 * _CONTEXT:
            merged = (places[-1][0], place[1], places[-1][2], place[3])
            if _window_reaches(*merged[:2], width) and _window_reaches(*merged[2:], width):
                places[-1] = merged
                continue
        places.append(place)
    return places


def _window_reaches(begin: int, end: int, width: int) -> bool:
    """Whether the :func:`_window` of ``width`` around ``[begin:end]`` reaches its end."""
    return end - max(0, begin - _CONTEXT) <= width


def _window(s: str, begin: int, end: int, width: int) -> str:
    """``s[begin:end]`` with up to ``_CONTEXT`` characters around it, cut to ``width``, and
    ``...`` where ``s`` goes on."""
    lo, hi = max(0, begin - _CONTEXT), min(len(s), end + _CONTEXT)
    hi = min(hi, lo + width)
    return ("..." if lo else "") + s[lo:hi] + ("..." if hi < len(s) else "")


def clip_pair(x: str, y: str, width: int) -> tuple[str, str]:
    """Two lines (a changed line before and after) cut to what lies around where they differ:
    their common start and end are replaced by ``...`` beyond ``_CONTEXT`` characters, and what
    is left is cut to ``width``."""
    (x, x_end), (y, y_end) = _ending(x), _ending(y)
    if len(x) <= width and len(y) <= width:
        return x + x_end, y + y_end
    start, stop = _common_ends(x, y)
    # (less context before the change in a terminal narrower than it: the change must show)
    lo = max(0, start - min(_CONTEXT, width // 2))
    # as many of the common end's characters on both sides, as many as the longer side has room
    # for: a side cut further into it would show the others as added
    keep = min(stop, _CONTEXT, max(0, lo + width - (max(len(x), len(y)) - stop)))

    def cut(s: str) -> str:
        hi = len(s) - stop + keep
        text = s[lo:hi]
        if len(text) > width:
            text, hi = text[:width], lo + width
        return ("..." if lo else "") + text + ("..." if hi < len(s) else "")

    return cut(x) + x_end, cut(y) + y_end
