"""Tests a conftest collects from files that are not Python modules (a ``pytest.File`` and its
``pytest.Item`` per case, as data-driven suites of agent prompts do), marked in the conftest:
their default golden is ``goldens/<file stem>/<test name>.ckpt`` beside the file, as a module's
test's is, so it does not depend on the directory the project is checked out in."""

from __future__ import annotations

import shutil
import textwrap

import pytest

APP = """
def complete(prompt):
    return "answer to " + prompt


class Agent:
    def handle(self, message):
        return complete(message)
"""

CONFTEST = """
import pytest
from app import Agent


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".txt" and file_path.name.startswith("test_"):
        return CaseFile.from_parent(parent, path=file_path)


class CaseFile(pytest.File):
    def collect(self):
        for line in self.path.read_text().splitlines():
            item = CaseItem.from_parent(self, name=line)
            item.add_marker(pytest.mark.replay(mock={"llm": "app.complete"}))
            yield item


class CaseItem(pytest.Item):
    def runtest(self):
        assert Agent().handle(self.name) == "answer to " + self.name

    def reportinfo(self):
        return self.path, 0, self.name
"""


@pytest.fixture
def cases(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP))
    pytester.makeconftest(textwrap.dedent(CONFTEST))
    (pytester.path / "cases").mkdir()
    (pytester.path / "cases" / "test_prompts.txt").write_text("hello\nworld\n")
    return pytester


def test_a_non_python_items_default_golden_is_named_after_its_file_and_test(
    cases: pytest.Pytester,
) -> None:
    cases.runpytest("--clearstone-record").assert_outcomes(passed=2)
    goldens = cases.path / "cases" / "goldens"
    written = sorted(p.relative_to(goldens).as_posix() for p in goldens.rglob("*.ckpt"))
    assert written == ["test_prompts/hello.ckpt", "test_prompts/world.ckpt"]


def test_a_non_python_items_golden_replays_in_a_checkout_under_another_name(
    cases: pytest.Pytester,
) -> None:
    cases.runpytest("--clearstone-record").assert_outcomes(passed=2)
    elsewhere = cases.path.parent / "another-checkout"
    shutil.copytree(cases.path, elsewhere)
    cases.chdir()
    result = cases.runpytest(elsewhere, f"--rootdir={elsewhere}", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["2 checkpoint(s) replayed, 0 recorded, 0 diverged"])
