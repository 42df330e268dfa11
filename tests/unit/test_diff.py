"""StateDelta: one line per changed path, falsy when equal, no deepdiff for equal states; text
diffed line by line like pytest, values in full under -vv."""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import inspect
import os
import warnings
from typing import Any, NamedTuple

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


def test_outside_pytest_a_delta_shortens_long_values_until_verbosity_2_is_set() -> None:
    """A script or a notebook (no plugin to set pytest's verbosity) gets the shortened delta,
    and ``set_verbosity(2)`` shows values in full (docs/how-to/debug.md)."""
    import subprocess
    import sys

    script = (
        "from pytest_clearstone.diff import StateDelta, set_verbosity\n"
        "before, after = 'x' * 300 + ' old', 'x' * 300 + ' new'\n"
        "print(StateDelta(before, after, width=80))\n"
        "set_verbosity(2)\n"
        "print(StateDelta(before, after, width=80))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    shortened, full = done.stdout.split("root: ")[1:]
    assert "..." in shortened and "x" * 300 not in shortened
    assert "..." not in full and "x" * 300 + " old" in full


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


# -- large states: the differing subtrees are found with == first (issue 16) ---------------------
class Opaque:
    """A third-party object whose == raises: compared attribute by attribute, as before."""

    def __init__(self, v: int) -> None:
        self.v = v

    def __eq__(self, other: object) -> bool:
        raise ValueError("ambiguous")

    __hash__ = None  # type: ignore[assignment]


def _turn(i: int) -> dict[str, Any]:
    words = " ".join(f"word{(i * 7 + j) % 97}" for j in range(60))
    return {
        "role": "assistant" if i % 2 else "user",
        "content": f"Turn {i}: {words}",
        "tool_calls": [
            {
                "name": "search",
                "args": {
                    "query": f"q{i}",
                    "k": 3,
                    "filters": {"year": 2000 + i % 25, "tags": ["a", f"t{i % 13}"]},
                },
            },
            {"name": "calc", "args": {"expr": f"{i} * 2", "precision": 4}},
        ],
        "meta": {
            "tokens": 100 + i % 50,
            "cost": round(0.001 * (i % 17), 6),
            "ok": True,
            "latency_ms": [12, 15 + i % 5, 9],
        },
    }


def _document(i: int) -> dict[str, Any]:
    lines = [f"Paragraph {k} of document {i}: " + "lorem ipsum " * (3 + k % 4) for k in range(8)]
    return {
        "title": f"Document {i}",
        "text": "\n".join(lines) + "\n",
        "embedding": [round((i * 31 + k * 17) % 100 / 100, 2) for k in range(8)],
    }


def big_state(size: int = 1_000_000) -> dict[str, Any]:
    """A deterministic agent state of about ``size`` bytes of JSON: a conversation with tool
    calls, retrieved documents (multi-line texts, embeddings), scores, labels (a set)."""
    turns, docs = size * 3 // 4 // 690, size // 4 // 740
    return {
        "run": {
            "id": "run-1",
            "labels": {"prod", "agent"},
            "config": {
                "model": "m1",
                "retries": 2,
                "temperature": 0.2,
                "tools": ["search", "calc"],
                "budget": {"tokens": 100_000, "usd": 5.0},
            },
        },
        "memory": [_turn(i) for i in range(turns)],
        "documents": {f"doc-{i}": _document(i) for i in range(docs)},
        "scores": [i / 1000 for i in range(500)],
        "total_cost": 0.5,
    }


def _one_deep_change(s: dict[str, Any]) -> None:
    s["memory"][417]["tool_calls"][0]["args"]["filters"]["year"] = 1999


def _changes_at_different_depths(s: dict[str, Any]) -> None:
    s["total_cost"] = 0.75
    s["run"]["config"]["temperature"] = 0.3
    s["memory"][5]["content"] += " (edited)"
    s["memory"][30]["role"] = "system"
    s["documents"]["doc-12"]["text"] = s["documents"]["doc-12"]["text"].replace(
        "Paragraph 3 of", "Paragraph three of"
    )
    s["documents"]["doc-3"]["embedding"][4] = 0.5
    s["memory"][600]["tool_calls"][1]["args"]["expr"] = "600 * 3"
    s["scores"][250] = 1.0


def _list_length_changes(s: dict[str, Any]) -> None:
    s["memory"].append(_turn(10_000))
    s["memory"][10]["tool_calls"].pop()
    s["memory"][11]["meta"]["latency_ms"].append(40)
    s["scores"].insert(100, 0.123)
    s["run"]["config"]["tools"] = ["search"]


def _type_changes(s: dict[str, Any]) -> None:
    s["memory"][300]["meta"]["tokens"] = 125.0
    s["memory"][301]["tool_calls"] = tuple(s["memory"][301]["tool_calls"])
    s["documents"]["doc-7"]["embedding"] = None
    s["memory"][302]["meta"]["ok"] = 1
    s["run"]["config"]["budget"] = [100_000, 5.0]


def _keys_added_and_removed(s: dict[str, Any]) -> None:
    s["memory"][250]["meta"]["cached"] = True
    del s["memory"][251]["meta"]["latency_ms"]
    s["memory"][252]["tool_calls"][0]["args"] = {"q": "new", "n": 5}  # no key in common
    s["documents"]["doc-9999"] = {"title": "Late", "text": "added\n"}
    del s["documents"]["doc-0"]
    s["run"]["labels"] = {"prod", "agent", "canary"}
    s["new_key"] = {"nested": [1, 2, 3]}


try:
    from pydantic import BaseModel
except ImportError:  # pragma: no cover - pydantic is a test dependency
    BaseModel = None  # type: ignore[assignment,misc]
else:

    class Reply(BaseModel):  # type: ignore[misc]
        text: str
        tokens: int


def _third_party_objects(side: int) -> Any:
    def mutate(s: dict[str, Any]) -> None:
        s["memory"][600]["meta"]["probe"] = Opaque(side)
        s["memory"][601]["meta"]["probe"] = Opaque(5)  # different objects, same attributes
        if BaseModel is not None:
            s["memory"][700]["response"] = Reply(text="hello" + "!" * side, tokens=3)
        s["memory"][800]["content"] = f"side {side}"

    return mutate


#: str() of the delta of each scenario (width 80), at verbosity 0 and 2, as the whole-tree
#: DeepDiff gave it before issue 16 (frozen: the message must stay the same), its paths in the
#: order of their steps, a list's indexes by number (they were in text order: [10] before [2])
FROZEN: dict[str, list[str]] = {
    "one_deep/0": [
        "root['memory'][417]['tool_calls'][0]['args']['filters']['year']: 2017 -> 1999",
    ],
    "one_deep/2": [
        "root['memory'][417]['tool_calls'][0]['args']['filters']['year']: 2017 -> 1999",
    ],
    "depths/0": [
        "root['documents']['doc-12']['text']: text differs (- before, + after):",
        "  ... (2 identical line(s))",
        ("    Paragraph 2 of document 12: lorem ipsum lorem ipsum lorem ipsum lorem ipsum lore..."),
        "  - Paragraph 3 of document 12: lorem i...",
        "  ?           ^",
        "  + Paragraph three of document 12: lorem i...",
        "  ?           ^^^^^",
        "    Paragraph 4 of document 12: lorem ipsum lorem ipsum lorem ipsum ",
        "  ... (3 identical line(s))",
        "root['documents']['doc-3']['embedding'][4]: 0.61 -> 0.5",
        "root['memory'][5]['content']: text differs (- before, + after):",
        "  - ...d91 word92 word93 word94",
        "  + ...d91 word92 word93 word94 (edited)",
        "  ?                            +++++++++",
        "root['memory'][30]['role']: 'user' -> 'system'",
        "root['memory'][600]['tool_calls'][1]['args']['expr']: '600 * 2' -> '600 * 3'",
        "root['run']['config']['temperature']: 0.2 -> 0.3",
        "root['scores'][250]: 0.25 -> 1.0",
        "root['total_cost']: 0.5 -> 0.75",
    ],
    "depths/2": [
        "root['documents']['doc-12']['text']: text differs (- before, + after):",
        "    Paragraph 0 of document 12: lorem ipsum lorem ipsum lorem ipsum ",
        "    Paragraph 1 of document 12: lorem ipsum lorem ipsum lorem ipsum lorem ipsum ",
        (
            "    Paragraph 2 of document 12: lorem ipsum lorem ipsum lorem ipsum lorem ipsum lore"
            "m ipsum "
        ),
        (
            "  - Paragraph 3 of document 12: lorem ipsum lorem ipsum lorem ipsum lorem ipsum lore"
            "m ipsum lorem ipsum "
        ),
        "  ?           ^",
        (
            "  + Paragraph three of document 12: lorem ipsum lorem ipsum lorem ipsum lorem ipsum "
            "lorem ipsum lorem ipsum "
        ),
        "  ?           ^^^^^",
        "    Paragraph 4 of document 12: lorem ipsum lorem ipsum lorem ipsum ",
        "    Paragraph 5 of document 12: lorem ipsum lorem ipsum lorem ipsum lorem ipsum ",
        (
            "    Paragraph 6 of document 12: lorem ipsum lorem ipsum lorem ipsum lorem ipsum lore"
            "m ipsum "
        ),
        (
            "    Paragraph 7 of document 12: lorem ipsum lorem ipsum lorem ipsum lorem ipsum lore"
            "m ipsum lorem ipsum "
        ),
        "root['documents']['doc-3']['embedding'][4]: 0.61 -> 0.5",
        "root['memory'][5]['content']: text differs (- before, + after):",
        (
            "  - Turn 5: word35 word36 word37 word38 word39 word40 word41 word42 word43 word44 wo"
            "rd45 word46 word47 word48 word49 word50 word51 word52 word53 word54 word55 word56 wo"
            "rd57 word58 word59 word60 word61 word62 word63 word64 word65 word66 word67 word68 wo"
            "rd69 word70 word71 word72 word73 word74 word75 word76 word77 word78 word79 word80 wo"
            "rd81 word82 word83 word84 word85 word86 word87 word88 word89 word90 word91 word92 wo"
            "rd93 word94"
        ),
        (
            "  + Turn 5: word35 word36 word37 word38 word39 word40 word41 word42 word43 word44 wo"
            "rd45 word46 word47 word48 word49 word50 word51 word52 word53 word54 word55 word56 wo"
            "rd57 word58 word59 word60 word61 word62 word63 word64 word65 word66 word67 word68 wo"
            "rd69 word70 word71 word72 word73 word74 word75 word76 word77 word78 word79 word80 wo"
            "rd81 word82 word83 word84 word85 word86 word87 word88 word89 word90 word91 word92 wo"
            "rd93 word94 (edited)"
        ),
        (
            "  ?                                                                                 "
            "                                                                                    "
            "                                                                                    "
            "                                                                                    "
            "                                                                                    "
            "           +++++++++"
        ),
        "root['memory'][30]['role']: 'user' -> 'system'",
        "root['memory'][600]['tool_calls'][1]['args']['expr']: '600 * 2' -> '600 * 3'",
        "root['run']['config']['temperature']: 0.2 -> 0.3",
        "root['scores'][250]: 0.25 -> 1.0",
        "root['total_cost']: 0.5 -> 0.75",
    ],
    "lengths/0": [
        "root['memory'][11]['meta']['latency_ms'][3]: added 40",
        (
            "root['memory'][1086]: added {'role': 'user', 'content': 'Turn 10000: word63 word64 w"
            "ord65 word66 word67 word..."
        ),
        "root['scores'][100]: added 0.123",
        (
            "root['memory'][10]['tool_calls'][1]: removed {'name': 'calc', 'args': {'expr': '10 *"
            " 2', 'precision': 4}}"
        ),
        "root['run']['config']['tools'][1]: removed 'calc'",
    ],
    "lengths/2": [
        "root['memory'][11]['meta']['latency_ms'][3]: added 40",
        (
            "root['memory'][1086]: added {'role': 'user', 'content': 'Turn 10000: word63 word64 w"
            "ord65 word66 word67 word68 word69 word70 word71 word72 word73 word74 word75 word76 w"
            "ord77 word78 word79 word80 word81 word82 word83 word84 word85 word86 word87 word88 w"
            "ord89 word90 word91 word92 word93 word94 word95 word96 word0 word1 word2 word3 word4"
            " word5 word6 word7 word8 word9 word10 word11 word12 word13 word14 word15 word16 word"
            "17 word18 word19 word20 word21 word22 word23 word24 word25', 'tool_calls': [{'name':"
            " 'search', 'args': {'query': 'q10000', 'k': 3, 'filters': {'year': 2000, 'tags': ['a"
            "', 't3']}}}, {'name': 'calc', 'args': {'expr': '10000 * 2', 'precision': 4}}], 'meta"
            "': {'tokens': 100, 'cost': 0.004, 'ok': True, 'latency_ms': [12, 15, 9]}}"
        ),
        "root['scores'][100]: added 0.123",
        (
            "root['memory'][10]['tool_calls'][1]: removed {'name': 'calc', 'args': {'expr': '10 *"
            " 2', 'precision': 4}}"
        ),
        "root['run']['config']['tools'][1]: removed 'calc'",
    ],
    "types/0": [
        (
            "root['documents']['doc-7']['embedding']: [0.17, 0.34, 0.51, 0.68, 0.85, 0.02, 0.19, "
            "0.36] (list) -> None (NoneType)"
        ),
        "root['memory'][300]['meta']['tokens']: 100 (int) -> 125.0 (float)",
        (
            "root['memory'][301]['tool_calls']: [{'name': 'search', 'args': {'query': 'q301', 'k'"
            ": 3, 'filters': {'year': 2001, ... (list) -> ({'name': 'search', 'args': {'query': '"
            "q301', 'k': 3, 'filters': {'year': 2001, ... (tuple)"
        ),
        "root['memory'][302]['meta']['ok']: True (bool) -> 1 (int)",
        (
            "root['run']['config']['budget']: {'tokens': 100000, 'usd': 5.0} (dict) -> [100000, 5"
            ".0] (list)"
        ),
    ],
    "types/2": [
        (
            "root['documents']['doc-7']['embedding']: [0.17, 0.34, 0.51, 0.68, 0.85, 0.02, 0.19, "
            "0.36] (list) -> None (NoneType)"
        ),
        "root['memory'][300]['meta']['tokens']: 100 (int) -> 125.0 (float)",
        (
            "root['memory'][301]['tool_calls']: [{'name': 'search', 'args': {'query': 'q301', 'k'"
            ": 3, 'filters': {'year': 2001, 'tags': ['a', 't2']}}}, {'name': 'calc', 'args': {'ex"
            "pr': '301 * 2', 'precision': 4}}] (list) -> ({'name': 'search', 'args': {'query': 'q"
            "301', 'k': 3, 'filters': {'year': 2001, 'tags': ['a', 't2']}}}, {'name': 'calc', 'ar"
            "gs': {'expr': '301 * 2', 'precision': 4}}) (tuple)"
        ),
        "root['memory'][302]['meta']['ok']: True (bool) -> 1 (int)",
        (
            "root['run']['config']['budget']: {'tokens': 100000, 'usd': 5.0} (dict) -> [100000, 5"
            ".0] (list)"
        ),
    ],
    "keys/0": [
        (
            "root['memory'][252]['tool_calls'][0]['args']: {'query': 'q252', 'k': 3, 'filters': {"
            "'year': 2002, 'tags': ['a', 't5']}} -> {'q': 'new', 'n': 5}"
        ),
        "root['documents']['doc-9999']: added {'title': 'Late', 'text': 'added\\n'}",
        "root['memory'][250]['meta']['cached']: added True",
        "root['new_key']: added {'nested': [1, 2, 3]}",
        (
            "root['documents']['doc-0']: removed {'title': 'Document 0', 'text': 'Paragraph 0 of "
            "document 0: lorem ipsum lorem ip..."
        ),
        "root['memory'][251]['meta']['latency_ms']: removed [12, 16, 9]",
        "root['run']['labels']: added 'canary'",
    ],
    "keys/2": [
        (
            "root['memory'][252]['tool_calls'][0]['args']: {'query': 'q252', 'k': 3, 'filters': {"
            "'year': 2002, 'tags': ['a', 't5']}} -> {'q': 'new', 'n': 5}"
        ),
        "root['documents']['doc-9999']: added {'title': 'Late', 'text': 'added\\n'}",
        "root['memory'][250]['meta']['cached']: added True",
        "root['new_key']: added {'nested': [1, 2, 3]}",
        (
            "root['documents']['doc-0']: removed {'title': 'Document 0', 'text': 'Paragraph 0 of "
            "document 0: lorem ipsum lorem ipsum lorem ipsum \\nParagraph 1 of document 0: lorem i"
            "psum lorem ipsum lorem ipsum lorem ipsum \\nParagraph 2 of document 0: lorem ipsum lo"
            "rem ipsum lorem ipsum lorem ipsum lorem ipsum \\nParagraph 3 of document 0: lorem ips"
            "um lorem ipsum lorem ipsum lorem ipsum lorem ipsum lorem ipsum \\nParagraph 4 of docu"
            "ment 0: lorem ipsum lorem ipsum lorem ipsum \\nParagraph 5 of document 0: lorem ipsum"
            " lorem ipsum lorem ipsum lorem ipsum \\nParagraph 6 of document 0: lorem ipsum lorem "
            "ipsum lorem ipsum lorem ipsum lorem ipsum \\nParagraph 7 of document 0: lorem ipsum l"
            "orem ipsum lorem ipsum lorem ipsum lorem ipsum lorem ipsum \\n', 'embedding': [0.0, 0"
            ".17, 0.34, 0.51, 0.68, 0.85, 0.02, 0.19]}"
        ),
        "root['memory'][251]['meta']['latency_ms']: removed [12, 16, 9]",
        "root['run']['labels']: added 'canary'",
    ],
    "third_party/0": [
        "root['memory'][600]['meta']['probe'].v: 1 -> 2",
        "root['memory'][700]['response'].text: 'hello!' -> 'hello!!'",
        "root['memory'][800]['content']: 'side 1' -> 'side 2'",
    ],
    "third_party/2": [
        "root['memory'][600]['meta']['probe'].v: 1 -> 2",
        "root['memory'][700]['response'].text: 'hello!' -> 'hello!!'",
        "root['memory'][800]['content']: 'side 1' -> 'side 2'",
    ],
}

SCENARIOS: dict[str, tuple[Any, Any]] = {
    "one_deep": (None, _one_deep_change),
    "depths": (None, _changes_at_different_depths),
    "lengths": (None, _list_length_changes),
    "types": (None, _type_changes),
    "keys": (None, _keys_added_and_removed),
    "third_party": (_third_party_objects(1), _third_party_objects(2)),
}


def _scenario(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    before, after = big_state(), big_state()
    change_before, change_after = SCENARIOS[name]
    if change_before is not None:
        change_before(before)
    change_after(after)
    return before, after


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_a_large_state_gets_the_same_message_as_the_whole_tree_diff(name: str) -> None:
    before, after = _scenario(name)
    for verbosity in (0, 2):
        delta = StateDelta(before, after, width=80, verbosity=verbosity)
        assert str(delta).splitlines() == FROZEN[f"{name}/{verbosity}"]
        assert len(delta) == len(FROZEN[f"{name}/0"]) - sum(
            line.startswith(" ") for line in FROZEN[f"{name}/0"]
        )


@pytest.fixture
def deepdiff_calls(monkeypatch: pytest.MonkeyPatch) -> list[tuple[Any, Any]]:
    """The values each DeepDiff run was given (it still runs)."""
    import deepdiff

    real, calls = deepdiff.DeepDiff, []

    def recording(t1: Any, t2: Any, **kwargs: Any) -> Any:
        calls.append((t1, t2))
        return real(t1, t2, **kwargs)

    monkeypatch.setattr(deepdiff, "DeepDiff", recording)
    return calls


def _size(value: Any) -> int:
    return len(repr(value))


def test_deepdiff_is_given_only_the_differing_subtrees(deepdiff_calls: list[Any]) -> None:
    before, after = _scenario("one_deep")
    assert _size(before) > 1_000_000
    assert str(StateDelta(before, after)) == FROZEN["one_deep/0"][0]
    # two different numbers (the years) are named without deepdiff, the state never given to it
    assert deepdiff_calls == []


@pytest.mark.parametrize("name", ["depths", "lengths", "types", "keys", "third_party"])
def test_deepdiff_is_given_only_small_subtrees_for_several_changes(
    name: str, deepdiff_calls: list[Any]
) -> None:
    before, after = _scenario(name)
    assert StateDelta(before, after).lines
    assert len(deepdiff_calls) <= 1
    given = sum(_size(t1) + _size(t2) for t1, t2 in deepdiff_calls)
    # what changed, and lists of numbers or texts diffed as a whole (500 scores at most)
    assert given < 20_000, given
    assert not any("Turn 999:" in repr(t) for t in deepdiff_calls)  # an unchanged turn


def test_the_delta_does_not_walk_into_equal_subtrees(monkeypatch: pytest.MonkeyPatch) -> None:
    """An unchanged subtree is compared with == and never looked into: a library object there is
    neither encoded nor walked."""
    from pytest_clearstone import codec

    encoded: list[Any] = []
    real = codec.encode

    def recording(value: Any, *args: Any, **kwargs: Any) -> Any:
        encoded.append(value)
        return real(value, *args, **kwargs)

    monkeypatch.setattr(codec, "encode", recording)
    before, after = _scenario("third_party")
    before["memory"][0]["response"] = after["memory"][0]["response"] = Reply(text="x", tokens=1)
    assert str(StateDelta(before, after)).splitlines() == FROZEN["third_party/0"]
    assert len(encoded) == 2  # the two changed replies only


# -- the same changes as the whole-tree diff, on random edits of a small state -----------------
def _whole_tree_changes(before: Any, after: Any) -> list[tuple[str, str]]:
    """What the delta was before issue 16: deepdiff over the whole (comparable) states."""
    from deepdiff import DeepDiff

    from pytest_clearstone.diff import _KINDS, Change, _line, _path_key, comparable_view

    if before == after:  # equal states have no delta, even with 1 for 1.0 inside
        return []
    dd = DeepDiff(comparable_view(before), comparable_view(after), verbose_level=2, view="tree")
    return [
        (kind, _line(Change(level.path().rstrip(":"), kind, level.t1, level.t2), True))
        for kind in _KINDS
        # (in the order of the paths' steps, a list's indexes by number)
        for level in sorted(dd.get(kind, ()), key=lambda lv: _path_key(lv.path()))
    ]


def _retyped(value: Any) -> Any:
    """An equal value of another type (== cannot tell them apart, deepdiff can), else a
    changed one."""
    if type(value) is bool:
        return int(value)
    if type(value) is int:
        return float(value)
    if type(value) is float and value.is_integer():
        return int(value)
    if type(value) is dict:
        return {k: _retyped(v) for k, v in value.items()}
    if type(value) is list:
        return [_retyped(v) for v in value]
    return [value]


def _random_edit(rng: Any, state: Any) -> None:
    """One random edit somewhere in ``state``: a value, a type, a key, a list's length."""
    node: Any = state
    for _ in range(rng.randrange(1, 8)):
        children = list(node.items()) if type(node) is dict else list(enumerate(node))
        children = [(k, v) for k, v in children if type(v) in (dict, list)]
        if not children:
            break
        node = rng.choice(children)[1]
    if type(node) is dict:
        key = rng.choice(list(node)) if node else "k"
        edit = rng.randrange(7)
        if edit == 0:
            node[f"added{rng.randrange(100)}"] = rng.choice([1, "x", [1, 2], {"a": 1}])
        elif edit == 1 and node:
            del node[key]
        elif edit == 2:
            node[key] = rng.choice([None, 1.5, True, "text", (1, 2), {"z": 0}])
        elif edit == 3:
            node.clear()
            node.update({"other": 1, "keys": 2})
        elif edit == 4 and isinstance(node.get(key), str):
            node[key] = node[key].replace("o", "0", 1) + "\nand a line"
        elif edit == 5:
            node[key] = _retyped(node.get(key))
        else:
            node[key] = [node.get(key)]
    else:
        edit = rng.randrange(6)
        index = rng.randrange(len(node)) if node else 0
        if edit == 0:
            value = rng.choice([0.5, "new", {"n": 1}])
            # (an item inserted into a list not all of basic values is named as added where it
            # is, not every item after it as changed as the whole-tree diff does:
            # tests/unit/test_diff_shifted_items.py; here it is inserted where both agree)
            basic = all(type(v) in (str, int, float, bool, type(None)) for v in [*node, value])
            node.insert(index if basic else len(node), value)
        elif edit == 1 and node:
            basic = all(type(v) in (str, int, float, bool, type(None)) for v in node)
            node.pop(index if basic else -1)
        elif edit == 2 and node:
            node[index] = rng.choice([7, "seven", None, [7]])
        elif edit == 3:
            node.append({"appended": index})
        elif edit == 4 and node:
            node[index] = _retyped(node[index])
        else:
            node.reverse()


def test_random_edits_give_the_changes_of_the_whole_tree_diff() -> None:
    import random

    rng = random.Random(16)
    for case in range(30):
        before, after = big_state(12_000), big_state(12_000)
        for _ in range(rng.randrange(1, 5)):
            _random_edit(rng, after)
        delta = StateDelta(before, after, verbosity=2)
        expected = _whole_tree_changes(before, after)
        assert delta.lines == [line for _, line in expected], case


# -- corner cases: the same lines as the whole-tree diff gave ------------------------------------
class Key:
    """A dict key with no repr to read back: deepdiff has no path to it."""

    def __hash__(self) -> int:
        return 1

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Key)


def _corner_cases() -> dict[str, tuple[Any, Any]]:
    from collections import OrderedDict

    nan, other_nan, key = float("nan"), float("nan"), Key()
    many = {f"k{i}": {"v": i} for i in range(300)}
    return {
        # == cannot tell these apart; stored, they are the same NaN: no change
        "distinct_nans": ({"a": [nan, 1], "z": 1}, {"a": [other_nan, 1], "z": 2}),
        "the_same_nan": ({"a": [nan, 1], "z": 1}, {"a": [nan, 1], "z": 2}),
        "int_and_float_in_a_set": ({"s": {1, 2}, "z": 1}, {"s": {1.0, 2}, "z": 2}),
        "in_an_ordered_dict": (
            {"o": [OrderedDict(a=1)], "z": 1},
            {"o": [OrderedDict(a=1.0)], "z": 2},
        ),
        "ordered_dict_and_dict": ({"o": [OrderedDict(a=1)], "z": 1}, {"o": [{"a": 1}], "z": 2}),
        "deep_in_a_long_list": (
            {"l": [{"i": i} for i in range(500)], "z": 1},
            {"l": [{"i": float(i) if i == 300 else i} for i in range(500)], "z": 2},
        ),
        "minus_zero": ({"f": [0.0], "z": 1}, {"f": [-0.0], "z": 2}),
        "key_order": ({"d": {"a": 1, "b": 2}, "z": 1}, {"d": {"b": 2, "a": 1}, "z": 2}),
        # paths
        "tuples": ({"t": ((1, {"a": 1}), 2)}, {"t": ((1, {"a": 2}), 2)}),
        "keys_of_several_types": (
            {1: "a", "1": "b", (1, 2): {"x": 1}, None: 0, "it's": 1},
            {1: "a", "1": "c", (1, 2): {"x": 2}, None: 1, "it's": 2},
        ),
        "a_key_with_no_path": ({"d": {key: 1}, "z": 1}, {"d": {key: 2}, "z": 2}),
        # long lists and dicts, compared a run of items at a time
        "changes_in_several_runs": (
            {"l": [{"i": i} for i in range(500)]},
            {"l": [{"i": i if i % 97 else -i} for i in range(500)] + [{"i": 1}]},
        ),
        "many_keys": (many, {**many, "k250": {"v": 0}, "k3": {"v": 1.0}}),
        "many_keys_in_another_order": (
            many,
            dict(reversed([(k, {"v": 8} if k == "k7" else v) for k, v in many.items()])),
        ),
        "many_keys_and_one_added": (
            {f"k{i}": i for i in range(300)},
            {**{f"k{i}": i for i in range(1, 300)}, "new": 1, "k5": 6},
        ),
        "few_keys_in_common": ({"d": {"a": 1, "b": 2, "c": 3}}, {"d": {"a": 1, "x": 2, "y": 3}}),
        "objects_whose_eq_raises_in_a_long_list": (
            {"l": [Opaque(i) for i in range(200)]},
            {"l": [Opaque(-1 if i == 150 else i) for i in range(200)]},
        ),
        # lists deepdiff aligns as a whole, lists it pairs item by item
        "texts_aligned": ({"l": [1, 2, 3, 4]}, {"l": [1, 3, 4, 5]}),
        "basic_then_not": ({"l": [1, 2]}, {"l": [1, {"a": 2}]}),
        "empty_then_not": ({"l": []}, {"l": [{"a": 1}]}),
        # the top
        "scalars": (1, 2),
        "sets": ({1, 2}, {2, 3}),
        "none_and_a_dict": (None, {"a": 1}),
    }


#: the lines the whole-tree DeepDiff gave for each corner case before issue 16 (verbosity 2)
CORNERS: dict[str, list[str]] = {
    # (the whole-tree diff showed "root['a'][0]: nan -> nan" too: a NaN is no change now)
    "distinct_nans": ["root['z']: 1 -> 2"],
    "the_same_nan": ["root['z']: 1 -> 2"],
    "int_and_float_in_a_set": ["root['z']: 1 -> 2", "root['s']: added 1.0", "root['s']: removed 1"],
    "in_an_ordered_dict": ["root['o'][0]['a']: 1 (int) -> 1.0 (float)", "root['z']: 1 -> 2"],
    "ordered_dict_and_dict": [
        # (its repr changed in Python 3.12: OrderedDict({'a': 1}))
        f"root['o'][0]: {collections.OrderedDict(a=1)!r} (OrderedDict) -> {{'a': 1}} (dict)",
        "root['z']: 1 -> 2",
    ],
    "deep_in_a_long_list": ["root['l'][300]['i']: 300 (int) -> 300.0 (float)", "root['z']: 1 -> 2"],
    "minus_zero": ["root['z']: 1 -> 2"],
    "key_order": ["root['z']: 1 -> 2"],
    "tuples": ["root['t'][0][1]['a']: 1 -> 2"],
    "keys_of_several_types": [
        # (deepdiff wrote the tuple key (1, 2) as root[1][2]: the path of d[1][2], and d[1] is
        # another key of this state; it is named as the one key it is now)
        'root["it\'s"]: 1 -> 2',
        "root['1']: 'b' -> 'c'",
        "root[(1, 2)]['x']: 1 -> 2",
        "root[None]: 0 -> 1",
    ],
    "a_key_with_no_path": ["root['d'][<tests.unit.test_diff.Key>]: 1 -> 2", "root['z']: 1 -> 2"],
    "changes_in_several_runs": [
        "root['l'][97]['i']: 97 -> -97",
        "root['l'][194]['i']: 194 -> -194",
        "root['l'][291]['i']: 291 -> -291",
        "root['l'][388]['i']: 388 -> -388",
        "root['l'][485]['i']: 485 -> -485",
        "root['l'][500]: added {'i': 1}",
    ],
    "many_keys": ["root['k3']['v']: 3 (int) -> 1.0 (float)", "root['k250']['v']: 250 -> 0"],
    "many_keys_in_another_order": ["root['k7']['v']: 7 -> 8"],
    "many_keys_and_one_added": [
        "root['k5']: 5 -> 6",
        "root['new']: added 1",
        "root['k0']: removed 0",
    ],
    "few_keys_in_common": ["root['d']: {'a': 1, 'b': 2, 'c': 3} -> {'a': 1, 'x': 2, 'y': 3}"],
    "objects_whose_eq_raises_in_a_long_list": ["root['l'][150].v: 150 -> -1"],
    "texts_aligned": ["root['l'][3]: added 5", "root['l'][1]: removed 2"],
    "basic_then_not": ["root['l'][1]: 2 (int) -> {'a': 2} (dict)"],
    "empty_then_not": ["root['l'][0]: added {'a': 1}"],
    "scalars": ["root: 1 -> 2"],
    "sets": ["root: added 3", "root: removed 1"],
    "none_and_a_dict": ["root: None (NoneType) -> {'a': 1} (dict)"],
}


@pytest.mark.parametrize("name", list(CORNERS))
def test_corner_cases_get_the_lines_of_the_whole_tree_diff(name: str) -> None:
    before, after = _corner_cases()[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the codec's note on a key stored by its repr
        assert StateDelta(before, after, verbosity=2).lines == CORNERS[name]


def test_the_diff_deeper_threshold_is_deepdiffs_own_even_when_deepdiff_is_wrapped(
    deepdiff_calls: list[tuple[Any, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A wrapped ``deepdiff.DeepDiff`` (as the fixture above, or a user's spy) has no
    ``threshold_to_diff_deeper`` in its signature: the threshold still comes from deepdiff."""
    from deepdiff.diff import DeepDiff

    from pytest_clearstone import diff

    monkeypatch.setattr(diff, "_threshold", None)  # as in a process that has not asked yet
    default = inspect.signature(DeepDiff).parameters["threshold_to_diff_deeper"].default
    assert diff._diff_deeper_threshold() == float(default) > 0


def test_nan_against_nan_is_no_change_at_any_depth() -> None:
    # Expected: a state holding NaN compares equal to itself recorded (it printed
    # "root['best']: nan -> nan" and failed every replay).
    def state() -> dict[str, Any]:
        return {"best": float("nan"), "scores": [0.5, float("nan")], "deep": {"x": (float("nan"),)}}

    assert not StateDelta(state(), state())
    assert str(StateDelta(state(), state())) == "(no differences)"
    changed = state()
    changed["scores"][1] = 0.25
    assert list(StateDelta(state(), changed)) == ["root['scores'][1]: nan -> 0.25"]


def test_a_decimal_or_complex_nan_against_itself_is_no_change() -> None:
    # Expected, as for a float NaN; before, "root['price']: Decimal('NaN') -> Decimal('NaN')"
    from decimal import Decimal

    def state() -> dict[str, Any]:
        return {"price": Decimal("NaN"), "z": complex("nan"), "n": 1}

    assert not StateDelta(state(), state())
    changed = state()
    changed["n"] = 2
    assert list(StateDelta(state(), changed)) == ["root['n']: 1 -> 2"]


# -- two different texts or numbers: named without deepdiff, as deepdiff names them ----------
_SCALARS = [0, 1, -1, 2**70, True, False, 0.0, -0.0, 1.0, 1.5, float("nan"), float("inf")]
_SCALARS += ["", "a", "1", "two\nlines", "it's", 'say "hi"', "é\\", b"", b"a", b"\xff", None]


def test_two_different_texts_or_numbers_get_the_lines_deepdiff_gives() -> None:
    from deepdiff import DeepDiff

    from pytest_clearstone.diff import _KINDS, Change, _line

    for a in _SCALARS:
        for b in _SCALARS:
            before, after = {"k": [{"v": a}], "z": 1}, {"k": [{"v": b}], "z": 2}
            dd = DeepDiff(before, after, verbose_level=2, view="tree", ignore_nan_inequality=True)
            expected = [
                _line(Change(level.path(), kind, level.t1, level.t2), True)
                for kind in _KINDS
                for level in sorted(dd.get(kind, ()), key=lambda level: level.path())
            ]
            assert StateDelta(before, after, verbosity=2).lines == expected, (a, b)


def test_the_paths_of_text_keys_are_written_as_deepdiff_writes_them() -> None:
    from deepdiff import DeepDiff

    for key in ["plain", "it's", 'say "hi"', "both ' and \"", "back\\slash", "new\nline", "é", ""]:
        dd = DeepDiff({key: [1, {"v": 1}]}, {key: [1, {"v": 2}]}, view="tree")
        (level,) = dd["values_changed"]
        delta = StateDelta({key: [1, {"v": 1}]}, {key: [1, {"v": 2}]})
        assert [change.path for change in delta.changes] == [level.path()], key
        # (shown with a line break escaped: one line; see test_properties_delta.py)
        shown = level.path().replace("\n", "\\n")
        assert list(delta) == [f"{shown}: 1 -> 2"], key


def test_many_changed_texts_never_reach_deepdiff(deepdiff_calls: list[Any]) -> None:
    # Expected: 50,000 changed turns took ~2 s (deepdiff, one walk and path per change).
    before = {"history": [{"role": "user", "text": f"turn {i}"} for i in range(5000)]}
    after = {"history": [{"role": "user", "text": f"turn {i}!"} for i in range(5000)]}
    delta = StateDelta(before, after, verbosity=0)
    assert len(delta) == 5000
    assert delta.lines[0] == "root['history'][0]['text']: 'turn 0' -> 'turn 0!'"
    assert delta.lines[39] == "root['history'][39]['text']: 'turn 39' -> 'turn 39!'"
    assert delta.lines[40].startswith("... and 4,960 more changes under root['history'] (")
    assert deepdiff_calls == []


# -- values of client libraries: their fields by name, never the codec's tags ------------------
try:
    import attrs
    import pydantic.v1
    from pydantic import Field
except ImportError:  # pragma: no cover - pydantic and attrs are test dependencies
    attrs = None  # type: ignore[assignment]
else:

    class Answer(BaseModel):  # type: ignore[misc]
        text: str
        score: int

    class OtherAnswer(BaseModel):  # type: ignore[misc]
        text: str
        score: int

    class AnswerV1(pydantic.v1.BaseModel):  # type: ignore[misc]
        text: str
        score: int

    @attrs.define
    class AnswerAttrs:
        text: str
        score: int

    class Loose(BaseModel):  # type: ignore[misc]
        model_config = pydantic.ConfigDict(extra="allow")
        text: str
        pair: tuple[str, str] = ("a", "b")
        when: dt.date = dt.date(2025, 1, 1)

    class Verdict(BaseModel):  # type: ignore[misc]
        verdict: str = Field(description="yes or no, lower case")


class AnswerTuple(NamedTuple):
    text: str
    score: int


@dataclasses.dataclass
class AnswerData:
    text: str
    score: int


MODELS = ["Answer", "AnswerV1", "AnswerAttrs", "AnswerTuple", "AnswerData"]


def _stored(value: Any) -> Any:
    from pytest_clearstone import codec

    return codec.encode(value, allow_pickle=False)


@pytest.mark.skipif(attrs is None, reason="pydantic and attrs are test dependencies")
@pytest.mark.parametrize("stored", [False, True], ids=["live", "stored"])
@pytest.mark.parametrize("model", MODELS)
def test_the_fields_of_a_model_are_named_like_attributes(model: str, stored: bool) -> None:
    # Expected: root['r'][0].score, as for a live dataclass; pydantic, attrs and named tuples
    # (and any model compared by its stored form) showed the codec's "v": root['r'][0]['v']['score']
    cls = globals()[model]
    before, after = {"r": [cls(text="a", score=1)]}, {"r": [cls(text="a", score=2)]}
    if stored:
        before, after = _stored(before), _stored(after)
    assert StateDelta(before, after).lines == ["root['r'][0].score: 1 -> 2"]
    assert StateDelta(before["r"][0], after["r"][0]).lines == ["root.score: 1 -> 2"]


@pytest.mark.skipif(attrs is None, reason="pydantic and attrs are test dependencies")
@pytest.mark.parametrize("stored", [False, True], ids=["live", "stored"])
def test_no_path_shows_the_tags_of_the_stored_form(stored: bool) -> None:
    base = Loose(text="a")
    changed = Loose(text="a", pair=("a", "c"), when=dt.date(2025, 1, 2), mood="calm")
    before, after = {"m": base, "t": (1, 2)}, {"m": changed, "t": (1, 3)}
    if stored:
        before, after = _stored(before), _stored(after)
    lines = StateDelta(before, after).lines
    assert lines == [
        "root['m'].model_fields_set: ['text'] -> ['mood', 'pair', 'text', 'when']",
        "root['m'].pair[1]: 'b' -> 'c'",
        "root['m'].when: datetime.date(2025, 1, 1) -> datetime.date(2025, 1, 2)",
        "root['t'][1]: 2 -> 3",
        "root['m'].mood: added 'calm'",
    ]
    assert not any(tag in line for line in lines for tag in ("['v']", "__cs__", "['cls']"))


@pytest.mark.skipif(attrs is None, reason="pydantic and attrs are test dependencies")
@pytest.mark.parametrize("stored", [False, True], ids=["live", "stored"])
def test_a_model_of_another_class_is_a_type_change_and_an_added_one_shows_its_fields(
    stored: bool,
) -> None:
    before = {"r": [Answer(text="a", score=1)]}
    after = {"r": [OtherAnswer(text="a", score=1), Answer(text="b", score=2)]}
    if stored:
        before, after = _stored(before), _stored(after)
    assert StateDelta(before, after).lines == [
        "root['r'][0]: Answer(text='a', score=1) (Answer) -> "
        "OtherAnswer(text='a', score=1) (OtherAnswer)",
        "root['r'][1]: added Answer(text='b', score=2)",
    ]


def test_the_settings_of_an_sdk_client_are_named_like_attributes() -> None:
    openai = pytest.importorskip("openai")
    before = openai.OpenAI(api_key="sk-test", base_url="https://x.test/v1", max_retries=0)
    after = before.with_options(max_retries=2)
    for a, b in [(before, after), (_stored(before), _stored(after))]:
        assert StateDelta({"self": {"client": a}}, {"self": {"client": b}}).lines == [
            "root['self']['client'].max_retries: 0 -> 2"
        ]
    resource_lines = StateDelta(
        {"self": before.chat.completions}, {"self": after.chat.completions}
    ).lines
    assert resource_lines == ["root['self'].client.max_retries: 0 -> 2"]


def _stale_verdict(description: str) -> Any:
    """``Verdict`` read back from a golden recorded when its field had ``description``."""
    from pytest_clearstone import codec

    tree = _stored(Verdict)
    tree["schema"]["properties"]["verdict"]["description"] = description
    return codec.decode(tree)


@pytest.mark.skipif(attrs is None, reason="pydantic is a test dependency")
def test_a_changed_model_schema_names_the_class_and_both_values_in_full() -> None:
    # Expected: both descriptions; it was "<Verdict of another JSON schema: properties.verdict.
    # description: 'yes or no' -> ... (ChangedModelClass) -> <class '...Verdict'> (ModelMetaclass)"
    recorded = _stale_verdict("yes or no")
    expected = (
        f"root['response_format']: the JSON schema of {__name__}.Verdict changed: "
        "properties.verdict.description: 'yes or no' -> 'yes or no, lower case'"
    )
    live = StateDelta({"response_format": recorded}, {"response_format": Verdict})
    assert live.lines == [expected]
    assert str(live) == expected
    stored = StateDelta(
        _stored({"response_format": recorded}), _stored({"response_format": Verdict})
    )
    assert stored.lines == [expected]


@pytest.mark.skipif(attrs is None, reason="pydantic is a test dependency")
def test_a_model_schema_whose_list_changed_length_names_both_lists() -> None:
    # (a field removed since the recording: the schema's "required" list is shorter now)
    from pytest_clearstone import codec

    tree = _stored(Verdict)
    tree["schema"]["required"] = ["verdict", "reason"]
    recorded = codec.decode(tree)
    assert repr(recorded) == (
        "<Verdict of another JSON schema: required: ['verdict', 'reason'] -> ['verdict']>"
    )


def _nested(depth: int, leaf: Any) -> Any:
    value: Any = {"leaf": leaf, "note": "same " * 20}
    for i in range(depth):
        value = {"plan": value} if i % 2 else [value]
    return value


def test_a_path_through_hundreds_of_levels_is_shown_with_its_middle_left_out() -> None:
    # a value nested 1,500 levels deep changed at its leaf: the delta's one line was ~9 KB of
    # ['plan'][0]['plan'][0]... before its old and new values
    before, after = _nested(1_500, "draft"), _nested(1_500, "sent")
    delta = StateDelta(before, after)
    (line,) = str(delta).splitlines()
    assert len(line) < 400
    assert line.startswith("root['plan'][0]['plan'][0]['plan'][0]…")
    assert line.endswith("['leaf']: 'draft' -> 'sent' (-vv shows the whole path)")
    assert "…(1494 more)…" in line
    (change,) = delta.changes  # the change itself keeps its whole path
    assert change.path.count("['plan']") == 750


def test_a_long_text_changed_deep_down_has_a_short_heading() -> None:
    prompt = "line\n" * 40
    before, after = _nested(600, prompt), _nested(600, prompt.replace("line\n", "LINE\n", 1))
    heading = str(StateDelta(before, after)).splitlines()[0]
    assert len(heading) < 400
    assert heading.endswith(
        "['leaf']: text differs (- before, + after) (-vv shows the whole path):"
    )


def test_the_changes_left_out_deep_down_are_summed_up_under_a_short_path() -> None:
    before = _nested(600, [f"step {i}" for i in range(60)])
    after = _nested(600, [f"step {i}!" for i in range(60)])
    last = str(StateDelta(before, after)).splitlines()[-1]
    assert last.startswith("... and 20 more changes under root['plan'][0]['plan'][0]")
    assert last.endswith("…['leaf'] (-vv shows all)")
    assert len(last) < 300


def test_under_vv_a_long_path_is_shown_whole(verbosity: Any) -> None:
    restore = verbosity(2)
    try:
        before, after = _nested(1_500, "draft"), _nested(1_500, "sent")
        (line,) = str(StateDelta(before, after)).splitlines()
    finally:
        restore()
    assert line.count("['plan']") == 750 and "more)…" not in line


@pytest.mark.parametrize(
    ("before", "after", "moved"),
    [
        ({"p": "tags: a, b, c"}, {"p": "tags: c, a, b"}, True),
        ({"tags": ["a", "b", "c", "d"]}, {"tags": ["b", "c", "d", "a"]}, True),
        ({"t": [{"x": 1}, {"y": 2}]}, {"t": [{"y": 2}, {"x": 1}]}, True),
        ({"p": "tags: a, b, c"}, {"p": "tags: a, b, d"}, False),
        ({"p": "a b", "n": 1}, {"p": "b a", "n": 2}, False),
        ({"tags": ["a", "b"]}, {"tags": ["b", "c"]}, False),
        ({"tags": ["a", "b"]}, {"tags": ["a", "b", "c"]}, False),
        ({"p": "a, b"}, {"p": "a,  b"}, False),  # (the same words in the same order)
    ],
)
def test_only_reordered_tells_moved_items_from_changed_ones(
    before: Any, after: Any, moved: bool
) -> None:
    from pytest_clearstone.diff import only_reordered

    assert only_reordered(StateDelta(before, after).changes) is moved


@pytest.mark.parametrize(
    ("before", "after", "kind"),
    [
        ({"p": "id 7783a4c161e555f2"}, {"p": "id e6158cdb6c3e21e2"}, "ids"),
        (
            {"p": "s b899cd01-fc0e-cbf4-29e4-6cee3db3582a"},
            {"p": "s 907fbe90-0bcf-9ecf-707c-74e730f231d2"},
            "ids",
        ),
        ({"p": "at 2026-12-04T14:42:17.48 ok"}, {"p": "at 2026-12-04T14:42:18.66 ok"}, "times"),
        ({"at": 1796395337.482607}, {"at": 1796395338.66612}, "times"),
        ({"p": "Fri Dec  4 14:18:16 2026"}, {"p": "Fri Dec  4 14:18:19 2026"}, "times"),
        ({"p": "ticket 0000000000000001"}, {"p": "ticket 0000000000000002"}, ""),
        ({"p": "id 7783a4c161e555f2 a"}, {"p": "id e6158cdb6c3e21e2 b"}, ""),
        ({"n": 3}, {"n": 4}, ""),
        ({"p": "on 2024-01-01"}, {"p": "on 2024-01-02"}, ""),
        (
            {"p": "id 7783a4c161e5", "at": 1796395337.5},
            {"p": "id e6158cdb6c3e", "at": 1.7e9},
            "ids times",
        ),
        ({"p": "id 7783a4c161e5", "n": 1}, {"p": "id e6158cdb6c3e", "n": 2}, ""),
        # os.urandom(4).hex(): 8 hex digits, also where one of them holds no letter
        ({"p": "req 0617ddc2"}, {"p": "req 4e7fc28d"}, "ids"),
        ({"request_id": "3f0a91c4"}, {"request_id": "60412385"}, "ids"),
        ({"p": "code deadbeef"}, {"p": "code cafebabe"}, ""),  # (hex letters: words)
        ({"p": "order 20261204"}, {"p": "order 20261205"}, ""),  # (digits: a number)
        ({"p": "n 12345678"}, {"p": "n 87654321"}, ""),
        ({"p": "req 0000002a"}, {"p": "req 0000002b"}, ""),  # (a counter, not random)
        ({"p": "ticket 0000000000001234"}, {"p": "ticket 0000000000001235"}, ""),  # (5 digits)
        ({"p": "ticket 0000000000000001"}, {"p": "ticket e6158cdb6c3e21e2"}, ""),  # (an id now)
        ({"p": "id 7783a4c161e555f2"}, {"p": "id e6158cdb6c3e21e2a9"}, ""),  # (longer: another)
        ({"at": 1796395337}, {"at": 1796395338}, "times"),  # int(time.time())
        # datetime.now() kept as a datetime, as an agent stamps its log, naive or aware
        (
            {"at": dt.datetime(2026, 12, 7, 1, 40, 19, 208862)},
            {"at": dt.datetime(2026, 12, 7, 1, 40, 18, 780977)},
            "times",
        ),
        (
            {"at": dt.datetime(2026, 12, 7, 1, 40, 19, tzinfo=dt.timezone.utc)},
            {"at": dt.datetime(2026, 12, 7, 1, 40, 18, tzinfo=dt.timezone.utc)},
            "times",
        ),
        ({"at": dt.datetime(2026, 12, 7, 1, 40, 19)}, {"at": "2026-12-07T01:40:19"}, ""),
        # secrets.token_urlsafe(12), a ULID: tokens of letters and digits drawn anew
        ({"p": "tok Xb3_k9QpLm-2aZ7w"}, {"p": "tok 9fQ-aL2mZx_Pq7Rt"}, "ids"),
        ({"id": "01JEH6Q3ZK8VXW4T2R9M5N7B1C"}, {"id": "01JEH7A9PD3FQ6Y8S2W4K1X5GT"}, "ids"),
        # a model's version or a tool's name edited: no id, though as long as one
        ({"model": "claude-sonnet-5-5"}, {"model": "claude-sonnet-5-6"}, ""),
        ({"model": "claude-3-5-sonnet-20240620"}, {"model": "claude-3-5-sonnet-20241022"}, ""),
        ({"name": "search_documents"}, {"name": "search_knowledge"}, ""),
        ({"p": "tok Xb3_k9QpLm-2aZ7w"}, {"p": "tok search_documents"}, ""),  # (words now)
        ({"p": "tok Xb3_k9QpLm-2aZ7w"}, {"p": "tok Xb3_k9QpLm9fQ-aL"}, "ids"),  # (6 places)
        ({"at": 1796395337}, {"at": 1796395338.66}, "times"),  # (an int, then a float)
        # numbers an unseeded generator drew (numpy.random, random.SystemRandom): fractions
        # with all their digits, in a text or as a value, even as long
        ({"p": "nonce 0.8461789553602733"}, {"p": "nonce 0.30699651452686105"}, "numbers"),
        ({"p": "x 0.17529258232270128"}, {"p": "x 0.09097628060276064"}, "numbers"),
        ({"score": 0.40766551285308206}, {"score": 0.1403889677779928}, "numbers"),
        ({"p": "temperature 0.5"}, {"p": "temperature 0.25"}, ""),  # (a setting edited)
        # the digits after a number's decimal point are its fraction, not an id: a changed
        # total, in a text or as a value; hex digits after a point are an id still
        ({"p": "total 10.8461789553602733"}, {"p": "total 10.3069965145268610"}, ""),
        ({"total": 10.846178955360273}, {"total": 10.306996514526861}, ""),
        ({"p": "run 3.7783a4c161e555f2"}, {"p": "run 3.e6158cdb6c3e21e2"}, "ids"),
        ({"p": "req.1234567890123456"}, {"p": "req.6543210987654321"}, "ids"),
        (
            {"p": "total 1.5 id 7783a4c1-61e5-45f2-8a1b-0c9d2e3f4a5b"},
            {"p": "total 1.5 id e6158cdb-6c3e-41e2-9b0a-1f2e3d4c5b6a"},
            "ids",
        ),
        ({"score": 0.5}, {"score": 0.75}, ""),
        ({"score": 0.40766551285308206}, {"score": 1.40766551285308206}, ""),
        # a digest in a field that holds media in base64 is an id, not another image
        ({"data": "7783a4c161e555f2"}, {"data": "e6158cdb6c3e21e2"}, "ids"),
        # default reprs, whose addresses differ in length from process to process
        (
            {"p": "tools: [<app.Tool object at 0x7f6cda679b50>]"},
            {"p": "tools: [<app.Tool object at 0x10b2c3d40>]"},
            "addresses",
        ),
        (
            {"p": "use <function search at 0x7f6cda679b50> now"},
            {"p": "use <function search at 0x7f11e899bdf0> later"},
            "",
        ),
    ],
)
def test_volatile_kind_tells_random_ids_and_clock_readings_from_changes(
    before: Any, after: Any, kind: str
) -> None:
    from pytest_clearstone.diff import volatile_kinds

    assert volatile_kinds(StateDelta(before, after).changes) == set(kind.split())


def test_volatile_kind_tells_readings_of_the_real_clocks_taken_since_the_replay_began() -> None:
    """time.monotonic() and perf_counter() stay real: a number the agent wrote between the
    replay's start and now is one of their readings (seconds with a fraction, or nanoseconds),
    and one from before, a duration or another number is not."""
    import time

    from pytest_clearstone.diff import volatile_kinds
    from pytest_clearstone.real_clocks import real_clock_readings

    since = real_clock_readings()
    reading, nanoseconds = time.monotonic(), time.perf_counter_ns()

    def kinds(before: Any, after: Any) -> set[str]:
        return volatile_kinds(StateDelta(before, after).changes, since)

    assert kinds({"at": 12.5}, {"at": reading}) == {"times"}
    assert kinds({"p": "t 12.500 ok"}, {"p": f"t {reading:.3f} ok"}) == {"times"}
    assert kinds({"p": "t 1250000000"}, {"p": f"t {nanoseconds}"}) == {"times"}
    assert kinds({"p": "t 12.5 a"}, {"p": f"t {reading:.3f} b"}) == set()
    assert kinds({"p": "took 0.5s"}, {"p": "took 0.25s"}) == set()  # (a duration)
    assert kinds({"p": f"t {reading:.3f}"}, {"p": f"t {since[0] - 60:.3f}"}) == set()
    assert kinds({"n": 12}, {"n": int(reading)}) == set()  # (an integer is no seconds' reading)
    assert volatile_kinds(StateDelta({"at": 12.5}, {"at": reading}).changes) == set()


def test_a_real_clocks_reading_rounded_up_where_it_was_written_is_a_clock_reading() -> None:
    """An agent that writes round(loop.time(), 1) or f"{time.monotonic():.0f}" writes a reading
    up to a second later than the one it took: a failure explained at once (a fast replay) came
    before it, and the number was told as no reading (a flaky test of this, too)."""
    import math
    import time

    from pytest_clearstone.diff import volatile_kinds
    from pytest_clearstone.real_clocks import real_clock_readings

    since = real_clock_readings()
    rounded_up = f"{time.monotonic() + 0.9:.1f}"  # (later than now: the reading rounded up)
    delta = StateDelta({"p": "t 12.5 ok"}, {"p": f"t {rounded_up} ok"})
    assert volatile_kinds(delta.changes, since) == {"times"}
    rounded_down = f"{math.floor(since[0])}.0"  # (read as the replay began, rounded down)
    delta = StateDelta({"p": "t 12.5 ok"}, {"p": f"t {rounded_down} ok"})
    assert volatile_kinds(delta.changes, since) == {"times"}
    later = f"{time.monotonic() + 5:.1f}"  # (no reading: one not taken yet)
    assert volatile_kinds(StateDelta({"p": "t 12.5"}, {"p": f"t {later}"}).changes, since) == set()


def test_readings_of_either_real_clock_are_told_where_the_two_clocks_differ(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """On Linux time.monotonic() and time.perf_counter() read one clock; where they are two
    (Windows: GetTickCount64 and QueryPerformanceCounter) a reading of each is told as one,
    and a number near neither is not."""
    import time

    from pytest_clearstone.diff import volatile_kinds
    from pytest_clearstone.real_clocks import real_clock_readings

    monotonic, perf_counter = time.monotonic, time.perf_counter
    monkeypatch.setattr(time, "monotonic", lambda: monotonic() + 100_000)
    monkeypatch.setattr(time, "perf_counter", lambda: perf_counter() + 300_000)
    since = real_clock_readings()

    def kinds(written: float) -> set[str]:
        delta = StateDelta({"p": "t 12.500 ok"}, {"p": f"t {written:.3f} ok"})
        return volatile_kinds(delta.changes, since)

    assert kinds(time.monotonic()) == {"times"}
    assert kinds(time.perf_counter()) == {"times"}
    assert kinds(time.monotonic() + 100_000) == set()  # (near neither clock)


def test_random_ids_the_golden_holds_elsewhere_are_told_as_drawn_in_another_order() -> None:
    from pytest_clearstone.diff import unstable_cause
    from pytest_clearstone.errors import IDS_DRAWN_IN_ANOTHER_ORDER, IDS_ONLY

    one, other = "7783a4c1-61e5-45f2-8a1b-0c9d2e3f4a5b", "e6158cdb-6c3e-41e2-9b0a-1f2e3d4c5b6a"
    delta = StateDelta({"p": f"b {one}"}, {"p": f"b {other}"})
    golden = f'{{"a": "a {other}", "b": "b {one}"}}'
    assert unstable_cause(delta, recorded_text=golden.__contains__) == IDS_DRAWN_IN_ANOTHER_ORDER
    assert unstable_cause(delta, recorded_text="".__contains__) == IDS_ONLY  # (new ids)
    assert unstable_cause(delta) == IDS_ONLY
    # one of two ids drawn anew: not all of them the seeded streams' in another order
    anew = "0f1e2d3c-4b5a-4697-8877-665544332211"
    two = StateDelta({"p": f"b {one}", "q": f"q {one}"}, {"p": f"b {other}", "q": f"q {anew}"})
    assert unstable_cause(two, recorded_text=golden.__contains__) == IDS_ONLY


@pytest.mark.parametrize(
    ("before", "after", "told"),
    [
        ("files in /tmp/tmp6ojuhozh: hi", "files in /tmp/tmp8352d89b: hi", True),
        ("read /tmp/agent-k2_x9q0a/out.json", "read C:\\Temp\\agent-p7ywm31c/out.json", False),
        ("read /tmp/agent-k2_x9q0a/out.json", "read /tmp/agent-p7ywm31c/out.json", True),
        ("/tmp/tmpab12cd34.json", "/tmp/tmpzz98yx76.json", True),
        ("/tmp/report_2024.csv", "/tmp/report_2025.csv", False),  # (a changed file)
        ("/tmp/summaries.csv", "/tmp/sentiment.csv", False),  # (another file)
        ("/tmp/run_0012.log", "/tmp/run_0047.log", False),  # (a counter in the name)
        ("/data/tmp6ojuhozh", "/data/tmp8352d89b", False),  # (not in the temporary directory)
        ("/tmp/tmp6ojuhozh a", "/tmp/tmp8352d89b b", False),
    ],
)
def test_names_tempfile_gave_are_told_where_only_they_differ(
    before: str, after: str, told: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    import tempfile

    from pytest_clearstone.diff import unstable_cause
    from pytest_clearstone.errors import TEMPORARY_NAMES_ONLY

    monkeypatch.setattr(tempfile, "tempdir", "/tmp")
    cause = unstable_cause(StateDelta({"prompt": before}, {"prompt": after}))
    assert (cause == TEMPORARY_NAMES_ONLY) is told


def test_number_ids_the_golden_does_not_hold_are_not_told_as_drawn_in_another_order() -> None:
    from pytest_clearstone.diff import unstable_cause
    from pytest_clearstone.errors import IDS_ONLY

    delta = StateDelta({"request": 123456789012}, {"request": 987654321098})
    assert unstable_cause(delta, recorded_text="".__contains__) == IDS_ONLY


def test_records_a_list_holds_in_another_order_are_told_as_order_only() -> None:
    """Pairs the agent built from a set come in another order: the delta compares their fields
    place by place (a -> b, 1 -> 2), which no text's words explain; the pairs are the same."""
    from pytest_clearstone.diff import unstable_cause
    from pytest_clearstone.errors import ORDER_ONLY

    before = {"pairs": (("a", 1), ("b", 2)), "model": "m"}
    after = {"pairs": (("b", 2), ("a", 1)), "model": "m"}
    assert unstable_cause(StateDelta(before, after)) == ORDER_ONLY
    after = {"pairs": (("b", 2), ("a", 3)), "model": "m"}
    assert unstable_cause(StateDelta(before, after)) == ""
    assert unstable_cause(StateDelta(before, dict(before))) == ""  # (nothing moved)


@pytest.mark.parametrize(
    ("recorded", "replayed", "cause"),
    [
        ("[REDACTED]", None, "SECRETS_UNSET"),
        ("[REDACTED]", "", "SECRETS_UNSET"),
        ("a\r\nb\r\n", "a\nb\n", "LINE_BREAKS_ONLY"),
        ("at 2026-12-05 09:08 +0100", "at 2026-12-05 08:08 +0000", "ZONES_ONLY"),
        ("in /tmp/tmp6ojuhozh", "in /tmp/tmp8352d89b", "TEMPORARY_NAMES_ONLY"),
    ],
)
def test_a_cause_is_told_only_when_every_change_is_of_its_kind(
    recorded: Any, replayed: Any, cause: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A change of its kind beside a change of the agent's: the failure must not advise that
    nothing but the secret, the line breaks, the zone or the temporary names differ."""
    import tempfile

    from pytest_clearstone import errors
    from pytest_clearstone.codec.withheld import PLACEHOLDER
    from pytest_clearstone.diff import unstable_cause

    monkeypatch.setattr(tempfile, "tempdir", "/tmp")
    recorded = PLACEHOLDER if recorded == "[REDACTED]" else recorded
    told = getattr(errors, cause)
    assert unstable_cause(StateDelta({"v": recorded}, {"v": replayed})) == told
    mixed = StateDelta({"v": recorded, "answer": "yes"}, {"v": replayed, "answer": "no"})
    assert unstable_cause(mixed) == ""


def test_one_instant_written_another_way_at_the_same_offset_is_no_zone_change() -> None:
    from pytest_clearstone.diff import unstable_cause
    from pytest_clearstone.errors import ZONES_ONLY

    delta = StateDelta({"p": "at 2026-12-05T08:08Z"}, {"p": "at 2026-12-05T08:08+00:00"})
    assert unstable_cause(delta) != ZONES_ONLY


_RECORDED_TRACEBACK = """the code failed:
Traceback (most recent call last):
  File "/home/dev/app.py", line 11, in agent
    return llm(f"result: {run_code(code)}")
  File "/home/dev/app.py", line 4, in run_code
    return eval(code)
ZeroDivisionError: division by zero
"""
_REPLAYED_TRACEBACK = """the code failed:
Traceback (most recent call last):
  File "/home/dev/app.py", line 11, in agent
    return llm(f"result: {run_code(code)}")
  File "/site-packages/pytest_clearstone/golden/responses.py", line 559, in __call__
    raise replayed_error(self.error, self.allow_pickle)
ZeroDivisionError: division by zero
"""


def test_a_text_whose_traceback_frames_only_differ_is_told_as_such() -> None:
    from pytest_clearstone.diff import unstable_cause
    from pytest_clearstone.errors import TRACEBACKS_ONLY

    delta = StateDelta({"prompt": _RECORDED_TRACEBACK}, {"prompt": _REPLAYED_TRACEBACK})
    assert unstable_cause(delta) == TRACEBACKS_ONLY
    # (another error, or another text around the traceback, is a change of the agent)
    for other in (
        _REPLAYED_TRACEBACK.replace("division by zero", "integer modulo by zero"),
        _REPLAYED_TRACEBACK.replace("the code failed", "the code broke"),
    ):
        delta = StateDelta({"prompt": _RECORDED_TRACEBACK}, {"prompt": other})
        assert unstable_cause(delta) != TRACEBACKS_ONLY


def test_a_tuple_key_is_named_as_one_key_not_as_nested_indexes() -> None:
    # deepdiff writes a tuple key (1, 2) as [1][2], the path of d[1][2]: a cache keyed by
    # (model, prompt) then named a place the state does not have
    before = {"cache": {(1, 2): "x", 1: {2: "y"}}, "seen": {("gpt", "hi"): 1}}
    after = {"cache": {(1, 2): "X", 1: {2: "Y"}}, "seen": {("gpt", "hi"): 2, ("a",): 3}}
    assert StateDelta(before, after).lines == [
        "root['cache'][1][2]: 'y' -> 'Y'",
        "root['cache'][(1, 2)]: 'x' -> 'X'",
        "root['seen'][('gpt', 'hi')]: 1 -> 2",
        "root['seen'][('a',)]: added 3",
    ]
    nested = StateDelta({"a": {(1, 2): {"q": 1}}}, {"a": {(1, 2): {"q": 2}}})
    assert nested.lines == ["root['a'][(1, 2)]['q']: 1 -> 2"]


def test_a_directory_of_the_run_in_place_of_the_recordings_is_named_with_its_root(
    tmp_path: Any,
) -> None:
    from pytest_clearstone.diff import moved_directory
    from pytest_clearstone.path_roots import PathRoots, use_roots

    checkout = str(tmp_path / "ci checkout")
    restore = use_roots(PathRoots(rootdir=checkout))
    try:

        def moved(old: str, new: str) -> tuple[str, str, str] | None:
            return moved_directory(StateDelta({"p": old}, {"p": new}).changes)

        here = f"read {checkout}/a.txt and {checkout}/b.txt"
        recorded = r"C:\Users\ana\proj"
        windows = f"read {recorded}/a.txt and {recorded}/b.txt"
        assert moved(windows, here) == (recorded, checkout, "rootdir")
        assert moved("read /home/ana/p/a.txt and /home/ana/q/b.txt", here) is None
        assert moved("read proj/a.txt and proj/b.txt", here) is None  # (not absolute)
        assert moved("read /x/a.txt", f"read {checkout}/c.txt") is None  # (the file too)
        assert moved("read /x/a.txt", "read /y/a.txt") is None  # (no root of this run)
        assert moved("read /x\n/y/a.txt", f"read {checkout}/a.txt") is None  # (two lines)
    finally:
        restore()


def test_a_directory_of_the_run_under_any_of_its_roots_is_named_not_only_the_longest(
    tmp_path: Any,
) -> None:
    # a session has several roots (its base temp, longer here, its rootdir, the home): a
    # checkout's directory in place of the recording's is named though it is not the longest
    from pytest_clearstone.diff import moved_directory
    from pytest_clearstone.path_roots import PathRoots, use_roots

    checkout = str(tmp_path / "w")
    basetemp = str(tmp_path / "pytest-of-runner" / "pytest-12")
    restore = use_roots(PathRoots(basetemp=basetemp, rootdir=checkout))
    try:
        changes = StateDelta({"p": "read /srv/ci/a.txt"}, {"p": f"read {checkout}/a.txt"}).changes
        assert moved_directory(changes) == ("/srv/ci", checkout, "rootdir")
    finally:
        restore()


def test_the_one_change_left_out_is_summed_up_as_one() -> None:
    before = {"steps": {f"s{n:02d}": n for n in range(41)}}
    after = {"steps": {f"s{n:02d}": -n - 1 for n in range(41)}}
    last = str(StateDelta(before, after)).splitlines()[-1]
    assert last == "... and 1 more change under root['steps'] (-vv shows all)"


def test_a_long_line_changed_in_many_places_shows_five_and_counts_the_rest() -> None:
    words = [f"word{n:02d}" + " filler" * 12 for n in range(7)]
    before, after = " ".join(words), " ".join(w.replace("word", "WORD") for w in words)
    text = str(StateDelta({"p": before}, {"p": after}, width=60))
    assert text.count("WORD") == 5
    assert "... (2 more change(s) in this line; -vv shows all)" in text


def test_a_long_line_changed_at_two_places_further_apart_than_the_width_shows_both() -> None:
    # places less than two contexts apart were cut together, and that cut, the width long,
    # ended before the second place: X20 was not shown, nor counted
    words = " ".join(f"w{n:02d}" for n in range(60))
    changed = words.replace("w10", "X10").replace("w20", "X20")
    lines = str(StateDelta({"p": words}, {"p": changed}, width=60)).splitlines()[1:]
    assert [line for line in lines if line.startswith("  + ")] == [
        "  + ...w04 w05 w06 w07 w08 w09 X10 w11 w12 w13 w14 w15 w16...",
        "  + ...w14 w15 w16 w17 w18 w19 X20 w21 w22 w23 w24 w25 w...",
    ]


def test_a_long_line_changed_at_two_places_within_two_contexts_is_cut_once() -> None:
    # (and a third place further on is cut on its own)
    words = " ".join(f"w{n:02d}" for n in range(60))
    changed = words.replace("w10", "X10").replace("w18", "X18").replace("w50", "X50")
    lines = str(StateDelta({"p": words}, {"p": changed}, width=100)).splitlines()[1:]
    assert [line for line in lines if line.startswith("  + ")] == [
        "  + ...w04 w05 w06 w07 w08 w09 X10 w11 w12 w13 w14 w15 w16 w17 X18 w19 w20 w21 w22 w23"
        " w24...",
        "  + ...w44 w45 w46 w47 w48 w49 X50 w51 w52 w53 w54 w55 w...",
    ]


def test_a_text_diff_of_exactly_the_most_lines_shown_is_shown_whole() -> None:
    before = "\n".join(f"{chr(97 + n) * 3}{n}" for n in range(20))
    after = "\n".join("####" for _ in range(20))
    lines = str(StateDelta({"p": before}, {"p": after})).splitlines()
    assert len(lines) == 41  # (the heading and 40 lines of diff)
    assert lines[-1] == "  + ####"
    assert not any("more line(s)" in line for line in lines)


def test_a_path_of_exactly_the_longest_shown_is_shown_whole() -> None:
    key = "k" * (300 - len("root['']"))
    assert StateDelta({key: 1}, {key: 2}).lines == [f"root['{key}']: 1 -> 2"]
    (line,) = StateDelta({key + "k": 1}, {key + "k": 2}).lines
    assert line.endswith("…kkkkkkkkkkkkk']: 1 -> 2 (-vv shows the whole path)")


def test_texts_past_exactly_the_most_diffed_lines_are_shown_on_one_line() -> None:
    old = "\n".join(f"{chr(97 + n % 26) * 3}{n}" for n in range(30))
    new = "\n".join("####" for _ in range(30))
    # 32 one-line changes and 4 text diffs of 42 lines each: 200 lines before root['c']
    before = {f"a{n:02d}": 0 for n in range(32)} | {f"b{n}": old for n in range(4)} | {"c": old}
    after = {f"a{n:02d}": 1 for n in range(32)} | {f"b{n}": new for n in range(4)} | {"c": new}
    lines = str(StateDelta(before, after, width=80)).splitlines()
    assert lines[200] == "... (the texts below on one line each; -vv diffs them)"
    assert lines[201].startswith("root['c']: 'aaa0\\nbbb1") and len(lines) == 202


def test_a_long_line_that_gained_a_repeat_shows_where_it_grew() -> None:
    # (its common start and end overlap: counted once, the line is not cut to nothing)
    old, new = "ab" * 50 + "END", "ab" * 51 + "END"
    assert str(StateDelta({"p": old}, {"p": new}, width=40)).splitlines()[1:] == [
        "  - ...ababababababababababEND",
        "  + ...abababababababababababEND",
        "  ?                        ++",
    ]


def test_a_change_in_a_large_dict_whose_keys_came_in_another_order_is_shown() -> None:
    before = {f"k{n:02d}": 0 for n in range(65)}
    after = {f"k{n:02d}": 0 for n in reversed(range(65))} | {"k00": 1}
    assert StateDelta(before, after).lines == ["root['k00']: 0 -> 1"]


def test_indented_lines_after_a_traceback_are_not_its_frames() -> None:
    from pytest_clearstone.diff import unstable_cause

    plan = _RECORDED_TRACEBACK + "plan:\n  step one\n"
    delta = StateDelta({"prompt": plan}, {"prompt": plan.replace("step one", "step two")})
    assert unstable_cause(delta) == ""


def test_a_value_replaced_by_none_is_no_secret_unset() -> None:
    from pytest_clearstone.diff import unstable_cause

    assert unstable_cause(StateDelta({"user": "ana"}, {"user": None})) == ""
    assert unstable_cause(StateDelta({"user": "ana"}, {"user": ""})) == ""


def test_ids_drawn_anew_are_not_told_as_drawn_in_another_order() -> None:
    from pytest_clearstone.diff import unstable_cause
    from pytest_clearstone.errors import IDS_ONLY

    one, other = "7783a4c1-61e5-45f2-8a1b-0c9d2e3f4a5b", "e6158cdb-6c3e-41e2-9b0a-1f2e3d4c5b6a"
    delta = StateDelta({"p": f"b {one}"}, {"p": f"b {other}"})
    golden = f'{{"b": "b {one}"}}'  # (the golden holds the id it recorded, not this run's)
    assert unstable_cause(delta, recorded_text=golden.__contains__) == IDS_ONLY


def test_a_models_field_that_is_no_name_is_shown_as_a_key() -> None:
    before, after = _Extra(**{"my-key": 1}), _Extra(**{"my-key": 2})
    assert StateDelta({"m": before}, {"m": after}).lines == ["root['m']['my-key']: 1 -> 2"]


def test_a_value_of_exactly_the_longest_shown_is_shown_whole() -> None:
    old, new = "a" * 78, "a" * 77 + "b"  # (reprs of 80 characters)
    assert StateDelta({"k": old}, {"k": new}).lines == [f"root['k']: {old!r} -> {new!r}"]


def test_a_change_two_lines_before_the_end_shows_one_and_counts_the_other() -> None:
    before, after = "a\nb\nc\nd", "a\nB\nc\nd"
    assert str(StateDelta({"p": before}, {"p": after})).splitlines()[1:] == [
        "    a",
        "  - b",
        "  + B",
        "    c",
        "  ... (1 identical line(s))",
    ]


@pytest.mark.parametrize("replaced_first", [True, False])
def test_a_long_line_and_a_short_one_it_became_or_was_show_the_short_one_once(
    replaced_first: bool,
) -> None:
    """An answer replaced by a short one (a graph resumed with another value): the long line
    was cut at each place where a word matched, and the short one, whole in each cut, was shown
    once per cut, as if it were there twice."""
    long = "Answer to 'Rome to Milan' using trains: 16 matches for Rome to Milan #0; buses: 16"
    short = "redo: cheaper"
    before, after = (long, short) if replaced_first else (short, long)
    lines = str(StateDelta({"p": before}, {"p": after}, width=60)).splitlines()[1:]
    assert [line for line in lines if short in line] == [
        f"  {'+' if replaced_first else '-'} {short}"
    ]
    assert len(lines) == 2


def test_a_long_line_cut_at_two_places_shows_each_next_to_what_it_became() -> None:
    # (cuts too unlike to be paired by difflib: each against its counterpart all the same)
    filler = " ".join(f"w{n:02d}" for n in range(30))
    old = "A" * 40 + " " + filler + " " + "B" * 40
    new = "x" * 40 + " " + filler + " " + "y" * 40
    lines = str(StateDelta({"p": old}, {"p": new}, width=80)).splitlines()[1:]
    assert [line[:4] for line in lines] == ["  - ", "  + ", "  - ", "  + "]
    assert "AAAA" in lines[0] and "xxxx" in lines[1] and "BBBB" in lines[2] and "yyyy" in lines[3]


def test_a_long_line_removed_beside_a_changed_one_is_cut_to_the_width() -> None:
    before, after = "first\n" + "Z" * 200, "FIRST"
    lines = str(StateDelta({"p": before}, {"p": after}, width=60)).splitlines()[1:]
    assert f"  - {'Z' * 60}..." in lines
    assert max(map(len, lines)) < 70


def test_an_unchanged_line_of_exactly_the_width_is_shown_whole() -> None:
    line = "x" * 60
    text = str(StateDelta({"p": f"{line}\nb"}, {"p": f"{line}\nB"}, width=60))
    assert text.splitlines()[1:] == [f"    {line}", "  - b", "  + B"]


def test_a_long_line_whose_change_just_fits_the_width_is_cut_once() -> None:
    # (from the context before the change to the change's end: exactly the width)
    head, tail = "word " * 30, " tail" * 30
    delta = StateDelta({"p": head + "X" * 20 + tail}, {"p": head + "Y" * 20 + tail}, width=40)
    assert str(delta).splitlines()[1:] == [
        "  - ...word word word word XXXXXXXXXXXXXXXXXXXX...",
        "  + ...word word word word YYYYYYYYYYYYYYYYYYYY...",
    ]


def test_a_short_line_that_became_longer_than_the_width_is_cut_the_same_way() -> None:
    rest = "the rest of the line, the same on both sides of it."
    delta = StateDelta({"p": f"a {rest}"}, {"p": f"{'b' * 20} {rest}"}, width=60)
    assert str(delta).splitlines()[1:] == [
        "  - a the rest of the line, t...",
        "  + bbbbbbbbbbbbbbbbbbbb the rest of the line, t...",
    ]


def test_a_model_sent_back_as_its_dump_without_nones_is_only_a_type_change() -> None:
    reply = _Refusable(text="hi")
    for dumped in (reply.model_dump(), reply.model_dump(exclude_none=True)):
        assert StateDelta({"m": reply}, {"m": dumped}).lines == [
            "root['m']: _Refusable -> dict of the same fields (only the type changed)"
        ]


@pytest.mark.skipif(attrs is None, reason="pydantic is a test dependency")
def test_a_schema_changed_in_exactly_the_most_places_shown_is_shown_whole() -> None:
    from pytest_clearstone import codec

    def recorded(**stale: Any) -> Any:
        tree = _stored(Verdict)
        tree["schema"]["properties"]["verdict"].update(stale)
        return codec.decode(tree)

    three = recorded(description="yes or no", title="V", maxLength=3)
    (line,) = StateDelta({"f": three}, {"f": Verdict}).lines
    assert line.endswith("'V' -> 'Verdict'; properties.verdict.maxLength removed")
    four = recorded(description="yes or no", title="V", maxLength=3, x=1)
    (line,) = StateDelta({"f": four}, {"f": Verdict}).lines
    assert line.endswith("; properties.verdict.maxLength removed; ... (1 more; -vv shows all)")


def test_a_change_under_one_of_two_pickled_keys_of_one_class_is_shown() -> None:
    # (both keys read "<app.Key>" as a path step: the dict is shown whole, not walked by key)
    def stored(first: int) -> dict[str, Any]:
        keys = [{"__cs__": "pickle", "type": "app.Key", "v": v} for v in ("gAR1", "gAR2")]
        return {"m": {"__cs__": "dict", "v": [[keys[0], first], [keys[1], 2]]}}

    (line,) = StateDelta(stored(1), stored(9)).lines
    assert line.startswith("root['m']: {<pickled app.Key sha256:517618ee>: 1, ")
    assert "-> {<pickled app.Key sha256:517618ee>: 9, " in line


def test_a_text_of_exactly_the_width_on_one_line_is_shown_on_the_change_line() -> None:
    old, new = "a" * 40, "a" * 39 + "b"
    assert str(StateDelta({"p": old}, {"p": new}, width=40)) == f"root['p']: {old!r} -> {new!r}"


def test_a_text_that_gained_or_lost_all_its_line_breaks_names_no_change_of_their_kind() -> None:
    for before, after in (("first", "first\nsecond\n"), ("first\r\nx", "first")):
        heading = str(StateDelta({"p": before}, {"p": after}, width=80)).splitlines()[0]
        assert heading == "root['p']: text differs (- before, + after):"


def test_a_value_stored_as_text_of_another_class_is_a_change_of_type() -> None:
    # (the same text: only the class names tell the change)
    def stored(class_path: str) -> dict[str, Any]:
        return {"x": {"__cs__": "repr", "type": class_path, "v": "<Tool>"}}

    assert StateDelta(stored("app.Tool"), stored("lib.Tool")).lines == [
        "root['x']: <Tool> (app.Tool) -> <Tool> (lib.Tool)"
    ]


def test_a_naive_time_in_a_list_made_aware_at_the_same_wall_time_is_shown() -> None:
    # (deepdiff, handed the list whole, takes a naive time as UTC: no change to it)
    naive = dt.datetime(2024, 1, 1, 12)
    aware = naive.replace(tzinfo=dt.timezone.utc)
    assert StateDelta({"t": [naive]}, {"t": [aware]}).lines == [
        f"root['t'][0]: {naive!r} -> {aware!r}"
    ]


def test_under_vv_texts_past_the_most_diffed_lines_are_diffed_too() -> None:
    old = "\n".join(f"{chr(97 + n % 26) * 3}{n}" for n in range(30))
    new = "\n".join("####" for _ in range(30))
    before = {f"b{n}": old for n in range(6)} | {"c": old}
    after = {f"b{n}": new for n in range(6)} | {"c": new}
    text = str(StateDelta(before, after, width=80, verbosity=2))
    assert "root['c']: text differs (- before, + after):" in text
    assert "on one line each" not in text


def test_the_state_loader_is_named_as_a_cause_of_random_ids_only() -> None:
    from pytest_clearstone.diff import unstable_cause
    from pytest_clearstone.errors import IDS_ONLY, TIMES_ONLY, ids_from_load_state

    one, other = "7783a4c1-61e5-45f2-8a1b-0c9d2e3f4a5b", "e6158cdb-6c3e-41e2-9b0a-1f2e3d4c5b6a"
    ids = StateDelta({"p": f"b {one}"}, {"p": f"b {other}"})
    loaded = ids_from_load_state("Chat.load_state")
    assert unstable_cause(ids, "Chat.load_state") == f"{IDS_ONLY} {loaded}"
    # (named for any agent with a load_state(), which may draw nothing: a possible cause, and
    # how to tell whether it is the one)
    assert "may be the cause" in loaded and "This replay called Chat.load_state()" in loaded
    assert "To tell, look for uuid4(), random" in loaded
    times = StateDelta({"at": "2024-01-01T10:00:00"}, {"at": "2025-03-04T11:12:13"})
    assert unstable_cause(times, "Chat.load_state") == TIMES_ONLY


def test_a_text_holding_an_environment_variable_s_value_names_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_clearstone.diff import unstable_cause
    from pytest_clearstone.errors import environment_value_only

    monkeypatch.setenv("LLM_GATEWAY", "https://gw.ci.example/v1")
    monkeypatch.setenv("LLM_GATEWAY_HOST", "gw.ci.example")
    monkeypatch.setenv("SHORT", "ci")
    moved = StateDelta(
        {"base_url": "https://api.openai.com/v1/", "note": "via https://api.openai.com/v1"},
        {"base_url": "https://gw.ci.example/v1/", "note": "via https://gw.ci.example/v1"},
    )
    assert unstable_cause(moved) == environment_value_only(
        "https://api.openai.com/v1", "LLM_GATEWAY"
    )
    assert "gw.ci.example" not in unstable_cause(moved)  # (a variable may hold a secret)
    also_edited = StateDelta(
        {"base_url": "https://api.openai.com/v1/", "prompt": "Hi"},
        {"base_url": "https://gw.ci.example/v1/", "prompt": "Hello"},
    )
    assert unstable_cause(also_edited) == ""
    short = StateDelta({"region": "eu"}, {"region": "ci"})
    assert unstable_cause(short) == ""
    unset_when_recorded = StateDelta(
        {"api_base": None, "base_url": "https://api.openai.com/v1/"},
        {"api_base": "https://gw.ci.example/v1", "base_url": "https://gw.ci.example/v1/"},
    )
    assert unstable_cause(unset_when_recorded) == environment_value_only(None, "LLM_GATEWAY")
    assert "where the recording has None, this run has $LLM_GATEWAY" in environment_value_only(
        None, "LLM_GATEWAY"
    )
    another_value = StateDelta({"api_base": None}, {"api_base": "https://other.example/v1"})
    assert unstable_cause(another_value) == ""
    monkeypatch.setenv("PWD", "/runner/work/app/tests")
    cwd = StateDelta(
        {"note": "run in /home/ana/app/tests"}, {"note": "run in /runner/work/app/tests"}
    )
    assert "$PWD" not in unstable_cause(cwd)
    test_id = os.environ["PYTEST_CURRENT_TEST"]  # (pytest's own, about the test running)
    named = StateDelta({"note": "in t.py::test_other (call)"}, {"note": f"in {test_id}"})
    assert "$PYTEST_CURRENT_TEST" not in unstable_cause(named)


def test_an_environment_variable_is_named_for_a_value_of_8_characters_or_more_on_one_line(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_clearstone.diff import unstable_cause
    from pytest_clearstone.errors import environment_value_only

    monkeypatch.setenv("CS_REGION", "eu-west1")
    assert unstable_cause(StateDelta({"region": "us-east1"}, {"region": "eu-west1"})) == (
        environment_value_only("us-east1", "CS_REGION")
    )
    monkeypatch.setenv("CS_REGION", "eu-wes1")
    assert unstable_cause(StateDelta({"region": "us-eas1"}, {"region": "eu-wes1"})) == ""
    monkeypatch.setenv("CS_REGION", "ci")
    assert unstable_cause(StateDelta({"region": None}, {"region": "ci"})) == ""
    # (a value of a .env file saved with Windows line ends)
    monkeypatch.setenv("CS_GATEWAY", "https://gw.ci.example/v1\r")
    moved = StateDelta(
        {"url": "https://api.openai.com/v1\r"}, {"url": "https://gw.ci.example/v1\r"}
    )
    assert unstable_cause(moved) == ""


def test_a_value_the_environment_gives_where_the_recording_has_none_is_the_whole_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_clearstone.diff import unstable_cause

    monkeypatch.setenv("CS_GATEWAY", "https://gw.ci.example/v1")
    assert (
        unstable_cause(
            StateDelta({"api_base": None}, {"api_base": "https://gw.ci.example/v1/chat"})
        )
        == ""
    )
    # (an empty text is no None: the message would say the recording has None)
    assert (
        unstable_cause(StateDelta({"api_base": ""}, {"api_base": "https://gw.ci.example/v1"})) == ""
    )


def test_of_two_variables_holding_the_value_the_first_by_name_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from pytest_clearstone.diff import unstable_cause
    from pytest_clearstone.errors import environment_value_only

    monkeypatch.setenv("CS_ZZ_BASE", "https://gw.ci.example/v1")
    monkeypatch.setenv("CS_AA_BASE", "https://gw.ci.example/v1")
    moved = StateDelta(
        {"base_url": "https://api.openai.com/v1"}, {"base_url": "https://gw.ci.example/v1"}
    )
    assert unstable_cause(moved) == environment_value_only(
        "https://api.openai.com/v1", "CS_AA_BASE"
    )


def test_a_stored_deque_of_another_maxlen_shows_both_maxlens() -> None:
    def stored(maxlen: int) -> Any:
        return _stored({"recent": collections.deque([1], maxlen=maxlen)})

    assert StateDelta(stored(2), stored(3)).lines == [
        "root['recent']: deque([1], maxlen=2) -> deque([1], maxlen=3)"
    ]


if BaseModel is not None:
    from pydantic import ConfigDict

    class _Extra(BaseModel):  # type: ignore[misc]
        model_config = ConfigDict(extra="allow")
        score: int = 0

    class _Refusable(BaseModel):  # type: ignore[misc]
        text: str
        refusal: str | None = None


def test_a_machine_name_cause_names_the_kind_of_name_that_differs() -> None:
    from pytest_clearstone.errors import machine_name_only

    cause = machine_name_only("ci-runner-7", "laptop", "machine name")
    assert cause.startswith(
        "Only the machine name differs: where the recording has 'ci-runner-7', this run's is "
        "'laptop'."
    )


def test_numbers_an_unseeded_generator_drew_are_told_naming_the_generators_left_unseeded() -> None:
    from pytest_clearstone.diff import unstable_cause
    from pytest_clearstone.errors import NUMBERS_ONLY

    delta = StateDelta({"p": "nonce 0.8461789553602733"}, {"p": "nonce 0.3069965145268610"})
    assert unstable_cause(delta) == NUMBERS_ONLY
    # (a fraction's digits inside a larger number, or one of a version, are no draw)
    for old, new in (("10.8461789553602733", "10.3069965145268610"),
                     ("v0.8461789553602733", "v0.3069965145268610")):  # fmt: skip
        changed = StateDelta({"p": f"total {old}"}, {"p": f"total {new}"})
        assert unstable_cause(changed) == ""  # (a changed value: no summary)
    np = pytest.importorskip("numpy")
    scores = StateDelta({"score": np.float64(0.40766551285308206)}, {"score": np.float64(0.14)})
    assert unstable_cause(scores) == ""  # (a short fraction: not drawn)
    drawn = StateDelta({"score": 0.40766551285308206}, {"score": np.float64(0.1403889677779928)})
    assert unstable_cause(drawn) == NUMBERS_ONLY
    assert "numpy.random" in NUMBERS_ONLY and "np.random.default_rng(0)" in NUMBERS_ONLY


def test_a_random_generator_that_drew_more_is_shown_at_its_path() -> None:
    # before the fix: two random.Random of other states made a delta with no line at all
    # (deepdiff compares their __dict__, which holds only gauss_next), shown as "(they differ
    # in their stored forms)", with no path
    import random

    from pytest_clearstone.diff import StateDelta

    drawn = random.Random(42)
    drawn.random()
    delta = StateDelta({"n": 1, "rng": random.Random(42)}, {"n": 1, "rng": drawn})
    assert delta
    (line,) = delta.lines
    assert line.startswith("root['rng']: <random.Random state sha256:"), line
    old, _, new = line.partition(": ")[2].partition(" -> ")
    assert old != new
    same = StateDelta({"rng": random.Random(42)}, {"rng": random.Random(42)})
    assert not same
