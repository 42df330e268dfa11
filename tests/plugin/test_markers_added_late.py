"""Markers the plugin reads after collection: a ``replay`` marker a conftest adds in its own
``pytest_collection_modifyitems`` (the usual way to mark tests by directory or name), and a
marker that cannot be read (a misspelt keyword). The golden of either is in use: recorded,
replayed, never listed as unused nor pruned."""

from __future__ import annotations

import pytest

# a conftest that marks the agent tests as golden tests, by name
MARKING_CONFTEST = """
import pytest

def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.name.startswith("test_agent"):
            item.add_marker(pytest.mark.replay(mock={"llm": "app.complete"}))
"""

UNMARKED_TEST = """
import app

def test_agent_hello(replay):
    answer = app.complete("hello")
    assert "answer to <hello>" in answer
    if replay.mode == "replay":
        assert app.LIVE_CALLS == []  # the recorded answer, not the live function
"""

BARE_TEST = """
import app

def test_agent_hello():
    assert "answer to <hello>" in app.complete("hello")
"""


@pytest.mark.parametrize("test", [UNMARKED_TEST, BARE_TEST], ids=["replay-fixture", "bare"])
def test_a_marker_added_by_a_conftest_records_and_replays(
    project, pytester: pytest.Pytester, test: str
) -> None:
    pytester.makeconftest(MARKING_CONFTEST)
    pytester.makepyfile(test_marked_late=test)
    golden = pytester.path / "goldens" / "test_marked_late" / "test_agent_hello.ckpt"
    project.record("test_marked_late.py").assert_outcomes(passed=1)
    assert golden.is_file()
    result = project.replay("test_marked_late.py", "-v")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*1 checkpoint(s) replayed*"])


# the same, from a wrapper around the hook: it marks the tests after the plugin read them
WRAPPING_CONFTEST = """
import pytest

@pytest.hookimpl(wrapper=True)
def pytest_collection_modifyitems(config, items):
    yield
    for item in items:
        if item.name.startswith("test_agent"):
            item.add_marker(pytest.mark.replay(mock={"llm": "app.complete"}))
"""


def test_a_marker_added_after_the_plugin_read_the_markers_at_collection_records_and_replays(
    project, pytester: pytest.Pytester
) -> None:
    # (the markers read at collection are read again when the test has more since)
    pytester.makeconftest(WRAPPING_CONFTEST)
    pytester.makepyfile(test_marked_late=UNMARKED_TEST)
    golden = pytester.path / "goldens" / "test_marked_late" / "test_agent_hello.ckpt"
    project.record("test_marked_late.py").assert_outcomes(passed=1)
    assert golden.is_file()
    result = project.replay("test_marked_late.py")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*1 checkpoint(s) replayed*"])


def test_the_golden_of_a_marker_added_by_a_conftest_is_in_use(
    project, pytester: pytest.Pytester
) -> None:
    pytester.makeconftest(MARKING_CONFTEST)
    pytester.makepyfile(test_marked_late=UNMARKED_TEST)
    recorded = project.record()
    recorded.assert_outcomes(passed=2)
    recorded.stdout.no_fnmatch_line("*no collected test uses*")
    golden = pytester.path / "goldens" / "test_marked_late" / "test_agent_hello.ckpt"
    result = project.replay("--clearstone-prune-unused")
    result.assert_outcomes(passed=2)
    result.stdout.no_fnmatch_line("*deleted unused golden*")
    assert golden.is_file()


def test_a_marker_that_cannot_be_read_keeps_its_golden(project, pytester: pytest.Pytester) -> None:
    project.record().assert_outcomes(passed=1)
    # then a keyword of the marker is misspelt: the test errors at set-up, its golden stays
    test = pytester.path / "test_agent.py"
    test.write_text(
        test.read_text().replace(
            '"app.Tools.create_ticket"]}', '"app.Tools.create_ticket"]}, ignroe=["x"]'
        )
    )
    result = project.replay("--clearstone-prune-unused")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*unexpected keyword argument 'ignroe'*"])
    result.stdout.no_fnmatch_line("*unused golden*")
    result.stdout.no_fnmatch_line("*no collected test uses*")
    assert project.golden.is_file()


# a conftest fixture that marks the tests while they are set up: too late for the plugin
APPLYING_CONFTEST = """
import pytest

@pytest.fixture(autouse=True)
def golden(request):
    request.applymarker(pytest.mark.replay(mock={"llm": "app.complete"}))
"""


MARKED_TEST = """
import pytest
import app

@pytest.mark.replay(mock={"llm": "app.complete"})
def test_agent_hello():
    assert "answer to <hello>" in app.complete("hello")
"""


@pytest.mark.parametrize(
    "test", [UNMARKED_TEST, BARE_TEST, MARKED_TEST], ids=["replay-fixture", "bare", "marked"]
)
@pytest.mark.parametrize("mode", [(), ("--clearstone-record",)], ids=["replay", "record"])
def test_a_marker_added_while_the_test_is_set_up_is_named_too_late(
    project, pytester: pytest.Pytester, test: str, mode: tuple[str, ...]
) -> None:
    # Before the fix: with the replay fixture the test failed saying it "needs
    # @pytest.mark.replay on the test", which it had been given; without it, the test ran
    # live, unrecorded and unreplayed, and passed; a test marked already ignored the marker
    project.record().assert_outcomes(passed=1)  # test_agent.py, marked on the test
    late = pytester.path / "late"  # (the conftest marks the tests of this directory only)
    late.mkdir()
    (late / "conftest.py").write_text(APPLYING_CONFTEST)
    (late / "test_marked_late.py").write_text(test)
    result = project.replay(*mode)
    result.assert_outcomes(passed=1, errors=1)
    result.stdout.fnmatch_lines(
        [
            "*late/test_marked_late.py::test_agent_hello: @pytest.mark.replay was added while the "
            "test was set up (by a fixture: request.applymarker or node.add_marker), too late*"
            "pytest_collection_modifyitems*"
        ]
    )
    assert not (late / "goldens").exists()
