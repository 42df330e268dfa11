"""probe-presp: a tool's result goes back to the model as JSON text (a Responses API
``function_call_output``'s ``output``, a chat ``tool`` message's ``content``). When one value deep
inside a long result changes, the delta names the place inside the JSON (``forecast[3].sky``),
not only a window of the text around it."""

from __future__ import annotations

import json

from pytest_clearstone.diff import StateDelta


def _weather(sky: str) -> str:
    return json.dumps(
        {
            "city": "Oslo",
            "celsius": 5,
            "forecast": [
                {"day": d, "high": 10 + d, "low": 2 + d, "sky": sky if d == 3 else "cloudy"}
                for d in range(5)
            ],
            "station": {"id": "OSL-001", "name": "Blindern", "elevation_m": 94},
        }
    )


def test_a_long_json_text_that_changed_inside_names_the_place_in_the_json() -> None:
    before = {"input": [{"type": "function_call_output", "output": _weather("cloudy")}]}
    after = {"input": [{"type": "function_call_output", "output": _weather("sunny")}]}
    lines = StateDelta(before, after, verbosity=0, width=80).text_lines
    assert lines == [
        "root['input'][0]['output']: JSON text differs (paths inside it):",
        "  forecast[3].sky: 'cloudy' -> 'sunny'",
    ], lines


def test_keys_added_and_removed_inside_a_long_json_text_are_named() -> None:
    old = json.loads(_weather("cloudy"))
    new = {**old, "wind_kmh": 12}
    del new["station"]
    lines = StateDelta(
        {"output": json.dumps(old)}, {"output": json.dumps(new)}, verbosity=0, width=80
    ).text_lines
    assert lines == [
        "root['output']: JSON text differs (paths inside it):",
        "  station removed",
        "  wind_kmh added",
    ], lines


def test_a_long_text_that_is_not_json_on_both_sides_keeps_its_text_diff() -> None:
    lines = StateDelta(
        {"output": _weather("cloudy")}, {"output": _weather("sunny")[:-1]}, verbosity=0, width=80
    ).text_lines
    assert lines[0] == "root['output']: text differs (- before, + after):", lines
