"""A mock target in the test module itself under ``--import-mode=importlib``: pytest imports the
module under a name made from its path from the rootdir (``local_agents.test_local``), not under its
file's stem, so a target written with the stem (as under the default ``prepend`` mode) cannot be
imported; the message names the module as it is loaded and the path to mock instead."""

from __future__ import annotations

import textwrap

import pytest

from .conftest import esc

TEST = """
import pytest


def complete(prompt):
    return "answer to " + prompt


class Agent:
    def handle(self, message):
        return complete(message)


@pytest.mark.replay(mock={{"llm": "{target}"}})
def test_local(replay):
    assert replay.run(Agent().handle, "hi") == "answer to hi"
"""


@pytest.mark.parametrize("mode", ["record", "replay"])
def test_a_target_named_by_the_test_modules_stem_names_the_module_as_importlib_loads_it(
    pytester: pytest.Pytester, mode: str
) -> None:
    pytester.makeini("[pytest]\naddopts = --import-mode=importlib\n")
    (pytester.path / "local_agents").mkdir()
    test = pytester.path / "local_agents" / "test_local.py"
    if mode == "replay":  # (a golden recorded with the path that works)
        test.write_text(textwrap.dedent(TEST.format(target="local_agents.test_local.complete")))
        pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    test.write_text(textwrap.dedent(TEST.format(target="test_local.complete")))
    result = pytester.runpytest(f"--clearstone-mode={mode}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc(
                "*mock target 'test_local.complete' cannot be patched: no module 'test_local' "
                "can be imported. A module named 'test_local' is loaded as "
                "'local_agents.test_local' "
                "(pytest's --import-mode=importlib names a test module after its path from the "
                "rootdir): mock 'local_agents.test_local.complete'"
            )
        ]
    )


def test_the_path_the_message_names_records_and_replays(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\naddopts = --import-mode=importlib\n")
    (pytester.path / "local_agents").mkdir()
    (pytester.path / "local_agents" / "test_local.py").write_text(
        textwrap.dedent(TEST.format(target="local_agents.test_local.complete"))
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["1 checkpoint(s) replayed, 0 recorded, 0 diverged"])


def test_a_stem_that_names_no_loaded_module_keeps_the_general_fix(
    pytester: pytest.Pytester,
) -> None:
    """A module loaded under a longer name that lacks the rest of the path is not offered
    (``email.utils`` for ``utils.complete``)."""
    pytester.makepyfile(
        test_other=textwrap.dedent(TEST.format(target="utils.complete")).replace(
            "import pytest", "import email.utils\nimport pytest", 1
        )
    )
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*mock target 'utils.complete' cannot be patched: no module 'utils' can be imported. "
            "Give the import path where the agent looks the function up*"
        ]
    )
    result.stdout.no_fnmatch_line("*is loaded as*")
