"""A recorded argument that holds itself: the secret in it never reaches the trace store or the
golden, and the cycle is stored as a placeholder naming its path, which replays.

Before the fix, the redacted copy's back reference was the agent's original dict: the trace
store wrote ``{"password": "[REDACTED]", ..., "me": {"password": "hunter2-...", ...}}`` (the
secret in clear, one level down), and the golden was refused by the last check with advice to
add a redaction rule that was already there.
"""

from __future__ import annotations

import pytest

PASSWORD = "hunter2-very-secret"

APP = f"""
def complete(prompt, opts):
    return {{"text": "answer to " + prompt}}


def handle(message):
    opts = {{"password": {PASSWORD!r}, "n": 1}}
    opts["me"] = opts  # (a config that keeps a reference to itself)
    return complete(message, opts)["text"]
"""

TEST = """
import pytest
import cyc_app


@pytest.mark.replay("goldens/cyc.ckpt", mock={"llm": "cyc_app.complete"})
def test_cyc(replay):
    assert replay.run(cyc_app.handle, "hello") == "answer to hello"
"""


def test_a_secret_in_an_argument_that_holds_itself_is_written_nowhere(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(cyc_app=APP, test_cyc=TEST)
    recorded = pytester.runpytest("--clearstone-record", "-W", "ignore::UserWarning")
    recorded.assert_outcomes(passed=1)
    written = [
        path.read_bytes().decode("latin-1")
        for path in [*pytester.path.rglob("*.ckpt"), *pytester.path.rglob("*.db*")]
    ]
    assert len(written) >= 2  # the golden and the trace store
    assert not [text for text in written if PASSWORD in text]
    golden = (pytester.path / "goldens" / "cyc.ckpt").read_text()
    assert "<reference cycle: dict>" in golden
    replayed = pytester.runpytest("-W", "ignore::UserWarning")
    replayed.assert_outcomes(passed=1)
    replayed.stdout.fnmatch_lines(["*1 checkpoint(s) replayed*"])


def test_the_cycle_is_named_by_its_path_when_recorded(pytester: pytest.Pytester) -> None:
    # (before the fix: the path was opts.me.me, one level into the original, and the test failed)
    pytester.syspathinsert()
    pytester.makepyfile(cyc_app=APP, test_cyc=TEST)
    warning = "default::pytest_clearstone.errors.UnencodableValueWarning"
    result = pytester.runpytest("--clearstone-record", "-W", warning)
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*a dict value at opts.me in the arguments of call #1 to cyc_app.complete:*"
            "ignore=[[]'opts.me'[]]*"
        ]
    )
    assert PASSWORD not in result.stdout.str()
