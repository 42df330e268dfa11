"""A pydantic ``SecretStr``/``SecretBytes`` the agent keeps in its state under a secret name (a
settings model's ``anthropic_api_key``, a dataclass's ``api_key``, an attribute), end to end:
the golden never holds the secret, and the replayed agent reads a secret of the same class,
holding the placeholder key, where it read the key when recorded. The redaction of the name
stored such a value as the text ``'[REDACTED]'``, which the replay gave back to the agent as a
``str``: ``AttributeError: 'str' object has no attribute 'get_secret_value'``."""

from __future__ import annotations

import json
from typing import Any

import pytest

KEY = "vault-key-0123456789-ABCDEFGH"
CI_KEY = "vault-ci-key-9876543210"
PLACEHOLDER_KEY = "clearstone-placeholder-key"

APP = """
import dataclasses
import os

import pydantic
from pydantic import v1


def complete(prompt, api_key):
    assert type(api_key) is str
    return "answer to " + prompt


class Config(pydantic.BaseModel):
    anthropic_api_key: pydantic.SecretStr
    model: str = "m"


class SigningConfig(pydantic.BaseModel):
    signing_key: pydantic.SecretBytes


class LegacyConfig(v1.BaseModel):
    openai_api_key: v1.SecretStr


@dataclasses.dataclass
class Settings:
    api_key: pydantic.SecretStr


class Agent:
    def __init__(self):
        self.answers = []
        self.hold(os.environ["VAULT_API_KEY"])

    def handle(self, q):
        answer = complete(q, api_key=self.key())
        self.answers.append(answer)
        return answer


class ModelAgent(Agent):
    def hold(self, key):
        self.config = Config(anthropic_api_key=key)

    def key(self):
        return self.config.anthropic_api_key.get_secret_value()


class BytesAgent(Agent):
    def hold(self, key):
        self.config = SigningConfig(signing_key=key.encode())

    def key(self):
        return self.config.signing_key.get_secret_value().decode()


class V1Agent(Agent):
    def hold(self, key):
        self.config = LegacyConfig(openai_api_key=key)

    def key(self):
        return self.config.openai_api_key.get_secret_value()


class DataclassAgent(Agent):
    def hold(self, key):
        self.settings = Settings(api_key=pydantic.SecretStr(key))

    def key(self):
        return self.settings.api_key.get_secret_value()


class AttributeAgent(Agent):
    def hold(self, key):
        self.api_key = pydantic.SecretStr(key)

    def key(self):
        return self.api_key.get_secret_value()


class RefreshingAgent(ModelAgent):
    \"\"\"Reads its settings again at each run (never its key while it runs).\"\"\"

    def handle(self, q):
        self.hold(os.environ["VAULT_API_KEY"])
        answer = complete(q, api_key="unused")
        self.answers.append(answer)
        return answer


class ProviderAgent(ModelAgent):
    \"\"\"Reads the provider's variable at each run (the plugin's placeholder key in a replay
    where it is unset).\"\"\"

    def handle(self, q):
        self.hold(os.environ["ANTHROPIC_API_KEY"])
        answer = complete(q, api_key="unused")
        self.answers.append(answer)
        return answer
"""

KINDS = ["ModelAgent", "BytesAgent", "V1Agent", "DataclassAgent", "AttributeAgent"]

TEST = """
import pytest

import vault_app


@pytest.mark.parametrize("kind", {kinds!r})
@pytest.mark.replay(mock={{"llm": "vault_app.complete"}}{options})
def test_it(replay, kind):
    agent = getattr(vault_app, kind)()
    assert replay.run(agent.handle, "hi") == "answer to hi"
    print(f"KEY {{kind}} {{agent.key()}}")
"""


def _project(pytester: pytest.Pytester, kinds: list[str], options: str = "") -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(vault_app=APP, test_vault=TEST.format(kinds=kinds, options=options))
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    return pytester


def _goldens(pytester: pytest.Pytester) -> dict[str, str]:
    found = {path.name: path.read_text() for path in pytester.path.rglob("*.ckpt")}
    assert found, "nothing was written"
    return found


def test_a_secret_field_under_a_secret_name_replays_as_a_secret_holding_the_placeholder(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    _project(pytester, KINDS)
    monkeypatch.setenv("VAULT_API_KEY", KEY)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=5)
    for name, text in _goldens(pytester).items():
        assert KEY not in text, name
        assert '"__cs__": "secret"' in text, name
    monkeypatch.setenv("VAULT_API_KEY", CI_KEY)  # (another key in CI: the golden's is given)
    result = pytester.runpytest("-s", "-p", "no:randomly")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines_random([f"*KEY {kind} {PLACEHOLDER_KEY}*" for kind in KINDS])


def _as_recorded_before(tree: Any) -> Any:
    """``tree`` with each stored secret written as the text ``'[REDACTED]'``, as goldens
    recorded before this fix held a secret under a secret name."""
    if isinstance(tree, dict):
        if tree.get("__cs__") == "secret":
            return "[REDACTED]"
        return {k: _as_recorded_before(x) for k, x in tree.items()}
    if isinstance(tree, list):
        return [_as_recorded_before(x) for x in tree]
    return tree


@pytest.mark.parametrize(
    "options", ["", ', ignore_state=["final_state.answers"]'], ids=["compared", "ignore_state"]
)
def test_a_golden_holding_the_redacted_text_of_a_secret_still_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, options: str
) -> None:
    """An agent that makes its settings again while it runs (the replay's secret is its own,
    not the golden's) against a golden recorded before, whose states hold ``'[REDACTED]'``
    where a golden now holds the stored secret: the two stand for the same redacted key."""
    _project(pytester, ["RefreshingAgent"], options)
    monkeypatch.setenv("VAULT_API_KEY", KEY)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    (path,) = pytester.path.rglob("*.ckpt")
    doc = json.loads(path.read_text())
    doc["agent"] = _as_recorded_before(doc["agent"])
    doc["outcome"] = _as_recorded_before(doc["outcome"])
    path.write_text(json.dumps(doc, indent=2))
    assert '"anthropic_api_key": "[REDACTED]"' in path.read_text()
    monkeypatch.setenv("VAULT_API_KEY", CI_KEY)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)


def test_a_mismatch_against_such_a_golden_shows_no_difference_in_the_secret(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What the comparison took as alike is no line of the delta: only the answer changed."""
    _project(pytester, ["RefreshingAgent"])
    monkeypatch.setenv("VAULT_API_KEY", KEY)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    (path,) = pytester.path.rglob("*.ckpt")
    doc = json.loads(path.read_text())
    doc["agent"] = _as_recorded_before(doc["agent"])
    doc["outcome"] = _as_recorded_before(doc["outcome"])
    doc["outcome"]["final_state"]["answers"] = ["another answer"]
    path.write_text(json.dumps(doc, indent=2))
    result = pytester.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*final state differs*", "*root?'answers'??0?: 'another answer' -> 'answer to hi'"]
    )
    result.stdout.no_fnmatch_line("*anthropic_api_key*")


def test_a_secret_recorded_with_a_key_replays_where_the_plugin_gives_its_placeholder_key(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Recorded with a key, replayed where the provider's variable is unset: the model made
    while it runs holds the plugin's placeholder key, which stands for the stored secret."""
    _project(pytester, ["ProviderAgent"])
    monkeypatch.setenv("VAULT_API_KEY", KEY)
    monkeypatch.setenv("ANTHROPIC_API_KEY", KEY)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=1)
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=1)
