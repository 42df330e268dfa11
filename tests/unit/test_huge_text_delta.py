"""A delta of a huge text (a prompt of tens of megabytes) changed in one place is rendered, and
what gives it (a random id, a clock reading, words in another order) told, in a time set by the
part that changed, not by the text's length.

Before the fix, a 10 MB single-line prompt changed in one character took about 20 seconds to
fail its replay (the common start and end of the two texts found character by character in
Python, then every word, time and id of both texts matched for what gives the change), and a
50 MB one about 46 seconds."""

from __future__ import annotations

import time
import uuid

from pytest_clearstone.diff import StateDelta, unstable_cause
from pytest_clearstone.errors import IDS_ONLY, ORDER_ONLY, TIMES_ONLY

_PROSE = "The quick brown fox 12 jumps over the lazy dog. " * 200_000  # 9.6 MB, one line


def _told(before: str, after: str) -> tuple[str, str, float]:
    started = time.perf_counter()
    delta = StateDelta({"prompt": before}, {"prompt": after})
    text, cause = str(delta), unstable_cause(delta)
    return text, cause, time.perf_counter() - started


def _inserted(text: str, at: int, middle: str) -> str:
    return text[:at] + middle + text[at:]


def test_a_huge_text_changed_in_one_character_is_told_quickly() -> None:
    half = len(_PROSE) // 2
    text, cause, seconds = _told(_PROSE, _inserted(_PROSE, half, "Z"))
    assert text.splitlines() == [
        "root['prompt']: text differs (- before, + after):",
        "  - ...umps over the lazy dog. The quick brown fox 12 j...",
        "  + ...umps over the lazy dog. ZThe quick brown fox 12 j...",
        "  ?                            +",
    ]
    assert cause == ""
    assert seconds < 4, seconds  # (about 20 before the fix; 0.1 after it)


def test_a_huge_text_of_one_word_changed_in_one_character_is_told_quickly() -> None:
    before = "y" * 10_000_000  # (no word nor line breaks to cut it at)
    text, cause, seconds = _told(before, _inserted(before, 5_000_000, "Z"))
    assert text.splitlines()[1:] == [
        "  - ..." + "y" * 48 + "...",
        "  + ..." + "y" * 24 + "Z" + "y" * 24 + "...",
        "  ?" + " " * 28 + "+",
    ]
    assert cause == ""
    assert seconds < 4, seconds


def test_what_gives_a_change_in_a_huge_text_is_still_told() -> None:
    half = len(_PROSE) // 2
    one, other = str(uuid.UUID(int=0x1234567890ABCDEF1234567890ABCDEF)), str(uuid.uuid4())
    assert _told(_inserted(_PROSE, half, one), _inserted(_PROSE, half, other))[1] == IDS_ONLY
    times = ("2026-12-04T19:07:35+00:00", "2026-12-04T19:08:01+00:00")
    assert _told(_inserted(_PROSE, half, times[0]), _inserted(_PROSE, half, times[1]))[1] == (
        TIMES_ONLY
    )
    swapped = ("alpha beta, gamma. ", "gamma beta, alpha. ")
    assert _told(_inserted(_PROSE, half, swapped[0]), _inserted(_PROSE, half, swapped[1]))[1] == (
        ORDER_ONLY
    )
    # a time beside text that changed too is not all there is
    assert (
        _told(_inserted(_PROSE, half, times[0]), _inserted(_PROSE, half, times[1] + "!"))[1] == ""
    )


def test_a_change_under_a_huge_key_shows_the_key_shortened() -> None:
    # Expected: a cache keyed by its 100,000-character prompt printed the whole key in the
    # path of a changed answer (a 100 KB failure line; 50 MB for a 50 MB prompt)
    prompt = "Summarise: " + "the quick brown fox " * 5000
    delta = StateDelta({"cache": {prompt: "a"}}, {"cache": {prompt: "b"}})
    (line,) = str(delta).splitlines()
    assert len(line) < 200, len(line)
    assert line.startswith("root['cache']['Summarise: the quick brown fox")
    assert line.endswith("fox ']: 'a' -> 'b' (-vv shows the whole path)")
    assert str(StateDelta({prompt: 1}, {}, verbosity=2)) == f"root[{prompt!r}]: removed 1"
    assert len(str(StateDelta({prompt: 1}, {}))) < 200
    assert len(str(StateDelta({(prompt, 1): 1}, {(prompt, 1): 2}))) < 200


def test_the_diff_command_shows_where_a_long_line_changed() -> None:
    # Expected: `python -m pytest_clearstone diff` of two goldens whose 20 MB one-line prompt
    # changed in its middle showed "-yyyy..." and "+yyyy..." cut at the terminal from their
    # start: two lines alike, the change not shown
    from pytest_clearstone.inspection import value_lines

    before = "y" * 1_000_000
    after = before[:500_000] + "Z" + before[500_000:]
    lines = value_lines({"prompt": before}, {"prompt": after}, width=80, verbose=False)
    assert lines[0] == "root['prompt']: (text, line by line)"
    changed = [line for line in lines if line.startswith(("  -", "  +"))]
    assert len(changed) == 2 and all(len(line) <= 84 for line in changed)
    assert "Z" not in changed[0] and "yZy" in changed[1]


def test_the_diff_command_shows_each_place_a_long_line_changed() -> None:
    # Expected: both places; it was the first only, the line cut after it, in `diff` of two
    # goldens whose one-line system prompt (a paragraph of 30 sentences) changed in two places
    from pytest_clearstone.inspection import value_lines

    sentences = [f"Rule {i}: tell the traveller about fare class {i}." for i in range(30)]
    changed = list(sentences)
    changed[3], changed[25] = "Rule 3: never mention fare classes.", "Rule 25: quote in euros."
    lines = value_lines(
        {"prompt": " ".join(sentences)}, {"prompt": " ".join(changed)}, width=80, verbose=False
    )
    assert lines[0] == "root['prompt']: (text, line by line)"
    removed = [line for line in lines if line.startswith("  -")]
    added = [line for line in lines if line.startswith("  +")]
    assert len(removed) == len(added) == 2
    assert "never mention" in added[0] and "quote in euros" in added[1]
    assert "fare class 3." in removed[0] and "fare class 25." in removed[1]
    assert all(len(line) <= 90 for line in lines)
