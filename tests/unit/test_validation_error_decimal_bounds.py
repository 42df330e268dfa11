"""pydantic's ``ValidationError`` for a constraint with a ``Decimal`` bound, recorded and rebuilt.

pydantic writes a ``Decimal`` bound's message from its text (``greater than 0.10``) but
``ValidationError.from_exception_data``, which the replay rebuilds the error with, renders it
as a float (``greater than 0.1``): the line error's ``msg`` the agent reads (``e.errors()``,
``e.json()``) came back different. The recording keeps the message of each line error that
pydantic's rebuild renders differently, and the replay gives it back.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest

from pytest_clearstone.errors import RecordedError
from pytest_clearstone.golden.recorded_errors import rebuild_exception
from pytest_clearstone.tracing.span import exception_record

pydantic = pytest.importorskip("pydantic")


class Order(pydantic.BaseModel):
    fee: pydantic.condecimal(gt=Decimal("0.10"))  # type: ignore[valid-type]
    tip: Decimal = pydantic.Field(gt=Decimal("0.10"))
    price: Decimal = pydantic.Field(le=Decimal("99.50"))
    bulk: Decimal = pydantic.Field(ge=Decimal("1E+2"))
    huge: Decimal = pydantic.Field(lt=Decimal("12345678901234567890.5"))
    step: Decimal = pydantic.Field(multiple_of=Decimal("0.10"))
    guests: int = pydantic.Field(gt=0)


WRONG = {
    "fee": "0.05",
    "tip": "0.05",
    "price": "120",
    "bulk": "1",
    "huge": "12345678901234567891",
    "step": "0.15",
    "guests": 0,
}


def _recorded() -> Any:
    with pytest.raises(pydantic.ValidationError) as raised:
        Order.model_validate(WRONG)
    return raised.value


def _record(exc: BaseException) -> dict[str, Any]:
    """``exc`` recorded and written to a golden as JSON, read back."""
    record: dict[str, Any] = json.loads(json.dumps(exception_record(exc)))
    return record


def test_a_decimal_bound_reads_as_recorded_in_str_errors_and_json() -> None:
    # Expected: the rebuilt error says what the recorded one said, everywhere the agent reads
    # it. Before the fix: "Input should be greater than 0.1" in errors() and json() (and
    # "99.5", "100", "12345678901234567000" for the other bounds).
    recorded = _recorded()
    rebuilt = rebuild_exception(_record(recorded))
    assert isinstance(rebuilt, pydantic.ValidationError)
    assert type(rebuilt).__name__ == "ValidationError"
    assert type(rebuilt).__module__ == type(recorded).__module__
    assert str(rebuilt) == str(recorded)
    assert rebuilt.title == recorded.title
    assert rebuilt.errors() == recorded.errors()
    for options in (
        {"include_url": False},
        {"include_context": False},
        {"include_input": False, "include_url": False},
    ):
        assert rebuilt.errors(**options) == recorded.errors(**options)
    assert rebuilt.json() == recorded.json()
    assert rebuilt.json(indent=2) == recorded.json(indent=2)
    assert rebuilt.json(include_url=False, include_input=False) == recorded.json(
        include_url=False, include_input=False
    )
    fee = rebuilt.errors()[0]
    assert fee["msg"] == "Input should be greater than 0.10"
    assert fee["ctx"] == {"gt": Decimal("0.10")}
    assert type(fee["ctx"]["gt"]) is Decimal  # (the bound keeps its type)


def test_the_golden_keeps_only_the_messages_pydantic_renders_differently() -> None:
    record = _record(_recorded())
    messages = {entry["loc"][0]: entry.get("msg") for entry in record["validation"]["errors"]}
    assert messages == {
        "fee": "Input should be greater than 0.10",
        "tip": "Input should be greater than 0.10",
        "price": "Input should be less than or equal to 99.50",
        "bulk": "Input should be greater than or equal to 1E+2",
        "huge": "Input should be less than 12345678901234567890.5",
        "step": "Input should be a multiple of 0.10",
        "guests": None,  # (an int bound reads the same rebuilt: nothing more is stored)
    }


def test_an_error_without_a_decimal_bound_is_pydantics_own_class() -> None:
    with pytest.raises(pydantic.ValidationError) as raised:
        Order.model_validate(
            {
                **WRONG,
                **{k: "1000" for k in ("fee", "tip", "huge")},
                "price": 1,
                "bulk": 100,
                "step": "0.2",
            }
        )
    recorded = raised.value
    assert recorded.error_count() == 1  # guests
    rebuilt = rebuild_exception(_record(recorded))
    assert type(rebuilt) is type(recorded)
    assert rebuilt.errors() == recorded.errors()


def test_a_golden_recorded_before_still_reads_with_pydantics_message() -> None:
    # a golden written before the messages were kept: its errors rebuild as pydantic renders them
    recorded = _recorded()
    record = _record(recorded)
    for entry in record["validation"]["errors"]:
        entry.pop("msg", None)
    rebuilt = rebuild_exception(record)
    assert isinstance(rebuilt, pydantic.ValidationError)
    assert str(rebuilt) == str(recorded)  # (the recorded message)
    assert rebuilt.errors()[0]["msg"] == "Input should be greater than 0.1"
    assert rebuilt.errors()[0]["ctx"] == {"gt": Decimal("0.10")}


def test_an_edited_message_that_is_not_a_string_is_a_recorded_error_naming_it() -> None:
    record = _record(_recorded())
    record["validation"]["errors"][0]["msg"] = 7
    rebuilt = rebuild_exception(record)
    assert type(rebuilt) is RecordedError
    assert "its title and line errors could not be rebuilt" in str(rebuilt)
    assert "a 'msg' must be a string" in str(rebuilt)
