"""A state delta stays readable and quick on large states: a long text is aligned on the part
that changed only, the change lines come in index order and are capped, the rest summed up."""

from __future__ import annotations

import difflib
import random
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_clearstone.diff import StateDelta


# -- a long text with repeated lines: only its changed middle is aligned ---------------------------
def _markdown(paragraphs: int) -> str:
    """A markdown/RAG prompt: paragraphs between blank lines, rules and code fences (lines that
    repeat thousands of times)."""
    parts = []
    for i in range(paragraphs):
        parts += [f"Paragraph {i}: the quick brown fox jumps over the lazy dog.", ""]
        if i % 10 == 9:
            parts += ["---", "```", "print('x')", "```", ""]
    return "\n".join(parts)


@pytest.fixture
def aligned(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The lengths of the sequences of lines each SequenceMatcher of the delta's text diff is
    given (deepdiff's own ``diff`` of two texts, unused, is not the delta's)."""
    sizes: list[tuple[int, int]] = []
    original = difflib.SequenceMatcher

    class Recording(original):  # type: ignore[valid-type,misc]
        def __init__(self, isjunk: Any = None, a: Any = "", b: Any = "", **kwargs: Any) -> None:
            frame, callers = sys._getframe(1), []
            while frame is not None:
                callers.append(str(frame.f_globals.get("__name__")))
                frame = frame.f_back
            if isinstance(a, list) and not any(c.startswith("deepdiff") for c in callers):
                sizes.append((len(a), len(b)))
            super().__init__(isjunk, a, b, **kwargs)

    monkeypatch.setattr(difflib, "SequenceMatcher", Recording)
    return sizes


def test_a_long_text_changed_in_one_line_is_aligned_on_that_line_only(
    aligned: list[tuple[int, int]],
) -> None:
    # Expected: the common first and last lines are set aside before aligning (aligning all of
    # a text whose blank lines repeat thousands of times took 23 s for 1 MB).
    before = _markdown(2000)
    after = before.replace("Paragraph 1000: the quick", "Paragraph 1000: the slow")
    lines = str(StateDelta({"prompt": before}, {"prompt": after}, width=80)).splitlines()
    assert lines == [
        "root['prompt']: text differs (- before, + after):",
        "  ... (2499 identical line(s))",
        "    ",
        "  - Paragraph 1000: the quick brown fox jumps over the lazy dog.",
        "  ?                     ^^^^^",
        "  + Paragraph 1000: the slow brown fox jumps over the lazy dog.",
        "  ?                     ^^^^",
        "    ",
        "  ... (2497 identical line(s))",
    ]
    assert aligned and max(max(size) for size in aligned) == 1


def test_a_text_changed_at_its_start_and_end_still_shows_both() -> None:
    before = _markdown(200)
    after = "Title\n" + before + "\nThe end."
    lines = str(StateDelta({"p": before}, {"p": after}, width=80)).splitlines()
    assert lines == [
        "root['p']: text differs (- before, + after):",
        "  + Title",
        "    Paragraph 0: the quick brown fox jumps over the lazy dog.",
        "  ... (497 identical line(s))",
        "    ```",
        "  + ",
        "  + The end.",
    ]


def _sides(body: list[str]) -> tuple[str, str]:
    """The two texts a full (``-vv``) text diff's body stands for."""
    old = [line[4:] for line in body if line.startswith(("    ", "  - "))]
    new = [line[4:] for line in body if line.startswith(("    ", "  + "))]
    return "\n".join(old), "\n".join(new)


def test_a_long_text_rewritten_throughout_is_diffed_in_full_and_clipped() -> None:
    # a large changed middle full of repeated lines: aligned without the quadratic search, and
    # the diff still stands for both texts, shown clipped by default
    before = _markdown(1500)
    after = "\n".join(
        line.replace("fox", "cat") if i % 3 == 0 else line
        for i, line in enumerate(before.split("\n"))
    )
    full = str(StateDelta({"p": before}, {"p": after}, verbosity=2, width=80)).splitlines()
    assert full[0] == "root['p']: text differs (- before, + after):"
    assert _sides(full[1:]) == ("\n".join(before.splitlines()), "\n".join(after.splitlines()))

    short = str(StateDelta({"p": before}, {"p": after}, width=80)).splitlines()
    assert len(short) == 1 + 40 + 1
    assert short[0] == full[0]
    assert all(line in full or line.startswith("  ... (") for line in short[1:41])
    assert short[-1].startswith("  ... (") and short[-1].endswith(
        " more line(s) of diff; -vv shows all)"
    )


# -- many changes: index order, a cap and a summary of the rest ------------------------------------
def _history(n: int, suffix: str = "") -> dict[str, Any]:
    return {"history": [f"answer to prompt {i}{suffix}" for i in range(n)]}


def test_list_items_come_in_index_order() -> None:
    # Expected: [2] before [10] (the paths were sorted as text: [0], [10], [11], [1], [2]...)
    before = {"turns": [{"answer": f"a{i}"} for i in range(12)], "n": [0] * 12}
    after = {"turns": [{"answer": f"b{i}"} for i in range(12)], "n": list(range(12))}
    lines = StateDelta(before, after, verbosity=2).lines
    assert lines == [
        *(f"root['n'][{i}]: 0 -> {i}" for i in range(1, 12)),
        *(f"root['turns'][{i}]['answer']: 'a{i}' -> 'b{i}'" for i in range(12)),
    ]


def test_paths_are_ordered_by_their_steps() -> None:
    before = {"a": {"x": [0] * 3, "x2": 0}, "a2": 0}
    after = {"a": {"x": [1] * 3, "x2": 1}, "a2": 1}
    assert StateDelta(before, after).lines == [
        "root['a']['x'][0]: 0 -> 1",
        "root['a']['x'][1]: 0 -> 1",
        "root['a']['x'][2]: 0 -> 1",
        "root['a']['x2']: 0 -> 1",
        "root['a2']: 0 -> 1",
    ]


def test_many_changes_are_capped_with_a_summary_under_their_common_parent() -> None:
    # Expected: 5,000 changed answers print 40 lines and one that sums up the rest (they printed
    # 5,000 lines, 370 KB)
    delta = StateDelta(_history(5000), _history(5000, "!"))
    expected = [
        *(
            f"root['history'][{i}]: 'answer to prompt {i}' -> 'answer to prompt {i}!'"
            for i in range(40)
        ),
        "... and 4,960 more changes under root['history'] (-vv shows all)",
    ]
    assert delta.lines == expected
    assert str(delta).splitlines() == expected
    assert len(delta) == 5000
    assert bool(delta)


def test_removed_items_are_capped_too() -> None:
    delta = StateDelta(_history(3000), _history(1))
    assert delta.lines[:2] == [
        "root['history'][1]: removed 'answer to prompt 1'",
        "root['history'][2]: removed 'answer to prompt 2'",
    ]
    assert delta.lines[39] == "root['history'][40]: removed 'answer to prompt 40'"
    assert delta.lines[40:] == ["... and 2,959 more changes under root['history'] (-vv shows all)"]


def test_vv_shows_every_change() -> None:
    delta = StateDelta(_history(500), _history(500, "!"), verbosity=2)
    assert len(delta.lines) == 500
    assert len(str(delta).splitlines()) == 500
    assert (
        delta.lines[-1] == "root['history'][499]: 'answer to prompt 499' -> 'answer to prompt 499!'"
    )


def test_the_cap_counts_a_text_diff_as_one_change() -> None:
    before = {"prompt": "a\nb\nc", **{f"k{i:02d}": 0 for i in range(45)}}
    after = {"prompt": "a\nB\nc", **{f"k{i:02d}": 1 for i in range(45)}}
    lines = str(StateDelta(before, after, width=80)).splitlines()
    assert lines[:39] == [f"root['k{i:02d}']: 0 -> 1" for i in range(39)]
    assert lines[39:] == [
        "root['k39']: 0 -> 1",
        "... and 6 more changes under root (-vv shows all)",
    ]
    assert "root['prompt']: text differs (- before, + after):" in str(
        StateDelta(before, after, width=80, verbosity=2)
    )


def test_the_rest_spread_over_several_parents_is_counted_by_parent() -> None:
    before = {"history": [0] * 100, "memory": [0] * 30, "z": {"a": 0}}
    after = {"history": [1] * 100, "memory": [1] * 30, "z": {"a": 1}}
    lines = StateDelta(before, after).lines
    assert lines[-1] == (
        "... and 91 more changes: 60 under root['history'], 30 under root['memory'], "
        "1 under root['z'] (-vv shows all)"
    )


def test_the_rest_under_more_parents_than_are_named_is_counted_as_elsewhere() -> None:
    before = {"history": [0] * 100, "memory": [0] * 30, "y": {"a": 0}, "z": {"a": 0}}
    after = {"history": [1] * 100, "memory": [1] * 30, "y": {"a": 1}, "z": {"a": 1}}
    assert StateDelta(before, after).lines[-1] == (
        "... and 92 more changes: 60 under root['history'], 30 under root['memory'], "
        "1 under root['y'], 1 elsewhere (-vv shows all)"
    )


def test_a_few_changes_have_no_summary() -> None:
    delta = StateDelta(_history(40), _history(40, "!"))
    assert len(delta.lines) == 40
    assert not any(line.startswith("...") for line in delta.lines)


# -- lists of numbers changed throughout (an embedding index) -------------------------------------
def _vectors(scale: float, count: int = 10, size: int = 1536) -> dict[str, Any]:
    """An agent's embedding index: ``count`` vectors of ``size`` floats (openai's
    text-embedding-3-small), every float multiplied by ``scale``."""
    rng = random.Random(7)
    return {
        "vectors": {
            f"doc {i}": [rng.uniform(-1, 1) * scale for _ in range(size)] for i in range(count)
        }
    }


def test_vectors_changed_throughout_are_named_without_deepdiff_walking_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Expected: an embedding index whose every float changed (the agent normalised its vectors)
    # is named item by item as deepdiff would, without handing the vectors to deepdiff, which
    # took over a minute for 100 vectors of 1,536 floats (a golden mismatch's report)
    import deepdiff

    given: list[Any] = []
    original = deepdiff.DeepDiff

    def spy(t1: Any, t2: Any, **kwargs: Any) -> Any:
        given.append(t1)
        return original(t1, t2, **kwargs)

    monkeypatch.setattr(deepdiff, "DeepDiff", spy)
    before, after = _vectors(1.0), _vectors(1.5)
    delta = StateDelta(before, after)
    assert len(delta) == 15_360
    first = before["vectors"]["doc 0"]
    assert delta.lines[:2] == [
        f"root['vectors']['doc 0'][0]: {first[0]!r} -> {first[0] * 1.5!r}",
        f"root['vectors']['doc 0'][1]: {first[1]!r} -> {first[1] * 1.5!r}",
    ]
    assert delta.lines[40:] == ["... and 15,320 more changes under root['vectors'] (-vv shows all)"]
    assert given == []


@pytest.mark.parametrize(
    ("before", "after"),
    [
        ([0.5, 1.5, 2.5], [0.25, 1.25, 2.25]),  # every number changed
        ([0.5, 1.5, 2.5], [1.5, 2.5, 3.5]),  # shifted: items in common, aligned by deepdiff
        ([1, 2, 3], [1.0, 2.5, 3.5]),  # 1 == 1.0: in common, but another type
        (["a", "b"], [b"a", "c"]),  # a text against bytes
        ([0.5, float("nan")], [0.25, float("nan")]),  # a NaN is no change
        ([1, 2], [3, 4, 5]),  # another length
        ([0, 1, 0.5], [0, 1.0, 0.5]),  # equal by ==: no change
    ],
)
def test_lists_of_basic_values_are_named_as_deepdiff_names_them(
    before: list[Any], after: list[Any]
) -> None:
    from deepdiff import DeepDiff

    found = sorted(
        (c.kind, c.path, repr(c.old), repr(c.new))
        for c in StateDelta({"v": before}, {"v": after}).changes
    )
    if before == after:
        # Equal by == ([0, 1] and [0, 1.0]): no change, as the replay's comparison has it;
        # deepdiff's own answer there is not asked (it named 1 -> 1.0 a type change on one CI
        # worker and nothing in a fresh process)
        assert found == []
        return
    dd = DeepDiff(
        {"v": before},
        {"v": after},
        verbose_level=2,
        view="tree",
        ignore_nan_inequality=True,
    )
    expected = sorted(
        (kind, level.path(), repr(level.t1), repr(level.t2)) for kind in dd for level in dd[kind]
    )
    assert found == expected


def test_vectors_cut_short_or_changed_in_places_are_named_without_deepdiff_walking_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Expected: an index whose vectors were cut to 512 floats, or whose every other float was
    # rounded, is named as deepdiff names it without deepdiff walking the vectors (30 s and
    # 70 s for 100 vectors of 1,536 floats)
    import deepdiff

    given: list[Any] = []
    monkeypatch.setattr(deepdiff, "DeepDiff", lambda *args, **kwargs: given.append(args))
    before = _vectors(1.0)
    cut = {"vectors": {k: v[:512] for k, v in before["vectors"].items()}}
    delta = StateDelta(before, cut)
    first = before["vectors"]["doc 0"]
    assert len(delta) == 10_240
    assert delta.lines[0] == f"root['vectors']['doc 0'][512]: removed {first[512]!r}"
    rounded = {
        "vectors": {
            k: [round(x, 4) if j % 2 else x for j, x in enumerate(v)]
            for k, v in before["vectors"].items()
        }
    }
    delta = StateDelta(before, rounded)
    assert len(delta) == 7_680
    assert delta.lines[0] == f"root['vectors']['doc 0'][1]: {first[1]!r} -> {round(first[1], 4)!r}"
    assert given == []


_BASIC = st.one_of(st.integers(0, 3), st.sampled_from([0.5, 1.0, 2.5, True, None, "a", "b", b"a"]))


@settings(max_examples=400, deadline=None)
@given(st.lists(_BASIC, max_size=7), st.lists(_BASIC, max_size=7))
def test_any_two_lists_of_basic_values_are_named_as_deepdiff_names_them(
    before: list[Any], after: list[Any]
) -> None:
    test_lists_of_basic_values_are_named_as_deepdiff_names_them(before, after)


def test_the_command_lines_diff_walks_a_stored_answer_by_its_fields(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Expected: `diff` of two goldens whose recorded embeddings answer changed names the
    # changed floats by field without handing the answers (views of their stored fields) to
    # deepdiff whole: it walked them for over a minute for 100 vectors of 1,536 floats
    openai = pytest.importorskip("openai")
    import deepdiff

    from pytest_clearstone.inspection import value_lines

    def answer(scale: float) -> Any:
        vectors = _vectors(scale)["vectors"]
        return openai.types.CreateEmbeddingResponse(
            object="list",
            model="text-embedding-3-small",
            data=[
                {"object": "embedding", "index": i, "embedding": vectors[f"doc {i}"]}
                for i in range(len(vectors))
            ],
            usage={"prompt_tokens": 5, "total_tokens": 5},
        )

    given: list[Any] = []
    original = deepdiff.DeepDiff

    def spy(t1: Any, t2: Any, **kwargs: Any) -> Any:
        given.append(t1)
        return original(t1, t2, **kwargs)

    monkeypatch.setattr(deepdiff, "DeepDiff", spy)
    before, after = answer(1.0), answer(1.5)
    lines = value_lines(before, after, width=100, verbose=False)
    first = before.data[0].embedding[0]
    assert lines[0] == f"root.data[0].embedding[0]: {first!r} -> {first * 1.5!r}"
    assert lines[-1] == "... and 15,320 more changes under root.data (-vv shows all)"
    assert given == []


def test_a_top_level_field_among_the_rest_is_named_not_counted_under_root() -> None:
    # Expected: the field that changed; it was "1 under root", which does not say which field
    before = {"history": [0] * 100, "memory": [0] * 30, "notes": "a"}
    after = {"history": [1] * 100, "memory": [1] * 30, "notes": "b"}
    lines = StateDelta(before, after).lines
    assert lines[-1] == (
        "... and 91 more changes: 60 under root['history'], 30 under root['memory'], "
        "1 at root['notes'] (-vv shows all)"
    )


@pytest.mark.parametrize(
    "doc, edit",
    [
        ("\n".join(f"line {j}" for j in range(100)), ("0\n", "0!\n")),  # a document of lines
        (" ".join(f"word{j}" for j in range(150)), ("0 ", "0! ")),  # a paragraph, one line
    ],
    ids=["lines", "one-line"],
)
def test_many_long_texts_changed_throughout_stay_a_bounded_delta(
    doc: str, edit: tuple[str, str]
) -> None:
    # Expected: the first texts diffed, then one line per text; it was a diff of up to 40 lines
    # for each of the 40 texts shown, 1,681 lines for 1,000 documents of a RAG state changed alike
    before = {"docs": [doc] * 1000}
    after = {"docs": [doc.replace(*edit)] * 1000}
    lines = str(StateDelta(before, after, width=80)).splitlines()
    assert len(lines) <= 300, len(lines)
    assert lines[0] == "root['docs'][0]: text differs (- before, + after):"
    assert "... (the texts below on one line each; -vv diffs them)" in lines
    assert lines[-2].startswith("root['docs'][39]: ")
    assert lines[-1] == "... and 960 more changes under root['docs'] (-vv shows all)"
    assert len(str(StateDelta(before, after, width=80, verbosity=2)).splitlines()) > 1000
