"""Tools kept in a registry made at import — a dict of name to function, a list of tools —
which the agent calls through the registry, never through the mock target's path.

Patching ``app.tools.search`` replaces the module's name; the registry holds the function
itself, so the agent's calls through it run live, unrecorded, and on every replay. A strict
recording says so, naming the registry, as it names an object made at import that holds the
function (a graph's node, a registered tool).
"""

from __future__ import annotations

import textwrap

import pytest

TOOLS = """
def search(q):
    return [f"doc about {q}"]


def lookup(sku):
    return {"sku": sku, "stock": 3}


TOOLS = {"search": search}                        # a dispatch table
SPECS = [{"name": "lookup", "fn": lookup}]       # tool specs for the LLM, with the function


class Agent:
    REGISTRY = {"search": search}                 # a class's own table
"""

AGENT = """
from app import tools


def complete(prompt):
    return "use search"


def run(q):
    plan = complete(q)
    docs = tools.TOOLS["search"](q)
    stock = tools.SPECS[0]["fn"]("K-1")
    return plan, docs, stock


def run_with(q, search_fn=tools.search):  # the tool as a parameter's default
    return search_fn(q)
"""

TEST = """
import pytest
from app import agent


@pytest.mark.replay(
    mock={"llm": "app.agent.complete", "tool": ["app.tools.search", "app.tools.lookup"]}
)
def test_some_called():
    agent.run("kettle")


@pytest.mark.replay("goldens/none.ckpt", mock={"tool": "app.tools.search"})
def test_none_called():
    from app import tools
    tools.TOOLS["search"]("kettle")


@pytest.mark.replay("goldens/default.ckpt", mock={"tool": "app.tools.search"})
def test_default():
    agent.run_with("kettle")
"""


@pytest.fixture
def app(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    package = pytester.mkpydir("app")
    (package / "tools.py").write_text(textwrap.dedent(TOOLS))
    (package / "agent.py").write_text(textwrap.dedent(AGENT))
    pytester.makepyfile(test_app=TEST)
    pytester.makeini("[pytest]\nfilterwarnings =\n    always::UserWarning\n")
    return pytester


def test_a_tool_called_through_a_registry_made_at_import_is_named(
    app: pytest.Pytester,
) -> None:
    # Before the fix the first test recorded the LLM call alone without a word, and every
    # replay ran search and lookup live; the second said "nothing was recorded" with no hint
    result = app.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=2, warnings=2)
    # (the holders in the order the garbage collector finds them)
    search = [line for line in result.outlines if "'app.tools.search' was not called" in line]
    assert len(search) == 1
    for holder in (
        "the dict app.tools.TOOLS",
        "the dict app.tools.Agent.REGISTRY",
        "the defaults of app.agent.run_with",
    ):
        assert holder in search[0]
    assert (
        "made before the test patched the name (a graph's node, a registered tool), which calls "
        "it, never the mock: its calls run live on every replay." in search[0]
    )
    assert " a the " not in result.stdout.str()
    result.stdout.fnmatch_lines_random(
        [
            "*UncalledTargetWarning: test_app.py::test_some_called: the mock target "
            "'app.tools.lookup' was not called while recording; the function is also held by "
            "the list app.tools.SPECS made before *",
            "  `app.tools.search` is also held by the * made before the test patched the name*",
            "test_app.py::test_default: nothing was recorded*",
        ]
    )
