"""The suspect scan on wrapped base64 (user audit, secret-scan-quadratic): a block of
equal-length lines of the base64 alphabet (MIME writes 76 columns, PEM 64), the last line
shorter, is data, not a run of high-entropy secrets; a lone random token, a few of them one a
line, and the known token formats are still suspects. The scan also stays right with many
suspects and known formats in one string (its overlap check walks both in order)."""

from __future__ import annotations

import base64
import random
import string
import textwrap

import pytest

from pytest_clearstone.redaction import PLACEHOLDER, Redactor, SecretFinding

GITHUB = "ghp_" + "a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8"
SLACK = "xoxb-123456789012-abcdefABCDEF"
GOOGLE = "AIzaSyA1234567890abcdefghijklmnopqrstu"
_ALNUM = string.ascii_letters + string.digits


def _blob(n: int, seed: int = 0) -> bytes:
    return random.Random(seed).randbytes(n)


def _token(n: int, seed: int) -> str:
    """A random mixed-case token of ``n`` letters and digits that is a generic suspect on its
    own (drawn again until it is: a draw may lack a digit)."""
    rnd = random.Random(seed)
    while True:
        token = "".join(rnd.choice(_ALNUM) for _ in range(n))
        if Redactor().find_secrets({"v": token}) == ["root['v']"]:
            return token


def _email(blob: bytes, newline: str = "\n") -> str:
    body = base64.encodebytes(blob).decode()  # 76 columns, as every MIME encoder writes it
    head = "From: a@example.com\nSubject: report\nContent-Type: application/pdf\n"
    head += "Content-Transfer-Encoding: base64\n\n"
    return (head + body).replace("\n", newline)


def _pem(blob: bytes) -> str:
    lines = textwrap.wrap(base64.b64encode(blob).decode(), 64)
    return "-----BEGIN CERTIFICATE-----\n" + "\n".join(lines) + "\n-----END CERTIFICATE-----\n"


# -- wrapped base64 is data ------------------------------------------------------------------------
@pytest.mark.parametrize("size", [200, 3000, 50_000])
def test_a_mime_attachment_wrapped_at_76_columns_is_not_a_suspect(size: int) -> None:
    # Before the fix: every 76-character line was "a high-entropy string, 76 chars" (10,526
    # findings for an 800 KB attachment), and the recording was refused.
    raw = _email(_blob(size))
    assert Redactor().find_secrets({"raw": raw}) == []
    assert Redactor()({"raw": raw}, "output", "app.fetch_email") == {"raw": raw}


def test_crlf_lines_and_an_indented_block_are_wrapped_base64_too() -> None:
    crlf = _email(_blob(3000, seed=1), "\r\n")
    indented = "attachment:\n" + textwrap.indent(base64.encodebytes(_blob(900, 2)).decode(), "  ")
    assert Redactor().find_secrets({"crlf": crlf, "yaml": indented}) == []


def test_a_pem_certificate_wrapped_at_64_columns_is_not_a_suspect() -> None:
    assert Redactor().find_secrets({"cert": _pem(_blob(1200, seed=3))}) == []


def test_a_wrapped_block_whose_length_is_a_multiple_of_the_line_has_no_short_last_line() -> None:
    raw = base64.encodebytes(_blob(57 * 4, seed=4)).decode()  # four full lines of 76
    assert {len(line) for line in raw.splitlines()} == {76}
    assert Redactor().find_secrets({"raw": raw}) == []


def test_three_lines_are_enough_for_a_block_of_wrapped_base64() -> None:
    raw = base64.encodebytes(_blob(57 * 2 + 30, seed=7)).decode()
    assert [len(line) for line in raw.splitlines()] == [76, 76, 40]
    assert Redactor().find_secrets({"raw": raw}) == []


def test_a_block_whose_padded_last_line_is_as_long_as_the_others_is_wrapped_base64() -> None:
    raw = base64.encodebytes(_blob(57 * 3 + 56, seed=8)).decode()
    assert [len(line) for line in raw.splitlines()] == [76] * 4 and raw.endswith("=\n")
    assert Redactor().find_secrets({"raw": raw}) == []


def test_a_block_wrapped_at_60_columns_is_wrapped_base64() -> None:
    raw = "\n".join(textwrap.wrap(base64.b64encode(_blob(600, seed=9)).decode(), 60))
    assert Redactor().find_secrets({"raw": raw}) == []


# -- what is still found ------------------------------------------------------------------------
def test_a_lone_token_on_its_own_line_is_still_a_suspect() -> None:
    token = _token(76, seed=10)
    dump = f"[service]\nendpoint = https://api.example.com\n{token}\ntimeout = 30\n"
    assert Redactor().find_secrets({"config": dump}) == ["root['config']"]


def test_two_tokens_of_one_length_one_a_line_are_still_suspects() -> None:
    # (two lines are not enough to call a block wrapped base64)
    text = f"{_token(64, seed=11)}\n{_token(64, seed=12)}\n"
    r = Redactor()
    r({"keys": text}, "output", "app.tool")
    assert [f.kind for f in r.findings] == ["high-entropy string"] * 2


def test_keys_padded_on_every_line_are_not_wrapped_base64() -> None:
    # account keys (88 characters ending in "=="), one a line: only the last line of wrapped
    # base64 may hold padding
    keys = [base64.b64encode(_blob(64, seed=s)).decode() for s in (20, 21, 22, 23)]
    assert all(len(k) == 88 and k.endswith("==") for k in keys)
    keys = [k for k in keys if Redactor().find_secrets({"k": k})]  # (the premise)
    assert len(keys) >= 3
    r = Redactor()
    r({"keys": "\n".join(keys) + "\n"}, "output", "app.tool")
    assert len(r.findings) == len(keys)


def test_padded_keys_after_an_unpadded_one_of_their_length_are_not_wrapped_base64() -> None:
    keys = [base64.b64encode(_blob(66, seed=24)).decode()]  # 88 characters, no padding
    keys += [base64.b64encode(_blob(64, seed=s)).decode() for s in (25, 26)]  # 88, "=="
    assert [len(k) for k in keys] == [88] * 3
    assert all(Redactor().find_secrets({"k": k}) for k in keys)  # (the premise)
    r = Redactor()
    r({"keys": "\n".join(keys) + "\n"}, "output", "app.tool")
    assert len(r.findings) == 3


def test_lines_of_different_lengths_are_not_wrapped_base64() -> None:
    tokens = [_token(n, seed=30 + n) for n in (60, 70, 64, 76, 61)]
    r = Redactor()
    r({"dump": "\n".join(tokens)}, "output", "app.tool")
    assert [f.length for f in r.findings] == [60, 70, 64, 76, 61]


def test_short_lines_are_not_wrapped_base64() -> None:
    # three 40-character secrets one a line (AWS secret keys are 40): too short a line for the
    # wrapping of an encoder
    tokens = [_token(40, seed=s) for s in (40, 41, 42)]
    r = Redactor()
    r({"dump": "\n".join(tokens) + "\n"}, "output", "app.tool")
    assert len(r.findings) == 3


def test_a_token_after_a_block_on_a_line_of_its_own_length_or_text_is_still_found() -> None:
    raw = base64.encodebytes(_blob(1000, seed=5)).decode()
    token = _token(50, seed=50)
    r = Redactor()
    out = r({"raw": f"{raw}\nsession {token} ok\n{raw}"}, "output", "app.fetch_email")
    assert [(f.kind, f.length) for f in r.findings] == [("high-entropy string", 50)]
    assert out == {"raw": f"{raw}\nsession {PLACEHOLDER} ok\n{raw}"}


def test_known_token_formats_are_found_next_to_and_inside_wrapped_base64() -> None:
    raw = base64.encodebytes(_blob(2000, seed=6)).decode()
    lines = raw.splitlines()
    lines[5] = GOOGLE + lines[5][len(GOOGLE) :]  # (still a line of the block, of 76 characters)
    value = {
        "before": f"{SLACK}\n{raw}",
        "after": f"{raw}token: {GITHUB}\n",
        "inside": "\n".join(lines) + "\n",
    }
    r = Redactor()
    r(value, "output", "app.fetch_email")
    assert [(f.path, f.kind) for f in r.findings] == [
        ("root['before']", "Slack token"),
        ("root['after']", "GitHub token"),
        ("root['inside']", "Google API key"),
    ]


# -- many suspects in one string ----------------------------------------------------------------
def test_many_suspects_and_known_formats_in_one_string_are_each_found_once_in_order() -> None:
    # The overlap check (a random-looking token inside a known format's match is that match)
    # walks the tokens and the format matches in order; each is still reported once.
    tokens = [_token(33 + i % 7, seed=100 + i) for i in range(300)]
    parts = []
    for i, token in enumerate(tokens):
        parts.append(token)
        if i % 3 == 0:
            parts.append(GITHUB)  # (also a _TOKEN run: it must not be reported twice)
        if i % 5 == 0:
            parts.append(SLACK)
    r = Redactor()
    out = r({"log": " ".join(parts)}, "output", "app.tool")
    expected = [
        SecretFinding("root['log']", kind, n, "output", "app.tool", 1)
        for kind, n in (
            ("GitHub token", len(GITHUB))
            if p == GITHUB
            else ("Slack token", len(SLACK))
            if p == SLACK
            else ("high-entropy string", len(p))
            for p in parts
        )
    ]
    assert r.findings == expected
    assert out == {"log": " ".join([PLACEHOLDER] * len(parts))}


@pytest.mark.parametrize(
    "armor",
    [
        "PGP PRIVATE KEY BLOCK",  # GnuPG's export: its body is wrapped base64 too
        "RSA PRIVATE KEY",
        "OPENSSH PRIVATE KEY",
        "ENCRYPTED PRIVATE KEY",
    ],
)
def test_a_private_key_whose_body_is_wrapped_base64_is_still_a_suspect(armor: str) -> None:
    body = base64.encodebytes(_blob(900, seed=5)).decode()
    key = f"-----BEGIN {armor}-----\n\n{body}-----END {armor}-----\n"
    assert Redactor().find_secrets({"key": key}) == ["root['key']"]
