"""A path under the test's own ``tmp_path`` is stored relative to it (``"root": "tmp_path"``) and
read back under the replaying test's ``tmp_path``: the number pytest gives the directory
(``test_notes0``, ``test_notes1``: per run, per xdist worker, per tests of one name) is not in
the golden, so a test re-recorded by ``record-diverged``, replayed alone, or on another xdist
worker replays."""

from __future__ import annotations

import json
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.inner_runs import LEAN_ARGS

NOTES = """
import threading
from pathlib import Path


def llm(prompt, where):
    return "ok:" + prompt


class Notes:
    def __init__(self, root: Path):
        self.root = root
        self.notes = []

    def run(self, q):
        (self.root / "n.txt").write_text(q)
        self.notes.append(llm(q, where=self.root / "n.txt"))
        return self.notes[-1]

    def run_in_thread(self, q):
        (self.root / "n.txt").write_text(q)
        answers = []
        worker = threading.Thread(
            target=lambda: answers.append(llm(q, where=self.root / "n.txt")))
        worker.start()
        worker.join()
        self.notes.append(answers[0])
        return answers[0]

    def get_state(self):
        return {"root": self.root, "notes": self.notes}

    def load_state(self, state):
        self.root, self.notes = state["root"], list(state["notes"])


class Plain:
    def run(self, q):
        return llm(q, where="nowhere")
"""

NOTES_TEST = """
import pytest
from notes import Notes

PROMPT = "hi"


@pytest.mark.replay(mock={"llm": "notes.llm"})
def test_notes(replay, tmp_path):
    agent = Notes(tmp_path)
    assert replay.run(agent.run, PROMPT) == "ok:" + PROMPT
    assert (tmp_path / "n.txt").read_text() == PROMPT  # written in this run's own directory
"""


def _project(pytester: pytest.Pytester, **tests: str) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(notes=textwrap.dedent(NOTES))
    for name, text in tests.items():
        path = pytester.path / f"{name}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text))
    return pytester


def _stored(golden: Path) -> dict[str, Any]:
    doc = json.loads(golden.read_text())
    state = doc["outcome"]["final_state"]
    call = next(s for s in doc["trace"]["spans"] if s["span_type"] == "llm")
    return {"root": state["root"], "where": call["input"]["v"]["where"]}


TMP_ROOT = {"root": {"__cs__": "path", "v": ".", "root": "tmp_path"}}
TMP_FILE = {"where": {"__cs__": "path", "v": "n.txt", "root": "tmp_path"}}


def test_a_test_rerecorded_by_record_diverged_replays_in_a_plain_run(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, test_notes=NOTES_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    test = pytester.path / "test_notes.py"
    test.write_text(test.read_text().replace('PROMPT = "hi"', 'PROMPT = "hello"'))
    # the replay attempt diverges (tmp_path test_notes0), the re-record runs with test_notes1
    result = pytester.runpytest("--clearstone-mode=record-diverged")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["re-recorded (diverged on replay): test_notes.py::test_notes"])
    pytester.runpytest().assert_outcomes(passed=1)  # tmp_path test_notes0 again
    golden = pytester.path / "goldens" / "test_notes" / "test_notes.ckpt"
    assert _stored(golden) == {**TMP_ROOT, **TMP_FILE}


SAME_NAME = """
import pytest
from notes import Notes


@pytest.mark.replay(mock={"llm": "notes.llm"})
def test_x(replay, tmp_path):
    assert replay.run(Notes(tmp_path).run, __name__) == "ok:" + __name__
"""


@pytest.fixture
def same_names(pytester: pytest.Pytester) -> pytest.Pytester:
    """``a/test_m.py::test_x`` and ``b/test_m.py::test_x``: run together, the second gets the
    tmp_path ``test_x1``; run alone, or on another xdist worker, ``test_x0``."""
    _project(
        pytester,
        **{"a/__init__": "", "a/test_m": SAME_NAME, "b/__init__": "", "b/test_m": SAME_NAME},
    )
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    return pytester


def test_tests_of_one_name_replay_alone(same_names: pytest.Pytester) -> None:
    same_names.runpytest("b").assert_outcomes(passed=1)
    golden = same_names.path / "b" / "goldens" / "test_m" / "test_x.ckpt"
    assert _stored(golden) == {**TMP_ROOT, **TMP_FILE}


def test_tests_of_one_name_replay_on_two_xdist_workers(same_names: pytest.Pytester) -> None:
    # (one file per worker: each worker's base temp is its own, each test's tmp_path is test_x0)
    result = same_names.runpytest_subprocess(*LEAN_ARGS, "-n", "2", "--dist", "loadfile")
    result.assert_outcomes(passed=2)


CHECKPOINT_FIRST = """
import pytest
from notes import Notes


@pytest.mark.replay(mock={"llm": "notes.llm"})
def test_notes(replay, checkpoint, tmp_path):  # the golden is read before tmp_path's turn
    assert replay.run(Notes(tmp_path).run, "hi") == "ok:hi"
"""


def test_a_golden_read_in_set_up_before_tmp_path_reads_it_under_tmp_path(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, test_notes=CHECKPOINT_FIRST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    pytester.runpytest().assert_outcomes(passed=1)


NO_REPLAY_FIXTURE = """
import pytest
import notes


@pytest.mark.replay(mock={"llm": "notes.llm"})
def test_x(tmp_path):  # the marker alone: the call's arguments are still compared
    assert notes.llm("q", where=tmp_path / "n.txt") == "ok:q"
"""


def test_a_marked_test_without_the_replay_fixture_compares_its_tmp_path_arguments(
    pytester: pytest.Pytester,
) -> None:
    layout = {"a/__init__": "", "a/test_m": NO_REPLAY_FIXTURE}
    _project(pytester, **layout, **{"b/__init__": "", "b/test_m": NO_REPLAY_FIXTURE})
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    pytester.runpytest("b").assert_outcomes(passed=1)  # tmp_path test_x0, recorded as test_x1


PARAMETRIZED = """
import pytest
from notes import Notes


# both ids are cut to the same 30 characters in the tmp_path's name: test_x_a_long_common_prefix_
@pytest.mark.replay(mock={"llm": "notes.llm"})
@pytest.mark.parametrize("q", ["a-long-common-prefix-and-one", "a-long-common-prefix-and-two"])
def test_x(replay, tmp_path, q):
    assert replay.run(Notes(tmp_path).run, q) == "ok:" + q
"""


def test_parametrized_tests_whose_tmp_path_names_clash_replay_alone(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, test_p=PARAMETRIZED)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=2)
    pytester.runpytest("-k", "two").assert_outcomes(passed=1, deselected=1)


def test_a_golden_with_the_base_temp_form_replays_as_before(pytester: pytest.Pytester) -> None:
    _project(pytester, test_notes=NOTES_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_notes" / "test_notes.ckpt"
    # as written before tmp_path was a root (the number is this run's too: test_notes0)
    found: list[str] = []

    def old_form(node: Any) -> Any:
        if isinstance(node, list):
            return [old_form(v) for v in node]
        if not isinstance(node, dict):
            return node
        if node.get("root") == "tmp_path":
            found.append(node["v"])
            below = "test_notes0" if node["v"] == "." else f"test_notes0/{node['v']}"
            return {**node, "v": below, "root": "basetemp"}
        return {k: old_form(v) for k, v in node.items()}

    golden.write_text(json.dumps(old_form(json.loads(golden.read_text())), indent=2))
    assert sorted(set(found)) == [".", "n.txt"]
    pytester.runpytest().assert_outcomes(passed=1)
    # a re-record writes the tmp_path form, and says the golden changed
    result = pytester.runpytest("--clearstone-record")
    result.assert_outcomes(passed=1)
    result.stdout.no_fnmatch_line("*test_notes.ckpt: unchanged*")
    assert _stored(golden) == {**TMP_ROOT, **TMP_FILE}


THREAD_AND_FIXTURE_TEST = """
import pytest
from notes import Notes


@pytest.fixture
def agent(tmp_path):  # tmp_path reached through a fixture, the agent calling from a thread
    return Notes(tmp_path)


@pytest.mark.replay(mock={"llm": "notes.llm"})
def test_notes(replay, agent):
    assert replay.run(agent.run_in_thread, "hi") == "ok:hi"
"""


def test_tmp_path_through_a_fixture_and_a_call_from_a_thread(pytester: pytest.Pytester) -> None:
    _project(pytester, test_notes=THREAD_AND_FIXTURE_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_notes" / "test_notes.ckpt"
    assert _stored(golden) == {**TMP_ROOT, **TMP_FILE}
    pytester.runpytest().assert_outcomes(passed=1)


FACTORY_AND_PLAIN_TESTS = """
import pytest
from notes import Notes, Plain


@pytest.fixture(scope="session")
def shared(tmp_path_factory):
    return tmp_path_factory.mktemp("shared")


@pytest.mark.replay(mock={"llm": "notes.llm"})
def test_shared(replay, shared, tmp_path):
    assert replay.run(Notes(shared).run, "hi") == "ok:hi"


@pytest.mark.replay(mock={"llm": "notes.llm"})
def test_plain(replay, checkpoint):
    assert replay.run(Plain().run, "hi") == "ok:hi"
"""


def test_a_factory_directory_stays_under_the_base_temp_and_no_tmp_path_is_made(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, test_f=FACTORY_AND_PLAIN_TESTS)
    for args in (("--clearstone-record",), ()):
        basetemp = pytester.path / f"bt{len(args)}"
        pytester.runpytest(*args, f"--basetemp={basetemp}").assert_outcomes(passed=2)
        made = sorted(p.name for p in basetemp.iterdir() if not p.name.endswith("current"))
        assert made == ["shared0", "test_shared0"]
    golden = pytester.path / "goldens" / "test_f" / "test_shared.ckpt"
    assert _stored(golden) == {
        "root": {"__cs__": "path", "v": "shared0", "root": "basetemp"},
        "where": {"__cs__": "path", "v": "shared0/n.txt", "root": "basetemp"},
    }


def test_show_reads_a_tmp_path_path_under_tmp_path_in_the_temp_directory(
    pytester: pytest.Pytester,
) -> None:
    _project(pytester, test_notes=NOTES_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "test_notes" / "test_notes.ckpt"
    # outside a test there is no tmp_path: a directory no test has, named after the root
    result = pytester.run(sys.executable, "-m", "pytest_clearstone", "show", str(golden))
    assert result.ret == 0
    where = Path(tempfile.gettempdir()) / "tmp_path"
    result.stdout.fnmatch_lines([f"  root *{where!r}*"])


MEMORY = """
import sqlite3


def llm(prompt):
    return "ok:" + prompt


class Memory:
    def __init__(self, db_path: str):
        self.db_path = db_path  # a text, as SQLiteSession(str(tmp_path / "mem.db")) keeps it
        self.turns = 0

    def run(self, q):
        with sqlite3.connect(self.db_path) as db:
            db.execute("create table if not exists turns (q text)")
            db.execute("insert into turns values (?)", (q,))
            self.turns = db.execute("select count(*) from turns").fetchone()[0]
        db.close()
        return llm(q)
"""

MEMORY_TEST = """
import pytest
from memory import Memory


@pytest.mark.replay(mock={"llm": "memory.llm"})
def test_memory(replay, tmp_path):
    agent = Memory(str(tmp_path / "mem.db"))
    assert replay.run(agent.run, "hi") == "ok:hi"
"""


def test_a_text_naming_the_recordings_tmp_path_in_the_restored_state_is_told_with_the_fix(
    pytester: pytest.Pytester,
) -> None:
    """An agent keeps its database's path as a text under ``tmp_path`` (the OpenAI Agents SDK's
    ``SQLiteSession(str(tmp_path / "mem.db"))``). A text is stored as it is: the replay gives
    the agent the recording's path, and the agent used the recording's database (its turns
    counted twice). The failure said only ``root['turns']: 1 -> 2``; it names the recording's
    ``tmp_path`` in the text, this run's, and the fix."""
    pytester.syspathinsert()
    pytester.makepyfile(memory=textwrap.dedent(MEMORY), test_memory=MEMORY_TEST)
    pytester.runpytest(*LEAN_ARGS, "--clearstone-record", "--basetemp=first").assert_outcomes(
        passed=1
    )
    result = pytester.runpytest(*LEAN_ARGS, "--basetemp=second")
    result.assert_outcomes(failed=1)
    recorded = pytester.path / "first" / "test_memory0"
    current = pytester.path / "second" / "test_memory0"
    output = " ".join(line.strip().removeprefix("E").strip() for line in result.outlines)
    assert "root['turns']: 1 -> 2" in output
    assert (
        f"The state the replay gave the agent holds a text naming the recording's tmp_path "
        f"{str(recorded)!r} (at root['db_path']), where this run's is {str(current)!r}"
    ) in output, output
    assert "Keep it as a pathlib.Path, stored relative to tmp_path" in output


@pytest.mark.skipif(sys.version_info < (3, 11), reason="exceptions take notes from Python 3.11")
def test_an_error_the_recordings_tmp_path_in_a_text_gives_is_told_with_the_fix(
    pytester: pytest.Pytester,
) -> None:
    """The recording's ``tmp_path`` is gone (another machine, pytest's cleanup): the agent's
    database cannot be opened, and the test failed with ``sqlite3.OperationalError: unable to
    open database file`` alone. The error now has a note naming the text and the fix."""
    import shutil

    pytester.syspathinsert()
    pytester.makepyfile(memory=textwrap.dedent(MEMORY), test_memory=MEMORY_TEST)
    pytester.runpytest(*LEAN_ARGS, "--clearstone-record", "--basetemp=first").assert_outcomes(
        passed=1
    )
    shutil.rmtree(pytester.path / "first")
    result = pytester.runpytest(*LEAN_ARGS, "--basetemp=second")
    result.assert_outcomes(failed=1)
    output = " ".join(line.strip().removeprefix("E").strip() for line in result.outlines)
    assert "OperationalError: unable to open database file" in output
    recorded = pytester.path / "first" / "test_memory0"
    assert (
        f"The state the replay gave the agent holds a text naming the recording's tmp_path "
        f"{str(recorded)!r} (at root['db_path'])"
    ) in output, output


RAISING_MEMORY_TEST = """
import pytest
from memory import Memory


class Refusing(Memory):
    def run(self, q):
        super().run(q)
        raise ValueError("refused")


@pytest.mark.replay(mock={"llm": "memory.llm"})
def test_memory(replay, tmp_path):
    agent = Refusing(str(tmp_path / "mem.db"))
    with pytest.raises(ValueError) as raised:
        replay.run(agent.run, "hi")
    assert not getattr(raised.value, "__notes__", None)
"""


def test_a_run_raising_as_recorded_gets_no_note_of_the_recordings_tmp_path(
    pytester: pytest.Pytester,
) -> None:
    """A run that raised when recorded raises as expected: nothing is looked for in the agent's
    state, and the agent's error gets no note (it is the test's own, and passes)."""
    pytester.syspathinsert()
    pytester.makepyfile(memory=textwrap.dedent(MEMORY), test_memory=RAISING_MEMORY_TEST)
    pytester.runpytest(*LEAN_ARGS, "--clearstone-record", "--basetemp=first").assert_outcomes(
        passed=1
    )
    pytester.runpytest(*LEAN_ARGS, "--basetemp=second").assert_outcomes(passed=1)
