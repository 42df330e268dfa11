"""--pdb opens the debugger in the agent's own frame, not in plugin frames."""

from __future__ import annotations

import os
import sys

import pytest

from tests.inner_runs import LEAN_ADDOPTS

pexpect = pytest.importorskip("pexpect")

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")


def _spawn(pytester: pytest.Pytester, *args: str):
    child = pytester.spawn_pytest(" ".join([LEAN_ADDOPTS, "--pdb", *args]), expect_timeout=30)
    return child


def test_divergent_call_opens_pdb_in_the_calling_agent_frame(project, pytester):
    project.record().assert_outcomes(passed=1)
    project.write_app(PROMPT="Customer says: {message}")
    child = _spawn(pytester)
    child.expect(r"PDB post_mortem")
    child.expect(r"app\.py\(\d+\)handle\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("p self.memory, message")
    child.expect(r"\(\[\], 'I was charged twice'\)")
    child.sendline("p answer if 'answer' in dir() else 'no answer yet'")
    child.expect("no answer yet")
    child.sendline("c")
    child.expect("1 diverged")
    child.expect(pexpect.EOF)


PLUGIN_FILES = f"{os.sep}pytest_clearstone{os.sep}"


def test_the_traceback_printed_before_the_debugger_opens_has_no_plugin_frame(project, pytester):
    """Under ``--pdb`` the plugin keeps the agent's frame by calling its function through a
    helper, whose frame (``pytest_clearstone/frames.py: in call_keeping_frame``) the failure's
    traceback listed between the test's line and the agent's, as it does not without ``--pdb``."""
    project.record().assert_outcomes(passed=1)
    project.write_app(PROMPT="Customer says: {message}")
    child = _spawn(pytester)
    child.expect(r"PDB post_mortem")
    traceback = child.before.decode()
    assert "ReplayDivergenceError" in traceback
    assert PLUGIN_FILES not in traceback
    child.expect(r"\(Pdb\)")
    child.sendline("c")
    child.expect("1 diverged")
    child.expect(pexpect.EOF)


@pytest.mark.parametrize("mode", ["replay", "record", "pdbcls"])
def test_up_from_the_agent_frame_reaches_the_test(project, pytester, mode):
    """``where`` listed the plugin's frames between the test's and the agent's (``replay.run``,
    the wrapper's steps), and ``up`` from the agent's frame went into them
    (``replay.py(473)source()``: four ``up`` to reach the test), replaying a divergence or
    recording an agent that raised, also with a debugger class of the user's (``--pdbcls``).
    The debugger walks the test's and the agent's frames only (and pytest's, as for any
    test)."""
    project.record().assert_outcomes(passed=1)
    args = {"replay": [], "record": ["--clearstone-record"], "pdbcls": ["--pdbcls=mypdb:MyPdb"]}
    if mode == "record":
        project.write_app(RESULT="{answer}{missing}")  # (KeyError: the agent's own bug)
    else:
        project.write_app(PROMPT="Customer says: {message}")
    pytester.makepyfile(mypdb="import pdb\n\n\nclass MyPdb(pdb.Pdb):\n    pass\n")
    child = _spawn(pytester, *args[mode])
    child.expect(r"app\.py\(\d+\)handle\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("where")
    child.expect(r"\(Pdb\)")
    stack = child.before.decode()
    assert "test_agent.py" in stack
    assert PLUGIN_FILES not in stack
    child.sendline("up")
    child.expect(r"test_agent\.py\(\d+\)test_billing\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("p type(agent).__name__")
    child.expect("'Agent'")
    child.sendline("c")
    child.expect("the test failed while recording" if mode == "record" else "1 diverged")
    child.expect(pexpect.EOF)


def test_stepping_into_a_replay_stops_in_the_agent_not_in_the_plugin(project, pytester):
    """``--trace`` stops at the test's first line; ``s`` on ``replay.run(agent.handle, ...)``
    went into the plugin's ``run()`` and on through its code and what it calls (the golden's
    values copied, ``inspect``, ``pathlib``: hundreds of steps before the agent's), and ``s``
    on a replayed call into its stand-in. Stepping skips the plugin's code: it stops in the
    agent's code the replay calls (``load_state``, then ``handle``), and a replayed call steps
    over to the agent's next line."""
    project.record().assert_outcomes(passed=1)
    child = _spawn(pytester, "--trace")
    child.expect(r"test_agent\.py\(\d+\)test_billing\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("n")  # (to the line of replay.run)
    child.expect(r"-> answer = replay\.run")
    child.expect(r"\(Pdb\)")
    child.sendline("s")
    child.expect(r"app\.py\(\d+\)load_state\(\)")  # (the recorded state, given back)
    child.expect(r"\(Pdb\)")
    child.sendline("r")
    child.expect(r"\(Pdb\)")
    child.sendline("s")
    child.expect(r"app\.py\(\d+\)handle\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("where")  # (a live stack, as at a breakpoint(): the plugin's frames left out)
    child.expect(r"\(Pdb\)")
    assert PLUGIN_FILES not in child.before.decode()
    child.sendline("up")
    child.expect(r"test_agent\.py\(\d+\)test_billing\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("down")
    child.expect(r"\(Pdb\)")
    child.sendline("n")
    child.expect(r"-> started = time\.time\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("n")
    child.expect(r"-> answer = complete\(")  # (the replayed call to app.complete)
    child.expect(r"\(Pdb\)")
    child.sendline("s")
    child.expect(r"app\.py\(\d+\)handle\(\)\r?\n-> hits = Tools\(\)\.search")
    child.expect(r"\(Pdb\)")
    child.sendline("p answer")
    child.expect(r"'LLM answer to <User says: I was charged twice>")
    child.sendline("c")
    child.expect("1 passed")
    child.expect(pexpect.EOF)


def test_stepping_into_uuid4_under_a_replay_skips_the_plugins_stand_in(project, pytester):
    """``uuid.uuid4()`` replays the recorded ids: the plugin's code runs in the ``uuid``
    module's function (its frame names the ``uuid`` module), and ``s`` on the agent's line that
    calls it steps over that stand-in, as over the plugin's other code, to the next call of the
    agent's line (``str()`` of the id)."""
    project.record().assert_outcomes(passed=1)
    lines = (pytester.path / "app.py").read_text().splitlines()
    line = next(n for n, text in enumerate(lines, 1) if "str(uuid.uuid4())" in text)
    child = _spawn(pytester, "--trace")
    child.expect(r"\(Pdb\)")
    child.sendline(f"b app.py:{line}")
    child.expect(r"\(Pdb\)")
    child.sendline("c")
    child.expect(r'-> "id": str\(uuid\.uuid4\(\)\)')
    child.expect(r"\(Pdb\)")
    child.sendline("s")
    child.expect(r"\(Pdb\)")
    stepped = child.before.decode()
    assert PLUGIN_FILES not in stepped and "_shim()" not in stepped
    assert "uuid.py" in stepped and "__str__()" in stepped  # (the id made: str() of it)
    child.sendline("clear")
    child.sendline("y")
    child.sendline("c")
    child.expect("1 passed")
    child.expect(pexpect.EOF)


def test_swallowed_exhaustion_opens_pdb_in_the_agent_frame(project, pytester):
    project.record().assert_outcomes(passed=1)
    pytester.makepyfile(
        app_extra="""
        import app

        class Careful(app.Agent):
            def handle(self, message):
                result = super().handle(message)
                try:
                    app.complete("again")
                except Exception as exc:
                    swallowed = exc  # the agent's own error handling hides it
                return result
        """,
        test_agent="""
        import pytest
        from app_extra import Careful

        @pytest.mark.replay("goldens/billing.ckpt", mock={
            "llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]})
        def test_billing(replay):
            replay.run(Careful().handle, "I was charged twice")
        """,
    )
    child = _spawn(pytester)
    child.expect(r"app_extra\.py\(\d+\)handle\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("p type(swallowed).__name__, len(self.memory)")
    child.expect(r"\('ReplayExhaustedError', 1\)")
    child.sendline("c")
    child.expect(pexpect.EOF)


def test_golden_mismatch_opens_pdb_in_the_agent_frame_whose_run_differs(project, pytester):
    """The final state differs once the run returned: the debugger opens in the agent's method
    all the same, its locals kept (``p self.total_cost``), and ``up`` reaches the test."""
    project.record().assert_outcomes(passed=1)
    project.write_app(COST=0.02)
    child = _spawn(pytester)
    child.expect("GoldenMismatchError")
    child.expect(r"app\.py\(\d+\)handle\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("p self.total_cost, message")
    child.expect(r"\(0\.02, 'I was charged twice'\)")
    child.sendline("up")
    child.expect(r"test_agent\.py\(\d+\)test_billing\(\)")
    child.sendline("p type(agent).__name__")
    child.expect("'Agent'")
    child.sendline("c")
    child.expect("1 diverged")
    child.expect(pexpect.EOF)


def test_golden_mismatch_of_an_async_agent_opens_pdb_in_its_coroutine_frame(pytester):
    pytester.syspathinsert()
    pytester.makepyfile(
        async_app="""
        import asyncio

        COST = 0.01

        async def complete(prompt):
            return f"answer to {prompt}"

        class Agent:
            def __init__(self):
                self.cost = 0.0

            def get_state(self):
                return {"cost": self.cost}

            def load_state(self, state):
                self.cost = state["cost"]

            async def ask(self, question):
                answer = await complete(question)
                self.cost += COST
                return answer
        """,
        test_async_agent="""
        import asyncio
        import pytest
        import async_app

        @pytest.mark.replay("goldens/ask.ckpt", mock={"llm": "async_app.complete"})
        def test_ask(replay):
            asyncio.run(replay.run(async_app.Agent().ask, "Refund?"))
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    app = pytester.path / "async_app.py"
    app.write_text(app.read_text().replace("COST = 0.01", "COST = 0.5"))
    child = _spawn(pytester)
    child.expect("GoldenMismatchError")
    child.expect(r"async_app\.py\(\d+\)ask\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("p self.cost, answer")
    child.expect(r"\(0\.5, 'answer to Refund\?'\)")
    child.sendline("c")
    child.expect("1 diverged")
    child.expect(pexpect.EOF)


def test_a_divergence_inside_a_library_opens_pdb_in_the_agent_frame(project, pytester):
    """Between the agent's line and the mocked call sits a library (in site-packages, as an
    installed package is): the debugger stops in the agent's frame, not in the library's."""
    library = pytester.path.parent / f"{pytester.path.name}_site" / "site-packages"
    library.mkdir(parents=True)
    (library / "vendorlib.py").write_text(
        "import app\n\n\ndef ask(prompt):\n    return app.complete(prompt)\n"
    )
    pytester.makepyfile(
        app_lib=f"""
        import sys
        sys.path.insert(0, {str(library)!r})
        import vendorlib

        class Agent:
            def __init__(self):
                self.memory = []

            def handle(self, message):
                answer = vendorlib.ask(f"User says: {{message}}")
                self.memory.append(answer)
                return answer
        """,
        test_agent="""
        import pytest
        from app_lib import Agent

        @pytest.mark.replay("goldens/lib.ckpt", mock={"llm": "app.complete"})
        def test_lib(replay):
            replay.run(Agent().handle, "I was charged twice")
        """,
    )
    project.record().assert_outcomes(passed=1)
    project.write_app(PROMPT="unused")
    (library / "vendorlib.py").write_text(
        "import app\n\n\ndef ask(prompt):\n    return app.complete(prompt.upper())\n"
    )
    child = _spawn(pytester)
    child.expect(r"PDB post_mortem")
    child.expect(r"app_lib\.py\(\d+\)handle\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("p message")
    child.expect(r"'I was charged twice'")
    child.sendline("c")
    child.expect("1 diverged")
    child.expect(pexpect.EOF)


def test_responses_left_unused_open_pdb_in_the_test_frame(project, pytester):
    """One call fewer, with the same result and final state: the recorded responses left unused
    are found after the test returned, by the plugin; the debugger opened in pluggy's frame
    (``p agent`` failed there) instead of the test's, as for a golden mismatch."""
    project.write_app(TICKETS=2)
    project.record().assert_outcomes(passed=1)
    project.write_app(TICKETS=1)
    child = _spawn(pytester)
    child.expect(r"UnusedResponsesError")
    child.expect(r"test_agent\.py\(\d+\)test_billing\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("p len(agent.memory), len(replay.calls)")
    child.expect(r"\(1, 3\)")
    child.sendline("c")
    child.expect("1 diverged")
    child.expect(pexpect.EOF)


NET_AGENT = """
import socket


def complete(prompt):
    return "answer to " + prompt


class Agent:
    def __init__(self):
        self.memory = []

    def handle(self, message):
        answer = complete(message)
        self.memory.append(answer)
        if ONLINE:
            {connect}
        return answer
"""

CONNECT = 'socket.create_connection(("127.0.0.1", 9), timeout=2).close()'
SWALLOWED = f"try:\n                {CONNECT}\n            except OSError:\n                pass"


@pytest.mark.parametrize(
    "connect",
    [CONNECT, SWALLOWED],
    ids=["raised", "swallowed"],
)
def test_a_blocked_connection_opens_pdb_in_the_agent_frame_that_connected(pytester, connect):
    """The network guard's error was made anew after the test (to list every blocked
    connection), with no traceback of its own: the debugger opened in pluggy's frame, and an
    error the agent did not catch was reported twice ("During handling of the above
    exception")."""
    pytester.syspathinsert()
    agent = "ONLINE = {online}\n" + NET_AGENT.replace("{connect}", connect)
    pytester.makepyfile(
        netapp=agent.format(online=False),
        test_net="""
        import pytest
        from netapp import Agent

        @pytest.mark.replay("goldens/net.ckpt", mock={"llm": "netapp.complete"})
        def test_net(replay):
            replay.run(Agent().handle, "hi")
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.makepyfile(netapp=agent.format(online=True))
    child = _spawn(pytester)
    child.expect(r"entering PDB")
    report = child.before.decode()
    assert "NetworkBlockedError" in report
    assert "During handling" not in report
    child.expect(r"netapp\.py\(\d+\)handle\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("p self.memory, message")
    child.expect(r"\(\['answer to hi'\], 'hi'\)")
    child.sendline("c")
    child.expect("1 failed")
    child.expect(pexpect.EOF)


def test_trace_on_an_async_test_says_its_body_did_not_run(pytester):
    """pytest's ``--trace`` calls an async test function (anyio's) without awaiting it: its body
    never ran. The replay failed with "the agent now skips calls it used to make" and the fix
    "re-record", the recording with "does the agent call `app.complete`? mock it too": both
    name the wrong thing. They say that --trace did not run the test, and what to use."""
    pytest.importorskip("anyio")
    pytester.syspathinsert()
    pytester.makepyfile(
        bot="""
        async def complete(prompt):
            return "answer to " + prompt

        class Bot:
            def __init__(self):
                self.memory = []

            async def handle(self, message):
                self.memory.append(await complete(message))
                return self.memory[-1]
        """,
        test_bot="""
        import pytest
        from bot import Bot

        @pytest.fixture
        def anyio_backend():
            return "asyncio"

        @pytest.mark.anyio
        @pytest.mark.replay("goldens/bot.ckpt", mock={"llm": "bot.complete"})
        async def test_bot(replay):
            assert await replay.run(Bot().handle, "hi") == "answer to hi"
        """,
    )
    pytester.runpytest("-p", "anyio", "--clearstone-record").assert_outcomes(passed=1)
    golden = (pytester.path / "goldens" / "bot.ckpt").read_bytes()
    for mode, done in (
        ([], "replayed"),
        (["--clearstone-record"], "recorded (the golden was not written)"),
    ):
        # (as a suite without `filterwarnings = error` runs: the coroutine's warning is shown)
        result = pytester.runpytest(
            "-p", "anyio", "-W", "default::RuntimeWarning", "--trace", *mode
        )
        result.assert_outcomes(failed=1)
        result.stdout.fnmatch_lines(  # (told as it is: no traceback of the plugin's)
            ["test_bot.py::test_bot: its body did not run: pytest's --trace called the async*"]
        )
        result.stdout.fnmatch_lines([f"*so nothing was {done}. Run it without --trace*"])
        result.stdout.no_fnmatch_line("*skips calls it used to make*")
        result.stdout.no_fnmatch_line("*mock it too*")
    result.stdout.fnmatch_lines(
        [
            "goldens not written (the old file, if any, stays):",
            "  test_bot.py::test_bot: pytest's --trace did not run the async test",
        ]
    )
    assert (pytester.path / "goldens" / "bot.ckpt").read_bytes() == golden


def test_a_recording_failed_by_a_checkpoint_saved_hook_opens_pdb_on_the_hook_s_error(
    project, pytester
):
    pytester.makeconftest(
        """
        def pytest_clearstone_checkpoint_saved(checkpoint, path, item):
            raise ValueError("the manifest is read-only")
        """
    )
    child = _spawn(pytester, "--clearstone-record")
    child.expect(r"ValueError: the manifest is read-only")
    child.expect(r"PDB post_mortem")
    child.expect(r"\(Pdb\)")
    child.sendline("c")
    child.expect("1 failed")
    child.expect(pexpect.EOF)


def test_an_agent_outside_the_rootdir_is_where_pdb_opens(project, pytester):
    """The agent's code outside the rootdir, but not an installed library: a monorepo's
    package installed editable (``pip install -e ../libs/agent``), or pytest run from the tests
    directory of a project with no ini file. Its frames were taken for a library's: the
    traceback was cut after the test's frame, so the report did not show the agent's line and
    the debugger opened in the test (``p self`` failed), not in the frame that made the call."""
    package = pytester.path.parent / f"{pytester.path.name}_libs"
    package.mkdir()
    (package / "outside_agent.py").write_text(
        "import app\n\n\nclass Agent:\n"
        "    def __init__(self):\n        self.memory = []\n\n"
        "    def handle(self, message):\n"
        "        answer = app.complete(PROMPT + message)\n"
        "        self.memory.append(answer)\n        return answer\n\n\n"
        "PROMPT = 'User says: '\n"
    )
    pytester.makepyfile(
        test_agent=f"""
        import sys
        sys.path.insert(0, {str(package)!r})
        import pytest
        from outside_agent import Agent

        @pytest.mark.replay("goldens/outside.ckpt", mock={{"llm": "app.complete"}})
        def test_outside(replay):
            replay.run(Agent().handle, "I was charged twice")
        """
    )
    project.record().assert_outcomes(passed=1)
    source = (package / "outside_agent.py").read_text()
    (package / "outside_agent.py").write_text(source.replace("User says", "User writes"))
    child = _spawn(pytester)
    child.expect(r"entering PDB")
    assert "outside_agent.py" in child.before.decode()  # (the report shows the agent's line)
    child.expect(r"outside_agent\.py\(\d+\)handle\(\)")
    child.expect(r"\(Pdb\)")
    child.sendline("p self.memory, message")
    child.expect(r"\(\[\], 'I was charged twice'\)")
    child.sendline("c")
    child.expect("1 diverged")
    child.expect(pexpect.EOF)
