"""Signed checkpoints and trusted loading: pickles load only from files signed with the key."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import pickle
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone.debugging import Checkpoint, CheckpointManager
from pytest_clearstone.errors import CheckpointCorruptError, UntrustedCheckpointError
from pytest_clearstone.golden import signing
from pytest_clearstone.tracing.span import Recorded, Span
from pytest_clearstone.tracing.trace import Trace

KEY = b"test-signing-key"


class _Mkdir:
    """Unpickling this creates a directory: proof that a pickle ran code."""

    def __init__(self, path: Path) -> None:
        self.path = str(path)

    def __reduce__(self) -> tuple[Any, tuple[str]]:
        return (os.mkdir, (self.path,))


def _payload(marker: Path) -> dict[str, str]:
    data = base64.b64encode(pickle.dumps(_Mkdir(marker))).decode()
    return {"__cs__": "pickle", "type": "builtins.object", "v": data}


def _checkpoint(state: Any) -> Checkpoint:
    span = Span(trace_id="a" * 32, span_id="b" * 16, parent_span_id=None, name="root",
                start_time_ns=1, end_time_ns=2)  # fmt: skip
    return Checkpoint(
        checkpoint_id="ckpt_" + "c" * 32,
        state=Recorded(encoded=state),
        agent_class_name=None,
        agent_module=None,
        trace=Trace("a" * 32, [span]),
        span_id="b" * 16,
        timestamp=dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc),
    )


@pytest.fixture(autouse=True)
def _no_key_in_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(signing.ENV_VAR, raising=False)


@pytest.fixture
def marker(tmp_path: Path) -> Path:
    return tmp_path / "pwned"


def _save(tmp_path: Path, state: Any, key: bytes | None, name: str = "x.ckpt") -> Path:
    return CheckpointManager(tmp_path / "ckpts").save_checkpoint(
        _checkpoint(state), name, allow_pickle=True, signing_key=key
    )


# -- signing ---------------------------------------------------------------------------------
def test_a_saved_checkpoint_carries_an_hmac_of_its_canonical_content(tmp_path: Path) -> None:
    path = _save(tmp_path, {"n": 1}, KEY)
    doc = json.loads(path.read_text())
    assert doc["signature"].startswith("hmac-sha256:")
    assert len(doc["signature"]) == len("hmac-sha256:") + 64
    assert signing.verify(path.read_text(), KEY)
    assert not signing.verify(path.read_text(), b"another key")
    loaded = CheckpointManager(tmp_path / "ckpts").load_checkpoint("x", signing_key=KEY)
    assert loaded.agent_state == {"n": 1}


def test_without_a_key_nothing_is_signed(tmp_path: Path) -> None:
    path = _save(tmp_path, {"n": 1}, None)
    assert "signature" not in json.loads(path.read_text())


def test_the_key_defaults_to_the_environment_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, marker: Path
) -> None:
    monkeypatch.setenv(signing.ENV_VAR, KEY.decode())
    manager = CheckpointManager(tmp_path)
    path = manager.save_checkpoint(_checkpoint({"n": 1}), "env.ckpt")
    assert signing.verify(path.read_text(), KEY)
    unsigned = _save(tmp_path, {"p": _payload(marker)}, None)
    with pytest.raises(UntrustedCheckpointError):
        manager.load_checkpoint(unsigned)
    assert not marker.exists()


def test_the_signature_survives_reindenting_and_crlf_line_endings(tmp_path: Path) -> None:
    path = _save(tmp_path, {"n": [1, 2], "s": "naïve ✓"}, KEY)
    text = path.read_text(encoding="utf-8")
    reindented = json.dumps(json.loads(text), indent=4, ensure_ascii=True).replace("\n", "\r\n")
    assert signing.verify(reindented, KEY)


def test_the_signature_is_the_documented_hmac_of_non_ascii_content() -> None:
    # (canonical: sorted keys, no spaces, non-ASCII characters kept, UTF-8: what another
    # release, or a reviewer's own script, computes for the same file)
    import hashlib
    import hmac

    doc = {"state": {"name": "Zoë", "mood": "✓"}, "file_bytes": 12, "signature": "old"}
    body = '{"state":{"mood":"✓","name":"Zoë"}}'.encode()
    expected = hmac.new(KEY, body, hashlib.sha256).hexdigest()
    assert signing.compute_signature(doc, KEY) == f"hmac-sha256:{expected}"


def test_the_signature_survives_reordered_keys(tmp_path: Path) -> None:
    # (a JSON formatter that sorts or moves keys changes nothing the signature covers)
    path = _save(tmp_path, {"n": [1, 2], "a": {"y": 1, "x": 2}}, KEY)
    doc = json.loads(path.read_text(encoding="utf-8"))
    assert signing.verify(json.dumps(dict(reversed(list(doc.items())))), KEY)


def test_an_empty_environment_variable_is_no_key(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(signing.ENV_VAR, "")
    assert signing.resolve_key() is None


def test_sign_text_and_sign_file_sign_existing_files(tmp_path: Path) -> None:
    path = _save(tmp_path, {"n": 1}, None)
    assert signing.verify(signing.sign_text(path.read_text(), KEY), KEY)
    signing.sign_file(path, KEY)
    assert signing.verify(path.read_text(), KEY)
    assert signing.checkpoint_trust(path, KEY) == signing.TrustInfo(False, True, True)
    with pytest.raises(ValueError, match=signing.ENV_VAR):
        signing.sign_file(path, None)


def test_an_empty_key_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        signing.resolve_key(b"")


# -- trusted loading -------------------------------------------------------------------------
def test_an_unsigned_file_with_pickles_is_refused_before_unpickling(
    tmp_path: Path, marker: Path
) -> None:
    path = _save(tmp_path, {"p": _payload(marker)}, None)
    with pytest.raises(UntrustedCheckpointError) as info:
        Checkpoint.read(path, allow_pickle=True, signing_key=KEY)
    assert str(path) in str(info.value)
    # the key named where it came from: given, not the environment (before: "is configured
    # (CLEARSTONE_SIGNING_KEY)" for a key passed as signing_key=)
    assert "not signed" in str(info.value) and "signing_key=" in str(info.value)
    assert signing.ENV_VAR not in str(info.value)
    assert f"sign_file('{path}', YOUR_KEY)" in str(info.value)  # (signed with that key)
    assert not marker.exists()


def test_a_refusal_for_the_environments_key_names_the_variable(
    tmp_path: Path, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = _save(tmp_path, {"p": _payload(marker)}, None)
    monkeypatch.setenv(signing.ENV_VAR, KEY.decode())
    with pytest.raises(UntrustedCheckpointError, match=f"not signed.*{signing.ENV_VAR}"):
        Checkpoint.read(path, allow_pickle=True)


def test_a_file_signed_with_another_key_is_refused(tmp_path: Path, marker: Path) -> None:
    path = _save(tmp_path, {"p": _payload(marker)}, b"attacker key")
    with pytest.raises(UntrustedCheckpointError, match="signature does not match") as info:
        Checkpoint.read(path, allow_pickle=True, signing_key=KEY)
    assert not marker.exists()
    # and names the fixes (before: none)
    assert "Re-record it" in str(info.value) and "sign_file(" in str(info.value)


def test_a_signing_key_of_another_type_is_named() -> None:
    # before: hmac's own "key: expected bytes or bytearray, but got 'int'"
    with pytest.raises(TypeError, match="signing_key must be bytes, a text or None, not int"):
        signing.resolve_key(123)  # type: ignore[arg-type]


def test_a_tampered_signed_file_is_refused(tmp_path: Path, marker: Path) -> None:
    path = _save(tmp_path, {"p": {"__cs__": "tuple", "v": [1]}, "note": "x"}, KEY)
    doc = json.loads(path.read_text())
    doc["agent"]["state"]["p"] = _payload(marker)  # swap a harmless value for a pickle
    path.write_text(json.dumps(doc))
    with pytest.raises(UntrustedCheckpointError, match="signature does not match"):
        Checkpoint.read(path, allow_pickle=True, signing_key=KEY)
    assert not marker.exists()


def test_an_escaped_pickle_tag_is_still_detected(tmp_path: Path, marker: Path) -> None:
    path = _save(tmp_path, {"n": 1}, None)
    doc = json.loads(path.read_text())
    doc["agent"]["state"] = _payload(marker)
    text = json.dumps(doc).replace('"__cs__": "pickle"', '"\\u005f_cs__" : "pi\\u0063kle"')
    assert not signing.verify(text, KEY) and '"__cs__": "pickle"' not in text
    path.write_text(text)
    with pytest.raises(UntrustedCheckpointError):
        Checkpoint.read(path, allow_pickle=True, signing_key=KEY)
    assert not marker.exists()
    assert signing.checkpoint_trust(path, KEY).contains_pickle


@pytest.mark.parametrize("spelling", ['"__cs__": "pickle"', '"\\u005f_cs__": "pickle"'])
def test_a_pickle_in_a_recorded_exception_needs_the_signature_too(
    tmp_path: Path, marker: Path, spelling: str
) -> None:
    # A recorded exception's args are decoded when replay raises it, outside the tag index: a
    # file whose length field was forged to match (so its index is taken as complete) hid a
    # pickle there from the trust decision, and replay ran it with pickles allowed and a key set
    path = _save(tmp_path, {"n": 1}, None)
    doc = json.loads(path.read_text())
    doc["trace"]["spans"][0]["error"] = {
        "type": "ValueError", "module": "builtins", "message": "x", "args": [_payload(marker)]
    }  # fmt: skip
    doc["tag_index"] = {"count": 0, "paths": [], "int64": True}
    doc["contains_pickle"] = False
    text = ""
    for _ in range(3):  # the length field holds the file's own length
        text = json.dumps(doc, indent=2).replace('"__cs__": "pickle"', spelling)
        doc["file_bytes"] = len(text.encode())
    path.write_text(text)
    with pytest.raises(UntrustedCheckpointError, match="not signed") as info:
        Checkpoint.read(path, allow_pickle=True, signing_key=KEY)
    assert "error" in str(info.value)
    with pytest.raises(UntrustedCheckpointError, match="pickles are not allowed"):
        Checkpoint.read(path, allow_pickle=False)
    assert not marker.exists()


def test_a_pickle_in_any_recorded_exception_needs_the_signature(
    tmp_path: Path, marker: Path
) -> None:
    """(the second of two spans' exception records holds it, the first none)"""
    path = _save(tmp_path, {"n": 1}, None)
    doc = json.loads(path.read_text())
    first = doc["trace"]["spans"][0]
    first["error"] = {"type": "ValueError", "module": "builtins", "message": "x", "args": []}
    second = {**first, "span_id": "d" * 16, "parent_span_id": first["span_id"]}
    second["error"] = {**first["error"], "args": [_payload(marker)]}
    doc["trace"]["spans"].append(second)
    doc["tag_index"] = {"count": 0, "paths": [], "int64": True}
    doc["contains_pickle"] = False
    text = ""
    for _ in range(3):  # the length field holds the file's own length
        text = json.dumps(doc, indent=2)
        doc["file_bytes"] = len(text.encode())
    path.write_text(text)
    with pytest.raises(UntrustedCheckpointError, match="not signed"):
        Checkpoint.read(path, allow_pickle=True, signing_key=KEY)
    assert not marker.exists()


def test_a_correctly_signed_file_with_pickles_loads(tmp_path: Path, marker: Path) -> None:
    path = _save(tmp_path, {"p": _payload(marker)}, KEY)
    Checkpoint.read(path, allow_pickle=True, signing_key=KEY)
    assert marker.is_dir()  # the control: the pickle really runs code once trusted


def test_without_a_key_allowed_pickles_load(tmp_path: Path, marker: Path) -> None:
    path = _save(tmp_path, {"p": _payload(marker)}, None)
    with pytest.raises(UntrustedCheckpointError, match="not allowed"):
        Checkpoint.read(path, signing_key=None)  # opt-in: refused by default
    assert not marker.exists()
    Checkpoint.read(path, allow_pickle=True, signing_key=None)
    assert marker.is_dir()


def test_allow_pickle_false_refuses_even_a_signed_file(tmp_path: Path, marker: Path) -> None:
    path = _save(tmp_path, {"p": _payload(marker)}, KEY)
    with pytest.raises(UntrustedCheckpointError, match="not allowed"):
        Checkpoint.read(path, allow_pickle=False, signing_key=KEY)
    assert not marker.exists()


def test_files_without_pickles_load_unsigned_or_tampered(tmp_path: Path) -> None:
    path = _save(tmp_path, {"n": 1}, None)
    assert Checkpoint.read(path, signing_key=KEY).agent_state == {"n": 1}
    signed = _save(tmp_path, {"n": 1}, KEY, "signed.ckpt")
    signed.write_text(signed.read_text().replace('"n": 1', '"n": 2'))
    assert Checkpoint.read(signed, signing_key=KEY).agent_state == {"n": 2}
    assert signing.checkpoint_trust(signed, KEY) == signing.TrustInfo(False, True, False)


# -- checkpoint_trust (for `show`) ------------------------------------------------------------
def test_checkpoint_trust_reports_pickles_and_signature(tmp_path: Path, marker: Path) -> None:
    pickled = _save(tmp_path, {"p": _payload(marker)}, KEY, "p.ckpt")
    plain = _save(tmp_path, {"n": 1}, None, "n.ckpt")
    assert signing.checkpoint_trust(pickled, KEY) == signing.TrustInfo(True, True, True)
    assert signing.checkpoint_trust(pickled, b"other") == signing.TrustInfo(True, True, False)
    assert signing.checkpoint_trust(pickled, None) == signing.TrustInfo(True, True, None)
    assert signing.checkpoint_trust(plain, KEY) == signing.TrustInfo(False, False, None)
    assert not marker.exists()  # trust checks never decode
    assert str(signing.checkpoint_trust(pickled, KEY)) == (
        "contains pickled values; signature valid"
    )
    assert "not verified" in str(signing.checkpoint_trust(pickled, None))
    assert str(signing.checkpoint_trust(plain, KEY)) == "no pickled values; unsigned"


def test_checkpoint_trust_on_a_file_that_is_not_json(tmp_path: Path) -> None:
    path = tmp_path / "bad.ckpt"
    path.write_text('{"format": ')
    with pytest.raises(CheckpointCorruptError, match=r"bad\.ckpt"):
        signing.checkpoint_trust(path, KEY)
    with pytest.raises(CheckpointCorruptError, match="cannot read"):
        signing.checkpoint_trust(tmp_path / "missing.ckpt", KEY)


def test_contains_pickle_is_recorded_in_the_file(tmp_path: Path, marker: Path) -> None:
    assert json.loads(_save(tmp_path, {"p": _payload(marker)}, KEY, "a.ckpt").read_text())[
        "contains_pickle"
    ]
    assert not json.loads(_save(tmp_path, {"n": 1}, KEY, "b.ckpt").read_text())["contains_pickle"]


def test_list_checkpoints_ignores_temporary_and_hidden_files(tmp_path: Path) -> None:
    manager = CheckpointManager(tmp_path)
    path = manager.save_checkpoint(_checkpoint({"n": 1}), "golden.ckpt", signing_key=None)
    (tmp_path / ".golden.ckpt.k2j3h4.tmp").write_text("{")
    (tmp_path / ".hidden.ckpt").write_text("{")
    assert manager.list_checkpoints() == [path]


@pytest.mark.parametrize("signature", [5, {"hmac": "x"}, None, ""])
def test_a_signature_of_the_wrong_type_is_invalid_not_missing(
    tmp_path: Path, signature: Any
) -> None:
    # show said "unsigned" for a signature field holding a number or an object: a tampered
    # file read as one nobody signed
    path = _save(tmp_path, {"n": 1}, KEY, "n.ckpt")
    doc = json.loads(path.read_text())
    doc["signature"] = signature
    path.write_text(json.dumps(doc))
    assert signing.checkpoint_trust(path, KEY) == signing.TrustInfo(False, True, False)
    assert str(signing.checkpoint_trust(path, KEY)) == "no pickled values; signature INVALID"


@pytest.mark.parametrize(
    "name",
    [
        "o'brien's \"$HOME\" `x`",
        # (a backslash alone: inside the shell's "...", \\ of the path's repr became \)
        pytest.param("back\\new", marks=pytest.mark.skipif(os.name == "nt", reason="posix")),
    ],
)
def test_the_sign_command_works_when_copied_for_a_path_holding_quotes(
    tmp_path: Path, marker: Path, monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    """The command a refusal gives (``python -c "...sign_file('PATH')"``) broke for a path
    holding a quote (a home directory ``o'brien``: a Python syntax error) or ``$`` (expanded
    by the shell inside its double quotes): it is quoted for the shell and for Python."""
    import shlex
    import subprocess
    import sys

    folder = tmp_path / name
    folder.mkdir()
    path = _save(folder, {"p": _payload(marker)}, None)
    monkeypatch.setenv(signing.ENV_VAR, KEY.decode())
    with pytest.raises(UntrustedCheckpointError) as info:
        Checkpoint.read(path, allow_pickle=True)
    command = str(info.value).partition("sign it if you trust it: ")[2].splitlines()[0]
    assert command.startswith("python -c ")
    root = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(root)}
    argv = [sys.executable, *shlex.split(command)[1:]]
    done = subprocess.run(argv, env=env, capture_output=True, text=True, check=False)
    assert done.returncode == 0, (command, done.stderr)
    assert Checkpoint.read(path, allow_pickle=True, signing_key=KEY) is not None


def test_the_sign_command_for_a_path_holding_an_exclamation_mark_is_in_single_quotes(
    tmp_path: Path, marker: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An interactive bash or zsh expands ``!`` inside double quotes (its history)."""
    folder = tmp_path / "wow!x"
    folder.mkdir()
    path = _save(folder, {"p": _payload(marker)}, None)
    monkeypatch.setenv(signing.ENV_VAR, KEY.decode())
    with pytest.raises(UntrustedCheckpointError) as info:
        Checkpoint.read(path, allow_pickle=True)
    command = str(info.value).partition("sign it if you trust it: ")[2].splitlines()[0]
    assert command.startswith("python -c 'from pytest_clearstone.golden import signing; ")
    assert "wow!x" in command


@pytest.mark.parametrize("field", ["input", "output"])
def test_a_pickle_in_a_calls_arguments_or_answer_is_named_without_the_stored_level(
    field: str,
) -> None:
    doc = {"trace": {"spans": [{"name": "app.llm", "span_id": "s1"}]}}
    assert signing.describe_location(doc, ["trace", "spans", 0, field, "v", "receipt"]) == (
        f"the {field} of span 'app.llm' (s1) at root['receipt'] (trace.spans[0].{field})"
    )


@pytest.mark.parametrize(
    ("field", "what"), [("error", "the exception"), ("attributes", "an attribute")]
)
def test_a_pickle_in_a_span_s_exception_or_attribute_is_named_as_such(
    field: str, what: str
) -> None:
    doc = {"trace": {"spans": [{"name": "app.llm", "span_id": "s1"}]}}
    assert signing.describe_location(doc, ["trace", "spans", 0, field, "cause"]) == (
        f"{what} of span 'app.llm' (s1) at root['cause'] (trace.spans[0].{field})"
    )


def test_a_pickle_in_the_state_is_named_as_the_value_reads() -> None:
    """A pickle inside a model of the agent's state was named through the stored form's ``v``
    (``state['llm']['v']['rate_limiter']``, as docs/how-to/langchain.md showed)."""
    from pytest_clearstone.codec.tags import pickle_locations
    from pytest_clearstone.golden.signing import describe_location

    limiter = {"__cs__": "pickle", "type": "langchain_core.rate_limiters.InMemoryRateLimiter"}
    model = {"__cs__": "pydantic", "cls": "langchain_openai:ChatOpenAI"}
    model["v"] = {"rate_limiter": limiter}
    pair = {"__cs__": "tuple", "v": [1, limiter]}
    doc = {"agent": {"state": {"llm": model}}, "outcome": {"pair": pair}}
    doc["metadata"] = {"run": limiter}
    first, second, third = (where for where, _ in pickle_locations(doc, limit=3))
    assert describe_location(doc, first) == "the agent state at state['llm'].rate_limiter"
    assert describe_location(doc, second) == "the outcome at outcome['pair'][1]"
    assert describe_location(doc, third) == "the metadata at metadata['run']"
