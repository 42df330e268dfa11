"""A numpy random generator in a state delta (:mod:`pytest_clearstone.diff`): named at its
path by its class and a digest of its generator's state, as a ``random.Random`` is."""

from __future__ import annotations

import pytest

from pytest_clearstone.diff import StateDelta

np = pytest.importorskip("numpy")


@pytest.mark.parametrize(
    ("make", "kind"),
    [
        (np.random.default_rng, "numpy.random._generator.Generator"),
        (np.random.RandomState, "numpy.random.mtrand.RandomState"),
    ],
)
def test_a_numpy_generator_that_drew_more_is_shown_at_its_path_by_its_state(
    make: object, kind: str
) -> None:
    drawn = make(7)  # type: ignore[operator]
    drawn.random()
    delta = StateDelta({"rng": make(7)}, {"rng": drawn})  # type: ignore[operator]
    (line,) = delta.lines
    assert line.startswith(f"root['rng']: <{kind} state sha256:"), line
    old, _, new = line.partition(": ")[2].partition(" -> ")
    assert old != new
    assert not StateDelta({"rng": make(7)}, {"rng": make(7)})  # type: ignore[operator]
