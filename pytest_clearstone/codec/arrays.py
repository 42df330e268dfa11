"""Equality of the array values of numpy and pandas, whose ``==`` is elementwise: an array (or
a frame) of booleans, whose truth is ambiguous, where a replay's comparison needs one answer.

Recognised by their class's module, without importing either library: a value of theirs means
the library is already loaded. Two such values are equal when their library's strictest
comparison says so — the same dtype, shape and values for a numpy array, a NaN equal to a NaN in
the same place; for a pandas frame, series, index or extension array, also its labels, names and
column dtypes (``pandas.testing``, exact).
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
