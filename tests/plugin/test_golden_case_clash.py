"""Two tests whose goldens differ only in case would record the same file on a file system that
folds case (macOS, Windows): a collection error naming both, on every platform."""

from __future__ import annotations

import textwrap

import pytest

from tests.plugin.conftest import esc

LIVE = "def complete(prompt):\n    return 'answer to ' + prompt\n"


@pytest.mark.parametrize(
    ("tests", "first", "second", "golden"),
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
        ),
    ],
    ids=["parametrize-ids", "explicit-paths"],
)
def test_goldens_differing_only_in_case_are_a_collection_error(
    pytester: pytest.Pytester, tests: str, first: str, second: str, golden: str
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        live=LIVE, test_case="import pytest\nimport live\n" + textwrap.dedent(tests)
    )
    result = pytester.runpytest("--clearstone-record")
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(
        [esc(f"*{first} and {second} would both record the golden *{golden}*"), "*1 error*"]
    )
    assert not list(pytester.path.rglob("*.ckpt"))
