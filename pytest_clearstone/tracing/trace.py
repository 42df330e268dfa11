"""A trace: the spans of one run, as a tree."""

from __future__ import annotations

import operator
from collections.abc import Iterable, Mapping
from typing import Any

from ..errors import SpanNotFoundError
from .span import Span

#: spans in the order they started (their start time, then the order they were opened in)
_START_ORDER = operator.attrgetter("start_time_ns", "seq")


class Trace:
    """All spans sharing one ``trace_id``, in start order, with tree navigation."""

    __slots__ = ("_by_id", "spans", "trace_id")

    def __init__(self, trace_id: str, spans: Iterable[Span]) -> None:
        self.trace_id = trace_id
        self.spans: list[Span] = sorted(spans, key=_START_ORDER)
        self._by_id = {s.span_id: s for s in self.spans}

    @property
    def root_span(self) -> Span | None:
        """The span without a parent in this trace (the first one when there are several)."""
        for s in self.spans:
            if s.parent_span_id is None or s.parent_span_id not in self._by_id:
                return s
        return None

    def get_span(self, span_id: str) -> Span:
        """The span with ``span_id``; :class:`SpanNotFoundError` (a ``LookupError``) if absent."""
        try:
            return self._by_id[span_id]
        except KeyError:
            raise SpanNotFoundError(span_id, self.trace_id) from None

    def __contains__(self, span_id: object) -> bool:
        return span_id in self._by_id

    def children(self, span_id: str) -> list[Span]:
        """Direct children of ``span_id``, in start order; :class:`SpanNotFoundError` (a
        ``LookupError``) if the trace has no such span, as :meth:`get_span`."""
        if span_id not in self._by_id:
            raise SpanNotFoundError(span_id, self.trace_id)
        return [s for s in self.spans if s.parent_span_id == span_id]

    def ancestors(self, span_id: str) -> list[Span]:
        """The parents of ``span_id``, root first (the span itself excluded, also where the
        parent links of a damaged trace loop back to it)."""
        chain: list[Span] = []
        current = self.get_span(span_id).parent_span_id
        seen: set[str] = {span_id}
        while current is not None and current in self._by_id and current not in seen:
            seen.add(current)
            span = self._by_id[current]
            chain.append(span)
            current = span.parent_span_id
        chain.reverse()
        return chain

    def depth(self, span_id: str) -> int:
        return len(self.ancestors(span_id))

    def to_dict(self) -> dict[str, Any]:
        return {"trace_id": self.trace_id, "spans": [s.to_dict() for s in self.spans]}

    @classmethod
    def from_dict(
        cls,
        d: dict[str, Any],
        *,
        decoded: bool = False,
        tagged: Mapping[int, Mapping[str, Any]] | None = None,
    ) -> Trace:
        """Rebuild a trace from :meth:`to_dict` output. ``decoded``: values are already decoded;
        ``tagged`` (with ``decoded``): the only spans whose input or output held a tag, by
        position, each with the encoded trees of its ``"input"``/``"output"`` values where they
        are known (the other spans' values are plain JSON, see :meth:`Span.from_dict`);
        ``None``: not known."""
        known = tagged if decoded else None
        spans = [
            Span.from_dict(
                s,
                seq=i,
                decoded=decoded,
                plain=known is not None and i not in known,
                encoded=None if known is None else known.get(i),
            )
            for i, s in enumerate(d["spans"])
        ]
        return cls(str(d["trace_id"]), spans)

    def __len__(self) -> int:
        return len(self.spans)

    def __repr__(self) -> str:
        root = self.root_span
        return (
            f"<Trace {self.trace_id} {len(self.spans)} spans root={root.name if root else None!r}>"
        )
