"""openai's Responses API with its built-in tools: the output items of provider-side work
(``web_search_call`` with ``url_citation`` annotations, ``file_search_call`` results,
``code_interpreter_call`` with its container and outputs, ``computer_call`` answered by a
``computer_call_output`` screenshot, ``image_generation_call`` with a base64 image, remote MCP's
``mcp_list_tools`` / ``mcp_approval_request`` answered by ``mcp_approval_response``, and
``reasoning`` items with ``encrypted_content`` passed back with ``store=False``; the calls of
the tools the agent runs itself, a ``custom`` grammar tool's, ``shell``'s and ``apply_patch``'s,
answered by their outputs), recorded, replayed, re-recorded byte-identical, and a changed prompt
or item passed back named."""

from __future__ import annotations

import base64
import random
import struct
import zlib

import openai  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack


def _png(width: int, height: int, seed: int) -> bytes:
    """A real PNG of noise (incompressible: a few hundred KB, like a screenshot)."""
    rows = random.Random(seed).randbytes(height * (width * 3 + 1))
    raw = b"".join(
        b"\x00" + rows[i * (width * 3 + 1) + 1 : (i + 1) * (width * 3 + 1)] for i in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


IMAGE = base64.b64encode(_png(320, 240, 1)).decode()  # ~300 KB of base64
ENCRYPTED = (
    "gAAAAABo9vN1Xq3cM0f8Hk2rT7yLwZpQ4aVb6nJdE1uGs9iKoR5tYmC3xW8hF2lNzP7eDgU0jSkA4vB6qO1yI9cLwT3"
    "rM5nHfX8bZ2dJ6gK0pE4sU7aV1mQ9tY3iW5oR8lC2xN6uB0hF4jD7kS1zG9eT3yP5qA8wL2vM6nI0cX4bH7rJ1fO5tU9"
)

# The service answers /v1/responses with text only: the answers holding built-in tool items are
# made here, sealed and counted the same way.
AGENT = f"""
import hashlib
import json
import os

import httpx2
import openai

import services

IMAGE = {IMAGE!r}
ENCRYPTED = {ENCRYPTED!r}


def _seen(request):
    where = f"{{request.method}} {{request.url}}"
    if os.environ.get(services.SEALED_ENV):
        services.OPENAI.violations.append(where)
        raise services.LiveServiceReached(f"the live service was reached during replay: {{where}}")
    body = json.loads(request.content)
    services.OPENAI.requests.append({{"path": request.url.path, "body": body}})
    return body


def _text(text, annotations=()):
    return {{"id": "msg_68e3b0c4d2a0819c", "type": "message", "role": "assistant",
             "status": "completed", "content": [{{"type": "output_text", "text": text,
                                                 "annotations": list(annotations)}}]}}


def _question(body):
    items = body["input"] if isinstance(body["input"], list) else [body["input"]]
    texts = [i if isinstance(i, str) else i.get("content") for i in items]
    return next((t for t in reversed(texts) if isinstance(t, str)), "")


def _passed_back(body, kind):
    items = body["input"] if isinstance(body["input"], list) else []
    return [i for i in items if isinstance(i, dict) and i.get("type") == kind]


def _output(body):
    tools = {{t["type"] for t in body.get("tools") or []}}
    question = _question(body)
    if "web_search" in tools:
        answer = f"Tides at Brest today: high water 06:12 ({{question}})."
        return [
            {{"id": "ws_68e3b0c1a5f4819c", "type": "web_search_call", "status": "completed",
              "action": {{"type": "search", "query": question, "sources": [
                  {{"type": "url", "url": "https://maree.shom.fr/harbor/BREST"}}]}}}},
            _text(answer, [{{"type": "url_citation", "start_index": 0, "end_index": 25,
                             "title": "Marées Brest", "url": "https://maree.shom.fr/harbor/BREST"}}]),
        ]
    if "file_search" in tools:
        return [
            {{"id": "fs_68e3b0c1a5f4819d", "type": "file_search_call", "status": "completed",
              "queries": [question], "results": [
                  {{"file_id": "file-7Qm2nXr4Tb9Lk1Wc", "filename": "tides.pdf", "score": 0.8731,
                    "text": "High water at Brest: 06:12.", "attributes": {{"year": 2026}}}}]}},
            _text("High water 06:12.", [{{"type": "file_citation", "index": 16,
                                          "file_id": "file-7Qm2nXr4Tb9Lk1Wc",
                                          "filename": "tides.pdf"}}]),
        ]
    if "code_interpreter" in tools:
        return [
            {{"id": "ci_68e3b0c1a5f4819e", "type": "code_interpreter_call", "status": "completed",
              "container_id": "cntr_68e3b0bf9c24819083a1f6e2d4c5b7a9",
              "code": "print(sum(range(10)))",
              "outputs": [{{"type": "logs", "logs": "45\\n"}}]}},
            _text(f"The sum is 45 ({{question}}).", [
                {{"type": "container_file_citation", "start_index": 0, "end_index": 10,
                  "container_id": "cntr_68e3b0bf9c24819083a1f6e2d4c5b7a9",
                  "file_id": "cfile_68e3b0c4e8a4819", "filename": "sum.csv"}}]),
        ]
    if "image_generation" in tools:
        return [{{"id": "ig_68e3b0c1a5f4819f", "type": "image_generation_call",
                  "status": "completed", "output_format": "png", "result": IMAGE}}]
    if "computer_use_preview" in tools:
        shots = _passed_back(body, "computer_call_output")
        if shots:
            url = shots[-1]["output"]["image_url"]
            digest = hashlib.sha256(url.encode()).hexdigest()[:12]
            return [_text(f"Saw screenshot {{digest}} of {{len(url)}} characters.")]
        return [{{"id": "cu_68e3b0c1a5f481a0", "type": "computer_call",
                  "call_id": "call_K3vP9mQ2xR7tL1wZ", "status": "completed",
                  "pending_safety_checks": [],
                  "action": {{"type": "click", "button": "left", "x": 412, "y": 88}}}}]
    if "mcp" in tools:
        approvals = _passed_back(body, "mcp_approval_response")
        if approvals:
            if not approvals[-1]["approve"]:
                return [_text("The tide tool was not approved.")]
            return [{{"id": "mcp_68e3b0c1a5f481a2", "type": "mcp_call", "server_label": "tides",
                      "name": "high_water", "arguments": '{{"port": "Brest"}}',
                      "approval_request_id": approvals[-1]["approval_request_id"],
                      "output": "06:12"}}, _text("High water 06:12.")]
        return [
            {{"id": "mcpl_68e3b0c1a5f481a1", "type": "mcp_list_tools", "server_label": "tides",
              "tools": [{{"name": "high_water", "description": "High water at a port.",
                          "input_schema": {{"type": "object", "properties": {{
                              "port": {{"type": "string"}}}}, "required": ["port"]}}}}]}},
            {{"id": "mcpr_68e3b0c1a5f481a3", "type": "mcp_approval_request",
              "server_label": "tides", "name": "high_water", "arguments": '{{"port": "Brest"}}'}},
        ]
    if "custom" in tools:  # the tools the agent runs itself: their calls, then their outputs
        outputs = [i for i in body["input"] if isinstance(i, dict)
                   and i.get("type", "").endswith("_call_output")]
        if outputs:
            return [_text(" | ".join(f"{{o['type']}}={{json.dumps(o['output'])}}"
                                     for o in outputs))]
        return [
            {{"id": "ctc_68e3b0c1a5f481a5", "type": "custom_tool_call", "call_id": "call_C1",
              "name": "tide_calc", "input": "HIGH BREST 2026-12-01", "async": True,
              "caller": {{"type": "program", "caller_id": "prg_68e3b0c1"}}}},
            {{"id": "sh_68e3b0c1a5f481a6", "type": "shell_call", "call_id": "call_S1",
              "status": "completed", "caller": {{"type": "direct"}},
              "action": {{"commands": ["wc -l tides.csv"], "timeout_ms": 2000}}}},
            {{"id": "ap_68e3b0c1a5f481a7", "type": "apply_patch_call", "call_id": "call_P1",
              "status": "completed", "operation": {{"type": "update_file", "path": "tides.csv",
                                                    "diff": "@@\\n-06:10\\n+06:12\\n"}}}},
        ]
    reasoning = _passed_back(body, "reasoning")
    if reasoning:
        kept = reasoning[-1].get("encrypted_content")
        return [_text(f"Reasoning passed back: {{kept == ENCRYPTED}} ({{question}}).")]
    return [{{"id": "rs_68e3b0c1a5f481a4", "type": "reasoning", "encrypted_content": ENCRYPTED,
              "summary": [{{"type": "summary_text", "text": "**Reading the tide table**"}}]}},
            _text(f"Let me think about {{question}}")]


def gpt(request):
    body = _seen(request)
    response = {{
        "id": f"resp_68e3b0bf{{len(str(body['input'])):08x}}", "object": "response",
        "created_at": 1767225600, "model": body["model"], "status": "completed",
        "output": _output(body), "parallel_tool_calls": True, "tool_choice": "auto",
        "tools": body.get("tools") or [], "store": body.get("store", True),
        "usage": {{"input_tokens": 310, "output_tokens": 42, "total_tokens": 352,
                   "input_tokens_details": {{"cached_tokens": 0}},
                   "output_tokens_details": {{"reasoning_tokens": 0}}}}}}
    if not body.get("stream"):
        return httpx2.Response(200, json=response)
    return httpx2.Response(200, headers={{"content-type": "text/event-stream; charset=utf-8"}},
                           content=services._sse(_events(response)))


# the events of each built-in tool's item, as the API streams them
_PROGRESS = {{
    "web_search_call": ["in_progress", "searching", "completed"],
    "file_search_call": ["in_progress", "searching", "completed"],
    "code_interpreter_call": ["in_progress", "interpreting", "completed"],
    "image_generation_call": ["in_progress", "generating", "partial_image", "completed"],
    "mcp_list_tools": ["in_progress", "completed"],
}}


def _events(response):
    events, seq = [], iter(range(10_000))

    def emit(kind, **data):
        events.append((kind, {{"type": kind, "sequence_number": next(seq), **data}}))

    emit("response.created", response=dict(response, status="in_progress", output=[], usage=None))
    for index, item in enumerate(response["output"]):
        kind = item["type"]
        started = dict(item, status="in_progress")
        if kind == "message":
            started["content"] = []
        if kind == "reasoning":
            started["summary"] = []
        if kind == "image_generation_call":
            started["result"] = None
        emit("response.output_item.added", output_index=index, item=started)
        where = dict(item_id=item["id"], output_index=index)
        for step in _PROGRESS.get(kind, []):
            if step == "partial_image":
                emit(f"response.{{kind}}.partial_image", partial_image_index=0,
                     partial_image_b64=item["result"], **where)
            else:
                emit(f"response.{{kind}}.{{step}}", **where)
        if kind == "code_interpreter_call":
            emit("response.code_interpreter_call_code.delta", delta=item["code"], **where)
            emit("response.code_interpreter_call_code.done", code=item["code"], **where)
        for i, summary in enumerate(item.get("summary") or []):
            part = dict(summary, text="")
            emit("response.reasoning_summary_part.added", summary_index=i, part=part, **where)
            emit("response.reasoning_summary_text.delta", summary_index=i, delta=summary["text"],
                 **where)
            emit("response.reasoning_summary_text.done", summary_index=i, text=summary["text"],
                 **where)
            emit("response.reasoning_summary_part.done", summary_index=i, part=summary, **where)
        for c, part in enumerate(item.get("content") or [] if kind == "message" else []):
            at = dict(content_index=c, **where)
            emit("response.content_part.added", part=dict(part, text="", annotations=[]), **at)
            emit("response.output_text.delta", delta=part["text"], logprobs=[], **at)
            for a, annotation in enumerate(part["annotations"]):
                emit("response.output_text.annotation.added", annotation_index=a,
                     annotation=annotation, **at)
            emit("response.output_text.done", text=part["text"], logprobs=[], **at)
            emit("response.content_part.done", part=part, **at)
        emit("response.output_item.done", output_index=index, item=item)
    emit("response.completed", response=response)
    return events


def client():
    return openai.OpenAI(
        http_client=httpx2.Client(transport=httpx2.MockTransport(gpt)), max_retries=0)


def web_search(question):
    r = client().responses.create(model="gpt-5", input=question,
                                  tools=[{{"type": "web_search"}}])
    cited = [a.url for item in r.output if item.type == "message"
             for part in item.content for a in part.annotations]
    return r.output_text, cited, [i.action.query for i in r.output if i.type == "web_search_call"]


def file_search(question):
    r = client().responses.create(
        model="gpt-5", input=question, include=["file_search_call.results"],
        tools=[{{"type": "file_search", "vector_store_ids": ["vs_68e3b0a1c2d3"]}}])
    call = r.output[0]
    return r.output_text, [(x.filename, x.score, x.attributes) for x in call.results]


def code_interpreter(question):
    r = client().responses.create(
        model="gpt-5", input=question,
        tools=[{{"type": "code_interpreter", "container": {{"type": "auto"}}}}])
    call = r.output[0]
    return r.output_text, call.container_id, [o.logs for o in call.outputs]


def image_generation(question):
    r = client().responses.create(model="gpt-5", input=question,
                                  tools=[{{"type": "image_generation"}}])
    return [len(i.result) for i in r.output if i.type == "image_generation_call"]


SCREENSHOT = IMAGE


def screenshot():
    return {{"type": "computer_screenshot", "image_url": "data:image/png;base64," + SCREENSHOT}}


def seen():
    url = screenshot()["image_url"]
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    return f"Saw screenshot {{digest}} of {{len(url)}} characters."


def computer_use(question):
    tools = [{{"type": "computer_use_preview", "display_width": 1024, "display_height": 768,
               "environment": "browser"}}]
    c = client()
    first = c.responses.create(model="computer-use-preview", input=question, tools=tools,
                               truncation="auto")
    call = next(i for i in first.output if i.type == "computer_call")
    second = c.responses.create(
        model="computer-use-preview", previous_response_id=first.id, tools=tools,
        truncation="auto", input=[{{"type": "computer_call_output", "call_id": call.call_id,
                                    "output": screenshot()}}])
    return call.action.x, call.action.y, second.output_text


APPROVE = True


def remote_mcp(question):
    tools = [{{"type": "mcp", "server_label": "tides", "server_url": "https://tides.example/mcp",
               "require_approval": "always"}}]
    c = client()
    first = c.responses.create(model="gpt-5", input=question, tools=tools)
    request = next(i for i in first.output if i.type == "mcp_approval_request")
    listed = [t.name for i in first.output if i.type == "mcp_list_tools" for t in i.tools]
    second = c.responses.create(
        model="gpt-5", previous_response_id=first.id, tools=tools,
        input=[{{"type": "mcp_approval_response", "approval_request_id": request.id,
                 "approve": APPROVE}}])
    return listed, second.output_text


LOCAL_TOOLS = [
    {{"type": "custom", "name": "tide_calc", "description": "Tide arithmetic.",
      "format": {{"type": "grammar", "syntax": "lark", "definition": "start: WORD+"}}}},
    {{"type": "shell"}},
    {{"type": "apply_patch"}},
]


def run_locally(item):
    if item.type == "custom_tool_call":
        return {{"type": "custom_tool_call_output", "call_id": item.call_id, "output": "06:12"}}
    if item.type == "shell_call":
        return {{"type": "shell_call_output", "call_id": item.call_id, "output": [
            {{"stdout": "3 tides.csv\\n", "stderr": "",
              "outcome": {{"type": "exit", "exit_code": 0}}}}]}}
    return {{"type": "apply_patch_call_output", "call_id": item.call_id, "status": "completed",
             "output": f"patched {{item.operation.path}}"}}


def local_tools(question):  # custom, shell and apply_patch: run by the agent, passed back
    c = client()
    items = [{{"role": "user", "content": question}}]
    first = c.responses.create(model="gpt-5", input=items, tools=LOCAL_TOOLS)
    custom = first.output[0]
    outputs = [run_locally(i) for i in first.output]
    second = c.responses.create(model="gpt-5", tools=LOCAL_TOOLS,
                                input=items + list(first.output) + outputs)
    return ([type(i).__name__ for i in first.output], custom.async_, custom.caller.caller_id,
            second.output_text)


def streamed(question, tool):  # the events of create(stream=True), read as they come
    kinds, text, done = [], "", None
    for event in client().responses.create(
            model="gpt-5", input=question, tools=[{{"type": tool}}], stream=True,
            include=["reasoning.encrypted_content"], store=False):
        kinds.append(event.type)
        if event.type == "response.output_text.delta":
            text += event.delta
        if event.type == "response.completed":
            done = event.response
    return text, [item.type for item in done.output], sorted(set(kinds))


def stream_helper(question, tool):  # openai's helper (it calls create(stream=True))
    with client().responses.stream(model="gpt-5", input=question,
                                   tools=[{{"type": tool}}]) as stream:
        for _ in stream:
            pass
        final = stream.get_final_response()
    return final.output_text, [item.type for item in final.output]


def reasoning(question):
    c = client()
    items = [{{"role": "user", "content": question}}]
    first = c.responses.create(model="o4-mini", input=items, store=False,
                               include=["reasoning.encrypted_content"],
                               reasoning={{"summary": "auto"}})
    items += [i.model_dump(exclude_none=True) for i in first.output]
    items.append({{"role": "user", "content": question + " And tomorrow?"}})
    second = c.responses.create(model="o4-mini", input=items, store=False,
                                include=["reasoning.encrypted_content"],
                                reasoning={{"summary": "auto"}})
    return [s.text for s in first.output[0].summary], second.output_text
"""

TEST = """
import pytest

import builtin_agent as app


@pytest.mark.replay(mock={"llm": "openai.resources.responses.Responses.create"})
def test_it():
    assert app.FUNCTION("QUESTION") == EXPECTED
"""


def _stack(make_stack: object, function: str, expected: object, question: str = "Tides?") -> Stack:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "builtin_agent.py").write_text(AGENT)
    test = TEST.replace("FUNCTION", function).replace("QUESTION", question)
    stack.write_test("it", test.replace("EXPECTED", repr(expected)))
    return stack


CASES = {
    "web_search": (
        "Tides at Brest today: high water 06:12 (Tides?).",
        ["https://maree.shom.fr/harbor/BREST"],
        ["Tides?"],
    ),
    "file_search": ("High water 06:12.", [("tides.pdf", 0.8731, {"year": 2026})]),
    "code_interpreter": (
        "The sum is 45 (Tides?).",
        "cntr_68e3b0bf9c24819083a1f6e2d4c5b7a9",
        ["45\n"],
    ),
    "image_generation": [len(IMAGE)],
    "local_tools": (
        ["ResponseCustomToolCall", "ResponseFunctionShellToolCall", "ResponseApplyPatchToolCall"],
        True,
        "prg_68e3b0c1",
        'custom_tool_call_output="06:12" | shell_call_output=[{"stdout": "3 tides.csv\\n", '
        '"stderr": "", "outcome": {"type": "exit", "exit_code": 0}}] | '
        'apply_patch_call_output="patched tides.csv"',
    ),
    "remote_mcp": (["high_water"], "High water 06:12."),
    "reasoning": (
        ["**Reading the tide table**"],
        "Reasoning passed back: True (Tides? And tomorrow?).",
    ),
}


@pytest.mark.parametrize("function", sorted(CASES))
def test_a_built_in_tool_answer_records_replays_and_rerecords_the_same(
    make_stack: object, function: str
) -> None:
    stack = _stack(make_stack, function, CASES[function])
    stack.roundtrip_rerecorded_unchanged()


STREAMED = {
    "web_search": (
        "Tides at Brest today: high water 06:12 (Tides?).",
        ["web_search_call", "message"],
        [
            "response.completed",
            "response.content_part.added",
            "response.content_part.done",
            "response.created",
            "response.output_item.added",
            "response.output_item.done",
            "response.output_text.annotation.added",
            "response.output_text.delta",
            "response.output_text.done",
            "response.web_search_call.completed",
            "response.web_search_call.in_progress",
            "response.web_search_call.searching",
        ],
    ),
    "image_generation": (
        "",
        ["image_generation_call"],
        [
            "response.completed",
            "response.created",
            "response.image_generation_call.completed",
            "response.image_generation_call.generating",
            "response.image_generation_call.in_progress",
            "response.image_generation_call.partial_image",
            "response.output_item.added",
            "response.output_item.done",
        ],
    ),
}


@pytest.mark.parametrize("tool", sorted(STREAMED))
def test_a_streamed_built_in_tool_answer_records_replays_and_rerecords_the_same(
    make_stack: object, tool: str
) -> None:
    stack = _stack(make_stack, "streamed", STREAMED[tool])
    stack.edit("test_it", 'app.streamed("Tides?")', f'app.streamed("Tides?", {tool!r})')
    stack.roundtrip_rerecorded_unchanged()


def test_the_stream_helper_over_built_in_tools_records_and_replays(make_stack: object) -> None:
    expected = ("High water 06:12.", ["file_search_call", "message"])
    stack = _stack(make_stack, "stream_helper", expected)
    stack.edit("test_it", '("Tides?")', '("Tides?", "file_search")')
    stack.roundtrip_rerecorded_unchanged()


def test_a_computer_use_screenshot_is_stored_inline_and_a_changed_one_named(
    make_stack: object,
) -> None:
    """The screenshot answering a ``computer_call`` (a ``computer_call_output`` holding a
    base64 PNG of ~300 KB) is kept in the golden as the ``data:`` URL the agent sent, on one
    line; another screenshot fails the replay naming the call and showing only the part of the
    base64 around the change."""
    stack = _stack(make_stack, "computer_use", (412, 88, None))
    stack.edit("test_it", "(412, 88, None)", "(412, 88, app.seen())")
    golden = stack.roundtrip_rerecorded_unchanged().decode()
    line = next(x for x in golden.splitlines() if "data:image/png;base64," in x)
    assert IMAGE in line  # the whole screenshot, on its line
    changed = "SCREENSHOT = IMAGE[:150000] + 'AAAA' + IMAGE[150004:]"
    stack.edit("builtin_agent", "SCREENSHOT = IMAGE", changed)
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*replay diverged at call #2 to openai.resources.responses.Responses.create*",
            "*root*input*0*output*image_url*: text differs (- before, + after):",
            f"*- ...*{IMAGE[149990:150004]}*",
            f"*+ ...*{IMAGE[149990:150000]}AAAA*",
        ]
    )
    assert max(len(line) for line in result.outlines) < 1000  # not the whole screenshot


def test_a_denied_mcp_approval_is_named(make_stack: object) -> None:
    stack = _stack(make_stack, "remote_mcp", CASES["remote_mcp"])
    stack.record()
    stack.edit("builtin_agent", "APPROVE = True", "APPROVE = False")
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*replay diverged at call #2 to openai.resources.responses.Responses.create*",
            "*root*input*0*approve*: True -> False",
        ]
    )


def test_a_reasoning_item_passed_back_without_its_encrypted_content_is_named(
    make_stack: object,
) -> None:
    """``store=False``: the reasoning item goes back with its ``encrypted_content``; an agent
    that drops it diverges at the second call, naming the field."""
    stack = _stack(make_stack, "reasoning", CASES["reasoning"])
    stack.record()
    stack.edit(
        "builtin_agent",
        "items += [i.model_dump(exclude_none=True) for i in first.output]",
        "items += [i.model_dump(exclude_none=True, exclude={'encrypted_content'})"
        " for i in first.output]",
    )
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*replay diverged at call #2 to openai.resources.responses.Responses.create*",
            f"*root*input*1*encrypted_content*: removed '{ENCRYPTED[:40]}*",
        ]
    )
