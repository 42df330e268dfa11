"""The interactive debugging session: banner, pre-flight analysis, pdb in the agent's own source."""

from __future__ import annotations

import contextlib
import importlib
import io
import os
import re
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from types import ModuleType
from typing import Any

import pexpect
import pytest

from pytest_clearstone.debugging import ReplayEngine

AGENTS_DIR = Path(__file__).resolve().parent / "agents"
AGENT_FILE = AGENTS_DIR / "cs_research_agent.py"

SCRIPT = """
import sys
sys.path.insert(0, {agents!r})
import cs_research_agent as research
from pytest_clearstone.debugging import CheckpointManager, ReplayEngine
from pytest_clearstone.observability import TracerProvider

provider = TracerProvider(db_path="research_traces.db")
tracer = provider.get_tracer("research_agent")
research.call_llm = tracer.traced(span_type="llm")(research.call_llm)
agent = research.ResearchAgent()
with tracer.span("research_workflow") as root_span:
    with tracer.span("query_1"):
        agent.research("What is AI safety?")
    with tracer.span("query_2") as span:
        checkpoint_span_id = span.span_id
        agent.research("What are the risks?")
provider.shutdown()

manager = CheckpointManager()
trace = provider.trace_store.get_trace(root_span.trace_id)
path = manager.save_checkpoint(manager.create_checkpoint(agent, trace, checkpoint_span_id))
checkpoint = manager.load_checkpoint(path)
live_before = len(research.LIVE_CALLS)

engine = ReplayEngine(checkpoint)
engine.start_debugging_session(
    function_to_replay="research",
    mock_config={{"llm": "cs_research_agent.call_llm"}},
    query="What are AI alignment solutions?",
)
print("LIVE CALLS DURING REPLAY:", len(research.LIVE_CALLS) - live_before)
"""


def test_session_through_a_pseudo_terminal(tmp_path: Path) -> None:
    script = tmp_path / "debug_me.py"
    script.write_text(textwrap.dedent(SCRIPT.format(agents=str(AGENTS_DIR))), encoding="utf-8")
    child = pexpect.spawn(
        sys.executable, [str(script)], cwd=str(tmp_path), encoding="utf-8", timeout=60,
        env={"PYTHONIOENCODING": "utf-8", "TERM": "dumb", "PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    try:
        child.expect_exact("--- 🕰️ Welcome to the Clearstone Time-Travel Debugger ---")
        child.expect_exact("(at span: 'query_2')")
        child.expect_exact("Agent State: Rehydrated for 'cs_research_agent.ResearchAgent'")
        child.expect_exact("--- Pre-flight Mock Analysis ---")
        child.expect_exact("  - Mocking 'cs_research_agent.call_llm' (for span_type='llm')")
        child.expect_exact("    - Found 1 recorded response(s) in the trace.")
        child.expect(r"> (\S+)\((\d+)\)research\(\)")
        location, line = child.match.group(1), int(child.match.group(2))
        child.expect_exact("(Pdb) ")
        assert Path(location) == AGENT_FILE
        source = AGENT_FILE.read_text(encoding="utf-8").splitlines()
        assert source[line - 1].strip() == 'self.memory.append({"query": query})'

        child.sendline("p self.memory")
        child.expect_exact(
            "{'query': 'What are the risks?'}, {'result': 'Answer to: What are the risks?'}]"
        )
        child.expect_exact("(Pdb) ")
        child.sendline("c")
        child.expect_exact(
            "--- ✅ Replay finished. Final result: 'Answer to: What are the risks?' ---"
        )
        child.expect_exact("LIVE CALLS DURING REPLAY: 0")
        child.expect(pexpect.EOF)
    finally:
        child.close(force=True)
    assert child.exitstatus == 0, child.before


@pytest.fixture
def research(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> ModuleType:
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(AGENTS_DIR))
    for name in ("cs_research_agent", "cs_recording"):
        importlib.import_module(name)
    return importlib.import_module("cs_research_agent")


def _engine(research: ModuleType, with_answer: bool = True) -> ReplayEngine:
    import cs_recording  # type: ignore[import-not-found]

    agent = research.ResearchAgent()
    with cs_recording.Recording() as rec, rec.step("query_2") as step:
        if with_answer:
            rec.call("llm", "call_llm", {"prompt": "q"}, "recorded")
    return ReplayEngine(rec.checkpoint(agent, step.span_id))


def test_a_failed_replay_is_reported_not_raised(research: ModuleType) -> None:
    engine = _engine(research, with_answer=False)
    out = io.StringIO()
    result = engine.start_debugging_session(
        "research", {"llm": "cs_research_agent.call_llm"}, "a question",
        stdin=io.StringIO("c\n"), stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert result is None
    assert isinstance(engine.last_error, Exception)
    assert "    - WARNING: No recorded responses for span_type='llm'" in text
    assert "--- ❌ Replay Failed: ReplayExhaustedError ---" in text
    assert "cs_research_agent.call_llm was called 1 time(s)" in text
    assert "This usually means a mocked function was called more times than there were" in text
    assert research.LIVE_CALLS == [] or "a question" not in research.LIVE_CALLS


def test_pdb_stops_in_the_agent_and_sees_its_state(research: ModuleType) -> None:
    engine = _engine(research)
    out = io.StringIO()
    commands = "p query\np self.total_cost\nn\nn\np result\nc\n"
    result = engine.start_debugging_session(
        "research", {"llm": "cs_research_agent.call_llm"}, "a question",
        stdin=io.StringIO(commands), stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert result == "recorded"
    locations = re.findall(r"> (\S+)\(\d+\)(\w+)\(\)", text)
    assert locations and all(Path(f) == AGENT_FILE for f, _ in locations)
    assert {fn for _, fn in locations} == {"research"}
    assert "'a question'" in text
    assert "'recorded'" in text  # `p result` after the mocked call
    assert "--- ✅ Replay finished. Final result: 'recorded' ---" in text


KINDS_AGENT = '''
"""An agent with a method of each kind, all calling the same model."""

import functools

from pytest_clearstone.observability import TracerProvider

tracer = TracerProvider(":memory:").get_tracer("kinds")


def chat(prompt):
    raise RuntimeError("no live LLM")


def logged(fn):
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


class KindsAgent:
    def __init__(self):
        self.memory = ["before"]

    def ask(self, q):
        self.memory.append(q)
        return chat(q)

    async def ask_async(self, q):
        self.memory.append(q)
        return chat(q)

    def ask_gen(self, q):
        self.memory.append(q)
        yield chat(q)

    async def ask_async_gen(self, q):
        self.memory.append(q)
        yield chat(q)

    @logged
    def ask_decorated(self, q):
        self.memory.append(q)
        return chat(q)

    @tracer.traced(span_type="agent")
    async def ask_traced_async(self, q):
        self.memory.append(q)
        return chat(q)
'''


@pytest.fixture
def kinds(research: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The module of ``KINDS_AGENT``, imported from ``tmp_path`` for this test only."""
    (tmp_path / "cs_kinds_agent.py").write_text(KINDS_AGENT, encoding="utf-8")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cs_kinds_agent", raising=False)
    module = importlib.import_module("cs_kinds_agent")
    monkeypatch.setitem(sys.modules, "cs_kinds_agent", module)  # so it is removed afterwards
    return module


def _kinds_engine(kinds: ModuleType) -> ReplayEngine:
    """A replay engine of a ``KindsAgent`` checkpoint whose one recorded call answers the
    prompt ``"hi"`` with ``"hello"``."""
    import cs_recording  # type: ignore[import-not-found]

    with cs_recording.Recording() as rec, rec.step("ask") as step:
        rec.call("llm", "chat", {"prompt": "hi"}, "hello")
    return ReplayEngine(rec.checkpoint(kinds.KindsAgent(), step.span_id))


@pytest.mark.parametrize(
    ("method", "result"),
    [
        ("ask", "'hello'"),
        ("ask_async", "'hello'"),
        ("ask_gen", "['hello']"),
        ("ask_async_gen", "['hello']"),
        ("ask_decorated", "'hello'"),
        ("ask_traced_async", "'hello'"),
    ],
)
def test_pdb_stops_at_the_first_line_of_a_method_of_any_kind(
    kinds: ModuleType, method: str, result: str
) -> None:
    engine = _kinds_engine(kinds)
    out = io.StringIO()
    engine.start_debugging_session(
        method, {"llm": "cs_kinds_agent.chat"}, "hi",
        stdin=io.StringIO("p self.memory\nc\n"), stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    first = re.search(r"> (\S+)\((\d+)\)(\w+)\(\)\n-> (.*)\n\(Pdb\) (.*)\n", text)
    assert first is not None, text
    location, line, function, shown, printed = first.groups()
    assert (Path(location), function) == (Path(kinds.__file__), method)
    assert KINDS_AGENT.splitlines()[int(line) - 1].strip() == shown == "self.memory.append(q)"
    assert printed == "['before']"  # the rehydrated agent, stopped before the body ran
    assert f"--- ✅ Replay finished. Final result: {result} ---" in text


@pytest.mark.parametrize("method", ["ask_async", "ask_async_gen", "ask_traced_async"])
def test_an_async_method_is_debugged_where_an_event_loop_runs(
    kinds: ModuleType, method: str
) -> None:
    # Expected: a notebook (Jupyter runs its cells in an event loop) debugs an async method as a
    # script does; it printed "Replay Failed: RuntimeError: asyncio.run() cannot be called from
    # a running event loop" and "coroutine ... was never awaited"
    import asyncio

    engine = _kinds_engine(kinds)
    out = io.StringIO()

    async def cell() -> object:
        loop = asyncio.get_running_loop()
        result = engine.start_debugging_session(
            method, {"llm": "cs_kinds_agent.chat"}, "hi",
            stdin=io.StringIO("p self.memory\nc\n"), stdout=out,
        )  # fmt: skip
        assert asyncio.get_running_loop() is loop  # the cell's loop is back, and still runs
        await asyncio.sleep(0)
        return result

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = asyncio.run(cell())
    text = out.getvalue()
    assert engine.last_error is None, text
    assert result in ("hello", ["hello"])
    assert "(Pdb) ['before']" in text
    assert "--- ✅ Replay finished. Final result:" in text


def test_an_async_generator_the_method_left_open_is_closed_where_an_event_loop_runs(
    research: ModuleType, monkeypatch: pytest.MonkeyPatch
) -> None:
    # (a stream the agent read one chunk of: its finally runs when the session's loop ends,
    # as asyncio.run() does, not never)
    import asyncio

    closed: list[str] = []

    async def chunks() -> Any:
        try:
            yield "first"
            yield "second"
        finally:
            closed.append("closed")

    async def reads_one(self: Any, query: str) -> str:
        self.stream = chunks()
        return str(await self.stream.__anext__())

    monkeypatch.setattr(research.ResearchAgent, "reads_one", reads_one, raising=False)
    engine = _engine(research, with_answer=False)
    out = io.StringIO()

    async def cell() -> object:
        return engine.start_debugging_session(
            "reads_one", {"llm": "cs_research_agent.call_llm"}, "a question",
            stdin=io.StringIO("c\n"), stdout=out,
        )  # fmt: skip

    assert asyncio.run(cell()) == "first", out.getvalue()
    assert closed == ["closed"]


@pytest.mark.parametrize("command", ["restart", "run"])
def test_restarting_in_the_debugger_replays_again_from_the_checkpoint(
    research: ModuleType, command: str
) -> None:
    # Expected: pdb's restart (and run) start the replay again, from the checkpoint's state; the
    # session printed "--- ❌ Replay Failed: Restart ---" and an empty reason
    engine = _engine(research)
    out = io.StringIO()
    commands = f"n\nn\np self.memory\n{command}\np self.memory\nb research\nc\n"
    result = engine.start_debugging_session(
        "research", {"llm": "cs_research_agent.call_llm"}, "a question",
        stdin=io.StringIO(commands), stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert result == "recorded", text
    assert engine.last_error is None
    assert "Replay Failed" not in text
    assert text.count("--- 🔁 Replay restarted from the checkpoint ---") == 1
    first, again = text.split("--- 🔁 Replay restarted from the checkpoint ---")
    assert "(Pdb) [{'query': 'a question'}]" in first  # the first run appended to memory
    assert "(Pdb) []" in again  # the agent is rehydrated again: as at the checkpoint
    assert again.count('-> self.memory.append({"query": query})') == 1  # its first line
    assert text.count("Pre-flight Mock Analysis") == 1


@pytest.mark.parametrize("strict", [False, True])
@pytest.mark.parametrize("command", ["q", "exit"])
def test_quitting_the_debugger_is_reported_as_a_stop_not_a_result(
    research: ModuleType, strict: bool, command: str
) -> None:
    # Expected: the session says the replay was stopped; it said "✅ Replay finished. Final
    # result: None" with an unused-responses warning, or (strict) "❌ Replay Failed:
    # UnusedResponsesError ... The agent now skips calls it used to make"
    engine = _engine(research)
    engine.strict = strict
    out = io.StringIO()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        result = engine.start_debugging_session(
            "research", {"llm": "cs_research_agent.call_llm"}, "a question",
            stdin=io.StringIO(command + "\n"), stdout=out,
        )  # fmt: skip
    text = out.getvalue()
    assert result is None and engine.last_error is None
    assert "--- ⏹️ Replay stopped: you quit the debugger; the replay did not finish ---" in text
    assert "Replay finished" not in text and "Replay Failed" not in text


def test_an_agent_that_cannot_be_rehydrated_is_refused_before_the_banner(
    research: ModuleType,
) -> None:
    # Expected: no "Agent State: Rehydrated for ..." when the class cannot be imported (an agent
    # defined in the script that saved the checkpoint): the banner said so, then the traceback
    import cs_recording  # type: ignore[import-not-found]

    from pytest_clearstone.errors import AgentImportError

    class ScriptAgent(research.ResearchAgent):  # type: ignore[name-defined,misc]
        pass

    with cs_recording.Recording() as rec, rec.step("query_2") as step:
        rec.call("llm", "call_llm", {"prompt": "q"}, "recorded")
    engine = ReplayEngine(rec.checkpoint(ScriptAgent(), step.span_id))
    out = io.StringIO()
    with pytest.raises(AgentImportError):
        engine.start_debugging_session("research", stdin=io.StringIO("c\n"), stdout=out)
    assert out.getvalue() == ""
    with pytest.raises(AttributeError, match="no method 'reserch'"):
        _engine(research).start_debugging_session("reserch", stdin=io.StringIO(""), stdout=out)
    assert out.getvalue() == ""
    for config in (["cs_research_agent.call_llm"], {"cs_research_agent.call_llm": "llm"}):
        with pytest.raises((TypeError, AttributeError), match="mock_config"):
            _engine(research).start_debugging_session(
                "research",
                config,
                stdin=io.StringIO(""),
                stdout=out,  # type: ignore[arg-type]
            )
        assert out.getvalue() == ""


def test_stepping_into_a_method_the_replayed_one_calls_stops_there(research: ModuleType) -> None:
    engine = _engine(research)
    out = io.StringIO()
    engine.start_debugging_session(
        "research_swallowing", {"llm": "cs_research_agent.call_llm"}, "a question",
        stdin=io.StringIO("n\ns\nc\n"), stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert re.search(r"\)research\(\)\n-> self\.memory\.append\(\{\"query\": query\}\)", text), text
    assert "--- ✅ Replay finished. Final result: 'recorded' ---" in text


def test_a_replay_error_the_agent_swallowed_is_reported_after_the_session(
    research: ModuleType,
) -> None:
    engine = _engine(research, with_answer=False)
    out = io.StringIO()
    result = engine.start_debugging_session(
        "research_swallowing", {"llm": "cs_research_agent.call_llm"}, "a question",
        stdin=io.StringIO("c\n"), stdout=out,
    )  # fmt: skip
    assert result is None
    assert "--- ❌ Replay Failed: ReplayExhaustedError ---" in out.getvalue()
    # a later session that finishes leaves no error of the earlier one
    engine = _engine(research)
    engine.last_error = RuntimeError("an earlier session's")
    engine.start_debugging_session(
        "research", {"llm": "cs_research_agent.call_llm"}, "a question",
        stdin=io.StringIO("c\n"), stdout=io.StringIO(),
    )  # fmt: skip
    assert engine.last_error is None


def test_a_session_given_only_its_input_reads_its_commands_from_it(
    research: ModuleType, capsys: pytest.CaptureFixture[str]
) -> None:
    # (stdin without stdout: pdb would read sys.stdin through input(), whatever it was given)
    engine = _engine(research)
    result = engine.start_debugging_session(
        "research", {"llm": "cs_research_agent.call_llm"}, "a question",
        stdin=io.StringIO("p query\nc\n"),
    )  # fmt: skip
    text = capsys.readouterr().out
    assert result == "recorded", text
    assert "(Pdb) 'a question'" in text


@pytest.mark.parametrize("method", ["ask_decorated", "ask_async"])
def test_a_restarted_replay_stops_again_at_the_first_line_of_the_method(
    kinds: ModuleType, method: str
) -> None:
    # (not in the user's decorator, nor in the code that drives the coroutine)
    engine = _kinds_engine(kinds)
    out = io.StringIO()
    engine.start_debugging_session(
        method, {"llm": "cs_kinds_agent.chat"}, "hi",
        stdin=io.StringIO("restart\nc\n"), stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    again = text.split("--- 🔁 Replay restarted from the checkpoint ---")[1]
    first = re.search(r"> (\S+)\((\d+)\)(\w+)\(\)\n-> (.*)\n", again)
    assert first is not None, text
    assert first.group(3, 4) == (method, "self.memory.append(q)"), text


@pytest.mark.parametrize(
    ("error", "hint"), [(StopIteration, True), (KeyboardInterrupt, False), (ValueError, False)]
)
def test_an_error_of_the_replayed_method_is_reported_and_ctrl_c_goes_on(
    research: ModuleType, monkeypatch: pytest.MonkeyPatch, error: type, hint: bool
) -> None:
    # StopIteration is what an exhausted unittest.mock side_effect raises: the guide's hint;
    # a KeyboardInterrupt (Ctrl-C) is reported, then stops the program as it would have
    def interrupted(self: object, query: str) -> None:
        raise error

    monkeypatch.setattr(research.ResearchAgent, "interrupted", interrupted, raising=False)
    engine = _engine(research)
    out = io.StringIO()
    with contextlib.nullcontext() if error is not KeyboardInterrupt else pytest.raises(error):
        result = engine.start_debugging_session(
            "interrupted", {"llm": "cs_research_agent.call_llm"}, "a question",
            stdin=io.StringIO("c\n"), stdout=out,
        )  # fmt: skip
        assert result is None
    text = out.getvalue()
    assert f"--- ❌ Replay Failed: {error.__name__} ---" in text
    assert ("a mocked function was called more times" in text) is hint
    assert isinstance(engine.last_error, error)


def test_stepping_past_the_end_of_the_replayed_method_stops_in_no_code_of_the_session(
    research: ModuleType,
) -> None:
    # Expected: once the replayed method returns, `s` has nothing of the user's left to stop
    # in; it stopped in the standard library's inspect.iscoroutine, which the session calls
    # to drive the method's result
    engine = _engine(research)
    out = io.StringIO()
    engine.start_debugging_session(
        "research", {"llm": "cs_research_agent.call_llm"}, "a question",
        stdin=io.StringIO("r\ns\ns\nc\n"), stdout=out,
    )  # fmt: skip
    text = out.getvalue()
    assert "--Return--" in text, text
    assert "inspect.py" not in text, text
    assert "--- ✅ Replay finished." in text


COVERED_SCRIPT = """
import io
import sys
sys.path.insert(0, {agents!r})
import cs_recording
import cs_research_agent as research
from pytest_clearstone.debugging import ReplayEngine

agent = research.ResearchAgent()
with cs_recording.Recording() as rec, rec.step("query_2") as step:
    rec.call("llm", "call_llm", {{"prompt": "q"}}, "recorded")
engine = ReplayEngine(rec.checkpoint(agent, step.span_id))
engine.start_debugging_session(
    "research", {{"llm": "cs_research_agent.call_llm"}}, "a question",
    stdin=io.StringIO({commands!r}), stdout=io.StringIO(),
)
assert research.SimpleAgent().step("after the session") == 1
"""


@pytest.mark.parametrize("core", ["ctrace", "pytrace"])
@pytest.mark.parametrize("commands", ["c\n", "q\n", "restart\nc\n"])
def test_coverage_goes_on_measuring_after_a_session(
    tmp_path: Path, core: str, commands: str
) -> None:
    # Expected: under coverage.py (`coverage run`, pytest-cov's --cov) the code run after a
    # debugging session is measured; pdb's runcall ended by removing every trace function
    # (coverage's too), so the rest of the run was reported as not run (with the Python
    # tracer, also "Trace function changed, data is likely wrong")
    coverage = pytest.importorskip("coverage")
    script = tmp_path / "debug_me.py"
    text = COVERED_SCRIPT.format(agents=str(AGENTS_DIR), commands=commands)
    script.write_text(textwrap.dedent(text), encoding="utf-8")
    data_file = tmp_path / ".coverage"
    done = subprocess.run(
        [sys.executable, "-m", "coverage", "run", f"--data-file={data_file}",
         f"--include={AGENTS_DIR / '*'}", str(script)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
        env={**os.environ, "COVERAGE_CORE": core},
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "CoverageWarning" not in done.stderr, done.stderr
    data = coverage.CoverageData(basename=str(data_file))
    data.read()
    source = AGENT_FILE.read_text(encoding="utf-8").splitlines()
    after = source.index("        self.count += 1") + 1  # (in SimpleAgent.step)
    assert after in (data.lines(str(AGENT_FILE)) or []), done.stdout + done.stderr


@pytest.mark.parametrize("commands", ["c\n", "q\n", "n\nq\n", "restart\nc\n"])
def test_a_session_leaves_the_trace_function_it_found(research: ModuleType, commands: str) -> None:
    # Expected: the profiler's or coverage tool's trace function installed before the session
    # is installed after it, however the session ends; it was removed
    calls: list[str] = []

    def tool_trace(frame: object, event: str, arg: object) -> None:
        calls.append(event)

    engine = _engine(research)
    outer = sys.gettrace()
    sys.settrace(tool_trace)
    try:
        engine.start_debugging_session(
            "research", {"llm": "cs_research_agent.call_llm"}, "a question",
            stdin=io.StringIO(commands), stdout=io.StringIO(),
        )  # fmt: skip
        after = sys.gettrace()
    finally:
        sys.settrace(outer)
    assert after is tool_trace
