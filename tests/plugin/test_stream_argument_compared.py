"""A call's ``stream`` argument is compared as any other, but for an HTTP client's ``send``.

anthropic 2.17 passes ``send(request, stream=True)`` where 2.16 passed ``False``: only there is
the recorded ``stream`` taken as the live call gives it (``send_stream_as_recorded``). An agent
that now asks its own target, or an SDK's ``create``, for a stream where it asked for a whole
answer has changed, and its replay must say so.
"""

from __future__ import annotations

import pytest

APP = """
def complete(prompt, stream=False):
    return f"ok {prompt} {stream}"
"""

TEST = """
import pytest
import app

STREAM = {stream}


@pytest.mark.replay(mock={{"llm": "app.complete"}})
def test_ask():
    app.complete("hi", stream=STREAM)
"""


def test_a_changed_stream_argument_of_a_target_other_than_send_diverges(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=TEST.format(stream="False"))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.makepyfile(test_app=TEST.format(stream="True"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*root?'stream'?: added True*"])
