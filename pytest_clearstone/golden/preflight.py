"""The pre-flight mock analysis: which targets a replay will mock, for which span type, with how
many recorded responses each (``ReplayEngine.preflight``; the debugger prints it).

Its own module, imported when a report is asked for: a replay plans its mocks with :mod:`.mocks`
and never needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..tracing.span import Span
from .mocks import RULE, answering_spans, other_type_note, silent_spans_note


@dataclass
class PreflightEntry:
    """What replay will do for one target."""

    target: str
    span_type: str
    responses: int
    warnings: list[str] = field(default_factory=list)


@dataclass
class PreflightReport:
    """The pre-flight mock analysis: per target, how many recorded responses it will get."""

    entries: list[PreflightEntry]

    @property
    def warnings(self) -> list[str]:
        return [w for e in self.entries for w in e.warnings]

    def __str__(self) -> str:
        lines = ["--- Pre-flight Mock Analysis ---"]
        if not self.entries:
            lines.append("  - No mock_config given: nothing will be mocked.")
        for e in self.entries:
            lines.append(f"  - Mocking '{e.target}' (for span_type='{e.span_type}')")
            lines.append(f"    - Found {e.responses} recorded response(s) in the trace.")
            lines.extend(f"    - WARNING: {w}" for w in e.warnings)
        lines.append(RULE)
        return "\n".join(lines)


def preflight(
    planned: Sequence[tuple[str, str, list[Span]]],
    note: str | None = None,
    scope: Sequence[Span] = (),
) -> PreflightReport:
    """Which targets will be mocked, for which span type, with how many responses (``note``:
    why the trace may hold too few, told with a target that has none; ``scope``: the spans the
    responses were taken from, to name those of a type no target of several took)."""
    taken = {id(span) for _, _, spans in planned for span in spans}
    pairs = [(span_type, target) for span_type, target, _ in planned]
    targets_of: dict[str, list[str]] = {}
    for span_type, target, _ in planned:
        targets_of.setdefault(span_type, []).append(target)
    entries = []
    for span_type, target, spans in planned:
        entry = PreflightEntry(target, span_type, len(spans))
        if not spans:
            warning = (
                f"No recorded responses for span_type='{span_type}' after the checkpoint: "
                f"a call to {target} will raise ReplayExhaustedError."
            )
            left = [
                span for span in answering_spans(scope, span_type, target) if id(span) not in taken
            ]
            if len(targets_of[span_type]) > 1 and left:
                names = ", ".join(repr(n) for n in dict.fromkeys(span.name for span in left))
                parts = target.split(".")
                own = ", ".join(repr(n) for n in dict.fromkeys((parts[-1], ".".join(parts[-2:]))))
                warning += (
                    f" The trace holds {len(left)} response(s) of that type that no target "
                    f"takes, in spans named {names}: with several targets for a type, each takes "
                    f"the spans named after its function ({own}). Name the spans so "
                    "(@tracer.traced names them after the function unless given name=), or give "
                    "the type one target"
                )
            elif note:
                warning += f" Maybe {note}."
            elif (other := other_type_note(scope, span_type, target, pairs)) is not None:
                warning += f" {other}."
            elif (silent := silent_spans_note(scope, span_type, target)) is not None:
                warning += f" {silent}."
            entry.warnings.append(warning)
        entries.append(entry)
    return PreflightReport(entries)
