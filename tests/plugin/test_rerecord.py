"""Reproducible re-records (contract §6.1): a re-record keeps the previous golden's checkpoint
id, seeds and clock and derives its span ids, so unchanged behaviour changes nothing but
measured times; ``--clearstone-fresh`` draws new ones."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone.cli import main
from pytest_clearstone.golden import signing

APP = """
import random
import time
import uuid

SYSTEM = "You are a terse travel agent."

# the live services answer the same question the same way (a re-record of unchanged behaviour)
def complete(system, prompt):
    return f"{prompt} -> fly on Monday"

def search(query):
    return {"hits": len(query)}

class Agent:
    def __init__(self):
        self.log = []

    def get_state(self):
        return {"log": self.log}

    def load_state(self, state):
        self.log = list(state["log"])

    def run(self, question):
        hits = search(question)
        answer = complete(SYSTEM, question)
        # what only randomness and the clock choose in the agent: kept by a re-record
        self.log.append({"at": time.time(), "id": str(uuid.uuid4()), "q": question,
                         "a": answer, "hits": hits, "pick": random.random()})
        return answer
"""

TEST = """
import pytest
from app import Agent

@pytest.mark.replay("g.ckpt", mock={"llm": "app.complete", "tool": "app.search"})
def test_it(replay):
    replay.run(Agent().run, "Rome")
"""

#: what a re-record may change: what was measured
MEASURED = {"start_time_ns", "end_time_ns"}


def _without_measured(doc: Any) -> Any:
    if isinstance(doc, dict):
        return {k: _without_measured(v) for k, v in doc.items() if k not in MEASURED}
    if isinstance(doc, list):
        return [_without_measured(v) for v in doc]
    return doc


def _canonical(path: Path, capsys: pytest.CaptureFixture[str]) -> str:
    capsys.readouterr()
    assert main(["show", str(path), "--canonical"]) == 0
    return capsys.readouterr().out


@pytest.fixture
def project(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(APP), test_it=textwrap.dedent(TEST))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    return pytester


def test_an_unchanged_rerecord_leaves_the_file_as_it_was(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    """A re-record of unchanged behaviour measured new span times only: it rewrote every golden
    with them, so a whole-suite re-record left every golden changed in git (and two branches
    that re-recorded one conflicted). It leaves the file as it was, byte for byte."""
    golden = project.path / "g.ckpt"
    first_bytes = golden.read_bytes()
    first_canonical = _canonical(golden, capsys)
    result = project.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*g.ckpt: unchanged*"])
    assert golden.read_bytes() == first_bytes
    assert _canonical(golden, capsys) == first_canonical
    project.runpytest().assert_outcomes(passed=1)


def test_a_rerecord_that_changes_more_than_times_rewrites_the_file(
    project: pytest.Pytester,
) -> None:
    golden = project.path / "g.ckpt"
    first = json.loads(golden.read_text())
    app = project.path / "app.py"
    app.write_text(app.read_text().replace("fly on Monday", "fly on Tuesday"))
    result = project.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*g.ckpt: llm call #1 to app.complete answer*"])
    second = json.loads(golden.read_text())
    assert second != first
    assert _without_measured(second)["checkpoint_id"] == first["checkpoint_id"]
    assert "Tuesday" in golden.read_text()


def test_a_rerecord_that_changes_a_call_keeps_none_of_the_previous_span_times(
    project: pytest.Pytester,
) -> None:
    """Times are kept for all spans or none: the spans a changed call leaves as they were
    are written with the times this run measured too, so that they keep their order in time."""
    golden = project.path / "g.ckpt"
    first = json.loads(golden.read_text())["trace"]["spans"]
    app = project.path / "app.py"
    app.write_text(app.read_text().replace("fly on Monday", "fly on Tuesday"))
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    second = json.loads(golden.read_text())["trace"]["spans"]
    assert len(second) == len(first) > 1
    for before, after in zip(first, second, strict=True):
        assert after["start_time_ns"] != before["start_time_ns"], after["name"]


def test_a_one_word_prompt_change_changes_only_that_call_in_the_canonical_form(
    project: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    golden = project.path / "g.ckpt"
    before = _canonical(golden, capsys).splitlines()
    app = project.path / "app.py"
    app.write_text(app.read_text().replace("terse travel agent", "terse rail agent"))
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    after = _canonical(golden, capsys).splitlines()
    changed = [(a, b) for a, b in zip(before, after, strict=True) if a != b]
    assert len(before) == len(after)
    assert changed and all("rail" in b and "travel" in a for a, b in changed), changed


def test_fresh_draws_a_new_checkpoint_id(project: pytest.Pytester) -> None:
    golden = project.path / "g.ckpt"
    first = json.loads(golden.read_text())["checkpoint_id"]
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert json.loads(golden.read_text())["checkpoint_id"] == first
    project.runpytest("--clearstone-record", "--clearstone-fresh").assert_outcomes(passed=1)
    assert json.loads(golden.read_text())["checkpoint_id"] != first
    project.runpytest().assert_outcomes(passed=1)


def test_git_diff_with_the_textconv_shows_only_the_changed_call(project: pytest.Pytester) -> None:
    """The documented review: goldens committed with a ``show --canonical`` textconv driver; a
    one-word prompt change re-recorded shows in ``git diff`` as the lines of that call only."""
    import shutil
    import subprocess
    import sys

    git = shutil.which("git")
    if git is None:
        pytest.skip("git is not installed")

    def run(*args: str) -> str:
        return subprocess.run(
            [git, *args], cwd=project.path, check=True, capture_output=True, text=True
        ).stdout

    run("init", "-q")
    run("config", "user.email", "dev@example.com")
    run("config", "user.name", "dev")
    textconv = f"{sys.executable} -m pytest_clearstone show --canonical"
    run("config", "diff.clearstone.textconv", textconv)
    (project.path / ".gitattributes").write_text("*.ckpt diff=clearstone\n")
    run("add", "g.ckpt", ".gitattributes")
    run("commit", "-q", "-m", "golden")
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert run("diff", "--", "g.ckpt") == ""  # an unchanged re-record: nothing to review
    app = project.path / "app.py"
    app.write_text(app.read_text().replace("terse travel agent", "terse rail agent"))
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    changed = [
        line
        for line in run("diff", "-U0", "--", "g.ckpt").splitlines()
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    assert changed == [
        '-      "system": "You are a terse travel agent."',
        '+      "system": "You are a terse rail agent."',
    ], changed


def test_a_rerecord_that_drops_the_signature_says_so(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A golden signed with ``CLEARSTONE_SIGNING_KEY`` and re-recorded by someone without the
    key loses its signature (a job loading it with the key refuses its pickles): the summary
    must not call it ``unchanged``."""
    golden = project.path / "g.ckpt"
    monkeypatch.setenv("CLEARSTONE_SIGNING_KEY", "team-key")
    signed = project.runpytest("--clearstone-record")
    signed.assert_outcomes(passed=1)
    signed.stdout.fnmatch_lines(["  g.ckpt: signed"])
    assert "signature" in json.loads(golden.read_text())
    monkeypatch.delenv("CLEARSTONE_SIGNING_KEY")
    result = project.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    assert "signature" not in json.loads(golden.read_text())
    result.stdout.fnmatch_lines(
        ["  g.ckpt: signature removed (no signing key: set $CLEARSTONE_SIGNING_KEY to sign it)"]
    )


def test_an_unchanged_rerecord_of_a_signed_golden_leaves_the_file_as_it_was(
    project: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With ``CLEARSTONE_SIGNING_KEY`` set, the signature covers the spans' times: before the
    fix every re-record of unchanged behaviour wrote every golden again (new times, new
    signature), said ``layout (behaviour unchanged: the file was written again)``, and a
    whole-suite re-record left every golden changed in git. A golden signed with the same key
    is left as it was; one signed with another key is signed again, and said so."""
    golden = project.path / "g.ckpt"
    monkeypatch.setenv("CLEARSTONE_SIGNING_KEY", "team-key")
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    signed = golden.read_bytes()
    result = project.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["  g.ckpt: unchanged"])
    assert golden.read_bytes() == signed
    # checked out with CRLF (git core.autocrlf): left as it was too
    golden.write_bytes(signed.replace(b"\n", b"\r\n"))
    result = project.runpytest("--clearstone-record")
    result.stdout.fnmatch_lines(["  g.ckpt: unchanged"])
    assert golden.read_bytes() == signed.replace(b"\n", b"\r\n")
    golden.write_bytes(signed)
    # a new key: the golden is signed again, as it must be for a reader holding the new key
    monkeypatch.setenv("CLEARSTONE_SIGNING_KEY", "rotated-key")
    result = project.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["  g.ckpt: signature (signed with another key)"])
    assert golden.read_bytes() != signed
    assert main(["show", str(golden)]) == 0
    assert signing.verify(golden.read_text(encoding="utf-8"), "rotated-key")
    project.runpytest().assert_outcomes(passed=1)


PLAIN_APP = """
def complete(prompt):
    return f"{prompt} -> fly on Monday"

class Agent:
    def __init__(self):
        self.log = []

    def run(self, question):  # (nothing the clock or randomness chooses)
        self.log.append(complete(question))
        return self.log[-1]
"""

PLAIN_TEST = """
import pytest
from app import Agent

@pytest.mark.replay("g.ckpt", mock={"llm": "app.complete"})
def test_it(replay):
    replay.run(Agent().run, "Rome")
"""


def _older_writer(golden: Path) -> None:
    """Make the golden look written by another Python (the same length: only its text differs)."""
    doc = json.loads(golden.read_text())
    python = doc["written_by"]["python"]
    older = "2" + python[1:]
    golden.write_text(golden.read_text().replace(f'"python": "{python}"', f'"python": "{older}"'))


@pytest.mark.parametrize(
    ("how", "said"),
    [
        (["--clearstone-fresh"], "new checkpoint id, seeds and clock (--clearstone-fresh)"),
        ([], "writer (*Python 2.* -> *Python 3.*)"),
    ],
    ids=["fresh", "other-writer"],
)
def test_a_rerecord_that_rewrites_the_file_is_not_called_unchanged(
    pytester: pytest.Pytester, how: list[str], said: str
) -> None:
    """The summary said ``unchanged`` — which the docs say means the file was left as it was —
    for a golden whose behaviour did not change but whose file a re-record rewrote: with
    ``--clearstone-fresh`` (a new checkpoint id, span ids and frozen clock), or recorded before
    by another writer (another Python or pytest-clearstone): git then showed the file changed.
    """
    pytester.syspathinsert()
    pytester.makepyfile(app=textwrap.dedent(PLAIN_APP), test_it=textwrap.dedent(PLAIN_TEST))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "g.ckpt"
    if not how:
        _older_writer(golden)
    before = golden.read_bytes()
    result = pytester.runpytest("--clearstone-record", *how)
    result.assert_outcomes(passed=1)
    assert golden.read_bytes() != before
    result.stdout.fnmatch_lines([f"  g.ckpt: {said}"])
    assert "g.ckpt: unchanged" not in result.stdout.str()
    again = pytester.runpytest("--clearstone-record")  # (left as it was: unchanged)
    again.stdout.fnmatch_lines(["  g.ckpt: unchanged"])


ORDER_APP = """
def complete(prompt):
    return "ok"


class Agent:
    def __init__(self):
        self.scores = {}

    def run(self, question):
        tools = TOOLS  # (from a set: another order in another process)
        self.scores = {tool: len(tool) for tool in tools}
        return complete(question)
"""


def test_a_rerecord_that_changes_only_the_order_of_keys_names_it(
    pytester: pytest.Pytester,
) -> None:
    """A dict the agent builds from a set of strings has its keys in another order in another
    process (unless PYTHONHASHSEED is fixed). Its re-record rewrote the golden, which the
    summary called "layout (behaviour unchanged: the file was written again)": what the docs
    call a file edited by hand, naming neither the part nor the cause."""
    pytester.syspathinsert()
    tools = ["search", "calculator", "weather"]
    pytester.makepyfile(
        app=textwrap.dedent(ORDER_APP).replace("TOOLS", repr(tools)),
        test_it=textwrap.dedent(PLAIN_TEST),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.makepyfile(app=textwrap.dedent(ORDER_APP).replace("TOOLS", repr(tools[::-1])))
    pytester.runpytest().assert_outcomes(passed=1)  # (equal dicts: the replay is green)
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["  g.ckpt: final state (key order only)"])


ARGUMENT_ORDER_APP = """
def complete(prompt, metadata):
    return "ok"


class Agent:
    def __init__(self):
        self.answers = []

    def run(self, question):
        # a library's dict built from a set of strings (LangGraph passes the model a config
        # whose metadata holds thread_id and checkpoint_id in a frozenset's order), so another
        # order in another process
        metadata = {key: key.upper() for key in KEYS}
        self.answers.append(complete(question, metadata))
        return self.answers[-1]
"""


def test_a_rerecord_whose_arguments_differ_only_in_key_order_leaves_the_golden_as_it_was(
    pytester: pytest.Pytester,
) -> None:
    """The order of a dict's keys in a call's arguments is not part of what a replay compares
    (nor what the call sent, for a library's config): a re-record in another process, the
    keys of a dict a library builds from a set in another order, rewrote the golden, named
    "llm call #1 ... arguments (key order only)", a change at every re-record of an unchanged
    agent that the agent's author cannot sort away."""
    pytester.syspathinsert()
    keys = ["thread_id", "checkpoint_id", "checkpoint_ns"]
    pytester.makepyfile(
        app=textwrap.dedent(ARGUMENT_ORDER_APP).replace("KEYS", repr(keys)),
        test_it=textwrap.dedent(PLAIN_TEST),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "g.ckpt"
    before = golden.read_bytes()
    pytester.makepyfile(app=textwrap.dedent(ARGUMENT_ORDER_APP).replace("KEYS", repr(keys[::-1])))
    pytester.runpytest().assert_outcomes(passed=1)  # (equal dicts: the replay is green)
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["  g.ckpt: unchanged"])
    assert golden.read_bytes() == before
    # an argument that did change is written as recorded now, its keys in their new order
    pytester.makepyfile(
        app=textwrap.dedent(ARGUMENT_ORDER_APP).replace("KEYS", repr([*keys[::-1], "run"]))
    )
    result = pytester.runpytest("--clearstone-record")
    result.stdout.fnmatch_lines(["  g.ckpt: llm call #1 to app.complete arguments"])
    [call] = [s for s in json.loads(golden.read_text())["trace"]["spans"] if s["input"]]
    assert list(call["input"]["v"]["metadata"]) == [*keys[::-1], "run"]


def test_a_rerecord_keeps_the_key_order_of_the_dicts_in_a_list_argument(
    pytester: pytest.Pytester,
) -> None:
    """Dicts in a list of the arguments (the messages of a chat call, each built from a set)
    are written in the previous golden's key order, each as the dict at its own position."""
    pytester.syspathinsert()
    keys = ["thread_id", "checkpoint_id", "checkpoint_ns"]
    app = textwrap.dedent(ARGUMENT_ORDER_APP).replace(
        "complete(question, metadata)", "complete(question, [metadata, {'step': 1}, metadata])"
    )
    pytester.makepyfile(app=app.replace("KEYS", repr(keys)), test_it=textwrap.dedent(PLAIN_TEST))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "g.ckpt"
    before = golden.read_bytes()
    pytester.makepyfile(app=app.replace("KEYS", repr(keys[::-1])))
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["  g.ckpt: unchanged"])
    assert golden.read_bytes() == before


def test_a_rerecord_keeps_the_key_order_of_a_dict_inside_one_whose_keys_changed(
    pytester: pytest.Pytester,
) -> None:
    """A dict with the same keys as the dict at its place in the previous golden keeps that
    dict's order when the dict holding it gained a key (LangGraph's config given one more
    field, the call one more argument): it was written in its own order, every key a library
    builds from a set moved in the golden beside the real change; a dict that lost a key is
    written with the keys it has."""
    pytester.syspathinsert()
    keys = ["thread_id", "checkpoint_id", "checkpoint_ns"]
    app = textwrap.dedent(ARGUMENT_ORDER_APP).replace(
        "complete(question, metadata)", "complete(question, {'metadata': metadata, EXTRA})"
    )
    pytester.makepyfile(
        app=app.replace("KEYS", repr(keys)).replace("EXTRA", "'tags': ['a']"),
        test_it=textwrap.dedent(PLAIN_TEST),
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "g.ckpt"

    def written() -> dict[str, Any]:
        [call] = [s for s in json.loads(golden.read_text())["trace"]["spans"] if s["input"]]
        return call["input"]["v"]["metadata"]["metadata"]  # (the argument's own "metadata")

    pytester.makepyfile(
        app=app.replace("KEYS", repr(keys[::-1])).replace("EXTRA", "'tags': ['a'], 'run': 2")
    )
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["  g.ckpt: llm call #1 to app.complete arguments"])
    assert list(written()) == keys
    pytester.makepyfile(app=app.replace("KEYS", repr(keys[:2])).replace("EXTRA", "'run': 2"))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert list(written()) == keys[:2]


def test_a_rerecord_that_makes_a_call_more_writes_it_as_recorded(
    pytester: pytest.Pytester,
) -> None:
    """A call the previous golden did not record (the agent calls the model once more) has no
    key order to keep: it is written in its own, beside the kept one's."""
    pytester.syspathinsert()
    keys = ["thread_id", "checkpoint_id"]
    app = textwrap.dedent(ARGUMENT_ORDER_APP)
    pytester.makepyfile(app=app.replace("KEYS", repr(keys)), test_it=textwrap.dedent(PLAIN_TEST))
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    twice = app.replace(
        "self.answers.append(complete(question, metadata))",
        "self.answers.append(complete(question, metadata))\n"
        "        self.answers.append(complete(question, dict(reversed(metadata.items()))))",
    )
    pytester.makepyfile(app=twice.replace("KEYS", repr(keys[::-1])))
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    doc = json.loads((pytester.path / "g.ckpt").read_text())
    calls = [s["input"]["v"]["metadata"] for s in doc["trace"]["spans"] if s["input"]]
    assert [list(call) for call in calls] == [keys, keys]


def test_diff_of_a_rerecord_that_dropped_the_signature_says_so(
    project: pytest.Pytester,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # Expected: `diff` (the reviewer's check before committing a re-record) names what the
    # summary names, the signature removed (a job holding the key refuses the golden's
    # pickles); it said "no differences", exit status 0
    import shutil

    golden = project.path / "g.ckpt"
    monkeypatch.setenv("CLEARSTONE_SIGNING_KEY", "team-key")
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    signed = Path(shutil.copy(golden, project.path / "signed.ckpt"))
    monkeypatch.delenv("CLEARSTONE_SIGNING_KEY")
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    capsys.readouterr()
    assert main(["diff", str(signed), str(golden)]) == 1
    out = capsys.readouterr().out
    assert "checkpoint:\n  signature: 'signed' -> 'unsigned'\n" in out, out
    assert main(["diff", str(golden), str(golden)]) == 0
    assert capsys.readouterr().out == "no differences\n"
    monkeypatch.setenv("CLEARSTONE_SIGNING_KEY", "team-key")  # (now checked: valid)
    assert main(["diff", str(golden), str(signed)]) == 1
    assert "signature: 'unsigned' -> 'signature valid'" in capsys.readouterr().out
    # with the key: an edited signed file is told from a valid one
    edited = project.path / "edited.ckpt"
    edited.write_text(signed.read_text().replace('"Rome"', '"Roma"'))
    assert main(["diff", str(signed), str(edited)]) == 1
    assert "signature: 'signature valid' -> 'signature INVALID'" in capsys.readouterr().out


def test_an_unchanged_rerecord_of_a_reformatted_golden_writes_it_back_as_recorded(
    project: pytest.Pytester,
) -> None:
    # a golden a formatter rewrote (its keys sorted, another indent): a re-record of unchanged
    # behaviour writes it back with the times it had, so the file is as first recorded
    golden = project.path / "g.ckpt"
    first_bytes = golden.read_bytes()
    golden.write_text(json.dumps(json.loads(first_bytes), indent=4, sort_keys=True))
    project.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert golden.read_bytes() == first_bytes


def test_the_previous_golden_s_times_are_kept_only_for_the_same_spans_with_times() -> None:
    from pytest_clearstone.golden.identity import derive_ids, keep_previous_span_times
    from pytest_clearstone.tracing.trace import Trace

    def span(index: int, start: Any = 1000, end: Any = 2000) -> dict[str, Any]:
        return {"span_id": f"{index:016x}", "trace_id": "0" * 32, "parent_span_id": None,
                "name": f"s{index}", "span_type": "tool", "start_time_ns": start,
                "end_time_ns": end, "attributes": {}, "status": "ok"}  # fmt: skip

    def trace(*spans: dict[str, Any]) -> Trace:
        return Trace.from_dict({"trace_id": "0" * 32, "spans": list(spans)})

    derived, _ = derive_ids(trace(span(1)).to_dict(), "ckpt_" + "0" * 32)
    assert [len(derived["trace_id"]), len(derived["spans"][0]["span_id"])] == [32, 16]
    previous = {"trace": trace(span(1, 5, 6), span(2, 7, 8)).to_dict()}
    now = trace(span(1), span(2))
    keep_previous_span_times(now, previous)
    assert [(s.start_time_ns, s.end_time_ns) for s in now.spans] == [(5, 6), (7, 8)]
    for spans, times in (
        ([span(1, 5, 6)], {}),  # one span fewer
        ([span(1, 5, 6), span(2, 7, 8)], {"start_time_ns": "5"}),  # a time not a number
        ([span(1, 5, 6), span(2, 7, 8)], {"end_time_ns": 6.5}),
    ):
        other = trace(*spans).to_dict()
        other["spans"][0].update(times)
        now = trace(span(1), span(2))
        keep_previous_span_times(now, {"trace": other})
        assert [(s.start_time_ns, s.end_time_ns) for s in now.spans] == [(1000, 2000)] * 2


def test_the_ids_derived_from_a_checkpoint_id_stay_the_same_across_releases() -> None:
    """Another derivation would change every golden's ids at its next re-record."""
    from pytest_clearstone.golden.identity import derive_ids

    trace = {
        "trace_id": "x",
        "spans": [
            {"span_id": "a", "parent_span_id": None},
            {"span_id": "b", "parent_span_id": "a"},
        ],
    }
    derived, mapping = derive_ids(trace, "ckpt_" + "0" * 32)
    assert derived["trace_id"] == "4d647a1eeed3590cb8f098a9c51924f4"
    assert mapping == {"a": "8938a906f61cf13f", "b": "a5a0606d760cb067"}
    assert derived["spans"][1]["parent_span_id"] == "8938a906f61cf13f"


def test_a_previous_golden_whose_span_has_no_end_time_keeps_no_times() -> None:
    """A span of the previous golden without its ``end_time_ns`` (a file edited by hand): the
    re-record failed with a KeyError; it writes the times it measured."""
    from pytest_clearstone.golden.identity import keep_previous_span_times
    from pytest_clearstone.tracing.span import Span
    from pytest_clearstone.tracing.trace import Trace

    def spans(start: int, end: int) -> list[Span]:
        return [
            Span(
                trace_id="0" * 32,
                span_id=f"{i:016x}",
                parent_span_id=None,
                name=f"s{i}",
                start_time_ns=start + i,
                end_time_ns=end + i,
            )
            for i in (1, 2)
        ]

    previous = Trace("0" * 32, spans(5, 6)).to_dict()
    del previous["spans"][0]["end_time_ns"]
    now = Trace("0" * 32, spans(1000, 2000))
    keep_previous_span_times(now, {"trace": previous})
    assert [(s.start_time_ns, s.end_time_ns) for s in now.spans] == [(1001, 2001), (1002, 2002)]


def test_a_re_record_after_the_agent_s_timeout_grew_replays(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The agent's timeout grew (0.05 s to 3 s) and still cuts the slow call off. Its replay
    fails as it should ("nothing cancelled it on replay"), naming the re-record; but the
    re-record, whose calls and answers were the same but for their times, left the file as it
    was, with the 0.05 s the replay waits for, so every replay after it failed the same way.
    How long a cancelled call ran is what its replay waits for: a re-record writes it."""
    pytester.syspathinsert()
    pytester.makepyfile(
        slowagent="""
        import asyncio
        import os

        async def lookup(kind, delay):
            await asyncio.sleep(delay)
            return {"kind": kind}

        class Agent:
            async def run(self):
                try:
                    async with asyncio.timeout(float(os.environ["TIMEOUT"])):
                        return await lookup("slow", 30)
                except TimeoutError:
                    return await lookup("fallback", 0)
        """,
        test_slow="""
        import asyncio
        import pytest
        import slowagent

        @pytest.mark.replay("g.ckpt", mock={"tool": "slowagent.lookup"})
        def test_slow(replay):
            assert asyncio.run(replay.run(slowagent.Agent().run)) == {"kind": "fallback"}
        """,
    )
    monkeypatch.setenv("TIMEOUT", "0.05")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    monkeypatch.setenv("TIMEOUT", "3")  # (its replay now fails: nothing cancels the call)
    recorded = pytester.runpytest("--clearstone-record")
    recorded.assert_outcomes(passed=1)
    # (the times are all that changed: the summary names them, not "unchanged")
    recorded.stdout.fnmatch_lines(
        [
            "  g.ckpt: span times (the replay's: the order concurrent calls completed in, "
            "or when a timeout cut a call off)"
        ]
    )
    pytester.runpytest().assert_outcomes(passed=1)


def test_a_re_record_whose_run_now_raises_is_written_without_an_outcome(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The previous golden holds the run's outcome; re-recorded, the run raises (the test
    expects it to): the golden is written with none, and its replay passes."""
    pytester.syspathinsert()
    pytester.makepyfile(
        quota="""
        import os

        def lookup(city):
            return f"sunny in {city}"

        class Agent:
            def run(self, city):
                answer = lookup(city)
                if os.environ.get("RAISE"):
                    raise RuntimeError("rate limited")
                return answer
        """,
        test_quota="""
        import os
        import pytest
        import quota

        @pytest.mark.replay("g.ckpt", mock={"tool": "quota.lookup"})
        def test_quota(replay):
            if os.environ.get("RAISE"):
                with pytest.raises(RuntimeError):
                    replay.run(quota.Agent().run, "Lisbon")
            else:
                assert replay.run(quota.Agent().run, "Lisbon") == "sunny in Lisbon"
        """,
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert json.loads((pytester.path / "g.ckpt").read_text())["outcome"] is not None
    monkeypatch.setenv("RAISE", "1")
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    assert json.loads((pytester.path / "g.ckpt").read_text()).get("outcome") is None
    pytester.runpytest().assert_outcomes(passed=1)
