"""A long base64 signature that changed (anthropic's thinking block's ``signature``, which
changes with its thinking text) is one short line of the delta, not a text diff of random
characters; media in base64 elsewhere (an image's ``data``) is still diffed."""

from __future__ import annotations

import base64

from pytest_clearstone.diff import StateDelta

OLD = base64.b64encode(bytes(range(256)) * 2).decode()
NEW = base64.b64encode(bytes(reversed(range(256))) * 2).decode()


def _thinking(text: str, signature: str) -> dict[str, object]:
    return {"content": [{"type": "thinking", "thinking": text, "signature": signature}]}


def test_a_changed_signature_is_one_short_line() -> None:
    delta = StateDelta(
        _thinking("The moon pulls.", OLD), _thinking("The sun pulls.", NEW), width=100
    )
    lines = str(delta).splitlines()
    assert lines[0] == (
        f"root['content'][0]['signature']: base64 text differs ({len(OLD)} -> {len(NEW)} "
        f"characters; -vv shows it): '{OLD[:12]}...' -> '{NEW[:12]}...'"
    ), lines
    assert lines[1].startswith("root['content'][0]['thinking']: 'The moon pulls.' -> "), lines
    assert len(lines) == 2, lines


def test_under_vv_it_is_diffed() -> None:
    delta = StateDelta(_thinking("a", OLD), _thinking("a", NEW), width=100, verbosity=2)
    assert "text differs (- before, + after)" in str(delta)


def test_a_long_text_of_words_is_diffed_as_before() -> None:
    old, new = "word " * 40, "word " * 39 + "other "
    delta = StateDelta({"t": old}, {"t": new}, width=100)
    assert "text differs (- before, + after)" in str(delta)


def test_base64_media_in_another_field_is_diffed_as_before() -> None:
    delta = StateDelta({"data": OLD}, {"data": NEW}, width=100)
    assert "root['data']: text differs (- before, + after)" in str(delta)
