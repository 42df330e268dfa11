"""Where a replay failure inside a library is reported: at the agent's line, not the library's."""

from __future__ import annotations

import pytest


def test_a_divergence_inside_a_library_is_reported_at_the_agents_line(project, pytester):
    """Between the agent's line and the mocked call sits a library (in site-packages, as an
    installed package is: pydantic-ai's graph, LangChain's runnables). The report's crash line
    (``--tb=line``, the short summary's location) named the library's file, and the default
    traceback listed its frames before the delta; ``--pdb`` already stopped at the agent's
    line."""
    library = pytester.path.parent / f"{pytester.path.name}_site" / "site-packages"
    library.mkdir(parents=True)
    (library / "vendorlib.py").write_text(
        "import app\n\n\ndef ask(prompt):\n    return relay(prompt)\n\n\n"
        "def relay(prompt):\n    return app.complete(prompt.upper())\n"
    )
    agent = f"""
        import sys
        sys.path.insert(0, {str(library)!r})
        import vendorlib

        class Agent:
            def handle(self, message):
                return vendorlib.ask(f"User says: {{message}}")
        """
    pytester.makepyfile(
        app_lib=agent,
        test_agent="""
        import pytest
        from app_lib import Agent

        @pytest.mark.replay("goldens/lib.ckpt", mock={"llm": "app.complete"})
        def test_lib(replay):
            replay.run(Agent().handle, "I was charged twice")
        """,
    )
    project.record().assert_outcomes(passed=1)
    pytester.makepyfile(app_lib=agent.replace("User says", "User writes"))
    line = project.replay("--tb=line")
    line.assert_outcomes(failed=1)
    line.stdout.fnmatch_lines(["*app_lib.py:7: *ReplayDivergenceError*"])
    line.stdout.no_fnmatch_line("*vendorlib.py*")
    long = project.replay()
    long.stdout.fnmatch_lines(["*ReplayDivergenceError*", "*USER SAYS*USER WRITES*"])
    long.stdout.no_fnmatch_line("*vendorlib.py*")


def test_a_replay_error_from_the_api_in_a_plain_test_is_reported_at_the_agents_line(pytester):
    """A suite that uses neither the marker nor the fixtures, but the API directly: the plugin
    registers no per-test hooks, yet the replay error raised inside a library is still reported
    at the agent's line, not the library's."""
    library = pytester.path.parent / f"{pytester.path.name}_site" / "site-packages"
    library.mkdir(parents=True)
    (library / "vendorlib.py").write_text(
        "import app\n\n\ndef ask(prompt):\n    return relay(prompt)\n\n\n"
        "def relay(prompt):\n    return app.complete(prompt.upper())\n"
    )
    pytester.makepyfile(
        app="def complete(prompt):\n    return 'live'\n",
        app_lib=f"""
        import sys
        sys.path.insert(0, {str(library)!r})
        import vendorlib

        def handle(message):
            return vendorlib.ask(f"User says: {{message}}")
        """,
        test_plain="""
        import datetime as dt

        from pytest_clearstone.debugging import DeterministicExecutionContext
        from app_lib import handle

        def test_api():
            when = dt.datetime(2024, 1, 15, tzinfo=dt.timezone.utc)
            with DeterministicExecutionContext(when, {"app.complete": []}):
                handle("I was charged twice")
        """,
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--tb=line")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*app_lib.py:6: *ReplayExhaustedError*"])
    result.stdout.no_fnmatch_line("*vendorlib.py*")


@pytest.mark.parametrize("split", [False, True], ids=["one-line", "over-lines"])
def test_responses_left_unused_are_reported_at_the_line_of_the_last_run_call(
    project, pytester, split
):
    """Found after the test returned (one ticket fewer: a recorded response left unused), the
    failure is placed in the test's frame at the line of its ``replay.run()`` (its first, for
    a call written over several lines), not at the line the test ended on (its last assert)
    nor another of the call's lines."""
    if split:
        test = (pytester.path / "test_agent.py").read_text()
        test = test.replace(
            'replay.run(agent.handle, "I was charged twice")',
            'replay.run(\n        agent.handle,\n        "I was charged twice",\n    )',
        )
        (pytester.path / "test_agent.py").write_text(test)
    project.write_app(TICKETS=2)
    project.record().assert_outcomes(passed=1)
    project.write_app(TICKETS=1)
    lines = (pytester.path / "test_agent.py").read_text().splitlines()
    run_line = next(n for n, text in enumerate(lines, 1) if "replay.run(" in text)
    result = project.replay("--tb=line")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines([f"*test_agent.py:{run_line}: *UnusedResponsesError*"])


def test_an_error_a_live_call_raises_while_recording_shows_no_frame_of_the_plugin(pytester):
    """A mocked call that raises while recording (the SDK refusing an argument, a tool's bug):
    the traceback went from the agent's line through the recorder's ``step`` and ``source``
    (``pytest_clearstone/golden/recorder.py``) to the function's own; it now goes straight on,
    for a plain call and for a generator read in the agent."""
    pytester.syspathinsert()
    pytester.makepyfile(
        tools="""
        def search(query):
            raise ValueError("unknown field: " + query)

        def pages(query):
            yield query
            raise ValueError("page 2 of " + query + " is gone")
        """,
        test_tools="""
        import pytest
        import tools

        MOCK = {"tool": ["tools.search", "tools.pages"]}

        @pytest.mark.replay(mock=MOCK)
        def test_search(replay):
            replay.run(lambda q: tools.search(q), "colour")

        @pytest.mark.replay(mock=MOCK)
        def test_pages(replay):
            replay.run(lambda q: list(tools.pages(q)), "colour")
        """,
    )
    result = pytester.runpytest("--clearstone-record", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*ValueError: unknown field: colour", "*page 2 of colour*"])
    result.stdout.no_fnmatch_line("*pytest_clearstone*")


def test_an_error_a_hook_raises_in_a_fixtures_set_up_shows_no_plugin_frame(pytester):
    """A conftest's (or a plugin's) ``pytest_fixture_setup`` wrapper that raises, as a warning
    filtered as an error does there (pytest's deprecation of a class-scoped fixture written as
    a method, under ``filterwarnings = error``): the set-up error of a marked test began with
    the plugin's own set-up wrapper (``_SetUpHooks.pytest_runtest_setup``, its source and
    ``plugin.py:NNN``) before the frame that raised."""
    pytester.makeconftest(
        """
        import pytest

        @pytest.hookimpl(wrapper=True)
        def pytest_fixture_setup(fixturedef, request):
            result = yield
            if fixturedef.argname == "service":
                raise RuntimeError("hook boom")
            return result
        """
    )
    pytester.makepyfile(
        test_hook="""
        import pytest

        @pytest.fixture
        def service():
            return 1

        @pytest.mark.replay("goldens/h.ckpt")
        def test_a(service):
            pass
        """
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*RuntimeError: hook boom"])
    result.stdout.no_fnmatch_line("*pytest_clearstone*")
    result.stdout.no_fnmatch_line("*_SetUpHooks*")
