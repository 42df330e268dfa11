"""A warning the plugin gives at the end of a marked test's call (an ``ignore=`` path that matched
nothing) under ``filterwarnings = error``, as many projects' ini says: it fails the test, as any
warning does there, with its message at the test, not a traceback into the plugin's code; a
recording says it failed on that warning, not on "a plugin's check, such as a soft assertion",
and writes no golden."""

from __future__ import annotations

from pathlib import Path

import pytest

APP = """
def complete(prompt):
    return "answer to " + prompt


class Agent:
    def handle(self, message):
        return complete(message)
"""

TEST = """
import pytest
from app import Agent


@pytest.mark.replay(mock={"llm": "app.complete"}, ignore=["request_idd"])
def test_typo(replay):
    assert replay.run(Agent().handle, "hi") == "answer to hi"
"""

WARNING_CLASS = "pytest_clearstone.errors.UnmatchedIgnorePathWarning"
WARNING = (
    "*UnmatchedIgnorePathWarning: test_typo.py::test_typo: the ignore path 'request_idd' matched "
    "nothing in the arguments of app.complete*"
)


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_typo=TEST)
    return pytester


def test_a_recording_failed_by_the_warning_says_so_and_writes_no_golden(
    project: pytest.Pytester,
) -> None:
    project.makeini("[pytest]\nfilterwarnings = error\n")
    result = project.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            WARNING,
            "goldens not written*",
            "  test_typo.py::test_typo: the test failed while recording "
            "(UnmatchedIgnorePathWarning)",
        ]
    )
    result.stdout.no_fnmatch_line("*soft assertion*")
    result.stdout.no_fnmatch_line("*pytest_clearstone*plugin.py*")
    result.stdout.no_fnmatch_line("*traceback entries are hidden*")
    assert not (project.path / "goldens").exists()


def test_a_recording_failed_by_the_warning_advises_how_to_see_the_calls_it_did_not_write(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The advice ``show --calls GOLDEN`` names a file this recording does not write: it says
    how to write it (the warning let through for one recording), and that command works."""
    project.makeini("[pytest]\nfilterwarnings = error\n")
    result = project.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            f"*no golden is written while this warning fails the test: record with -W "
            f"ignore::{WARNING_CLASS} to write it*"
        ]
    )
    # (in a subprocess: pytest caches a parsed -W filter with its class, which an in-process
    # run imports anew, so a later in-process run's same filter would match nothing)
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).resolve().parents[2]))
    written = project.runpytest_subprocess("--clearstone-record", "-W", f"ignore::{WARNING_CLASS}")
    written.assert_outcomes(passed=1)
    assert (project.path / "goldens" / "test_typo" / "test_typo.ckpt").is_file()


def test_a_replay_failed_by_the_warning_shows_its_message_at_the_test(
    project: pytest.Pytester,
) -> None:
    recorded = project.runpytest("--clearstone-record", "-W", f"ignore::{WARNING_CLASS}")
    recorded.assert_outcomes(passed=1)
    project.makeini("[pytest]\nfilterwarnings = error\n")
    result = project.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([WARNING])
    result.stdout.no_fnmatch_line("*pytest_clearstone*plugin.py*")
    result.stdout.no_fnmatch_line("*item.warn(*")
    result.stdout.no_fnmatch_line("*traceback entries are hidden*")


def test_a_warning_after_the_golden_is_written_shows_its_message_at_the_test(
    pytester: pytest.Pytester,
) -> None:
    """(The golden is written before this warning is given: it stays, as the docs say.)"""
    pytester.syspathinsert()
    pytester.makepyfile(
        tools="def search(q):\n    return 'found ' + q\n\n\ndef other(q):\n    return q\n",
        agent="import tools\nfrom tools import search\n\n\ndef run(q):\n"
        "    return tools.other(q) + search(q)\n",
        test_alias="import pytest\nimport agent\n\n\n"
        "@pytest.mark.replay(mock={'tool': ['tools.search', 'tools.other']})\n"
        "def test_alias(replay):\n    assert replay.run(agent.run, 'x')\n",
    )
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["E   *UncalledTargetWarning: test_alias.py::test_alias: the mock target 'tools.search'*"]
    )
    result.stdout.no_fnmatch_line("*pytest_clearstone*plugin.py*")
    result.stdout.no_fnmatch_line("*item.warn(*")


FIELDLESS_MODEL_APP = """
import pydantic


class Search(pydantic.BaseModel):  # a tool class with no fields: its model_fields is empty
    def run(self, query):
        return "found " + query


class Agent:
    def handle(self, query):
        return Search().run(query)
"""


def test_a_method_of_a_pydantic_model_with_no_fields_records_and_replays_with_warnings_as_errors(
    pytester: pytest.Pytester,
) -> None:
    """Its ``self`` is recorded by its fields (none): reading them never touches pydantic v2's
    deprecated ``__fields__``, whose warning failed the call under ``filterwarnings = error``."""
    pytester.syspathinsert()
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(
        toolapp=FIELDLESS_MODEL_APP,
        test_tool=(
            "import pytest\nfrom toolapp import Agent\n\n"
            "@pytest.mark.replay(mock={'tool': 'toolapp.Search.run'})\n"
            "def test_tool(replay):\n"
            "    assert replay.run(Agent().handle, 'x') == 'found x'\n"
        ),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


def test_the_show_calls_command_a_warning_advises_works_when_copied_into_a_shell(
    pytester: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    """The golden's path in ``pytest-clearstone show --calls GOLDEN`` is quoted for the shell:
    a project in a folder with a space, and a parametrized id's brackets (a glob to a shell,
    an error in zsh), are given to the command whole."""
    import shlex

    from pytest_clearstone.cli import main

    pytester.syspathinsert()
    folder = pytester.mkdir("my project")
    (folder / "app.py").write_text(APP)
    (folder / "test_typo.py").write_text(
        TEST.replace(
            "def test_typo(replay):",
            "@pytest.mark.parametrize('q', ['[x]'])\ndef test_typo(replay, q):",
        )
    )
    # (`UserWarning`, its base: an in-process run's filter of the plugin's class matches only
    # the first time, see above)
    pytester.runpytest("--clearstone-record", "-W", "ignore::UserWarning").assert_outcomes(passed=1)
    result = pytester.runpytest()  # (the warning fails the test: `filterwarnings = error`)
    (line, *_) = [line for line in result.stdout.lines if "show --calls" in line]
    command = line.partition("(pytest-clearstone ")[2].rpartition(")")[0]
    capsys.readouterr()
    assert main(shlex.split(command)) == 0, command
    assert "app.complete #1" in capsys.readouterr().out


# -- a warning about a recorded argument, given in the agent's call ------------------------------
UNREADABLE_APP = """
import functools
import threading
import weakref


class Graph:
    def call(self):
        return None


def llm(prompt, config):
    return "answer to " + prompt


def callback():  # (dill cannot pickle a WeakMethod: only its repr could be stored)
    return functools.partial(print, weakref.WeakMethod(Graph().call))


def with_retry(prompt):
    try:
        return llm(prompt, {"callbacks": [callback()]})
    except Exception:  # (an agent's retry: it tries again without its callbacks)
        return llm(prompt, {})


def with_fallback(prompt):
    try:
        return llm(prompt, {"callbacks": [callback()]})
    except Exception:
        return "no answer"


def in_a_thread(prompt):
    answers = []
    worker = threading.Thread(target=lambda: answers.append(llm(prompt, {"cb": callback()})))
    worker.start()
    worker.join()
    return answers[0] if answers else None


def twice(prompt):  # (the test fails on the first call's warning, not the last one's)
    llm(prompt, {"callbacks": [callback()]})
    return llm(prompt, {"after": callback()})
"""

UNREADABLE_TESTS = """
import pytest
import unreadable


@pytest.mark.replay(mock={"llm": "unreadable.llm"})
def test_agent(replay):
    assert replay.run(unreadable.AGENT, "hi") == "answer to hi"
"""

UNREADABLE_WARNING = (
    "*UnencodableValueWarning: storing the repr of a functools.partial value at config.*"
    " in the arguments of call #1 to unreadable.llm*"
)


@pytest.mark.parametrize("agent", ["with_retry", "with_fallback", "in_a_thread", "twice"])
def test_a_warning_about_an_argument_fails_the_recording_not_the_agents_call(
    pytester: pytest.Pytester, agent: str
) -> None:
    """Under ``filterwarnings = error`` the warning that an argument is stored only by its repr
    was raised into the agent at its call: an agent that caught it recorded its retry as the
    golden (a golden of the path the agent takes only when its call fails, diverging at once on
    replay), or failed as "nothing was recorded: the test made no call" (it made one), or, in a
    thread, died there (an unhandled thread exception). The call runs as it would without the
    filter; the test fails on the warning and writes no golden."""
    pytester.syspathinsert()
    pytester.makepyfile(
        unreadable=UNREADABLE_APP,
        test_unreadable=UNREADABLE_TESTS.replace("unreadable.AGENT", f"unreadable.{agent}"),
    )
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E   " + UNREADABLE_WARNING,
            "goldens not written*",
            "  test_unreadable.py::test_agent: the test failed while recording "
            "(UnencodableValueWarning)",
        ]
    )
    result.stdout.no_fnmatch_line("*nothing was recorded*")
    result.stdout.no_fnmatch_line("*PytestUnhandledThreadExceptionWarning*")
    result.stdout.no_fnmatch_line("*AssertionError*")
    assert not (pytester.path / "goldens").exists()
