"""A tool that changes an argument in place (appends to the list it is given, fills a dict).

Replay answers the call without running the tool, so the change is not made there: the agent
sees the argument as it was before the call, and the replay differs from the recording although
nothing changed. The recording warns, naming the call, the argument and the fix.
"""

from __future__ import annotations

import pytest

APP = """
def fill(results, query):
    results.append(query.upper())  # an out-parameter: the caller's list gains the hit


def tag(record, label, ignored):
    record["label"] = label
    ignored["seen"] = True
    return label


def search(query, options):
    return [query] * options.get("n", 1)  # reads its arguments only


def agent():
    results = []
    fill(results, "kettle")
    search("kettle", {"n": 2})
    return results
"""

TEST = """
import pytest
import app


@pytest.mark.replay(mock={"tool": ["app.fill", "app.search"]})
def test_fill(replay):
    assert replay.run(app.agent) == ["KETTLE"]


@pytest.mark.replay(mock={"tool": "app.tag"}, ignore=["ignored"])
def test_tag():
    record = {}
    assert app.tag(record, "urgent", {}) == "urgent"
"""


def test_a_tool_that_changes_its_argument_in_place_warns_when_recorded(
    pytester: pytest.Pytester,
) -> None:
    # Before the fix the recording passed in silence, and the very next replay failed with
    # "root[0]: removed 'KETTLE'" and "re-record with ...", which records the same again
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_app=TEST)
    pytester.makeini("[pytest]\nfilterwarnings =\n    always::UserWarning\n")
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=2, warnings=2)
    result.stdout.fnmatch_lines(
        [
            "*MutatedArgumentWarning: test_app.py::test_fill: call #1 to app.fill changed its "
            "argument `results` (a list) in place while recording; a replay does not run "
            "app.fill, so the change is not made there and the agent sees `results` as it "
            "was before the call. Return the new value from app.fill instead, or mock the "
            "function under it that returns it; if the agent does not read it again, leave it "
            "out with the marker's ignore={'app.fill': [[]'results']}*",
            "*MutatedArgumentWarning: test_app.py::test_tag: call #1 to app.tag changed its "
            "argument `record` (a dict) in place*",
        ]
    )
    result.stdout.no_fnmatch_line("*app.search changed*")
    result.stdout.no_fnmatch_line("*`ignored`*")  # (left out of the matching by ignore=)


def test_the_ignore_fix_keeps_the_paths_the_ini_option_gives(pytester: pytest.Pytester) -> None:
    """A marker's ignore= would replace the ini's clearstone_ignore whole."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=APP,
        test_app="""
        import pytest
        import app

        @pytest.mark.replay(mock={"tool": ["app.fill", "app.search"]})
        def test_fill(replay):
            assert replay.run(app.agent) == ["KETTLE"]
        """,
    )
    pytester.makeini(
        "[pytest]\nclearstone_ignore =\n    options.n\nfilterwarnings =\n    always::UserWarning\n"
    )
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*MutatedArgumentWarning: test_app.py::test_fill: call #1 to app.fill changed its "
            "argument `results`*leave it out with the marker's ignore={'app.fill': "
            "[[]'results']}, keeping in it the paths of the ini option clearstone_ignore (a "
            "marker's ignore= replaces them whole)*"
        ]
    )


def test_the_warning_names_the_number_of_the_call_that_changed_its_argument(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the call that changed its argument is named by its number among the calls to
    # its target (the first call only read it), as the replay's messages number them.
    pytester.syspathinsert()
    pytester.makepyfile(
        app="""
        def fill(results, query, keep):
            if keep:
                results.append(query.upper())
            return len(results)
        """,
        test_app="""
        import pytest
        import app

        def agent():
            results = []
            app.fill(results, "kettle", False)
            app.fill(results, "tea", True)
            return results

        @pytest.mark.replay(mock={"tool": "app.fill"})
        def test_fill(replay):
            assert replay.run(agent) == ["TEA"]
        """,
    )
    pytester.makeini("[pytest]\nfilterwarnings =\n    always::UserWarning\n")
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*MutatedArgumentWarning: test_app.py::test_fill: call #2 to app.fill changed its *"]
    )


def test_a_tool_that_adds_to_a_set_it_is_given_warns_when_recorded(
    pytester: pytest.Pytester,
) -> None:
    # Expected: a set is one of the containers an agent hands a tool to fill, as a list is.
    pytester.syspathinsert()
    pytester.makepyfile(
        app="""
        def mark(seen, url):
            seen.add(url)
            return len(seen)
        """,
        test_app="""
        import pytest
        import app

        def agent():
            seen = set()
            app.mark(seen, "https://example.com")
            return sorted(seen)

        @pytest.mark.replay(mock={"tool": "app.mark"})
        def test_mark(replay):
            assert replay.run(agent) == ["https://example.com"]
        """,
    )
    pytester.makeini("[pytest]\nfilterwarnings =\n    always::UserWarning\n")
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        ["*MutatedArgumentWarning: test_app.py::test_mark: call #1 to app.mark changed its *"]
    )


def test_a_tool_that_writes_into_a_bytearray_it_is_given_warns_when_recorded(
    pytester: pytest.Pytester,
) -> None:
    # (a buffer handed to a tool to fill, as a file's readinto fills it)
    pytester.syspathinsert()
    pytester.makepyfile(
        app="""
        def fill(buffer, data):
            buffer.extend(data)
            return len(buffer)
        """,
        test_app="""
        import pytest
        import app

        def agent():
            buffer = bytearray()
            app.fill(buffer, b"chunk")
            return bytes(buffer)

        @pytest.mark.replay(mock={"tool": "app.fill"})
        def test_fill(replay):
            assert replay.run(agent) == b"chunk"
        """,
    )
    pytester.makeini("[pytest]\nfilterwarnings =\n    always::UserWarning\n")
    result = pytester.runpytest("--clearstone-record", "-p", "no:randomly")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*MutatedArgumentWarning: test_app.py::test_fill: call #1 to app.fill changed its "
            "argument `buffer` (a bytearray) in place*"
        ]
    )
