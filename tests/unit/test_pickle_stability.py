"""A value only a pickle can store (with pickles allowed) is pickled the same way whatever the
hash order of the sets and frozensets in it: a re-record of an unchanged agent writes the same
golden, instead of new pickle bytes (and "state, final state" in the summary) every time."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pytest_clearstone import codec

SCRIPT = """
import sys
sys.path.insert(0, {here!r})
from pytest_clearstone import codec
from tests.unit.test_pickle_stability import Blob
print(codec.dumps(codec.encode(Blob())))
"""


class Blob:
    """A plain class: stored as a pickle; it holds sets of several kinds."""

    def __init__(self) -> None:
        self.tags = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta"}
        self.nested = {"k": frozenset({"x", "y", "z", "w"}), "mixed": {1, "a", 2.5, ("t", 1)}}
        self.of_sets = {frozenset({"p", "q"}), frozenset({"r", "s"}), frozenset()}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Blob) and vars(other) == vars(self)


def test_the_pickle_of_a_value_holding_sets_is_the_same_in_every_process() -> None:
    root = str(Path(__file__).resolve().parents[2])
    texts = set()
    for seed in ("1", "2", "3", "4"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        run = subprocess.run(
            [sys.executable, "-c", SCRIPT.format(here=root)],
            capture_output=True,
            text=True,
            env=env,
            cwd=root,
            check=True,
        )
        texts.add(run.stdout)
    assert len(texts) == 1


def test_it_reads_back_equal() -> None:
    tree = codec.encode(Blob())
    assert tree[codec.TAG] == "pickle"
    assert codec.decode(tree, allow_pickle=True) == Blob()


def test_a_pickle_is_written_in_protocol_4() -> None:
    """Another protocol would change every golden holding a pickle at its next re-record."""
    import base64

    from pytest_clearstone.codec import pickling

    assert pickling.dumps(Blob())[:2] == b"\x80\x04"
    assert base64.b64decode(codec.encode(Blob())["v"])[:2] == b"\x80\x04"


def test_a_set_in_a_reference_cycle_still_pickles() -> None:
    blob = Blob()
    holder = Blob()
    holder.tags = {"a"}
    blob.of_sets = {frozenset({"x"})}
    blob.nested = {"holder": holder}
    holder.nested = {"back": blob}  # (blob -> holder -> blob)
    back = codec.decode(codec.encode(blob), allow_pickle=True)
    assert back.nested["holder"].nested["back"] is back


class Node:
    """Hashable by identity: it can be in a set that it refers back to."""

    owner: set[Node]


def test_a_set_holding_an_object_that_holds_the_set_still_pickles() -> None:
    node = Node()
    node.owner = {node}
    back = codec.decode(codec.encode(node), allow_pickle=True)
    (item,) = back.owner
    assert item is back


def test_a_set_holding_plain_values_and_an_object_that_holds_the_set_still_pickles() -> None:
    node = Node()
    node.owner = {"plain", node}
    back = codec.decode(codec.encode(node), allow_pickle=True)
    assert back in back.owner and "plain" in back.owner


def test_an_orm_object_reads_back_detached_with_its_columns_and_relationships() -> None:
    """A SQLAlchemy ORM object is pickled without the session's bookkeeping (its attributes in
    load order, a relationship's parents keyed by memory address: new bytes at every re-record)
    and reads back as SQLAlchemy loads one: detached, with its identity key, its loaded columns
    and its relationship's collection instrumented, a back-reference to it the same object."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    from sqlalchemy import orm

    from tests.unit.orm_shop import Base, Customer, Order

    engine = sqlalchemy.create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with orm.Session(engine) as session:
        session.add(Customer(id=1, name="Ann", orders=[Order(id=7)]))
        session.commit()

    def loaded() -> Any:
        with orm.Session(engine) as session:
            customer = session.get(Customer, 1)
            assert customer is not None and customer.orders[0].customer is customer
            return customer

    from pytest_clearstone.codec.pickling import dumps

    first, second = loaded(), loaded()
    assert dumps(first) == dumps(second)  # (loaded in two sessions: the same bytes)
    assert b"InstanceState" not in dumps(first)  # (what made them differ between processes)
    back = codec.decode(codec.encode(first), allow_pickle=True)
    state = sqlalchemy.inspect(back)
    assert state.detached and state.identity == (1,)
    assert back.name == "Ann" and not state.modified
    assert type(back.orders) is orm.collections.InstrumentedList
    assert [order.id for order in back.orders] == [7]
    assert back.orders[0].customer is back
    engine.dispose()


def test_an_orm_objects_pickle_does_not_depend_on_the_order_its_attributes_were_set() -> None:
    """Its attributes are pickled by name: set in another order (its columns loaded in another
    order, a constructor given them in another), the same bytes; a transient object reads back
    transient."""
    sqlalchemy = pytest.importorskip("sqlalchemy")

    from pytest_clearstone.codec.pickling import dumps
    from tests.unit.orm_shop import Customer

    first, second = Customer(id=1, name="Ann"), Customer(name="Ann", id=1)
    assert list(vars(first)) != list(vars(second))  # (the order they were set in)
    assert dumps(first) == dumps(second)
    back = codec.decode(codec.encode(first), allow_pickle=True)
    assert sqlalchemy.inspect(back).transient
    assert (back.id, back.name) == (1, "Ann")


def test_a_set_of_numbers_holding_nan_is_pickled_with_nan_after_the_numbers() -> None:
    # NaN is ordered after the numbers, wherever the set's hash order puts it (a NaN's hash is
    # its object's, which differs from run to run): it compares neither less nor greater
    import pickletools

    from pytest_clearstone.codec.pickling import dumps

    nans = [float("nan") for _ in range(200)]  # (one of them is iterated before the numbers)
    nan = next(n for n in nans if next(iter({5.0, 6.0, 7.0, n})) is n)
    floats = [
        arg
        for op, arg, _ in pickletools.genops(dumps({5.0, 6.0, 7.0, nan}))
        if op.name == "BINFLOAT"
    ]
    assert floats[:3] == [5.0, 6.0, 7.0] and floats[3] != floats[3]
