"""An argument of a mocked call that can be stored only as its repr (dill cannot pickle it
either: LangGraph's ``functools.partial`` over a ``WeakMethod`` in the run config) warns naming
where it is — its ``ignore=`` path and the call — and the fix, once per path and target. Before,
the warning named neither, and spoke of dill when pickles were never enabled: a test recorded
under ``filterwarnings = error`` (as docs/how-to/langgraph.md shows) failed with nothing to act
on."""

from __future__ import annotations

import pytest

from .conftest import esc

APP = """
import functools
import weakref


class Pregel:
    def call(self):
        return None


def llm(prompt, config):
    return f"answer to {prompt}"


def run(question):
    graph = Pregel()
    # what LangGraph passes on in a node's config: dill cannot pickle a WeakMethod
    call = functools.partial(print, weakref.WeakMethod(graph.call))
    config = {"configurable": {"__pregel_call": call, "thread.id": "t1"}, "tags": [call]}
    first = llm(question, config)
    return llm(first, config)
"""

TEST = """
import pytest

import app


@pytest.mark.replay("goldens/warn.ckpt", mock={{"llm": "app.llm"}}{ignore})
def test_it(replay):
    assert replay.run(app.run, "x") == "answer to answer to x"
"""

WARNING = "pytest_clearstone.errors.UnencodableValueWarning"
ERROR = f"error::{WARNING}"


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=APP, test_warn=TEST.format(ignore=""))
    return pytester


def test_the_warning_names_the_path_the_call_and_the_fix(project: pytest.Pytester) -> None:
    result = project.runpytest("--clearstone-record", "-W", ERROR)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc(
                "*UnencodableValueWarning: storing the repr of a functools.partial value at "
                "config.configurable.__pregel_call in the arguments of call #1 to app.llm: it "
                "cannot be stored readably, so a replay compares it by its type only. If it is "
                "not part of what the call sends, leave it out of the comparison with the "
                "marker's ignore=['config.configurable.__pregel_call']; else teach the codec its "
                "type (pytest_clearstone.codec.register). The call holds 1 more value(s) that "
                "cannot be stored readably: leave them all out with the marker's "
                "ignore=['config.configurable.__pregel_call', 'config.tags.0']"
            ),
        ]
    )
    warned = [line for line in result.stdout.lines if "Warning: storing the repr" in line]
    assert warned and not [line for line in warned if "dill" in line]
    assert not (project.path / "goldens" / "warn.ckpt").exists()


def test_the_fix_keeps_the_paths_the_config_fixture_gives(project: pytest.Pytester) -> None:
    """A marker's ignore= would replace the clearstone_config fixture's whole."""
    project.makeconftest(
        "import pytest\n\n@pytest.fixture\ndef clearstone_config():\n"
        "    return {'ignore': ['config.tags']}\n"
    )
    result = project.runpytest("--clearstone-record", "-W", ERROR)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc(
                "*leave it out of the comparison with the marker's "
                "ignore=['config.configurable.__pregel_call'], keeping in it the paths of the "
                "clearstone_config fixture (a marker's ignore= replaces them whole); else teach "
                "the codec its type (pytest_clearstone.codec.register)"
            ),
        ]
    )


def test_each_path_warns_once_per_target(project: pytest.Pytester) -> None:
    result = project.runpytest("--clearstone-record", "-W", f"default::{WARNING}")
    result.assert_outcomes(passed=1, warnings=2)  # two paths, two calls each
    result.stdout.fnmatch_lines(
        [
            "*value at config.configurable.__pregel_call in the arguments of call #1 to app.llm*",
            "*value at config.tags.0 in the arguments of call #1 to app.llm*",
        ]
    )
    project.runpytest("-W", ERROR).assert_outcomes(passed=1)  # compared by type


def test_a_key_holding_a_dot_is_quoted_in_the_path(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        app=APP.replace('{"__pregel_call": call, "thread.id": "t1"}', '{"run.call": call}'),
        test_warn=TEST.format(ignore=', ignore=["config.tags"]'),
    )
    result = pytester.runpytest("--clearstone-record", "-W", ERROR)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [esc('*value at config.configurable["run.call"] in the arguments of call #1 to app.llm*')]
    )


def test_no_warning_for_an_ignored_path(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        app=APP, test_warn=TEST.format(ignore=', ignore=["config.configurable", "config.tags"]')
    )
    pytester.runpytest("--clearstone-record", "-W", ERROR).assert_outcomes(passed=1)
    pytester.runpytest("-W", ERROR).assert_outcomes(passed=1)


def test_the_warning_reads_an_before_a_vowel(pytester: pytest.Pytester) -> None:
    # the warning said "storing the repr of a app.Cursor value"
    pytester.syspathinsert()
    app = APP.replace(
        "    first = llm(question, config)",
        "    config['configurable']['__pregel_call'] = Cursor()\n    first = llm(question, config)",
    )
    app += "\n\nclass Cursor:\n    def __init__(self):\n        self.rows = (row for row in [])\n"
    pytester.makepyfile(app=app, test_warn=TEST.format(ignore=""))
    result = pytester.runpytest("--clearstone-record", "-W", ERROR)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*UnencodableValueWarning: storing the repr of an app.Cursor value at config.*"]
    )


def test_a_key_that_is_a_secret_seen_in_the_run_is_a_star_in_the_path(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: a dict keyed by a secret value (a pool of sessions keyed by the agent's key, read
    # from the environment) whose value cannot be stored readably warns naming the key as `*`;
    # the key is in no line of the output. Before the fix: the warning (in the CI log's
    # warnings summary, or its failure under `filterwarnings = error`) named the path with the
    # key in it (config.configurable.shop-key-correct-horse-battery-staple).
    secret = "shop-key-correct-horse-battery-staple"
    monkeypatch.setenv("SHOP_API_KEY", secret)
    pytester.syspathinsert()
    pytester.makepyfile(
        app=APP.replace(
            '{"__pregel_call": call, "thread.id": "t1"}',
            '{__import__("os").environ["SHOP_API_KEY"]: call}',
        ).replace('"tags": [call]', '"tags": []'),
        test_warn=TEST.format(ignore=""),
    )
    result = pytester.runpytest("--clearstone-record", "-W", ERROR)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc(
                "*UnencodableValueWarning: storing the repr of a functools.partial value at "
                "config.configurable.* in the arguments of call #1 to app.llm: *marker's "
                "ignore=['config.configurable.*']*"
            )
        ]
    )
    assert secret not in result.stdout.str()
