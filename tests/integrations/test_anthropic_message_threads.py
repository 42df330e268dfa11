"""anthropic's message threads (``client.beta.messages.thread(...)``): a thread's ``stream(...)``
answers a ``ThreadMessageStreamManager`` (a subclass of ``BetaMessageStreamManager``) that sends
its request through ``beta.messages.create(..., stream=True)`` when entered. Mocked at
``BetaMessageThread.stream``, it ran live while recording, then was refused as a repr naming
``anthropic.resources.messages.Messages.create`` (not the beta method it sends by) and offering
a pickle of the manager, which holds the client."""

from __future__ import annotations

import anthropic  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

THREADS = "anthropic.lib.threads._beta_threads"
BETA_CREATE = "anthropic.resources.beta.messages.{}Messages.create"

AGENT = """
import asyncio

import anthropic

import services


def threaded(question):
    client = anthropic.Anthropic(http_client=services.ANTHROPIC.client(), max_retries=0)
    thread = client.beta.messages.thread(model="claude-sonnet-4-5", max_tokens=64)
    with thread.stream({"role": "user", "content": question}) as stream:
        text = stream.get_final_text()
    return [text, len(thread.messages)]


def athreaded(question):
    async def run():
        client = anthropic.AsyncAnthropic(http_client=services.ANTHROPIC.async_client(),
                                          max_retries=0)
        thread = client.beta.messages.thread(model="claude-sonnet-4-5", max_tokens=64)
        async with thread.stream({"role": "user", "content": question}) as stream:
            text = await stream.get_final_text()
        return [text, len(thread.messages)]
    return asyncio.run(run())
"""

TEST = """
import pytest

import thread_agent as app


@pytest.mark.replay(mock={"llm": "MOCK"})
def test_it(replay):
    assert replay.run(app.FUNCTION, "Lisbon?") == ["Answer to 'Lisbon?'", 2]
"""


@pytest.mark.parametrize(
    ("function", "prefix"), [("threaded", ""), ("athreaded", "Async")], ids=["sync", "async"]
)
def test_a_threads_stream_helper_is_refused_naming_the_beta_create_which_records(
    make_stack: object, function: str, prefix: str
) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "thread_agent.py").write_text(AGENT)
    helper = f"{THREADS}.Beta{prefix}MessageThread.stream"
    create = BETA_CREATE.format(prefix)
    stack.write_test("it", TEST.replace("MOCK", helper).replace("FUNCTION", function))
    refused = stack.try_record()
    refused.assert_outcomes(failed=1)
    assert not any(line["anthropic"] for line in stack.last_log)  # (refused before it ran)
    out = " ".join(refused.stdout.str().split())
    assert (
        f"cannot serialise the answers of {helper} (an anthropic {prefix}ThreadMessageStream"
        f"Manager): it is the manager that anthropic's stream helper beta.messages.thread(...)"
        f".stream(...) returns, which sends the request when entered and cannot be replayed. "
        f"Keep the helper and mock the SDK method it sends the request through instead, "
        f"{create}, which records and replays" in out
    ), out
    assert "pickle" not in out
    stack.write_test("it", TEST.replace("MOCK", create).replace("FUNCTION", function))
    stack.roundtrip()
