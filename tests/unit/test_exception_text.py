"""The text an exception is recorded with (:func:`pytest_clearstone.tracing.span.exception_text`):
``str(exc)`` without the address of a default repr in it (another at every run: a re-record of an
unchanged agent would change the golden), and nothing else of it left out."""

from __future__ import annotations

import pytest

from pytest_clearstone.tracing.span import exception_message, exception_text


@pytest.mark.parametrize(
    ("text", "recorded"),
    [
        (
            "RetryError[<Future at 0x7f44dd32d450 state=finished raised ValueError>]",
            "RetryError[<Future state=finished raised ValueError>]",
        ),
        # (Windows and some libraries write the address in capitals)
        ("<app.Tool object at 0x000001A2B3C4D5E6>", "<app.Tool object>"),
        (
            "gave up on <Task 'a' at 0x7f01> and <Task 'b' at 0x7f02>",
            "gave up on <Task 'a'> and <Task 'b'>",
        ),
        ("<Outer holding <Inner at 0x7f01>>", "<Outer holding <Inner>>"),
    ],
)
def test_the_address_of_a_default_repr_is_left_out(text: str, recorded: str) -> None:
    assert exception_text(RuntimeError(text)) == recorded
    assert exception_message(RuntimeError(text)) == f"RuntimeError: {recorded}"


@pytest.mark.parametrize(
    "text",
    [
        "segfault at 0x7fff5fbff8c8 in libfoo",  # (an address the text gives, in no repr)
        "write failed at 0x1f: <bad block>",
        "<bad block> written at 0x1f",  # (after a repr, not in it)
        "timed out",
    ],
)
def test_an_address_outside_a_repr_is_kept(text: str) -> None:
    assert exception_text(ValueError(text)) == text


class Unprintable(Exception):
    def __str__(self) -> str:
        raise RuntimeError("no text")


def test_an_exception_whose_text_fails_is_recorded_as_unprintable() -> None:
    assert exception_text(Unprintable()) == "<unprintable Unprintable object>"
