"""The codec stores values of the real client libraries readably (pydantic, attrs, named tuples,
httpx/httpx2, openai/anthropic clients and resources) and brings them back as the same type;
types can be taught with ``register`` and the hooks."""

from __future__ import annotations

import asyncio
import collections
import contextlib
import dataclasses
import datetime as dt
import http.server
import importlib
import inspect
import io
import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, ClassVar, Final, Generic, NamedTuple, TypeVar

import pytest

from pytest_clearstone import codec
from pytest_clearstone.codec import TAG, decode, dumps, encode, loads
from pytest_clearstone.codec.registry import REGISTRY
from pytest_clearstone.errors import DecodeError, SerializationError, StoredClassError

openai = pytest.importorskip("openai")
anthropic = pytest.importorskip("anthropic")
pydantic = pytest.importorskip("pydantic")
alias_generators = pytest.importorskip("pydantic.alias_generators")
httpx = pytest.importorskip("httpx")
httpx2 = pytest.importorskip("httpx2")
attrs = pytest.importorskip("attrs")
langchain_messages = pytest.importorskip("langchain_core.messages")

API_KEY = "sk-proj-clearstone-test-0123456789abcdef"

COMPLETION_JSON = {
    "id": "chatcmpl-AyPNinnUqUDYo9SAdA52NobMflmj2",
    "object": "chat.completion",
    "created": 1738960610,
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_Mz0dVS4e8Ygt0sY5tPyQrkRb",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city":"Paris"}'},
                    }
                ],
                "refusal": None,
                "annotations": [],
            },
            "logprobs": None,
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {
        "prompt_tokens": 82,
        "completion_tokens": 17,
        "total_tokens": 99,
        "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": 0,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    },
    "service_tier": "default",
    "system_fingerprint": "fp_50cad350e4",
}

ANTHROPIC_MESSAGE_JSON = {
    "id": "msg_01Aq9w938a90dw8q",
    "type": "message",
    "role": "assistant",
    "model": "claude-sonnet-4-5-20250929",
    "content": [
        {"type": "text", "text": "I'll check the weather in Paris."},
        {
            "type": "tool_use",
            "id": "toolu_01A09q90qw90lq917835lq9",
            "name": "get_weather",
            "input": {"city": "Paris", "unit": "celsius"},
        },
    ],
    "stop_reason": "tool_use",
    "stop_sequence": None,
    "usage": {"input_tokens": 472, "output_tokens": 89},
}


def roundtrip(value: Any) -> tuple[Any, str]:
    """Encode, write as text (as the store and checkpoint files do), read back."""
    tree = encode(value)
    text = json.dumps(tree)
    assert '"pickle"' not in text
    assert dumps(tree) == dumps(encode(value))  # stable
    return loads(dumps(tree)), text


def tags_in(tree: Any) -> set[str]:
    if isinstance(tree, dict):
        found = {tree[TAG]} if TAG in tree else set()
        for v in tree.values():
            found |= tags_in(v)
        return found
    if isinstance(tree, list):
        return set().union(*(tags_in(v) for v in tree)) if tree else set()
    return set()


# ---------------------------------------------------------------- pydantic


def test_openai_chat_completion_with_tool_calls_round_trips() -> None:
    from openai.types.chat import ChatCompletion

    completion = ChatCompletion.model_validate(COMPLETION_JSON)
    completion._request_id = "req_5f7a1c2d9e"
    back, text = roundtrip(completion)
    assert type(back) is ChatCompletion
    assert back == completion
    assert back._request_id == "req_5f7a1c2d9e"
    call = back.choices[0].message.tool_calls[0]
    assert type(call) is type(completion.choices[0].message.tool_calls[0])
    assert call.function.name == "get_weather"
    assert json.loads(call.function.arguments) == {"city": "Paris"}
    assert back.usage.completion_tokens_details.reasoning_tokens == 0
    assert back.model_fields_set == completion.model_fields_set
    assert (
        back.choices[0].message.model_fields_set == completion.choices[0].message.model_fields_set
    )
    assert back.model_dump() == completion.model_dump()
    for name in ('"get_weather"', '"tool_calls"', '"finish_reason"', '"_request_id"', "req_5f7a"):
        assert name in text
    tree = encode(completion)
    assert tree[TAG] == "pydantic"
    assert tree["cls"] == "openai.types.chat.chat_completion:ChatCompletion"
    assert tree["attrs"] == {"_request_id": "req_5f7a1c2d9e"}


def test_anthropic_message_with_a_tool_use_block_round_trips() -> None:
    from anthropic.types import Message, ToolUseBlock

    message = Message.model_validate(ANTHROPIC_MESSAGE_JSON)
    back, text = roundtrip(message)
    assert type(back) is Message
    assert back == message
    block = back.content[1]
    assert isinstance(block, ToolUseBlock)
    assert block.input == {"city": "Paris", "unit": "celsius"}
    assert back.stop_reason == "tool_use"
    assert '"tool_use"' in text
    assert '"input_tokens"' in text


def test_langchain_messages_round_trip() -> None:
    from langchain_core.messages import AIMessage, HumanMessage

    human = HumanMessage(content="What's the weather in Paris?", id="msg-1")
    ai = AIMessage(
        content="",
        tool_calls=[{"name": "get_weather", "args": {"city": "Paris"}, "id": "call_1"}],
        response_metadata={"model_name": "gpt-4o", "finish_reason": "tool_calls"},
        usage_metadata={"input_tokens": 10, "output_tokens": 5, "total_tokens": 15},
    )
    back, text = roundtrip([human, ai])
    assert back == [human, ai]
    assert type(back[0]) is HumanMessage
    assert type(back[1]) is AIMessage
    assert back[1].tool_calls[0]["args"] == {"city": "Paris"}
    assert back[1].usage_metadata["total_tokens"] == 15
    assert back[0].text == "What's the weather in Paris?"
    assert '"tool_calls"' in text
    assert '"langchain_core.messages.ai:AIMessage"' in text


class Weather(pydantic.BaseModel):
    city: str
    temperature_c: float


def test_parsed_chat_completion_generic_round_trips() -> None:
    from openai.types.chat import ParsedChatCompletion

    data = json.loads(json.dumps(COMPLETION_JSON))
    message = data["choices"][0]["message"]
    message.update(content='{"city":"Paris","temperature_c":21.5}', tool_calls=None)
    message["parsed"] = {"city": "Paris", "temperature_c": 21.5}
    parsed = ParsedChatCompletion[Weather].model_validate(data)
    assert isinstance(parsed.choices[0].message.parsed, Weather)
    tree = encode(parsed)
    assert tree["cls"] == "openai.types.chat.parsed_chat_completion:ParsedChatCompletion"
    assert tree["args"] == [f"{__name__}:Weather"]
    back, text = roundtrip(parsed)
    assert type(back) is ParsedChatCompletion[Weather]
    assert back == parsed
    assert back.choices[0].message.parsed == Weather(city="Paris", temperature_c=21.5)
    assert '"temperature_c"' in text


def test_what_the_sdk_parse_returns_round_trips() -> None:
    # `client.chat.completions.parse(response_format=Weather)` returns the generic parametrised
    # with the SDK's own type variable, `ParsedChatCompletion[~ResponseFormatT]` (its choices and
    # messages likewise); the variable is stored by its path and the same class comes back
    from openai import omit
    from openai.lib._parsing._completions import ResponseFormatT, parse_chat_completion
    from openai.types.chat import ChatCompletion, ParsedChatCompletion

    data = json.loads(json.dumps(COMPLETION_JSON))
    data["choices"][0]["message"].update(
        content='{"city":"Paris","temperature_c":21.5}', tool_calls=None
    )
    parsed = parse_chat_completion(
        response_format=Weather,
        input_tools=omit,
        chat_completion=ChatCompletion.model_validate(data),
    )
    assert type(parsed) is ParsedChatCompletion[ResponseFormatT]  # type: ignore[valid-type]
    tree = encode(parsed)
    assert tree["args"] == [{"typevar": "openai.lib._parsing._completions:ResponseFormatT"}]
    back, _ = roundtrip(parsed)
    assert type(back) is type(parsed)
    assert type(back.choices[0]) is type(parsed.choices[0])
    assert back == parsed
    assert back.choices[0].message.parsed == Weather(city="Paris", temperature_c=21.5)


ItemT = TypeVar("ItemT")
OtherT = TypeVar("OtherT")


class Box(pydantic.BaseModel, Generic[ItemT]):
    item: int


def test_a_type_variable_that_cannot_be_imported_again_is_not_stored_as_one() -> None:
    back, _ = roundtrip(Box[OtherT](item=1))  # type: ignore[valid-type]
    assert type(back) is Box[OtherT]  # type: ignore[valid-type]
    local = TypeVar("local")  # its module has no attribute of that name
    with pytest.raises(SerializationError, match="pickles are not allowed"):
        encode(Box[local](item=1), strict=True, allow_pickle=False)  # type: ignore[valid-type]


def test_a_golden_giving_a_generic_arguments_it_does_not_take_is_a_clear_error() -> None:
    args = ["builtins:int", "builtins:str"]
    text = json.dumps({TAG: "pydantic", "cls": f"{__name__}:Box", "args": args, "v": {}})
    with pytest.raises(DecodeError, match=r"cannot parametrise .*:Box' with \['builtins:int', "):
        loads(text)


class Shelf(Generic[OtherT]):
    """A ``typing.Generic`` class whose subscription runs its own code."""

    subscripted: ClassVar[list[Any]] = []

    def __class_getitem__(cls, item: Any) -> Any:
        cls.subscripted.append(item)
        return super().__class_getitem__(item)  # type: ignore[misc]


def test_a_golden_naming_a_class_with_its_own_class_getitem_as_generic_runs_none_of_it() -> None:
    text = json.dumps(
        {TAG: "pydantic", "cls": f"{__name__}:Shelf", "args": ["builtins:int"], "v": {}}
    )
    with pytest.raises(StoredClassError, match="is not a generic pydantic model"):
        loads(text)
    assert Shelf.subscripted == []


class Invoice(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")

    number: str
    total: Decimal
    issued: dt.date
    note: str = "none"
    _secret_cache: dict[str, int] = pydantic.PrivateAttr(default_factory=dict)
    _source: str = pydantic.PrivateAttr(default="api")


def test_pydantic_model_keeps_extras_private_attributes_and_fields_set() -> None:
    invoice = Invoice.model_validate(
        {"number": "INV-1", "total": "12.50", "issued": "2025-01-15", "vendor": "ACME"}
    )
    invoice._secret_cache["hits"] = 3
    invoice._source = "cache"
    back, text = roundtrip(invoice)
    assert type(back) is Invoice
    assert back == invoice
    assert back.__pydantic_extra__ == {"vendor": "ACME"}
    assert back.vendor == "ACME"  # type: ignore[attr-defined]
    assert back._secret_cache == {"hits": 3}
    assert back._source == "cache"
    assert back.model_fields_set == {"number", "total", "issued", "vendor"}
    assert back.total == Decimal("12.50")
    assert isinstance(back.issued, dt.date)
    back.note = "changed"  # a working model: assignment, dumps
    assert back.model_dump()["note"] == "changed"
    tree = encode(invoice)
    assert tree["set"] == ["issued", "number", "total", "vendor"]  # not "note"
    assert tree["extra"] == {"vendor": "ACME"}
    assert '"_source"' in text
    # a model that allows extras, with none: it comes back equal, taking extras again
    plain = Invoice(number="INV-2", total=Decimal(1), issued=dt.date(2025, 1, 2))
    back = loads(dumps(encode(plain)))
    assert back == plain and back.__pydantic_extra__ == {}
    back.vendor = "ACME"  # type: ignore[attr-defined]
    assert back.model_dump()["vendor"] == "ACME"
    # every field and extra set: the set is not written (decoding gives it from them)
    invoice.note = "given"
    invoice.model_fields_set.add("note")
    tree = encode(invoice)
    assert "set" not in tree and tree["extra"] == {"vendor": "ACME"}
    assert loads(dumps(tree)).model_fields_set == {"number", "total", "issued", "note", "vendor"}


class Receipt(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="allow")

    number: str
    _seen: set[str] = pydantic.PrivateAttr(default_factory=set)


class Session(pydantic.BaseModel):
    user: str
    _token: str = pydantic.PrivateAttr()  # (no default: unset until the code sets it)


def test_a_model_stores_no_extras_nor_private_attributes_when_it_has_none() -> None:
    # (an SDK's response model allows extras and seldom has any: no golden holds an empty part)
    tree = encode(Invoice(number="INV-2", total=Decimal("1"), issued=dt.date(2025, 1, 15)))
    assert "extra" not in tree and tree["private"] == {"_secret_cache": {}, "_source": "api"}
    assert "private" not in encode(Session(user="ada"))  # (its one private attribute unset)


def test_a_private_attribute_without_a_default_never_set_stays_unset() -> None:
    back = loads(dumps(encode(Session(user="ada"))))
    assert back.__pydantic_private__ == {}
    with pytest.raises(AttributeError):
        back._token  # noqa: B018
    assert encode(back) == encode(Session(user="ada"))


def test_a_model_made_without_init_has_only_its_fields_in_its_fields_set() -> None:
    # (an agent that is a pydantic model, restored from its state: its other attributes too)
    from pytest_clearstone.codec.models import new_instance

    agent = new_instance(Session, {"user": "ada", "history": []})
    assert agent.model_fields_set == {"user"}
    assert agent.__pydantic_extra__ is None
    assert new_instance(Invoice, {}).__pydantic_extra__ == {}  # (it allows extras)
    # (as model_construct leaves a model without private attributes: equal to one made so)
    assert new_instance(Weather, {}).__pydantic_private__ is None


class Builder:
    """An agent of one's own with a method named as pydantic's: no pydantic model."""

    def model_construct(self) -> None:
        raise AssertionError("not called")


def test_a_class_with_a_model_construct_method_of_its_own_is_made_as_any_class() -> None:
    from pytest_clearstone.codec.models import missing_fields, new_instance

    made = new_instance(Builder, {"steps": 3})
    assert type(made) is Builder and vars(made) == {}
    assert missing_fields(Builder, {}) == ({}, [])


@dataclasses.dataclass
class Notebook:
    title: str
    tags: list[str] = dataclasses.field(default_factory=list)
    pages: int = 0
    index: dict[str, int] = dataclasses.field(init=False)  # (set later, if ever)


class Ticket(pydantic.BaseModel):
    priority: int = 1
    escalated: bool = pydantic.Field(default_factory=lambda data: data["priority"] > 2)


def test_the_defaults_a_stored_model_lacks_are_made_from_the_fields_before_them() -> None:
    # (a default factory taking the validated data reads the defaults given before it, as
    # validation would)
    from pytest_clearstone.codec.models import missing_fields

    assert missing_fields(Ticket, {}) == ({"priority": 1, "escalated": False}, [])
    assert missing_fields(Ticket, {"priority": 3}) == ({"escalated": True}, [])


def test_a_field_added_since_a_model_was_stored_has_a_default_made_from_the_stored_ones() -> None:
    # (a default factory taking the validated data reads the stored fields, as validation would)
    tree = {TAG: "pydantic", "cls": f"{__name__}:Ticket", "v": {"priority": 3}}
    back = decode(tree)
    assert back.escalated is True and back.model_fields_set == {"priority"}


def test_the_fields_a_stored_dataclass_lacks_are_given_their_defaults_or_named_required() -> None:
    # (an agent's class given fields since its checkpoint was saved)
    from pytest_clearstone.codec.models import missing_fields

    assert missing_fields(Notebook, {"title": "t"}) == ({"tags": [], "pages": 0}, [])
    assert missing_fields(Notebook, {"pages": 2}) == ({"tags": []}, ["title"])


class AppClient(httpx.Client):
    """A subclass that needs more than its settings (as Starlette's TestClient needs its app)."""

    def __init__(self, app: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.app = app


def test_a_client_subclass_that_needs_more_than_its_settings_is_rebuilt_by_its_library_class() -> (
    None
):
    back = loads(dumps(encode(AppClient(app="an app", base_url="https://svc.example"))))
    assert type(back) is AppClient and str(back.base_url) == "https://svc.example"


def test_tagged_values_in_a_models_extras_private_and_other_attributes_decode() -> None:
    # decoding walks only the parts of a model's tree that hold values (v, extra, private,
    # attrs), not its names (cls, set): each part still comes back decoded, and copied
    receipt = Receipt.model_validate({"number": "R-1", "paid_on": dt.date(2025, 2, 1)})
    receipt._seen = {"audit"}
    receipt.__dict__["trail"] = ("a", "b")  # an instance attribute that is not a field
    tree = encode(receipt)
    assert tree["extra"]["paid_on"][TAG] == "date"
    assert tree["private"]["_seen"][TAG] == "set"
    assert tree["attrs"]["trail"][TAG] == "tuple"
    back = decode(tree)
    assert back.paid_on == dt.date(2025, 2, 1)  # type: ignore[attr-defined]
    assert back._seen == {"audit"}
    assert vars(back)["trail"] == ("a", "b")
    assert back.__pydantic_extra__ is not tree["extra"]
    assert back.__pydantic_private__ is not tree["private"]
    order = LegacyOrder(sku="K-1")
    order._internal = dt.date(2025, 3, 1)  # type: ignore[assignment]
    assert decode(encode(order))._internal == dt.date(2025, 3, 1)


def test_pydantic_model_of_a_changed_class_is_a_clear_error() -> None:
    tree = encode(Weather(city="Paris", temperature_c=21.5))
    tree["v"]["removed_field"] = 1
    # (a StoredClassError: a golden holding it says the code changed, and to re-record)
    with pytest.raises(StoredClassError, match=r"removed_field.*the class no longer has"):
        decode(tree)
    tree = encode(Invoice(number="1", total=Decimal(1), issued=dt.date(2025, 1, 1)))
    del tree["v"]["number"]
    with pytest.raises(DecodeError, match=r"required field 'number'"):
        decode(tree)
    del tree["v"]["note"]  # a field with a default comes back as its default
    tree["v"]["number"] = "2"
    assert decode(tree).note == "none"


def test_a_stored_field_a_model_allowing_extras_does_not_have_comes_back_as_an_extra() -> None:
    # a golden recorded with a newer release of an SDK, replayed with an older one: the newer
    # ChatCompletion had a field the installed class does not (its models allow extras). It
    # failed as "a class the code has changed since"; the older SDK, given the same answer,
    # keeps the field as an extra: so does decoding
    from openai.types.chat import ChatCompletion

    data = json.loads(json.dumps(COMPLETION_JSON))
    tree = encode(ChatCompletion.model_validate(data))
    tree["v"] = {**tree["v"], "service_tier_details": {"tier": "flex"}}  # (after "usage")
    back = loads(dumps(tree))
    assert type(back) is ChatCompletion
    assert back.choices[0].message.content == data["choices"][0]["message"]["content"]
    assert back.model_extra == {"service_tier_details": {"tier": "flex"}}
    assert back == ChatCompletion.model_validate({**data, "service_tier_details": {"tier": "flex"}})
    # kept before the extras the golden already had; a field not stored is at its default
    tree = encode(
        Invoice.model_validate(
            {"number": "1", "total": 1, "issued": "2025-01-01", "vendor": "ACME"}
        )
    )
    tree["v"]["currency"] = "EUR"
    del tree["v"]["note"]
    back = loads(dumps(tree))
    assert back.__pydantic_extra__ == {"currency": "EUR", "vendor": "ACME"}
    assert list(back.__pydantic_extra__) == ["currency", "vendor"]
    assert back.note == "none"


class RenamedTool(pydantic.BaseModel):
    """Fields renamed by a release, their old names kept as aliases (mcp 2's types)."""

    model_config = pydantic.ConfigDict(
        alias_generator=alias_generators.to_camel, populate_by_name=True
    )
    name: str
    input_schema: dict[str, Any]
    list_changed: bool | None = None
    title: str = pydantic.Field("", validation_alias=pydantic.AliasChoices("title", "displayName"))


def test_a_stored_field_that_is_now_the_alias_of_a_renamed_field_fills_that_field() -> None:
    # mcp 2 renamed the camelCase fields of its types (inputSchema to input_schema, listChanged
    # to list_changed), keeping the old names as their aliases: a golden recorded with mcp 1
    # failed as "a class the code has changed since", though validating the same data reads it
    old = {
        "name": "search",
        "inputSchema": {"type": "object"},
        "listChanged": True,
        "displayName": "Search",
    }
    tree = encode(RenamedTool.model_validate(old))
    tree["v"] = old  # (as the older release of the class stored it, by its field names)
    tree["set"] = list(old)
    back = loads(dumps(tree))
    assert back == RenamedTool.model_validate(old)
    assert back.model_fields_set == {"name", "input_schema", "list_changed", "title"}
    # a stored name that is no field's alias is still a changed class; so is an alias stored
    # beside its field's own name (which of the two the golden meant cannot be told)
    tree["v"] = {**old, "gone": 1}
    with pytest.raises(StoredClassError, match=r"\['gone'\] the class no longer has"):
        decode(tree)
    tree["v"] = {**old, "input_schema": {}}
    with pytest.raises(StoredClassError, match=r"\['inputSchema'\] the class no longer has"):
        decode(tree)


class RenamedPrompt(pydantic.BaseModel):
    """A field renamed by a release, its old name kept as the only name validation reads."""

    text: str = pydantic.Field(validation_alias="content")


def test_a_stored_field_that_is_now_the_validation_alias_of_a_renamed_field_fills_it() -> None:
    back = decode({TAG: "pydantic", "cls": f"{__name__}:RenamedPrompt", "v": {"content": "Hi"}})
    assert back == RenamedPrompt.model_validate({"content": "Hi"})
    assert back.model_fields_set == {"text"}


class SerializedAs(pydantic.BaseModel):
    """A field whose alias (the name it is written under) is not the name validation reads."""

    text: str = pydantic.Field("", alias="body", validation_alias="content")


def test_a_stored_alias_that_validation_does_not_read_is_no_renamed_field() -> None:
    # validating {"body": ...} leaves ``text`` at its default: pydantic reads a field's
    # validation alias where it has one, never its alias
    tree = {TAG: "pydantic", "cls": f"{__name__}:SerializedAs", "v": {"body": "Hi"}}
    with pytest.raises(StoredClassError, match=r"\['body'\] the class no longer has"):
        decode(tree)


class Caption(pydantic.BaseModel):
    label: str = pydantic.Field(validation_alias=pydantic.AliasChoices("caption", "heading"))


def test_two_old_names_of_one_renamed_field_stored_together_are_a_changed_class() -> None:
    # (which of the two the golden meant cannot be told)
    tree = {TAG: "pydantic", "cls": f"{__name__}:Caption", "v": {"caption": "a", "heading": "b"}}
    with pytest.raises(StoredClassError, match=r"\['heading'\] the class no longer has"):
        decode(tree)


class Headline(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(populate_by_name=True)

    title: str
    label: str = pydantic.Field("untitled", alias="title")  # (added since, aliased "title")


def test_a_stored_field_that_is_still_a_field_is_not_read_as_the_alias_of_another() -> None:
    # a golden recorded before ``label`` was added: its "title" is the field of that name
    back = decode({TAG: "pydantic", "cls": f"{__name__}:Headline", "v": {"title": "Tides"}})
    assert (back.title, back.label) == ("Tides", "untitled")
    assert back.model_fields_set == {"title"}


@pytest.mark.parametrize("module", [pydantic, pydantic.v1], ids=["v2", "v1"])
def test_pydantic_secret_is_never_written(module: Any) -> None:
    class_ = module.SecretStr
    back, text = roundtrip({"key": class_(API_KEY)})
    assert API_KEY not in text
    assert type(back["key"]) is class_
    assert back["key"].get_secret_value() == codec.PLACEHOLDER_KEY
    back, text = roundtrip({"key": module.SecretBytes(API_KEY.encode())})
    assert API_KEY not in text and type(back["key"]) is module.SecretBytes
    assert back["key"].get_secret_value() == codec.PLACEHOLDER_KEY.encode()  # (bytes, as given)


def test_pydantic_urls_and_ip_addresses_are_stored_as_their_class_and_text() -> None:
    import ipaddress

    import pydantic_core

    values = {
        "http": pydantic.HttpUrl("https://example.org/a?b=1"),
        "dsn": pydantic.PostgresDsn("postgres://reader@db1,db2/guide"),
        "core": pydantic_core.Url("https://example.org"),
        "ip": ipaddress.IPv6Interface("fe80::1/64"),
    }
    tree = encode(values, strict=True, allow_pickle=False)
    assert tree["http"] == {
        TAG: "pydantic_url",
        "cls": "pydantic.networks:HttpUrl",
        "v": "https://example.org/a?b=1",
    }
    assert tree["ip"] == {TAG: "ip", "cls": "IPv6Interface", "v": "fe80::1/64"}
    back = decode(tree)
    assert back == values and [type(v) for v in back.values()] == [type(v) for v in values.values()]
    # nothing but a URL class is made from a stored text, nor an ipaddress name but the six
    for bad in (
        {TAG: "pydantic_url", "cls": "builtins:str", "v": "x"},
        {TAG: "ip", "cls": "ip_address", "v": "10.0.0.1"},
        {TAG: "zone", "v": "/etc/localtime"},  # (zoneinfo refuses a path)
        {TAG: "pattern", "v": ["a"], "flags": 0},
    ):
        with pytest.raises(
            DecodeError, match=r"not a pydantic URL class|bad stored IP|bad 'zone'|bad stored pat"
        ):
            decode(bad)


def test_time_zones_and_patterns_are_stored_by_key_and_text() -> None:
    import re
    import zoneinfo

    values = [zoneinfo.ZoneInfo("Europe/Lisbon"), re.compile("^a+$", re.I), re.compile(b"\\d")]
    tree = encode(values, strict=True, allow_pickle=False)
    assert tree[0] == {TAG: "zone", "v": "Europe/Lisbon"}
    assert tree[1] == {TAG: "pattern", "v": "^a+$", "flags": re.I | re.U}
    back = loads(dumps(tree))
    assert back[0] is values[0] and back[1:] == values[1:]


class LegacyOrder(pydantic.v1.BaseModel):
    sku: str
    quantity: int = 1
    tags: list[str] = pydantic.v1.Field(default_factory=list)
    _internal: str = pydantic.v1.PrivateAttr(default="x")


def test_pydantic_v1_model_round_trips() -> None:
    order = LegacyOrder(sku="K-1", tags=["gift"])
    order._internal = "y"
    back, text = roundtrip(order)
    assert type(back) is LegacyOrder
    assert back == order
    assert back.__fields_set__ == {"sku", "tags"}
    assert back._internal == "y"
    assert back.quantity == 1
    assert encode(order)[TAG] == "pydantic.v1"
    assert '"sku"' in text


def test_a_pydantic_v1_field_added_since_the_model_was_stored_takes_its_default() -> None:
    tree = encode(LegacyOrder(sku="K-1"))
    del tree["v"]["quantity"], tree["v"]["tags"]
    back = decode(tree)
    assert (back.quantity, back.tags) == (1, []) and back.__fields_set__ == {"sku"}


def test_a_pydantic_v1_model_stored_without_a_required_field_is_a_clear_error() -> None:
    tree = encode(LegacyOrder(sku="K-1"))
    del tree["v"]["sku"]
    with pytest.raises(StoredClassError, match="LegacyOrder' lacks the required field 'sku'"):
        decode(tree)


class LegacyEvent(pydantic.v1.BaseModel, extra=pydantic.v1.Extra.allow):
    name: str


def test_pydantic_v1_model_keeps_its_extras_and_takes_defaults_of_private_attributes() -> None:
    event = LegacyEvent(name="start", source="api")
    back, _ = roundtrip(event)
    assert back == event and back.source == "api"  # type: ignore[attr-defined]
    # a golden recorded before the class had its private attribute: its default
    tree = encode(LegacyOrder(sku="K-2"))
    del tree["private"]
    assert loads(dumps(tree))._internal == "x"


class LegacyTicket(pydantic.v1.BaseModel):
    code: str
    _session: str = pydantic.v1.PrivateAttr()  # (no default: set later, if ever)


def test_pydantic_v1_model_stores_no_set_it_does_not_need_nor_a_private_attribute_never_set() -> (
    None
):
    tree = encode(LegacyTicket(code="T-1"))
    assert tree["v"] == {"code": "T-1"}
    assert "set" not in tree and "private" not in tree  # (every stored field set; none private)
    back = loads(dumps(tree))
    assert back == LegacyTicket(code="T-1") and back.__fields_set__ == {"code"}
    with pytest.raises(AttributeError):
        back._session  # noqa: B018 (never set on the original either)


LegacyItem = TypeVar("LegacyItem")
legacy_generics = pytest.importorskip("pydantic.v1.generics")


class LegacyPage(legacy_generics.GenericModel, Generic[LegacyItem]):
    items: list[LegacyItem]
    cursor: str | None = None


LegacyOrderPage = LegacyPage[LegacyOrder]  # (parametrised at import: pydantic v1 names it here)


def test_pydantic_v1_generic_parametrisations_are_stored_readably() -> None:
    # (a parametrised pydantic v1 GenericModel, LegacyPage[int], was not stored readably: its
    # class name holds brackets, and without pickles allowed it could not be stored at all)
    def made_in_a_function() -> Any:
        return LegacyPage[int](items=[1, 2])

    for page in (LegacyOrderPage(items=[LegacyOrder(sku="K-1")]), made_in_a_function()):
        tree = encode(page, strict=True, allow_pickle=False)
        assert tree[TAG] == "pydantic.v1"
        assert tree["cls"].endswith("test_codec_library_types:LegacyPage")
        back = loads(dumps(tree))
        assert type(back) is type(page)
        assert back == page and back.__fields_set__ == {"items"}
    assert encode(LegacyOrderPage(items=[]))["args"] == [f"{__name__}:LegacyOrder"]
    assert encode(made_in_a_function())["args"] == ["builtins:int"]
    # what a reader that imports nothing (show, diff) must leave as placeholders
    from pytest_clearstone.codec.library import class_paths

    assert class_paths(encode(LegacyOrderPage(items=[]))) == [
        f"{__name__}:LegacyPage",
        f"{__name__}:LegacyOrder",
    ]
    nested = LegacyPage[LegacyPage[int]](items=[made_in_a_function()])
    assert loads(dumps(encode(nested, strict=True, allow_pickle=False))) == nested


LegacyKey = TypeVar("LegacyKey")


class LegacyPair(legacy_generics.GenericModel, Generic[LegacyKey, LegacyItem]):
    key: LegacyKey
    value: LegacyItem


def test_a_pydantic_v1_generic_of_two_parameters_keeps_its_arguments_in_order() -> None:
    pair = LegacyPair[int, str](key=1, value="a")
    tree = encode(pair, strict=True, allow_pickle=False)
    assert tree["args"] == ["builtins:int", "builtins:str"]
    assert type(loads(dumps(tree))) is LegacyPair[int, str]


def test_a_generic_made_in_a_function_or_parametrised_with_such_a_class_is_not_named() -> None:
    # (neither could be imported again to read the golden)
    from pytest_clearstone.codec.models import generic_ref

    class LocalBox(pydantic.BaseModel, Generic[ItemT]):
        item: ItemT

    class LocalOrder(pydantic.v1.BaseModel):
        sku: str

    assert generic_ref(LocalBox[int]) is None
    assert generic_ref(LegacyPair[int, LocalOrder]) is None
    assert generic_ref(LegacyPair[int, LegacyOrder]) == {
        "cls": f"{__name__}:LegacyPair",
        "args": ["builtins:int", f"{__name__}:LegacyOrder"],
    }


# ---------------------------------------------------------------- attrs, NamedTuple


@attrs.define
class Booking:
    guest: str
    nights: int = 1
    when: dt.date = attrs.field(factory=lambda: dt.date(2025, 1, 1))
    extras: list[str] = attrs.Factory(list)


@attrs.frozen
class Price:
    amount: Decimal = attrs.field(converter=Decimal)
    currency: str = "EUR"


def test_attrs_classes_round_trip() -> None:
    value = {"b": Booking("ada", 2, dt.date(2025, 3, 1), ["breakfast"]), "p": Price("9.99")}
    back, text = roundtrip(value)
    assert back == value
    assert type(back["b"]) is Booking
    assert type(back["p"]) is Price
    assert back["p"].amount == Decimal("9.99")
    assert '"guest"' in text
    assert encode(value["b"])[TAG] == "attrs"


@attrs.define(slots=False)
class Itinerary:
    stops: list[str]

    def __attrs_post_init__(self) -> None:
        self.legs = len(self.stops) - 1  # (an attribute the class does not declare)


def test_attrs_instance_keeps_the_attributes_its_post_init_set() -> None:
    back, _ = roundtrip(Itinerary(["Paris", "Lyon", "Nice"]))
    assert back.legs == 2


@attrs.define
class Trip:
    city: str
    code: str = attrs.Factory(lambda self: self.city[:3].upper(), takes_self=True)


@attrs.define
class Lookup:
    key: str
    cached: int = attrs.field(init=False)  # (no default: set later, if ever)


def test_an_attrs_attribute_never_set_stays_unset() -> None:
    back, _ = roundtrip(Lookup("k"))
    assert not hasattr(back, "cached")
    assert encode(back) == encode(Lookup("k"))


@pydantic.dataclasses.dataclass
class Forecast:
    city: str
    high_c: float


def test_a_pydantic_dataclass_given_as_a_response_format_is_stored_with_its_schema() -> None:
    # (a change of the structured output's schema is a change of the request)
    tree = encode({"response_format": Forecast})["response_format"]
    assert tree["schema"] == pydantic.TypeAdapter(Forecast).json_schema()


class Buffered(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)
    buffer: io.StringIO


def test_a_model_class_whose_schema_cannot_be_made_is_stored_without_one() -> None:
    # (an arbitrary type has no JSON schema: the class is stored by its path alone)
    tree = encode({"response_format": Buffered})["response_format"]
    assert tree == {TAG: "class", "cls": f"{__name__}:Buffered"}
    assert decode(tree) is Buffered


def test_attrs_attribute_added_since_takes_its_default() -> None:
    tree = encode(Trip("Paris"))
    del tree["v"]["code"]
    assert decode(tree) == Trip("Paris", "PAR")  # (a factory of the instance: given it)
    tree = encode(Booking("ada"))
    del tree["v"]["extras"]
    assert decode(tree) == Booking("ada")
    tree["v"]["gone"] = 1
    with pytest.raises(DecodeError, match="gone"):
        decode(tree)


class Coordinates(NamedTuple):
    lat: float
    lon: float
    label: str = ""


def test_a_named_tuple_lacking_a_field_without_default_is_a_clear_error() -> None:
    tree = encode(Coordinates(48.85, 2.35))
    del tree["v"]["lon"]
    with pytest.raises(StoredClassError, match="has fields") as info:
        decode(tree)
    assert str(info.value).endswith(": the stored one lacks the required ['lon']")
    del tree["v"]["label"]  # (one with a default is given it)
    tree["v"]["lon"] = 2.35
    assert decode(tree) == Coordinates(48.85, 2.35)


def test_a_named_tuple_stored_with_a_field_its_class_no_longer_has_is_a_clear_error() -> None:
    tree = encode(Coordinates(48.85, 2.35))
    tree["v"]["alt"] = 35.0
    with pytest.raises(
        StoredClassError, match=r"has fields \['alt', 'label', 'lat', 'lon'\]"
    ) as info:
        decode(tree)
    assert str(info.value).endswith(
        "the class has ['lat', 'lon', 'label']: the class lacks ['alt']"
    )


class Leg(NamedTuple):
    origin: str
    destination: str


def test_a_named_tuple_whose_fields_were_renamed_names_both_differences_sorted() -> None:
    tree = encode(Leg("PAR", "LIS"))
    tree["v"] = {"to": "LIS", "from": "PAR"}  # (as a release that named them so stored it)
    with pytest.raises(StoredClassError) as info:
        decode(tree)
    assert str(info.value).endswith(
        "the class has ['origin', 'destination']: the class lacks ['from', 'to']; the stored "
        "one lacks the required ['destination', 'origin']"
    )


def test_named_tuple_round_trips() -> None:
    value = [Coordinates(48.85, 2.35, "Paris"), Coordinates(51.5, -0.12)]
    back, text = roundtrip(value)
    assert back == value
    assert all(type(x) is Coordinates for x in back)
    assert back[0].label == "Paris"
    assert '"lat"' in text
    assert encode(value[0]) == {
        TAG: "namedtuple",
        "cls": f"{__name__}:Coordinates",
        "v": {"lat": 48.85, "lon": 2.35, "label": "Paris"},
    }


def test_a_class_with_fields_that_is_no_tuple_is_not_a_named_tuple() -> None:
    import ast  # (its nodes have a _fields tuple: ("id", "ctx") for a Name)

    tree = encode({"node": ast.Name(id="total")})
    assert tree["node"][TAG] == "pickle"
    assert loads(dumps(tree), allow_pickle=True)["node"].id == "total"


class FieldsInAList(tuple[int, ...]):
    _fields: ClassVar[list[str]] = ["x"]


def test_a_tuple_class_whose_fields_are_no_tuple_is_not_a_named_tuple() -> None:
    tree = encode({"pair": FieldsInAList((1,))})
    assert tree["pair"][TAG] == "pickle"
    assert loads(dumps(tree), allow_pickle=True)["pair"] == FieldsInAList((1,))


def test_a_golden_naming_a_tuple_class_without_fields_as_a_named_tuple_is_refused() -> None:
    text = json.dumps({TAG: "namedtuple", "cls": "builtins:tuple", "v": {"x": 1}})
    with pytest.raises(StoredClassError, match="'builtins:tuple' is not a named tuple"):
        loads(text)


# ---------------------------------------------------------------- httpx / httpx2


@pytest.mark.parametrize("module", [httpx, httpx2], ids=["httpx", "httpx2"])
def test_http_request_and_response_round_trip_redacted(module: Any) -> None:
    request = module.Request(
        "POST",
        "https://api.openai.com/v1/chat/completions?stream=false",
        json={"model": "gpt-4o", "messages": [{"role": "user", "content": "héllo"}]},
        headers={"Authorization": f"Bearer {API_KEY}", "X-Api-Key": API_KEY, "X-Trace": "t-1"},
    )
    response = module.Response(
        200,
        json=COMPLETION_JSON,
        headers={"x-request-id": "req_1", "set-cookie": "session=abc"},
        request=request,
    )
    back, text = roundtrip({"request": request, "response": response})
    assert API_KEY not in text
    assert "session=abc" not in text
    assert '"__cs__": "http_response"' in text
    assert '"status_code": 200' in text
    assert '"get_weather"' in text  # the body is readable JSON
    req, resp = back["request"], back["response"]
    assert type(req) is module.Request
    assert type(resp) is module.Response
    assert req.method == "POST"
    assert req.url == request.url
    assert req.content == request.content
    assert json.loads(req.content)["messages"][0]["content"] == "héllo"
    assert req.headers["authorization"] == codec.REDACTED
    assert req.headers["x-trace"] == "t-1"
    assert req.headers["content-type"] == "application/json"
    assert resp.status_code == 200
    assert resp.json() == COMPLETION_JSON
    assert resp.text == response.text
    assert resp.headers["x-request-id"] == "req_1"
    assert resp.headers["set-cookie"] == codec.REDACTED
    assert resp.request.url == request.url
    assert resp.request.headers["authorization"] == codec.REDACTED
    assert encode(resp) == encode(response)  # compared by their stored form


@pytest.mark.parametrize("module", [httpx, httpx2], ids=["httpx", "httpx2"])
def test_http_bodies_text_binary_and_compressed(module: Any) -> None:
    text_resp = module.Response(404, text="not found", request=module.Request("GET", "https://x"))
    binary = module.Response(200, content=b"\x89PNG\x00\xff")
    gzip = __import__("gzip")
    zipped = module.Response(
        200, content=gzip.compress(b'{"ok":true}'), headers={"content-encoding": "gzip"}
    )
    assert zipped.json() == {"ok": True}
    back, text = roundtrip([text_resp, binary, zipped])
    assert back[0].status_code == 404 and back[0].text == "not found"
    assert back[1].content == b"\x89PNG\x00\xff"
    assert back[2].json() == {"ok": True}
    assert back[2].headers["content-encoding"] == "gzip"
    assert '"text": "not found"' in text


# ---------------------------------------------------------------- SDK clients and resources


def _sdk_clients() -> list[Any]:
    timeout = openai.Timeout(30.0, connect=3.0)
    return [
        openai.OpenAI(api_key=API_KEY, base_url="https://proxy.example/v1", max_retries=5),
        openai.AsyncOpenAI(api_key=API_KEY, timeout=timeout),
        anthropic.Anthropic(api_key=API_KEY, max_retries=1),
        anthropic.AsyncAnthropic(api_key=API_KEY, base_url="https://claude.example"),
    ]


@pytest.mark.parametrize("index", range(4), ids=["OpenAI", "AsyncOpenAI", "Anthropic", "Async"])
def test_sdk_clients_are_stored_as_references_without_the_key(index: int) -> None:
    client = _sdk_clients()[index]
    tree = encode(client)
    text = json.dumps(tree)
    assert API_KEY not in text
    assert tree[TAG] == "sdk_client"
    assert tree["cls"] == f"{type(client).__module__}:{type(client).__qualname__}"
    assert set(tree["v"]) == {"base_url", "timeout", "max_retries"}
    back = loads(dumps(tree))
    assert type(back) is type(client)
    assert back.api_key == codec.PLACEHOLDER_KEY
    assert str(back.base_url) == str(client.base_url)
    assert back.max_retries == client.max_retries
    assert back.timeout == client.timeout
    assert encode(back) == tree  # equal by reference


@pytest.mark.parametrize("timeout", [30, 12.5], ids=["int", "float"])
def test_a_client_s_timeout_given_as_a_number_is_stored_and_rebuilt_as_that_number(
    timeout: float,
) -> None:
    client = openai.OpenAI(api_key=API_KEY, timeout=timeout)
    tree = encode(client)
    assert tree["v"]["timeout"] == timeout
    back = loads(dumps(tree))
    assert back.timeout == timeout


def test_a_client_s_timeout_is_stored_and_rebuilt_part_by_part() -> None:
    timeout = httpx2.Timeout(connect=1.5, read=20.0, write=7.0, pool=3.0)
    client = openai.OpenAI(api_key=API_KEY, timeout=timeout)
    tree = encode(client)
    assert tree["v"]["timeout"] == {"connect": 1.5, "read": 20.0, "write": 7.0, "pool": 3.0}
    assert loads(dumps(tree)).timeout == timeout


class Seconds(float):
    """An agent's own number type, which a reference does not store."""


def test_a_timeout_a_reference_cannot_store_is_left_out_not_stored_as_none() -> None:
    # (None is no timeout at all: the client rebuilt with it would wait for ever)
    client = openai.OpenAI(api_key=API_KEY, timeout=Seconds(20.0))
    tree = encode(client)
    assert "timeout" not in tree["v"]
    assert loads(dumps(tree)).timeout == openai.DEFAULT_TIMEOUT


def test_agent_holding_a_client_and_a_resource_round_trips() -> None:
    client = openai.OpenAI(api_key=API_KEY, max_retries=3)
    state = {"client": client, "completions": client.chat.completions, "history": []}
    back, text = roundtrip(state)
    assert API_KEY not in text
    assert type(back["completions"]) is type(client.chat.completions)
    assert back["completions"]._client.max_retries == 3
    assert back["client"].max_retries == 3
    assert callable(back["completions"].create)
    tree = encode(client.chat.completions)
    assert tree[TAG] == "sdk_resource"
    assert tree["path"] == "chat.completions"
    assert tree["client"][TAG] == "sdk_client"


def test_resource_not_yet_created_on_its_client_is_found_by_class() -> None:
    from anthropic.resources.beta.messages import Messages as BetaMessages

    client = anthropic.Anthropic(api_key=API_KEY)
    standalone = BetaMessages(client)  # not the object client.beta.messages holds
    tree = encode(standalone)
    assert tree["path"] == "beta.messages"
    assert API_KEY not in json.dumps(tree)
    back = loads(dumps(tree))
    assert type(back) is BetaMessages
    assert back._client.api_key == codec.PLACEHOLDER_KEY
    anthropic_messages = encode(client.messages)
    assert anthropic_messages["path"] == "messages"


@pytest.mark.parametrize("module", [httpx, httpx2], ids=["httpx", "httpx2"])
def test_headers_on_their_own_are_stored_as_their_pairs_a_secret_one_redacted(
    module: Any,
) -> None:
    """A raw response's ``headers``, returned by a function of one's own: only their repr could
    be stored, and the answer was refused."""
    headers = module.Headers(
        [("x-request-id", "req_1"), ("set-cookie", f"session={API_KEY}"), ("x-tag", "a")]
    )
    tree = encode(headers, strict=True, allow_pickle=False)
    assert tree == {
        TAG: "http_headers",
        "module": module.__name__,
        "headers": [
            ["x-request-id", "req_1"],
            ["set-cookie", codec.REDACTED],
            ["x-tag", "a"],
        ],
    }
    back = loads(dumps(tree))
    assert type(back) is module.Headers
    assert back.multi_items() == [
        ("x-request-id", "req_1"),
        ("set-cookie", codec.REDACTED),
        ("x-tag", "a"),
    ]
    assert codec.class_paths(tree) == [f"{module.__name__}:Headers"]


@pytest.mark.parametrize("module", [httpx, httpx2], ids=["httpx", "httpx2"])
def test_http_clients_are_references(module: Any) -> None:
    client = module.Client(
        base_url="https://api.example/v2",
        timeout=module.Timeout(12.0, connect=2.0),
        follow_redirects=True,
        headers={"Authorization": f"Bearer {API_KEY}"},
    )
    tree = encode(client)
    assert API_KEY not in json.dumps(tree)
    back = loads(dumps(tree))
    assert type(back) is module.Client
    assert back.base_url == client.base_url
    assert back.timeout == client.timeout
    assert back.follow_redirects is True
    assert "authorization" not in back.headers


def test_only_the_send_of_an_http_client_class_is_an_http_send() -> None:
    from pytest_clearstone.codec.clients import is_http_send

    assert is_http_send(httpx.Client, "send") and is_http_send(httpx2.AsyncClient, "send")
    assert is_http_send(AppClient, "send")  # (a subclass of one)
    assert not is_http_send(httpx.Client, "get")
    assert not is_http_send(openai.OpenAI, "send")
    assert not is_http_send(httpx.Client(), "send")  # (an instance: its own attribute)


def test_library_subclass_that_needs_more_settings_is_not_a_reference() -> None:
    foundry = anthropic.AnthropicFoundry(api_key=API_KEY, resource="travel")
    with pytest.raises(SerializationError, match="SDK client that cannot be stored as a reference"):
        encode(foundry, strict=True, allow_pickle=False)


def test_the_refusal_of_an_sdk_client_says_the_encoder_fix_as_every_refusal_does() -> None:
    # it said "store it readably by registering an encoder for it" where the others say
    # tags.ENCODER_FIX ("store the type readably ...")
    from pytest_clearstone.codec.tags import ENCODER_FIX

    foundry = anthropic.AnthropicFoundry(api_key=API_KEY, resource="travel")
    with pytest.raises(SerializationError) as refused:
        encode(foundry, strict=True, allow_pickle=False)
    assert f"leave it out of what is stored, or {ENCODER_FIX}" in str(refused.value)


def test_the_resource_of_a_library_subclass_that_is_no_reference_is_no_reference_either() -> None:
    # (a reference to a client that is stored as its repr could never be read back)
    from pytest_clearstone.errors import UnencodableValueWarning

    foundry = anthropic.AnthropicFoundry(api_key=API_KEY, resource="travel")
    with pytest.warns(UnencodableValueWarning):
        tree = encode(foundry.messages)
    assert tree[TAG] != "sdk_resource"
    assert type(loads(dumps(tree))).__name__ == "StoredRepr"


def test_the_resource_of_a_client_that_is_no_reference_is_refused_naming_its_client() -> None:
    class MadeInAFunction(openai.OpenAI):  # (no reference could import it again)
        pass

    client = MadeInAFunction(api_key=API_KEY, base_url="http://127.0.0.1:9")
    with pytest.raises(SerializationError, match=r"cannot serialise root\._client \(a "):
        encode(client.chat.completions, strict=True, allow_pickle=False)


@pytest.mark.parametrize("cls", ["AzureOpenAI", "AsyncAzureOpenAI"])
def test_an_azure_client_is_a_reference_with_its_api_version_and_deployment(cls: str) -> None:
    """It was refused (and its resource, the ``self`` of a mocked SDK method, stored as a
    placeholder compared by type only, so a changed deployment or API version replayed green)."""
    azure = getattr(openai, cls)(
        api_key=API_KEY,
        api_version="2024-10-21",
        azure_endpoint="https://x.openai.azure.com",
        azure_deployment="travel-mini",
        max_retries=1,
        azure_ad_token=None,
    )
    tree = encode(azure.chat.completions, strict=True, allow_pickle=False)
    assert tree[TAG] == "sdk_resource" and API_KEY not in json.dumps(tree)
    assert tree["client"]["v"] == {
        "base_url": "https://x.openai.azure.com/openai/deployments/travel-mini/",
        "api_version": "2024-10-21",
        "max_retries": 1,
        "timeout": {"connect": 5.0, "read": 600, "write": 600, "pool": 600},
    }
    back = loads(dumps(tree))
    assert type(back._client) is type(azure)
    assert back._client.api_key == codec.PLACEHOLDER_KEY
    assert back._client._custom_query == {"api-version": "2024-10-21"}
    assert str(back._client.base_url) == str(azure.base_url)
    assert encode(back) == tree  # equal by reference


@pytest.mark.parametrize("prefix", ["", "Async"])
def test_bedrock_and_vertex_clients_are_references_with_their_region_and_project(
    prefix: str,
) -> None:
    """Never their credentials: rebuilt with the placeholder key (Bedrock) or access token
    (Vertex), which take no ``api_key``."""
    bedrock = getattr(anthropic, f"{prefix}AnthropicBedrock")(
        aws_region="eu-west-1", aws_access_key="AKIA-0123", aws_secret_key=API_KEY, max_retries=1
    )
    vertex = getattr(anthropic, f"{prefix}AnthropicVertex")(
        region="us-east5", project_id="tides-research", access_token=API_KEY, max_retries=1
    )
    for client, settings in (
        (bedrock, {"aws_region": "eu-west-1"}),
        (vertex, {"region": "us-east5", "project_id": "tides-research"}),
    ):
        tree = encode(client, strict=True, allow_pickle=False)
        assert API_KEY not in json.dumps(tree)
        assert {k: v for k, v in tree["v"].items() if k in settings} == settings
        assert set(tree["v"]) == {"base_url", "timeout", "max_retries", *settings}
        back = loads(dumps(tree))
        assert type(back) is type(client)
        assert encode(back) == tree  # equal by reference
    assert loads(dumps(encode(vertex))).access_token == codec.PLACEHOLDER_KEY
    assert loads(dumps(encode(bedrock))).api_key == codec.PLACEHOLDER_KEY


def test_a_file_naming_another_class_as_a_client_is_refused() -> None:
    with pytest.raises(DecodeError, match="not an SDK or HTTP client"):
        loads('{"__cs__": "sdk_client", "cls": "subprocess:Popen", "v": {"args": ["true"]}}')


# ---------------------------------------------------------------- registry and hooks


class Money:
    """No __eq__ of its own is needed by the codec; it has one for the test."""

    def __init__(self, cents: int, currency: str) -> None:
        self.cents = cents
        self.currency = currency

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Money) and (self.cents, self.currency) == (
            other.cents,
            other.currency,
        )

    __hash__ = None  # type: ignore[assignment]


@pytest.fixture
def registered() -> Any:
    done: list[Any] = []

    def register(key: Any, enc: Any, dec: Any) -> None:
        codec.register(key, enc, dec)
        done.append(key)

    yield register
    for key in done:
        with contextlib.suppress(KeyError):  # the test unregistered it itself
            codec.unregister(key)


def test_registered_type_round_trips(registered: Any) -> None:
    registered(
        Money,
        lambda m: {"cents": m.cents, "currency": m.currency, "at": dt.date(2025, 1, 1)},
        lambda d: Money(d["cents"], d["currency"]) if d["at"] == dt.date(2025, 1, 1) else None,
    )
    back, text = roundtrip({"price": Money(999, "EUR")})
    assert back == {"price": Money(999, "EUR")}
    tree = encode(Money(1, "USD"))
    assert tree == {
        TAG: "custom",
        "type": f"{__name__}:Money",
        "v": {"cents": 1, "currency": "USD", "at": {TAG: "date", "v": "2025-01-01"}},
    }
    assert '"cents"' in text
    assert codec.class_paths(tree) == [f"{__name__}:Money"]  # (its decoder's class)


def test_registered_by_dotted_path_string(registered: Any) -> None:
    registered(f"{__name__}.Money", lambda m: [m.cents, m.currency], lambda d: Money(*d))
    assert encode(Money(5, "GBP"))["v"] == [5, "GBP"]
    assert roundtrip(Money(5, "GBP"))[0] == Money(5, "GBP")


def test_a_class_registered_by_path_and_by_itself_has_the_functions_registered_last(
    registered: Any,
) -> None:
    # Expected: registering a type again replaces its functions, whether by its path or by
    # itself. Before the fix: a path registered before its class kept its functions pending
    # and put them back over the class's when another type was encoded; a path registered
    # after its class did nothing until then
    registered(f"{__name__}.Money", lambda m: "by path", lambda tree: tree)
    registered(Money, lambda m: "by class", lambda tree: tree)
    encode(Notebook("n", []))  # (another type: the registry looks for the paths' classes)
    assert encode(Money(1, "EUR"))["v"] == "by class"
    registered(f"{__name__}:Money", lambda m: "by path again", lambda tree: tree)
    assert encode(Money(1, "EUR"))["v"] == "by path again"


def test_a_class_that_registers_itself_when_decoding_imports_it_keeps_its_functions(
    registered: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # Expected: the module's own registration, made when decoding a golden imports it, is the
    # one made last. Before the fix: the path registered before (in a conftest.py) was put
    # back over it once the import returned
    (tmp_path / "cs_cash_mod.py").write_text(
        "from pytest_clearstone import codec\n\n\n"
        "class Cash:\n    pass\n\n\n"
        "codec.register(Cash, lambda c: 'by the module', lambda tree: Cash())\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cs_cash_mod", raising=False)
    registered("cs_cash_mod:Cash", lambda c: "by path", lambda tree: tree)
    # (a value of a class nobody registered: the registry imports the paths' modules to look)
    with pytest.raises(DecodeError, match="cs_unknown_mod:Coin"):
        loads('{"__cs__": "custom", "type": "cs_unknown_mod:Coin", "v": 1}')
    cash = sys.modules["cs_cash_mod"].Cash
    try:
        assert encode(cash())["v"] == "by the module"
    finally:
        codec.unregister(cash)


def test_registered_type_wins_over_builtin_detection(registered: Any) -> None:
    from openai.types.chat import ChatCompletion

    registered(
        "openai.types.chat.ChatCompletion",  # the re-exported name
        lambda c: {"id": c.id},
        lambda d: ChatCompletion.model_construct(id=d["id"]),
    )
    registered(
        Coordinates, lambda c: f"{c.lat},{c.lon}", lambda s: Coordinates(*map(float, s.split(",")))
    )
    completion = ChatCompletion.model_validate(COMPLETION_JSON)
    tree = encode({"c": completion, "where": Coordinates(1.0, 2.0)})
    assert tags_in(tree) == {"custom"}
    assert tree["c"]["v"] == {"id": completion.id}
    back = decode(tree)
    assert back["c"].id == completion.id and back["c"].model_fields_set == {"id"}
    assert back["where"] == Coordinates(1.0, 2.0)
    codec.unregister(Coordinates)
    assert encode(Coordinates(1.0, 2.0))[TAG] == "namedtuple"


def test_register_refuses_bad_arguments() -> None:
    with pytest.raises(TypeError, match="the codec stores it itself"):
        codec.register(tuple, lambda v: v, lambda v: v)
    with pytest.raises(TypeError, match="'module:QualName'"):
        codec.register("not a path", lambda v: v, lambda v: v)
    for path in ("Money", "app.money:Money:extra", ":Money", "app.money:"):  # (no class path)
        with pytest.raises(TypeError, match="'module:QualName'"):
            codec.register(path, lambda v: v, lambda v: v)
    with pytest.raises(TypeError, match="two functions"):
        codec.register(Money, "encode", lambda v: v)  # type: ignore[arg-type]
    with pytest.raises(KeyError, match="not registered"):
        codec.unregister(Money)


def test_use_hooks_refuses_a_pair_with_one_thing_that_is_not_a_function() -> None:
    for pair in ((lambda v: None, "decode"), ("encode", lambda type_path, data: None)):
        with pytest.raises(TypeError, match=r"use_hooks\(encode, decode\) needs two functions"):
            codec.use_hooks(*pair)  # type: ignore[arg-type]


def test_the_registry_is_inactive_again_once_its_last_type_is_unregistered() -> None:
    # (the encoder skips the registry for every value while it is inactive)
    before = REGISTRY.active  # (False: nothing registered or installed between tests)
    codec.register(Money, lambda m: m.cents, lambda cents: Money(cents, "EUR"))
    assert REGISTRY.active
    codec.unregister(Money)
    assert REGISTRY.active is before is False


def test_broken_registered_encoder_names_the_path_in_strict_mode(registered: Any) -> None:
    def boom(value: Money) -> Any:
        raise ValueError("no currency table")

    registered(Money, boom, lambda d: d)
    with pytest.raises(SerializationError) as info:
        encode({"cart": [Money(1, "EUR")]}, strict=True)
    assert info.value.path == "root['cart'][0]"
    assert "no currency table" in str(info.value)
    with pytest.warns(codec.UnencodableValueWarning, match="no currency table"):
        tree = encode(Money(1, "EUR"))
    assert tree[TAG] == "pickle"  # not strict: stored the built-in way


def test_an_encoder_returning_its_own_type_again_is_named_not_followed(registered: Any) -> None:
    # (encoding what it returned would ask the same encoder again, without end)
    registered(Money, lambda m: Money(m.cents, m.currency), lambda d: d)
    with pytest.raises(SerializationError) as info:
        encode({"cart": [Money(1, "EUR")]}, strict=True)
    assert info.value.path == "root['cart'][0]"
    assert f"its encoder returned a {__name__}.Money again, not a JSON-able tree" in str(info.value)
    with pytest.warns(codec.UnencodableValueWarning, match="returned a .*Money again"):
        tree = encode(Money(1, "EUR"))
    assert tree[TAG] == "pickle"  # not strict: stored the built-in way


class NoBudget:
    """A marker whose encoder stores it as ``null``."""


def test_a_registered_encoder_may_store_a_value_as_null(registered: Any) -> None:
    unlimited = NoBudget()
    registered(NoBudget, lambda v: None, lambda tree: unlimited if tree is None else tree)
    assert encode(NoBudget()) == {TAG: "custom", "type": f"{__name__}:NoBudget", "v": None}
    assert roundtrip({"budget": NoBudget()})[0] == {"budget": unlimited}


def test_a_decode_error_of_a_registered_decoder_is_raised_as_it_is(registered: Any) -> None:
    def refuse(tree: Any) -> Any:
        raise DecodeError("no such currency: XXX")

    registered(Money, lambda m: m.currency, refuse)
    with pytest.raises(DecodeError) as info:
        loads(dumps(encode(Money(1, "XXX"))))
    assert str(info.value) == "no such currency: XXX"


def test_unknown_custom_type_is_a_clear_decode_error() -> None:
    with pytest.raises(DecodeError, match=r"no decoder.*codec\.register.*pytest_clearstone_decode"):
        loads('{"__cs__": "custom", "type": "app.money:Money", "v": 1}')
    with pytest.raises(DecodeError, match=r"bad 'custom' value: type \[1\] is not a class path"):
        loads('{"__cs__": "custom", "type": [1], "v": 1}')


def test_hooks_encode_and_decode_and_undo() -> None:
    seen: list[str] = []

    def hook_encode(value: Any) -> Any:
        return {"c": value.cents, "cur": value.currency} if isinstance(value, Money) else None

    def hook_decode(type_path: str, data: Any) -> Any:
        seen.append(type_path)
        return Money(data["c"], data["cur"]) if type_path.endswith(":Money") else None

    undo = codec.use_hooks(hook_encode, hook_decode)
    try:
        tree = encode({"m": Money(3, "EUR"), "d": Coordinates(0.0, 1.0)})
        assert tree["m"][TAG] == "custom"
        assert tree["d"][TAG] == "namedtuple"  # the hook said None: built-in detection
        assert loads(dumps(tree)) == {"m": Money(3, "EUR"), "d": Coordinates(0.0, 1.0)}
        assert seen == [f"{__name__}:Money"]
    finally:
        undo()
    undo()  # (again: nothing left to undo, no error)
    assert encode(Money(3, "EUR"))[TAG] == "pickle"
    with pytest.raises(DecodeError, match="no decoder"):
        decode(tree)


def test_later_hooks_are_asked_first_and_a_hook_saying_none_passes_on() -> None:
    def encode_as(name: str) -> Any:
        return lambda value: {"by": name, "c": value.cents} if isinstance(value, Money) else None

    def decode_money(type_path: str, data: Any) -> Any:
        return Money(data["c"], data["by"])

    undo_first = codec.use_hooks(encode_as("first"), decode_money)
    undo_second = codec.use_hooks(encode_as("second"), lambda type_path, data: "second")
    try:
        tree = encode(Money(3, "EUR"))
        assert tree["v"] == {"by": "second", "c": 3}
        assert decode(tree) == "second"
        undo_second()
        undo_last = codec.use_hooks(lambda value: None, lambda type_path, data: None)
        assert decode(tree) == Money(3, "second")  # (the later hook said None: the first)
        assert encode(Money(3, "EUR"))["v"]["by"] == "first"
        undo_last()
    finally:
        undo_second()
        undo_first()


def test_a_path_registered_by_a_re_exported_name_imports_its_module_to_decode(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, registered: Any
) -> None:
    # a golden read in a new process, before the agent's library is imported
    package = tmp_path / "reexporting_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .impl import Outer, Thing\n")
    (package / "impl.py").write_text(
        "class Thing:\n    pass\n\nclass Outer:\n    class Inner:\n        pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("reexporting_pkg", "reexporting_pkg.impl"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    registered("reexporting_pkg.Thing", lambda t: None, lambda tree: ("a thing", tree))
    registered("reexporting_pkg.Outer.Inner", lambda t: None, lambda tree: ("inner", tree))
    # encoding imports nothing a path names (registering by path keeps the library unimported)
    assert encode(Money(1, "EUR"))[TAG] == "pickle"
    assert "reexporting_pkg" not in sys.modules
    stored = '{"__cs__": "custom", "type": "reexporting_pkg.impl:Thing", "v": 1}'
    assert loads(stored) == ("a thing", 1)
    stored = '{"__cs__": "custom", "type": "reexporting_pkg.impl:Outer.Inner", "v": 2}'
    assert loads(stored) == ("inner", 2)


def test_a_path_registered_by_a_re_exported_name_encodes_its_class_once_imported(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch, registered: Any
) -> None:
    package = tmp_path / "reexporting_enc_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from .impl import Thing\n")
    (package / "impl.py").write_text("class Thing:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for name in ("reexporting_enc_pkg", "reexporting_enc_pkg.impl"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    registered("reexporting_enc_pkg.Thing", lambda t: "a thing", lambda tree: tree)
    thing = importlib.import_module("reexporting_enc_pkg").Thing()  # (the agent's import, later)
    assert encode(thing)["v"] == "a thing"


# ---------------------------------------------------------------- detection and safety


def test_importing_the_codec_imports_no_client_library() -> None:
    code = (
        "import sys, pytest_clearstone.codec as c\n"
        "c.dumps(c.encode({'a': (1, 2)}))\n"
        "bad = [m for m in ('pydantic', 'pydantic_core', 'attr', 'attrs', 'httpx', 'httpx2',"
        " 'openai', 'anthropic', 'langchain_core', 'fractions') if m in sys.modules]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_clients_a_replay_compared_are_let_go_at_exit_before_the_modules_are_torn_down() -> None:
    """A replayed SDK call's ``self`` (a resource, with its client) is remembered by the codec
    to compare it faster at the next call; kept to interpreter shutdown, the client's
    ``__del__`` ran after httpx2's module globals were cleared and printed an ignored
    ``AttributeError: 'NoneType' object has no attribute 'CLOSED'`` per client. The check,
    registered before the codec's, runs after it at exit (``atexit`` runs handlers last in,
    first out)."""
    code = (
        "import atexit, gc, weakref, openai\n"
        "from pytest_clearstone.codec import encode\n"
        "from pytest_clearstone.codec.clients import is_stored_as\n"
        "client = openai.OpenAI(api_key='sk-test-0000')\n"
        "resource = client.chat.completions\n"
        "alive = weakref.ref(client)\n"
        "atexit.register(lambda: (gc.collect(), print('kept' if alive() else 'let go')))\n"
        "assert is_stored_as(resource, encode(resource)) is True\n"
        "del client, resource\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "let go", out.stdout + out.stderr


def test_clients_a_golden_s_references_are_rebuilt_as_are_let_go_at_exit() -> None:
    """A client rebuilt from a golden's reference (one for every decode of it) is let go at exit
    too, before interpreter shutdown tears httpx2 down (its ``__del__`` then printed an ignored
    ``AttributeError``). The check is registered first: it runs last."""
    code = (
        "import atexit, gc, weakref, openai\n"
        "from pytest_clearstone.codec import decode, encode\n"
        "tree = encode(openai.OpenAI(api_key='sk-test-0000'))\n"
        "atexit.register(lambda: (gc.collect(), print('kept' if alive() else 'let go')))\n"
        "client = decode(tree)\n"
        "assert decode(tree) is client\n"
        "alive = weakref.ref(client)\n"
        "del client\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "let go", out.stdout + out.stderr


def test_a_session_start_forgets_a_copy_of_the_comparison_no_longer_imported(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """pytester's in-process runs drop the modules a run imported: the codec's comparison,
    imported on first use, is then imported again by the next session, and the names the
    package took from the first copy are looked up again (not a mix of the two copies)."""
    first = codec.same_stored_form  # (taken from the comparison, kept by the package)
    compare = sys.modules["pytest_clearstone.codec.compare"]
    monkeypatch.delitem(sys.modules, "pytest_clearstone.codec.compare")
    try:
        codec.forget_previous_session()
        again = codec.same_stored_form
        assert again is not first
        assert again is sys.modules["pytest_clearstone.codec.compare"].same_stored_form
        assert codec.UNKNOWN is sys.modules["pytest_clearstone.codec.compare"].UNKNOWN
    finally:  # (the first copy back, as pytester leaves it after the run)
        monkeypatch.undo()
        codec.forget_previous_session()
    assert codec.same_stored_form is first
    assert codec.compare is compare


def test_a_session_start_forgets_the_clients_rebuilt_before_it() -> None:
    # (they hold the SDK classes as the earlier session imported them)
    tree = encode(openai.OpenAI(api_key=API_KEY, base_url="http://localhost:9/forgotten"))
    [first] = decode([tree])
    codec.forget_previous_session()
    [again] = decode([tree])
    assert again is not first and type(again) is openai.OpenAI


@dataclasses.dataclass
class AgentState:
    messages: list[Any]
    client: Any


def test_whole_agent_state_has_no_pickle_and_compares_equal() -> None:
    from langchain_core.messages import AIMessage
    from openai.types.chat import ChatCompletion

    client = openai.OpenAI(api_key=API_KEY)
    state = AgentState(
        messages=[ChatCompletion.model_validate(COMPLETION_JSON), AIMessage(content="hi")],
        client=client,
    )
    text = dumps(encode(state, strict=True, allow_pickle=False), pretty=True)
    assert not codec.text_has_pickle(text)
    assert API_KEY not in text
    back = loads(text, allow_pickle=False)
    assert back.messages == state.messages
    assert encode(back) == encode(state)


def test_langchain_chat_model_keeps_its_settings_and_clients_without_the_key() -> None:
    chat_models = pytest.importorskip("langchain_openai")
    model = chat_models.ChatOpenAI(model="gpt-4o-mini", temperature=0.3, api_key=API_KEY)
    back, text = roundtrip(model)
    assert API_KEY not in text
    assert type(back) is chat_models.ChatOpenAI
    assert (back.model_name, back.temperature) == ("gpt-4o-mini", 0.3)
    assert back.openai_api_key.get_secret_value() == codec.PLACEHOLDER_KEY
    assert type(back.client) is type(model.client)  # the resource, rebuilt on its client
    assert back.root_client.api_key == codec.PLACEHOLDER_KEY
    assert encode(back) == encode(model)
    hotter = model.model_copy(update={"temperature": 0.9})
    assert encode(hotter) != encode(model)


def test_class_paths_name_what_decoding_would_import() -> None:
    import requests
    from openai.types.chat import ParsedChatCompletion

    assert codec.class_paths(encode(Coordinates(1.0, 2.0))) == [f"{__name__}:Coordinates"]
    generic = ParsedChatCompletion[Weather].model_construct(id="x")
    assert codec.class_paths(encode(generic)) == [
        "openai.types.chat.parsed_chat_completion:ParsedChatCompletion",
        f"{__name__}:Weather",
    ]
    assert codec.class_paths(encode(httpx2.Request("GET", "https://x"))) == ["httpx2:Request"]
    prepared = requests.Request("GET", "https://x").prepare()
    assert codec.class_paths(encode(prepared)) == ["requests.models:PreparedRequest"]
    alias = [f"{__name__}:Crate", f"{__name__}:Weather"]
    assert codec.class_paths(encode(Crate[Weather])) == alias  # (a generic's alias as a value)
    assert codec.class_paths(encode(openai.NOT_GIVEN)) == ["openai:NOT_GIVEN"]
    assert codec.class_paths(encode((1, 2))) == []
    assert codec.class_paths({"plain": 1}) == []
    assert codec.class_paths({"cls": "a.dict:OfItsOwn"}) == []  # (no tag: data, not a class)
    assert codec.class_paths({TAG: "pydantic", "v": {}}) == []  # (edited: it names no class)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"__cs__": "pydantic", "cls": "collections:OrderedDict", "v": {}}', "not a pydantic v2"),
        (
            '{"__cs__": "pydantic.v1", "cls": "collections:OrderedDict", "v": {}}',
            "not a pydantic v1",
        ),
        # a pydantic 2 model has v1's names too (deprecated): "'FieldInfo' object has no
        # attribute 'required'" was all the message said
        (
            '{"__cs__": "pydantic.v1", "cls": "openai.types:Model", "v": {"id": "m"}}',
            "'openai.types:Model' is not a pydantic v1 model",
        ),
        ('{"__cs__": "attrs", "cls": "collections:OrderedDict", "v": {}}', "not an attrs class"),
        (
            '{"__cs__": "namedtuple", "cls": "collections:OrderedDict", "v": {}}',
            "not a named tuple",
        ),
        ('{"__cs__": "secret", "cls": "collections:OrderedDict"}', "not a pydantic SecretStr"),
        ('{"__cs__": "pydantic", "cls": "no_such_mod_q:M", "v": {}}', "cannot import"),
        (
            '{"__cs__": "pydantic", "cls": "collections:OrderedDict", "v": {}, "extra": null}',
            "bad pydantic value: 'extra' is not an object",
        ),
        # a model's part stored as null is refused, even for a class that would decode
        (
            '{"__cs__": "pydantic", "cls": "pydantic:BaseModel", "v": {}, "attrs": null}',
            "bad pydantic value: 'attrs' is not an object",
        ),
        (
            '{"__cs__": "pydantic", "cls": "pydantic:BaseModel", "v": {}, "private": null}',
            "bad pydantic value: 'private' is not an object",
        ),
        (
            '{"__cs__": "pydantic", "cls": "pydantic:BaseModel", "v": null}',
            "bad pydantic value: 'v' is not an object",
        ),
        (
            '{"__cs__": "attrs", "cls": "collections:OrderedDict", "v": []}',
            "bad attrs value: 'v' is not an object",
        ),
        ('{"__cs__": "pydantic", "cls": "nocolon", "v": {}}', "expected 'module:QualName'"),
        # a hand-edited relative module path (importlib's TypeError asked for a 'package')
        ('{"__cs__": "pydantic", "cls": ".a:M", "v": {}}', "expected 'module:QualName'"),
        # a class stored with arguments that takes none (its generic replaced by a plain class)
        (
            '{"__cs__": "pydantic.v1", "cls": "pydantic.v1.generics:GenericModel", "args": '
            '["builtins:int"], "v": {}}',
            "'pydantic.v1.generics:GenericModel' is not a generic pydantic model",
        ),
        ('{"__cs__": "pydantic_url", "cls": "pydantic:HttpUrl", "v": 1}', "bad stored URL 1"),
        (
            '{"__cs__": "sdk_client", "cls": "openai:OpenAI", "v": ["https://x.example/v1/"]}',
            "bad 'sdk_client' value: the settings of 'openai:OpenAI'",
        ),
        (
            '{"__cs__": "sdk_resource", "cls": "openai.resources.embeddings:Embeddings",'
            ' "path": "", "client": {"__cs__": "sdk_client", "cls": "httpx:Client", "v": {}}}',
            "bad 'sdk_resource' value: path ''",
        ),
        # a generic's argument stored as a type variable that names something else
        (
            '{"__cs__": "pydantic", "cls": "openai.types.chat.parsed_chat_completion:'
            'ParsedChatCompletion", "args": [{"typevar": "collections:OrderedDict"}], "v": {}}',
            "'collections:OrderedDict' is not a type variable",
        ),
        ('{"__cs__": "http_request", "module": "os", "method": "GET", "url": "x"}', "not one of"),
        (
            '{"__cs__": "http_request", "module": "httpx", "method": "POST", "url": "https://x",'
            ' "headers": [], "base64": "aGVsbG8=?"}',
            "bad base64 body",
        ),
        (
            '{"__cs__": "http_request", "module": "httpx", "method": "GET", "url": "https://x",'
            ' "headers": "x"}',
            "bad headers",
        ),
        (
            '{"__cs__": "http_request", "module": "httpx", "method": "GET", "url": "https://x",'
            ' "headers": [["accept", "a", "b"]]}',
            "bad headers",
        ),
        (
            '{"__cs__": "http_response", "module": "httpx", "status_code": 200, "headers": [],'
            ' "request": "GET https://x"}',
            "bad request",
        ),
        (
            '{"__cs__": "http_response", "module": "httpx", "status_code": 200, "headers": [],'
            ' "request": null, "history": ["a redirect"]}',
            "bad history",
        ),
        (
            '{"__cs__": "http_response", "module": "httpx", "status_code": 302, "headers": [],'
            ' "request": null, "next_request": "GET https://x"}',
            "bad next_request",
        ),
    ],
)
def test_bad_library_trees_are_clear_decode_errors(text: str, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        loads(text)


def test_resource_at_a_path_that_moved_is_a_clear_decode_error() -> None:
    tree = encode(openai.OpenAI(api_key=API_KEY).chat.completions)
    tree["path"] = "chat.nowhere"
    with pytest.raises(DecodeError, match=r"cannot find the stored resource.*chat\.nowhere"):
        decode(tree)
    tree["path"] = "embeddings"
    with pytest.raises(DecodeError, match="re-record"):
        decode(tree)


class Step(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)

    name: str
    payload: Any = None


def test_decoding_leaves_the_tree_as_it_was_and_shares_no_container_with_it() -> None:
    # a golden's loader keeps the encoded trees of the values it decodes (the recorded form a
    # live value is compared with): decoding must copy, never fill the tree in place
    tree = {
        "plain": {"deep": [{"x": 1}, [2, {"y": None}]]},
        "when": encode(dt.date(2025, 1, 1)),
        "shaped": encode({TAG: "a dict shaped like a tag"}),
        "model": encode(Step(name="hi", payload=[{"n": 1}])),
    }
    before = json.loads(json.dumps(tree))
    back = decode(tree)
    assert tree == before
    assert back["plain"] == before["plain"] and back["plain"] is not tree["plain"]
    assert back["plain"]["deep"][1] is not tree["plain"]["deep"][1]
    assert back["shaped"] == {TAG: "a dict shaped like a tag"}
    assert back["when"] == dt.date(2025, 1, 1)
    assert back["model"].payload == [{"n": 1}]
    assert back["model"].payload is not tree["model"]["v"]["payload"]
    assert vars(back["model"]) is not tree["model"]["v"]


def test_strict_mode_names_the_field_path_inside_models() -> None:
    value = {
        "steps": [Step(name="ok"), Step(name="bad", payload=Coordinates(0.0, (x for x in [])))]
    }  # type: ignore[arg-type]
    with pytest.raises(SerializationError) as info:
        encode(value, strict=True, allow_pickle=False)
    assert info.value.path == "root['steps'][1].payload.lon"
    assert "generator" in str(info.value)


def test_failing_registered_decoder_is_named_in_the_error(registered: Any) -> None:
    def decode_money(tree: Any) -> Money:
        raise KeyError("cents")

    registered(Money, lambda m: {"c": m.cents}, decode_money)
    text = dumps(encode(Money(1, "EUR")))
    where = r"\(test_failing_registered_decoder_is_named_in_the_error\.<locals>\.decode_money\)"
    with pytest.raises(DecodeError, match=rf"decoder of .*Money.* {where} failed: KeyError"):
        loads(text)


def test_sdk_not_given_and_omit_sentinels_come_back_as_the_same_objects() -> None:
    value = {
        "a": openai.NOT_GIVEN,
        "b": openai.omit,
        "c": anthropic.NOT_GIVEN,
        "d": anthropic.omit,
    }
    back, text = roundtrip(value)
    assert all(back[k] is value[k] for k in value)
    assert '"ref": "openai:NOT_GIVEN"' in text
    assert codec.class_paths(encode(openai.omit)) == ["openai:omit"]
    with pytest.raises(DecodeError, match="not one of"):
        loads('{"__cs__": "sentinel", "ref": "os:system"}')


def test_a_stored_sentinel_the_installed_sdk_lacks_is_a_clear_decode_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delattr(openai, "omit")
    with pytest.raises(DecodeError, match="cannot import the stored sentinel 'openai:omit'"):
        loads('{"__cs__": "sentinel", "ref": "openai:omit"}')


def test_a_rebuilt_client_serves_every_decode_of_the_same_reference() -> None:
    # a golden names its client in every call's arguments; building one makes an SSL context
    # (~30 ms a call before)
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(api_key="sk-test-not-stored", base_url="http://localhost:9/v1")
    tree = codec.encode({"self": client.chat.completions})
    first, second = codec.decode(tree), codec.decode(tree)
    assert first["self"]._client is second["self"]._client
    assert first["self"]._client.api_key == codec.PLACEHOLDER_KEY


def test_a_client_reference_with_its_settings_in_another_order_is_the_same_rebuilt_client() -> None:
    client = openai.OpenAI(api_key=API_KEY, base_url="http://localhost:9/v6", max_retries=4)
    tree = json.loads(dumps(encode(client)))
    reordered = {**tree, "v": dict(reversed(list(tree["v"].items())))}
    [first] = decode([tree])
    [second] = decode([reordered])
    assert second is first


class _Answering(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"object": "list", "data": []}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def local_service() -> Iterator[str]:
    """A local HTTP service answering every GET with an empty openai-style list."""
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Answering) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield "http://{}:{}".format(*server.server_address[:2])
        finally:
            server.shutdown()


@pytest.fixture
def transports_made(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every HTTP transport httpx or httpx2 makes (each loads certificates into an SSL context,
    ~30 ms)."""
    made: list[Any] = []
    for module in (httpx, httpx2):
        for cls in (module.HTTPTransport, module.AsyncHTTPTransport):
            real = cls.__init__

            def init(self: Any, *args: Any, _real: Any = real, **kwargs: Any) -> None:
                made.append(self)
                _real(self, *args, **kwargs)

            monkeypatch.setattr(cls, "__init__", init)
    return made


class OwnOpenAI(openai.OpenAI):
    """A user's client class whose constructor takes only some of the SDK's arguments."""

    def __init__(self, *, api_key: str, base_url: str, timeout: Any, max_retries: int) -> None:
        super().__init__(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )


@pytest.mark.parametrize(
    "make",
    [
        lambda url: openai.OpenAI(api_key=API_KEY, base_url=url + "/v1", max_retries=0),
        lambda url: openai.AsyncOpenAI(api_key=API_KEY, base_url=url + "/v1", max_retries=0),
        lambda url: anthropic.Anthropic(api_key=API_KEY, base_url=url, max_retries=0),
        lambda url: anthropic.AsyncAnthropic(api_key=API_KEY, base_url=url, max_retries=0),
        lambda url: httpx.Client(base_url=url, timeout=7.0),
        lambda url: httpx2.AsyncClient(base_url=url, follow_redirects=True),
    ],
    ids=["OpenAI", "AsyncOpenAI", "Anthropic", "AsyncAnthropic", "httpx", "httpx2-async"],
)
def test_a_rebuilt_client_makes_its_http_transport_when_it_first_sends_a_request(
    make: Any, transports_made: list[Any], local_service: str
) -> None:
    # a golden's client is rebuilt to be compared and restored, and its calls are the mocked
    # ones: making its transport at once cost an SSL context (~30 ms, the most of a golden
    # suite's one-time work)
    client = make(local_service + f"/{len(transports_made)}{id(make)}")  # not remembered yet
    tree = json.loads(dumps(encode(client)))
    transports_made.clear()
    rebuilt = decode(tree)
    assert type(rebuilt) is type(client)
    assert transports_made == []
    assert encode(rebuilt) == tree  # the same settings
    # a call that is not mocked (the network allowed) still reaches the service, once
    if isinstance(rebuilt, (httpx.Client, httpx2.AsyncClient)):
        answer = rebuilt.get("/models")
    else:  # how the SDKs call an endpoint they have no method for
        answer = rebuilt.get("/models", cast_to=object)
    if inspect.isawaitable(answer):
        answer = asyncio.run(_awaited(answer))
    assert (answer if isinstance(answer, dict) else answer.json()) == {"object": "list", "data": []}
    assert len(transports_made) == 1
    # (and a second one goes through the transport made for the first)
    if isinstance(rebuilt, (httpx.Client, httpx2.AsyncClient)):
        again = rebuilt.get("/models")
    else:
        again = rebuilt.get("/models", cast_to=object)
    if inspect.isawaitable(again):
        asyncio.run(_awaited(again))
    assert len(transports_made) == 1


async def _awaited(value: Any) -> Any:
    return await value


@pytest.mark.parametrize("sdk", [openai, anthropic], ids=["openai", "anthropic"])
def test_a_rebuilt_sdk_client_s_transport_has_the_sdk_s_connection_limits(sdk: Any) -> None:
    # (the SDK's default HTTP client: 1000 connections, not the HTTP library's 100)
    client = (sdk.OpenAI if sdk is openai else sdk.Anthropic)(
        api_key=API_KEY, base_url="https://limits.example/v1"
    )
    made = decode(encode(client))._client._transport.transport()
    assert made._pool._max_connections == sdk.DEFAULT_CONNECTION_LIMITS.max_connections


def test_a_rebuilt_client_that_sent_nothing_closes_without_making_a_transport(
    transports_made: list[Any],
) -> None:
    sync = decode(encode(httpx2.Client(base_url="http://127.0.0.1:9/closed-sync")))
    in_async = decode(
        encode(openai.AsyncOpenAI(api_key=API_KEY, base_url="http://127.0.0.1:9/closed-async"))
    )
    transports_made.clear()
    with sync:  # the client enters and exits its transport
        pass
    asyncio.run(in_async.close())
    assert sync.is_closed and in_async.is_closed()
    assert transports_made == []


class _KeepingAlive(_Answering):
    protocol_version = "HTTP/1.1"  # (the connection stays open after an answer)


@pytest.fixture
def keep_alive_service() -> Iterator[str]:
    """:func:`local_service` keeping its connections open."""
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), _KeepingAlive) as server:
        threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield "http://{}:{}".format(*server.server_address[:2])
        finally:
            server.shutdown()


@pytest.mark.parametrize("is_async", [False, True], ids=["sync", "async"])
def test_a_rebuilt_client_closed_after_a_request_closes_the_transport_it_made(
    is_async: bool, transports_made: list[Any], keep_alive_service: str
) -> None:
    # (its open connection is let go, not left open until the process ends)
    made_client = (httpx2.AsyncClient if is_async else httpx.Client)(
        base_url=keep_alive_service + f"/closing-{is_async}"
    )
    rebuilt = decode(encode(made_client))
    transports_made.clear()

    async def in_async() -> None:
        await rebuilt.get("/models")
        assert len(transports_made[0]._pool.connections) == 1
        await rebuilt.aclose()

    if is_async:
        asyncio.run(in_async())
    else:
        rebuilt.get("/models")
        assert len(transports_made[0]._pool.connections) == 1
        rebuilt.close()
    [made] = transports_made
    assert made._pool.connections == []


def test_a_rebuilt_client_left_by_its_with_block_closes_the_transport_it_made(
    transports_made: list[Any], keep_alive_service: str
) -> None:
    rebuilt = decode(encode(httpx.Client(base_url=keep_alive_service + "/closing-with")))
    transports_made.clear()
    with rebuilt:
        rebuilt.get("/models")
        assert len(transports_made[0]._pool.connections) == 1
    [made] = transports_made
    assert made._pool.connections == []


def test_a_client_class_that_takes_no_http_client_is_rebuilt_as_it_is_called(
    local_service: str,
) -> None:
    client = OwnOpenAI(api_key=API_KEY, base_url=local_service + "/own", timeout=9.0, max_retries=1)
    rebuilt = loads(dumps(encode(client)))
    assert type(rebuilt) is OwnOpenAI
    assert encode(rebuilt) == encode(client)
    assert rebuilt.get("/models", cast_to=object) == {"object": "list", "data": []}


def test_a_stored_resource_reference_is_decoded_once_for_every_call_that_names_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # a golden of an SDK agent holds the same reference in each call's `self`: decoding it
    # walked and rebuilt it every time (~48 k instructions of each answered call)
    openai = pytest.importorskip("openai")
    from pytest_clearstone.codec import library

    decoded: list[Any] = []
    real = library.DECODERS["sdk_resource"]

    def counting(tree: dict[str, Any]) -> Any:
        decoded.append(tree)
        return real(tree)

    monkeypatch.setitem(library.DECODERS, "sdk_resource", counting)
    client = openai.OpenAI(api_key="sk-test-not-stored", base_url="http://localhost:9/v3")
    text = dumps(encode(client.chat.completions))
    first = decode(json.loads(text))
    reordered = dict(reversed(list(json.loads(text).items())))  # the same reference
    assert decode(reordered) is first
    assert len(decoded) == 1
    other = openai.OpenAI(api_key="sk-test-not-stored", base_url="http://localhost:9/v4")
    second = decode(json.loads(dumps(encode(other.chat.completions))))
    assert second is not first and str(second._client.base_url) == "http://localhost:9/v4/"
    assert len(decoded) == 2


def test_a_reference_decoded_with_pickles_allowed_is_still_refused_where_they_are_not() -> None:
    openai = pytest.importorskip("openai")
    client = openai.OpenAI(api_key="sk-test-not-stored", base_url="http://localhost:9/v5")
    tree = json.loads(dumps(encode(client)))
    tree["v"]["max_retries"] = {TAG: "pickle", "type": "int", "v": "gARLAy4="}
    assert decode(tree, allow_pickle=True).max_retries == 3
    for _ in range(2):  # a refusal is not remembered as an answer
        with pytest.raises(DecodeError, match="pickles not allowed"):
            decode(tree)


def test_a_resource_not_created_yet_is_found_where_its_module_says() -> None:
    # finding it by creating every resource of the client imported the whole SDK
    openai = pytest.importorskip("openai")
    from pytest_clearstone.codec.clients import resource_path

    client = openai.OpenAI(api_key="sk-test-not-stored", base_url="http://localhost:9/v1")
    other = openai.OpenAI(api_key="sk-test-not-stored", base_url="http://localhost:9/v1")
    resource = other.beta.assistants if hasattr(other, "beta") else other.chat.completions
    created_before = set(vars(client))
    path = resource_path(client, resource)
    assert path is not None
    found = client
    for name in path.split("."):
        found = getattr(found, name)
    assert type(found) is type(resource)
    assert len(set(vars(client)) - created_before) <= 1  # only the resource's own branch


class ModuleOpenAI(openai.OpenAI):
    """A client class no other test asks resource paths of."""


def test_a_resource_whose_module_repeats_its_name_is_found_where_its_module_says() -> None:
    # (openai.resources.chat.completions.completions: chat.completions, the repeated name once;
    # creating every resource of the client to find it imported the whole SDK)
    from pytest_clearstone.codec.clients import resource_path

    held = openai.OpenAI(api_key=API_KEY, base_url="https://held.example/v1")
    asked = ModuleOpenAI(api_key=API_KEY, base_url="https://asked.example/v1")
    assert resource_path(asked, held.chat.completions) == "chat.completions"
    assert set(vars(asked)) & {"embeddings", "files", "beta", "responses"} == set()


def test_a_resource_whose_module_names_another_resource_s_path_is_not_stored_at_that_path(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (an app's subclass in ``app.resources.chat``: ``client.chat`` is openai's ``Chat``, and a
    # reference to it there was a golden that could not be read back)
    import types

    from openai.resources.chat.completions import Completions

    from pytest_clearstone.errors import UnencodableValueWarning

    module = types.ModuleType("cs_probe_app.resources.chat")
    audited = type("AuditedCompletions", (Completions,), {"__module__": module.__name__})
    module.AuditedCompletions = audited  # type: ignore[attr-defined]
    for name in ("cs_probe_app", "cs_probe_app.resources"):
        monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    monkeypatch.setitem(sys.modules, module.__name__, module)
    resource = audited(openai.OpenAI(api_key=API_KEY))
    with pytest.warns(UnencodableValueWarning):
        tree = encode(resource)
    assert tree[TAG] != "sdk_resource"
    assert type(loads(dumps(tree))).__name__ == "StoredRepr"


def test_the_path_to_a_held_resource_is_remembered_and_checked_before_it_is_used() -> None:
    # a replayed SDK call encodes its resource to compare its self: the client is not
    # searched again, unless the remembered path no longer leads to that resource
    openai = pytest.importorskip("openai")
    from pytest_clearstone.codec import clients

    client = openai.OpenAI(api_key="sk-test-not-stored", base_url="http://localhost:9/v1")
    resource = client.chat.completions
    searched: list[Any] = []
    real_find = clients._find

    def find(*args: Any, **kwargs: Any) -> Any:
        searched.append(args)
        return real_find(*args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(clients, "_find", find)
        assert clients.resource_path(client, resource) == "chat.completions"
        assert clients.resource_path(client, resource) == "chat.completions"
        assert len(searched) == 1
        other = openai.OpenAI(api_key="sk-test-not-stored", base_url="http://localhost:9/v1")
        other.chat.completions  # noqa: B018  (created: held by the other client only)
        assert clients.resource_path(other, resource) == "chat.completions"  # by its type
        assert len(searched) == 2
        del vars(client)["chat"]  # the client no longer holds it
        assert clients.resource_path(client, resource) == "chat.completions"
        assert len(searched) == 3


def test_the_path_remembered_last_is_checked_against_the_client_it_is_asked_for() -> None:
    # the last resource's path is kept by its id, and followed on the client asked about: two
    # resources of one client, asked in turn, each get their own path
    openai = pytest.importorskip("openai")
    from pytest_clearstone.codec import clients

    client = openai.OpenAI(api_key="sk-test-not-stored", base_url="http://localhost:9/v1")
    chat, legacy = client.chat.completions, client.completions
    for _ in range(2):
        assert clients.resource_path(client, chat) == "chat.completions"
        assert clients.resource_path(client, legacy) == "completions"
    other = openai.OpenAI(api_key="sk-test-not-stored", base_url="http://localhost:9/v1")
    assert clients.resource_path(other, legacy) == "completions"  # (by its type: not held)


class ProxiedOpenAI(openai.OpenAI):
    """A user's client class whose ``base_url`` property is its own."""

    @property
    def base_url(self) -> Any:
        return httpx.URL("https://proxy.example/through/")


class ProxiedAnthropic(anthropic.Anthropic):
    """A user's client class whose ``base_url`` property is its own."""

    @property
    def base_url(self) -> Any:
        return httpx.URL("https://proxy.example/through/")


@pytest.mark.parametrize(
    ("cls", "proxied"), [(openai.OpenAI, ProxiedOpenAI), (anthropic.Anthropic, ProxiedAnthropic)]
)
def test_a_client_s_base_url_is_stored_as_its_property_reads_it(cls: Any, proxied: Any) -> None:
    # the SDKs' own base_url property is read through the attribute it returns (openai's runs
    # an import statement at every read, and a replayed call compares its client at every
    # call): what is stored and compared is still what the property gives, after its setter
    # too, and a subclass that defines its own property is read through it
    from pytest_clearstone.codec.clients import is_stored_as

    client = cls(api_key=API_KEY, base_url="https://first.example/v1/")
    tree = encode(client)
    assert tree["v"]["base_url"] == str(client.base_url) == "https://first.example/v1/"
    client.base_url = "https://second.example/v2/"
    assert is_stored_as(client, tree) is False
    assert encode(client)["v"]["base_url"] == "https://second.example/v2/"
    assert is_stored_as(client, encode(client)) is True
    own = proxied(api_key=API_KEY, base_url="https://first.example/v1/")
    assert encode(own)["v"]["base_url"] == "https://proxy.example/through/"


class Reading(pydantic.BaseModel):
    sensor: str
    value: float


def test_pydantic_model_with_every_field_set_and_an_instance_attribute_round_trips() -> None:
    """Every field set: the tree leaves out ``set``; the instance attribute (as openai's
    ``_request_id``) comes back as one, not as a field that was set."""
    reading = Reading(sensor="t1", value=21.5)
    object.__setattr__(reading, "request_id", "req_1")
    tree = encode(reading)
    assert "set" not in tree and tree["attrs"] == {"request_id": "req_1"}
    back = decode(tree)
    assert back == reading and back.request_id == "req_1"
    assert back.model_fields_set == {"sensor", "value"}
    assert back.model_dump() == {"sensor": "t1", "value": 21.5}
    assert tree["v"] == {"sensor": "t1", "value": 21.5}  # the tree decoded is left as it was


URL_PASSWORD = "Gw9pXq2Lm7Rt4Vz8Kc1Nb6Hs3Jd"


@pytest.mark.parametrize(
    "make",
    [
        lambda url: openai.OpenAI(api_key=API_KEY, base_url=url + "/v1"),
        lambda url: anthropic.Anthropic(api_key=API_KEY, base_url=url),
        lambda url: httpx.Client(base_url=url),
        lambda url: httpx2.AsyncClient(base_url=url),
    ],
    ids=["openai", "anthropic", "httpx", "httpx2"],
)
def test_a_client_is_stored_without_the_password_of_its_base_url(make: Any) -> None:
    """``scheme://user:password@host`` in a client's base URL: the reference holds the
    placeholder instead of the password (noted as withheld for the last check), the client
    rebuilt from it is stored the same way, and a live client compares equal to it."""
    from pytest_clearstone.codec import withheld
    from pytest_clearstone.codec.clients import is_stored_as

    withheld.forget()
    client = make(f"https://svc-agent:{URL_PASSWORD}@llm-proxy.corp.example")
    tree = encode(client)
    assert URL_PASSWORD not in json.dumps(tree)
    assert tree["v"]["base_url"].startswith("https://svc-agent:[REDACTED]@llm-proxy.corp.example")
    assert "the password in the base URL" in withheld.noted()[URL_PASSWORD]
    back = loads(dumps(tree))
    withheld.forget()
    assert encode(back) == tree  # a re-record of a replayed state writes the same golden
    # (the placeholder in its URL is no password of the agent's)
    assert not [value for value in withheld.noted() if "REDACTED" in value]
    assert is_stored_as(client, tree) is True
    assert codec.same_stored_form(client, back, tree)
    other = make(f"https://svc-agent:{URL_PASSWORD}@other.corp.example")
    assert not codec.same_stored_form(other, back, tree)


@pytest.mark.parametrize(
    "url",
    [
        "https://proxy.example/team:blue@pool/v1/",
        "https://proxy.example/route?to=svc:main@pool/",
        "https://proxy.example#team:blue@pool",
    ],
)
def test_a_base_url_with_user_and_at_sign_after_its_host_is_stored_as_it_is(url: str) -> None:
    # (only a user:password@ before the host is a password)
    assert encode(httpx.Client(base_url=url))["v"]["base_url"] == url


def test_a_base_url_with_a_user_and_no_password_is_stored_as_it_is() -> None:
    # (there is nothing to withhold: rebuilt with the placeholder as its password, the client
    # would send one it never had)
    url = "https://svc-agent:@llm-proxy.corp.example/v1/"
    tree = encode(httpx.Client(base_url=url))
    assert tree["v"]["base_url"] == url
    assert str(loads(dumps(tree)).base_url) == url


def test_a_url_encoded_password_of_a_base_url_is_withheld_as_written_and_as_decoded() -> None:
    # (the password the agent's code holds is the decoded one: the last check looks for both)
    from pytest_clearstone.codec import withheld

    withheld.forget()
    client = httpx.Client(base_url="https://svc-agent:Gw9p%40Xq2Lm7%2FRt4Vz8@llm-proxy.example")
    assert "Gw9p" not in json.dumps(encode(client))
    notes = withheld.noted()
    assert "the password in the base URL" in notes["Gw9p%40Xq2Lm7%2FRt4Vz8"]
    assert "the password in the base URL" in notes["Gw9p@Xq2Lm7/Rt4Vz8"]


def test_a_password_of_a_base_url_holding_a_colon_is_withheld_whole() -> None:
    # (httpx leaves a ':' of the password as it is: the user name ends at the first one)
    from pytest_clearstone.codec import withheld

    withheld.forget()
    client = openai.OpenAI(api_key=API_KEY, base_url="https://svc-agent:Gw9p:Xq2Lm7@gw.example/v1")
    tree = encode(client)
    assert tree["v"]["base_url"] == "https://svc-agent:[REDACTED]@gw.example/v1/"
    assert "the password in the base URL" in withheld.noted()["Gw9p:Xq2Lm7"]


def test_a_langchain_chat_model_with_a_password_in_its_base_url_is_stored_without_it() -> None:
    chat_models = pytest.importorskip("langchain_openai")
    model = chat_models.ChatOpenAI(
        model="gpt-4o-mini", api_key=API_KEY, base_url=f"https://u:{URL_PASSWORD}@gw.example/v1"
    )
    clients = [model.root_client, model.client, model.root_async_client, model.async_client]
    assert URL_PASSWORD not in json.dumps(encode(clients))  # (its openai_api_base: redacted)


def test_only_the_token_after_an_auth_scheme_is_withheld_on_its_own() -> None:
    # (a cookie's second pair is no token: noted alone, the last check would flag it anywhere)
    from pytest_clearstone.codec import withheld
    from pytest_clearstone.codec.http import auth_token, note_secret_header

    assert auth_token("Bearer sk-live-123") == "sk-live-123"
    withheld.forget()
    note_secret_header("cookie", "session=abc123; theme=dark", "an httpx request")
    assert list(withheld.noted()) == ["session=abc123; theme=dark"]


class TaggedOpenAI(openai.OpenAI):
    """A user's client class taking any keyword, and doing more than the SDK's __init__."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.team = "research"


def test_a_client_subclass_taking_any_keyword_is_rebuilt_by_its_own_init() -> None:
    back = loads(dumps(encode(TaggedOpenAI(api_key=API_KEY, base_url="https://tagged.example"))))
    assert type(back) is TaggedOpenAI and back.team == "research"


class TeamOpenAI(openai.OpenAI):
    """A user's client class with a keyword of its own that has a default."""

    def __init__(self, *, team: str = "research", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.team = team


def test_a_client_subclass_with_a_defaulted_keyword_of_its_own_is_rebuilt_by_its_own_init() -> None:
    back = loads(dumps(encode(TeamOpenAI(api_key=API_KEY, base_url="https://team.example"))))
    assert type(back) is TeamOpenAI and back.team == "research"


class PinnedOpenAI(openai.OpenAI):
    """A user's client class taking only some of the settings a reference stores."""

    def __init__(self, *, base_url: str | None = None, api_key: str = API_KEY) -> None:
        super().__init__(api_key=api_key, base_url=base_url)


def test_a_client_subclass_taking_only_some_settings_is_rebuilt_by_its_library_class() -> None:
    back = loads(dumps(encode(PinnedOpenAI(base_url="https://pinned.example/v1"))))
    assert type(back) is PinnedOpenAI
    assert str(back.base_url) == "https://pinned.example/v1/"
    assert back.api_key == codec.PLACEHOLDER_KEY


class KeyedOpenAI(openai.OpenAI):
    """A user's client class that must be given its key, and does more than the SDK's
    __init__."""

    def __init__(
        self,
        *,
        api_key: str,
        base_url: str | None = None,
        timeout: Any = None,
        max_retries: int = 2,
    ) -> None:
        super().__init__(
            api_key=api_key, base_url=base_url, timeout=timeout, max_retries=max_retries
        )
        self.team = "research"


def test_a_client_subclass_that_requires_its_key_is_rebuilt_by_its_own_init() -> None:
    # (the key is the one argument the rebuild adds: the placeholder key)
    back = loads(dumps(encode(KeyedOpenAI(api_key=API_KEY, base_url="https://keyed.example"))))
    assert type(back) is KeyedOpenAI and back.team == "research"


def test_a_resource_of_the_same_class_at_another_path_is_not_stored_as_the_recorded_one() -> None:
    # openai's client.beta.chat.completions is a Completions as client.chat.completions is: an
    # agent now calling the other one made the call that was recorded
    from pytest_clearstone.codec.clients import is_stored_as

    client = openai.OpenAI(api_key=API_KEY, base_url="https://paths.example/v1")
    recorded, other = client.chat.completions, client.beta.chat.completions
    assert type(recorded) is type(other)
    tree = encode(recorded)
    assert is_stored_as(recorded, tree) is True
    assert is_stored_as(other, tree) is False
    assert encode(other)["path"] == "beta.chat.completions"


def test_a_held_resource_four_attributes_deep_is_stored_at_its_own_path() -> None:
    # openai's client.beta.chat.completions.messages is a Messages of the module that says
    # chat.completions.messages: found where the client holds it, not where its module says
    from pytest_clearstone.codec.clients import is_stored_as

    client = openai.OpenAI(api_key=API_KEY, base_url="https://deep.example/v1")
    tree = encode(client.beta.chat.completions.messages)
    assert tree["path"] == "beta.chat.completions.messages"
    assert is_stored_as(client.chat.completions.messages, tree) is False


class AuditedCompletions(openai.resources.chat.Completions):
    """An agent's own resource class, set where its client holds its chat completions."""


def test_a_resource_of_another_class_at_the_recorded_path_is_not_stored_as_the_recorded_one() -> (
    None
):
    from pytest_clearstone.codec.clients import is_stored_as

    client = openai.OpenAI(api_key=API_KEY, base_url="https://audited.example/v1")
    tree = encode(client.chat.completions)
    client.chat.completions = AuditedCompletions(client)
    assert encode(client.chat.completions)["path"] == tree["path"]
    assert is_stored_as(client.chat.completions, tree) is False


def test_a_client_s_secret_headers_are_withheld_whatever_their_case() -> None:
    from pytest_clearstone.codec import withheld

    withheld.forget()
    token = "tok-Gw9pXq2Lm7Rt4Vz8"
    encode(httpx.Client(headers={"Authorization": f"Bearer {token}"}))
    encode(openai.OpenAI(api_key=API_KEY, default_headers={"X-Api-Key": token + "-2"}))
    notes = withheld.noted()
    assert notes[token] == "the token in the Authorization header of an httpx.Client"
    assert notes[token + "-2"] == "the X-Api-Key header of an openai.OpenAI client"


def test_a_client_s_secret_header_given_a_value_that_is_no_text_is_left_out_of_the_notes() -> None:
    """An SDK's ``Omit()`` in ``default_headers`` takes the header out of each request."""
    from pytest_clearstone.codec import withheld

    withheld.forget()
    client = openai.OpenAI(api_key=API_KEY, default_headers={"Authorization": openai.Omit()})
    assert encode(client)[TAG] == "sdk_client"
    assert API_KEY in withheld.noted()


@pytest.mark.parametrize(
    ("content", "form"),
    [
        (b'{"a":1}', {"json": {"a": 1}}),
        (b'{"a": 1}', {"text": '{"a": 1}'}),  # (JSON written otherwise: its bytes kept)
        ('{"a":"é"}'.encode(), {"json": {"a": "é"}}),  # (as httpx writes it: not escaped)
        (b'{"a":NaN}', {"text": '{"a":NaN}'}),  # (no JSON text: Python's json writes it)
        (b"\xff\x00", {"base64": "/wA="}),
        (b"", {}),
    ],
)
def test_a_body_is_stored_in_the_form_that_gives_its_bytes_back(
    content: bytes, form: dict[str, Any]
) -> None:
    from pytest_clearstone.codec.http import body_form, content_of

    assert body_form(content) == form
    assert content_of(form) == content


class _Unseekable(io.BytesIO):
    """A file read once (a pipe, a socket's file): it cannot be read again from its start."""

    def seekable(self) -> bool:
        return False


def test_a_multipart_request_of_a_file_read_once_is_stored_unread_and_sent_whole() -> None:
    request = httpx.Request(
        "POST", "https://upload.example/files", files={"f": ("a.txt", _Unseekable(b"payload"))}
    )
    assert encode(request)["unread"] is True
    assert b"payload" in b"".join(request.stream)  # (storing it read nothing the send needs)


class _Sending(httpx.BaseTransport):
    """Sends a request as a connection does: its stream, not ``read()`` (MockTransport reads
    it)."""

    def handle_request(self, request: Any) -> Any:
        for _ in request.stream:
            pass
        return httpx.Response(200, json={"ok": True})


def test_a_multipart_request_of_a_file_closed_since_it_was_sent_is_stored_unread(
    tmp_path: Any,
) -> None:
    # (the agent's `with open(...)` has closed it when the response holding it is recorded)
    path = tmp_path / "a.txt"
    path.write_bytes(b"payload")
    with httpx.Client(transport=_Sending()) as client, path.open("rb") as file:
        response = client.post("https://upload.example/files", files={"f": ("a.txt", file)})
    assert file.closed
    assert encode(response)["request"]["unread"] is True


def test_a_request_whose_streamed_body_is_not_read_yet_is_stored_unread() -> None:
    # (not as a request with no body: the golden says the body was not stored)
    def chunks() -> Iterator[bytes]:
        yield b"part"

    tree = encode(httpx.Request("POST", "https://upload.example/stream", content=chunks()))
    assert tree["unread"] is True
    assert not {"json", "text", "base64"} & set(tree)


def test_a_client_reference_with_a_part_it_never_has_is_compared_by_encoding() -> None:
    # (a hand-edited or newer golden: only the encoded comparison can tell what it holds)
    from pytest_clearstone.codec.clients import is_stored_as

    client = httpx.Client(base_url="https://parts.example")
    tree = encode(client)
    assert is_stored_as(client, tree) is True
    assert is_stored_as(client, {**tree, "proxy": "https://proxy.example"}) is None


def test_a_resource_reference_with_a_part_it_never_has_is_compared_by_encoding() -> None:
    from pytest_clearstone.codec.clients import is_stored_as

    resource = openai.OpenAI(api_key=API_KEY, base_url="https://parts.example/v1").embeddings
    tree = encode(resource)
    assert is_stored_as(resource, tree) is True
    assert is_stored_as(resource, {**tree, "proxy": "https://proxy.example"}) is None


def test_a_class_path_naming_a_package_s_main_is_refused_without_running_it(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (importing a package's __main__ runs its command line: venv's, with the test run's argv)
    package = tmp_path / "cs_script_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text("raise SystemExit('the script ran')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(DecodeError, match="is a script"):
        loads('{"__cs__": "pydantic", "cls": "cs_script_pkg.__main__:Model", "v": {}}')


def test_a_class_an_sdk_relabelled_is_named_by_its_own_package() -> None:
    # (openai re-exports httpx2's Timeout as its own: the name must not depend on the SDK)
    from pytest_clearstone.codec.naming import home_module

    written_in = openai.Timeout.__init__.__module__  # (httpx2._config)
    assert openai.Timeout.__module__ != written_in.partition(".")[0]  # (relabelled)
    assert home_module(openai.Timeout) == written_in.partition(".")[0]  # (which exports it)


def _relabelled(monkeypatch: pytest.MonkeyPatch, exported: bool, kind: str = "") -> type:
    """A class written in ``cs_home_pkg._impl`` (exported by ``cs_home_pkg`` or not) with one
    method (a ``staticmethod``, a ``classmethod``, or a plain one), that another package
    relabelled as its own (``__module__ = "cs_other"``)."""
    import types

    package, impl = types.ModuleType("cs_home_pkg"), types.ModuleType("cs_home_pkg._impl")
    exec(f"class Thing:\n    {kind}\n    def run(*args):\n        pass\n", vars(impl))
    cls: type = vars(impl)["Thing"]
    if exported:
        package.Thing = cls  # type: ignore[attr-defined]
    cls.__module__ = "cs_other"
    for module in (package, impl):
        monkeypatch.setitem(sys.modules, module.__name__, module)
    return cls


@pytest.mark.parametrize("kind", ["", "@staticmethod", "@classmethod"])
def test_a_relabelled_class_is_named_by_the_module_holding_it_or_else_by_its_label(
    monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    # (its package when that exports it, else the module it was written in; where neither
    # holds it under its name, the label it was given)
    from pytest_clearstone.codec.naming import home_module

    assert home_module(_relabelled(monkeypatch, exported=True, kind=kind)) == "cs_home_pkg"
    cls = _relabelled(monkeypatch, exported=False, kind=kind)
    assert home_module(cls) == "cs_home_pkg._impl"
    del vars(sys.modules["cs_home_pkg._impl"])["Thing"]
    assert home_module(cls) == "cs_other"


# ---------------------------------------------------------------- classes of private modules

PRIVATE_PACKAGE = {
    "__init__.py": "from ._impl import Clash as _C, Outer, Thing, Plain\nClash = 'another'\n"
    "from .sub import Deep\n",
    "_impl.py": "import dataclasses\n\n"
    "@dataclasses.dataclass(eq=False)\nclass Thing:\n    n: int\n\n"
    "@dataclasses.dataclass\nclass Plain:\n    n: int\n\n"
    "class Outer:\n    class Inner:\n        pass\n\n"
    "class Hidden:\n    pass\n\nclass Clash:\n    pass\n",
    "sub/__init__.py": "from ._deep import Deep\n",
    "sub/_deep.py": "class Deep:\n    pass\n",
}


@pytest.fixture
def private_package(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A package whose classes are written in private modules and exported by the package
    (``cs_priv_pkg._impl:Thing`` is ``cs_priv_pkg.Thing``), one by a subpackage."""
    import importlib

    for name, text in PRIVATE_PACKAGE.items():
        path = tmp_path / "cs_priv_pkg" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield importlib.import_module("cs_priv_pkg")
    for name in [m for m in sys.modules if m.partition(".")[0] == "cs_priv_pkg"]:
        del sys.modules[name]


def test_a_class_of_a_private_module_is_named_by_the_nearest_package_exporting_it(
    private_package: Any,
) -> None:
    from pytest_clearstone.codec.naming import class_path

    impl = sys.modules["cs_priv_pkg._impl"]
    assert class_path(private_package.Thing) == "cs_priv_pkg:Thing"
    assert class_path(private_package.Outer.Inner) == "cs_priv_pkg:Outer.Inner"
    assert class_path(private_package.Deep) == "cs_priv_pkg.sub:Deep"  # (the nearest)
    # exported by nobody: the module it is written in
    assert class_path(impl.Hidden) == "cs_priv_pkg._impl:Hidden"
    # the package holds another object under its name: the module it is written in too
    assert class_path(impl.Clash) == "cs_priv_pkg._impl:Clash"
    tree = encode(private_package.Thing(1))
    assert tree["cls"] == "cs_priv_pkg:Thing"
    assert dumps(encode(private_package.Thing(1))) == dumps(tree)  # (stable)
    assert type(decode(tree)) is private_package.Thing
    # a class as a value (a response_format), a defaultdict's factory: named alike
    assert encode(private_package.Thing)["cls"] == "cs_priv_pkg:Thing"
    factory = encode(collections.defaultdict(private_package.Plain))
    assert factory["cls"] == "cs_priv_pkg:Plain"
    assert decode({**factory, "cls": "cs_priv_pkg._impl:Plain"}).default_factory is (
        private_package.Plain
    )
    assert decode({TAG: "class", "cls": "cs_priv_pkg._impl:Thing"}) is private_package.Thing


def test_a_class_of_an_installed_library_s_private_module_is_named_by_its_public_package() -> None:
    mcp_types = pytest.importorskip("mcp_types")
    from pytest_clearstone.codec.naming import class_path

    assert mcp_types.CallToolResult.__module__ == "mcp_types._types"  # (as mcp 2 writes it)
    result = mcp_types.CallToolResult(content=[mcp_types.TextContent(type="text", text="hi")])
    tree = encode(result)
    assert tree["cls"] == "mcp_types:CallToolResult"
    assert tree["v"]["content"][0]["cls"] == "mcp_types:TextContent"
    assert decode(tree) == result
    assert "mcp_types._types" not in dumps(tree)
    vertex = anthropic.AnthropicVertex(region="us-east5", project_id="p", access_token="t")
    assert encode(vertex)["cls"] == "anthropic.lib.vertex:AnthropicVertex"
    pydantic_core = pytest.importorskip("pydantic_core")
    assert class_path(pydantic_core.Url) == "pydantic_core:Url"
    url = pydantic_core.Url("https://example.com/a")
    assert decode(encode(url)) == url
    # a class of a public module keeps its module's name
    assert class_path(openai.types.chat.ChatCompletion) == (
        "openai.types.chat.chat_completion:ChatCompletion"
    )


def test_a_golden_naming_a_class_by_its_private_module_still_reads_and_compares(
    private_package: Any, registered: Any
) -> None:
    from pytest_clearstone.codec.clients import is_stored_as
    from pytest_clearstone.codec.compare import same_stored_form, same_tree

    old = {TAG: "dataclass", "cls": "cs_priv_pkg._impl:Thing", "v": {"n": 1}}
    assert type(decode(old)) is private_package.Thing
    thing = private_package.Thing(1)  # (eq=False: compared by its stored form)
    assert same_tree(encode(thing), old)
    assert same_stored_form(thing, decode(old), old)
    assert not same_tree(encode(thing), {**old, "v": {"n": 2}})
    assert not same_tree(encode(thing), {**old, "cls": "cs_priv_pkg._impl:Plain"})
    # a client reference recorded with the cloud client's private module
    vertex = anthropic.AnthropicVertex(region="us-east5", project_id="p", access_token="t")
    stored = {**encode(vertex), "cls": "anthropic.lib.vertex._client:AnthropicVertex"}
    assert is_stored_as(vertex, stored) is True
    assert type(decode(stored)) is anthropic.AnthropicVertex
    # a registered type recorded under its private module's path
    registered(private_package.Plain, lambda p: p.n, lambda n: private_package.Plain(n + 100))
    tree = encode(private_package.Plain(1))
    assert tree["type"] == "cs_priv_pkg:Plain"
    assert decode({**tree, "type": "cs_priv_pkg._impl:Plain"}) == private_package.Plain(101)


def test_a_decode_hook_written_for_a_class_s_private_module_path_still_decodes_it(
    private_package: Any,
) -> None:
    asked: list[str] = []

    def decode_hook(type_path: str, data: Any) -> Any:
        asked.append(type_path)
        return private_package.Plain(data) if type_path == "cs_priv_pkg._impl:Plain" else None

    undo = codec.use_hooks(lambda v: v.n if type(v) is private_package.Plain else None, decode_hook)
    try:
        tree = encode(private_package.Plain(7))
        assert tree["type"] == "cs_priv_pkg:Plain"
        assert decode(tree) == private_package.Plain(7)
        assert asked == ["cs_priv_pkg:Plain", "cs_priv_pkg._impl:Plain"]
    finally:
        undo()


def test_a_golden_naming_a_class_by_its_private_module_is_decoded_by_a_hook_for_its_public_one(
    private_package: Any,
) -> None:
    def decode_hook(type_path: str, data: Any) -> Any:
        return private_package.Plain(data) if type_path == "cs_priv_pkg:Plain" else None

    undo = codec.use_hooks(lambda v: None, decode_hook)
    try:
        stored = {TAG: "custom", "type": "cs_priv_pkg._impl:Plain", "v": 7}  # (an older golden)
        assert decode(stored) == private_package.Plain(7)
    finally:
        undo()


class _Unequal:
    """A value whose == raises (as a numpy array's truth does)."""

    def __eq__(self, other: object) -> bool:
        raise ValueError("the truth value of an array is ambiguous")

    __hash__ = None  # type: ignore[assignment]


class LabelledClient(httpx.Client):
    """A user's client class holding a value whose == raises (set before the client's own)."""

    def __init__(self, **kwargs: Any) -> None:
        self.label = _Unequal()
        super().__init__(**kwargs)


def test_a_client_changed_with_a_value_whose_equality_raises_is_read_again() -> None:
    # (a replayed call compares its client with the recorded one: what it read last is reused
    # only while its attributes compare equal, and one that cannot be compared is read again)
    from pytest_clearstone.codec.clients import is_stored_as

    client = LabelledClient(base_url="https://first.example")
    tree = encode(client)
    assert is_stored_as(client, tree) is True
    client.base_url = "https://second.example"  # type: ignore[assignment]
    client.label = _Unequal()  # (comparing the attributes read then raises)
    assert is_stored_as(client, tree) is False


def test_a_chat_model_recorded_under_other_langchain_releases_is_the_same_value() -> None:
    # (langchain-core notes its releases in every chat model's metadata: an upgrade changes no
    # value an agent keeps or passes to a function of its own)
    from langchain_core.language_models import FakeListChatModel

    chat = FakeListChatModel(responses=["a"])
    assert "lc_versions" in chat.metadata
    tree = encode(chat)
    tree["v"]["metadata"]["lc_versions"] = {"langchain-core": "0.0.1"}
    assert codec.same_stored_form(chat, loads(dumps(tree)), tree)
    other = FakeListChatModel(responses=["b"])
    assert not codec.same_stored_form(other, loads(dumps(tree)), tree)


class RelabelledMaker:
    """A class an SDK relabelled as its own, whose only functions are class and static methods."""

    @classmethod
    def make(cls) -> RelabelledMaker:
        return cls()

    @staticmethod
    def kind() -> str:
        return "maker"


RelabelledMaker.__module__ = "openai"  # (as the SDKs relabel what they re-export)


def test_a_relabelled_class_with_only_class_and_static_methods_is_named_by_its_module() -> None:
    from pytest_clearstone.codec.naming import class_path

    assert class_path(RelabelledMaker) == f"{__name__}:RelabelledMaker"


def test_a_class_whose_module_is_gone_is_named_by_its_qualified_name() -> None:
    # (a module dropped from sys.modules: pytester's in-process runs restore it)
    from pytest_clearstone.codec.naming import findable, reachable_name

    ghost = type("Ghost", (), {"__module__": "cs_module_gone_q"})
    assert reachable_name(ghost) == "Ghost"
    assert not findable(ghost)


def test_a_dataclass_made_at_run_time_is_refused_naming_why_and_one_of_a_reloaded_class_is_kept(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A class no import finds (``dataclasses.make_dataclass``'s: fastmcp's structured tool
    results) is refused as it is stored, saying why; an instance of a class its module now
    holds another of under the same name (after a reload) is stored readably as before, read
    back as the module's class."""
    import types

    from pytest_clearstone.codec.tags import Encoder

    built = dataclasses.make_dataclass("echoOutput", [("result", str)])
    with pytest.raises(SerializationError, match=r"its class was made at run time"):
        Encoder(allow_pickle=False, strict=True).encode(built(result="HI"))
    module = types.ModuleType("cs_reloaded_notes")
    monkeypatch.setitem(sys.modules, module.__name__, module)
    source = "import dataclasses\n@dataclasses.dataclass\nclass Note:\n    text: str\n"
    exec(source, module.__dict__)
    old = module.Note("a")
    exec(source, module.__dict__)  # (a reload: the module holds a new class Note)
    tree = Encoder(allow_pickle=False, strict=True).encode(old)
    assert tree == {TAG: "dataclass", "cls": "cs_reloaded_notes:Note", "v": {"text": "a"}}


class PublicRateLimit(Exception):
    """A library's public class."""


class _HTTPRateLimit(PublicRateLimit):
    """A private subclass calling itself by its public base's name (as pydantic-ai's
    ``_HTTPModelRateLimitError`` calls itself ``ModelRateLimitError``)."""


_HTTPRateLimit.__name__ = _HTTPRateLimit.__qualname__ = "PublicRateLimit"


def test_a_class_that_renamed_itself_is_found_under_the_name_its_module_gives_it() -> None:
    from pytest_clearstone.codec.naming import findable, reachable_name

    assert reachable_name(_HTTPRateLimit) == "_HTTPRateLimit"
    assert findable(_HTTPRateLimit)


def test_a_parametrised_generic_is_not_importable_by_its_name() -> None:
    from pytest_clearstone.codec.naming import is_importable

    parsed = openai.types.chat.ParsedChatCompletion
    assert is_importable(parsed) and not is_importable(parsed[Weather])


def test_a_loaded_name_that_is_no_class_names_no_class() -> None:
    from pytest_clearstone.codec.naming import loaded_class

    assert loaded_class("json.JSONDecoder") is json.JSONDecoder
    assert loaded_class("json.dumps") is None


@dataclasses.dataclass
class array:  # (a user's class that happens to share the standard array's name)
    items: list[int]


def test_a_class_named_array_is_not_taken_for_the_standard_array() -> None:
    tree = encode(array([1, 2]))
    assert tree[TAG] == "dataclass"
    assert decode(tree) == array([1, 2])


def test_a_class_of_a_package_s_main_already_imported_decodes(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (only a __main__ not imported is refused: importing it would run it)
    import importlib

    package = tmp_path / "cs_loaded_main_pkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "__main__.py").write_text(
        "import dataclasses\n\n\n@dataclasses.dataclass\nclass Point:\n    x: int\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    try:
        module = importlib.import_module("cs_loaded_main_pkg.__main__")
        tree = encode(module.Point(1))
        assert tree["cls"] == "cs_loaded_main_pkg.__main__:Point"
        assert decode(tree) == module.Point(1)
    finally:
        sys.modules.pop("cs_loaded_main_pkg.__main__", None)
        sys.modules.pop("cs_loaded_main_pkg", None)


def test_a_class_whose_module_raises_value_error_on_import_is_named_as_not_imported(
    tmp_path: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cs_value_error_mod.py").write_text("raise ValueError('no settings')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(StoredClassError, match="cannot import 'cs_value_error_mod:M'"):
        loads('{"__cs__": "pydantic", "cls": "cs_value_error_mod:M", "v": {}}')


T_ITEM = TypeVar("T_ITEM")


@dataclasses.dataclass
class Crate(Generic[T_ITEM]):
    item: T_ITEM


def test_an_instance_made_through_a_parametrised_generic_is_stored_readably() -> None:
    # `Crate[int](3)`, as pydantic_graph makes its StepContext[StateT, DepsT, Any](...): typing
    # sets the instance's `__orig_class__` to the alias it was made through, which only a
    # pickle could store (an agent keeping one in its state was refused, a step's argument
    # stored as a placeholder); it is stored as its class and arguments, and comes back
    oslo = Weather(city="Oslo", temperature_c=1)
    for crate in (Crate[int](3), Crate[T_ITEM](4), Crate[Weather](oslo)):  # type: ignore[valid-type]
        tree = encode(crate)
        assert tree["attrs"]["__orig_class__"][TAG] == "class", tree
        back, text = roundtrip(crate)
        assert back == crate
        assert back.__orig_class__ == crate.__orig_class__  # type: ignore[attr-defined]
        assert "pickle" not in text and '"repr"' not in text
    assert encode(Crate[int](3))["attrs"]["__orig_class__"] == {
        TAG: "class",
        "cls": f"{__name__}:Crate",
        "args": ["builtins:int"],
    }
    assert decode(encode(Crate[int])) == Crate[int]  # (the alias itself, as a value)


def test_a_stored_alias_of_a_class_that_is_no_generic_is_refused() -> None:
    # (decoding parametrises only typing's own generics: no other class's __class_getitem__ runs)
    text = json.dumps({TAG: "class", "cls": "collections:OrderedDict", "args": ["builtins:int"]})
    with pytest.raises(StoredClassError, match="is not a generic"):
        loads(text)


class Tray(Generic[OtherT]):
    """A ``typing.Generic`` class with a ``__class_getitem__`` of its own."""

    def __class_getitem__(cls, item: Any) -> Any:
        return super().__class_getitem__(item)  # type: ignore[misc]


def test_a_typing_alias_of_a_special_form_or_an_own_generic_is_not_stored_as_its_class() -> None:
    # (ClassVar[int], Final[str]: typing's own aliases, whose origin is no class; Tray[int]:
    # decoding would refuse to run its class's __class_getitem__)
    for hint in (ClassVar[int], Final[str], Tray[int]):
        tree = encode({"hint": hint})["hint"]
        assert tree[TAG] == "pickle"
        assert loads(dumps(tree), allow_pickle=True) == hint


def test_a_class_its_module_holds_under_another_name_is_not_made_at_run_time() -> None:
    """``_thread.lock`` (which ``_thread`` holds as ``LockType``) was refused as a class made at
    run time, with advice for fastmcp's results, beside the pickle advice it needs."""
    from pytest_clearstone.codec.naming import made_at_run_time
    from pytest_clearstone.codec.tags import pickle_refusal

    lock = type(threading.Lock())
    assert not made_at_run_time("_thread.lock", lock)
    assert not made_at_run_time("_thread.lock")  # (by its module: a builtin one)
    assert pickle_refusal(lock, "_thread.lock").startswith("only a pickle could store it")
    assert pickle_refusal(None, "_thread.lock").startswith("only a pickle could store it")
