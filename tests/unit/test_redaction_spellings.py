"""redaction.spellings and base64_cores: the forms of a secret value looked for and hidden."""

from __future__ import annotations

from pytest_clearstone.redaction import base64_cores, spellings


def test_a_value_s_spellings_are_itself_then_url_encoded_then_json_escaped() -> None:
    assert list(spellings("a b/c")) == ["a b/c", "a%20b%2Fc", "a%20b/c", "a+b%2Fc"]
    assert list(spellings('k"1')) == ['k"1', "k%221", 'k\\"1']
    assert list(spellings("plain-token")) == ["plain-token"]
    # a backslash, a character that is not printable: escaped; other letters kept as they are
    assert list(spellings("a\\b"))[-1] == "a\\\\b"
    assert list(spellings("a\tb"))[-1] == "a\\tb"
    assert list(spellings('é"'))[-1] == 'é\\"'


def test_base64_cores_are_the_characters_made_of_the_value_s_bits_alone() -> None:
    # "abc" at each place in a group of three: b"abc" -> "YWJj", b"?abc" -> "?FiY?",
    # b"??abc" -> "??hYm?" (the characters shared with the bytes around it left out)
    assert base64_cores(b"abc") == ["YWJj", "FiY", "hYm"]
    # with the URL-safe alphabet's form where it differs
    assert base64_cores(b"\xfb\xef\xbe") == ["++++", "----", "vvv", "777"]
    assert base64_cores(b"\xff\xff\xff")[:2] == ["////", "____"]
