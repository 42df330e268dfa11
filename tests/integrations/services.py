"""Local stand-ins for the OpenAI and Anthropic HTTP APIs, answered through ``MockTransport``.

The real SDKs (``openai`` 3.x and ``anthropic`` 2.x talk through ``httpx2``; LangChain and
pydantic-ai reuse those SDKs) are pointed at these services by giving them an ``httpx2`` client
whose transport is :class:`httpx2.MockTransport`::

    client = openai.OpenAI(http_client=OPENAI.client(), max_retries=0)

Answers are the real APIs' JSON, deterministic, and depend on the request (they echo the last
user message), so a changed prompt gives a changed answer. A user message containing ``[429]``
or a model name containing ``busy`` is answered with the API's real rate-limit error; a streamed
chat completion of a model whose name contains ``broken-stream`` loses its connection after
three chunks.

Each service counts its requests and keeps their bodies. It is *sealed* while the environment
variable ``CLEARSTONE_SERVICES_SEALED`` is set (the harness sets it for replay runs): any request
then records a violation and raises :class:`LiveServiceReached`, a ``BaseException`` so that no
SDK retry loop or agent ``except Exception`` can swallow it. A conftest hook also fails the test
when a violation was recorded (see ``CONFTEST`` in ``harness.py``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import heapq
import json
import os
import re
import struct
from collections.abc import Callable
from typing import Any

import anyio.to_thread
import httpx2

SEALED_ENV = "CLEARSTONE_SERVICES_SEALED"
CREATED = 1_767_225_600  # 2026-01-01T00:00:00Z, so answers do not depend on the clock
#: what ``/v1/models`` lists (a page of the SDKs' ``models.list()``)
MODELS = ("gpt-4o-mini", "gpt-4o")
CLAUDE_MODELS = ("claude-sonnet-4-5", "claude-haiku-4-5")


class LiveServiceReached(BaseException):
    """The live service was reached during replay."""


class _BrokenBody(httpx2.SyncByteStream, httpx2.AsyncByteStream):
    """An event stream whose connection drops after its first events (read by a sync or an
    async client)."""

    def __init__(self, body: bytes, events: int) -> None:
        self.parts = [part + b"\n\n" for part in body.split(b"\n\n") if part][:events]

    def __iter__(self) -> Any:
        yield from self.parts
        raise httpx2.RemoteProtocolError("peer closed connection without sending complete body")

    async def __aiter__(self) -> Any:
        for part in self.parts:
            yield part
        raise httpx2.RemoteProtocolError("peer closed connection without sending complete body")


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:24]


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):  # content parts: [{"type": "text", "text": ...}, ...]
        return " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
    return ""


def _sse(events: list[tuple[str | None, Any]]) -> bytes:
    lines = []
    for event, data in events:
        if event is not None:
            lines.append(f"event: {event}")
        lines.append("data: " + (data if isinstance(data, str) else json.dumps(data)))
        lines.append("")
    return ("\n".join(lines) + "\n").encode()


class _Service:
    name = "service"

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.violations: list[str] = []

    # -- transport ------------------------------------------------------------------------------

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        where = f"{request.method} {request.url}"
        if os.environ.get(SEALED_ENV):
            self.violations.append(where)
            raise LiveServiceReached(
                f"the live service was reached during replay: {self.name} {where}"
            )
        body = json.loads(request.content or b"{}")
        self.requests.append({"path": request.url.path, "body": body})
        return self.route(request, body)

    def route(self, request: httpx2.Request, body: dict[str, Any]) -> httpx2.Response:
        raise NotImplementedError

    def transport(self) -> httpx2.MockTransport:
        return httpx2.MockTransport(self.handler)

    def client(self) -> httpx2.Client:
        return httpx2.Client(transport=self.transport())

    def async_client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=self.transport())

    def reset(self) -> None:
        self.requests.clear()
        self.violations.clear()


class FakeOpenAI(_Service):
    """``/v1/chat/completions`` (text, tool calls, SSE streaming), ``/v1/responses`` (plain and
    streaming), ``/v1/responses/input_tokens`` (a count) and ``/v1/responses/compact`` (an
    encrypted compaction), ``/v1/models`` (one page) and the 429 rate-limit error."""

    name = "FakeOpenAI"

    def route(self, request: httpx2.Request, body: dict[str, Any]) -> httpx2.Response:
        path = request.url.path
        if path.endswith("/chat/completions"):
            return self.chat(body)
        if path.endswith("/responses"):
            return self.responses(body)
        if path.endswith("/responses/compact"):  # the conversation, compacted (encrypted)
            key = _digest(json.dumps(body, sort_keys=True))
            return httpx2.Response(
                200,
                json={
                    "id": f"resp_cmp_{key[:24]}",
                    "object": "response.compaction",
                    "created_at": CREATED,
                    "output": [
                        {"id": f"cmp_{key[:24]}", "type": "compaction",
                         "encrypted_content": f"gAAAAA{key}{key}"},
                    ],
                    "usage": {"input_tokens": 40, "output_tokens": 10, "total_tokens": 50,
                              "input_tokens_details": {"cached_tokens": 0},
                              "output_tokens_details": {"reasoning_tokens": 0}},
                },
            )  # fmt: skip
        if path.endswith("/responses/input_tokens"):  # what the input would count, not sent
            return httpx2.Response(
                200,
                json={
                    "object": "response.input_tokens",
                    "input_tokens": len(json.dumps(body.get("input", ""))) // 4,
                },
            )
        if path.endswith("/moderations"):  # the categories named as the API names them
            return self.moderations(body)
        if path.endswith("/embeddings"):
            return self.embeddings(body)
        if path.endswith("/models"):
            return httpx2.Response(
                200,
                json={
                    "object": "list",
                    "data": [
                        {"id": model, "object": "model", "created": CREATED, "owned_by": "openai"}
                        for model in MODELS
                    ],
                },
            )
        return httpx2.Response(
            404,
            json={
                "error": {
                    "message": f"Unknown path {path}",
                    "type": "invalid_request_error",
                    "param": None,
                    "code": "unknown_url",
                }
            },
        )

    # -- answers --------------------------------------------------------------------------------

    @staticmethod
    def embeddings(body: dict[str, Any]) -> httpx2.Response:
        """Each input's vector (``dimensions``, else 12, numbers): its words of four letters or
        more counted on the axes their digests pick, scaled to length 1, so texts sharing words
        are near; as base64 float32 numbers with ``encoding_format="base64"`` (the SDK's
        default), as the API does.
        An input of token ids (``OpenAIEmbeddings`` with its defaults) counts the ids."""
        inputs = body["input"] if isinstance(body["input"], list) else [body["input"]]
        if inputs and isinstance(inputs[0], int):  # (one text's token ids)
            inputs = [inputs]
        dims = int(body.get("dimensions") or 12)
        data = []
        for i, item in enumerate(inputs):
            words = re.findall(r"[a-z]{4,}", item.lower()) if isinstance(item, str) else item
            vector = [0.0] * dims
            for word in words:
                vector[int(_digest(str(word))[:8], 16) % dims] += 1.0
            norm = sum(v * v for v in vector) ** 0.5 or 1.0
            vector = [v / norm for v in vector]
            if body.get("encoding_format") == "base64":
                packed = struct.pack(f"<{dims}f", *vector)
                data.append(
                    {
                        "object": "embedding",
                        "index": i,
                        "embedding": base64.b64encode(packed).decode(),
                    }
                )
            else:
                data.append(
                    {
                        "object": "embedding",
                        "index": i,
                        "embedding": [
                            float(struct.unpack("<f", struct.pack("<f", v))[0]) for v in vector
                        ],
                    }
                )
        tokens = sum(len(str(item).split()) for item in inputs)
        return httpx2.Response(
            200,
            json={
                "object": "list",
                "data": data,
                "model": body.get("model", "text-embedding-3-small"),
                "usage": {"prompt_tokens": tokens, "total_tokens": tokens},
            },
        )

    @staticmethod
    def moderations(body: dict[str, Any]) -> httpx2.Response:
        text = json.dumps(body.get("input", ""))
        names = ["harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
                 "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions",
                 "sexual", "sexual/minors", "violence", "violence/graphic"]  # fmt: skip
        flagged = {name: name == "violence" and "[violent]" in text for name in names}
        result = {
            "flagged": any(flagged.values()),
            "categories": flagged,
            "category_scores": {name: 0.91 if flagged[name] else 0.0012 for name in names},
            "category_applied_input_types": {name: ["text"] for name in names},
        }
        key = _digest(text)
        return httpx2.Response(
            200,
            headers={"x-request-id": f"req_{key}"},
            json={"id": f"modr-{key[:24]}", "model": "omni-moderation-latest", "results": [result]},
        )

    @staticmethod
    def answer_for(messages: list[dict[str, Any]]) -> str:
        users = [_text_of(m.get("content")) for m in messages if m.get("role") == "user"]
        last = users[-1] if users else ""
        tool_results = [_text_of(m.get("content")) for m in messages if m.get("role") == "tool"]
        if tool_results:
            return f"Answer to '{last}' using " + "; ".join(tool_results)
        return f"Answer to '{last}'"

    def rate_limited(self, request_id: str) -> httpx2.Response:
        return httpx2.Response(
            429,
            headers={
                "x-request-id": f"req_{request_id}",
                "retry-after": "20",
                "x-ratelimit-limit-requests": "500",
                "x-ratelimit-remaining-requests": "0",
                "x-ratelimit-reset-requests": "20s",
            },
            json={
                "error": {
                    "message": "Rate limit reached for gpt-4o-mini in organization org-test on "
                    "requests per min (RPM): Limit 500, Used 500, Requested 1. Please try "
                    "again in 20s.",
                    "type": "requests",
                    "param": None,
                    "code": "rate_limit_exceeded",
                }
            },
        )

    def chat(self, body: dict[str, Any]) -> httpx2.Response:
        messages = body.get("messages", [])
        key = _digest(json.dumps(body, sort_keys=True))
        headers = {"x-request-id": f"req_{key}", "openai-processing-ms": "12"}
        model = body.get("model", "gpt-4o-mini")
        if "busy" in model or "[429]" in json.dumps(messages):
            return self.rate_limited(key)
        tools = body.get("tools") or []
        answered = any(m.get("role") == "tool" for m in messages)
        tool_calls = []
        # an output tool (pydantic-ai's structured output): called alone, with the answer
        output = [
            t
            for t in tools
            if "confident" in t["function"].get("parameters", {}).get("properties", {})
        ]
        if output and not answered:
            args = {"answer": self.answer_for(messages), "confident": True}
            tools = []
            tool_calls.append(
                {
                    "id": f"call_{_digest(key, 'output')[:20]}",
                    "type": "function",
                    "function": {
                        "name": output[0]["function"]["name"],
                        "arguments": json.dumps(args),
                    },
                }
            )
        if tools and not answered:
            last = _text_of(messages[-1].get("content")) if messages else ""
            for i, tool in enumerate(tools[:2]):
                name = tool["function"]["name"]
                tool_calls.append(
                    {
                        "id": f"call_{_digest(key, str(i))[:20]}",
                        "type": "function",
                        "function": {
                            "name": name,
                            "arguments": json.dumps({"query": f"{last} #{i}"}),
                        },
                    }
                )
        content = None if tool_calls else self.answer_for(messages)
        prompted = any(  # a JSON schema in the instructions (pydantic-ai's PromptedOutput)
            '"confident"' in _text_of(m.get("content"))
            for m in messages
            if m.get("role") in ("system", "developer")
        )
        schema = (body.get("response_format") or {}).get("type") == "json_schema"
        if content is not None and (schema or prompted):
            content = json.dumps({"answer": content, "confident": True})  # structured output
        usage = {
            "prompt_tokens": len(json.dumps(messages)) // 4,
            "completion_tokens": len(content or "") // 4 + 5 * len(tool_calls),
            "prompt_tokens_details": {"cached_tokens": 0, "audio_tokens": 0},
            "completion_tokens_details": {
                "reasoning_tokens": 0,
                "audio_tokens": 0,
                "accepted_prediction_tokens": 0,
                "rejected_prediction_tokens": 0,
            },
        }
        usage["total_tokens"] = usage["prompt_tokens"] + usage["completion_tokens"]
        finish = "tool_calls" if tool_calls else "stop"
        if body.get("stream"):
            chunks = self._chat_chunks(
                key, model, content, tool_calls, finish, usage, body.get("stream_options") or {}
            )
            sse_headers = {**headers, "content-type": "text/event-stream; charset=utf-8"}
            if "broken-stream" in model:  # the connection drops after three chunks
                return httpx2.Response(200, headers=sse_headers, stream=_BrokenBody(chunks, 3))
            return httpx2.Response(200, headers=sse_headers, content=chunks)
        message: dict[str, Any] = {
            "role": "assistant",
            "content": content,
            "refusal": None,
            "annotations": [],
        }
        if tool_calls:
            message["tool_calls"] = tool_calls
        return httpx2.Response(
            200,
            headers=headers,
            json={
                "id": f"chatcmpl-{key}",
                "object": "chat.completion",
                "created": CREATED,
                "model": model,
                "choices": [
                    {"index": 0, "message": message, "logprobs": None, "finish_reason": finish}
                ],
                "usage": usage,
                "service_tier": "default",
                "system_fingerprint": "fp_clearstone",
            },
        )

    @staticmethod
    def _chat_chunks(
        key: str,
        model: str,
        content: str | None,
        tool_calls: list[dict[str, Any]],
        finish: str,
        usage: dict[str, Any],
        stream_options: dict[str, Any],
    ) -> bytes:
        def chunk(
            delta: dict[str, Any], finish_reason: str | None = None, **extra: Any
        ) -> tuple[None, dict[str, Any]]:
            return None, {
                "id": f"chatcmpl-{key}",
                "object": "chat.completion.chunk",
                "created": CREATED,
                "model": model,
                "service_tier": "default",
                "system_fingerprint": "fp_clearstone",
                "choices": [
                    {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}
                ],
                **extra,
            }

        events = [
            chunk(
                {
                    "role": "assistant",
                    "content": "" if content is not None else None,
                    "refusal": None,
                }
            )
        ]
        if content is not None:
            words = content.split(" ")
            for i, word in enumerate(words):
                events.append(chunk({"content": word if i == 0 else " " + word}))
        for i, call in enumerate(tool_calls):
            events.append(
                chunk(
                    {
                        "tool_calls": [
                            {
                                "index": i,
                                "id": call["id"],
                                "type": "function",
                                "function": {"name": call["function"]["name"], "arguments": ""},
                            }
                        ]
                    }
                )
            )
            events.append(
                chunk(
                    {
                        "tool_calls": [
                            {"index": i, "function": {"arguments": call["function"]["arguments"]}}
                        ]
                    }
                )
            )
        events.append(chunk({}, finish))
        if stream_options.get("include_usage"):
            _, last = chunk({})
            last["choices"] = []
            last["usage"] = usage
            events.append((None, last))
        events.append((None, "[DONE]"))
        return _sse(events)

    def responses(self, body: dict[str, Any]) -> httpx2.Response:
        raw_input = body.get("input", "")
        if isinstance(raw_input, str):
            messages = [{"role": "user", "content": raw_input}]
        else:
            messages = [
                {
                    "role": m.get("role", "user"),
                    "content": _text_of(m.get("content"))
                    if not isinstance(m.get("content"), list)
                    else " ".join(str(p.get("text", "")) for p in m["content"]),
                }
                for m in raw_input
                if isinstance(m, dict)
            ]
        key = _digest(json.dumps(body, sort_keys=True))
        headers = {"x-request-id": f"req_{key}"}
        if "busy" in body.get("model", "") or "[429]" in json.dumps(raw_input):
            return self.rate_limited(key)
        text = self.answer_for(messages)
        if body.get("instructions"):
            text += f" (instructions: {len(body['instructions'])} chars)"
        if ((body.get("text") or {}).get("format") or {}).get("type") == "json_schema":
            text = json.dumps({"answer": text, "confident": True})  # structured output (parse)
        model = body.get("model", "gpt-4o-mini")
        item = {
            "id": f"msg_{key}",
            "type": "message",
            "status": "completed",
            "role": "assistant",
            "content": [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}],
        }
        usage = {
            "input_tokens": len(json.dumps(raw_input)) // 4,
            "input_tokens_details": {"cached_tokens": 0},
            "output_tokens": len(text) // 4,
            "output_tokens_details": {"reasoning_tokens": 0},
        }
        usage["total_tokens"] = usage["input_tokens"] + usage["output_tokens"]

        def response(
            status: str, output: list[dict[str, Any]], use: dict[str, Any] | None
        ) -> dict[str, Any]:
            return {
                "id": f"resp_{key}",
                "object": "response",
                "created_at": CREATED,
                "status": status,
                "background": False,
                "error": None,
                "incomplete_details": None,
                "instructions": body.get("instructions"),
                "max_output_tokens": None,
                "model": model,
                "output": output,
                "parallel_tool_calls": True,
                "previous_response_id": None,
                "reasoning": {"effort": None, "summary": None},
                "service_tier": "default",
                "store": True,
                "temperature": body.get("temperature", 1.0),
                "text": {"format": {"type": "text"}, "verbosity": "medium"},
                "tool_choice": "auto",
                "tools": [],
                "top_p": 1.0,
                "truncation": "disabled",
                "usage": use,
                "user": None,
                "metadata": {},
            }

        if not body.get("stream"):
            return httpx2.Response(200, headers=headers, json=response("completed", [item], usage))
        seq = iter(range(1000))
        part_empty = {"type": "output_text", "text": "", "annotations": [], "logprobs": []}
        item_empty = {**item, "status": "in_progress", "content": []}
        events: list[tuple[str | None, Any]] = []

        def emit(kind: str, **data: Any) -> None:
            events.append((kind, {"type": kind, "sequence_number": next(seq), **data}))

        emit("response.created", response=response("in_progress", [], None))
        emit("response.in_progress", response=response("in_progress", [], None))
        emit("response.output_item.added", output_index=0, item=item_empty)
        emit(
            "response.content_part.added",
            item_id=item["id"],
            output_index=0,
            content_index=0,
            part=part_empty,
        )
        words = text.split(" ")
        for i, word in enumerate(words):
            emit(
                "response.output_text.delta",
                item_id=item["id"],
                output_index=0,
                content_index=0,
                delta=word if i == 0 else " " + word,
                logprobs=[],
            )
        emit(
            "response.output_text.done",
            item_id=item["id"],
            output_index=0,
            content_index=0,
            text=text,
            logprobs=[],
        )
        emit(
            "response.content_part.done",
            item_id=item["id"],
            output_index=0,
            content_index=0,
            part=item["content"][0],
        )
        emit("response.output_item.done", output_index=0, item=item)
        emit("response.completed", response=response("completed", [item], usage))
        return httpx2.Response(
            200,
            headers={**headers, "content-type": "text/event-stream; charset=utf-8"},
            content=_sse(events),
        )


class FakeAnthropic(_Service):
    """``/v1/messages`` (text, tool use, extended thinking with its signature, the SSE event
    stream; also at Amazon Bedrock's ``/model/{model}/invoke`` and Google Vertex AI's
    ``.../models/{model}:rawPredict``), ``/v1/messages/count_tokens`` (a count),
    ``/v1/messages/batches`` (create, retrieve: ended at once; results: a JSON Lines body of
    each request's answer), ``/v1/models`` (one page) and the 429 rate-limit error."""

    name = "FakeAnthropic"

    def __init__(self) -> None:
        super().__init__()
        self.batches: dict[str, list[dict[str, Any]]] = {}  # batch id -> its requests

    def route(self, request: httpx2.Request, body: dict[str, Any]) -> httpx2.Response:
        if "/messages/batches" in request.url.path:
            return self.batch(request, body)
        if request.url.path.endswith("/models"):
            return httpx2.Response(
                200,
                json={
                    "data": [
                        {
                            "type": "model",
                            "id": model,
                            "display_name": model.title(),
                            "created_at": "2026-01-01T00:00:00Z",
                        }
                        for model in CLAUDE_MODELS
                    ],
                    "has_more": False,
                    "first_id": CLAUDE_MODELS[0],
                    "last_id": CLAUDE_MODELS[-1],
                },
            )
        cloud = re.search(r"/models?/([^/:]+)(?:/invoke|:rawPredict)$", request.url.path)
        if cloud:  # Amazon Bedrock's and Google Vertex AI's routes (the model in the path)
            return self.messages({**body, "model": cloud.group(1)})
        if request.url.path.endswith("/messages/count_tokens"):  # what it would count
            return httpx2.Response(
                200, json={"input_tokens": len(json.dumps(body.get("messages", []))) // 4}
            )
        if not request.url.path.endswith("/messages"):
            return httpx2.Response(
                404,
                json={
                    "type": "error",
                    "error": {
                        "type": "not_found_error",
                        "message": f"Not found: {request.url.path}",
                    },
                },
            )
        return self.messages(body)

    def batch(self, request: httpx2.Request, body: dict[str, Any]) -> httpx2.Response:
        if request.url.path.endswith("/batches"):  # create
            batch_id = f"msgbatch_{_digest(json.dumps(body, sort_keys=True))}"
            self.batches[batch_id] = body["requests"]
        else:
            batch_id = request.url.path.split("/batches/")[1].split("/")[0]
        requests = self.batches[batch_id]
        headers = {"request-id": f"req_{_digest(request.url.path, batch_id)}"}
        if request.url.path.endswith("/results"):
            lines = [
                json.dumps(
                    {
                        "custom_id": item["custom_id"],
                        "result": {
                            "type": "succeeded",
                            "message": json.loads(self.messages(item["params"]).content),
                        },
                    }
                )
                for item in requests
            ]
            return httpx2.Response(
                200,
                headers={**headers, "content-type": "application/binary"},
                content="".join(line + "\n" for line in lines).encode(),
            )
        return httpx2.Response(
            200,
            headers=headers,
            json={
                "id": batch_id,
                "type": "message_batch",
                "processing_status": "ended",
                "request_counts": {
                    "processing": 0,
                    "succeeded": len(requests),
                    "errored": 0,
                    "canceled": 0,
                    "expired": 0,
                },
                "created_at": "2026-01-01T00:00:00Z",
                "ended_at": "2026-01-01T00:05:00Z",
                "expires_at": "2026-01-02T00:00:00Z",
                "archived_at": None,
                "cancel_initiated_at": None,
                "results_url": f"https://api.anthropic.com/v1/messages/batches/{batch_id}/results",
            },
        )

    def messages(self, body: dict[str, Any]) -> httpx2.Response:
        key = _digest(json.dumps(body, sort_keys=True))
        headers = {"request-id": f"req_{key}", "anthropic-organization-id": "org-test"}
        messages = body.get("messages", [])
        if "busy" in body.get("model", "") or "[429]" in json.dumps(messages):
            return httpx2.Response(
                429,
                headers={
                    **headers,
                    "retry-after": "15",
                    "anthropic-ratelimit-requests-limit": "50",
                    "anthropic-ratelimit-requests-remaining": "0",
                    "x-should-retry": "true",
                },
                json={
                    "type": "error",
                    "error": {
                        "type": "rate_limit_error",
                        "message": "Number of request tokens has exceeded your per-minute rate "
                        "limit (https://docs.anthropic.com/en/api/rate-limits); see the response "
                        "headers for current usage. Please reduce the prompt length or the maximum "
                        "tokens requested, or try again later.",
                    },
                    "request_id": f"req_{key}",
                },
            )
        user_texts: list[str] = []
        tool_results: list[str] = []
        for message in messages:
            content = message.get("content")
            if message.get("role") != "user":
                continue
            if isinstance(content, str):
                user_texts.append(content)
                continue
            for block in content or []:
                if block.get("type") == "text":
                    user_texts.append(block["text"])
                elif block.get("type") == "tool_result":
                    tool_results.append(_text_of(block.get("content")))
        last = user_texts[-1] if user_texts else ""
        model = body.get("model", "claude-sonnet-5-5")
        tools = body.get("tools") or []
        content_blocks: list[dict[str, Any]]
        if tools and not tool_results:
            content_blocks = [
                {"type": "text", "text": "Let me look that up."},
                *(
                    {
                        "type": "tool_use",
                        "id": f"toolu_{_digest(key, str(i))}",
                        "name": tool["name"],
                        "input": {"query": f"{last} #{i}"},
                    }
                    for i, tool in enumerate(tools[:2])
                ),
            ]
            stop = "tool_use"
        else:
            text = f"Answer to '{last}'"
            if tool_results:
                text += " using " + "; ".join(tool_results)
            if ((body.get("output_config") or {}).get("format") or {}).get("type") == "json_schema":
                text = json.dumps({"answer": text, "confident": True})  # structured (parse)
            content_blocks = [{"type": "text", "text": text}]
            stop = "end_turn"
        if (body.get("thinking") or {}).get("type") == "enabled":  # extended thinking
            signature = base64.b64encode(hashlib.sha256(key.encode()).digest() * 3).decode()
            content_blocks.insert(
                0,
                {
                    "type": "thinking",
                    "thinking": f"Considering '{last}'.",
                    "signature": "Eq" + signature,
                },
            )
        usage = {
            "input_tokens": len(json.dumps(messages)) // 4,
            "output_tokens": len(json.dumps(content_blocks)) // 4,
            "cache_creation_input_tokens": 0,
            "cache_read_input_tokens": 0,
            "service_tier": "standard",
        }
        message = {
            "id": f"msg_{key}",
            "type": "message",
            "role": "assistant",
            "model": model,
            "content": content_blocks,
            "stop_reason": stop,
            "stop_sequence": None,
            "usage": usage,
        }
        if not body.get("stream"):
            return httpx2.Response(200, headers=headers, json=message)
        events: list[tuple[str | None, Any]] = [
            (
                "message_start",
                {
                    "type": "message_start",
                    "message": {
                        **message,
                        "content": [],
                        "stop_reason": None,
                        "usage": {**usage, "output_tokens": 1},
                    },
                },
            ),
        ]
        for index, block in enumerate(content_blocks):
            if block["type"] == "text":
                events.append(
                    (
                        "content_block_start",
                        {
                            "type": "content_block_start",
                            "index": index,
                            "content_block": {"type": "text", "text": ""},
                        },
                    )
                )
                if index == 0:
                    events.append(("ping", {"type": "ping"}))
                for i, word in enumerate(block["text"].split(" ")):
                    events.append(
                        (
                            "content_block_delta",
                            {
                                "type": "content_block_delta",
                                "index": index,
                                "delta": {
                                    "type": "text_delta",
                                    "text": word if i == 0 else " " + word,
                                },
                            },
                        )
                    )
            elif block["type"] == "thinking":
                events.append(
                    (
                        "content_block_start",
                        {
                            "type": "content_block_start",
                            "index": index,
                            "content_block": {"type": "thinking", "thinking": "", "signature": ""},
                        },
                    )
                )
                events.append(
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "thinking_delta", "thinking": block["thinking"]},
                        },
                    )
                )
                events.append(
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {"type": "signature_delta", "signature": block["signature"]},
                        },
                    )
                )
            else:
                events.append(
                    (
                        "content_block_start",
                        {
                            "type": "content_block_start",
                            "index": index,
                            "content_block": {**block, "input": {}},
                        },
                    )
                )
                events.append(
                    (
                        "content_block_delta",
                        {
                            "type": "content_block_delta",
                            "index": index,
                            "delta": {
                                "type": "input_json_delta",
                                "partial_json": json.dumps(block["input"]),
                            },
                        },
                    )
                )
            events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
        events.append(
            (
                "message_delta",
                {
                    "type": "message_delta",
                    "delta": {"stop_reason": stop, "stop_sequence": None},
                    "usage": {"output_tokens": usage["output_tokens"]},
                },
            )
        )
        events.append(("message_stop", {"type": "message_stop"}))
        return httpx2.Response(
            200,
            headers={**headers, "content-type": "text/event-stream; charset=utf-8"},
            content=_sse(events),
        )


#: The services the agents under test talk to (one per process).
OPENAI = FakeOpenAI()
ANTHROPIC = FakeAnthropic()


class VirtualDelays:
    """Delays of a slow service on a virtual clock: answers come in the order their delays make
    them due, as real sleeps would order them on an idle machine, but on a loaded one too.

    ``await delays.wait(seconds)`` parks the request; a single releaser task lets the event loop
    settle (every task that can run does, and every call the agent handed to a worker thread
    returns, so the agent sends the requests its last answer led to), then answers the request
    due first, advances the virtual clock to its due time, and repeats. No answer waits for a
    delay in real time, and the order depends only on the delays and on the event loop's own
    (deterministic) scheduling, never on how fast the machine is.

    The worker threads matter: the SDKs hand blocking calls to anyio's threads (the OpenAI
    client's first request asks ``get_platform`` there), and on a loaded machine such a call can
    outlast any number of event-loop turns, so a branch's request would be parked after an
    answer due later than it had been released.
    """

    #: event-loop turns given to the agent after each answer (and after its last call in a worker
    #: thread returned) before the next is due
    SETTLE_TURNS = 200

    #: real seconds the first answer waits for the requests sent ``together`` at most (an agent
    #: that sends fewer is answered after it, in the same order)
    TOGETHER_WAIT = 30.0

    def __init__(self, together: int = 0) -> None:
        """``together``: how many requests the agent sends at once before it can get an answer
        (a fan-out's first requests); the first answer waits until that many are waiting, so a
        branch held back by work the clock cannot see (another thread pool, a loaded machine)
        is still answered in its delay's order."""
        self._together = together
        self._gathered = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._now = 0.0
        self._order = 0
        self._due: list[tuple[float, int, asyncio.Future[None]]] = []
        self._releaser: asyncio.Task[None] | None = None

    async def wait(self, seconds: float) -> None:
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # each asyncio.run() starts on a new clock
            self._loop, self._now, self._due, self._releaser = loop, 0.0, [], None
            self._gathered = False
        answered: asyncio.Future[None] = loop.create_future()
        self._order += 1
        heapq.heappush(self._due, (self._now + seconds, self._order, answered))
        if self._releaser is None or self._releaser.done():
            self._releaser = loop.create_task(self._release())
        await answered

    async def _release(self) -> None:
        if not self._gathered:
            self._gathered = True
            await self._gather()
        while self._due:
            await self._settle()
            self._now, _, answered = heapq.heappop(self._due)
            if not answered.done():
                answered.set_result(None)

    async def _gather(self) -> None:
        loop = asyncio.get_running_loop()
        until = loop.time() + self.TOGETHER_WAIT
        while len(self._due) < self._together and loop.time() < until:
            await asyncio.sleep(0.001)

    async def _settle(self) -> None:
        threads = anyio.to_thread.current_default_thread_limiter()
        turns = 0
        while turns < self.SETTLE_TURNS:
            if threads.borrowed_tokens:  # a call in a worker thread has not returned yet
                turns = 0
                await asyncio.sleep(0.001)
            else:
                turns += 1
                await asyncio.sleep(0)


def delayed_transport(
    service: _Service, delay_of: Callable[[httpx2.Request], float], together: int = 0
) -> httpx2.AsyncBaseTransport:
    """An async transport answering ``service``'s requests after ``delay_of(request)`` seconds
    of a :class:`VirtualDelays` clock of its own (``together``: as there)."""
    delays = VirtualDelays(together)

    class Delayed(httpx2.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
            await delays.wait(delay_of(request))
            return service.handler(request)

    return Delayed()
