"""Texts in a replayed agent's state naming the recording's ``tmp_path``
(golden/tmp_path_texts.py): found in dicts, lists and the attributes of objects, not taken for
this run's own ``tmp_path`` or another directory."""

from __future__ import annotations

import dataclasses
import threading
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


def test_a_name_like_a_tmp_paths_that_is_no_such_directory_is_not_named(running: Path) -> None:
    base = running.parent.parent / "first"
    # (a file named as a tmp_path is, and a directory whose name only ends as one's does)
    assert recorded_tmp_path_hint({"log": str(base / "test_memory3.log")}) == ""
    assert recorded_tmp_path_hint({"db_path": str(base / "old_test_memory3" / "m.db")}) == ""


def test_the_first_text_in_the_states_order_is_named(running: Path) -> None:
    recorded = running.parent.parent / "first"
    hint = recorded_tmp_path_hint(
        {"db_path": str(recorded / "test_memory0" / "m.db"), "log": str(recorded / "test_memory1")}
    )
    assert "(at root['db_path'])" in hint


def test_a_state_holding_itself_is_looked_through_once(running: Path) -> None:
    state: dict[str, object] = {"db_path": str(running.parent.parent / "first" / "test_memory0")}
    state["self"] = state  # (a parent and its child pointing at each other, as often)
    told: list[str] = []
    looking = threading.Thread(target=lambda: told.append(recorded_tmp_path_hint(state)))
    looking.daemon = True  # (a walk that never ends: the test fails, the run goes on)
    looking.start()
    looking.join(timeout=10)
    assert len(told) == 1 and "(at root['db_path'])" in told[0]
