"""Provider keys that are unset get a placeholder while tests replay (set-up included): kept from
one replaying test to the next, removed before any other test and at the end of the session;
a key the test set itself is left alone."""

from __future__ import annotations

import ast
import os

import pytest

LIVE = """
def complete(prompt):
    return f"answer to {prompt}"
"""

TESTS = """
import os

import pytest
import live

SEEN = []


@pytest.fixture
def key_at_setup():
    return os.environ.get("OPENAI_API_KEY")


@pytest.mark.replay(mock={"llm": "live.complete"})
def test_a_replays(replay, key_at_setup):
    SEEN.append(("a", key_at_setup, os.environ.get("OPENAI_API_KEY")))
    assert replay.run(live.complete, "one") == "answer to one"


@pytest.mark.replay(mock={"llm": "live.complete"})
def test_b_replays(replay, key_at_setup):
    SEEN.append(("b", key_at_setup, os.environ.get("OPENAI_API_KEY")))
    assert replay.run(live.complete, "two") == "answer to two"


def test_c_plain(key_at_setup):
    SEEN.append(("c", key_at_setup, os.environ.get("OPENAI_API_KEY")))


@pytest.mark.replay(mock={"llm": "live.complete"})
def test_d_replays_and_sets_its_own_key(replay):
    SEEN.append(("d", None, os.environ.get("OPENAI_API_KEY")))
    os.environ["ANTHROPIC_API_KEY"] = "the test's own"
    assert replay.run(live.complete, "three") == "answer to three"


def test_e_plain():
    SEEN.append(("e", None, os.environ.get("OPENAI_API_KEY")))
    SEEN.append(("e-anthropic", None, os.environ.get("ANTHROPIC_API_KEY")))


def test_z_report():
    with open("seen.txt", "w") as f:
        f.write(repr(SEEN))
"""


def _seen_after_replay(pytester: pytest.Pytester, tests: str, passed: int) -> str:
    """Record ``tests`` (each passing), replay them in this process (each passing), and give
    the text they left in ``seen.txt``."""
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_keys=tests)
    pytester.runpytest_subprocess("-p", "no:randomly", "--clearstone-record").assert_outcomes(
        passed=passed
    )
    pytester.runpytest_inprocess("-p", "no:randomly").assert_outcomes(passed=passed)
    return (pytester.path / "seen.txt").read_text()


def test_placeholders_live_while_tests_replay(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_clearstone.codec import PLACEHOLDER_KEY

    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    seen = ast.literal_eval(_seen_after_replay(pytester, TESTS, passed=6))
    p = PLACEHOLDER_KEY
    assert seen == [
        ("a", p, p),  # set before the fixtures of the first replaying test
        ("b", p, p),  # still set for the next one
        ("c", None, None),  # gone before a test that does not replay
        ("d", None, p),
        ("e", None, None),
        ("e-anthropic", None, "the test's own"),  # a key the test set stays
    ]
    assert os.environ.get("OPENAI_API_KEY") is None  # gone at the end of the session


def test_a_key_set_to_an_empty_value_is_given_back_empty(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: a key set but empty (a CI secret that is not defined expands to "") gets the
    # placeholder while tests replay and is empty again after them, as it was. Before the fix:
    # it was deleted, so a later test or session hook reading os.environ["OPENAI_API_KEY"] got a
    # KeyError it did not get without the plugin.
    from pytest_clearstone.codec import PLACEHOLDER_KEY

    monkeypatch.setenv("OPENAI_API_KEY", "")
    seen = ast.literal_eval(_seen_after_replay(pytester, TESTS, passed=6))
    assert seen[:3] == [
        ("a", PLACEHOLDER_KEY, PLACEHOLDER_KEY),
        ("b", PLACEHOLDER_KEY, PLACEHOLDER_KEY),
        ("c", "", ""),  # given back as it was before a test that does not replay
    ]
    assert os.environ.get("OPENAI_API_KEY") == ""  # and at the end of the session


EMPTIED_BETWEEN_REPLAYS = """
import os

import pytest
import live


@pytest.mark.replay(mock={"llm": "live.complete"})
def test_a_replays(replay):
    assert replay.run(live.complete, "one") == "answer to one"


def test_b_empties_the_key():
    os.environ["OPENAI_API_KEY"] = ""


@pytest.mark.replay(mock={"llm": "live.complete"})
def test_c_replays(replay):
    assert replay.run(live.complete, "two") == "answer to two"


def test_d_report():
    with open("seen.txt", "w") as f:
        f.write(repr(os.environ.get("OPENAI_API_KEY")))
"""


def test_a_key_a_test_emptied_between_replays_is_given_back_empty_after_the_next(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key was unset before the first replay, and a plain test set it empty: the next
    replay gives back what was there before it, not what was there before the first."""
    monkeypatch.setenv("OPENAI_API_KEY", "")  # (so that it is unset again after this test:
    monkeypatch.delenv("OPENAI_API_KEY")  # test_b sets it in this process)
    assert _seen_after_replay(pytester, EMPTIED_BETWEEN_REPLAYS, passed=4) == "''"


DELETED_BY_A_REPLAY = """
import os

import pytest
import live


@pytest.mark.replay(mock={"llm": "live.complete"})
def test_a_replays_and_deletes_the_key(replay):
    del os.environ["OPENAI_API_KEY"]
    assert replay.run(live.complete, "one") == "answer to one"


@pytest.mark.replay(mock={"llm": "live.complete"})
def test_b_replays(replay):
    assert replay.run(live.complete, "two") == "answer to two"


def test_c_report():
    with open("seen.txt", "w") as f:
        f.write(repr(os.environ.get("OPENAI_API_KEY")))
"""


def test_an_empty_key_a_replaying_test_deleted_is_given_back_empty_after_the_next_replay(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The next replay sets the placeholder again: what it gives back after it is the value
    from before the first (empty), not what it found (none)."""
    monkeypatch.setenv("OPENAI_API_KEY", "")
    assert _seen_after_replay(pytester, DELETED_BY_A_REPLAY, passed=3) == "''"


BOTH_KEYS = """
import os

import pytest
import live


@pytest.mark.replay(mock={"llm": "live.complete"})
def test_replays(replay):
    with open("seen.txt", "w") as f:
        f.write(repr([os.environ.get("OPENAI_API_KEY"), os.environ.get("ANTHROPIC_API_KEY")]))
    assert replay.run(live.complete, "one") == "answer to one"
"""


def test_each_unset_key_gets_the_placeholder_and_a_key_that_is_set_is_left_as_it_is(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pytest_clearstone.codec import PLACEHOLDER_KEY

    monkeypatch.setenv("OPENAI_API_KEY", "the user's own")
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    seen = ast.literal_eval(_seen_after_replay(pytester, BOTH_KEYS, passed=1))
    assert seen == ["the user's own", PLACEHOLDER_KEY]
    assert os.environ.get("OPENAI_API_KEY") == "the user's own"  # (after the session too)
    assert os.environ.get("ANTHROPIC_API_KEY") is None


RECORDED_BY_THE_CONFIG_FIXTURE = """
import os

import pytest
import live


@pytest.fixture
def clearstone_config():
    return {"mock": {"llm": "live.complete"}}


@pytest.mark.replay
def test_records(replay):
    with open("seen.txt", "w") as f:
        f.write(repr(os.environ.get("OPENAI_API_KEY")))
    assert replay.run(live.complete, "one") == "answer to one"
"""


def test_a_test_the_config_fixture_makes_record_runs_without_the_placeholder(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A marker without mock= is made to replay at set-up, which sets the placeholders; the
    clearstone_config fixture's mock= then makes it record: its live calls see no key."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    pytester.syspathinsert()
    pytester.makepyfile(live=LIVE, test_keys=RECORDED_BY_THE_CONFIG_FIXTURE)
    result = pytester.runpytest_inprocess("-p", "no:randomly", "--clearstone-record")
    result.assert_outcomes(passed=1)
    assert (pytester.path / "seen.txt").read_text() == "None"


CLIENT_AT_IMPORT = """
import openai
import pytest

client = openai.OpenAI()  # made when pytest imports the module: before any test replays


def complete(prompt):
    return client.chat.completions.create(model="gpt-4o-mini", messages=[]).id


@pytest.mark.replay(mock={"llm": "test_app.complete"})
def test_app(replay):
    replay.run(complete, "hi")
"""


def test_a_module_that_needs_a_provider_key_at_import_is_told_the_placeholder_comes_later(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An SDK client made at import fails the collection of a module with goldens in CI, where
    no key is set: the placeholder the docs promise for replays is set only while tests run,
    which the error did not say."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    pytester.makepyfile(test_app=CLIENT_AT_IMPORT)
    (pytester.path / "goldens" / "test_app").mkdir(parents=True)  # (recorded with a key)
    result = pytester.runpytest()
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*OpenAIError*OPENAI_API_KEY*",
            "*- clearstone -*",
            "test_app.py failed to import without OPENAI_API_KEY: pytest-clearstone gives it a "
            "placeholder only while tests replay, not while pytest imports test modules. Make "
            "the client (or the model or agent that makes one) in a fixture or where the test "
            "calls it, not at import; or set "
            "OPENAI_API_KEY to any value for the run (OPENAI_API_KEY=placeholder pytest)",
        ]
    )
    # under xdist the note is made where the module is collected: once in each worker's error
    text = pytester.runpytest_subprocess("-p", "xdist", "-n", "2").stdout.str()
    errors = text.count("ERROR collecting test_app.py")
    assert errors and text.count("failed to import without OPENAI_API_KEY") == errors, text
    # a module without goldens is not the plugin's: its error is left as it is
    (pytester.path / "goldens" / "test_app").rmdir()
    pytester.runpytest().stdout.no_fnmatch_line("*clearstone -*")


@pytest.mark.parametrize("workers", [[], ["-p", "xdist", "-n", "2"]], ids=["in-process", "xdist"])
def test_the_note_of_a_module_that_needs_a_provider_key_at_import_is_in_the_junit_xml(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, workers: list[str]
) -> None:
    """A CI's test view reads the JUnit XML: its collection error held the SDK's "Missing
    credentials" only, without the note and its fix (a section of the report, which pytest
    writes to the terminal only)."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    pytester.makepyfile(test_app=CLIENT_AT_IMPORT)
    (pytester.path / "goldens" / "test_app").mkdir(parents=True)  # (recorded with a key)
    run = pytester.runpytest_subprocess if workers else pytester.runpytest
    text = run("--junitxml=report.xml", *workers).stdout.str()
    xml = (pytester.path / "report.xml").read_text()
    # (under xdist each worker's collection error is one; each holds the note once, also on
    # the terminal)
    errors = xml.count('<error message="collection failure">')
    assert errors == 1 or (workers and errors), xml
    assert xml.count("test_app.py failed to import without OPENAI_API_KEY") == errors, xml
    assert xml.count("OPENAI_API_KEY=placeholder pytest") == errors
    assert text.count("failed to import without OPENAI_API_KEY") == errors, text
