"""The SDKs' request options (``timeout=httpx2.Timeout(...)``, ``extra_headers``, a client's
``with_options``) recorded at the SDK method: the goldens name the values' own classes, so a
re-record of an unchanged agent writes the same golden whichever other SDK the session imported."""

from __future__ import annotations

import sys

from .harness import Stack

AGENT = '''
"""An agent on the openai SDK giving the request its own timeout."""
import httpx2


def ask(client, question):
    answer = client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": question}],
        timeout=httpx2.Timeout(12.0, connect=3.0))
    return answer.choices[0].message.content
'''

TEST = """
import pytest

import timeout_agent


@pytest.mark.replay(mock={"llm": "openai.resources.chat.completions.Completions.create"})
def test_ask(openai_client):
    assert timeout_agent.ask(openai_client, "Lisbon?") == "Answer to 'Lisbon?'"
"""

# another test module of the same suite, on both SDKs (openai imported first)
OTHER = """
import openai
import anthropic


def test_other():
    assert openai.OpenAI and anthropic.Anthropic
"""


def test_a_request_timeout_is_stored_by_its_own_class_whichever_sdk_was_imported_last(
    make_stack: object,
) -> None:
    """Both SDKs relabel ``httpx2.Timeout`` as their own (``Timeout.__module__ = "openai"``, then
    ``"anthropic"``): the golden of an openai agent named ``anthropic:Timeout`` after the whole
    suite was recorded, ``openai:Timeout`` after its file alone was, and a re-record of the
    unchanged agent reported its arguments changed."""
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "timeout_agent.py").write_text(AGENT)
    stack.pytester.makepyfile(test_0_other=OTHER)
    stack.write_test("ask", TEST)
    whole = stack.pytester.runpytest_subprocess("--clearstone-record", "-p", "no:randomly")
    whole.assert_outcomes(passed=2)
    golden = stack.path / "goldens" / "test_ask" / "test_ask.ckpt"
    text = golden.read_text()
    assert '"cls": "httpx2:Timeout"' in text, text
    assert "anthropic" not in text
    alone = stack.pytester.runpytest_subprocess("--clearstone-record", "test_ask.py")
    alone.assert_outcomes(passed=1)
    alone.stdout.fnmatch_lines(["*goldens/test_ask/test_ask.ckpt: unchanged*"])
    stack.replay().assert_outcomes(passed=2)
    assert sys.modules["httpx2"].Timeout.__module__ in ("openai", "anthropic")  # (the cause)
