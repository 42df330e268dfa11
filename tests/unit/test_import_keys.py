"""golden/import_keys.py: the note for a module that fails to import without a provider key."""

from __future__ import annotations

from pytest_clearstone.golden.import_keys import missing_key_note

OPENAI = (
    "openai.OpenAIError: Missing credentials. Please pass an `api_key`, ... or set the "
    "`OPENAI_API_KEY` or `OPENAI_ADMIN_KEY` environment variable."
)
NAMES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY", "MY_KEY")


def test_an_unset_variable_the_error_names_is_the_one_noted() -> None:
    note = missing_key_note("tests/test_a.py", OPENAI, NAMES, {"ANTHROPIC_API_KEY": ""})
    assert note.startswith("tests/test_a.py failed to import without OPENAI_API_KEY: ")
    assert note.endswith("(OPENAI_API_KEY=placeholder pytest)")


def test_an_empty_variable_is_unset_and_several_are_named_together() -> None:
    error = "MY_KEY and OPENAI_API_KEY are not set"
    note = missing_key_note("t.py", error, NAMES, {"OPENAI_API_KEY": ""})
    assert "without OPENAI_API_KEY and MY_KEY: pytest-clearstone gives them a placeholder" in note
    assert "(OPENAI_API_KEY=placeholder MY_KEY=placeholder pytest)" in note


def test_no_note_for_a_variable_that_is_set_or_named_only_inside_another_name() -> None:
    assert missing_key_note("t.py", OPENAI, NAMES, {"OPENAI_API_KEY": "sk-x"}) == ""
    assert missing_key_note("t.py", "set MY_KEY_FILE", NAMES, {}) == ""
    assert missing_key_note("t.py", "set OTHER_MY_KEY", NAMES, {}) == ""
    assert missing_key_note("t.py", "ImportError: no module named x", NAMES, {}) == ""
