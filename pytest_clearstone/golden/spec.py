"""What both halves of a golden run need to know about the golden test.

Annotations are evaluated here (no ``from __future__ import annotations``): a named tuple's
fields given as text are each compiled when the class is made, which costs more than the rest
of the import.
"""

from pathlib import Path
from typing import NamedTuple

from .ignore import IgnoreConfig, IgnorePaths
from .responses import Transform


class GoldenSpec(NamedTuple):
    """One golden test: its file, its mock targets and how it records and compares.

    ``pairs``: ``[(span_type, import path)]`` as :func:`~pytest_clearstone.golden.mocks.
    normalize_mock_config` returns them; ``transform``: the redaction applied to recorded and
    compared values; ``shown``: how a replay's failure messages show its actual values
    (:func:`~pytest_clearstone.golden.responses.for_message`); ``allow_pickle``: whether the
    golden may hold dill pickles; ``ignore`` and ``ignore_state``: the argument and outcome
    paths left out of matching (:mod:`~pytest_clearstone.golden.ignore`); ``reads_only``: the
    marker has no ``mock=``, so the test only reads its golden (it never records it). A named
    tuple: immutable, and made at import far more cheaply than a frozen dataclass.
    """

    path: Path
    pairs: list[tuple[str, str]]
    strict: bool
    node_id: str
    transform: Transform | None
    shown: Transform | None
    allow_pickle: bool
    ignore: IgnoreConfig
    ignore_state: IgnorePaths
    fresh: bool  # a re-record draws a new checkpoint id, seeds and clock
    reads_only: bool  # no mock= at all (``mock={}`` mocks nothing but records): never records
    mock_given_by: str = ""  # where the mock targets come from (``""``: the marker's mock=)
