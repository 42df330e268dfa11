"""Properties of redaction, tested with hypothesis: the value of a secret-named key (``api_key``,
``password``, ``Authorization``...) is never written, wherever it is nested — in dicts keyed by
anything, lists, tuples, deques, ordered and default dicts, named tuples, dataclasses and
pydantic models, one inside another."""

from __future__ import annotations

import base64
import collections
import dataclasses
from typing import Any

import pydantic
from hypothesis import given
from hypothesis import strategies as st

from pytest_clearstone import codec
from pytest_clearstone.redaction import Redactor
from tests.unit.property_values import BOUNDED, Model, Point, texts

SECRET = "zq7Hv3Kp9Lm2Xr8T"  # (no pattern's: found by its key alone)
Pair = collections.namedtuple("Pair", "api_key other")


class Settings(pydantic.BaseModel):
    password: str = ""
    other: Any = None


@dataclasses.dataclass
class Credentials:
    client_secret: Any = None
    other: Any = None


_NAMES = st.sampled_from(
    ["api_key", "password", "Authorization", "client_secret", "OPENAI_API_KEY", "x-api-key",
     "apiKey", "db_password", "access_token", "AUTH_TOKEN", "secret"]
)  # fmt: skip


def _holders(name: str) -> st.SearchStrategy[Any]:
    return st.sampled_from(
        [{name: SECRET}, {name: [SECRET]}, {name: {"value": SECRET}}, {name: (SECRET,)},
         collections.OrderedDict([(name, SECRET)]), (name, SECRET), {1: "x", name: SECRET},
         {name: collections.deque([SECRET])}, collections.defaultdict(str, {name: SECRET}),
         {name: SECRET.encode()}, {name.upper(): SECRET}, {name: {"nested": [SECRET]}},
         Pair(SECRET, 1), Credentials(client_secret=SECRET), Settings(password=SECRET),
         {name.encode(): SECRET}, [(name.encode(), SECRET.encode())],
         frozenset({(name, SECRET)})]
    )  # fmt: skip


def _around(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.builds(lambda key, value, other: {key: value, "o": other}, texts, inner, inner),
        st.builds(lambda value: [value], inner),
        st.builds(lambda value: (1, value), inner),
        st.builds(lambda value: ("label", value), inner),
        st.builds(lambda value: collections.OrderedDict(a=value), inner),
        st.builds(lambda value: collections.deque([value]), inner),
        st.builds(lambda value: collections.defaultdict(list, {"a": value}), inner),
        st.builds(lambda value: {(1, 2): value}, inner),
        st.builds(lambda value: {3: value}, inner),
        st.builds(lambda value: Point(value), inner),
        st.builds(lambda value: Model(name="n", value=value), inner),
        st.builds(lambda value: Pair("k", value), inner),
        st.builds(lambda value: Credentials(other=value), inner),
        st.builds(lambda value: Settings(other=value), inner),
    )


_secrets = st.recursive(_NAMES.flatmap(_holders), _around, max_leaves=5)


@BOUNDED
@given(_secrets)
def test_a_secret_named_key_is_redacted_wherever_it_is_nested(value: Any) -> None:
    redacted = Redactor()(value, "input", "t")
    text = codec.dumps(codec.encode(redacted))
    assert SECRET not in text
    assert base64.b64encode(SECRET.encode()).decode() not in text
    assert Redactor().find_secrets(redacted) == []


def test_a_raw_header_s_secret_is_redacted() -> None:
    # Expected: a secret header given as bytes, as an ASGI scope or httpx's Headers.raw holds
    # it, is redacted like the same header given as text. Its value was written to the golden
    # (base64): the key rules looked at text names only.
    scope = {
        "headers": [(b"authorization", b"Basic " + SECRET.encode()), (b"accept", b"*/*")],
        "raw": {b"x-api-key": SECRET.encode()},
    }
    redactor = Redactor()
    redacted = redactor(scope, "input", "t")
    assert redacted == {
        "headers": [(b"authorization", "[REDACTED]"), (b"accept", b"*/*")],
        "raw": {b"x-api-key": "[REDACTED]"},
    }
    assert redactor.replaced
