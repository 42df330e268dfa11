"""A pydantic ``RootModel`` read back from a golden had pydantic's ``__pydantic_extra__`` and
``__pydantic_private__`` written into its ``__dict__`` (a root model keeps them as class
attributes, and ``model_construct`` leaves them so): stored again — a checkpoint of an agent
rehydrated from a golden, a re-record through ``replay.run('method_name')`` — it gained
``"attrs": {"__pydantic_extra__": null, "__pydantic_private__": null}``, so the golden changed
with the agent unchanged. It is now made as ``model_construct`` makes it."""

from __future__ import annotations

import pydantic

from pytest_clearstone import codec


class Tags(pydantic.RootModel[list[str]]):
    pass


class Scores(pydantic.RootModel[dict[str, int]]):
    _seen: int = pydantic.PrivateAttr(default=0)


def test_a_root_model_read_back_is_stored_as_it_was() -> None:
    for value in (Tags(["a", "b"]), Scores({"x": 1})):
        text = codec.dumps(codec.encode(value))
        back = codec.loads(text)
        assert type(back) is type(value) and back == value
        assert back.__dict__ == value.__dict__
        assert codec.encode(value).keys() <= {codec.TAG, "cls", "v", "private"}
        assert codec.dumps(codec.encode(back)) == text
        assert back.model_construct(value.root) == back
