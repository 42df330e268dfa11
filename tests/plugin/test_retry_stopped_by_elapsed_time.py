"""A retry layer that stops on elapsed time (tenacity's ``stop_after_delay``, stamina's
``timeout=``) measures it with ``time.monotonic()``, which the replay does not freeze: the
recorded answers come at once, so the replay makes more attempts than the recording did and
runs out of recorded calls with the agent unchanged. The error says so and how to fix it, not
"the agent now makes more calls" with a re-record that fails again."""

from __future__ import annotations

import pytest

APP = """
import time

from tenacity import retry, retry_if_exception_type, stop_after_delay, wait_fixed


class Down(Exception):
    pass


def weather(city):
    # the live service takes its time, then fails
    time.sleep(0.2)
    raise Down(f"no weather for {city}")


@retry(stop=stop_after_delay(0.5), wait=wait_fixed(0.02), retry=retry_if_exception_type(Down))
def weather_with_retry(city):
    return weather(city)


def plan(city):
    try:
        return weather_with_retry(city)
    except Exception as exc:
        return f"no plan: {type(exc).__name__}"
"""

TEST = """
import pytest
import app


@pytest.mark.replay(mock={"tool": "app.weather"})
def test_plan(replay):
    assert replay.run(app.plan, "Lisbon") == "no plan: RetryError"
"""


def test_a_retry_stopped_by_elapsed_time_names_its_cause_when_it_runs_out(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the replay of the unchanged agent runs out of recorded calls (its attempts come
    # at once), and the error names the recorded error retried again, the time-measured stop
    # and the fix (cap the attempts), saying that re-recording does not help. Before the fix:
    # "The agent now makes more calls than when it was recorded ... re-record with: ...", whose
    # re-recording failed the same way on the next replay.
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_planner=TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "E *ReplayExhaustedError: app.weather was called * time(s) but the recording has "
            "only * response(s) for it*",
            "*the recording's last call to app.weather raised app.Down: no weather for Lisbon, "
            "and the agent called it again: a retry layer that stops on elapsed time "
            "(tenacity's stop_after_delay, stamina's timeout=, a deadline on time.monotonic())"
            " makes more attempts on replay, where the recorded answers come at once, than "
            "when recorded; cap its attempts too (stop_after_attempt(n) | stop_after_delay(s), "
            "stamina's attempts=); re-recording alone does not help*",
        ]
    )
    assert "The agent now makes more calls" not in result.stdout.str()


def test_the_retried_error_is_the_last_recorded_calls_after_one_that_answered(
    pytester: pytest.Pytester,
) -> None:
    # the tool's first recorded call answered (Porto), its last ones raised a Down with no
    # message (Lisbon): the error names that last call's error, as "app.Down" alone
    app = APP.replace('raise Down(f"no weather for {city}")', "raise Down()").replace(
        "    time.sleep(0.2)\n",
        '    if city == "Porto":\n        return "sunny"\n    time.sleep(0.2)\n',
    )
    pytester.syspathinsert()
    pytester.makepyfile(
        app=app,
        test_planner=TEST.replace(
            'assert replay.run(app.plan, "Lisbon") == "no plan: RetryError"',
            'assert replay.run(lambda: [app.plan("Porto"), app.plan("Lisbon")]) == '
            '["sunny", "no plan: RetryError"]',
        ),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the recording's last call to app.weather raised app.Down, and the agent called it "
            "again: a retry layer that stops on elapsed time*",
        ]
    )
    assert "The agent now makes more calls" not in result.stdout.str()
