"""clearstone_tracer: spans in the run's store, under a root span named after the test."""

from __future__ import annotations

import json

import pytest

from pytest_clearstone.observability import TraceStore
from tests.inner_runs import LEAN_ARGS


def test_user_spans_nest_under_the_test_root_span(pytester):
    pytester.makepyfile(
        test_traced="""
        def test_traced(clearstone_tracer):
            with clearstone_tracer.span("plan", span_type="chain") as span:
                span.set_output("ok")
        """
    )
    pytester.runpytest("--clearstone-db", "store.db").assert_outcomes(passed=1)
    store = TraceStore(pytester.path / "store.db")
    (summary,) = store.list_traces()
    assert summary.root_name == "test_traced.py::test_traced"
    trace = store.get_trace(summary.trace_id)
    root, plan = trace.spans
    assert (plan.name, plan.parent_span_id, plan.output) == ("plan", root.span_id, "ok")
    assert root.end_time_ns is not None and root.status == "OK"


def test_a_failing_test_leaves_its_root_span_in_error(pytester):
    pytester.makepyfile(
        test_traced="""
        def test_traced(clearstone_tracer):
            with clearstone_tracer.span("plan"):
                pass
            assert 1 == 2, "the plan was wrong"
        """
    )
    pytester.runpytest("--clearstone-db", "store.db").assert_outcomes(failed=1)
    store = TraceStore(pytester.path / "store.db")
    (summary,) = store.list_traces()
    root = store.get_trace(summary.trace_id).root_span
    assert root is not None and root.status == "ERROR"
    assert "the plan was wrong" in (root.status_message or "")


def test_an_unmarked_test_using_the_tracer_is_not_counted_diverged_by_a_replay_error(pytester):
    # Expected: a test without the replay marker has no golden, so a replay error from the API
    # used directly (a DeterministicExecutionContext whose responses ran out) is its failure
    # only, as for the same test without clearstone_tracer. Before the fix the traced one was
    # counted "1 diverged" and named under the record-diverged hint, which cannot record it.
    pytester.makepyfile(
        app="def complete(prompt):\n    return 'live'\n",
        test_plain="""
        import datetime as dt

        import app
        from pytest_clearstone.debugging import DeterministicExecutionContext

        WHEN = dt.datetime(2024, 1, 15, tzinfo=dt.timezone.utc)

        def test_traced(clearstone_tracer):
            with clearstone_tracer.span("step"):
                with DeterministicExecutionContext(WHEN, {"app.complete": []}):
                    app.complete("hi")

        def test_untraced():
            with DeterministicExecutionContext(WHEN, {"app.complete": []}):
                app.complete("hi")
        """,
    )
    pytester.syspathinsert()
    result = pytester.runpytest()
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(["*ReplayExhaustedError*"])
    result.stdout.no_fnmatch_line("*checkpoint(s) replayed, 0 recorded, 1 diverged*")
    result.stdout.no_fnmatch_line("hint: *")
    result.stdout.no_fnmatch_line("  test_plain.py::test_traced")


def test_recorded_calls_nest_under_the_open_user_span(project, pytester):
    pytester.makepyfile(
        test_agent="""
        import pytest
        from app import Agent

        @pytest.mark.replay("goldens/traced.ckpt", mock={
            "llm": "app.complete", "tool": ["app.Tools.search", "app.Tools.create_ticket"]})
        def test_traced(replay, clearstone_tracer):
            with clearstone_tracer.span("turn_1"):
                replay.run(Agent().handle, "hello")
        """
    )
    project.record("--clearstone-db", "store.db").assert_outcomes(passed=1)
    store = TraceStore(pytester.path / "store.db")
    (summary,) = store.list_traces()
    spans = store.get_trace(summary.trace_id).spans
    by_name = {s.name: s for s in spans}
    turn = by_name["turn_1"]
    assert by_name["app.complete"].parent_span_id == turn.span_id
    assert by_name["app.complete"].attributes["clearstone.target"] == "app.complete"
    assert by_name["app.complete"].input == {"prompt": "User says: hello"}
    assert turn.parent_span_id == by_name["test_agent.py::test_traced"].span_id
    project.replay("--clearstone-db", "store.db").assert_outcomes(passed=1)


def _foreign_store(path):
    import sqlite3

    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE notes (body TEXT)")
    connection.execute("INSERT INTO notes VALUES ('keep me')")
    connection.commit()
    connection.close()
    return path.read_bytes()


FOREIGN = (
    "*store.db' is not a pytest-clearstone trace store: it is another program's SQLite "
    "database (tables: notes; user_version 0) and was left as it is. Point the trace store "
    "elsewhere (--clearstone-db=PATH or ini clearstone_db), or move the file away*"
)


@pytest.mark.parametrize("xdist", [False, True], ids=["", "xdist"])
def test_spans_the_store_refuses_at_the_end_fail_the_run_with_its_message(pytester, xdist):
    # the tracer's spans are written when the run ends: a store that refuses them is reported
    # in the summary and fails the run (before, pytest crashed with the traceback); under
    # pytest-xdist the worker's store tells the controller, which reports
    before = _foreign_store(pytester.path / "store.db")
    pytester.makepyfile(
        test_traced="""
        def test_traced(clearstone_tracer):
            with clearstone_tracer.span("plan"):
                pass
        """
    )
    # (a record run: a replay's spans are diagnostics, it only warns — test_git_workflow.py)
    args = ("--clearstone-record", "--clearstone-db", "store.db")
    if xdist:
        pytest.importorskip("xdist")
        result = pytester.runpytest_subprocess(*LEAN_ARGS, "-n", "1", *args)
    else:
        result = pytester.runpytest(*args)
    result.assert_outcomes(passed=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        ["*= clearstone =*", "*the spans of this run were not written to the trace store: *"]
    )
    result.stdout.fnmatch_lines([FOREIGN])
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    # (told once: not again on stderr as the process ends, the spans having been let go)
    result.stderr.no_fnmatch_line("*span(s) were not written*")
    assert (pytester.path / "store.db").read_bytes() == before


def test_a_record_run_into_a_foreign_store_fails_its_test_and_ends_cleanly(project, pytester):
    before = _foreign_store(pytester.path / "store.db")
    result = project.record("--clearstone-db", "store.db")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*the golden checkpoint was not written: *", FOREIGN])
    result.stdout.fnmatch_lines(["*1 failed*"])  # the summary is printed: no crash before it
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    assert (pytester.path / "store.db").read_bytes() == before
    assert not project.golden.exists()


def test_a_store_whose_directory_cannot_be_made_fails_the_run_with_its_message(pytester):
    # the directory of the store could not be created (here a file stands in its way; a
    # read-only checkout gives PermissionError): pytest crashed at session end with the traceback
    (pytester.path / "blocked").write_text("a file, not a directory")
    pytester.makepyfile(
        test_traced="""
        def test_traced(clearstone_tracer):
            with clearstone_tracer.span("plan"):
                pass
        """
    )
    result = pytester.runpytest("--clearstone-record", "--clearstone-db", "blocked/traces.db")
    result.assert_outcomes(passed=1)
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "the spans of this run were not written to the trace store: cannot open the trace "
            "store '*blocked/traces.db': *File exists: '*blocked'. Point the trace store "
            "elsewhere (--clearstone-db=PATH or ini clearstone_db)*",
        ]
    )
    result.stdout.no_fnmatch_line("*Traceback*")
    result.stdout.no_fnmatch_line("*INTERNALERROR*")
    assert (pytester.path / "blocked").read_text() == "a file, not a directory"


def test_a_store_directory_that_is_a_link_to_nothing_names_the_link_and_its_target(pytester):
    # Expected: `.clearstone` a link to a directory that is gone (a CI cache not mounted) is
    # named as such, with its target. It said "[Errno 17] File exists: '.../.clearstone'" (of
    # a link to nothing) and to "move the file away".
    (pytester.path / ".clearstone").symlink_to(pytester.path / "cache" / "store")
    pytester.makepyfile(
        test_traced="""
        def test_traced(clearstone_tracer):
            with clearstone_tracer.span("plan"):
                pass
        """
    )
    result = pytester.runpytest("--clearstone-record")
    assert result.ret == 1
    result.stdout.fnmatch_lines(
        [
            "the spans of this run were not written to the trace store: cannot open the trace "
            "store '*/.clearstone/traces.db': '*/.clearstone' is a link to '*/cache/store', "
            "which does not exist. Create that directory, or point the trace store elsewhere "
            "(--clearstone-db=PATH or ini clearstone_db)",
        ]
    )
    result.stdout.no_fnmatch_line("*File exists*")
    result.stdout.no_fnmatch_line("*Traceback*")
    assert not (pytester.path / "cache").exists()  # (nothing made through the link)


def test_a_store_path_that_is_a_directory_says_so(pytester):
    # --clearstone-db given the store's directory (.clearstone) instead of its file: the message
    # was SQLite's "unable to open database file", with the advice to move "the file" away
    (pytester.path / ".clearstone").mkdir()
    pytester.makepyfile(
        test_traced="""
        def test_traced(clearstone_tracer):
            with clearstone_tracer.span("plan"):
                pass
        """
    )
    result = pytester.runpytest_subprocess("--clearstone-db", ".clearstone")
    # (reported once: not again on stderr when the process ends)
    assert "were not written to the trace store" not in result.stderr.str()
    result.stdout.fnmatch_lines(
        [
            "*not written to the trace store*: cannot open the trace store '*.clearstone': it "
            "is a directory, not a trace store file. Point the trace store elsewhere "
            "(--clearstone-db=PATH or ini clearstone_db)",
        ]
    )
    result.stdout.no_fnmatch_line("*move the file away*")
    result.stdout.no_fnmatch_line("*Traceback*")


@pytest.mark.parametrize(
    ("ini", "args", "where"),
    [
        ("~/stores/traces.db", (), "home/stores/traces.db"),
        ("$STORE_DIR/traces.db", (), "cache/traces.db"),
        ("", ("--clearstone-db=~/cli.db",), "home/cli.db"),
    ],
    ids=["ini-home", "ini-variable", "option-home"],
)
def test_a_store_path_with_the_home_or_a_variable_is_expanded(
    pytester, monkeypatch, ini, args, where
):
    # Expected: ~ and $VARIABLES in the store's path are expanded, as pytest expands them in
    # its own cache_dir. They were taken as they are: a directory named "~" (or "$STORE_DIR")
    # was made in the rootdir, and the store put in it (the ini's value, and an option's
    # spelled --clearstone-db=~/..., in addopts or PYTEST_ADDOPTS, which no shell expands).
    monkeypatch.setenv("HOME", str(pytester.path / "home"))
    monkeypatch.setenv("STORE_DIR", str(pytester.path / "cache"))
    if ini:
        pytester.makeini(f"[pytest]\nclearstone_db = {ini}\n")
    pytester.makepyfile(
        test_traced="""
        def test_traced(clearstone_tracer):
            with clearstone_tracer.span("plan"):
                pass
        """
    )
    result = pytester.runpytest(*args)
    result.assert_outcomes(passed=1)
    assert result.ret == 0
    assert TraceStore(pytester.path / where).count_spans() == 2
    assert not (pytester.path / "~").exists()
    assert not (pytester.path / "$STORE_DIR").exists()


def test_an_ini_memory_store_writes_no_file(pytester):
    pytester.makeini("[pytest]\nclearstone_db = :memory:\n")
    pytester.makepyfile(
        test_traced="""
        def test_traced(clearstone_tracer):
            with clearstone_tracer.span("plan"):
                pass
        """
    )
    result = pytester.runpytest()
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*store=:memory:*"])
    assert not (pytester.path / ":memory:").exists()


_SECRET_SPANS = """
    import pytest

    KEY = "sk-proj-" + "Abcdefghij0123456789" * 2

    def record_step(tracer):
        with tracer.span("step", span_type="chain", attributes={"api_key": KEY}) as span:
            span.set_input({"password": "hunter2-hunter2", "q": "hi"})
            span.set_attribute("authorization", "Bearer " + KEY)
            span.set_output({"reply": "ok", "token": KEY})

    def test_plain(clearstone_tracer):
        record_step(clearstone_tracer)

    @pytest.mark.replay("goldens/step.ckpt", mock={})
    def test_marked(replay, clearstone_tracer):
        record_step(clearstone_tracer)
        replay.run(len, "abc")
"""


def test_secrets_in_user_spans_are_redacted_before_the_store_and_the_golden(pytester):
    # Expected: a span the test opens with clearstone_tracer passes through the test's
    # redaction rules as the recorded calls do, so neither the trace store (shared) nor the
    # golden (committed) holds the key; both held it as it was.
    pytester.makepyfile(test_secret=_SECRET_SPANS)
    pytester.runpytest("--clearstone-db", "store.db", "--clearstone-record").assert_outcomes(
        passed=2
    )
    key = "sk-proj-" + "Abcdefghij0123456789" * 2
    written = [pytester.path / "store.db", pytester.path / "goldens" / "step.ckpt"]
    for path in written:
        for extra in ("", "-wal"):
            file = path.with_name(path.name + extra)
            if file.exists():
                data = file.read_bytes()
                assert key.encode() not in data, file
                assert b"hunter2-hunter2" not in data, file
    store = TraceStore(pytester.path / "store.db")
    steps = [
        span
        for summary in store.list_traces()
        for span in store.get_trace(summary.trace_id).spans
        if span.name == "step"
    ]
    assert len(steps) == 2
    for step in steps:
        assert step.attributes == {"api_key": "[REDACTED]", "authorization": "[REDACTED]"}
        assert step.input == {"password": "[REDACTED]", "q": "hi"}
        assert step.output == {"reply": "ok", "token": "[REDACTED]"}


def test_a_secret_in_an_error_raised_inside_a_user_span_is_redacted_in_the_store_and_golden(
    pytester,
):
    # Expected: an exception the agent raises (and catches) inside a span the test opened with
    # clearstone_tracer, whose message quotes a key, is recorded on the span (status ERROR)
    # with the key redacted in its status message and its error, in the golden and the store,
    # and the recording passes (the golden's secret check finds nothing left).
    pytester.makepyfile(
        test_error="""
        import pytest

        KEY = "sk-proj-" + "Abcdefghij0123456789" * 2

        def step(tracer):
            try:
                with tracer.span("step", span_type="tool"):
                    raise RuntimeError("refused for " + KEY)
            except RuntimeError:
                pass

        @pytest.mark.replay("goldens/step.ckpt", mock={})
        def test_marked(replay, clearstone_tracer):
            step(clearstone_tracer)
            replay.run(len, "abc")
        """
    )
    pytester.runpytest("--clearstone-db", "store.db", "--clearstone-record").assert_outcomes(
        passed=1
    )
    key = "sk-proj-" + "Abcdefghij0123456789" * 2
    golden = pytester.path / "goldens" / "step.ckpt"
    assert key not in golden.read_text()
    (in_golden,) = [
        span for span in json.loads(golden.read_text())["trace"]["spans"] if span["name"] == "step"
    ]
    store = TraceStore(pytester.path / "store.db")
    (summary,) = store.list_traces()
    (in_store,) = [s for s in store.get_trace(summary.trace_id).spans if s.name == "step"]
    for status, message, error in (
        (in_golden["status"], in_golden["status_message"], in_golden["error"]),
        (in_store.status, in_store.status_message, in_store.error),
    ):
        assert status == "ERROR"
        assert message == "RuntimeError: refused for [REDACTED]"
        assert error["message"] == "refused for [REDACTED]"


def test_a_secret_given_to_a_user_span_after_it_ended_never_reaches_the_store(pytester):
    # Expected: the span queued for the store is the redacted one, whatever the test does with
    # its span afterwards. The ended span was queued itself (redacted in place), so a key the
    # test set on it after its block (usage, a token from the reply) was written as it was.
    pytester.makepyfile(
        test_after="""
        KEY = "sk-proj-" + "Abcdefghij0123456789" * 2

        def test_after_the_block(clearstone_tracer):
            with clearstone_tracer.span("call", span_type="llm") as span:
                span.set_output("ok")
            span.set_attribute("api_key", KEY)
            span.set_output({"token": KEY})
        """
    )
    pytester.runpytest("--clearstone-db", "store.db").assert_outcomes(passed=1)
    key = "sk-proj-" + "Abcdefghij0123456789" * 2
    for extra in ("", "-wal"):
        file = pytester.path / f"store.db{extra}"
        if file.exists():
            assert key.encode() not in file.read_bytes(), file
    store = TraceStore(pytester.path / "store.db")
    (summary,) = store.list_traces()
    _, call = store.get_trace(summary.trace_id).spans
    assert (call.name, call.output, call.attributes) == ("call", "ok", {})


def test_a_secret_value_seen_in_the_run_is_withheld_from_the_spans_of_a_test_not_recording(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Expected: the spans a test that writes no golden (not marked, or replaying) opens with
    # clearstone_tracer, and the test's root span, hold no secret value seen in the run (a key
    # from an environment variable a key rule covers, of no format a pattern knows): the store
    # shows [REDACTED] in its place, as a golden could not hold it. Before the fix: the store
    # kept it in the span's input and the failed test's error (`trace -v` printed both).
    # The second test sets its key with monkeypatch, undone before the test's teardown ends.
    secret = "shop-key-correct-horse-battery-staple"
    monkeypatch.setenv("SHOP_API_KEY", secret)
    pytester.makepyfile(
        test_env="""
        import os

        def test_traced(clearstone_tracer):
            with clearstone_tracer.span("load", span_type="tool") as span:
                span.set_input({"q": "token " + os.environ["SHOP_API_KEY"]})
            raise RuntimeError("failed for " + os.environ["SHOP_API_KEY"])

        def test_patched(clearstone_tracer, monkeypatch):
            monkeypatch.setenv("CRM_TOKEN", "crm-" + os.environ["SHOP_API_KEY"][::-1])
            with clearstone_tracer.span("crm", span_type="tool") as span:
                span.set_output("token " + os.environ["CRM_TOKEN"])
        """
    )
    pytester.runpytest("--clearstone-db", "store.db").assert_outcomes(failed=1, passed=1)
    for file in pytester.path.glob("store.db*"):
        data = file.read_bytes()
        assert secret.encode() not in data and secret[::-1].encode() not in data, file
    store = TraceStore(pytester.path / "store.db")
    spans = {
        span.name: span
        for summary in store.list_traces()
        for span in store.get_trace(summary.trace_id).spans
    }
    assert spans["load"].input == {"q": "token [REDACTED]"}
    assert spans["test_env.py::test_traced"].status_message == (
        "RuntimeError: failed for [REDACTED]"
    )
    assert spans["crm"].output == "token [REDACTED]"


def test_a_secret_a_user_span_of_a_recording_held_is_kept_out_of_its_golden(pytester):
    # a user span of a recording passes through the recording's own redaction: a value it
    # replaced (under a secret key) is a secret the golden is checked for, so the agent's
    # answer repeating it refuses the golden rather than reaching the committed file
    pytester.makepyfile(
        test_secret="""
        import pytest

        @pytest.mark.replay("goldens/step.ckpt", mock={})
        def test_marked(replay, clearstone_tracer):
            with clearstone_tracer.span("login", attributes={"password": "hunter2-hunter2"}):
                pass
            replay.run(str, "the password is hunter2-hunter2")
        """
    )
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the golden checkpoint was not written: *step.ckpt: the value at 'password' in the "
            "span attributes of login is in the outcome at outcome* (the value is not shown here)*"
        ]
    )
    assert not (pytester.path / "goldens" / "step.ckpt").exists()
