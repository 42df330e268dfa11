"""The last check before a golden is written (issue 14, finding 9): the secret values seen
during the run — variables the redaction rules cover, SDK client keys, secret headers, values
redacted at secret keys or by patterns — are looked for in the text to be written and in every
encoded payload inside it (bytes, pickles, base64 HTTP bodies); a hit writes nothing."""

from __future__ import annotations

import base64
import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone import codec
from pytest_clearstone.codec import withheld
from pytest_clearstone.errors import ClearstoneError, SecretLeakError
from pytest_clearstone.golden import secrets, signing
from pytest_clearstone.golden.checkpoint import Checkpoint
from pytest_clearstone.golden.mocks import TARGET_ATTRIBUTE
from pytest_clearstone.redaction import PLACEHOLDER, Redactor
from pytest_clearstone.tracing.span import Recorded, Span
from pytest_clearstone.tracing.trace import Trace

SECRET = "s3cr3t-VALUE-0123456789abcdef"
TARGET = "app.tools.fetch"


class Opaque:
    """A value only a pickle can store."""

    def __init__(self, note: str) -> None:
        self.note = note


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(signing.ENV_VAR, raising=False)


def _checkpoint(output: Any, state: Any = None) -> Checkpoint:
    tid = "a" * 32
    root = Span(trace_id=tid, span_id="1" * 16, parent_span_id=None, name="root",
                start_time_ns=1, end_time_ns=9)  # fmt: skip
    call = Span(trace_id=tid, span_id="2" * 16, parent_span_id=root.span_id, name=TARGET,
                span_type="tool", attributes={TARGET_ATTRIBUTE: TARGET}, start_time_ns=2,
                end_time_ns=3, input=Recorded.of({"url": "https://example.com"}),
                output=Recorded.of(output))  # fmt: skip
    return Checkpoint(
        checkpoint_id="ckpt_" + "c" * 32,
        state=Recorded.of(state if state is not None else {"history": []}),
        agent_class_name=None,
        agent_module=None,
        trace=Trace(tid, [root, call]),
        span_id=root.span_id,
        timestamp=dt.datetime(2024, 1, 2, tzinfo=dt.timezone.utc),
        metadata={"test": "t"},
    )


def _text(output: Any, state: Any = None, *, allow_pickle: bool = False) -> str:
    return _checkpoint(output, state).dumps(allow_pickle=allow_pickle, signing_key=None)


SEEN = {SECRET: "the value of $SOME_API_KEY"}


# -- the scan ----------------------------------------------------------------------------------
def test_a_secret_in_the_text_is_found_with_its_place_and_kind() -> None:
    leak = secrets.find_leak(_text({"page": f"key is {SECRET}"}), SEEN)
    assert leak is not None
    assert leak.what == "the value of $SOME_API_KEY"
    assert "the output of span 'app.tools.fetch'" in leak.location
    assert "root['page']" in leak.location
    assert SECRET not in leak.location


def test_a_secret_in_a_dict_key_or_the_agent_state_is_found() -> None:
    leak = secrets.find_leak(_text("ok", state={SECRET: 1}), SEEN)
    assert leak is not None and leak.location.startswith("the agent state")
    # the place is named without the key that holds the secret (it would go to the CI log)
    assert SECRET not in leak.location and "(in the key)" in leak.location
    nested = secrets.find_leak(_text({"opts": {SECRET: {"note": f"key {SECRET}"}}}), SEEN)
    assert nested is not None and SECRET not in nested.location


@pytest.mark.parametrize("kind", [bytes, bytearray])
def test_a_secret_inside_bytes_is_found_in_their_base64(kind: type) -> None:
    text = _text({"blob": kind(b"\x00\x01header " + SECRET.encode() + b" trailer")})
    assert SECRET not in text  # only the base64 form is in the file
    leak = secrets.find_leak(text, SEEN)
    assert leak is not None
    assert f"the {kind.__name__} value" in leak.location
    assert "root['blob']" in leak.location


def test_a_secret_inside_a_pickle_is_found_in_the_pickle_bytes() -> None:
    text = _text(Opaque(SECRET), allow_pickle=True)
    assert '"__cs__": "pickle"' in text and SECRET not in text
    leak = secrets.find_leak(text, SEEN)
    assert leak is not None and "the pickle of a" in leak.location


def test_the_pickle_a_secret_is_found_in_is_named_with_its_article() -> None:
    """An SDK client pickled with its key (an ``openai.lib.azure.AzureOpenAI``): the refusal
    said "the pickle of a openai.lib.azure.AzureOpenAI"."""
    payload = base64.b64encode(b"\x80\x04api_key " + SECRET.encode()).decode()
    tagged = {"__cs__": "pickle", "type": "openai.lib.azure.AzureOpenAI", "v": payload}
    leak = secrets.find_leak(json.dumps({"client": tagged}), SEEN)
    assert leak is not None
    assert "the base64 of the pickle of an openai.lib.azure.AzureOpenAI" in leak.location


def test_a_secret_in_a_base64_http_body_is_found() -> None:
    httpx = pytest.importorskip("httpx")
    body = b"\xff\xfe binary " + SECRET.encode()
    response = httpx.Response(200, content=body, request=httpx.Request("GET", "https://x.test"))
    text = _text(response)
    assert '"base64"' in text and SECRET not in text
    leak = secrets.find_leak(text, SEEN)
    assert leak is not None and "base64 body" in leak.location


def test_a_secret_with_json_escapes_is_found() -> None:
    tricky = 'pa"ss\\word-0123456789'
    leak = secrets.find_leak(_text({"v": tricky}), {tricky: "the value of $DB_PASSWORD"})
    assert leak is not None and "root['v']" in leak.location


@pytest.mark.parametrize("where", ["text", "bytes"])
def test_a_secret_url_encoded_is_found(where: str) -> None:
    # a key sent in a query string or a form body is stored URL-encoded; before, only its
    # plain and JSON-escaped spellings were looked for, and such a golden was written
    from urllib.parse import quote, quote_plus

    password = "p@ss:w/rd+Secret 99"
    for spelling in (quote(password, safe=""), quote(password), quote_plus(password)):
        url = f"https://x.test/?q={spelling}"
        text = _text({"url": url} if where == "text" else {"blob": url.encode()})
        leak = secrets.find_leak(text, {password: "the value of $SHOP_PASSWORD"})
        assert leak is not None, spelling
        assert "root['url']" in leak.location or "root['blob']" in leak.location
        assert spelling not in leak.location


def test_nothing_seen_or_nothing_there_finds_nothing() -> None:
    text = _text({"blob": b"harmless bytes", "page": "nothing secret"})
    assert secrets.find_leak(text, {}) is None
    assert secrets.find_leak(text, SEEN) is None


def test_values_too_short_or_only_digits_or_placeholders_are_not_looked_for() -> None:
    text = _text({"page": "tiny 12345678901234 [REDACTED] <redacted>", "n": 20240102})
    seen = {
        "tiny": "the value of $A_TOKEN",
        "12345678901234": "the value of $B_TOKEN",  # timestamps and ids hold such runs
        PLACEHOLDER: "a redacted value",
        codec.REDACTED: "a redacted header",
        codec.PLACEHOLDER_KEY: "the api_key of an openai.OpenAI client",
    }
    assert secrets.find_leak(text, seen) is None


def test_a_value_of_the_least_length_looked_for_is_found_and_a_shorter_one_is_not() -> None:
    text = _text({"page": "code Kq7vXw2z"})
    assert secrets.find_leak(text, {"Kq7vXw2z": "the value of $A_TOKEN"}) is not None
    assert secrets.find_leak(text, {"Kq7vXw2": "the value of $A_TOKEN"}) is None


def test_the_error_names_the_file_place_kind_and_fixes_but_not_the_secret(
    tmp_path: Path,
) -> None:
    golden = tmp_path / "g.ckpt"
    with pytest.raises(SecretLeakError) as info:
        secrets.refuse_leaks(_text({"blob": SECRET.encode()}), golden, SEEN)
    message = str(info.value)
    assert isinstance(info.value, ClearstoneError)
    assert str(golden) in message
    assert "$SOME_API_KEY" in message and "root['blob']" in message
    assert "clearstone_redact_keys" in message and "codec.register" in message
    assert SECRET not in message and base64.b64encode(SECRET.encode()).decode() not in message


# -- writing -----------------------------------------------------------------------------------
def test_a_refused_write_writes_nothing_and_keeps_an_existing_golden(tmp_path: Path) -> None:
    golden = tmp_path / "g.ckpt"
    check = secrets.leak_check(golden)
    with secrets.watching(lambda: SEEN):
        with pytest.raises(SecretLeakError):
            _checkpoint({"blob": SECRET.encode()}).write(golden, signing_key=None, check=check)
        assert not golden.exists() and list(tmp_path.iterdir()) == []
        _checkpoint("clean").write(golden, signing_key=None, check=check)
        before = golden.read_bytes()
        with pytest.raises(SecretLeakError):
            _checkpoint(SECRET).write(golden, signing_key=None, check=check)
    assert golden.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["g.ckpt"]


def test_without_a_source_the_default_rules_and_the_signing_key_are_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOME_API_KEY", SECRET)
    monkeypatch.setenv(signing.ENV_VAR, "signing-key-0123456789")
    seen = secrets.seen_secrets()
    assert seen[SECRET] == "the value of $SOME_API_KEY"
    assert seen["signing-key-0123456789"] == f"the value of ${signing.ENV_VAR}"
    with pytest.raises(SecretLeakError, match=r"\$SOME_API_KEY"):
        secrets.leak_check(tmp_path / "g.ckpt")(_text(SECRET))


# -- what is seen ------------------------------------------------------------------------------
def test_environment_values_under_the_key_rules_are_seen() -> None:
    redactor = Redactor.from_settings(extra_keys=["db_dsn"], allow=["PUBLIC_TOKEN"])
    env = {
        "OPENAI_API_KEY": "sk-env-0123456789abcdef",
        "APP_DB_DSN": "postgres://u:p@h/db",
        "PUBLIC_TOKEN": "not-a-secret-0123456",
        "HOME": "/home/someone",
    }
    assert redactor.secret_values(env) == {
        "sk-env-0123456789abcdef": "the value of $OPENAI_API_KEY",
        "postgres://u:p@h/db": "the value of $APP_DB_DSN",
    }


def test_allow_rules_and_the_placeholder_are_never_secrets() -> None:
    redactor = Redactor(allow=["re:public-.*"])
    env = {"A_TOKEN": "public-0123456789", "B_TOKEN": f"x {PLACEHOLDER} y"}
    assert redactor.secret_values(env) == {}


def test_values_redacted_at_secret_keys_are_seen_with_where_they_were() -> None:
    redactor = Redactor()
    redactor({"api_key": SECRET, "opts": {"password": ["pw-0123456789"]}}, "input", TARGET)
    seen = redactor.secret_values({})
    assert seen[SECRET] == f"the value at 'api_key' in the input of call #1 to {TARGET}"
    assert seen["pw-0123456789"].startswith("the value at 'password'")


def test_values_replaced_by_patterns_are_seen() -> None:
    redactor = Redactor()
    out = redactor(f"Authorization: Bearer {SECRET}", "state", "tests/t.py::test")
    assert out == f"Authorization: Bearer {PLACEHOLDER}"
    assert redactor.secret_values({}) == {
        SECRET: "a value a redaction rule replaced in the state of tests/t.py::test"
    }


def test_a_fresh_redactor_has_seen_nothing() -> None:
    redactor = Redactor()
    redactor({"token": SECRET})
    assert SECRET in redactor.secret_values({})
    assert redactor.fresh().secret_values({}) == {}


def test_sdk_client_keys_are_withheld_by_the_codec() -> None:
    openai = pytest.importorskip("openai")
    anthropic = pytest.importorskip("anthropic")
    codec.encode({"c": openai.OpenAI(api_key="sk-client-0123456789")})
    codec.encode([anthropic.Anthropic(api_key="ant-client-0123456789")])
    noted = withheld.noted()
    assert noted["sk-client-0123456789"] == "the api_key of an openai.OpenAI client"
    assert noted["ant-client-0123456789"] == "the api_key of an anthropic.Anthropic client"
    assert Redactor().secret_values({})["sk-client-0123456789"].startswith("the api_key")


def test_every_credential_an_sdk_client_holds_is_withheld_by_the_codec(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Before the fix: only api_key, auth_token and webhook_secret were noted, never openai's
    # admin_api_key, anthropic's webhook_key or a secret header of an SDK client's
    # default_headers; a copy of one in a pickle reached the golden
    openai = pytest.importorskip("openai")
    anthropic = pytest.importorskip("anthropic")
    for name in ("OPENAI_API_KEY", "OPENAI_ADMIN_KEY", "OPENAI_WEBHOOK_SECRET"):
        monkeypatch.delenv(name, raising=False)
    for name in ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN", "ANTHROPIC_WEBHOOK_SIGNING_KEY"):
        monkeypatch.delenv(name, raising=False)
    clients = {
        "openai.OpenAI": openai.OpenAI(
            admin_api_key="sk-admin-0123456789",
            webhook_secret="whsec-openai-0123456789",
            default_headers={"Authorization": "Bearer openai-header-0123456789"},
        ),
        "anthropic.Anthropic": anthropic.Anthropic(
            auth_token="ant-token-0123456789",
            webhook_key="ant-webhook-0123456789",
            default_headers={"X-Api-Key": "ant-header-0123456789", "X-Trace": "trace-0123456789"},
        ),
    }
    encoded = json.dumps(codec.encode(list(clients.values())))
    noted = withheld.noted()
    expected = {
        "sk-admin-0123456789": "the admin_api_key of an openai.OpenAI client",
        "whsec-openai-0123456789": "the webhook_secret of an openai.OpenAI client",
        "openai-header-0123456789": (
            "the token in the Authorization header of an openai.OpenAI client"
        ),
        "ant-token-0123456789": "the auth_token of an anthropic.Anthropic client",
        "ant-webhook-0123456789": "the webhook_key of an anthropic.Anthropic client",
        "ant-header-0123456789": "the X-Api-Key header of an anthropic.Anthropic client",
    }
    assert {value: noted.get(value) for value in expected} == expected
    assert "trace-0123456789" not in noted  # (not a secret header)
    assert not [value for value in expected if value in encoded]  # the references hold none
    seen = Redactor().secret_values({})
    assert seen["sk-admin-0123456789"] == expected["sk-admin-0123456789"]


def test_the_credentials_of_azure_bedrock_and_vertex_clients_are_withheld_by_the_codec() -> None:
    # (an Azure AD token, AWS keys and session token, a Google access token: none is the
    # client's api_key, and a copy of one in a pickle would reach the golden unflagged)
    openai = pytest.importorskip("openai")
    anthropic = pytest.importorskip("anthropic")
    withheld.forget()
    clients = [
        openai.AzureOpenAI(
            azure_ad_token="aad-token-0123456789",
            api_version="2024-10-21",
            azure_endpoint="https://travel.openai.azure.com",
        ),
        anthropic.AnthropicBedrock(
            aws_region="us-east-1",
            aws_access_key="AKIA-access-0123456789",
            aws_secret_key="aws-secret-0123456789",
            aws_session_token="aws-session-0123456789",
        ),
        anthropic.AnthropicVertex(
            region="us-east5", project_id="tides", access_token="ya29-vertex-0123456789"
        ),
    ]
    encoded = json.dumps(codec.encode(clients))
    noted = withheld.noted()
    bedrock = "an anthropic.lib.bedrock.AnthropicBedrock client"
    expected = {
        "aad-token-0123456789": "the _azure_ad_token of an openai.lib.azure.AzureOpenAI client",
        "AKIA-access-0123456789": f"the aws_access_key of {bedrock}",
        "aws-secret-0123456789": f"the aws_secret_key of {bedrock}",
        "aws-session-0123456789": f"the aws_session_token of {bedrock}",
        "ya29-vertex-0123456789": (
            "the access_token of an anthropic.lib.vertex.AnthropicVertex client"
        ),
    }
    assert {value: noted.get(value) for value in expected} == expected
    assert not [value for value in expected if value in encoded]  # the references hold none


def test_secret_headers_are_withheld_by_the_codec_with_their_token() -> None:
    httpx = pytest.importorskip("httpx")
    request = httpx.Request(
        "GET", "https://x.test", headers={"Authorization": f"Bearer {SECRET}", "X-Trace": "t"}
    )
    encoded = codec.encode(request)
    assert SECRET not in json.dumps(encoded)
    noted = withheld.noted()
    assert noted[f"Bearer {SECRET}"] == "the Authorization header of an httpx request"
    assert noted[SECRET] == "the token in the Authorization header of an httpx request"
    client = httpx.Client(headers={"x-api-key": "client-header-0123456789"})
    try:
        codec.encode(client)
    finally:
        client.close()
    assert withheld.noted()["client-header-0123456789"] == "the x-api-key header of an httpx.Client"


def test_what_a_stored_client_sends_with_every_request_is_a_secret_seen_by_the_rules() -> None:
    # Before the fix: a client's default_query and its headers that are not always secret
    # (a gateway's X-Gateway-Token) were known only to a redactor that met the live client;
    # the state is redacted after it was stored, its clients rebuilt without them
    httpx = pytest.importorskip("httpx")
    openai = pytest.importorskip("openai")
    withheld.forget()
    client = httpx.Client(
        params={"token": "httpx-query-0123456789", "api-version": "2024-10-21-preview"},
        headers={"X-Gateway-Token": "Bearer httpx-header-0123456789", "X-Trace": "trace-012345"},
    )
    try:
        encoded = json.dumps(
            codec.encode(
                [
                    client,
                    openai.OpenAI(
                        api_key="unused-0123456789",
                        default_query={"api-key": "openai-query-0123456789"},
                        default_headers={"X-Gateway-Token": "openai-header-0123456789"},
                    ),
                ]
            )
        )
    finally:
        client.close()
    assert "0123456789" not in encoded.replace("unused-0123456789", "")
    seen = Redactor().secret_values({})
    assert {value: what for value, what in seen.items() if "0123456789" in value} == {
        "unused-0123456789": "the api_key of an openai.OpenAI client",
        "httpx-query-0123456789": "the token query parameter of an httpx.Client",
        "Bearer httpx-header-0123456789": "the X-Gateway-Token header of an httpx.Client",
        "httpx-header-0123456789": "the token in the X-Gateway-Token header of an httpx.Client",
        "openai-query-0123456789": "the api-key query parameter of an openai.OpenAI client",
        "openai-header-0123456789": "the X-Gateway-Token header of an openai.OpenAI client",
    }
    allowing = Redactor(allow=["X-Gateway-Token"]).secret_values({})
    assert "openai-header-0123456789" not in allowing and "openai-query-0123456789" in allowing


def test_the_token_of_a_secret_header_is_noted_without_the_spaces_around_it() -> None:
    httpx = pytest.importorskip("httpx")
    withheld.forget()
    token = "tok-spaced-0123456789"
    codec.encode(
        httpx.Request("GET", "https://x.test", headers={"Authorization": f"Bearer  {token}"})
    )
    assert withheld.noted()[token] == "the token in the Authorization header of an httpx request"


def test_withheld_values_are_bounded() -> None:
    for i in range(withheld.LIMIT + 5):
        withheld.note(f"value-{i:08d}", "x")
    noted = withheld.noted()
    assert len(noted) == withheld.LIMIT and "value-00000000" not in noted


def test_a_withheld_value_keeps_its_first_description_and_the_notes_are_given_as_a_copy() -> None:
    withheld.note("sk-first-described-0123", "the api_key of an openai.OpenAI client")
    withheld.note("sk-first-described-0123", "a header's value")
    noted = withheld.noted()
    assert noted["sk-first-described-0123"] == "the api_key of an openai.OpenAI client"
    noted.clear()
    assert "sk-first-described-0123" in withheld.noted()


# -- base64 in texts, escapes, the index ---------------------------------------------------------
@pytest.mark.parametrize("before", [b"", b"x", b"xy", b"\xff\xfe\xfd"])
@pytest.mark.parametrize("encode", [base64.b64encode, base64.urlsafe_b64encode])
def test_a_secret_inside_base64_in_a_text_is_found_wherever_it_starts(
    before: bytes, encode: Any
) -> None:
    # media an agent sends as a string (a data: URL): the secret's bytes start at any of the
    # three places in a group of three, and the bytes around it change the characters there
    secret = "s3cr3t>VALUE?0123456789~~~abcdef"  # (its base64 holds "+" and "/")
    payload = encode(before + secret.encode() + b" and more").decode()
    text = _text({"image": f"data:image/png;base64,{payload}"})
    leak = secrets.find_leak(text, {secret: "the value of $SOME_API_KEY"})
    assert leak is not None, payload
    assert leak.location.endswith("in its base64") and "root['image']" in leak.location


def test_values_not_looked_for_are_not_looked_for_in_base64_either() -> None:
    digits = "12345678901234567890"
    text = _text({"image": base64.b64encode(b"x" + digits.encode()).decode()})
    assert secrets.find_leak(text, {digits: "an id", **SEEN}) is None


@pytest.mark.parametrize("secret", ['pa"ss\\word-0123456789', "pass\tword-0123456789"])
def test_a_secret_in_a_json_text_kept_as_a_string_is_found_and_withheld(secret: str) -> None:
    # a tool's result json.dumps'd, kept as text: the golden spells the value escaped twice
    # (the JSON text's escapes, escaped again by the golden's). Before the fix only the value
    # and its escapes of one level were looked for, and such a golden was written
    text = _text({"page": json.dumps({"db": {"x": secret}})})
    assert secret not in text and json.dumps(secret)[1:-1] not in text
    leak = secrets.find_leak(text, {secret: "the value of $DB_PASSWORD"})
    assert leak is not None and "root['page']" in leak.location
    kept = secrets.withheld(text, {secret: "the value of $DB_PASSWORD"}, PLACEHOLDER, tree=True)
    assert secrets.find_leak(kept, {secret: "the value of $DB_PASSWORD"}) is None
    assert PLACEHOLDER in kept


def test_a_secret_holding_a_backslash_is_found_and_not_named() -> None:
    secret = "s3cr3t\\VALUE-0123456789abcdef"
    leak = secrets.find_leak(_text({"page": f"key {secret}"}), {secret: "the value of $K"})
    assert leak is not None and "root['page']" in leak.location
    in_key = secrets.find_leak(_text("ok", state={secret: 1}), {secret: "the value of $K"})
    assert in_key is not None and "(in the key)" in in_key.location
    for spelling in (secret, repr(secret)[1:-1], json.dumps(secret)[1:-1]):
        assert spelling not in in_key.location


@pytest.mark.parametrize(
    "secret", ['pa"ss-word-0123456789', "pass\tword-0123456789", "s3cr3t\x1bVALUE-0123456789"]
)
def test_a_secret_spelt_escaped_in_json_is_found_with_a_quote_or_a_control_character(
    secret: str,
) -> None:
    # the file holds \" or \t or \u001b where the value holds the character itself
    text = _text({"page": f"key {secret}"})
    assert secret not in text
    leak = secrets.find_leak(text, {secret: "the value of $K"})
    assert leak is not None and "root['page']" in leak.location


def test_a_secret_holding_a_character_repr_escapes_is_not_named_in_a_key() -> None:
    secret = "s3cr3t\x1bVALUE-0123456789"
    leak = secrets.find_leak(_text("ok", state={secret: 1}), {secret: "the value of $K"})
    assert leak is not None and "(in the key)" in leak.location
    assert "\\x1bVALUE" not in leak.location and "<the secret>" in leak.location


def test_a_secret_holding_an_apostrophe_is_not_named_in_a_key_holding_a_double_quote() -> None:
    # repr spells such a key in single quotes, the apostrophe escaped (it\'s): before, the
    # location printed the secret so spelt
    secret = "it's-a-s3cr3t-0123456789"
    state = {f'say "{secret}"': 1}
    leak = secrets.find_leak(_text("ok", state=state), {secret: "the value of $K"})
    assert leak is not None and "(in the key)" in leak.location
    assert "s3cr3t-0123456789" not in leak.location and "<the secret>" in leak.location


def test_a_secret_holding_an_apostrophe_and_a_control_character_is_not_named_in_a_key() -> None:
    # repr spells such a key in double quotes, the control character escaped (it's\x1b...)
    secret = "it's\x1bs3cr3t-0123456789"
    leak = secrets.find_leak(_text("ok", state={f"say {secret}": 1}), {secret: "the value of $K"})
    assert leak is not None and "(in the key)" in leak.location
    assert "s3cr3t-0123456789" not in leak.location and "<the secret>" in leak.location


def test_the_first_place_in_document_order_holding_a_secret_is_named() -> None:
    leak = secrets.find_leak(_text({"pages": [f"key {SECRET}", f"again {SECRET}"]}), SEEN)
    assert leak is not None and "root['pages'][0]" in leak.location


def test_a_payload_is_searched_when_the_tag_index_names_a_place_that_is_not_there() -> None:
    doc = json.loads(_text({"blob": b"header " + SECRET.encode()}))
    doc["tag_index"]["paths"] = [["outcome", "nowhere", 3]]  # (an index edited by hand)
    leak = secrets.find_leak(json.dumps(doc), SEEN)
    assert leak is not None and "the base64 of the bytes value" in leak.location


def test_a_payload_tag_whose_value_is_not_text_is_passed_over() -> None:
    # (a document edited by hand: nothing to decode there, and the secret elsewhere is found)
    doc = {"a": {codec.TAG: "bytes", "v": 5}, "b": {codec.TAG: "pickle", "v": None}}
    assert secrets.find_leak(json.dumps(doc), SEEN) is None
    doc["c"] = f"key {SECRET}"
    leak = secrets.find_leak(json.dumps(doc), SEEN)
    assert leak is not None and leak.location == "the document['c']"


def test_the_signing_key_is_looked_for_whatever_the_source(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(signing.ENV_VAR, "signing-key-0123456789")
    with secrets.watching(lambda: {}):
        assert secrets.seen_secrets() == {
            "signing-key-0123456789": f"the value of ${signing.ENV_VAR}"
        }


def test_withheld_replaces_every_spelling_of_a_secret_in_a_stored_value() -> None:
    # The trace store's spans of a test that wrote no golden are rewritten through withheld:
    # the secret in a string, a dict key, its URL-encoded spelling, bytes and an HTTP body
    # stored as base64 all become the placeholder; everything else is kept as it was.
    found = {SECRET + "/x": "the value of $SHOP_API_KEY"}
    value = SECRET + "/x"
    tree = {
        "q": f"token {value}",
        value: 1,
        "url": "https://x.example/?k=" + value.replace("/", "%2F"),
        "raw": {"__cs__": "bytes", "v": base64.b64encode(b"\xff at " + value.encode()).decode()},
        "req": {"__cs__": "http_request", "base64": base64.b64encode(value.encode()).decode()},
        "kept": {"__cs__": "bytes", "v": "not base64!"},
    }
    text = secrets.withheld(json.dumps(tree), found, PLACEHOLDER, tree=True)
    assert secrets.find_leak(text, found) is None
    out = json.loads(text)
    assert out["q"] == f"token {PLACEHOLDER}" and out[PLACEHOLDER] == 1
    assert out["url"] == f"https://x.example/?k={PLACEHOLDER}"
    assert base64.b64decode(out["raw"]["v"]) == b"\xff at " + PLACEHOLDER.encode()
    assert base64.b64decode(out["req"]["base64"]) == PLACEHOLDER.encode()
    assert out["kept"] == tree["kept"]
    assert secrets.withheld(f"Error: {value}", found, PLACEHOLDER, tree=False) == (
        f"Error: {PLACEHOLDER}"
    )
    clean = json.dumps({"q": "nothing here"})
    assert secrets.withheld(clean, found, PLACEHOLDER, tree=True) is clean


@pytest.mark.parametrize("prefix", ["", "u:", "ab:"])
def test_withheld_replaces_a_secret_in_the_base64_of_a_string(prefix: str) -> None:
    # A tool's result holding the key in a base64 text (a Basic credential built by hand): the
    # last check refuses the golden naming it "in its base64". Before the fix the trace store
    # kept that span as it was, the base64 of the key in it, though the check had found it.
    blob = base64.b64encode((prefix + SECRET).encode()).decode()
    text = _text({"blob": blob, "note": "kept"})
    leak = secrets.find_leak(text, SEEN)
    assert leak is not None and "in its base64" in leak.location
    kept = secrets.withheld(text, SEEN, PLACEHOLDER, tree=True)
    assert secrets.find_leak(kept, SEEN) is None
    assert PLACEHOLDER in kept and '"kept"' in kept
    assert blob[4:16] not in secrets.withheld(f"sent {blob}", SEEN, PLACEHOLDER, tree=False)


def test_withheld_replaces_a_longer_secret_whole_when_a_shorter_one_starts_it() -> None:
    # a key and the same key with a suffix (a project key and its scoped form) are both seen:
    # the longer is replaced first, or a piece of it would be kept beside the placeholder
    short, long = "sk-live-0123456789", "sk-live-0123456789-scoped-abcdef"
    found = {short: "the value of $A_KEY", long: "the value of $B_KEY"}
    text = secrets.withheld(json.dumps({"q": f"token {long}"}), found, PLACEHOLDER, tree=True)
    assert json.loads(text) == {"q": f"token {PLACEHOLDER}"}
    assert secrets.withheld(f"Error: {long}", found, PLACEHOLDER, tree=False) == (
        f"Error: {PLACEHOLDER}"
    )


def test_withheld_replaces_a_secret_in_a_bytearray() -> None:
    raw = {"__cs__": "bytearray", "v": base64.b64encode(b"at " + SECRET.encode()).decode()}
    text = secrets.withheld(json.dumps({"raw": raw}), SEEN, PLACEHOLDER, tree=True)
    out = json.loads(text)["raw"]
    assert out["__cs__"] == "bytearray"
    assert base64.b64decode(out["v"]) == b"at " + PLACEHOLDER.encode()


def test_a_secret_inside_another_is_found_and_replaced_once() -> None:
    # (a Slack webhook URL whose path holds a GitHub token: the two matches overlap)
    token = "ghp_" + "aB3dE5fG7hJ9kL1mN3pQ5rS7tU9vW1xY3zA5"
    text = f"posted to https://hooks.slack.com/services/{token} today"
    findings = Redactor().scan({"url": text})
    assert [(f.kind, f.length) for f in findings] == [("Slack webhook URL", 65)]
    assert Redactor()({"url": text}) == {"url": f"posted to https://{PLACEHOLDER} today"}


@pytest.mark.parametrize(
    "identifier",
    [
        "chatcmpl-9xQ2LmZr7TbW4KpYv8NcA1dFgH3s",
        "msg_01XFDUDYJgAACzvnptvVoYEL",
        "resp_6aB9cD2eF7gH1jK4",
    ],
)
def test_an_id_of_an_llm_api_is_no_suspect(identifier: str) -> None:
    # (a completion's, a message's, a response's id: random-looking, and no credential)
    assert Redactor().scan({"id": identifier, "text": f"answered in {identifier}"}) == []


def test_the_payload_of_a_data_url_is_no_suspect() -> None:
    # (an image given to a model inline: base64 data, random-looking, no credential)
    payload = "Zk8Qm2Rt7VxW4pLs9HbN3cYd6Fj1Ge5Ka0Tu"
    assert Redactor().scan({"url": f"data:image/png;base64,{payload}"}) == []
    assert [f.kind for f in Redactor().scan({"url": payload})] == ["high-entropy string"]
