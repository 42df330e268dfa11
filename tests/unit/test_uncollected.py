"""uncollected: which goldens a part of the suite the run did not collect may own, and why
(the words the unused-goldens report and --clearstone-prune-unused give for a golden kept)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_clearstone.uncollected import Uncollected, doctest_goldens, in_norecursedirs


@pytest.mark.parametrize(
    ("directory", "pattern", "matched"),
    [
        ("/r/tests/manual", "manual", True),
        ("/r/tests/manual", "manua?", True),
        ("/r/tests/other", "manual", False),
        # a pattern with a separator is matched against the path, anchored below any directory
        ("/r/tests/manual", "tests/manual", True),
        ("/r/lib/manual", "tests/manual", False),
        ("/r/tests/manual", "/r/tests/manual", True),
        ("/elsewhere/tests/manual", "/r/tests/manual", False),
    ],
)
@pytest.mark.skipif(os.sep != "/", reason="paths written with /")
def test_a_norecursedirs_pattern_matches_as_pytest_matches_it(
    directory: str, pattern: str, matched: bool
) -> None:
    assert in_norecursedirs(Path(directory), [pattern]) is matched


def _golden(root: Path, relative: str) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{}")
    return path


def test_a_docstring_golden_is_kept_only_when_the_run_did_not_collect_docstrings(
    tmp_path: Path,
) -> None:
    (tmp_path / "mod.py").write_text('"""doc"""\n')
    golden = _golden(tmp_path, "goldens/mod/mod.add.ckpt")
    kept = doctest_goldens([golden], doctest_modules=False)
    assert "--doctest-modules" in kept[golden]
    # collected with --doctest-modules and still unused: it is no doctest's golden
    assert doctest_goldens([golden], doctest_modules=True) == {}


def test_a_text_files_golden_is_kept_and_a_python_files_is_not_taken_for_one(
    tmp_path: Path,
) -> None:
    (tmp_path / "guide.md").write_text(">>> 1\n1\n")
    (tmp_path / "mod.py").write_text("")
    text = _golden(tmp_path, "goldens/guide/guide.md.ckpt")
    module = _golden(tmp_path, "goldens/mod/mod.py.ckpt")
    kept = doctest_goldens([text, module], doctest_modules=True)
    assert list(kept) == [text] and "--doctest-glob" in kept[text]


def test_a_skipped_module_keeps_the_file_names_it_names_anywhere(tmp_path: Path) -> None:
    module = tmp_path / "tests" / "test_live.py"
    module.parent.mkdir()
    module.write_text('GOLDEN = "shared/live_run.ckpt"\n')
    why = "tests/test_live.py skipped itself"
    uncollected = Uncollected({str(module): why}, ["test_*.py"])
    assert uncollected.why_kept(str(tmp_path / "data" / "live_run.ckpt")) == why
    assert uncollected.why_kept(str(tmp_path / "data" / "other.ckpt")) == ""


def test_modules_in_hidden_and_cache_folders_are_not_a_directorys_tests(tmp_path: Path) -> None:
    # a folder left out (collect_ignore) holding only a virtualenv's or a cache's modules has
    # no tests: it keeps no golden
    part = tmp_path / "data"
    (part / ".venv").mkdir(parents=True)
    (part / ".venv" / "test_vendored.py").write_text("")
    (part / "__pycache__").mkdir()
    (part / "__pycache__" / "test_cached.py").write_text("")
    golden = _golden(part, "goldens/old.ckpt")
    uncollected = Uncollected({str(part): "data is in collect_ignore"}, ["test_*.py"])
    assert uncollected.why_kept(str(golden)) == ""
    (part / "test_real.py").write_text("")
    assert Uncollected({str(part): "why"}, ["test_*.py"]).why_kept(str(golden)) == "why"


def test_a_skipped_modules_golden_names_are_read_as_written(tmp_path: Path) -> None:
    # brackets in a name are the name's own (a parametrized test's id), not a set of
    # characters; an f-string that does not end in .ckpt names no golden (its replacement
    # fields would match any file)
    module = tmp_path / "tests" / "test_live.py"
    module.parent.mkdir()
    module.write_text(
        'GOLDEN = "goldens/test_run[gpt-4o].ckpt"\n'
        'RUN = f"goldens/{MODEL}_v[2].ckpt"\n'
        'GREETING = f"{name}"\n'
    )
    why = "tests/test_live.py skipped itself"
    uncollected = Uncollected({str(module): why}, ["test_*.py"])
    goldens = tmp_path / "tests" / "goldens"
    assert uncollected.why_kept(str(goldens / "test_run[gpt-4o].ckpt")) == why
    assert uncollected.why_kept(str(goldens / "small_v[2].ckpt")) == why
    assert uncollected.why_kept(str(goldens / "test_runo.ckpt")) == ""
    assert uncollected.why_kept(str(goldens / "small_v2.ckpt")) == ""
    assert uncollected.why_kept(str(tmp_path / "tests" / "other.ckpt")) == ""


def test_a_folder_left_out_keeps_its_own_goldens_not_a_sibling_folders(tmp_path: Path) -> None:
    part = tmp_path / "tests" / "manual"
    part.mkdir(parents=True)
    (part / "test_slow.py").write_text("")
    why = "tests/manual is in norecursedirs"
    uncollected = Uncollected({str(part): why}, ["test_*.py"])
    assert uncollected.why_kept(str(part / "goldens" / "g.ckpt")) == why
    assert uncollected.why_kept(str(tmp_path / "tests" / "manual_old" / "g.ckpt")) == ""


def test_a_docstring_golden_of_a_module_in_a_package_is_kept(tmp_path: Path) -> None:
    # a doctest of pkg/mod.py is named pkg.mod.add: its golden goldens/mod/pkg.mod.add.ckpt
    (tmp_path / "mod.py").write_text('"""doc"""\n')
    golden = _golden(tmp_path, "goldens/mod/pkg.mod.add.ckpt")
    kept = doctest_goldens([golden], doctest_modules=False)
    assert "--doctest-modules" in kept[golden]
