"""golden.provider_credentials: the provider key variables whose SDK finds another credential
without them (anthropic's auth token, profiles and workload identity; the Azure credentials
openai's module client would choose), which get no placeholder while tests replay."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import anthropic  # noqa: F401  (asked only where the test modules imported it)
import openai
import pytest

from pytest_clearstone.golden.provider_credentials import with_other_credentials

NAMES = ("OPENAI_API_KEY", "ANTHROPIC_API_KEY")
ANTHROPIC_VARIABLES = (
    "ANTHROPIC_API_KEY",
    "ANTHROPIC_AUTH_TOKEN",
    "ANTHROPIC_PROFILE",
    "ANTHROPIC_CONFIG_DIR",
    "ANTHROPIC_FEDERATION_RULE_ID",
    "ANTHROPIC_ORGANIZATION_ID",
    "ANTHROPIC_IDENTITY_TOKEN",
    "ANTHROPIC_IDENTITY_TOKEN_FILE",
)
AZURE_VARIABLES = ("AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_ENDPOINT")


@pytest.fixture(autouse=True)
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No anthropic or Azure variable, no Azure setting of openai's module client, and a home
    directory with no anthropic profile."""
    for name in (*ANTHROPIC_VARIABLES, *AZURE_VARIABLES, "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    for name in ("api_type", "azure_endpoint", "azure_ad_token", "azure_ad_token_provider"):
        monkeypatch.setattr(openai, name, None)
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    return home


def _profile(config_dir: Path, name: str = "default", mode: int = 0o644) -> None:
    (config_dir / "configs").mkdir(parents=True, exist_ok=True)
    (config_dir / "credentials").mkdir(exist_ok=True)
    config = config_dir / "configs" / f"{name}.json"
    config.write_text(json.dumps({"authentication": {"type": "user_oauth"}}))
    config.chmod(mode)
    credentials = config_dir / "credentials" / f"{name}.json"
    credentials.write_text(json.dumps({"access_token": "sk-ant-oat01-unit"}))
    credentials.chmod(0o600)


@pytest.mark.parametrize(
    "environ",
    [
        {"ANTHROPIC_AUTH_TOKEN": "tok"},
        {
            "ANTHROPIC_FEDERATION_RULE_ID": "fdrl_1",
            "ANTHROPIC_ORGANIZATION_ID": "org_1",
            "ANTHROPIC_IDENTITY_TOKEN": "eyJ.unit.token",
        },
    ],
    ids=["auth-token", "federation"],
)
def test_anthropic_credentials_the_environment_gives(
    environ: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert with_other_credentials(NAMES, os.environ) == {"ANTHROPIC_API_KEY"}


def test_without_them_every_key_gets_its_placeholder(monkeypatch: pytest.MonkeyPatch) -> None:
    assert with_other_credentials(NAMES, os.environ) == frozenset()
    monkeypatch.setenv("ANTHROPIC_FEDERATION_RULE_ID", "fdrl_1")  # (no identity token)
    monkeypatch.setenv("ANTHROPIC_ORGANIZATION_ID", "org_1")
    assert with_other_credentials(NAMES, os.environ) == frozenset()


def test_the_active_profile_on_disk_is_a_credential(home: Path) -> None:
    config_dir = home / ".config" / "anthropic"
    _profile(config_dir, "work")  # (not the active profile: the SDK passes it over)
    assert with_other_credentials(NAMES, os.environ) == frozenset()
    _profile(config_dir)
    assert with_other_credentials(NAMES, os.environ) == {"ANTHROPIC_API_KEY"}


def test_a_profile_the_environment_names_is_a_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _profile(tmp_path / "config", "work")
    monkeypatch.setenv("ANTHROPIC_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ANTHROPIC_PROFILE", "work")
    assert with_other_credentials(NAMES, os.environ) == {"ANTHROPIC_API_KEY"}


def test_a_broken_profile_the_sdk_passes_over_is_none(home: Path) -> None:
    _profile(home / ".config" / "anthropic", mode=0o666)  # (the SDK refuses a shared config)
    assert with_other_credentials(NAMES, os.environ) == frozenset()


def test_a_key_that_is_set_or_a_name_not_asked_about_is_not_given(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "tok")
    assert with_other_credentials(("OPENAI_API_KEY",), os.environ) == frozenset()
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-set")
    assert with_other_credentials(NAMES, os.environ) == frozenset()


def test_a_profile_the_environment_names_that_is_broken_is_a_credential(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (the SDK raises making a client from it, as it did when recorded: no key comes first)
    monkeypatch.setenv("ANTHROPIC_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("ANTHROPIC_PROFILE", "missing")
    assert with_other_credentials(NAMES, os.environ) == {"ANTHROPIC_API_KEY"}


def test_a_release_without_credentials_gives_every_key_its_placeholder(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "tok")  # (an anthropic 0.x does not read it)
    monkeypatch.setitem(sys.modules, "anthropic.lib.credentials", None)  # (no such module)
    assert with_other_credentials(NAMES, os.environ) == frozenset()


def test_where_the_tests_did_not_import_anthropic_it_is_not_asked(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ANTHROPIC_AUTH_TOKEN", "tok")
    monkeypatch.delitem(sys.modules, "anthropic")
    assert with_other_credentials(NAMES, os.environ) == frozenset()
    assert "anthropic" not in sys.modules


@pytest.mark.parametrize("name", AZURE_VARIABLES)
def test_an_azure_variable_makes_the_openai_module_client_an_azure_one(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With a placeholder in ``OPENAI_API_KEY`` too, the module client refused to choose."""
    monkeypatch.setenv(name, "azure-unit")
    assert with_other_credentials(NAMES, os.environ) == {"OPENAI_API_KEY"}
    monkeypatch.setenv("OPENAI_API_KEY", "sk-set")  # (set: no placeholder to give)
    assert with_other_credentials(NAMES, os.environ) == frozenset()


@pytest.mark.parametrize("setting", ["azure_endpoint", "azure_ad_token", "azure_ad_token_provider"])
def test_an_azure_setting_of_the_openai_module_makes_its_client_an_azure_one(
    setting: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(openai, setting, "https://x.openai.azure.com")
    assert with_other_credentials(NAMES, os.environ) == {"OPENAI_API_KEY"}


def test_the_openai_module_client_of_a_kind_set_chooses_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """``openai.api_type`` (read from ``OPENAI_API_TYPE``): the key gets its placeholder, which
    an ``openai.OpenAI()`` the agent makes needs."""
    monkeypatch.setenv("AZURE_OPENAI_API_KEY", "azure-unit")
    monkeypatch.setattr(openai, "api_type", "azure")
    assert with_other_credentials(NAMES, os.environ) == frozenset()
