"""A message inserted in (or removed from) a list of messages: the delta names that message,
not every message after it as changed."""

from __future__ import annotations

from pytest_clearstone.diff import StateDelta

HISTORY = [{"role": "user", "content": f"msg {i}"} for i in range(1000)]


def test_a_message_inserted_first_is_one_added_item() -> None:
    """A system message now put before a history of 1,000: the delta was 1,000 lines of
    ``root['messages'][n]['content']: 'msg n' -> 'msg n-1'`` (40 shown, and "... and 961 more
    changes"), the inserted message told as a change of the first one's fields and the last
    message as added at the end."""
    system = {"role": "system", "content": "Be brief."}
    delta = StateDelta({"messages": HISTORY}, {"messages": [system, *HISTORY]}, width=100)
    assert str(delta) == "root['messages'][0]: added {'role': 'system', 'content': 'Be brief.'}"
    assert len(delta) == 1


def test_a_message_removed_deep_down_is_one_removed_item() -> None:
    shorter = HISTORY[:500] + HISTORY[501:]
    delta = StateDelta({"messages": HISTORY}, {"messages": shorter}, width=100)
    assert str(delta) == "root['messages'][500]: removed {'role': 'user', 'content': 'msg 500'}"


def test_two_messages_inserted_in_the_middle_are_two_added_items() -> None:
    tool = [{"role": "tool", "content": "42"}, {"role": "assistant", "content": "It is 42."}]
    after = HISTORY[:10] + tool + HISTORY[10:]
    lines = str(StateDelta(HISTORY, after, width=100)).splitlines()
    assert lines == [
        "root[10]: added {'role': 'tool', 'content': '42'}",
        "root[11]: added {'role': 'assistant', 'content': 'It is 42.'}",
    ]


def test_a_message_changed_in_place_is_still_named_by_its_field() -> None:
    after = [*HISTORY]
    after[637] = {"role": "user", "content": "changed"}
    assert str(StateDelta(HISTORY, after, width=100)) == (
        "root[637]['content']: 'msg 637' -> 'changed'"
    )


def test_a_message_replaced_and_one_added_elsewhere_is_compared_item_by_item() -> None:
    """Changes in more than one place: the items are compared by index, as deepdiff does."""
    after = [*HISTORY[:5], {"role": "user", "content": "x"}]
    lines = str(StateDelta(HISTORY[:5], after, width=100)).splitlines()
    assert lines == ["root[5]: added {'role': 'user', 'content': 'x'}"]


def test_one_of_a_run_of_identical_texts_removed_is_named_at_the_end_of_the_run() -> None:
    """A run of identical entries (``["retry", "retry", "retry", "done"]``) that lost one: every
    place in the run holds the same value, and the delta names the last one, as it does for a
    list of dicts or a run at the list's end. Before the fix deepdiff's alignment named the first
    (``root['log'][0]: removed 'retry'``), which read as the list's first entry gone."""
    for run in (["retry"], [1], [1.5], [None]):
        before = {"log": [*run * 3, "done"]}
        after = {"log": [*run * 2, "done"]}
        assert str(StateDelta(before, after)) == f"root['log'][2]: removed {run[0]!r}"
        assert str(StateDelta(after, before)) == f"root['log'][2]: added {run[0]!r}"
