"""The pre-flight mock analysis: which targets a replay will mock, for which span type, with how
many recorded responses each (``ReplayEngine.preflight``; the debugger prints it).

Its own module, imported when a report is asked for: a replay plans its mocks with :mod:`.mocks`
and never needs it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..tracing.span import Span
from .mocks import RULE


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
    planned: Sequence[tuple[str, str, list[Span]]], note: str | None = None
) -> PreflightReport:
    """Which targets will be mocked, for which span type, with how many responses (``note``:
    why the trace may hold too few, told with a target that has none)."""
    entries = []
    for span_type, target, spans in planned:
        entry = PreflightEntry(target, span_type, len(spans))
        if not spans:
            entry.warnings.append(
                f"No recorded responses for span_type='{span_type}' after the checkpoint: "
                f"a call to {target} will raise ReplayExhaustedError."
                + (f" Maybe {note}." if note else "")
            )
        entries.append(entry)
    return PreflightReport(entries)
