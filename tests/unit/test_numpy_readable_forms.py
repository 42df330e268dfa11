"""The readable forms of numpy arrays and numbers, and how arrays and pandas values are compared:
booleans, signed and unsigned integers and floats of up to 8 bytes are stored as their dtype
(its code for another byte order), shape and values and read back exactly; another dtype (a long
double, text, complex numbers) is not stored readably and an edited tree naming one is refused.
Arrays are equal by dtype, shape and values (NaN equal to NaN); pandas values by
``pandas.testing`` with exact numbers, of one type."""

from __future__ import annotations

import warnings
from typing import Any

import pydantic
import pytest

from pytest_clearstone.codec import TAG, decode, encode
from pytest_clearstone.codec.arrays import cells_view, equal_by_value
from pytest_clearstone.errors import DecodeError

np = pytest.importorskip("numpy")


@pytest.mark.parametrize(
    ("array", "dtype"),
    [
        (np.array([[1, 2], [3, 4]], dtype="uint8"), "uint8"),
        (np.array([True, False]), "bool"),
        (np.array([[1.5], [2.5]], dtype="float32"), "float32"),
        (np.array([1.0, 2.0], dtype=">f4"), ">f4"),  # (not the machine's byte order)
        (np.array([0.1, 1e300]), "float64"),  # (numpy's default: 8 bytes, the most stored)
        (np.array([-(2**63), 2**63 - 1], dtype="int64"), "int64"),
    ],
    ids=["unsigned", "bool", "float32-2d", "big-endian", "float64", "int64"],
)
def test_an_array_of_plain_numbers_is_stored_readably_and_read_back_exactly(
    array: Any, dtype: str
) -> None:
    tree = encode(array, allow_pickle=False)
    assert tree == {TAG: "ndarray", "dtype": dtype, "shape": list(array.shape), "v": array.tolist()}
    back = decode(tree)
    assert back.dtype == array.dtype and back.shape == array.shape
    assert (back == array).all()


def test_an_array_or_number_of_long_doubles_is_not_stored_readably() -> None:
    long_double = np.dtype("longdouble")
    if long_double.itemsize <= 8:
        pytest.skip("long double is a double on this machine")
    assert encode(np.array([1.0], dtype=long_double), allow_pickle=True)[TAG] == "pickle"
    assert encode(long_double.type(1.0), allow_pickle=True)[TAG] == "pickle"


@pytest.mark.parametrize("dtype", ["complex128", "<U3", "float128", "object"])
def test_an_edited_array_of_a_dtype_not_stored_readably_is_refused(dtype: str) -> None:
    with pytest.raises(DecodeError, match="not a dtype stored readably"):
        decode({TAG: "ndarray", "dtype": dtype, "shape": [1], "v": [1]})
    with pytest.raises(DecodeError, match="not a dtype stored readably"):
        decode({TAG: "numpy", "dtype": dtype, "v": 1})


def test_arrays_are_equal_by_dtype_shape_and_values_nan_equal_to_nan() -> None:
    a = np.array([1.0, float("nan")])
    assert equal_by_value(a, np.array([1.0, float("nan")])) is True
    assert equal_by_value(a, a.astype("float32")) is False
    assert equal_by_value(np.array([1, 2]), np.array([[1, 2]])) is False
    assert equal_by_value(np.array([1, 2]), np.array([1, 3])) is False
    # (a masked array given for a plain one, or the other way: the same values, not the same)
    assert equal_by_value(np.ma.array([1, 2]), np.array([1, 2])) is False
    assert equal_by_value(np.array([1, 2]), np.ma.array([1, 2])) is False


def test_a_dtype_in_the_state_is_compared_as_a_value_not_as_an_array() -> None:
    """An agent keeping the dtype it builds its arrays with (``np.dtype("float32")``, which has
    a ``shape`` and no ``dtype``): the same one is no change, another one is."""
    from pytest_clearstone.diff import StateDelta

    dtype = np.dtype("float32")
    assert equal_by_value(dtype, np.dtype("float32")) is None  # (its own == answers)
    assert not StateDelta({"dtype": dtype}, {"dtype": np.dtype("float32")})
    assert StateDelta({"dtype": dtype}, {"dtype": np.dtype("float64")})


def test_pandas_values_are_equal_exactly_and_by_type() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"price": [1.0, 2.0]})
    assert equal_by_value(frame, pd.DataFrame({"price": [1.0, 2.0]})) is True
    assert equal_by_value(frame, pd.DataFrame({"price": [1.0, 2.0 + 1e-12]})) is False
    sub = type("Frame", (pd.DataFrame,), {})
    assert equal_by_value(frame, sub({"price": [1.0, 2.0]})) is False
    # (pandas.testing takes a RangeIndex and an Index of the same integers as equivalent, with
    # a deprecation warning, which a suite need not make an error)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        assert equal_by_value(pd.RangeIndex(2), pd.Index([0, 1])) is False


def test_a_frames_cells_are_shown_by_column_then_label() -> None:
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame({"price": [1.0, 2.0]}, index=["a", "b"])
    assert cells_view(frame) == {"price": {"a": 1.0, "b": 2.0}}
    assert cells_view(frame["price"]) == {"a": 1.0, "b": 2.0}
    assert cells_view(np.array([1])) is None


def _sales(pd: Any) -> Any:
    day = pd.to_datetime(["2024-03-10 01:00", "2024-03-10 03:00"]).as_unit("ns")
    day = day.tz_localize("America/New_York")
    return pd.DataFrame(
        {"day": day, "sku": pd.Categorical(["a", "b"]), "net": [9.5, float("nan")]},
        index=pd.Index([10, 11], name="order"),
    )


@pytest.mark.parametrize(
    ("change", "line"),
    [
        (
            lambda f: f.assign(day=f["day"].dt.tz_convert("UTC")),
            "root['sales'].dtypes['day']: 'datetime64[ns, America/New_York]' -> "
            "'datetime64[ns, UTC]'",
        ),
        (
            lambda f: f.assign(sku=f["sku"].astype(object)),
            "root['sales'].dtypes['sku']: 'category' -> 'object'",
        ),
        (
            lambda f: f.assign(sku=f["sku"].cat.add_categories(["c"])),
            "root['sales'].dtypes['sku']: \"CategoricalDtype(categories=['a', 'b'], "
            'ordered=False, categories_dtype=str)" -> "CategoricalDtype(categories='
            "['a', 'b', 'c'], ordered=False, categories_dtype=str)\"",
        ),
        (
            lambda f: f["sku"].cat.as_ordered(),
            "root['sales'].dtype: \"CategoricalDtype(categories=['a', 'b'], ordered=False, "
            "categories_dtype=str)\" -> \"CategoricalDtype(categories=['a', 'b'], ordered=True, "
            'categories_dtype=str)"',
        ),
        (lambda f: f.sort_index(ascending=False), "root['sales'].index: [10, 11] -> [11, 10]"),
        (
            lambda f: f[["net", "day", "sku"]],
            "root['sales'].columns: ['day', 'sku', 'net'] -> ['net', 'day', 'sku']",
        ),
        (lambda f: f.rename_axis("id"), "root['sales'].index.names: ['order'] -> ['id']"),
        (lambda f: f["net"].rename("gross"), "root['sales'].name: 'net' -> 'gross'"),
    ],
    ids=[
        "zone",
        "category",
        "categories",
        "series-ordered",
        "row-order",
        "column-order",
        "index-name",
        "series-name",
    ],
)
def test_a_frame_changed_where_its_cells_are_equal_names_what_changed(
    change: Any, line: str
) -> None:
    """Before, such a replay failed saying only "(they differ in their stored forms)"."""
    pd = pytest.importorskip("pandas")
    from pytest_clearstone.diff import StateDelta

    sales = _sales(pd)
    if ".dtype:" in line:
        before = sales["sku"]
    elif ".name:" in line:
        before = sales["net"]
    else:
        before = sales
    assert StateDelta({"sales": before}, {"sales": change(sales)}, verbosity=2).lines == [line]


def test_each_column_of_another_dtype_is_named_on_a_line_of_its_own() -> None:
    """Two columns were one dict on one line, shortened at 80 characters by default: the
    line ``...laced': 'datetime64[us, America/New_York]', 'prev': 'datetime64[us, America/New_...``
    hid which columns had changed."""
    pd = pytest.importorskip("pandas")
    from pytest_clearstone.diff import StateDelta

    sales = _sales(pd).assign(prev=lambda f: f["day"].shift(1))
    moved = sales.assign(
        day=sales["day"].dt.tz_convert("UTC"), prev=sales["prev"].dt.tz_convert("UTC")
    )
    assert StateDelta({"sales": sales}, {"sales": moved}).lines == [
        "root['sales'].dtypes['day']: 'datetime64[ns, America/New_York]' -> 'datetime64[ns, UTC]'",
        "root['sales'].dtypes['prev']: 'datetime64[ns, America/New_York]' -> 'datetime64[ns, UTC]'",
    ]


def test_a_series_of_another_dtype_names_both() -> None:
    pd = pytest.importorskip("pandas")
    from pytest_clearstone.diff import StateDelta

    counts = pd.Series([1, 2], index=["a", "b"], dtype="int64")
    lines = StateDelta({"n": counts}, {"n": counts.astype("Int64")}, verbosity=2).lines
    assert "root['n'].dtype: 'int64' -> 'Int64'" in lines


def test_a_changed_zero_dimensional_array_is_named_at_its_own_path() -> None:
    """Before, at the path of its stored form's value: ``root['mean']['v']: 1.5 -> 2.5``."""
    from pytest_clearstone.diff import StateDelta

    before, after = {"mean": np.array(1.5)}, {"mean": np.array(2.5)}
    assert StateDelta(before, after, verbosity=2).lines == [
        "root['mean']: np.float64(1.5) -> np.float64(2.5)"
    ]


@pytest.mark.parametrize(
    ("before", "after", "line"),
    [
        (["a", "b"], ["a", "c"], "root['labels'][1]: 'b' -> 'c'"),
        ([b"a", b"b"], [b"a", b"c"], "root['labels'][1]: b'b' -> b'c'"),
        ([{"k": 1}, None], [{"k": 2}, None], "root['labels'][0]['k']: 1 -> 2"),
    ],
    ids=["text", "bytes", "objects"],
)
def test_a_changed_cell_of_an_array_only_a_pickle_stores_is_named(
    before: list[Any], after: list[Any], line: str
) -> None:
    """Before, as two pickles: ``root['labels']: <pickled numpy.ndarray sha256:e42db829> ->
    <pickled numpy.ndarray sha256:1f52e235>``."""
    from pytest_clearstone.diff import StateDelta

    dtype = object if isinstance(before[0], dict) else None
    old, new = np.array(before, dtype=dtype), np.array(after, dtype=dtype)
    assert StateDelta({"labels": old}, {"labels": new}, verbosity=2).lines == [line]


def test_a_changed_field_of_a_structured_array_is_named_by_row_and_field() -> None:
    hits = np.array([(1, 2.0), (2, 3.0)], dtype=[("id", "i8"), ("score", "f4")])
    changed = hits.copy()
    changed[1]["score"] = 9.0
    from pytest_clearstone.diff import StateDelta

    assert StateDelta({"hits": hits}, {"hits": changed}, verbosity=2).lines == [
        "root['hits'][1]['score']: 3.0 -> 9.0"
    ]


class Chunk(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(arbitrary_types_allowed=True)
    text: str
    embedding: Any


def test_a_changed_cell_of_an_array_in_a_model_is_named_by_the_field_and_position() -> None:
    """Before, by its stored form's inner path and as Python numbers:
    ``root['doc'].embedding['v'][700]: 0.5 -> 0.699999988079071``."""
    from pytest_clearstone.diff import StateDelta

    vector = np.zeros(1536, dtype=np.float32)
    changed = vector.copy()
    changed[700] = 0.7
    # (a pydantic model is compared by its stored form when == tells nothing: an array field)
    assert StateDelta(
        {"doc": Chunk(text="a", embedding=vector)},
        {"doc": Chunk(text="a", embedding=changed)},
        verbosity=2,
    ).lines == ["root['doc'].embedding[700]: np.float32(0.0) -> np.float32(0.7)"]


def test_a_masked_array_whose_mask_changed_differs_and_is_shown_cell_by_cell() -> None:
    """Before, equal (``numpy.array_equal`` leaves the mask out): a replay passed."""
    from pytest_clearstone.diff import StateDelta

    before = np.ma.masked_array([1, 2], mask=[False, True])
    after = np.ma.masked_array([1, 2], mask=[True, False])
    assert equal_by_value(before, np.ma.masked_array([1, 2], mask=[False, True])) is True
    assert equal_by_value(before, after) is False
    assert StateDelta({"x": before}, {"x": after}, verbosity=2).lines == [
        "root['x'][0]: 1 (int) -> None (NoneType)",
        "root['x'][1]: None (NoneType) -> 2 (int)",
    ]


def test_an_empty_array_keeps_its_shape() -> None:
    """An empty matrix (no embeddings yet: 0 rows of 3) has no values to tell its shape."""
    empty = np.zeros((0, 3), dtype="float32")
    back = decode(encode(empty, allow_pickle=False))
    assert back.shape == (0, 3) and back.dtype == empty.dtype


def test_a_column_or_row_added_is_named_as_its_cells_not_as_a_reordering() -> None:
    pd = pytest.importorskip("pandas")
    from pytest_clearstone.diff import StateDelta

    sales = pd.DataFrame({"net": [1.0, 2.0]}, index=pd.Index([1, 2], name="order"))
    taxed = sales.assign(tax=[0.1, 0.2])
    row = pd.DataFrame({"net": [3.0]}, index=pd.Index([3], name="order"))
    assert StateDelta({"s": sales}, {"s": taxed}, verbosity=2).lines == [
        "root['s']['tax']: added {1: 0.1, 2: 0.2}"
    ]
    longer = pd.concat([sales, row])
    assert StateDelta({"s": sales}, {"s": longer}, verbosity=2).lines == [
        "root['s']['net'][3]: added 3.0"
    ]


def test_a_column_removed_or_a_frame_become_a_series_is_named_as_its_cells() -> None:
    pd = pytest.importorskip("pandas")
    from pytest_clearstone.diff import StateDelta

    sales = pd.DataFrame({"net": [1.0, 2.0], "tax": [0.1, 0.2]}, index=pd.Index([1, 2]))
    assert StateDelta({"s": sales}, {"s": sales[["net"]]}, verbosity=2).lines == [
        "root['s']['tax']: removed {1: 0.1, 2: 0.2}"
    ]
    assert StateDelta({"s": sales}, {"s": sales["net"]}, verbosity=2).lines == [
        "root['s']: {'net': {1: 1.0, 2: 2.0}, 'tax': {1: 0.1, 2: 0.2}} -> {1: 1.0, 2: 2.0}"
    ]


def test_a_nan_name_kept_as_it_was_is_no_change() -> None:
    """A NaN is never ``==`` itself: a replayed series named NaN (or whose index is) with a
    changed cell also said ``root['s'].name: nan -> nan``."""
    pd = pytest.importorskip("pandas")
    from pytest_clearstone.diff import StateDelta

    for named in (
        pd.Series([1.0, 2.0], name=float("nan")),
        pd.Series([1.0, 2.0], name="net").rename_axis(float("nan")),
    ):
        assert StateDelta({"s": named}, {"s": named.mul(2)}, verbosity=2).lines == [
            "root['s'][0]: 1.0 -> 2.0",
            "root['s'][1]: 2.0 -> 4.0",
        ]
    frame = pd.DataFrame({"x": [1.0]}, index=pd.Index([float("nan")]))
    lines = StateDelta({"s": frame}, {"s": frame.assign(x=[2.0])}, verbosity=2).lines
    assert not [line for line in lines if ".index" in line], lines


def test_a_changed_cell_of_a_frame_whose_index_holds_a_nan_label_is_named() -> None:
    """deepdiff gives no path for a change under a NaN key: a frame or series whose float index
    holds a NaN label (a row of missing key) was shown whole, as two pickle digests."""
    pd = pytest.importorskip("pandas")
    from pytest_clearstone.diff import StateDelta

    frame = pd.DataFrame({"net": [1.0, 2.0, 3.0]}, index=[0.5, float("nan"), 2.5])
    changed = frame.copy()
    changed.iloc[1, 0] = 7.0
    changed.iloc[2, 0] = 9.0
    assert StateDelta({"f": frame}, {"f": changed}).lines == [
        "root['f']['net'][2.5]: 3.0 -> 9.0",
        "root['f']['net'][nan]: 2.0 -> 7.0",
    ]
    series = frame["net"]
    assert StateDelta({"s": series}, {"s": changed["net"]}).lines == [
        "root['s'][2.5]: 3.0 -> 9.0",
        "root['s'][nan]: 2.0 -> 7.0",
    ]
    added = pd.concat([frame, pd.DataFrame({"net": [4.0]}, index=[3.5])])
    assert StateDelta({"f": frame}, {"f": added}).lines == [
        "root['f']['net'][3.5]: added 4.0",
    ]
