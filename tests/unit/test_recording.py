"""The fixes a refused golden names for an answer that cannot be replayed, chosen by the
answer's type (:mod:`pytest_clearstone.golden.recording`)."""

from __future__ import annotations

import sqlite3

# (imported: the fixes look a class up only among the modules loaded)
import openai.lib.realtime_translation
import openai.lib.responses_websocket._session
import openai.pagination
import openai.resources.vector_stores.files
import pytest
from openai import NOT_GIVEN
from openai.lib.streaming.chat import ChatCompletionStreamManager

from pytest_clearstone.codec.tags import StoredRepr
from pytest_clearstone.golden.recording import (
    _WEBSOCKET_FIXES,
    _answer_class,
    _database_fix,
    _poll_helper_fix,
    _repr_fixes,
    helper_answer,
    screening_unreplayable_answers,
)

VECTOR_STORE_FILES = "openai.resources.vector_stores.files.Files"


class Result:
    """A class of one's own named as SQLAlchemy's result is."""


class Repository:
    """A class of one's own with a ``commit`` method and no ``cursor``."""

    def commit(self) -> None: ...


def test_a_sqlite3_connection_is_told_to_mock_the_queries_not_to_read_its_rows() -> None:
    fix = _database_fix(sqlite3.Connection, "app.connect")
    assert fix.startswith("mock the functions that run the queries"), fix
    assert "not the one that opens the connection" in fix


def test_a_class_of_ones_own_named_as_sqlalchemys_result_gets_no_database_fix() -> None:
    assert _database_fix(Result, "app.run") == ""


def test_a_class_of_ones_own_with_commit_and_no_cursor_is_not_taken_for_a_connection() -> None:
    assert _database_fix(Repository, "app.save") == ""


def test_a_raw_response_of_a_method_other_than_retrieve_names_no_polling_helper() -> None:
    assert _poll_helper_fix(f"{VECTOR_STORE_FILES}.delete") == ""
    assert "create_and_poll" in _poll_helper_fix(f"{VECTOR_STORE_FILES}.retrieve")


def files(client: object) -> openai.pagination.SyncPage[int]:
    """A function of one's own annotated with a dotted path to a generic page."""
    raise NotImplementedError


def test_an_answer_class_annotated_by_a_dotted_path_is_found_through_each_name() -> None:
    assert _answer_class(files) is openai.pagination.SyncPage


def test_a_translation_connection_of_openais_helper_module_gets_the_websocket_fix() -> None:
    type_name = "openai.lib.realtime_translation.AsyncTranslationConnection"
    assert _repr_fixes(type_name, "app.connect", pickles=False) == _WEBSOCKET_FIXES


@pytest.mark.parametrize(
    "type_name",
    [
        "openai.lib.realtime_translation.TranslationSession",
        "openai.lib.realtime_translation.AsyncTranslationSession",
        "openai.lib.responses_websocket._session.ResponsesWebSocketSession",
        "openai.lib.responses_websocket._session.AsyncResponsesWebSocketSession",
    ],
)
def test_a_session_of_openais_helper_modules_that_opens_a_websocket_gets_the_websocket_fix(
    type_name: str,
) -> None:
    assert _repr_fixes(type_name, "app.connect", pickles=False) == _WEBSOCKET_FIXES


def test_a_stream_helpers_answer_is_screened_to_its_repr_without_its_address() -> None:
    manager = ChatCompletionStreamManager(
        lambda: None, response_format=NOT_GIVEN, input_tools=NOT_GIVEN
    )
    screened = screening_unreplayable_answers(None)(manager, "output", "app.ask")
    assert isinstance(screened, StoredRepr)
    assert " at 0x" in repr(manager)
    assert " at 0x" not in screened.text, screened.text


def test_a_numpy_array_stored_as_its_repr_is_told_first_to_convert_it_with_tolist() -> None:
    import numpy  # noqa: F401  (loaded: the fix looks the class up among the modules loaded)

    fixes = _repr_fixes("numpy.ndarray", "app.rank", pickles=False)
    assert fixes.startswith(
        "only its repr could be stored, and a repr cannot be replayed. Convert it with "
        ".tolist() in the function that returns it, teach the codec the type"
    ), fixes


def test_a_websocket_connection_answered_by_a_function_of_ones_own_is_screened_to_its_repr() -> (
    None
):
    connection_class = openai.lib.realtime_translation.TranslationConnection
    connection = connection_class.__new__(connection_class)  # (its socket is not needed)
    screened = screening_unreplayable_answers(None)(connection, "output", "app.connect")
    assert isinstance(screened, StoredRepr)
    assert screened.type_name == "openai.lib.realtime_translation.TranslationConnection"


def test_a_helpers_answer_named_with_its_generic_parameters_is_known() -> None:
    helper = helper_answer("openai.lib.streaming.chat.ChatCompletionStreamManager[Reply]")
    assert helper is not None
    assert helper.call == "chat.completions.stream(...)"


def test_an_anthropic_raw_response_names_langchains_anthropic_chat_model() -> None:
    fixes = _repr_fixes(
        "anthropic._response.APIResponse",
        "anthropic.resources.messages.Messages.create",
        pickles=False,
    )
    assert "(e.g. langchain_anthropic.ChatAnthropic.invoke)" in fixes, fixes


def test_the_arguments_given_to_run_are_bound_by_name_a_partial_s_first() -> None:
    """What the redaction rules read, by parameter name, to note the secrets among them."""
    import functools

    from pytest_clearstone.golden.recording import run_arguments

    def ask(api_key: str, question: str, *, headers: object = None) -> None: ...

    held = functools.partial(functools.partial(ask, "sk-held"), headers={"X-Key": "k"})
    assert run_arguments(held, ("q",), {}) == {
        "api_key": "sk-held",
        "question": "q",
        "headers": {"X-Key": "k"},
    }
    assert run_arguments(ask, ("sk-given", "q"), {}) == {"api_key": "sk-given", "question": "q"}
