"""A mock target the agent imported by name (``from app.tools import search`` in ``app.agent``,
mock path ``app.tools.search``) is never called through that path: a strict recording warns,
naming the path the agent reaches the function under, also when other targets were called."""

from __future__ import annotations

import textwrap

import pytest

TOOLS = """
CALLS = []

def search(q):
    CALLS.append(q)
    return [f"doc about {q}"]

def unused(q):
    return q
"""

LLM = """
def complete(prompt):
    return "answer: " + prompt[:20]
"""

AGENT = """
from app.tools import search
from app import llm

def run(q):
    docs = search(q)
    return llm.complete(f"{q} {docs}")
"""


@pytest.fixture
def app(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    package = pytester.mkpydir("app")
    (package / "tools.py").write_text(textwrap.dedent(TOOLS))
    (package / "llm.py").write_text(textwrap.dedent(LLM))
    (package / "agent.py").write_text(textwrap.dedent(AGENT))
    # (warnings shown, not turned into errors)
    pytester.makeini("[pytest]\nfilterwarnings =\n    always::UserWarning\n")
    return pytester


def _test(pytester: pytest.Pytester, marker: str) -> None:
    pytester.makepyfile(
        test_alias=f"""
        import pytest
        from app import agent

        @pytest.mark.replay({marker})
        def test_partial():
            assert agent.run("x").startswith("answer")
        """
    )


def test_a_target_not_called_that_the_agent_imported_by_name_is_warned_about(
    app: pytest.Pytester,
) -> None:
    # Before the fix: the golden was written without a word, and every replay ran the real
    # search (the "did you mean" hint was given only when no target at all was called).
    _test(app, 'mock={"llm": "app.llm.complete", "tool": "app.tools.search"}')
    result = app.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*UncalledTargetWarning: test_alias.py::test_partial: the mock target "
            "'app.tools.search' was not called while recording; the same function is "
            "`app.agent.search`: if the agent calls it under that name, mock that path "
            "(mock={'tool': 'app.agent.search'}), or its calls run live on every replay. "
            "A target this test does not use needs no change",
        ]
    )
    assert (app.path / "goldens" / "test_alias" / "test_partial.ckpt").exists()


def test_the_warning_names_every_other_path(app: pytest.Pytester) -> None:
    (app.path / "app" / "agent.py").write_text(
        textwrap.dedent(AGENT) + "from app.tools import search as find\n"
    )
    _test(app, 'mock={"llm": "app.llm.complete", "tool": "app.tools.search"}')
    result = app.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*the same function is `app.agent.find` or `app.agent.search`: if the agent calls*"]
    )


@pytest.mark.parametrize(
    "marker",
    [
        # the agent's own path is mocked: what it calls is recorded
        'mock={"llm": "app.llm.complete", "tool": "app.agent.search"}',
        # a tool this scenario does not use, under no other path: nothing to say
        'mock={"llm": "app.llm.complete", "tool": ["app.agent.search", "app.tools.unused"]}',
        # both paths mocked: the one the agent calls records
        'mock={"llm": "app.llm.complete", "tool": ["app.tools.search", "app.agent.search"]}',
        # not strict: a target left uncalled is allowed
        'mock={"llm": "app.llm.complete", "tool": "app.tools.search"}, strict=False',
    ],
)
def test_no_warning(app: pytest.Pytester, marker: str) -> None:
    _test(app, marker)
    result = app.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*UncalledTargetWarning*")


def test_replaying_does_not_warn(app: pytest.Pytester) -> None:
    _test(app, 'mock={"llm": "app.llm.complete", "tool": "app.tools.search"}')
    app.runpytest("--clearstone-record").assert_outcomes(passed=1, warnings=1)
    result = app.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*UncalledTargetWarning*")


def test_a_partial_target_the_test_does_not_call_is_not_named_as_its_own_holder(
    app: pytest.Pytester,
) -> None:
    """A target whose import path holds a ``functools.partial`` (or an object holding the
    function) is itself what a replay patches: the warning for it left uncalled named it as a
    holder "made before the test patched the name", a cause that is not there."""
    (app.path / "app" / "tools.py").write_text(
        textwrap.dedent(TOOLS)
        + "import functools\ndef _impl(db, q):\n    return q\n"
        + "lookup = functools.partial(_impl, 'db')\ndel _impl\n"
    )
    _test(app, 'mock={"llm": "app.llm.complete", "tool": ["app.agent.search", "app.tools.lookup"]}')
    result = app.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*functools.partial*")
    result.stdout.no_fnmatch_line("*UncalledTargetWarning*")
