"""Redactor: keys, patterns, allow rules, suspected secrets, idempotence, replay matching."""

from __future__ import annotations

import copy
import dataclasses
import hashlib
import json
import random
import re
import string
import types
import uuid
from collections import namedtuple
from typing import Any

import attrs
import pydantic
import pydantic.v1
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pytest_clearstone import codec
from pytest_clearstone.codec import withheld
from pytest_clearstone.errors import ClearstoneError, UnredactedSecretError
from pytest_clearstone.redaction import (
    DEFAULT_KEYS,
    DEFAULT_PATTERNS,
    PLACEHOLDER,
    SUSPECT_FORMATS,
    Redactor,
    SecretFinding,
    comparing,
    key_words,
)

GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
SLACK = "xoxb-123456789012-abcdefABCDEF"
OPENAI = "sk-proj-abcdefghijklmnopqrstuvwxyz012345"
AWS = "AKIAIOSFODNN7EXAMPLE"
JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"
RANDOM_TOKEN = "Qm8xV3pR7tLk2WnZ5cYh9JdF4sGb6NaE"  # 32 chars, mixed case and digits


@pytest.mark.parametrize(
    "key",
    ["api_key", "API_KEY", "x-api-key", "X-Api-Key", "openai_api_key", "apiKey", "apikey",
     "Authorization", "proxy-authorization", "token", "access_token", "refresh_token", "x-token",
     "csrfToken", "password", "db_password", "secret", "client_secret", "cookie", "Cookie",
     "set-cookie", "Set-Cookie", "cookies", "auth", "basic_auth", "aws_secret_key"],
)  # fmt: skip
def test_secret_keys_are_matched_by_their_last_words(key: str) -> None:
    out = Redactor()({key: "hunter2-value"})
    assert out == {key: PLACEHOLDER}


@pytest.mark.parametrize(
    "key",
    ["max_tokens", "prompt_tokens", "token_count", "token_type", "tokenizer", "author",
     "oauth_url", "passwordless", "secretary", "keyboard", "cache_key", "monkey"],
)  # fmt: skip
def test_ordinary_keys_are_left_alone(key: str) -> None:
    assert Redactor()({key: "value"}) == {key: "value"}


def test_key_words_split_on_separators_and_camel_case() -> None:
    assert key_words("X-Api-Key") == ("x", "api", "key")
    assert key_words("OPENAI_API_KEY") == ("openai", "api", "key")
    assert key_words("APIKey") == ("api", "key")
    assert key_words("csrfToken2") == ("csrf", "token")


def test_secrets_are_redacted_at_any_depth_in_every_container() -> None:
    Pair = namedtuple("Pair", "name secret")
    value = {
        "messages": [{"role": "user", "content": "hi"}],
        "nested": ({"deep": [{"password": "p"}]},),
        "headers": [("Authorization", "Basic dXNlcjpwYXNz"), ("Accept", "json")],
        "pair": Pair("x", "y"),
        "tags": {"a", "b"},
    }
    out = Redactor()(value)
    assert out["nested"] == ({"deep": [{"password": PLACEHOLDER}]},)
    assert out["headers"] == [("Authorization", PLACEHOLDER), ("Accept", "json")]
    assert out["messages"] == value["messages"]
    assert out["pair"] == Pair("x", PLACEHOLDER)  # the namedtuple's field name is a key
    assert type(out["pair"]) is Pair
    assert out["tags"] == {"a", "b"}


def test_a_string_four_containers_deep_under_a_secret_key_is_noted_as_seen() -> None:
    redactor = Redactor()
    redactor({"credentials": {"a": {"b": {"c": {"d": "deep-secret-value"}}}}})
    assert "deep-secret-value" in redactor.secret_values(environ={})


def test_bytes_under_a_secret_key_that_are_no_utf_8_are_not_noted_as_text() -> None:
    redactor = Redactor()
    assert redactor({"api_key": b"\xff\xfe-binary-key"}) == {"api_key": PLACEHOLDER}
    assert not any("\ufffd" in seen for seen in redactor.secret_values(environ={}))


@pytest.mark.parametrize(
    "secret",
    [
        pydantic.SecretStr("vault-key-0123456789"),
        pydantic.SecretBytes(b"vault-key-0123456789"),
        pydantic.v1.SecretStr("vault-key-0123456789"),
    ],
    ids=["SecretStr", "SecretBytes", "v1.SecretStr"],
)
def test_a_pydantic_secret_under_a_secret_key_stays_a_secret_of_its_class(secret: Any) -> None:
    """It held the text '[REDACTED]', which a replay gave the agent in place of its secret:
    ``AttributeError: 'str' object has no attribute 'get_secret_value'``. It holds the
    placeholder's text, so the replayed value compares alike with the golden's (which reads
    back holding the key the plugin gives), but not with a recorded ``None``, which that key
    stands for (a secret the agent now has is a change)."""
    redactor = Redactor()
    out = redactor({"api_key": secret})["api_key"]
    assert type(out) is type(secret) and withheld.is_withheld(out)
    assert not withheld.is_placeholder_key(out)
    assert codec.same_stored_form(out, codec.decode(codec.encode(secret)))
    assert not codec.same_stored_form(out, None)
    assert redactor({"api_key": out})["api_key"] == out  # (idempotent)
    assert "vault-key-0123456789" in redactor.secret_values(environ={})
    assert redactor.replaced
    assert secret.get_secret_value() in ("vault-key-0123456789", b"vault-key-0123456789")


def test_none_and_booleans_under_secret_keys_are_kept() -> None:
    """Nothing secret in them, and replay must still tell "no key" from "a key"."""
    assert Redactor()({"api_key": None, "token": False}) == {"api_key": None, "token": False}


def test_whole_values_under_secret_keys_are_replaced_whatever_their_type() -> None:
    value = {"cookies": {"session": "abc"}, "token": 123456}
    assert Redactor()(value) == {"cookies": PLACEHOLDER, "token": PLACEHOLDER}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bearer abcdefgh12345678", f"Bearer {PLACEHOLDER}"),
        (f"auth: bearer {JWT} ok", f"auth: bearer {PLACEHOLDER} ok"),
        (f"key={OPENAI}; next", f"key={PLACEHOLDER}; next"),
        (f"id {AWS} used", f"id {PLACEHOLDER} used"),
        (f"jwt={JWT}", f"jwt={PLACEHOLDER}"),
        ("ask-me anything sk-short", "ask-me anything sk-short"),  # too short for a key
        ("Bearer bonds", "Bearer bonds"),  # too short for a token
        # prose: a word after "bearer" is no token (it redacted "instrument", and recording
        # then failed, the word being in the golden's own "instrumentation_name")
        ("A bearer instrument entitles its holder.", "A bearer instrument entitles its holder."),
        ("ring bearer responsibilities", "ring bearer responsibilities"),
        ("the bearer certificate.", "the bearer certificate."),
        ("Bearer ya29.a0AfH6SMBx", f"Bearer {PLACEHOLDER}"),
        ("Bearer abcdefghijklmnopqrSTUVWXYZ", f"Bearer {PLACEHOLDER}"),  # long, mixed case
        # HTTP basic auth, base64 of user:password (an exception's text, a logged header)
        ("Authorization: Basic dXNlcjpwYXNzd29yZA==", f"Authorization: Basic {PLACEHOLDER}"),
        ("auth basic YWxpY2U6c2VjcmV0cHdk sent", f"auth basic {PLACEHOLDER} sent"),
        ("Basic Instructions", "Basic Instructions"),  # prose: no base64 of a credential
        ("Basic Authentication is weak", "Basic Authentication is weak"),
        ("Basic plan 12/month", "Basic plan 12/month"),
    ],
)
def test_patterns_replace_only_the_matching_substring(text: str, expected: str) -> None:
    assert Redactor()({"message": text}) == {"message": expected}


class Marked(str):
    """A str subclass with no state of its own, as Django's ``SafeString`` (what a template
    renders): the codec stores its text, so the rules apply to it as to any text."""

    __slots__ = ()

    def __str__(self) -> str:
        return self


class Prompt(str):
    pass


@pytest.mark.parametrize("cls", [Marked, Prompt])
def test_the_text_of_a_str_subclass_is_redacted_and_keeps_its_class(cls: type[str]) -> None:
    """The walk left such a value as it was (no attributes to walk): a bearer token or an AWS
    key id in a prompt a Django template rendered reached the golden."""
    text = cls(f"call with Bearer abcdefghijklmnopqrSTUVWXYZ and {AWS} please")
    out = Redactor()({"prompt": text, "api_key": cls("sk"), "same": cls("plain words")})
    assert out["prompt"] == f"call with Bearer {PLACEHOLDER} and {PLACEHOLDER} please"
    assert type(out["prompt"]) is cls
    assert out["api_key"] == PLACEHOLDER  # (under a key rule, as any value)
    assert out["same"] == "plain words" and type(out["same"]) is cls
    assert Redactor()(out) == out  # (idempotent: a replay redacts its own values the same)


def test_dataclasses_and_plain_objects_are_copied_not_mutated() -> None:
    @dataclasses.dataclass(frozen=True)
    class Config:
        model: str
        api_key: str

    class Client:
        def __init__(self) -> None:
            self.base_url = "https://api.example.com"
            self.token = "t0ken-value"

    config, client = Config("gpt", "k"), Client()
    out = Redactor()({"config": config, "client": client})
    assert out["config"] == Config("gpt", PLACEHOLDER)
    assert out["client"].token == PLACEHOLDER
    assert out["client"].base_url == "https://api.example.com"
    assert config.api_key == "k" and client.token == "t0ken-value"


def test_sdk_clients_and_resources_are_left_as_they_are_their_stored_form_holds_no_secret() -> None:
    """The codec stores an SDK client (and a resource of one) as a reference without its key,
    noting the key as withheld for the secret scan: the redactor does not walk the client's
    object graph (thousands of objects, per recorded call), replaces nothing, and so the golden
    is not marked redacted."""
    openai = pytest.importorskip("openai")
    httpx = pytest.importorskip("httpx")
    client = openai.OpenAI(api_key=OPENAI, max_retries=0)
    http = httpx.Client(headers={"Authorization": f"Bearer {JWT}"})
    value = {"self": client.chat.completions, "client": client, "http": http, "token": "t"}
    redactor = Redactor()
    out = redactor(value, "input", "openai.resources.chat.completions.Completions.create")
    assert out["self"] is client.chat.completions and out["client"] is client
    assert out["http"] is http and out["token"] == PLACEHOLDER
    text = json.dumps(codec.encode({k: v for k, v in out.items() if k != "token"}))
    assert OPENAI not in text and JWT not in text
    assert OPENAI in withheld.noted() and JWT in withheld.noted()
    redactor = Redactor()
    assert redactor({"self": client.chat.completions}) == {"self": client.chat.completions}
    assert not redactor.replaced


def test_a_client_the_codec_cannot_store_as_a_reference_is_walked() -> None:
    """``AnthropicFoundry`` needs more than a reference to be built: its resource is stored some
    other way, so the redactor replaces the key in its copy."""
    anthropic = pytest.importorskip("anthropic")
    foundry = anthropic.AnthropicFoundry(api_key=OPENAI, resource="travel")
    redactor = Redactor()
    out = redactor({"self": foundry.messages})
    assert out["self"] is not foundry.messages
    assert out["self"]._client.api_key == PLACEHOLDER and redactor.replaced
    assert foundry.api_key == OPENAI


def test_the_input_is_never_mutated() -> None:
    value = {"headers": {"Authorization": f"Bearer {JWT}"}, "body": [{"text": OPENAI}]}
    before = copy.deepcopy(value)
    Redactor()(value, "input", "app.llm")
    assert value == before


def test_cycles_do_not_recurse_forever() -> None:
    value: dict[str, Any] = {"token": "x"}
    value["self"] = value
    out = Redactor()(value)
    assert out["token"] == PLACEHOLDER


def test_extra_keys_and_patterns_from_settings() -> None:
    r = Redactor.from_settings(["x-tenant"], [r"cust-\d{6}"], [])
    out = r({"X-Tenant": "acme", "note": "customer cust-123456 called"})
    assert out == {"X-Tenant": PLACEHOLDER, "note": f"customer {PLACEHOLDER} called"}
    assert set(DEFAULT_KEYS) <= set(r.keys)


def test_settings_skip_blank_and_comment_lines() -> None:
    r = Redactor.from_settings(["", "  # a comment", " x-tenant "], [], ["  "])
    assert r.keys[-1] == "x-tenant"
    assert r.allow == ()


def test_a_comment_line_of_the_settings_is_no_key_rule() -> None:
    r = Redactor.from_settings(["# our keys"], [], [])
    assert r({"our_keys": "kept-value"}) == {"our_keys": "kept-value"}


def test_a_pattern_may_redact_only_its_secret_group() -> None:
    r = Redactor(patterns=[r"pin=(?P<secret>\d+)"])
    assert r({"m": "pin=1234 ok"}) == {"m": f"pin={PLACEHOLDER} ok"}


def test_a_bad_pattern_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"invalid redaction pattern '\(unclosed'"):
        Redactor.from_settings([], ["(unclosed"], [])


def test_a_placeholder_that_a_pattern_would_redact_is_refused() -> None:
    with pytest.raises(ValueError, match="placeholder"):
        Redactor(placeholder="sk-aaaaaaaaaaaaaaaaaaaaaaaa")


def test_the_key_given_unset_provider_variables_is_redacted_unless_a_replay_compares() -> None:
    value = {"api_key": withheld.PLACEHOLDER_KEY}
    assert Redactor()(value) == {"api_key": PLACEHOLDER}
    comparing_redactor = Redactor()
    comparing_redactor.keeps_placeholder_key = True
    assert comparing_redactor(value) == value
    assert comparing_redactor.shown(value) == {"api_key": PLACEHOLDER}


def test_a_value_shown_in_a_message_hides_the_secrets_seen_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SHOP_API_KEY", "shopkey-Zq8vLm3pRt7wXy2K")
    monkeypatch.setenv("OPENAI_API_KEY", codec.PLACEHOLDER_KEY)  # (a placeholder: kept)
    monkeypatch.setenv("SHORT_TOKEN", "abc")  # (too short to be looked for: kept)
    r = Redactor()
    r.active = False  # (a golden with nothing redacted: compared as it is, still shown redacted)
    value = {
        "api_key": "k-1",
        "note": "uses shopkey-Zq8vLm3pRt7wXy2K and abc",
        "client": codec.PLACEHOLDER_KEY,
    }
    assert r.shown(value) == {
        "api_key": PLACEHOLDER,
        "note": f"uses {PLACEHOLDER} and abc",
        "client": codec.PLACEHOLDER_KEY,
    }
    assert value["api_key"] == "k-1"
    assert not r.replaced
    assert "k-1" not in r.secret_values()


def test_a_pattern_matching_the_placeholder_is_refused_naming_it() -> None:
    with pytest.raises(ValueError, match=r"^'\[A-Z\]\{8\}' matches the placeholder '\[REDACTED\]'"):
        Redactor.from_settings([], ["[A-Z]{8}"], [])


# -- allow rules ----------------------------------------------------------------------------------
def test_allow_rules_by_path_key_name_and_regex() -> None:
    value = {
        "headers": {"x-token": "keep-me", "Authorization": "Bearer abcdefgh12345678"},
        "session_token": "keep-too",
        "fixture_key": "sk-test-000000000000000000",
        "other": "sk-live-111111111111111111",
    }
    r = Redactor(allow=["root['headers']['x-token']", "Session-Token", r"re:sk-test-0+"])
    out = r(value)
    assert out["headers"] == {"x-token": "keep-me", "Authorization": PLACEHOLDER}
    assert out["session_token"] == "keep-too"
    assert out["fixture_key"] == "sk-test-000000000000000000"
    assert out["other"] == PLACEHOLDER


def test_an_allowed_path_covers_its_subtree_only() -> None:
    r = Redactor(allow=["root['a']"])
    out = r({"a": {"token": "x"}, "ab": {"token": "y"}})
    assert out == {"a": {"token": "x"}, "ab": {"token": PLACEHOLDER}}


def test_an_allow_rule_of_the_root_path_covers_the_whole_value() -> None:
    value = {"api_key": "sk-test-000000000000000000", "nested": {"token": "keep"}}
    assert Redactor(allow=["root"])(value) == value


class _Settings:
    """An object whose attributes an allow rule's path names (``root.client``)."""

    def __init__(self) -> None:
        self.client = {"token": "x"}
        self.client_secret = "hunter2hunter2"


def test_an_allowed_attribute_path_covers_that_attribute_only() -> None:
    # root.client covers the attribute and what it holds, never root.client_secret beside it
    out = Redactor(allow=["root.client"])(_Settings())
    assert out.client == {"token": "x"}
    assert out.client_secret == PLACEHOLDER


def test_an_allow_regex_must_match_the_whole_string() -> None:
    r = Redactor(allow=[re.compile("sk-test")])
    assert r({"m": "sk-test-000000000000000000"}) == {"m": PLACEHOLDER}


# The default patterns and the suspect formats are written literal first, their boundary check
# after it, so that the regex engine skips to the literal instead of trying a match at every
# character (a 2 KB prompt was searched in ~60 us per pattern, ~3 us now). They must find
# exactly what these forms, boundary first, find.
BOUNDARY_FIRST = {
    "bearer": r"(?i:\bbearer)\s+(?P<secret>(?=[A-Za-z]*(?:[0-9]|[\-._~+/][A-Za-z0-9])|"
    r"(?=[A-Za-z]{20})[A-Za-z]*[a-z][A-Za-z]*[A-Z])[A-Za-z0-9\-._~+/]{8,}=*)",
    "basic": r"(?i:\bbasic)\s+(?P<secret>(?=[A-Za-z]*[0-9+/=]|(?=[A-Za-z]{20})[A-Za-z]*[a-z]"
    r"[A-Za-z]*[A-Z])(?:[A-Za-z0-9+/]{4}){2,}(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?)"
    r"(?![A-Za-z0-9+/=])",
    "openai": r"(?<![A-Za-z0-9])sk-[A-Za-z0-9_\-]{16,}",
    "openai ephemeral": r"(?<![A-Za-z0-9])ek_[A-Za-z0-9]{32,}",
    "aws": r"(?<![A-Za-z0-9])(?:AKIA|ASIA)[0-9A-Z]{16}(?![0-9A-Za-z])",
    "jwt": r"(?<![A-Za-z0-9_\-])eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*",
    "GitHub token": r"(?<![A-Za-z0-9])(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_\w{40,})",
    "Slack token": r"(?<![A-Za-z0-9])xox[abposr]-[A-Za-z0-9\-]{10,}",
    "GitLab token": r"(?<![A-Za-z0-9])glpat-[A-Za-z0-9_\-]{20,}",
    "Google API key": r"(?<![A-Za-z0-9])AIza[0-9A-Za-z_\-]{35}",
    "Stripe key": r"(?<![A-Za-z0-9])[rs]k_(?:live|test)_[0-9A-Za-z]{16,}",
    "Hugging Face token": r"(?<![A-Za-z0-9])hf_[A-Za-z0-9]{30,}",
    "private key": r"-----BEGIN [A-Z ]*PRIVATE KEY-----",
    "SendGrid key": r"(?<![A-Za-z0-9])SG\.[A-Za-z0-9_\-]{22}\.[A-Za-z0-9_\-]{43}(?![A-Za-z0-9_\-])",
    "npm token": r"(?<![A-Za-z0-9])npm_[A-Za-z0-9]{36}",
    "PyPI token": r"(?<![A-Za-z0-9])pypi-AgE[A-Za-z0-9_\-]{50,}",
    "Slack webhook URL": r"hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/]{20,}",
    "Discord webhook URL": r"discord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_\-]{20,}",
    "LangSmith key": r"(?<![A-Za-z0-9])lsv2_(?:pt|sk)_[0-9a-f]{32}_[0-9a-f]{10}",
    "Perplexity key": r"(?<![A-Za-z0-9])pplx-[A-Za-z0-9]{40,}",
    "Groq key": r"(?<![A-Za-z0-9])gsk_[A-Za-z0-9]{40,}",
    "Replicate token": r"(?<![A-Za-z0-9])r8_[A-Za-z0-9]{30,}",
    "xAI key": r"(?<![A-Za-z0-9])xai-[A-Za-z0-9]{60,}",
    "Tavily key": r"(?<![A-Za-z0-9])tvly-(?:dev-|prod-)?[A-Za-z0-9]{30,}",
    "E2B key": r"(?<![A-Za-z0-9])e2b_[0-9a-f]{40}",
}
_FRAGMENTS = [
    "", " ", "x", "Z", "7", "_", "-", ".", "=", "~", "/", "+", "\n", "\t", "é", "ß", "K",
    "\u212a", "\u017f", "\u0130", "\u0131",  # letters that match [A-Za-z] when case is ignored
    "sk-", "sk_", "rk_", "_live_", "_test_", "AKIA", "ASIA", "eyJ", "bearer", "Bearer", "BEARER",
    "bEaReR", "basic", "Basic", "BASIC", "gh", "ghp_", "ghx_", "github_pat_", "xox", "xoxb-",
    "glpat-", "AIza", "hf_", "ek_",
    "-----BEGIN RSA PRIVATE KEY-----", "-----BEGIN ", " PRIVATE KEY-----", "SG.", "npm_",
    "pypi-AgE", "hooks.slack.com/services/", "discord.com/api/webhooks/", "123/", "lsv2_pt_",
    "pplx-", "gsk_", "r8_", "xai-", "tvly-", "tvly-dev-", "e2b_", "0123456789abcdef",
    "abcdefghijklmnop", "ABCDEFGHIJKLMNOP", "0123456789", "a1B2c3D4e5F6g7H8",
]  # fmt: skip
_MIXED_TEXT = st.lists(st.sampled_from(_FRAGMENTS), max_size=14).map("".join)


def _ours() -> dict[str, str]:
    names = ["bearer", "openai", "openai ephemeral", "aws", "jwt", "basic"]
    ours = dict(zip(names, DEFAULT_PATTERNS, strict=True))
    return ours | {kind: rx.pattern for kind, rx in SUSPECT_FORMATS}


def _found(rx: re.Pattern[str], text: str) -> list[tuple[tuple[int, int], dict[str, Any]]]:
    return [(m.span(), m.groupdict()) for m in rx.finditer(text)]


def test_the_default_patterns_and_suspect_formats_are_the_ones_checked_here() -> None:
    assert len(DEFAULT_PATTERNS) == 6
    assert [kind for kind, _ in SUSPECT_FORMATS] == list(BOUNDARY_FIRST)[6:]


@settings(max_examples=400, deadline=None)
@given(text=_MIXED_TEXT)
def test_literal_first_patterns_find_what_the_boundary_first_forms_find(text: str) -> None:
    ours = _ours()
    for name, reference in BOUNDARY_FIRST.items():
        assert _found(re.compile(ours[name]), text) == _found(re.compile(reference), text), name


@pytest.mark.parametrize(
    ("text", "matches"),
    [("Bearer abcdefgh1234", 1), ("xbearer abcdefgh1234", 0), ("_Bearer abcdefgh1234", 0),
     ("é bEaReR a.b~c+d/e==", 1), ("Bearer abcdefgh\u017f\u212a\u0130\u0131", 0),
     ("Bearer abcdefgh1\u017f\u212a", 1), ("Basic YWxhZGRpbjpvcGVuc2VzYW1l", 1),
     ("xbasic YWxhZGRpbjpvcGVuc2VzYW1l", 0), ("Basic YWxhZGRpbjpvcGVuc2VzYW1lc", 0),
     ("sk-abcdefghijklmnop", 1), ("xsk-abcdefghijklmnop", 0),
     ("-sk-abcdefghijklmnop", 1), ("AKIAABCDEFGHIJKLMNOP", 1), ("1ASIAABCDEFGHIJKLMNOP", 0),
     ("AKIAABCDEFGHIJKLMNOPQ", 0), ("eyJabcd.efgh.", 1), ("-eyJabcd.efgh.ij", 0),
     ("aeyJabcd.efgh.ij", 0), ("ghp_" + "a" * 30, 1), ("xghp_" + "a" * 30, 0),
     ("github_pat_" + "b" * 40, 1), ("xoxb-0123456789", 1), ("9xoxb-0123456789", 0),
     ("glpat-" + "c" * 20, 1), ("AIza" + "d" * 35, 1), ("sk_live_" + "e" * 16, 1),
     ("qrk_test_" + "e" * 16, 0), ("hf_" + "f" * 30, 1), ("ZZhf_" + "f" * 30, 0)],
)  # fmt: skip
def test_literal_first_patterns_at_their_boundaries(text: str, matches: int) -> None:
    ours = _ours()
    found = 0
    for name, reference in BOUNDARY_FIRST.items():
        expected = _found(re.compile(reference), text)
        assert _found(re.compile(ours[name]), text) == expected, name
        found += len(expected)
    assert found == matches


# -- suspected secrets ----------------------------------------------------------------------------
@pytest.mark.parametrize(
    "secret",
    [GITHUB, SLACK, "glpat-abcdefghij0123456789", "AIzaSyA1234567890abcdefghijklmnopqrstu",
     "sk_live_abcdefghijklmnop1234", "hf_abcdefghijklmnopqrstuvwxyzABCDEF12", RANDOM_TOKEN,
     "-----BEGIN RSA PRIVATE KEY-----",
     "SG.abcdefghijklmnopqrstuv.abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ",
     "npm_abcdefghijklmnopqrstuvwxyzABCDEF1234",
     "pypi-AgEIcHlwaS5vcmcCJGFiY2RlZjAxLTIzNDUtNjc4OS1hYmNkLWVmMDEyMzQ1Njc4OQ",
     "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
     "https://discord.com/api/webhooks/123456789012345678/abcdefghijklmnopqrstuvwxyz-ABC",
     # the keys of the services agents call, lower-case ones (no random-looking mixed case)
     "lsv2_pt_0123456789abcdef0123456789abcdef_0123456789",
     "pplx-0123456789abcdef0123456789abcdef0123456789abcdef",
     "gsk_abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv",
     "r8_abcdefghijklmnopqrstuvwxyz0123456789",
     "xai-" + "abcdefghij0123456789" * 4, "tvly-dev-abcdefghijklmnopqrstuvwxyz012345",
     "e2b_0123456789abcdef0123456789abcdef01234567"],
)  # fmt: skip
def test_suspects_no_rule_covers_are_found_with_their_path(secret: str) -> None:
    value = {"headers": {"x-trace": f"id {secret} end"}, "ok": "fine"}
    assert Redactor().find_secrets(value) == ["root['headers']['x-trace']"]


@pytest.mark.parametrize(
    "text",
    ["3ff6871f87934d6b961054c2b94a5416", str(uuid.UUID(int=7)), hashlib.sha256(b"x").hexdigest(),
     "ThisIsAVeryLongIdentifierName123", "src/pytest_clearstone/debugging/Checkpoint2.py",
     "tests/unit/test_redaction.py::test_Things2", "The quick brown fox jumps over the lazy dog",
     "https://api.example.com/v1/chat/completions?model=gpt-4o-mini", PLACEHOLDER,
     # every httpx.HTTPStatusError's message ends with this link (recording one failed)
     "For more information check: https://developer.mozilla.org/en-US/docs/Web/HTTP/Status/404",
     "see https://docs.example.com/api/v2/Reference/OAuth2/RefreshTokens/401",
     "data:image/png;base64," + "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk" * 5,
     "see https://api.slack.com/messaging/webhooks and https://discord.com/developers/docs",
     "pip install npm_package_helper; SG.abc.def"],
)  # fmt: skip
def test_ordinary_strings_are_not_suspects(text: str) -> None:
    assert Redactor().find_secrets({"v": text}) == []


def test_a_random_token_of_200_characters_is_a_suspect_and_a_longer_run_is_data() -> None:
    rnd = random.Random(0)
    run = "".join(rnd.choice(string.ascii_letters + string.digits) for _ in range(201))
    assert Redactor().find_secrets({"v": run[:200]}) == ["root['v']"]
    assert Redactor().find_secrets({"v": run}) == []


def test_a_token_of_exactly_the_least_entropy_of_a_secret_is_a_suspect() -> None:
    token = "Q7xK" * 4 + "b3Zm9Tw2" * 2  # 3.5 bits a character, no fewer
    assert Redactor().find_secrets({"v": token}) == ["root['v']"]


def test_a_token_of_exactly_the_most_words_a_secret_holds_is_not_a_suspect() -> None:
    token = "Bakery7Q2Motion9X4Lupine3K8Fidget5Z1W6P0"  # 24 of its 40 characters are words
    assert Redactor().find_secrets({"v": token}) == []


@pytest.mark.parametrize(
    "api_id",
    ["chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT", "chatcmpl-AyPNinnUqUDYo9SAdA52NobMflmj2",
     "msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d", "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE",
     "req_011CSHoEeqs5C35K2UUqR7FyA1B2c3", "thread_vTP0yKrR4rsGmOOxqsYmyVgwXz9",
     "file-BK7bzQj3FfZFXr7DbL6xJwfoQ2w3e", "container_011CPR5CNjB747bTd36fQLFk",
     "mcptoolu_014Q35RayjACSWkSj4X2yov1"],
)  # fmt: skip
def test_the_ids_llm_apis_give_their_answers_are_not_suspects(api_id: str) -> None:
    # Expected: an id in the format of OpenAI's or Anthropic's answers (a known prefix, then
    # letters and digits) is not a credential; a real chat completion's id failed recording
    assert Redactor().find_secrets({"id": api_id, "text": f"see {api_id}"}) == []


@pytest.mark.parametrize(
    "url",
    ["https://api.anthropic.com/v1/messages/batches/msgbatch_01HkcTjaV5uDC8jWR4ZsDV8d/results",
     "https://api.anthropic.com/v1/files/file_011CNha8iCJcU1wXNR6q4V8w/content",
     "https://api.openai.com/v1/files/file-BK7bzQj3FfZFXr7DbL6xJwfoQ2w3e/content"],
)  # fmt: skip
def test_a_url_path_through_an_api_id_is_not_a_suspect(url: str) -> None:
    # Expected: a URL the API gives with an object's id in its path (a message batch's
    # results_url, a file's download URL) is no more a credential than the id alone; a
    # MessageBatch answer as anthropic's docs show it failed recording (root.results_url)
    assert Redactor().find_secrets({"results_url": url}) == []


def test_a_random_token_after_an_id_prefix_in_another_alphabet_is_still_a_suspect() -> None:
    token = "chatcmpl-" + RANDOM_TOKEN.replace("a", "+").replace("b", "/")
    assert Redactor().find_secrets({"id": token}) == ["root['id']"]


def test_a_random_token_with_slashes_is_still_a_suspect() -> None:
    # (a URL path of words is not one: a base64 secret's slashes do not make it a path, nor
    # does a part of it in the form of an API's id)
    for token in (
        "q8Vd3/Lr7TnX2wPb/Kc9Hs4Zm1Ya6Ue0/DfGj5",
        "Zx81/pQ/Lm3k/Tr9W/b7Yv2/Nc4Ha6Js5Ke0",
        "v1/files/file_011CNha8iCJ/q8Vd3Lr7TnX2wPbKc9Hs4Zm1Ya6Ue0",
    ):
        assert Redactor().find_secrets({"k": f"x {token} y"}) == ["root['k']"], token


def test_anthropic_web_search_opaque_fields_are_model_output_not_suspects() -> None:
    # Sent back to the API byte for byte, like a thinking block's signature: a citation's
    # encrypted_index (~150 base64 characters) failed every recording of a web-search answer.
    opaque = "EpQBCioIBhgCIiQ0NGFlNjc2Yy05NThmLTRkNTgtYmY5MS1mNzUxOTk2NjJkYzESDHGtbX7lAi9z" * 2
    answer = {
        "content": [
            {"type": "web_search_tool_result", "content": [
                {"type": "web_search_result", "url": "https://a.example", "title": "A",
                 "encrypted_content": opaque[:150]}]},
            {"type": "text", "text": "A.", "citations": [
                {"type": "web_search_result_location", "url": "https://a.example",
                 "cited_text": "A", "encrypted_index": opaque[:151]}]},
        ]
    }  # fmt: skip
    assert Redactor().find_secrets(answer) == []
    assert Redactor()(answer) == answer
    # the same field elsewhere is checked as any other
    assert Redactor().find_secrets({"encrypted_index": opaque[:151]}) == ["root['encrypted_index']"]


def test_covered_secrets_are_not_suspects() -> None:
    value = {"api_key": GITHUB, "m": f"Bearer {RANDOM_TOKEN}", "list": [OPENAI, JWT, AWS]}
    assert Redactor().find_secrets(value) == []


def test_allowed_values_are_not_suspects() -> None:
    value = {"trace": {"x-id": RANDOM_TOKEN}, "k": GITHUB}
    assert Redactor().find_secrets(value) == ["root['trace']['x-id']", "root['k']"]
    r = Redactor(allow=["root['trace']", f"re:{GITHUB}"])
    assert r.find_secrets(value) == []


def test_find_secrets_is_the_same_before_and_after_redaction() -> None:
    r = Redactor()
    value = {"a": [GITHUB, {"password": RANDOM_TOKEN}], "b": f"x {SLACK}"}
    assert r.find_secrets(value) == ["root['a'][0]", "root['b']"]
    assert r.find_secrets(r.redact(value)) == r.find_secrets(value)


def test_a_checking_redactor_replaces_suspects_and_records_where() -> None:
    r = Redactor()
    r({"q": "first"}, "input", "app.llm.complete")
    out = r({"headers": {"x-trace": GITHUB}}, "input", "app.llm.complete")
    assert out == {"headers": {"x-trace": PLACEHOLDER}}
    [finding] = r.findings
    assert finding == SecretFinding(
        "root['headers']['x-trace']", "GitHub token", len(GITHUB), "input", "app.llm.complete", 2
    )
    assert finding.location == "input of call #2 to app.llm.complete"


def test_the_error_names_location_path_and_fix_but_never_the_secret() -> None:
    r = Redactor()
    r({"body": {"session": RANDOM_TOKEN}}, "output", "app.llm.complete")
    r({"memory": [GITHUB]}, "state", "tests/test_agent.py::test_run")
    with pytest.raises(UnredactedSecretError) as info:
        r.raise_for_findings()
    message = str(info.value)
    assert isinstance(info.value, ClearstoneError)
    assert "output of call #1 to app.llm.complete: root['body']['session']" in message
    assert "state of tests/test_agent.py::test_run: root['memory'][0] (a GitHub token" in message
    for fix in ("clearstone_redact_keys", "clearstone_redact_allow", "--clearstone-allow-secrets"):
        assert fix in message
    assert RANDOM_TOKEN not in message and GITHUB not in message
    assert len(r.take_findings()) == 2 and r.findings == []
    r.raise_for_findings()  # nothing left


def test_with_checking_off_suspects_are_recorded_as_they_are() -> None:
    r = Redactor.from_settings([], [], [], check_secrets=False)
    assert r({"x": GITHUB, "token": "t"}, "input", "t") == {"x": GITHUB, "token": PLACEHOLDER}
    assert r.findings == []


def test_fresh_keeps_the_rules_and_drops_the_findings() -> None:
    r = Redactor.from_settings(["x-tenant"], [], ["root['ok']"])
    r({"x": GITHUB}, "input", "t")
    f = r.fresh()
    assert f.findings == [] and f.keys == r.keys and f.allow == r.allow
    assert f({"x-tenant": "a", "ok": GITHUB}) == {"x-tenant": PLACEHOLDER, "ok": GITHUB}


# -- determinism, idempotence, replay matching ----------------------------------------------------
_strings = st.sampled_from(
    ["plain", f"Bearer {JWT}", OPENAI, AWS, GITHUB, RANDOM_TOKEN, f"x {SLACK} y", "", PLACEHOLDER]
) | st.text(max_size=30)
_keys = st.sampled_from(["token", "x-api-key", "max_tokens", "headers", "Cookie", "q"]) | st.text(
    max_size=8
)
_values = st.recursive(
    st.none() | st.booleans() | st.integers() | _strings,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(_keys, children, max_size=4)
        | st.tuples(_strings, children)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None, database=None)
@given(_values)
def test_redaction_is_deterministic_idempotent_and_never_mutates(value: Any) -> None:
    snapshot = copy.deepcopy(value)
    once = Redactor()(value, "input", "t")
    assert value == snapshot
    assert Redactor()(value, "input", "t") == once
    assert Redactor()(once, "input", "t") == once
    assert Redactor().find_secrets(once) == []


def test_for_matching_ignores_redacted_paths_and_keeps_real_differences() -> None:
    r = Redactor()
    recorded = r({"headers": {"Authorization": "Bearer live-key-123456"}, "prompt": "hi"})
    same = {"headers": {"Authorization": None}, "prompt": "hi"}  # CI has no key: still a match
    assert r.for_matching(same, recorded) == recorded
    other = {"headers": {"Authorization": "Bearer ci-key-abcdefgh"}, "prompt": "bye"}
    assert r.for_matching(other, recorded)["prompt"] == "bye"
    match = r.matcher()
    assert match("app.llm", 1, recorded, same) is True
    assert match("app.llm", 1, recorded, other) is False


def test_matcher_gives_the_inner_matcher_prepared_arguments() -> None:
    r = Redactor()
    seen: list[Any] = []

    def inner(target: str, n: int, recorded: Any, actual: Any) -> bool | None:
        seen.append(actual)
        return None

    recorded = r({"api_key": "k", "q": f"use {OPENAI}"})
    assert r.matcher(inner)("t", 1, recorded, {"api_key": "other", "q": f"use {OPENAI}"}) is True
    assert seen == [{"api_key": PLACEHOLDER, "q": f"use {PLACEHOLDER}"}]


@pytest.mark.parametrize("walk", ["redaction", "encoding"])
def test_a_dict_another_thread_changes_while_it_is_recorded_is_walked_as_it_was(walk: str) -> None:
    # Expected: recording a call whose arguments hold a dict a library thread keeps changing
    # (LangGraph's InMemorySaver storage, reached through the config passed to the model) walks a
    # snapshot of each dict. Before the fix: "RuntimeError: dictionary changed size during
    # iteration" failed the recording now and then; `list(d.items())` was not the fix either (seen
    # once in CI): the tuples it makes can start a garbage collection, whose finalizers are Python
    # code, during which the other thread runs.
    import gc
    import sys
    import threading
    import time

    shared = {f"k{i}": {"v": f"value {i}"} for i in range(3000)}
    stop = threading.Event()

    def pause() -> None:  # a Python call: the thread may hand over the GIL between its changes
        pass

    def churn() -> None:
        n = 0
        while not stop.is_set():
            shared[f"extra{n % 50}"] = {"v": n}
            pause()
            shared.pop(f"extra{(n + 25) % 50}", None)
            n += 1

    class Finalized:  # garbage in a cycle whose finalizer lets the other thread run
        def __init__(self) -> None:
            self.me = self

        def __del__(self) -> None:
            time.sleep(0.0002)

    walker = Redactor().redact if walk == "redaction" else codec.encode
    interval, threshold = sys.getswitchinterval(), gc.get_threshold()
    sys.setswitchinterval(1e-5)  # the threads take turns often, as they may on a loaded machine
    gc.set_threshold(50)  # collections start often, inside the walk
    thread = threading.Thread(target=churn)
    thread.start()
    try:
        for _ in range(40):
            for _ in range(20):
                Finalized()
            walked = walker({"config": {"storage": shared}})
            assert len(walked["config"]["storage"]) >= 3000
    finally:
        stop.set()
        thread.join()
        sys.setswitchinterval(interval)
        gc.set_threshold(*threshold)


def test_an_httpx_status_errors_message_is_not_a_suspect() -> None:
    # Every handled raise_for_status() error failed recording: its message's documentation
    # link was taken for a high-entropy string.
    import httpx

    transport = httpx.MockTransport(lambda request: httpx.Response(404, text="not found"))
    with httpx.Client(transport=transport) as client:
        response = client.get("https://example.com/missing")
    with pytest.raises(httpx.HTTPStatusError) as caught:
        response.raise_for_status()
    assert "developer.mozilla.org" in str(caught.value)
    assert Redactor().find_secrets({"error": str(caught.value)}) == []


def test_the_collections_containers_are_walked_and_keep_their_type() -> None:
    # A deque's items were not walked (a key in an agent's deque memory was recorded), and a
    # Counter's counts were added to instead of kept.
    import collections

    key = "key sk-abcdefghijklmnopqrstu"
    value = {
        "memory": collections.deque([key, "ok"], maxlen=3),
        "ordered": collections.OrderedDict([("api_key", "x1"), ("z", 1)]),
        "by_tool": collections.defaultdict(list, {"password": ["p"]}),
        "counts": collections.Counter({"a": 2, "b": 1}),
    }
    redacted = Redactor()(value)
    assert redacted["memory"] == collections.deque([f"key {PLACEHOLDER}", "ok"])
    assert redacted["memory"].maxlen == 3
    assert redacted["ordered"] == collections.OrderedDict([("api_key", PLACEHOLDER), ("z", 1)])
    assert list(redacted["ordered"]) == ["api_key", "z"]
    assert redacted["by_tool"] == {"password": PLACEHOLDER}
    assert redacted["by_tool"].default_factory is list
    assert redacted["counts"] == collections.Counter({"a": 2, "b": 1})
    assert value["memory"][0] == key  # not mutated


@pytest.mark.parametrize(
    "key",
    ["db_pass", "DB_PASS", "dbPass", "pg_pass", "mysql_pass", "redis_pass", "smtp_pass",
     "mail_pass", "user_pass", "admin_pass", "root_pass", "login_pass", "ldap_pass", "pwd",
     "db_pwd", "userPwd", "PWD"],
)  # fmt: skip
def test_password_fields_spelt_pass_or_pwd_are_redacted(key: str) -> None:
    # a dict key, a keyword argument (pyodbc's uid=/pwd=) or a dataclass field
    assert Redactor()({key: "hunter2-value"}) == {key: PLACEHOLDER}
    config = dataclasses.make_dataclass("Config", ["host", key])("db.local", "hunter2-value")
    assert getattr(Redactor()(config), key) == PLACEHOLDER


@pytest.mark.parametrize(
    "key", ["compiler_pass", "first_pass", "render_pass", "bypass", "passes", "proxy_pass",
            "password_min_length", "pwd_hint_shown"],
)  # fmt: skip
def test_ordinary_names_ending_in_pass_are_left_alone(key: str) -> None:
    assert Redactor()({key: "value"}) == {key: "value"}


def test_the_shells_working_directory_variables_are_no_secret() -> None:
    redactor = Redactor()
    assert not redactor.is_secret_variable("PWD")
    assert not redactor.is_secret_variable("OLDPWD")
    assert redactor.is_secret_variable("DB_PWD")
    seen = redactor.secret_values({"PWD": "/home/me/project-x", "DB_PWD": "hunter2-value"})
    assert seen == {"hunter2-value": "the value of $DB_PWD"}


@pytest.mark.parametrize(
    "key",
    ["bearer", "auth_bearer", "creds", "aws_creds", "dbCreds", "signing_key", "encryption_key",
     "master_key", "hmac_key", "ssh_key", "priv_key", "privkey", "passcode"],
)  # fmt: skip
def test_credentials_under_their_usual_short_names_are_redacted(key: str) -> None:
    assert Redactor()({key: "hunter2-value"}) == {key: PLACEHOLDER}
    config = dataclasses.make_dataclass("Config", ["host", key])("db.local", "hunter2-value")
    assert getattr(Redactor()(config), key) == PLACEHOLDER


@pytest.mark.parametrize(
    "key", ["key", "sort_key", "cache_key", "primary_key", "partition_key", "idempotency_key",
            "bearer_count", "credibility"],
)  # fmt: skip
def test_ordinary_names_ending_in_key_are_left_alone(key: str) -> None:
    assert Redactor()({key: "value"}) == {key: "value"}


@attrs.define
class _AttrsConfig:
    host: str
    api_key: str


@attrs.frozen
class _FrozenAttrsConfig:
    host: str
    client_secret: str


@dataclasses.dataclass(slots=True)
class _SlotsConfig:
    host: str
    password: str


class _SlotsCreds:
    __slots__ = ("__token", "user")

    def __init__(self) -> None:
        self.user = "app"
        self.__token = "tok-value-1234567"

    @property
    def token(self) -> str:
        return self.__token


class _DunderSlot:
    __slots__ = ("__api_key__",)

    def __init__(self) -> None:
        self.__api_key__ = "dunder-key-1234567"


def test_secrets_in_slotted_objects_are_redacted() -> None:
    # an @attrs.define class has slots and no __dict__ (so has a slots=True dataclass): the walk
    # passed them by, and the codec stored their fields as they were
    value = {
        "attrs": _AttrsConfig("h", "attrs-key-1234567"),
        "frozen": _FrozenAttrsConfig("h", "frozen-secret-12345"),
        "dataclass": _SlotsConfig("h", "slots-pw-1234567"),
        "plain": _SlotsCreds(),
    }
    redactor = Redactor()
    out = redactor(value)
    assert out["attrs"] == _AttrsConfig("h", PLACEHOLDER)
    assert out["frozen"] == _FrozenAttrsConfig("h", PLACEHOLDER)
    assert out["dataclass"] == _SlotsConfig("h", PLACEHOLDER)
    assert out["plain"].token == PLACEHOLDER and out["plain"].user == "app"
    assert value["attrs"].api_key == "attrs-key-1234567"  # not mutated
    assert value["plain"].token == "tok-value-1234567"
    seen = redactor.secret_values(environ={})
    assert {"attrs-key-1234567", "frozen-secret-12345", "slots-pw-1234567"} <= set(seen)
    assert redactor(out)["attrs"] == out["attrs"]  # idempotent


def test_a_slot_named_with_two_underscores_on_each_side_is_walked_by_its_own_name() -> None:
    out = Redactor()({"held": _DunderSlot()})
    assert out["held"].__api_key__ == PLACEHOLDER


@pytest.mark.parametrize("path", ["/home/me/project", "~/work", "C:\\Users\\me", "D:/repo"])
def test_a_working_directory_under_pwd_is_no_password(path: str) -> None:
    # a shell tool's state or an environment passed to a subprocess: {"pwd": os.getcwd()}
    # redacted, and then noted, failed every recording whose golden also held a path under it
    redactor = Redactor()
    value = {"pwd": path, "PWD": path, "env": {"PWD": path}, "out": f"{path}/a.txt"}
    assert redactor(value) == value
    assert path not in redactor.secret_values(environ={})
    assert redactor({"pwd": "hunter2-value"}) == {"pwd": PLACEHOLDER}


def test_a_working_directory_under_a_name_ending_with_pwd_is_no_password() -> None:
    value = {"old_pwd": "/home/me/old", "shell_pwd": "~/work"}
    assert Redactor()(value) == value


def test_a_path_under_a_secret_name_with_pwd_before_its_last_word_is_redacted() -> None:
    # only a name ending with pwd holds a working directory: under pwd_token, a value that
    # looks like a path is the token's, and is redacted as any other
    value = {"pwd_token": "/Zx9+secret", "pwd_secret": "C:/x"}
    assert Redactor()(value) == {"pwd_token": PLACEHOLDER, "pwd_secret": PLACEHOLDER}


def test_a_message_hides_a_secret_whole_where_a_shorter_one_begins_it() -> None:
    # the longer secret first: hiding the shorter one first would show the rest of the longer
    r = Redactor()
    r.note_secret("pw-4f9a7c21", "a password")
    r.note_secret("pw-4f9a7c21-b83e5d90", "a longer one")
    assert r.shown({"log": "sent pw-4f9a7c21-b83e5d90 then"}) == {"log": f"sent {PLACEHOLDER} then"}


def test_a_message_hides_a_secret_of_eight_characters_but_not_a_shorter_one_nor_digits() -> None:
    # MIN_SECRET_LENGTH is the shortest secret hidden: one of that length is hidden, one
    # character less, or a number of any length, turns up by chance and is shown
    r = Redactor()
    r.note_secret("pw4f9a7c", "a password")
    r.note_secret("pw4f9a7", "a shorter one")
    r.note_secret("1733616000", "a number")
    shown = r.shown({"log": "sent pw4f9a7c, pw4f9a7 and 1733616000"})
    assert shown == {"log": f"sent {PLACEHOLDER}, pw4f9a7 and 1733616000"}


def test_a_token_inside_a_webhook_url_is_one_finding_and_one_placeholder() -> None:
    # two formats match (the webhook URL, the GitHub token that is its path's last part): the
    # text they cover is replaced once, and named once, by the match that starts first
    token = "ghp_aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY2zA4"
    r = Redactor()
    out = r({"hook": f"https://discord.com/api/webhooks/123456789/{token}"}, "state", "")
    assert out == {"hook": f"https://{PLACEHOLDER}"}
    assert [f.kind for f in r.findings] == ["Discord webhook URL"]


def test_a_tuple_holding_a_redacted_value_matches_its_recording() -> None:
    # the live arguments are given the recording's placeholders where it holds them, a
    # tuple's items too, and stay a tuple: compared with the recorded tuple, not a list
    match = Redactor().matcher()
    recorded = {"login": ("user", PLACEHOLDER)}
    assert match("app.login", 1, recorded, {"login": ("user", "hunter2hunter2")}) is True
    assert match("app.login", 1, recorded, {"login": ("admin", "hunter2hunter2")}) is False


def test_the_match_hook_decides_also_for_arguments_equal_to_the_recording() -> None:
    # a pytest_clearstone_match_call hook given to the matcher is asked for every call
    asked: list[int] = []

    def hook(target: str, call_number: int, recorded: Any, actual: Any) -> bool | None:
        asked.append(call_number)
        return False

    assert Redactor().matcher(hook)("app.ask", 3, {"q": "hi"}, {"q": "hi"}) is False
    assert asked == [3]


def test_a_secret_headers_name_value_list_keeps_its_name() -> None:
    # urllib3's HTTPHeaderDict keeps a header as [name, value, ...] under its lower-case name:
    # the values are replaced, the name kept, so the list still reads back as a header
    value = {"authorization": ["Authorization", "Bearer abc123def456", "Bearer 789xyz012uvw"]}
    assert Redactor()(value) == {"authorization": ["Authorization", PLACEHOLDER, PLACEHOLDER]}


def test_a_header_kept_as_a_name_and_one_value_keeps_its_name() -> None:
    redactor = Redactor()
    value = {"authorization": ["Authorization", "Bearer abc123def456"]}
    assert redactor(value) == {"authorization": ["Authorization", PLACEHOLDER]}
    assert "Authorization" not in redactor.secret_values(environ={})


def test_a_recorded_text_holding_a_placeholder_is_still_compared_around_it() -> None:
    # a URL recorded with its key redacted matches the live one with any key, and only with
    # the same query around it
    match = Redactor().matcher()
    recorded = {"url": f"https://api.test/search?api_key={PLACEHOLDER}&q=paris"}
    live = "https://api.test/search?api_key=k-12345678&q="
    assert match("app.get", 1, recorded, {"url": live + "paris"}) is True
    assert match("app.get", 1, recorded, {"url": live + "rome"}) is False


def test_suspects_met_while_comparing_are_replaced_but_not_findings() -> None:
    # a value transformed only to be compared in memory is no recorded one: what looks like a
    # secret in it is replaced alike, and fails no recording
    r = Redactor()
    with comparing():
        assert r({"note": GITHUB}, "input", "app.ask") == {"note": PLACEHOLDER}
    assert r.findings == []


def test_a_value_compared_counts_no_call_of_the_recorded_ones() -> None:
    r = Redactor()
    with comparing():
        r({"note": "hello"}, "input", "app.ask")
    r({"note": GITHUB}, "input", "app.ask")
    assert [f.call for f in r.findings] == [1]


def test_a_finding_in_an_attribute_of_a_value_written_as_a_placeholder_is_forgotten() -> None:
    r = Redactor()
    r({"client": types.SimpleNamespace(note=GITHUB)}, "input", "app.ask")
    assert [f.path for f in r.findings] == ["root['client'].note"]
    r.forget_findings("input", lambda target, call: ["root['client']"])
    assert r.findings == []


def test_the_secrets_seen_are_kept_up_to_the_limit() -> None:
    r = Redactor()
    for i in range(withheld.LIMIT + 1):
        r.note_secret(f"secret-value-{i:05d}", "a value")
    seen = r.secret_values(environ={})
    assert f"secret-value-{withheld.LIMIT - 1:05d}" in seen
    assert f"secret-value-{withheld.LIMIT:05d}" not in seen


def test_a_random_looking_token_of_few_distinct_characters_is_still_a_suspect() -> None:
    # 12 characters repeated: 3.57 bits each, just over the 3.5 a random-looking token needs
    token = ("Kq7Zx2Vb9Wm4" * 3)[:34]
    assert Redactor().find_secrets({"x": token}) == ["root['x']"]


def test_a_value_the_redaction_of_a_message_cannot_walk_is_shown_by_its_type_only() -> None:
    # a failure message shows an actual value through the recording's redaction; one it fails
    # on is named by its type, never shown as it is (it may hold the secret it would hide)
    from pytest_clearstone.golden.responses import for_message

    def failing(value: Any, where: str, target: str) -> Any:
        raise RecursionError("too deep to walk")

    secret = {"api_key": "sk-live-not-for-messages"}
    shown = for_message(failing, secret, "input", "app.complete")
    assert repr(shown) == "<dict: not shown>"
    assert for_message(None, secret, "input", "app.complete") is secret  # (no redaction)


def test_a_value_a_message_shows_is_redacted_as_the_part_of_the_run_it_is() -> None:
    # (a redaction hook that hides a secret in the result only still hides it in a message)
    from pytest_clearstone.golden.responses import for_message

    def result_only(value: Any, where: str, target: str) -> Any:
        return "<hidden>" if where == "result" else value

    assert for_message(result_only, {"token": "t0k"}, "result", "app.ask") == "<hidden>"
    assert for_message(result_only, {"token": "t0k"}, "input", "app.ask") == {"token": "t0k"}


def test_a_pydantic_v1_model_is_copied_not_mutated() -> None:
    """``copy.copy`` of a pydantic v1 model shares its ``__dict__``: the redacted field was set
    in the agent's own model, which then held ``'[REDACTED]'`` in place of its token."""
    v1 = pytest.importorskip("pydantic.v1")  # (the v1 API pydantic 2 keeps)

    class Settings(v1.BaseModel):
        token: str
        n: int = 1

    settings = Settings(token="live-token-0123456789")
    out = Redactor()({"settings": settings})["settings"]
    assert out.token == PLACEHOLDER and out.n == 1
    assert settings.token == "live-token-0123456789"


def test_note_secrets_notes_what_the_rules_find_and_records_nothing() -> None:
    """The arguments given to ``replay.run()`` are not recorded: their secrets (by the key
    rules, the header rule and the patterns) are noted for the scan before saving, and the
    redactor counts nothing as replaced, no call and no suspect."""
    redactor = Redactor()
    redactor.note_secrets(
        {
            "api_key": "gw-0123456789abcdef",
            "headers": {"X-Gateway-Key": "gk-0123456789abcdef"},
            "q": "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",  # (a suspect: no finding)
        },
        "arguments given to replay.run(ask)",
    )
    seen = redactor.secret_values(environ={})
    assert seen["gw-0123456789abcdef"] == (
        "the value at 'api_key' in the arguments given to replay.run(ask)"
    )
    assert "gk-0123456789abcdef" in seen
    assert not redactor.replaced and not redactor.findings
    inactive = Redactor()
    inactive.active = False
    inactive.note_secrets({"api_key": "gw-0123456789abcdef"}, "arguments")
    assert not inactive.secret_values(environ={})


def test_a_token_as_a_urls_user_is_hidden_after_the_schemes_slashes() -> None:
    # (was: "connect https:[REDACTED]@proxy.example/v1 failed": the slashes taken with it)
    r = Redactor()
    message = f"connect https://{RANDOM_TOKEN}@proxy.example/v1 failed"
    out = r({"error": message}, "output", "app.llm.complete")
    assert out == {"error": f"connect https://{PLACEHOLDER}@proxy.example/v1 failed"}
    assert [f.kind for f in r.findings] == ["high-entropy string"]
    assert r.findings[0].length == len(RANDOM_TOKEN)
    # a token of the base64 alphabet that starts with a slash elsewhere is hidden whole
    assert r({"blob": f"x /{RANDOM_TOKEN}"}, "output", "app.llm.complete") == {
        "blob": f"x {PLACEHOLDER}"
    }
