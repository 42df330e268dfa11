"""A span whose input, output or attribute holds an integer longer than Python writes as text
(``sys.get_int_max_str_digits()``, 4300 digits by default) is stored with that integer as a
placeholder saying so, and the other spans of its batch with it.

Before the fix, the store's write raised the json module's ``ValueError: Exceeds the limit
(4300 digits) for integer string conversion``: the batch was lost, and at the end of a pytest
run whose test recorded a call given ``10**5000`` the session ended in that traceback, with no
summary and no report of the tests' failures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.errors import SerializationError
from pytest_clearstone.observability import TracerProvider


@pytest.fixture
def provider() -> Iterator[TracerProvider]:
    p = TracerProvider(":memory:")
    yield p
    p.shutdown()


def test_a_span_holding_a_huge_integer_is_stored_with_a_placeholder(
    provider: TracerProvider,
) -> None:
    tracer = provider.get_tracer("agent")
    with tracer.span("root") as root:
        with tracer.span("before") as before:
            before.set_attribute("n", 1)
        with tracer.span("big") as big:
            big.set_input({"n": 10**5000, "m": 2})
            big.set_output([7**6000])
            big.set_attribute("id", -(10**4400))
    provider.flush()
    spans = {s.name: s for s in provider.trace_store.get_trace(root.trace_id).spans}
    assert set(spans) == {"root", "before", "big"}
    assert spans["before"].attributes == {"n": 1}
    stored = "digits: longer than Python writes as text>"  # (about: counted without it)
    assert spans["big"].input["m"] == 2
    assert repr(spans["big"].input["n"]) == f"<int of about 5001 {stored}"
    assert repr(spans["big"].output[0]) == f"<int of about 5071 {stored}"
    assert repr(spans["big"].attributes["id"]) == f"<int of about 4401 {stored}"


class Agent:
    def __init__(self) -> None:
        self.turns = 1


def test_a_checkpoint_of_a_stored_trace_holding_one_is_refused_naming_it(
    provider: TracerProvider, tmp_path: Path
) -> None:
    # the store's placeholder is no integer: a checkpoint made of the stored trace would replay
    # the placeholder's text in its place, so saving it is refused, naming the span and place
    tracer = provider.get_tracer("agent")
    with tracer.span("root") as root, tracer.span("big", span_type="llm") as big:
        big.set_input({"n": 10**5000, "m": 2})
        big.set_output("ok")
    provider.flush()
    manager = CheckpointManager(tmp_path)
    checkpoint = manager.create_checkpoint(
        Agent(), provider.trace_store.get_trace(root.trace_id), big.span_id
    )
    with pytest.raises(SerializationError, match=r"span 'big' .* at root\['n'\]") as refused:
        manager.save_checkpoint(checkpoint, filename="big.ckpt")
    assert "an integer of about 5001 digits" in str(refused.value)
    assert not list(tmp_path.iterdir())
