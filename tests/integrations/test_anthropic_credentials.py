"""anthropic's other credentials than ``ANTHROPIC_API_KEY`` (SDK 2.x): ``ANTHROPIC_AUTH_TOKEN``,
a profile (``ANTHROPIC_PROFILE``, ``ANTHROPIC_CONFIG_DIR``, the active profile on disk) and
workload identity federation. With one of them and no key, the plugin's placeholder key would
come first: the client a replay builds would not be the one recorded (a profile's
``base_url``), and the replay diverged on it on the machine that recorded it."""

from __future__ import annotations

import json
from pathlib import Path

import anthropic  # noqa: F401  (imported once here, so the in-process inner runs reuse it)
import pytest

from .harness import Stack

GATEWAY = "https://llm-gateway.example.com"

TEST = """
import anthropic
import pytest

import anthropic_agent as app
import services


@pytest.fixture
def profile_client():
    # as a user's fixture: anthropic.Anthropic(), the credentials from the environment
    return anthropic.Anthropic(http_client=services.ANTHROPIC.client(), max_retries=0)


@pytest.mark.replay("goldens/plain.ckpt",
                    mock={"llm": "anthropic.resources.messages.Messages.create"})
def test_it(replay, profile_client):
    agent = app.PlainAgent(profile_client)
    assert replay.run(agent.answer, "Moons of Mars?") == "Answer to 'Moons of Mars?'"
    assert str(profile_client.base_url).startswith("https://llm-gateway.example.com")
"""


def _profile(config_dir: Path) -> None:
    """A profile as anthropic's login writes it: the config (its base URL, a workspace) and the
    credentials file holding the access token."""
    (config_dir / "configs").mkdir(parents=True)
    (config_dir / "credentials").mkdir()
    config = config_dir / "configs" / "default.json"
    config.write_text(
        json.dumps(
            {
                "authentication": {"type": "user_oauth"},
                "base_url": GATEWAY,
                "workspace_id": "wrkspc_01probe",
            }
        )
    )
    config.chmod(0o644)
    credentials = config_dir / "credentials" / "default.json"
    credentials.write_text(json.dumps({"access_token": "sk-ant-oat01-probe-token-0123456789"}))
    credentials.chmod(0o600)


def test_a_client_made_from_a_profile_replays_as_it_was_recorded(
    make_stack, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    stack: Stack = make_stack("anthropic_agent")
    _profile(tmp_path / "anthropic-config")
    monkeypatch.delenv("ANTHROPIC_API_KEY")
    monkeypatch.setenv("ANTHROPIC_CONFIG_DIR", str(tmp_path / "anthropic-config"))
    stack.write_test("profile", TEST)
    stack.roundtrip()
    assert GATEWAY in stack.goldens()[0].read_text()
