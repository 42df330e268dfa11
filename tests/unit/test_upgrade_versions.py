"""``upgrade`` refuses the goldens it cannot read as ``show`` does, naming the file, and changes
none of them; ``show`` takes one view; ``prune --db`` words its refusals for the command line."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone.cli import main

EXAMPLE = Path(__file__).parent.parent.parent / "examples" / "support_agent" / "goldens"


def _run(capsys: pytest.CaptureFixture[str], *argv: object) -> tuple[int, str, str]:
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _golden_with(tmp_path: Path, version: Any) -> Path:
    doc = json.loads(next(EXAMPLE.glob("*.ckpt")).read_text(encoding="utf-8"))
    doc["format_version"] = version
    path = tmp_path / "v.ckpt"
    path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    return path


@pytest.mark.parametrize("version", [0, -1, "1", 1.0, True, None])
def test_upgrade_refuses_a_version_it_cannot_read_as_show_does(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, version: Any
) -> None:
    path = _golden_with(tmp_path, version)
    before = path.read_bytes()
    code, _, err = _run(capsys, "show", path)
    assert code == 2
    problem = err.split("error: ", 1)[1].strip()  # what show says is wrong, and the fix
    assert str(path) in problem
    code, out, _ = _run(capsys, "upgrade", path)
    assert code == 2
    assert "up to date (format" not in out
    # a version this release does not read: show's message; a file that is not a readable
    # checkpoint: its problem (as for any file upgrade cannot read)
    reason = problem.split(" is not a readable checkpoint: ", 1)[-1].split(". Restore it")[0]
    assert f"{path}: not upgraded: {reason}" in out
    assert out.rstrip().endswith("0 of 1 checkpoint file(s) up to date")
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "edit",
    ["del doc['trace']", "doc['timestamp'] = 'yesterday'", "doc['agent'] = []", "EMPTY",
     "NOT_UTF8"],
)  # fmt: skip
def test_upgrade_refuses_a_file_show_refuses_with_the_reason_show_gives(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, edit: str
) -> None:
    # Expected: a file of a current version that show cannot read is not "up to date"; upgrade
    # read only its version, and said "up to date" for a golden without its trace, or gave
    # the JSON parser's words where show says "the file is empty"
    path = _golden_with(tmp_path, 1)
    if edit == "EMPTY":
        path.write_bytes(b"")
    elif edit == "NOT_UTF8":
        path.write_bytes(path.read_bytes().replace(b'"trace"', b'"tr\xe9ce"', 1))
    else:
        doc = json.loads(path.read_text(encoding="utf-8"))
        exec(edit)
        path.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    before = path.read_bytes()
    code, _, err = _run(capsys, "show", path)
    assert code == 2
    reason = err.split(" is not a readable checkpoint: ", 1)[1].split(". Restore it")[0].strip()
    code, out, _ = _run(capsys, "upgrade", path)
    assert code == 2
    assert f"{path}: not upgraded: {reason}" in out, (reason, out)
    assert out.rstrip().endswith("0 of 1 checkpoint file(s) up to date")
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    "views", [("--calls", "--canonical"), ("--json", "--calls"), ("--json", "--canonical")]
)
def test_show_takes_one_view(capsys: pytest.CaptureFixture[str], views: tuple[str, str]) -> None:
    golden = next(EXAMPLE.glob("*.ckpt"))
    code, out, err = _run(capsys, "show", golden, *views)
    assert code == 2
    assert out == ""
    assert f"argument {views[1]}: not allowed with argument {views[0]}" in err


@pytest.mark.parametrize("dry_run", [False, True], ids=["", "dry-run"])
def test_prune_db_refuses_a_file_that_is_not_a_trace_store_in_the_command_lines_words(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, dry_run: bool
) -> None:
    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE x (a)")
    conn.close()
    before = foreign.read_bytes()
    code, _, err = _run(
        capsys, "prune", "--db", foreign, "--older-than", "1", *(["--dry-run"] if dry_run else [])
    )
    assert code == 2
    assert "is not a pytest-clearstone trace store" in err
    assert "--clearstone-db" not in err and "clearstone_db" not in err  # (the plugin's options)
    assert foreign.read_bytes() == before
