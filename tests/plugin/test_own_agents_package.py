"""A project's own package named ``agents`` (not the OpenAI Agents SDK, ``openai-agents``, whose
package has that name) is not taken for the SDK: its ``result.RunResult`` holding a value only a
pickle could store is refused as any value is, naming the value (not "the OpenAI Agents SDK's
result of a run"), and a connection its ``tracing`` modules make is not called the SDK's
tracing uploads (whose fix, ``OPENAI_AGENTS_DISABLE_TRACING=1``, would do nothing). Run in
subprocesses: the SDK's package, imported by other tests of the process, would be found in its
place."""

from __future__ import annotations

import pytest

RESULT = """
import dataclasses


class Handle:
    pass


@dataclasses.dataclass
class RunResult:
    answer: str
    handle: Handle
"""

UPLOAD = """
import socket


def upload():
    with socket.create_connection(("203.0.113.9", 443), timeout=1):
        pass
"""

TESTS = """
import pytest

from agents.result import Handle, RunResult
from agents.tracing.upload import upload


def lookup():
    return "ok"


def run():
    return RunResult(lookup(), Handle())


def run_and_upload():
    upload()
    return lookup()


@pytest.mark.replay(mock={"tool": "test_own.lookup"})
def test_result(replay):
    replay.run(run)


@pytest.mark.replay(mock={"tool": "test_own.lookup"})
def test_upload(replay):
    replay.run(run_and_upload)
"""


@pytest.fixture
def own(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    package = pytester.mkpydir("agents")
    (package / "result.py").write_text(RESULT)
    tracing = package / "tracing"
    tracing.mkdir()
    (tracing / "__init__.py").write_text("")
    (tracing / "upload.py").write_text(UPLOAD)
    pytester.makepyfile(test_own=TESTS)
    return pytester


def test_an_own_run_result_is_refused_as_any_value(own: pytest.Pytester) -> None:
    result = own.runpytest_subprocess("--clearstone-record", "-p", "no:randomly", "-k", "result")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*cannot serialise the outcome at outcome[[]'result'].handle (an agents.result.Handle)*"]
    )
    result.stdout.no_fnmatch_line("*OpenAI Agents SDK*")


def test_a_connection_from_an_own_tracing_module_is_not_called_the_sdks_uploads(
    own: pytest.Pytester,
) -> None:
    own.runpytest_subprocess("--clearstone-record", "-p", "no:randomly", "-k", "upload")
    result = own.runpytest_subprocess("-p", "no:randomly", "-k", "upload")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*NetworkBlockedError*203.0.113.9*"])
    result.stdout.no_fnmatch_line("*OPENAI_AGENTS_DISABLE_TRACING*")
