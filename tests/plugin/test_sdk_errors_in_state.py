"""An SDK error an agent caught and keeps in its state (``self.last_error = exc``: an
``openai.RateLimitError``, an ``anthropic.RateLimitError``, their requests answered by a mock
transport) cannot be recorded: only a pickle could store it. The refusal named the pickle's API
key before suggesting to allow pickles (anthropic's, with "only a pickle could store it" said
twice), or, for openai's error whose pickle does not load back, only an encoder to register. It
now says first what records (keeping what the test checks of the error), and offers nothing
it has just said will not work."""

from __future__ import annotations

import textwrap

import pytest

APP = """
import anthropic
import httpx2
import openai


def rate_limited(request):
    return httpx2.Response(
        429, json={"type": "error", "error": {"type": "rate_limit_error", "message": "slow"}}
    )


def make_error(sdk):
    http = httpx2.Client(transport=httpx2.MockTransport(rate_limited))
    try:
        if sdk == "openai":
            client = openai.OpenAI(api_key="sk-test", http_client=http, max_retries=0)
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "q"}])
        else:
            client = anthropic.Anthropic(api_key="sk-test", http_client=http, max_retries=0)
            client.messages.create(
                model="m", max_tokens=5, messages=[{"role": "user", "content": "q"}]
            )
    except (openai.APIError, anthropic.APIError) as exc:
        return exc


def llm(prompt):
    return "ok"


class Agent:
    def __init__(self, sdk):
        self.last_error = make_error(sdk)

    def step(self, question):
        return llm(question)
"""

TEST = """
import pytest

from app import Agent


@pytest.mark.replay("{sdk}.ckpt", mock={{"llm": "app.llm"}})
def test_it(replay):
    assert replay.run(Agent("{sdk}").step, "q") == "ok"
"""


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
def test_an_sdk_error_kept_in_the_state_is_refused_with_the_fix_first(
    pytester: pytest.Pytester, sdk: str
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_it=textwrap.dedent(TEST.format(sdk=sdk)))
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    text = " ".join(result.stdout.str().split())
    start = text.index(f"state['last_error'] (an {sdk}.RateLimitError): ")
    message = text[start : text.index("get_state()/load_state() on the agent.", start)]
    assert message.count("only a pickle could store") == 1, message
    assert "API key" not in message, message
    fix = message.index(
        "it is an exception kept as a value (batch(..., return_exceptions=True), "
        "asyncio.gather(..., return_exceptions=True), a structured output's parsing_error), "
        "which only a pickle could store"
    )
    keep = message.index(
        'keep what the test checks of it where it is made, e.g. f"{type(exc).__name__}: {exc}"'
    )
    assert fix < keep, message
    if sdk == "openai":  # (its pickle does not load back: allowing pickles is no fix)
        assert "so allowing pickles would not help: keep what the test checks" in message
        assert "allow pickles if" not in message, message
    else:
        assert keep < message.index("or allow pickles if you trust the file"), message
    assert not (pytester.path / f"{sdk}.ckpt").exists()
