"""The command line run the way users run it: a real process on real files, in terminals and
pipes that are not UTF-8."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

import pytest_clearstone
from pytest_clearstone.cli import main

from .test_cli import _record

PYTHONPATH = str(Path(pytest_clearstone.__file__).parent.parent)


def _cli(*argv: object, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest_clearstone", *map(str, argv)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        errors="replace",
        check=False,
        env={**os.environ, "PYTHONPATH": PYTHONPATH, **env},
    )


def test_an_ascii_only_output_gets_non_ascii_text_escaped_not_a_traceback(tmp_path):
    where = tmp_path / "réservé"
    manager, checkpoint = _record(where, ["café ☕"], metadata={"ticket": "Zürich"})
    a = manager.save_checkpoint(checkpoint, "a.ckpt")
    other, changed = _record(where / "b", ["thé 🍵"])
    b = other.save_checkpoint(changed, "b.ckpt")
    for argv, status in (
        (("show", a), 0),
        (("show", "--calls", a), 0),
        (("show", "--canonical", a), 0),
        (("show", "--json", a), 0),
        (("diff", a, b), 1),
        (("traces", where / "traces.db"), 0),
        (("trace", "-v", where / "traces.db"), 0),
        (("upgrade", a), 0),
        (("show", where / "missing.ckpt"), 2),
    ):
        result = _cli(*argv, PYTHONIOENCODING="ascii")
        assert "Traceback" not in result.stderr, argv
        assert result.returncode == status, (argv, result.stderr)
        assert "\\xe9" in result.stdout + result.stderr or argv[0] in ("traces", "trace"), argv


def test_prune_goes_on_past_a_file_gone_while_it_runs(tmp_path, capsys):
    # a symlink to an application checkpoint, listed after it: deleting the checkpoint leaves
    # the link dangling before prune reaches it (as a file another prune deleted would be)
    manager, checkpoint = _record(tmp_path, ["a"])
    target = manager.save_checkpoint(checkpoint, "a.ckpt")
    link = target.parent / "z_link.ckpt"
    link.symlink_to(target.name)
    kept = manager.save_checkpoint(checkpoint, "zz_last.ckpt")
    old = time.time() - 40 * 86400
    for path in (target, kept):
        os.utime(path, (old, old))
    assert main(["prune", str(target.parent), "--older-than", "30"]) == 0
    out, err = capsys.readouterr()
    assert err == ""
    assert not target.exists() and not kept.exists()
    assert f"deleted {kept}" in out


def test_the_error_line_follows_the_color_option(tmp_path):
    missing = tmp_path / "missing.ckpt"
    for argv in (("--color=no", "show", missing), ("show", "--color=no", missing)):
        result = _cli(*argv, FORCE_COLOR="1")
        assert (result.returncode, "\x1b" in result.stderr) == (2, False), argv
    result = _cli("--color=yes", "show", missing)  # (stderr is a pipe)
    assert result.returncode == 2
    assert "\x1b[31merror\x1b[0m" in result.stderr


def test_import_clearstone_into_a_file_names_it_and_the_fix(tmp_path, capsys, monkeypatch):
    from .test_cli import FIXTURE

    monkeypatch.syspath_prepend(str(FIXTURE))
    monkeypatch.delitem(sys.modules, "make_samples", raising=False)
    dest = tmp_path / "notes.txt"
    dest.write_text("keep me")
    assert main(["import-clearstone", str(FIXTURE), str(dest), "--allow-pickle"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert f"{dest} is a file, not a directory" in err and "DEST_DIR" in err
    assert dest.read_text() == "keep me"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("pytest.ini", "[pytest]\nclearstone_db = build/traces.db\n"),
        ("tox.ini", "[pytest]\nclearstone_db = build/traces.db\n"),
        ("setup.cfg", "[tool:pytest]\nclearstone_db = build/traces.db\n"),
        ("pyproject.toml", '[tool.pytest.ini_options]\nclearstone_db = "build/traces.db"\n'),
        ("pyproject.toml", '[tool.pytest]\nclearstone_db = "build/traces.db"\n'),  # pytest 9
        ("pytest.toml", '[pytest]\nclearstone_db = "build/traces.db"\n'),
    ],
)
def test_traces_without_db_reads_the_store_the_ini_names(tmp_path, capsys, monkeypatch, name, text):
    # a project whose ini sets clearstone_db records there: traces and trace read it too
    project = tmp_path / "project"
    (project / "pkg").mkdir(parents=True)
    (project / name).write_text(text)
    _record(project / "build", ["a"])  # writes build/traces.db
    monkeypatch.chdir(project / "pkg")
    assert main(["traces"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "workflow" in out
    assert main(["trace"]) == 0
    assert "workflow" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("pytest.ini", b"[pytest]\nclearstone_db = caf\xe9.db\n"),  # (Latin-1, not UTF-8)
        ("pytest.ini", b"[pytest]\n  clearstone_db = a.db\n[pytest\n"),
        ("pyproject.toml", b'[tool.pytest.ini_options]\nclearstone_db = "a.db\n'),
    ],
)
def test_traces_without_db_and_an_ini_it_cannot_read_names_the_default_store(
    tmp_path, capsys, monkeypatch, name, data
):
    # (pytest itself will say what is wrong with the file; the command needs no traceback)
    (tmp_path / name).write_bytes(data)
    monkeypatch.chdir(tmp_path)
    assert main(["traces"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    default = tmp_path / ".clearstone" / "traces.db"
    assert f"no trace store given and the default one, {default}, does not exist" in err


def test_traces_without_db_when_the_ini_store_is_in_memory(tmp_path, capsys, monkeypatch):
    (tmp_path / "pytest.ini").write_text("[pytest]\nclearstone_db = :memory:\n")
    monkeypatch.chdir(tmp_path)
    assert main(["traces"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "clearstone_db = :memory:" in err and "traces DB" in err


def test_traces_without_db_expands_the_home_in_the_store_the_ini_sets(
    tmp_path, capsys, monkeypatch
):
    # (as the plugin expands it, writing there: no shell expands an ini's value)
    project = tmp_path / "project"
    project.mkdir()
    (project / "pytest.ini").write_text("[pytest]\nclearstone_db = ~/stores/traces.db\n")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    _record(tmp_path / "home" / "stores", ["a"])
    monkeypatch.chdir(project)
    assert main(["traces"]) == 0
    out, err = capsys.readouterr()
    assert err == "" and "workflow" in out


def test_traces_without_db_names_the_missing_store_the_ini_sets(tmp_path, capsys, monkeypatch):
    # (not "the default one": the fix is in the ini, or running the tests that write it)
    (tmp_path / "pytest.ini").write_text("[pytest]\nclearstone_db = build/traces.db\n")
    monkeypatch.chdir(tmp_path)
    assert main(["traces"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    missing = tmp_path / "build" / "traces.db"
    assert f"the one {tmp_path / 'pytest.ini'} sets, {missing}, does not exist" in err


def test_diff_of_one_directory_in_git_says_it_is_a_directory(tmp_path, capsys, monkeypatch):
    from .test_cli_commands import EXAMPLE, _git

    repo = tmp_path / "repo"
    (repo / "goldens").mkdir(parents=True)
    _git(repo, "init", "-q")
    shutil.copy(EXAMPLE / "billing.ckpt", repo / "goldens" / "billing.ckpt")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "golden")
    monkeypatch.chdir(repo)
    for given in ("goldens", "."):
        assert main(["diff", given]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1
        assert f"{given} is not a readable checkpoint: it is a directory" in err, err


def test_a_closed_stdout_or_stderr_keeps_the_exit_status_and_prints_no_traceback(tmp_path):
    # `>&-` in a shell (a cron job, a service): Python's sys.stdout or sys.stderr is None
    manager, checkpoint = _record(tmp_path, ["a"])
    a = manager.save_checkpoint(checkpoint, "a.ckpt")
    cli = f"{sys.executable} -m pytest_clearstone"
    missing = tmp_path / "missing.ckpt"
    script = f"{cli} show '{a}' >&-; echo $?; {cli} show '{missing}' 2>&-; echo $?"
    env = {**os.environ, "PYTHONPATH": PYTHONPATH}
    result = subprocess.run(["sh", "-c", script], capture_output=True, text=True, env=env)
    assert (result.stdout.split(), result.stderr) == (["0", "2"], "")


def test_a_signing_key_of_bytes_that_are_not_utf8_is_used_as_those_bytes(
    tmp_path, capsys, monkeypatch
):
    # `export CLEARSTONE_SIGNING_KEY=$(head -c 24 /dev/urandom | tr -d '\0')`: Python holds
    # the bytes that are not UTF-8 as surrogate escapes; they were encoded as UTF-8, which
    # raised (a traceback from show, every replaying test failed)
    from pytest_clearstone.golden import signing

    monkeypatch.setenv(signing.ENV_VAR, os.fsdecode(b"k\xff\xfe"))
    assert signing.resolve_key(signing.FROM_ENV) == b"k\xff\xfe"
    manager, checkpoint = _record(tmp_path, ["a"])
    a = manager.save_checkpoint(checkpoint, "a.ckpt")
    assert main(["show", str(a)]) == 0
    assert "signature valid" in capsys.readouterr().out  # (saved signed with that key)


def test_diff_with_git_head_reads_the_file_as_checked_out_through_its_filters(
    tmp_path, capsys, monkeypatch
):
    # goldens kept in git LFS (or any clean/smudge filter): the blob at HEAD is a pointer,
    # the checked-out file the golden; `diff CKPT` compared the golden with the pointer
    from .test_cli_commands import EXAMPLE, _git

    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "filter.b64.clean", "base64")
    _git(repo, "config", "filter.b64.smudge", "base64 -d")
    (repo / ".gitattributes").write_text("*.ckpt filter=b64\n")
    golden = Path(shutil.copy(EXAMPLE / "billing.ckpt", repo / "billing.ckpt"))
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "golden")
    monkeypatch.chdir(repo)
    assert main(["diff", "billing.ckpt"]) == 0
    assert capsys.readouterr() == ("no differences\n", "")
    golden.write_text(golden.read_text().replace("5 business days", "3 days"))
    assert main(["diff", "billing.ckpt"]) == 1
    out, err = capsys.readouterr()
    assert err == "" and out.startswith("--- HEAD:billing.ckpt\n+++ billing.ckpt\n")


def test_diff_with_git_head_reads_a_committed_byte_order_mark_as_the_file_is_read(
    tmp_path, capsys, monkeypatch
):
    # a golden saved by an editor that writes a UTF-8 byte order mark, committed so
    from .test_cli_commands import EXAMPLE, _git

    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "billing.ckpt").write_bytes(b"\xef\xbb\xbf" + (EXAMPLE / "billing.ckpt").read_bytes())
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "golden")
    monkeypatch.chdir(repo)
    assert main(["diff", "billing.ckpt"]) == 0
    assert capsys.readouterr() == ("no differences\n", "")


def test_diff_with_git_head_names_a_filter_that_fails(tmp_path, capsys, monkeypatch):
    from .test_cli_commands import EXAMPLE, _git

    repo = tmp_path / "repo"
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "filter.lfs-ish.clean", "cat")
    _git(repo, "config", "filter.lfs-ish.smudge", "exit 1")  # (git-lfs not installed)
    _git(repo, "config", "filter.lfs-ish.required", "true")
    (repo / ".gitattributes").write_text("*.ckpt filter=lfs-ish\n")
    shutil.copy(EXAMPLE / "billing.ckpt", repo / "billing.ckpt")
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "golden")
    monkeypatch.chdir(repo)
    assert main(["diff", "billing.ckpt"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "not committed" not in err
    assert "git could not check out billing.ckpt as of HEAD (" in err and "lfs-ish" in err


def test_diff_with_git_head_outside_the_work_tree_git_is_pointed_at(tmp_path, capsys, monkeypatch):
    # in a git hook or a script with GIT_DIR/GIT_WORK_TREE set for another repository
    from .test_cli_commands import EXAMPLE, _git

    other = tmp_path / "other"
    other.mkdir()
    _git(other, "init", "-q")
    golden = shutil.copy(EXAMPLE / "billing.ckpt", tmp_path / "billing.ckpt")
    monkeypatch.setenv("GIT_DIR", str(other / ".git"))
    monkeypatch.setenv("GIT_WORK_TREE", str(other))
    assert main(["diff", str(golden)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "it is not in the work tree" in err and "GIT_WORK_TREE" in err


def test_diff_with_git_head_in_a_repository_git_refuses_says_why(tmp_path, capsys, monkeypatch):
    # a CI container checking out as another user: git refuses the "dubious ownership" and
    # says how to allow it; the command said the file was not in a git repository
    from .test_cli_commands import EXAMPLE, _git

    _git(tmp_path, "init", "-q")
    golden = shutil.copy(EXAMPLE / "billing.ckpt", tmp_path / "billing.ckpt")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "golden")
    config = tmp_path / "gitconfig"
    config.write_text(f"[safe]\n\tdirectory = {tmp_path / 'elsewhere'}\n")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_TEST_ASSUME_DIFFERENT_OWNER", "1")  # (git's own test switch)
    assert main(["diff", str(golden)]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "dubious ownership" in err and "safe.directory" in err


def test_allow_pickle_of_a_module_not_importable_here_gives_the_fix_that_works(
    tmp_path, capsys, monkeypatch
):
    # show --allow-pickle run outside the project: the file is sound, the pickle's module is
    # not importable; it said the file was not readable and to restore or re-record it
    from pytest_clearstone.debugging import CheckpointManager
    from pytest_clearstone.observability import TracerProvider

    (tmp_path / "proj").mkdir()
    (tmp_path / "proj" / "far_app.py").write_text(
        "import threading\n\nclass Opaque:\n    def __init__(self):\n"
        "        self.lock = threading.Lock()\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path / "proj"))
    import far_app  # type: ignore[import-not-found]

    provider = TracerProvider(":memory:")
    with provider.get_tracer("t").span("root") as root:
        pass
    manager = CheckpointManager(tmp_path)

    class Agent:
        def get_state(self):
            return {"blob": far_app.Opaque()}

    trace = provider.trace_store.get_trace(root.trace_id)
    path = manager.save_checkpoint(
        manager.create_checkpoint(Agent(), trace, root.span_id), "p.ckpt", allow_pickle=True
    )
    monkeypatch.delitem(sys.modules, "far_app")
    monkeypatch.setattr(sys, "path", [p for p in sys.path if p != str(tmp_path / "proj")])
    for argv in (["show", "--allow-pickle", path], ["diff", "--allow-pickle", path, path]):
        assert main([str(a) for a in argv]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1
        assert "far_app" in err and "importable" in err and "without --allow-pickle" in err
        assert "re-record" not in err and "not a readable checkpoint" not in err
    assert main(["show", str(path)]) == 0  # (placeholders)


def test_a_pipe_given_as_a_checkpoint_gets_a_fix_that_works(tmp_path, capsys):
    # `diff a.ckpt <(git show HEAD~2:a.ckpt)`: a pipe is not read (it could block); the
    # message told to restore the file from version control or re-record it
    manager, checkpoint = _record(tmp_path, ["a"])
    a = manager.save_checkpoint(checkpoint, "a.ckpt")
    fifo = tmp_path / "fifo.ckpt"
    os.mkfifo(fifo)
    for argv in (["diff", a, fifo], ["show", fifo], ["show", "--canonical", fifo]):
        assert main([str(x) for x in argv]) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1
        assert f"{fifo} is not a readable checkpoint: cannot read it (a FIFO" in err
        assert "re-record" not in err and "Save what it gives to a file" in err


def test_import_clearstone_again_never_replaces_a_golden_re_recorded_since(
    tmp_path, capsys, monkeypatch
):
    # the converted file became a test's golden (marker path=...) and was re-recorded by the
    # plugin; importing the clearstone-sdk files again replaced it with the old conversion
    import json

    from .test_cli import FIXTURE

    monkeypatch.syspath_prepend(str(FIXTURE))
    monkeypatch.delitem(sys.modules, "make_samples", raising=False)
    dest = tmp_path / "goldens"
    assert main(["import-clearstone", str(FIXTURE), str(dest), "--allow-pickle"]) == 0
    capsys.readouterr()
    golden = sorted(dest.glob("*.ckpt"))[0]
    doc = json.loads(golden.read_text())
    doc["metadata"] = {"recorded_by": "pytest-clearstone", "test": "test_x.py::test_x"}
    golden.write_text(json.dumps(doc, indent=2))
    before = golden.read_bytes()
    assert main(["import-clearstone", str(FIXTURE), str(dest), "--allow-pickle"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert str(golden) in err and "recorded by the pytest plugin" in err
    assert golden.read_bytes() == before


def test_show_or_diff_of_a_folder_names_a_checkpoint_in_it_not_moving_it_away(
    tmp_path, capsys, monkeypatch
):
    # `show tests` (the goldens two levels down, tests/goldens/test_mod/x.ckpt): the error
    # said "Move it away, then re-record it with: pytest --clearstone-record", a fix for a
    # marker's golden path, which here would move the test suite away; it names a
    # checkpoint in the folder to give instead
    from .test_cli_commands import EXAMPLE

    golden = tmp_path / "tests" / "goldens" / "test_mod" / "billing.ckpt"
    golden.parent.mkdir(parents=True)
    shutil.copy(EXAMPLE / "billing.ckpt", golden)
    (tmp_path / "empty").mkdir()
    monkeypatch.chdir(tmp_path)
    for argv in (["show", "tests"], ["show", "--calls", "tests"], ["diff", "tests", "tests"]):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1, argv
        assert "tests is not a readable checkpoint: it is a directory" in err, argv
        assert "Move it away" not in err and "--clearstone-record" not in err, argv
        assert os.path.join("tests", "goldens", "test_mod", "billing.ckpt") in err, argv
    assert main(["show", "empty"]) == 2
    err = capsys.readouterr().err
    assert "Move it away" not in err and "no .ckpt file" in err, err


def test_show_of_a_clearstone_sdk_checkpoint_gives_the_convert_command_for_it_alone(
    tmp_path, capsys, monkeypatch
):
    # it also said "Restore it from version control or re-record it with: pytest
    # --clearstone-record", which no file of clearstone-sdk can be; and the command named
    # SRC, not the file
    from .test_cli import FIXTURE

    source = next((FIXTURE / "checkpoints").glob("*.ckpt"))
    given = tmp_path / "old ckpts" / source.name
    given.parent.mkdir()
    shutil.copy(source, given)
    for argv in (["show", str(given)], ["diff", str(given), str(given)]):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1, argv
        assert "written by clearstone-sdk" in err, argv
        assert "re-record" not in err and "Restore" not in err, argv
        assert f"import-clearstone '{given}' DEST_DIR" in err, argv
    assert main(["upgrade", str(given)]) == 2
    assert f"import-clearstone '{given}' DEST_DIR" in capsys.readouterr().out


def test_prune_keeps_goldens_converted_from_clearstone_sdk(tmp_path, capsys, monkeypatch):
    # import-clearstone's guide converts into tests/goldens, replayed by @pytest.mark.replay;
    # `prune tests --older-than 30` then deleted them a month later (not written by the
    # plugin, so "application checkpoints"), though no run can record them again
    from .test_cli import FIXTURE

    monkeypatch.syspath_prepend(str(FIXTURE))
    monkeypatch.delitem(sys.modules, "make_samples", raising=False)
    goldens = tmp_path / "tests" / "goldens"
    assert main(["import-clearstone", str(FIXTURE), str(goldens), "--allow-pickle"]) == 0
    converted = sorted(goldens.glob("*.ckpt"))
    assert converted
    manager, checkpoint = _record(tmp_path / "app", ["a"])  # an application checkpoint
    saved = manager.save_checkpoint(checkpoint, "crash.ckpt")
    old = time.time() - 40 * 86400
    for path in (*converted, saved):
        os.utime(path, (old, old))
    capsys.readouterr()
    for where in (tmp_path / "tests", tmp_path):
        assert main(["prune", str(where), "--older-than", "30"]) == 0
        out = capsys.readouterr().out
        assert all(path.exists() for path in converted), out
        assert f"kept {converted[0]}  (40.0 days old, but converted from clearstone-sdk" in out, out
    assert not saved.exists()


def test_show_of_a_path_under_a_file_says_not_found_not_to_move_the_file(
    tmp_path, capsys, monkeypatch
):
    # `show goldens/a.ckpt/x.ckpt` (a path mistyped under a golden): it said "goldens/a.ckpt
    # is a file, not a directory. Move it away, then re-record it with: pytest
    # --clearstone-record", a marker's fix that would move a golden away
    from .test_cli_commands import EXAMPLE

    golden = Path(shutil.copy(EXAMPLE / "billing.ckpt", tmp_path / "billing.ckpt"))
    monkeypatch.chdir(tmp_path)
    for argv in (["show", "billing.ckpt/x.ckpt"], ["diff", "billing.ckpt", "billing.ckpt/x"]):
        assert main(argv) == 2
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1, argv
        assert "checkpoint not found; tried: billing.ckpt/" in err, err
        assert "billing.ckpt is a file, not a directory" in err, err
        assert "Move it away" not in err and "--clearstone-record" not in err, err
    assert golden.is_file()


def _committed_golden(repo: Path) -> Path:
    from .test_cli_commands import EXAMPLE, _git

    repo.mkdir()
    _git(repo, "init", "-q")
    golden = Path(shutil.copy(EXAMPLE / "billing.ckpt", repo / "billing.ckpt"))
    _git(repo, "add", ".")
    _git(repo, "commit", "-q", "-m", "golden")
    golden.write_text(golden.read_text().replace("5 business days", "3 days"))
    return golden


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_diff_with_git_head_gives_no_encoding_warning(tmp_path):
    # a project that runs Python with `-X warn_default_encoding -W error` (PEP 597): git's
    # answer was read as text in the locale's encoding, not named: a traceback, no diff
    golden = _committed_golden(tmp_path / "repo")
    strict = ["-X", "warn_default_encoding", "-W", "error::EncodingWarning"]
    done = subprocess.run(
        [sys.executable, *strict, "-m", "pytest_clearstone", "diff", str(golden)],
        capture_output=True,
        check=False,
        env={**os.environ, "PYTHONPATH": PYTHONPATH},
    )
    assert done.stderr == b""
    assert done.returncode == 1
    assert b"--- HEAD:billing.ckpt\n" in done.stdout


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
@pytest.mark.skipif(sys.platform == "win32", reason="a POSIX locale")
def test_diff_with_git_head_in_a_folder_named_in_non_ascii_under_an_ascii_locale(tmp_path):
    # the folder's name git printed was decoded in the locale's encoding (ASCII here): a
    # UnicodeDecodeError traceback; a path is decoded as Python decodes file names
    golden = _committed_golden(tmp_path / "réservé")
    done = _cli("diff", golden, LC_ALL="C", PYTHONUTF8="0", PYTHONCOERCECLOCALE="0")
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, done.stderr
    assert "--- HEAD:billing.ckpt\n" in done.stdout
