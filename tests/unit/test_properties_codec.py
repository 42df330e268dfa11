"""Properties of the codec and the golden file, tested with hypothesis: a value encoded, saved,
loaded and decoded is an equal value of the same types; its golden text is the same whether
orjson is installed or not, and in processes of different hash seeds."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import tempfile
import textwrap
import time
import zoneinfo
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from hypothesis import given, settings

from pytest_clearstone import codec
from pytest_clearstone.codec import tags
from pytest_clearstone.debugging import CheckpointManager
from pytest_clearstone.errors import DecodeError
from pytest_clearstone.golden import document
from pytest_clearstone.observability import TracerProvider
from tests.unit.property_values import BOUNDED, floats, same_value, values

ROOT = Path(__file__).resolve().parents[2]


class Agent:
    """An agent whose state is one value."""


def _saved_and_loaded(value: Any, directory: Path) -> tuple[Any, Any, str]:
    """``value`` as the agent's state and as a recorded call's answer, through a golden file:
    the state and the answer read back, and the file's text."""
    provider = TracerProvider(":memory:")
    tracer = provider.get_tracer("properties")
    agent = Agent()
    agent.__dict__["value"] = value
    with tracer.span("run") as root, tracer.span("ask", span_type="llm") as span:
        span.set_input({"prompt": value})
        span.set_output(value)
    manager = CheckpointManager(directory)
    trace = provider.trace_store.get_trace(root.trace_id)
    path = manager.save_checkpoint(manager.create_checkpoint(agent, trace, root.span_id), "v.ckpt")
    loaded = manager.load_checkpoint("v.ckpt")
    (answer,) = [span.output for span in loaded.trace.spans if span.name == "ask"]
    return loaded.agent_state["value"], answer, path.read_text(encoding="utf-8")


@BOUNDED
@given(values)
def test_a_value_reads_back_from_its_json_text_as_it_was(value: Any) -> None:
    text = codec.dumps(codec.encode(value))
    back = codec.loads(text)
    assert same_value(value, back), text


@BOUNDED
@given(values)
def test_a_value_read_back_is_stored_as_it_was(value: Any) -> None:
    """A replay restores the agent from its golden, and a re-record of an unchanged agent must
    write the golden again byte for byte: a value read back is stored as it was written."""
    stored = codec.dumps(codec.encode({"value": value}))
    assert codec.dumps(codec.encode(codec.loads(stored))) == stored


def test_a_wall_time_a_dst_change_skips_reads_back_as_it_was_written() -> None:
    # Expected: 02:30 on the day New York's clocks go forward (a wall time that does not
    # exist, which naive arithmetic on an aware datetime makes: the next day at 02:30) reads
    # back as 02:30, as the agent held it and formatted it into its prompts. It read back as
    # 03:30, the same instant: a replay restored the agent with another wall time, its prompt
    # diverged, and a golden re-recorded from it differed.
    zone = zoneinfo.ZoneInfo("America/New_York")
    for fold in (0, 1):
        skipped = dt.datetime(2024, 3, 10, 2, 30, tzinfo=zone, fold=fold)
        back = codec.loads(codec.dumps(codec.encode(skipped)))
        assert (str(back), back.fold, back.tzinfo) == (str(skipped), fold, zone)
    # (an offset the zone's rules no longer give, as after a tzdata change: its instant, in the
    # zone)
    moved = codec.loads(
        '{"__cs__":"datetime","v":"2024-06-01T12:00:00+03:00","tz":"America/New_York"}'
    )
    assert str(moved) == "2024-06-01 05:00:00-04:00"


@settings(BOUNDED, max_examples=60)  # (a golden written and read each: the slower round trip)
@given(values)
def test_a_value_reads_back_from_a_golden_as_it_was(value: Any) -> None:
    with tempfile.TemporaryDirectory() as directory:
        state, answer, text = _saved_and_loaded(value, Path(directory))
    assert same_value(value, state), text
    assert same_value(value, answer), text


def without_orjson(doc: dict[str, Any]) -> str:
    """The golden's text as a machine without orjson writes it."""
    with mock.patch.object(document, "orjson", None):
        return document.file_text(doc)


@BOUNDED
@given(values)
def test_a_golden_is_the_same_text_with_or_without_orjson(value: Any) -> None:
    doc = {"agent": {"state": codec.encode({"value": value})}}
    assert document.file_text(doc) == without_orjson(doc)


@BOUNDED
@given(floats)
def test_a_float_is_written_alike_with_or_without_orjson(value: float) -> None:
    doc = {"state": codec.encode({"cost": value, "costs": [value, -value]})}
    assert document.file_text(doc) == without_orjson(doc)


def test_a_small_float_is_written_as_python_writes_it_with_or_without_orjson() -> None:
    # Expected: an unchanged agent re-recorded on another machine keeps its golden byte for
    # byte. A price per token of 2.5e-05 was written 0.000025 where orjson is installed (it
    # is with LangChain, through langsmith) and 2.5e-05 where it is not, 3e-06 as 3e-6; in
    # one environment, every such float of a golden was rewritten when the golden came to
    # hold an integer wider than 64 bits (written then by the standard library).
    doc = {"state": {"price": 2.5e-05, "tiny": 3e-06, "big": 1e16, "plain": 0.25}}
    text = document.file_text(doc)
    assert text == without_orjson(doc)
    assert '"price": 2.5e-05' in text and '"tiny": 3e-06' in text
    doc["state"]["id"] = 2**70
    assert document.file_text(doc) == without_orjson(doc)
    compact = codec.dumps(doc)  # (the codec's text: as the standard library writes it too)
    with mock.patch.object(tags, "orjson", None):
        assert compact == codec.dumps(doc)
    assert '"price":2.5e-05' in compact


@pytest.mark.parametrize("value", [3e-06, -3e-06, -2.5e-05, [1.5, -7e-05]])
def test_a_small_float_alone_or_negative_is_written_as_python_writes_it(value: Any) -> None:
    # a stored value that is the float itself (its text starts with it), or a negative one
    # (orjson writes -0.000025 and -3e-6)
    with mock.patch.object(tags, "orjson", None):
        expected = codec.dumps(value)
    assert codec.dumps(value) == expected
    doc = {"state": {"v": value}}
    assert document.file_text(doc) == without_orjson(doc)


_SAMPLE = textwrap.dedent(
    """
    import hashlib, sys
    from hypothesis import given, settings, HealthCheck
    from pytest_clearstone import codec
    from pytest_clearstone.golden import document
    from tests.unit.property_values import values

    digest = hashlib.sha256()

    @settings(max_examples=40, derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(values)
    def write(value):
        text = document.file_text({"agent": {"state": codec.encode({"value": value})}})
        digest.update(text.encode("utf-8", "surrogatepass"))

    write()
    # (and sets of texts for certain, whose iteration order the hash seed decides)
    fixed = {"tags": {"alpha", "beta", "gamma", "delta"}, "pairs": frozenset({("a", 1), ("b", 2)})}
    digest.update(document.file_text({"state": codec.encode(fixed)}).encode())
    print(digest.hexdigest())
    """
)


def test_golden_text_is_the_same_in_processes_of_different_hash_seeds() -> None:
    """Sets and frozensets of texts iterate in another order in each process (the hash seed):
    the same derandomized sample of values is written in two processes, byte for byte."""
    digests = set()
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed, "PYTHONPATH": str(ROOT)}
        env.pop("CLEARSTONE_SIGNING_KEY", None)
        done = subprocess.run(
            [sys.executable, "-c", _SAMPLE], env=env, cwd=ROOT, capture_output=True, text=True,
            timeout=120, check=False,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        digests.add(done.stdout.strip())
    assert len(digests) == 1, digests


@pytest.mark.skipif(not hasattr(time, "tzset"), reason="time.tzset: POSIX only")
def test_a_local_time_in_the_repeated_hour_keeps_its_fold(monkeypatch: pytest.MonkeyPatch) -> None:
    # Expected: a naive local time of the hour a DST change repeats reads back as the same
    # instant. datetime.fromtimestamp gives the later 01:30 of 2024-11-03 in New York with
    # fold=1; the golden dropped the fold, so it read back as the earlier 01:30 (fold=0), and
    # its timestamp() was an hour off: an agent computing with it replayed otherwise.
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:
        later = dt.datetime.fromtimestamp(1730615400)  # 06:30 UTC: 01:30 EST, the second time
        assert later.fold == 1
        text = codec.dumps(codec.encode({"at": later, "t": later.time()}))
        back = codec.loads(text)
        assert back["at"].fold == 1 and back["at"].timestamp() == 1730615400
        assert back["t"].fold == 1
        assert '"fold":1' in text
        # (fold 0, the default, is not written: goldens recorded before read as they did)
        assert "fold" not in codec.dumps(codec.encode(later.replace(fold=0)))
    finally:
        monkeypatch.undo()
        time.tzset()


def test_a_stored_fold_is_one_of_a_time_without_a_zone() -> None:
    for bad in ['"v":"2024-01-01T00:00:00","fold":2', '"v":"2024-01-01T00:00:00+00:00","fold":1']:
        with pytest.raises(DecodeError, match="fold"):
            codec.loads('{"__cs__":"datetime",' + bad + "}")


def test_the_last_datetime_in_a_zone_west_of_utc_reads_back() -> None:
    # Expected: datetime.max in the agent's zone (a "no deadline" sentinel) reads back from its
    # golden. Written, it could not be read: converting its instant to the zone overflowed
    # ("DecodeError: bad 'datetime' value: OverflowError: date value out of range").
    zone = zoneinfo.ZoneInfo("America/Adak")
    for value in (dt.datetime.max.replace(tzinfo=zone), dt.datetime.min.replace(tzinfo=zone)):
        back = codec.loads(codec.dumps(codec.encode(value)))
        assert (back, str(back), back.tzinfo) == (value, str(value), zone)
