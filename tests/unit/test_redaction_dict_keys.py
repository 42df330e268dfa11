"""A secret that is a dict's *key* (a cache keyed by the API key, a tool's answer keyed by a
token) is redacted and checked for suspects like a string value: it never reaches a golden or a
message, and the value under it is kept."""

from __future__ import annotations

import collections

from pytest_clearstone.redaction import PLACEHOLDER, Redactor

KEY = "sk-proj-abcdefghijklmnop0123"
GITHUB = "ghp_" + "a1B2c3D4e5" * 4


def test_a_key_matching_a_pattern_is_redacted_and_its_value_kept() -> None:
    redactor = Redactor()
    assert redactor({KEY: {"calls": 3}, "model": "gpt-4o"}) == {
        PLACEHOLDER: {"calls": 3},
        "model": "gpt-4o",
    }
    assert KEY in redactor.secret_values()


def test_a_dict_subclass_keeps_no_key_redacted_away() -> None:
    redacted = Redactor()(collections.Counter({KEY: 2, "plain": 1}))
    assert type(redacted) is collections.Counter
    assert redacted == collections.Counter({PLACEHOLDER: 2, "plain": 1})


def test_a_key_inside_a_tuple_key_is_redacted() -> None:
    assert Redactor()({(KEY, 1): "v"}) == {(PLACEHOLDER, 1): "v"}


def test_a_suspect_key_fails_the_check_and_no_path_shows_it() -> None:
    redactor = Redactor()
    value = {"cache": {GITHUB: {"token_count": 1, "nested": GITHUB}}}
    found = redactor.find_secrets(value)
    assert found  # the key, and the value under it
    assert all(GITHUB not in where for where in found)


def test_a_suspect_key_met_first_without_the_check_is_still_found_by_the_check() -> None:
    redactor = Redactor()
    value = {"cache": {GITHUB: 1}}
    assert redactor.redact(value) == value  # (the rules alone: no suspect replaced)
    assert redactor(value, "output", "app.tool") == {"cache": {PLACEHOLDER: 1}}
    assert [f.path for f in redactor.findings] == ["root['cache'].keys()[0]"]


def test_plain_keys_are_kept() -> None:
    value = {"max_tokens": 1, 3: "x", ("a", "b"): 2, "temperature": 0.2}
    assert Redactor()(value) == value
    assert Redactor().find_secrets(value) == []
