"""Agents whose tools query databases (span type ``database``) through the stdlib ``sqlite3`` and
SQLAlchemy 2: the connection, session or engine the tool is given records and replays, and its
password reaches no file; a row, an ORM object or a result that cannot be replayed is refused
with a fix that works for it."""

from __future__ import annotations

import pytest
import sqlalchemy.orm  # noqa: F401  (imported once here: pytester drops what an inner run imports)

PASSWORD = "S3cretPw99x"
WARNING = "pytest_clearstone.errors.UnencodableValueWarning"
RUN = ("-p", "no:randomly", "-W", f"ignore::{WARNING}")

APP = """
import datetime as dt
import sqlite3
from decimal import Decimal

from sqlalchemy import JSON, Date, DateTime, LargeBinary, Numeric, String, create_engine, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

# a production URL: the tools are mocked, so nothing connects to it
REMOTE = create_engine("postgresql+pg8000://app:PW@db.internal/shop", module=sqlite3)


class Base(DeclarativeBase):
    pass


class Order(Base):
    __tablename__ = "orders"
    id: Mapped[int] = mapped_column(primary_key=True)
    customer: Mapped[str] = mapped_column(String(20))
    total: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    placed: Mapped[dt.datetime] = mapped_column(DateTime)
    day: Mapped[dt.date] = mapped_column(Date)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    meta: Mapped[dict] = mapped_column(JSON)
    note: Mapped[str | None] = mapped_column(String(20), nullable=True)


def make_engine(path):
    engine = create_engine(f"sqlite:///{path}")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        session.add(Order(id=1, customer="ann", total=Decimal("12.50"),
                          placed=dt.datetime(2024, 1, 2, 3, 4, 5), day=dt.date(2024, 1, 2),
                          blob=b"\\x00\\x01", meta={"a": [1, 2]}, note=None))
        session.commit()
    return engine


def totals(engine, customer):
    with engine.connect() as conn:
        rows = conn.execute(select(Order.id, Order.total, Order.placed, Order.day, Order.blob,
                                   Order.meta, Order.note).where(Order.customer == customer))
        return [row._asdict() for row in rows]


def count(session, customer):
    return len(session.scalars(select(Order).where(Order.customer == customer)).all())


def agent(engine, customer):
    with Session(engine) as session:
        return {"rows": totals(engine, customer), "count": count(session, customer)}


def describe(engine, customer):
    # a tool given the engine that connects to nothing
    return {"dialect": engine.dialect.name, "customer": customer}
"""


@pytest.fixture
def shop(pytester: pytest.Pytester) -> pytest.Pytester:
    pytester.syspathinsert()
    pytester.makepyfile(shop_db=APP.replace("PW", PASSWORD))
    return pytester


ENGINE_TEST = """
import datetime as dt
from decimal import Decimal

import pytest
import shop_db


@pytest.fixture
def engine(tmp_path):
    engine = shop_db.make_engine(tmp_path / "shop.db")
    yield engine
    engine.dispose()


@pytest.mark.replay("goldens/orders.ckpt",
                    mock={"database": ["shop_db.totals", "shop_db.count"]})
def test_orders(replay, engine):
    out = replay.run(shop_db.agent, engine, "ann")
    assert out["rows"] == [{"id": 1, "total": Decimal("12.50"),
                            "placed": dt.datetime(2024, 1, 2, 3, 4, 5),
                            "day": dt.date(2024, 1, 2), "blob": b"\\x00\\x01",
                            "meta": {"a": [1, 2]}, "note": None}]
    assert out["count"] == 1


@pytest.mark.replay("goldens/remote.ckpt", mock={"database": ["shop_db.describe"]})
def test_remote(replay):
    out = replay.run(shop_db.describe, shop_db.REMOTE, "ann")
    assert out == {"dialect": "postgresql", "customer": "ann"}
"""


def test_sqlalchemy_engine_and_session_arguments_record_replay_without_the_password(
    shop: pytest.Pytester,
) -> None:
    # the redaction walk read the unset slots of the engine's event listeners with hasattr,
    # which ran SQLAlchemy's memoizing __getattr__: TypeError, and nothing was recorded
    shop.makepyfile(test_orders=ENGINE_TEST)
    shop.runpytest("--clearstone-record", *RUN).assert_outcomes(passed=2)
    goldens = sorted(shop.path.rglob("*.ckpt"))
    assert len(goldens) == 2
    first = [golden.read_bytes() for golden in goldens]
    written = b"".join(
        path.read_bytes()
        for path in shop.path.rglob("*")
        if path.is_file() and path.suffix in (".ckpt", ".db", ".db-wal")
    )
    assert PASSWORD.encode() not in written
    assert b'"__cs__": "pickle"' not in written
    result = shop.runpytest(*RUN)
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines(["*2 checkpoint(s) replayed*"])
    shop.runpytest("--clearstone-record", *RUN).assert_outcomes(passed=2)
    assert [golden.read_bytes() for golden in goldens] == first


ANSWERS_APP = """
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from shop_db import Order


def orders(session, customer):
    return session.scalars(select(Order).where(Order.customer == customer)).all()


def rows(session, customer):
    return session.execute(select(Order.id, Order.total).where(Order.customer == customer)).all()


def mappings(engine, customer):
    with engine.connect() as conn:
        query = text("select id, total from orders where customer = :c")
        return conn.execute(query, {"c": customer}).mappings().all()


def result(session, customer):
    return session.execute(select(Order.id).where(Order.customer == customer))
"""

ANSWERS_TEST = """
import pytest
from sqlalchemy.orm import Session

import shop_answers
import shop_db


@pytest.fixture
def engine(tmp_path):
    engine = shop_db.make_engine(tmp_path / "shop.db")
    yield engine
    engine.dispose()


@pytest.mark.replay("goldens/orders.ckpt", mock={"database": "shop_answers.orders"})
def test_orders(engine):
    with Session(engine) as session:
        assert shop_answers.orders(session, "ann")[0].id == 1


@pytest.mark.replay("goldens/rows.ckpt", mock={"database": "shop_answers.rows"})
def test_rows(engine):
    with Session(engine) as session:
        assert shop_answers.rows(session, "ann")[0].id == 1


@pytest.mark.replay("goldens/mappings.ckpt", mock={"database": "shop_answers.mappings"})
def test_mappings(engine):
    assert shop_answers.mappings(engine, "ann")[0]["id"] == 1


@pytest.mark.replay("goldens/result.ckpt", mock={"database": "shop_answers.result"})
def test_result(engine):
    with Session(engine) as session:
        assert [row.id for row in shop_answers.result(session, "ann")] == [1]
"""


def test_sqlalchemy_rows_objects_and_results_are_refused_with_the_conversion_that_works(
    shop: pytest.Pytester,
) -> None:
    # the messages offered to mock the function under the tool: that is SQLAlchemy's
    # Session.execute, whose Result (and its rows) cannot be replayed either
    shop.makepyfile(shop_answers=ANSWERS_APP, test_answers=ANSWERS_TEST)
    result = shop.runpytest("--clearstone-record", *RUN)
    result.assert_outcomes(failed=4)
    result.stdout.no_fnmatch_line("*the function under this one*")
    refused = "*cannot serialise the answer of call #1 to shop_answers.{}*repr cannot be replayed. "
    result.stdout.fnmatch_lines(
        [
            refused.format("orders, at answer[[]0] (a shop_db.Order)")
            + "Convert each ORM object where it is made to plain data (a dict or a dataclass "
            "of the columns the agent reads)*allow pickles*",
            refused.format("rows, at answer[[]0] (a sqlalchemy.engine.row.Row)")
            + "Convert each row where it is made (row._asdict() or tuple(row))*allow pickles*",
            refused.format("mappings, at answer[[]0] (a sqlalchemy.engine.row.RowMapping)")
            + "Convert each row where it is made (dict(row))*allow pickles*",
            refused.format("result (a sqlalchemy.engine.result.ChunkedIteratorResult)")
            + "Read its rows where it is made (return [[]row._asdict() for row in result])*",
        ],
        consecutive=False,
    )
    assert not (shop.path / "goldens").exists()


EXECUTE_TEST = """
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import shop_db


@pytest.mark.replay("goldens/execute.ckpt", mock={"database": "sqlalchemy.orm.Session.execute"})
def test_execute(tmp_path):
    engine = shop_db.make_engine(tmp_path / "shop.db")
    with Session(engine) as session:
        assert [row.id for row in session.execute(select(shop_db.Order.id))] == [1]
    engine.dispose()
"""


def test_a_sqlalchemy_execute_target_is_refused_naming_a_function_of_ones_own_to_mock(
    shop: pytest.Pytester,
) -> None:
    # "read its rows where it is made" pointed into SQLAlchemy, the mock target itself
    shop.makepyfile(test_execute=EXECUTE_TEST)
    result = shop.runpytest("--clearstone-record", *RUN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cannot serialise the answer of call #1 to sqlalchemy.orm.Session.execute (a "
            "sqlalchemy.engine.result.ChunkedIteratorResult): only its repr could be stored, and "
            "a repr cannot be replayed. Mock a function of your own in place of "
            "sqlalchemy.orm.Session.execute: one that runs the query and returns its rows as "
            "plain data ([[]row._asdict() for row in result]), or teach the codec the type*",
        ]
    )
    result.stdout.no_fnmatch_line("*where it is made*")


STATEMENT_TEST = """
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

import shop_db


def run(session, statement):
    return [row._asdict() for row in session.execute(statement)]


@pytest.mark.replay("goldens/statement.ckpt", mock={"database": "test_statement.run"})
def test_statement(tmp_path):
    engine = shop_db.make_engine(tmp_path / "shop.db")
    with Session(engine) as session:
        query = select(shop_db.Order.id).where(shop_db.Order.customer == "ann")
        assert run(session, query) == [{"id": 1}]
    engine.dispose()
"""


def test_a_sqlalchemy_statement_argument_warns_with_a_fix_that_works(
    shop: pytest.Pytester,
) -> None:
    # the warning said to teach the codec the type: a registered decoder cannot give a Select
    # back, so every replay of an unchanged agent diverged
    shop.makepyfile(test_statement=STATEMENT_TEST)
    result = shop.runpytest("--clearstone-record", "-p", "no:randomly", "-W", f"default::{WARNING}")
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(
        [
            "*storing the repr of a sqlalchemy.sql.selectable.Select value at statement in the "
            "arguments of call #1 to test_statement.run: a SQL statement, which a replay "
            "compares by its type only (a changed query or bound parameter would pass). Mock a "
            "function that takes the plain values the statement is built from*, or give the "
            "mocked function the statement's text and parameters (str(statement), "
            "statement.compile().params)*",
        ]
    )
    result.stdout.no_fnmatch_line("*Select value*codec.register*")


CUSTOMER_APP = """
import sqlalchemy
from sqlalchemy import orm


class Base(orm.DeclarativeBase):
    pass


class Customer(Base):
    __tablename__ = "customers"
    id = sqlalchemy.Column(sqlalchemy.Integer, primary_key=True)
    name = sqlalchemy.Column(sqlalchemy.String)
    tier = sqlalchemy.Column(sqlalchemy.String)
    orders = orm.relationship("Order", lazy="selectin", back_populates="customer")


class Order(Base):
    __tablename__ = "orders"
    id = sqlalchemy.Column(sqlalchemy.Integer, primary_key=True)
    customer_id = sqlalchemy.Column(sqlalchemy.ForeignKey("customers.id"))
    total = sqlalchemy.Column(sqlalchemy.Integer)
    customer = orm.relationship("Customer", back_populates="orders")


ENGINE = sqlalchemy.create_engine("sqlite://")
Base.metadata.create_all(ENGINE)
with orm.Session(ENGINE) as session:
    session.add(Customer(id=1, name="Ann", tier="gold", orders=[Order(id=1, total=12)]))
    session.commit()

SUFFIX = ""


def lookup(customer_id):
    return {"tier": "gold"}


class Agent:
    def __init__(self):
        self.customer = None

    def run(self, customer_id):
        with orm.Session(ENGINE) as session:
            self.customer = session.get(Customer, customer_id)
        self.customer.tier = lookup(customer_id)["tier"] + SUFFIX
        return [order.total for order in self.customer.orders]
"""

CUSTOMER_TEST = """
import pytest
import crm


@pytest.mark.replay("goldens/customer.ckpt", mock={"tool": "crm.lookup"})
def test_customer(replay):
    assert replay.run(crm.Agent().run, 1) == [12]
"""


def test_an_orm_object_in_the_state_keeps_its_golden_and_a_changed_column_is_named(
    pytester: pytest.Pytester,
) -> None:
    # stored as a pickle of SQLAlchemy's own state, its golden changed at every re-record
    # (its attributes in load order, a relationship's parents keyed by id()) and a changed
    # column was shown among SQLAlchemy's bookkeeping (`._sa_instance_state.dict`...), or by
    # `diff` as two pickle digests
    pytester.syspathinsert()
    pytester.makepyfile(crm=CUSTOMER_APP, test_customer=CUSTOMER_TEST)
    pytester.makeini("[pytest]\nclearstone_allow_pickle = true\n")
    pytester.runpytest("--clearstone-record", *RUN).assert_outcomes(passed=1)
    golden = pytester.path / "goldens" / "customer.ckpt"
    first = golden.read_bytes()
    for _ in range(2):
        result = pytester.runpytest("--clearstone-record", *RUN)
        result.assert_outcomes(passed=1)
        result.stdout.fnmatch_lines(["*goldens/customer.ckpt: unchanged*"])
        assert golden.read_bytes() == first
    pytester.runpytest(*RUN).assert_outcomes(passed=1)
    crm = pytester.path / "crm.py"
    crm.write_text(crm.read_text().replace('SUFFIX = ""', 'SUFFIX = "+"'))
    result = pytester.runpytest(*RUN)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*root[[]'customer'].tier: 'gold' -> 'gold+'"])
    result.stdout.no_fnmatch_line("*_sa_*")


HELD_APP = """
import sqlite3

import sqlalchemy

import shop_db

CONNECTION = sqlite3.connect(":memory:")
CONNECTION.row_factory = sqlite3.Row


def lookup(customer):
    return {"customer": customer}


class Agent:
    def __init__(self, held):
        self.held = held
        self.seen = None

    def run(self, customer):
        self.seen = lookup(customer)["customer"]
        return self.seen


def engine():
    return shop_db.REMOTE


def row():
    return CONNECTION.execute("select 1 as id, 'ann' as customer").fetchone()


def url():
    return shop_db.REMOTE.url
"""

HELD_TEST = """
import pytest

import held


@pytest.mark.parametrize("kind", ["engine", "row", "url"])
@pytest.mark.replay(mock={"tool": "held.lookup"})
def test_held(replay, kind):
    replay.run(held.Agent(getattr(held, kind)()).run, "ann")
"""


def test_an_engine_a_sqlite_row_or_a_url_in_the_state_is_refused_naming_it_and_the_fix(
    shop: pytest.Pytester,
) -> None:
    # each was refused with the generic fixes: the engine and the URL's query as values only a
    # pickle could store (register an encoder, allow pickles), the row as one dill cannot
    # pickle ("make the value JSON-friendly")
    shop.makepyfile(held=HELD_APP, test_held=HELD_TEST)
    result = shop.runpytest("--clearstone-record", *RUN)
    result.assert_outcomes(failed=3)
    result.stdout.fnmatch_lines(
        [
            "*state[[]'held'] (a sqlalchemy.engine.base.Engine): it is a SQLAlchemy engine, a "
            "database client holding its connection pool and its URL's password: leave it "
            "out of the state (a module-level engine, or a get_state() without it) and mock "
            "the functions that run the queries*",
            "*state[[]'held'] (a sqlite3.Row): dill cannot pickle it (*), convert it with "
            "dict(row) where it is made*",
            "*state[[]'held'].query (a sqlalchemy.util.*immutabledict): *keep a SQLAlchemy "
            "URL as its text without the password (str(url), which shows it as ***)*",
        ],
        consecutive=False,
    )
    assert not (shop.path / "goldens").exists()
