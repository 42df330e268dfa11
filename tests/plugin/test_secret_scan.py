"""End to end: a golden that would hold a secret value seen during the run is not written
(issue 14, finding 9) — a key from the environment inside bytes a tool returned, or inside a
pickled value in the agent's state, an SDK client's key copied into the state; an existing golden
stays as it was; a recording with keys in the environment and SDK clients in state is written."""

from __future__ import annotations

import base64
import json

import pytest

KEY = "leaky-0123456789-ABCDEFGH"  # no pattern knows this format: only the scan can catch it

APP = """
import base64
import os


class Blob:
    def __init__(self, data):
        self.data = data


def fetch(url):
    key = os.environ.get("SOME_API_KEY", "")
    if MODE == "bytes":
        return {"status": 200, "raw": ("header " + key).encode()}
    if MODE == "base64 text":  # a Basic credential built by hand
        return {"status": 200, "raw": base64.b64encode(("app:" + key).encode()).decode()}
    return {"status": 200, "raw": b"clean bytes"}


class Agent:
    def __init__(self, client=None):
        self.client = client
        self.pages = []

    def get_state(self):
        return {"client": self.client, "pages": self.pages}

    def load_state(self, state):
        self.client = state["client"]
        self.pages = list(state["pages"])

    def handle(self, url):
        page = fetch(url)
        self.pages.append(page["status"])
        if MODE == "pickle":  # an object only a pickle can store, holding the key
            self.pages.append(Blob("payload " + os.environ["SOME_API_KEY"]))
        return page["status"]
"""

TEST = """
import pytest
from leaky_app import Agent


@pytest.mark.replay("goldens/leak.ckpt", mock={"tool": "leaky_app.fetch"})
def test_leak(replay):
    assert replay.run(Agent().handle, "https://example.test") == 200
"""

SDK_TEST = """
import os

import openai
import pytest
from leaky_app import Agent


@pytest.mark.replay("goldens/sdk.ckpt", mock={"tool": "leaky_app.fetch"})
def test_sdk(replay):
    client = openai.OpenAI(api_key=os.environ["OPENAI_API_KEY"])
    assert replay.run(Agent(client).handle, "https://example.test") == 200
"""

COPIED_KEY_TEST = """
import openai
import pytest
from leaky_app import Agent


@pytest.mark.replay("goldens/copied.ckpt", mock={{"tool": "leaky_app.fetch"}})
def test_copied(replay):
    agent = Agent(openai.OpenAI(api_key="{key}"))
    agent.pages.append(agent.client.api_key)
    assert replay.run(agent.handle, "https://example.test") == 200
"""


@pytest.fixture
def leaky(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(test_leak=TEST)
    _app(pytester, "bytes")
    monkeypatch.setenv("SOME_API_KEY", KEY)
    return pytester


def _app(pytester: pytest.Pytester, mode: str) -> None:
    pytester.makepyfile(leaky_app=f"MODE = {mode!r}\n" + APP)


def _refused(result: pytest.RunResult) -> str:
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "the golden checkpoint was not written" in out
    assert "$SOME_API_KEY" in out
    assert KEY not in out and base64.b64encode(KEY.encode()).decode()[:12] not in out
    return out


def test_a_key_inside_bytes_a_tool_returned_fails_the_recording(leaky: pytest.Pytester) -> None:
    out = _refused(leaky.runpytest("--clearstone-record"))
    assert "output of span 'leaky_app.fetch'" in out and "root['raw']" in out
    assert "bytes value" in out
    assert not (leaky.path / "goldens" / "leak.ckpt").exists()
    assert not list(leaky.path.rglob("*.ckpt*"))


def test_a_key_inside_a_pickled_value_fails_the_recording(leaky: pytest.Pytester) -> None:
    _app(leaky, "pickle")
    out = _refused(leaky.runpytest("--clearstone-record", "--clearstone-allow-pickle"))
    assert "pickle of a leaky_app.Blob" in out and "outcome['final_state']['pages'][1]" in out
    assert not (leaky.path / "goldens" / "leak.ckpt").exists()


def test_an_existing_golden_is_unchanged_after_a_refused_re_record(
    leaky: pytest.Pytester,
) -> None:
    _app(leaky, "clean")
    leaky.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = leaky.path / "goldens" / "leak.ckpt"
    before = golden.read_bytes()
    _app(leaky, "bytes")
    _refused(leaky.runpytest("--clearstone-record"))
    assert golden.read_bytes() == before
    assert sorted(p.name for p in golden.parent.iterdir()) == ["leak.ckpt"]
    leaky.runpytest().assert_outcomes(passed=1)  # the old golden still replays


def test_keys_in_the_environment_and_sdk_clients_in_state_record_fine(
    leaky: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("openai")
    openai_key = "sk-proj-Zq8Xv3Lm9Tn2Rb7Wc4Yd6Hf1Jk5Ps0Ga3Ue"
    monkeypatch.setenv("OPENAI_API_KEY", openai_key)
    _app(leaky, "clean")
    leaky.makepyfile(test_sdk=SDK_TEST)
    result = leaky.runpytest("--clearstone-record")
    result.assert_outcomes(passed=2)
    text = (leaky.path / "goldens" / "sdk.ckpt").read_text()
    assert '"sdk_client"' in text and openai_key not in text and KEY not in text
    monkeypatch.delenv("OPENAI_API_KEY")
    leaky.runpytest().assert_outcomes(passed=2)


def test_a_client_key_copied_into_state_fails_the_recording(
    leaky: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("openai")
    monkeypatch.delenv("SOME_API_KEY")
    _app(leaky, "clean")
    leaky.makepyfile(test_leak=COPIED_KEY_TEST.format(key=KEY))
    result = leaky.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "the golden checkpoint was not written" in out
    assert "api_key" in out and "the agent state at state['pages'][0]" in out
    assert KEY not in out
    assert not (leaky.path / "goldens" / "copied.ckpt").exists()


ERROR_APP = """
import threading


class ToolError(Exception):
    def __init__(self, message, handle):
        super().__init__(message)
        self.handle = handle


class Handle:  # only a pickle could store it
    def __init__(self):
        self.lock = threading.Lock()


def lookup(query):
    raise ToolError("the index is down", Handle())


class Agent:
    def __init__(self):
        self.errors = []

    def handle(self, query):
        try:
            return lookup(query)
        except ToolError as exc:
            self.errors.append(f"{exc} (handle: {hasattr(exc, 'handle')})")
            return "fallback"
"""

ERROR_TEST = """
import pytest
from error_app import Agent


@pytest.mark.replay("goldens/error.ckpt", mock={"tool": "error_app.lookup"})
def test_error(replay):
    assert replay.run(Agent().handle, "q") == "fallback"
"""


def test_an_error_attribute_only_a_pickle_could_store_is_not_taken_for_a_secret(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the error a mocked tool raised is recorded, its attribute that only a pickle
    # could store kept as a placeholder naming its type (the trace store never holds a
    # pickle); replay raises the error again, the attribute a placeholder. Before the fix: the
    # error record was encoded with pickles, and the secret scan refused the golden for the
    # pickle's base64 ("values that look like secrets ... root['attributes']['handle']['v'] (a
    # high-entropy string, 108 chars)").
    pytester.makepyfile(error_app=ERROR_APP, test_error=ERROR_TEST)
    recorded = pytester.runpytest("-p", "no:cacheprovider", "--clearstone-record")
    recorded.assert_outcomes(passed=1)
    assert "look like secrets" not in recorded.stdout.str()
    golden = json.loads((pytester.path / "goldens" / "error.ckpt").read_text())
    (error,) = [s["error"] for s in golden["trace"]["spans"] if s["error"]]
    assert error["attributes"]["handle"] == {
        "__cs__": "repr",
        "type": "error_app.Handle",
        "v": "<error_app.Handle object>",
    }
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def _store_text(pytester: pytest.Pytester) -> str:
    """Every text of the trace store's spans, as one string; and the store's files hold the
    key in none of their bytes (a page or a log entry the rewrite left behind)."""
    import sqlite3

    files = list((pytester.path / ".clearstone").glob("traces.db*"))
    assert files and not [f.name for f in files if KEY.encode() in f.read_bytes()]
    store = sqlite3.connect(pytester.path / ".clearstone" / "traces.db")
    try:
        rows = store.execute("select * from spans").fetchall()
    finally:
        store.close()
    return "\n".join(str(value) for row in rows for value in row)


FAILING_TEST = """
import pytest
from leaky_app import Agent


@pytest.mark.replay("goldens/leak.ckpt", mock={"tool": "leaky_app.fetch"})
def test_leak(replay):
    import os

    assert replay.run(Agent().handle, "https://example.test/?q=" + os.environ["SOME_API_KEY"])
    raise RuntimeError("the agent failed with " + os.environ["SOME_API_KEY"])
"""


def test_a_refused_recording_leaves_the_secret_out_of_the_trace_store(
    leaky: pytest.Pytester,
) -> None:
    # Expected: a golden refused for a secret seen in the run is not written, and the trace
    # store, which the golden is built from, does not keep the secret either (the spans of the
    # test show the placeholder in its place). Before the fix: the store held the key in the
    # tool's output (the bytes' base64) and in its argument, after a message telling the user to
    # keep it out of the recording.
    leaky.makepyfile(
        test_leak=TEST.replace(
            '"https://example.test"', '"https://example.test/?q=" + KEY'
        ).replace("import pytest", f"import pytest\nKEY = {KEY!r}")
    )
    _refused(leaky.runpytest("--clearstone-record"))
    text = _store_text(leaky)
    assert "leaky_app.fetch" in text and "[REDACTED]" in text
    assert KEY not in text
    assert base64.b64encode(b"header " + KEY.encode()).decode()[:20] not in text


def test_a_refused_recording_leaves_the_secret_s_base64_out_of_the_trace_store(
    leaky: pytest.Pytester,
) -> None:
    # Expected: the last check refuses the golden for the key in the base64 of a text the tool
    # returned, and the trace store does not keep that base64 either. Before the fix: the
    # store's span kept the tool's output as it was, the key readable by decoding it.
    _app(leaky, "base64 text")
    leaky.makeini("[pytest]\nclearstone_redact_allow =\n    raw\n")
    out = _refused(leaky.runpytest("--clearstone-record"))
    assert "root['raw']" in out and "in its base64" in out
    text = _store_text(leaky)
    assert "leaky_app.fetch" in text and "[REDACTED]" in text
    encoded = base64.b64encode(b"app:" + KEY.encode()).decode()
    assert encoded[4:24] not in text
    for f in (leaky.path / ".clearstone").glob("traces.db*"):
        assert encoded[4:24].encode() not in f.read_bytes(), f.name


def test_a_recording_that_failed_leaves_the_secret_out_of_the_trace_store(
    leaky: pytest.Pytester,
) -> None:
    # Expected: a test that fails while recording writes no golden, and the spans its run left
    # in the trace store hold the placeholder for the secret values seen in the run (a key from
    # the environment in a call's argument and in the test's error). Before the fix: the store
    # kept them, though no rule or check ever looked at it.
    _app(leaky, "clean")
    leaky.makepyfile(test_leak=FAILING_TEST)
    result = leaky.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    text = _store_text(leaky)
    assert "leaky_app.fetch" in text and "the agent failed with [REDACTED]" in text
    assert KEY not in text


ID_TEST = """
import os

import pytest
from leaky_app import Agent


@pytest.mark.parametrize("key", [os.environ["SOME_API_KEY"]])
@pytest.mark.replay(mock={"tool": "leaky_app.fetch"})
def test_leak(replay, key):
    assert replay.run(Agent().handle, "https://example.test") == 200
"""


def test_a_secret_in_the_test_s_id_is_left_out_of_the_trace_store(
    leaky: pytest.Pytester,
) -> None:
    """A key parametrized without an id is in the test's node id, which names the test's span:
    the recording is refused, and the span's name holds the placeholder too. Before the fix the
    store kept the key in the span's name (its attributes were rewritten, not its name)."""
    _app(leaky, "clean")
    leaky.makepyfile(test_leak=ID_TEST)
    result = leaky.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    assert "metadata['test']" in result.stdout.str()
    text = _store_text(leaky)
    assert "test_leak.py::test_leak[[REDACTED]]" in text
    assert KEY not in text


def test_a_secret_in_the_test_s_id_is_refused_naming_an_id_for_the_parameter_as_the_fix(
    leaky: pytest.Pytester,
) -> None:
    """No redaction rule or encoder keeps a key out of the node id that names the test (and its
    golden): the fix is an id for the parameter. The message told to redact it or register an
    encoder."""
    _app(leaky, "clean")
    leaky.makepyfile(test_leak=ID_TEST)
    result = leaky.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "The test's node id holds it" in out
    assert 'pytest.param(value, id="...")' in out
    assert "codec.register" not in out


TOKEN = "tok-9876543210-ZYXWVUTS"  # not in the environment: only the run's redaction saw it

TOKEN_APP = """
def fetch(url, internal_token):
    return {"status": 200, "raw": ("header " + internal_token).encode()}


def handle(url):
    return fetch(url, internal_token=TOKEN)["status"]
"""

TOKEN_TEST = """
import pytest
from token_app import handle


@pytest.mark.replay("goldens/token.ckpt", mock={"tool": "token_app.fetch"})
def test_token(replay):
    assert replay.run(handle, "https://example.test") == 200
"""


def test_a_value_the_run_s_own_redaction_rules_replaced_is_looked_for_in_the_golden(
    pytester: pytest.Pytester,
) -> None:
    """The scan looks for what the test's redaction saw (a key of `clearstone_redact_keys`,
    redacted in the call's arguments), not only what the default rules and the environment
    know: the tool echoes it back inside bytes, where no rule reaches."""
    pytester.syspathinsert()
    pytester.makeini("[pytest]\nclearstone_redact_keys =\n    internal_token\n")
    pytester.makepyfile(token_app=f"TOKEN = {TOKEN!r}\n" + TOKEN_APP, test_token=TOKEN_TEST)
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "the golden checkpoint was not written" in out
    assert "output of span 'token_app.fetch'" in out and "root['raw']" in out
    assert TOKEN not in out
    assert not list(pytester.path.rglob("*.ckpt*"))
