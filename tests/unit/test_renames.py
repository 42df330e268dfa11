"""golden/renames.py: the unused golden a missing one likely is under its old path."""

from __future__ import annotations

from pathlib import Path

from pytest_clearstone.golden.renames import moved_folders, renamed_goldens

G = Path("/suite/goldens")


def test_a_test_renamed_in_its_module_is_paired_with_the_one_unused_golden_beside_it() -> None:
    new, old = G / "test_a" / "test_later.ckpt", G / "test_a" / "test_second.ckpt"
    assert renamed_goldens([new], [old, G / "test_b" / "test_x.ckpt"]) == [(old, new)]


def test_the_parameters_of_a_renamed_test_are_paired_by_their_ids() -> None:
    news = [G / "t" / "test_new[en].ckpt", G / "t" / "test_new[fr].ckpt"]
    olds = [G / "t" / "test_old[fr].ckpt", G / "t" / "test_old[en].ckpt"]
    assert renamed_goldens(news, olds) == [(olds[1], news[0]), (olds[0], news[1])]


def test_a_parameter_whose_id_changed_is_paired_with_the_one_unused_golden_beside_it() -> None:
    new, old = G / "t" / "test_x[english].ckpt", G / "t" / "test_x[en].ckpt"
    assert renamed_goldens([new], [old]) == [(old, new)]


def test_a_test_moved_to_another_module_is_paired_by_its_file_name() -> None:
    new, old = G / "test_b" / "test_x.ckpt", G / "test_a" / "test_x.ckpt"
    assert renamed_goldens([new], [old]) == [(old, new)]


def test_no_pair_where_another_unused_or_missing_golden_could_be_it() -> None:
    folder = G / "test_a"
    assert renamed_goldens([folder / "test_n.ckpt"], [folder / "o1.ckpt", folder / "o2.ckpt"]) == []
    assert renamed_goldens([folder / "n1.ckpt", folder / "n2.ckpt"], [folder / "old.ckpt"]) == []
    moved = [G / "test_b" / "test_x.ckpt", G / "test_c" / "test_x.ckpt"]
    assert renamed_goldens(moved, [G / "test_a" / "test_x.ckpt"]) == []


def test_a_golden_paired_in_its_folder_is_not_paired_again_with_a_moved_test() -> None:
    renamed, moved = G / "test_a" / "test_x.ckpt", G / "test_b" / "test_y.ckpt"
    old = G / "test_a" / "test_y.ckpt"
    assert renamed_goldens([moved, renamed], [old]) == [(old, renamed)]


def test_a_renamed_test_and_a_parameter_whose_id_changed_in_one_folder_are_both_paired() -> None:
    """The renamed test is paired by its (empty) id first; the other then by their folder."""
    renamed, changed = G / "t" / "test_later.ckpt", G / "t" / "test_x[english].ckpt"
    old_renamed, old_changed = G / "t" / "test_second.ckpt", G / "t" / "test_x[en].ckpt"
    assert renamed_goldens([renamed, changed], [old_changed, old_renamed]) == [
        (old_renamed, renamed),
        (old_changed, changed),
    ]


def test_a_parameter_paired_by_its_id_leaves_the_other_parameter_paired_by_its_folder() -> None:
    news = [G / "t" / "test_new[en].ckpt", G / "t" / "test_new[fr].ckpt"]
    olds = [G / "t" / "test_old[en].ckpt", G / "t" / "test_old[de].ckpt"]
    assert renamed_goldens(news, olds) == [(olds[0], news[0]), (olds[1], news[1])]


def test_a_golden_of_another_name_in_another_module_is_not_paired() -> None:
    new, old = G / "test_b" / "test_new[en].ckpt", G / "test_a" / "test_old[en].ckpt"
    assert renamed_goldens([new], [old]) == []


def test_paths_are_paired_as_normalised_and_a_path_given_twice_counts_once() -> None:
    new, old = G / "test_a" / "test_later.ckpt", G / "test_a" / "test_second.ckpt"
    unnormalised = G / "test_b" / ".." / "test_a" / "test_later.ckpt"
    assert renamed_goldens([unnormalised], [old]) == [(old, new)]
    assert renamed_goldens([new, new], [old, old]) == [(old, new)]


def test_a_test_module_moved_to_another_directory_is_paired_by_its_folder_and_file_names() -> None:
    # tests/test_async.py moved to tests/agents/test_async.py: its goldens move from
    # tests/goldens/test_async/ to tests/agents/goldens/test_async/ (no pair was named)
    olds = [G / "test_async" / "test_one.ckpt", G / "test_async" / "test_two.ckpt"]
    moved = Path("/suite/agents/goldens/test_async")
    news = [moved / "test_one.ckpt", moved / "test_two.ckpt"]
    assert renamed_goldens(news, olds) == [(olds[0], news[0]), (olds[1], news[1])]
    # an explicit path beside the module, moved with it
    old, new = G / "paris.ckpt", Path("/suite/agents/goldens/paris.ckpt")
    assert renamed_goldens([new], [old]) == [(old, new)]
    # not where another unused golden of those names could be it
    other = Path("/elsewhere/goldens/test_async/test_one.ckpt")
    assert renamed_goldens([news[0]], [olds[0], other]) == []


def test_pairs_come_in_the_order_of_the_missing_goldens_whichever_was_paired_first() -> None:
    renamed, changed = G / "t" / "test_later.ckpt", G / "t" / "test_x[english].ckpt"
    old_renamed, old_changed = G / "t" / "test_second.ckpt", G / "t" / "test_x[en].ckpt"
    # (renamed is paired by its id first, changed then by its folder: listed as given)
    assert renamed_goldens([changed, renamed], [old_renamed, old_changed]) == [
        (old_changed, changed),
        (old_renamed, renamed),
    ]


def test_a_parameter_id_holding_brackets_is_paired_by_the_whole_id() -> None:
    news = [G / "t" / "test_new[a[1]].ckpt", G / "t" / "test_new[b[1]].ckpt"]
    olds = [G / "t" / "test_old[b[1]].ckpt", G / "t" / "test_old[a[1]].ckpt"]
    assert renamed_goldens(news, olds) == [(olds[1], news[0]), (olds[0], news[1])]


def test_a_test_moved_to_a_sibling_module_is_paired_before_a_module_moved_elsewhere() -> None:
    # the golden in the sibling folder is nearer than one in a folder of the same name elsewhere
    new = G / "test_b" / "test_x.ckpt"
    sibling, elsewhere = G / "test_a" / "test_x.ckpt", Path("/other/goldens/test_b/test_x.ckpt")
    assert renamed_goldens([new], [elsewhere, sibling]) == [(sibling, new)]


def test_a_module_moved_elsewhere_pairs_its_parameters_by_their_whole_names() -> None:
    olds = [G / "test_async" / "test_one[en].ckpt", G / "test_async" / "test_one[fr].ckpt"]
    moved = Path("/suite/agents/goldens/test_async")
    news = [moved / "test_one[fr].ckpt", moved / "test_one[en].ckpt"]
    assert renamed_goldens(news, olds) == [(olds[1], news[0]), (olds[0], news[1])]


def test_a_golden_of_the_same_name_in_a_folder_of_another_name_elsewhere_is_not_paired() -> None:
    # (test_basic.ckpt in two unrelated modules: no rename is suggested between them)
    new = Path("/suite/agents/goldens/test_b/test_basic.ckpt")
    old = Path("/other/goldens/test_a/test_basic.ckpt")
    assert renamed_goldens([new], [old]) == []


def test_the_tests_of_a_renamed_class_are_paired_by_their_names() -> None:
    """``class TestRefunds`` renamed ``TestRefund``: each of its tests misses its golden while
    the class's old goldens lie unused beside them, two and two, so no pair was named (and
    ``--clearstone-prune-unused`` deleted the recordings). Each is paired with the unused
    golden of its own test name."""
    folder = G / "test_support"
    olds = [folder / "TestRefunds.test_refund.ckpt", folder / "TestRefunds.test_twice.ckpt"]
    news = [folder / "TestRefund.test_twice.ckpt", folder / "TestRefund.test_refund.ckpt"]
    assert renamed_goldens(news, olds) == [(olds[1], news[0]), (olds[0], news[1])]


def test_tests_moved_into_a_class_are_paired_by_their_names() -> None:
    folder = G / "test_support"
    olds = [folder / "test_refund.ckpt", folder / "test_twice.ckpt"]
    news = [folder / "TestRefund.test_refund.ckpt", folder / "TestRefund.test_twice.ckpt"]
    assert renamed_goldens(news, olds) == [(olds[0], news[0]), (olds[1], news[1])]


def test_the_tests_of_a_renamed_class_with_dotted_parameter_ids_are_paired_by_their_names() -> None:
    # (the class is what comes before the last dot of the name, not of the parameter id)
    folder = G / "test_support"
    olds = [
        folder / "TestRefunds.test_refund[1.5].ckpt",
        folder / "TestRefunds.test_twice[1.5].ckpt",
    ]
    news = [folder / "TestRefund.test_twice[1.5].ckpt", folder / "TestRefund.test_refund[1.5].ckpt"]
    assert renamed_goldens(news, olds) == [(olds[1], news[0]), (olds[0], news[1])]


def test_a_folder_is_moved_whole_only_where_all_its_goldens_move_to_a_new_folder(
    tmp_path: Path,
) -> None:
    old = tmp_path / "goldens" / "test_a"
    old.mkdir(parents=True)
    for name in ("test_x.ckpt", "test_y.ckpt"):
        (old / name).write_text("{}")
    new = tmp_path / "goldens" / "test_b"
    both = [(old / name, new / name) for name in ("test_x.ckpt", "test_y.ckpt")]
    assert moved_folders(both) == [(old, new)]
    assert moved_folders(both[:1]) == []  # (test_y stays: a mv of the folder would take it)
    assert moved_folders([(old / "test_x.ckpt", new / "test_z.ckpt"), both[1]]) == []
    new.mkdir()  # (a mv into an existing folder nests the old one in it)
    assert moved_folders(both) == []
