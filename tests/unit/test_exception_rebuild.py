"""A recorded exception raised again at replay: its class, its attributes and its text.

Agents send ``f"tool error: {exc}"`` to the LLM and catch the tool's exception classes, so the
replayed exception must be caught by the same ``except`` clauses and read as recorded; one that
cannot be created again stands in as :class:`RecordedError`, never a crash inside the plugin.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import threading
from typing import Any

import pytest

from pytest_clearstone.errors import RecordedError
from pytest_clearstone.golden.recorded_errors import not_raised_again, rebuild_exception
from pytest_clearstone.tracing.span import exception_record


def _replayed(exc: BaseException) -> BaseException:
    """``exc`` recorded, written to a golden as JSON, read back and rebuilt."""
    return rebuild_exception(json.loads(json.dumps(exception_record(exc))))


class _NeedsItsFields(ValueError):
    """Like pydantic's ValidationError: created only from values it does not keep in ``args``."""

    def __new__(cls, title: str, line_errors: list[Any]) -> _NeedsItsFields:
        self = super().__new__(cls)
        self._text = f"{len(line_errors)} validation error for {title}"
        return self

    def __init__(self, title: str, line_errors: list[Any]) -> None:
        pass  # (args stay empty, as pydantic's)

    def __str__(self) -> str:
        return self._text


def test_an_exception_its_class_cannot_create_again_stands_in_as_recorded_error() -> None:
    # Expected (docs/reference/exceptions.md, RecordedError): an exception that cannot be
    # rebuilt as its own class stands in with its type name and message. Before the fix: the
    # fallback obj.__new__(obj) was not guarded and every replay crashed inside the plugin
    # with "TypeError: __new__() missing 2 required positional arguments".
    rebuilt = _replayed(_NeedsItsFields("WeatherArgs", [{"type": "int_parsing"}]))
    assert type(rebuilt) is RecordedError
    assert rebuilt.type_name == f"{__name__}._NeedsItsFields"
    assert rebuilt.message == "1 validation error for WeatherArgs"
    assert "its class cannot be created again from what was recorded (TypeError: " in str(rebuilt)
    assert "an except clause for that class does not catch it" in str(rebuilt)
    # re-recording records the same exception: the fix is to let it be raised live
    assert "mock the function under this one" in str(rebuilt)
    assert "re-record" not in str(rebuilt)


def test_a_pydantic_validation_error_is_rebuilt_as_itself() -> None:
    # pydantic's ValidationError keeps neither its title nor its errors in args: the record
    # keeps them, and it is made from them (tests/unit/test_validation_error_rebuild.py)
    pydantic = pytest.importorskip("pydantic")

    class WeatherArgs(pydantic.BaseModel):
        city: str
        days: int

    with pytest.raises(pydantic.ValidationError) as raised:
        WeatherArgs.model_validate({"city": "Paris", "days": "three"})
    rebuilt = _replayed(raised.value)
    assert type(rebuilt) is type(raised.value)
    assert str(rebuilt) == str(raised.value)


def _os_error(call: Any, *args: str) -> OSError:
    with pytest.raises(OSError) as raised:
        call(*args)
    return raised.value


@pytest.mark.parametrize(
    "error",
    [
        FileNotFoundError(2, "No such file or directory", "/srv/data/report.csv"),
        pytest.param(_os_error(open, "/nonexistent/report.csv"), id="open"),
        pytest.param(_os_error(os.rename, "/nonexistent/a", "/nonexistent/b"), id="rename"),
    ],
    ids=lambda e: type(e).__name__,
)
def test_a_file_error_keeps_its_file_names_and_its_text(error: OSError) -> None:
    # Expected (checkpoint-format.md, error: "Replay raises it again"): the same text. Before
    # the fix: OSError's filename and filename2 (neither in args nor in __dict__) were not
    # recorded; "[Errno 2] No such file or directory: '/srv/data/report.csv'" replayed as
    # "[Errno 2] No such file or directory", and an agent reporting it to the LLM diverged at
    # its first replay, whatever it re-recorded.
    rebuilt = _replayed(error)
    assert type(rebuilt) is type(error)
    assert str(rebuilt) == str(error)
    assert isinstance(rebuilt, OSError)
    assert (rebuilt.errno, rebuilt.strerror) == (error.errno, error.strerror)
    assert (rebuilt.filename, rebuilt.filename2) == (error.filename, error.filename2)


def test_an_import_error_keeps_the_name_of_the_missing_module() -> None:
    with pytest.raises(ImportError) as raised:
        import a_module_that_is_not_installed  # type: ignore[import-not-found]  # noqa: F401
    rebuilt = _replayed(raised.value)
    assert type(rebuilt) is ModuleNotFoundError
    assert str(rebuilt) == str(raised.value)
    assert rebuilt.name == "a_module_that_is_not_installed"  # type: ignore[attr-defined]


def test_an_import_error_keeps_the_path_of_the_module_it_imported_from() -> None:
    error = ImportError("cannot import name 'x' from 'm'", name="m", path="/srv/app/m.py")
    rebuilt = _replayed(error)
    assert type(rebuilt) is ImportError and str(rebuilt) == str(error)
    assert (rebuilt.name, rebuilt.path) == ("m", "/srv/app/m.py")  # type: ignore[attr-defined]


class _Pool:
    """A value only a pickle could store (an exception record holds none: a placeholder)."""

    def __str__(self) -> str:
        return "HTTPConnectionPool(host='127.0.0.1', port=9): Max retries exceeded"


class _ConnectionError(OSError):
    """Like requests.exceptions.ConnectionError: its one argument is urllib3's error."""


def test_an_argument_stored_as_a_placeholder_keeps_the_text_it_gave() -> None:
    # Before the fix: the argument came back as its placeholder, and the exception's text
    # became the placeholder's ("<...Pool object>", requests' "MaxRetryError('HTTPConnection
    # Pool(host=\'127.0.0.1\' ...')") in place of the recorded one
    error = _ConnectionError(_Pool())
    rebuilt = _replayed(error)
    assert type(rebuilt) is _ConnectionError
    assert str(rebuilt) == str(error)


def test_an_argument_stored_as_a_placeholder_keeps_the_arguments_after_it() -> None:
    error = ValueError(threading.Lock(), 2)
    rebuilt = _replayed(error)
    # (its text as recorded: without the lock's address, another at every run)
    assert isinstance(rebuilt, ValueError)
    assert str(rebuilt) == str(error).replace(f" at {hex(id(error.args[0]))}", "")
    assert str(rebuilt) == "(<unlocked _thread.lock object>, 2)"
    assert rebuilt.args[1:] == (2,)


class _ServiceError(Exception):
    """An ``__init__`` that builds its message: rebuilt from its ``args``, it reads otherwise."""

    def __init__(self, code: int) -> None:
        self.code = code
        super().__init__(f"the service answered {code}")


def test_an_exception_whose_text_differs_when_rebuilt_reads_as_recorded() -> None:
    # Before the fix: "the service answered the service answered 503"
    error = _ServiceError(503)
    rebuilt = _replayed(error)
    assert str(rebuilt) == "the service answered 503"
    assert isinstance(rebuilt, _ServiceError)  # the agent's except clause still catches it
    assert type(rebuilt).__name__ == "_ServiceError"
    assert type(rebuilt).__module__ == __name__
    assert type(rebuilt).__qualname__ == "_ServiceError"
    assert rebuilt.code == 503  # type: ignore[attr-defined]


class _ReadsItsLock(Exception):
    """A ``__str__`` reading a value only a pickle could store (recorded as a placeholder)."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()

    def __str__(self) -> str:
        return f"locked: {self.lock.locked()}"


def test_an_exception_whose_str_fails_when_rebuilt_reads_as_recorded() -> None:
    rebuilt = _replayed(_ReadsItsLock())
    assert isinstance(rebuilt, _ReadsItsLock) and str(rebuilt) == "locked: False"


def _raised(code: str) -> BaseException:
    try:
        exec(code, {})
    except BaseException as exc:
        return exc
    raise AssertionError(f"{code!r} raised nothing")


STDLIB = [
    pytest.param(subprocess.TimeoutExpired(["sleep", "5"], 1.5, output=b"x"), id="TimeoutExpired"),
    pytest.param(subprocess.CalledProcessError(1, ["ls"], b"o", b"e"), id="CalledProcessError"),
    pytest.param(_raised("compile('a b', 'tool.py', 'exec')"), id="SyntaxError"),
    pytest.param(_raised("b'\\xff'.decode('utf-8')"), id="UnicodeDecodeError"),
    pytest.param(_raised("import json; json.loads('{\"a\": 1,}')"), id="JSONDecodeError"),
    pytest.param(KeyError("k"), id="KeyError"),
    pytest.param(_raised("{}['k']"), id="KeyError-raised"),
]


@pytest.mark.parametrize("error", STDLIB)
def test_stdlib_exceptions_come_back_as_themselves_with_their_text(error: BaseException) -> None:
    rebuilt = _replayed(error)
    assert type(rebuilt) is type(error)
    assert str(rebuilt) == str(error)
    assert rebuilt.args == error.args


@pytest.mark.skipif(sys.version_info < (3, 11), reason="add_note is 3.11+")
def test_a_rebuilt_exception_keeps_its_notes_and_cause_with_its_text() -> None:
    error = _ServiceError(503)
    error.add_note("while fetching the weather")  # type: ignore[attr-defined]
    error.__cause__ = FileNotFoundError(2, "No such file or directory", "/tmp/cache")
    rebuilt = _replayed(error)
    assert str(rebuilt) == "the service answered 503"
    assert rebuilt.__notes__ == ["while fetching the weather"]  # type: ignore[attr-defined]
    assert str(rebuilt.__cause__) == "[Errno 2] No such file or directory: '/tmp/cache'"


@pytest.mark.skipif(sys.version_info < (3, 11), reason="add_note is 3.11+")
def test_a_note_added_to_a_replayed_exception_leaves_its_record_as_it_was() -> None:
    error = KeyError("k")
    error.add_note("while reading the cache")  # type: ignore[attr-defined]
    record = json.loads(json.dumps(exception_record(error)))
    rebuild_exception(record).add_note("while answering")  # type: ignore[attr-defined]
    assert rebuild_exception(record).__notes__ == ["while reading the cache"]  # type: ignore[attr-defined]


class _Sealed(_ServiceError):
    """A class that refuses subclasses: its text cannot be made the recorded one."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        raise TypeError("sealed")


def test_a_class_refusing_subclasses_keeps_its_class_over_its_text() -> None:
    # (an except clause for the class still catching it matters more than its text)
    rebuilt = _replayed(_Sealed(503))
    assert type(rebuilt) is _Sealed
    assert rebuilt.code == 503  # type: ignore[attr-defined]


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is 3.11+")
def test_an_exception_group_comes_back_with_its_exceptions_nested_groups_too() -> None:
    # Before the fix: the group's exceptions were repr placeholders, and the group could not be
    # created again (RecordedError)
    inner = ExceptionGroup("inner", [_ServiceError(502), KeyError("k")])  # noqa: F821
    group = BaseExceptionGroup("outer", [inner, asyncio.CancelledError()])  # noqa: F821
    rebuilt = _replayed(group)
    assert type(rebuilt) is BaseExceptionGroup  # noqa: F821
    assert str(rebuilt) == "outer (2 sub-exceptions)"
    sub, cancelled = rebuilt.exceptions  # type: ignore[attr-defined]
    assert type(cancelled) is asyncio.CancelledError
    assert type(sub) is ExceptionGroup and str(sub) == "inner (2 sub-exceptions)"  # noqa: F821
    service, key = sub.exceptions
    assert isinstance(service, _ServiceError) and service.code == 502
    assert str(service) == "the service answered 502" and key.args == ("k",)


class _Aggregate(Exception):
    """Keeps exceptions and derives as a group does, but is made of its message alone."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.exceptions = (KeyError("k"),)

    def derive(self, exceptions: Any) -> _Aggregate:
        return _Aggregate(str(self))


def test_an_exception_shaped_like_a_group_but_made_otherwise_is_rebuilt_as_itself() -> None:
    rebuilt = _replayed(_Aggregate("two tools failed"))
    assert type(rebuilt) is _Aggregate and str(rebuilt) == "two tools failed"


class _CodedAggregate(_Aggregate):
    """As :class:`_Aggregate`, made of its message and a code."""

    def __init__(self, message: str, code: Any) -> None:
        Exception.__init__(self, message, code)
        self.exceptions = (KeyError("k"),)


def test_an_exception_shaped_like_a_group_of_two_arguments_is_recorded_and_rebuilt() -> None:
    # Before the fix: recording it raised "TypeError: 'int' object is not iterable" in place
    # of the exception (its second argument was taken for a group's exceptions)
    rebuilt = _replayed(_CodedAggregate("two tools failed", 2))
    assert type(rebuilt) is _CodedAggregate and rebuilt.args == ("two tools failed", 2)


def test_an_exception_shaped_like_a_group_of_other_arguments_is_rebuilt_as_itself() -> None:
    error = _CodedAggregate("two tools failed", ["search", "fetch"])
    rebuilt = _replayed(error)
    assert type(rebuilt) is _CodedAggregate and rebuilt.args == error.args


@pytest.mark.skipif(sys.version_info < (3, 11), reason="add_note and ExceptionGroup are 3.11+")
def test_a_record_holds_what_the_file_format_says_and_nothing_more() -> None:
    """(docs/reference/checkpoint-format.md, ``error``: a ``base`` only for a class no import
    path reaches, an exception group's ``args`` its message only, notes under ``notes``)"""
    noted = KeyError("k")
    noted.add_note("while reading the cache")  # type: ignore[attr-defined]
    record = exception_record(noted)
    assert "base" not in record and "attributes" not in record
    noted.add_note("while answering")  # type: ignore[attr-defined]  # (after it was recorded)
    assert record["notes"] == ["while reading the cache"]
    group = ExceptionGroup("tools", [KeyError("k")])  # noqa: F821
    assert json.loads(json.dumps(exception_record(group)))["args"] == {
        "__cs__": "tuple",
        "v": ["tools"],
    }


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup is 3.11+")
def test_an_exception_of_a_group_comes_back_with_its_causes() -> None:
    error: BaseException | None = None
    for level in range(6):
        raised = ValueError(str(level))
        raised.__cause__, error = error, raised
    assert error is not None
    (member,) = _replayed(ExceptionGroup("tools", [error])).exceptions  # type: ignore[attr-defined]  # noqa: F821
    chain = []
    while member is not None:
        chain.append(str(member))
        member = member.__cause__
    assert chain == ["5", "4", "3", "2"]


def _made_in_a_function() -> type[Exception]:
    class LocalError(_ServiceError):
        pass

    return LocalError


def test_an_exception_of_a_class_no_import_reaches_is_caught_by_its_base() -> None:
    # Before the fix: RecordedError ("its class could not be imported"), which an except
    # clause for its base did not catch
    rebuilt = _replayed(_made_in_a_function()(503))
    assert isinstance(rebuilt, _ServiceError) and rebuilt.code == 503
    assert type(rebuilt).__name__ == "LocalError"
    assert str(rebuilt) == "the service answered 503"


def test_a_caught_pytest_skip_is_refused_though_its_class_says_it_is_a_builtin() -> None:
    # pytest.skip's class says its module is builtins, where it cannot be imported from: it is
    # told by its recorded base (a recording refuses it, a replay does not raise it)
    record = exception_record(pytest.skip.Exception("no network"))
    assert not_raised_again(record) is not None
    assert type(rebuild_exception(record)) is RecordedError


class _Slotted(Exception):
    """An exception keeping its fields in ``__slots__``, not in its ``__dict__``."""

    __slots__ = ("retry_after", "status")

    def __init__(self, message: str, status: int, retry_after: float) -> None:
        super().__init__(message)
        self.status = status
        self.retry_after = retry_after


def test_an_exception_keeping_its_fields_in_slots_comes_back_with_them() -> None:
    # Before the fix: only its __dict__ was recorded; replayed, `exc.retry_after` raised
    # AttributeError in the agent's except clause
    rebuilt = _replayed(_Slotted("rate limited", 429, 2.5))
    assert type(rebuilt) is _Slotted and str(rebuilt) == "rate limited"
    assert (rebuilt.status, rebuilt.retry_after) == (429, 2.5)


class _OneSlot(Exception):
    """``__slots__`` given as one name, a string."""

    __slots__ = "status"

    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


def test_an_exception_whose_slots_are_one_name_comes_back_with_it() -> None:
    rebuilt = _replayed(_OneSlot("unavailable", 503))
    assert type(rebuilt) is _OneSlot and rebuilt.status == 503


def _local_value_error() -> type[Exception]:
    class LocalValueError(ValueError):
        pass

    return LocalValueError


def test_a_stand_in_keeps_the_recorded_module_not_its_bases() -> None:
    rebuilt = _replayed(_local_value_error()("bad"))
    assert isinstance(rebuilt, ValueError) and type(rebuilt).__name__ == "LocalValueError"
    assert type(rebuilt).__module__ == __name__


def test_a_stand_in_keeps_the_recorded_qualified_name_and_records_as_it_was() -> None:
    record = json.loads(json.dumps(exception_record(_local_value_error()("bad"))))
    rebuilt = rebuild_exception(record)
    assert type(rebuilt).__qualname__ == "_local_value_error.<locals>.LocalValueError"
    assert exception_record(rebuilt)["type"] == record["type"]


def test_a_stand_in_is_made_on_an_exception_class_only() -> None:
    # (a golden edited to give a base that is no exception: the import error is told)
    record = {
        "type": "Down",
        "module": "a_module_that_is_not_installed",
        "message": "down",
        "base": {"type": "JSONDecoder", "module": "json"},
    }
    rebuilt = rebuild_exception(record)
    assert type(rebuilt) is RecordedError
    assert "its class could not be imported: No module named 'a_module_that_is_not_installed'" in (
        str(rebuilt)
    )


class Outer:
    class Formatting(Exception):
        """Its text is made from its argument: rebuilt from ``args``, it would read otherwise."""

        def __init__(self, code: Any) -> None:
            super().__init__(f"code {code}")


def test_an_exception_made_to_read_as_recorded_keeps_its_qualified_name() -> None:
    rebuilt = _replayed(Outer.Formatting(5))
    assert str(rebuilt) == "code 5" and isinstance(rebuilt, Outer.Formatting)
    assert type(rebuilt).__qualname__ == "Outer.Formatting"


def test_a_builtin_exception_is_named_by_its_bare_name() -> None:
    from pytest_clearstone.golden.recorded_errors import recorded_name

    assert recorded_name({"type": "ValueError", "module": "builtins"}) == "ValueError"
    assert recorded_name({"type": "Down", "module": "app.errors"}) == "app.errors.Down"


def test_a_recorded_keyboard_interrupt_is_not_raised_again() -> None:
    record = {"type": "KeyboardInterrupt", "module": "builtins", "message": "", "args": []}
    assert not_raised_again(record) is not None
    assert type(rebuild_exception(record)) is RecordedError


def test_causes_are_rebuilt_to_the_recorded_depth_only() -> None:
    from pytest_clearstone.tracing.span import CAUSE_DEPTH

    record: dict[str, Any] = {"type": "ValueError", "module": "builtins", "message": "9"}
    for level in range(8, -1, -1):  # (a golden edited to nest deeper than any recording)
        record = {**record, "message": str(level), "args": [str(level)], "cause": record}
    chain: BaseException | None = rebuild_exception(record)
    depth = 0
    while chain is not None:
        depth += 1
        chain = chain.__cause__
    assert depth == CAUSE_DEPTH


def test_a_chain_of_causes_is_recorded_four_exceptions_deep() -> None:
    """(docs/reference/checkpoint-format.md: "four exceptions of a chain at most")"""
    error: BaseException | None = None
    for level in range(6):
        raised = ValueError(str(level))
        raised.__cause__, error = error, raised
    assert error is not None
    record: dict[str, Any] | None = exception_record(error)
    depth = 0
    while record is not None:
        depth, record = depth + 1, record.get("cause")
    assert depth == 4


def test_a_call_cut_off_by_a_trio_cancel_scope_replays_as_a_clear_error() -> None:
    from pytest_clearstone.golden.recorded_errors import replayed_error

    error = replayed_error({"type": "Cancelled", "module": "trio", "message": ""}, False)
    assert type(error) is RecordedError and "trio cancel scope" in str(error)
    assert "Mock the async function that makes the call" in str(error)


@pytest.mark.parametrize("module", ["httpx", "httpx2"])
def test_an_http_errors_request_is_recorded_without_the_headers_naming_the_machine(
    module: str,
) -> None:
    # The client's own User-Agent and Accept-Encoding (br, zstd: what is installed) are
    # written capitalised: an HTTPStatusError's request (held alone, and by its response)
    # would otherwise change its golden on another machine or after an httpx upgrade.
    httpx = pytest.importorskip(module)
    transport = httpx.MockTransport(lambda request: httpx.Response(503, text="down"))
    with httpx.Client(transport=transport) as client:
        response = client.get("https://api.example/v1/items", headers={"X-Trace": "t1"})
    assert {b"User-Agent", b"Accept-Encoding"} <= {n for n, _ in response.request.headers.raw}
    with pytest.raises(httpx.HTTPStatusError) as caught:
        response.raise_for_status()
    record = json.loads(json.dumps(exception_record(caught.value)))
    stored = json.dumps(record["attributes"]).lower()
    assert stored.count('"x-trace"') == 2  # (the error's request, and its response's)
    assert '"user-agent"' not in stored and '"accept-encoding"' not in stored
    rebuilt = rebuild_exception(record)
    assert type(rebuilt) is httpx.HTTPStatusError
    for request in (rebuilt.request, rebuilt.response.request):
        names = [name.lower() for name in request.headers]
        assert "x-trace" in names
        assert "user-agent" not in names and "accept-encoding" not in names


def test_a_record_without_its_arguments_is_rebuilt_with_its_message_as_argument() -> None:
    # (a golden written by hand, or by an earlier version: an agent reading exc.args[0])
    rebuilt = rebuild_exception({"type": "ValueError", "module": "builtins", "message": "bad"})
    assert type(rebuilt) is ValueError and rebuilt.args == ("bad",)


def test_an_exception_whose_arguments_are_edited_to_no_sequence_is_a_recorded_error() -> None:
    # (a golden edited by hand: its args a number, not a list)
    record = {"type": "ValueError", "module": "builtins", "message": "bad", "args": 5}
    rebuilt = rebuild_exception(record)
    assert type(rebuilt) is RecordedError
    assert "its arguments or attributes could not be decoded: " in str(rebuilt)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="ExceptionGroup")
def test_an_exception_group_edited_to_hold_what_is_no_exception_keeps_the_others() -> None:
    import builtins

    group = builtins.ExceptionGroup("tools", [KeyError("k")])  # type: ignore[attr-defined]
    record = json.loads(json.dumps(exception_record(group)))
    record["exceptions"].append("not an exception")
    rebuilt = rebuild_exception(record)
    assert type(rebuilt) is type(group)
    assert [type(e) for e in rebuilt.exceptions] == [KeyError]


def test_a_record_without_its_message_reads_as_its_arguments() -> None:
    # (a golden written by hand: its message is not taken to be "")
    record = json.loads(json.dumps(exception_record(ValueError("bad", 2))))
    del record["message"]
    assert str(rebuild_exception(record)) == "('bad', 2)"
    record = json.loads(json.dumps(exception_record(ValueError(threading.Lock()))))
    del record["message"]
    assert "_thread.lock" in str(rebuild_exception(record))


def test_a_record_naming_what_is_no_class_is_not_refused_when_recorded() -> None:
    # (its name is bound to a function now: the recording raised it, so it can be replayed)
    assert not_raised_again({"type": "dumps", "module": "json", "message": "x"}) is None


def test_a_record_with_no_module_names_its_class_bare() -> None:
    rebuilt = rebuild_exception({"type": "NoSuchError", "message": "m"})
    assert type(rebuilt) is RecordedError and rebuilt.type_name == "NoSuchError"


class _ScriptError(Exception):
    """An exception class of a script run as ``__main__`` (``python agent_script.py``)."""


def test_an_exception_class_of_the_running_main_script_comes_back_as_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # (it is imported already: looking it up runs nothing; only a package's __main__ not
    # imported yet is refused, as importing it would run it)
    monkeypatch.setattr(sys.modules["__main__"], "ScriptError", _ScriptError, raising=False)
    record = {"type": "ScriptError", "module": "__main__", "message": "boom", "args": None}
    rebuilt = rebuild_exception(record)
    assert type(rebuilt) is _ScriptError and str(rebuilt) == "boom"


def test_an_exception_is_named_by_the_package_exporting_it_not_its_private_module() -> None:
    """A golden names a recorded exception's class as it names any class (see
    ``test_public_class_names.py``): by the nearest package exporting it (``openai``), not the
    private module it is written in (``openai._exceptions``, ``pydantic_core._pydantic_core``),
    which a release may move. A record naming the private module (an older golden) still
    rebuilds the same class."""
    import openai
    import pydantic

    class Answer(pydantic.BaseModel):
        n: int

    try:
        Answer(n="x")  # type: ignore[arg-type]
    except pydantic.ValidationError as exc:
        invalid = exc
    request = openai.DefaultHttpxClient().build_request("GET", "https://a.test")
    for exc, module in (
        (openai.OpenAIError("down"), "openai"),
        (openai.APIConnectionError(request=request), "openai"),
        (invalid, "pydantic_core"),
    ):
        record = exception_record(exc)
        assert (record["module"], record["type"]) == (module, type(exc).__name__)
        assert type(_replayed(exc)) is type(exc)
        old = {**json.loads(json.dumps(record)), "module": type(exc).__module__}
        assert type(rebuild_exception(old)) is type(exc)


def test_an_attribute_holding_the_exception_raised_from_comes_back_as_that_cause() -> None:
    """SQLAlchemy's ``IntegrityError`` keeps the driver's error both as its cause and in
    ``orig`` (agents branch on ``exc.orig``); ``orig`` came back as a placeholder
    (``StoredRepr: IntegrityError('UNIQUE constraint failed: t.id')``), so a replay of an
    unchanged agent failed."""
    sqlalchemy = pytest.importorskip("sqlalchemy")
    import sqlite3

    engine = sqlalchemy.create_engine("sqlite://")
    with engine.begin() as conn:
        conn.execute(sqlalchemy.text("CREATE TABLE t (id INTEGER PRIMARY KEY)"))
        conn.execute(sqlalchemy.text("INSERT INTO t VALUES (1)"))
        with pytest.raises(sqlalchemy.exc.IntegrityError) as raised:
            conn.execute(sqlalchemy.text("INSERT INTO t VALUES (:i)"), {"i": 1})
    engine.dispose()
    rebuilt = _replayed(raised.value)
    assert type(rebuilt) is sqlalchemy.exc.IntegrityError
    assert type(rebuilt.orig) is sqlite3.IntegrityError  # type: ignore[attr-defined]
    assert rebuilt.orig is rebuilt.__cause__  # type: ignore[attr-defined]
    assert str(rebuilt.orig) == "UNIQUE constraint failed: t.id"  # type: ignore[attr-defined]
    assert rebuilt.orig.sqlite_errorname == "SQLITE_CONSTRAINT_PRIMARYKEY"  # type: ignore[attr-defined]
    assert rebuilt.params == (1,) and str(rebuilt) == str(raised.value)


class _Wrapped(RuntimeError):
    def __init__(self, message: str, orig: BaseException | None) -> None:
        super().__init__(message)
        self.orig = orig


def test_an_attribute_holding_an_exception_not_raised_from_stays_a_placeholder() -> None:
    inner = KeyError("k")
    error = _Wrapped("tool failed", inner)
    rebuilt = _replayed(error)
    assert type(rebuilt) is _Wrapped and rebuilt.__cause__ is None
    assert type(rebuilt.orig).__name__ == "StoredRepr"
    error.__cause__ = inner
    rebuilt = _replayed(error)
    assert type(rebuilt.orig) is KeyError and rebuilt.orig is rebuilt.__cause__


def test_a_placeholder_of_the_cause_recorded_before_cause_attributes_comes_back_as_it() -> None:
    error = _Wrapped("tool failed", KeyError("k"))
    error.__cause__ = error.orig
    record = json.loads(json.dumps(exception_record(error)))
    del record["cause_attributes"]  # (as recorded before: the attribute as a placeholder)
    record["attributes"] = {"orig": {"__cs__": "repr", "type": "KeyError", "v": "KeyError('k')"}}
    rebuilt = rebuild_exception(record)
    assert type(rebuilt.orig) is KeyError and rebuilt.orig is rebuilt.__cause__  # type: ignore[attr-defined]
    record["attributes"]["orig"]["v"] = "KeyError('other')"
    assert type(rebuild_exception(record).orig).__name__ == "StoredRepr"  # type: ignore[attr-defined]


def test_the_attribute_holding_the_cause_is_recorded_once_as_the_cause() -> None:
    # (the cause's record names the attribute: no placeholder of it beside, no name list where
    # no attribute holds the cause)
    error = _Wrapped("tool failed", KeyError("k"))
    error.__cause__ = error.orig
    record = exception_record(error)
    assert record["cause_attributes"] == ["orig"]
    assert "attributes" not in record
    error.orig = None
    assert "cause_attributes" not in exception_record(error)


def test_an_attribute_holding_a_cause_past_the_recorded_depth_stays_a_placeholder() -> None:
    # (the cause is not recorded there: the attribute keeps what can be stored of it)
    from pytest_clearstone.tracing.span import CAUSE_DEPTH

    error = _Wrapped("tool failed", KeyError("k"))
    error.__cause__ = error.orig
    record = exception_record(error, depth=CAUSE_DEPTH)
    assert "cause" not in record and "cause_attributes" not in record
    assert record["attributes"]["orig"]["v"] == "KeyError('k')"
