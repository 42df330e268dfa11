"""A doctest marked as a golden test (a conftest adds the marker to the doctests pytest's
``--doctest-modules`` collects) is named by a node id that only a run given
``--doctest-modules`` (or ``--doctest-glob``) collects: the commands its messages give repeat
the option, or they select nothing ("not found")."""

from __future__ import annotations

import shlex

import pytest

APP = """
import os


def llm(prompt):
    return "ok " + prompt


def ask(question):
    return llm(os.environ.get("PROMPT", "p") + question)
"""

AGENT_DOC = '''
import app


def helper():
    """
    >>> app.ask("doc").startswith("ok ")
    True
    """
'''

CONFTEST = """
import pytest


def pytest_collection_modifyitems(items):
    for item in items:
        if isinstance(item, pytest.DoctestItem):
            item.add_marker(pytest.mark.replay(mock={"llm": "app.llm"}))
"""


def test_the_record_command_of_a_doctest_repeats_doctest_modules(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: the divergence's command and the summary's hint give `pytest --doctest-modules
    # --clearstone-record agentdoc.py::agentdoc.helper`, which re-records the doctest (they
    # left the option out: pytest answered "ERROR: not found: agentdoc.py::agentdoc.helper")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, agentdoc=AGENT_DOC)
    pytester.makeconftest(CONFTEST)
    args = ["-p", "no:randomly", "--doctest-modules"]
    pytester.runpytest(*args, "--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("PROMPT", "changed ")
    result = pytester.runpytest(*args)
    result.assert_outcomes(failed=1)
    command = "pytest --doctest-modules --clearstone-record agentdoc.py::agentdoc.helper"
    result.stdout.fnmatch_lines([f"*re-record with: {command}"])
    result.stdout.fnmatch_lines(["hint: * pytest --doctest-modules --clearstone-mode=*"])
    pytester.runpytest("-p", "no:randomly", *shlex.split(command)[1:]).assert_outcomes(passed=1)
    pytester.runpytest(*args).assert_outcomes(passed=1)


def test_the_record_command_of_a_doctest_of_a_text_file_repeats_its_glob(
    pytester: pytest.Pytester,
) -> None:
    # Expected: a doctest file collected by `--doctest-glob=*.md` is named with the option in
    # the missing golden's command, which records it (without it: "not found")
    pytester.syspathinsert()
    pytester.makepyfile(app=APP)
    pytester.makeconftest(CONFTEST)
    pytester.path.joinpath("guide.md").write_text(
        "```\n>>> import app\n>>> app.ask(\"md\")\n'ok pmd'\n\n```\n"
    )
    result = pytester.runpytest("-p", "no:randomly", "--doctest-glob=*.md")
    result.assert_outcomes(failed=1)
    command = "pytest --doctest-glob='*.md' --clearstone-record guide.md::guide.md"
    result.stdout.fnmatch_lines([f"*Record it first with: {command}"])
    # (the glob given as the option's next argument is repeated the same way)
    result = pytester.runpytest("-p", "no:randomly", "--doctest-glob", "*.md")
    result.stdout.fnmatch_lines([f"*Record it first with: {command}"])
    pytester.runpytest("-p", "no:randomly", *shlex.split(command)[1:]).assert_outcomes(passed=1)
    pytester.runpytest("-p", "no:randomly", "--doctest-glob=*.md").assert_outcomes(passed=1)
    # a prune run that does not collect the file (but a test beside it) keeps its golden
    pytester.makepyfile(test_plain=PLAIN_TEST)
    golden = pytester.path / "goldens" / "guide" / "guide.md.ckpt"
    assert golden.is_file()
    pruned = pytester.runpytest("-p", "no:randomly", "--clearstone-prune-unused")
    pruned.stdout.fnmatch_lines(["  goldens/guide/guide.md.ckpt: guide.md, * --doctest-glob *"])
    assert golden.is_file()


PLAIN_TEST = """
import pytest

import app


@pytest.mark.replay(mock={"llm": "app.llm"})
def test_plain():
    assert app.llm("p") == "ok p"
"""


def test_a_prune_run_without_doctest_modules_keeps_the_goldens_of_doctests(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the goldens of marked doctests, recorded with --doctest-modules, are kept by a
    # prune run without it (its doctests are not collected), listed as kept; a stale golden of
    # a test function is still deleted (they were deleted as unused: lost)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, agentdoc=AGENT_DOC, test_plain=PLAIN_TEST)
    pytester.makeconftest(CONFTEST)
    args = ["-p", "no:randomly"]
    pytester.runpytest(*args, "--doctest-modules", "--clearstone-record").assert_outcomes(passed=2)
    doctest_golden = pytester.path / "goldens" / "agentdoc" / "agentdoc.helper.ckpt"
    assert doctest_golden.is_file()
    stale = pytester.path / "goldens" / "test_plain" / "test_gone.ckpt"
    stale.write_bytes(doctest_golden.read_bytes())
    result = pytester.runpytest(*args, "--clearstone-prune-unused")
    result.assert_outcomes(passed=1)
    assert doctest_golden.is_file()
    assert not stale.exists()
    result.stdout.fnmatch_lines(
        [
            "deleted unused golden goldens/test_plain/test_gone.ckpt",
            "goldens kept, their tests were not collected:",
            "  goldens/agentdoc/agentdoc.helper.ckpt: * doctests * --doctest-modules*",
        ]
    )
    pytester.runpytest(*args, "--doctest-modules").assert_outcomes(passed=2)


def test_a_doctest_that_diverged_shows_the_divergence_not_the_plugin_s_frames(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: the failure of a marked doctest whose replay diverged is pytest's report of a
    # doctest example's exception: the divergence, raised in the agent's line, and counted as
    # diverged (it was raised again from the plugin's hook, shown after doctest's
    # UnexpectedException with a traceback through pytest's, pluggy's and the plugin's frames:
    # some 1,500 lines)
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, agentdoc=AGENT_DOC)
    pytester.makeconftest(CONFTEST)
    args = ["-p", "no:randomly", "--doctest-modules"]
    pytester.runpytest(*args, "--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("PROMPT", "changed ")
    result = pytester.runpytest_subprocess(*args)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "UNEXPECTED EXCEPTION: ReplayDivergenceError(*replay diverged at call #1 *",
            "*return llm(os.environ.get*",
            "pytest_clearstone.errors.ReplayDivergenceError: replay diverged at call #1 to "
            "app.llm: *",
            "0 checkpoint(s) replayed, 0 recorded, 1 diverged",
        ]
    )
    for internal in ("*def _runtest_call*", "*_multicall*", "*def from_call*"):
        result.stdout.no_fnmatch_line(internal)
