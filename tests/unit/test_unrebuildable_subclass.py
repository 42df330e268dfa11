"""A subclass of ``str``/``int``/``float`` that the ``subclass`` tag cannot read back.

numpy's ``float64`` and ``str_`` are C subclasses of ``float`` and ``str`` with their own
``__new__``: ``float.__new__(numpy.float64, v)``, which reading the tag calls, is refused
("is not safe"). Such a value was stored under the tag anyway, and the golden could never be
read (re-recording wrote the same file). It is a value only a pickle can store: without the
opt-in the recording names it and the fixes; with pickles it records and replays.

``CFloat`` below is made the way numpy makes its types, a C type (``PyType_FromSpecWithBases``)
subclassing ``float`` with a ``tp_new`` of its own: another library's such number (numpy's own
numbers are stored readably, tag ``numpy``: ``tests/plugin/test_numpy_arrays_readable.py``).
"""

from __future__ import annotations

import ctypes
import numbers
import warnings
from typing import Any

import pytest

from pytest_clearstone import codec
from pytest_clearstone.codec.tags import Encoder, plain_conversion
from pytest_clearstone.errors import DecodeError, SerializationError, UnencodableValueWarning

_KEPT: list[bytes] = []


def _c_float_subclass(name: str) -> Any:
    """A C subclass of ``float`` whose ``tp_new`` is not float's (its values are all 0.0)."""

    class Slot(ctypes.Structure):
        _fields_ = [("slot", ctypes.c_int), ("pfunc", ctypes.c_void_p)]

    class Spec(ctypes.Structure):
        _fields_ = [
            ("name", ctypes.c_char_p),
            ("basicsize", ctypes.c_int),
            ("itemsize", ctypes.c_int),
            ("flags", ctypes.c_uint),
            ("slots", ctypes.POINTER(Slot)),
        ]

    api = ctypes.pythonapi
    tp_new, basetype, version_tag = 65, 1 << 10, 1 << 18  # (Py_tp_new, Py_TPFLAGS_*)
    new = ctypes.cast(api.PyType_GenericNew, ctypes.c_void_p).value
    slots = (Slot * 2)(Slot(tp_new, new), Slot(0, None))
    encoded = name.encode()
    _KEPT.append(encoded)  # (before 3.11 the type's name points into these bytes)
    spec = Spec(encoded, float.__basicsize__, 0, basetype | version_tag, slots)
    make = api.PyType_FromSpecWithBases
    make.restype, make.argtypes = ctypes.py_object, [ctypes.POINTER(Spec), ctypes.py_object]
    return make(ctypes.byref(spec), (float,))


CFloat = _c_float_subclass(f"{__name__}.CFloat")


def test_the_c_subclass_fails_as_numpy_float64_does() -> None:
    # (what this module's stand-in reproduces: the error of every replay of such a golden)
    with pytest.raises(TypeError, match=r"float.__new__\(.*CFloat\) is not safe"):
        float.__new__(CFloat, 0.5)


def test_a_subclass_the_tag_cannot_read_back_is_refused_without_pickles() -> None:
    # Expected (contract 6.2): without the pickle opt-in, a value only a pickle could store
    # fails the recording naming its path, its type and the fixes. Before the fix: it was
    # stored as {"__cs__": "subclass", "cls": "...:CFloat", "base": "float"}, which no reading
    # could decode ("float.__new__(CFloat) is not safe").
    with pytest.raises(SerializationError) as refused:
        Encoder(strict=True, allow_pickle=False).encode({"score": CFloat()})
    message = str(refused.value)
    assert message.startswith(f"cannot serialise root['score'] (a {__name__}.CFloat): ")
    assert "allow pickles" in message
    assert "pytest_clearstone.codec.register" in message
    assert "convert it with float() where it is made" in message


def test_without_pickles_a_lenient_encoding_stores_a_placeholder_never_an_unreadable_tag() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        tree = Encoder(allow_pickle=False).encode(CFloat())
    assert tree[codec.TAG] == "repr"
    assert [w.category for w in caught] == [UnencodableValueWarning]
    assert type(codec.decode(tree)) is codec.StoredRepr


def test_with_pickles_it_is_stored_and_read_back_as_itself() -> None:
    tree = codec.encode({"score": CFloat()})
    assert tree["score"][codec.TAG] == "pickle"
    value = codec.decode(tree, allow_pickle=True)["score"]
    assert type(value) is CFloat
    assert value == 0.0


class Money(float):
    """A Python subclass whose ``__new__`` wants more than the value: the tag, which reads it
    back without calling ``__new__``, still stores it."""

    __slots__ = ()

    def __new__(cls, value: float, currency: str) -> Money:
        return super().__new__(cls, value)


class Token(str):
    __slots__ = ()


@pytest.mark.parametrize("value", [Money(9.5, "EUR"), Token("abc")], ids=lambda v: type(v).__name__)
def test_a_python_subclass_is_still_stored_readably(value: Any) -> None:
    tree = Encoder(strict=True, allow_pickle=False).encode(value)
    assert tree[codec.TAG] == "subclass"
    back = codec.decode(tree)
    assert type(back) is type(value) and back == value


class BigCount:
    """Another library's integer that is no ``int`` (as gmpy2's ``mpz``): registered with
    ``numbers.Integral``, which is how such a library declares its integers."""

    def __init__(self, n: int) -> None:
        self.n = n

    def __int__(self) -> int:
        return self.n


numbers.Integral.register(BigCount)


def test_a_library_integer_only_a_pickle_could_store_is_refused_naming_int() -> None:
    # (the conversion named is the one that keeps its value: int(), not float())
    with pytest.raises(SerializationError) as refused:
        Encoder(strict=True, allow_pickle=False).encode({"total": BigCount(7)})
    message = str(refused.value)
    assert message.startswith(f"cannot serialise root['total'] (a {__name__}.BigCount): ")
    assert "or convert it with int() where it is made" in message


def test_a_numpy_text_only_a_pickle_could_store_is_refused_naming_str() -> None:
    import numpy

    with pytest.raises(SerializationError) as refused:
        Encoder(strict=True, allow_pickle=False).encode({"label": numpy.str_("refund")})
    assert "or convert it with str() where it is made" in str(refused.value)


def test_tolist_is_named_for_numpys_own_ndarray_only() -> None:
    import numpy

    assert plain_conversion(numpy.ndarray) == ".tolist()"
    assert plain_conversion(numpy.void) == ""  # (numpy's, no array)
    assert plain_conversion(type("ndarray", (), {"__module__": "app.vectors"})) == ""


def test_a_float_subclass_whose_stored_value_was_written_as_an_integer_reads_back() -> None:
    # (a golden edited by hand, "v": 10 for 10.0: JSON does not tell the two apart)
    tree = Encoder(strict=True, allow_pickle=False).encode(Money(10.0, "EUR"))
    tree["v"] = 10
    back = codec.loads(codec.dumps(tree))
    assert type(back) is Money and back == 10.0
    tree["v"] = "10"  # (text is no number: refused)
    with pytest.raises(DecodeError, match="bad stored"):
        codec.loads(codec.dumps(tree))
