"""The order a golden lists its recorded calls in, and numbers each target's calls by.

The calls of one branch of execution (see :mod:`.threads`) are made one after the other, but
concurrent branches — thread-pool jobs, threads, asyncio tasks — start their calls in whatever
order the scheduler and the live latency give, which differs from one recording to the next.
Numbered in start order, the same two calls would swap numbers between re-records of unchanged
work. So a golden holds its calls in *call order*: start order, except that the calls of
branches are placed branch by branch —

- a branch's own calls keep their order;
- the calls of each of its child branches (the jobs and tasks it handed out, with their own
  children) follow the branch's own calls that started before the first of them;
- child branches that come at the same place are in the order of their keys: the function the
  job runs, then its place among the jobs of that function (``0/work#0`` before ``0/work#1``:
  the order they were handed out in).

A child branch's place among its parent's own calls is where the parent's code handed it out
(the number of calls the parent had made then, recorded with each call of the branch:
:data:`~.mocks.PLACES_ATTRIBUTE`), not when its first call started, which the live latency of
the parent's calls moves; goldens recorded without it place a child by its first call.

The same work is listed, and numbered, the same way whichever job ran first. Calls without a
branch (made in a thread started elsewhere, or recorded before branches existed) and spans that
are not recorded calls keep their places. Call order is worked out from the start order alone,
so goldens written in start order by earlier versions are numbered the same way when read.

The *recorded sequence* a message places a call in ("call 2 of 4 in the recorded sequence"),
and the order ``show --calls`` lists the calls in, is the start order (:func:`in_start_order`):
the order the calls were made in when recorded, as the span tree shows them.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

from ..tracing.span import Span
from ..tracing.trace import Trace
from .mocks import BRANCH_ATTRIBUTE, PLACES_ATTRIBUTE, TARGET_ATTRIBUTE

__all__ = [
    "at_their_calls",
    "branch_of",
    "call_order",
    "in_call_order",
    "in_start_order",
    "places_of",
    "span_branch",
    "span_places",
    "spans_in_call_order",
]

_T = TypeVar("_T")


def branch_of(attributes: Any) -> str:
    """The branch key of a recorded call from its span's ``attributes`` (``""`` for a span that
    is not a recorded call, or a call made outside any branch)."""
    if not isinstance(attributes, dict) or TARGET_ATTRIBUTE not in attributes:
        return ""
    key = attributes.get(BRANCH_ATTRIBUTE)
    return key if isinstance(key, str) else ""


def span_branch(span: Span) -> str:
    """:func:`branch_of` a :class:`~pytest_clearstone.tracing.span.Span`."""
    attributes = span.attributes  # (a dict: read for every span of a golden replayed)
    key = attributes.get(BRANCH_ATTRIBUTE)
    return key if type(key) is str and TARGET_ATTRIBUTE in attributes else ""


def places_of(attributes: Any) -> str:
    """The places (:data:`~.mocks.PLACES_ATTRIBUTE`) of a recorded call from its span's
    ``attributes`` (``""``: not recorded)."""
    if not isinstance(attributes, dict):
        return ""
    places = attributes.get(PLACES_ATTRIBUTE)
    return places if isinstance(places, str) else ""


def span_places(span: Span) -> str:
    """:func:`places_of` a :class:`~pytest_clearstone.tracing.span.Span`."""
    return places_of(span.attributes)


def call_order(
    items: Sequence[_T],
    key_of: Callable[[_T], str],
    places_by: Callable[[_T], str] | None = None,
) -> list[_T]:
    """``items`` (spans in start order) in call order (see the module docstring); ``key_of``
    gives an item's branch key, ``""`` for one that keeps its place; ``places_by``, its
    places (``""``: not known)."""
    all_keys = [key_of(item) for item in items]
    ordered = list(items)
    if len(set(all_keys) - {""}) < 2:  # one branch (or none): its calls are in start order
        return ordered
    places = [place for place, key in enumerate(all_keys) if key]
    keys = [all_keys[place] for place in places]
    root = _Branch()
    for index, key in enumerate(keys):
        branch = root
        given = places_by(items[places[index]]).split("/") if places_by is not None else []
        for depth, segment in enumerate(key.split("/")):
            child = branch.children.get(segment)
            if child is None:
                child = branch.children[segment] = _Branch(index)
                # (the first segment is the root's: the places are of the segments after it)
                if 0 < depth <= len(given) and (place := _number(given[depth - 1])) >= 0:
                    child.place = place
            branch = child
        branch.calls.append(index)
    for place, index in zip(places, _in_order(root), strict=True):
        ordered[place] = items[places[index]]
    return ordered


def at_their_calls(
    items: Sequence[_T],
    span_id: Callable[[_T], Any],
    parent_id: Callable[[_T], Any],
    is_call: Callable[[_T], bool],
) -> list[_T]:
    """``items`` (spans in call order) with each span that is not a recorded call (the agent's
    own, which carry no branch) placed just before the first recorded call made under it, after
    its own parent; a span with no call under it keeps its place. In start order, the span a
    parallel branch opens around its calls (a traced LangGraph node) would move with the
    scheduling; at its first call it has the place its branch has. The calls keep their order.
    ``span_id``, ``parent_id`` and ``is_call`` read an item's id, its parent's id and whether it
    is a recorded call. A parent comes before its children."""
    ids = [span_id(item) for item in items]  # (one pass each: read once per golden written)
    place = {id_: index for index, id_ in enumerate(ids)}
    parent_of = [place.get(parent_id(item), -1) for item in items]
    depths = [-1] * len(items)
    for index in range(len(items)):
        chain, at = [], index
        while at >= 0 and depths[at] < 0 and at not in chain:  # (parents that loop: once)
            chain.append(at)
            at = parent_of[at]
        known = depths[at] if at >= 0 and at not in chain else -1
        for step, link in enumerate(reversed(chain), 1):
            depths[link] = known + step
    # a span's rank: a call's place; a span of the agent's own with a call under it, the least
    # rank of its children (so it comes before each of them); any other span, its own place
    calls = [is_call(item) for item in items]
    under = [False] * len(items)  # whether a call was made under the span
    least = [len(items)] * len(items)  # the least rank of a span's children
    rank = list(range(len(items)))
    for index in sorted(range(len(items)), key=lambda i: -depths[i]):  # (children first)
        if under[index] and not calls[index]:
            rank[index] = least[index]
        parent = parent_of[index]
        if parent < 0 or depths[parent] >= depths[index]:  # (a root, or parents that loop)
            continue
        under[parent] = under[parent] or calls[index] or under[index]
        least[parent] = min(least[parent], rank[index])
    ranked = sorted(range(len(items)), key=lambda i: (rank[i], depths[i]))
    return [items[index] for index in ranked]


def in_start_order(spans: Iterable[Span]) -> list[Span]:
    """``spans`` in start order: by start time, then in the order they were opened (as
    :class:`~pytest_clearstone.tracing.trace.Trace` holds them), whatever order they are
    given in (a golden's file lists them in call order)."""
    return sorted(spans, key=_start)


def _start(span: Span) -> tuple[int, int]:
    return span.start_time_ns, span.seq


def spans_in_call_order(spans: Iterable[Span]) -> list[Span]:
    """``spans`` in call order, whatever order they are given in (a golden's file lists them
    so; a trace, in start order): the order ``show --canonical`` and ``diff`` list them in."""
    return _own_spans_placed(call_order(in_start_order(spans), span_branch, span_places))


def _own_spans_placed(spans: list[Span]) -> list[Span]:
    """:func:`at_their_calls` of spans in call order."""
    return at_their_calls(
        spans,
        lambda span: span.span_id,
        lambda span: span.parent_span_id,
        lambda span: TARGET_ATTRIBUTE in span.attributes,
    )


def in_call_order(trace: Trace) -> Trace:
    """``trace`` (its spans in start order) with its spans in call order (the agent's own spans
    at the first call made under them: :func:`at_their_calls`): ``trace`` itself when that is
    the same order, else a copy listing them so (a golden is written, and its span ids
    derived, in this order)."""
    spans = _own_spans_placed(call_order(trace.spans, span_branch, span_places))
    if all(a is b for a, b in zip(spans, trace.spans, strict=True)):
        return trace
    ordered = Trace(trace.trace_id, spans)
    ordered.spans = spans
    return ordered


class _Branch:
    """A branch's own calls and its child branches by key segment; ``first``: the first call
    (in start order) of the branch or its descendants; ``place``: how many calls its parent had
    made when it handed the branch out (-1: not recorded)."""

    __slots__ = ("calls", "children", "first", "place")

    def __init__(self, first: int = -1) -> None:
        self.calls: list[int] = []
        self.children: dict[str, _Branch] = {}
        self.first = first
        self.place = -1


def _in_order(root: _Branch) -> Iterator[int]:
    """The calls of ``root`` and its descendants (their indexes in start order), in call
    order: each branch's :func:`_steps`, a child's taken where it comes (without recursion: a
    golden's branch keys may be any number of levels deep)."""
    stack = [_steps(root)]
    while stack:
        step = next(stack[-1], None)
        if step is None:
            stack.pop()
        elif isinstance(step, _Branch):
            stack.append(_steps(step))
        else:
            yield step


def _steps(branch: _Branch) -> Iterator[int | _Branch]:
    """The own calls of ``branch`` in order, each child branch where its calls come."""
    own = branch.calls

    def place_of(child: _Branch) -> int:
        # a child's place: how many of the branch's own calls its code made before handing it
        # out, or (not recorded) started before the child's first call
        if child.place >= 0:
            return min(child.place, len(own))
        return bisect_left(own, child.first)

    children = sorted(
        branch.children.items(), key=lambda item: (place_of(item[1]), _segment_order(item[0]))
    )
    done = 0
    for _, child in children:
        place = place_of(child)
        yield from own[done:place]
        done = place
        yield child
    yield from own[done:]


def _segment_order(segment: str) -> tuple[str, int]:
    """A key segment's place among its siblings: ``work#2`` -> ``("work", 2)``; a segment of a
    legacy key (``3``: a job's place among all its parent's jobs) -> ``("", 3)``."""
    name, mark, index = segment.rpartition("#")
    if mark and (number := _number(index)) >= 0:
        return name, number
    if (number := _number(segment)) >= 0:
        return "", number
    return segment, -1


#: the largest count or index read from a key (a longer one is taken as this: no count of calls
#: or jobs reaches it)
_LARGEST = 10**18


def _number(text: str) -> int:
    """``text`` (a job index, a count of calls) as a number when it is ASCII digits, else -1;
    read as :data:`_LARGEST` when longer than any (a golden's keys are text a file chooses)."""
    if not (text.isascii() and text.isdigit()):
        return -1
    return int(text) if len(text) < 19 else _LARGEST
