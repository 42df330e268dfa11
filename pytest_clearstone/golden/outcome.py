"""The golden outcome of one ``replay.run()`` call: function, result and final state.

In a ``.ckpt`` file the outcome is a mapping (``checkpoint.outcome["result"]``): the first
run's fields, and those of later runs of the same test under ``"then"``. :class:`Outcome` is
the typed form the recording and replaying halves work with.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..errors import CheckpointCorruptError
from ..tracing.span import Recorded

#: the golden's metadata key naming the runs that have no outcome (numbered from 0 in the
#: order they were made): they raised, or their generator was not read to its end
RUNS_WITHOUT_OUTCOME = "runs_without_outcome"


def runs_without_outcome(metadata: Mapping[str, Any]) -> list[int] | None:
    """The numbers of the runs a golden's ``metadata`` names as without outcome; ``None`` when
    it names none (every run has its outcome, or it was recorded by an earlier version, which
    did not name them) or holds something else than run numbers there (edited)."""
    numbers = metadata.get(RUNS_WITHOUT_OUTCOME)
    if type(numbers) is not list or not all(type(n) is int and n >= 0 for n in numbers):
        return None
    return numbers


class Outcome:
    """What one run produced: the function's name, its result and, for an agent, the agent's
    state after it (both as recorded snapshots). Equal only to itself, as its snapshots are:
    compare their values. (A plain class: a dataclass's generated methods are compiled when
    the module is imported, by every run that replays.)"""

    __slots__ = ("final_state", "function", "result")

    def __init__(
        self, function: str | None, result: Recorded, final_state: Recorded | None = None
    ) -> None:
        self.function = function
        self.result = result
        self.final_state = final_state

    def __repr__(self) -> str:
        return (
            f"Outcome(function={self.function!r}, result={self.result!r}, "
            f"final_state={self.final_state!r})"
        )

    @classmethod
    def from_mapping(cls, mapping: Mapping[str, Any]) -> Outcome:
        """An outcome read from a checkpoint (its values decoded)."""
        final = Recorded(decoded=mapping["final_state"]) if "final_state" in mapping else None
        return cls(mapping.get("function"), Recorded(decoded=mapping.get("result")), final)

    def to_mapping(self) -> dict[str, Any]:
        """The checkpoint's mapping form (values as recorded snapshots)."""
        mapping: dict[str, Any] = {"function": self.function, "result": self.result}
        if self.final_state is not None:
            mapping["final_state"] = self.final_state
        return mapping


def check_outcome(mapping: Any, path: Path | str) -> None:
    """Refuse a checkpoint's outcome field (``checkpoint.outcome``, read from ``path``) that is
    not as a record run writes it: :class:`CheckpointCorruptError` naming the file and the
    field. ``None`` (an application checkpoint) is fine."""
    if mapping is None:
        return
    if type(mapping) is not dict:  # (parsed JSON)
        raise CheckpointCorruptError(path, "outcome must be an object")
    then = mapping.get("then", [])
    if type(then) is not list or (then and not all(type(run) is dict for run in then)):
        raise CheckpointCorruptError(path, "outcome.then must be a list of run outcomes")
    for index, run in enumerate((mapping, *then) if then else (mapping,)):
        function = run.get("function")
        if function is not None and type(function) is not str:
            where = f"outcome.then[{index - 1}]" if index else "outcome"
            raise CheckpointCorruptError(
                path, f"{where}.function must be a function name, not {type(function).__name__}"
            )


def read_outcomes(mapping: Mapping[str, Any] | None) -> list[Outcome]:
    """The outcomes a checkpoint recorded, in run order (none for an application checkpoint;
    a checkpoint's outcome was checked when it was read: :func:`check_outcome`)."""
    if not mapping:
        return []
    return [Outcome.from_mapping(m) for m in (mapping, *mapping.get("then", ()))]


def outcome_mapping(outcomes: list[Outcome]) -> dict[str, Any] | None:
    """The checkpoint mapping of ``outcomes``: the first run's fields, later runs under
    ``"then"`` (as plain values)."""
    if not outcomes:
        return None
    first = outcomes[0].to_mapping()
    if len(outcomes) > 1:
        first["then"] = [
            {k: v.value if isinstance(v, Recorded) else v for k, v in o.to_mapping().items()}
            for o in outcomes[1:]
        ]
    return first
