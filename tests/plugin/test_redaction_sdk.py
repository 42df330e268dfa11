"""Redaction of real SDK values, end to end: logprob tokens and extended-thinking signatures
are model output and record as they are (and replay green), and so are the APIs' answer ids;
an API key passed as a query parameter never reaches the golden."""

from __future__ import annotations

import pytest

KEY = "Zq8pLm3Rt7Vw2Ny5Kd1Hf9"
SIGNATURE = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxDYXRoeSBzaWduYXR1cmU="
REDACTED_DATA = "EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"
COMPLETION_ID = "chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT"  # (OpenAI's API reference example)

APP = f"""
import anthropic
import httpx2
import openai

LOGPROB = {{"token": "Answer", "logprob": -0.01, "bytes": [65]}}


def openai_api(request):
    if b"gpt-busy" in request.content:
        return httpx2.Response(429, json={{"error": {{"message": "busy", "type": "requests"}}}})
    message = {{"role": "assistant", "content": "Answer"}}
    logprobs = {{"content": [{{**LOGPROB, "top_logprobs": [LOGPROB]}}]}}
    choice = {{"index": 0, "finish_reason": "stop", "message": message, "logprobs": logprobs}}
    return httpx2.Response(200, json={{"id": "{COMPLETION_ID}", "object": "chat.completion",
                                       "created": 1,
                                       "model": "gpt-4o-mini", "choices": [choice]}})


def anthropic_api(request):
    content = [{{"type": "thinking", "thinking": "Hmm", "signature": "{SIGNATURE}"}},
               {{"type": "redacted_thinking", "data": "{REDACTED_DATA}"}},
               {{"type": "text", "text": "Answer"}}]
    return httpx2.Response(200, json={{"id": "m1", "type": "message", "role": "assistant",
                                       "model": "claude-sonnet-4-5", "stop_reason": "end_turn",
                                       "usage": {{"input_tokens": 1, "output_tokens": 1}},
                                       "content": content}})


def client(cls, api, **kw):
    http = httpx2.Client(transport=httpx2.MockTransport(api))
    return cls(api_key="unused", max_retries=0, http_client=http, **kw)


class Scorer:
    def __init__(self, **kw):
        self.client = client(openai.OpenAI, openai_api, **kw)
        self.words = []
        self.errors = []

    def classify(self, q, model="gpt-4o-mini"):
        try:
            r = self.client.chat.completions.create(
                model=model, messages=[{{"role": "user", "content": q}}], logprobs=True,
                top_logprobs=1)
        except openai.RateLimitError as e:
            self.errors.append(str(e.request.url))
            return self.classify(q)
        self.words.append(r.choices[0].logprobs.content[0].token)
        return self.words[-1]


class Thinker:
    def __init__(self):
        self.client = client(anthropic.Anthropic, anthropic_api)
        self.blocks = []

    def think(self, q):
        messages = [{{"role": "user", "content": q}}]
        first = self.client.messages.create(model="claude-sonnet-4-5", max_tokens=2048,
                                            thinking={{"type": "enabled", "budget_tokens": 1024}},
                                            messages=messages)
        messages += [{{"role": "assistant", "content": first.content}},
                     {{"role": "user", "content": "go on"}}]
        second = self.client.messages.create(model="claude-sonnet-4-5", max_tokens=2048,
                                             thinking={{"type": "enabled", "budget_tokens": 1024}},
                                             messages=messages)
        self.blocks = first.content
        return [b.type for b in first.content] + [second.content[-1].text]
"""

TESTS = f"""
import pytest
import sdk_app

OPENAI = {{"llm": "openai.resources.chat.completions.Completions.create"}}


@pytest.mark.replay("goldens/logprobs.ckpt", mock=OPENAI)
def test_logprobs(replay):
    assert replay.run(sdk_app.Scorer().classify, "Spam or ham?") == "Answer"


@pytest.mark.replay("goldens/query.ckpt", mock=OPENAI)
def test_query_key(replay):
    scorer = sdk_app.Scorer(default_query={{"api-key": "{KEY}", "api-version": "2024-10-21"}})
    assert replay.run(scorer.classify, "Spam?", "gpt-busy") == "Answer"


@pytest.mark.replay(
    "goldens/thinking.ckpt",
    mock={{"llm": "anthropic.resources.messages.Messages.create"}},
)
def test_thinking(replay):
    thinker = sdk_app.Thinker()
    answer = replay.run(thinker.think, "Why?")
    assert answer == ["thinking", "redacted_thinking", "text", "Answer"]
    assert thinker.blocks[0].signature == "{SIGNATURE}"
"""


@pytest.fixture
def sdk_project(pytester: pytest.Pytester) -> pytest.Pytester:
    for name in ("openai", "anthropic", "httpx2"):
        pytest.importorskip(name)
    pytester.syspathinsert()
    pytester.makepyfile(sdk_app=APP, test_sdk=TESTS)
    return pytester


def test_model_output_records_as_it_is_and_query_keys_do_not(sdk_project: pytest.Pytester) -> None:
    sdk_project.runpytest("--clearstone-record").assert_outcomes(passed=3)
    goldens = sdk_project.path / "goldens"
    logprobs = (goldens / "logprobs.ckpt").read_text()
    assert '"token": "Answer"' in logprobs and "[REDACTED]" not in logprobs
    assert COMPLETION_ID in logprobs  # an answer's id is not a secret (it failed the recording)
    thinking = (goldens / "thinking.ckpt").read_text()
    assert SIGNATURE in thinking and REDACTED_DATA in thinking
    query = (goldens / "query.ckpt").read_text()
    assert KEY not in query and "api-key=[REDACTED]&api-version=2024-10-21" in query
    result = sdk_project.runpytest()
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*3 checkpoint(s) replayed*"])


def test_a_query_key_copied_where_no_rule_looks_fails_the_recording(
    sdk_project: pytest.Pytester,
) -> None:
    """The last check knows the client's secret query parameter: a copy in bytes is caught."""
    sdk_project.makepyfile(
        test_copy=f"""
import pytest
import sdk_app
from test_sdk import OPENAI


@pytest.mark.replay("goldens/copy.ckpt", mock=OPENAI)
def test_copy(replay):
    scorer = sdk_app.Scorer(default_query={{"api-key": "{KEY}"}})
    scorer.raw = scorer.client.default_query["api-key"].encode()
    assert replay.run(scorer.classify, "Spam?") == "Answer"
"""
    )
    result = sdk_project.runpytest("--clearstone-record", "test_copy.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*not written*the api-key query parameter of an openai.OpenAI*"])
    assert KEY not in result.stdout.str()
    assert not (sdk_project.path / "goldens" / "copy.ckpt").exists()


URL_PASSWORD = "Gw9pXq2Lm7Rt4Vz8Kc1Nb6Hs3Jd"


def test_the_password_in_a_clients_base_url_is_redacted_and_replays(
    sdk_project: pytest.Pytester,
) -> None:
    """A client held in the state is stored as a reference: the password of its base URL is
    the placeholder in the golden and the trace store; the live client, with the password,
    still matches it in replay, and recording again writes the same golden."""
    sdk_project.makepyfile(
        test_proxy=f"""
import pytest
import sdk_app
from test_sdk import OPENAI


@pytest.mark.replay("goldens/proxy.ckpt", mock=OPENAI)
def test_proxy(replay):
    scorer = sdk_app.Scorer(base_url="https://svc-agent:{URL_PASSWORD}@llm-proxy.corp.example/v1")
    assert replay.run(scorer.classify, "Spam?") == "Answer"
"""
    )
    sdk_project.runpytest("--clearstone-record", "test_proxy.py").assert_outcomes(passed=1)
    golden = sdk_project.path / "goldens" / "proxy.ckpt"
    text = golden.read_text()
    assert URL_PASSWORD not in text
    assert '"base_url": "https://svc-agent:[REDACTED]@llm-proxy.corp.example/v1/"' in text
    store = list((sdk_project.path / ".clearstone").iterdir())
    assert store and not any(URL_PASSWORD.encode() in path.read_bytes() for path in store)
    sdk_project.runpytest("test_proxy.py").assert_outcomes(passed=1)
    result = sdk_project.runpytest("--clearstone-record", "test_proxy.py")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*goldens/proxy.ckpt: unchanged*"])


JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ1c3ItNDIiLCJyb2xlIjoiYWRtaW4ifQ."
    "Qk7Yq2Lm9Xp4Tn1Vb8Kc3Hj6Wd0Ys5UeQ-AbCdEfGhIj"
)

STREAMING_APP = """
import json

import anthropic
import httpx2
import openai


def sse(events, named=True):
    text = "".join(
        (f"event: {e['type']}\\n" if named else "") + f"data: {json.dumps(e)}\\n\\n" for e in events
    )
    headers = {"content-type": "text/event-stream"}
    return httpx2.Response(200, headers=headers, content=text.encode())


def openai_api(request):
    chunk = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 1,
             "model": "gpt-4o-mini",
             "choices": [{"index": 0, "delta": {"content": "admin"}, "finish_reason": "stop"}]}
    return sse([chunk], named=False)


def anthropic_api(request):
    message = {"id": "msg_01", "type": "message", "role": "assistant", "model": "claude-x",
               "content": [], "stop_reason": None, "stop_sequence": None,
               "usage": {"input_tokens": 3, "output_tokens": 0}}
    return sse([{"type": "message_start", "message": message},
                {"type": "content_block_start", "index": 0,
                 "content_block": {"type": "text", "text": ""}},
                {"type": "content_block_delta", "index": 0,
                 "delta": {"type": "text_delta", "text": "admin"}},
                {"type": "content_block_stop", "index": 0},
                {"type": "message_stop"}])


def client(cls, api):
    return cls(api_key="unused", max_retries=0,
               http_client=httpx2.Client(transport=httpx2.MockTransport(api)))


def ask_openai(text):
    stream = client(openai.OpenAI, openai_api).chat.completions.create(
        model="gpt-4o-mini", stream=True, messages=[{"role": "user", "content": text}])
    return "".join(c.choices[0].delta.content or "" for c in stream if c.choices)


def ask_anthropic(text):
    stream = client(anthropic.Anthropic, anthropic_api).messages.create(
        model="claude-x", max_tokens=100, stream=True, messages=[{"role": "user", "content": text}])
    return "".join(e.delta.text for e in stream if e.type == "content_block_delta")
"""


def test_a_secret_in_the_prompt_of_a_streamed_call_is_redacted_in_the_stored_stream(
    pytester: pytest.Pytester,
) -> None:
    """A recorded SDK stream keeps its HTTP response, whose request's body is the prompt: it is
    redacted like every recorded value (it held the secret in clear, and the last check, finding
    there the value redacted in the call's input, refused every golden)."""
    for name in ("openai", "anthropic", "httpx2"):
        pytest.importorskip(name)
    pytester.syspathinsert()
    pytester.makepyfile(
        streaming_app=STREAMING_APP,
        test_streaming=f"""
import pytest
import streaming_app

JWT = "{JWT}"


@pytest.mark.replay("goldens/openai.ckpt",
                    mock={{"llm": "openai.resources.chat.completions.Completions.create"}})
def test_openai(replay):
    assert replay.run(streaming_app.ask_openai, f"Decode this JWT: {{JWT}}") == "admin"


@pytest.mark.replay("goldens/anthropic.ckpt",
                    mock={{"llm": "anthropic.resources.messages.Messages.create"}})
def test_anthropic(replay):
    assert replay.run(streaming_app.ask_anthropic, f"Decode this JWT: {{JWT}}") == "admin"
""",
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    for name in ("openai", "anthropic"):
        text = (pytester.path / "goldens" / f"{name}.ckpt").read_text()
        assert JWT not in text
        # in the call's input and in the stream's request body
        assert text.count('"content": "Decode this JWT: [REDACTED]"') == 2
    store = list((pytester.path / ".clearstone").iterdir())
    assert store and not any(JWT.encode() in path.read_bytes() for path in store)
    result = pytester.runpytest()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*2 checkpoint(s) replayed*"])


def test_a_key_in_the_query_of_a_clients_base_url_fails_the_recording(
    sdk_project: pytest.Pytester,
) -> None:
    """A client is stored as a reference with its base URL: a key in that URL's query string
    (an API gateway's ``?api-key=``) would be written as it is, unredacted and unsuspected, to
    the golden and the trace store. The recording fails naming it and the fix; nothing holds
    the key."""
    sdk_project.makepyfile(
        test_gateway=f"""
import pytest
import sdk_app
from test_sdk import OPENAI


@pytest.mark.replay("goldens/gateway.ckpt", mock=OPENAI)
def test_gateway(replay):
    scorer = sdk_app.Scorer(base_url="https://gw.corp.example/openai/v1?api-key={KEY}&x=1")
    assert replay.run(scorer.classify, "Spam?") == "Answer"
"""
    )
    result = sdk_project.runpytest("--clearstone-record", "test_gateway.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*gateway.ckpt: the api-key query parameter in the base URL of an openai.OpenAI "
            "client (*pass the parameter as default_query= instead) is in the agent state at "
            "state?'client'?.base_url*"
        ]
    )
    assert KEY not in result.stdout.str()
    assert not (sdk_project.path / "goldens" / "gateway.ckpt").exists()
    store = list((sdk_project.path / ".clearstone").iterdir())
    assert store and not any(KEY.encode() in path.read_bytes() for path in store)


@pytest.mark.parametrize(
    "base_url",
    [
        pytest.param(f"https://sk-proj-{KEY}@llm-proxy.corp.example/v1", id="key-as-user"),
        pytest.param(f"https://{KEY}Xq4Bw7Tc0Jr2@llm-proxy.corp.example/v1", id="token-as-user"),
    ],
)
def test_a_token_as_the_user_of_a_clients_base_url_fails_the_recording(
    sdk_project: pytest.Pytester, base_url: str
) -> None:
    """A token given as the user of a base URL (``https://<token>@proxy``, no password) was
    written as it is with the client's reference: only a password was withheld. It is a
    secret seen, as the rules or the suspect check would have it in a string."""
    sdk_project.makepyfile(
        test_user=f"""
import pytest
import sdk_app
from test_sdk import OPENAI


@pytest.mark.replay("goldens/user.ckpt", mock=OPENAI)
def test_user(replay):
    scorer = sdk_app.Scorer(base_url="{base_url}")
    assert replay.run(scorer.classify, "Spam?") == "Answer"
"""
    )
    result = sdk_project.runpytest("--clearstone-record", "test_user.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*user.ckpt: a secret in the base URL of an openai.OpenAI client (*) is in the agent*"]
    )
    assert KEY not in result.stdout.str()
    assert not (sdk_project.path / "goldens" / "user.ckpt").exists()
    store = list((sdk_project.path / ".clearstone").iterdir())
    assert store and not any(KEY.encode() in path.read_bytes() for path in store)


HOLDER_APP = """
import anthropic
import httpx2
import openai


def lookup(q):
    return "found " + q


class Holder:
    def __init__(self, cls, **kw):
        http = httpx2.Client(transport=httpx2.MockTransport(lambda request: httpx2.Response(500)))
        self.client = cls(api_key="unused", max_retries=0, http_client=http, **kw)
        self.answers = []

    def ask(self, q):
        self.answers.append(lookup(q))
        return self.answers[-1]
"""


@pytest.mark.parametrize(
    ("settings", "copied", "what"),
    [
        pytest.param(
            'default_query={{"api-key": "{key}", "api-version": "1"}}',
            'default_query["api-key"]',
            "the api-key query parameter of {client} client",
            id="query",
        ),
        pytest.param(
            'default_headers={{"X-Gateway-Token": "{key}"}}',
            '_custom_headers["X-Gateway-Token"]',
            "the X-Gateway-Token header of {client} client",
            id="headers",
        ),
    ],
)
@pytest.mark.parametrize("sdk", ["openai.OpenAI", "anthropic.Anthropic"])
def test_a_key_of_a_client_the_agent_holds_and_makes_no_call_through_fails_the_recording(
    sdk_project: pytest.Pytester, sdk: str, settings: str, copied: str, what: str
) -> None:
    """A client kept in the state is stored as a reference without its ``default_query`` and
    ``default_headers``, and the state is redacted after it was rebuilt from that reference:
    the last check knew their secrets only when a recorded call went through the client. A
    copy of the key elsewhere in the state (here in bytes, where no rule looks) was written to
    the golden; the recording fails naming the client's setting, and writes nothing."""
    # (a key of its own, holding no other test's: a value noted as withheld keeps its first
    # description in the process, and the scan finds a key inside a longer one)
    key = f"Wm4Tq9Lz2Xc7Vb1Np6Rk3Hd{sdk[:3]}{copied[2:5]}"
    sdk_project.makepyfile(
        holder_app=HOLDER_APP,
        test_holder=f"""
import anthropic
import openai
import pytest
import holder_app


@pytest.mark.replay("goldens/holder.ckpt", mock={{"tool": "holder_app.lookup"}})
def test_holder(replay):
    holder = holder_app.Holder({sdk}, {settings.format(key=key)})
    holder.raw = holder.client.{copied}.encode()
    assert replay.run(holder.ask, "Spam?") == "found Spam?"
""",
    )
    result = sdk_project.runpytest("--clearstone-record", "test_holder.py")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*not written*{what.format(client=f'an {sdk}')}*"])
    assert key not in result.stdout.str()
    assert not (sdk_project.path / "goldens" / "holder.ckpt").exists()
    store = list((sdk_project.path / ".clearstone").iterdir())
    assert store and not any(key.encode() in path.read_bytes() for path in store)
