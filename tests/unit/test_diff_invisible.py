"""Text changes a terminal does not show: line breaks changed (a prompt file checked out with
``\r\n``), and the same letters in another Unicode normalization."""

from __future__ import annotations

import pytest

from pytest_clearstone.diff import StateDelta

RULES = "".join(f"Rule {i}: be nice.\n" for i in range(100))


def test_a_prompt_whose_line_breaks_all_changed_says_so_in_one_line() -> None:
    """A prompt read from a file checked out with ``\\r\\n``: every line differs in its line
    break only. The delta was 40 lines of ``- Rule n: be nice.`` (the ``+`` lines past the cut,
    no ``?`` hints for a block that large, the ``\\r`` stripped): nothing showed what changed."""
    delta = StateDelta({"p": RULES}, {"p": RULES.replace("\n", "\r\n")}, width=100)
    assert str(delta) == (
        "root['p']: text differs only in its line breaks: '\\n' before, '\\r\\n' after"
    )


def test_a_changed_line_in_a_text_whose_line_breaks_changed_is_shown_with_the_breaks_named() -> (
    None
):
    before = RULES
    after = RULES.replace("Rule 7: be nice.", "Rule 7: be kind.").replace("\n", "\r\n")
    lines = str(StateDelta({"p": before}, {"p": after}, width=100)).splitlines()
    assert lines == [
        "root['p']: text differs (- before, + after; its line breaks too: '\\n' before, "
        "'\\r\\n' after):",
        "  ... (6 identical line(s))",
        "    Rule 6: be nice.",
        "  - Rule 7: be nice.",
        "  ?             ^^^",
        "  + Rule 7: be kind.",
        "  ?            ++ ^",
        "    Rule 8: be nice.",
        "  ... (91 identical line(s))",
    ]


def test_mixed_line_breaks_are_named_in_order() -> None:
    before = "one\ntwo\nthree\n"
    after = "one\r\ntwo\nthree\r\n"
    assert str(StateDelta(before, after, width=100)) == (
        "root: text differs only in its line breaks: '\\n' before, '\\r\\n' and '\\n' after"
    )


def test_a_trailing_line_break_added_is_still_a_line_diff() -> None:
    """Only a change of the kind of line break is summed up; a text that gains a line (or a
    line break where it had none) is diffed as before."""
    text = str(StateDelta("a\nb", "a\nb\n", width=100))
    assert text.startswith("root: text differs (- before, + after):")


def test_the_same_letters_in_another_unicode_normalization_are_shown_escaped() -> None:
    """``'Café'`` typed with a composed ``é`` and read back decomposed (``e`` and a combining
    accent, as macOS file names and some editors write it): the delta was ``'Café' -> 'Café'``,
    two values that look the same."""
    decomposed, composed = "Cafe\u0301 au lait", "Caf\u00e9 au lait"
    assert str(StateDelta({"name": decomposed}, {"name": composed}, width=100)) == (
        "root['name']: 'Cafe\\u0301 au lait' -> 'Caf\\xe9 au lait' "
        "(the same text in another Unicode normalization, shown escaped)"
    )
    # other changes of non-ASCII text stay readable as they are
    assert str(StateDelta("こんにちは 👋", "こんばんは 👋", width=100)) == (
        "root: 'こんにちは 👋' -> 'こんばんは 👋'"
    )


def test_a_multi_line_text_in_another_unicode_normalization_says_so() -> None:
    before = "Menu:\nCafe\u0301 au lait\nTea\n"
    text = str(StateDelta(before, before.replace("e\u0301", "\u00e9"), width=100))
    assert text.splitlines()[0] == (
        "root: text differs (- before, + after; the same text in another Unicode normalization):"
    )


def test_every_line_edited_alike_shows_each_line_before_and_after() -> None:
    """An editor stripped the trailing spaces of every line of the prompt (or re-indented it):
    a block of changed lines too large for difflib's ``?`` hints was shown as all its ``-``
    lines, then all its ``+`` lines — past the 40-line cut, so only ``- Rule n: be nice.  ``
    lines, identical to the eye, with nothing after them. Each line is now shown with its new
    form and the ``?`` hints under it."""
    before = "".join(f"Rule {i}: be nice.  \n" for i in range(100))
    lines = str(StateDelta({"p": before}, {"p": before.replace("  \n", "\n")}, width=100))
    assert lines.splitlines()[:7] == [
        "root['p']: text differs (- before, + after):",
        "  - Rule 0: be nice.  ",
        "  ?                 --",
        "  + Rule 0: be nice.",
        "  - Rule 1: be nice.  ",
        "  ?                 --",
        "  + Rule 1: be nice.",
    ]


def test_the_hint_marks_stand_under_the_wide_characters_they_mark() -> None:
    """A terminal gives a CJK character or an emoji two columns: difflib's ``?`` marks, one
    column per character, stood under other characters than the changed ones (here under
    ``拶:`` instead of ``にち``)."""
    before = "挨拶: こんにちは世界\n二行目\n"
    lines = str(StateDelta(before, before.replace("にち", "ばん"), width=100)).splitlines()
    assert lines[1:5] == [
        "  - 挨拶: こんにちは世界",
        "  ?           ^^^^",
        "  + 挨拶: こんばんは世界",
        "  ?           ^^^^",
    ]
    waved = str(StateDelta("Hi 👋 hello\nbye\n", "Hi 👋 hallo\nbye\n", width=100)).splitlines()
    assert waved[1:5] == [
        "  - Hi 👋 hello",
        "  ?        ^",
        "  + Hi 👋 hallo",
        "  ?        ^",
    ]
    # a zero-width space removed keeps its mark (it has no column of its own to stand under)
    spaced = str(StateDelta("a\u200bb 世界\nx\n", "ab 世界\nx\n", width=100)).splitlines()
    assert spaced[2] == "  ?  -"


def test_the_hint_marks_stand_under_fullwidth_letters_and_digits() -> None:
    """Fullwidth forms (``ＡＢＣ``, ``１２３``, as an IME types them) take two columns too."""
    before = "注文: ＡＢＣ１２３\nok\n"
    lines = str(StateDelta(before, before.replace("Ｂ", "Ｘ"), width=100)).splitlines()
    assert lines[1:5] == [
        "  - 注文: ＡＢＣ１２３",
        "  ?         ^^",
        "  + 注文: ＡＸＣ１２３",
        "  ?         ^^",
    ]


def test_control_characters_in_a_changed_text_are_shown_escaped() -> None:
    """A prompt line holding a tool's coloured output or a stray control character: the text
    diff printed it raw, so the terminal ran it (``\\x1b[2J`` cleared the screen the delta was
    on, ``\\x08`` erased the characters before it, ``\\u202e`` showed the rest of the line
    backwards) and a ``\\x85`` or ``\\u2028`` broke the line where the text has none. They are
    escaped as the one-line delta escapes them, with the ``?`` marks under their escapes."""
    before = "System:\nUse the tool.\nBe brief.\n"
    after = before.replace("tool.", "tool.\x1b[2J\x1b[31mred\x08\x00 \u202eevil\x85next\u2028end")
    lines = str(StateDelta({"p": before}, {"p": after}, width=200)).splitlines()
    shown = "\\x1b[2J\\x1b[31mred\\x08\\x00 \\u202eevil\\x85next\\u2028end"
    assert lines[1:5] == [
        "    System:",
        "  - Use the tool.",
        "  + Use the tool." + shown,
        "    Be brief.",
    ]
    for line in lines:
        assert line.replace("\t", " ").isprintable(), line
    changed = str(StateDelta("a\x00b\nc\n", "a\x01b\nc\n", width=100)).splitlines()
    assert changed[1:5] == ["  - a\\x00b", "  ?  ^^^^", "  + a\\x01b", "  ?  ^^^^"]
    # a tab stays a tab
    assert "  - a\tb" in str(StateDelta("a\tb\nc\n", "a\tB\nc\n", width=100)).splitlines()


@pytest.mark.parametrize(
    ("char", "shown"),
    [
        ("\x1f", "\\x1f"),  # the last C0 control
        ("\x7f", "\\x7f"),  # DEL
        ("\x9b", "\\x9b"),  # the C1 CSI: an escape sequence's start in one byte
        ("\x9f", "\\x9f"),
        ("\u061c", "\\u061c"),  # the Arabic letter mark
        ("\u200e", "\\u200e"),  # the left-to-right and right-to-left marks
        ("\u200f", "\\u200f"),
        ("\u2066", "\\u2066"),  # the bidirectional isolates
        ("\u2069", "\\u2069"),
        ("\ud800", "\\ud800"),  # lone surrogates (no UTF-8 terminal can be written them)
        ("\udfff", "\\udfff"),
    ],
)
def test_each_invisible_or_reordering_character_in_a_changed_line_is_shown_escaped(
    char: str, shown: str
) -> None:
    before = "System:\nUse the tool.\nBe brief.\n"
    after = before.replace("tool.", f"tool.{char}x")
    lines = str(StateDelta({"p": before}, {"p": after}, width=100)).splitlines()
    assert lines[3] == f"  + Use the tool.{shown}x"


def test_a_key_holding_a_tab_or_a_line_break_is_shown_escaped_in_its_path() -> None:
    """A path is one line: a tab in a key is escaped there (a changed line of a text keeps its
    tabs), and a line break is named as Python writes it."""
    delta = StateDelta({"a\tb\nc\rd\u061c": 1}, {"a\tb\nc\rd\u061c": 2}, width=100)
    assert str(delta) == "root['a\\tb\\nc\\rd\\u061c']: 1 -> 2"


def test_a_long_line_cut_to_a_narrow_terminal_still_shows_what_changed() -> None:
    """A one-line prompt longer than the terminal is wide is cut around where it changed: in a
    terminal narrower than the context kept before the change (24 characters) the cut left the
    change out, and the delta showed one unchanged line; and a change of length (``alpha`` ->
    ``beta``) kept one more character of the common end on one side, which the ``?`` line
    marked as added."""
    before = "word " * 30 + "alpha " + "tail " * 20
    after = before.replace("alpha", "beta")
    narrow = str(StateDelta({"p": before}, {"p": after}, width=20)).splitlines()
    assert [line[:3] for line in narrow[1:]] == ["  -", "  ?", "  +", "  ?"]
    assert "alph" in narrow[1] and "beta" in narrow[3]
    lines = str(StateDelta({"p": before}, {"p": after}, width=40)).splitlines()
    assert lines[1:] == [
        "  - ...word word word word alpha tail tail tail...",
        "  ?                        ^^^^",
        "  + ...word word word word beta tail tail tail...",
        "  ?                        ^^^",
    ]
