"""Imported traces replayed through the marker: a GenAI OTLP/JSON trace turned into a checkpoint
by application code, and clearstone-sdk files converted with import_files."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.interop import clearstone_sdk, otel

FIXTURES = Path(__file__).parent.parent / "fixtures"
QUESTION = "What's the weather in Paris?"
ANSWER = "It is 18°C with light rain in Paris: take an umbrella."

WEATHER_TEST = f"""
import pytest

MOCK = {{"llm": "weather_app.chat", "tool": "weather_app.get_weather"}}


@pytest.mark.replay("goldens/weather.ckpt", mock=MOCK, strict=False)
def test_weather(replay):
    answer = replay.run("ask", {QUESTION!r})
    assert answer == {ANSWER!r}
    assert replay.agent.tool_calls == 1
    assert [c.target for c in replay.calls] == [
        "weather_app.chat", "weather_app.get_weather", "weather_app.chat"]
"""


@pytest.fixture
def weather_project(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> Path:
    """weather_app in the pytester dir, and its production trace saved as a checkpoint there."""
    shutil.copy(FIXTURES / "otel" / "weather_app.py", pytester.path)
    pytester.syspathinsert()
    monkeypatch.delitem(sys.modules, "weather_app", raising=False)
    import weather_app

    (trace,) = otel.traces_from_otlp_json(FIXTURES / "otel" / "genai_weather_agent.json")
    root = trace.root_span
    assert root is not None
    manager = CheckpointManager(pytester.path / "goldens")
    checkpoint = manager.create_checkpoint(weather_app.WeatherAgent(), trace, root.span_id)
    return manager.save_checkpoint(checkpoint, "weather.ckpt")


def test_otlp_trace_replays_through_the_marker(
    pytester: pytest.Pytester, weather_project: Path
) -> None:
    pytester.makepyfile(test_weather=WEATHER_TEST)
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*1 checkpoint(s) replayed, 0 recorded, 0 diverged*"])


def test_more_calls_than_the_trace_recorded_fail(
    pytester: pytest.Pytester, weather_project: Path
) -> None:
    pytester.makepyfile(
        test_weather=WEATHER_TEST
        + f"""

@pytest.mark.replay("goldens/weather.ckpt", mock=MOCK, strict=False)
def test_asks_twice(replay):
    replay.run("ask", {QUESTION!r})
    replay.run("ask", "And tomorrow?")
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(
        ["*weather_app.chat was called 3 time(s) but the recording has only 2 response(s)*"]
    )


def test_strict_matching_compares_arguments_with_the_convention_shaped_inputs(
    pytester: pytest.Pytester, weather_project: Path
) -> None:
    """The GenAI spans record the messages, not the call's arguments by name: strict=True
    reports the difference (so imported traces are replayed with strict=False)."""
    pytester.makepyfile(test_weather=WEATHER_TEST.replace("strict=False", "strict=True"))
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*replay diverged at call #1 to weather_app.chat*"])


def test_converted_clearstone_sdk_checkpoint_replays_query_2(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    sdk = pytester.path / "sdk"
    shutil.copytree(FIXTURES / "clearstone_sdk", sdk)
    shutil.copy(sdk / "make_samples.py", pytester.path)
    pytester.syspathinsert()
    monkeypatch.delitem(sys.modules, "make_samples", raising=False)
    manifest = json.loads((sdk / "manifest.json").read_text())
    (path,) = clearstone_sdk.import_files(sdk, pytester.path / "goldens", allow_pickle=True)
    pytester.makepyfile(
        test_sdk=f"""
import pytest


@pytest.mark.replay({str(path.relative_to(pytester.path))!r},
                    mock={manifest["mock_config_used_for_replay"]!r}, strict=False)
def test_query_2(replay):
    result = replay.run("run_query", "What are the risks?")
    assert result == {{
        "answer": "LLM answer to: What are the risks?", "hits": 19, "rows": 2,
        "receipt": "Receipt(0.01, 2025-01-15T12:00:00+00:00)"}}
    assert replay.agent.steps == 2
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--clearstone-allow-pickle")
    result.assert_outcomes(passed=1)


def test_stateless_checkpoint_from_a_traces_db_replays_a_bound_method(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A trace without a clearstone-sdk checkpoint: its responses from the root span on."""
    sdk = pytester.path / "sdk"
    shutil.copytree(FIXTURES / "clearstone_sdk", sdk)
    shutil.copy(sdk / "make_samples.py", pytester.path)
    pytester.syspathinsert()
    monkeypatch.delitem(sys.modules, "make_samples", raising=False)
    manifest = json.loads((sdk / "manifest.json").read_text())
    (path,) = clearstone_sdk.import_files(
        sdk / "traces.db", pytester.path / "goldens", allow_pickle=True
    )
    pytester.makepyfile(
        test_sdk=f"""
import pytest
from make_samples import SeedAgent


@pytest.mark.replay({str(path.relative_to(pytester.path))!r},
                    mock={manifest["mock_config_used_for_replay"]!r}, strict=False)
def test_query_1(replay):
    agent = SeedAgent()
    assert replay.run(agent.run_query, "anything")["hits"] == 18  # query_1's recorded tool hits
    assert agent.steps == 1
"""
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--clearstone-allow-pickle")
    result.assert_outcomes(passed=1)
