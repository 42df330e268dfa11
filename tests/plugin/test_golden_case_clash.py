"""Two tests whose goldens differ only in case would record the same file on a file system that
folds case (macOS, Windows): a collection error naming both, on every platform."""

from __future__ import annotations

import textwrap

import pytest

from tests.plugin.conftest import esc

LIVE = "def complete(prompt):\n    return 'answer to ' + prompt\n"


@pytest.mark.parametrize(
    ("tests", "first", "second", "golden", "fix"),
    [
        (
            """
            @pytest.mark.parametrize("model", ["gpt-4o", "GPT-4o"])
            @pytest.mark.replay(mock={"llm": "live.complete"})
            def test_model(replay, model):
                replay.run(live.complete, model)
            """,
            "test_case.py::test_model[gpt-4o]",
            "test_case.py::test_model[GPT-4o]",
            "test_model[gpt-4o].ckpt",
            # their paths are the default ones: leaving the path out is no fix
            "their default paths differ only in case or in characters a file name cannot hold: "
            "give them ids that differ otherwise (pytest.param(..., id=...)), or each its own "
            "path (@pytest.mark.replay(PATH, ...))",
        ),
        (
            """
            @pytest.mark.replay("g/shared.ckpt", mock={"llm": "live.complete"})
            def test_lower(replay):
                replay.run(live.complete, "lower")

            @pytest.mark.replay("g/Shared.ckpt", mock={"llm": "live.complete"})
            def test_upper(replay):
                replay.run(live.complete, "upper")
            """,
            "test_case.py::test_lower",
            "test_case.py::test_upper",
            "shared.ckpt",
            "give each test its own path (or leave the path out: one golden per test), or drop "
            "mock= from the tests that only read it",
        ),
    ],
    ids=["parametrize-ids", "explicit-paths"],
)
def test_goldens_differing_only_in_case_are_a_collection_error(
    pytester: pytest.Pytester, tests: str, first: str, second: str, golden: str, fix: str
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        live=LIVE, test_case="import pytest\nimport live\n" + textwrap.dedent(tests)
    )
    result = pytester.runpytest("--clearstone-record")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [esc(f"*{first} and {second} would both record the golden *{golden}*: {fix}"), "*1 error*"]
    )
    assert not list(pytester.path.rglob("*.ckpt"))
