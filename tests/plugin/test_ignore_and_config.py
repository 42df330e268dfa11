"""``ignore=``, ``ignore_state=``, the ``clearstone_config`` fixture and the ini twins
``clearstone_mock`` / ``clearstone_ignore`` (contract §6.1), end to end."""

from __future__ import annotations

import textwrap

import pytest

APP = """
import itertools

_ticket = itertools.count(int(__import__("os").environ.get("TICKET_START", "1")))

def complete(prompt, request_id, meta=None):
    return "answer to " + prompt

def lookup(query, trace=None):
    return {"query": query}

class Handle:  # cannot be stored readably (slots, no __eq__)
    __slots__ = ("fd",)
    def __init__(self):
        self.fd = object()

class Agent:
    def __init__(self):
        self.history = []

    def get_state(self):
        return {"history": self.history}

    def load_state(self, state):
        self.history = state["history"]

    def run(self, prompt):
        # a request id that changes on every run (like a run id of an SDK)
        ticket = next(_ticket)
        answer = complete(prompt, request_id=f"req-{ticket}",
                          meta={"ids": [{"run_id": ticket, "keep": 1}]})
        found = lookup(prompt, trace=Handle())
        self.history.append({"q": prompt, "a": answer, "ticket": ticket, "n": found["query"]})
        return answer
"""


def _project(pytester: pytest.Pytester, test: str, conftest: str = "", ini: str = "") -> None:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(test))
    if conftest:
        pytester.makeconftest(textwrap.dedent(conftest))
    pytester.makeini("[pytest]\nfilterwarnings = error\n" + textwrap.dedent(ini))


def _record_then_replay_with_other_ids(pytester: pytest.Pytester) -> pytest.RunResult:
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TICKET_START", "1")
        pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
        mp.setenv("TICKET_START", "500")  # every id differs on replay
        return pytester.runpytest()


MARKED = """
import pytest
from app import Agent

@pytest.mark.replay("g.ckpt", mock={{"llm": "app.complete", "tool": "app.lookup"}}{extra})
def test_it(replay):
    assert replay.run(Agent().run, "hi") == "answer to hi"
"""


def test_without_ignore_a_changing_argument_diverges(pytester: pytest.Pytester) -> None:
    _project(pytester, MARKED.format(extra=""))
    result = _record_then_replay_with_other_ids(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*app.complete*"])


def test_ignore_leaves_the_paths_out_of_matching_and_the_state(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        MARKED.format(
            extra=',\n    ignore={"app.complete": ["request_id", "**.run_id"], '
            '"app.lookup": ["trace"]},\n    ignore_state=["final_state.history.*.ticket"]'
        ),
    )
    result = _record_then_replay_with_other_ids(pytester)
    result.assert_outcomes(passed=1)
    text = (pytester.path / "g.ckpt").read_text()
    # the values are still recorded; the unstorable one as a placeholder naming its type
    assert '"req-1"' in text and '"run_id": 1' in text
    assert "<ignored app.Handle>" in text and '"pickle"' not in text


def test_an_ignored_path_still_compares_the_rest(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        MARKED.format(
            extra=', ignore=["request_id", "**.run_id", "trace"],\n'
            '    ignore_state=["final_state.history.*.ticket"]'
        ),
    )
    _record_then_replay_with_other_ids(pytester).assert_outcomes(passed=1)
    (pytester.path / "app.py").write_text(
        textwrap.dedent(APP).replace('"keep": 1', '"keep": 2'), encoding="utf-8"
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*app.complete*", "*keep*"])


def test_an_unreadable_argument_beside_a_redacted_key_matches_with_ignore(
    pytester: pytest.Pytester,
) -> None:
    # a LangChain chat model's `self` holds a redacted key, and its structured-output schema is
    # a value only a pickle could store: the recording holds a placeholder naming its type.
    # Before the fix, with `ignore=` the redacting matcher compared that placeholder with the
    # live value's pickle form and every replay diverged ("'repr' -> 'pickle'").
    pytester.syspathinsert()
    pytester.makepyfile(
        app="""
        class Schema:
            pass

        def complete(prompt, request_id, schema, api_key):
            return prompt.upper()

        def run(prompt):
            return complete(prompt, "id-1", Schema(), api_key="sk-test-SECRETLC987654321")
        """,
        test_it="""
        import pytest
        import app

        @pytest.mark.replay(mock={"llm": "app.complete"}, ignore=["request_id"])
        def test_it(replay):
            assert replay.run(app.run, "q") == "Q"
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


def test_the_config_fixture_and_the_ini_give_defaults_the_marker_overrides(
    pytester: pytest.Pytester,
) -> None:
    _project(
        pytester,
        """
        import pytest
        from app import Agent

        pytestmark = pytest.mark.replay

        def test_it(replay):
            assert replay.run(Agent().run, "hi") == "answer to hi"
        """,
        conftest="""
        import pytest

        @pytest.fixture
        def clearstone_config():
            return {"ignore": ["request_id", "**.run_id", "trace"],
                    "ignore_state": ["final_state.history.*.ticket"]}
        """,
        ini="clearstone_mock =\n    llm = app.complete\n    tool = app.lookup\n"
        "clearstone_ignore =\n    nothing.here\n",
    )
    # the fixture's ignore replaces the ini's whole; the ini gives the mock targets
    _record_then_replay_with_other_ids(pytester).assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_it" / "test_it.ckpt"
    assert golden.is_file()


def test_a_marked_test_without_the_replay_fixture_takes_the_config_fixture_s_mock(
    pytester: pytest.Pytester,
) -> None:
    # the test asks for no fixture of the plugin: its marker alone patches the mock targets
    _project(
        pytester,
        """
        import pytest
        import app

        @pytest.mark.replay("g.ckpt")
        def test_it():
            assert app.complete("hi", request_id="r") == "answer to hi"
        """,
        conftest="""
        import pytest

        @pytest.fixture
        def clearstone_config():
            return {"mock": {"llm": "app.complete"}}
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert "answer to hi" in (pytester.path / "g.ckpt").read_text()
    pytester.runpytest().assert_outcomes(passed=1)


def test_without_the_fixture_the_ini_ignore_applies(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        MARKED.format(extra=', ignore_state=["final_state.history.*.ticket"]'),
        ini="clearstone_ignore =\n    request_id\n    **.run_id\n    trace\n",
    )
    _record_then_replay_with_other_ids(pytester).assert_outcomes(passed=1)


def test_the_marker_replaces_the_fixture_keyword_whole(pytester: pytest.Pytester) -> None:
    _project(
        pytester,
        MARKED.format(extra=', ignore=["trace"]'),
        conftest="""
        import pytest

        @pytest.fixture
        def clearstone_config():
            return {"ignore": ["request_id", "**.run_id", "trace"]}
        """,
    )
    result = _record_then_replay_with_other_ids(pytester)
    result.assert_outcomes(failed=1)  # request_id is compared again
    result.stdout.fnmatch_lines(["*ReplayDivergenceError*app.complete*", "*request_id*"])


@pytest.mark.parametrize(
    ("extra", "conftest", "expected"),
    [
        (
            ', ignore=["a..b"]',
            "",
            "*bad ignore= in @pytest.mark.replay: bad ignore path 'a..b'*",
        ),
        (
            "",
            "import pytest\n@pytest.fixture\ndef clearstone_config():\n    return {'mocks': 1}\n",
            "*clearstone_config fixture must return a dict with keys from*unknown keys ?'mocks'?*",
        ),
        # before the fix: strict="false" (a string, as read from an environment variable) was
        # taken as true, and the test replayed strictly
        (
            ', strict="false"',
            "",
            "*strict= in @pytest.mark.replay must be True or False, not 'false'*",
        ),
        (
            "",
            "import os, pytest\n@pytest.fixture\ndef clearstone_config():\n"
            "    return {'strict': os.environ.get('STRICT', 'no')}\n",
            "*strict= in the clearstone_config fixture must be True or False, not 'no'*",
        ),
    ],
)
def test_bad_options_are_named(
    pytester: pytest.Pytester, extra: str, conftest: str, expected: str
) -> None:
    _project(pytester, MARKED.format(extra=extra), conftest=conftest)
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([expected])


def test_vcrpy_keys_in_the_config_fixture_are_told_the_plugins_own(
    pytester: pytest.Pytester,
) -> None:
    # before the fix: a migrant's vcr_config keys were only "unknown keys [...]", with no word
    # of where the plugin takes the record mode and the headers to keep out of its files
    _project(
        pytester,
        MARKED.format(extra=""),
        conftest="import pytest\n@pytest.fixture\ndef clearstone_config():\n"
        "    return {'record_mode': 'once', 'filter_headers': ['authorization'],\n"
        "            'match_on': ['uri'], 'ignore_hosts': ['localhost']}\n",
    )
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(errors=1)
    out = " ".join(result.stdout.str().split())
    assert (
        "the clearstone_config fixture must return a dict with keys from ['mock', 'strict', "
        "'ignore', 'ignore_state']; it returned unknown keys ['filter_headers', "
        "'ignore_hosts', 'match_on', 'record_mode']. These are vcrpy's (pytest-recording's "
        "vcr_config): record_mode is the option --clearstone-mode (ini clearstone_mode; "
        "--clearstone-record records), filter_headers the ini option clearstone_redact_keys "
        "(clearstone_redact_patterns for a pattern), match_on the ignore= key (what a call's "
        "arguments are not compared by), ignore_hosts the ini option clearstone_allow_hosts"
    ) in out, out


def test_a_config_fixture_that_returns_nothing_is_named(pytester: pytest.Pytester) -> None:
    # before the fix: a fixture that forgot its `return` (None) was taken as {}, and the bare
    # marker's test failed saying it only reads its golden ("add mock= to this marker")
    _project(
        pytester,
        "import pytest\nfrom app import Agent\n\npytestmark = pytest.mark.replay\n\n"
        "def test_it(replay):\n    replay.run(Agent().run, 'hi')\n",
        conftest="import pytest\n@pytest.fixture\ndef clearstone_config():\n"
        "    {'mock': {'llm': 'app.complete'}}\n",
    )
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        ["*clearstone_config fixture must return a dict with keys from*it returned None*"]
    )
    result.stdout.no_fnmatch_line("*add mock= to this marker*")


@pytest.mark.parametrize(
    ("config", "expected"),
    [
        (
            "{'mock': 'app.complete'}",
            "*bad mock= in the clearstone_config fixture: mock_config must map*",
        ),
        (
            "{'mock': {'llm': 'app.complete'}, 'ignore': ['a..b']}",
            "*bad ignore= in the clearstone_config fixture: bad ignore path 'a..b'*",
        ),
        (
            "{'mock': {'llm': 'app.complete'}, 'ignore_state': ['a..b']}",
            "*bad ignore_state= in the clearstone_config fixture: bad ignore path 'a..b'*",
        ),
    ],
)
def test_a_bad_keyword_of_the_config_fixture_names_the_fixture(
    pytester: pytest.Pytester, config: str, expected: str
) -> None:
    # before the fix: "bad mock= in @pytest.mark.replay", of a marker that gives no mock=
    # (the ini's defaults, which the fixture overrides, are not named either)
    _project(
        pytester,
        "import pytest\nfrom app import Agent\n\n@pytest.mark.replay\n"
        "def test_it(replay):\n    replay.run(Agent().run, 'hi')\n",
        conftest=f"import pytest\n@pytest.fixture\ndef clearstone_config():\n    return {config}\n",
        ini="clearstone_mock =\n    llm = app.complete\nclearstone_ignore =\n    request_id\n",
    )
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines([expected])
    result.stdout.no_fnmatch_line("*in @pytest.mark.replay*")


def test_a_bad_ini_mock_line_is_a_usage_error(pytester: pytest.Pytester) -> None:
    _project(pytester, MARKED.format(extra=""), ini="clearstone_mock =\n    app.complete\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*clearstone_mock: 'app.complete' is not 'TYPE = import.path'*"])


def test_a_bad_ini_ignore_line_is_a_usage_error(pytester: pytest.Pytester) -> None:
    # (told once, at start, naming the ini option: not as a failure of every marked test)
    _project(pytester, MARKED.format(extra=""), ini="clearstone_ignore =\n    meta..run_id\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*ini option clearstone_ignore: bad ignore path 'meta..run_id'*"])


@pytest.mark.parametrize(
    "line", ["tool = app.complete, app.lookup", "tool = app.complete app.lookup"]
)
def test_an_ini_mock_line_with_two_paths_is_a_usage_error(
    pytester: pytest.Pytester, line: str
) -> None:
    # it failed each test that used it, naming "module 'app' has no attribute 'complete, app'"
    _project(pytester, MARKED.format(extra=""), ini=f"clearstone_mock =\n    {line}\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [
            f"*clearstone_mock: {line!r} gives more than one import path: give each target a "
            "line of its own (tool = app.complete, then tool = app.lookup on the next line)*"
        ]
    )


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        # each failed every marked test, or (swapped) errored at set-up with a traceback
        ("app.complete = llm", "type and import path swapped: write 'llm = app.complete'"),
        ("llm = app:complete", "'app:complete' is not a dotted import path*"),
        ("llm = 'app.complete'", "give the import path without quotes: 'llm = app.complete'"),
        ("llm = app.complete.", "'app.complete.' is not a dotted import path*"),
        ("llm = 'app.complete", '"\'app.complete" is not a dotted import path*'),
        # these told to put "=" or "#" on a line of its own as if they were import paths
        ("llm == app.complete", "not 'TYPE = import.path' (e.g. 'llm = app.llm.complete')"),
        ("llm = app.complete  # the model", "*comment*on a line of its own*"),
    ],
)
def test_an_ini_mock_line_that_is_no_import_path_is_a_usage_error(
    pytester: pytest.Pytester, line: str, expected: str
) -> None:
    _project(pytester, MARKED.format(extra=""), ini=f"clearstone_mock =\n    {line}\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*ini option clearstone_mock: {line!r}*{expected}"])
    result.stderr.no_fnmatch_line("*on the next line*")


def test_the_default_config_fixture_is_set_up_once_per_module(pytester: pytest.Pytester) -> None:
    """Like pytest-recording's ``vcr_config``: module-scoped, not set up for every test."""
    _project(
        pytester,
        """
        import pytest
        from app import Agent

        pytestmark = pytest.mark.replay(mock={"llm": "app.complete", "tool": "app.lookup"})

        @pytest.mark.parametrize("prompt", ["hi", "ho"])
        def test_it(replay, prompt):
            replay.run(Agent().run, prompt)
        """,
    )
    result = pytester.runpytest("--clearstone-record", "--setup-show")
    result.assert_outcomes(passed=2)
    setups = [line.split() for line in result.outlines if "SETUP" in line]
    assert setups.count(["SETUP", "M", "clearstone_config"]) == 1, result.outlines
    assert not [s for s in setups if s[1:3] == ["F", "clearstone_config"]], result.outlines


def test_the_default_config_fixture_parametrized_indirectly_gives_each_parameter(
    pytester: pytest.Pytester,
) -> None:
    # before the fix: the plugin's fixture returned {} whatever its parameter, so each test had
    # no mock= and failed recording, told to "add mock= to this marker"
    _project(
        pytester,
        """
        import pytest
        from app import Agent

        @pytest.mark.parametrize(
            "clearstone_config",
            [{"mock": {"llm": "app.complete"}}, {"mock": {"tool": "app.lookup"}}],
            ids=["llm", "tool"],
            indirect=True,
        )
        @pytest.mark.replay
        def test_it(replay):
            assert replay.run(Agent().run, "hi") == "answer to hi"
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    goldens = pytester.path / "goldens" / "test_it"
    assert sorted(p.name for p in goldens.iterdir()) == ["test_it[llm].ckpt", "test_it[tool].ckpt"]
    assert "app.lookup" not in (goldens / "test_it[llm].ckpt").read_text()
    assert "app.complete" not in (goldens / "test_it[tool].ckpt").read_text()
    pytester.runpytest().assert_outcomes(passed=2)


def test_a_function_scoped_override_sees_each_test(pytester: pytest.Pytester) -> None:
    """An override keeps its own scope: here it gives each test its own ignore paths."""
    _project(
        pytester,
        """
        import pytest
        from app import Agent

        pytestmark = pytest.mark.replay

        def test_strict(replay):
            replay.run(Agent().run, "hi")

        def test_loose(replay):
            replay.run(Agent().run, "hi")
        """,
        conftest="""
        import pytest

        @pytest.fixture
        def clearstone_config(request):
            config = {"mock": {"llm": "app.complete", "tool": "app.lookup"}}
            if request.node.name == "test_loose":
                config["ignore"] = ["request_id", "**.run_id", "trace"]
                config["ignore_state"] = ["final_state.history.*.ticket"]
            return config
        """,
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TICKET_START", "1")
        pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
        mp.setenv("TICKET_START", "500")  # the request ids differ: only a loose replay passes
        result = pytester.runpytest()
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_it.py::test_strict - *ReplayDivergence*"])


def test_a_marker_path_that_matches_nothing_is_warned_about(pytester: pytest.Pytester) -> None:
    # a typo in a path ignores nothing, silently: the test then fails on the very value the
    # user meant to leave out, or (a path meant for a value that sometimes changes) later
    _project(
        pytester,
        MARKED.format(
            extra=', ignore=["request_id", "meta.ids.*.run_idd", "**.not_here"],\n'
            '    ignore_state=["final_state.histroy.*.ticket", "final_state.history.*.ticket"]'
        ),
    )
    # (warnings shown, not turned into errors)
    pytester.makeini("[pytest]\nfilterwarnings =\n    always::UserWarning\n")
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*UnmatchedIgnorePathWarning: test_it.py::test_it: the ignore path "
            "'meta.ids.*.run_idd' matched nothing in the arguments of app.complete or app.lookup*",
        ]
    )
    # (the golden is not written yet when the warning is made: how to write it under
    # `filterwarnings = error`, where the warning fails the recording)
    result.stdout.fnmatch_lines(
        [
            "*run_idd' matched nothing*(pytest-clearstone show --calls */g.ckpt, once it is "
            "written; no golden is written while this warning fails the test: record with "
            "-W ignore::pytest_clearstone.errors.UnmatchedIgnorePathWarning to write it)"
        ]
    )
    result.stdout.no_fnmatch_line("*'request_id'*")
    result.stdout.no_fnmatch_line("*'**.not_here'*")  # (may be anywhere: not a typo to tell)
    result = pytester.runpytest()
    result.assert_outcomes(passed=1, warnings=2)
    result.stdout.fnmatch_lines(
        [
            "*the ignore path 'meta.ids.*.run_idd' matched nothing*",
            "*the ignore_state path 'final_state.histroy.*.ticket' matched nothing in the "
            "recorded or replayed outcome*",
        ]
    )
    result.stdout.no_fnmatch_line("*'final_state.history.*.ticket'*")
    result.stdout.fnmatch_lines(
        ["*run_idd' matched nothing*(pytest-clearstone show --calls */g.ckpt)"]
    )


def test_an_ignore_state_path_that_matched_nothing_is_named_in_the_failure_it_did_not_prevent(
    pytester: pytest.Pytester,
) -> None:
    # the warning comes after a passing call only: a typo that lets the replay fail on the very
    # value it was meant to leave out was told nowhere
    _project(
        pytester,
        MARKED.format(
            extra=',\n    ignore={"app.complete": ["request_id", "**.run_id"], '
            '"app.lookup": ["trace"]},\n    ignore_state=["final_state.histroy.*.ticket"]'
        ),
    )
    result = _record_then_replay_with_other_ids(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*GoldenMismatchError*",
            "*ticket*: 1 -> 500",
            "*The ignore_state path 'final_state.histroy.*.ticket' matched nothing in the "
            "outcome compared*show --calls*",
        ]
    )


def test_an_ignore_path_that_matched_nothing_is_named_in_the_divergence_it_did_not_prevent(
    pytester: pytest.Pytester,
) -> None:
    _project(
        pytester,
        MARKED.format(
            extra=',\n    ignore={"app.complete": ["request_idd", "**.run_id"], '
            '"app.lookup": ["trace"]}'
        ),
    )
    pytester.makeini(  # (the warning of the typo would fail the recording: see it fail later)
        "[pytest]\nfilterwarnings =\n    error\n"
        "    ignore::pytest_clearstone.errors.UnmatchedIgnorePathWarning\n"
    )
    result = _record_then_replay_with_other_ids(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayDivergenceError*app.complete*",
            "*request_id*: 'req-1' -> 'req-500'",
            "*The ignore path 'request_idd' matched nothing in the arguments of the calls "
            "compared so far*show --calls*",
        ]
    )


def test_a_divergence_names_no_ini_ignore_path_for_an_argument_its_call_does_not_have(
    pytester: pytest.Pytester,
) -> None:
    # before the fix: the ini's paths for other tests' calls (LangGraph's config.callbacks, as
    # the how-to advises for every test) were named as typos in each divergence of a call with
    # no config argument, in place of what changed; a typo in a path of the call's own
    # arguments is still named
    _project(
        pytester,
        """
        import pytest
        from app import Agent

        @pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
        def test_it(replay):
            assert replay.run(Agent().run, "hi") == "answer to hi"
        """,
        ini="clearstone_ignore =\n    request_id\n    meta.ids.*.run_idd\n    config.callbacks\n",
    )
    result = _record_then_replay_with_other_ids(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*ReplayDivergenceError*app.complete*",
            "*run_id*: 1 -> 500",
            "*The ignore path 'meta.ids.*.run_idd' matched nothing in the arguments of the "
            "calls compared so far*show --calls*",
        ]
    )
    assert "config.callbacks" not in result.stdout.str()


def test_a_marker_ignore_key_that_names_no_mock_target_is_warned_about(
    pytester: pytest.Pytester,
) -> None:
    # ignore={"app.complet": [...]}: a typo in the target ignores nothing, as a typo in a path
    # does; its paths are applied to no call, so no path is told as unmatched either
    _project(
        pytester,
        MARKED.format(extra=', ignore={"app.complet": ["request_id"], "app.lookup": ["trace"]}'),
    )
    pytester.makeini("[pytest]\nfilterwarnings =\n    always::UserWarning\n")
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1, warnings=1)
    result.stdout.fnmatch_lines(
        [
            "*UnmatchedIgnorePathWarning: test_it.py::test_it: the ignore key 'app.complet' "
            "names no mock target of this test (its targets: app.complete, app.lookup), so its "
            "paths leave nothing out of matching*",
        ]
    )
    result.stdout.no_fnmatch_line("*'app.lookup' names no mock target*")


def test_default_paths_from_the_ini_or_the_fixture_are_not_warned_about(
    pytester: pytest.Pytester,
) -> None:
    # defaults apply to many tests, each of which may have nothing at some of the paths
    _project(
        pytester,
        MARKED.format(extra=""),
        conftest="""
        import pytest

        @pytest.fixture
        def clearstone_config():
            return {"ignore_state": ["final_state.nothing_here"]}
        """,
        ini="clearstone_ignore =\n    request_id\n    **.not_in_any_call\n",
    )
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TICKET_START", "1")
        pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
        pytester.runpytest().assert_outcomes(passed=1)


def test_a_bad_allow_pickle_value_is_a_usage_error_naming_the_key(
    pytester: pytest.Pytester,
) -> None:
    # Expected: the message names the ini key; pytest's own said "invalid truth value 'maybe'"
    pytester.makeini("[pytest]\nclearstone_allow_pickle = maybe\n")
    pytester.makepyfile(test_it="def test_it():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*clearstone_allow_pickle: invalid truth value 'maybe'*"])


@pytest.mark.parametrize("value", ['"true"', "1", '"yes"'])
def test_a_non_bool_allow_pickle_in_native_toml_is_told_the_toml_fix(
    pytester: pytest.Pytester, value: str
) -> None:
    # before the fix: pytest 9's [tool.pytest] takes only a TOML boolean, yet the message
    # offered "(true or false, yes or no, 1 or 0)": `1` and `"yes"` fail again
    pytester.makepyprojecttoml(f"[tool.pytest]\nclearstone_allow_pickle = {value}\n")
    pytester.makepyfile(test_it="def test_it():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*clearstone_allow_pickle:*expects a bool*(true or false without quotes: a TOML boolean)"]
    )
    result.stderr.no_fnmatch_line("*yes or no*")


@pytest.mark.parametrize(
    "key",
    [
        "clearstone_redact_keys",
        "clearstone_ignore",
        "clearstone_redact_allow",
        # (these were refused as no host name, no variable name: the comment not named)
        "clearstone_allow_hosts",
        "clearstone_placeholder_env",
    ],
)
def test_an_ini_line_with_a_trailing_comment_is_a_usage_error(
    pytester: pytest.Pytester, key: str
) -> None:
    # before the fix: the comment was part of the line (an ini value runs to the end of its
    # line), so the rule matched nothing: `session_blob  # our token` redacted nothing and the
    # token was written to the golden; an ignore path never matched and the replay diverged
    line = "session_blob  # our session token"
    pytester.makeini(f"[pytest]\n{key} =\n    {line}\n")
    pytester.makepyfile(test_it="def test_it():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*{key}: {line!r} holds a comment*put the comment on a line of its own*"]
    )


def test_a_hash_in_a_regular_expression_of_redact_allow_is_no_comment(
    pytester: pytest.Pytester,
) -> None:
    # (a '#' in a re: line is part of the expression: an ini comment goes on its own line)
    pytester.makeini("[pytest]\nclearstone_redact_allow =\n    re:ticket #\\d+\n")
    pytester.makepyfile(test_it="def test_it():\n    pass\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_hash_in_a_quoted_key_of_an_ini_line_is_no_comment(pytester: pytest.Pytester) -> None:
    pytester.makeini('[pytest]\nclearstone_redact_keys =\n    headers["x #y"]\n')
    pytester.makepyfile(test_it="def test_it():\n    pass\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_plain_redact_allow_line_is_no_regular_expression(pytester: pytest.Pytester) -> None:
    # (only a re: line is an expression: a plain line is the value allowed, as it is)
    pytester.makeini("[pytest]\nclearstone_redact_allow =\n    sk-demo-(key\n")
    pytester.makepyfile(test_it="def test_it():\n    pass\n")
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_trailing_comment_after_a_quoted_key_is_a_usage_error(
    pytester: pytest.Pytester,
) -> None:
    # before the fix: a line with a quoted key was never checked for a comment, so the comment
    # after it was told as "bad ignore path ... at character 27", not as a comment
    line = 'request.headers["x-retry"]  # the retry count'
    pytester.makeini(f"[pytest]\nclearstone_ignore =\n    {line}\n")
    pytester.makepyfile(test_it="def test_it():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    shown = repr(line).replace("[", "?").replace("]", "?")  # (brackets: an fnmatch class)
    result.stderr.fnmatch_lines([f"*clearstone_ignore: {shown} holds a comment*"])


def test_a_hash_in_a_toml_string_is_no_comment(pytester: pytest.Pytester) -> None:
    # (TOML strips its comments: a '#' left inside a string was meant)
    pytester.makepyprojecttoml('[tool.pytest.ini_options]\nclearstone_redact_keys = ["x #y"]\n')
    pytester.makepyfile(test_it="def test_it():\n    pass\n")
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize("name", ["1BAD=X", "2FA_KEY"])  # (no name starts with a digit)
def test_a_bad_placeholder_env_name_is_a_usage_error_naming_the_key(
    pytester: pytest.Pytester, name: str
) -> None:
    # a line that is no environment variable's name failed the first replaying test's set-up
    # with a bare "ValueError: illegal environment variable name"
    pytester.makeini(f"[pytest]\nclearstone_placeholder_env =\n    GOOD_KEY\n    {name}\n")
    pytester.makepyfile(test_it="def test_it():\n    pass\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        [f"*clearstone_placeholder_env: {name!r} is not the name of an environment variable*"]
    )


@pytest.mark.parametrize(
    "config",
    [
        # a pytest-recording user's vcr_config keys, carried over
        "{'mock': {'llm': 'app.complete'}, 'record_mode': 'once'}",
        "{'mock': {'llm': 'app.complete'}, 'strict': 'no'}",
        "{'mock': 'app.complete'}",
    ],
)
@pytest.mark.parametrize("mode", ["--clearstone-record", "--clearstone-replay"])
def test_a_refused_config_fixture_is_not_summarised_as_a_test_that_only_reads_its_golden(
    pytester: pytest.Pytester, config: str, mode: str
) -> None:
    # before the fix: the bare marker's test, whose clearstone_config the set-up refused, was
    # counted "1 missing" and listed under "tests that only read their golden (no mock=) ...
    # add mock= to their marker": a fix that is not the one (the fixture's return value is)
    _project(
        pytester,
        "import pytest\nfrom app import Agent\n\n@pytest.mark.replay\n"
        "def test_it(replay):\n    replay.run(Agent().run, 'hi')\n",
        conftest=f"import pytest\n@pytest.fixture\ndef clearstone_config():\n    return {config}\n",
    )
    result = pytester.runpytest(mode)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*the clearstone_config fixture*"])
    result.stdout.no_fnmatch_line("*only read their golden*")
    result.stdout.no_fnmatch_line("*missing*")
