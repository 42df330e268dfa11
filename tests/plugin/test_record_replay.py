"""Record once, replay from then on: the round trip and the modes."""

from __future__ import annotations

import json
import sqlite3
from contextlib import closing

import pytest

from .conftest import esc


def test_record_writes_golden_then_replay_passes(project):
    result = project.record()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*0 checkpoint(s) replayed, 1 recorded, 0 diverged*"])
    assert project.golden.is_file()
    doc = json.loads(project.golden.read_text())
    assert doc["format"] == "pytest-clearstone-checkpoint"
    assert [s["span_type"] for s in doc["trace"]["spans"][1:]] == ["llm", "tool", "tool"]

    result = project.replay()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*1 checkpoint(s) replayed, 0 recorded, 0 diverged*"])


def test_replay_does_not_call_live_targets(project, pytester):
    project.record().assert_outcomes(passed=1)
    pytester.makepyfile(
        test_live="""
        import pytest
        import app

        @pytest.mark.replay("goldens/billing.ckpt", mock={
            "llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]})
        def test_billing(replay):
            app.LIVE_CALLS.clear()
            replay.run(app.Agent().handle, "I was charged twice")
            assert app.LIVE_CALLS == []
            assert [c.target for c in replay.calls] == [
                "app.complete", "app.Tools.search", "app.Tools.create_ticket"]
        """
    )
    project.replay("test_live.py").assert_outcomes(passed=1)


SPAN_IDS_TEST = """
import json
import pytest
import app

@pytest.mark.replay("goldens/billing.ckpt", mock={
    "llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]})
def test_billing(replay, request):
    replay.run(app.Agent().handle, "I was charged twice")
    with open(request.config.rootpath / f"ids-{replay.mode}.json", "w") as seen:
        json.dump([c.span_id for c in replay.calls], seen)
"""


def test_the_span_ids_of_replay_calls_are_the_store_s_when_recording_and_the_golden_s_replaying(
    project, pytester
):
    """As fixtures.md says: the golden's span ids are derived when it is saved, so a check of
    ``replay.calls`` that holds in both modes (a syrupy snapshot of them) leaves them out."""
    pytester.makepyfile(test_agent=SPAN_IDS_TEST)
    project.record().assert_outcomes(passed=1)
    project.replay().assert_outcomes(passed=1)
    recorded = json.loads((pytester.path / "ids-record.json").read_text())
    replayed = json.loads((pytester.path / "ids-replay.json").read_text())
    golden = [s["span_id"] for s in json.loads(project.golden.read_text())["trace"]["spans"][1:]]
    with closing(sqlite3.connect(pytester.path / ".clearstone" / "traces.db")) as db:
        stored = {row[0] for row in db.execute("SELECT span_id FROM spans")}
    assert len(recorded) == 3 and set(recorded) <= stored
    assert replayed == golden
    assert not set(recorded) & set(golden)


def test_replay_is_the_default_and_explicit_flag_is_the_same(project):
    project.record().assert_outcomes(passed=1)
    project.replay("--clearstone-replay").assert_outcomes(passed=1)


def test_golden_state_with_time_uuid_and_random_compares_equal(project):
    """The agent stores time.time(), uuid4() and random() in its state: replay still matches."""
    project.record().assert_outcomes(passed=1)
    state = json.loads(project.golden.read_text())["outcome"]["final_state"]
    entry = state["memory"][0]
    assert entry["at"] > 0 and len(entry["id"]) == 36
    project.replay().assert_outcomes(passed=1)


def test_both_flags_are_a_usage_error(project):
    result = project.pytester.runpytest("--clearstone-record", "--clearstone-replay")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["*--clearstone-record and --clearstone-replay choose different modes*"]
    )


@pytest.mark.parametrize("value", ["record", "Record"])  # (read as the option is spelled)
def test_ini_mode_record(project, pytester, value):
    pytester.makeini(f"[pytest]\nclearstone_mode = {value}\n")
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    assert project.golden.is_file()
    result.stdout.fnmatch_lines(["clearstone: mode=record*"])


def test_bad_ini_mode_is_a_usage_error(project, pytester):
    pytester.makeini("[pytest]\nclearstone_mode = replya\n")
    result = pytester.runpytest()
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*clearstone_mode*must be one of replay, record, record-missing*"])


def test_failing_record_run_keeps_the_old_golden(project, pytester):
    project.record().assert_outcomes(passed=1)
    before = project.golden.read_bytes()
    pytester.makepyfile(
        test_agent="""
        import pytest
        from app import Agent

        @pytest.mark.replay("goldens/billing.ckpt", mock={
            "llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]})
        def test_billing(replay):
            replay.run(Agent().handle, "something else")
            assert False, "the test fails after the call"
        """
    )
    project.record().assert_outcomes(failed=1)
    assert project.golden.read_bytes() == before


def test_failing_record_run_writes_no_new_golden(project, pytester):
    pytester.makepyfile(
        test_agent="""
        import pytest
        from app import Agent

        @pytest.mark.replay("goldens/new.ckpt", mock={"llm": "app.complete"})
        def test_billing(replay):
            raise RuntimeError("boom")
        """
    )
    project.record().assert_outcomes(failed=1)
    assert not (pytester.path / "goldens" / "new.ckpt").exists()


def test_record_creates_nested_directories(project, pytester):
    pytester.makepyfile(
        test_agent="""
        import pytest
        from app import Agent

        @pytest.mark.replay("deep/er/golden.ckpt", mock={
            "llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]})
        def test_billing(replay):
            replay.run(Agent().handle, "hi")
        """
    )
    project.record().assert_outcomes(passed=1)
    assert (pytester.path / "deep" / "er" / "golden.ckpt").is_file()
    project.replay().assert_outcomes(passed=1)


def test_user_fixtures_can_request_the_replay_fixture(project, pytester):
    project.record().assert_outcomes(passed=1)
    pytester.makeconftest(
        """
        import pytest
        from app import Agent

        SEEN = []

        @pytest.fixture
        def agent(replay):
            yield Agent()
            SEEN.append([call.target for call in replay.calls])  # after the test

        def pytest_terminal_summary(terminalreporter):
            terminalreporter.write_line(f"targets seen at teardown: {SEEN}")
        """
    )
    pytester.makepyfile(
        test_agent="""
        import pytest

        @pytest.mark.replay("goldens/billing.ckpt", mock={
            "llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]})
        def test_billing(agent, replay):
            replay.run(agent.handle, "I was charged twice")
        """
    )
    result = project.replay()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [esc("targets seen at teardown: [['app.complete', 'app.Tools.search', "
             "'app.Tools.create_ticket']]")]
    )  # fmt: skip


def test_marker_without_replay_fixture_replays_the_calls(project, pytester):
    pytester.makepyfile(
        test_agent="""
        import pytest
        import app

        @pytest.mark.replay("goldens/plain.ckpt", mock={"llm": "app.complete"})
        def test_plain():
            assert app.complete("hello").startswith("LLM answer to <hello>")
        """
    )
    project.record().assert_outcomes(passed=1)
    project.write_app(PREFIX="CHANGED")
    project.replay().assert_outcomes(passed=1)  # the recorded answer, not the live one


def test_the_golden_holds_that_its_test_was_not_strict(project, pytester):
    pytester.makepyfile(
        test_agent="""
        import pytest
        import app

        @pytest.mark.replay("goldens/loose.ckpt", mock={"llm": "app.complete"}, strict=False)
        def test_loose():
            assert app.complete("hello").startswith("LLM answer to <hello>")
        """
    )
    project.record().assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "loose.ckpt"
    assert json.loads(golden.read_text())["metadata"]["strict"] is False


def test_the_golden_lists_the_mocked_paths_under_their_own_span_type(project, pytester):
    pytester.makepyfile(
        test_agent="""
        import pytest
        import app

        MOCK = {"llm": "app.complete", "tool": "app.Tools.search"}

        @pytest.mark.replay("goldens/typed.ckpt", mock=MOCK)
        def test_typed():
            assert app.complete("hello").startswith("LLM answer to <hello>")
        """
    )
    project.record().assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "typed.ckpt"
    mock = json.loads(golden.read_text())["metadata"]["mock"]
    assert mock == {"llm": ["app.complete"], "tool": ["app.Tools.search"]}


def test_a_passing_replay_imports_neither_the_redaction_rules_nor_the_state_delta(project):
    # issue 16: importing them is part of what every replaying pytest process pays; a golden in
    # which nothing was redacted is compared as it is, the delta only renders failures, and the
    # pre-flight report is only made when asked for (its two dataclasses cost ~5 M instructions);
    # a replay that answers no stream and writes no checkpoint needs neither module for those
    project.record().assert_outcomes(passed=1)
    assert json.loads(project.golden.read_text())["metadata"]["redacted"] is False
    project.pytester.makeconftest(
        """
        import sys

        def pytest_unconfigure(config):
            names = (
                "pytest_clearstone.redaction",
                "pytest_clearstone.diff",
                "pytest_clearstone.golden.preflight",
                "pytest_clearstone.golden.streams",
                "pytest_clearstone.golden.atomic",
                # the comparison of stored forms (the arguments and outcome are ==), and the
                # rebuilding of a recorded exception (none raised): each KB of compiled code
                # costs ~0.2 M instructions through pytest's rewrite hook
                "pytest_clearstone.codec.compare",
                "pytest_clearstone.codec.validation_errors",
                "pytest_clearstone.golden.recorded_errors",
            )
            print("LOADED", sorted(m for m in sys.modules if m in names))
        """
    )
    result = project.pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["LOADED []"])


PICKLED_ANSWER_APP = """
import threading


class Session:  # only a pickle can store it (dill pickles the lock)
    def __init__(self, name):
        self.name = name
        self.lock = threading.Lock()


def open_session(name):
    return Session(name)


def log(session, text):  # given the session: an argument only a pickle could store
    return len(text)


def greet(name):
    session = open_session(name)
    log(session, "greeted")
    return "hello " + session.name
"""

PICKLED_ANSWER_TEST = """
import pytest
from pickled_app import greet


@pytest.mark.replay(
    "goldens/pickled.ckpt", mock={"tool": ["pickled_app.open_session", "pickled_app.log"]}
)
def test_pickled(replay):
    assert replay.run(greet, "ada") == "hello ada"
"""


def test_an_answer_only_a_pickle_can_store_is_recorded_when_pickles_are_allowed(
    pytester: pytest.Pytester,
) -> None:
    # Expected (docs/how-to/record.md, "Allow pickles ... for a value dill can pickle"): with
    # --clearstone-allow-pickle the answer is stored as a pickle and replays. Before the fix:
    # the golden's trace was read from the trace store, which never holds a pickle, so the
    # answer reached the golden as a placeholder and recording failed with "only its repr could
    # be stored ... or, if dill can pickle it, allow pickles" even with pickles allowed. An
    # argument only a pickle could store stays a placeholder, compared by its type.
    pytester.makepyfile(pickled_app=PICKLED_ANSWER_APP, test_pickled=PICKLED_ANSWER_TEST)
    args = ("-p", "no:cacheprovider")
    pytester.runpytest(*args, "--clearstone-record", "--clearstone-allow-pickle").assert_outcomes(
        passed=1
    )
    golden = json.loads((pytester.path / "goldens" / "pickled.ckpt").read_text())
    assert golden["contains_pickle"] is True
    opened, logged = [s for s in golden["trace"]["spans"] if s["output"]]
    assert opened["output"]["v"]["__cs__"] == "pickle"
    assert opened["output"]["v"]["type"] == "pickled_app.Session"
    assert logged["input"]["v"]["session"]["__cs__"] == "repr"
    pytester.runpytest(*args, "--clearstone-allow-pickle").assert_outcomes(passed=1)
    refused = pytester.runpytest(*args)  # the file's pickles are not trusted without the flag
    refused.assert_outcomes(failed=1)
    refused.stdout.fnmatch_lines(["*pickle*"])


def test_the_ini_option_clearstone_allow_pickle_allows_pickles_as_the_flag_does(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(pickled_app=PICKLED_ANSWER_APP, test_pickled=PICKLED_ANSWER_TEST)
    pytester.makeini("[pytest]\nclearstone_allow_pickle = true\n")
    pytester.runpytest("-p", "no:cacheprovider", "--clearstone-record").assert_outcomes(passed=1)
    golden = json.loads((pytester.path / "goldens" / "pickled.ckpt").read_text())
    assert golden["contains_pickle"] is True
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_nan_in_the_state_result_or_arguments_replays_green(pytester):
    # Expected: a recorded NaN compares equal to the replayed NaN (contract 4: the golden state
    # compares equal); every replay failed with "nan -> nan", and re-recording could not help.
    pytester.syspathinsert()
    pytester.makepyfile(
        nanagent="""
        def lookup(threshold):
            return 0.5

        class Agent:
            def __init__(self):
                self.best = float("nan")

            def run(self, text):
                return {"score": lookup(float("nan")), "best": self.best, "all": [float("nan")]}
        """,
        test_nan="""
        import pytest
        import nanagent

        @pytest.mark.replay("goldens/nan.ckpt", mock={"tool": "nanagent.lookup"})
        def test_nan(replay):
            replay.run(nanagent.Agent().run, "hi")
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    pytester.runpytest("--clearstone-record").stdout.fnmatch_lines(["*nan.ckpt: unchanged*"])


def test_an_agent_with_deque_memory_records_without_pickles(pytester):
    # Expected: an agent's collections.deque memory (and Counter, OrderedDict, defaultdict)
    # is stored readably; recording it failed unless pickles were allowed.
    pytester.syspathinsert()
    pytester.makepyfile(
        memagent="""
        import collections

        def complete(prompt):
            return "answer to " + prompt

        class Agent:
            def __init__(self):
                self.memory = collections.deque(maxlen=2)
                self.tools = collections.Counter()
                self.by_turn = collections.defaultdict(list)

            def run(self, text):
                answer = complete(text)
                self.memory.append((text, answer))
                self.tools["complete"] += 1
                self.by_turn[len(self.memory)].append(answer)
                return answer
        """,
        test_mem="""
        import pytest
        import memagent

        @pytest.mark.replay("goldens/mem.ckpt", mock={"llm": "memagent.complete"})
        def test_mem(replay):
            agent = memagent.Agent()
            replay.run(agent.run, "one")
            replay.run(agent.run, "two")
            replay.run(agent.run, "three")
            assert list(agent.memory) == [("two", "answer to two"), ("three", "answer to three")]
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    doc = json.loads((pytester.path / "goldens" / "mem.ckpt").read_text())
    assert doc["contains_pickle"] is False
    pytester.runpytest().assert_outcomes(passed=1)


@pytest.mark.parametrize("ignore", [None, ["**.request_id"]], ids=["plain", "with_ignore"])
def test_a_model_class_kept_in_the_state_and_passed_to_a_call_diverges_when_its_schema_changed(
    pytester: pytest.Pytester, ignore: list[str] | None
) -> None:
    """The agent keeps its structured-output model in its state and passes it to the mocked
    call (``parse(response_format=self.schema)``). Replaying, the state loaded from the golden
    hands it the stand-in for the changed class, which equalled the stand-in the recorded
    call's arguments hold: a changed model replayed green. (With ``ignore=`` paths, arguments
    are compared as stored, the stand-in as it was read: the final state's stand-in fails.)"""
    pytester.syspathinsert()
    pytester.makepyfile(
        keeper="""
        import pydantic

        class Verdict(pydantic.BaseModel):
            answer: str

        def parse(question, response_format, request_id=None):
            return response_format.model_validate({"answer": "yes"})

        class Agent:
            def __init__(self):
                self.schema = Verdict

            def run(self, question):
                return parse(question, response_format=self.schema).answer
        """,
        test_keeper=f"""
        import pytest
        import keeper

        @pytest.mark.replay("goldens/keeper.ckpt", mock={{"llm": "keeper.parse"}},
                            ignore={ignore!r})
        def test_keeper(replay):
            assert replay.run(keeper.Agent().run, "sunny?") == "yes"
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    source = pytester.path / "keeper.py"
    source.write_text(source.read_text().replace("    answer: str", "    answer: str | None"))
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    change = "the JSON schema of keeper.Verdict changed: properties.answer.type removed"
    if ignore is None:  # (arguments compared as values: at the call)
        result.stdout.fnmatch_lines(
            [
                "*replay diverged at call #1 to keeper.parse*",
                f"*root[[]'response_format']: {change}*",
            ]
        )
    else:  # (compared as stored, the stand-in stored as it was read: the final state)
        result.stdout.fnmatch_lines(
            ["*the replayed final state differs*", f"*root[[]'schema']: {change}*"]
        )


def test_a_model_class_in_the_state_whose_schema_changed_names_the_fix_where_it_is_used(pytester):
    # The recorded class comes back as a stand-in that differs from the class now; an agent
    # that keeps the class in its state gets the stand-in, and used it failed with a bare
    # "'ChangedModelClass' object has no attribute 'model_validate'".
    pytester.syspathinsert()
    pytester.makepyfile(
        schemagent="""
        import pydantic

        class Verdict(pydantic.BaseModel):
            answer: str

        def ask(question):
            return {"answer": "yes"}

        class Agent:
            def __init__(self):
                self.schema = Verdict

            def run(self, question):
                return self.schema.model_validate(ask(question)).answer
        """,
        test_schema="""
        import pytest
        import schemagent

        @pytest.mark.replay("goldens/schema.ckpt", mock={"tool": "schemagent.ask"})
        def test_schema(replay):
            replay.run(schemagent.Agent().run, "sunny?")
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)
    source = pytester.path / "schemagent.py"
    source.write_text(
        source.read_text().replace("    answer: str", "    answer: str\n    score: int = 0")
    )
    result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the class schemagent:Verdict has another JSON schema than when the golden was "
            "recorded (properties.score added)*re-record*pytest --clearstone-record*"
        ]
    )


def test_a_recorded_call_s_arguments_are_let_go_after_the_test(pytester):
    """Nothing the plugin keeps between tests holds a recording: the arguments of a recorded
    call (an SDK client, a large prompt) are freed after their test. The resolved mock paths
    were remembered as they were while the recording's wrappers were in place (a strict
    recording looks up the target's other methods after patching it), which kept the wrapper,
    its recorder and every recorded argument for the rest of the session."""
    pytester.syspathinsert()
    pytester.makepyfile(
        retained_app="""
        import weakref

        REFS = []


        class Payload:
            def __init__(self, text):
                self.text = text
                REFS.append(weakref.ref(self))

            def __reduce__(self):
                return (str, (self.text,))


        class Client:
            def create(self, payload):
                return "answer to " + payload.text


        def run(text):
            return Client().create(Payload(text))
        """,
        test_retained="""
        import gc

        import pytest

        import retained_app


        @pytest.mark.replay("goldens/kept.ckpt", mock={"llm": "retained_app.Client.create"})
        def test_records(replay):
            assert replay.run(retained_app.run, "hello") == "answer to hello"


        def test_after():
            gc.collect()
            assert retained_app.REFS and [r() for r in retained_app.REFS] == [None]
        """,
    )
    pytester.runpytest("--clearstone-record", "-p", "no:randomly").assert_outcomes(passed=2)
    pytester.runpytest("-p", "no:randomly").assert_outcomes(passed=2)
