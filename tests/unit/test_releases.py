"""``releases``: installed code told from the project's own, and the release a class comes from."""

from __future__ import annotations

import platform
import sys
from importlib import metadata
from pathlib import Path

import openai
import pytest
from langchain_core.messages import AIMessage

from pytest_clearstone.releases import (
    installed_by,
    is_installed_file,
    library_release,
    missing_module,
    python_release,
)


def test_a_library_s_module_is_installed_and_the_project_s_own_is_not() -> None:
    assert is_installed_file(openai.__file__)
    assert is_installed_file(metadata.__file__)  # (the standard library's)
    assert not is_installed_file(__file__)


def test_a_library_s_module_reached_through_a_link_is_installed(tmp_path: Path) -> None:
    link = tmp_path / "linked_openai"
    link.symlink_to(Path(openai.__file__).parent, target_is_directory=True)
    assert is_installed_file(str(link / "__init__.py"))


def test_the_release_of_a_class_is_its_distribution_s_name_and_version() -> None:
    core = metadata.version("langchain-core")
    assert library_release(f"{AIMessage.__module__}:AIMessage") == ("langchain-core", core)
    assert library_release("openai:OpenAI") == ("openai", metadata.version("openai"))


def test_a_class_of_the_project_or_of_the_standard_library_has_no_release() -> None:
    assert library_release("pytest_clearstone.errors:ClearstoneError") is None
    assert library_release("json:JSONDecoder") is None
    assert library_release("not_imported_anywhere:Thing") is None


def test_a_class_of_the_standard_library_has_the_running_python_s_release() -> None:
    assert python_release("signal:Signals") == platform.python_version()
    assert python_release("builtins:eval") == platform.python_version()  # (no __file__)
    assert python_release("openai:OpenAI") is None
    assert python_release("pytest_clearstone.errors:ClearstoneError") is None
    assert python_release("not_imported_anywhere:Thing") is None
    lacking = "winreg" if sys.platform != "win32" else "fcntl"  # (not on this platform)
    assert python_release(f"{lacking}:Key") == platform.python_version()


def test_a_module_neither_installed_nor_the_project_s_is_missing_and_one_found_is_not() -> None:
    assert missing_module("cs_installed_nowhere.types:Tool") == "cs_installed_nowhere"
    assert missing_module("openai.types.gone_since:Thing") is None  # (openai is installed)
    assert missing_module("json:Gone") is None
    assert missing_module("tests.unit.test_releases:Gone") is None  # (the project's)
    assert missing_module(":Thing") is None


def test_a_module_found_but_not_imported_is_not_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "cs_found_not_imported.py").write_text("")
    monkeypatch.syspath_prepend(str(tmp_path))
    assert missing_module("cs_found_not_imported:Thing") is None
    assert "cs_found_not_imported" not in sys.modules  # (only looked up)


def test_a_package_is_the_distribution_s_only_when_the_distribution_installed_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    pytest.importorskip("agents")
    assert installed_by("openai-agents", "agents")
    # (another distribution's package beside it in site-packages, a distribution not installed)
    assert not installed_by("openai-agents", "openai")
    assert not installed_by("no-such-distribution", "agents")
    # a project's own package of the same name, imported in its place
    own = type(sys)("agents")
    own.__file__ = str(Path(__file__).parent / "agents" / "__init__.py")
    monkeypatch.setitem(sys.modules, "agents", own)
    assert not installed_by("openai-agents", "agents")
    monkeypatch.delitem(sys.modules, "agents")
    assert not installed_by("openai-agents", "agents")  # (not imported: nothing is imported)
    assert "agents" not in sys.modules
