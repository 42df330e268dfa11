"""StateDelta: one line per changed path, falsy when equal, no deepdiff for equal states; text
diffed line by line like pytest, values in full under -vv."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_clearstone.diff import StateDelta, get_verbosity, set_verbosity, state_delta


@pytest.fixture(autouse=True)
def _default_verbosity() -> Any:
    """Each test starts at the default level (0), whatever -v this run has; the run's level is
    back after it."""
    restore = set_verbosity(0)
    yield
    restore()


def test_nested_value_change_names_the_full_path() -> None:
    before = {"memory": [{"q": "x", "result": "a"}, {"q": "y", "result": "a"}]}
    after = {"memory": [{"q": "x", "result": "a"}, {"q": "y", "result": "b"}]}
    delta = StateDelta(before, after)
    assert delta
    assert delta.lines == ["root['memory'][1]['result']: 'a' -> 'b'"]
    assert str(delta) == "root['memory'][1]['result']: 'a' -> 'b'"
    assert len(delta) == 1
    assert repr(delta) == "<StateDelta 1 change(s)>"


def test_several_changes_are_one_line_each() -> None:
    delta = StateDelta(
        {"total_cost": 0.01, "config": {"model": "m1", "retries": 2}, "memory": [1]},
        {"total_cost": 0.02, "config": {"model": "m2", "retries": 2}, "memory": [1]},
    )
    assert sorted(delta) == [
        "root['config']['model']: 'm1' -> 'm2'",
        "root['total_cost']: 0.01 -> 0.02",
    ]


def test_type_change_shows_both_types() -> None:
    delta = StateDelta({"count": 1}, {"count": "1"})
    assert delta.lines == ["root['count']: 1 (int) -> '1' (str)"]


def test_a_tuple_becoming_a_list_is_a_change() -> None:
    assert StateDelta((1, 2), [1, 2]).lines == ["root: (1, 2) (tuple) -> [1, 2] (list)"]
    assert StateDelta({"t": (1, 2)}, {"t": [1, 2]}).lines == [
        "root['t']: (1, 2) (tuple) -> [1, 2] (list)"
    ]


def test_added_and_removed_items() -> None:
    delta = StateDelta(
        {"keep": 1, "old": "gone", "memory": ["a"]},
        {"keep": 1, "new": [1, 2], "memory": ["a", "b"]},
    )
    assert sorted(delta.lines) == [
        "root['memory'][1]: added 'b'",
        "root['new']: added [1, 2]",
        "root['old']: removed 'gone'",
    ]


def test_set_items_added_and_removed() -> None:
    lines = StateDelta({"tags": {"a", "b"}}, {"tags": {"b", "c"}}).lines
    assert sorted(lines) == ["root['tags']: added 'c'", "root['tags']: removed 'a'"]


def test_long_strings_are_shortened_around_the_difference() -> None:
    prefix = "x" * 500
    before = {"prompt": prefix + "the old ending" + "y" * 500}
    after = {"prompt": prefix + "the new ending" + "y" * 500}
    (line,) = StateDelta(before, after).lines
    path, _, change = line.partition(": ")
    assert path == "root['prompt']"
    old, new = change.split(" -> ")
    assert "old ending" in old and "new ending" in new
    assert old.startswith("...") and old.endswith("...")
    assert len(old) < 100 and len(new) < 100


def test_falsy_and_cheap_when_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    import deepdiff

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("DeepDiff must not run for equal states")

    monkeypatch.setattr(deepdiff, "DeepDiff", refuse)
    state = {"memory": [{"role": "user", "content": "c" * 1000} for _ in range(100)], "n": 1}
    copy = {"memory": [dict(m) for m in state["memory"]], "n": 1}
    delta = StateDelta(state, copy)
    assert not delta
    assert delta.lines == []
    assert str(delta) == "(no differences)"
    assert list(delta) == []
    assert not state_delta(None, None)


def test_objects_whose_equality_raises_still_get_a_delta() -> None:
    class Weird:
        def __init__(self, v: int) -> None:
            self.v = v

        def __eq__(self, other: object) -> bool:
            raise ValueError("ambiguous")

        __hash__ = None  # type: ignore[assignment]

    delta = StateDelta({"w": Weird(1)}, {"w": Weird(2)})
    assert delta
    assert "root['w'].v: 1 -> 2" in delta.lines


# -- text, line by line (issue 15) ---------------------------------------------------------------
RULES = [f"Rule {i}: answer question {i} politely." for i in range(1, 11)]
PROMPT = "You are a support agent.\n" + "\n".join(RULES) + "\n"


@pytest.fixture
def verbosity() -> Any:
    return set_verbosity


def test_multi_line_text_changed_in_one_line_shows_that_line() -> None:
    after = PROMPT.replace("question 5 politely", "question 5 briefly")
    delta = StateDelta({"prompt": PROMPT}, {"prompt": after}, width=80)
    assert str(delta).splitlines() == [
        "root['prompt']: text differs (- before, + after):",
        "  ... (4 identical line(s))",
        "    Rule 4: answer question 4 politely.",
        "  - Rule 5: answer question 5 politely.",
        "  ?                           ^^^ -",
        "  + Rule 5: answer question 5 briefly.",
        "  ?                           ^^  +",
        "    Rule 6: answer question 6 politely.",
        "  ... (4 identical line(s))",
    ]
    # one line per change as before; the shortened one-line form there
    assert len(delta) == 1 and delta.lines[0].startswith("root['prompt']: ")
    assert repr(delta) == "<StateDelta 1 change(s)>"


def test_added_and_removed_lines_and_far_apart_changes() -> None:
    after = PROMPT.replace("Rule 2: answer question 2 politely.\n", "").replace(
        "Rule 9:", "Rule nine:"
    )
    text = str(StateDelta(PROMPT, after + "Never promise refunds.\n", width=80)).splitlines()
    assert text[0] == "root: text differs (- before, + after):"
    assert [line for line in text if line.startswith(("  -", "  +"))] == [
        "  - Rule 2: answer question 2 politely.",
        "  - Rule 9: answer question 9 politely.",
        "  + Rule nine: answer question 9 politely.",
        "  + Never promise refunds.",
    ]
    assert "  ... (4 identical line(s))" in text  # between the two changes
    assert not any("Rule 5" in line for line in text)


def test_short_single_line_strings_stay_one_line() -> None:
    delta = StateDelta({"q": "refund please"}, {"q": "refund now"}, width=80)
    assert str(delta) == "root['q']: 'refund please' -> 'refund now'"


def test_a_500_character_string_is_diffed_around_the_change_not_shown_twice() -> None:
    before = "x" * 240 + "the old ending" + "y" * 246
    after = before.replace("old", "new")
    delta = StateDelta({"prompt": before}, {"prompt": after}, width=80)
    text = str(delta).splitlines()
    assert text[0] == "root['prompt']: text differs (- before, + after):"
    minus, hint, plus, hint2 = text[1:]
    assert minus.startswith("  - ...x") and "the old ending" in minus and minus.endswith("y...")
    assert plus.startswith("  + ...x") and "the new ending" in plus and plus.endswith("y...")
    assert hint == hint2 and hint.replace(" ", "") == "?^^^"
    assert minus.index("old") == hint.index("^") == plus.index("new")
    assert len(str(delta)) < 300
    assert all(len(line) <= 80 + 10 for line in text)


def test_the_terminal_width_decides_what_is_long(monkeypatch: pytest.MonkeyPatch) -> None:
    before, after = "a" * 100 + " old", "a" * 100 + " new"
    monkeypatch.setenv("COLUMNS", "80")
    assert str(StateDelta(before, after)).startswith("root: text differs")
    monkeypatch.setenv("COLUMNS", "200")
    assert str(StateDelta(before, after)) == f"root: ...{'a' * 23} old' -> ...{'a' * 23} new'"


def test_a_long_diff_is_cut_and_says_how_much_is_left() -> None:
    before = "".join(f"line {i}\n" for i in range(200))
    after = "".join(f"line {i}{'!' if i % 2 else ''}\n" for i in range(200))
    text = str(StateDelta(before, after, width=80)).splitlines()
    assert len(text) == 1 + 40 + 1
    assert text[-1].startswith("  ... (") and text[-1].endswith(
        "more line(s) of diff; -vv shows all)"
    )
    assert len(str(StateDelta(before, after, width=80, verbosity=2)).splitlines()) > 400


def test_verbosity_2_shows_everything_in_full(verbosity: Any) -> None:
    before = "x" * 240 + "the old ending" + "y" * 246
    after = before.replace("old", "new")
    prompt_before, prompt_after = PROMPT, PROMPT.replace("question 5 politely", "question 5 now")
    state = ({"prompt": before, "memory": list(range(100)), "rules": prompt_before},
             {"prompt": after, "memory": list(range(101)), "rules": prompt_after})  # fmt: skip
    restore = verbosity(2)
    assert get_verbosity() == 2
    delta = StateDelta(*state, width=80)
    text = str(delta).splitlines()
    assert f"  - {before}" in text and f"  + {after}" in text
    assert "root['memory'][100]: added 100" in text
    assert [line[4:] for line in text if line.startswith("    ")] == [
        "You are a support agent.",
        *(rule for rule in RULES if not rule.startswith("Rule 5")),
    ]
    assert not any("..." in line for line in text)
    long_list = StateDelta({"m": list(range(100))}, {"m": list(range(1, 101))})
    assert f"root['m']: {list(range(100))!r} -> {list(range(1, 101))!r}" not in long_list.lines
    restore()  # back to the level it replaced
    assert get_verbosity() == 0
    assert StateDelta(*state, width=80).lines[0].endswith("...")
    # the parameter wins over the setting
    assert f"  - {before}" in str(StateDelta(*state, width=80, verbosity=2)).splitlines()


def test_long_values_are_shown_whole_under_verbosity_2() -> None:
    before = {"config": {"tools": [f"tool_{i}" for i in range(40)]}}
    after = {"config": {"tools": tuple(before["config"]["tools"])}}
    line = StateDelta(before, after, verbosity=2).lines[0]
    tools = before["config"]["tools"]
    assert line == f"root['config']['tools']: {tools!r} (list) -> {tuple(tools)!r} (tuple)"
    assert "..." in StateDelta(before, after).lines[0]


def test_text_in_third_party_str_subclasses_and_broken_reprs_never_raise() -> None:
    class Prompt(str):  # a library's text type whose own methods are off limits
        def __str__(self) -> str:
            raise RuntimeError("not for you")

    class BadRepr:
        def __init__(self, v: int) -> None:
            self.v = v

        def __repr__(self) -> str:
            raise RuntimeError("no repr")

    delta = StateDelta({"p": Prompt("a\nb\n")}, {"p": Prompt("a\nc\n")}, width=80)
    assert "  - b" in str(delta).splitlines() and "  + c" in str(delta).splitlines()
    delta = StateDelta({"x": [BadRepr(1)]}, {"x": []})
    assert delta.lines == ["root['x'][0]: removed <BadRepr object (repr failed)>"]


def test_equal_texts_never_diff(monkeypatch: pytest.MonkeyPatch) -> None:
    import difflib

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("no diff for equal states")

    monkeypatch.setattr(difflib, "SequenceMatcher", refuse)
    monkeypatch.setattr("shutil.get_terminal_size", refuse)
    delta = StateDelta({"prompt": PROMPT * 100}, {"prompt": PROMPT * 100})
    assert not delta and str(delta) == "(no differences)"
