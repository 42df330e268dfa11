"""anthropic's Messages API with provider-side work in the answer: server tools (web search's
``server_tool_use`` and ``web_search_tool_result`` blocks holding ``encrypted_content``, code
execution's result and container), citations on text blocks (``web_search_result_location``
with an ``encrypted_index``, a cited document's ``char_location``), prompt caching
(``cache_control`` on the system prompt and a tool, the cache token counts of ``usage``) and
extended thinking (``thinking`` with a ``signature``, ``redacted_thinking`` with ``data``) passed
back in the next turn; plain and streamed (``stream=True``, and ``messages.stream`` in a
function of one's own). Recorded, replayed, re-recorded byte-identical; a changed prompt or
block passed back is named."""

from __future__ import annotations

import base64
import random
import sys

import anthropic  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

if sys.version_info >= (3, 11):  # langchain-anthropic beside langchain-core 1.8 needs 3.11
    import langchain_anthropic  # noqa: F401


def _opaque(prefix: str, size: int, seed: int) -> str:
    """An opaque value as anthropic writes them (base64 of a binary message)."""
    return prefix + base64.b64encode(random.Random(seed).randbytes(size)).decode()


PAGE = _opaque("EqgfCioIARgBIiQ3YTAw", 1200, 1)  # a search result's encrypted_content
INDEX = _opaque("Eo8BCioIAhgBIiQy", 96, 2)  # a citation's encrypted_index
SIGNATURE = _opaque("ErUBCkYIBRgCIkB", 96, 3)  # a thinking block's signature (a short one)
REDACTED = _opaque("EmwKAhgBEgy3va3p", 400, 4)  # a redacted thinking block's data

AGENT = f"""
import json
import os

import anthropic
import httpx2

import services

PAGE = {PAGE!r}
INDEX = {INDEX!r}
SIGNATURE = {SIGNATURE!r}
REDACTED = {REDACTED!r}
MODEL = "claude-sonnet-4-5"


def _seen(request):
    where = f"{{request.method}} {{request.url}}"
    if os.environ.get(services.SEALED_ENV):
        services.ANTHROPIC.violations.append(where)
        raise services.LiveServiceReached(f"the live service was reached during replay: {{where}}")
    body = json.loads(request.content)
    services.ANTHROPIC.requests.append({{"path": request.url.path, "body": body}})
    return body


def _question(body):
    for message in reversed(body["messages"]):
        if message["role"] != "user":
            continue
        if isinstance(message["content"], str):
            return message["content"]
        texts = [b["text"] for b in message["content"] if b.get("type") == "text"]
        if texts:
            return texts[-1]
    return ""


def _sent_back(body, kind):
    return [b for m in body["messages"] if m["role"] == "assistant"
            and isinstance(m["content"], list) for b in m["content"] if b.get("type") == kind]


def _content(body):
    tools = {{t.get("name") for t in body.get("tools") or []}}
    question = _question(body)
    if body.get("context_management"):  # (a compaction edit: pydantic-ai's AnthropicCompaction)
        if _sent_back(body, "compaction"):
            return [{{"type": "text", "text": "1 compaction(s) sent back"}}]
        return [{{"type": "compaction", "content": "The talk so far.", "encrypted_content": INDEX,
                  "signature": INDEX[::-1]}}, {{"type": "text", "text": f"Answer to {{question}}"}}]
    if "web_search" in tools:
        thought = []
        if (body.get("thinking") or {{}}).get("type") == "enabled":
            thought = [{{"type": "thinking", "thinking": "A tide table.", "signature": SIGNATURE}}]
        if _sent_back(body, "web_search_tool_result"):
            pages = _sent_back(body, "web_search_tool_result")[0]["content"]
            return [{{"type": "text", "text": f"{{len(pages)}} page(s) kept: {{question}}"}}]
        return thought + [
            {{"type": "server_tool_use", "id": "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE",
              "name": "web_search", "input": {{"query": question}}}},
            {{"type": "web_search_tool_result", "tool_use_id": "srvtoolu_01WYG3ziw53XMcoyKL4XcZmE",
              "content": [{{"type": "web_search_result", "url": "https://maree.shom.fr/BREST",
                           "title": "Marées Brest", "encrypted_content": PAGE,
                           "page_age": "December 5, 2026"}}]}},
            {{"type": "text", "text": "High water at Brest is at 06:12.", "citations": [
                {{"type": "web_search_result_location", "url": "https://maree.shom.fr/BREST",
                  "title": "Marées Brest", "encrypted_index": INDEX,
                  "cited_text": "Pleine mer 06:12"}}]}},
        ]
    if "code_execution" in tools:
        return [
            {{"type": "server_tool_use", "id": "srvtoolu_01A2b3C4d5E6f7G8h9I0jK1L",
              "name": "code_execution", "input": {{"code": "print(sum(range(10)))"}}}},
            {{"type": "code_execution_tool_result",
              "tool_use_id": "srvtoolu_01A2b3C4d5E6f7G8h9I0jK1L",
              "content": {{"type": "code_execution_result", "stdout": "45\\n", "stderr": "",
                           "return_code": 0, "content": []}}}},
            {{"type": "text", "text": f"The sum is 45 ({{question}})."}},
        ]
    documents = [b for m in body["messages"] if isinstance(m["content"], list)
                 for b in m["content"] if b.get("type") == "document"]
    if documents:
        source = documents[0]["source"]["data"]
        return [{{"type": "text", "text": "High water is at 06:12.", "citations": [
            {{"type": "char_location", "cited_text": source[:17], "document_index": 0,
              "document_title": documents[0].get("title"), "start_char_index": 0,
              "end_char_index": 17}}]}}]
    if (body.get("thinking") or {{}}).get("type") == "enabled":
        kept = _sent_back(body, "thinking") + _sent_back(body, "redacted_thinking")
        if kept:
            signed = [b.get("signature") == SIGNATURE or b.get("data") == REDACTED for b in kept]
            text = f"{{sum(signed)}} of {{len(kept)}} thought(s) intact"
            return [{{"type": "text", "text": text}}]
        return [
            {{"type": "thinking", "thinking": f"The tide table for {{question}}",
              "signature": SIGNATURE}},
            {{"type": "redacted_thinking", "data": REDACTED}},
            {{"type": "tool_use", "id": "toolu_01T1x2Y3z4A5b6C7d8E9f0G1", "name": "tide_table",
              "input": {{"port": "Brest"}}}},
        ]
    return [{{"type": "text", "text": f"Answer to {{question}}"}}]


def _usage(body, cached):
    usage = {{"input_tokens": 21, "output_tokens": 42, "cache_creation_input_tokens": 0,
              "cache_read_input_tokens": 0, "service_tier": "standard"}}
    if any("cache_control" in b for b in body.get("system") or []):
        usage["cache_read_input_tokens" if cached else "cache_creation_input_tokens"] = 1843
    if any(t.get("name") == "web_search" for t in body.get("tools") or []):
        usage["server_tool_use"] = {{"web_search_requests": 1, "web_fetch_requests": 0}}
    return usage


CACHE = []  # the prompts the service has cached (warm after the first call)


def claude(request):
    body = _seen(request)
    content = _content(body)
    prompt = json.dumps(body.get("system"))
    usage = _usage(body, prompt in CACHE)
    CACHE.append(prompt)
    stop = "tool_use" if any(b["type"] == "tool_use" for b in content) else "end_turn"
    message = {{"id": f"msg_01{{len(json.dumps(body)):022d}}", "type": "message",
                "role": "assistant", "model": body["model"], "content": content,
                "stop_reason": stop, "stop_sequence": None, "usage": usage}}
    if any(t.get("name") == "code_execution" for t in body.get("tools") or []):
        message["container"] = {{"id": "container_011CQEZr8Ls7fhYP2Vt8FEUa",
                                 "expires_at": "2026-12-05T23:05:00Z"}}
    if not body.get("stream"):
        return httpx2.Response(200, json=message)
    return httpx2.Response(200, headers={{"content-type": "text/event-stream"}},
                           content=services._sse(_events(message)))


def _events(message):
    start = dict(message, content=[], stop_reason=None)
    events = [("message_start", {{"type": "message_start", "message": start}})]
    for i, block in enumerate(message["content"]):
        kind = block["type"]
        empty = {{"text": dict(block, text="", citations=None),
                  "thinking": dict(block, thinking="", signature=""),
                  "server_tool_use": dict(block, input={{}}),
                  "tool_use": dict(block, input={{}})}}.get(kind, block)
        events.append(("content_block_start", {{"type": "content_block_start", "index": i,
                                               "content_block": empty}}))
        deltas = []
        if kind == "text":
            deltas = [{{"type": "citations_delta", "citation": c}}
                      for c in block.get("citations") or []]
            words = block["text"].split(" ")
            deltas += [{{"type": "text_delta", "text": w if not j else " " + w}}
                       for j, w in enumerate(words)]
        elif kind == "thinking":
            deltas = [{{"type": "thinking_delta", "thinking": block["thinking"]}},
                      {{"type": "signature_delta", "signature": block["signature"]}}]
        elif kind in ("server_tool_use", "tool_use"):
            deltas = [{{"type": "input_json_delta", "partial_json": json.dumps(block["input"])}}]
        events += [("content_block_delta", {{"type": "content_block_delta", "index": i,
                                             "delta": d}}) for d in deltas]
        events.append(("content_block_stop", {{"type": "content_block_stop", "index": i}}))
    events.append(("message_delta", {{"type": "message_delta", "delta": {{
        "stop_reason": message["stop_reason"], "stop_sequence": None}},
        "usage": dict(message["usage"], input_tokens=message["usage"]["input_tokens"])}}))
    events.append(("message_stop", {{"type": "message_stop"}}))
    return events


def client():
    return anthropic.Anthropic(
        http_client=httpx2.Client(transport=httpx2.MockTransport(claude)), max_retries=0)


WEB_SEARCH = [{{"type": "web_search_20250305", "name": "web_search", "max_uses": 3}}]


def web_search(question, stream=False):
    c = client()
    messages = [{{"role": "user", "content": question}}]
    first = _create(c, stream, model=MODEL, max_tokens=1024, messages=messages, tools=WEB_SEARCH)
    cited = [(x.url, x.cited_text) for b in first.content if b.type == "text"
             for x in b.citations or []]
    messages += [{{"role": "assistant", "content": first.content}},
                 {{"role": "user", "content": "And tomorrow?"}}]
    second = _create(c, stream, model=MODEL, max_tokens=1024, messages=messages, tools=WEB_SEARCH)
    return cited, first.usage.server_tool_use.web_search_requests, second.content[0].text


def code_execution(question):
    r = client().messages.create(
        model=MODEL, max_tokens=1024, messages=[{{"role": "user", "content": question}}],
        tools=[{{"type": "code_execution_20250825", "name": "code_execution"}}])
    result = next(b for b in r.content if b.type == "code_execution_tool_result")
    return result.content.stdout, r.container.id, r.content[-1].text


DOCUMENT = "Pleine mer 06:12, basse mer 12:31. Coefficient 87."


def cited_document(question):
    source = {{"type": "text", "media_type": "text/plain", "data": DOCUMENT}}
    document = {{"type": "document", "source": source, "title": "Marées",
                 "citations": {{"enabled": True}}}}
    r = client().messages.create(model=MODEL, max_tokens=1024, messages=[
        {{"role": "user", "content": [document, {{"type": "text", "text": question}}]}}])
    return [(c.cited_text, c.start_char_index, c.end_char_index)
            for c in r.content[0].citations]


SYSTEM = "You read tide tables. " + "Port data follows. " * 200
PORT = {{"type": "object", "properties": {{"port": {{"type": "string"}}}}}}
TIDE_TABLE = {{"name": "tide_table", "description": "The tide table of a port.",
               "input_schema": PORT}}


def cached(questions):
    c = client()
    usages = []
    for question in questions:
        r = c.messages.create(
            model=MODEL, max_tokens=256,
            system=[{{"type": "text", "text": SYSTEM, "cache_control": {{"type": "ephemeral"}}}}],
            tools=[dict(TIDE_TABLE, cache_control={{"type": "ephemeral", "ttl": "1h"}})],
            messages=[{{"role": "user", "content": question}}])
        usages.append((r.usage.cache_creation_input_tokens, r.usage.cache_read_input_tokens))
    return usages


def _keep(block):
    return block


def thinking(question, stream=False):
    c = client()
    kwargs = dict(model=MODEL, max_tokens=2048, tools=[TIDE_TABLE],
                  thinking={{"type": "enabled", "budget_tokens": 1024}})
    messages = [{{"role": "user", "content": question}}]
    first = _create(c, stream, messages=messages, **kwargs)
    use = next(b for b in first.content if b.type == "tool_use")
    messages += [{{"role": "assistant", "content": [_keep(b) for b in first.content]}},
                 {{"role": "user", "content": [{{"type": "tool_result", "tool_use_id": use.id,
                                                "content": "06:12"}}]}}]
    second = _create(c, stream, messages=messages, **kwargs)
    return [b.type for b in first.content], second.content[-1].text


def _create(c, stream, **kwargs):
    if not stream:
        return c.messages.create(**kwargs)
    return read_stream(c.messages.create(stream=True, **kwargs))


def read_stream(events):
    message, blocks, partial = None, [], {{}}
    for event in events:
        if event.type == "message_start":
            message = event.message.model_dump(exclude_none=True)
        elif event.type == "content_block_start":
            blocks.append(event.content_block.model_dump(exclude_none=True))
        elif event.type == "content_block_delta":
            block, delta = blocks[event.index], event.delta
            if delta.type == "text_delta":
                block["text"] += delta.text
            elif delta.type == "citations_delta":
                block.setdefault("citations", []).append(delta.citation.model_dump())
            elif delta.type == "thinking_delta":
                block["thinking"] += delta.thinking
            elif delta.type == "signature_delta":
                block["signature"] = delta.signature
            elif delta.type == "input_json_delta":
                partial[event.index] = partial.get(event.index, "") + delta.partial_json
        elif event.type == "content_block_stop" and event.index in partial:
            blocks[event.index]["input"] = json.loads(partial.pop(event.index))
        elif event.type == "message_delta":
            message.update(stop_reason=event.delta.stop_reason)
    return anthropic.types.Message.model_validate(dict(message, content=blocks))


def streamed_search(question):  # (mocked itself: the helper sends its request itself)
    c = client()
    with c.messages.stream(model=MODEL, max_tokens=1024, tools=WEB_SEARCH,
                           messages=[{{"role": "user", "content": question}}]) as stream:
        return stream.get_final_message()


def thinking_events(question):  # (mocked itself: the stream helper's events, as it read them)
    c = client()
    with c.messages.stream(model=MODEL, max_tokens=2048, tools=[TIDE_TABLE],
                           thinking={{"type": "enabled", "budget_tokens": 1024}},
                           messages=[{{"role": "user", "content": question}}]) as stream:
        return list(stream)


def thought_with_helper(question):
    events = thinking_events(question)
    kinds = [e.type for e in events if e.type in ("thinking", "signature", "input_json")]
    return kinds, events[-1].message.content[0].signature == SIGNATURE


def search_with_helper(question):
    final = streamed_search(question)
    pages = [r.url for b in final.content if b.type == "web_search_tool_result" for r in b.content]
    return pages, final.content[-1].citations[0].encrypted_index == INDEX
"""

TEST = """
import pytest

import server_tools_agent as app


@pytest.mark.replay(mock={"llm": "MOCK"})
def test_it():
    assert CALL == EXPECTED
"""

CREATE = "anthropic.resources.messages.Messages.create"


def _stack(make_stack: object, call: str, expected: object, mock: str = CREATE) -> Stack:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "server_tools_agent.py").write_text(AGENT)
    test = TEST.replace("MOCK", mock).replace("CALL", call)
    stack.write_test("it", test.replace("EXPECTED", repr(expected)))
    return stack


CASES = {
    "web_search": (
        'app.web_search("Tides?")',
        (
            [("https://maree.shom.fr/BREST", "Pleine mer 06:12")],
            1,
            "1 page(s) kept: And tomorrow?",
        ),
    ),
    "code_execution": (
        'app.code_execution("Sum?")',
        ("45\n", "container_011CQEZr8Ls7fhYP2Vt8FEUa", "The sum is 45 (Sum?)."),
    ),
    "web_search_streamed": (
        'app.web_search("Tides?", stream=True)',
        (
            [("https://maree.shom.fr/BREST", "Pleine mer 06:12")],
            1,
            "1 page(s) kept: And tomorrow?",
        ),
    ),
    "messages_stream_in_a_function": (
        'app.search_with_helper("Tides?")',
        (["https://maree.shom.fr/BREST"], True),
        "server_tools_agent.streamed_search",
    ),
    "messages_stream_events_in_a_function": (
        'app.thought_with_helper("Brest?")',
        (["thinking", "signature", "input_json"], True),
        "server_tools_agent.thinking_events",
    ),
    "cache_control": ('app.cached(["Brest?", "Roscoff?"])', [(1843, 0), (0, 1843)]),
    "cited_document": ('app.cited_document("When?")', [("Pleine mer 06:12,", 0, 17)]),
    "thinking": (
        'app.thinking("Brest?")',
        (["thinking", "redacted_thinking", "tool_use"], "2 of 2 thought(s) intact"),
    ),
    "thinking_streamed": (
        'app.thinking("Brest?", stream=True)',
        (["thinking", "redacted_thinking", "tool_use"], "2 of 2 thought(s) intact"),
    ),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_server_tool_answer_records_replays_and_rerecords_the_same(
    make_stack: object, case: str
) -> None:
    stack = _stack(make_stack, *CASES[case])
    stack.roundtrip_rerecorded_unchanged()


def test_a_changed_thinking_block_passed_back_is_named(make_stack: object) -> None:
    stack = _stack(make_stack, *CASES["thinking"])
    stack.record()
    stack.edit(
        "server_tools_agent",
        "def _keep(block):\n    return block",
        "def _keep(block):\n    if block.type == 'redacted_thinking':\n"
        "        return block.model_copy(update={'data': block.data[:-8] + 'AAAAAAA='})\n"
        "    return block",
    )
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayDivergenceError: replay diverged at call #2 to anthropic.resources.messages."
            "Messages.create*its arguments differ*",
            "*root*messages*1*content*1*.data: text differs (- before, + after):",
            "*- ...*==",
            "*+ ...*AAAAAAA=",
        ]
    )


def test_server_tool_blocks_left_out_of_the_next_turn_are_named(make_stack: object) -> None:
    stack = _stack(make_stack, *CASES["web_search"])
    stack.record()
    stack.edit(
        "server_tools_agent",
        '{"role": "assistant", "content": first.content}',
        '{"role": "assistant", "content": [b for b in first.content if b.type == "text"]}',
    )
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*replay diverged at call #2 to anthropic.resources.messages.Messages.create*",
            "*root*messages*1*content*0*: removed ServerToolUseBlock(*",
            "*root*messages*1*content*1*: removed WebSearchToolResultBlock(*",
        ]
    )


LANGCHAIN_TEST = """
import httpx2
import pytest
from langchain_anthropic import ChatAnthropic, chat_models

import server_tools_agent as app


@pytest.fixture(autouse=True)
def _claude_over_the_fake_service(monkeypatch):
    # ChatAnthropic takes no http_client: it builds its anthropic client on this helper's
    monkeypatch.setattr(chat_models, "_get_default_httpx_client",
                        lambda **kwargs: httpx2.Client(transport=httpx2.MockTransport(app.claude)))


@pytest.mark.replay(mock={"llm": "langchain_anthropic.ChatAnthropic.invoke"})
def test_it():
    llm = ChatAnthropic(model="claude-sonnet-4-5", max_retries=0, output_version="v1",
                        thinking={"type": "enabled", "budget_tokens": 1024}
                        ).bind_tools(app.WEB_SEARCH)
    first = llm.invoke("Tides?")
    kinds = [b["type"] for b in first.content]
    assert kinds == ["reasoning", "server_tool_call", "server_tool_result", "text"]
    assert first.content[3]["annotations"][0]["extras"]["encrypted_index"] == app.INDEX
    second = llm.invoke(["Tides?", first, "And tomorrow?"])
    assert second.text == "1 page(s) kept: And tomorrow?"
"""


@pytest.mark.skipif(sys.version_info < (3, 11), reason="langchain 1.x: Python 3.11+")
def test_langchain_standard_blocks_of_a_web_search_answer_record_and_replay(
    make_stack: object,
) -> None:
    """``ChatAnthropic(output_version="v1")`` answers LangChain's standard content blocks, which
    keep the thinking block's ``signature`` and the citation's ``encrypted_index`` in their
    ``extras``: the recording was refused ("values that look like secrets ...
    ['extras']['encrypted_index']"), in the answer and in the next turn's input."""
    pytest.importorskip("langchain_anthropic")
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "server_tools_agent.py").write_text(AGENT)
    stack.write_test("it", LANGCHAIN_TEST)
    stack.roundtrip()  # (a re-record differs by the lc_run-- ids LangChain draws per live call)
    assert INDEX in stack.goldens()[0].read_text()


PYDANTIC_AI_TEST = """
import httpx2
import pytest
from pydantic_ai import Agent
from pydantic_ai.models.anthropic import AnthropicCompaction, AnthropicModel
from pydantic_ai.providers.anthropic import AnthropicProvider

import server_tools_agent as app


@pytest.mark.replay(mock={"llm": "pydantic_ai.models.anthropic.AnthropicModel.request"})
def test_it():
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(app.claude))
    model = AnthropicModel("claude-sonnet-5-5", provider=AnthropicProvider(http_client=http))
    agent = Agent(model, capabilities=[AnthropicCompaction(token_threshold=50_000)])
    first = agent.run_sync("Tides?")
    second = agent.run_sync("Go on.", message_history=first.all_messages())
    assert second.output == "1 compaction(s) sent back"
"""


def test_a_pydantic_ai_compaction_part_records_and_replays(make_stack: object) -> None:
    """pydantic-ai's ``AnthropicCompaction`` keeps the compaction block's ``encrypted_content``
    and ``signature`` in its ``CompactionPart.provider_details``: there the recording was
    refused ("values that look like secrets ... provider_details['encrypted_content']")."""
    pytest.importorskip("pydantic_ai.models.anthropic")
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "server_tools_agent.py").write_text(AGENT)
    stack.write_test("it", PYDANTIC_AI_TEST)
    stack.roundtrip_rerecorded_unchanged()
