"""Whether a golden's keys were sorted by a JSON formatter (golden/sorted_keys.py): told when
every span and the ``agent`` field, the objects the layout writes in an order of its own, have
their keys in alphabetical order; never for a golden some of whose own objects keep that
order, nor for one that cannot be read."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pytest_clearstone.golden.sorted_keys import keys_sorted_by_a_tool, sorted_throughout

SPAN = {"trace_id": "t", "span_id": "s", "name": "llm", "input": None}
AGENT = {"module": "app", "class": "Agent", "state": {}}


def _sorted(value: dict[str, object]) -> dict[str, object]:
    return dict(sorted(value.items()))


def test_a_golden_whose_spans_and_agent_are_all_sorted_is_told() -> None:
    assert sorted_throughout({"trace": {"spans": [_sorted(SPAN)] * 2}, "agent": _sorted(AGENT)})
    assert sorted_throughout({"agent": _sorted(AGENT)})  # (no spans: the agent's field tells)
    assert sorted_throughout({"trace": [], "agent": _sorted(AGENT)})  # (a trace of no layout)


@pytest.mark.parametrize(
    "doc",
    [
        {"trace": {"spans": [_sorted(SPAN), SPAN]}, "agent": _sorted(AGENT)},  # (a span as written)
        {"trace": {"spans": [_sorted(SPAN)]}, "agent": AGENT},  # (the agent's field as written)
        {"trace": {"spans": [{"name": "llm"}]}},  # (objects of one key tell no order)
        {"trace": {"spans": []}},  # (nothing to tell by)
        ["not", "a", "golden"],
    ],
    ids=["one-span-unsorted", "agent-unsorted", "one-key", "empty", "a-list"],
)
def test_a_golden_some_of_whose_objects_keep_the_layouts_order_is_not(doc: object) -> None:
    assert not sorted_throughout(doc)


def test_a_golden_that_cannot_be_read_is_not(tmp_path: Path) -> None:
    assert not keys_sorted_by_a_tool(tmp_path / "missing.ckpt")
    torn = tmp_path / "torn.ckpt"
    torn.write_text('{"agent": {"class": "Agent", "module": "app"')
    assert not keys_sorted_by_a_tool(torn)


def test_a_sorted_golden_holding_a_value_not_decoded_here_is_told(tmp_path: Path) -> None:
    # (a pickle, refused without allow_pickle: the layout's objects are read, no value decoded)
    agent = _sorted({**AGENT, "state": {"cache": {"__cs__": "pickle", "v": "gASVAAAA"}}})
    golden = tmp_path / "sorted.ckpt"
    golden.write_text(json.dumps({"agent": agent, "trace": {"spans": [_sorted(SPAN)]}}))
    assert keys_sorted_by_a_tool(golden)
