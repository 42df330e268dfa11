"""The state delta in failures reads like pytest's own diffs: text line by line, -vv in full."""

from __future__ import annotations

import pytest

from pytest_clearstone.diff import get_verbosity

from .conftest import esc

RULES = [f"Rule {i}: answer question {i} politely." for i in range(1, 9)]
PROMPT = "You are a support agent.\n" + "\n".join(RULES) + "\nUser says: {message}"


@pytest.fixture
def narrow(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")


def test_a_multi_line_prompt_changed_in_one_line_shows_that_line(project, narrow):
    project.write_app(PROMPT=PROMPT)
    project.record().assert_outcomes(passed=1)
    project.write_app(PROMPT=PROMPT.replace("question 4 politely", "question 4 briefly"))
    result = project.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayDivergenceError: replay diverged at call #1 to app.complete*",
            esc("*root['prompt']: text differs (- before, + after):"),
            "*... (3 identical line(s))",
            "*    Rule 3: answer question 3 politely.",
            "*  - Rule 4: answer question 4 politely.",
            "*  ?                           ^^^ -",
            "*  + Rule 4: answer question 4 briefly.",
            "*  ?                           ^^  +",
            "*    Rule 5: answer question 5 politely.",
            "*... (4 identical line(s))",
            "*re-record with: pytest --clearstone-record*",
        ]
    )
    result.stdout.no_fnmatch_line("*Rule 7*")


LONG = "Context: " + "a long retrieved document " * 12 + "{message} " + "and more " * 12


def test_a_long_value_is_cut_by_default_and_shown_whole_with_vv(project, narrow):
    project.write_app(PROMPT=LONG)
    project.record().assert_outcomes(passed=1)
    changed = LONG.replace("{message}", "{message}!")
    project.write_app(PROMPT=changed)
    before = LONG.format(message="I was charged twice")
    after = changed.format(message="I was charged twice")

    result = project.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc("*root['prompt']: text differs (- before, + after):"),
            "*  - ...*ment I was charged twice and more*...",
            "*  + ...*ment I was charged twice! and more*...",
            "*  ?  *+",
        ]
    )
    result.stdout.no_fnmatch_line(f"*{before}*")

    outer = get_verbosity()
    result = project.replay("-vv")
    assert get_verbosity() == outer  # the inner run's -vv ends with it
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc("*root['prompt']: text differs (- before, + after):"),
            f"*  - {before}",
            "*  ?*^",
            f"*  + {after}",
        ]
    )
