"""A test whose marker has no mock= only reads its golden: when its replay differs from the
golden, what it is told to do must be something that writes the golden again (the test that
records it), not its own re-recording, which writes nothing."""

from __future__ import annotations

import pytest

LIVE = """
PREFIX = "answer to"


def complete(prompt):
    return f"{PREFIX} {prompt}"


class Agent:
    def __init__(self):
        self.memory = []

    def handle(self, message):
        answer = complete(message)
        self.memory.append(answer)
        return answer
"""

TESTS = """
import pytest
import live


@pytest.mark.replay("goldens/shared.ckpt", mock={"llm": "live.complete"})
def test_writer(replay):
    replay.run(live.Agent().handle, "hi")


@pytest.mark.replay("goldens/shared.ckpt")
def test_reader(replay):
    replay.run(live.Agent().handle, "hi")
"""


@pytest.fixture
def recorded(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_shared=TESTS)
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=2)
    # the agent changes: the reader's live call now answers otherwise than the golden holds
    pytester.makepyfile(live=LIVE.replace('"answer to"', '"reply to"'))
    return pytester


def test_a_diverged_reader_is_told_to_re_record_the_test_that_records_its_golden(
    recorded: pytest.Pytester,
) -> None:
    result = recorded.runpytest("-p", "no:randomly", "test_shared.py::test_reader")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "GoldenMismatchError" in out
    # not its own node id: re-recording a test without mock= writes nothing
    assert "--clearstone-record test_shared.py::test_reader" not in out
    result.stdout.fnmatch_lines(
        [
            "*If the change is intended: this test only reads its golden (its marker has no "
            "mock=), so recording it writes nothing: re-record the test that records it "
            "(pytest --clearstone-record test_shared.py::test_writer), or add mock= to this "
            "marker (mock={} when the agent calls nothing outside)"
        ]
    )
    # the summary lists it with the tests that only read their golden, not with those that
    # --clearstone-mode=record-diverged would record again
    result.stdout.no_fnmatch_line("hint: if the changes are intended*")
    result.stdout.fnmatch_lines(["tests that only read their golden (no mock=)*"])


def test_record_diverged_does_not_run_a_diverged_reader_again_as_if_recording(
    recorded: pytest.Pytester,
) -> None:
    golden = recorded.path / "goldens" / "shared.ckpt"
    before = golden.read_bytes()
    result = recorded.runpytest(
        "-p", "no:randomly", "--clearstone-mode=record-diverged", "test_shared.py::test_reader"
    )
    result.assert_outcomes(failed=1)
    assert golden.read_bytes() == before
    out = result.stdout.str()
    assert "failed while recording" not in out
    assert "failed live, when they ran to record" not in out
    assert out.count("GoldenMismatchError: the replayed") == 1  # (one attempt, not two)
    result.stdout.fnmatch_lines(["tests that only read their golden (no mock=)*"])


def test_under_xdist_a_diverged_reader_is_listed_with_the_readers(
    recorded: pytest.Pytester,
) -> None:
    result = recorded.runpytest(
        "-p",
        "no:randomly",
        "-n",
        "2",
        "--clearstone-mode=record-diverged",
        "test_shared.py::test_reader",
    )
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "failed while recording" not in out
    result.stdout.fnmatch_lines(["tests that only read their golden (no mock=)*"])


def test_the_recording_test_a_golden_names_reaches_the_message_escaped(
    recorded: pytest.Pytester,
) -> None:
    # Before the fix: the node id the golden's metadata names (text from the file, a pull
    # request's) was put in the reader's re-record command as it was: its escape sequences
    # reached the terminal and drove it (cleared the screen, retitled the window)
    import json

    golden = recorded.path / "goldens" / "shared.ckpt"
    doc = json.loads(golden.read_text())
    doc["metadata"]["test"] = "test_shared.py::test_writer\x1b[2J\x1b]0;pwned\x07\u202e"
    golden.write_text(json.dumps(doc, indent=2))
    result = recorded.runpytest("-p", "no:randomly", "test_shared.py::test_reader")
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "\x1b[2J" not in out and "\x07" not in out and "\u202e" not in out
    assert "test_writer\\x1b[2J\\x1b]0;pwned\\x07\\u202e" in out
