"""Two default rules read from elsewhere: every secret header name of the codec is a key rule
(an ``Ocp-Apim-Subscription-Key`` in ``extra_headers=`` is redacted like an ``Authorization``),
and an embedding's ``embedding`` is model output (a small base64 vector is no suspect)."""

from __future__ import annotations

from typing import Any

import pytest

from pytest_clearstone.codec.http import SECRET_HEADERS
from pytest_clearstone.redaction import DEFAULT_KEYS, PLACEHOLDER, Redactor, key_words

APIM_KEY = "3f9c2b7e8a1d4c6f9e0b5a2d7c8e1f40"
# a 32-dimension float32 vector in base64, as openai returns it with encoding_format="base64"
EMBEDDING_B64 = (
    "sMOVvRFPjj2MFVg9wKVIvTlVb7r3gSW8tF74PK2FbD3pWqa9WjDBvYaHiT0ST1y8H9xWPffvy72L9DK8UHw1Pa8yXr0EYrY9"
    "uGykPTVFwL2cYMK9TbMHPCHgsz2OosK8ailovVo1f7yn58C9ff1jvaqHS7wlj1u6P6havWF5XL0="
)


def _spellings(name: str) -> list[str]:
    return [name, name.upper(), "-".join(w.capitalize() for w in name.split("-"))]


@pytest.mark.parametrize("header", sorted(SECRET_HEADERS))
def test_every_secret_header_name_is_a_key_rule_in_any_case(header: str) -> None:
    for name in _spellings(header):
        redactor = Redactor()
        out = redactor({"extra_headers": {name: APIM_KEY, "X-Team": "search"}}, "input", "llm")
        assert out == {"extra_headers": {name: PLACEHOLDER, "X-Team": "search"}}
        # the value is a secret seen: the last check searches the golden for it
        assert APIM_KEY in redactor.secret_values(environ={})


def test_the_default_keys_are_derived_from_the_secret_headers() -> None:
    assert set(DEFAULT_KEYS) >= SECRET_HEADERS
    assert len(set(DEFAULT_KEYS)) == len(DEFAULT_KEYS)
    assert Redactor().is_secret_key("ocp_apim_subscription_key")
    assert key_words("Ocp-Apim-Subscription-Key") == ("ocp", "apim", "subscription", "key")


def _embedding_dict(embedding: Any) -> dict[str, Any]:
    return {"object": "embedding", "index": 0, "embedding": embedding}


def test_a_small_base64_embedding_is_model_output_not_a_suspect() -> None:
    redactor = Redactor()
    answer = {"object": "list", "model": "m", "data": [_embedding_dict(EMBEDDING_B64)]}
    assert redactor(answer, "output", "openai.Embeddings.create") == answer
    assert not redactor.findings and not redactor.replaced


def test_an_openai_embedding_object_keeps_its_base64_vector() -> None:
    openai = pytest.importorskip("openai")
    # (the SDK builds the answer without validating it: the vector is a str, not floats)
    response = openai.types.CreateEmbeddingResponse.construct(
        object="list",
        model="text-embedding-3-small",
        data=[openai.types.Embedding.construct(**_embedding_dict(EMBEDDING_B64))],
        usage=openai.types.create_embedding_response.Usage(prompt_tokens=2, total_tokens=2),
    )
    redactor = Redactor()
    out = redactor(response, "output", "openai.resources.embeddings.Embeddings.create")
    assert out.data[0].embedding == EMBEDDING_B64 and not redactor.findings


# a random token as long as EMBEDDING_B64, whose bytes are no float32 numbers of an embedding
TOKEN_B64 = "Zm9vQmFyQmF6UXV4MTIzNDU2Nzg5MGFiY2RlZmdoaWprbG1ub3BxcnN0dXZ3eHl6QUJDREVG" * 2


@pytest.mark.parametrize(
    "value",
    [
        {"embedding": TOKEN_B64},  # a user's field named embedding, in no embedding object
        {"object": "vector", "embedding": TOKEN_B64},
        {"object": "embedding", "index": 0, "note": TOKEN_B64},
    ],
)
def test_an_embedding_field_elsewhere_is_still_checked(value: dict[str, Any]) -> None:
    assert Redactor().find_secrets(value)


@pytest.mark.parametrize(
    "value",
    [
        {"vectors": [EMBEDDING_B64]},  # the agent's state keeping the answer's embeddings
        {"embedding": EMBEDDING_B64},
        {"object": "embedding", "index": 0, "note": EMBEDDING_B64},
    ],
)
def test_a_base64_vector_is_no_suspect_anywhere(value: dict[str, Any]) -> None:
    assert not Redactor().find_secrets(value)


def test_a_base64_vector_of_numbers_from_a_millionth_to_a_thousand_is_no_suspect() -> None:
    # (an embedding not normalised, its numbers from a few millionths to several hundred: data)
    import base64
    import struct

    numbers = [512.3711, -301.0913, 0.0, 2.7183e-5, -0.0731, 871.44, 1.61803, -44.917, 3.3e-6]
    vector = base64.b64encode(struct.pack(f"<{len(numbers)}f", *numbers)).decode()
    assert Redactor().find_secrets({"vector": vector}) == []
