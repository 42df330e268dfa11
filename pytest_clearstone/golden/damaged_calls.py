"""A golden's recorded calls whose target or branch of execution is named in a damaged form
(``clearstone.target``, ``clearstone.branch`` edited by hand: another type, a garbage string),
found when a replay fails (imported only then): the failure is the file's, not the agent's."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import CheckpointCorruptError
from ..printable import printable
from ..tracing.span import Span
from .mocks import BRANCH_ATTRIBUTE, TARGET_ATTRIBUTE

#: a branch key as :func:`~.threads.current_branch` gives it: ``""``, ``"0"``, ``"0/fetch#1"``
#: (or ``"0/1"``, an earlier version's)
_BRANCH_KEY = re.compile(r"(?:0(?:/[^/]+)*)?")
#: what each attribute holds, for the message
_EXPECTED = {
    TARGET_ATTRIBUTE: "not the import path of a mock target",
    BRANCH_ATTRIBUTE: "not a branch key such as '0' or '0/fetch#1'",
}


def _is_import_path(value: object) -> bool:
    """Whether ``value`` is a dotted import path (``app.llm.complete``)."""
    return type(value) is str and "." in value and all(p.isidentifier() for p in value.split("."))


def _is_branch_key(value: object) -> bool:
    """Whether ``value`` is a branch key (``None``: none recorded, as an earlier version may
    have written)."""
    return value is None or (type(value) is str and _BRANCH_KEY.fullmatch(value) is not None)


def damaged_call(spans: Sequence[Span]) -> tuple[str, str, object] | None:
    """The first recorded call of ``spans`` whose target or branch attribute is damaged, as
    ``(span id, attribute, value)``; ``None`` when none is."""
    for span in spans:
        attributes = span.attributes
        if not isinstance(attributes, dict) or TARGET_ATTRIBUTE not in attributes:
            continue
        target = attributes[TARGET_ATTRIBUTE]
        if not _is_import_path(target):
            return span.span_id, TARGET_ATTRIBUTE, target
        branch = attributes.get(BRANCH_ATTRIBUTE)
        if not _is_branch_key(branch):
            return span.span_id, BRANCH_ATTRIBUTE, branch
    return None


def damaged_golden_error(
    golden: Path, spans: Sequence[Span], node_id: str = ""
) -> CheckpointCorruptError | None:
    """The error refusing the golden ``golden`` (of the test ``node_id``) when one of its
    recorded calls (``spans``) is damaged (:func:`damaged_call`), else ``None``."""
    found = damaged_call(spans)
    if found is None:
        return None
    span_id, attribute, value = found
    problem = (
        f"span {span_id!r} has a field of the wrong type (its attribute {attribute!r} is "
        f"{printable(repr(value))}, {_EXPECTED[attribute]})"
    )
    error = CheckpointCorruptError(golden, problem)
    return error.for_test(node_id) if node_id else error
