"""Seeded secrets: a recorded run writes none of them to disk and still replays green.

The agent's LLM client receives an API key in a header dict and returns a token in its body;
the agent keeps the response in its state. Recording through the golden lifecycle with a
:class:`Redactor` as the transform writes 0 of those secrets to the checkpoint or the trace
store (every file is searched byte for byte), and the golden replays in strict mode with
another API key (CI's), through ``Redactor.matcher``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone.errors import ReplayDivergenceError, UnredactedSecretError
from pytest_clearstone.golden.replay import Replay
from pytest_clearstone.observability import TracerProvider
from pytest_clearstone.redaction import PLACEHOLDER, Redactor

TARGET = f"{__name__}.complete"
LIVE_KEY = "sk-live-" + "Zx9Qw3" * 5
CI_KEY = "sk-ci-" + "Ab4Cd7" * 5
BODY_TOKEN = "at-Qm8xV3pR7tLk2WnZ5cYh9JdF4sGb6NaE"  # under the key "access_token"
BODY_JWT = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhZ2VudCJ9.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
SECRETS = [LIVE_KEY, BODY_TOKEN, BODY_JWT, "c2lnbmF0dXJlLXNpZ25hdHVyZQ"]
KEY_IN_USE = {"value": LIVE_KEY}


def complete(prompt: str, headers: dict[str, str]) -> dict[str, Any]:
    """The live LLM client: answers, and hands out tokens in its body."""
    assert headers["x-api-key"] == LIVE_KEY, "the live client must only run while recording"
    return {
        "text": f"answer to {prompt}",
        "access_token": BODY_TOKEN,
        "debug": f"issued Bearer {BODY_JWT}",
    }


class Agent:
    def __init__(self) -> None:
        self.memory: list[Any] = []

    def handle(self, message: str) -> str:
        key = KEY_IN_USE["value"]
        headers = {"Authorization": f"Bearer {key}", "x-api-key": key}
        response = complete(f"user says: {message}", headers=headers)
        self.memory.append({"message": message, "response": response})
        return str(response["text"])


def _record(tmp_path: Path, redactor: Redactor) -> Path:
    provider = TracerProvider(tmp_path / "traces.db")
    tracer = provider.get_tracer("seeded")
    golden = Replay(tmp_path / "goldens" / "seeded.ckpt", {"llm": TARGET}, mode="record",
                    tracer=tracer, transform=redactor, node_id="test_seeded")  # fmt: skip
    with tracer.span("test_seeded") as root:
        golden.start(root_span_id=root.span_id, trace_id=root.trace_id)
        try:
            assert golden.run(Agent().handle, "hello") == "answer to user says: hello"
        finally:
            golden.stop()
    redactor.raise_for_findings()
    provider.flush()
    path = golden.save(provider.trace_store.get_trace(root.trace_id))
    provider.shutdown()
    return path


def _replay(path: Path, redactor: Redactor) -> Any:
    golden = Replay(path, {"llm": TARGET}, mode="replay", strict=True, transform=redactor,
                    matcher=redactor.matcher(), node_id="test_seeded")  # fmt: skip
    golden.start()
    try:
        result = golden.run(Agent().handle, "hello")
    finally:
        golden.stop()
    golden.check()
    return result, golden.agent


def test_no_seeded_secret_reaches_disk_and_the_golden_replays(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLEARSTONE_SIGNING_KEY", raising=False)
    path = _record(tmp_path, Redactor())
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert path in files and any(p.name.startswith("traces.db") for p in files)
    for file in files:
        data = file.read_bytes()
        leaked = [s for s in SECRETS if s.encode() in data]
        assert not leaked, f"{file.name} holds {len(leaked)} seeded secret(s)"
    assert PLACEHOLDER.encode() in path.read_bytes()

    monkeypatch.setitem(KEY_IN_USE, "value", CI_KEY)  # CI has another key: still a match
    result, agent = _replay(path, Redactor(check_secrets=False))
    assert result == "answer to user says: hello"
    assert agent.memory[0]["response"]["access_token"] == PLACEHOLDER


def test_a_real_prompt_change_still_diverges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLEARSTONE_SIGNING_KEY", raising=False)
    path = _record(tmp_path, Redactor())
    monkeypatch.setitem(KEY_IN_USE, "value", CI_KEY)
    redactor = Redactor(check_secrets=False)
    golden = Replay(path, {"llm": TARGET}, mode="replay", strict=True, transform=redactor,
                    matcher=redactor.matcher())  # fmt: skip
    golden.start()
    try:
        with pytest.raises(ReplayDivergenceError) as info:
            golden.run(Agent().handle, "something else")
    finally:
        golden.stop()
    assert "user says: something else" in str(info.value)
    assert CI_KEY not in str(info.value)  # the delta shows redacted arguments only


def test_a_missing_key_in_ci_still_matches(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CLEARSTONE_SIGNING_KEY", raising=False)
    path = _record(tmp_path, Redactor())
    monkeypatch.setitem(KEY_IN_USE, "value", "")  # no key at all: "" is still redacted
    result, _ = _replay(path, Redactor(check_secrets=False))
    assert result == "answer to user says: hello"


def test_a_body_token_no_rule_covers_fails_the_recording(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("CLEARSTONE_SIGNING_KEY", raising=False)
    redactor = Redactor(keys=["api_key", "authorization"])  # "access_token" not covered
    with pytest.raises(UnredactedSecretError) as info:
        _record(tmp_path, redactor)
    message = str(info.value)
    assert f"output of call #1 to {TARGET}: root['access_token']" in message
    assert BODY_TOKEN not in message
    assert not (tmp_path / "goldens" / "seeded.ckpt").exists()
    for file in tmp_path.rglob("*"):
        if file.is_file():
            assert BODY_TOKEN.encode() not in file.read_bytes()  # replaced, never written
