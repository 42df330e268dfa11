"""An SDK client's method given to ``replay.run()`` as the agent
(``replay.run(client.chat.completions.create, ...)``, ``replay.run(client.messages.create,
...)``, ``replay.run(http.get, url)``) made the SDK's resource or client the agent, and its
``__dict__`` the agent's state: the recording was refused at ``state['_get']`` (the resource's
bound ``_get`` of its client), advising to make it JSON-friendly or to give the SDK's class a
``get_state()``. It is now refused before the agent runs, saying what was given and that the
agent must be a function or an object of the project's own."""

from __future__ import annotations

import textwrap

import pytest

TEST = """
import anthropic
import httpx2
import openai
import pytest


def answer(request):
    return httpx2.Response(200, json={{}})


def http():
    return httpx2.Client(transport=httpx2.MockTransport(answer))


@pytest.mark.replay("g.ckpt", mock={{"llm": "{target}"}})
def test_it(replay):
    openai_client = openai.OpenAI(api_key="sk-test", http_client=http())
    anthropic_client = anthropic.Anthropic(api_key="sk-test", http_client=http())
    replay.run({call})
"""

CASES = {
    "openai resource": (
        "openai.resources.chat.completions.Completions.create",
        'openai_client.chat.completions.create, model="m", messages=[]',
        "an openai.resources.chat.completions.completions.Completions, an SDK's resource",
    ),
    "anthropic resource": (
        "anthropic.resources.messages.Messages.create",
        'anthropic_client.messages.create, model="m", max_tokens=5, messages=[]',
        "an anthropic.resources.messages.messages.Messages, an SDK's resource",
    ),
    "openai client": (
        "openai.resources.chat.completions.Completions.create",
        "openai_client.with_options, timeout=3",
        "an openai.OpenAI, an SDK's client",
    ),
    "http client": (
        "httpx2.Client.send",
        'http().get, "https://example.org/"',
        "a httpx2.Client, an HTTP client",
    ),
}


@pytest.mark.parametrize("case", CASES)
def test_an_sdk_method_given_as_the_agent_is_refused_naming_it(
    pytester: pytest.Pytester, case: str
) -> None:
    target, call, given = CASES[case]
    pytester.makepyfile(test_it=textwrap.dedent(TEST.format(target=target, call=call)))
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    text = " ".join(result.stdout.str().split())
    assert (
        f"the agent of replay.run() is {given} (replay.run() was given one of its methods), not "
        "an agent: its state would be the client's settings and connection. The agent must be "
        "a function or an object of your own: give replay.run() a function of your own that "
        "makes the call (def ask(client, question): return client.chat.completions.create(...); "
        "then replay.run(ask, client, question)), or a method of an agent class of your own "
        "that keeps the client, and mock the SDK's method the call reaches" in text
    ), text
    assert "state['_" not in text and "JSON-friendly" not in text, text
    assert not (pytester.path / "g.ckpt").exists()
