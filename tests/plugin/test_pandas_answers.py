"""A data tool answering with pandas values (a frame's row as a dict, a series, the frame): its
``Timestamp``, ``NaT`` and nullable ``Int64`` cells (``pd.NA``) are refused naming the value's
type and the conversion that stores it, and the conversion offered for a frame records and
replays. Before, each was refused with the generic fixes (teach the codec the type, mock the
function under this one, allow pickles), naming no conversion."""

from __future__ import annotations

import pandas  # noqa: F401  (imported once: pytester's in-process runs drop what they import)
import pytest

APP = """
import json

import pandas as pd

FRAME = pd.DataFrame(
    {
        "id": pd.array([1, None], dtype="Int64"),
        "at": [pd.Timestamp("2024-01-02 03:04:05", tz="UTC"), pd.NaT],
    }
)


def first_row():
    return FRAME.iloc[0].to_dict()


def missing_time():
    return {"at": FRAME["at"].iloc[1]}


def missing_id():
    return {"id": FRAME["id"].iloc[1]}


def ids():
    return FRAME["id"]


def frame():
    return FRAME


def rows():
    return json.loads(FRAME.to_json(orient="records", date_format="iso"))


def agent(tool):
    return repr(tool())
"""

TESTS = """
import pytest

import data


@pytest.mark.parametrize(
    "tool", ["first_row", "missing_time", "missing_id", "ids", "frame", "rows"]
)
def test_tool(replay, tool):
    replay.run(data.agent, getattr(data, tool))


@pytest.fixture
def clearstone_config(request):
    return {"mock": {"tool": f"data.{request.node.callspec.params['tool']}"}}


pytestmark = pytest.mark.replay
"""


def test_pandas_values_in_an_answer_are_refused_with_the_conversion_that_stores_them(
    pytester: pytest.Pytester,
) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(data=APP, test_data=TESTS)
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=1, failed=5)
    refused = "*cannot serialise the answer of call #1 to data.{}{} (a {}): only its repr*"
    result.stdout.fnmatch_lines(
        [
            refused.format("first_row", ", at answer[[]'at']", "pandas.Timestamp")
            + "Convert it with .to_pydatetime() (or .isoformat()) in the function that returns it*",
            refused.format("missing_time", ", at answer[[]'at']", "pandas.api.typing.NaTType")
            + "Convert it with None if pd.isna(value) else value.to_pydatetime() (NaT is "
            "pandas' missing time) in the function*",
            refused.format("missing_id", ", at answer[[]'id']", "pandas.api.typing.NAType")
            + "Convert it with None if pd.isna(value) else value (pd.NA is pandas' missing "
            "value, of a nullable column such as Int64) in the function*",
            refused.format("ids", "", "pandas.Series")
            + 'Convert it with json.loads(value.to_json(orient="records", date_format="iso")) '
            "(its values as plain data: times as ISO text, NaT and NA as None; .tolist() keeps "
            "pandas' Timestamp, NaT and NA) in the function*",
            refused.format("frame", "", "pandas.DataFrame")
            + 'Convert it with json.loads(value.to_json(orient="records", date_format="iso")) '
            "(its rows as plain data: times as ISO text, NaT and NA as None; "
            '.to_dict("records") keeps pandas\' Timestamp, NaT and NA) in the function*',
        ],
        consecutive=False,
    )
    # the conversion offered records, and replays
    pytester.runpytest("-p", "no:randomly", "-k", "rows").assert_outcomes(passed=1)
