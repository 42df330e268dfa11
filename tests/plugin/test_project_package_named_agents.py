"""A value of a mocked call's arguments that only its repr could store warns, naming its
``ignore=`` path — but for what runs one of the OpenAI Agents SDK's tools (``agents.tool``,
``agents.handoffs``...), which is compared by its type with no warning. That rule matched the
class by its module's name alone, so a project's own top-level package named ``agents`` (a
common name) with a ``tool`` module of its own lost those warnings. The rule is now for the
installed SDK's classes only."""

from __future__ import annotations

import sys

import pytest

TOOL = """
import dataclasses


@dataclasses.dataclass
class Tool:
    name: str
    guard: object
"""

APP = """
from PACKAGE.tool import Tool


def llm(tools):
    return "ok"


def ask():
    return llm([Tool("search", (step for step in ()))])  # (a generator: no form stores it)
"""

TEST = """
import pytest

import app


@pytest.mark.replay("g.ckpt", mock={"llm": "app.llm"})
def test_it(replay):
    assert replay.run(app.ask) == "ok"
"""


@pytest.mark.parametrize("package", ["agents", "crew"])
def test_a_project_package_named_agents_is_warned_about_as_any_other(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, package: str
) -> None:
    for name in [m for m in sys.modules if m == package or m.startswith(f"{package}.")]:
        monkeypatch.delitem(sys.modules, name)  # (the SDK, imported by an earlier test here)
    pytester.syspathinsert()
    (pytester.path / package).mkdir()
    (pytester.path / package / "__init__.py").write_text("")
    (pytester.path / package / "tool.py").write_text(TOOL)
    pytester.makepyfile(app=APP.replace("PACKAGE", package), test_it=TEST)
    result = pytester.runpytest("--clearstone-record")  # (warnings are errors here)
    result.assert_outcomes(failed=1)
    text = " ".join(result.stdout.str().split())
    assert (
        "UnencodableValueWarning: storing the repr of a generator value at tools.0.guard in the "
        "arguments of call #1 to app.llm" in text
    ), text
