"""An agent mocked at ``httpx.Client.send`` whose request now sends another value of one header:
the replay diverges, and the failure names the header by its name (as ``ignore=`` does), not by
its position in the stored header list."""

from __future__ import annotations

import pytest

from .harness import Stack

pytest.importorskip("httpx")

API = '''
"""A tool calling an API over httpx (a mock transport standing in for the API)."""
import httpx

API_VERSION = "2024-06-01"


def handler(request):
    return httpx.Response(200, json={"answer": request.url.params["q"].upper()})


CLIENT = httpx.Client(transport=httpx.MockTransport(handler))


class Agent:
    def run(self, q):
        headers = {"X-Team": "search", "X-Api-Version": API_VERSION, "X-Region": "eu"}
        return CLIENT.get("https://api.example/v1/answers", params={"q": q},
                          headers=headers).json()
'''

TEST = """
import pytest

import api


@pytest.mark.replay("goldens/send.ckpt", mock={"tool": "httpx.Client.send"})
def test_it(replay):
    assert replay.run(api.Agent().run, "lisbon") == {"answer": "LISBON"}
"""


def test_a_changed_header_is_named_by_its_name_in_the_divergence(make_stack: object) -> None:
    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "api.py").write_text(API)
    stack.write_test("api", TEST)
    stack.try_record().assert_outcomes(passed=1)
    stack.replay().assert_outcomes(passed=1)
    stack.edit("api", '"2024-06-01"', '"2025-01-15"')
    result = stack.replay()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*httpx.Client.send*"])
    out = result.stdout.str()
    assert "root['request'].headers['X-Api-Version']: '2024-06-01' -> '2025-01-15'" in out
    assert ".headers[6]" not in out  # (not by its position)


def test_cli_diff_names_a_changed_header_by_its_name_as_the_divergence_does(
    make_stack: object, capsys: pytest.CaptureFixture[str]
) -> None:
    # Expected: `diff` of the golden and its re-record names the header as the failure did
    # (`input['request'].headers['X-Api-Version']`); it named it by its place in the stored
    # header list (`input['request'].headers[6][1]: '2024-06-01' -> '2025-01-15'`)
    import shutil

    from pytest_clearstone.cli import main

    stack: Stack = make_stack()  # type: ignore[operator]
    (stack.path / "api.py").write_text(API)
    stack.write_test("api", TEST)
    stack.try_record().assert_outcomes(passed=1)
    golden = stack.path / "goldens" / "send.ckpt"
    before = shutil.copy(golden, stack.path / "before.ckpt")
    stack.edit("api", '"2024-06-01"', '"2025-01-15"')
    stack.try_record().assert_outcomes(passed=1)
    capsys.readouterr()
    assert main(["diff", str(before), str(golden)]) == 1
    out = capsys.readouterr().out
    assert "input['request'].headers['X-Api-Version']: '2024-06-01' -> '2025-01-15'" in out, out
    assert ".headers[" not in out.replace(".headers['", ""), out  # (not by its position)
