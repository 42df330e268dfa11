"""Replay (the library behind the plugin's ``replay`` fixture): what one golden test costs.

The plugin's behaviour is tested end to end in tests/plugin; these tests pin down properties that
make a suite of hundreds of golden tests cheap and that no pytester run shows directly.
"""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pytest_clearstone.golden.replay import Replay
from pytest_clearstone.observability import TracerProvider
from pytest_clearstone.redaction import Redactor

AGENT = """
class Agent:
    def __init__(self):
        self.memory = []

    def handle(self, message):
        answer = complete("User: " + message)
        self.memory.append({"answer": answer, "hits": search(message)})
        return answer


def complete(prompt):
    return "answer to " + prompt


def search(query):
    return len(query)
"""
MOCK = {"llm": "cs_golden_app.complete", "tool": ["cs_golden_app.search"]}


@pytest.fixture
def app(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> object:
    (tmp_path / "cs_golden_app.py").write_text(AGENT)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "cs_golden_app", raising=False)
    import cs_golden_app

    return cs_golden_app


def _record(path: Path, app: object) -> None:
    provider = TracerProvider(":memory:")
    tracer = provider.get_tracer("test")
    replay = Replay(path, MOCK, mode="record", tracer=tracer)
    with tracer.span("test") as root:
        replay.start(root_span_id=root.span_id, trace_id=root.trace_id)
        try:
            replay.run(app.Agent().handle, "hello")  # type: ignore[attr-defined]
        finally:
            replay.stop()
    replay.save(provider.trace_store.get_trace(root.trace_id))
    provider.shutdown()


def _replay(path: Path, app: object) -> None:
    redactor = Redactor.from_settings((), (), (), check_secrets=False)
    replay = Replay(path, MOCK, mode="replay", matcher=redactor.matcher(None), transform=redactor)
    replay.start()
    try:
        replay.run(app.Agent().handle, "hello")  # type: ignore[attr-defined]
    finally:
        replay.stop()
    replay.check()


def test_a_replayed_golden_leaves_no_reference_cycles(tmp_path: Path, app: object) -> None:
    # cyclic garbage is only freed by the cyclic gc, whose collections then run more often: in
    # a 500-test suite ~40 such objects per test cost more than loading the goldens
    path = tmp_path / "golden.ckpt"
    _record(path, app)
    _replay(path, app)  # caches filled on first use are not garbage
    gc.collect()
    # (objects of earlier tests a cache lets go of during the replay, such as h11's sentinel
    # classes of a pytester run's httpx, are garbage then, but not this replay's)
    earlier = {id(o) for o in gc.get_objects()}
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        _replay(path, app)
        gc.collect()
        garbage = [type(o).__qualname__ for o in gc.garbage if id(o) not in earlier]
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
    assert garbage == []


def test_replaying_a_synchronous_agent_imports_neither_asyncio_nor_the_trace_store_nor_tracer(
    tmp_path: Path, app: object
) -> None:
    path = tmp_path / "golden.ckpt"
    _record(path, app)
    code = textwrap.dedent(
        f"""
        import sys
        sys.path.insert(0, {str(tmp_path)!r})
        from pytest_clearstone.golden.replay import Replay
        import cs_golden_app
        replay = Replay({str(path)!r}, {MOCK!r}, mode="replay")
        replay.start()
        replay.run(cs_golden_app.Agent().handle, "hello")
        replay.stop()
        replay.check()
        heavy = [
            "asyncio", "sqlite3", "pytest_clearstone.tracing.store",
            "pytest_clearstone.tracing.tracer",  # the recorder's: replaying records no span
            # (calls that return: nothing raised to rebuild)
            "pytest_clearstone.golden.recorded_errors", "pytest_clearstone.codec.validation_errors",
            # the codec of the client libraries' values (~150 KB of compiled code, ~0.2 M
            # instructions per KB through pytest's rewrite hook), and the comparison of stored
            # forms: functions answering plain JSON values need neither
            "pytest_clearstone.codec.library", "pytest_clearstone.codec.clients",
            "pytest_clearstone.codec.http", "pytest_clearstone.codec.models",
            "pytest_clearstone.codec.compare",
        ]
        print([name for name in heavy if name in sys.modules])
        """
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"  # each costs milliseconds to import, in every golden run


class _Counting:
    """A matcher or transform that counts its calls and has no opinion (``active``: whether a
    replay applies it, as the plugin's redaction of a golden in which nothing was redacted
    says)."""

    def __init__(self, active: bool) -> None:
        self.active = active
        self.calls = 0

    def __call__(self, *args: object) -> object:
        self.calls += 1
        return None if len(args) == 4 else args[0]  # a matcher's verdict, a transform's value


@pytest.mark.parametrize("active", [True, False])
def test_a_matcher_and_transform_switched_off_are_left_out_of_the_calls(
    tmp_path: Path, app: object, active: bool
) -> None:
    # (the plugin's replays carry a redaction that is off for a golden recorded without one:
    # left out, each call's arguments are compared by == first)
    path = tmp_path / "golden.ckpt"
    _record(path, app)
    matcher, transform = _Counting(active), _Counting(active)
    replay = Replay(path, MOCK, mode="replay", matcher=matcher, transform=transform)
    replay.start()
    try:
        assert replay.run(app.Agent().handle, "hello") == "answer to User: hello"  # type: ignore[attr-defined]
    finally:
        replay.stop()
    replay.check()
    # both calls' arguments; the transform also sees the result and the final state
    assert (matcher.calls, transform.calls) == ((2, 4) if active else (0, 0))
