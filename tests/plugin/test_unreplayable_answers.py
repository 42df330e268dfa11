"""Values a golden cannot hold readably: the refused answer's message, and the placeholders of
arguments.

A tool's answer that only a ``repr`` could store fails the recording, naming the call, where in
the answer the value is, its type and the fixes that apply to it; an argument that cannot be
stored is kept as a placeholder that says so, and compared by its type.
"""

from __future__ import annotations

import json
import sqlite3

import pytest

DB_APP = """
import contextlib
import sqlite3


class Handle:
    # a value of the app's own that the codec cannot store readably, and dill can pickle
    def __init__(self, name):
        self.name = name


def query_rows(sql):
    # (closed: Python 3.13 warns about a connection left to the garbage collector)
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        db.row_factory = sqlite3.Row
        db.execute("create table users (id integer, name text)")
        db.execute("insert into users values (1, 'ada')")
        return db.execute(sql).fetchall()


def open_handle(name):
    return {"handle": Handle(name)}
"""

DB_TEST = """
import pytest
import dbapp


@pytest.mark.replay(mock={"database": "dbapp.query_rows"})
def test_rows():
    assert dbapp.query_rows("select * from users")[0]["name"] == "ada"


@pytest.mark.replay(mock={"tool": "dbapp.open_handle"})
def test_handle():
    assert dbapp.open_handle("main")["handle"].name == "main"
"""


def test_a_refused_answer_names_the_call_and_the_place_in_its_answer_apart(
    pytester: pytest.Pytester,
) -> None:
    # Before the fix: "cannot serialise the answer of call #1 to dbapp.query_rows[0]" (read as
    # a target path), with openai's AsyncCompletions.create as the example for a sqlite3.Row,
    # and "if dill can pickle it, allow pickles" under a warning that dill cannot.
    pytester.syspathinsert()
    pytester.makepyfile(dbapp=DB_APP, test_db=DB_TEST)
    result = pytester.runpytest("--clearstone-record", "-W", "ignore::UserWarning")
    result.assert_outcomes(failed=2)
    result.stdout.fnmatch_lines(
        [
            "*the golden checkpoint was not written: cannot serialise the answer of call #1 to "
            "dbapp.query_rows, at answer[[]0] (a sqlite3.Row): only its repr could be stored, "
            "and a repr cannot be replayed. Convert each row where it is made (dict(row) or "
            "tuple(row)), or teach the codec the type *",
            "*cannot serialise the answer of call #1 to dbapp.open_handle, at answer[[]'handle'] "
            "(a dbapp.Handle): *, or allow pickles (--clearstone-allow-pickle: dill can pickle "
            "it)*",
        ]
    )
    rows = [line for line in result.outlines if "dbapp.query_rows, at" in line]
    assert rows and "pickle" not in rows[0]  # dill cannot pickle a sqlite3.Row
    result.stdout.no_fnmatch_line("*AsyncCompletions*")
    result.stdout.no_fnmatch_line("*query_rows[[]0]*")
    # under the tool is sqlite3's fetchall, a C method no mock can patch
    assert "the function under this one" not in rows[0]
    assert not (pytester.path / "goldens").exists()


LOOKUP_TEST = """
import pytest
import dbapp


def lookup(name):
    # a storable answer for one name, a Handle for the other
    return dbapp.open_handle(name) if name == "main" else {"name": name}


@pytest.mark.replay(mock={"tool": "test_lookup.lookup"})
def test_twice():
    assert lookup("spare") == {"name": "spare"}
    assert lookup("main")["handle"].name == "main"
"""


def test_a_refused_answer_is_named_by_the_number_of_its_call(pytester: pytest.Pytester) -> None:
    # the tool's first answer stores, its second holds a Handle: the message names call #2,
    # the one to look at, not the tool's first call
    pytester.syspathinsert()
    pytester.makepyfile(dbapp=DB_APP, test_lookup=LOOKUP_TEST)
    result = pytester.runpytest("--clearstone-record", "-W", "ignore::UserWarning")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cannot serialise the answer of call #2 to test_lookup.lookup, at "
            "answer[[]'handle'] (a dbapp.Handle)*"
        ]
    )
    result.stdout.no_fnmatch_line("*call #1*")
    assert not (pytester.path / "goldens").exists()


CURSOR_APP = """
import sqlite3


def run_query(db, sql):
    return db.execute(sql)
"""

CURSOR_TEST = """
import contextlib
import sqlite3

import pytest
import cursorapp


@pytest.mark.replay(mock={"database": "cursorapp.run_query"})
def test_cursor():
    with contextlib.closing(sqlite3.connect(":memory:")) as db:
        assert list(cursorapp.run_query(db, "select 1")) == [(1,)]
"""


def test_a_database_cursor_answer_is_refused_with_the_fix_that_works(
    pytester: pytest.Pytester,
) -> None:
    # Before the fix the message offered to "mock the function under this one": under the tool
    # is the cursor's fetch, a method of sqlite3's C type, which cannot be patched
    pytester.syspathinsert()
    pytester.makepyfile(cursorapp=CURSOR_APP, test_cursor=CURSOR_TEST)
    result = pytester.runpytest("--clearstone-record", "-W", "ignore::UserWarning")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*cannot serialise the answer of call #1 to cursorapp.run_query (a sqlite3.Cursor): "
            "only its repr could be stored, and a repr cannot be replayed. Read its rows where "
            "it is made (return cursor.fetchall()*), or teach the codec the type *",
        ]
    )
    result.stdout.no_fnmatch_line("*the function under this one*")
    assert not (pytester.path / "goldens").exists()


SCALAR_APP = """
from tests.unit.test_unrebuildable_subclass import CFloat


def search(query):
    # numpy's cosine scores are numpy.float64: a C subclass of float like CFloat
    return {"doc": "refund policy", "score": CFloat()}
"""

SCALAR_TEST = """
import pytest
import ragapp


@pytest.mark.replay(mock={"tool": "ragapp.search"})
def test_search():
    hit = ragapp.search("refunds?")
    assert hit["doc"] == "refund policy" and type(hit["score"]).__name__ == "CFloat"
"""


def test_a_number_of_a_library_type_is_refused_or_pickled_never_written_unreadable(
    pytester: pytest.Pytester,
) -> None:
    # Expected (contract 6.2): without pickles, a value only a pickle could store fails the
    # recording naming it and the fixes; with pickles it records and replays. Before the fix:
    # it recorded, without pickles, a "subclass" tag that every replay refused as "not a
    # readable checkpoint ... float.__new__(CFloat) is not safe"; re-recording wrote it again.
    pytester.syspathinsert()
    pytester.makepyfile(ragapp=SCALAR_APP, test_rag=SCALAR_TEST)
    refused = pytester.runpytest("--clearstone-record")
    refused.assert_outcomes(failed=1)
    refused.stdout.fnmatch_lines(
        [
            "*cannot serialise the answer of call #1 to ragapp.search, at answer[[]'score'] (a "
            "tests.unit.test_unrebuildable_subclass.CFloat): only its repr could be stored, "
            "and a repr cannot be replayed. Convert it with float() in the function that "
            "returns it*, or allow pickles (--clearstone-allow-pickle: dill can pickle it)*"
        ]
    )
    assert not (pytester.path / "goldens").exists()
    pickles = "--clearstone-allow-pickle"
    pytester.runpytest("--clearstone-record", pickles).assert_outcomes(passed=1)
    golden = (pytester.path / "goldens" / "test_rag" / "test_search.ckpt").read_text()
    assert '"subclass"' not in golden
    pytester.runpytest(pickles).assert_outcomes(passed=1)


PLACEHOLDER_APP = """
import functools


def run_tool(name, on_result):
    return on_result(name.upper())


class Catalog:
    @functools.lru_cache(maxsize=None)
    def price(self, sku):
        return 10
"""

PLACEHOLDER_TEST = """
import pytest
import toolapp


@pytest.mark.replay(mock={"tool": ["toolapp.run_tool", "toolapp.Catalog.price"]})
def test_placeholders():
    assert toolapp.run_tool("search", lambda text: text + "!") == "SEARCH!"
    assert toolapp.Catalog().price("A1") == 10
"""


def test_a_golden_says_why_an_argument_is_only_a_placeholder(pytester: pytest.Pytester) -> None:
    # Before the fix: the golden's placeholder for the lambda and for the lru_cache'd method's
    # self said "not stored: the trace store never holds pickles" (the golden is not the trace
    # store, and pickles are not the issue); the trace store keeps that wording.
    pytester.syspathinsert()
    pytester.makepyfile(toolapp=PLACEHOLDER_APP, test_tool=PLACEHOLDER_TEST)
    pytester.runpytest("--clearstone-record").assert_outcomes(passed=1)
    golden = (pytester.path / "goldens" / "test_tool" / "test_placeholders.ckpt").read_text()
    spans = json.loads(golden)["trace"]["spans"]
    by_name = {span["name"]: span["input"]["v"] for span in spans if span["input"]}
    assert by_name["toolapp.run_tool"]["on_result"]["v"] == (
        "<function: not stored (no readable form); compared by type>"
    )
    assert by_name["toolapp.Catalog.price"]["self"]["v"] == (
        "<toolapp.Catalog: not stored (no readable form); compared by type>"
    )
    assert "never holds pickles" not in golden
    store = sqlite3.connect(pytester.path / ".clearstone" / "traces.db")
    try:
        inputs = " ".join(str(row[0]) for row in store.execute("select input_json from spans"))
    finally:
        store.close()
    assert "<function: not stored: the trace store never holds pickles>" in inputs
    pytester.runpytest().assert_outcomes(passed=1)
