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


def test_a_numpy_generators_digest_is_the_same_for_the_same_state_in_another_object() -> None:
    """The digest names the generator's state, not the objects it is made of: the same drawn
    generator made twice (another run of the test) is shown alike, so two failures' deltas can
    be compared (its state's ``repr`` holds the bit generator's memory address)."""

    def drawn(n: int) -> object:
        rng = np.random.default_rng(7)
        rng.random(n)
        return rng

    made = [drawn(1), drawn(2), drawn(1), drawn(2)]  # (all alive: at other addresses)
    first = StateDelta({"rng": made[0]}, {"rng": made[1]}).lines
    again = StateDelta({"rng": made[2]}, {"rng": made[3]}).lines
    assert first == again
