"""numpy arrays stored readably, and the equality of the array values of numpy and pandas.

An array of booleans, integers or floats (of at most 64 bits) is stored as its dtype, its shape
and its values as nested lists (:func:`readable_array`), and read back as the same array
(:func:`array_from`): a golden shows its numbers, and a mocked call given one compares it by its
values. A numpy number of those dtypes (``float32``, ``int64``, ``bool``) is stored as its dtype
and its value (:func:`readable_scalar`). Arrays and numbers of other dtypes (text, objects,
dates, records) are left to a pickle.

The ``==`` of numpy and pandas values is elementwise: an array (or a frame) of booleans, whose
truth is ambiguous, where a replay's comparison needs one answer.

Recognised by their class's module, without importing either library: a value of theirs means
the library is already loaded. Two such values are equal when their library's strictest
comparison says so — the same dtype, shape and values for a numpy array (and mask, for a
masked one), a NaN equal to a NaN in the same place; for a pandas frame, series, index or
extension array, also its labels, names and column dtypes (``pandas.testing``, exact).
"""

from __future__ import annotations

import importlib
from typing import Any

#: the ``pandas.testing`` check of each pandas class compared by value, by class name (a subclass
#: of these is looked up by its bases)
_PANDAS_CHECKS = {
    "DataFrame": "assert_frame_equal",
    "Series": "assert_series_equal",
    "Index": "assert_index_equal",
    "ExtensionArray": "assert_extension_array_equal",
}


#: the dtype kinds of the arrays stored readably: booleans, signed and unsigned integers, floats
_READABLE_KINDS = frozenset("biuf")


def readable_array(value: Any) -> tuple[str, list[int], Any] | None:
    """A numpy array of plain numbers as its dtype (its name, ``"float32"``, or for another
    byte order than the machine's its code, ``">f4"``), its shape and its values (nested lists
    of Python numbers, which hold them exactly); ``None`` for another value."""
    t = type(value)
    if t.__name__ != "ndarray" or t.__module__ != "numpy":
        return None
    dtype = value.dtype
    if dtype.kind not in _READABLE_KINDS or dtype.itemsize > 8 or dtype.fields is not None:
        return None  # (a long double has no exact Python number; records: a pickle)
    return _named(dtype), list(value.shape), value.tolist()


def readable_scalar(value: Any) -> tuple[str, Any] | None:
    """A numpy number or truth value (``float32``, ``int64``, ``bool``: what indexing an array
    or reducing it gives) as its dtype, named as :func:`readable_array` names it, and its value
    as a Python number; ``None`` for another value."""
    t = type(value)
    if t.__module__ != "numpy" or t.__name__ == "ndarray":
        return None
    dtype = getattr(value, "dtype", None)
    if dtype is None or dtype.kind not in _READABLE_KINDS or dtype.itemsize > 8:
        return None
    return _named(dtype), value.item()


def dtype_name(value: Any) -> str:
    """The dtype of a numpy array or number (a masked array's too), named as
    :func:`readable_array` names it, else ``""``: what tells apart two arrays a delta shows
    alike."""
    if type(value).__module__.partition(".")[0] != "numpy":
        return ""
    dtype = getattr(value, "dtype", None)
    return "" if dtype is None else _named(dtype)


def _named(dtype: Any) -> str:
    """``"float32"``; for another byte order than the machine's, its code (``">f4"``)."""
    return str(dtype.name if dtype.isnative else dtype.str)


def scalar_from(dtype: Any, value: Any) -> Any:
    """The numpy number :func:`readable_scalar` stored."""
    return _readable_dtype(dtype).type(value)


def _readable_dtype(dtype: Any) -> Any:
    numpy = importlib.import_module("numpy")  # (a golden holds one of its values)
    readable = numpy.dtype(dtype)
    if readable.kind not in _READABLE_KINDS or readable.itemsize > 8:
        raise ValueError(f"{dtype!r} is not a dtype stored readably")
    return readable


def array_from(dtype: Any, shape: Any, values: Any) -> Any:
    """The array :func:`readable_array` stored (numpy imported: a golden holds one)."""
    readable = _readable_dtype(dtype)
    numpy = importlib.import_module("numpy")
    return numpy.array(values, dtype=readable).reshape([int(n) for n in shape])


def equal_by_value(a: Any, b: Any) -> bool | None:
    """Whether ``a`` and ``b``, of one type whose ``==`` is elementwise (a numpy array, a pandas
    frame), hold the same values; ``None`` when ``a`` is not such a value."""
    t = type(a)
    root = t.__module__.partition(".")[0]
    if root == "numpy":
        return _same_array(a, b) if hasattr(a, "dtype") and hasattr(a, "shape") else None
    if root == "pandas":
        return _same_pandas(a, b)
    return None


def _same_array(a: Any, b: Any) -> bool:
    numpy = importlib.import_module("numpy")  # (loaded: ``a`` is one of its arrays)
    if type(a) is not type(b) or a.dtype != b.dtype or a.shape != b.shape:
        return False
    # (a masked array's mask, which array_equal leaves out: a value masked since is a change;
    # only for one: getmaskarray makes a whole array of False for a plain array)
    masked = type(a).__name__ == "MaskedArray"
    if masked and not numpy.array_equal(numpy.ma.getmaskarray(a), numpy.ma.getmaskarray(b)):
        return False
    try:
        return bool(numpy.array_equal(a, b, equal_nan=True))
    except TypeError:  # (a dtype with no NaN: text, objects, records)
        pass
    try:
        return bool(numpy.array_equal(a, b))
    except Exception:  # (items whose own == is ambiguous: a delta tells)
        return False


def _same_pandas(a: Any, b: Any) -> bool | None:
    check_name = next(
        (_PANDAS_CHECKS[c.__name__] for c in type(a).__mro__ if c.__name__ in _PANDAS_CHECKS),
        None,
    )
    if check_name is None:
        return None
    if type(a) is not type(b):
        return False
    testing = importlib.import_module("pandas.testing")  # (pandas is loaded: ``a`` is its)
    check = getattr(testing, check_name)
    try:
        check(a, b, check_exact=True)
    except Exception:  # (an AssertionError naming the difference: a delta tells)
        return False
    return True


def array_view(value: Any) -> Any:
    """A numpy array as a delta can show its changes (deepdiff cannot walk an array of no
    dimensions, which has no items, nor compare the cells of one of texts, bytes, objects or
    records: it tells two such arrays apart as a whole): one of no dimensions (``np.array(1.5)``)
    as its one value, ``np.float64(1.5)``; one of those dtypes as its values in nested lists, a
    record as a dict by field name (``[1]['score']``, as numpy indexes it); a masked array as
    its values in nested lists, a masked one as ``None``; ``value`` itself otherwise."""
    t = type(value)
    if t.__name__ == "MaskedArray" and t.__module__.partition(".")[0] == "numpy":
        return value.tolist()  # (a masked value as None)
    if t.__name__ != "ndarray" or t.__module__ != "numpy":
        return value
    if value.ndim == 0:
        return value[()]
    names = value.dtype.names
    if names is not None:
        return _records(value.tolist(), names, value.ndim)
    return value.tolist() if value.dtype.kind in "OSU" else value


def _records(items: Any, names: tuple[str, ...], depth: int) -> Any:
    if depth == 0:
        return dict(zip(names, items, strict=True))
    return [_records(item, names, depth - 1) for item in items]


def cells_view(value: Any) -> dict[Any, Any] | None:
    """The cells of a pandas frame or series, as a delta shows and compares them: a frame's as
    ``{column: {index label: value}}``, a series' as ``{index label: value}``; ``None`` for
    another value (a numpy array, which a delta walks itself)."""
    if type(value).__module__.partition(".")[0] != "pandas":
        return None
    names = {c.__name__ for c in type(value).__mro__}
    if "DataFrame" in names:
        return {column: dict(cells.items()) for column, cells in value.items()}
    if "Series" in names:
        return dict(value.items())
    return None


def layout_changes(a: Any, b: Any) -> list[tuple[tuple[str, ...], tuple[Any, ...], Any, Any]]:
    """What differs between two pandas frames or series of one type besides their cells, which
    :func:`cells_view` shows by column and label and so cannot tell: the dtype of each column
    that differs (``dtypes['day']: 'datetime64[ns, America/New_York]' -> 'datetime64[ns,
    UTC]'``) or a series' dtype, the order of their columns or rows, the names of their index
    levels, a series' name. Each as the attributes leading to it (``("index", "names")``), the
    key under them (a column's label, or none) and both sides; none for other values."""
    if cells_view(a) is None or type(a) is not type(b):
        return []
    changes: list[tuple[tuple[str, ...], tuple[Any, ...], Any, Any]] = []
    if hasattr(a, "columns"):  # (a frame)
        dtypes_a, dtypes_b = dict(a.dtypes.items()), dict(b.dtypes.items())
        for column, dtype in dtypes_a.items():
            if column in dtypes_b and dtype != dtypes_b[column]:
                changes.append((("dtypes",), (column,), *_dtype_texts(dtype, dtypes_b[column])))
        _reordered(("columns",), list(a.columns), list(b.columns), changes)
    else:  # (a series)
        if a.dtype != b.dtype:
            changes.append((("dtype",), (), *_dtype_texts(a.dtype, b.dtype)))
        if not _same_labels([a.name], [b.name]):
            changes.append((("name",), (), a.name, b.name))
    _reordered(("index",), list(a.index), list(b.index), changes)
    if not _same_labels(list(a.index.names), list(b.index.names)):
        changes.append((("index", "names"), (), list(a.index.names), list(b.index.names)))
    return changes


def _dtype_texts(a: Any, b: Any) -> tuple[str, str]:
    """Two unequal dtypes as a delta names them: by their names (``'datetime64[ns, UTC]'``),
    or, where the names are one (a categorical's are ``'category'`` whatever its categories),
    by their reprs, which hold the categories and whether they are ordered."""
    old, new = str(a), str(b)
    return (repr(a), repr(b)) if old == new else (old, new)


def _same_labels(a: list[Any], b: list[Any]) -> bool:
    """Whether two lists of labels or names are equal, a NaN to a NaN (never ``==`` itself:
    a series named NaN, or a float index holding one, kept as it was)."""
    return len(a) == len(b) and all(
        x == y or (x != x and y != y) for x, y in zip(a, b, strict=True)
    )


def _reordered(
    steps: tuple[str, ...],
    a: list[Any],
    b: list[Any],
    changes: list[tuple[tuple[str, ...], tuple[Any, ...], Any, Any]],
) -> None:
    """The labels ``a`` and ``b`` in another order, added to ``changes`` (labels added or
    removed are the cells' to show)."""
    try:
        reordered = not _same_labels(a, b) and sorted(map(repr, a)) == sorted(map(repr, b))
    except Exception:  # (labels whose == is ambiguous)
        return
    if reordered:
        changes.append((steps, (), a, b))
