"""Found by the pydantic-ai probe: a long value in a state delta is shortened around where it
first differs, and ``...`` stood for what was cut before that window even when it cut fewer
characters than the three dots themselves, losing what they were: the ``b`` of a ``bytes``
value (pydantic-ai's ``result.all_messages_json()`` kept as the conversation), read as a text."""

from __future__ import annotations

from pytest_clearstone.diff import state_delta

HEAD = '[{"parts":[{"content":"'


def test_a_bytes_value_shortened_after_its_first_characters_keeps_its_b() -> None:
    golden = (HEAD + "Rome" + "x" * 100).encode()
    replayed = (HEAD + "Answer to 'Rome'" + "y" * 100).encode()
    (line,) = str(state_delta({"history": golden}, {"history": replayed})).splitlines()
    assert line.startswith("root['history']: b'[{\"parts\"") and "-> b'[{" in line, line
