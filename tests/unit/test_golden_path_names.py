"""The file names goldens get and the reasons a golden path cannot be a file: a test's name made
portable (ASCII word characters, no leading dot, a long one cut with a hash of the whole name,
so two long names never share a file), and the limits of the file system named exactly."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from pytest_clearstone.errors import CheckpointCorruptError
from pytest_clearstone.golden.files import read_golden
from pytest_clearstone.golden.paths import (
    MAX_NAME,
    SHORTER_PATH,
    apart_only_where_made_safe,
    golden_path,
    node_names,
    other_case,
    safe_file_name,
    too_long,
    unnameable,
)


def test_a_name_keeps_only_ascii_word_characters_and_no_leading_dot() -> None:
    assert safe_file_name("test_café[x y]") == "test_caf_[x_y]"
    assert safe_file_name(".hidden") == "hidden"
    assert safe_file_name("...") == "_"


def test_a_name_keeps_the_punctuation_of_parametrize_ids() -> None:
    assert safe_file_name("test_x[a=1,b+c@d.e-f]") == "test_x[a=1,b+c@d.e-f]"


def test_a_marker_path_is_taken_from_the_test_s_folder_and_normalised() -> None:
    test_file = os.path.join(os.sep, "suite", "tests", "test_a.py")
    marker = os.path.join("..", "goldens", ".", "x.ckpt")
    assert golden_path(test_file, marker, ["test_x"]) == os.path.join(
        os.sep, "suite", "goldens", "x.ckpt"
    )


def test_a_nul_character_is_named_as_what_no_file_name_holds() -> None:
    assert unnameable("goldens/a\x00b.ckpt") == "a file name cannot hold a NUL character ('\\x00')"
    assert unnameable("goldens/ab.ckpt") == ""


def test_a_long_name_is_cut_to_the_maximum_with_a_hash_of_the_whole_name() -> None:
    assert safe_file_name("a" * MAX_NAME) == "a" * MAX_NAME
    cut = safe_file_name("a" * (MAX_NAME + 1))
    assert len(cut) == MAX_NAME and cut != "a" * MAX_NAME
    # (names whose portable forms are equal still get their own files)
    first, second = "t" * 200 + "[é]", "t" * 200 + "[ü]"
    assert safe_file_name(first) != safe_file_name(second)


def test_a_path_through_a_file_has_no_other_case(tmp_path: Path) -> None:
    (tmp_path / "file.txt").write_text("not a folder")
    assert other_case(tmp_path / "file.txt" / "golden.ckpt") is None


def test_a_folder_whose_path_differs_only_in_case_is_no_other_case(tmp_path: Path) -> None:
    (tmp_path / "goldens" / "Test_Mod").mkdir(parents=True)
    assert other_case(tmp_path / "goldens" / "test_mod") is None


def _path_of(tmp_path: Path, size: int) -> str:
    """A path below ``tmp_path`` of ``size`` bytes, of names of at most 200 bytes."""
    path = str(tmp_path)
    while len(path) + 1 + 200 < size:
        path += os.sep + "d" * 199
    return path + os.sep + "f" * (size - len(path) - 1)


@pytest.mark.skipif(not hasattr(os, "pathconf"), reason="POSIX limits")
def test_a_path_as_long_as_the_limit_is_too_long_a_name_as_long_as_the_limit_is_not(
    tmp_path: Path,
) -> None:
    path_max = os.pathconf(tmp_path, "PC_PATH_MAX")
    name_max = os.pathconf(tmp_path, "PC_NAME_MAX")
    assert "more than a path may be here" in too_long(_path_of(tmp_path, path_max))
    assert too_long(_path_of(tmp_path, path_max - 1)) == ""
    assert too_long(str(tmp_path / ("n" * name_max))) == ""
    assert "its file name is" in too_long(str(tmp_path / ("n" * (name_max + 1))))
    assert too_long(str(tmp_path / ("F" * name_max) / "golden.ckpt")) == ""
    folder = "F" * (name_max + 1)
    said = too_long(str(tmp_path / folder / "golden.ckpt"))
    assert said == (
        f"the name of its folder {'F' * 24}... is {name_max + 1} bytes long, more than a file "
        f"name may be here ({name_max} bytes)"
    )


def test_a_limit_the_system_does_not_say_is_the_usual_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(os, "pathconf", lambda directory, name: -1, raising=False)
    assert too_long(str(tmp_path / "golden.ckpt")) == ""
    assert "more than a file name may be here (255 bytes)" in too_long(str(tmp_path / ("n" * 256)))


@pytest.mark.parametrize("folder", ["", "missing"], ids=["here", "in-a-missing-folder"])
def test_reading_a_golden_whose_name_is_too_long_names_the_length_and_the_fix(
    tmp_path: Path, folder: str
) -> None:
    path = tmp_path / folder / ("g" * 300 + ".ckpt")
    with pytest.raises(CheckpointCorruptError) as info:
        read_golden(path)
    assert info.value.problem.startswith("its file name is 305 bytes long")
    assert info.value.fix == SHORTER_PATH
    assert "Give the marker a shorter path (@pytest.mark.replay(PATH, ...))" in str(info.value)


def test_tests_apart_only_where_their_names_are_made_safe_are_told_by_their_node_ids() -> None:
    # (the names a default path is made of; the rootdir's directories are no part of them)
    assert node_names("tests/test_m.py::TestX::test_y[a::b]") == ("test_m", "TestX.test_y[a::b]")
    assert node_names("test_m.py::test_y") == ("test_m", "test_y")
    pairs = [
        ("t.py::test_x[a/b]", "t.py::test_x[a_b]", True),
        ("test_a-b.py::test_x", "test_a_b.py::test_x", False),  # ("-" is kept)
        ("test_a b.py::test_x", "test_a_b.py::test_x", True),
        ("tests/t.py::test_x[a/b]", "t.py::test_x[a/b]", False),  # (one test, another rootdir)
        ("t.py::test_x[A_b]", "t.py::test_x[a_b]", False),  # (case: a file system's to tell)
        ("t.py::test_x[a/b]", "t.py::test_x[a_c]", False),  # (other paths)
    ]
    for one, other, clash in pairs:
        assert apart_only_where_made_safe(node_names(one), node_names(other)) is clash, one
