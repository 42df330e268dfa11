"""A replay that differs from its golden only in values the deterministic context cannot fix:
random ids from the operating system's entropy (``secrets``, ``os.urandom``), and clock
readings taken outside the frozen clock (in a fixture). Re-recording does not fix them; the
message says what they are and what does."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.plugin.conftest import esc

ROOT = str(Path(__file__).resolve().parents[2])

APP = """
import secrets
import uuid


def llm(prompt):
    return "ok"


def ask_with_token(q):
    return llm(f"request {secrets.token_hex(8)}: {q}")


def ask_with_real_uuid(q):
    return llm(f"session {uuid.UUID(bytes=secrets.token_bytes(16))}: {q}")


def ask_at(started, q):
    return llm(f"asked at {started.isoformat()} ({started.timestamp()}): {q}")


def ask_for_ticket(number, q):
    return llm(f"ticket {number:016x}: {q}")
"""

TEST = """
import datetime as dt

import pytest

import app


@pytest.fixture
def started():
    return dt.datetime.now()


@pytest.mark.replay("token.ckpt", mock={"llm": "app.llm"})
def test_token(replay):
    replay.run(app.ask_with_token, "hi")


@pytest.mark.replay("uuid.ckpt", mock={"llm": "app.llm"})
def test_uuid(replay):
    replay.run(app.ask_with_real_uuid, "hi")


@pytest.mark.replay("clock.ckpt", mock={"llm": "app.llm"})
def test_clock(started, replay):
    replay.run(app.ask_at, started, "hi")


@pytest.mark.replay("ticket.ckpt", mock={"llm": "app.llm"})
def test_ticket(replay):
    replay.run(app.ask_for_ticket, NUMBER, "hi")
"""


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(APP), test_it=textwrap.dedent(TEST).replace("NUMBER", "1")
    )
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=4)
    return pytester


def test_random_ids_and_real_clock_readings_are_named_with_their_fix(
    project: pytest.Pytester,
) -> None:
    """Before, each said "The prompt or arguments changed. If the change is intended,
    re-record": a re-record that diverges again on the next run."""
    project.makepyfile(test_it=textwrap.dedent(TEST).replace("NUMBER", "2"))
    result = project.runpytest("-p", "no:randomly")
    result.assert_outcomes(failed=4)
    out = result.stdout.str()
    assert out.count("Only random-looking ids differ") == 2
    assert out.count("Only clock readings differ") == 1
    assert out.count("The prompt or arguments changed") == 1  # (the ticket number did)
    result.stdout.fnmatch_lines(["*Only random-looking ids differ*secrets*mock target*"])
    result.stdout.fnmatch_lines(["*Only clock readings differ*fixture*inside the test*"])


SESSION_APP = """
import uuid


def llm(prompt):
    return "ok"


class Chat:
    def __init__(self):
        self.session = None
        self.turns = []

    def get_state(self):
        return {"session": self.session, "turns": self.turns}

    def load_state(self, state):
        self.session = state["session"]
        self.turns = list(state["turns"])
        self.trace_id = uuid.uuid4().hex  # a fresh id of its own, drawn where replay gives it

    def ask(self, q):
        if self.session is None:
            self.session = str(uuid.uuid4())
        self.turns.append(llm(f"[{self.session}] {q}"))
        return self.turns[-1]
"""


def test_ids_drawn_by_the_agents_load_state_on_replay_are_named_as_their_cause(
    pytester: pytest.Pytester,
) -> None:
    """A replay gives the agent its recorded state through its load_state() before the first
    run, which a recording does not call: a uuid4() drawn there moves the seeded stream, and
    every id drawn after it differs from the recording's. Before, the message blamed ids from
    outside the seeded streams (os.urandom, a fixture) and not the load_state() that drew
    them."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(SESSION_APP),
        test_it=textwrap.dedent(
            """
            import pytest

            import app


            @pytest.mark.replay("chat.ckpt", mock={"llm": "app.llm"})
            def test_chat(replay):
                replay.run(app.Chat().ask, "hi")
            """
        ),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*Only random-looking ids differ*This replay called Chat.load_state() before the first*"]
    )


METADATA_APP = """
import secrets


def llm(prompt, config=None):
    return "ok"


def ask(q):
    # what LangChain's middleware passes: a token drawn once per process, outside the seeds
    return llm(q, config={"metadata": {"lc_internal_call": secrets.token_hex(16)}})
"""


def test_an_argument_that_is_a_random_id_is_named_with_the_ignore_path_that_leaves_it_out(
    pytester: pytest.Pytester,
) -> None:
    """A call's argument that is a random id drawn outside the seeded streams (LangChain's
    ``config.metadata.lc_internal_call`` of a ``SummarizationMiddleware`` call) diverges on every
    replay. The message said to keep the id out of what the agent sends or to mock what makes
    it, neither of which a user can do for a library's token; the ignore= path, which the
    message now names, leaves it out, and the replay with it is green."""
    pytester.syspathinsert()
    test = """
        import pytest

        import app


        @pytest.mark.replay("meta.ckpt", mock={"llm": "app.llm"}IGNORE)
        def test_meta(replay):
            assert replay.run(app.ask, "hi") == "ok"
        """
    pytester.makepyfile(
        app=textwrap.dedent(METADATA_APP), test_it=textwrap.dedent(test).replace("IGNORE", "")
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    out = result.stdout.str()
    assert "Only random-looking ids differ" in out
    assert "the marker's ignore=['config.metadata.lc_internal_call']" in out
    pytester.makepyfile(
        test_it=textwrap.dedent(test).replace(
            "IGNORE", ", ignore=['config.metadata.lc_internal_call']"
        )
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_model_name_whose_version_was_edited_is_a_changed_argument_not_a_random_id(
    pytester: pytest.Pytester,
) -> None:
    """``model="claude-sonnet-5-5"`` edited to ``"claude-sonnet-5-6"`` (as long, letters and
    digits: it looked like a token) was told as "Only random-looking ids differ", with the
    advice to leave it out with ``ignore=['model']``, which would hide every later model
    change; it is the argument a pull request changed, with the re-record fix."""
    pytester.syspathinsert()
    app = 'def llm(prompt, model):\n    return "ok"\n\n\ndef ask(q):\n    return llm(q, MODEL)\n'
    pytester.makepyfile(app=app.replace("MODEL", '"claude-sonnet-5-5"'))
    pytester.makepyfile(
        test_it="""
        import pytest

        import app


        @pytest.mark.replay("model.ckpt", mock={"llm": "app.llm"})
        def test_model(replay):
            replay.run(app.ask, "hi")
        """
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.makepyfile(app=app.replace("MODEL", '"claude-sonnet-5-6"'))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            esc("*root['model']: 'claude-sonnet-5-5' -> 'claude-sonnet-5-6'"),
            "*The prompt or arguments changed. If the change is intended, re-record with: *",
        ]
    )
    result.stdout.no_fnmatch_line("*random-looking*")
    result.stdout.no_fnmatch_line("*ignore=*")


HOST_APP = """
import secrets
import socket


def llm(prompt, config=None):
    return "ok"


def ask(q):
    config = {"host": socket.gethostname(), "metadata": {"lc_internal_call": secrets.token_hex(16)}}
    return llm(q, config=config)
"""


def test_the_ignore_path_to_add_is_told_to_keep_the_paths_the_ini_option_gives(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A marker's ignore= replaces the ini's clearstone_ignore whole: the message said to leave
    the id out with "the marker's ignore=[...]", and a test following it lost the ini's paths
    (here the machine's name, which differs in CI), so its replay diverged on them instead."""
    pytester.syspathinsert()
    test = """
        import pytest

        import app


        @pytest.mark.replay("meta.ckpt", mock={"llm": "app.llm"}IGNORE)
        def test_meta(replay):
            assert replay.run(app.ask, "hi") == "ok"
        """
    pytester.makeini("[pytest]\nclearstone_ignore =\n    config.host\n")
    pytester.makepyfile(
        app=textwrap.dedent(HOST_APP), test_it=textwrap.dedent(test).replace("IGNORE", "")
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setattr("socket.gethostname", lambda: "ci-runner-7")  # (the inner run's too)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    assert (
        "leave them out of matching with the marker's "
        "ignore=['config.metadata.lc_internal_call'], keeping in it the paths of the ini option "
        "clearstone_ignore (a marker's ignore= replaces them whole)."
    ) in " ".join(result.stdout.str().split())
    marker = ", ignore=['config.metadata.lc_internal_call'{}]"
    pytester.makepyfile(test_it=textwrap.dedent(test).replace("IGNORE", marker.format("")))
    pytester.runpytest().assert_outcomes(failed=1)  # (the ini's path lost: the host differs)
    kept = marker.format(", 'config.host'")
    pytester.makepyfile(test_it=textwrap.dedent(test).replace("IGNORE", kept))
    pytester.runpytest().assert_outcomes(passed=1)


TEMPLATE_APP = """
from pathlib import Path

SYSTEM = (Path(__file__).parent / "system.txt").read_bytes().decode()


def llm(system, prompt):
    return "ok"


def ask(q):
    return llm(SYSTEM, q)
"""


def test_a_prompt_file_checked_out_with_crlf_is_named_as_the_cause(
    pytester: pytest.Pytester,
) -> None:
    """A prompt template read with its line endings as they are on disk (``read_bytes()``,
    ``open(newline="")``) holds CRLF in a Windows checkout (git's core.autocrlf): the golden
    recorded on Linux diverges there. The delta said only line breaks differ, but the message
    then said "The prompt or arguments changed. If the change is intended, re-record": a
    golden re-recorded so diverges on every other machine."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(TEMPLATE_APP),
        test_it=textwrap.dedent(
            """
            import pytest

            import app


            @pytest.mark.replay("t.ckpt", mock={"llm": "app.llm"})
            def test_t(replay):
                replay.run(app.ask, "hi")
            """
        ),
    )
    system = pytester.path / "system.txt"
    system.write_bytes(b"You are terse.\nAnswer in English.\n")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    system.write_bytes(b"You are terse.\r\nAnswer in English.\r\n")  # (as on Windows)
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*root[[]'system'[]]: text differs only in its line breaks: '\\n' before, "
            "'\\r\\n' after",
            "*Only line breaks differ*core.autocrlf*text mode*eol=lf*",
        ]
    )
    result.stdout.no_fnmatch_line("*The prompt or arguments changed*")


USER_APP = """
import getpass


def llm(prompt):
    return "ok"


def ask(q):
    return llm(f"{q} (asked by {getpass.getuser()})")
"""


def test_a_user_name_read_from_the_machine_is_named_as_the_cause(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A prompt that names the user running the agent (getpass.getuser()) diverges on every
    other machine (CI's runner). The message said "The prompt or arguments changed. If the
    change is intended, re-record": a golden re-recorded there diverges on each laptop."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(USER_APP),
        test_it=textwrap.dedent(
            """
            import pytest

            import app


            @pytest.mark.replay("u.ckpt", mock={"llm": "app.llm"})
            def test_u(replay):
                replay.run(app.ask, "hi")
            """
        ),
    )
    for name in ("LOGNAME", "USER", "LNAME", "USERNAME"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("USER", "ana")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("USER", "runner")
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*Only the user name differs: where the recording has 'ana', this run's is 'runner'.*"]
    )
    result.stdout.no_fnmatch_line("*The prompt or arguments changed*")


SHORT_ID_APP = """
def llm(prompt, request_id=None):
    return "ok"


def ask(q, request_id):
    return llm(f"[{request_id}] {q}", request_id=request_id)
"""


def test_a_short_hex_request_id_is_named_as_a_random_id(pytester: pytest.Pytester) -> None:
    """``os.urandom(4).hex()``, the per-run request id of the docs' ``ignore=`` examples, is 8
    hex digits: too short to be told as an id, so its replay said "The prompt or arguments
    changed. If the change is intended, re-record", and the re-record diverged again on the
    next run. (The ids are given by the test, as two runs of ``os.urandom(4).hex()`` give
    them, so that the test does not depend on which digits the system draws.)"""
    pytester.syspathinsert()
    test = """
        import pytest

        import app


        @pytest.mark.replay("req.ckpt", mock={"llm": "app.llm"}IGNORE)
        def test_req(replay):
            replay.run(app.ask, "hi", "REQUEST_ID")
        """
    pytester.makepyfile(
        app=textwrap.dedent(SHORT_ID_APP),
        test_it=textwrap.dedent(test).replace("IGNORE", "").replace("REQUEST_ID", "0617ddc2"),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.makepyfile(
        test_it=textwrap.dedent(test).replace("IGNORE", "").replace("REQUEST_ID", "4e7fc28d")
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*Only random-looking ids differ*"])
    result.stdout.no_fnmatch_line("*The prompt or arguments changed*")


REPR_APP = """
def llm(prompt):
    return "ok"


class Tool:
    def __init__(self, name):
        self.name = name


def ask(q):
    tools = [Tool("search"), Tool("calculator")]
    return llm(f"You can use {tools}. {q}")
"""


def test_a_default_repr_in_a_prompt_is_named_as_the_cause(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An object whose class defines no ``__repr__`` formatted into a prompt writes its memory
    address (``<app.Tool object at 0x7f3a...>``), another in every process: the replay said
    "The prompt or arguments changed. If the change is intended, re-record", and the re-record
    diverged again on the next run. Run in fresh processes, as a user's runs are."""
    monkeypatch.setenv("PYTHONPATH", ROOT)  # (the subprocesses import this checkout's package)
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(REPR_APP),
        test_it=textwrap.dedent(
            """
            import pytest

            import app


            @pytest.mark.replay("tools.ckpt", mock={"llm": "app.llm"})
            def test_tools(replay):
                replay.run(app.ask, "hi")
            """
        ),
    )
    pytester.runpytest_subprocess("--clearstone-record", timeout=120).assert_outcomes(passed=1)
    result = pytester.runpytest_subprocess(timeout=120)
    if result.ret == 0:  # (no address space randomisation: both processes put them alike)
        pytest.skip("the objects got the same addresses in both processes")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*<app.Tool object at 0x*", "*Only memory addresses differ*"])
    result.stdout.no_fnmatch_line("*The prompt or arguments changed*")


MONOTONIC_APP = """
import time


def llm(prompt):
    return "ok"


class Limiter:
    def __init__(self):
        self.last_call = None
        self.answers = []

    def ask(self, q):
        self.last_call = time.monotonic()  # (a rate limiter's clock)
        self.answers.append(llm(q))
        return self.answers[-1]

    def ask_with_uptime(self, q):
        return llm(f"{q} (at {time.perf_counter():.3f})")
"""


def test_monotonic_and_perf_counter_readings_are_named_as_clock_readings(
    pytester: pytest.Pytester,
) -> None:
    """``time.monotonic()`` and ``time.perf_counter()`` stay real (the docs' limits), and the
    message for clock readings names them, but their readings (seconds since the machine
    started, not since the epoch) were never told as clock readings: a rate limiter's
    ``time.monotonic()`` kept in the agent's state, or a ``perf_counter()`` in a prompt, said
    "The prompt or arguments changed" or "the replayed final state differs", with the advice
    to re-record, which differs again on the next run."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(MONOTONIC_APP),
        test_it=textwrap.dedent(
            """
            import pytest

            import app


            @pytest.mark.replay("state.ckpt", mock={"llm": "app.llm"})
            def test_state(replay):
                replay.run(app.Limiter().ask, "hi")


            @pytest.mark.replay("prompt.ckpt", mock={"llm": "app.llm"})
            def test_prompt(replay):
                replay.run(app.Limiter().ask_with_uptime, "hi")
            """
        ),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    out = result.stdout.str()
    assert out.count("Only clock readings differ") == 2, out
    result.stdout.fnmatch_lines(["*root[[]'last_call'[]]: *"])
    result.stdout.no_fnmatch_line("*The prompt or arguments changed*")


TASKS_APP = """
import asyncio
import uuid

#: how long each lookup takes: real work, not mocked (a local database's query)
DELAYS = {"a": A_DELAY, "b": B_DELAY}


async def llm(prompt):
    return "ok"


async def lookup(name):
    await asyncio.sleep(DELAYS[name])
    return name


async def step(name):
    found = await lookup(name)
    return await llm(f"{found} {uuid.uuid4()}")


def run():
    async def main():
        return await asyncio.gather(step("a"), step("b"))

    return asyncio.run(main())
"""


def test_ids_tasks_drew_in_another_order_are_named_as_such(pytester: pytest.Pytester) -> None:
    """asyncio tasks draw seeded ids from one stream in the order they run: tasks that wait for
    real, unmocked work of varying length before drawing one draw them in another order on some
    runs (the docs' limit). The replay failed only on such runs, naming os.urandom, secrets or a
    fixture as the ids' source, none of which the agent used; each id it drew is the
    recording's own, from another call, and the message now says so, with the fix."""
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(TASKS_APP).replace("A_DELAY", "0.0").replace("B_DELAY", "0.05"),
        test_it=textwrap.dedent(
            """
            import pytest

            import app


            @pytest.mark.replay("tasks.ckpt", mock={"llm": "app.llm"})
            def test_tasks(replay):
                replay.run(app.run)
            """
        ),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    # (the lookups end in the other order on this run)
    pytester.makepyfile(
        app=textwrap.dedent(TASKS_APP).replace("A_DELAY", "0.05").replace("B_DELAY", "0.0")
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*each id this run has there is one the recording drew too*draw the ids before the*"]
    )
    result.stdout.no_fnmatch_line("*they come from outside the seeded streams*")


SCRATCH_APP = """
import tempfile


def llm(prompt):
    return "ok"


def work(q):
    scratch = tempfile.mkdtemp()  # (not removed: it outlives the run)
    return llm(f"files are in {scratch}: {q}")
"""


def test_a_temporary_name_taken_when_replayed_is_named_as_the_cause(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The plugin seeds tempfile's names, and a name that is taken is skipped for the next: a
    directory the recording left behind, or the same test replayed at the same time by another
    run on the machine (tox -p, a second terminal), gives the replay another name. It failed
    saying "The prompt or arguments changed. If the change is intended, re-record" (only on
    such runs, for the second); it now names what took the name and the fixes."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # (the runs' temporary directory)
    pytester.syspathinsert()
    pytester.makepyfile(
        app=textwrap.dedent(SCRATCH_APP),
        test_it=textwrap.dedent(
            """
            import pytest

            import app


            @pytest.mark.replay("scratch.ckpt", mock={"llm": "app.llm"})
            def test_scratch(replay):
                replay.run(app.work, "hi")
            """
        ),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    result = pytester.runpytest()  # (the recording's directory is still there)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        ["*Only the names of temporary files or directories differ*left behind by the recording*"]
    )
    result.stdout.no_fnmatch_line("*The prompt or arguments changed*")
    for left in tmp_path.iterdir():
        left.rmdir()
    pytester.runpytest().assert_outcomes(passed=1)
