"""The ``mock`` configuration: which targets replay answers, and from which recorded spans.

Normalising ``{"llm": "a.b", "tool": ["c.d"]}``, choosing the spans that answer each target
(those of its type that start at or after the checkpoint's span: never responses recorded before
the checkpoint); :mod:`.preflight` reports from them what a replay will do.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ..errors import MockTargetError
from ..tracing.span import Span

MockConfig = Mapping[str, str | Sequence[str]]

#: the span attribute naming the target a recorded call was made to
TARGET_ATTRIBUTE = "clearstone.target"
#: the span attribute naming the branch of execution (thread-pool job, asyncio task) that made
#: a recorded call: replay answers and orders calls per branch
BRANCH_ATTRIBUTE = "clearstone.branch"
#: the span attribute of a recorded call made in a child branch: for each of its branch key's
#: segments after the first, how many calls its parent branch had made when it handed that
#: branch out (``"1/0"``), which places the branch's calls among its parent's in a golden
PLACES_ATTRIBUTE = "clearstone.places"
#: the span attribute of the test's own span, the root of a golden's trace, which is named
#: after the test's node id as this attribute gives it (the plugin's ``_root_span``)
TEST_ATTRIBUTE = "test.nodeid"
RULE = "-" * 60


def behaviour_of_span(span: Mapping[str, Any]) -> dict[str, Any]:
    """The fields of a golden's span (its dict) that are behaviour, not measured or named by
    the test: its times left out, and the test's own span without the test's node id (its
    name and :data:`TEST_ATTRIBUTE`), which renaming or moving the test changes, as the
    golden's ``metadata['test']`` says."""
    fields = {k: v for k, v in span.items() if k not in ("start_time_ns", "end_time_ns")}
    attributes = fields.get("attributes")
    if isinstance(attributes, Mapping) and TEST_ATTRIBUTE in attributes:
        if fields.get("name") == attributes[TEST_ATTRIBUTE]:
            fields["name"] = None
        fields["attributes"] = {k: v for k, v in attributes.items() if k != TEST_ATTRIBUTE}
    return fields


def normalize_mock_config(mock_config: MockConfig | None) -> list[tuple[str, str]]:
    """``{"llm": "a.b", "tool": ["c.d", "e.f"]}`` -> ``[("llm", "a.b"), ("tool", "c.d"), ...]``;
    a target listed twice under its type (lists joined: a shared one and the test's own) is
    one target, or its recorded calls would be answered once per listing."""
    if mock_config is None:
        return []
    if not isinstance(mock_config, Mapping):
        raise TypeError(
            "mock_config must map a span type to an import path or a list of them, e.g. "
            "{'llm': 'my_app.llm.complete'}; got " + type(mock_config).__name__
        )
    pairs: list[tuple[str, str]] = []
    for span_type, targets in mock_config.items():
        if isinstance(targets, str):
            targets = [targets]
        if not isinstance(targets, Sequence) or not all(isinstance(t, str) for t in targets):
            raise TypeError(
                f"mock_config[{span_type!r}] must be an import path or a list of import paths"
            )
        for target in targets:
            if "." not in target and "." in str(span_type):  # {"app.llm.complete": "llm"}
                raise MockTargetError(
                    target,
                    f"it is not a dotted import path, and the span type it is given for, "
                    f"{span_type!r}, is one: mock_config maps a span type to an import path",
                    fix=f"Swap them: {{{target!r}: {span_type!r}}}",
                )
        pairs.extend((str(span_type), t) for t in targets)
    return list(dict.fromkeys(pairs))


def name_matches(span: Span, target: str) -> bool:
    parts = target.split(".")
    name = span.name
    return name == parts[-1] or name == ".".join(parts[-2:]) or name == target


def scope(spans: Sequence[Span], start_time_ns: int) -> list[Span]:
    """The spans that start at or after ``start_time_ns`` (the checkpoint's span)."""
    return [s for s in spans if s.start_time_ns >= start_time_ns]


def answering_spans(
    spans: Sequence[Span], span_type: str, target: str, *, shared: bool = True
) -> list[Span]:
    """The spans of ``spans`` answering ``target``: of ``span_type``, with an output or error.

    A span recorded by the plugin names its target and answers only that one; other spans
    answer any target of their type (``shared``), or, when several targets share the type, the
    target whose function name is the span's name.
    """
    found = []
    for span in spans:
        if span.span_type != span_type or not (span.has_output or span.error is not None):
            continue
        recorded_target = span.attributes.get(TARGET_ATTRIBUTE)
        if recorded_target is not None:
            if recorded_target == target:
                found.append(span)
        elif shared or name_matches(span, target):
            found.append(span)
    return found


def unmocked(spans: Sequence[Span], pairs: Sequence[tuple[str, str]]) -> dict[str, tuple[str, int]]:
    """``{target: (span_type, answered calls)}`` for the targets whose recorded calls are in
    ``spans`` (named by the plugin's recorder) and that ``pairs`` does not mock."""
    mocked = {target for _, target in pairs}
    found: dict[str, tuple[str, int]] = {}
    for span in spans:
        target = span.attributes.get(TARGET_ATTRIBUTE)
        if target is None or target in mocked:
            continue
        if span.has_output or span.error is not None:
            span_type, count = found.get(target, (str(span.span_type), 0))
            found[target] = (span_type, count + 1)
    return found


def other_type_note(
    spans: Sequence[Span], span_type: str, target: str, pairs: Sequence[tuple[str, str]]
) -> str | None:
    """For a target that ``span_type`` has no answer for: the one other span type whose spans
    in ``spans`` would answer it (recorded for it, or named after its function) and that
    ``pairs`` does not give it already, told as the mock config to give; ``None`` when there is
    none or several."""
    given = {other for other, mocked in pairs if mocked == target}
    found: dict[str, list[Span]] = {}
    for span in spans:
        other = span.span_type
        if other is not None and other not in given and other not in found:
            answering = answering_spans(spans, other, target, shared=False)
            if answering:
                found[other] = answering
    if len(found) != 1:
        return None
    ((other, answering),) = found.items()
    names = ", ".join(repr(name) for name in dict.fromkeys(span.name for span in answering))
    return (
        f"The trace answers {target} with {len(answering)} span(s) of type {other!r} (named "
        f"{names}) after the checkpoint, none of type {span_type!r}: map that type to it, "
        f"mock_config={{{other!r}: {target!r}}}"
    )


def silent_spans_note(spans: Sequence[Span], span_type: str, target: str) -> str | None:
    """For a target that ``span_type`` has no answer for: the spans of that type in ``spans``
    that hold neither an output nor an error (an imported trace whose instrumentation did not
    capture the content, a span opened by hand that was given no output), told with why;
    ``None`` when there are none."""
    silent = [
        span
        for span in spans
        if span.span_type == span_type
        and not span.has_output
        and span.error is None
        and span.attributes.get(TARGET_ATTRIBUTE, target) == target
    ]
    if not silent:
        return None
    names = ", ".join(repr(name) for name in dict.fromkeys(span.name for span in silent))
    return (
        f"The trace holds {len(silent)} span(s) of type {span_type!r} after the checkpoint "
        f"(named {names}), but none with an output or an error to answer with: a span opened "
        "with tracer.span() holds one only once set_output() is called, and an OpenTelemetry "
        "span only if its instrumentation captured the content (the GenAI instrumentations "
        "with OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true, OpenInference's unless "
        "OPENINFERENCE_HIDE_OUTPUTS is set). Make the checkpoint from a trace that holds them"
    )


def plan(
    spans: Sequence[Span], pairs: Sequence[tuple[str, str]]
) -> list[tuple[str, str, list[Span]]]:
    """``[(span_type, target, answering spans)]`` for ``pairs`` as
    :func:`normalize_mock_config` returns them."""
    per_type: dict[str, int] = {}
    for span_type, _ in pairs:
        per_type[span_type] = per_type.get(span_type, 0) + 1
    return [(st, t, answering_spans(spans, st, t, shared=per_type[st] == 1)) for st, t in pairs]


def unrecorded_target_note(golden_text: str, target: str, node_id: str) -> str | None:
    """(When a target with no recorded call is called: read from the golden's text then,
    ``""`` when not known.) That the plugin's golden was recorded without ``target`` among its
    mock targets, naming those it had: the calls to it ran live then; ``None`` when it was one
    of them, or the text does not say."""
    if not golden_text:
        return None
    import json  # (only when a replay fails)

    from ..errors import rerecord
    from ..printable import printable
    from .checkpoint import RECORDED_BY_PLUGIN

    try:
        metadata = json.loads(golden_text).get("metadata")
        mock = metadata.get("mock") if metadata.get("recorded_by") == RECORDED_BY_PLUGIN else None
    except Exception:  # (unreadable: the replay's own error says what it is)
        return None
    if not isinstance(mock, dict):
        return None
    recorded = {
        str(span_type): [str(p) for p in (paths if isinstance(paths, list) else [paths])]
        for span_type, paths in mock.items()
    }
    if any(target in paths for paths in recorded.values()):
        return None
    listed = "; ".join(f"{t} = {', '.join(paths)}" for t, paths in recorded.items()) or "none"
    return (
        f"{target} was not a mock target when this golden was recorded (its mock: "
        f"{printable(listed)}): any calls to it ran live and were not recorded. Re-record it "
        f"with the target mocked: {rerecord(node_id).removeprefix('re-record with: ')}"
    )
