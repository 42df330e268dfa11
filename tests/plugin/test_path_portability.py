"""Paths in goldens are portable: a path under pytest's base temporary directory, the rootdir or
the home directory is stored relative to it and read back under that directory of the replaying
run, so a golden recorded in one checkout (or one run's ``tmp_path``) replays in another."""

from __future__ import annotations

import json
import shutil
import textwrap
from pathlib import Path

import pytest

from pytest_clearstone.cli import main
from tests.inner_runs import LEAN_ARGS

NOTES = """
from pathlib import Path


def llm(prompt):
    return "ok:" + prompt


class Notes:
    def __init__(self, root: Path):
        self.root = root
        self.notes = []

    def run(self, q):
        (self.root / "n.txt").write_text(q)
        self.notes.append(llm(q))
        return self.notes[-1]

    def get_state(self):
        return {"root": self.root, "notes": self.notes}

    def load_state(self, state):
        self.root, self.notes = state["root"], list(state["notes"])
"""

NOTES_TEST = """
import pytest
from notes import Notes


@pytest.mark.replay("goldens/a.ckpt", mock={"llm": "notes.llm"})
def test_notes(replay, tmp_path):
    agent = Notes(tmp_path)
    assert replay.run(agent.run, "hi") == "ok:hi"
    assert (tmp_path / "n.txt").read_text() == "hi"  # written in this run's own directory
"""


@pytest.fixture
def notes(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(notes=textwrap.dedent(NOTES), test_notes=textwrap.dedent(NOTES_TEST))
    return pytester


def _state_root(golden: Path) -> object:
    return json.loads(golden.read_text())["agent"]["state"]["root"]


def test_a_tmp_path_in_the_state_replays_in_another_runs_base_temp(
    notes: pytest.Pytester,
) -> None:
    first, second = notes.path / "first", notes.path / "second"
    notes.runpytest("--clearstone-record", f"--basetemp={first}").assert_outcomes(passed=1)
    golden = notes.path / "goldens" / "a.ckpt"
    assert _state_root(golden) == {"__cs__": "path", "v": ".", "root": "tmp_path"}
    assert str(first) not in golden.read_text()
    shutil.rmtree(first)  # pytest's numbered directories rotate; CI never had this one
    notes.runpytest(f"--basetemp={second}").assert_outcomes(passed=1)


def test_a_golden_recorded_by_an_xdist_worker_replays_without_xdist(
    notes: pytest.Pytester,
) -> None:
    # a worker's base temp is its own (pytest-N/popen-gw0): the test's tmp_path is under it
    record = notes.runpytest_subprocess(*LEAN_ARGS, "-n", "1", "--clearstone-record")
    record.assert_outcomes(passed=1)
    golden = notes.path / "goldens" / "a.ckpt"
    assert _state_root(golden) == {"__cs__": "path", "v": ".", "root": "tmp_path"}
    notes.runpytest(f"--basetemp={notes.path / 'other'}").assert_outcomes(passed=1)


def test_a_rerecord_in_another_base_temp_leaves_the_golden_unchanged(
    notes: pytest.Pytester,
) -> None:
    notes.runpytest("--clearstone-record", f"--basetemp={notes.path / 'a'}")
    golden = notes.path / "goldens" / "a.ckpt"
    before = _state_root(golden)
    result = notes.runpytest("--clearstone-record", f"--basetemp={notes.path / 'b'}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["*goldens/a.ckpt: unchanged*"])
    assert _state_root(golden) == before


def test_the_stored_form_shows_in_show_canonical(
    notes: pytest.Pytester, capsys: pytest.CaptureFixture[str]
) -> None:
    notes.runpytest("--clearstone-record").assert_outcomes(passed=1)
    capsys.readouterr()
    assert main(["show", str(notes.path / "goldens" / "a.ckpt"), "--canonical"]) == 0
    out = capsys.readouterr().out
    assert '"root": "tmp_path"' in out and '"v": "."' in out


UPLOAD = """
def upload(file, purpose):
    return {"id": "file-1", "purpose": purpose}
"""

UPLOAD_TEST = """
from pathlib import Path

import pytest
import upload

NAME = "batch.jsonl"


@pytest.mark.replay("goldens/up.ckpt", mock={"llm": "upload.upload"})
def test_upload(replay):
    def agent():
        return upload.upload(file=Path(__file__).parent / NAME, purpose="batch")

    assert replay.run(agent)["id"] == "file-1"
"""


def _checkout(pytester: pytest.Pytester, name: str) -> Path:
    """A project with its own rootdir (``pytest.ini``) in ``pytester.path / name``."""
    root = pytester.path / name
    root.mkdir()
    (root / "pytest.ini").write_text("[pytest]\n")
    (root / "upload.py").write_text(textwrap.dedent(UPLOAD))
    (root / "test_upload.py").write_text(textwrap.dedent(UPLOAD_TEST))
    return root


def test_a_path_argument_under_the_rootdir_replays_from_another_checkout(
    pytester: pytest.Pytester,
) -> None:
    one = _checkout(pytester, "one")
    pytester.chdir()
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(one))
        mp.chdir(one)
        pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    stored = json.loads((one / "goldens" / "up.ckpt").read_text())
    assert str(one) not in json.dumps(stored)
    two = pytester.path / "two"
    shutil.copytree(one, two)
    shutil.rmtree(one)
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(two))
        mp.chdir(two)
        result = pytester.runpytest()
    result.assert_outcomes(passed=1)


def test_a_changed_path_argument_is_shown_as_one_path(
    pytester: pytest.Pytester,
) -> None:
    one = _checkout(pytester, "one")
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(one))
        mp.chdir(one)
        pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
        test = one / "test_upload.py"
        test.write_text(test.read_text().replace('"batch.jsonl"', '"other.jsonl"'))
        result = pytester.runpytest("-vv")  # (values in full)
    result.assert_outcomes(failed=1)
    type_name = type(one).__name__  # PosixPath, WindowsPath
    result.stdout.re_match_lines(
        [rf".* root\['file'\]: {type_name}\('.*batch\.jsonl'\) -> {type_name}\('.*other\.jsonl'\)$"]
    )
    result.stdout.no_fnmatch_line("*root[[]'file'[]]._*")  # (not pathlib's private slots)


RESOLVED_TEST = """
from pathlib import Path

import pytest

import upload


@pytest.mark.replay("goldens/up.ckpt", mock={"llm": "upload.upload"})
def test_upload(replay):
    def agent():
        here = Path(__file__)
        upload.upload(file=here.parent / "a.jsonl", purpose="batch")
        return upload.upload(file=here.resolve().parent / "b.jsonl", purpose="batch")

    assert replay.run(agent)["id"] == "file-1"
"""


@pytest.mark.parametrize("recorded_through", ["link", "checkout"])
def test_a_checkout_run_through_a_symlink_replays_paths_resolved_or_not(
    pytester: pytest.Pytester, recorded_through: str
) -> None:
    # Expected: pytest run with the checkout named through a symlink (`pytest
    # /ci/workspace/tests`, where the workspace links to the checkout; /tmp on macOS) has that
    # path as its rootdir; a path the agent resolved (`Path(__file__).resolve()`, `os.getcwd()`)
    # is still under the rootdir: it is stored relative to it, and equals the recorded path
    # whichever way the run was named (it was stored as an absolute path, and a replay through
    # the symlink diverged: `PosixPath('/link/b.jsonl') -> PosixPath('/checkout/b.jsonl')`)
    if not hasattr(__import__("os"), "symlink"):
        pytest.skip("no symlinks")
    checkout = _checkout(pytester, "checkout")
    (checkout / "test_upload.py").write_text(textwrap.dedent(RESOLVED_TEST))
    link = pytester.path / "link"
    try:
        link.symlink_to(checkout, target_is_directory=True)
    except OSError:
        pytest.skip("symlinks not allowed here")
    pytester.chdir()
    # (pytester's HOME is its directory, above both: a path under it is stored relative to it)
    home = pytester.mkdir("home")
    runs = {"link": str(link), "checkout": str(checkout)}
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("HOME", str(home))
        mp.syspath_prepend(runs[recorded_through])
        pytester.runpytest("--clearstone-record", runs[recorded_through]).assert_outcomes(passed=1)
    stored = (checkout / "goldens" / "up.ckpt").read_text()
    assert str(checkout) not in stored and str(link) not in stored
    for through in runs.values():
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("HOME", str(home))
            mp.syspath_prepend(through)
            result = pytester.runpytest(through)
        result.assert_outcomes(passed=1)


TEXT_NOTES = """
def llm(prompt):
    return "ok"


class Notes:
    def __init__(self, root):
        self.root = root
        self.saved = []

    def run(self, q):
        answer = llm(f"{q}: summarise {self.root / 'notes.txt'}")
        self.saved.append(str(self.root / "out.txt"))
        return answer

    def get_state(self):
        return {"saved": self.saved}

    def load_state(self, state):
        self.saved = list(state["saved"])
"""

TEXT_NOTES_TEST = """
import pytest
from text_notes import Notes


@pytest.mark.replay("goldens/t.ckpt", mock={"llm": "text_notes.llm"})
def test_notes(replay, tmp_path):
    assert replay.run(Notes(tmp_path).run, "hi") == "ok"
"""


def test_a_tmp_path_written_into_a_prompt_is_named_as_the_cause_not_a_change_to_re_record(
    pytester: pytest.Pytester,
) -> None:
    # Expected: a path formatted into a prompt (an f-string) is text, stored as it is: it names
    # the recording run's tmp_path, and every later run (another base temporary directory)
    # diverges. The failure said "The prompt or arguments changed. If the change is intended,
    # re-record": a re-record that diverges again on the next run, or on the CI machine. It now
    # says only a directory differs, which one, and what fixes it.
    pytester.syspathinsert()
    pytester.makepyfile(
        text_notes=textwrap.dedent(TEXT_NOTES), test_notes=textwrap.dedent(TEXT_NOTES_TEST)
    )
    first, second = pytester.path / "first", pytester.path / "second"
    pytester.runpytest("--clearstone-record", f"--basetemp={first}").assert_outcomes(passed=1)
    result = pytester.runpytest(f"--basetemp={second}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*- ...*/first/test_notes0/notes.txt",
            "*+ ...*/second/test_notes0/notes.txt",
            f"*Only a directory differs: where the recording has '{first}/test_notes0', this "
            f"run has the test's tmp_path '{second}/test_notes0'. A path written into a text*",
        ]
    )
    result.stdout.no_fnmatch_line("*The prompt or arguments changed*")


def test_a_checkout_path_kept_as_text_in_the_state_is_named_as_the_cause(
    pytester: pytest.Pytester,
) -> None:
    # the final state's comparison says so too: a checkout's directory, kept as a string
    pytester.syspathinsert()
    pytester.makepyfile(
        text_notes=textwrap.dedent(TEXT_NOTES).replace("{self.root / 'notes.txt'}", "notes"),
        test_notes=textwrap.dedent(TEXT_NOTES_TEST)
        .replace("Notes(tmp_path)", "Notes(Path(__file__).parent)")
        .replace("import pytest", "from pathlib import Path\nimport pytest"),
    )
    one = pytester.path
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    two = one.parent / (one.name + " (copy)")
    shutil.copytree(one, two)
    with pytest.MonkeyPatch.context() as mp:
        mp.syspath_prepend(str(two))
        mp.chdir(two)
        result = pytester.runpytest()
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*the replayed final state differs from the golden recording*",
            f"*Only a directory differs: where the recording has '{one}', this run has its "
            f"rootdir '{two}'.*",
        ]
    )


def test_a_directory_beside_a_real_change_is_not_named_alone(pytester: pytest.Pytester) -> None:
    pytester.syspathinsert()
    pytester.makepyfile(
        text_notes=textwrap.dedent(TEXT_NOTES), test_notes=textwrap.dedent(TEXT_NOTES_TEST)
    )
    first, second = pytester.path / "first", pytester.path / "second"
    pytester.runpytest("--clearstone-record", f"--basetemp={first}").assert_outcomes(passed=1)
    pytester.makepyfile(test_notes=textwrap.dedent(TEXT_NOTES_TEST).replace('"hi"', '"ho"'))
    result = pytester.runpytest(f"--basetemp={second}")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*The prompt or arguments changed*"])
    result.stdout.no_fnmatch_line("*Only a directory differs*")


SCRATCH = """
import tempfile


def llm(prompt):
    return "ok"


def work(q):
    with tempfile.TemporaryDirectory() as scratch:
        return llm(f"{q}: the files are in {scratch}")
"""

SCRATCH_TEST = """
import tempfile

import pytest

import scratch


def test_first():
    with tempfile.NamedTemporaryFile():  # tempfile's name generator made outside the replay
        pass


@pytest.mark.replay("goldens/s.ckpt", mock={"llm": "scratch.llm"})
def test_scratch(replay):
    assert replay.run(scratch.work, "hi") == "ok"
"""


def test_a_temporary_directory_named_in_a_prompt_replays_after_other_uses_of_tempfile(
    pytester: pytest.Pytester,
) -> None:
    # Before the fix: "root['prompt']: 'hi: the files are in /tmp/tmpcqhmhqlt' -> 'hi: the
    # files are in /tmp/tmp2ilz7jd2' ... The prompt or arguments changed", on every replay
    # that ran after anything else used tempfile in the process
    pytester.syspathinsert()
    pytester.makepyfile(scratch=textwrap.dedent(SCRATCH), test_s=textwrap.dedent(SCRATCH_TEST))
    pytester.runpytest_subprocess(*LEAN_ARGS, "--clearstone-record").assert_outcomes(passed=2)
    pytester.runpytest_subprocess(*LEAN_ARGS).assert_outcomes(passed=2)
    pytester.runpytest().assert_outcomes(passed=2)  # (in this process: tempfile used long ago)
