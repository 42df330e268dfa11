"""Record or replay: the run's mode, and what each test attempt does under it."""

from __future__ import annotations

import enum
from collections.abc import Iterable, Sequence


class Mode(str, enum.Enum):
    """The mode of a run (``--clearstone-mode``); :data:`RECORD` and :data:`REPLAY` are also
    the two actions a single test attempt can take (``replay.mode``)."""

    REPLAY = "replay"
    """Every marked test replays from its golden (the default)."""
    RECORD = "record"
    """Every selected marked test runs live and writes its golden."""
    RECORD_MISSING = "record-missing"
    """Tests whose golden does not exist are recorded; the others replay."""
    RECORD_DIVERGED = "record-diverged"
    """Each test replays first; one whose golden is missing, or that fails with a divergence,
    runs again from scratch, live, and is re-recorded (if that run fails the old golden
    stays)."""

    def __str__(self) -> str:
        return self.value


def attempt_action(mode: Mode, *, golden_exists: bool, writes: bool) -> Mode:
    """Whether one test attempt records or replays (:data:`Mode.RECORD` or
    :data:`Mode.REPLAY`) under ``mode``.

    ``writes``: the test's marker names mock targets (a marker without ``mock`` only reads its
    golden and never records). ``golden_exists``: its golden file is there now.
    """
    if not writes or mode is Mode.REPLAY:
        return Mode.REPLAY
    if mode is Mode.RECORD_MISSING or mode is Mode.RECORD_DIVERGED:
        # (record-diverged: the replay attempt; the plugin runs a diverged test again, recording)
        return Mode.REPLAY if golden_exists else Mode.RECORD
    return Mode.RECORD


#: the command-line flags that choose a mode, each with the mode it chooses (``None``: its value)
MODE_FLAGS: dict[str, Mode | None] = {
    "--clearstone-record": Mode.RECORD,
    "--clearstone-replay": Mode.REPLAY,
    "--clearstone-mode": None,
}


def modes_in(args: Iterable[str]) -> list[tuple[str, Mode]]:
    """The mode flags in the command-line arguments ``args``, in order, each with the mode it
    chooses (``--clearstone-mode replay`` and ``--clearstone-mode=replay`` alike; arguments
    after ``--`` are not options, and a value that is not a mode is left to pytest's parser)."""
    found: list[tuple[str, Mode]] = []
    tokens = iter(args)
    for token in tokens:
        flag, _, value = str(token).partition("=")
        if token == "--":
            break
        if flag not in MODE_FLAGS:
            continue
        mode = MODE_FLAGS[flag]
        if mode is None:
            value = value if "=" in str(token) else next(tokens, "")
            if value not in {m.value for m in Mode}:
                continue
            mode = Mode(value)
        elif value:
            continue  # (--clearstone-record=x is not the flag)
        found.append((flag, mode))
    return found


def mode_given(sources: Sequence[tuple[str, Iterable[str]]]) -> Mode | None:
    """The mode chosen by the mode flags in ``sources``, pairs of where the arguments come from
    (``"on the command line"``) and the arguments, the source that overrides the others first:
    the mode of the first source that gives one (``None``: none does). Two different modes in
    one source raise :class:`ValueError` naming them and where they are."""
    chosen: Mode | None = None
    for where, args in sources:
        given = modes_in(args)
        modes = list(dict.fromkeys(mode for _, mode in given))
        if len(modes) > 1:
            raise ValueError(_different_modes(given, modes, where))
        if chosen is None and modes:
            chosen = modes[0]
    return chosen


def _different_modes(given: list[tuple[str, Mode]], modes: list[Mode], where: str) -> str:
    flags = list(dict.fromkeys(flag for flag, _ in given))
    if len(flags) == 1:  # one flag given twice: its values tell them apart
        names = [f"{flags[0]}={mode}" for mode in modes]
    else:
        names = [flag for flag in MODE_FLAGS if flag in flags]
    return (
        f"{' and '.join(names)} choose different modes ({', '.join(map(str, modes))}) {where}: "
        f"record writes the golden checkpoints, replay checks against them; give one mode "
        f"(the command line overrides PYTEST_ADDOPTS, which overrides the ini's addopts and "
        f"clearstone_mode)"
    )
