"""pydantic's ``ValidationError``, recorded and raised again at replay as itself.

A tool that validates its input with a pydantic model raises it, and agents catch it
(``except ValidationError as e: return f"invalid: {e}"``, ``e.errors()``). Its class cannot be
created from its ``args``: a recording keeps its title and line errors, and replay rebuilds it
with ``ValidationError.from_exception_data``. A golden recorded before (its message only) still
reads, as :class:`RecordedError` saying to re-record.
"""

from __future__ import annotations

import json
import subprocess
import sys
from decimal import Decimal
from typing import Any

import pytest

from pytest_clearstone import codec
from pytest_clearstone.errors import RecordedError
from pytest_clearstone.golden.recorded_errors import rebuild_exception
from pytest_clearstone.tracing.span import exception_record

pydantic = pytest.importorskip("pydantic")
pydantic_core = pytest.importorskip("pydantic_core")


class WeatherArgs(pydantic.BaseModel):
    city: str
    days: int


class Booking(pydantic.BaseModel):
    guests: int = pydantic.Field(gt=0)
    price: Decimal = pydantic.Field(le=Decimal("99.50"))
    code: str

    @pydantic.field_validator("code")
    @classmethod
    def _known(cls, code: str) -> str:
        if code == "bad":
            raise ValueError(f"unknown code {code!r}")
        if code == "custom":
            raise pydantic_core.PydanticCustomError(
                "code_format", "code {code} is not {shape}", {"code": code, "shape": "AB-123"}
            )
        assert code != "assert", "codes are never 'assert'"
        return code


class Hidden(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(hide_input_in_errors=True)
    token: int


def _raised(call: Any, *args: Any) -> Any:
    with pytest.raises(pydantic.ValidationError) as raised:
        call(*args)
    return raised.value


def _replayed(exc: BaseException) -> BaseException:
    """``exc`` recorded, written to a golden as JSON, read back and rebuilt."""
    return rebuild_exception(json.loads(json.dumps(exception_record(exc))))


def _comparable(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Line errors with an exception in their ``ctx`` shown by its class and arguments
    (exceptions compare by identity)."""
    shown = []
    for line in errors:
        ctx = {
            key: (type(v), v.args) if isinstance(v, BaseException) else v
            for key, v in (line.get("ctx") or {}).items()
        }
        shown.append({**line, "ctx": ctx} if "ctx" in line else line)
    return shown


def _assert_the_same(rebuilt: BaseException, recorded: Any) -> None:
    assert type(rebuilt) is type(recorded)
    assert isinstance(rebuilt, pydantic.ValidationError)
    assert str(rebuilt) == str(recorded)
    assert rebuilt.title == recorded.title
    assert rebuilt.error_count() == recorded.error_count()
    assert _comparable(rebuilt.errors()) == _comparable(recorded.errors())
    assert _comparable(rebuilt.errors(include_url=False)) == _comparable(
        recorded.errors(include_url=False)
    )


CASES = {
    "tool_arguments": lambda: WeatherArgs.model_validate({"city": "Paris", "days": "three"}),
    "missing_and_nested": lambda: pydantic.TypeAdapter(list[WeatherArgs]).validate_python(
        [{"city": "Oslo", "days": 2}, {"days": 1.5}]
    ),
    "json_input": lambda: WeatherArgs.model_validate_json('{"city": 3, "days": "x"}'),
    "invalid_json": lambda: WeatherArgs.model_validate_json('{"city": '),
    "constraint_with_ctx": lambda: Booking.model_validate(
        {"guests": 0, "price": 1, "code": "AB-1"}
    ),
    "value_error": lambda: Booking.model_validate({"guests": 1, "price": 1, "code": "bad"}),
    "assertion_error": lambda: Booking.model_validate({"guests": 1, "price": 1, "code": "assert"}),
    "custom_error": lambda: Booking.model_validate({"guests": 1, "price": 1, "code": "custom"}),
    "hidden_input": lambda: Hidden.model_validate({"token": "sk-not-a-number"}),
    # an input the golden stores tagged (a Decimal; bytes): it comes back as itself
    "tagged_input": lambda: WeatherArgs.model_validate({"city": b"\xff", "days": Decimal("1.5")}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_a_validation_error_replays_as_itself(case: str) -> None:
    # Expected: the agent's `except ValidationError` catches the replayed error, which reads as
    # recorded (its text goes to the LLM) and tells the same errors. Before the fix: a
    # RecordedError (its class cannot be created from its args), which the agent's except
    # clause did not catch: the test passed when recorded and failed on every replay.
    recorded = _raised(CASES[case])
    _assert_the_same(_replayed(recorded), recorded)


def test_a_value_errors_exception_comes_back_as_its_class() -> None:
    recorded = _raised(CASES["value_error"])
    (line,) = _replayed(recorded).errors()  # type: ignore[attr-defined]
    assert type(line["ctx"]["error"]) is ValueError
    assert str(line["ctx"]["error"]) == "unknown code 'bad'"


class _Chained(pydantic.BaseModel):
    code: str

    @pydantic.field_validator("code")
    @classmethod
    def _known(cls, code: str) -> str:
        try:
            try:
                return {"AB-1": code}[code]
            except KeyError as exc:
                raise LookupError(f"no code {code!r} in the table") from exc
        except LookupError as exc:
            raise ValueError(f"unknown code {code!r}") from exc


def test_a_value_errors_exception_comes_back_with_its_causes() -> None:
    recorded = _raised(_Chained.model_validate, {"code": "bad"})
    (line,) = _replayed(recorded).errors()  # type: ignore[attr-defined]
    chain, error = [], line["ctx"]["error"]
    while error is not None:
        chain.append((type(error), str(error)))
        error = error.__cause__
    assert chain == [
        (ValueError, "unknown code 'bad'"),
        (LookupError, "no code 'bad' in the table"),
        (KeyError, "'bad'"),
    ]


def test_a_custom_errors_template_and_context_come_back() -> None:
    recorded = _raised(CASES["custom_error"])
    record = json.loads(json.dumps(exception_record(recorded)))
    (line,) = record["validation"]["errors"]
    assert line["message_template"] == "code {code} is not {shape}"
    (rebuilt,) = rebuild_exception(record).errors()  # type: ignore[attr-defined]
    assert rebuilt["msg"] == "code custom is not AB-123"
    assert rebuilt["ctx"] == {"code": "custom", "shape": "AB-123"}


def test_the_golden_holds_the_title_and_line_errors_readably() -> None:
    record = exception_record(
        _raised(Booking.model_validate, {"guests": 0, "price": "120.00", "code": "AB-1"})
    )
    assert record["validation"]["title"] == "Booking"
    assert record["validation"]["input_type"] == "python"
    assert record["validation"]["hide_input"] is False
    first, second = record["validation"]["errors"]
    assert first == {"type": "greater_than", "loc": ["guests"], "input": 0, "ctx": {"gt": 0}}
    assert second["type"] == "less_than_equal"
    assert codec.decode(second["ctx"]) == {"le": Decimal("99.50")}
    assert "pickle" not in json.dumps(record)


def test_a_decimal_bound_reads_as_recorded() -> None:
    # pydantic renders a Decimal bound given to from_exception_data as a float ("99.5" for the
    # "99.50" of the validation): the text is the recorded one all the same (a subclass's
    # str()), and so is the line error's message, kept by the recording
    # (tests/unit/test_validation_error_decimal_bounds.py)
    recorded = _raised(Booking.model_validate, {"guests": 1, "price": "120.00", "code": "AB-1"})
    rebuilt = _replayed(recorded)
    assert isinstance(rebuilt, pydantic.ValidationError)
    assert str(rebuilt) == str(recorded)
    (line,) = rebuilt.errors(include_url=False)
    assert {**line, "msg": ""} == {**recorded.errors(include_url=False)[0], "msg": ""}
    assert line["msg"] == "Input should be less than or equal to 99.50"


class _Opaque:
    """An input only a pickle could store: the golden holds a placeholder in its place."""

    def __repr__(self) -> str:
        return "<Opaque handle>"


def test_an_input_stored_as_a_placeholder_still_reads_as_recorded() -> None:
    recorded = _raised(WeatherArgs.model_validate, {"city": _Opaque(), "days": 1})
    rebuilt = _replayed(recorded)
    assert isinstance(rebuilt, pydantic.ValidationError)
    assert str(rebuilt) == str(recorded)
    assert rebuilt.error_count() == 1
    assert rebuilt.errors()[0]["type"] == "string_type"


def test_notes_and_cause_come_back_with_it() -> None:
    recorded = _raised(CASES["tool_arguments"])
    recorded.__notes__ = ["while validating the LLM's tool call"]  # (add_note: Python 3.11+)
    wrapper = RuntimeError("tool failed")
    wrapper.__cause__ = recorded
    rebuilt = _replayed(recorded)
    assert rebuilt.__notes__ == ["while validating the LLM's tool call"]
    cause = _replayed(wrapper).__cause__
    assert isinstance(cause, pydantic.ValidationError)
    assert str(cause) == str(recorded)


def test_a_golden_recorded_before_reads_as_recorded_error_saying_to_re_record() -> None:
    # a golden written before its title and line errors were recorded: its message only
    recorded = _raised(CASES["tool_arguments"])
    record = json.loads(json.dumps(exception_record(recorded)))
    del record["validation"]
    rebuilt = rebuild_exception(record)
    assert type(rebuilt) is RecordedError
    assert rebuilt.type_name == "pydantic_core.ValidationError"
    assert rebuilt.message == str(recorded)
    text = str(rebuilt)
    assert "the golden holds its message only, not its title and line errors" in text
    assert "an except clause for that class does not catch it" in text
    assert "re-record the test (pytest --clearstone-record)" in text


def _record(**validation: Any) -> dict[str, Any]:
    state = {"title": "T", "input_type": "python", "hide_input": False, "errors": []}
    return {
        "type": "ValidationError",
        "module": "pydantic_core._pydantic_core",
        "message": "1 validation error for T",
        "args": [],
        "validation": {**state, **validation},
    }


@pytest.mark.parametrize(
    ("validation", "why"),
    [
        ({"title": 3}, "'title' must be a string"),
        ({"input_type": "yaml"}, "'input_type' must be 'python' or 'json'"),
        ({"input_type": None}, "'input_type' must be 'python' or 'json'"),
        ({"errors": {"type": "missing"}}, "'errors' must be a list"),
        ({"errors": [{"type": "missing", "loc": [{"a": 1}]}]}, "a 'loc' must be"),
        ({"errors": [{"type": 3, "loc": []}]}, "each of 'errors' must be an object with a 'type'"),
        (
            {"errors": [{"type": "greater_than", "loc": [], "ctx": [1]}]},
            "a 'ctx' must be an object",
        ),
        ({"errors": [{"type": "no_such_error", "loc": []}]}, "no_such_error"),
        ({"errors": [{"type": "missing", "loc": [], "message_template": 7}]}, "message_template"),
        (
            {"errors": [{"type": "value_error", "loc": [], "ctx_exceptions": {"error": 1}}]},
            "'ctx_exceptions'",
        ),
    ],
    ids=[
        "title",
        "input_type",
        "input_type_null",
        "errors",
        "loc",
        "type_not_a_string",
        "ctx",
        "type",
        "template",
        "ctx_exceptions",
    ],
)
def test_an_edited_record_stands_in_as_recorded_error_naming_what_is_wrong(
    validation: dict[str, Any], why: str
) -> None:
    rebuilt = rebuild_exception(_record(**validation))
    assert type(rebuilt) is RecordedError
    assert "its title and line errors could not be rebuilt" in str(rebuilt)
    assert why in str(rebuilt)


def test_an_edited_validation_state_that_is_not_an_object_is_named() -> None:
    rebuilt = rebuild_exception({**_record(), "validation": ["T", []]})
    assert type(rebuilt) is RecordedError
    assert "'validation' must be an object" in str(rebuilt)


def test_a_ctx_exception_naming_no_exception_class_is_a_recorded_error() -> None:
    # the golden is untrusted: a ctx exception is rebuilt as any recorded exception is, never
    # as a class that is not an exception (as a cause is: the error itself is still raised)
    hostile = {"type": "Popen", "module": "subprocess", "message": "", "args": [["true"]]}
    line = {"type": "value_error", "loc": [], "input": 1, "ctx_exceptions": {"error": hostile}}
    rebuilt = rebuild_exception(_record(errors=[line]))
    assert isinstance(rebuilt, pydantic.ValidationError)
    assert str(rebuilt) == "1 validation error for T"
    error = rebuilt.errors()[0]["ctx"]["error"]
    assert type(error) is RecordedError
    assert error.type_name == "subprocess.Popen"
    assert "the recorded name is not an exception class" in str(error)


def test_a_validation_state_on_another_class_is_not_used() -> None:
    # only pydantic's ValidationError (and its subclasses) is made from a validation state
    record = {**_record(), "type": "ValueError", "module": "builtins", "message": "plain"}
    rebuilt = rebuild_exception({**record, "args": ["plain"]})
    assert type(rebuilt) is ValueError
    assert rebuilt.args == ("plain",)


def test_another_exception_made_of_a_validation_errors_four_arguments_has_no_validation_state() -> (
    None
):
    # (its BaseException.__reduce__ gives them back as a ValidationError's gives its own)
    lines = [{"type": "missing", "loc": ("city",), "input": {}}]
    record = exception_record(ValueError("WeatherArgs", lines, "python", False))
    assert "validation" not in record
    assert record["type"] == "ValueError"


def test_recording_and_rebuilding_other_exceptions_imports_no_pydantic() -> None:
    code = (
        "import sys, json\n"
        "from pytest_clearstone.tracing.span import exception_record\n"
        "from pytest_clearstone.golden.recorded_errors import rebuild_exception\n"
        "e = rebuild_exception(json.loads(json.dumps(exception_record(KeyError('k')))))\n"
        "assert type(e) is KeyError, e\n"
        "print([m for m in ('pydantic', 'pydantic_core') if m in sys.modules])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_an_exception_in_a_lines_ctx_is_kept_as_a_record_only() -> None:
    record = exception_record(_raised(CASES["value_error"]))
    (line,) = record["validation"]["errors"]
    assert "ctx" not in line  # (its only context is the exception, recorded as such)
    assert line["ctx_exceptions"]["error"]["type"] == "ValueError"


def test_an_edited_hide_input_that_is_not_a_truth_value_is_named() -> None:
    rebuilt = rebuild_exception(_record(hide_input="no"))
    assert type(rebuilt) is RecordedError
    assert "'hide_input' must be true or false" in str(rebuilt)


def test_a_state_is_made_into_pydantics_validation_error_only() -> None:
    from pytest_clearstone.codec.validation_errors import validation_error_from_state

    with pytest.raises(ValueError, match="ValueError is not pydantic's ValidationError"):
        validation_error_from_state(ValueError, _record()["validation"], codec.decode, Exception)


def test_a_kept_message_reads_as_recorded_with_text_outside_ascii() -> None:
    recorded = _raised(
        Booking.model_validate, {"guests": "zwölf", "price": "120.00", "code": "AB-1"}
    )
    rebuilt = _replayed(recorded)
    assert type(rebuilt).__qualname__ == type(recorded).__qualname__ == "ValidationError"
    assert str(rebuilt) == str(recorded)
    assert rebuilt.json() == recorded.json()  # type: ignore[attr-defined]
    assert "zwölf" in rebuilt.json()  # type: ignore[attr-defined]


class ToolArgumentsError(pydantic_core.ValidationError):
    """A tool's own subclass of pydantic's ValidationError."""


def test_a_subclass_of_validation_error_replays_as_itself() -> None:
    # a tool raising its own subclass (made as pydantic makes its own) is recorded with its title
    # and line errors too: the agent's `except ToolArgumentsError` catches the replayed one
    _, made_of = _raised(CASES["tool_arguments"]).__reduce__()
    recorded = ToolArgumentsError.from_exception_data(*made_of)
    assert "validation" in exception_record(recorded)
    _assert_the_same(_replayed(recorded), recorded)


def test_a_record_without_its_input_type_and_hide_input_reads_as_pythons_with_input() -> None:
    # a hand-written (or older) golden: a Python validation, its input shown, as pydantic's own
    # defaults are
    line = {"type": "dict_type", "loc": ["args"], "input": 1}
    made = pydantic_core.ValidationError.from_exception_data("T", [{**line, "loc": ("args",)}])
    record = {**_record(errors=[line]), "message": str(made)}
    del record["validation"]["input_type"], record["validation"]["hide_input"]
    rebuilt = rebuild_exception(record)
    assert type(rebuilt) is pydantic_core.ValidationError
    assert repr(rebuilt) == repr(made)
    assert "input_value=1," in repr(rebuilt)
    assert rebuilt.errors()[0]["msg"] == "Input should be a valid dictionary"


def test_a_kept_messages_error_has_the_doc_of_its_class() -> None:
    recorded = _raised(Booking.model_validate, {"guests": 1, "price": "120.00", "code": "AB-1"})
    rebuilt = _replayed(recorded)
    assert type(rebuilt) is not type(recorded)  # (a subclass giving the kept message)
    assert type(rebuilt).__doc__ == type(recorded).__doc__
    assert type(rebuilt).__module__ == type(recorded).__module__


class Tool:
    class ArgumentsError(pydantic_core.ValidationError):
        """A tool's own subclass of pydantic's ValidationError, nested in its class."""


def test_a_kept_messages_error_of_a_nested_subclass_has_its_qualified_name() -> None:
    invalid = {"guests": 1, "price": "120.00", "code": "AB-1"}
    _, made_of = _raised(Booking.model_validate, invalid).__reduce__()
    record = json.loads(
        json.dumps(exception_record(Tool.ArgumentsError.from_exception_data(*made_of)))
    )
    (line,) = record["validation"]["errors"]
    line["msg"] = "Input should be less than or equal to 99.50"  # (as pydantic wrote it)
    rebuilt = rebuild_exception(record)
    assert type(rebuilt) is not Tool.ArgumentsError  # (a subclass giving the kept message)
    assert isinstance(rebuilt, Tool.ArgumentsError)
    assert type(rebuilt).__qualname__ == "Tool.ArgumentsError"
    assert rebuilt.errors()[0]["msg"] == line["msg"]
