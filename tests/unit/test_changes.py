"""The one-line summary of what a re-record changed (``golden/changes.py``)."""

from __future__ import annotations

import json
from typing import Any

from pytest_clearstone.golden.changes import describe_changes


def _doc(answer: str = "hi", second_result: str = "b", state: Any = None) -> str:
    span = {
        "span_id": "x",
        "span_type": "llm",
        "attributes": {"clearstone.target": "app.complete"},
        "input": {"prompt": "p"},
        "output": answer,
        "error": None,
    }
    doc = {
        "checkpoint_id": "ckpt_1",
        "agent": {"state": state or {"n": 1}},
        "trace": {"spans": [{"span_id": "root", "attributes": {}}, span]},
        "outcome": {
            "function": "run",
            "result": "a",
            "final_state": {"n": 2},
            "then": [{"function": "run", "result": second_result, "final_state": {"n": 3}}],
        },
    }
    return json.dumps(doc)


def test_new_unchanged_and_unreadable() -> None:
    assert describe_changes(None, _doc()) == "new"
    assert describe_changes(_doc(), _doc()) == "unchanged"
    assert describe_changes("<<<<<<< HEAD", _doc()) == (
        "replaced a file that was not a readable golden"
    )


def test_a_changed_answer_names_the_call() -> None:
    assert describe_changes(_doc(), _doc(answer="bye")) == "llm call #1 to app.complete answer"


def test_a_change_in_a_later_run_names_that_run() -> None:
    # the golden keeps the first run's outcome at the top and later runs under "then"
    assert describe_changes(_doc(), _doc(second_result="c")) == "run #2 result"


def test_the_state_before_the_run_is_compared() -> None:
    assert describe_changes(_doc(), _doc(state={"n": 0})) == "state"


def _two_calls(order: tuple[str, str] = ("app.search", "app.complete"), **fields: Any) -> str:
    """A golden of a search then a completion (or ``order``), ``fields`` set at its top level
    (``metadata``, ``agent``) or, for ``inner``, a span of the agent's own between them."""
    spans: list[dict[str, Any]] = [{"span_id": "root", "name": "t", "attributes": {}}]
    for target in order:
        spans.append(
            {
                "span_id": target,
                "parent_span_id": "root",
                "name": target,
                "span_type": "tool",
                "attributes": {"clearstone.target": target},
                "input": {"v": {"q": "x"}},
                "output": {"v": 1},
                "error": None,
                "start_time_ns": len(spans),
            }
        )
    inner = fields.pop("inner", None)
    if inner:
        own = {"span_id": "i", "parent_span_id": "root", "name": inner, "attributes": {}}
        spans.insert(2, {**own, **fields.pop("agent_span", {})})
    doc = {
        "agent": {"module": "app", "class": "Agent", "state": {}},
        "metadata": {"strict": True, "mock": {"tool": ["app.search", "app.complete"]}, "test": "t"},
        "trace": {"spans": spans},
        "outcome": {"function": "run", "result": 1, "final_state": {}},
        **fields,
    }
    return json.dumps(doc)


def test_calls_made_in_another_order_are_a_change() -> None:
    # the same calls with the same answers, made the other way round: a strict replay of the
    # old golden fails, and the summary said "unchanged"
    assert describe_changes(_two_calls(), _two_calls()) == "unchanged"
    assert (
        describe_changes(_two_calls(), _two_calls(("app.complete", "app.search"))) == "call order"
    )


def test_a_changed_marker_setting_or_agent_class_is_a_change() -> None:
    strict_off = {"strict": False, "mock": {"tool": ["app.search", "app.complete"]}, "test": "t"}
    assert describe_changes(_two_calls(), _two_calls(metadata=strict_off)) == "metadata (strict)"
    other_class = {"module": "app", "class": "Planner", "state": {}}
    assert describe_changes(_two_calls(), _two_calls(agent=other_class)) == "agent class"
    moved = {"module": "app.agents", "class": "Agent", "state": {}}
    assert describe_changes(_two_calls(), _two_calls(agent=moved)) == "agent class"


def test_a_marker_setting_added_or_removed_is_named() -> None:
    seeded = {"strict": True, "mock": {"tool": ["app.search", "app.complete"]}, "test": "t"}
    seeded["seed"] = 7
    assert describe_changes(_two_calls(), _two_calls(metadata=seeded)) == "metadata (seed)"
    assert describe_changes(_two_calls(metadata=seeded), _two_calls()) == "metadata (seed)"


def test_a_span_of_the_agents_own_added_is_a_change() -> None:
    assert describe_changes(_two_calls(), _two_calls(inner="plan")) == "spans"
    assert describe_changes(_two_calls(inner="plan"), _two_calls(inner="act")) == "spans"


def _runs(*results: str) -> str:
    """A golden of one ``replay.run()`` per result (the first at the top of the outcome, the
    later ones under ``then``), each leaving ``{"n": its number}``."""
    runs = [
        {"function": "run", "result": result, "final_state": {"n": number}}
        for number, result in enumerate(results, 1)
    ]
    doc = {
        "agent": {"module": "app", "class": "Agent", "state": {}},
        "trace": {"spans": []},
        "outcome": {**runs[0], "then": runs[1:]} if len(runs) > 1 else runs[0],
    }
    return json.dumps(doc)


def test_a_run_added_or_removed_is_named_and_the_runs_kept_are_not() -> None:
    # Expected: a test that now calls replay.run() a second time changed that run only.
    # Before the fix the first run was named twice, unnumbered and numbered, as if both had
    # changed: "run #1 result, run #1 final state, run #2 result, run #2 final state, result,
    # final state"
    assert describe_changes(_runs("a"), _runs("a", "b")) == "run #2 added"
    assert describe_changes(_runs("a", "b"), _runs("a")) == "run #2 removed"
    assert describe_changes(_runs("a", "b"), _runs("z")) == "run #1 result, run #2 removed"


def test_a_changed_final_state_is_named() -> None:
    before = json.loads(_runs("a"))
    after = json.loads(_runs("a"))
    after["outcome"]["final_state"] = {"n": 9}
    assert describe_changes(json.dumps(before), json.dumps(after)) == "final state"


def test_an_answer_that_became_an_error_is_a_changed_answer() -> None:
    before = json.loads(_doc())
    after = json.loads(_doc())
    after["trace"]["spans"][1]["error"] = {"type": "TimeoutError", "message": "late"}
    assert describe_changes(json.dumps(before), json.dumps(after)) == (
        "llm call #1 to app.complete answer"
    )


def test_a_signature_gained_or_lost_is_named() -> None:
    signed = json.loads(_doc())
    signed["signature"] = "ab" * 32
    assert describe_changes(_doc(), json.dumps(signed)) == "signed"
    assert describe_changes(json.dumps(signed), _doc()) == (
        "signature removed (no signing key: set $CLEARSTONE_SIGNING_KEY to sign it)"
    )


def test_a_file_written_again_with_the_same_text_is_not_unchanged() -> None:
    assert describe_changes(_doc(), _doc(), written_again=True) == (
        "layout (behaviour unchanged: the file was written again)"
    )


def test_what_rewrote_a_golden_of_unchanged_behaviour_is_named() -> None:
    base = json.loads(_doc())
    newer = {**base, "format_version": 2}
    assert describe_changes(json.dumps({**base, "format_version": 1}), json.dumps(newer)) == (
        "format version (1 -> 2)"
    )
    fresh = {**base, "checkpoint_id": "ckpt_2"}
    assert describe_changes(json.dumps(base), json.dumps(fresh)) == (
        "new checkpoint id, seeds and clock (--clearstone-fresh)"
    )
    old_writer = {**base, "written_by": {"library": "pytest-clearstone 0.1.0", "python": "3.11"}}
    new_writer = {**base, "written_by": {"library": "pytest-clearstone 0.2.0", "python": "3.11"}}
    assert describe_changes(json.dumps(old_writer), json.dumps(new_writer)) == (
        "writer (pytest-clearstone 0.1.0, Python 3.11 -> pytest-clearstone 0.2.0, Python 3.11)"
    )
    # the same state with its keys in another order (a dict built from a set)
    reordered = {**base, "agent": {"state": {"b": 2, "a": 1}}}
    ordered = {**base, "agent": {"state": {"a": 1, "b": 2}}}
    assert describe_changes(json.dumps(ordered), json.dumps(reordered)) == (
        "state (key order only)"
    )


def test_each_part_whose_keys_are_only_in_another_order_is_named_so() -> None:
    # Before the fix: "metadata (), state, final state (key order only)" for a golden whose
    # metadata, state and final state a reviewer reordered by hand: the metadata's changed keys
    # were none, and only the last part read as reordered (the others as changed).
    base = json.loads(_doc())
    ordered = {
        **base,
        "metadata": {"recorded_by": "pytest-clearstone", "strict": True},
        "agent": {"state": {"a": 1, "b": 2}},
        "outcome": {**base["outcome"], "final_state": {"a": 1, "b": 2}},
    }
    reordered = {
        **base,
        "metadata": {"strict": True, "recorded_by": "pytest-clearstone"},
        "agent": {"state": {"b": 2, "a": 1}},
        "outcome": {**base["outcome"], "final_state": {"b": 2, "a": 1}},
    }
    assert describe_changes(json.dumps(reordered), json.dumps(ordered)) == (
        "metadata (key order only), state (key order only), run #1 final state (key order only)"
    )


def test_a_re_record_over_a_golden_whose_keys_a_formatter_sorted_names_its_layout() -> None:
    # what pre-commit's pretty-format-json --autofix leaves: every object's keys sorted, the
    # spans' and the agent field's too (the layout writes those in an order of its own)
    recorded = json.loads(_doc())
    recorded["agent"] = {"module": "app", "class": "Agent", "state": {"b": 2, "a": 1}}

    def sort(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: sort(value[k]) for k in sorted(value)}
        return [sort(v) for v in value] if isinstance(value, list) else value

    assert describe_changes(json.dumps(sort(recorded)), json.dumps(recorded)) == (
        "layout (behaviour unchanged: the file was written again)"
    )


def test_a_span_of_the_agents_own_with_another_status_message_or_parent_is_a_change() -> None:
    failed = {"status": "error", "status_message": "ValueError: x"}
    assert (
        describe_changes(
            _two_calls(inner="plan", agent_span=failed),
            _two_calls(inner="plan", agent_span={**failed, "status_message": "ValueError: y"}),
        )
        == "spans"
    )


def _nested(parent_of_b: str) -> str:
    spans = [
        {"span_id": "root", "name": "t", "attributes": {}, "start_time_ns": 0},
        {"span_id": "a", "parent_span_id": "root", "name": "a", "start_time_ns": 1},
        {"span_id": "b", "parent_span_id": parent_of_b, "name": "b", "start_time_ns": 2},
    ]
    return json.dumps({"trace": {"spans": spans}, "outcome": {"result": 1}})


def test_a_span_of_the_agents_own_under_another_parent_is_a_change() -> None:
    assert describe_changes(_nested("root"), _nested("root")) == "unchanged"
    assert describe_changes(_nested("root"), _nested("a")) == "spans"


def test_calls_listed_in_another_order_with_the_same_start_times_are_unchanged() -> None:
    # (a golden written by an earlier version lists its spans in start order; the order in
    # the file is not the order the calls were made in: their start times are)
    doc = json.loads(_two_calls())
    doc["trace"]["spans"].reverse()
    assert describe_changes(_two_calls(), json.dumps(doc)) == (
        "layout (behaviour unchanged: the file was written again)"
    )


def test_a_checkout_with_crlf_line_ends_holds_the_same_golden(tmp_path: Any) -> None:
    from pytest_clearstone.golden.changes import holds_but_span_times

    text = json.dumps(json.loads(_doc()), indent=2) + "\n"
    path = tmp_path / "g.ckpt"
    path.write_bytes(text.replace("\n", "\r\n").encode())
    assert holds_but_span_times(path, text)
    assert not holds_but_span_times(path, text.replace('"hi"', '"ho"'))


def _parallel_nodes(a_start: int, b_start: int, ids: str = "") -> str:
    """Two nodes of the agent's own, each making one call; ``ids``: a prefix of every span id
    (a re-record draws them anew)."""

    def call(node: str, start: int) -> dict[str, Any]:
        return {
            "span_id": f"{ids}call {node}",
            "parent_span_id": f"{ids}{node}",
            "name": "app.f",
            "span_type": "tool",
            "attributes": {"clearstone.target": "app.f"},
            "input": {"q": node},
            "output": node.upper(),
            "start_time_ns": start,
        }

    spans = [
        {"span_id": f"{ids}root", "name": "t", "attributes": {}, "start_time_ns": 0},
        {
            "span_id": f"{ids}a",
            "parent_span_id": f"{ids}root",
            "name": "node a",
            "attributes": {},
            "start_time_ns": a_start,
        },
        {
            "span_id": f"{ids}b",
            "parent_span_id": f"{ids}root",
            "name": "node b",
            "attributes": {},
            "start_time_ns": b_start,
        },
        call("b", 3),
        call("a", 4),
    ]
    return json.dumps({"trace": {"spans": spans}})


def test_nodes_of_the_agents_own_that_started_in_another_order_are_unchanged() -> None:
    # (each comes at the first call made under it, whichever node the scheduler started first)
    assert describe_changes(_parallel_nodes(1, 2), _parallel_nodes(2, 1)) == (
        "layout (behaviour unchanged: the file was written again)"
    )


def test_spans_with_other_ids_and_the_same_nesting_are_unchanged() -> None:
    assert describe_changes(_parallel_nodes(1, 2), _parallel_nodes(1, 2, ids="x")) == (
        "layout (behaviour unchanged: the file was written again)"
    )


def test_spans_without_ids_are_not_taken_as_the_parents_of_each_other() -> None:
    # (a file's ids may be anything, also missing: a span without one is a span of its own)
    def doc(plan_start: int) -> str:
        spans = [{"name": "t", "attributes": {}, "start_time_ns": 0}]
        for number, answer in enumerate(["x", "y"], 1):
            target = {"clearstone.target": "app.f"}
            spans.append(
                {
                    "name": "app.f",
                    "span_type": "tool",
                    "attributes": target,
                    "input": {"q": number},
                    "output": answer,
                    "start_time_ns": number,
                }
            )
        spans.append({"name": "plan", "attributes": {}, "start_time_ns": plan_start})
        return json.dumps({"trace": {"spans": spans}})

    assert describe_changes(doc(5), doc(0)) == (
        "layout (behaviour unchanged: the file was written again)"
    )


def test_a_run_added_where_neither_golden_holds_two_names_its_result_and_final_state() -> None:
    without_outcome = json.loads(_runs("a"))
    del without_outcome["outcome"]
    assert describe_changes(json.dumps(without_outcome), _runs("a")) == "result, final state"


def test_a_golden_signed_before_and_after_is_neither_signed_nor_unsigned_by_the_re_record() -> None:
    before, after = json.loads(_doc()), json.loads(_doc())
    before["signature"], after["signature"] = "ab" * 32, "cd" * 32
    assert describe_changes(json.dumps(before), json.dumps(after)) == (
        "layout (behaviour unchanged: the file was written again)"
    )


def test_a_previous_file_nested_deeper_than_a_golden_reads_is_not_a_readable_golden() -> None:
    assert describe_changes("[" * 200_000 + "]" * 200_000, _doc()) == (
        "replaced a file that was not a readable golden"
    )


def test_a_golden_recorded_again_at_another_time_under_its_id_names_the_fresh_clock() -> None:
    base = json.loads(_doc())
    before = {**base, "timestamp": "2024-01-01T00:00:00+00:00"}
    after = {**base, "timestamp": "2024-02-01T00:00:00+00:00"}
    assert describe_changes(json.dumps(before), json.dumps(after)) == (
        "new checkpoint id, seeds and clock (--clearstone-fresh)"
    )


def test_a_signature_of_another_key_is_named_only_when_nothing_else_rewrote_the_golden() -> None:
    base = json.loads(_doc())
    before = {**base, "written_by": {"library": "pytest-clearstone 0.1.0", "python": "3.11"}}
    after = {**base, "written_by": {"library": "pytest-clearstone 0.2.0", "python": "3.11"}}
    before["signature"], after["signature"] = "ab" * 32, "cd" * 32
    assert describe_changes(json.dumps(before), json.dumps(after), key=b"k" * 32) == (
        "writer (pytest-clearstone 0.1.0, Python 3.11 -> pytest-clearstone 0.2.0, Python 3.11)"
    )


def test_a_golden_signed_with_another_key_is_named_so() -> None:
    before, after = json.loads(_doc()), json.loads(_doc())
    before["signature"], after["signature"] = "ab" * 32, "cd" * 32
    assert describe_changes(json.dumps(before), json.dumps(after), key=b"k" * 32) == (
        "signature (signed with another key)"
    )


def test_key_order_changes_are_none_where_a_value_differs_too() -> None:
    from pytest_clearstone.golden.changes import key_order_changes

    ordered = json.loads(_doc(state={"a": 1, "b": 2}))
    reordered = json.loads(_doc(state={"b": 2, "a": 1}))
    assert key_order_changes(ordered, reordered) == ["state"]
    reordered["outcome"]["result"] = "z"
    assert key_order_changes(ordered, reordered) == []


def test_keys_in_another_order_inside_a_list_are_named_as_its_part() -> None:
    before, after = json.loads(_doc()), json.loads(_doc())
    before["trace"]["spans"][1]["input"] = {"messages": [{"role": "user", "content": "hi"}]}
    after["trace"]["spans"][1]["input"] = {"messages": [{"content": "hi", "role": "user"}]}
    assert describe_changes(json.dumps(before), json.dumps(after)) == (
        "llm call #1 to app.complete arguments (key order only)"
    )


def test_a_call_added_or_removed_is_named() -> None:
    both, search_only = _two_calls(), _two_calls(("app.search",))
    assert describe_changes(search_only, both) == "tool call #1 to app.complete added"
    assert describe_changes(both, search_only) == "tool call #1 to app.complete removed"


def _fan_out(answers: list[str], prompt: str = "p") -> str:
    """A golden of one call to ``app.complete`` per answer, made one after the other."""
    doc = json.loads(_doc())
    call = doc["trace"]["spans"].pop()
    for number, answer in enumerate(answers, 1):
        span = {**call, "span_id": f"c{number}", "start_time_ns": number, "output": answer}
        doc["trace"]["spans"].append({**span, "input": {"prompt": f"{prompt} {number}"}})
    return json.dumps(doc)


def test_the_calls_of_a_target_changed_alike_are_named_in_one_part() -> None:
    """A re-record of a fan-out of 24 calls whose answers all changed (a live model's) named
    each call in a part of its own: a line of 24 ``llm call #n to app.complete answer``."""
    before = _fan_out([f"old {n}" for n in range(24)])
    assert describe_changes(before, _fan_out([f"new {n}" for n in range(24)])) == (
        "llm calls #1-#24 to app.complete answer"
    )
    some = [f"new {n}" if n in (0, 1, 2, 4, 6, 7) else f"old {n}" for n in range(24)]
    assert describe_changes(before, _fan_out(some)) == (
        "llm calls #1-#3, #5, #7, #8 to app.complete answer"
    )
    both = _fan_out([f"new {n}" for n in range(3)], prompt="q")
    assert describe_changes(_fan_out([f"old {n}" for n in range(3)]), both) == (
        "llm calls #1-#3 to app.complete arguments and answer"
    )
    # (the calls whose arguments and answer changed are one part, those whose answer alone
    # another: the target is named once for each)
    mixed = json.loads(both)
    mixed["trace"]["spans"][-1]["input"] = {"prompt": "p 3"}
    assert describe_changes(_fan_out([f"old {n}" for n in range(3)]), json.dumps(mixed)) == (
        "llm calls #1, #2 to app.complete arguments and answer, llm call #3 to app.complete answer"
    )


def test_arguments_changed_are_named_as_the_calls_arguments() -> None:
    after = json.loads(_doc())
    after["trace"]["spans"][1]["input"] = {"prompt": "q"}
    assert describe_changes(_doc(), json.dumps(after)) == "llm call #1 to app.complete arguments"


def test_a_call_without_a_span_type_is_named_a_call() -> None:
    before, after = json.loads(_doc()), json.loads(_doc(answer="bye"))
    for doc in (before, after):
        del doc["trace"]["spans"][1]["span_type"]
    assert describe_changes(json.dumps(before), json.dumps(after)) == (
        "call call #1 to app.complete answer"
    )


def test_a_call_is_named_by_its_span_type_in_the_new_golden() -> None:
    after = json.loads(_doc(answer="bye"))
    after["trace"]["spans"][1]["span_type"] = "tool"
    assert describe_changes(_doc(), json.dumps(after)) == "tool call #1 to app.complete answer"


def test_marker_settings_added_to_a_golden_without_them_are_a_change() -> None:
    assert describe_changes(_doc(), json.dumps({**json.loads(_doc()), "metadata": {}})) == (
        "metadata"
    )


def _timed(start: Any, end: Any = None, key: bytes | None = None) -> str:
    """A golden's text as the layout writes it, its call measured from ``start`` to ``end``
    (the agent's field, before the trace's, closes as the trace does), signed with ``key``."""
    from pytest_clearstone.golden.signing import compute_signature

    doc = json.loads(_doc())
    doc["trace"]["spans"][1].update(start_time_ns=start, end_time_ns=end)
    if key is not None:
        doc["signature"] = compute_signature(doc, key)
    return json.dumps(doc, indent=2) + "\n"


def test_a_golden_that_differs_in_its_span_times_only_is_held(tmp_path: Any) -> None:
    from pytest_clearstone.golden.changes import holds_but_span_times

    path = tmp_path / "g.ckpt"
    path.write_text(_timed(1000, None), encoding="utf-8")
    assert holds_but_span_times(path, _timed(2000, 3000))  # (an end not measured: null)
    assert not holds_but_span_times(path, _timed(20000, 3000))  # (its size differs)
    assert not holds_but_span_times(path, _timed(1000, None).replace('"hi"', '"ho"'))


def test_a_re_record_that_wrote_the_times_its_replay_goes_by_says_so() -> None:
    """The times measured now were written (the previous golden's would replay otherwise): the
    summary says so where it said ``unchanged`` while the file changed."""
    before, after = _timed(1000, 2000), _timed(3000, 4000)
    assert describe_changes(before, after) == "unchanged"
    assert describe_changes(before, after, times_rewritten=True) == (
        "span times (the replay's: the order concurrent calls completed in, or when a timeout "
        "cut a call off)"
    )
    # (a change of behaviour is named as it is)
    changed = after.replace('"hi"', '"ho"')
    assert describe_changes(before, changed, times_rewritten=True) == (
        describe_changes(before, changed)
    )


def test_a_golden_whose_signature_differs_too_is_held_when_it_is_valid_for_the_key(
    tmp_path: Any,
) -> None:
    from pytest_clearstone.golden.changes import holds_but_span_times

    key = b"k" * 32
    path = tmp_path / "g.ckpt"
    path.write_text(_timed(1000, key=key), encoding="utf-8")
    assert holds_but_span_times(path, _timed(2000, key=key), key)
    assert not holds_but_span_times(path, _timed(2000, key=key))
    assert not holds_but_span_times(path, _timed(2000, key=key), b"o" * 32)


def test_a_file_that_is_not_utf_8_does_not_hold_a_golden(tmp_path: Any) -> None:
    from pytest_clearstone.golden.changes import holds_but_span_times

    path = tmp_path / "g.ckpt"
    path.write_bytes(b"\xff" + _timed(1000).encode())
    assert not holds_but_span_times(path, _timed(1000))


def test_the_tests_own_span_named_by_another_node_id_is_no_change_of_spans() -> None:
    """A test renamed or moved names its own span by its new node id: the spans the agent made
    are the same."""

    def golden(node_id: str) -> str:
        doc = json.loads(_doc())
        doc["trace"]["spans"][0].update(name=node_id, attributes={"test.nodeid": node_id})
        return json.dumps(doc)

    assert describe_changes(golden("test_a.py::test_x"), golden("test_b.py::test_y")) == (
        "layout (behaviour unchanged: the file was written again)"
    )
    renamed_span = json.loads(golden("test_a.py::test_x"))
    renamed_span["trace"]["spans"][0]["name"] = "agent.step"  # (no longer the test's own name)
    assert describe_changes(golden("test_a.py::test_x"), json.dumps(renamed_span)) == "spans"
