"""A replay's failure messages show the actual values redacted by the recording's rules: a secret
is never printed, in the terminal or in a junitxml report."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

import pytest

from .conftest import esc

KEY = "shopkey-Zq8vLm3pRt7wXy2K"

APP = """
import os


def call_llm(prompt, api_key=None, headers=None):
    return "answer to " + prompt


def agent(n=1):
    key = os.environ.get("SHOP_API_KEY")
    options = {"api_key": key, "headers": {"Authorization": "Bearer " + key}} if key else {}
    answers = [call_llm("hi", **options) for _ in range(n)]
    return {"answers": answers, "note": os.environ.get("NOTE", "-")}
"""

TEST = """
import os

import json
from urllib.parse import quote

import pytest

import shop_app


@pytest.mark.replay("goldens/shop.ckpt", mock={"llm": "shop_app.call_llm"})
def test_agent(replay):
    replay.run(shop_app.agent, int(os.environ.get("N", "1")))
"""


@pytest.fixture
def shop(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    monkeypatch.delenv("N", raising=False)
    monkeypatch.delenv("NOTE", raising=False)
    pytester.syspathinsert()
    pytester.makepyfile(shop_app=APP, test_shop=TEST)
    return pytester


def _shown(result: pytest.RunResult, *reports: str) -> str:
    return "\n".join([*result.outlines, *result.errlines, *reports])


def test_an_exhausted_replay_shows_the_calls_arguments_redacted(
    shop: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: the arguments of the call past the recording are shown as the recording holds
    # them, the key as the placeholder. Before the fix: the real key was printed, in the terminal
    # and twice in the junitxml report.
    monkeypatch.setenv("SHOP_API_KEY", KEY)
    shop.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert KEY not in (shop.path / "goldens" / "shop.ckpt").read_text()
    monkeypatch.setenv("N", "2")
    result = shop.runpytest("--junitxml=j.xml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc(
                "*call #2 arguments: {'prompt': 'hi', 'api_key': '[REDACTED]', "
                "'headers': {'Authorization': '[REDACTED]'}}"
            )
        ]
    )
    assert KEY not in _shown(result, (shop.path / "j.xml").read_text())


def test_a_divergence_shows_a_new_secret_argument_redacted_and_still_diverges(
    shop: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: a secret the recording did not have is still a difference (the comparison is
    # not changed), shown as the placeholder. Before the fix: a golden in which nothing was
    # redacted is compared without the redaction, and the delta printed the key and the
    # bearer token.
    monkeypatch.delenv("SHOP_API_KEY", raising=False)
    shop.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("SHOP_API_KEY", KEY)
    result = shop.runpytest("--junitxml=j.xml")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*replay diverged at call #1 to shop_app.call_llm*",
            esc("*root['api_key']: added '[REDACTED]'"),
            esc("*root['headers']: added {'Authorization': '[REDACTED]'}"),
        ]
    )
    assert KEY not in _shown(result, (shop.path / "j.xml").read_text())


def test_a_result_that_differs_by_a_secret_value_shows_it_redacted(
    shop: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: a value of the run's secrets (the value of $SHOP_API_KEY), under a key no rule
    # covers, is hidden in the result's delta too. Before the fix: the delta printed it.
    monkeypatch.delenv("SHOP_API_KEY", raising=False)
    shop.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("SHOP_API_SECRET_KEY", KEY)
    monkeypatch.setenv("NOTE", f"uses {KEY}")
    result = shop.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the replayed result differs from the golden recording*",
            esc("*root['note']: '-' -> 'uses [REDACTED]'"),
        ]
    )
    assert KEY not in _shown(result)


def test_a_pattern_matching_the_placeholder_is_a_usage_error_naming_it(
    shop: pytest.Pytester,
) -> None:
    # Expected: a usage error at start-up, like a pattern that is not a regular expression.
    # Before the fix: every marked test errored at set-up with the plugin's traceback.
    shop.makeini("[pytest]\nclearstone_redact_patterns =\n    cust-\\d{6}\n    [A-Z]{8}\n")
    result = shop.runpytest("--clearstone-record")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: clearstone_redact_patterns: '[[]A-Z]{8}' matches the placeholder "
            "'[[]REDACTED]' that redacted values become*"
        ]
    )
    assert "Traceback" not in _shown(result)


#: a key of base64 characters, as an Azure storage account key is: URL-encoding changes it
BASE64_KEY = "Zq8v+Lm3p/Rt7wXy2K=="


@pytest.mark.parametrize(
    ("note", "form"),
    [
        (f"https://files.example/f.pdf?k={quote(BASE64_KEY, safe='')}", "URL-encoded"),
        (json.dumps({"auth": {"k": BASE64_KEY.replace("/", '"\\')}}), "JSON-escaped"),
        ("Basic-ish " + base64.b64encode(b"app:" + BASE64_KEY.encode()).decode(), "base64"),
    ],
    ids=["url-encoded", "json-escaped", "base64"],
)
def test_a_result_that_differs_by_an_encoded_secret_value_shows_it_redacted(
    shop: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, note: str, form: str
) -> None:
    # Expected: a value of the run's secrets is hidden in the delta in the spellings the
    # recording's last check looks for too (URL-encoded in a query string, JSON-escaped in a
    # JSON text the agent keeps as a string, its base64 in a text). Before the fix: only the
    # value as it is was hidden, and the delta printed the key URL-encoded, escaped or in base64.
    monkeypatch.delenv("SHOP_API_KEY", raising=False)
    shop.runpytest("--clearstone-record").assert_outcomes(passed=1)
    key = BASE64_KEY.replace("/", '"\\') if form == "JSON-escaped" else BASE64_KEY
    monkeypatch.setenv("SHOP_API_SECRET_KEY", key)
    monkeypatch.setenv("NOTE", note)
    result = shop.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the replayed result differs from the golden recording*"])
    shown = _shown(result)
    assert "[REDACTED]" in shown
    encoded = base64.b64encode(b"app:" + key.encode()).decode()
    for spelling in (key, quote(key, safe=""), json.dumps(key)[1:-1], "Lm3p", encoded[4:24]):
        assert spelling not in shown, spelling
