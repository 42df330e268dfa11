"""Secrets never reach the golden or the trace store; replay still matches."""

from __future__ import annotations

import pytest

API_KEY = "sk-live0123456789abcdefghijABCDEFGHIJ"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJjdXN0b21lci00MiJ9.c2lnbmF0dXJlLXZhbHVlLTEyMzQ"
GH_TOKEN = "ghp_Zq8Xv3Lm9Tn2Rb7Wc4Yd6Hf1Jk5Ps0Ga3Ue"

APP = """
import os


def complete(prompt, headers):
    assert headers["Authorization"].startswith("Bearer ")
    return {{"text": "answer to " + prompt, "session_token": "{token}", "extra": EXTRA}}


class Agent:
    def __init__(self):
        self.memory = []

    def handle(self, message):
        key = os.environ["LLM_API_KEY"]
        reply = complete(message, headers={{"Authorization": "Bearer " + key, "x-api-key": key}})
        self.memory.append(reply["text"])
        return reply["text"]
"""

TEST = """
import pytest
from secret_app import Agent

@pytest.mark.replay("goldens/secret.ckpt", mock={"llm": "secret_app.complete"})
def test_secret(replay):
    assert replay.run(Agent().handle, "hello") == "answer to hello"
"""


@pytest.fixture
def secret_project(pytester, monkeypatch):
    pytester.syspathinsert()
    pytester.makepyfile(
        secret_app="EXTRA = 'nothing'\n" + APP.format(token=TOKEN), test_secret=TEST
    )
    monkeypatch.setenv("LLM_API_KEY", API_KEY)
    return pytester


def _files_text(pytester) -> str:
    found = []
    for path in [*pytester.path.rglob("*.ckpt"), *pytester.path.rglob("*.db*")]:
        found.append(path.read_bytes().decode("latin-1"))
    assert found, "nothing was written"
    return "\n".join(found)


def test_seeded_secrets_are_not_written_and_replay_is_green(secret_project, monkeypatch):
    secret_project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    written = _files_text(secret_project)
    for secret in (API_KEY, TOKEN, API_KEY[3:20], TOKEN.split(".")[1]):
        assert secret not in written
    assert "[REDACTED]" in written
    # CI has another key (or none at all): the redacted header still matches
    monkeypatch.setenv("LLM_API_KEY", "sk-ci00000000000000000000000000000000")
    result = secret_project.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*1 checkpoint(s) replayed*"])


def test_unknown_secret_format_fails_the_recording(secret_project):
    secret_project.makepyfile(secret_app=f"EXTRA = {GH_TOKEN!r}\n" + APP.format(token=TOKEN))
    result = secret_project.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*golden checkpoint was not written*", "*secret_app.complete*"])
    assert not (secret_project.path / "goldens" / "secret.ckpt").exists()
    # opting out: the value is not a secret after all, and is recorded as it is
    result = secret_project.runpytest("--clearstone-record", "--clearstone-allow-secrets")
    result.assert_outcomes(passed=1)
    assert GH_TOKEN in _files_text(secret_project)
    secret_project.runpytest().assert_outcomes(passed=1)


def test_ini_extra_key(secret_project):
    secret_project.makepyfile(secret_app="EXTRA = 'internal-7'\n" + APP.format(token=TOKEN))
    secret_project.makeini("[pytest]\nclearstone_redact_keys =\n    extra\n")
    secret_project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert "internal-7" not in _files_text(secret_project)
    secret_project.runpytest().assert_outcomes(passed=1)


def test_bad_pattern_is_a_usage_error(secret_project):
    secret_project.makeini("[pytest]\nclearstone_redact_patterns =\n    sk-(\n")
    result = secret_project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    # the message names the ini key holding the line (not "clearstone redaction settings")
    result.stderr.fnmatch_lines(
        [
            "ERROR: clearstone_redact_patterns: 'sk-(' is not a regular expression (missing ), "
            "unterminated subpattern at position 3): correct that line (escape a character "
            "meant literally with \\, as in \\( or \\.)"
        ]
    )


def test_a_bad_re_allow_rule_is_a_usage_error_naming_its_key(secret_project):
    secret_project.makeini("[pytest]\nclearstone_redact_allow =\n    re:sk-test-[0-\n")
    result = secret_project.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            "ERROR: clearstone_redact_allow: 're:sk-test-[[]0-' is not a regular expression "
            "(unterminated character set at position 8)*"  # (in the expression after re:)
        ]
    )


def test_goldens_say_whether_anything_was_redacted(secret_project, pytester, monkeypatch):
    import json

    secret_project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = secret_project.path / "goldens" / "secret.ckpt"
    assert json.loads(golden.read_text())["metadata"]["redacted"] is True
    # a value too short to be looked for as a secret (the scan skips values under 8 characters)
    monkeypatch.setenv("LLM_API_KEY", "plain")
    secret_project.makepyfile(secret_app="EXTRA = 'nothing'\n" + APP.format(token="no-token-here"))
    text = (secret_project.path / "secret_app.py").read_text()
    (secret_project.path / "secret_app.py").write_text(
        text.replace('assert headers["Authorization"].startswith("Bearer ")', "pass")
        .replace('"Bearer " + key', "key")
        .replace('"x-api-key": key', '"x-trace": key')
        .replace('"session_token"', '"session"')
        .replace('{"Authorization": key', '{"x-request": key')
    )
    secret_project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert json.loads(golden.read_text())["metadata"]["redacted"] is False
    secret_project.runpytest().assert_outcomes(passed=1)


def test_secret_in_the_agent_state_is_redacted_and_checked(pytester):
    pytester.syspathinsert()
    pytester.makepyfile(
        state_app=f"""
        def complete(prompt):
            return "ok"

        class Agent:
            def __init__(self):
                self.config = {{"api_key": "{API_KEY}", "model": "m"}}
                self.notes = ["{GH_TOKEN}"]

            def handle(self, message):
                return complete(message)
        """,
        test_state="""
        import pytest
        from state_app import Agent

        @pytest.mark.replay("goldens/state.ckpt", mock={"llm": "state_app.complete"})
        def test_state(replay):
            replay.run(Agent().handle, "hi")
        """,
    )
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)  # the GitHub token in the state before the call
    result.stdout.fnmatch_lines(["*golden checkpoint was not written*"])
    result = pytester.runpytest("--clearstone-record", "--clearstone-allow-secrets")
    result.assert_outcomes(passed=1)
    golden = (pytester.path / "goldens" / "state.ckpt").read_text()
    assert API_KEY not in golden
    pytester.runpytest().assert_outcomes(passed=1)


def test_the_error_of_a_failed_tests_root_span_is_redacted_in_the_trace_store(pytester):
    """The test's own span (named by its node id) records the test's exception redacted, as
    the mocked call's span does: status message and error record alike."""
    import sqlite3

    pytester.syspathinsert()
    pytester.makepyfile(
        test_failing=f"""
        import pytest


        def call_api(key, q):
            if q == "boom":
                raise ValueError(f"upstream rejected key {{key}}: {GH_TOKEN}")
            return {{"ok": q}}


        class Agent:
            def run(self, q):
                return call_api("{API_KEY}", q)


        @pytest.mark.replay("goldens/e1.ckpt", mock={{"tool": "test_failing.call_api"}})
        def test_tool_raises(replay):
            replay.run(Agent().run, "boom")


        @pytest.mark.replay("goldens/e2.ckpt", mock={{"tool": "test_failing.call_api"}})
        def test_plain_raise(replay):
            replay.run(Agent().run, "q")
            raise RuntimeError("config had token={GH_TOKEN} and key {API_KEY}")
        """
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(failed=2)
    store = sqlite3.connect(pytester.path / ".clearstone" / "traces.db")
    rows = store.execute("select name, status, status_message, error_json from spans").fetchall()
    store.close()
    roots = [row for row in rows if row[0].startswith("test_failing.py::")]
    assert len(roots) == 2 and all(row[1] == "ERROR" for row in roots)
    assert "ValueError: upstream rejected key [REDACTED]: [REDACTED]" in {r[2] for r in roots}
    for _, _, message, error in rows:
        for secret in (API_KEY, GH_TOKEN):
            assert secret not in (message or "") and secret not in (error or "")


def test_a_secret_in_the_runs_result_is_redacted_and_replays(pytester):
    # the result of replay.run() goes into the golden's outcome: redacted like the calls
    pytester.syspathinsert()
    pytester.makepyfile(
        result_app=f"""
        def complete(prompt):
            return "ok"

        def handle(message):
            return {{"text": complete(message), "api_key": "{API_KEY}"}}
        """,
        test_result="""
        import pytest
        from result_app import handle

        @pytest.mark.replay("goldens/result.ckpt", mock={"llm": "result_app.complete"})
        def test_result(replay):
            assert replay.run(handle, "hi")["text"] == "ok"
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = (pytester.path / "goldens" / "result.ckpt").read_text()
    assert API_KEY not in golden and '"text": "ok"' in golden
    pytester.runpytest().assert_outcomes(passed=1)
