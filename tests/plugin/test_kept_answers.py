"""A cache the agent keeps between tests: two tests recorded together, the first filling a
module-level cache of a mocked call's answers, so the second recorded fewer calls. Replayed
alone (-k, --lf, -n, pytest-randomly), the second diverged with "the prompt or arguments
changed", though nothing did: the failure names the test whose golden holds the call."""

from __future__ import annotations

import textwrap

import pytest

LIVE = """
def embed(texts):
    return [float(len(text)) for text in texts]
"""

AGENT = """
import live

_CACHE = {}


def vector(text):
    if text not in _CACHE:
        _CACHE[text] = live.embed([text])[0]
    return _CACHE[text]
"""

TESTS = """
import pytest
import agent


@pytest.mark.replay(mock={"embed": "live.embed"})
def test_one(replay):
    assert agent.vector("Pesto basil?") == 12.0


@pytest.mark.replay(mock={"embed": "live.embed"})
def test_two(replay):
    assert agent.vector("Pesto basil?") == 12.0
    assert agent.vector("Basil goes in pesto with pine nuts.") == 35.0
"""

HINT = (
    "*These arguments were recorded for live.embed by test_cache.py::test_one (in its golden "
    "test_one.ckpt): does the agent keep what the call answered between tests*autouse fixture*"
    '"Determinism and its limits" page*'
)


@pytest.fixture
def cached(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, agent=AGENT, test_cache=textwrap.dedent(TESTS))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    return pytester


def test_a_call_another_test_recorded_is_named_when_the_test_replays_alone(
    cached: pytest.Pytester,
) -> None:
    cached.runpytest().assert_outcomes(passed=2)  # (together: as recorded)
    result = cached.runpytest("-k", "two")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines([HINT])


def test_a_call_beyond_the_recorded_ones_another_test_recorded_is_named(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        live=LIVE,
        agent=AGENT,
        test_cache=textwrap.dedent(TESTS).replace(  # (the cached call after the recorded one)
            '    assert agent.vector("Pesto basil?") == 12.0\n    assert agent.vector("Basil '
            'goes in pesto with pine nuts.") == 35.0\n',
            '    assert agent.vector("Basil goes in pesto with pine nuts.") == 35.0\n'
            '    assert agent.vector("Pesto basil?") == 12.0\n',
        ),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    result = pytester.runpytest("-k", "two")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines([HINT])


def test_no_cache_is_suspected_where_no_other_golden_holds_the_call(
    cached: pytest.Pytester,
) -> None:
    """The agent changed: the call's arguments are in no golden, and no cache is named."""
    source = cached.path / "test_cache.py"
    source.write_text(source.read_text().replace("Pesto basil?", "Basil pesto?"))
    result = cached.runpytest("-k", "two")
    result.assert_outcomes(failed=1, deselected=1)
    result.stdout.fnmatch_lines(["*The prompt or arguments changed*"])
    result.stdout.no_fnmatch_line("*between tests*")


def test_a_recorded_call_left_out_that_another_test_recorded_too_suspects_no_cache(
    pytester: pytest.Pytester,
) -> None:
    """Each test recorded alone, both goldens hold the call; replayed together, the second test
    finds the answer in the cache the first filled, and leaves its recorded call unused. No
    cache is suspected there: another test recording the same call is common (a parametrized
    test's), and the hint fired for a test run alone, which no earlier test could have filled a
    cache for (`tests/plugin/test_failure_messages.py`, a call not made)."""
    pytester.syspathinsert()
    pytester.makepyfile(
        live=LIVE,
        agent=AGENT,
        test_cache=textwrap.dedent(TESTS).replace(
            '    assert agent.vector("Basil goes in pesto with pine nuts.") == 35.0\n', ""
        ),
    )
    pytester.runpytest("--clearstone-record", "-k", "one").assert_outcomes(passed=1, deselected=1)
    pytester.runpytest("--clearstone-record", "-k", "two").assert_outcomes(passed=1, deselected=1)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*The agent now skips calls it used to make*"])
    result.stdout.no_fnmatch_line("*between tests*")
