"""Texts in a replayed agent's state naming the recording's ``tmp_path``
(golden/tmp_path_texts.py): found in dicts, lists and the attributes of objects, not taken for
this run's own ``tmp_path`` or another directory."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_clearstone.golden.tmp_path_texts import recorded_tmp_path_hint
from pytest_clearstone.path_roots import use_tmp_path


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Path]:
    current = tmp_path / "second" / "test_memory0"
    current.mkdir(parents=True)
    undo = use_tmp_path(current)
    yield current
    undo()


@dataclasses.dataclass
class Settings:
    db_path: str


def test_a_text_under_the_recordings_tmp_path_is_named_with_its_place(running: Path) -> None:
    recorded = str(running.parent.parent / "first" / "test_memory0")
    hint = recorded_tmp_path_hint({"turns": 1, "db_path": f"{recorded}/mem.db"})
    assert hint.startswith(
        f"The state the replay gave the agent holds a text naming the recording's tmp_path "
        f"{recorded!r} (at root['db_path']), where this run's is {str(running)!r}"
    )
    # in a list, and in an object's attributes (a settings dataclass the agent keeps)
    assert "(at root['paths'][1])" in recorded_tmp_path_hint({"paths": ["a", recorded]})
    held = recorded_tmp_path_hint({"settings": Settings(f"{recorded}/mem.db")})
    assert "(at root['settings'].db_path)" in held


def test_this_runs_own_tmp_path_and_other_directories_are_not_named(running: Path) -> None:
    assert recorded_tmp_path_hint({"db_path": str(running / "mem.db")}) == ""
    assert recorded_tmp_path_hint({"db_path": "/srv/data/mem.db", "q": "test_memory0"}) == ""
    assert recorded_tmp_path_hint({"db_path": "relative/test_memory3/mem.db"}) == ""


def test_without_a_tmp_path_nothing_is_named() -> None:
    assert recorded_tmp_path_hint({"db_path": "/tmp/pytest-of-ana/pytest-1/test_x0/mem.db"}) == ""


def test_a_huge_state_is_looked_at_its_first_values_only_texts_counted(running: Path) -> None:
    # (a state of a million texts: the failure path made a list of them all, and a place for
    # each item of each list before looking at the first)
    recorded = str(running.parent.parent / "first" / "test_memory0")
    many = ["a text"] * 1_000_000
    assert "(at root[5000])" in recorded_tmp_path_hint([*many[:5000], recorded, *many])
    assert recorded_tmp_path_hint([*many, recorded]) == ""  # (past the first 10,000 values)
    assert recorded_tmp_path_hint({"texts": many, "db_path": recorded}) == ""
    assert "(at root['db_path'])" in recorded_tmp_path_hint({"db_path": recorded, "texts": many})
